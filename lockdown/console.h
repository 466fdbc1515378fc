/* console.h: a session and a terminal of the container's own.
 *
 * A process that shares its caller's terminal can type into it: the
 * TIOCSTI ioctl pushes bytes into a terminal's input as if typed, and the
 * caller's shell reads them once the container has exited (bubblewrap's
 * CVE-2017-5226). The kernel allows TIOCSTI without CAP_SYS_ADMIN (of the
 * host) only on the caller's controlling terminal, so a container that
 * starts a new session (setsid(2)) has no controlling terminal and cannot
 * (tty_ioctl(4)). At a terminal the container gets a new one of its own, as
 * runc and crun give it: it opens a pseudo-terminal in its own /dev/pts and
 * hands the master to the runtime (over a unix socket, fd_passing.h), which
 * relays between it and the caller's terminal (supervise.h), in raw mode so
 * that every key, Ctrl-C included, reaches the container's terminal to be
 * interpreted there.
 *
 * Runtime side:
 *   if (caller_terminals()) ... the child calls console_create(them) ...
 *   master = recv_fd(...); console_copy_size(master);
 *   console_enter_raw(); supervise(...); console_restore();
 *
 * Raw mode and background jobs: started with & at a shell, the runtime is
 * not the terminal's foreground process group. console_enter_raw() then
 * does what any full-screen program does: the kernel stops the runtime with
 * SIGTTOU until the shell's `fg` brings it to the foreground, and raw mode
 * starts then. When SIGTTOU is ignored or blocked (no job control: the
 * kernel would let the change through behind the shell's back) the terminal
 * is left as it is.
 */
#ifndef CONSOLE_H
#define CONSOLE_H

#include <stdbool.h>

/* --- the runtime's side -------------------------------------------------- */

/* Which of stdin, stdout and stderr are terminals: bit N for descriptor N.
 * When any is, the container gets a terminal of its own: none of the
 * caller's terminals may reach it (one handed over as stdout can be read
 * from, and reconfigured, as well as one on stdin). Its terminal takes the
 * place of those descriptors alone: a pipe or a file stays what it is, its
 * bytes untouched by a terminal's line discipline (no CR before NL, no
 * Ctrl-C in binary input). */
unsigned caller_terminals(void);

/* The first of stdin, stdout and stderr that is a terminal, or -1 (in the
 * container too: its terminal may hold stdout alone, stdin a pipe). */
int caller_terminal(void);

/* Save the settings of the caller's terminal and put it in raw mode
 * (cfmakeraw(3)) when it is stdin; when only stdout or stderr is one, turn
 * off its output processing alone (the container's terminal has done it).
 * From then on console_restore() runs at exit(), and a
 * handler for the runtime's own crash signals (SIGSEGV SIGBUS SIGABRT SIGILL
 * SIGFPE SIGTRAP SIGSYS) restores the terminal and dies of the signal.
 * Returns 0 (also when, as above, the terminal is left as it is), or -1
 * with errno set. */
int console_enter_raw(void);

/* Give the caller's terminal back its saved settings, if raw mode was taken.
 * Idempotent and async-signal-safe: for abandon(), exit() and the crash
 * handler alike. Also from a background process group (SIGTTOU is held off
 * meanwhile: the shell wants its settings back in any case). */
void console_restore(void);

/* Copy the caller's window size (TIOCGWINSZ on the first of stdin, stdout
 * and stderr that is a terminal) onto master
 * (TIOCSWINSZ, which sends SIGWINCH to the container's foreground process
 * group). Returns 0, or -1 with errno set. */
int console_copy_size(int master);

/* --- the container's side ------------------------------------------------ */

/* After pivot_root, given the container's own /dev/pts (devpts mounted with
 * newinstance,ptmxmode=0666), /dev/ptmx -> pts/ptmx and an empty file
 * /dev/console: start a new session (setsid), open a new pseudo-terminal
 * from /dev/ptmx, open its slave through the master (TIOCGPTPEER: no path
 * to look up), make it our controlling terminal (TIOCSCTTY) and each of
 * stdin, stdout and stderr that fds names (bit N for descriptor N: those
 * that were the caller's terminals), and bind-mount it on /dev/console.
 * Returns the master (close-on-exec), which the caller sends to the runtime
 * (send_fd) and then closes; or -1 after setup_fail(). */
int console_create(unsigned fds);

/* Without a terminal: start a new session (setsid) only, so that no
 * terminal of the caller is our controlling one. stdin, stdout and stderr
 * stay the caller's pipes or files. Returns 0, or -1 after setup_fail(). */
int new_session(void);

#endif
