/* setup_error.h: how the container's setup steps report what failed.
 *
 * The child process sets up the container (mounts, network, hostname) before
 * it execs the command. When a step fails it cannot simply print and exit:
 * the parent owns the terminal's story, the cgroup and the exit status. So
 * each step returns -1 after recording one line here, naming the call, its
 * argument and strerror(errno); the child sends that line to the parent,
 * which prints it and exits 125. crun does the same with its libcrun_error_t.
 */
#ifndef SETUP_ERROR_H
#define SETUP_ERROR_H

/* Record "MESSAGE: strerror(errno)" as the setup error; return -1. */
int setup_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Record "MESSAGE" (no errno) as the setup error; return -1. */
int setup_fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The last recorded error. */
const char *setup_error(void);

#endif
