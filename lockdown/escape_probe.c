/* escape_probe.c: try each way out of a container, print what happened.
 *
 *	escape_probe [-k DESCRIPTION] [-b PATH] [-p PID] [-t DIR]
 *	-> "blocked core_pattern (EACCES)", "ESCAPED kcore", ...
 *
 * One line per attempt: "ESCAPED NAME" when it worked, "blocked NAME
 * (REASON)" when not, REASON being the errno name (strerrorname_np(3)), the
 * signal that killed the attempt (e.g. SIGSYS from a seccomp filter), or
 * "empty" for a masked file that reads as nothing; "skipped NAME (...)" when
 * an attempt needs a target the caller did not give. Exit status 1 when
 * anything escaped, 0 when not, 125 on bad usage.
 *
 * Each attempt runs in a child process of its own, so that one the kernel
 * kills, or one that changes the process (a new user namespace), does not
 * end the others. Every attempt is harmless even when it succeeds: a value it
 * writes is the one it read (the clock: the time it reads), a node it makes
 * it removes, a program it loads it never attaches, and a privileged call
 * that would change the machine gets an argument the kernel rejects only
 * after its permission check: that errno says we were let in, EPERM that we
 * were refused. It runs on the host too: as root nearly everything escapes,
 * as a plain user little does.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/io_uring.h>
#include <linux/kexec.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

static const char usage_text[] =
	"[-k DESCRIPTION] [-b PATH] [-p PID] [-t DIR]\n"
	"Try each way out of a container; print \"ESCAPED NAME\" or \"blocked NAME (REASON)\".\n"
	"Exit 1 when anything escaped, 0 when not.\n"
	"  -k DESCRIPTION  a \"user\" key of the caller's session to read\n"
	"                  (default: list the session keyring, read no key)\n"
	"  -b PATH         a block device node placed in the image, to open read-write\n"
	"                  (default: the first block node in /dev)\n"
	"  -p PID          a host process to ptrace (default: skip that attempt)\n"
	"  -t DIR          a writable directory for a node and a mount point (default /tmp)\n"
	"  -h              this help\n";

static struct {
	const char *key;     /* -k */
	const char *block;   /* -b */
	pid_t ptrace_pid;    /* -p, 0 when not given */
	const char *scratch; /* -t */
} opt = { .scratch = "/tmp" };

/* What an attempt returns: ESCAPED, an errno value (all below 200 on
 * Linux), or one of these. */
enum { ESCAPED = 0, READ_EMPTY = 200, SKIPPED = 201 };

/* The errno after a call the kernel makes fail on purpose once the caller
 * has passed its permission check: that errno means the way is open. */
static int past_check(int err, int expected)
{
	return err == expected ? ESCAPED : err;
}

/* --- host files under /proc --------------------------------------------- */

/* core_pattern: ESCAPED when the kernel accepts a write to
 * /proc/sys/kernel/core_pattern. It is the host's (not namespaced): "|PROG"
 * there runs PROG as root of the host at the next crash of any process. We
 * write back the value we read. */
static int try_core_pattern(void)
{
	char value[256];
	ssize_t n;
	int fd = open("/proc/sys/kernel/core_pattern", O_RDWR | O_CLOEXEC), rc;

	if (fd == -1)
		return errno;
	n = read(fd, value, sizeof(value));
	if (n <= 0)
		rc = n == 0 ? READ_EMPTY : errno;
	else
		rc = pwrite(fd, value, (size_t)n, 0) == n ? ESCAPED : errno;
	close(fd);
	return rc;
}

/* sysrq_trigger: ESCAPED when /proc/sysrq-trigger opens for writing: one
 * byte would then reboot or crash the machine (we write none). */
static int try_sysrq_trigger(void)
{
	int fd = open("/proc/sysrq-trigger", O_WRONLY | O_CLOEXEC);

	if (fd == -1)
		return errno;
	close(fd);
	return ESCAPED;
}

/* kcore: ESCAPED when /proc/kcore, the machine's memory as an ELF core
 * file, yields bytes (we read its first 64). A mask (/dev/null bound over
 * it) reads as empty. */
static int try_kcore(void)
{
	char buf[64];
	int fd = open("/proc/kcore", O_RDONLY | O_CLOEXEC), rc;
	ssize_t n;

	if (fd == -1)
		return errno;
	n = read(fd, buf, sizeof(buf));
	rc = n > 0 ? ESCAPED : n == 0 ? READ_EMPTY : errno;
	close(fd);
	return rc;
}

/* --- the caller's keys and terminal -------------------------------------- */

/* session_key: with -k, ESCAPED when we read the payload of the caller's
 * "user" key of that description; without, when the session keyring lists
 * any key (we read no payload then). The keyring is not namespaced: a
 * container that keeps the caller's session keyring reaches its secrets
 * (keyctl(2), keyrings(7)). ENOKEY: no such key, or an empty keyring. */
static int try_session_key(void)
{
	char payload[256];
	int32_t ids[16];
	long key, n;

	if (opt.key == NULL) {
		n = syscall(SYS_keyctl, KEYCTL_READ, KEY_SPEC_SESSION_KEYRING, ids, sizeof(ids));
		if (n == -1)
			return errno;
		return n >= (long)sizeof(ids[0]) ? ESCAPED : ENOKEY;
	}
	key = syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_SESSION_KEYRING, "user", opt.key, 0);
	if (key == -1)
		return errno;
	if (syscall(SYS_keyctl, KEYCTL_READ, key, payload, sizeof(payload)) == -1)
		return errno;
	return ESCAPED;
}

/* TIOCSTI pushes one character into a terminal's input, as if typed
 * (ioctl_tty(2)). The kernel allows it on the caller's controlling terminal
 * (or with CAP_SYS_ADMIN): a container that shares the caller's terminal and
 * session types commands into the caller's shell after it exits
 * (CVE-2017-5226). We push a space, which a shell ignores at a prompt. */
static int push_char(int fd, unsigned long request)
{
	char c = ' ';

	return ioctl(fd, request, &c) == -1 ? errno : ESCAPED;
}

/* tiocsti_stdin: ESCAPED when TIOCSTI on fd 0 is accepted. Inside a
 * container that has a pty of its own, that is its own terminal. */
static int try_tiocsti_stdin(void)
{
	return push_char(0, TIOCSTI);
}

/* tiocsti_high_bits: the same with bits above 32 set in the request. The
 * kernel ignores them (the request is an unsigned int), a filter comparing
 * all 64 bits does not (flatpak's CVE-2019-10063). */
static int try_tiocsti_high_bits(void)
{
	return push_char(0, (unsigned long)TIOCSTI | 1UL << 32);
}

/* tiocsti_dev_tty: TIOCSTI on /dev/tty, the controlling terminal whatever
 * fds 0-2 are. ENXIO: there is none (the container has its own session). */
static int try_tiocsti_dev_tty(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC), rc;

	if (fd == -1)
		return errno;
	rc = push_char(fd, TIOCSTI);
	close(fd);
	return rc;
}

/* --- devices and cgroups ------------------------------------------------ */

/* mknod_block: ESCAPED when we create a block node and it opens: a disk's
 * contents are then ours. The node is b 7:0 (loop0), or the numbers of the
 * -b node, made in -t DIR and removed. */
static int try_mknod_block(void)
{
	char path[4096];
	struct stat st;
	dev_t dev = makedev(7, 0);
	int fd, err;

	if (opt.block != NULL && stat(opt.block, &st) == 0)
		dev = st.st_rdev;
	snprintf(path, sizeof(path), "%s/escape_probe_node.%ld", opt.scratch, (long)getpid());
	if (mknod(path, S_IFBLK | 0600, dev) == -1)
		return errno;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	err = errno;
	unlink(path);
	if (fd == -1)
		return err;
	close(fd);
	return ESCAPED;
}

/* The first block device node in /dev, into path; 0, or ENOENT. */
static int find_block_node(char *path, size_t size)
{
	DIR *d = opendir("/dev");
	struct dirent *e;
	struct stat st;
	int rc = ENOENT;

	if (d == NULL)
		return errno;
	while (rc == ENOENT && (e = readdir(d)) != NULL)
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISBLK(st.st_mode)) {
			snprintf(path, size, "/dev/%s", e->d_name);
			rc = 0;
		}
	closedir(d);
	return rc;
}

/* block_node_rw: ESCAPED when a block device node (-b, else the first in
 * /dev) opens read-write: a host disk could be written. We write nothing. */
static int try_block_node_rw(void)
{
	char found[300];
	const char *path = opt.block;
	int fd, rc;

	if (path == NULL) {
		rc = find_block_node(found, sizeof(found));
		if (rc != 0)
			return rc;
		path = found;
	}
	fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return errno;
	close(fd);
	return ESCAPED;
}

/* Our cgroup in the hierarchy of CONTROLLER ("" for cgroup v2), from
 * /proc/self/cgroup ("4:memory:/a/b", "0::/a/b"), into path. */
static int own_cgroup(const char *controller, char *path, size_t size)
{
	char line[4096], *ctrl, *rest;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int rc = ENOENT;

	if (f == NULL)
		return errno;
	while (rc == ENOENT && fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		ctrl = strchr(line, ':');
		rest = ctrl != NULL ? strchr(ctrl + 1, ':') : NULL;
		if (rest == NULL)
			continue;
		*rest++ = '\0';
		ctrl++;
		if (controller[0] == '\0' ? ctrl[0] == '\0' : strstr(ctrl, controller) != NULL) {
			snprintf(path, size, "%s", rest);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/* Mount a cgroup hierarchy at MNT, then write back the memory limit of our
 * cgroup in it (file LIMIT); unmount. ESCAPED when the write is accepted. */
static int write_back_limit(const char *mnt, const char *fstype, const char *options,
			    const char *controller, const char *limit)
{
	char cg[2048], path[4096], value[64];
	int fd, rc;
	ssize_t n;

	if (mount(fstype, mnt, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, options) == -1)
		return errno;
	rc = own_cgroup(controller, cg, sizeof(cg));
	snprintf(path, sizeof(path), "%s/%s/%s", mnt, cg, limit);
	fd = rc == 0 ? open(path, O_RDWR | O_CLOEXEC) : -1;
	if (rc == 0 && fd == -1)
		rc = errno;
	if (fd != -1) {
		n = read(fd, value, sizeof(value));
		if (n <= 0)
			rc = n == 0 ? READ_EMPTY : errno;
		else
			rc = pwrite(fd, value, (size_t)n, 0) == n ? ESCAPED : errno;
		close(fd);
	}
	umount2(mnt, MNT_DETACH);
	return rc;
}

/* cgroup_limit: ESCAPED when we mount a cgroup hierarchy (v2, else v1's
 * memory) and the kernel accepts a write to our own cgroup's memory limit:
 * the container could lift the limits the runtime set. We write back the
 * value we read. ENOENT: no memory limit file for us in either. */
static int try_cgroup_limit(void)
{
	char mnt[4096];
	int v2, v1;

	snprintf(mnt, sizeof(mnt), "%s/escape_probe.XXXXXX", opt.scratch);
	if (mkdtemp(mnt) == NULL)
		return errno;
	v2 = write_back_limit(mnt, "cgroup2", NULL, "", "memory.max");
	v1 = v2 == ESCAPED ? ESCAPED
			   : write_back_limit(mnt, "cgroup", "memory", "memory", "memory.limit_in_bytes");
	rmdir(mnt);
	if (v1 == ESCAPED)
		return ESCAPED;
	/* Say why v2 failed unless it only lacked the file (this machine has
	 * the memory controller on v1). */
	return v2 != ENOENT ? v2 : v1;
}

/* --- kernel code and kernel state ---------------------------------------- */

/* init_module: ESCAPED when the kernel reads our (empty) module image
 * (ENOEXEC) instead of refusing us: a real module would run in the kernel. */
static int try_init_module(void)
{
	syscall(SYS_init_module, NULL, 0UL, "");
	return past_check(errno, ENOEXEC);
}

/* kexec_load: ESCAPED when the kernel counts our segments (EINVAL for one
 * too many) instead of refusing us: a real kernel image would replace the
 * host's at the next reboot. */
static int try_kexec_load(void)
{
	syscall(SYS_kexec_load, 0UL, (unsigned long)KEXEC_SEGMENT_MAX + 1, NULL, 0UL);
	return past_check(errno, EINVAL);
}

/* bpf: ESCAPED when the kernel loads a BPF program of a privileged type: a
 * cgroup device program that allows everything (never attached). */
static int try_bpf(void)
{
	struct bpf_insn allow_all[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)allow_all;
	attr.insn_cnt = 2;
	attr.license = (uint64_t)(uintptr_t)"GPL";
	fd = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	if (fd == -1)
		return errno;
	close(fd);
	return ESCAPED;
}

/* perf_event_open: ESCAPED when we may count events of every process on
 * CPU 0, i.e. watch the host's activity (perf_event_open(2)). */
static int try_perf_event_open(void)
{
	struct perf_event_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_CPU_CLOCK;
	attr.disabled = 1;
	fd = (int)syscall(SYS_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd == -1)
		return errno;
	close(fd);
	return ESCAPED;
}

/* reboot: ESCAPED when the kernel checks our magic number (EINVAL for a
 * wrong one) instead of refusing us: a right one would restart the machine,
 * or, in a PID namespace, end the container (reboot(2)). */
static int try_reboot(void)
{
	syscall(SYS_reboot, 0, 0, 0, NULL);
	return past_check(errno, EINVAL);
}

/* swapon: ESCAPED when the kernel looks up our swap file (ENOTDIR for
 * /dev/null/none) instead of refusing us: a real one would take the host's
 * memory pages. */
static int try_swapon(void)
{
	syscall(SYS_swapon, "/dev/null/none", 0);
	return past_check(errno, ENOTDIR);
}

/* settimeofday: ESCAPED when settimeofday(NULL, NULL), which changes
 * nothing but asks for CAP_SYS_TIME first, succeeds: the clock is the
 * host's (only CLOCK_MONOTONIC and BOOTTIME have namespaces). */
static int try_settimeofday(void)
{
	return syscall(SYS_settimeofday, NULL, NULL) == -1 ? errno : ESCAPED;
}

/* clock_settime: ESCAPED when setting the real-time clock to what it reads
 * succeeds (it steps back by the microsecond in between). */
static int try_clock_settime(void)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) == -1)
		return errno;
	return clock_settime(CLOCK_REALTIME, &now) == -1 ? errno : ESCAPED;
}

/* userfaultfd: ESCAPED when we get one: it lets a process stall the kernel
 * mid-copy at a page fault, a common step of kernel exploits. */
static int try_userfaultfd(void)
{
	int fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);

	if (fd == -1)
		return errno;
	close(fd);
	return ESCAPED;
}

/* io_uring: ESCAPED when we get a ring: its requests run in kernel threads
 * that no seccomp filter sees, and it has been the way in of many kernel
 * exploits. */
static int try_io_uring(void)
{
	struct io_uring_params params = { 0 };
	int fd = (int)syscall(SYS_io_uring_setup, 1, &params);

	if (fd == -1)
		return errno;
	close(fd);
	return ESCAPED;
}

/* open_by_handle_at: ESCAPED when the kernel decodes a file handle for us
 * (opens it, or fails for another reason than EPERM): with that right a
 * guessed handle reaches any inode of the filesystem, outside the
 * container's view (Docker's 2014 "shocker" walked from the root inode to
 * the host's /etc/shadow). Ours is the root directory of an ext2/3/4
 * filesystem (inode 2), through the mount of "/". Since Linux 6.10 root of a
 * namespace that owns the mount may decode handles of files under it, which
 * this cannot tell apart. */
static int try_open_by_handle_at(void)
{
	enum { FILEID_INO32_GEN = 1 }; /* <linux/exportfs.h>: u32 inode, u32 generation */
	union {
		struct file_handle fh;
		char space[sizeof(struct file_handle) + 8];
	} h;
	uint32_t inode_gen[2] = { 2, 0 };
	int mount_fd, fd, err;

	h.fh.handle_bytes = sizeof(inode_gen);
	h.fh.handle_type = FILEID_INO32_GEN;
	memcpy(h.fh.f_handle, inode_gen, sizeof(inode_gen));
	mount_fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (mount_fd == -1)
		return errno;
	fd = open_by_handle_at(mount_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	err = errno;
	close(mount_fd);
	if (fd != -1) {
		close(fd);
		return ESCAPED;
	}
	return err == EPERM ? EPERM : ESCAPED;
}

/* --- new user namespaces and other ABIs ---------------------------------- */

/* In a new user namespace a process is root again, and reaches kernel code
 * written for root only. ESCAPED when we get one. */
static int try_unshare_newuser(void)
{
	return unshare(CLONE_NEWUSER) == -1 ? errno : ESCAPED;
}

/* ESCAPED when clone() or clone3() with CLONE_NEWUSER makes a child (which
 * exits at once). */
static int reap_new_child(long pid)
{
	if (pid == -1)
		return errno;
	if (pid == 0)
		_exit(0);
	waitpid((pid_t)pid, NULL, 0);
	return ESCAPED;
}

static int try_clone_newuser(void)
{
	return reap_new_child(syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, NULL, NULL, NULL, 0));
}

static int try_clone3_newuser(void)
{
	struct clone_args args = { .flags = CLONE_NEWUSER, .exit_signal = SIGCHLD };

	return reap_new_child(syscall(SYS_clone3, &args, sizeof(args)));
}

#ifdef __x86_64__
/* The same unshare(CLONE_NEWUSER) through the other ABIs of an x86-64 kernel,
 * whose calls a filter written for x86-64 numbers would not recognise.
 * ENOSYS: the kernel has no such ABI; SIGSYS: a seccomp filter killed us. No
 * core dump for that. */
static int try_x32_unshare_newuser(void)
{
	prctl(PR_SET_DUMPABLE, 0);
	return syscall(__X32_SYSCALL_BIT | SYS_unshare, CLONE_NEWUSER) == -1 ? errno : ESCAPED;
}

/* i386: int $0x80 with the i386 number of unshare (310) in eax. */
static int try_i386_unshare_newuser(void)
{
	long ret;

	prctl(PR_SET_DUMPABLE, 0);
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(310L), "b"((long)CLONE_NEWUSER)
			 : "memory", "r8", "r9", "r10", "r11");
	return ret < 0 ? (int)-ret : ESCAPED;
}
#endif

/* ptrace: ESCAPED when we may trace the -p process (PTRACE_SEIZE, which
 * does not stop it; our exit detaches). ESRCH: we cannot even see it. */
static int try_ptrace(void)
{
	if (opt.ptrace_pid == 0)
		return SKIPPED;
	return ptrace(PTRACE_SEIZE, opt.ptrace_pid, NULL, NULL) == -1 ? errno : ESCAPED;
}

/* --- running the attempts ------------------------------------------------ */

static const struct attempt {
	const char *name;
	int (*run)(void);
} attempts[] = {
	{ "core_pattern", try_core_pattern },
	{ "sysrq_trigger", try_sysrq_trigger },
	{ "kcore", try_kcore },
	{ "session_key", try_session_key },
	{ "tiocsti_stdin", try_tiocsti_stdin },
	{ "tiocsti_high_bits", try_tiocsti_high_bits },
	{ "tiocsti_dev_tty", try_tiocsti_dev_tty },
	{ "mknod_block", try_mknod_block },
	{ "block_node_rw", try_block_node_rw },
	{ "cgroup_limit", try_cgroup_limit },
	{ "init_module", try_init_module },
	{ "kexec_load", try_kexec_load },
	{ "bpf", try_bpf },
	{ "perf_event_open", try_perf_event_open },
	{ "reboot", try_reboot },
	{ "swapon", try_swapon },
	{ "settimeofday", try_settimeofday },
	{ "clock_settime", try_clock_settime },
	{ "userfaultfd", try_userfaultfd },
	{ "io_uring", try_io_uring },
	{ "open_by_handle_at", try_open_by_handle_at },
	{ "unshare_newuser", try_unshare_newuser },
	{ "clone_newuser", try_clone_newuser },
	{ "clone3_newuser", try_clone3_newuser },
#ifdef __x86_64__
	{ "x32_unshare_newuser", try_x32_unshare_newuser },
	{ "i386_unshare_newuser", try_i386_unshare_newuser },
#endif
	{ "ptrace", try_ptrace },
};

/* Run A in a child; print its line. Returns 1 when it escaped, else 0. */
static int run_attempt(const struct attempt *a)
{
	int wstatus, code;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == -1)
		errExit("fork");
	if (pid == 0)
		_exit(a->run());
	if (waitpid(pid, &wstatus, 0) == -1)
		errExit("waitpid(%ld)", (long)pid);
	if (WIFSIGNALED(wstatus)) {
		printf("blocked %s (SIG%s)\n", a->name, sigabbrev_np(WTERMSIG(wstatus)));
		return 0;
	}
	code = WEXITSTATUS(wstatus);
	if (code == ESCAPED)
		printf("ESCAPED %s\n", a->name);
	else if (code == READ_EMPTY)
		printf("blocked %s (empty)\n", a->name);
	else if (code == SKIPPED)
		printf("skipped %s (no target given)\n", a->name);
	else
		printf("blocked %s (%s)\n", a->name, strerrorname_np(code) ? strerrorname_np(code) : "?");
	return code == ESCAPED;
}

int main(int argc, char *argv[])
{
	struct stat st;
	int c, escaped = 0;

	while ((c = getopt(argc, argv, "+hk:b:p:t:")) != -1) {
		switch (c) {
		case 'h':
			usage_exit(0, usage_text);
		case 'k':
			opt.key = optarg;
			break;
		case 'b':
			opt.block = optarg;
			if (stat(optarg, &st) == -1)
				errExit("-b %s", optarg);
			if (!S_ISBLK(st.st_mode))
				fatal("-b %s: not a block device node", optarg);
			break;
		case 'p':
			opt.ptrace_pid = (pid_t)parse_long_or_die(optarg, 1, INT32_MAX, "PID");
			break;
		case 't':
			opt.scratch = optarg;
			break;
		default:
			usage_exit(EXIT_CANCELED, usage_text);
		}
	}
	if (optind != argc)
		usage_exit(EXIT_CANCELED, usage_text);
	for (size_t i = 0; i < sizeof(attempts) / sizeof(attempts[0]); i++)
		escaped |= run_attempt(&attempts[i]);
	return escaped ? 1 : 0;
}
