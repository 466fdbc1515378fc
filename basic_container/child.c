/* child.c: the container, set up from the inside; see container.h.
 *
 * Cloned by the runtime into new user, PID, mount, UTS, IPC and network
 * namespaces, the child waits for its ID maps, becomes the root of its user
 * namespace, makes its own cgroup namespace, sets its hostname, builds its
 * root filesystem and pivots into it, configures its network, locks itself
 * down (step 5) and execs the command. Each step returns -1 after recording
 * what failed (setup_error.h); the child then sends that line to the runtime,
 * which reports it and exits 125.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../lockdown/capabilities.h"
#include "../lockdown/console.h"
#include "../lockdown/masks.h"
#include "../lockdown/seccomp_filter.h"
#include "common.h"
#include "container.h"
#include "fd_passing.h"
#include "init.h"
#include "mounts.h"
#include "setup_error.h"

extern char **environ;

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
 * with the attributes the runtime would give it, and check that it is still
 * the directory the runtime opened. */
static int copy_own_mount(int opened, const char *path, const char *what, unsigned attrs)
{
	struct stat want, got;
	int tree = copy_mount(AT_FDCWD, path, attrs, path);

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
		*image = copy_own_mount(c->image, c->image_path, "rootfs", IMAGE_ATTRS);
		for (int i = 0; *image != -1 && i < c->opt.nvolumes; i++)
			if ((volumes[i] = copy_own_mount(c->opt.volumes[i].fd, c->opt.volumes[i].host,
							 "volume", volume_attrs(&c->opt.volumes[i]))) == -1)
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
		snprintf(path, sizeof(path), "%s", c->image_path);
	else if (state_path(&c->state, "merged", path, sizeof(path)) == -1)
		return -1;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return setup_fail("open %s", path);
	return fd;
}

/* The image under the container's own layer (or written through), its /etc
 * files, its volumes, then /proc, /sys and /dev, and into it. The pseudo
 * filesystems come last, so that nothing can be mounted over them. */
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
	if (mount_etc_files(root, layer, c->opt.hostname, c->opt.networked ? ip_text : NULL) == -1)
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
	master = console_create(c->terminals);
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

/* Is setting (a default, or an -e) replaced by an -e from number after on? */
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

/* With -P the command keeps the caller's environment, as step 4 gave it;
 * -e still sets what it names, the last of a name winning. */
static int add_settings(const struct container *c)
{
	for (int i = 0; i < c->opt.nenv; i++)
		if (putenv((char *)c->opt.env[i]) != 0)
			return setup_fail("putenv(%s)", c->opt.env[i]);
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

/* The container's eth0 gets no IPv6 (it is born with the default settings
 * of our network namespace): no link-local address, no router
 * advertisement taken from a neighbour (CVE-2020-10749: a container that
 * sends one becomes the others' router). lo keeps ::1. Done before the
 * runtime may create eth0; the capability to do it (CAP_NET_ADMIN over our
 * network namespace) is ours from the clone on. */
static int no_ipv6_on_new_links(void)
{
	static const char path[] = "/proc/sys/net/ipv6/conf/default/disable_ipv6";

	/* ENOENT: a kernel without IPv6. */
	if (write_file(path, "1") == -1 && errno != ENOENT)
		return setup_fail("write 1 to %s", path);
	return 0;
}

void container_main(struct container *c)
{
	if (close(c->sync[0]) == -1)
		errExitChild("close the parent's end of the sync socket");
	/* Never outlive the runtime: if it dies, so does PID 1, and with it
	 * the whole PID namespace. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		errExitChild("prctl(PR_SET_PDEATHSIG)");
	if (no_ipv6_on_new_links() == -1 || setup_container(c) == -1 || lock_down(c) == -1)
		report_setup_failure(c);
	if (!c->opt.unlocked)
		clean_environment(c);
	else if (add_settings(c) == -1)
		report_setup_failure(c);
	/* Our init keeps the signals blocked until it has forked the command,
	 * and closes the sync socket itself. */
	if (c->opt.init)
		run_as_init(c->opt.command, &c->old_mask);
	if (prepare_exec(c) == -1)
		report_setup_failure(c);
	/* sync[1] is close-on-exec: the parent reads end of file once we exec. */
	exec_command(c->opt.command);
}
