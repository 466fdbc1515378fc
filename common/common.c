/* common.c: error helpers, parsers and exit-status rules; see common.h. */
#include "common.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Print "prog: MESSAGE[: strerror(err)]\n" on stderr, after what is
 * waiting in stdout unless in_child (whose stdout buffer is its parent's). */
static void vreport(int err, bool in_child, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!in_child)
		fflush(stdout);
	if (err)
		fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, msg, strerror(err));
	else
		fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg);
}

void errExit(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(err, false, fmt, ap);
	va_end(ap);
	exit(EXIT_CANCELED);
}

void errExitChild(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(err, true, fmt, ap);
	va_end(ap);
	_exit(EXIT_CANCELED);
}

void fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(0, false, fmt, ap);
	va_end(ap);
	exit(EXIT_CANCELED);
}

void errMsg(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	va_start(ap, fmt);
	vreport(err, false, fmt, ap);
	va_end(ap);
	errno = err;
}

void warnMsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport(0, false, fmt, ap);
	va_end(ap);
}

void usage_exit(int status, const char *text)
{
	FILE *out = status == 0 ? stdout : stderr;

	fprintf(out, "Usage: %s %s", program_invocation_short_name, text);
	exit(status);
}

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	/* strtol() skips leading blanks and accepts a sign; we want digits. */
	if (s == NULL || !(isdigit((unsigned char)s[0]) || (s[0] == '-' && isdigit((unsigned char)s[1])))) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

long parse_long_or_die(const char *s, long min, long max, const char *what)
{
	long v;

	if (parse_long(s, min, max, &v) == -1) {
		if (errno == ERANGE)
			fatal("invalid %s '%s': not in %ld..%ld", what, s, min, max);
		fatal("invalid %s '%s'", what, s);
	}
	return v;
}

int parse_size(const char *s, uint64_t *bytes)
{
	unsigned long long v;
	unsigned shift = 0;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0])) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	if (shift && v > (UINT64_MAX >> shift)) {
		errno = ERANGE;
		return -1;
	}
	*bytes = (uint64_t)v << shift;
	return 0;
}

int parse_thousandths(const char *s, long *out)
{
	long whole, frac = 0, scale = 100;
	const char *p;
	char *end;

	if (s == NULL || !isdigit((unsigned char)s[0])) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	whole = strtol(s, &end, 10);
	if (errno == ERANGE)
		return -1;
	if (*end == '.') {
		for (p = end + 1; isdigit((unsigned char)*p); p++) {
			if (scale == 0) {     /* a fourth fraction digit */
				errno = EINVAL;
				return -1;
			}
			frac += (*p - '0') * scale;
			scale /= 10;
		}
		if (p == end + 1) {           /* "1." */
			errno = EINVAL;
			return -1;
		}
		end = (char *)p;
	}
	if (*end != '\0') {
		errno = EINVAL;
		return -1;
	}
	/* whole * 1000 + frac <= LONG_MAX, checked without computing it: a
	 * signed overflow is undefined behaviour, not a wrap to test after. */
	if (whole > (LONG_MAX - frac) / 1000) {
		errno = ERANGE;
		return -1;
	}
	*out = whole * 1000 + frac;
	return 0;
}

void termination_signals(sigset_t *set)
{
	/* Signals whose default is to stop, continue or do nothing, those
	 * nobody may catch, and the faults. */
	static const int others[] = {
		SIGCHLD, SIGCONT, SIGURG, SIGWINCH, SIGTSTP, SIGTTIN, SIGTTOU,
		SIGKILL, SIGSTOP,
		SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, SIGSYS, SIGABRT,
	};

	/* glibc's sigfillset() leaves out the two real-time signals it keeps
	 * for its threads. */
	sigfillset(set);
	for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
		sigdelset(set, others[i]);
}

int exit_status_of(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return EXIT_CANCELED;
}

int exec_failure_status(int err)
{
	return err == ENOENT ? EXIT_ENOENT : EXIT_CANNOT_INVOKE;
}

void exec_command(char *const argv[])
{
	int err;

	execvp(argv[0], argv);
	err = errno;
	fprintf(stderr, "%s: cannot run '%s': %s\n", program_invocation_short_name,
		argv[0], strerror(err));
	_exit(exec_failure_status(err));
}

void wait_for_go(int go[2])
{
	char byte;
	ssize_t n;

	/* Our copy of the write end must go first: end of file comes only when
	 * no process holds one open. */
	if (close(go[1]) == -1)
		errExitChild("close pipe write end %d", go[1]);
	do
		n = read(go[0], &byte, 1);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		errExitChild("read pipe %d", go[0]);
	if (n == 0) {
		errno = EPIPE;
		errExitChild("the parent went away before letting the child go");
	}
	if (close(go[0]) == -1)
		errExitChild("close pipe read end %d", go[0]);
}

void send_go(int go[2])
{
	if (write(go[1], "g", 1) != 1)
		errExit("write pipe %d", go[1]);
	if (close(go[0]) == -1)
		errExit("close pipe read end %d", go[0]);
	if (close(go[1]) == -1)
		errExit("close pipe write end %d", go[1]);
}

int wait_for_child(pid_t child)
{
	int wstatus;

	while (waitpid(child, &wstatus, 0) == -1)
		if (errno != EINTR)
			errExit("waitpid %ld", (long)child);
	return wstatus;
}

void stop_child(pid_t child)
{
	if (kill(child, SIGKILL) == -1)
		errExit("kill %ld", (long)child);
	wait_for_child(child);
}

int write_file(const char *path, const char *s)
{
	size_t len = strlen(s);
	ssize_t n;
	int fd, err;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = write(fd, s, len);
	err = errno;
	if (close(fd) == -1 && n >= 0) /* a cgroup file may report its error on close */
		return -1;
	if (n == -1) {
		errno = err;
		return -1;
	}
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

ssize_t read_file(const char *path, char *buf, size_t size)
{
	ssize_t n, total = 0;
	int fd, err;

	if (size == 0) {
		errno = EINVAL;
		return -1;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	while ((size_t)total < size - 1) {
		n = read(fd, buf + total, size - 1 - (size_t)total);
		if (n == -1) {
			err = errno;
			close(fd);
			errno = err;
			return -1;
		}
		if (n == 0)
			break;
		total += n;
	}
	buf[total] = '\0';
	close(fd);
	return total;
}
