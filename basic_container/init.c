/* init.c: the container's own PID 1 for --init; see init.h. */
#include "init.h"

#include <errno.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lockdown/console.h"
#include "common.h"

/* In the child: a process group of its own, the foreground of terminal if
 * it is not -1, the caller's signal mask, then the command. tcsetpgrp()
 * from what is now a background group would stop us with SIGTTOU, but
 * every signal is still blocked here (tcsetpgrp(3)). */
static void start_command(char *const command[], const sigset_t *command_mask, int terminal)
{
	if (setpgid(0, 0) == -1)
		errExitChild("init: setpgid");
	if (terminal != -1 && tcsetpgrp(terminal, getpid()) == -1)
		errExitChild("init: tcsetpgrp(%d, %ld)", terminal, (long)getpid());
	if (sigprocmask(SIG_SETMASK, command_mask, NULL) == -1)
		errExitChild("init: sigprocmask");
	exec_command(command);
}

/* Reap every child that has ended; exit with the command's status when it
 * is one of them. */
static void reap_children(pid_t command)
{
	int wstatus;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0)
		if (pid == command)
			_exit(exit_status_of(wstatus));
	if (pid == -1 && errno != ECHILD)
		errExitChild("init: waitpid");
}

/* The command exists until we reap it, so kill() cannot fail with ESRCH
 * nor reach another process. It may fail with EPERM, when the command runs
 * as another user and we lack CAP_KILL: that signal is lost, and we say so
 * rather than end the container. */
static void pass_on(pid_t command, int sig)
{
	if (kill(command, sig) == -1)
		errMsg("init: kill(%ld, %d)", (long)command, sig);
}

void run_as_init(char *const command[], const sigset_t *command_mask)
{
	sigset_t all;
	siginfo_t info;
	pid_t command_pid, fg;
	int terminal;

	/* glibc's sigfillset() leaves out the two signals it keeps for its
	 * threads; SIGKILL and SIGSTOP cannot be blocked. */
	sigfillset(&all);
	if (sigprocmask(SIG_SETMASK, &all, NULL) == -1)
		errExitChild("init: sigprocmask: block all signals");
	if (close_range(3, ~0U, 0) == -1)
		errExitChild("init: close_range(3, ~0U)");
	/* Ours to hand on only when it is our session's terminal and we are
	 * its foreground. */
	terminal = caller_terminal();
	fg = terminal == -1 ? -1 : tcgetpgrp(terminal);
	if (fg <= 0 || fg != getpgrp())
		terminal = -1;
	command_pid = fork();
	if (command_pid == -1)
		errExitChild("init: fork");
	if (command_pid == 0)
		start_command(command, command_mask, terminal);
	for (;;) {
		if (sigwaitinfo(&all, &info) == -1) {
			if (errno == EINTR)
				continue;
			errExitChild("init: sigwaitinfo");
		}
		if (info.si_signo == SIGCHLD)
			reap_children(command_pid);
		else
			pass_on(command_pid, info.si_signo);
	}
}
