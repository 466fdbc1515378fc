/* capabilities.h: which of root's powers the container keeps.
 *
 * Root's privileges are split into about forty capabilities (capabilities(7)):
 * CAP_NET_ADMIN configures networks, CAP_SYS_ADMIN mounts, CAP_SYS_MODULE
 * loads kernel modules, and so on. Root of the container's user namespace
 * holds all of them, over what that namespace owns. Docker keeps fourteen,
 * enough for what images commonly do (chown files, bind ports below 1024,
 * switch users, ping) and drops the rest.
 *
 * Each process carries five sets (capabilities(7), "Thread capability sets"):
 *   effective    what the kernel checks now;
 *   permitted    what the process may make effective;
 *   inheritable  what may pass to a program with matching file capabilities;
 *   ambient      what passes across execve() to any program (Linux 4.3);
 *   bounding     the ceiling: nothing outside it comes back, not even
 *                through execve() of a setuid-root or file-capable program.
 * When root (UID 0) calls execve(), its new permitted and effective sets are
 * its bounding set (capabilities(7), "Capabilities and execution of programs
 * by root"). So cutting the bounding set is what limits the container's
 * command; a command run as another user gets nothing, since the ambient set
 * is cleared.
 *
 * A set here is a 64-bit mask: bit N is capability N (CAP_CHOWN is 0,
 * CAP_NET_ADMIN 12; <linux/capability.h>). Names and the calls go through
 * libcap (cap_from_name(3), cap_drop_bound(3), cap_set_proc(3)), linked
 * statically: -l:libcap.a.
 */
#ifndef LOCKDOWN_CAPABILITIES_H
#define LOCKDOWN_CAPABILITIES_H

#include <stdbool.h>
#include <stdint.h>

/* Docker's default fourteen: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW
 * SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE. */
uint64_t caps_default(void);

/* Add (add=true) to or remove from *set the capability NAME: "NET_ADMIN",
 * "CAP_NET_ADMIN" or "net_admin" (any case), or "ALL": every capability this
 * kernel knows. Returns 0, or -1 when NAME is no capability of this kernel
 * (nothing is recorded: the caller says "unknown capability NAME"). Numbers
 * ("12"), which libcap would take, are refused: a typo must not grant one. */
int caps_change(uint64_t *set, const char *name, bool add);

/* In the container just before execve(), as root of its user namespace
 * (holding CAP_SETPCAP): bounding set = set; inheritable and ambient
 * cleared; permitted and effective = set. Returns 0, or -1 with
 * setup_fail(). */
int caps_apply(uint64_t set);

#endif
