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
 * then lets it go. The child (child.c) sets its hostname, builds its root
 * filesystem (the image under a layer of its own, its volumes, /etc files, a
 * fresh /proc, /sys and /dev), pivots into it, configures its network, locks
 * itself down and execs CMD. The parent waits, passes signals on, exits with
 * CMD's status and removes what it made.
 */
#include <arpa/inet.h>
#include <linux/sched.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../cgroup/cgroup.h"
#include "../lockdown/console.h"
#include "../lockdown/devices.h"
#include "common.h"
#include "container.h"
#include "fd_passing.h"
#include "idmap.h"
#include "image.h"
#include "netlink.h"
#include "options.h"
#include "setup_error.h"
#include "signals.h"
#include "state.h"
#include "supervise.h"

#define CGROUP_PREFIX "basic_container-"

void say(const struct options *opt, const char *fmt, ...)
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

/* The netmask of a prefix length, in network byte order. */
static uint32_t netmask(int prefixlen)
{
	return prefixlen ? htonl(~0u << (32 - prefixlen)) : 0;
}

/* Whether ip lies in the subnet of prefix p. */
static bool in_subnet(struct in_addr ip, const struct ipv4_prefix *p)
{
	uint32_t mask = netmask(p->prefixlen);

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
	mask = netmask(gw->prefixlen);
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
	ssize_t n = 0;

	if (fd == -1 && errno != ENOENT)
		return -1;
	if (fd != -1) {
		n = read(fd, list, sizeof(list) - 1);
		close(fd);
		if (n == -1)
			return -1;
	}
	if (n == 0) {
		/* Killed before it wrote the list: find its cgroups by their
		 * name, which is its alone, wherever it made them. */
		snprintf(list, sizeof(list), CGROUP_PREFIX "%s", id);
		if (cgroup_remove_stale_named(&stale, list) == -1) {
			warnMsg("container %s: %s", id, cgroup_error(&stale));
			return -1;
		}
		return 0;
	}
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

/* A plain user's runs keep no state that says where their cgroups are: those
 * a kill -9 left under our parent are found by their names (PID and random
 * part) and their free locks (see cgroup.h), as cgroup_exec finds its own.
 * A failure is reported, and we go on with our own cgroup. */
static void remove_stale_user_cgroups(void)
{
	struct cgroup stale;

	if (cgroup_remove_stale(&stale, CGROUP_PREFIX "*-*") == -1)
		warnMsg("%s", cgroup_error(&stale));
}

/* As root, every container gets a cgroup, limits or not: the kernel's way to
 * find (and kill) all of its processes, the place for its device policy,
 * and what it sees of itself at /sys/fs/cgroup. A plain user gets one only
 * for limits, where the system delegated it a subtree. */
static void create_cgroup(struct container *c)
{
	char name[64], dirs[4 * PATH_MAX] = "";
	uint32_t suffix;

	/* Without a state directory (a plain user) the name is our PID and a
	 * random part: the kernel reuses PIDs, maybe while a killed run's
	 * cgroup still holds the name. */
	if (c->has_state) {
		snprintf(name, sizeof(name), CGROUP_PREFIX "%s", c->state.id);
	} else {
		remove_stale_user_cgroups();
		if (getrandom(&suffix, sizeof(suffix), 0) != sizeof(suffix))
			abandon(c, "getrandom: %s", strerror(errno));
		snprintf(name, sizeof(name), CGROUP_PREFIX "%ld-%08" PRIx32, (long)getpid(), suffix);
	}
	if (c->as_root)
		c->opt.limits.controllers = CG_CONTAINER;
	if (cgroup_open(&c->cgroup, name, &c->opt.limits) == -1)
		abandon(c, "%s", cgroup_error(&c->cgroup));
	c->has_cgroup = true;
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

/* Kill the half-made container and remove what we made. */
static void undo_start(struct container *c)
{
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
}

/* Kill the half-made container, remove what we made, exit 125. */
static void abandon(struct container *c, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	undo_start(c);
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
	c->has_terminal = true;
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
	send_mount(c, c->image, c->opt.rootfs, userns, IMAGE_ATTRS, 'i');
	for (int i = 0; i < c->opt.nvolumes; i++)
		send_mount(c, c->opt.volumes[i].fd, c->opt.volumes[i].host, userns,
			   volume_attrs(&c->opt.volumes[i]), 'v');
	if (userns != -1)
		close(userns);
}

/* A signal that would end us, come before we know the command runs: the
 * start stops, with nothing left behind, and we exit as that signal would
 * have ended us (128+N). Passed on, it would reach a PID 1 that has no
 * handler yet, and the kernel drops such a signal (pid_namespaces(7)): the
 * container would run on as if it had never been sent. Other signals (a
 * window size change, our own SIGPIPE) are read and let go. */
static void stop_on_signal(struct container *c)
{
	struct signalfd_siginfo si;
	ssize_t n = read(c->sigfd, &si, sizeof(si));

	if (n == -1 && errno == EINTR)
		return;
	if (n != sizeof(si))
		abandon(c, "read the signalfd: %s", n == -1 ? strerror(errno) : "short read");
	if (!is_for_container(&si))
		return;
	undo_start(c);
	warnMsg("SIG%s before the container's command started: stopped",
		sigabbrev_np((int)si.ssi_signo));
	exit(128 + (int)si.ssi_signo);
}

/* Hear how the child's setup went: end of file means it reached exec.
 * Until then every signal that would end us stops the start; one that
 * comes with the news of the exec too, for the command cannot have a
 * handler yet (see stop_on_signal()). */
static void wait_for_setup(struct container *c)
{
	struct pollfd p[2] = { { .fd = c->sigfd, .events = POLLIN },
			       { .fd = c->sync[0], .events = POLLIN } };

	for (;;) {
		if (poll(p, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			abandon(c, "poll the sync socket and the signalfd: %s", strerror(errno));
		}
		if (p[0].revents & POLLIN)
			stop_on_signal(c);
		else if (p[1].revents)
			break;
	}
	hear_setup_report(c, 0);
	if (close(c->sync[0]) == -1)
		abandon(c, "close the sync socket: %s", strerror(errno));
}

/* Every signal that would end us waits in a signalfd from the start (see
 * signals.h), before we make anything that a death would leave behind (our
 * state, our cgroups): one that comes during the setup stops it cleanly
 * (wait_for_setup()), one that comes later goes to the command. */
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

/* Stdin as a descriptor the relay may write the container's terminal to:
 * stdin itself, or, when it is open read-only (`</dev/tty`), the same
 * terminal opened again for writing. */
static int writable_stdin(struct container *c)
{
	int flags = fcntl(STDIN_FILENO, F_GETFL), fd;

	if (flags == -1)
		abandon(c, "fcntl(stdin, F_GETFL): %s", strerror(errno));
	if ((flags & O_ACCMODE) != O_RDONLY)
		return STDIN_FILENO;
	fd = open("/proc/self/fd/0", O_WRONLY | O_NOCTTY | O_CLOEXEC);
	if (fd == -1)
		abandon(c, "open /proc/self/fd/0 (the terminal on stdin) for writing: %s",
			strerror(errno));
	return fd;
}

/* The relay takes keys from stdin when it is one of the caller's
 * terminals, and shows the container's terminal on the first of stdout,
 * stderr and stdin that is (none without a terminal). */
static void relay_ends(struct container *c, struct supervision *s)
{
	s->in = c->terminals & (1u << STDIN_FILENO) ? STDIN_FILENO : -1;
	if (c->terminals & (1u << STDOUT_FILENO))
		s->out = STDOUT_FILENO;
	else if (c->terminals & (1u << STDERR_FILENO))
		s->out = STDERR_FILENO;
	else if (c->terminals & (1u << STDIN_FILENO))
		s->out = writable_stdin(c);
	else
		s->out = -1;
}

/* The container runs: pass signals on, relay its terminal, wait for its end
 * (see supervise.h). */
static int supervise_container(struct container *c)
{
	struct supervision s = { .pid = c->pid, .pidfd = c->pidfd, .sigfd = c->sigfd,
				 .master = c->master };
	int wstatus;

	relay_ends(c, &s);
	if (c->master != -1 && console_enter_raw() == -1)
		abandon(c, "put the terminal in raw mode: %s", strerror(errno));
	wstatus = supervise(&s);
	console_restore();
	if (wstatus == -1)
		abandon(c, "supervise the container: %s", strerror(errno));
	c->pid = -1;
	if (s.master != -1)
		close(s.master);
	if (s.out > STDERR_FILENO)
		close(s.out);
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

	block_signals(&c);
	parse_options(argc, argv, &c.opt);
	check_standard_fds();
	open_host_dirs(&c);
	if (c.opt.networked)
		check_network(&c);
	if (c.as_root)
		claim_state(&c);
	else if (plan_id_map(&c.opt.ids, &(struct claim_list){ 0 }) == -1)
		fatal("%s", setup_error());
	create_sync_channel(&c);
	if (c.as_root || cgroup_has_limits(&c.opt.limits))
		create_cgroup(&c);
	if (c.as_root && !c.opt.unlocked)
		restrict_devices(&c);
	c.terminals = caller_terminals();
	c.has_console = !c.opt.unlocked && c.terminals != 0;
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
