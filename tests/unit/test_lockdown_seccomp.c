/* Unit tests of lockdown/seccomp_filter: what a process can still do after
 * seccomp_load_default().
 *
 * Each check runs in a child that first becomes root of a fresh user
 * namespace (as in test_lockdown_caps), as the container's setup is: there it holds CAP_SYS_ADMIN, so
 * the kernel accepts the filter without no_new_privs, and none of the calls
 * tried below can reach the host even where a rule were missing. The child
 * reports the errno of its call as its exit status (0: the call worked).
 * Several checks first run the same call without the filter, proving that
 * the EPERM comes from the filter and not from the kernel.
 * Runs as root or as a plain user (unprivileged user namespaces).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timex.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../basic_container/setup_error.h"
#include "../../lockdown/seccomp_filter.h"
#include "common.h"

enum { FILTERED = 1, UNFILTERED = 0 };

/* Exit statuses of a child whose setup failed: above every errno. */
enum { NO_USER_NAMESPACE = 250, NO_FILTER = 251 };

/* Become root of a new user namespace, our own IDs mapped to 0 (which an
 * unprivileged process may do: user_namespaces(7)). Unmapped, we could not
 * make a nested one, filter or not. */
static int enter_user_namespace_as_root(void)
{
	char uid_map[64], gid_map[64];

	snprintf(uid_map, sizeof(uid_map), "0 %ld 1", (long)getuid());
	snprintf(gid_map, sizeof(gid_map), "0 %ld 1", (long)getgid());
	if (unshare(CLONE_NEWUSER) == -1 || write_file("/proc/self/setgroups", "deny") == -1 ||
	    write_file("/proc/self/uid_map", uid_map) == -1 ||
	    write_file("/proc/self/gid_map", gid_map) == -1)
		return -1;
	return 0;
}

/* In a child, root of a new user namespace, with the filter loaded when
 * FILTERED: run CALL, exit with its result (an errno, or 0). Returns the
 * wait status. */
static int in_child(int filtered, int (*call)(void))
{
	int wstatus;
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		if (enter_user_namespace_as_root() == -1)
			_exit(NO_USER_NAMESPACE);
		/* No core file when the filter kills. (Not before the maps:
		 * /proc/self of an undumpable process belongs to root.) */
		prctl(PR_SET_DUMPABLE, 0);
		if (filtered && seccomp_load_default() == -1) {
			fprintf(stderr, "%s\n", setup_error());
			_exit(NO_FILTER);
		}
		_exit(call());
	}
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	return wstatus;
}

/* The errno CALL leaves in a child, with or without the filter. */
static int result(int filtered, int (*call)(void))
{
	int wstatus = in_child(filtered, call);

	ck_assert_msg(WIFEXITED(wstatus), "child killed by signal %d", WTERMSIG(wstatus));
	ck_assert_msg(WEXITSTATUS(wstatus) < NO_USER_NAMESPACE, "child setup failed (%d)",
		      WEXITSTATUS(wstatus));
	return WEXITSTATUS(wstatus);
}

static int errno_of(long ret)
{
	return ret == -1 ? errno : 0;
}

/* --- the filter is there -------------------------------------------------- */

static int status_shows_filter_and_no_nnp(void)
{
	char status[4096];

	if (read_file("/proc/self/status", status, sizeof(status)) <= 0)
		return 90;
	if (strstr(status, "\nSeccomp:\t2\n") == NULL)
		return 91;
	return strstr(status, "\nNoNewPrivs:\t0\n") == NULL ? 92 : 0;
}

START_TEST(loaded_filter_shows_in_status_without_no_new_privs)
{
	ck_assert_int_eq(result(FILTERED, status_shows_filter_and_no_nnp), 0);
}
END_TEST

/* --- calls refused whatever their arguments ------------------------------- */

/* Calls that would work, or fail otherwise than EPERM, in our namespace. */
static int call_keyctl(void)
{
	return errno_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_THREAD_KEYRING, 1));
}

static int call_add_key(void)
{
	return errno_of(syscall(SYS_add_key, "user", "test_lockdown", "x", 1,
				KEY_SPEC_THREAD_KEYRING));
}

static int call_request_key(void)
{
	return errno_of(syscall(SYS_request_key, "user", "test_lockdown:none", NULL,
				KEY_SPEC_THREAD_KEYRING));
}

/* Count our own CPU time, in user space only: what perf_event_paranoid 2
 * allows anyone. */
static int call_perf_event_open(void)
{
	struct perf_event_attr attr = { .type = PERF_TYPE_SOFTWARE, .size = sizeof(attr),
					.config = PERF_COUNT_SW_TASK_CLOCK, .disabled = 1,
					.exclude_kernel = 1, .exclude_hv = 1 };

	return errno_of(syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC));
}

/* CLOCK_MONOTONIC cannot be set: EINVAL before any permission check. */
static int call_clock_settime(void)
{
	struct timespec ts = { 0, 0 };

	return errno_of(syscall(SYS_clock_settime, CLOCK_MONOTONIC, &ts));
}

/* An invalid time: EINVAL before any permission check. */
static int call_settimeofday(void)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 2000000 };

	return errno_of(syscall(SYS_settimeofday, &tv, NULL));
}

/* modes 0 only reads the clock's state: allowed to anyone. */
static int call_adjtimex(void)
{
	struct timex tx = { .modes = 0 };

	return errno_of(syscall(SYS_adjtimex, &tx));
}

static int call_clock_adjtime(void)
{
	struct timex tx = { .modes = 0 };

	return errno_of(syscall(SYS_clock_adjtime, CLOCK_REALTIME, &tx));
}

/* A bad mount fd: EBADF before the permission check on Linux 6.10 and
 * later, EPERM before it on 6.1. */
static int call_open_by_handle_at(void)
{
	char handle[sizeof(struct file_handle) + 8] = { 0 };

	return errno_of(syscall(SYS_open_by_handle_at, -1, handle, O_RDONLY));
}

/* UFFD_USER_MODE_ONLY (1): allowed to anyone since Linux 5.11. */
static int call_userfaultfd(void)
{
	return errno_of(syscall(SYS_userfaultfd, O_CLOEXEC | 1));
}

/* These need the host's root whatever we pass: the kernel says EPERM in our
 * namespace too (or ENOSYS where it lacks them), so only the filtered
 * result is checked. The arguments are harmless even for root. */
static int call_bpf(void)
{
	return errno_of(syscall(SYS_bpf, -1, NULL, 0));
}

static int call_kexec_load(void)
{
	return errno_of(syscall(SYS_kexec_load, 0UL, 17UL, NULL, 0UL));
}

static int call_kexec_file_load(void)
{
	return errno_of(syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL, 0UL));
}

static int call_init_module(void)
{
	return errno_of(syscall(SYS_init_module, NULL, 0UL, ""));
}

static int call_finit_module(void)
{
	return errno_of(syscall(SYS_finit_module, -1, "", 0));
}

static int call_delete_module(void)
{
	return errno_of(syscall(SYS_delete_module, "test_lockdown_none", O_NONBLOCK));
}

static int call_swapon(void)
{
	return errno_of(syscall(SYS_swapon, "/dev/null/none", 0));
}

static int call_swapoff(void)
{
	return errno_of(syscall(SYS_swapoff, "/dev/null/none"));
}

static int call_reboot(void)
{
	return errno_of(syscall(SYS_reboot, 0, 0, 0, NULL));
}

static int call_acct(void)
{
	return errno_of(syscall(SYS_acct, "/dev/null/none"));
}

static const struct denied_call {
	const char *name;
	int (*call)(void);
	bool works_unfiltered; /* or fails otherwise than EPERM */
} denied[] = {
	{ "keyctl", call_keyctl, true },
	{ "add_key", call_add_key, true },
	{ "request_key", call_request_key, true },
	{ "perf_event_open", call_perf_event_open, true },
	{ "clock_settime", call_clock_settime, true },
	{ "settimeofday", call_settimeofday, true },
	{ "adjtimex", call_adjtimex, true },
	{ "clock_adjtime", call_clock_adjtime, true },
	{ "userfaultfd", call_userfaultfd, true },
	{ "open_by_handle_at", call_open_by_handle_at, false },
	{ "bpf", call_bpf, false },
	{ "kexec_load", call_kexec_load, false },
	{ "kexec_file_load", call_kexec_file_load, false },
	{ "init_module", call_init_module, false },
	{ "finit_module", call_finit_module, false },
	{ "delete_module", call_delete_module, false },
	{ "swapon", call_swapon, false },
	{ "swapoff", call_swapoff, false },
	{ "reboot", call_reboot, false },
	{ "acct", call_acct, false },
};

START_TEST(each_denied_call_fails_with_eperm)
{
	const struct denied_call *d = &denied[_i];
	int err = result(FILTERED, d->call);

	ck_assert_msg(err == EPERM, "%s: %s", d->name, err == 0 ? "works" : strerrorname_np(err));
	if (d->works_unfiltered)
		ck_assert_msg(result(UNFILTERED, d->call) != EPERM,
			      "%s fails with EPERM even without the filter", d->name);
}
END_TEST

/* --- new user namespaces, by argument --------------------------------------- */

static int call_unshare_newuser(void)
{
	return errno_of(unshare(CLONE_NEWUSER));
}

static int call_unshare_newuts(void)
{
	return errno_of(unshare(CLONE_NEWUTS));
}

/* A raw clone() without a new stack behaves as fork(): the child exits. */
static int clone_with(unsigned long flags)
{
	long pid = syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);

	if (pid == 0)
		_exit(0);
	if (pid == -1)
		return errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

static int call_clone_newuser(void)
{
	return clone_with(CLONE_NEWUSER);
}

static int call_clone_plain(void)
{
	return clone_with(0);
}

static int call_clone3(void)
{
	struct clone_args args = { .exit_signal = SIGCHLD };
	long pid = syscall(SYS_clone3, &args, sizeof(args));

	if (pid == 0)
		_exit(0);
	if (pid == -1)
		return errno;
	waitpid((pid_t)pid, NULL, 0);
	return 0;
}

START_TEST(no_new_user_namespace_through_unshare)
{
	ck_assert_int_eq(result(UNFILTERED, call_unshare_newuser), 0);
	ck_assert_int_eq(result(FILTERED, call_unshare_newuser), EPERM);
	ck_assert_int_eq(result(FILTERED, call_unshare_newuts), 0);
}
END_TEST

START_TEST(no_new_user_namespace_through_clone)
{
	ck_assert_int_eq(result(UNFILTERED, call_clone_newuser), 0);
	ck_assert_int_eq(result(FILTERED, call_clone_newuser), EPERM);
	ck_assert_int_eq(result(FILTERED, call_clone_plain), 0);
}
END_TEST

START_TEST(clone3_says_enosys_and_fork_still_works)
{
	ck_assert_int_eq(result(UNFILTERED, call_clone3), 0);
	ck_assert_int_eq(result(FILTERED, call_clone3), ENOSYS);
	/* glibc's fork() uses clone(), which the filter lets through */
	ck_assert_int_eq(result(FILTERED, call_clone_plain), 0);
}
END_TEST

/* --- ioctl by request --------------------------------------------------------- */

/* The request on a pipe: a terminal request says ENOTTY there, unless the
 * filter answers first. */
static int ioctl_on_pipe(unsigned long request)
{
	int p[2], n = 0, rc;

	if (pipe(p) == -1)
		return 90;
	rc = errno_of(ioctl(p[0], request, &n));
	close(p[0]);
	close(p[1]);
	return rc;
}

static int call_tiocsti(void)
{
	return ioctl_on_pipe(TIOCSTI);
}

static int call_tiocsti_high_bits(void)
{
	return ioctl_on_pipe((unsigned long)TIOCSTI | 1UL << 32);
}

static int call_tioclinux(void)
{
	return ioctl_on_pipe(TIOCLINUX);
}

static int call_fionread(void)
{
	return ioctl_on_pipe(FIONREAD);
}

START_TEST(tiocsti_and_tioclinux_fail_with_eperm_other_ioctls_work)
{
	ck_assert_int_eq(result(UNFILTERED, call_tiocsti), ENOTTY);
	ck_assert_int_eq(result(FILTERED, call_tiocsti), EPERM);
	ck_assert_int_eq(result(UNFILTERED, call_tiocsti_high_bits), ENOTTY);
	ck_assert_int_eq(result(FILTERED, call_tiocsti_high_bits), EPERM);
	ck_assert_int_eq(result(UNFILTERED, call_tioclinux), ENOTTY);
	ck_assert_int_eq(result(FILTERED, call_tioclinux), EPERM);
	ck_assert_int_eq(result(FILTERED, call_fionread), 0);
}
END_TEST

/* --- other ABIs --------------------------------------------------------------- */

#ifdef __x86_64__
/* getpid through the x32 ABI: its number with bit 30 set. */
static int call_x32_getpid(void)
{
	return errno_of(syscall(__X32_SYSCALL_BIT | SYS_getpid));
}

/* getpid through the i386 ABI: int $0x80, i386 number 20. */
static int call_i386_getpid(void)
{
	long ret;

	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory", "r8", "r9", "r10", "r11");
	return ret < 0 ? (int)-ret : 0;
}

START_TEST(a_call_through_another_abi_kills_with_sigsys)
{
	int wstatus;

	/* Without the filter the x32 call gets an answer (ENOSYS on a kernel
	 * without x32), the i386 one too (a SIGSEGV without IA32 emulation). */
	wstatus = in_child(UNFILTERED, call_x32_getpid);
	ck_assert(WIFEXITED(wstatus));
	wstatus = in_child(FILTERED, call_x32_getpid);
	ck_assert_msg(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGSYS, "x32: status %#x", wstatus);
	wstatus = in_child(FILTERED, call_i386_getpid);
	ck_assert_msg(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGSYS, "i386: status %#x", wstatus);
}
END_TEST
#endif

/* --- who may load it ------------------------------------------------------------ */

/* Without CAP_SYS_ADMIN the kernel wants no_new_privs first. In a child of
 * ours (not in a new user namespace): as root, after giving up root. */
START_TEST(without_cap_sys_admin_load_needs_no_new_privs)
{
	int pipefd[2], wstatus;
	char msg[512] = "";
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char status[4096];

		if (geteuid() == 0 && setresuid(65534, 65534, 65534) == -1)
			_exit(2);
		if (seccomp_load_default() == 0)
			_exit(3);
		dprintf(pipefd[1], "%s", setup_error());
		if (set_no_new_privs() == -1 || seccomp_load_default() == -1)
			_exit(4);
		if (read_file("/proc/self/status", status, sizeof(status)) <= 0 ||
		    strstr(status, "\nNoNewPrivs:\t1\n") == NULL || strstr(status, "\nSeccomp:\t2\n") == NULL)
			_exit(5);
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "status %#x", wstatus);
	ck_assert_str_eq(msg, "load the seccomp filter (seccomp SECCOMP_SET_MODE_FILTER; "
			      "needs CAP_SYS_ADMIN or no_new_privs): Permission denied");
}
END_TEST

static Suite *seccomp_suite(void)
{
	Suite *s = suite_create("lockdown seccomp");
	TCase *filter = tcase_create("filter");

	tcase_add_test(filter, loaded_filter_shows_in_status_without_no_new_privs);
	tcase_add_loop_test(filter, each_denied_call_fails_with_eperm, 0,
			    sizeof(denied) / sizeof(denied[0]));
	tcase_add_test(filter, no_new_user_namespace_through_unshare);
	tcase_add_test(filter, no_new_user_namespace_through_clone);
	tcase_add_test(filter, clone3_says_enosys_and_fork_still_works);
	tcase_add_test(filter, tiocsti_and_tioclinux_fail_with_eperm_other_ioctls_work);
#ifdef __x86_64__
	tcase_add_test(filter, a_call_through_another_abi_kills_with_sigsys);
#endif
	tcase_add_test(filter, without_cap_sys_admin_load_needs_no_new_privs);
	suite_add_tcase(s, filter);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(seccomp_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
