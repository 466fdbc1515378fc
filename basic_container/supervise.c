/* supervise.c: forward signals, relay the terminal, reap PID 1; see
 * supervise.h. */
#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/pidfd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../lockdown/console.h"
#include "signals.h"

/* Ctrl-D, the default VEOF (termios(3)): what a user types for end of file. */
#define EOF_CHAR '\004'

/* Bytes read from one side, not yet all written to the other. PIPE_BUF
 * bytes is what poll's POLLOUT promises a pipe can take without blocking. */
struct buffer {
	char data[PIPE_BUF];
	size_t len, done;
};

struct relay {
	bool stdin_open;      /* stdin still has input to give */
	struct buffer in;     /* stdin -> master */
	struct buffer out;    /* master -> stdout */
};

enum { SIGNALS, EXIT, STDIN, MASTER, STDOUT, NFDS };

/* The window size may not follow when the caller's terminal has hung up
 * (EIO); the container then keeps its last size. */
static void pass_window_size(const struct supervision *s)
{
	if (s->master >= 0)
		(void)console_copy_size(s->master);
}

/* Read what signals are pending and pass them on. */
static int forward_signals(const struct supervision *s)
{
	struct signalfd_siginfo si[16];
	ssize_t n = read(s->sigfd, si, sizeof(si));

	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	for (size_t i = 0; i < (size_t)n / sizeof(si[0]); i++) {
		int sig = (int)si[i].ssi_signo;

		if (sig == SIGWINCH)
			pass_window_size(s);
		else if (is_for_container(&si[i]) &&
			 pidfd_send_signal(s->pidfd, sig, NULL, 0) == -1 && errno != ESRCH)
			return -1;
	}
	return 0;
}

/* The container's terminal is gone for us: hang it up (when we close the
 * master, the kernel sends SIGHUP to the session it controls) and relay no
 * more. */
static void hang_up(struct supervision *s, struct relay *r)
{
	if (s->master >= 0)
		close(s->master);
	s->master = -1;
	r->in.len = r->in.done = 0;
	r->out.len = r->out.done = 0;
}

/* Write what buf holds to fd, at most PIPE_BUF bytes at a time. Returns 0
 * (done, or fd can take no more now), or -1 with errno: fd is unusable. */
static int write_some(int fd, struct buffer *buf)
{
	ssize_t n = write(fd, buf->data + buf->done, buf->len - buf->done);

	if (n == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	buf->done += (size_t)n;
	if (buf->done == buf->len)
		buf->len = buf->done = 0;
	return 0;
}

/* Read once from fd into an empty buf. Returns the byte count, 0 at end of
 * file, or -1 with errno (EAGAIN: nothing after all). */
static ssize_t read_some(int fd, struct buffer *buf)
{
	ssize_t n;

	do
		n = read(fd, buf->data, sizeof(buf->data));
	while (n == -1 && errno == EINTR);
	if (n > 0)
		buf->len = (size_t)n;
	return n;
}

static void relay_stdin(const struct supervision *s, struct relay *r)
{
	ssize_t n = read_some(s->in, &r->in);

	if (n > 0 || (n == -1 && errno == EAGAIN))
		return;
	/* End of file, or an error (EIO: the caller's terminal hung up, or we
	 * are an orphaned background job): the container reads end of file. */
	r->stdin_open = false;
	r->in.data[0] = EOF_CHAR;
	r->in.len = 1;
}

static void relay_master(struct supervision *s, struct relay *r, short revents)
{
	if ((revents & POLLOUT) && write_some(s->master, &r->in) == -1) {
		hang_up(s, r);
		return;
	}
	/* POLLHUP comes whether asked for or not: read only into an empty
	 * buffer, or what it holds would be lost. */
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && r->out.len == 0) {
		ssize_t n = read_some(s->master, &r->out);

		/* EIO: nobody holds the slave open, not even we (see supervise()). */
		if (n == 0 || (n == -1 && errno != EAGAIN))
			hang_up(s, r);
	}
}

static void relay_stdout(struct supervision *s, struct relay *r)
{
	if (write_some(s->out, &r->out) == -1)
		hang_up(s, r);
}

/* What to wait for, given what the buffers hold: read a side only when
 * the buffer it fills is empty, write a side only when there is something
 * for it. The master is left out while it has nothing to do: poll(2)
 * reports its hang-up (POLLHUP) unasked, and would do so in a loop. */
static void set_events(const struct supervision *s, const struct relay *r, struct pollfd *p)
{
	bool relaying = s->master >= 0;
	bool use_master = relaying && (r->out.len == 0 || r->in.len > 0);

	p[SIGNALS] = (struct pollfd){ .fd = s->sigfd, .events = POLLIN };
	p[EXIT] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
	p[STDIN] = (struct pollfd){ .fd = relaying && r->stdin_open && r->in.len == 0 ? s->in : -1,
				    .events = POLLIN };
	p[MASTER] = (struct pollfd){ .fd = use_master ? s->master : -1,
				     .events = (short)((r->out.len == 0 ? POLLIN : 0) |
						       (r->in.len > 0 ? POLLOUT : 0)) };
	p[STDOUT] = (struct pollfd){ .fd = relaying && r->out.len > 0 ? s->out : -1,
				     .events = POLLOUT };
}

/* Write all of buf to fd, blocking: the container has ended, there is
 * nothing else to attend to. */
static bool flush_to(int fd, struct buffer *buf)
{
	while (buf->len > 0) {
		ssize_t n = write(fd, buf->data + buf->done, buf->len - buf->done);

		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return false;
		buf->done += (size_t)n;
		if (buf->done == buf->len)
			buf->len = buf->done = 0;
	}
	return true;
}

/* PID 1 has ended and with it every process of its namespace, so no one
 * writes to the slave any more: the master gives what it still buffers, then
 * EAGAIN (or EIO, once we too have closed the slave). A read that finds its
 * buffer empty first waits for what the slave's writes left on the way to
 * it (n_tty_read() flushes the pending buffer work), so nothing is missed. */
static void drain(struct supervision *s, struct relay *r)
{
	if (s->master < 0)
		return;
	while (flush_to(s->out, &r->out) && read_some(s->master, &r->out) > 0)
		;
}

static int reap(const struct supervision *s)
{
	int wstatus;

	while (waitpid(s->pid, &wstatus, 0) == -1)
		if (errno != EINTR)
			return -1;
	return wstatus;
}

/* Our own descriptor of the slave, opened through the master (TIOCGPTPEER
 * needs no path in the container's /dev/pts), and the master made
 * non-blocking: it is ours alone, unlike stdin and stdout. */
static int hold_slave(const struct supervision *s)
{
	int flags = fcntl(s->master, F_GETFL);

	if (flags == -1 || fcntl(s->master, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	return ioctl(s->master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
}

/* Until PID 1 ends: pass signals on and relay the terminal both ways; then
 * drain it. */
static int relay_until_exit(struct supervision *s)
{
	struct relay r = { .stdin_open = s->in >= 0 };
	struct pollfd p[NFDS];

	for (;;) {
		set_events(s, &r, p);
		if (poll(p, NFDS, -1) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[SIGNALS].revents && forward_signals(s) == -1)
			return -1;
		if (p[EXIT].revents)
			break;
		if (p[STDIN].revents)
			relay_stdin(s, &r);
		if (p[MASTER].revents)
			relay_master(s, &r, p[MASTER].revents);
		if (p[STDOUT].revents && s->master >= 0)
			relay_stdout(s, &r);
	}
	drain(s, &r);
	return 0;
}

int supervise(struct supervision *s)
{
	int slave = -1, err;

	if (s->master >= 0) {
		slave = hold_slave(s);
		if (slave == -1)
			return -1;
		pass_window_size(s);
	}
	err = relay_until_exit(s) == -1 ? errno : 0;
	if (slave >= 0)
		close(slave);
	if (err) {
		errno = err;
		return -1;
	}
	return reap(s);
}
