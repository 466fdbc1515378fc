/* mounts.h: the container's filesystem, made with descriptors.
 *
 * Called in the child, inside its new user and mount namespaces, before
 * pivot_root: everything is built under the new root while the host's tree
 * is still there to take /proc's permission and the device nodes from.
 *
 * No path inside the root filesystem is ever resolved by name in the host's
 * tree: the image arrives as a mount (a descriptor), and every mount point
 * in it is opened with openat2(2) relative to the new root, with
 * RESOLVE_IN_ROOT (".." and absolute symlinks stop at the root, as after
 * chroot) and, for /proc, /sys and /dev, RESOLVE_NO_SYMLINKS: an image whose
 * /proc is a symlink could otherwise send procfs anywhere (runc's
 * CVE-2019-19921). Mounts are made with fsopen/fsconfig/fsmount and put in
 * place with move_mount onto a descriptor (the mount API of Linux 5.2). Each
 * call returns 0 (or a descriptor) or -1 with a message recorded through
 * setup_fail().
 */
#ifndef MOUNTS_H
#define MOUNTS_H

#include <stdbool.h>
#include <sys/types.h>

#include "../cgroup/cgroup.h"

/* `mount --make-rprivate /` */
int make_mounts_private(void);

/* The container's root. From the image (a detached mount the runtime made,
 * idmapped where it could be) and, when state_dir is given, the layer in
 * it: an overlay whose lower layer is the image, read-only, and whose upper
 * layer state_dir/upper takes every write. Without state_dir the image
 * itself is the root and is written to. attach_at is the directory the root
 * is mounted on: state_dir/merged, or the image's own directory. Returns
 * the root's descriptor. */
int mount_root(int image, const char *state_dir, int attach_at);

/* Mount the detached mount tree on the directory path of the container
 * (absolute, resolved inside root), making what is missing of path in the
 * container's layer. */
int mount_volume(int root, const char *path, int tree);

/* /etc/hosts, /etc/hostname and /etc/resolv.conf of the container, made on
 * a small tmpfs of its own (never on the host) and mounted read-only over
 * the image's. In a layer (in_layer) a missing one (or /etc) is made there
 * first, and a symlink replaced by a file; on the image itself (-w, a plain
 * user's run) nothing is changed: only the regular files it has are
 * covered. ip is NULL without a network. */
int mount_etc_files(int root, bool in_layer, const char *hostname, const char *ip);

/* A fresh /proc for the container's PID namespace; returns its mount. */
int mount_proc(int root);

/* sysfs, read-only, with the container's own cgroup at /sys/fs/cgroup,
 * read-only (v2: the namespaced cgroup2; v1: each controller's hierarchy
 * the container has a cgroup in). cg is NULL without a cgroup. Returns the
 * /sys mount. */
int mount_sys(int root, const struct cgroup *cg);

/* A tmpfs on /dev with the host's harmless device nodes bound in, an empty
 * /dev/console for the terminal, a private devpts (tty_group: its nodes
 * belong to group 5, tty, which exists only with a range of IDs) and a
 * /dev/shm. */
int mount_dev(int root, bool tty_group);

/* pivot_root(".", ".") into root, then detach the old root stacked on it:
 * no directory for the old root is ever made in the image. Prints "pivot
 * setup ok" unless quiet. */
int pivot_into(int root, bool quiet);

/* Tools for masking parts of /proc and /sys (lockdown/masks.c). */

/* openat2(dirfd, path) staying beneath dirfd and following no symlink. */
int open_beneath(int dirfd, const char *path, int flags);

/* A new filesystem: fsopen(type), each "key=value" or "flag" of the
 * comma-separated options, fsmount with the MOUNT_ATTR_ flags attrs.
 * Returns the detached mount. */
int new_mount(const char *type, const char *options, unsigned attrs);

/* A private copy of the mount at dirfd/path (open_tree OPEN_TREE_CLONE,
 * path "" for dirfd itself) with the MOUNT_ATTR_ flags attrs set; what
 * names it in error messages. */
int copy_mount(int dirfd, const char *path, unsigned attrs, const char *what);

/* Put the detached mount tree on target (a descriptor); closes tree. what
 * names target in the message. */
int attach_mount(int tree, int target, const char *what);

#endif
