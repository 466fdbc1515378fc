/* fd_passing.h: hand an open file descriptor to another process.
 *
 * Over an AF_UNIX socket, sendmsg(2) can carry file descriptors beside its
 * data, in an SCM_RIGHTS control message (unix(7)): the receiver gets a new
 * descriptor for the same open file, as if it had called dup(2). This is how
 * the runtime and its container exchange things only one of them can open:
 * the parent sends a mount it made on the host (the idmapped image, a
 * volume), the container sends back the master of the terminal it made in
 * its own /dev/pts. Each message is one tag byte that says what it carries,
 * plus the descriptor; on a SOCK_SEQPACKET socket it arrives in one piece.
 */
#ifndef FD_PASSING_H
#define FD_PASSING_H

#include <stddef.h>

/* Send fd with the one-byte tag. Returns 0, or -1 with errno set. */
int send_fd(int sock, char tag, int fd);

/* Receive one message that must carry the tag and a descriptor; the
 * descriptor is close-on-exec. Returns it, or -1 with errno set: EPROTO when
 * the message is something else (its bytes are then in other, NUL-terminated:
 * a container's setup error, say), ECONNRESET when the other side has gone
 * (end of file included). other must hold at least 2 bytes. */
int recv_fd(int sock, char tag, char *other, size_t size);

#endif
