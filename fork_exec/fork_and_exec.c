/* fork_and_exec.c: step 1 of the workshop, fork(), exec() and wait().
 *
 *     fork_and_exec CMD [ARG...]
 *
 * The parent fork()s a child and says so; the child says who its parent is
 * and execs CMD; the parent waits for it and exits with CMD's status, as
 * env(1) does: 125 when we fail ourselves, 126 when CMD cannot be executed,
 * 127 when it is not found, 128+N when it died of signal N.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"

static const char usage_text[] =
	"CMD [ARG...]\n"
	"\n"
	"Fork a child that runs CMD; wait for it and exit with its status.\n"
	"\n"
	"Options:\n"
	"  -h  show this help\n";

/* The command to run: argv after our options. The leading '+' stops getopt()
 * at the first non-option, so CMD's own options reach CMD untouched. */
static char **parse_command_line(int argc, char *argv[])
{
	int opt;

	while ((opt = getopt(argc, argv, "+h")) != -1) {
		if (opt == 'h')
			usage_exit(0, usage_text);
		usage_exit(EXIT_CANCELED, usage_text);
	}
	if (optind >= argc)
		usage_exit(EXIT_CANCELED, usage_text);
	return &argv[optind];
}

/* Child: say who we are, then become CMD. Never returns. */
static void run_child(int go[2], char **cmd)
{
	/* Both processes write to the same stdout. Without this wait the
	 * scheduler decides whose lines come first; the parent writes to the
	 * pipe only after its own lines are out, so ours always follow. */
	wait_for_go(go);
	printf("Child  (PID=%ld) exists with parent PID=%ld\n", (long)getpid(), (long)getppid());
	/* exec replaces our memory, stdio buffer included: flush it first. */
	if (fflush(stdout) == EOF)
		errExitChild("write to stdout");
	exec_command(cmd);
}

/* Parent: say what we did, blank line included. Returns 0, or -1 with errno
 * set when stdout cannot be written. */
static int announce_child(pid_t child)
{
	printf("Parent (PID=%ld) created child with PID %ld\n", (long)getpid(), (long)child);
	printf("Parent (PID=%ld; PPID=%ld) waiting on its child\n\n", (long)getpid(), (long)getppid());
	return fflush(stdout) == EOF ? -1 : 0;
}

int main(int argc, char *argv[])
{
	char **cmd = parse_command_line(argc, argv);
	int go[2], wstatus;
	pid_t child;

	if (pipe(go) == -1)
		errExit("pipe");
	/* fork() copies the stdio buffer: anything unflushed would print twice. */
	if (fflush(stdout) == EOF)
		errExit("write to stdout");
	child = fork();
	if (child == -1)
		errExit("fork");
	if (child == 0)
		run_child(go, cmd);

	if (announce_child(child) == -1) {
		errMsg("write to stdout");
		stop_child(child);
		return EXIT_CANCELED;
	}
	send_go(go);
	/* wait: block until the child ends, and learn how it ended. */
	if (waitpid(child, &wstatus, 0) == -1)
		errExit("waitpid %ld", (long)child);
	return exit_status_of(wstatus);
}
