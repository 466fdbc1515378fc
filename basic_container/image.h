/* image.h: the image and the volumes, as the runtime hands them over.
 *
 * The image directory is opened once, by the runtime, and from then on used
 * only through that descriptor: a path resolved twice (once to check, once
 * to mount) can be swapped for a symlink in between. For the container the
 * runtime makes a copy of the image's mount (open_tree(2),
 * OPEN_TREE_CLONE) and idmaps it through the container's user namespace
 * (mount_setattr(2), MOUNT_ATTR_IDMAP, Linux 5.12): a file owned by host
 * user N then shows, through that mount, as owned by whoever N is inside
 * the container. So the image keeps its owners as seen inside (root owns
 * /etc/shadow, _apt what is _apt's), however the container's IDs lie on the
 * host, and nothing on the disk changes. Volumes (-v HOST:DIR) are done the
 * same way. The mounts are detached (in no namespace) until the container
 * puts them in place in its own mount namespace.
 */
#ifndef IMAGE_H
#define IMAGE_H

#include <stdbool.h>
#include <sys/mount.h>

/* -v HOST_DIR:CONTAINER_DIR[:ro|:rw] */
struct volume {
	const char *spec;       /* as given, for messages */
	char host[4096];
	char target[4096];      /* absolute, inside the container */
	bool read_only;
	int fd;                 /* HOST_DIR, opened once; -1 before */
};

/* The mount attributes of the image's copy, made by the runtime or (a
 * plain user's run) by the container: nodev, so that a device node in the
 * image, as a tarball may carry, opens nothing. */
#define IMAGE_ATTRS MOUNT_ATTR_NODEV

/* Those of a volume's copy: nodev and nosuid, and read-only with :ro. */
unsigned volume_attrs(const struct volume *v);

/* Parse spec into v, or exit 125 with one line saying what is wrong. */
void parse_volume(const char *spec, struct volume *v);

/* Open a directory of the host by descriptor (O_PATH), or exit 125 with
 * one line; what says what it is ("rootfs", which also names the way to
 * make a missing image, or "volume"). */
int open_host_dir(const char *path, const char *what);

/* A detached, private copy of the mount at the directory dirfd, with the
 * MOUNT_ATTR_ flags attrs, idmapped through the user namespace userns_fd
 * unless that is -1. Returns its descriptor, or -1 with a message through setup_fail()
 * that, when the filesystem or the kernel cannot idmap, says so and what to
 * do instead. */
int copy_for_container(int dirfd, const char *path, int userns_fd, unsigned attrs);

#endif
