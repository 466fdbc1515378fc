/* signals.h: which signals the runtime takes for itself, and how.
 *
 * The runtime must never be ended by a signal before it has cleaned up (its
 * cgroup, its state, the caller's terminal). So it installs no handler at
 * all: it blocks every signal whose default action would end it, and reads
 * them from a signalfd(2) in its main loop (supervise.h), passing each on to
 * the container. A blocked signal waits in the kernel until it is read, so
 * none is lost: one that comes while the container is being set up stops
 * the start (the command could not take it yet), one that comes later goes
 * to the command.
 *
 * Forwarded: every signal that ends a process by default, that a process
 * can catch, and that others send (rather than the CPU raising it for a
 * fault of the runtime's own): SIGHUP SIGINT SIGQUIT SIGTERM SIGUSR1
 * SIGUSR2 SIGPIPE SIGALRM SIGVTALRM SIGPROF SIGXCPU SIGXFSZ SIGPWR SIGSTKFLT
 * SIGIO, and the real-time signals SIGRTMIN..SIGRTMAX: they too end a
 * process by default, and programs use them (systemd halts on SIGRTMIN+3,
 * the signal `docker stop` sends to a systemd container). glibc keeps the
 * two below SIGRTMIN for its threads and will not let us block them.
 * Not forwarded: SIGKILL and SIGSTOP (cannot be caught); the fault signals
 * SIGSEGV SIGBUS SIGILL SIGFPE SIGTRAP SIGSYS and SIGABRT (they report a
 * bug in the runtime itself: console.h restores the terminal on them); the
 * job-control ones SIGTSTP SIGTTIN SIGTTOU SIGCONT (they stop or continue
 * the runtime, as for any program); SIGCHLD, SIGWINCH and SIGURG (ignored
 * by default; the first two are blocked too, and read by supervise()).
 */
#ifndef SIGNALS_H
#define SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <sys/signalfd.h>

/* Block the forwarded signals, SIGCHLD and SIGWINCH, then open a signalfd
 * for them (close-on-exec). Blocking comes first and no handler is ever
 * installed, so there is no moment when one of them can end the runtime or
 * be swallowed. The caller's mask is saved in *old: the container's command
 * must get it back before exec. Returns the fd, or -1 with errno set. */
int block_runtime_signals(sigset_t *old);

/* Is sig one the runtime passes on to the container? */
bool is_forwarded_signal(int sig);

/* Is the signal read from the signalfd one for the container: forwarded,
 * and not a SIGPIPE or SIGXFSZ that the kernel raised for a write of the
 * runtime's own (to a pipe nobody reads, beyond its file size limit)? Those
 * come as if the runtime had sent them itself (SI_USER, its PID); they are
 * about the runtime, whose write fails with EPIPE or EFBIG. */
bool is_for_container(const struct signalfd_siginfo *si);

#endif
