/* basic_container.c: a real container in a few hundred lines.
 *
 *	basic_container [options] IP|none CMD [ARG...]
 *
 * The parent (the runtime, on the host) clones a child into new user, PID,
 * mount, UTS, IPC and network namespaces, writes the child's uid and gid
 * maps, plugs a veth pair into the bridge with the peer already inside the
 * child's network namespace, puts it in a cgroup when limits were asked for,
 * and then lets it go. The child sets its hostname, pivots into the root
 * filesystem, mounts a fresh /proc, configures its network and execs CMD.
 * The parent waits, forwards signals, and exits with CMD's status.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "common.h"
#include "mounts.h"
#include "netlink.h"
#include "setup_error.h"

#define STACK_SIZE (1024 * 1024)
#define PEER_NAME "eth0"       /* the veth end inside the container */

static const char usage_text[] =
	"[options] IP|none CMD [ARG...]\n"
	"Run CMD in a container: new user, PID, mount, UTS, IPC, network and\n"
	"cgroup namespaces, pivot_root into a root filesystem, a veth on a bridge.\n"
	"\n"
	"  IP         the container's IPv4 address, in the bridge's subnet\n"
	"             (e.g. 10.240.0.2); none: no network but loopback\n"
	"  -r DIR     root filesystem (default ./rootfs)\n"
	"  -H NAME    hostname (default inside_container)\n"
	"  -b NAME    bridge (default cni0)\n"
	"  -m SIZE    memory limit, swap off (e.g. 64M)\n"
	"  -p N       at most N processes\n"
	"  -c CPUS    CPU time, in CPUs (e.g. 0.5)\n"
	"  -q         quiet: print only CMD's own output\n"
	"  -h         this help\n"
	"\n"
	"SIGINT, SIGTERM and SIGHUP go on to the container's PID 1, which, as\n"
	"the init of its PID namespace, ignores those it has no handler for.\n"
	"\n"
	"Exit status: CMD's; 125 when the container could not be set up,\n"
	"126 when CMD cannot be executed, 127 when it is not found,\n"
	"128+N when it was killed by signal N.\n";

struct options {
	const char *rootfs;
	const char *hostname;
	const char *bridge;
	const char *memory;            /* -m as given, for messages */
	struct cgroup_limits limits;
	int quiet;
	int networked;                 /* an IP was given, not "none" */
	struct in_addr ip;
	char **command;
};

struct container {
	struct options opt;
	struct rootfs rootfs;
	struct bridge bridge;          /* when networked */
	struct netlink nl;             /* the parent's, on the host */
	struct cgroup cgroup;
	int has_cgroup;
	int sync[2];                   /* [0] the parent's end, [1] the child's */
	pid_t pid;                     /* the child, as the host sees it */
	char veth[IF_NAMESIZE];        /* the host end */
	sigset_t old_mask;             /* before we blocked the forwarded signals */
	int has_terminal;              /* we gave the terminal to the container */
};

/* Used by the signal handler: the container to forward signals to. */
static volatile sig_atomic_t container_pid;

static void say(const struct options *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(const struct options *opt, const char *fmt, ...)
{
	va_list ap;

	if (opt->quiet)
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);         /* before every clone and exec, and under a pipe */
}

static void parse_options(int argc, char *argv[], struct options *o)
{
	int opt;

	*o = (struct options){ .rootfs = "./rootfs", .hostname = "inside_container",
			       .bridge = "cni0" };
	opterr = 0;     /* one line of our own instead of getopt's */
	while ((opt = getopt(argc, argv, "+r:H:b:m:p:c:qh")) != -1) {
		switch (opt) {
		case 'r': o->rootfs = optarg; break;
		case 'H': o->hostname = optarg; break;
		case 'b': o->bridge = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'h': usage_exit(0, usage_text);
		case 'm': o->memory = optarg; /* fall through */
		case 'p': case 'c': cgroup_parse_limit(opt, optarg, &o->limits); break;
		case '?':
			if (strchr("rHbmpc", optopt) != NULL)
				fatal("option -%c needs an argument (see -h)", optopt);
			fatal("unknown option -%c (see -h)", optopt);
		}
	}
	if (argc - optind < 2)
		fatal("usage: %s [options] IP|none CMD [ARG...] (see -h)",
		      program_invocation_short_name);
	if (strcmp(argv[optind], "none") != 0) {
		if (inet_pton(AF_INET, argv[optind], &o->ip) != 1)
			fatal("invalid IP address '%s' (e.g. 10.240.0.2, or none)", argv[optind]);
		o->networked = 1;
	}
	if (strlen(o->hostname) > HOST_NAME_MAX)
		fatal("hostname '%s' is longer than %d characters", o->hostname, HOST_NAME_MAX);
	o->command = &argv[optind + 1];
}

/* The rootfs must be a directory; keep its absolute path, since the child
 * will change directories under it. */
static void check_rootfs(struct container *c)
{
	struct stat st;

	if (realpath(c->opt.rootfs, c->rootfs.path) == NULL || stat(c->rootfs.path, &st) == -1)
		errExit("rootfs %s not found (make rootfs builds one)", c->opt.rootfs);
	if (!S_ISDIR(st.st_mode))
		fatal("rootfs %s is not a directory", c->opt.rootfs);
}

/* Whether ip lies in the subnet of prefix p. */
static int in_subnet(struct in_addr ip, const struct ipv4_prefix *p)
{
	uint32_t mask = p->prefixlen ? htonl(~0u << (32 - p->prefixlen)) : 0;

	return (ip.s_addr & mask) == (p->addr.s_addr & mask);
}

/* The container's gateway is the bridge's address whose subnet holds its IP
 * (a bridge may have several: `ip addr add` a second subnet). The IP must be
 * a host of that subnet, and not the bridge's own address. */
static void check_ip_in_subnet(struct container *c)
{
	const struct ipv4_prefix *gw = NULL;
	char ip_text[INET_ADDRSTRLEN], br_text[INET_ADDRSTRLEN];
	uint32_t ip = c->opt.ip.s_addr, mask, net;

	for (int i = 0; i < c->bridge.naddrs && gw == NULL; i++)
		if (in_subnet(c->opt.ip, &c->bridge.addrs[i]))
			gw = &c->bridge.addrs[i];
	inet_ntop(AF_INET, &c->opt.ip, ip_text, sizeof(ip_text));
	if (gw == NULL) {
		inet_ntop(AF_INET, &c->bridge.addrs[0].addr, br_text, sizeof(br_text));
		fatal("%s is not in %s's subnet %s/%d%s", ip_text, c->opt.bridge, br_text,
		      c->bridge.addrs[0].prefixlen, c->bridge.naddrs > 1 ? " (nor any other)" : "");
	}
	c->bridge.addr = gw->addr;
	c->bridge.prefixlen = gw->prefixlen;
	mask = gw->prefixlen ? htonl(~0u << (32 - gw->prefixlen)) : 0;
	net = gw->addr.s_addr & mask;
	inet_ntop(AF_INET, &gw->addr, br_text, sizeof(br_text));
	if (ip == gw->addr.s_addr)
		fatal("%s is the bridge %s's own address", ip_text, c->opt.bridge);
	if (gw->prefixlen < 31 && (ip == net || ip == (net | ~mask)))
		fatal("%s is the network or broadcast address of %s/%d", ip_text, br_text,
		      gw->prefixlen);
}

/* Before anything is created: can we give the container the network it
 * asked for? Each refusal is one line and exit 125, while nothing exists
 * yet to clean up. */
static void check_network(struct container *c)
{
	const char *name = c->opt.bridge;

	if (geteuid() != 0)
		fatal("host networking needs root (run with sudo, or use IP none)");
	if (netlink_open(&c->nl) == -1)
		fatal("%s", setup_error());
	if (find_bridge(&c->nl, name, &c->bridge) == -1) {
		if (errno == ENODEV)
			fatal("bridge %s not found (run setup_bridge.sh)", name);
		fatal("%s", setup_error());
	}
	if (!c->bridge.is_bridge)
		fatal("%s is not a bridge (-b names one, e.g. cni0 from setup_bridge.sh)", name);
	/* A veth plugged into a bridge that is down stays down: no carrier. */
	if (!c->bridge.is_up)
		fatal("bridge %s is down (ip link set %s up)", name, name);
	if (c->bridge.naddrs == 0)
		fatal("bridge %s has no IPv4 address (run setup_bridge.sh)", name);
	check_ip_in_subnet(c);
}

static void create_cgroup(struct container *c)
{
	char name[64];

	snprintf(name, sizeof(name), "basic_container-%ld", (long)getpid());
	if (cgroup_open(&c->cgroup, name, &c->opt.limits) == -1)
		fatal("%s", cgroup_error(&c->cgroup));
	c->has_cgroup = 1;
}

/* ---- the child -------------------------------------------------------- */

/* Send the recorded setup error to the parent and die. */
static void report_setup_failure(const struct container *c) __attribute__((noreturn));
static void report_setup_failure(const struct container *c)
{
	const char *msg = setup_error();

	if (send(c->sync[1], msg, strlen(msg), MSG_NOSIGNAL) == -1)
		errExitChild("container setup failed: %s (and telling the parent failed)", msg);
	_exit(EXIT_CANCELED);
}

/* Block until the parent says the next step is ready: one byte. End of file
 * means the parent died: give up. */
static int wait_for_parent(const struct container *c)
{
	char go;
	ssize_t n;

	do
		n = read(c->sync[1], &go, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)
		return setup_fail_msg("the runtime went away before the container started");
	return 0;
}

static int set_hostname(const struct container *c)
{
	struct utsname uts;

	if (sethostname(c->opt.hostname, strlen(c->opt.hostname)) == -1)
		return setup_fail("sethostname %s", c->opt.hostname);
	if (uname(&uts) == -1)
		return setup_fail("uname");
	say(&c->opt, "[In child namespace] uts.nodename in child:  %s\n", uts.nodename);
	return 0;
}

/* `ip link set lo up`, from inside the container's network namespace (a
 * netlink socket speaks to the namespace it was made in). */
static int bring_up_loopback(struct netlink *nl)
{
	if (netlink_open(nl) == -1)
		return -1;
	return link_up(nl, "lo");
}

/* `ip addr add IP/PREFIX dev eth0; ip link set eth0 up;
 *  ip route add default via BRIDGE`: the parent created eth0 in our
 * namespace. (It cannot bring it up there: a veth end goes up only once
 * its peer exists, and the kernel creates the peer first.) */
static int configure_eth0(struct netlink *nl, const struct container *c)
{
	if (add_address(nl, PEER_NAME, c->opt.ip, c->bridge.prefixlen) == -1 ||
	    link_up(nl, PEER_NAME) == -1)
		return -1;
	return add_default_route(nl, c->bridge.addr);
}

static int enter_filesystem(struct container *c)
{
	if (make_mounts_private() == -1 || enter_rootfs(&c->rootfs, c->opt.quiet) == -1)
		return -1;
	if (mount_pseudo_filesystems(&c->rootfs) == -1 || detach_old_root(&c->rootfs) == -1) {
		abandon_old_root(&c->rootfs);
		return -1;
	}
	return 0;
}

/* The child waits for its parent twice. First until the parent has written
 * our uid/gid maps (and put us in our cgroup): until then we are "nobody" in
 * our own user namespace, may create no file, and execve() would drop the
 * capabilities we need (user_namespaces(7)). Then, after our mounts, until
 * the parent has plugged our veth in: the two run side by side, since
 * creating a veth pair is the slowest step of all. */
static int setup_container(struct container *c)
{
	struct netlink nl;

	if (wait_for_parent(c) == -1)
		return -1;
	/* A cgroup namespace is rooted at the cgroup its creator is in when it
	 * is made. The parent has moved us into our cgroup by now, so making it
	 * here (not in clone()) makes our own cgroup the container's "/". */
	if (unshare(CLONE_NEWCGROUP) == -1)
		return setup_fail("unshare(CLONE_NEWCGROUP)");
	say(&c->opt, "[In child namespace] childFunc(): PID  = %ld\n", (long)getpid());
	say(&c->opt, "[In child namespace] childFunc(): PPID = %ld\n", (long)getppid());
	if (set_hostname(c) == -1 || bring_up_loopback(&nl) == -1 || enter_filesystem(c) == -1)
		return -1;
	if (wait_for_parent(c) == -1 || (c->opt.networked && configure_eth0(&nl, c) == -1))
		return -1;
	netlink_close(&nl);
	return 0;
}

/* The command starts with the caller's signal mask, and with none of the
 * runtime's other file descriptors: whatever the caller left open (a pipe, a
 * directory of the host) must not reach into the container, as runc's
 * CVE-2024-21626 showed. close_range(2) marks them close-on-exec. */
static int prepare_exec(const struct container *c)
{
	if (sigprocmask(SIG_SETMASK, &c->old_mask, NULL) == -1)
		return setup_fail("sigprocmask: restore the caller's signal mask");
	if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) == -1)
		return setup_fail("close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)");
	return 0;
}

static int container_main(void *arg)
{
	struct container *c = arg;

	if (close(c->sync[0]) == -1)
		errExitChild("close the parent's end of the sync socket");
	/* Never outlive the runtime: if it dies, so does PID 1, and with it
	 * the whole PID namespace. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		errExitChild("prctl(PR_SET_PDEATHSIG)");
	if (setup_container(c) == -1 || prepare_exec(c) == -1)
		report_setup_failure(c);
	/* sync[1] is close-on-exec: the parent reads end of file once we exec. */
	exec_command(c->opt.command);
}

/* ---- the parent ------------------------------------------------------- */

/* Take the terminal back; from a background process group that needs
 * SIGTTOU held off (tcsetpgrp(3)). */
static void take_terminal_back(void)
{
	sigset_t ttou, old;

	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	if (sigprocmask(SIG_BLOCK, &ttou, &old) == -1)
		errMsg("sigprocmask: block SIGTTOU");
	if (tcsetpgrp(STDIN_FILENO, getpgrp()) == -1)
		errMsg("tcsetpgrp: take the terminal back");
	if (sigprocmask(SIG_SETMASK, &old, NULL) == -1)
		errMsg("sigprocmask: unblock SIGTTOU");
}

/* Kill the half-made container, remove what we made, exit 125. */
static void abandon(struct container *c, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void abandon(struct container *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->pid > 0) {
		if (kill(c->pid, SIGKILL) == -1)
			errMsg("kill(%ld, SIGKILL)", (long)c->pid);
		while (waitpid(c->pid, NULL, 0) == -1)
			if (errno != EINTR) {
				errMsg("waitpid(%ld)", (long)c->pid);
				break;
			}
	}
	if (c->has_terminal)
		take_terminal_back();
	if (c->has_cgroup && cgroup_remove(&c->cgroup) == -1)
		warnMsg("%s", cgroup_error(&c->cgroup));
	fatal("%s", msg);
}

static void create_sync_channel(struct container *c)
{
	/* SEQPACKET keeps an error message in one piece; CLOEXEC makes the
	 * child's exec visible to the parent as end of file. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) == -1)
		errExit("socketpair(AF_UNIX, SOCK_SEQPACKET)");
}

static void start_child(struct container *c)
{
	/* CLONE_NEWCGROUP is left to the child: see setup_container(). */
	const int flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS |
			  CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);

	if (stack == MAP_FAILED)
		abandon(c, "mmap %d bytes for the child's stack: %s", STACK_SIZE, strerror(errno));
	say(&c->opt, "[In main namespace] starting...\n");
	c->pid = clone(container_main, stack + STACK_SIZE, flags, c);
	if (c->pid == -1)
		abandon(c, "clone(CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|"
			"CLONE_NEWIPC|CLONE_NEWNET): %s", strerror(errno));
	/* The child has its own copy of the stack (no CLONE_VM). */
	if (munmap(stack, STACK_SIZE) == -1)
		abandon(c, "munmap the child's stack: %s", strerror(errno));
	if (close(c->sync[1]) == -1)
		abandon(c, "close the child's end of the sync socket: %s", strerror(errno));
	container_pid = c->pid;
	say(&c->opt, "[In main namespace] %s: PID of child created by clone() is %ld\n",
	    program_invocation_short_name, (long)c->pid);
}

static void write_proc_file(struct container *c, const char *file, const char *value)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)c->pid, file);
	if (write_file(path, value) == -1)
		abandon(c, "write '%s' to %s: %s", value, path, strerror(errno));
}

/* Map root in the container to the caller outside, one id each way. An
 * unprivileged writer must deny setgroups(2) before writing gid_map (since
 * Linux 3.19), or it could drop supplementary groups that guard files. */
static void write_id_maps(struct container *c)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %ld 1", (long)getuid());
	write_proc_file(c, "uid_map", map);
	write_proc_file(c, "setgroups", "deny");
	snprintf(map, sizeof(map), "0 %ld 1", (long)getgid());
	write_proc_file(c, "gid_map", map);
}

/* The container's MAC address follows from its IP, as the CNI bridge plugin
 * makes it: 0a:58 (locally administered) and the address's four bytes. With
 * a random one, a container that takes the IP of one that just exited would
 * be unreachable for seconds: the host's neighbour cache still holds the old
 * MAC, and for a second after an update ignores ARP that would correct it
 * (locktime, arp(7)), then waits for its own probes. */
static void mac_for_ip(struct in_addr ip, unsigned char mac[6])
{
	mac[0] = 0x0a;
	mac[1] = 0x58;
	memcpy(&mac[2], &ip.s_addr, 4);
}

/* Read the child's report on its setup: abandon with its message when a step
 * failed. Return 0 at end of file (it reached exec, or died), or -1 when,
 * with MSG_DONTWAIT, it has nothing to say yet. */
static ssize_t hear_setup_report(struct container *c, int flags)
{
	char msg[600];
	ssize_t n;
	int resets = 0;

	/* A child that fails while a go byte of ours lies unread in its socket
	 * makes the kernel set ECONNRESET on our end when it exits. recv()
	 * reports that once, ahead of the message the child sent: read again. */
	do
		n = recv(c->sync[0], msg, sizeof(msg) - 1, flags);
	while (n == -1 && (errno == EINTR || (errno == ECONNRESET && resets++ == 0)));
	if (n == -1 && !((flags & MSG_DONTWAIT) && errno == EAGAIN))
		abandon(c, "hear from the container: %s", strerror(errno));
	if (n > 0) {
		msg[n] = '\0';
		abandon(c, "container setup failed: %s", msg);
	}
	return n;
}

/* Name the host end veth + 6 random hex digits; another container may take
 * a name between our choice and our request, so try again on EEXIST. */
static void attach_veth(struct container *c)
{
	unsigned char id[3], mac[6];

	mac_for_ip(c->opt.ip, mac);

	for (int tries = 0; tries < 8; tries++) {
		if (getrandom(id, sizeof(id), 0) != sizeof(id))
			abandon(c, "getrandom: %s", strerror(errno));
		snprintf(c->veth, sizeof(c->veth), "veth%02x%02x%02x", id[0], id[1], id[2]);
		if (create_veth_pair(&c->nl, c->veth, &c->bridge, PEER_NAME, mac, c->pid) == 0)
			return;
		if (errno != EEXIST)
			break;
	}
	/* The child may have failed while we worked (the veth then finds
	 * no namespace): its reason comes first. */
	if (hear_setup_report(c, MSG_DONTWAIT) == 0)
		abandon(c, "the container died during its setup");
	abandon(c, "%s", setup_error());
}

static void add_to_cgroup(struct container *c)
{
	if (cgroup_add_process(&c->cgroup, c->pid) == -1)
		abandon(c, "%s", cgroup_error(&c->cgroup));
}

/* At an interactive terminal, make the container the foreground process
 * group, as a shell does for a job: Ctrl-C then reaches the container's
 * shell alone, not the runtime. */
static void give_terminal(struct container *c)
{
	if (!isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return;
	if (setpgid(c->pid, c->pid) == -1)
		abandon(c, "setpgid(%ld): %s", (long)c->pid, strerror(errno));
	if (tcsetpgrp(STDIN_FILENO, c->pid) == -1)
		abandon(c, "tcsetpgrp(%ld): %s", (long)c->pid, strerror(errno));
	c->has_terminal = 1;
}

/* Let the child go on to its next step (see setup_container()). EPIPE (or
 * the one-off ECONNRESET of hear_setup_report()) means it has already
 * exited: a step failed, and its report says which. */
static void release_child(struct container *c)
{
	if (send(c->sync[0], "g", 1, MSG_NOSIGNAL) == 1)
		return;
	if (errno != EPIPE && errno != ECONNRESET)
		abandon(c, "release the container: %s", strerror(errno));
	hear_setup_report(c, 0);
	abandon(c, "the container died during its setup");
}

/* Hear how the child's setup went: end of file means it reached exec. */
static void wait_for_setup(struct container *c)
{
	hear_setup_report(c, 0);
	if (close(c->sync[0]) == -1)
		abandon(c, "close the sync socket: %s", strerror(errno));
}

static void forward_signal(int sig)
{
	int saved = errno;

	if (container_pid > 0)
		kill(container_pid, sig);
	errno = saved;
}

/* SIGINT, SIGTERM and SIGHUP sent to the runtime go to the container's PID 1.
 * Init of a PID namespace gets a signal from outside only when it has a
 * handler for it (pid_namespaces(7)); SIGKILL always works. They stay
 * blocked until the container has started (forward_signals()): one that
 * comes during the setup waits for the command, instead of being lost on a
 * child that is not yet the command. */
static void catch_signals(struct container *c)
{
	static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa = { .sa_handler = forward_signal };
	sigset_t set;

	sigemptyset(&set);
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(signals) / sizeof(signals[0]); i++) {
		sigaddset(&set, signals[i]);
		if (sigaction(signals[i], &sa, NULL) == -1)
			errExit("sigaction(%s)", strsignal(signals[i]));
	}
	if (sigprocmask(SIG_BLOCK, &set, &c->old_mask) == -1)
		errExit("sigprocmask: block SIGINT, SIGTERM and SIGHUP");
}

static void forward_signals(struct container *c)
{
	if (sigprocmask(SIG_SETMASK, &c->old_mask, NULL) == -1)
		abandon(c, "sigprocmask: unblock SIGINT, SIGTERM and SIGHUP: %s", strerror(errno));
}

/* Wait for the container's end. WNOWAIT leaves it a zombie until the
 * signal forwarder has forgotten its PID, so that no signal can reach
 * another process that reuses the number. */
static int wait_for_container(struct container *c)
{
	siginfo_t info;
	int wstatus;

	while (waitid(P_PID, (id_t)c->pid, &info, WEXITED | WNOWAIT) == -1)
		if (errno != EINTR)
			abandon(c, "waitid(%ld): %s", (long)c->pid, strerror(errno));
	container_pid = 0;
	if (waitpid(c->pid, &wstatus, 0) == -1)
		abandon(c, "waitpid(%ld): %s", (long)c->pid, strerror(errno));
	c->pid = -1;
	return exit_status_of(wstatus);
}

static void remove_cgroup(struct container *c)
{
	if (c->opt.limits.memory_bytes && cgroup_oom_kills(&c->cgroup) > 0)
		warnMsg("the container was killed by the OOM killer (memory limit %s)", c->opt.memory);
	if (cgroup_remove(&c->cgroup) == -1)
		warnMsg("%s", cgroup_error(&c->cgroup));
}

int main(int argc, char *argv[])
{
	struct container c = { .pid = -1, .nl.fd = -1 };
	int status;

	parse_options(argc, argv, &c.opt);
	check_rootfs(&c);
	if (c.opt.networked)
		check_network(&c);
	create_sync_channel(&c);
	catch_signals(&c);
	if (cgroup_has_limits(&c.opt.limits))
		create_cgroup(&c);
	start_child(&c);
	write_id_maps(&c);
	if (c.has_cgroup)
		add_to_cgroup(&c);
	give_terminal(&c);
	release_child(&c);              /* to mount its filesystems */
	if (c.opt.networked)
		attach_veth(&c);
	release_child(&c);              /* to configure its network */
	wait_for_setup(&c);
	forward_signals(&c);
	status = wait_for_container(&c);
	if (c.has_terminal)
		take_terminal_back();
	if (c.has_cgroup)
		remove_cgroup(&c);
	netlink_close(&c.nl);
	say(&c.opt, "[In main namespace] %s: terminating\n", program_invocation_short_name);
	return status;
}
