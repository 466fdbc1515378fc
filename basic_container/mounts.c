/* mounts.c: make the root filesystem the container's whole world; see mounts.h. */
#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "setup_error.h"

/* The device nodes a container gets, bind-mounted from the host's /dev: a
 * process in a user namespace may not mknod(2) them, but it may bind-mount
 * nodes that already exist, as rootless runtimes do. */
static const char *const host_devices[] = { "null", "zero", "full", "random", "urandom", "tty" };

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

int enter_rootfs(struct rootfs *rfs, int quiet)
{
	char put_old[sizeof(rfs->old_root) - 1] = ".old_root.XXXXXX";

	/* pivot_root(2) needs the new root to be a mount point: bind-mount
	 * the directory onto itself. */
	if (mount(rfs->path, rfs->path, NULL, MS_BIND | MS_REC, NULL) == -1)
		return setup_fail("bind-mount rootfs %s onto itself", rfs->path);
	if (chdir(rfs->path) == -1)
		return setup_fail("chdir %s", rfs->path);
	/* A fresh name, so that containers sharing one rootfs never collide. */
	if (mkdtemp(put_old) == NULL)
		return setup_fail("create put-old directory %s/%s", rfs->path, put_old);
	if (syscall(SYS_pivot_root, ".", put_old) == -1) {
		setup_fail("pivot_root(\".\", \"%s\") in %s", put_old, rfs->path);
		rmdir(put_old);
		return -1;
	}
	if (chdir("/") == -1)
		return setup_fail("chdir / after pivot_root");
	snprintf(rfs->old_root, sizeof(rfs->old_root), "/%s", put_old);
	if (!quiet) {
		printf("pivot setup ok\n");
		fflush(stdout);
	}
	return 0;
}

/* mkdir that is content when the directory is already there. */
static int ensure_dir(const char *path, mode_t mode)
{
	if (mkdir(path, mode) == -1 && errno != EEXIST)
		return setup_fail("mkdir %s", path);
	return 0;
}

static int mount_fs(const char *type, const char *target, unsigned long flags, const char *data)
{
	if (ensure_dir(target, 0755) == -1)
		return -1;
	if (mount(type, target, type, flags, data) == -1)
		return setup_fail("mount %s on %s", type, target);
	return 0;
}

/* `mount --bind OLD_ROOT/dev/NAME /dev/NAME` onto an empty file. */
static int bind_host_device(const struct rootfs *rfs, const char *name)
{
	char source[PATH_MAX], target[64];
	int fd;

	snprintf(source, sizeof(source), "%s/dev/%s", rfs->old_root, name);
	snprintf(target, sizeof(target), "/dev/%s", name);
	fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1 || close(fd) == -1)
		return setup_fail("create %s", target);
	if (mount(source, target, NULL, MS_BIND, NULL) == -1)
		return setup_fail("bind-mount %s on %s", source, target);
	return 0;
}

static int make_symlink(const char *to, const char *link)
{
	if (symlink(to, link) == -1)
		return setup_fail("symlink %s -> %s", link, to);
	return 0;
}

/* A tmpfs on /dev with the host's harmless devices, a private devpts for
 * terminals, and /dev/shm. */
static int populate_dev(const struct rootfs *rfs)
{
	static const char *const links[][2] = {
		{ "pts/ptmx", "/dev/ptmx" }, { "/proc/self/fd", "/dev/fd" },
		{ "/proc/self/fd/0", "/dev/stdin" }, { "/proc/self/fd/1", "/dev/stdout" },
		{ "/proc/self/fd/2", "/dev/stderr" },
	};

	if (mount_fs("tmpfs", "/dev", MS_NOSUID | MS_STRICTATIME, "mode=755,size=64k") == -1)
		return -1;
	for (size_t i = 0; i < sizeof(host_devices) / sizeof(host_devices[0]); i++)
		if (bind_host_device(rfs, host_devices[i]) == -1)
			return -1;
	/* newinstance: the container's terminals are its own, not the host's. */
	if (mount_fs("devpts", "/dev/pts", MS_NOSUID | MS_NOEXEC,
		     "newinstance,ptmxmode=0666,mode=0620") == -1)
		return -1;
	if (mount_fs("tmpfs", "/dev/shm", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777") == -1)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (make_symlink(links[i][0], links[i][1]) == -1)
			return -1;
	return 0;
}

int mount_pseudo_filesystems(const struct rootfs *rfs)
{
	/* In a user namespace the kernel lets us mount proc and sysfs only
	 * while a fully visible instance of each is already in our mount
	 * namespace (mount_too_revealing() in fs/namespace.c): the host's,
	 * under the old root. Hence these come before detach_old_root(). */
	if (mount_fs("proc", "/proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return -1;
	if (mount_fs("sysfs", "/sys", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == -1)
		return -1;
	return populate_dev(rfs);
}

int detach_old_root(struct rootfs *rfs)
{
	/* MNT_DETACH: the old root is busy (we came from it); a lazy unmount
	 * takes it out of our namespace now. */
	if (umount2(rfs->old_root, MNT_DETACH) == -1)
		return setup_fail("unmount old root %s", rfs->old_root);
	if (rmdir(rfs->old_root) == -1)
		return setup_fail("rmdir %s", rfs->old_root);
	rfs->old_root[0] = '\0';
	return 0;
}

void abandon_old_root(struct rootfs *rfs)
{
	if (rfs->old_root[0] == '\0')
		return;
	umount2(rfs->old_root, MNT_DETACH);
	rmdir(rfs->old_root);
}
