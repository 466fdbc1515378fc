/* cgroup_exec.c: run a command in a cgroup of its own, with limits.
 *
 * Usage: cgroup_exec [-m SIZE] [-p PIDS] [-c CPUS] [--] CMD [ARG...]
 *
 * What cgcreate + cgexec + cgdelete do, in one program: make a cgroup under
 * our own, set the limits, run CMD inside it, wait, say whether the OOM
 * killer struck, remove the cgroup (killing whatever CMD left in it), and
 * exit with CMD's status.
 *
 * Nothing outlives us for good. A signal that would kill us is passed on to
 * CMD instead, and we clean up once CMD ends. SIGKILL cannot be caught: then
 * the kernel kills CMD (PR_SET_PDEATHSIG), and the next cgroup_exec removes
 * the cgroup we left and whatever still runs in it (cgroup_remove_stale()).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
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
	"Signals that would end cgroup_exec are passed on to CMD. Should cgroup_exec\n"
	"be killed, CMD dies too, and the next cgroup_exec removes the cgroup.\n"
	"\n"
	"Exit status: CMD's own; 125 when cgroup_exec fails, 126 when CMD cannot be\n"
	"run, 127 when it is not found, 128+N when it died of signal N (137 after\n"
	"the OOM killer). Cgroups need root.\n";

struct options {
	struct cgroup_limits lim;
	const char *memory_text; /* -m as the user wrote it, for messages */
	char **command;
};

/* The signals we pass on to CMD rather than die of (dying would leave the
 * cgroup behind), and how each was handled before, for CMD to start with. */
struct signals {
	sigset_t caught;
	sigset_t old_mask;
	struct sigaction old_actions[NSIG];
};

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

/* Catch every signal that would end us (termination_signals()), but those
 * we were started ignoring: a shell starts a background job with SIGINT and
 * SIGQUIT ignored, and CMD should stay as deaf as we were. They are blocked
 * first, then handled: no signal can arrive between the two and be lost.
 * They stay blocked until CMD is in the cgroup; from then on each goes to
 * CMD, and we remove the cgroup after CMD ends. */
static void catch_signals(struct signals *sigs)
{
	struct sigaction sa = { .sa_handler = forward_signal };

	termination_signals(&sigs->caught);
	for (int sig = 1; sig < NSIG; sig++) {
		if (!sigismember(&sigs->caught, sig))
			continue;
		if (sigaction(sig, NULL, &sigs->old_actions[sig]) == -1)
			errExit("sigaction %s", strsignal(sig));
		if (sigs->old_actions[sig].sa_handler == SIG_IGN)
			sigdelset(&sigs->caught, sig);
	}
	if (sigprocmask(SIG_BLOCK, &sigs->caught, &sigs->old_mask) == -1)
		errExit("sigprocmask");
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&sigs->caught, sig) && sigaction(sig, &sa, NULL) == -1)
			errExit("sigaction %s", strsignal(sig));
}

/* Remove the cgroups of cgroup_execs that were killed (SIGKILL leaves no
 * time to clean up), with whatever still runs in them. Their lock tells
 * them from the cgroups of cgroup_execs at work (see cgroup.h). A failure
 * is reported, and we go on with our own cgroup. */
static void remove_stale_cgroups(void)
{
	static struct cgroup stale;

	if (cgroup_remove_stale(&stale, "cgroup_exec-*") == -1)
		warnMsg("%s", cgroup_error(&stale));
}

/* Make our cgroup, or exit 125. Its name carries our PID for readers, and a
 * random part: a PID is reused, maybe while the cgroup of a cgroup_exec that
 * was killed with that PID still waits for removal. */
static void open_cgroup(struct cgroup *cg, const struct cgroup_limits *lim)
{
	char name[64];
	uint32_t suffix;

	if (getrandom(&suffix, sizeof(suffix), 0) != sizeof(suffix))
		errExit("getrandom");
	snprintf(name, sizeof(name), "cgroup_exec-%d-%08x", (int)getpid(), suffix);
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

/* In the child: ask the kernel to kill us when our parent dies, wait until
 * the parent has put us in the cgroup, restore the signal handling we were
 * started with, and exec CMD.
 * The parent-death signal (prctl(2)) is kept across execve() and so holds
 * for CMD. The classic race: the parent may die before the prctl(), and
 * then no signal will ever come. Our wait closes it: a dead parent's end of
 * the release pipe is closed, so read() returns end of file and we exit.
 * The wait matters for the limits too: a process joins a cgroup only when
 * someone writes its PID to cgroup.procs, which our parent can do only after
 * fork(). Were we to exec at once, CMD could allocate, fork or spin before
 * it was moved, outside the limits; and its children forked before the move
 * would stay outside for good. */
static void run_command(int release_fd, char *command[], const struct signals *sigs)
{
	char byte;
	ssize_t n;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		errExitChild("prctl(PR_SET_PDEATHSIG)");
	do
		n = read(release_fd, &byte, 1);
	while (n == -1 && errno == EINTR);
	if (n != 1)       /* the parent gave up or died, and kills us anyway */
		_exit(EXIT_CANCELED);
	if (close(release_fd) == -1)
		errExitChild("close release pipe");
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&sigs->caught, sig) &&
		    sigaction(sig, &sigs->old_actions[sig], NULL) == -1)
			errExitChild("sigaction %s", strsignal(sig));
	if (sigprocmask(SIG_SETMASK, &sigs->old_mask, NULL) == -1)
		errExitChild("sigprocmask");
	exec_command(command);
}

/* Fork the child that will run CMD once released through *release_fd. */
static pid_t start_child(struct cgroup *cg, char *command[], int *release_fd,
			 const struct signals *sigs)
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
		run_command(pipe_fds[0], command, sigs);
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

/* Wait for CMD; the caught signals interrupt waitid(2). WNOWAIT leaves
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
	static struct signals sigs;
	struct options opts;
	int release_fd, status;
	pid_t pid;

	parse_options(argc, argv, &opts);
	catch_signals(&sigs);
	remove_stale_cgroups();
	open_cgroup(&cg, &opts.lim);
	pid = start_child(&cg, opts.command, &release_fd, &sigs);
	enter_cgroup(&cg, pid, release_fd);
	child_pid = pid;
	if (sigprocmask(SIG_SETMASK, &sigs.old_mask, NULL) == -1) {
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
