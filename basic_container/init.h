/* init.h: `--init`, a small PID 1 for the container, as `docker run --init`
 * puts tini there.
 *
 * The first process of a PID namespace is its init, and the kernel treats
 * it as such (pid_namespaces(7)):
 * - a signal reaches it only if it has a handler for that signal (SIGKILL
 *   and SIGSTOP from an ancestor namespace excepted): `sleep` as PID 1
 *   ignores SIGTERM, and Ctrl-C (SIGINT) at its terminal;
 * - every process orphaned in the namespace becomes its child, and stays a
 *   zombie until it reaps it: a command that does not expect children of
 *   others never does;
 * - when it ends, the kernel kills every other process in the namespace.
 * And the parent-death signal that keeps the container from outliving its
 * runtime (PR_SET_PDEATHSIG) is cleared when the process changes its
 * credentials or execs a set-user-ID program (prctl(2)), which a command
 * may well do.
 *
 * With --init, PID 1 is this code instead of the command: it blocks every
 * signal and waits for them (sigwaitinfo(2); a blocked signal is queued
 * even for an init without handlers), passes each on to the command, reaps
 * every child, and ends with the command. It never execs nor changes its
 * credentials, so its parent-death signal stays.
 */
#ifndef INIT_H
#define INIT_H

#include <signal.h>

/* Become the container's init instead of running the command:
 * - close every descriptor but stdin, stdout and stderr (the runtime's
 *   sync socket above all: its end of file tells the runtime the setup is
 *   over, as an exec would);
 * - fork the command in a process group of its own, made the foreground
 *   one of our controlling terminal if we have one (so Ctrl-C reaches it),
 *   with command_mask as its signal mask, and exec it (exit status 126 or
 *   127 when that fails, as exec_command());
 * - pass every signal we get on to it, SIGCHLD excepted (we reap);
 * - reap every child, the orphans of the namespace included;
 * - when the command ends, exit with its status: its exit status, or 128+N
 *   when signal N killed it (an init cannot die of a signal it sends
 *   itself). The kernel then ends whatever else still runs in the
 *   namespace.
 * The caller sets the parent-death signal after its last credential change
 * (prctl(PR_SET_PDEATHSIG)), then calls this. Fails only with a message on
 * stderr and exit status 125. */
void run_as_init(char *const command[], const sigset_t *command_mask) __attribute__((noreturn));

#endif
