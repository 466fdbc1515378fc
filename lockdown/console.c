/* console.c: the container's own session and terminal; see console.h. */
#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <termios.h>
#include <unistd.h>

#include "../basic_container/setup_error.h"

/* --- the runtime's side -------------------------------------------------- */

/* The caller's terminal we changed (stdin, or the one output goes to), its
 * settings before, and whether they may be changed now. Read by
 * console_restore(), which a signal handler may call. */
static int taken_fd = -1;
static struct termios saved;
static volatile sig_atomic_t raw_taken;

/* The runtime's own crash signals: a bug of ours must not leave the
 * caller's terminal raw (the shell would echo nothing, and Enter would not
 * end a line). */
static const int crash_signals[] = { SIGSEGV, SIGBUS, SIGABRT, SIGILL, SIGFPE, SIGTRAP, SIGSYS };

unsigned caller_terminals(void)
{
	unsigned fds = 0;

	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if (isatty(fd))
			fds |= 1u << fd;
	return fds;
}

int caller_terminal(void)
{
	unsigned fds = caller_terminals();

	return fds ? __builtin_ctz(fds) : -1;
}

void console_restore(void)
{
	sigset_t ttou, old;
	int err = errno;

	if (!raw_taken)
		return;
	/* From a background process group tcsetattr() would stop us with
	 * SIGTTOU, unless SIGTTOU is blocked (tcsetattr(3)). Nothing can be done
	 * about a failure here (a terminal that hung up), so none is reported. */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetattr(taken_fd, TCSADRAIN, &saved);
	sigprocmask(SIG_SETMASK, &old, NULL);
	raw_taken = 0;
	errno = err;
}

/* A crash of the runtime: the terminal first, then die of the signal.
 * SA_RESETHAND has made its action the default again, and SA_NODEFER lets
 * raise() deliver it at once. */
static void restore_and_die(int sig)
{
	console_restore();
	raise(sig);
}

static int restore_on_every_exit(void)
{
	static bool done;
	struct sigaction sa = { .sa_handler = restore_and_die, .sa_flags = SA_RESETHAND | SA_NODEFER };

	if (done)
		return 0;
	if (atexit(console_restore) != 0) {
		errno = ENOMEM;
		return -1;
	}
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(crash_signals) / sizeof(crash_signals[0]); i++)
		if (sigaction(crash_signals[i], &sa, NULL) == -1)
			return -1;
	done = true;
	return 0;
}

/* Would SIGTTOU stop us? Only with its default action and not blocked; if
 * ignored or blocked, the kernel lets a background process change the
 * terminal's settings (tty_ioctl(4)). */
static bool sigttou_stops_us(void)
{
	struct sigaction sa;
	sigset_t mask;

	if (sigaction(SIGTTOU, NULL, &sa) == -1 || sigprocmask(SIG_BLOCK, NULL, &mask) == -1)
		return false;
	return sa.sa_handler == SIG_DFL && !sigismember(&mask, SIGTTOU);
}

/* Are we a background job of our controlling terminal? (When the terminal
 * is not our controlling one, tcgetpgrp() fails: no job control applies.) */
static bool in_background(int terminal)
{
	pid_t fg = tcgetpgrp(terminal);

	return fg > 0 && fg != getpgrp();
}

/* Wait, stopped, until the shell brings us to the foreground (`fg`), as the
 * kernel does to any background job that touches its terminal: tcdrain(3)
 * asks for SIGTTOU from the background without changing anything. Returns
 * false when that cannot happen: SIGTTOU does not stop us, or our process
 * group is orphaned (EIO), with no shell left to continue it. */
static bool wait_for_foreground(int terminal)
{
	while (in_background(terminal)) {
		if (!sigttou_stops_us())
			return false;
		if (tcdrain(terminal) == -1 && errno != EINTR)
			return false;
	}
	return true;
}

/* Keys come from stdin when it is a terminal: all of its line discipline
 * goes (cfmakeraw). Otherwise the caller's terminal only shows the output,
 * which the container's terminal has already processed (NL to CR NL): only
 * output processing goes, and what the user types there meanwhile is left
 * as it is, not for the container. */
static void make_raw(int terminal, struct termios *t)
{
	if (terminal == STDIN_FILENO)
		cfmakeraw(t);
	else
		t->c_oflag &= ~(tcflag_t)OPOST;
}

int console_enter_raw(void)
{
	int terminal = caller_terminal();
	struct termios raw;

	if (terminal == -1)
		return 0;
	/* A background job may write to its terminal, and with only our output
	 * there, that is all we do: we leave its settings alone rather than
	 * stop (output processing then adds a CR that shows nothing). */
	if (terminal != STDIN_FILENO && in_background(terminal))
		return 0;
	/* Read the settings only in the foreground: in the background they may
	 * be those the shell's line editor uses at its prompt (no echo), which
	 * we must not hand back at exit. */
	if (!wait_for_foreground(terminal))
		return 0;
	if (tcgetattr(terminal, &saved) == -1 || restore_on_every_exit() == -1)
		return -1;
	raw = saved;
	make_raw(terminal, &raw);
	/* Marked first: a crash between the two must restore too. */
	taken_fd = terminal;
	raw_taken = 1;
	if (tcsetattr(terminal, TCSADRAIN, &raw) == -1) {
		int err = errno;

		raw_taken = 0;
		errno = err;
		return -1;
	}
	return 0;
}

int console_copy_size(int master)
{
	int terminal = caller_terminal();
	struct winsize ws;

	if (terminal == -1) {
		errno = ENOTTY;
		return -1;
	}
	if (ioctl(terminal, TIOCGWINSZ, &ws) == -1)
		return -1;
	return ioctl(master, TIOCSWINSZ, &ws);
}

/* --- the container's side ------------------------------------------------ */

int new_session(void)
{
	if (setsid() == -1)
		return setup_fail("setsid");
	return 0;
}

/* Bind-mount the open slave on /dev/console, from the descriptor itself:
 * open_tree(2) clones the mount of the file it names, move_mount(2) attaches
 * the clone. Programs that write to /dev/console (init systems) then write
 * to our terminal, not the host's console. */
static int bind_console(int slave)
{
	int tree = open_tree(slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);

	if (tree == -1)
		return setup_fail("open_tree(the terminal's slave)");
	if (move_mount(tree, "", AT_FDCWD, "/dev/console", MOVE_MOUNT_F_EMPTY_PATH) == -1) {
		setup_fail("bind-mount the terminal on /dev/console");
		close(tree);
		return -1;
	}
	if (close(tree) == -1)
		return setup_fail("close the terminal's mount");
	return 0;
}

/* The slave becomes our controlling terminal and stdin, stdout, stderr. We
 * lead a new session without a terminal, so TIOCSCTTY makes this one ours
 * (tty_ioctl(4)), with our process group in its foreground. */
static int attach_slave(int slave, unsigned fds)
{
	if (ioctl(slave, TIOCSCTTY, 0) == -1)
		return setup_fail("ioctl(TIOCSCTTY)");
	if (bind_console(slave) == -1)
		return -1;
	for (int fd = STDIN_FILENO; fd <= STDERR_FILENO; fd++)
		if ((fds & (1u << fd)) && dup2(slave, fd) == -1)
			return setup_fail("dup2(the terminal, %d)", fd);
	return 0;
}

int console_create(unsigned fds)
{
	int master, slave, status;

	if (new_session() == -1)
		return -1;
	/* /dev/ptmx leads to our own devpts instance: the new terminal is
	 * /dev/pts/0 of the container, invisible to the host's /dev/pts. */
	master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master == -1)
		return setup_fail("open /dev/ptmx");
	if (unlockpt(master) == -1) {
		setup_fail("unlockpt");
		close(master);
		return -1;
	}
	slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY);
	if (slave == -1) {
		setup_fail("ioctl(TIOCGPTPEER)");
		close(master);
		return -1;
	}
	status = attach_slave(slave, fds);
	if (slave > STDERR_FILENO && close(slave) == -1 && status == 0)
		status = setup_fail("close the terminal's slave");
	if (status == -1) {
		close(master);
		return -1;
	}
	return master;
}
