/* basic_container.c: a real container in a few hundred lines.
 *
 *	basic_container [options] IP|none CMD [ARG...]
 *
 * The parent (the runtime, on the host) opens the image, claims a range of
 * host IDs and a state directory for the container's layer, clones a child
 * into new user, PID, mount, UTS, IPC and network namespaces, maps the
 * child's IDs to that range, hands it the image as an idmapped mount, plugs
 * a veth pair into the bridge with the peer already inside the child's
 * network namespace, puts it in a cgroup when limits were asked for, and
 * then lets it go. The child sets its hostname, builds its root filesystem
 * (the image under a layer of its own, its volumes, /etc files, a fresh
 * /proc, /sys and /dev), pivots into it, configures its network and execs
 * CMD. The parent waits, forwards signals, exits with CMD's status and
 * removes what it made.
 */
#include <arpa/inet.h>
#include <linux/sched.h>
#include <linux/keyctl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../lockdown/capabilities.h"
#include "../lockdown/console.h"
#include "../lockdown/devices.h"
#include "../lockdown/masks.h"
#include "../lockdown/seccomp_filter.h"
#include "common.h"
#include "fd_passing.h"
#include "idmap.h"
#include "init.h"
#include "image.h"
#include "mounts.h"
#include "netlink.h"
#include "options.h"
#include "setup_error.h"
#include "signals.h"
#include "state.h"
#include "supervise.h"

#define PEER_NAME "eth0"       /* the veth end inside the container */
#define CGROUP_PREFIX "basic_container-"


struct container {
	struct options opt;
	bool as_root;                  /* the runtime runs as root */
	int image;                     /* the image directory, opened once */
	char image_path[PATH_MAX];     /* rootless: where the child finds it */
	struct state state;
	bool has_state;
	struct bridge bridge;          /* when networked */
	struct netlink nl;             /* the parent's, on the host */
	struct cgroup cgroup;
	int has_cgroup;
	int sync[2];                   /* [0] the parent's end, [1] the child's */
	pid_t pid;                     /* the child, as the host sees it */
	int pidfd;                     /* the child, for good (see supervise.h) */
	int sigfd;                     /* the signals we pass on */
	int master;                    /* its terminal's master, or -1 */
	char veth[IF_NAMESIZE];        /* the host end */
	sigset_t old_mask;             /* the caller's, before we blocked signals */
	int has_terminal;              /* we gave the terminal to the container */
	bool has_console;              /* the container has a pty of its own */
};


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

/* The container gets our stdin, stdout and stderr, as they are. A directory
 * (or a bare O_PATH descriptor) there would be a way into the host's tree:
 * /proc/self/fd/0/etc/passwd. */
static void check_standard_fds(void)
{
	static const char *const names[] = { "stdin", "stdout", "stderr" };
	struct stat st;

	for (int fd = 0; fd < 3; fd++) {
		int flags = fcntl(fd, F_GETFL);

		if (flags == -1 || fstat(fd, &st) == -1)
			continue;       /* closed: the container gets it closed */
		if (S_ISDIR(st.st_mode) || (flags & O_PATH))
			fatal("%s is a directory or a path of the host: refused (the container "
			      "could reach the host's files through it)", names[fd]);
	}
}

/* The image and the volumes' directories, opened once each: from here on
 * only their descriptors are used (see image.h). */
static void open_host_dirs(struct container *c)
{
	c->image = open_host_dir(c->opt.rootfs, "rootfs");
	if (!c->as_root && realpath(c->opt.rootfs, c->image_path) == NULL)
		errExit("realpath %s", c->opt.rootfs);
	for (int i = 0; i < c->opt.nvolumes; i++)
		c->opt.volumes[i].fd = open_host_dir(c->opt.volumes[i].host, "volume");
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

static void abandon(struct container *c, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));

/* A container whose runtime died may have left cgroups, with processes in
 * them (a PID 1 that changed its credentials loses its parent-death signal):
 * kill them and remove the cgroups, found where the container recorded them
 * (the runtime that finds them may sit in another cgroup: on v1 they are
 * made under their runtime's own). */
static int remove_dead_cgroups(int dir, const char *id)
{
	char list[4 * PATH_MAX], *line, *save = NULL;
	struct cgroup stale;
	int fd = openat(dir, "cgroups", O_RDONLY | O_NOFOLLOW | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd == -1 && errno == ENOENT) {
		/* Killed before it wrote the list: look where we make ours. */
		snprintf(list, sizeof(list), CGROUP_PREFIX "%s", id);
		if (cgroup_remove_stale(&stale, list) == -1) {
			warnMsg("container %s: %s", id, cgroup_error(&stale));
			return -1;
		}
		return 0;
	}
	if (fd == -1)
		return -1;
	n = read(fd, list, sizeof(list) - 1);
	close(fd);
	if (n == -1)
		return -1;
	list[n] = '\0';
	for (line = strtok_r(list, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (cgroup_remove_stale_at(&stale, line) == -1) {
			warnMsg("container %s: %s", id, cgroup_error(&stale));
			ret = -1;
		}
	}
	return ret;
}

/* Our address on the bridge is ours alone in this network namespace. */
static uint64_t own_netns(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) == -1)
		errExit("stat /proc/self/ns/net");
	return st.st_ino;
}

static void check_address_free(const struct container *c, const struct claims *mine,
			       const struct claim_list *living)
{
	char ip[INET_ADDRSTRLEN];

	for (size_t i = 0; i < living->count; i++) {
		if (living->items[i].address == mine->address && living->items[i].netns == mine->netns) {
			inet_ntop(AF_INET, &c->opt.ip, ip, sizeof(ip));
			fatal("%s is in use by a running container on %s", ip, c->opt.bridge);
		}
	}
}

/* As root: under STATE_ROOT's lock, remove what dead containers left, pick
 * our host IDs and check our address against the living, and make our
 * state directory, which records both (see state.h). */
static void claim_state(struct container *c)
{
	struct claim_list living;
	struct claims mine = { 0 };

	if (state_lock_and_clean(&c->state, remove_dead_cgroups, &living) == -1)
		fatal("%s", setup_error());
	if (plan_id_map(&c->opt.ids, &living) == -1) {
		state_unlock(&c->state);
		fatal("%s", setup_error());
	}
	if (c->opt.ids.count > 1) {
		mine.id_base = c->opt.ids.base;
		mine.id_count = c->opt.ids.count;
	}
	if (c->opt.networked) {
		mine.netns = own_netns();
		mine.address = c->opt.ip.s_addr;
		check_address_free(c, &mine, &living);
	}
	free_claims(&living);
	if (state_create(&c->state, &mine, c->opt.ids.base) == -1) {
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", setup_error());
		state_remove(&c->state);
		fatal("%s", msg);
	}
	c->has_state = true;
}

/* As root, every container gets a cgroup, limits or not: the kernel's way to
 * find (and kill) all of its processes, the place for its device policy,
 * and what it sees of itself at /sys/fs/cgroup. A plain user gets one only
 * for limits, where the system delegated it a subtree. */
static void create_cgroup(struct container *c)
{
	char name[64], dirs[4 * PATH_MAX] = "";

	if (c->has_state)
		snprintf(name, sizeof(name), CGROUP_PREFIX "%s", c->state.id);
	else
		snprintf(name, sizeof(name), CGROUP_PREFIX "%ld", (long)getpid());
	if (c->as_root)
		c->opt.limits.controllers = CG_CONTAINER;
	if (cgroup_open(&c->cgroup, name, &c->opt.limits) == -1)
		fatal("%s", cgroup_error(&c->cgroup));
	c->has_cgroup = 1;
	if (!c->has_state)
		return;
	/* Where they are, for the run that finds us dead (see above). */
	for (int i = 0; i < CG_NCONTROLLERS; i++)
		if (c->cgroup.dir[i][0] && strlen(dirs) + strlen(c->cgroup.dir[i]) + 2 < sizeof(dirs))
			strcat(strcat(dirs, c->cgroup.dir[i]), "\n");
	if (state_write(&c->state, "cgroups", dirs) == -1)
		abandon(c, "%s", setup_error());
}

/* Step 5: the device nodes the container may open, whatever its mounts say
 * (see lockdown/devices.h). */
static void restrict_devices(struct container *c)
{
	const char *dir = c->cgroup.version == 2 ? c->cgroup.dir[0] : c->cgroup.dir[CG_DEVICES];

	if (devices_restrict(dir, c->cgroup.version) == -1)
		abandon(c, "%s", setup_error());
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

/* Rootless, the runtime could not copy the image's mount: we do, by the
 * path the runtime resolved, in our own mount namespace (where we are root),
 * and check that it is still the directory the runtime opened. */
static int copy_own_mount(int opened, const char *path, const char *what)
{
	struct stat want, got;
	int tree = copy_mount(AT_FDCWD, path, 0);

	if (tree == -1)
		return -1;
	if (fstat(opened, &want) == -1 || fstat(tree, &got) == -1 ||
	    want.st_dev != got.st_dev || want.st_ino != got.st_ino) {
		close(tree);
		return setup_fail_msg("%s %s changed while the container started", what, path);
	}
	return tree;
}

/* The mounts the runtime made for us (the image, then each volume), each a
 * message with a descriptor; rootless, we make them ourselves. */
static int receive_mounts(struct container *c, int *image, int volumes[])
{
	char other[64];

	if (!c->as_root) {
		*image = copy_own_mount(c->image, c->image_path, "rootfs");
		for (int i = 0; *image != -1 && i < c->opt.nvolumes; i++)
			if ((volumes[i] = copy_own_mount(c->opt.volumes[i].fd, c->opt.volumes[i].host,
							 "volume")) == -1)
				return -1;
		return *image == -1 ? -1 : 0;
	}
	if ((*image = recv_fd(c->sync[1], 'i', other, sizeof(other))) == -1)
		return setup_fail("receive the image from the runtime");
	for (int i = 0; i < c->opt.nvolumes; i++)
		if ((volumes[i] = recv_fd(c->sync[1], 'v', other, sizeof(other))) == -1)
			return setup_fail("receive volume %s from the runtime", c->opt.volumes[i].spec);
	return 0;
}

/* Where the root is mounted: with a state directory, its merged/;
 * rootless, over the image's own directory (in our namespace only). */
static int open_attach_point(const struct container *c)
{
	char path[PATH_MAX];
	int fd;

	if (!c->has_state)
		return open(c->image_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (state_path(&c->state, "merged", path, sizeof(path)) == -1)
		return -1;
	fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return setup_fail("open %s", path);
	return fd;
}

/* The image under the container's own layer (or written through), its
 * volumes, its /etc files, then /proc, /sys and /dev, and into it. The
 * pseudo filesystems come last, so that nothing can be mounted over them. */
static int enter_filesystem(struct container *c)
{
	char ip_text[INET_ADDRSTRLEN];
	int image, volumes[MAX_VOLUMES], at, root, proc, sys, ret = -1;
	bool layer = c->has_state && !c->opt.write_through;

	if (receive_mounts(c, &image, volumes) == -1 || make_mounts_private() == -1)
		return -1;
	at = open_attach_point(c);
	if (at == -1)
		return -1;
	root = mount_root(image, layer ? c->state.dir : NULL, at);
	close(at);
	if (root == -1)
		return -1;
	/* The /etc files before the volumes: their mount points are made in
	 * the layer, never in a host directory mounted on /etc. */
	inet_ntop(AF_INET, &c->opt.ip, ip_text, sizeof(ip_text));
	if (mount_etc_files(root, c->opt.hostname, c->opt.networked ? ip_text : NULL) == -1)
		goto out;
	for (int i = 0; i < c->opt.nvolumes; i++)
		if (mount_volume(root, c->opt.volumes[i].target, volumes[i]) == -1)
			goto out;
	if ((proc = mount_proc(root)) == -1)
		goto out;
	sys = mount_sys(root, c->has_cgroup ? &c->cgroup : NULL);
	if (sys != -1 && !c->opt.unlocked && mask_kernel_files(proc, sys) == -1) {
		close(sys);
		sys = -1;
	}
	close(proc);
	if (sys == -1)
		goto out;
	close(sys);
	if (mount_dev(root, c->opt.ids.count > 1) == -1 || pivot_into(root, c->opt.quiet) == -1)
		goto out;
	ret = 0;
out:
	close(root);
	return ret;
}

/* Until now we are who the runtime was on the host: root there, user 0,
 * which a range map leaves out of our namespace (we show as 65534, nobody).
 * Taking the namespace's own root, its ID 0, makes us host user BASE: the
 * capabilities the clone gave us in our namespace stay (capabilities(7)),
 * and every file we make belongs to the container's root. The runtime's
 * supplementary groups go too (when setgroups(2) is allowed). */
static int become_root(const struct container *c)
{
	if (setresgid(0, 0, 0) == -1)
		return setup_fail("setresgid(0, 0, 0) in the container");
	if (c->opt.ids.setgroups && setgroups(0, NULL) == -1)
		return setup_fail("setgroups(0, NULL) in the container");
	if (setresuid(0, 0, 0) == -1)
		return setup_fail("setresuid(0, 0, 0) in the container");
	/* A change of credentials clears the parent-death signal (prctl(2)):
	 * set it again. Should the runtime have died in between, the next
	 * wait_for_parent() reads end of file. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		return setup_fail("prctl(PR_SET_PDEATHSIG)");
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

	if (wait_for_parent(c) == -1 || become_root(c) == -1)
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

/* A session keyring of our own (keyrings(7)): the one we inherited is the
 * caller's, and its keys (a login's secrets) would be ours to read. */
static int join_new_keyring(void)
{
	if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) == -1)
		return setup_fail("keyctl(KEYCTL_JOIN_SESSION_KEYRING)");
	return 0;
}

/* A session of its own, so that no terminal of the caller's is the
 * container's controlling one (TIOCSTI could type into it: bubblewrap's
 * CVE-2017-5226); at a terminal, a pseudo-terminal of its own in its own
 * /dev/pts, whose master the runtime relays (see lockdown/console.h). */
static int start_own_session(const struct container *c)
{
	int master;

	if (!c->has_console)
		return new_session();
	master = console_create();
	if (master == -1)
		return -1;
	if (send_fd(c->sync[1], 't', master) == -1) {
		close(master);
		return setup_fail("send the terminal to the runtime");
	}
	close(master);
	return 0;
}

/* Step 5, in this order: the keyring before the filter, which forbids
 * keyctl(2); the filter while we still hold CAP_SYS_ADMIN in our user
 * namespace, which the kernel asks of a process that loads one without
 * no_new_privs (seccomp(2)); the capabilities last. */
static int lock_down(const struct container *c)
{
	if (c->opt.no_new_privs && set_no_new_privs() == -1)
		return -1;
	if (c->opt.unlocked)
		return 0;
	if (join_new_keyring() == -1 || start_own_session(c) == -1 || seccomp_load_default() == -1)
		return -1;
	return caps_apply(c->opt.capabilities);
}

/* Do two NAME=VALUE settings name the same variable? */
static bool same_name(const char *a, const char *b)
{
	size_t len = strcspn(a, "=");

	return strncmp(a, b, len) == 0 && b[len] == '=';
}

/* Is setting i of the list (a default, or an -e) replaced by a later -e? */
static bool replaced_later(const struct options *o, const char *setting, int after)
{
	for (int j = after; j < o->nenv; j++)
		if (same_name(setting, o->env[j]))
			return true;
	return false;
}

/* The command's environment: a few variables of the container's own, as
 * Docker gives them (and systemd's container= convention), then -e, the
 * last of a name winning; nothing of the caller's (its SUDO_USER, its
 * SSH_AUTH_SOCK, ...). */
static void clean_environment(const struct container *c)
{
	static char hostname[HOST_NAME_MAX + 16], term[256];
	static char *env[MAX_ENV + 8];
	const char *caller_term = getenv("TERM");
	const char *defaults[5] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", hostname,
		"HOME=/root", "container=basic_container", NULL,
	};
	int n = 0;

	snprintf(hostname, sizeof(hostname), "HOSTNAME=%s", c->opt.hostname);
	if (c->has_console) {
		snprintf(term, sizeof(term), "TERM=%s", caller_term ? caller_term : "xterm");
		defaults[4] = term;
	}
	for (int i = 0; i < 5; i++)
		if (defaults[i] != NULL && !replaced_later(&c->opt, defaults[i], 0))
			env[n++] = (char *)defaults[i];
	for (int i = 0; i < c->opt.nenv; i++)
		if (!replaced_later(&c->opt, c->opt.env[i], i + 1))
			env[n++] = (char *)c->opt.env[i];
	env[n] = NULL;
	environ = env;
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

static void container_main(struct container *c) __attribute__((noreturn));
/* The container's eth0 gets no IPv6 (it is born with the default settings
 * of our network namespace): no link-local address, no router
 * advertisement taken from a neighbour (CVE-2020-10749: a container that
 * sends one becomes the others' router). lo keeps ::1. Done before the
 * runtime may create eth0; the capability to do it (CAP_NET_ADMIN over our
 * network namespace) is ours from the clone on. */
static void no_ipv6_on_new_links(void)
{
	if (write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1") == -1 &&
	    errno != ENOENT)
		errExitChild("write 1 to /proc/sys/net/ipv6/conf/default/disable_ipv6");
}

static void container_main(struct container *c)
{
	if (close(c->sync[0]) == -1)
		errExitChild("close the parent's end of the sync socket");
	/* Never outlive the runtime: if it dies, so does PID 1, and with it
	 * the whole PID namespace. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		errExitChild("prctl(PR_SET_PDEATHSIG)");
	no_ipv6_on_new_links();
	if (setup_container(c) == -1 || lock_down(c) == -1)
		report_setup_failure(c);
	if (!c->opt.unlocked)
		clean_environment(c);
	/* Our init keeps the signals blocked until it has forked the command,
	 * and closes the sync socket itself. */
	if (c->opt.init)
		run_as_init(c->opt.command, &c->old_mask);
	if (prepare_exec(c) == -1)
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

/* The layer with the rest: what fails here, the next run removes. */
static void remove_state(struct container *c)
{
	if (c->has_state && state_remove(&c->state) == -1)
		warnMsg("remove %s: %s", c->state.dir, setup_error());
	c->has_state = false;
}

/* Kill the half-made container, remove what we made, exit 125. */
static void abandon(struct container *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	console_restore();
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
	remove_state(c);
	fatal("%s", msg);
}

static void create_sync_channel(struct container *c)
{
	/* SEQPACKET keeps an error message in one piece; CLOEXEC makes the
	 * child's exec visible to the parent as end of file. */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, c->sync) == -1)
		errExit("socketpair(AF_UNIX, SOCK_SEQPACKET)");
}

/* clone3(2), as fork(2) does it (no new stack: the child runs on a copy of
 * ours), into the new namespaces. CLONE_PIDFD hands us a pidfd for the
 * child (see supervise.h). On cgroup v2, CLONE_INTO_CGROUP starts it in its
 * cgroup (Linux 5.7): moving a process into a cgroup afterwards waits for
 * an RCU grace period in the kernel, often longer than the rest of the
 * start. The cgroup namespace is left to the child: see setup_container(). */
static void start_child(struct container *c)
{
	struct clone_args args = {
		.flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
			 CLONE_NEWNET | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&c->pidfd,
		.exit_signal = SIGCHLD,
	};
	int cgroup_fd = -1;

	if (c->has_cgroup && c->cgroup.version == 2) {
		cgroup_fd = open(c->cgroup.dir[0], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (cgroup_fd == -1)
			abandon(c, "open %s: %s", c->cgroup.dir[0], strerror(errno));
		args.flags |= CLONE_INTO_CGROUP;
		args.cgroup = (uint64_t)cgroup_fd;
	}
	say(&c->opt, "[In main namespace] starting...\n");
	c->pid = (pid_t)syscall(SYS_clone3, &args, sizeof(args));
	if (c->pid == 0)
		container_main(c);
	if (c->pid == -1)
		abandon(c, "clone3(CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNS|CLONE_NEWUTS|"
			"CLONE_NEWIPC|CLONE_NEWNET%s): %s",
			cgroup_fd == -1 ? "" : "|CLONE_INTO_CGROUP", strerror(errno));
	if (cgroup_fd != -1)
		close(cgroup_fd);
	if (close(c->sync[1]) == -1)
		abandon(c, "close the child's end of the sync socket: %s", strerror(errno));
	say(&c->opt, "[In main namespace] %s: PID of child created by clone() is %ld\n",
	    program_invocation_short_name, (long)c->pid);
}

static void map_ids(struct container *c)
{
	if (write_id_maps(c->pid, &c->opt.ids) == -1)
		abandon(c, "%s", setup_error());
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

/* v1: move the child into its cgroup (v2 started it there). */
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
	if (!c->opt.unlocked || !isatty(STDIN_FILENO) || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return;
	if (setpgid(c->pid, c->pid) == -1)
		abandon(c, "setpgid(%ld): %s", (long)c->pid, strerror(errno));
	if (tcsetpgrp(STDIN_FILENO, c->pid) == -1)
		abandon(c, "tcsetpgrp(%ld): %s", (long)c->pid, strerror(errno));
	c->has_terminal = 1;
}

/* The child has gone while we spoke to it: a step failed, and its report
 * says which. */
static void hear_why_child_went(struct container *c) __attribute__((noreturn));
static void hear_why_child_went(struct container *c)
{
	hear_setup_report(c, 0);
	abandon(c, "the container died during its setup");
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
	hear_why_child_went(c);
}

/* Copy the mount at dirfd for the container, idmapped through its user
 * namespace (see image.h), and send it: one message, tag and descriptor. */
static void send_mount(struct container *c, int dirfd, const char *what, int userns,
		       unsigned attrs, char tag)
{
	int tree = copy_for_container(dirfd, what, userns, attrs);

	if (tree == -1)
		abandon(c, "%s", setup_error());
	if (send_fd(c->sync[0], tag, tree) == -1) {
		if (errno != EPIPE && errno != ECONNRESET)
			abandon(c, "send %s to the container: %s", what, strerror(errno));
		close(tree);
		hear_why_child_went(c);
	}
	close(tree);
}

/* As root, the image and the volumes go to the container as mounts we
 * made: a copy of each, idmapped through its user namespace unless the
 * container has the seed's one-ID map. A plain user may not copy the host's
 * mounts: the child does that itself (receive_mounts()). */
static void send_mounts(struct container *c)
{
	char path[64];
	int userns = -1;

	if (!c->as_root)
		return;
	if (c->opt.ids.count > 1) {
		snprintf(path, sizeof(path), "/proc/%ld/ns/user", (long)c->pid);
		userns = open(path, O_RDONLY | O_CLOEXEC);
		if (userns == -1)
			abandon(c, "open %s: %s", path, strerror(errno));
	}
	/* nodev: a device node in an image (or a volume) opens nothing. */
	send_mount(c, c->image, c->opt.rootfs, userns, MOUNT_ATTR_NODEV, 'i');
	for (int i = 0; i < c->opt.nvolumes; i++) {
		const struct volume *v = &c->opt.volumes[i];

		send_mount(c, v->fd, v->host, userns, MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID |
			   (v->read_only ? MOUNT_ATTR_RDONLY : 0), 'v');
	}
	if (userns != -1)
		close(userns);
}

/* Hear how the child's setup went: end of file means it reached exec. */
static void wait_for_setup(struct container *c)
{
	hear_setup_report(c, 0);
	if (close(c->sync[0]) == -1)
		abandon(c, "close the sync socket: %s", strerror(errno));
}

/* Every signal that would end us waits in a signalfd from the start (see
 * signals.h): one that comes during the setup goes to the command once it
 * runs, instead of being lost on a child that is not yet the command. */
static void block_signals(struct container *c)
{
	c->sigfd = block_runtime_signals(&c->old_mask);
	if (c->sigfd == -1)
		errExit("block the runtime's signals");
}

/* The master of the container's terminal, which it sends once it has made
 * it; or the message of a step that failed before. One ECONNRESET may come
 * first (see hear_setup_report()). */
static void receive_console(struct container *c)
{
	char other[600];

	for (int tries = 0; c->master == -1; tries++) {
		c->master = recv_fd(c->sync[0], 't', other, sizeof(other));
		if (c->master != -1)
			break;
		if (errno == EPROTO)
			abandon(c, "container setup failed: %s", other);
		if (errno != ECONNRESET || tries == 1)
			abandon(c, "the container died during its setup");
	}
	/* A new terminal is 0 by 0 until told otherwise. */
	if (console_copy_size(c->master) == -1)
		abandon(c, "copy the window size to the container's terminal: %s", strerror(errno));
}

/* The container runs: pass signals on, relay its terminal, wait for its end
 * (see supervise.h). */
static int supervise_container(struct container *c)
{
	struct supervision s = { .pid = c->pid, .pidfd = c->pidfd, .sigfd = c->sigfd,
				 .master = c->master };
	int wstatus;

	if (c->master != -1 && console_enter_raw() == -1)
		abandon(c, "put the terminal in raw mode: %s", strerror(errno));
	wstatus = supervise(&s);
	console_restore();
	if (wstatus == -1)
		abandon(c, "supervise the container: %s", strerror(errno));
	c->pid = -1;
	if (s.master != -1)
		close(s.master);
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
	struct container c = { .pid = -1, .pidfd = -1, .sigfd = -1, .master = -1, .nl.fd = -1,
			       .as_root = geteuid() == 0 };
	int status;

	parse_options(argc, argv, &c.opt);
	check_standard_fds();
	open_host_dirs(&c);
	if (c.opt.networked)
		check_network(&c);
	if (c.as_root)
		claim_state(&c);
	else if (plan_id_map(&c.opt.ids, &(struct claim_list){ 0 }) == -1)
		fatal("%s", setup_error());
	block_signals(&c);
	create_sync_channel(&c);
	if (c.as_root || cgroup_has_limits(&c.opt.limits))
		create_cgroup(&c);
	if (c.as_root && !c.opt.unlocked)
		restrict_devices(&c);
	c.has_console = !c.opt.unlocked && console_wanted();
	start_child(&c);
	map_ids(&c);
	if (c.has_cgroup && c.cgroup.version == 1)
		add_to_cgroup(&c);
	give_terminal(&c);
	release_child(&c);              /* to mount its filesystems */
	send_mounts(&c);
	if (c.opt.networked)
		attach_veth(&c);
	release_child(&c);              /* to configure its network */
	if (c.has_console)
		receive_console(&c);
	wait_for_setup(&c);
	status = supervise_container(&c);
	if (c.has_terminal)
		take_terminal_back();
	if (c.has_cgroup)
		remove_cgroup(&c);
	remove_state(&c);
	netlink_close(&c.nl);
	say(&c.opt, "[In main namespace] %s: terminating\n", program_invocation_short_name);
	return status;
}
