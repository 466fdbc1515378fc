/* Unit tests of the runtime's supervision: basic_container/signals, supervise
 * and init, and lockdown/console.
 *
 * Everything runs for real, in processes the tests fork: a "container" is a
 * child with a pseudo-terminal of its own, the "caller's terminal" another
 * pseudo-terminal whose master the test (or a driver process) types into.
 * The init tests need root (a new PID namespace); they pass without checking
 * anything otherwise, as the real-cgroup test of test_cgroup does. Every wait
 * is bounded, and every process started gets killed and reaped on the way
 * out: PID 1 of a test's namespace dies with the test (PR_SET_PDEATHSIG),
 * and the rest of its namespace with it.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "../../basic_container/fd_passing.h"
#include "../../basic_container/init.h"
#include "../../basic_container/setup_error.h"
#include "../../basic_container/signals.h"
#include "../../basic_container/supervise.h"
#include "../../lockdown/console.h"
#include "common.h"

#define TIMEOUT_MS 3000

/* --- helpers ------------------------------------------------------------- */

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Wait up to ms for pid to end; its wait status, or -1 after killing it. */
static int wait_within(pid_t pid, int ms)
{
	int ws;

	for (int waited = 0; waited <= ms; waited += 10) {
		pid_t r = waitpid(pid, &ws, WNOHANG);

		if (r == pid)
			return ws;
		if (r == -1 && errno != EINTR)
			return -1;
		sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &ws, 0);
	return -1;
}

static bool running_after(pid_t pid, int ms)
{
	int ws;

	sleep_ms(ms);
	return waitpid(pid, &ws, WNOHANG) == 0;
}

/* fork(), with the child killed if we die first (a failed assertion, a
 * timeout): no test leaves a process behind. */
static pid_t fork_child(void)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(93);
	return pid;
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static bool exited_with(int ws, int code)
{
	return ws != -1 && WIFEXITED(ws) && WEXITSTATUS(ws) == code;
}

static bool killed_by(int ws, int sig)
{
	return ws != -1 && WIFSIGNALED(ws) && WTERMSIG(ws) == sig;
}

/* A new pseudo-terminal; the slave opened through the master. */
static void open_pty(int *master, int *slave)
{
	*master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(*master, 0);
	ck_assert_int_eq(unlockpt(*master), 0);
	*slave = ioctl(*master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	ck_assert_int_ge(*slave, 0);
}

static void set_size(int fd, unsigned short rows, unsigned short cols)
{
	struct winsize ws = { .ws_row = rows, .ws_col = cols };

	ck_assert_int_eq(ioctl(fd, TIOCSWINSZ, &ws), 0);
}

static bool same_termios(const struct termios *a, const struct termios *b)
{
	return a->c_iflag == b->c_iflag && a->c_oflag == b->c_oflag && a->c_cflag == b->c_cflag &&
	       a->c_lflag == b->c_lflag && memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)) == 0 &&
	       cfgetispeed(a) == cfgetispeed(b) && cfgetospeed(a) == cfgetospeed(b);
}

static bool is_raw(int fd)
{
	struct termios t;

	return tcgetattr(fd, &t) == 0 && !(t.c_lflag & (ICANON | ECHO | ISIG)) && !(t.c_oflag & OPOST);
}

/* In a child: lead a new session whose controlling terminal is tty, with tty
 * as stdin, stdout and stderr, as a container's PID 1 after console_create()
 * or a login shell on its terminal. */
static void own_terminal(int tty)
{
	if (setsid() == -1 || ioctl(tty, TIOCSCTTY, 0) == -1)
		_exit(90);
	for (int fd = 0; fd <= 2; fd++)
		if (dup2(tty, fd) == -1)
			_exit(91);
}

static void redirect(int fd, int to)
{
	ck_assert_int_eq(dup2(to, fd), fd);
}

/* Read from fd until want shows up, for up to TIMEOUT_MS. */
static bool expect(int fd, const char *want)
{
	char seen[8192];
	size_t len = 0;

	for (int waited = 0; waited < TIMEOUT_MS; waited += 20) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 20) == 1) {
			n = read(fd, seen + len, sizeof(seen) - 1 - len);
			if (n <= 0)
				return false;
			len += (size_t)n;
			seen[len] = '\0';
			if (strstr(seen, want) != NULL)
				return true;
			if (len == sizeof(seen) - 1)
				len = 0;
		}
	}
	return false;
}

/* /proc/PID/task/PID/children: pid's children, up to max. Their count. */
static int children_of(pid_t pid, pid_t *kids, int max)
{
	char path[64], buf[512], *p, *end;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	if (read_file(path, buf, sizeof(buf)) == -1)
		return -1;
	for (p = buf; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		kids[n++] = (pid_t)v;
	}
	return n;
}

static bool comm_is(pid_t pid, const char *name)
{
	char path[64], comm[32];

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (read_file(path, comm, sizeof(comm)) == -1)
		return false;
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, name) == 0;
}

static bool proc_exists(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	return access(path, F_OK) == 0;
}

/* Wait until pid runs name itself (child < 0) or its only child does; that
 * process, or -1. */
static pid_t wait_for_program(pid_t pid, const char *name, bool in_child)
{
	pid_t kid;

	for (int waited = 0; waited < TIMEOUT_MS; waited += 10, sleep_ms(10)) {
		if (!in_child && comm_is(pid, name))
			return pid;
		if (in_child && children_of(pid, &kid, 1) == 1 && comm_is(kid, name))
			return kid;
	}
	return -1;
}

/* PID 1 of a new PID namespace (root only), dying with its parent. With
 * tty >= 0 that is its terminal (own_terminal), else stdin is /dev/null. It
 * runs argv under run_as_init(), or execs it itself. */
static pid_t start_pid1(char *const argv[], bool with_init, int tty)
{
	sigset_t none;
	pid_t pid;

	if (unshare(CLONE_NEWPID) == -1)
		return -1;
	pid = fork();
	if (pid != 0)
		return pid;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		_exit(92);
	if (tty >= 0)
		own_terminal(tty);
	else
		redirect(STDIN_FILENO, open("/dev/null", O_RDONLY));
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (with_init)
		run_as_init(argv, &none);
	execvp(argv[0], argv);
	_exit(127);
}

/* --- signals ------------------------------------------------------------- */

START_TEST(forwarded_signals_are_those_that_end_a_process)
{
	static const int yes[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGPIPE,
				   SIGALRM, SIGVTALRM, SIGPROF, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT,
				   SIGIO };
	static const int no[] = { 0, SIGKILL, SIGSTOP, SIGCHLD, SIGWINCH, SIGURG, SIGCONT,
				  SIGTSTP, SIGTTIN, SIGTTOU, SIGSEGV, SIGBUS, SIGILL, SIGFPE,
				  SIGABRT, SIGTRAP, SIGSYS, NSIG };

	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(is_forwarded_signal(yes[i]), "%s not forwarded", strsignal(yes[i]));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!is_forwarded_signal(no[i]), "signal %d forwarded", no[i]);
	ck_assert(is_forwarded_signal(SIGRTMIN));
	ck_assert(is_forwarded_signal(SIGRTMIN + 3));  /* systemd's "halt" */
	ck_assert(is_forwarded_signal(SIGRTMAX));
}
END_TEST

START_TEST(blocked_signals_wait_in_the_signalfd_and_none_is_lost)
{
	struct signalfd_siginfo si[8];
	sigset_t old, now;
	union sigval v = { .sival_int = 0 };
	int fd;
	ssize_t n;

	fd = block_runtime_signals(&old);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert(!sigismember(&old, SIGTERM));
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, NULL, &now), 0);
	ck_assert(sigismember(&now, SIGTERM) && sigismember(&now, SIGQUIT));
	ck_assert(sigismember(&now, SIGCHLD) && sigismember(&now, SIGWINCH));
	ck_assert(sigismember(&now, SIGRTMIN + 3));
	ck_assert(!sigismember(&now, SIGSEGV) && !sigismember(&now, SIGTSTP));

	/* Default actions would end us; blocked, they wait to be read. */
	ck_assert_int_eq(raise(SIGTERM), 0);
	ck_assert_int_eq(raise(SIGQUIT), 0);
	ck_assert_int_eq(sigqueue(getpid(), SIGRTMIN + 3, v), 0);
	ck_assert_int_eq(sigqueue(getpid(), SIGRTMIN + 3, v), 0); /* real-time ones queue */
	n = read(fd, si, sizeof(si));
	ck_assert_int_eq(n, 4 * (ssize_t)sizeof(si[0]));
	ck_assert_int_eq(si[0].ssi_signo, SIGQUIT);     /* lowest number first */
	ck_assert_int_eq(si[1].ssi_signo, SIGTERM);
	ck_assert_int_eq(si[2].ssi_signo, SIGRTMIN + 3);
	ck_assert_int_eq(si[3].ssi_signo, SIGRTMIN + 3);
	close(fd);
}
END_TEST

/* --- supervise ----------------------------------------------------------- */

/* Block the runtime's signals, then fork the "container": it gets the
 * caller's mask back and, given a tty, makes it its terminal, then runs fn. */
static void start_supervised(struct supervision *s, void (*fn)(void), int tty)
{
	sigset_t old;

	/* The runtime's view: the caller's stdin and stdout are the relay's. */
	s->in = STDIN_FILENO;
	s->out = STDOUT_FILENO;
	s->sigfd = block_runtime_signals(&old);
	ck_assert_int_ge(s->sigfd, 0);
	s->pid = fork_child();
	if (s->pid == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		if (s->master >= 0)
			close(s->master);    /* as console_create()'s caller does */
		if (tty >= 0)
			own_terminal(tty);
		fn();
		_exit(0);
	}
	s->pidfd = pidfd_open(s->pid, 0);
	ck_assert_int_ge(s->pidfd, 0);
	if (tty >= 0)
		ck_assert_int_eq(close(tty), 0);   /* the container holds the slave */
}

/* Where a child reports what it got: one byte per event. */
static int report[2];

static void note_signal(int sig)
{
	char c = sig == SIGUSR1 ? 'u' : 't';

	write(report[1], &c, 1);
}

static void wait_for_usr1_and_quit(void)
{
	struct sigaction sa = { .sa_handler = note_signal };
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	/* SIGQUIT ends us by its default action, which an exec keeps only when
	 * not ignored: a shell without job control ignores SIGINT and SIGQUIT
	 * in what it starts with &, and so would we, run that way. */
	signal(SIGQUIT, SIG_DFL);
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGRTMIN + 3, &sa, NULL);
	write(report[1], "r", 1);
	for (;;)
		pause();
}

/* The sender gives up with code: it kills the container first, so that
 * supervise() returns and the test fails with both statuses, not by hanging
 * until check's timeout. */
static pid_t sender_target;

static void give_up(int code)
{
	kill(sender_target, SIGKILL);
	_exit(code);
}

static void give_up_on_alarm(int sig)
{
	(void)sig;
	give_up(5);
}

/* Another process signals the runtime, as a user's kill(1) would; each
 * step waits for the container's report of the last. */
static pid_t start_signal_sender(pid_t runtime, pid_t container)
{
	pid_t pid = fork_child();
	sigset_t none;
	char c;

	if (pid != 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	sender_target = container;
	signal(SIGALRM, give_up_on_alarm);
	alarm(10);
	if (read(report[0], &c, 1) != 1 || c != 'r')
		give_up(1);
	if (kill(runtime, SIGUSR1) == -1 || read(report[0], &c, 1) != 1 || c != 'u')
		give_up(2);
	if (kill(runtime, SIGRTMIN + 3) == -1 || read(report[0], &c, 1) != 1 || c != 't')
		give_up(3);
	if (kill(runtime, SIGQUIT) == -1)
		give_up(4);
	_exit(0);
}

START_TEST(supervise_forwards_signals_and_returns_the_wait_status)
{
	struct supervision s = { .master = -1 };
	pid_t sender;
	int ws, sender_ws;

	ck_assert_int_eq(pipe(report), 0);
	start_supervised(&s, wait_for_usr1_and_quit, -1);
	sender = start_signal_sender(getpid(), s.pid);
	ws = supervise(&s);
	sender_ws = wait_within(sender, TIMEOUT_MS);
	ck_assert_msg(killed_by(ws, SIGQUIT), "wait status %#x (the sender's %#x)", ws, sender_ws);
	ck_assert_msg(exited_with(sender_ws, 0), "the sender's wait status %#x", sender_ws);
}
END_TEST

static void exit_after_a_while(void)
{
	sleep_ms(100);
	_exit(3);
}

START_TEST(supervise_reaps_pid1_only)
{
	struct supervision s = { .master = -1 };
	pid_t bystander = fork_child();

	if (bystander == 0)
		_exit(9);
	start_supervised(&s, exit_after_a_while, -1);
	ck_assert(exited_with(supervise(&s), 3));
	ck_assert(exited_with(wait_within(bystander, TIMEOUT_MS), 9));
}
END_TEST

/* The container of the relay test: answers "size" with its window size,
 * reports SIGWINCH and SIGINT (Ctrl-C at its terminal), ends on "bye". */
static volatile sig_atomic_t got_winch, got_intr;

static void note_flag(int sig)
{
	if (sig == SIGWINCH)
		got_winch = 1;
	else
		got_intr = 1;
}

static void print_size(const char *what)
{
	struct winsize ws;

	ioctl(STDIN_FILENO, TIOCGWINSZ, &ws);
	dprintf(STDOUT_FILENO, "%s %d %d\n", what, ws.ws_row, ws.ws_col);
}

static void interactive_program(void)
{
	struct sigaction sa = { .sa_handler = note_flag };
	sigset_t block, orig;
	char line[64];

	sigemptyset(&block);
	sigaddset(&block, SIGWINCH);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	sigaction(SIGWINCH, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	dprintf(STDOUT_FILENO, "ready\n");
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		ssize_t n;

		if (got_winch)
			print_size("winch");
		if (got_intr)
			dprintf(STDOUT_FILENO, "intr\n");
		got_winch = got_intr = 0;
		/* The signals get through only while we wait, so none is missed. */
		if (ppoll(&p, 1, NULL, &orig) == -1)
			continue;
		n = read(STDIN_FILENO, line, sizeof(line) - 1);
		if (n <= 0)
			_exit(1);
		line[n] = '\0';
		if (strcmp(line, "size\n") == 0)
			print_size("size");
		else if (strcmp(line, "bye\n") == 0)
			_exit(5);
	}
}

/* The user at the caller's terminal: types (Enter is \r in raw mode),
 * reads the screen, resizes the window. Exit status: the step that failed. */
static pid_t start_user(int caller_master, pid_t runtime)
{
	pid_t pid = fork_child();
	sigset_t none;

	if (pid != 0)
		return pid;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!expect(caller_master, "ready"))
		_exit(1);
	if (write(caller_master, "size\r", 5) != 5 || !expect(caller_master, "size 24 80"))
		_exit(2);
	set_size(caller_master, 33, 77);
	if (kill(runtime, SIGWINCH) == -1 || !expect(caller_master, "winch 33 77"))
		_exit(3);
	if (write(caller_master, "\003", 1) != 1 || !expect(caller_master, "intr"))
		_exit(4);
	if (write(caller_master, "bye\r", 4) != 4)
		_exit(5);
	_exit(0);
}

START_TEST(supervise_relays_keys_screen_and_window_size)
{
	struct supervision s;
	int caller_master, caller_slave, slave;
	struct termios before, after;
	pid_t user;

	open_pty(&caller_master, &caller_slave);
	set_size(caller_master, 24, 80);
	redirect(STDIN_FILENO, caller_slave);
	redirect(STDOUT_FILENO, caller_slave);
	ck_assert_int_eq(tcgetattr(STDIN_FILENO, &before), 0);
	ck_assert(caller_terminals() != 0);
	ck_assert_int_eq(console_enter_raw(), 0);
	ck_assert(is_raw(STDIN_FILENO));
	open_pty(&s.master, &slave);
	start_supervised(&s, interactive_program, slave);
	user = start_user(caller_master, getpid());
	ck_assert(exited_with(supervise(&s), 5));
	ck_assert(exited_with(wait_within(user, TIMEOUT_MS), 0));
	console_restore();
	ck_assert_int_eq(tcgetattr(STDIN_FILENO, &after), 0);
	ck_assert(same_termios(&before, &after));
}
END_TEST

static void write_a_lot_and_exit(void)
{
	static char buf[100000];

	memset(buf, 'x', sizeof(buf));
	for (size_t done = 0; done < sizeof(buf);) {
		ssize_t n = write(STDOUT_FILENO, buf + done, sizeof(buf) - done);

		if (n <= 0)
			_exit(1);
		done += (size_t)n;
	}
	_exit(0);
}

START_TEST(supervise_delivers_all_output_written_before_the_end)
{
	struct supervision s;
	int slave, out = memfd_create("stdout", MFD_CLOEXEC), in[2];
	struct stat st;

	ck_assert_int_ge(out, 0);
	ck_assert_int_eq(pipe(in), 0);       /* stdin: open, silent */
	redirect(STDIN_FILENO, in[0]);
	redirect(STDOUT_FILENO, out);
	open_pty(&s.master, &slave);
	start_supervised(&s, write_a_lot_and_exit, slave);
	ck_assert(exited_with(supervise(&s), 0));
	ck_assert_int_eq(fstat(STDOUT_FILENO, &st), 0);
	ck_assert_int_eq(st.st_size, 100000);
}
END_TEST

/* Reads one line, then end of file. */
static void read_line_then_eof(void)
{
	char buf[16];

	if (read(STDIN_FILENO, buf, sizeof(buf)) != 4 || memcmp(buf, "abc\n", 4) != 0)
		_exit(1);
	_exit(read(STDIN_FILENO, buf, sizeof(buf)) == 0 ? 42 : 2);
}

START_TEST(supervise_passes_end_of_input_on)
{
	struct supervision s;
	int slave, in[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(write(in[1], "abc\n", 4), 4);
	ck_assert_int_eq(close(in[1]), 0);
	redirect(STDIN_FILENO, in[0]);
	redirect(STDOUT_FILENO, open("/dev/null", O_WRONLY));
	open_pty(&s.master, &slave);
	start_supervised(&s, read_line_then_eof, slave);
	ck_assert(exited_with(supervise(&s), 42));
}
END_TEST

static volatile sig_atomic_t hung_up;

static void note_hangup_or_die_of_sigpipe(int sig)
{
	if (sig == SIGPIPE)
		_exit(99);
	hung_up = 1;
}

/* Prints a line, then waits for its terminal to hang up; exits 7 if no
 * SIGPIPE follows within 300 ms, 99 if one does. */
static void print_and_wait(void)
{
	struct sigaction sa = { .sa_handler = note_hangup_or_die_of_sigpipe };

	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	dprintf(STDOUT_FILENO, "hello\n");
	while (!hung_up)
		pause();
	sleep_ms(300);
	_exit(7);
}

START_TEST(supervise_hangs_up_when_nobody_reads_the_output)
{
	struct supervision s;
	int slave, in[2], out[2];

	ck_assert_int_eq(pipe(in), 0);
	ck_assert_int_eq(pipe(out), 0);
	ck_assert_int_eq(close(out[0]), 0);  /* nobody reads our stdout */
	redirect(STDIN_FILENO, in[0]);
	redirect(STDOUT_FILENO, out[1]);
	open_pty(&s.master, &slave);
	start_supervised(&s, print_and_wait, slave);
	/* Our write gets EPIPE, and the kernel's SIGPIPE for it (blocked, so we
	 * live) is not passed on: the container sees its terminal hang up. */
	ck_assert(exited_with(supervise(&s), 7));
	ck_assert_int_eq(s.master, -1);
}
END_TEST

/* Closes every descriptor of its terminal (as a daemon does, or a script
 * that sends its output to /dev/null), lives on a while: exit 4, unless its
 * terminal hangs up (SIGHUP). */
static void close_terminal_and_live_on(void)
{
	close_range(0, ~0U, 0);
	sleep_ms(300);
	_exit(4);
}

START_TEST(supervise_does_not_hang_up_a_terminal_the_container_closed)
{
	struct supervision s;
	struct rusage before, after;
	int slave, in[2];
	long used_ms;

	ck_assert_int_eq(pipe(in), 0);
	redirect(STDIN_FILENO, in[0]);
	redirect(STDOUT_FILENO, open("/dev/null", O_WRONLY));
	open_pty(&s.master, &slave);
	start_supervised(&s, close_terminal_and_live_on, slave);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &before), 0);
	ck_assert(exited_with(supervise(&s), 4));
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &after), 0);
	ck_assert_int_ge(s.master, 0);
	/* Waiting, not spinning on a master that reports a hang-up, for those
	 * 300 ms. */
	used_ms = (after.ru_utime.tv_sec - before.ru_utime.tv_sec + after.ru_stime.tv_sec -
		   before.ru_stime.tv_sec) * 1000 +
		  (after.ru_utime.tv_usec - before.ru_utime.tv_usec + after.ru_stime.tv_usec -
		   before.ru_stime.tv_usec) / 1000;
	ck_assert_int_lt(used_ms, 100);
}
END_TEST

/* --- console: the runtime's side ----------------------------------------- */

START_TEST(raw_mode_is_taken_and_given_back)
{
	struct termios before, after;
	int master, slave;

	open_pty(&master, &slave);
	redirect(STDIN_FILENO, slave);
	ck_assert(caller_terminals() != 0);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	ck_assert_int_eq(console_enter_raw(), 0);
	ck_assert(is_raw(slave));
	console_restore();
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_termios(&before, &after));
	console_restore();                   /* idempotent */
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_termios(&before, &after));
	redirect(STDIN_FILENO, open("/dev/null", O_RDONLY));
	ck_assert(caller_terminals() == 0);
}
END_TEST

/* A runtime that takes raw mode, then ends as how says. */
static pid_t start_raw_runtime(int tty, int how)
{
	struct rlimit no_core = { 0, 0 };
	pid_t pid = fork_child();

	if (pid != 0)
		return pid;
	setrlimit(RLIMIT_CORE, &no_core);
	redirect(STDIN_FILENO, tty);
	if (console_enter_raw() == -1)
		_exit(20);
	if (!is_raw(STDIN_FILENO))
		_exit(21);
	if (how == SIGABRT)
		abort();
	if (how != 0)
		raise(how);
	exit(3);                        /* as fatal() and errExit() do */
}

START_TEST(the_terminal_is_restored_on_exit_and_on_a_crash)
{
	static const int endings[] = { 0, SIGABRT, SIGSEGV, SIGBUS };
	struct termios before, after;
	int master, slave;

	open_pty(&master, &slave);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	for (size_t i = 0; i < sizeof(endings) / sizeof(endings[0]); i++) {
		int ws = wait_within(start_raw_runtime(slave, endings[i]), TIMEOUT_MS);

		if (endings[i] == 0)
			ck_assert_msg(exited_with(ws, 3), "wait status %#x", ws);
		else
			ck_assert_msg(killed_by(ws, endings[i]), "wait status %#x", ws);
		ck_assert_int_eq(tcgetattr(slave, &after), 0);
		ck_assert_msg(same_termios(&before, &after), "ending %d left the terminal raw",
			      endings[i]);
	}
}
END_TEST

/* How a background job meets its terminal. */
enum job_kind {
	TTOU_STOPS,         /* keys and output at the terminal, SIGTTOU stops it */
	TTOU_IGNORED,       /* the same, with SIGTTOU ignored: no job control */
	OUTPUT_ONLY,        /* stdin is no terminal: only the output goes there */
};

/* A shell's job control, played in a session whose terminal is tty: a job
 * started with & runs console_enter_raw(). With TTOU_STOPS it must stop on
 * SIGTTOU until the shell's `fg`, and take raw mode then; otherwise it must
 * return at once and leave the terminal alone (a background job may write
 * to its terminal). Returns 0, or the failed step. */
static int background_job(int tty, enum job_kind kind)
{
	pid_t job;
	int ws = 0, waited;

	own_terminal(tty);
	job = fork();
	if (job == -1)
		return 10;
	if (job == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (kind == TTOU_IGNORED)
			signal(SIGTTOU, SIG_IGN);
		if (kind == OUTPUT_ONLY && dup2(open("/dev/null", O_RDONLY), STDIN_FILENO) == -1)
			_exit(22);
		setpgid(0, 0);
		if (console_enter_raw() == -1)
			_exit(20);
		/* exit(), not _exit(): console_restore() runs at exit. */
		exit(is_raw(tty) == (kind == TTOU_STOPS) ? 0 : 21);
	}
	setpgid(job, job);
	for (waited = 0; waited < TIMEOUT_MS; waited += 10, sleep_ms(10))
		if (waitpid(job, &ws, WNOHANG | WUNTRACED) == job)
			break;
	if (waited >= TIMEOUT_MS)
		return 11;
	if (kind != TTOU_STOPS)
		return exited_with(ws, 0) && !is_raw(tty) ? 0 : 12;
	if (!WIFSTOPPED(ws) || WSTOPSIG(ws) != SIGTTOU)
		return 13;
	if (is_raw(tty))
		return 14;                   /* touched from the background */
	if (tcsetpgrp(tty, job) == -1 || kill(job, SIGCONT) == -1)
		return 15;                   /* fg */
	return exited_with(wait_within(job, TIMEOUT_MS), 0) ? 0 : 16;
}

static void check_background_job(enum job_kind kind)
{
	struct termios before, after;
	int master, slave, ws;
	pid_t shell;

	open_pty(&master, &slave);
	ck_assert_int_eq(tcgetattr(slave, &before), 0);
	shell = fork_child();
	if (shell == 0)
		_exit(background_job(slave, kind));
	ws = wait_within(shell, 2 * TIMEOUT_MS);
	ck_assert_msg(exited_with(ws, 0), "wait status %#x", ws);
	ck_assert_int_eq(tcgetattr(slave, &after), 0);
	ck_assert(same_termios(&before, &after));
}

START_TEST(a_background_runtime_waits_for_fg_before_raw_mode)
{
	check_background_job(TTOU_STOPS);
}
END_TEST

START_TEST(a_background_runtime_without_job_control_leaves_the_terminal)
{
	check_background_job(TTOU_IGNORED);
}
END_TEST

START_TEST(a_background_runtime_with_only_its_output_at_the_terminal_neither_stops_nor_changes_it)
{
	check_background_job(OUTPUT_ONLY);
}
END_TEST

START_TEST(the_window_size_is_copied_to_the_container)
{
	int caller_master, caller_slave, master, slave;
	struct winsize ws;

	open_pty(&caller_master, &caller_slave);
	open_pty(&master, &slave);
	set_size(caller_master, 33, 77);
	redirect(STDIN_FILENO, caller_slave);
	ck_assert_int_eq(console_copy_size(master), 0);
	ck_assert_int_eq(ioctl(slave, TIOCGWINSZ, &ws), 0);
	ck_assert_int_eq(ws.ws_row, 33);
	ck_assert_int_eq(ws.ws_col, 77);
	redirect(STDIN_FILENO, open("/dev/null", O_RDONLY));
	ck_assert_int_eq(console_copy_size(master), -1);
	ck_assert_int_eq(errno, ENOTTY);
}
END_TEST

/* --- console: the container's side ---------------------------------------- */

static char dir[] = "/tmp/test_console.XXXXXX";

static int write_at(const char *file, const char *value)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	return write_file(path, value);
}

/* As root of a user namespace of our own (our IDs mapped to 0, as for an
 * unprivileged runtime), with a mount namespace and root directory holding
 * /dev as the runtime prepares it: a devpts instance of our own, ptmx, an
 * empty console. */
static int enter_a_container_root(void)
{
	char uid_map[32], gid_map[32], path[64];
	int fd;

	snprintf(uid_map, sizeof(uid_map), "0 %d 1", (int)getuid());
	snprintf(gid_map, sizeof(gid_map), "0 %d 1", (int)getgid());
	if (unshare(CLONE_NEWUSER | CLONE_NEWNS) == -1 || write_at("setgroups", "deny") == -1 ||
	    write_at("uid_map", uid_map) == -1 || write_at("gid_map", gid_map) == -1)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1 ||
	    mount("tmpfs", dir, "tmpfs", 0, "mode=0755") == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/dev", dir);
	if (mkdir(path, 0755) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/dev/pts", dir);
	if (mkdir(path, 0755) == -1 ||
	    mount("devpts", path, "devpts", 0, "newinstance,ptmxmode=0666,mode=0620") == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/dev/ptmx", dir);
	if (symlink("pts/ptmx", path) == -1)
		return -1;
	snprintf(path, sizeof(path), "%s/dev/console", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	if (fd == -1 || close(fd) == -1)
		return -1;
	return chroot(dir) == -1 || chdir("/") == -1 ? -1 : 0;
}

/* The container's side, checked from inside. Returns 0 or the failed step. */
static int create_console(int sock)
{
	struct stat console, in;
	char name[32], line[16];
	int master;

	if (enter_a_container_root() == -1)
		return 10;
	master = console_create(07);
	if (master == -1) {
		dprintf(STDERR_FILENO, "%s\n", setup_error());
		return 11;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || !isatty(STDERR_FILENO))
		return 12;
	if (tcgetsid(STDIN_FILENO) != getpid() || tcgetpgrp(STDIN_FILENO) != getpgrp())
		return 13;                   /* our controlling terminal, ours in front */
	if (stat("/dev/console", &console) == -1 || fstat(STDIN_FILENO, &in) == -1 ||
	    console.st_rdev != in.st_rdev)
		return 14;
	if (ptsname_r(master, name, sizeof(name)) != 0 || strcmp(name, "/dev/pts/0") != 0)
		return 15;                   /* the first of our own instance */
	if (send_fd(sock, 't', master) == -1 || close(master) == -1)
		return 16;
	if (read(STDIN_FILENO, line, sizeof(line)) != 6 || memcmp(line, "hello\n", 6) != 0)
		return 17;
	dprintf(STDOUT_FILENO, "got hello\n");
	return 0;
}

START_TEST(console_create_makes_a_terminal_of_the_containers_own)
{
	char other[64];
	int sock[2], master, ws;
	pid_t child;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock), 0);
	child = fork_child();
	if (child == 0)
		_exit(create_console(sock[1]));
	close(sock[1]);
	master = recv_fd(sock[0], 't', other, sizeof(other));
	if (master >= 0) {
		ck_assert_int_eq(write(master, "hello\n", 6), 6);
		ck_assert(expect(master, "got hello"));
	}
	ws = wait_within(child, TIMEOUT_MS);
	rmdir(dir);
	ck_assert_msg(exited_with(ws, 0), "wait status %#x", ws);
	ck_assert_int_ge(master, 0);
}
END_TEST

/* legacy_tiocsti (Linux 6.2) 0 forbids TIOCSTI to all but CAP_SYS_ADMIN. */
static bool tiocsti_allowed(void)
{
	char v[4];

	return read_file("/proc/sys/dev/tty/legacy_tiocsti", v, sizeof(v)) == -1 || v[0] == '1';
}

/* A process of the caller's session, as root of a user namespace (no
 * CAP_SYS_ADMIN of the host), tries TIOCSTI on the caller's terminal before
 * and after new_session(). Returns 0 or the failed step. */
static int type_into(int tty)
{
	pid_t container;

	own_terminal(tty);
	container = fork();
	if (container == -1)
		return 10;
	if (container == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (unshare(CLONE_NEWUSER) == -1)
			_exit(20);
		if ((ioctl(tty, TIOCSTI, "x") == 0) != tiocsti_allowed())
			_exit(21);
		if (new_session() == -1)
			_exit(22);
		if (ioctl(tty, TIOCSTI, "y") == 0)
			_exit(23);
		_exit(0);
	}
	return exited_with(wait_within(container, TIMEOUT_MS), 0) ? 0 : 11;
}

START_TEST(new_session_keeps_the_container_from_typing_into_the_callers_shell)
{
	struct termios raw;
	char typed[8] = "";
	int master, slave, ws;
	pid_t shell;
	ssize_t n;

	open_pty(&master, &slave);
	ck_assert_int_eq(tcgetattr(slave, &raw), 0);
	cfmakeraw(&raw);                     /* so that a lone byte can be read */
	ck_assert_int_eq(tcsetattr(slave, TCSANOW, &raw), 0);
	shell = fork_child();
	if (shell == 0)
		_exit(type_into(slave));
	ws = wait_within(shell, 2 * TIMEOUT_MS);
	ck_assert_msg(exited_with(ws, 0), "wait status %#x", ws);
	ck_assert_int_eq(fcntl(slave, F_SETFL, O_NONBLOCK), 0);
	n = read(slave, typed, sizeof(typed) - 1);
	ck_assert_str_eq(n > 0 ? typed : "", tiocsti_allowed() ? "x" : "");
}
END_TEST

/* --- init (root) ------------------------------------------------------------ */

static char *sleep_100[] = { "sleep", "100", NULL };

START_TEST(sleep_as_pid1_ignores_sigterm)
{
	pid_t pid1;

	if (geteuid() != 0)
		return;
	pid1 = start_pid1(sleep_100, false, -1);
	ck_assert_int_gt(pid1, 0);
	ck_assert_int_eq(wait_for_program(pid1, "sleep", false), pid1);
	ck_assert_int_eq(kill(pid1, SIGTERM), 0);
	ck_assert(running_after(pid1, 300));
	kill_and_reap(pid1);
}
END_TEST

START_TEST(init_passes_sigterm_on_and_exits_128_plus_n)
{
	pid_t pid1;
	int ws;

	if (geteuid() != 0)
		return;
	pid1 = start_pid1(sleep_100, true, -1);
	ck_assert_int_gt(pid1, 0);
	ck_assert_int_gt(wait_for_program(pid1, "sleep", true), 0);
	ck_assert_int_eq(kill(pid1, SIGTERM), 0);
	ws = wait_within(pid1, TIMEOUT_MS);
	ck_assert_msg(exited_with(ws, 128 + SIGTERM), "wait status %#x", ws);
}
END_TEST

START_TEST(init_exits_with_the_commands_status)
{
	char *argv[] = { "sh", "-c", "exit 7", NULL };
	pid_t pid1;

	if (geteuid() != 0)
		return;
	pid1 = start_pid1(argv, true, -1);
	ck_assert_int_gt(pid1, 0);
	ck_assert(exited_with(wait_within(pid1, TIMEOUT_MS), 7));
}
END_TEST

START_TEST(init_exits_127_when_the_command_is_not_found)
{
	char *argv[] = { "no-such-command", NULL };
	pid_t pid1;

	if (geteuid() != 0)
		return;
	redirect(STDERR_FILENO, open("/dev/null", O_WRONLY)); /* "cannot run" */
	pid1 = start_pid1(argv, true, -1);
	ck_assert_int_gt(pid1, 0);
	ck_assert(exited_with(wait_within(pid1, TIMEOUT_MS), 127));
}
END_TEST

START_TEST(init_reaps_orphans)
{
	/* The subshell starts a sleep and exits: that sleep is orphaned, and
	 * the kernel makes it a child of init, after the command. */
	char *argv[] = { "sh", "-c", "(sleep 1 &); exec sleep 100", NULL };
	pid_t pid1, kids[4], command, orphan;
	int n = 0, waited;

	if (geteuid() != 0)
		return;
	pid1 = start_pid1(argv, true, -1);
	ck_assert_int_gt(pid1, 0);
	for (waited = 0; waited < TIMEOUT_MS && n != 2; waited += 10, sleep_ms(10))
		n = children_of(pid1, kids, 4);
	ck_assert_msg(n == 2, "init never adopted the orphan (%d children)", n);
	command = kids[0];
	orphan = kids[1];
	/* A zombie stays in its parent's list of children until reaped. */
	for (waited = 0; waited < TIMEOUT_MS && n != 1; waited += 10, sleep_ms(10))
		n = children_of(pid1, kids, 4);
	ck_assert_msg(n == 1 && kids[0] == command, "the orphan was not reaped");
	ck_assert(!proc_exists(orphan));
	ck_assert(comm_is(command, "sleep"));
	kill_and_reap(pid1);
}
END_TEST

/* The test is the runtime's parent, a subreaper, so that PID 1 comes to it
 * when the runtime dies. The runtime starts PID 1, which runs a command that
 * changes its credentials (setpriv), with or without init; then the runtime
 * is killed with SIGKILL. Returns PID 1; *command is the command. */
static pid_t start_and_kill_runtime(bool with_init, pid_t *command)
{
	char *argv[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
			 "sleep", "100", NULL };
	char status[1024], path[64];
	pid_t runtime, pid1 = -1;
	int p[2], waited;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(p), 0);
	runtime = fork_child();
	if (runtime == 0) {
		pid1 = start_pid1(argv, with_init, -1);
		if (write(p[1], &pid1, sizeof(pid1)) != sizeof(pid1))
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(p[0], &pid1, sizeof(pid1)), sizeof(pid1));
	ck_assert_int_gt(pid1, 0);
	*command = wait_for_program(pid1, "sleep", with_init);
	ck_assert_int_gt(*command, 0);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)*command);
	for (waited = 0; waited < TIMEOUT_MS; waited += 10, sleep_ms(10))
		if (read_file(path, status, sizeof(status)) > 0 && strstr(status, "\nUid:\t65534"))
			break;
	ck_assert_msg(waited < TIMEOUT_MS, "the command never became 65534");
	kill_and_reap(runtime);
	return pid1;
}

START_TEST(without_init_a_credential_change_outlives_the_runtime)
{
	pid_t pid1, command;

	if (geteuid() != 0)
		return;
	pid1 = start_and_kill_runtime(false, &command);
	ck_assert_int_eq(command, pid1);
	ck_assert(running_after(pid1, 300)); /* the flaw --init fixes */
	kill_and_reap(pid1);
}
END_TEST

START_TEST(init_dies_with_the_runtime_whatever_the_command_did)
{
	pid_t pid1, command;
	int ws, waited;

	if (geteuid() != 0)
		return;
	pid1 = start_and_kill_runtime(true, &command);
	ws = wait_within(pid1, TIMEOUT_MS);
	ck_assert_msg(killed_by(ws, SIGKILL), "wait status %#x", ws);
	for (waited = 0; waited < TIMEOUT_MS && proc_exists(command); waited += 10)
		sleep_ms(10);
	ck_assert_msg(!proc_exists(command), "the command outlived its namespace");
}
END_TEST

/* PID 1 on a terminal of its own, running sleep, with or without init; the
 * user types Ctrl-C. Returns PID 1. */
static pid_t ctrl_c(bool with_init, int master, int slave)
{
	pid_t pid1 = start_pid1(sleep_100, with_init, slave), command, fg = -1;

	ck_assert_int_gt(pid1, 0);
	command = wait_for_program(pid1, "sleep", with_init);
	ck_assert_int_gt(command, 0);
	for (int waited = 0; waited < TIMEOUT_MS && fg != command; waited += 10, sleep_ms(10))
		fg = tcgetpgrp(master);
	ck_assert_int_eq(fg, command);       /* the command is in the foreground */
	ck_assert_int_eq(write(master, "\003", 1), 1);
	return pid1;
}

START_TEST(ctrl_c_does_not_end_sleep_as_pid1)
{
	int master, slave;
	pid_t pid1;

	if (geteuid() != 0)
		return;
	open_pty(&master, &slave);
	pid1 = ctrl_c(false, master, slave);
	ck_assert(running_after(pid1, 300));
	kill_and_reap(pid1);
}
END_TEST

START_TEST(ctrl_c_ends_the_command_under_init)
{
	int master, slave, ws;
	pid_t pid1;

	if (geteuid() != 0)
		return;
	open_pty(&master, &slave);
	pid1 = ctrl_c(true, master, slave);
	ws = wait_within(pid1, TIMEOUT_MS);
	ck_assert_msg(exited_with(ws, 128 + SIGINT), "wait status %#x", ws);
}
END_TEST

static Suite *supervise_suite(void)
{
	Suite *s = suite_create("supervise");
	TCase *signals = tcase_create("signals");
	TCase *relay = tcase_create("supervise");
	TCase *console = tcase_create("console");
	TCase *init = tcase_create("init");

	tcase_add_test(signals, forwarded_signals_are_those_that_end_a_process);
	tcase_add_test(signals, blocked_signals_wait_in_the_signalfd_and_none_is_lost);
	suite_add_tcase(s, signals);

	tcase_set_timeout(relay, 20);
	tcase_add_test(relay, supervise_forwards_signals_and_returns_the_wait_status);
	tcase_add_test(relay, supervise_reaps_pid1_only);
	tcase_add_test(relay, supervise_relays_keys_screen_and_window_size);
	tcase_add_test(relay, supervise_delivers_all_output_written_before_the_end);
	tcase_add_test(relay, supervise_passes_end_of_input_on);
	tcase_add_test(relay, supervise_hangs_up_when_nobody_reads_the_output);
	tcase_add_test(relay, supervise_does_not_hang_up_a_terminal_the_container_closed);
	suite_add_tcase(s, relay);

	tcase_set_timeout(console, 20);
	tcase_add_test(console, raw_mode_is_taken_and_given_back);
	tcase_add_test(console, the_terminal_is_restored_on_exit_and_on_a_crash);
	tcase_add_test(console, a_background_runtime_waits_for_fg_before_raw_mode);
	tcase_add_test(console, a_background_runtime_without_job_control_leaves_the_terminal);
	tcase_add_test(console,
		       a_background_runtime_with_only_its_output_at_the_terminal_neither_stops_nor_changes_it);
	tcase_add_test(console, the_window_size_is_copied_to_the_container);
	tcase_add_test(console, console_create_makes_a_terminal_of_the_containers_own);
	tcase_add_test(console, new_session_keeps_the_container_from_typing_into_the_callers_shell);
	suite_add_tcase(s, console);

	tcase_set_timeout(init, 20);
	tcase_add_test(init, sleep_as_pid1_ignores_sigterm);
	tcase_add_test(init, init_passes_sigterm_on_and_exits_128_plus_n);
	tcase_add_test(init, init_exits_with_the_commands_status);
	tcase_add_test(init, init_exits_127_when_the_command_is_not_found);
	tcase_add_test(init, init_reaps_orphans);
	tcase_add_test(init, without_init_a_credential_change_outlives_the_runtime);
	tcase_add_test(init, init_dies_with_the_runtime_whatever_the_command_did);
	tcase_add_test(init, ctrl_c_does_not_end_sleep_as_pid1);
	tcase_add_test(init, ctrl_c_ends_the_command_under_init);
	suite_add_tcase(s, init);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(supervise_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
