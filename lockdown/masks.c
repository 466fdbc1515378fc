/* masks.c: masked and read-only paths of /proc and /sys; see masks.h. */
#include "masks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../basic_container/mounts.h"
#include "../basic_container/setup_error.h"

#define ATTRS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

/* Docker's lists (moby's oci/defaults.go), less paths this kernel may not
 * have: each is skipped when missing. */
static const char *const masked_proc[] = {
	"acpi", "asound", "kcore", "keys", "latency_stats", "sched_debug",
	"scsi", "timer_list", "timer_stats",
};
static const char *const masked_sys[] = { "firmware", "devices/virtual/powercap" };
static const char *const read_only_proc[] = { "bus", "fs", "irq", "sys", "sysrq-trigger" };

/* Cover dir/path: a file with the host's /dev/null, read-only (reads give
 * nothing, writes fail); a directory with an empty read-only tmpfs. */
static int mask(int dir, const char *top, const char *path)
{
	struct stat st;
	int target = open_beneath(dir, path, O_PATH), cover;

	if (target == -1)
		return errno == ENOENT ? 0 : setup_fail("open %s/%s", top, path);
	if (fstat(target, &st) == -1) {
		close(target);
		return setup_fail("stat %s/%s", top, path);
	}
	/* /dev/null is a device: its copy must not be nodev, or opening the
	 * mask fails instead of reading nothing. */
	if (S_ISDIR(st.st_mode))
		/* Read-only as a filesystem too ("ro"), not only as a mount:
		 * tmpfs takes size=0 for no limit, not for no room. */
		cover = new_mount("tmpfs", "ro,mode=0555", ATTRS);
	else
		cover = copy_mount(AT_FDCWD, "/dev/null", ATTRS & ~MOUNT_ATTR_NODEV, "/dev/null");
	if (cover == -1 || attach_mount(cover, target, path) == -1) {
		close(target);
		return -1;
	}
	close(target);
	return 0;
}

/* Mount dir/path over itself, read-only: a bind mount's flags are its own.
 * The copy is made from the descriptor opened beneath dir, never from the
 * path looked up again. */
static int make_read_only(int dir, const char *top, const char *path)
{
	int target = open_beneath(dir, path, O_PATH), copy;
	char what[PATH_MAX];

	if (target == -1)
		return errno == ENOENT ? 0 : setup_fail("open %s/%s", top, path);
	snprintf(what, sizeof(what), "%s/%s", top, path);
	copy = copy_mount(target, "", ATTRS, what);
	if (copy == -1 || attach_mount(copy, target, path) == -1) {
		close(target);
		return -1;
	}
	close(target);
	return 0;
}

int mask_kernel_files(int proc, int sys)
{
	for (size_t i = 0; i < sizeof(read_only_proc) / sizeof(read_only_proc[0]); i++)
		if (make_read_only(proc, "/proc", read_only_proc[i]) == -1)
			return -1;
	for (size_t i = 0; i < sizeof(masked_proc) / sizeof(masked_proc[0]); i++)
		if (mask(proc, "/proc", masked_proc[i]) == -1)
			return -1;
	for (size_t i = 0; i < sizeof(masked_sys) / sizeof(masked_sys[0]); i++)
		if (mask(sys, "/sys", masked_sys[i]) == -1)
			return -1;
	return 0;
}
