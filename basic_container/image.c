/* image.c: the image and the volumes as descriptors; see image.h. */
#include "image.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common.h"
#include "setup_error.h"

int open_host_dir(const char *path, const char *what)
{
	struct stat st;
	int fd = open(path, O_PATH | O_CLOEXEC);

	if (fd == -1 && errno == ENOENT && strcmp(what, "rootfs") == 0)
		errExit("rootfs %s not found (make rootfs builds one)", path);
	if (fd == -1)
		errExit("%s %s", what, path);
	if (fstat(fd, &st) == -1)
		errExit("stat %s %s", what, path);
	if (!S_ISDIR(st.st_mode))
		fatal("%s %s is not a directory", what, path);
	return fd;
}

/* Is some component of path (absolute) "." or ".."? */
static bool has_dot_component(const char *path)
{
	for (const char *p = path; *p; p += strspn(p, "/")) {
		size_t n = strcspn(p, "/");

		if ((n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return true;
		p += n;
	}
	return false;
}

/* Is path dir itself or below it? */
static bool is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

void parse_volume(const char *spec, struct volume *v)
{
	const char *colon = strchr(spec, ':'), *mode;
	size_t host_len, target_len;

	*v = (struct volume){ .spec = spec, .fd = -1 };
	if (colon == NULL || colon == spec)
		fatal("-v %s: expected HOST_DIR:CONTAINER_DIR[:ro]", spec);
	host_len = (size_t)(colon - spec);
	mode = strchr(colon + 1, ':');
	target_len = mode ? (size_t)(mode - colon - 1) : strlen(colon + 1);
	if (host_len >= sizeof(v->host) || target_len >= sizeof(v->target))
		fatal("-v %s: path too long", spec);
	memcpy(v->host, spec, host_len);
	memcpy(v->target, colon + 1, target_len);
	if (mode != NULL) {
		if (strcmp(mode + 1, "ro") == 0)
			v->read_only = true;
		else if (strcmp(mode + 1, "rw") != 0)
			fatal("-v %s: unknown mode '%s' (ro or rw)", spec, mode + 1);
	}
	if (v->target[0] != '/')
		fatal("-v %s: the container's directory must be absolute", spec);
	if (has_dot_component(v->target))
		fatal("-v %s: no . or .. in the container's directory", spec);
	if (v->target[strspn(v->target, "/")] == '\0' || is_under(v->target, "/proc") ||
	    is_under(v->target, "/sys") || is_under(v->target, "/dev"))
		fatal("-v %s: the container's directory may not be /, nor in /proc, /sys or /dev", spec);
}

static const char *filesystem_name(long type)
{
	switch (type) {
	case EXT4_SUPER_MAGIC: return "ext4";
	case XFS_SUPER_MAGIC: return "xfs";
	case BTRFS_SUPER_MAGIC: return "btrfs";
	case TMPFS_MAGIC: return "tmpfs";
	case OVERLAYFS_SUPER_MAGIC: return "overlayfs";
	case NFS_SUPER_MAGIC: return "nfs";
	case SYSFS_MAGIC: return "sysfs";
	case PROC_SUPER_MAGIC: return "proc";
	case 0x65735546: return "fuse";
	default: return "its";
	}
}

/* MOUNT_ATTR_IDMAP failed: say why in words a user can act on. */
static int idmap_failed(int dirfd, const char *path)
{
	int err = errno;
	struct statfs fs;
	struct utsname u;
	const char *type = fstatfs(dirfd, &fs) == 0 ? filesystem_name((long)fs.f_type) : "its";

	uname(&u);
	errno = err;
	if (err == ENOSYS)
		return setup_fail_msg("Linux %s has no idmapped mounts (5.12 or later has): "
				      "run with -U one (the seed's one-ID map)", u.release);
	if (err == EINVAL)
		return setup_fail_msg("%s: %s filesystem cannot be idmapped on Linux %s (ext4, xfs "
				      "and btrfs can; tmpfs from 6.3): move it to one that can, or "
				      "run with -U one", path, type, u.release);
	return setup_fail("idmap %s (mount_setattr MOUNT_ATTR_IDMAP)", path);
}

unsigned volume_attrs(const struct volume *v)
{
	return MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID | (v->read_only ? MOUNT_ATTR_RDONLY : 0);
}

int copy_for_container(int dirfd, const char *path, int userns_fd, unsigned attrs)
{
	/* Private: a copy of a shared mount (systemd makes / shared) joins its
	 * peer group, and every mount the container then made inside it would
	 * appear on the host as well. */
	struct mount_attr attr = { .attr_set = attrs, .propagation = MS_PRIVATE };
	/* Not AT_RECURSIVE: a mount below the directory stays out, as with
	 * a plain bind mount. */
	int tree = open_tree(dirfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);

	if (tree == -1)
		return setup_fail("open_tree(OPEN_TREE_CLONE) %s", path);
	if (userns_fd != -1) {
		attr.attr_set |= MOUNT_ATTR_IDMAP;
		attr.userns_fd = (unsigned)userns_fd;
	}
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == -1) {
		if (userns_fd != -1)
			idmap_failed(dirfd, path);
		else
			setup_fail("mount_setattr %s", path);
		close(tree);
		return -1;
	}
	return tree;
}
