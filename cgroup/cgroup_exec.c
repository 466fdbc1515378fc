/* cgroup_exec.c: run a command in a cgroup of its own, with limits.
 *
 * Usage: cgroup_exec [-m SIZE] [-p PIDS] [-c CPUS] [--] CMD [ARG...]
 *
 * What cgcreate + cgexec + cgdelete do, in one program: make a cgroup under
 * our own, set the limits, run CMD inside it, wait, say whether the OOM
 * killer struck, remove the cgroup (killing whatever CMD left in it), and
 * exit with CMD's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "common.h"

static const char usage_text[] =
	"[-m SIZE] [-p PIDS] [-c CPUS] [--] CMD [ARG...]\n"
	"\n"
	"Run CMD in a new cgroup with the given limits (at least one), then remove\n"
	"the cgroup, killing whatever CMD left in it.\n"
	"\n"
	"Options:\n"
	"  -m SIZE  memory limit, swap off; suffix K, M, G or T (e.g. 5M)\n"
	"  -p PIDS  most tasks at once (fork fails with EAGAIN beyond)\n"
	"  -c CPUS  CPU time, in CPUs: 0.2 is a fifth of one CPU (0.01 to 1000)\n"
	"  -h       this help\n"
	"\n"
	"Exit status: CMD's own; 125 when cgroup_exec fails, 126 when CMD cannot be\n"
	"run, 127 when it is not found, 128+N when it died of signal N (137 after\n"
	"the OOM killer). Cgroups need root.\n";

struct options {
	struct cgroup_limits lim;
	const char *memory_text; /* -m as the user wrote it, for messages */
	char **command;
};

/* The signals we forward to CMD rather than die of: dying would leave the
 * cgroup behind. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

static volatile sig_atomic_t child_pid;

static void parse_options(int argc, char *argv[], struct options *opts)
{
	int opt;

	memset(opts, 0, sizeof(*opts));
	/* "+": stop at the first non-option, so CMD's own options pass through. */
	while ((opt = getopt(argc, argv, "+hm:p:c:")) != -1) {
		switch (opt) {
		case 'm':
			opts->memory_text = optarg;
			/* fall through */
		case 'p':
		case 'c':
			cgroup_parse_limit(opt, optarg, &opts->lim);
			break;
		case 'h':
			usage_exit(0, usage_text);
		default:
			usage_exit(EXIT_CANCELED, usage_text);
		}
	}
	if (optind == argc)
		usage_exit(EXIT_CANCELED, usage_text);
	if (!cgroup_has_limits(&opts->lim))
		fatal("nothing to limit: give -m, -p or -c");
	opts->command = &argv[optind];
}

static void forward_signal(int sig)
{
	int saved_errno = errno;

	if (child_pid > 0)
		kill(child_pid, sig);
	errno = saved_errno;
}

/* Block the forwarded signals (old mask into *old_mask) and install the
 * forwarder (old actions into old_actions). Blocked until CMD is in the
 * cgroup: from then on a signal goes to CMD, and we remove the cgroup after
 * CMD ends. */
static void catch_signals(sigset_t *old_mask, struct sigaction old_actions[])
{
	struct sigaction sa = { .sa_handler = forward_signal };
	sigset_t set;

	sigemptyset(&set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, old_mask) == -1)
		errExit("sigprocmask");
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		if (sigaction(forwarded[i], &sa, &old_actions[i]) == -1)
			errExit("sigaction %s", strsignal(forwarded[i]));
}

/* Make our cgroup, named after us so that it is unique, or exit 125. */
static void open_cgroup(struct cgroup *cg, const struct cgroup_limits *lim)
{
	char name[64];

	snprintf(name, sizeof(name), "cgroup_exec-%d", (int)getpid());
	if (cgroup_open(cg, name, lim) == -1)
		fatal("%s%s", cgroup_error(cg), geteuid() != 0 ? " (cgroups need root)" : "");
}

/* After an error was reported: remove the cgroup, then exit 125. */
static void remove_and_exit(struct cgroup *cg) __attribute__((noreturn));
static void remove_and_exit(struct cgroup *cg)
{
	if (cgroup_remove(cg) == -1)
		warnMsg("%s", cgroup_error(cg));
	exit(EXIT_CANCELED);
}

/* In the child: wait until the parent has put us in the cgroup, restore the
 * signal handling we were started with, and exec CMD. The wait matters: a
 * process joins a cgroup only when someone writes its PID to cgroup.procs,
 * which our parent can do only after fork(). Were we to exec at once, CMD
 * could allocate, fork or spin before it was moved, outside the limits; and
 * its children forked before the move would stay outside for good. */
static void run_command(int release_fd, char *command[], const sigset_t *old_mask,
			const struct sigaction old_actions[])
{
	char byte;
	ssize_t n;

	do
		n = read(release_fd, &byte, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)       /* the parent gave up, and kills us anyway */
		_exit(EXIT_CANCELED);
	if (close(release_fd) == -1)
		errExitChild("close release pipe");
	for (size_t i = 0; i < NFORWARDED; i++)
		if (sigaction(forwarded[i], &old_actions[i], NULL) == -1)
			errExitChild("sigaction %s", strsignal(forwarded[i]));
	if (sigprocmask(SIG_SETMASK, old_mask, NULL) == -1)
		errExitChild("sigprocmask");
	exec_command(command);
}

/* Fork the child that will run CMD once released through *release_fd. */
static pid_t start_child(struct cgroup *cg, char *command[], int *release_fd,
			 const sigset_t *old_mask, const struct sigaction old_actions[])
{
	int pipe_fds[2];
	pid_t pid;

	if (pipe2(pipe_fds, O_CLOEXEC) == -1) {
		errMsg("pipe2");
		remove_and_exit(cg);
	}
	fflush(stdout);
	pid = fork();
	if (pid == -1) {
		errMsg("fork");
		remove_and_exit(cg);
	}
	if (pid == 0) {
		if (close(pipe_fds[1]) == -1)
			errExitChild("close pipe write end");
		run_command(pipe_fds[0], command, old_mask, old_actions);
	}
	if (close(pipe_fds[0]) == -1) {
		errMsg("close pipe read end");
		remove_and_exit(cg);
	}
	*release_fd = pipe_fds[1];
	return pid;
}

/* Put the child into the cgroup and let it exec CMD. On failure kill it,
 * remove the cgroup and exit 125. */
static void enter_cgroup(struct cgroup *cg, pid_t pid, int release_fd)
{
	if (cgroup_add_process(cg, pid) == -1)
		warnMsg("%s", cgroup_error(cg));
	else if (write(release_fd, "x", 1) != 1)
		errMsg("write to release pipe");
	else if (close(release_fd) == -1)
		errMsg("close release pipe");
	else
		return;
	if (kill(pid, SIGKILL) == -1)
		errMsg("kill %d", (int)pid);
	if (waitpid(pid, NULL, 0) == -1)
		errMsg("waitpid %d", (int)pid);
	remove_and_exit(cg);
}

/* Wait for CMD; the forwarded signals interrupt waitid(2). WNOWAIT leaves
 * CMD a zombie until the forwarder has forgotten its PID, so that no signal
 * can reach another process that reuses the number. */
static int wait_child(struct cgroup *cg, pid_t pid)
{
	siginfo_t info;
	int status;

	while (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) == -1) {
		if (errno != EINTR) {
			errMsg("waitid %d", (int)pid);
			remove_and_exit(cg);
		}
	}
	child_pid = 0;
	if (waitpid(pid, &status, 0) == -1) {
		errMsg("waitpid %d", (int)pid);
		remove_and_exit(cg);
	}
	return status;
}

/* Say on stderr when the OOM killer struck in the cgroup. */
static void report_oom(const struct cgroup *cg, const struct options *opts, int status)
{
	long kills = cgroup_oom_kills(cg);

	if (kills <= 0)
		return;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
		warnMsg("%s was killed by the OOM killer (memory limit %s)",
			opts->command[0], opts->memory_text);
	else
		warnMsg("the OOM killer killed %ld process%s of %s (memory limit %s)",
			kills, kills == 1 ? "" : "es", opts->command[0], opts->memory_text);
}

int main(int argc, char *argv[])
{
	static struct cgroup cg;
	struct sigaction old_actions[NFORWARDED];
	struct options opts;
	sigset_t old_mask;
	int release_fd, status;
	pid_t pid;

	parse_options(argc, argv, &opts);
	catch_signals(&old_mask, old_actions);
	open_cgroup(&cg, &opts.lim);
	pid = start_child(&cg, opts.command, &release_fd, &old_mask, old_actions);
	enter_cgroup(&cg, pid, release_fd);
	child_pid = pid;
	if (sigprocmask(SIG_SETMASK, &old_mask, NULL) == -1) {
		errMsg("sigprocmask");
		remove_and_exit(&cg);
	}
	status = wait_child(&cg, pid);
	report_oom(&cg, &opts, status);
	/* Whatever CMD left running in the cgroup dies with it, as in a
	 * container; a cgroup we cannot remove is reported, but CMD's status
	 * is what we exit with. */
	if (cgroup_remove(&cg) == -1)
		warnMsg("%s", cgroup_error(&cg));
	return exit_status_of(status);
}
