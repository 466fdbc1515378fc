/* seccomp_filter.h: system calls the container may not make.
 *
 * Capabilities decide what a call may do; a seccomp filter decides which
 * calls reach the kernel at all. The filter is a small classic-BPF program
 * the kernel runs on every system call of the process, looking at its number,
 * its architecture and its six arguments (never memory they point to), and
 * answering allow, fail with an errno, or kill (seccomp(2)). Once loaded it
 * cannot be removed; it is inherited across fork(), clone() and execve().
 *
 * Ours allows by default and refuses what Docker's default profile refuses
 * to a container without CAP_SYS_ADMIN, in particular:
 *   - the kernel keyring (keyctl add_key request_key): not namespaced, it
 *     would reach the keys of the caller's session;
 *   - kernel code and kernel state: bpf perf_event_open kexec_load
 *     kexec_file_load init_module finit_module delete_module swapon swapoff
 *     reboot acct, the clock (settimeofday clock_settime clock_adjtime
 *     adjtimex), userfaultfd (a tool of kernel exploits), and
 *     open_by_handle_at (Docker's 2014 "shocker": open any inode by number);
 *   - new user namespaces (unshare or clone with CLONE_NEWUSER): inside one,
 *     a process is root again and reaches kernel code written for root;
 *     clone3() passes its flags in memory the filter cannot read, so it
 *     fails with ENOSYS and the C library falls back to clone();
 *   - ioctl(fd, TIOCSTI): pushing characters into a terminal's input, the
 *     caller's shell if the container still has its terminal (bubblewrap's
 *     CVE-2017-5226), and TIOCLINUX, which can do the same on a console.
 * All of these fail with EPERM, clone3 with ENOSYS. A system call of another
 * ABI (i386 through int 0x80, x32 on x86-64) kills the process: those use
 * other numbers, which a filter written for the native ones would let pass.
 *
 * Built with libseccomp (seccomp_init(3), seccomp_rule_add(3),
 * seccomp_load(3)), linked statically: -l:libseccomp.a.
 */
#ifndef LOCKDOWN_SECCOMP_FILTER_H
#define LOCKDOWN_SECCOMP_FILTER_H

/* Load the default filter into the calling process. The kernel accepts a
 * filter only from a process with CAP_SYS_ADMIN in its user namespace or
 * with no_new_privs set (seccomp(2)): call it before caps_apply(), or after
 * set_no_new_privs(). Returns 0, or -1 with setup_fail(). */
int seccomp_load_default(void);

/* prctl(PR_SET_NO_NEW_PRIVS, 1), as `--security-opt no-new-privileges`:
 * from now on execve() never grants privileges, neither a setuid or setgid
 * bit nor file capabilities (prctl(2)); `su` and `ping` with file
 * capabilities stop working. Inherited and irreversible. Returns 0, or -1
 * with setup_fail(). */
int set_no_new_privs(void);

#endif
