/* devices.h: the device nodes a container may use.
 *
 * A device node is a file naming a driver by type and numbers: "c 1:3" is
 * the character device /dev/null, "b 7:0" the block device /dev/loop0
 * (makedev(3), Documentation/admin-guide/devices.txt). Whoever can open a
 * node reaches its driver, wherever the node lies: a "b 8:0" file in an
 * image is the host's first disk. Mounting the image nodev stops nodes there;
 * the devices controller of the cgroup stops them everywhere, for every
 * process in the cgroup, by type, numbers and access: r(ead), w(rite) and
 * m(knod, creating a node).
 *
 * The allowlist, as Docker's (and runc's) default:
 *   c 1:3 null, 1:5 zero, 1:7 full, 1:8 random, 1:9 urandom,
 *   c 5:0 tty, 5:1 console, 5:2 ptmx, 136:* /dev/pts/N    rwm
 *   c *:* and b *:*                                        m only
 * mknod of any node is allowed but opening it is not: creating a node is
 * harmless by itself, and images and package scripts create nodes (a tar of
 * /dev, MAKEDEV). In a user namespace the kernel refuses mknod of a device
 * anyway: only root of the initial namespace may (mknod(2)), so the "m" only
 * matters to a container run without one. 136:* is the range of the
 * container's own devpts instance (mounted newinstance), whose nodes number
 * from 136:0 like the host's.
 *
 * cgroup v1 (Documentation/admin-guide/cgroup-v1/devices.rst): write "a" to
 * devices.deny (deny all, forget the inherited exceptions), then one line per
 * entry to devices.allow: "c 1:3 rwm".
 *
 * cgroup v2 has no devices files: a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, is asked about each
 * access and answers 1 (allow) or 0 (deny)
 * (Documentation/admin-guide/cgroup-v2.rst, "Device controller"; bpf(2)). We
 * build it from raw instructions (struct bpf_insn, <linux/bpf.h>), as systemd,
 * crun and runc do, without libbpf or a compiler for BPF. A kernel built
 * without CONFIG_CGROUP_BPF refuses to load it: devices_restrict() then fails
 * with one message saying so.
 */
#ifndef LOCKDOWN_DEVICES_H
#define LOCKDOWN_DEVICES_H

/* Restrict the cgroup DIR to the allowlist. Called by the runtime, on the
 * host as root, before the container joins the cgroup.
 * cgroup_version 1: DIR is the container's directory in the devices
 * hierarchy (e.g. /sys/fs/cgroup/devices/basic_container-x).
 * cgroup_version 2: DIR is its cgroup2 directory; the program is attached
 * with BPF_F_ALLOW_MULTI, beside any a parent has (all must allow), and goes
 * away with the cgroup. Returns 0, or -1 with setup_fail(). */
int devices_restrict(const char *dir, int cgroup_version);

#endif
