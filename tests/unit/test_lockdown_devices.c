/* Unit tests of lockdown/devices: the allowlist on the machine's real
 * cgroups (root only), v1's devices hierarchy and a cgroup2 hierarchy, and
 * the messages of a failure.
 *
 * A real test makes a throwaway cgroup under the test's own, restricts it,
 * and moves a child into it; the child opens /dev/null and nodes it makes
 * itself in a scratch directory (c 1:11, b 7:0), and reports what happened
 * as one line. This machine is a v1/v2 hybrid: the BPF program attached to
 * an empty cgroup2 (/sys/fs/cgroup/unified) still decides, since the kernel
 * asks the program of the task's cgroup2 cgroup on every device access, in
 * any layout. The runner's unchecked fixture removes the cgroups and the
 * scratch directory even when a test fails.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../basic_container/setup_error.h"
#include "../../lockdown/devices.h"
#include "common.h"

static char v1_dir[PATH_MAX]; /* empty when there is no v1 devices hierarchy */
static char v2_dir[PATH_MAX]; /* empty when there is no cgroup2 hierarchy */
static char scratch[PATH_MAX];

/* Our cgroup in the hierarchy of CONTROLLER ("" for cgroup2), from
 * /proc/self/cgroup ("5:devices:/a", "0::/a"); "" when not found. */
static const char *own_cgroup(const char *controller)
{
	static char path[PATH_MAX];
	char line[PATH_MAX + 64], want[64];
	FILE *f = fopen("/proc/self/cgroup", "re");

	path[0] = '\0';
	if (f == NULL)
		return path;
	snprintf(want, sizeof(want), ":%s:", controller);
	while (fgets(line, sizeof(line), f) != NULL) {
		char *p = strstr(line, want);

		if (p != NULL) {
			snprintf(path, sizeof(path), "%s", p + strlen(want));
			path[strcspn(path, "\n")] = '\0';
			break;
		}
	}
	fclose(f);
	return path;
}

static bool is_cgroup2(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Unchecked fixture (in the runner): name the throwaway cgroups after our
 * PID, under our own cgroups. */
static void name_paths(void)
{
	const char *v2_root = is_cgroup2("/sys/fs/cgroup")		? "/sys/fs/cgroup"
			      : is_cgroup2("/sys/fs/cgroup/unified") ? "/sys/fs/cgroup/unified"
								     : NULL;
	struct stat st;
	int pid = (int)getpid();

	v1_dir[0] = v2_dir[0] = '\0';
	if (stat("/sys/fs/cgroup/devices/devices.deny", &st) == 0)
		snprintf(v1_dir, sizeof(v1_dir), "/sys/fs/cgroup/devices%s/test_lockdown-%d",
			 own_cgroup("devices"), pid);
	if (v2_root != NULL)
		snprintf(v2_dir, sizeof(v2_dir), "%s%s/test_lockdown-%d", v2_root, own_cgroup(""), pid);
	snprintf(scratch, sizeof(scratch), "/tmp/test_lockdown.%d", pid);
}

/* rmdir a cgroup; a child just reaped may still hold it for a moment. */
static void remove_cgroup(const char *dir)
{
	struct timespec ms = { 0, 1000000 };

	for (int i = 0; dir[0] != '\0' && i < 100; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		nanosleep(&ms, NULL);
	}
	if (dir[0] != '\0')
		fprintf(stderr, "test_lockdown_devices: rmdir %s: %s\n", dir, strerror(errno));
}

static void remove_all(void)
{
	char path[PATH_MAX + 32];

	remove_cgroup(v1_dir);
	remove_cgroup(v2_dir);
	for (const char *const *n = (const char *const[]){ "c1_3", "c1_11", "b7_0", NULL }; *n; n++) {
		snprintf(path, sizeof(path), "%s/%s", scratch, *n);
		unlink(path);
	}
	rmdir(scratch);
}

/* "ok" or the errno name of ret == -1. */
static const char *outcome(int ret)
{
	return ret == -1 ? strerrorname_np(errno) : "ok";
}

/* Make node NAME (type and numbers) in the scratch directory and open it
 * with FLAGS; describe both steps: "mknod b 7:0 ok, open EPERM". */
static void try_node(FILE *out, const char *name, mode_t type, int major, int minor, int flags)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", scratch, name);
	fprintf(out, "; mknod %c %d:%d %s", type == S_IFBLK ? 'b' : 'c', major, minor,
		outcome(mknod(path, type | 0600, makedev(major, minor))));
	fd = open(path, flags | O_NONBLOCK | O_CLOEXEC);
	fprintf(out, ", open %s", outcome(fd));
	if (fd != -1)
		close(fd);
	unlink(path);
}

/* In a child that moves itself into the cgroup DIR: what it may do, as one
 * line into report. */
static void devices_seen_in(const char *dir, char *report, size_t size)
{
	char procs[PATH_MAX + 16], pid[16];
	int pipefd[2], wstatus, fd;
	ssize_t n;
	pid_t child;

	ck_assert_int_eq(pipe(pipefd), 0);
	child = fork();
	ck_assert_int_ne(child, -1);
	if (child == 0) {
		FILE *out = fdopen(pipefd[1], "w");

		snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
		snprintf(pid, sizeof(pid), "%d", (int)getpid());
		if (out == NULL || write_file(procs, pid) == -1)
			_exit(2);
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		fprintf(out, "/dev/null rw %s", outcome(fd));
		try_node(out, "c1_3", S_IFCHR, 1, 3, O_RDWR);
		try_node(out, "c1_11", S_IFCHR, 1, 11, O_RDONLY);
		try_node(out, "b7_0", S_IFBLK, 7, 0, O_RDONLY);
		_exit(fclose(out) == 0 ? 0 : 3);
	}
	close(pipefd[1]);
	n = read(pipefd[0], report, size - 1);
	report[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	ck_assert_int_eq(waitpid(child, &wstatus, 0), child);
	ck_assert_msg(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0, "child status %#x", wstatus);
}

/* What the child sees in a restricted cgroup: nodes made freely, only the
 * listed ones opened, whatever their path. */
static const char restricted[] = "/dev/null rw ok; mknod c 1:3 ok, open ok; "
				 "mknod c 1:11 ok, open EPERM; mknod b 7:0 ok, open EPERM";

static void make_cgroup_and_scratch(const char *dir)
{
	ck_assert_msg(mkdir(dir, 0755) == 0, "mkdir %s: %s", dir, strerror(errno));
	ck_assert_msg(mkdir(scratch, 0700) == 0 || errno == EEXIST, "mkdir %s: %s", scratch,
		      strerror(errno));
}

START_TEST(v1_allows_the_list_and_denies_the_rest)
{
	char list[1024], path[PATH_MAX + 32], report[512];

	if (geteuid() != 0 || v1_dir[0] == '\0')
		return; /* a real devices cgroup needs root and a v1 hierarchy */
	make_cgroup_and_scratch(v1_dir);
	ck_assert_msg(devices_restrict(v1_dir, 1) == 0, "%s", setup_error());
	snprintf(path, sizeof(path), "%s/devices.list", v1_dir);
	ck_assert_int_gt(read_file(path, list, sizeof(list)), 0);
	ck_assert_str_eq(list, "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\n"
			       "c 1:9 rwm\nc 5:0 rwm\nc 5:1 rwm\nc 5:2 rwm\nc 136:* rwm\n");
	devices_seen_in(v1_dir, report, sizeof(report));
	ck_assert_str_eq(report, restricted);
}
END_TEST

START_TEST(v2_program_allows_the_list_and_denies_the_rest)
{
	char report[512];

	if (geteuid() != 0 || v2_dir[0] == '\0')
		return; /* loading a BPF program needs root, and a cgroup2 hierarchy */
	make_cgroup_and_scratch(v2_dir);
	/* Before, the new cgroup lets c 1:11 (/dev/kmsg) be opened. */
	devices_seen_in(v2_dir, report, sizeof(report));
	ck_assert_ptr_nonnull(strstr(report, "mknod c 1:11 ok, open ok"));
	ck_assert_msg(devices_restrict(v2_dir, 2) == 0, "%s", setup_error());
	devices_seen_in(v2_dir, report, sizeof(report));
	ck_assert_str_eq(report, restricted);
}
END_TEST

START_TEST(v2_program_on_a_directory_that_is_no_cgroup)
{
	if (geteuid() != 0)
		return; /* loading a BPF program needs root */
	ck_assert_int_eq(devices_restrict("/tmp", 2), -1);
	ck_assert_str_eq(setup_error(), "attach the device program to /tmp (bpf BPF_PROG_ATTACH): "
					"Bad file descriptor");
}
END_TEST

START_TEST(bad_version_and_missing_directories_are_named)
{
	ck_assert_int_eq(devices_restrict("/sys/fs/cgroup", 3), -1);
	ck_assert_str_eq(setup_error(), "devices_restrict: cgroup version 3 is neither 1 nor 2");
	ck_assert_int_eq(devices_restrict("/nonexistent/test_lockdown", 1), -1);
	ck_assert_str_eq(setup_error(), "write \"a\" to /nonexistent/test_lockdown/devices.deny: "
					"No such file or directory");
	ck_assert_int_eq(devices_restrict("/nonexistent/test_lockdown", 2), -1);
	ck_assert_str_eq(setup_error(), "open cgroup /nonexistent/test_lockdown: "
					"No such file or directory");
}
END_TEST

static Suite *devices_suite(void)
{
	Suite *s = suite_create("lockdown devices");
	TCase *real = tcase_create("real");
	TCase *errors = tcase_create("errors");

	tcase_add_unchecked_fixture(real, name_paths, remove_all);
	tcase_add_test(real, v1_allows_the_list_and_denies_the_rest);
	tcase_add_test(real, v2_program_allows_the_list_and_denies_the_rest);
	suite_add_tcase(s, real);

	tcase_add_test(errors, v2_program_on_a_directory_that_is_no_cgroup);
	tcase_add_test(errors, bad_version_and_missing_directories_are_named);
	suite_add_tcase(s, errors);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devices_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
