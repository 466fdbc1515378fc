/* supervise.h: the runtime's work once the container has started.
 *
 * The runtime stays beside its container until the container's PID 1 ends:
 * it passes on the signals it gets (signals.h), and when the container has a
 * terminal of its own (lockdown/console.h) it is that terminal's other end:
 * it copies what the user types to the container and what the container
 * prints to the user, and passes window-size changes on, as ssh, script(1)
 * and `docker run -t` do.
 *
 * It learns of PID 1's end from a pidfd (pidfd_open(2)), not from SIGCHLD:
 * a pidfd names that one process, so a signal sent through it can never
 * reach another process that later gets the same PID number, and it becomes
 * readable when that process ends, whatever other children the runtime has.
 * SIGCHLD stays blocked; supervise() reads and drops it.
 */
#ifndef SUPERVISE_H
#define SUPERVISE_H

#include <sys/types.h>

struct supervision {
	pid_t pid;     /* the container's PID 1 as the host sees it */
	int pidfd;     /* for pid: pidfd_open(pid, 0), or clone()'s CLONE_PIDFD */
	int sigfd;     /* from block_runtime_signals() */
	int master;    /* the container's terminal (its pty master), or -1 */
	int in;        /* with a master: the caller's descriptor whose input goes
			* to it (stdin, when a terminal), or -1 */
	int out;       /* with a master: the caller's descriptor its output goes
			* to (a terminal: stdout, stderr or stdin) */
};

/* Until PID 1 ends:
 * - each forwarded signal read from sigfd goes to PID 1
 *   (pidfd_send_signal(2)), except a SIGPIPE or SIGXFSZ that the kernel
 *   raised for a write of the runtime's own;
 * - with a master: the caller's window size is copied onto it at once and on
 *   every SIGWINCH; the caller's stdin goes to master and master to the
 *   caller's stdout. When stdin ends, the container reads end of file (its
 *   terminal's EOF character, Ctrl-D, is sent). When stdout can take no more
 *   (EPIPE: nobody reads it; EIO: the caller's terminal hung up), master is
 *   closed and s->master set to -1: the container's terminal hangs up
 *   (SIGHUP to its session), as when a terminal window is closed. As
 *   script(1) does, supervise() holds the slave open itself meanwhile, so
 *   that the terminal does not hang up when the container closes every
 *   descriptor of it (a daemon sending its output to /dev/null): a process
 *   keeps its controlling terminal without a descriptor, and would get
 *   SIGHUP for it.
 * Then what master still holds is written to stdout, PID 1 is reaped, and
 * its wait status (as waitpid(2) gives it) returned; -1 with errno set when
 * poll, the signalfd, a signal or waitpid fails. A failing read or write of
 * the terminal never ends the supervision: the container's end does.
 * Neither stdin nor stdout is made non-blocking (their open files are shared
 * with the caller's shell); writes to stdout go in pieces of at most
 * PIPE_BUF bytes after poll(2) said it is writable, which do not block. */
int supervise(struct supervision *s);

#endif
