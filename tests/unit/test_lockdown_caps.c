/* Unit tests of lockdown/capabilities: names, sets, and caps_apply() in a
 * child inside a fresh user namespace (where it is root, as the container's
 * setup is), checked in /proc/self/status before and after an execve().
 * Runs as root or as a plain user (unprivileged user namespaces).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../basic_container/setup_error.h"
#include "../../lockdown/capabilities.h"
#include "common.h"

#define BIT(cap) (UINT64_C(1) << (cap))

/* Every capability of this kernel, as /proc/sys/kernel/cap_last_cap says. */
static uint64_t all_caps(void)
{
	char buf[16];
	long last;

	ck_assert_int_gt(read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)), 0);
	buf[strcspn(buf, "\n")] = '\0';
	ck_assert_int_eq(parse_long(buf, 0, 63, &last), 0);
	return last == 63 ? UINT64_MAX : BIT(last + 1) - 1;
}

START_TEST(default_set_is_dockers_fourteen)
{
	uint64_t expected = BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_FSETID) |
			    BIT(CAP_FOWNER) | BIT(CAP_MKNOD) | BIT(CAP_NET_RAW) |
			    BIT(CAP_SETGID) | BIT(CAP_SETUID) | BIT(CAP_SETFCAP) |
			    BIT(CAP_SETPCAP) | BIT(CAP_NET_BIND_SERVICE) |
			    BIT(CAP_SYS_CHROOT) | BIT(CAP_KILL) | BIT(CAP_AUDIT_WRITE);

	ck_assert_uint_eq(caps_default(), expected);
	ck_assert_int_eq(__builtin_popcountll(caps_default()), 14);
	ck_assert(!(caps_default() & BIT(CAP_SYS_ADMIN)));
}
END_TEST

START_TEST(names_with_or_without_prefix_in_any_case)
{
	const char *names[] = { "NET_ADMIN", "CAP_NET_ADMIN", "net_admin", "cap_net_admin",
				"Cap_Net_Admin" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint64_t set = 0;

		ck_assert_msg(caps_change(&set, names[i], true) == 0, "%s refused", names[i]);
		ck_assert_uint_eq(set, BIT(CAP_NET_ADMIN));
	}
}
END_TEST

START_TEST(add_and_drop_change_one_bit)
{
	uint64_t set = caps_default();

	ck_assert_int_eq(caps_change(&set, "SYS_PTRACE", true), 0);
	ck_assert_uint_eq(set, caps_default() | BIT(CAP_SYS_PTRACE));
	ck_assert_int_eq(caps_change(&set, "SYS_PTRACE", false), 0);
	ck_assert_int_eq(caps_change(&set, "NET_RAW", false), 0);
	ck_assert_uint_eq(set, caps_default() & ~BIT(CAP_NET_RAW));
	/* dropping one that is not there changes nothing */
	ck_assert_int_eq(caps_change(&set, "NET_RAW", false), 0);
	ck_assert_uint_eq(set, caps_default() & ~BIT(CAP_NET_RAW));
}
END_TEST

START_TEST(all_means_every_capability_of_this_kernel)
{
	uint64_t set = 0;

	ck_assert_int_eq(caps_change(&set, "ALL", true), 0);
	ck_assert_uint_eq(set, all_caps());
	ck_assert_int_eq(caps_change(&set, "all", false), 0);
	ck_assert_uint_eq(set, 0);
	/* --cap-drop ALL --cap-add CHOWN */
	set = caps_default();
	ck_assert_int_eq(caps_change(&set, "ALL", false), 0);
	ck_assert_int_eq(caps_change(&set, "CHOWN", true), 0);
	ck_assert_uint_eq(set, BIT(CAP_CHOWN));
}
END_TEST

START_TEST(unknown_names_and_numbers_are_refused)
{
	const char *bad[] = { "", "cap_", "BOGUS", "CAP_BOGUS", "12", "cap_12", "NET-ADMIN",
			      "NET_ADMIN ", "ALLX",
			      "CAP_NET_ADMIN_AND_A_NAME_FAR_TOO_LONG_TO_BE_ANY_CAPABILITY_AT_ALL_X" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t set = caps_default();

		ck_assert_msg(caps_change(&set, bad[i], true) == -1, "'%s' accepted", bad[i]);
		ck_assert_uint_eq(set, caps_default());
	}
}
END_TEST

/* --- caps_apply() in a child, root of a fresh user namespace ------------ */

/* Become root of a new user namespace (mapping our own IDs to 0, which an
 * unprivileged process may do: user_namespaces(7)); in a child. */
static void enter_user_namespace_as_root(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWUSER) == -1)
		errExitChild("unshare(CLONE_NEWUSER)");
	if (write_file("/proc/self/setgroups", "deny") == -1)
		errExitChild("write /proc/self/setgroups");
	snprintf(map, sizeof(map), "0 %ld 1", (long)uid);
	if (write_file("/proc/self/uid_map", map) == -1)
		errExitChild("write uid_map");
	snprintf(map, sizeof(map), "0 %ld 1", (long)gid);
	if (write_file("/proc/self/gid_map", map) == -1)
		errExitChild("write gid_map");
}

/* The value of "FIELD:\tHEX" in the status text, e.g. CapBnd. */
static uint64_t status_field(const char *status, const char *field)
{
	char key[32];
	const char *p;

	snprintf(key, sizeof(key), "\n%s:\t", field);
	p = strstr(status, key);
	ck_assert_msg(p != NULL, "no %s in:\n%s", field, status);
	return strtoull(p + strlen(key), NULL, 16);
}

/* In a child as root of a fresh user namespace: caps_apply(set), then the
 * lines of /proc/self/status, printed by the child itself (exec=false) or
 * by cat after an execve() (exec=true), into out. Returns the wait status. */
static int apply_in_child(uint64_t set, bool exec, char *out, size_t size)
{
	int pipefd[2], wstatus;
	ssize_t n, total = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		char status[4096];
		ssize_t len;

		close(pipefd[0]);
		enter_user_namespace_as_root();
		if (caps_apply(set) == -1) {
			dprintf(pipefd[1], "caps_apply: %s\n", setup_error());
			_exit(3);
		}
		if (exec) {
			dup2(pipefd[1], STDOUT_FILENO);
			execl("/bin/cat", "cat", "/proc/self/status", (char *)NULL);
			_exit(127);
		}
		len = read_file("/proc/self/status", status, sizeof(status));
		if (len > 0 && write(pipefd[1], status, (size_t)len) != len)
			_exit(2);
		_exit(len > 0 ? 0 : 2);
	}
	close(pipefd[1]);
	while (total < (ssize_t)size - 1 &&
	       (n = read(pipefd[0], out + total, size - 1 - (size_t)total)) > 0)
		total += n;
	out[total] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	return wstatus;
}

START_TEST(apply_sets_bounding_permitted_effective_and_clears_the_rest)
{
	uint64_t set = caps_default();
	char status[8192];
	int wstatus;

	ck_assert_int_eq(caps_change(&set, "NET_ADMIN", true), 0);
	ck_assert_int_eq(caps_change(&set, "CHOWN", false), 0);
	wstatus = apply_in_child(set, false, status, sizeof(status));
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "%s", status);
	ck_assert_uint_eq(status_field(status, "CapBnd"), set);
	ck_assert_uint_eq(status_field(status, "CapPrm"), set);
	ck_assert_uint_eq(status_field(status, "CapEff"), set);
	ck_assert_uint_eq(status_field(status, "CapInh"), 0);
	ck_assert_uint_eq(status_field(status, "CapAmb"), 0);
}
END_TEST

/* What the container's command gets: root's execve() makes permitted and
 * effective its bounding set. */
START_TEST(the_command_root_execs_gets_exactly_the_set)
{
	char status[8192];
	int wstatus;

	wstatus = apply_in_child(caps_default(), true, status, sizeof(status));
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "%s", status);
	ck_assert_uint_eq(status_field(status, "CapBnd"), caps_default());
	ck_assert_uint_eq(status_field(status, "CapPrm"), caps_default());
	ck_assert_uint_eq(status_field(status, "CapEff"), caps_default());
	ck_assert_uint_eq(status_field(status, "CapAmb"), 0);
}
END_TEST

START_TEST(apply_of_nothing_leaves_nothing)
{
	char status[8192];
	int wstatus;

	wstatus = apply_in_child(0, true, status, sizeof(status));
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "%s", status);
	ck_assert_uint_eq(status_field(status, "CapBnd"), 0);
	ck_assert_uint_eq(status_field(status, "CapEff"), 0);
}
END_TEST

/* Without CAP_SETPCAP the bounding set cannot shrink: one line says which
 * drop failed and why. */
START_TEST(apply_without_setpcap_names_the_failed_drop)
{
	int pipefd[2], wstatus;
	char msg[512] = "";
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(pipefd), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		uint64_t set = caps_default();

		enter_user_namespace_as_root();
		caps_change(&set, "SETPCAP", false);
		if (caps_apply(set) == -1)
			_exit(2);
		if (caps_apply(0) == 0) /* CAP_SETPCAP is gone now */
			_exit(3);
		dprintf(pipefd[1], "%s", setup_error());
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], msg, sizeof(msg) - 1);
	msg[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(pid, &wstatus, 0), pid);
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "status %d", wstatus);
	ck_assert_str_eq(msg, "drop cap_chown from the bounding set (prctl PR_CAPBSET_DROP): "
			      "Operation not permitted");
}
END_TEST

static Suite *caps_suite(void)
{
	Suite *s = suite_create("lockdown capabilities");
	TCase *names = tcase_create("names");
	TCase *apply = tcase_create("apply");

	tcase_add_test(names, default_set_is_dockers_fourteen);
	tcase_add_test(names, names_with_or_without_prefix_in_any_case);
	tcase_add_test(names, add_and_drop_change_one_bit);
	tcase_add_test(names, all_means_every_capability_of_this_kernel);
	tcase_add_test(names, unknown_names_and_numbers_are_refused);
	suite_add_tcase(s, names);

	tcase_add_test(apply, apply_sets_bounding_permitted_effective_and_clears_the_rest);
	tcase_add_test(apply, the_command_root_execs_gets_exactly_the_set);
	tcase_add_test(apply, apply_of_nothing_leaves_nothing);
	tcase_add_test(apply, apply_without_setpcap_names_the_failed_drop);
	suite_add_tcase(s, apply);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(caps_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
