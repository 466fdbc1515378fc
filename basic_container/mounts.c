/* mounts.c: make the root filesystem the container's whole world; see
 * mounts.h. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"
#include "setup_error.h"

/* The device nodes a container gets, bound from the host's /dev: a process
 * in a user namespace may not mknod(2) them, but it may bind-mount nodes
 * that exist, as rootless runtimes do. */
static const char *const host_devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

/* Nothing of the host to run, no setuid, no devices: pseudo filesystems. */
#define PSEUDO_ATTRS (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

int make_mounts_private(void)
{
	/* systemd makes / a shared mount, and the new mount namespace starts
	 * as a copy with the same propagation. Left shared, every mount we
	 * make would propagate back to the host, and pivot_root(2) refuses
	 * with EINVAL when the new root or its parent mount is shared. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == -1)
		return setup_fail("make / private (mount --make-rprivate /)");
	return 0;
}

static int openat2_fd(int dirfd, const char *path, int flags, unsigned long long resolve)
{
	struct open_how how = { .flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = resolve };

	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

int open_beneath(int dirfd, const char *path, int flags)
{
	return openat2_fd(dirfd, path, flags, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
}

/* The kernel explains a failed fsconfig() in a log read from the
 * filesystem's descriptor: "e overlay: failed to clone lowerpath". Add its
 * last line to the message. */
static int fs_fail(int fs, const char *what, const char *type, const char *options)
{
	char log[256], last[256] = "";
	int err = errno;
	ssize_t n;

	while ((n = read(fs, log, sizeof(log) - 1)) > 0) {
		log[n] = '\0';
		log[strcspn(log, "\n")] = '\0';
		snprintf(last, sizeof(last), "%s", n > 2 ? log + 2 : log);
	}
	errno = err;
	if (last[0])
		return setup_fail("%s %s (%s) [kernel: %s]", what, type, options, last);
	return setup_fail("%s %s (%s)", what, type, options);
}

/* Hand each comma-separated "key=value" or "flag" to fsconfig(2). */
static int configure(int fs, const char *type, const char *options)
{
	char copy[1024], *item, *save = NULL;

	if (snprintf(copy, sizeof(copy), "%s", options) >= (int)sizeof(copy))
		return setup_fail_msg("options for %s are too long", type);
	for (item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		char *value = strchr(item, '=');
		int ret;

		if (value != NULL) {
			*value++ = '\0';
			ret = fsconfig(fs, FSCONFIG_SET_STRING, item, value, 0);
		} else {
			ret = fsconfig(fs, FSCONFIG_SET_FLAG, item, NULL, 0);
		}
		if (ret == -1)
			return fs_fail(fs, "set option of", type, item);
	}
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == -1)
		return fs_fail(fs, "create", type, options);
	return 0;
}

int new_mount(const char *type, const char *options, unsigned attrs)
{
	int fs = fsopen(type, FSOPEN_CLOEXEC), mnt = -1;

	if (fs == -1)
		return setup_fail("fsopen %s", type);
	/* The source names the filesystem, as `mount -t proc proc /proc`. */
	if (fsconfig(fs, FSCONFIG_SET_STRING, "source", type, 0) == -1)
		fs_fail(fs, "name the source of", type, type);
	else if (configure(fs, type, options) == 0) {
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
		if (mnt == -1)
			fs_fail(fs, "fsmount", type, options);
	}
	close(fs);
	return mnt;
}

int copy_mount(int dirfd, const char *path, unsigned attrs, const char *what)
{
	/* Private, whatever the original was: see copy_for_container(). */
	struct mount_attr attr = { .attr_set = attrs, .propagation = MS_PRIVATE };
	int tree = open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);

	if (tree == -1)
		return setup_fail("open_tree(OPEN_TREE_CLONE) %s", what);
	if (mount_setattr(tree, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == -1) {
		setup_fail("mount_setattr the copy of %s", what);
		close(tree);
		return -1;
	}
	return tree;
}

int attach_mount(int tree, int target, const char *what)
{
	int ret = 0;

	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1)
		ret = setup_fail("mount on %s", what);
	close(tree);
	return ret;
}

/* ---- the root ---- */

/* A directory of the state, by name: the state is root's, on the host, and
 * no container can reach it. */
static int open_state_dir(const char *state_dir, const char *name)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", state_dir, name);
	fd = open(path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return setup_fail("open %s", path);
	return fd;
}

/* The overlay: lowerdir the image (read-only to overlayfs), upperdir where
 * the container's writes and deletions (whiteouts) go, workdir overlayfs's
 * scratch space on the same filesystem (Documentation/filesystems/
 * overlayfs.rst). userxattr: in a user namespace overlayfs may not use the
 * trusted.* extended attributes it keeps its bookkeeping in, and uses
 * user.overlay.* instead (Linux 5.11); 6.1 refuses to guess it. */
static int mount_layer(int image, const char *state_dir)
{
	char options[3 * 4096 + 64];
	int lower = open_state_dir(state_dir, "lower");

	if (lower == -1)
		return -1;
	if (attach_mount(image, lower, "the layer's lower directory") == -1) {
		close(lower);
		return -1;
	}
	close(lower);
	snprintf(options, sizeof(options), "lowerdir=%s/lower,upperdir=%s/upper,workdir=%s/work,userxattr",
		 state_dir, state_dir, state_dir);
	/* No nosuid: an image's su and passwd are setuid, as in Docker. */
	return new_mount("overlay", options, MOUNT_ATTR_NODEV);
}

int mount_root(int image, const char *state_dir, int attach_at)
{
	struct mount_attr nodev = { .attr_set = MOUNT_ATTR_NODEV };
	int root;

	if (state_dir != NULL) {
		root = mount_layer(image, state_dir);
	} else {
		/* Written through: the image's device nodes stay dead all the
		 * same. */
		root = image;
		if (mount_setattr(root, "", AT_EMPTY_PATH, &nodev, sizeof(nodev)) == -1) {
			setup_fail("mount_setattr nodev on the image");
			close(root);
			return -1;
		}
	}
	if (root == -1)
		return -1;
	/* attach_mount() would close it: the root's descriptor stays ours. */
	if (move_mount(root, "", attach_at, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1) {
		setup_fail("mount the container's root");
		close(root);
		return -1;
	}
	return root;
}

/* ---- mount points inside the root ---- */

/* name (one component) in the directory dir of the root, a directory that
 * is no symlink, made when missing. what names it in messages. */
static int open_dir_no_symlink(int dir, const char *name, const char *what)
{
	struct stat st;
	int fd = openat2_fd(dir, name, O_PATH | O_DIRECTORY,
			    RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);

	if (fd == -1 && errno == ENOENT) {
		if (mkdirat(dir, name, 0755) == -1 && errno != EEXIST)
			return setup_fail("mkdir %s in the root filesystem", what);
		fd = openat2_fd(dir, name, O_PATH | O_DIRECTORY,
				RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
	}
	if (fd == -1 && (errno == ELOOP || errno == ENOTDIR) &&
	    fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISLNK(st.st_mode))
			return setup_fail_msg("%s in the root filesystem is a symlink: refused "
					      "(it could point the mount anywhere)", what);
		return setup_fail_msg("%s in the root filesystem is not a directory", what);
	}
	if (fd == -1)
		return setup_fail("open %s in the root filesystem", what);
	return fd;
}

/* Mount tree on the directory name (one component) of the root. */
static int mount_on_dir(int root, const char *name, int tree, const char *what)
{
	int target = open_dir_no_symlink(root, name, what);
	int ret;

	if (target == -1) {
		close(tree);
		return -1;
	}
	ret = attach_mount(tree, target, what);
	close(target);
	return ret;
}

/* The directory path inside root, symlinks resolved as if root were "/"
 * (RESOLVE_IN_ROOT), each missing component made by mkdirat() in the
 * directory before it: in the container's layer, never outside the root. */
static int make_dir_in_root(int root, const char *path)
{
	char partial[4096];
	size_t len = strlen(path);
	int fd = -1;

	if (len >= sizeof(partial))
		return setup_fail_msg("%s: path too long", path);
	for (size_t end = 1; end <= len; end++) {
		if (end < len && path[end] != '/')
			continue;
		memcpy(partial, path, end);
		partial[end] = '\0';
		if (fd != -1)
			close(fd);
		fd = openat2_fd(root, partial, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		if (fd == -1 && errno == ENOENT) {
			char *slash = strrchr(partial, '/');
			int parent;

			*slash = '\0';
			parent = openat2_fd(root, *partial ? partial : "/", O_PATH | O_DIRECTORY,
					    RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
			if (parent == -1)
				return setup_fail("open %s in the container", *partial ? partial : "/");
			if (mkdirat(parent, slash + 1, 0755) == -1) {
				struct stat st;

				if (errno == EEXIST && fstatat(parent, slash + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
				    S_ISLNK(st.st_mode)) {
					*slash = '/';
					setup_fail_msg("%s in the container is a symlink to nothing inside it", partial);
				} else {
					setup_fail("mkdir %s/%s in the container", partial, slash + 1);
				}
				close(parent);
				return -1;
			}
			close(parent);
			*slash = '/';
			fd = openat2_fd(root, partial, O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
		}
		if (fd == -1)
			return setup_fail("open %s in the container", partial);
	}
	return fd;
}

int mount_volume(int root, const char *path, int tree)
{
	int target = make_dir_in_root(root, path);
	int ret;

	if (target == -1) {
		close(tree);
		return -1;
	}
	ret = attach_mount(tree, target, path);
	close(target);
	return ret;
}

/* ---- /etc ---- */

static int write_at(int dir, const char *name, const char *text)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t len = strlen(text);
	int ok;

	if (fd == -1)
		return setup_fail("create %s", name);
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) == -1 || !ok)
		return setup_fail("write %s", name);
	return 0;
}

/* The host's name servers, for the container's /etc/resolv.conf, as Docker
 * takes them: when the host's file points at a stub resolver on loopback
 * (systemd-resolved's 127.0.0.53), which a container in a network namespace
 * of its own cannot reach, the servers behind the stub, from resolved's own
 * file. Loopback servers are left out either way. */
static void host_name_servers(char *out, size_t size)
{
	char text[4096], *line, *save = NULL;
	size_t used = 0;

	out[0] = '\0';
	if (read_file("/etc/resolv.conf", text, sizeof(text)) == -1)
		return;
	if (strstr(text, "nameserver 127.") != NULL &&
	    read_file("/run/systemd/resolve/resolv.conf", text, sizeof(text)) == -1 &&
	    read_file("/etc/resolv.conf", text, sizeof(text)) == -1)
		return;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int n;

		if (strncmp(line, "nameserver 127.", 15) == 0 || strncmp(line, "nameserver ::1", 14) == 0 ||
		    (strncmp(line, "nameserver ", 11) != 0 && strncmp(line, "search ", 7) != 0 &&
		     strncmp(line, "options ", 8) != 0))
			continue;
		n = snprintf(out + used, size - used, "%s\n", line);
		if (n < 0 || (size_t)n >= size - used)
			break;
		used += (size_t)n;
	}
}

/* umount -l the mount whose root the descriptor mnt is. */
static int detach_mount(int mnt)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", mnt);
	if (umount2(path, MNT_DETACH) == -1)
		return setup_fail("unmount %s", path);
	return 0;
}

/* Write the three files into dir. */
static int write_etc_files(int dir, const char *hostname, const char *ip)
{
	char hosts[512], hostname_line[300], servers[4096];

	snprintf(hosts, sizeof(hosts),
		 "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n",
		 ip ? ip : "127.0.1.1", hostname);
	snprintf(hostname_line, sizeof(hostname_line), "%s\n", hostname);
	host_name_servers(servers, sizeof(servers));
	if (write_at(dir, "hosts", hosts) == -1 || write_at(dir, "hostname", hostname_line) == -1)
		return -1;
	return write_at(dir, "resolv.conf", servers);
}

/* Make etc/name a regular file to mount over, in the container's layer: a
 * missing one is made, a symlink replaced by one (followed, it could lead
 * anywhere, and a mount on it would be refused). Returns 0, or -1 after
 * setup_fail(). */
static int make_etc_target(int etc, const char *name)
{
	struct stat st;
	int fd;

	if (fstatat(etc, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		if (S_ISREG(st.st_mode))
			return 0;
		if (!S_ISLNK(st.st_mode))
			return setup_fail_msg("/etc/%s in the root filesystem is not a file", name);
		if (unlinkat(etc, name, 0) == -1)
			return setup_fail("replace the symlink /etc/%s", name);
	} else if (errno != ENOENT) {
		return setup_fail("stat /etc/%s in the root filesystem", name);
	}
	/* Only when missing: opening the image's file for writing would copy
	 * it up into the layer for nothing. */
	fd = openat(etc, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return setup_fail("create /etc/%s in the root filesystem", name);
	close(fd);
	return 0;
}

/* Is etc/name a regular file of the image, to mount over as it is? 1 or 0,
 * or -1 when it cannot be looked at. */
static int is_etc_file(int etc, const char *name)
{
	struct stat st;

	if (fstatat(etc, name, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return errno == ENOENT ? 0 : setup_fail("stat /etc/%s in the root filesystem", name);
	return S_ISREG(st.st_mode);
}

/* The root's /etc: made when missing in a layer; on the image itself
 * (in_layer false) only opened, and -1 with errno ENOENT when it has none. */
static int open_etc(int root, bool in_layer)
{
	int etc;

	if (in_layer)
		return make_dir_in_root(root, "/etc");
	etc = openat2_fd(root, "/etc", O_PATH | O_DIRECTORY, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (etc == -1 && errno != ENOENT && errno != ENOTDIR)
		return setup_fail("open /etc in the root filesystem");
	if (etc == -1)
		errno = ENOENT;
	return etc;
}

/* Mount the file name of files over etc/name. */
static int mount_etc_file(int files, int etc, const char *name)
{
	int target = open_beneath(etc, name, O_PATH), tree, ret;
	char what[64];

	if (target == -1)
		return setup_fail("open /etc/%s in the root filesystem", name);
	snprintf(what, sizeof(what), "the container's own /etc/%s", name);
	tree = copy_mount(files, name, MOUNT_ATTR_RDONLY | PSEUDO_ATTRS, what);
	ret = tree == -1 ? -1 : attach_mount(tree, target, name);
	close(target);
	return ret;
}

int mount_etc_files(int root, bool in_layer, const char *hostname, const char *ip)
{
	static const char *const names[] = { "hosts", "hostname", "resolv.conf" };
	int etc = open_etc(root, in_layer), proc = -1, files = -1, ret = -1;

	if (etc == -1)
		return !in_layer && errno == ENOENT ? 0 : -1;
	/* A tmpfs must be attached before a file of it can be bound
	 * elsewhere (open_tree refuses a detached mount before Linux 6.15):
	 * borrow the image's /proc, which procfs will cover anyway. */
	files = new_mount("tmpfs", "mode=0755,size=64k", PSEUDO_ATTRS);
	if (files == -1)
		goto out;
	proc = open_dir_no_symlink(root, "proc", "/proc");
	if (proc == -1 || move_mount(files, "", proc, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1) {
		if (proc != -1)
			setup_fail("mount a tmpfs on /proc for the /etc files");
		goto out;
	}
	if (write_etc_files(files, hostname, ip) == -1)
		goto detach;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		/* On the image itself only a file it has is covered: a file made
		 * or a symlink replaced there would outlive the container. */
		int cover = 1;

		if (in_layer && make_etc_target(etc, names[i]) == -1)
			goto detach;
		if (!in_layer)
			cover = is_etc_file(etc, names[i]);
		if (cover == -1 || (cover == 1 && mount_etc_file(files, etc, names[i]) == -1))
			goto detach;
	}
	ret = 0;
detach:
	if (detach_mount(files) == -1)
		ret = -1;
out:
	if (files != -1)
		close(files);
	if (proc != -1)
		close(proc);
	if (etc != -1)
		close(etc);
	return ret;
}

/* ---- /proc, /sys, /dev ---- */

int mount_proc(int root)
{
	/* In a user namespace the kernel mounts a new proc (and sysfs) only
	 * while a fully visible one is already in our mount namespace
	 * (mount_too_revealing(), fs/namespace.c): the host's, which we have
	 * until pivot_root. Hence everything is mounted before it. */
	int proc = new_mount("proc", "", PSEUDO_ATTRS), target;

	if (proc == -1)
		return -1;
	target = open_dir_no_symlink(root, "proc", "/proc");
	if (target == -1 ||
	    move_mount(proc, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1) {
		if (target != -1) {
			setup_fail("mount proc on /proc");
			close(target);
		}
		close(proc);
		return -1;
	}
	close(target);
	return proc;
}

/* The options a v1 hierarchy is mounted with on the host, e.g. "memory" or
 * "cpu,cpuacct", from the super options of its line in /proc/self/mountinfo
 * (proc(5)): mounting it again needs the very same set. */
static int v1_hierarchy_options(const char *mount_point, char *options, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096], point[4096], type[64], super[1024];
	int found = -1;

	if (f == NULL)
		return setup_fail("open /proc/self/mountinfo");
	while (found == -1 && fgets(line, sizeof(line), f) != NULL) {
		char *dash = strstr(line, " - ");

		if (dash == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", point) != 1 ||
		    sscanf(dash, " - %63s %*s %1023s", type, super) != 2)
			continue;
		if (strcmp(type, "cgroup") != 0 || strcmp(point, mount_point) != 0)
			continue;
		/* Drop "rw"/"ro": the mount's own flags say that. */
		if (strncmp(super, "rw,", 3) == 0 || strncmp(super, "ro,", 3) == 0)
			memmove(super, super + 3, strlen(super + 3) + 1);
		snprintf(options, size, "%s", super);
		found = 0;
	}
	fclose(f);
	if (found == -1)
		return setup_fail_msg("no cgroup mount at %s in /proc/self/mountinfo", mount_point);
	return 0;
}

/* v1: a tmpfs holding, for each hierarchy the container has a cgroup in,
 * that hierarchy mounted again. In the container's cgroup namespace each
 * shows the container's own cgroup as its root. */
static int mount_cgroup_v1(int cgroup_dir, const struct cgroup *cg)
{
	struct mount_attr ro = { .attr_set = MOUNT_ATTR_RDONLY };
	int fs = new_mount("tmpfs", "mode=0755,size=16k", PSEUDO_ATTRS), ret = -1;

	if (fs == -1)
		return -1;
	if (move_mount(fs, "", cgroup_dir, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1) {
		setup_fail("mount a tmpfs on /sys/fs/cgroup");
		goto out;
	}
	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		char name[256], hierarchy[PATH_MAX + 256], options[1024];
		const char *rest;
		int tree;

		if (cg->dir[c][0] == '\0')
			continue;
		/* cg->dir[c] is ROOT/NAME/...: NAME is the hierarchy's directory. */
		rest = cg->dir[c] + strlen(cg->root) + 1;
		snprintf(name, sizeof(name), "%.*s", (int)strcspn(rest, "/"), rest);
		snprintf(hierarchy, sizeof(hierarchy), "%s/%s", cg->root, name);
		if (v1_hierarchy_options(hierarchy, options, sizeof(options)) == -1 ||
		    (tree = new_mount("cgroup", options, MOUNT_ATTR_RDONLY | PSEUDO_ATTRS)) == -1 ||
		    mount_on_dir(fs, name, tree, name) == -1)
			goto out;
	}
	if (mount_setattr(fs, "", AT_EMPTY_PATH, &ro, sizeof(ro)) == -1) {
		setup_fail("make /sys/fs/cgroup read-only");
		goto out;
	}
	ret = 0;
out:
	close(fs);
	return ret;
}

static int mount_cgroup(int sys, const struct cgroup *cg)
{
	int dir = open_beneath(sys, "fs/cgroup", O_PATH | O_DIRECTORY), ret, tree;

	if (dir == -1)
		return setup_fail("open /sys/fs/cgroup");
	if (cg->version == 1) {
		ret = mount_cgroup_v1(dir, cg);
	} else {
		/* A cgroup2 mounted in a cgroup namespace shows the namespace's
		 * root, our own cgroup, as its root (cgroup_namespaces(7)). */
		tree = new_mount("cgroup2", "", MOUNT_ATTR_RDONLY | PSEUDO_ATTRS);
		ret = tree == -1 ? -1 : attach_mount(tree, dir, "/sys/fs/cgroup");
	}
	close(dir);
	return ret;
}

int mount_sys(int root, const struct cgroup *cg)
{
	/* "ro" makes the superblock read-only, not only this mount: the
	 * sysfs of our network namespace is ours alone. */
	int sys = new_mount("sysfs", "ro", MOUNT_ATTR_RDONLY | PSEUDO_ATTRS), target;

	if (sys == -1)
		return -1;
	target = open_dir_no_symlink(root, "sys", "/sys");
	if (target == -1 ||
	    move_mount(sys, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1) {
		if (target != -1) {
			setup_fail("mount sysfs on /sys");
			close(target);
		}
		close(sys);
		return -1;
	}
	close(target);
	if (cg != NULL && mount_cgroup(sys, cg) == -1) {
		close(sys);
		return -1;
	}
	return sys;
}

/* An empty file dir/name, to bind a node on. */
static int make_file(int dir, const char *name)
{
	int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);

	if (fd == -1)
		return setup_fail("create /dev/%s", name);
	close(fd);
	return 0;
}

/* `mount --bind /dev/NAME DEV/NAME`, from the host's /dev. */
static int bind_host_device(int dev, const char *name)
{
	char source[64];
	int tree, target;

	snprintf(source, sizeof(source), "/dev/%s", name);
	if (make_file(dev, name) == -1)
		return -1;
	tree = copy_mount(AT_FDCWD, source, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, source);
	if (tree == -1)
		return -1;
	target = open_beneath(dev, name, O_PATH);
	if (target == -1) {
		close(tree);
		return setup_fail("open %s", source);
	}
	tree = attach_mount(tree, target, source);
	close(target);
	return tree;
}

static int populate_dev(int dev, bool tty_group)
{
	static const char *const links[][2] = {
		{ "pts/ptmx", "ptmx" }, { "/proc/self/fd", "fd" }, { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
	};
	int tree;

	for (size_t i = 0; i < sizeof(host_devices) / sizeof(host_devices[0]); i++)
		if (bind_host_device(dev, host_devices[i]) == -1)
			return -1;
	if (make_file(dev, "console") == -1)
		return -1;
	/* A devpts of its own (the kernel makes each mount a new instance
	 * since Linux 4.7): the container's terminals are not the host's. */
	tree = new_mount("devpts", tty_group ? "newinstance,ptmxmode=0666,mode=0620,gid=5"
					     : "newinstance,ptmxmode=0666,mode=0620",
			 MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
	if (tree == -1 || mount_on_dir(dev, "pts", tree, "/dev/pts") == -1)
		return -1;
	tree = new_mount("tmpfs", "mode=1777,size=65536k", PSEUDO_ATTRS);
	if (tree == -1 || mount_on_dir(dev, "shm", tree, "/dev/shm") == -1)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (symlinkat(links[i][0], dev, links[i][1]) == -1)
			return setup_fail("symlink /dev/%s -> %s", links[i][1], links[i][0]);
	return 0;
}

int mount_dev(int root, bool tty_group)
{
	/* nodev too: the nodes below are mounts of their own, from the
	 * host's /dev; nothing made in this tmpfs can ever be a device. */
	int dev = new_mount("tmpfs", "mode=0755,size=64k", PSEUDO_ATTRS), target, ret;

	if (dev == -1)
		return -1;
	target = open_dir_no_symlink(root, "dev", "/dev");
	if (target == -1 ||
	    move_mount(dev, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) == -1) {
		if (target != -1) {
			setup_fail("mount a tmpfs on /dev");
			close(target);
		}
		close(dev);
		return -1;
	}
	close(target);
	ret = populate_dev(dev, tty_group);
	close(dev);
	return ret;
}

int pivot_into(int root, bool quiet)
{
	/* pivot_root(".", ".") (pivot_root(2), NOTES): the old root ends up
	 * mounted on top of the new one, where umount2(".") finds it. No
	 * put-old directory is needed, so none is ever made in the image,
	 * and a read-only image works. */
	if (fchdir(root) == -1)
		return setup_fail("fchdir to the container's root");
	if (syscall(SYS_pivot_root, ".", ".") == -1)
		return setup_fail("pivot_root(\".\", \".\")");
	/* MNT_DETACH: the old root is busy (we came from it); a lazy unmount
	 * takes it out of our namespace now. */
	if (umount2(".", MNT_DETACH) == -1)
		return setup_fail("unmount the old root");
	if (chdir("/") == -1)
		return setup_fail("chdir / after pivot_root");
	if (!quiet) {
		printf("pivot setup ok\n");
		fflush(stdout);
	}
	return 0;
}
