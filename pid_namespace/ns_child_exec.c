/* ns_child_exec.c: step 2 of the workshop, clone() into new namespaces.
 *
 *     ns_child_exec [options] CMD [ARG...]
 *
 * After Michael Kerrisk's ns_child_exec.c and userns_child_exec.c (TLPI):
 * clone() a child into the namespaces the options name; the child execs CMD
 * and the parent waits for it, then exits with CMD's status (125, 126, 127
 * and 128+N as in step 1). See namespaces(7) and clone(2).
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

#define STACK_SIZE (1024 * 1024)

static const char usage_text[] =
	"[options] CMD [ARG...]\n"
	"\n"
	"Run CMD in a child created by clone() in new namespaces; wait for it.\n"
	"\n"
	"Options:\n"
	"  -C  new cgroup namespace\n"
	"  -i  new IPC namespace\n"
	"  -m  new mount namespace (mounts made inside do not reach the host)\n"
	"  -n  new network namespace\n"
	"  -p  new PID namespace (/proc is not remounted: ps still shows the host's)\n"
	"  -u  new UTS namespace\n"
	"  -U  new user namespace\n"
	"  -z  with -U: map your user and group ID to root inside\n"
	"  -v  verbose: say what happens\n"
	"  -h  show this help\n";

/* One option per namespace, with its clone() flag. */
static const struct namespace_option {
	char option;
	int flag;
	const char *name;
} namespace_options[] = {
	{ 'C', CLONE_NEWCGROUP, "CLONE_NEWCGROUP" },
	{ 'i', CLONE_NEWIPC, "CLONE_NEWIPC" },
	{ 'm', CLONE_NEWNS, "CLONE_NEWNS" },
	{ 'n', CLONE_NEWNET, "CLONE_NEWNET" },
	{ 'p', CLONE_NEWPID, "CLONE_NEWPID" },
	{ 'u', CLONE_NEWUTS, "CLONE_NEWUTS" },
	{ 'U', CLONE_NEWUSER, "CLONE_NEWUSER" },
};

#define N_NAMESPACE_OPTIONS (sizeof(namespace_options) / sizeof(namespace_options[0]))

struct options {
	int flags;          /* CLONE_NEW* flags */
	bool map_root;      /* -z */
	bool verbose;       /* -v */
	char **cmd;
};

/* What the child needs; it gets a copy of our memory, as after fork(). */
struct child_args {
	char **cmd;
	int go[2];          /* the parent closes it when the child may go on */
	bool private_mounts;
};

/* The clone() flag of namespace option c, or 0 when c is no such option. */
static int namespace_flag(int c)
{
	for (size_t i = 0; i < N_NAMESPACE_OPTIONS; i++)
		if (namespace_options[i].option == c)
			return namespace_options[i].flag;
	return 0;
}

/* "CLONE_NEWPID|CLONE_NEWUTS" for flags, in buf; "none" for 0. */
static const char *flag_names(int flags, char *buf, size_t size)
{
	size_t len = 0;

	snprintf(buf, size, "none");
	for (size_t i = 0; i < N_NAMESPACE_OPTIONS; i++) {
		if (!(flags & namespace_options[i].flag))
			continue;
		len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "|" : "",
					namespace_options[i].name);
		if (len >= size)
			break;
	}
	return buf;
}

/* Options, then CMD; "+" stops getopt() at CMD, whose options reach it. */
static struct options parse_command_line(int argc, char *argv[])
{
	struct options o = { 0 };
	int opt;

	while ((opt = getopt(argc, argv, "+CimnpuUzvh")) != -1) {
		if (namespace_flag(opt))
			o.flags |= namespace_flag(opt);
		else if (opt == 'z')
			o.map_root = true;
		else if (opt == 'v')
			o.verbose = true;
		else if (opt == 'h')
			usage_exit(0, usage_text);
		else
			usage_exit(EXIT_CANCELED, usage_text);
	}
	if (o.map_root && !(o.flags & CLONE_NEWUSER)) {
		warnMsg("-z needs -U: there are ID maps only for a new user namespace");
		usage_exit(EXIT_CANCELED, usage_text);
	}
	if (optind >= argc)
		usage_exit(EXIT_CANCELED, usage_text);
	o.cmd = &argv[optind];
	return o;
}

/* Child, new mount namespace: stop mount events from crossing into it or
 * out of it. clone(CLONE_NEWNS) copies the parent's mounts with their
 * propagation type. systemd makes "/" shared, so a copy of a shared mount is
 * a peer of the original and a mount made here would appear on the host too
 * (mount_namespaces(7)). Private, recursively, cuts those links. */
static void make_mounts_private(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		errExitChild("mount(NULL, \"/\", MS_REC|MS_PRIVATE)");
}

/* The child's life, run by clone() on its own stack: wait, then become CMD. */
static int child_main(void *arg)
{
	struct child_args *args = arg;

	/* With -p the child is PID 1 of its namespace, and PID 1 ignores the
	 * signals it has no handler for: were we killed, it would run on with
	 * no parent. The kernel sends it SIGKILL when we die, and the setting
	 * survives execve() (prctl(2)). Should the parent die before this
	 * prctl(), no signal would ever come: then wait_for_go() below reads
	 * end of file on the pipe, whose write end died with the parent, and
	 * the child exits instead of running CMD. (getppid() cannot tell: in a
	 * new PID namespace it is 0 whoever the parent is.) */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		errExitChild("prctl(PR_SET_PDEATHSIG)");
	/* Why wait: with -U -z the parent writes our uid_map and gid_map after
	 * clone() returns. Until then our IDs inside the new user namespace are
	 * unmapped (we are "nobody", 65534), and an execve() done that early
	 * would run CMD with those IDs; the kernel also computes the
	 * capabilities of the new program at execve() from the IDs of that
	 * moment (user_namespaces(7)). Waiting always also keeps the parent's
	 * -v line before anything CMD prints. */
	wait_for_go(args->go);
	if (args->private_mounts)
		make_mounts_private();
	exec_command(args->cmd);
}

/* A 1 MiB stack for the child. clone() takes its top: it grows down on
 * every architecture Linux runs containers on. */
static void *allocate_stack_top(void)
{
	char *stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (stack == MAP_FAILED)
		errExit("mmap %d bytes for the child's stack", STACK_SIZE);
	return stack + STACK_SIZE;
}

/* clone() the child into the namespaces of flags; return its PID. */
static pid_t clone_child(int flags, struct child_args *args)
{
	char names[256];
	pid_t child;

	/* The child gets a copy of our stdio buffer: empty it first. */
	if (fflush(stdout) == EOF)
		errExit("write to stdout");
	/* SIGCHLD: the child's end is reported to us as a fork()ed one's is,
	 * so a plain waitpid() sees it. */
	child = clone(child_main, allocate_stack_top(), flags | SIGCHLD, args);
	if (child == -1)
		errExit("clone(%s)", flag_names(flags, names, sizeof(names)));
	return child;
}

/* Write "0 ID 1" to /proc/CHILD/FILE: ID outside is 0 inside. Returns 0, or
 * -1 with the error reported. */
static int write_id_map(pid_t child, const char *file, long id)
{
	char path[64], map[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)child, file);
	snprintf(map, sizeof(map), "0 %ld 1", id);
	if (write_file(path, map) == -1) {
		errMsg("write '%s' to %s", map, path);
		return -1;
	}
	return 0;
}

/* Map our user and group to root in the child's user namespace, as
 * `unshare -r` does. An unprivileged process may write gid_map only once
 * setgroups is "deny": else dropping a group with setgroups(2) inside
 * could open files that deny that group (user_namespaces(7)).
 * Returns 0, or -1 with the error reported. */
static int map_caller_to_root(pid_t child)
{
	char path[64];

	if (write_id_map(child, "uid_map", (long)getuid()) == -1)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/setgroups", (long)child);
	if (write_file(path, "deny") == -1) {
		errMsg("write 'deny' to %s", path);
		return -1;
	}
	return write_id_map(child, "gid_map", (long)getgid());
}

/* -v: the line that names the child. Returns 0, or -1 with errno set. */
static int announce_child(pid_t child)
{
	printf("%s [PID: %ld]: PID of child created by clone() is %ld\n",
	       program_invocation_short_name, (long)getpid(), (long)child);
	return fflush(stdout) == EOF ? -1 : 0;
}

/* Make the child ready to run CMD. Returns 0, or -1 with the error reported. */
static int prepare_child(const struct options *o, pid_t child)
{
	if (o->verbose && announce_child(child) == -1) {
		errMsg("write to stdout");
		return -1;
	}
	if (o->map_root)
		return map_caller_to_root(child);
	return 0;
}

int main(int argc, char *argv[])
{
	struct options o = parse_command_line(argc, argv);
	struct child_args args = {
		.cmd = o.cmd,
		.private_mounts = o.flags & CLONE_NEWNS,
	};
	pid_t child;
	int wstatus;

	if (pipe(args.go) == -1)
		errExit("pipe");
	child = clone_child(o.flags, &args);
	if (prepare_child(&o, child) == -1) {
		stop_child(child);
		return EXIT_CANCELED;
	}
	send_go(args.go);
	wstatus = wait_for_child(child);
	if (o.verbose)
		printf("%s: terminating\n", program_invocation_short_name);
	return exit_status_of(wstatus);
}
