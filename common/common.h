/* common.h: the one small header every program of the suite includes.
 *
 * In the spirit of TLPI's tlpi_hdr.h: error helpers that name the failing
 * call and its argument, a usage helper, checked parsers, and the exit-status
 * rules shared with chroot(1), env(1) and timeout(1).
 */
#ifndef COMMON_H
#define COMMON_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Exit statuses of a program that runs a command, as chroot(1) and env(1). */
enum {
	EXIT_CANCELED = 125,      /* we failed ourselves, or bad usage */
	EXIT_CANNOT_INVOKE = 126, /* the command exists but cannot be executed */
	EXIT_ENOENT = 127,        /* the command was not found */
};

#define NORETURN_PRINTF(fmt, args) __attribute__((noreturn, format(printf, fmt, args)))
#define PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* "prog: MESSAGE: strerror(errno)" on stderr, then exit(EXIT_CANCELED). */
void errExit(const char *fmt, ...) NORETURN_PRINTF(1, 2);

/* As errExit(), but _exit(): for a child of fork() or clone(), which must not
 * flush stdio buffers it inherited from its parent nor run atexit handlers. */
void errExitChild(const char *fmt, ...) NORETURN_PRINTF(1, 2);

/* "prog: MESSAGE" on stderr (no errno), then exit(EXIT_CANCELED). */
void fatal(const char *fmt, ...) NORETURN_PRINTF(1, 2);

/* "prog: MESSAGE: strerror(errno)" on stderr; errno is preserved. */
void errMsg(const char *fmt, ...) PRINTF(1, 2);

/* "prog: MESSAGE" on stderr. */
void warnMsg(const char *fmt, ...) PRINTF(1, 2);

/* Print "Usage: PROG TEXT" and exit with status: to stdout for 0 (asked for
 * with -h), else to stderr. TEXT goes on from the program's name, e.g.
 * "[options] CMD [ARG...]\n\nOptions:\n  -h  this help\n". */
void usage_exit(int status, const char *text) __attribute__((noreturn));

/* Parse a whole decimal integer in [min, max]. Returns 0, or -1 with errno
 * EINVAL (empty, junk, no digits) or ERANGE (out of range, overflow). */
int parse_long(const char *s, long min, long max, long *out);

/* parse_long() or exit 125 with "prog: invalid WHAT 'S'". */
long parse_long_or_die(const char *s, long min, long max, const char *what);

/* Parse a size: decimal digits with an optional binary suffix K, M, G or T
 * (case-insensitive), e.g. "5M" = 5242880. Returns 0, or -1 with errno
 * EINVAL (empty, junk suffix) or ERANGE (does not fit 64 bits). */
int parse_size(const char *s, uint64_t *bytes);

/* Parse a decimal with up to three fraction digits as thousandths:
 * "0.2" -> 200, "1.5" -> 1500, "2" -> 2000. For CPU shares: -c 0.2 is one
 * fifth of a CPU. Returns 0, or -1 with errno EINVAL or ERANGE. */
int parse_thousandths(const char *s, long *out);

/* Fill set with every signal that ends a process by default and that it may
 * catch (SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGTERM, SIGRTMIN..., see
 * signal(7)): what a command runner passes on to its command, instead of
 * dying without cleaning up. Left out, as tini leaves them out: the signals
 * the kernel sends a program for a fault of its own (SIGSEGV, SIGBUS,
 * SIGILL, SIGFPE, SIGTRAP, SIGSYS, and SIGABRT from abort()), which a runner
 * must still die of; a handler that returned would re-run the faulting
 * instruction for ever. */
void termination_signals(sigset_t *set);

/* The status a command runner exits with, from a wait status:
 * the command's own exit status, or 128+N when it died of signal N. */
int exit_status_of(int wstatus);

/* The status for a failed exec: 127 when not found, 126 otherwise. */
int exec_failure_status(int err);

/* execvp(argv[0], argv); on failure say why on stderr and _exit(126 or 127).
 * For use in a child process. */
void exec_command(char *const argv[]) __attribute__((noreturn));

/* A pipe that holds a child back until its parent says go. After fork() or
 * clone(), the child calls wait_for_go(go), which returns once the parent has
 * called send_go(go): one byte through the pipe. Should the parent die first,
 * the child sees end of file and exits 125 instead of going on. */
void wait_for_go(int go[2]);
void send_go(int go[2]);

/* waitpid() for a child (retrying on EINTR); returns its wait status. */
int wait_for_child(pid_t child);

/* On the parent's own failure: kill a child that still waits for its go, so
 * that its command never runs, and reap it. */
void stop_child(pid_t child);

/* Write the string s to the file at path (open, one write, close).
 * Returns 0, or -1 with errno set. */
int write_file(const char *path, const char *s);

/* Read up to size-1 bytes of the file at path into buf, NUL-terminated.
 * Returns the number of bytes read, or -1 with errno set. */
ssize_t read_file(const char *path, char *buf, size_t size);

#endif
