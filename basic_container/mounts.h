/* mounts.h: the container's filesystem view.
 *
 * Called in the child, inside its new user and mount namespaces, in this
 * order: make_mounts_private(), enter_rootfs() ... mount_pseudo_filesystems()
 * ... detach_old_root(). On failure each returns -1 with a message recorded
 * through setup_fail().
 */
#ifndef MOUNTS_H
#define MOUNTS_H

#include <limits.h>

struct rootfs {
	char path[PATH_MAX];    /* the root filesystem on the host */
	char old_root[64];      /* where the old root hangs after pivot_root, e.g. /.old_root.Ab3xYz */
};

/* `mount --make-rprivate /` */
int make_mounts_private(void);

/* Bind-mount the root filesystem onto itself, create a put-old directory in
 * it, pivot_root() into it and chdir("/"). Prints "pivot setup ok" (unless
 * quiet) once pivot_root succeeded. */
int enter_rootfs(struct rootfs *rfs, int quiet);

/* Mount /proc (fresh, for the new PID namespace), /sys read-only, and a
 * small /dev, while the old root is still attached. */
int mount_pseudo_filesystems(const struct rootfs *rfs);

/* `umount -l OLD_ROOT; rmdir OLD_ROOT`: after this no host path is reachable. */
int detach_old_root(struct rootfs *rfs);

/* After a failed step: take the old root away and remove its directory, so
 * that nothing of ours stays in the root filesystem on the host. Best effort,
 * quiet; does nothing before pivot_root or after detach_old_root(). */
void abandon_old_root(struct rootfs *rfs);

#endif
