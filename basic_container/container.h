/* container.h: one container, as the runtime sees it.
 *
 * basic_container is one program in two processes: the runtime (the parent,
 * on the host: basic_container.c) and the child it clones into the new
 * namespaces, which sets the container up from the inside and becomes its
 * command (child.c). The child starts with a copy of this structure, as the
 * parent had filled it in before the clone; after that the two talk only
 * through their socket, sync[] (see child.c).
 */
#ifndef CONTAINER_H
#define CONTAINER_H

#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "../cgroup/cgroup.h"
#include "netlink.h"
#include "options.h"
#include "state.h"

#define PEER_NAME "eth0"       /* the veth end inside the container */

struct container {
	struct options opt;
	bool as_root;                  /* the runtime runs as root */
	int image;                     /* the image directory, opened once */
	char image_path[PATH_MAX];     /* rootless: where the child finds it */
	struct state state;
	bool has_state;
	struct bridge bridge;          /* when networked */
	struct netlink nl;             /* the parent's, on the host */
	struct cgroup cgroup;
	bool has_cgroup;
	int sync[2];                   /* [0] the parent's end, [1] the child's */
	pid_t pid;                     /* the child, as the host sees it */
	int pidfd;                     /* the child, for good (see supervise.h) */
	int sigfd;                     /* the signals we pass on */
	int master;                    /* its terminal's master, or -1 */
	char veth[IF_NAMESIZE];        /* the host end */
	sigset_t old_mask;             /* the caller's, before we blocked signals */
	bool has_terminal;             /* we gave the terminal to the container */
	bool has_console;              /* the container has a pty of its own */
	unsigned terminals;            /* which of our fds 0-2 are terminals */
};

/* Print unless -q, and flush: before every clone and exec, under a pipe. */
void say(const struct options *opt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The child: set the container up from the inside, then exec the command
 * (or, with --init, become its init). Never returns. */
void container_main(struct container *c) __attribute__((noreturn));

#endif
