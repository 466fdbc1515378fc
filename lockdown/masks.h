/* masks.h: the parts of /proc and /sys a container must not read or write.
 *
 * A user namespace already keeps most of the kernel's knobs out of reach:
 * the files belong to the host's root, and the container's root is not that
 * (see idmap.h). What the kernel still shows, or guards only by that one
 * check, Docker, runc and crun hide, and so do we, with the same lists:
 * masked paths are covered by an empty, read-only file or directory (what
 * the kernel holds there: memory images, key lists, timer and scheduler
 * internals that leak addresses, hardware tables); read-only paths stay
 * readable but can no longer be written (the sysctls, the SysRq trigger,
 * IRQ affinities, bus and filesystem tunables), even by a process that
 * somehow passed the permission check.
 *
 * Called in the child, after /proc and /sys are mounted and before
 * pivot_root (the masks use the host's /dev/null). Returns 0, or -1 with a
 * message through setup_fail().
 */
#ifndef MASKS_H
#define MASKS_H

/* proc and sys are the descriptors of the container's /proc and /sys
 * mounts (mount_proc(), mount_sys()). */
int mask_kernel_files(int proc, int sys);

#endif
