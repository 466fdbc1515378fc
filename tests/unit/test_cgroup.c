/* Unit tests of cgroup/: the module against fake v1 and v2 trees.
 *
 * A fake tree is plain directories holding the cgroup file names, pre-created
 * empty, in a mkdtemp directory; CGROUP_ROOT and CGROUP_VERSION point the
 * module at it, and CGROUP_SELF at a file that stands for /proc/self/cgroup
 * (by default a v2 host's: one "0::" line, no line per controller), so that
 * no test depends on the cgroups of the machine it runs on. A real cgroup
 * filesystem fills a new cgroup directory with its files; a plain one does
 * not, so tests call cgroup_create(), play the kernel by creating the files,
 * then call cgroup_set_limits(). A plain directory holding files cannot be
 * rmdir'ed either: tests of cgroup_remove() check that error.
 *
 * Every tree lies in one scratch directory that main() makes before the
 * tests and removes after them, whatever happened to each: a failing Check
 * test ends its process at once, before any teardown. One test, run only as
 * root, uses the machine's real cgroups.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup.h"
#include "common.h"

#define NAME "test-cg"
#define MEGS_5 "5242880"

static char scratch[64];  /* made by main(), holds every tree */
static char root[128];    /* this test's tree */
static pid_t runner_pid;  /* main()'s: names the real cgroups of this run */

/* The path ROOT/FMT... in a static buffer (one at a time). */
static const char *at(const char *fmt, ...) PRINTF(1, 2);
static const char *at(const char *fmt, ...)
{
	static char path[PATH_MAX];
	size_t n = (size_t)snprintf(path, sizeof(path), "%s/", root);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(path + n, sizeof(path) - n, fmt, ap);
	va_end(ap);
	return path;
}

static void make_dir(const char *path)
{
	ck_assert_msg(mkdir(path, 0755) == 0, "mkdir %s: %s", path, strerror(errno));
}

/* Create (or replace) the file at path holding content. */
static void make_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	fputs(content, f);
	ck_assert_int_eq(fclose(f), 0);
}

/* Make each of the NULL-terminated file names, empty, in dir. */
static void make_files(const char *dir, ...)
{
	char path[PATH_MAX];
	const char *name;
	va_list ap;

	va_start(ap, dir);
	while ((name = va_arg(ap, const char *)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		make_file(path, "");
	}
	va_end(ap);
}

/* The content of the file at path, in a static buffer. */
static const char *content(const char *path)
{
	static char buf[4096];

	ck_assert_msg(read_file(path, buf, sizeof(buf)) >= 0, "read %s: %s", path, strerror(errno));
	return buf;
}

static bool exists(const char *path)
{
	return access(path, F_OK) == 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* Stand for /proc/self/cgroup with content (e.g. "4:memory:/a\n0::/\n"). */
static void self_cgroup(const char *content_)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s.self", root);
	f = fopen(path, "w");
	ck_assert_msg(f != NULL, "fopen %s: %s", path, strerror(errno));
	fputs(content_, f);
	ck_assert_int_eq(fclose(f), 0);
	setenv("CGROUP_SELF", path, 1);
}

/* A fresh tree in the scratch directory, and the environment pointing at it;
 * the caller's own cgroups are a v2 host's. */
static void make_tree(void)
{
	snprintf(root, sizeof(root), "%s/tree.XXXXXX", scratch);
	ck_assert_ptr_nonnull(mkdtemp(root));
	setenv("CGROUP_ROOT", root, 1);
	unsetenv("CGROUP_VERSION");
	unsetenv("CGROUP_PARENT");
	self_cgroup("0::/user.slice/user-0.slice/session-1.scope\n");
}

/* A v1 hierarchy per controller, each root holding cgroup.procs. */
static void fake_v1(void)
{
	static const char *const hierarchies[] = { "memory", "pids", "cpu", "devices" };

	setenv("CGROUP_VERSION", "1", 1);
	for (size_t i = 0; i < sizeof(hierarchies) / sizeof(hierarchies[0]); i++) {
		make_dir(at("%s", hierarchies[i]));
		make_files(at("%s", hierarchies[i]), "cgroup.procs", NULL);
	}
}

/* The v2 root, offering controllers (e.g. "cpu memory pids"). */
static void fake_v2(const char *controllers)
{
	setenv("CGROUP_VERSION", "2", 1);
	make_file(at("cgroup.controllers"), controllers);
	make_files(root, "cgroup.subtree_control", "cgroup.procs", NULL);
}

/* What the kernel puts in a new v1 cgroup directory, for what we use. */
static void populate_v1(const struct cgroup *cg)
{
	if (cg->dir[CG_MEMORY][0])
		make_files(cg->dir[CG_MEMORY], "cgroup.procs", "memory.limit_in_bytes",
			   "memory.swappiness", "memory.memsw.limit_in_bytes",
			   "memory.oom_control", NULL);
	if (cg->dir[CG_PIDS][0])
		make_files(cg->dir[CG_PIDS], "cgroup.procs", "pids.max", NULL);
	if (cg->dir[CG_CPU][0])
		make_files(cg->dir[CG_CPU], "cgroup.procs", "cpu.cfs_period_us",
			   "cpu.cfs_quota_us", NULL);
}

/* ... and in a new v2 cgroup directory. */
static void populate_v2(const struct cgroup *cg)
{
	make_files(cg->dir[0], "cgroup.procs", "cgroup.kill", "memory.max", "memory.swap.max",
		   "memory.events", "pids.max", "cpu.max", NULL);
}

static const struct cgroup_limits all_limits = {
	.memory_bytes = 5 << 20, .pids_max = 10, .cpu_thousandths = 200,
};

/* A child that sleeps until killed (or for a minute at most, should a
 * failing test leave it): a task to list in a fake cgroup.procs. */
static pid_t start_sleeper(void)
{
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		alarm(60);
		pause();
		_exit(0);
	}
	return pid;
}

static void assert_killed(pid_t pid)
{
	int status;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
}

/* The extended attribute name of the directory at path, "" when absent. */
static const char *xattr_of(const char *path, const char *name)
{
	static char value[256];
	ssize_t n = getxattr(path, name, value, sizeof(value) - 1);

	ck_assert_msg(n >= 0 || errno == ENODATA, "getxattr %s %s: %s", path, name, strerror(errno));
	value[n < 0 ? 0 : n] = '\0';
	return value;
}

#define OWNER "user.container-tutorial.owner"
#define RECORD "user.container-tutorial.enabled"

/* Does another process (another open file, in fact) hold the lock on dir? */
static bool is_locked(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	bool locked;

	ck_assert_msg(fd != -1, "open %s: %s", dir, strerror(errno));
	locked = flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return locked;
}

/* A runner that makes the cgroup name and dies without removing it. */
static void dead_runner(const char *name, const struct cgroup_limits *lim)
{
	struct cgroup cg;
	int status;
	pid_t pid = fork();

	ck_assert_int_ne(pid, -1);
	if (pid == 0)
		_exit(cgroup_create(&cg, name, lim) == 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s was not made", name);
}

/* Play the kernel: after "+cpu", subtree_control lists what is enabled. */
static void kernel_enabled(const char *controllers)
{
	make_file(at("cgroup.subtree_control"), controllers);
}

/* Does the fake subtree_control start with what we last wrote, e.g. "-cpu"?
 * (A write to a plain file overwrites its start only.) */
static bool wrote(const char *words)
{
	return strncmp(content(at("cgroup.subtree_control")), words, strlen(words)) == 0;
}

/* --- detection ------------------------------------------------------- */

START_TEST(detect_takes_root_and_version_from_the_environment)
{
	struct cgroup cg;

	setenv("CGROUP_VERSION", "2", 1);
	ck_assert_int_eq(cgroup_detect(&cg), 0);
	ck_assert_int_eq(cg.version, 2);
	ck_assert_str_eq(cg.root, root);
	setenv("CGROUP_VERSION", "1", 1);
	ck_assert_int_eq(cgroup_detect(&cg), 0);
	ck_assert_int_eq(cg.version, 1);
}
END_TEST

START_TEST(detect_calls_a_root_that_is_no_cgroup2_filesystem_v1)
{
	struct cgroup cg;

	ck_assert_int_eq(cgroup_detect(&cg), 0);
	ck_assert_int_eq(cg.version, 1);
}
END_TEST

START_TEST(detect_rejects_a_bad_version_and_a_missing_root)
{
	struct cgroup cg;

	setenv("CGROUP_VERSION", "3", 1);
	ck_assert_int_eq(cgroup_detect(&cg), -1);
	ck_assert_str_eq(cgroup_error(&cg), "invalid CGROUP_VERSION '3' (1 or 2)");
	unsetenv("CGROUP_VERSION");
	setenv("CGROUP_ROOT", at("nowhere"), 1);
	ck_assert_int_eq(cgroup_detect(&cg), -1);
	ck_assert_ptr_nonnull(strstr(cgroup_error(&cg), "statfs"));
	ck_assert_ptr_nonnull(strstr(cgroup_error(&cg), "No such file or directory"));
}
END_TEST

/* --- v1 ---------------------------------------------------------------- */

START_TEST(v1_memory_limit_turns_swap_off)
{
	struct cgroup_limits lim = { .memory_bytes = 5 << 20 };
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_str_eq(cg.dir[CG_MEMORY], at("memory/" NAME));
	ck_assert_str_eq(cg.dir[CG_PIDS], "");
	ck_assert_str_eq(cg.dir[CG_CPU], "");
	populate_v1(&cg);
	ck_assert_int_eq(cgroup_set_limits(&cg, &lim), 0);
	ck_assert_str_eq(content(at("memory/" NAME "/memory.limit_in_bytes")), MEGS_5);
	ck_assert_str_eq(content(at("memory/" NAME "/memory.swappiness")), "0");
	ck_assert_str_eq(content(at("memory/" NAME "/memory.memsw.limit_in_bytes")), MEGS_5);
}
END_TEST

START_TEST(v1_memory_limit_works_without_swap_accounting)
{
	struct cgroup_limits lim = { .memory_bytes = 5 << 20 };
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	make_files(cg.dir[CG_MEMORY], "memory.limit_in_bytes", "memory.swappiness", NULL);
	ck_assert_int_eq(cgroup_set_limits(&cg, &lim), 0);
	ck_assert_str_eq(content(at("memory/" NAME "/memory.limit_in_bytes")), MEGS_5);
	ck_assert(!exists(at("memory/" NAME "/memory.memsw.limit_in_bytes")));
}
END_TEST

START_TEST(v1_pids_and_cpu_limits)
{
	struct cgroup_limits lim = { .pids_max = 10, .cpu_thousandths = 200 };
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_str_eq(cg.dir[CG_MEMORY], "");
	ck_assert(!exists(at("memory/" NAME)));
	populate_v1(&cg);
	ck_assert_int_eq(cgroup_set_limits(&cg, &lim), 0);
	ck_assert_str_eq(content(at("pids/" NAME "/pids.max")), "10");
	ck_assert_str_eq(content(at("cpu/" NAME "/cpu.cfs_period_us")), "100000");
	ck_assert_str_eq(content(at("cpu/" NAME "/cpu.cfs_quota_us")), "20000");
}
END_TEST

START_TEST(v1_container_cgroup_is_made_in_every_hierarchy_devices_included)
{
	struct cgroup_limits lim = { .controllers = CG_CONTAINER };
	struct cgroup cg;

	fake_v1();
	ck_assert_msg(cgroup_open(&cg, NAME, &lim) == 0, "%s", cgroup_error(&cg));
	ck_assert_str_eq(cg.dir[CG_MEMORY], at("memory/" NAME));
	ck_assert_str_eq(cg.dir[CG_PIDS], at("pids/" NAME));
	ck_assert_str_eq(cg.dir[CG_CPU], at("cpu/" NAME));
	ck_assert_str_eq(cg.dir[CG_DEVICES], at("devices/" NAME));
	ck_assert_int_eq(cgroup_remove(&cg), 0);
	ck_assert(!exists(at("devices/" NAME)));
}
END_TEST

START_TEST(v1_add_process_writes_each_cgroup_procs)
{
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	populate_v1(&cg);
	ck_assert_int_eq(cgroup_add_process(&cg, 4242), 0);
	ck_assert_str_eq(content(at("memory/" NAME "/cgroup.procs")), "4242");
	ck_assert_str_eq(content(at("pids/" NAME "/cgroup.procs")), "4242");
	ck_assert_str_eq(content(at("cpu/" NAME "/cgroup.procs")), "4242");
}
END_TEST

START_TEST(v1_oom_kills_read_from_oom_control)
{
	struct cgroup_limits lim = { .memory_bytes = 5 << 20 };
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	make_file(at("memory/" NAME "/memory.oom_control"),
		  "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n");
	ck_assert_int_eq(cgroup_oom_kills(&cg), 3);
}
END_TEST

START_TEST(v1_missing_controller_is_a_clear_error)
{
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(remove(at("pids/cgroup.procs")), 0);
	ck_assert_int_eq(rmdir(at("pids")), 0);
	ck_assert_int_eq(cgroup_open(&cg, NAME, &all_limits), -1);
	ck_assert_msg(strstr(cgroup_error(&cg), "controller pids not available under ") != NULL,
		      "error: %s", cgroup_error(&cg));
	ck_assert_ptr_nonnull(strstr(cgroup_error(&cg), root));
	/* The memory cgroup, made before pids failed, is gone again. */
	ck_assert(!exists(at("memory/" NAME)));
}
END_TEST

START_TEST(cgroup_parent_overrides_the_callers_cgroup)
{
	struct cgroup_limits lim = { .memory_bytes = 1 << 20 };
	struct cgroup cg;

	fake_v1();
	make_dir(at("memory/a"));
	make_dir(at("memory/a/b"));
	setenv("CGROUP_PARENT", "/a/b", 1);
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_str_eq(cg.dir[CG_MEMORY], at("memory/a/b/" NAME));
	setenv("CGROUP_PARENT", "/nowhere", 1);
	ck_assert_int_eq(cgroup_create(&cg, NAME "2", &lim), -1);
	ck_assert_msg(strstr(cgroup_error(&cg), "(from CGROUP_PARENT)") != NULL,
		      "error: %s", cgroup_error(&cg));
}
END_TEST

START_TEST(v1_cgroup_goes_under_the_callers_own)
{
	struct cgroup cg;

	fake_v1();
	make_dir(at("memory/a"));
	make_dir(at("memory/a/b"));
	make_dir(at("cpu/c"));
	self_cgroup("5:pids:/\n4:memory:/a/b\n1:cpu,cpuacct:/c\n0::/\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	ck_assert_str_eq(cg.dir[CG_MEMORY], at("memory/a/b/" NAME));
	ck_assert_str_eq(cg.dir[CG_PIDS], at("pids/" NAME));
	ck_assert_str_eq(cg.dir[CG_CPU], at("cpu/c/" NAME));
}
END_TEST

START_TEST(callers_cgroup_missing_from_the_tree_means_its_root)
{
	struct cgroup_limits lim = { .memory_bytes = 1 << 20 };
	struct cgroup cg;

	fake_v1();
	self_cgroup("4:memory:/not/in/the/tree\n0::/\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_str_eq(cg.dir[CG_MEMORY], at("memory/" NAME));
}
END_TEST

START_TEST(no_line_for_the_controller_means_its_root)
{
	struct cgroup_limits lim = { .memory_bytes = 1 << 20 };
	struct cgroup cg;

	/* A v2 host's /proc/self/cgroup (the fixture's) driving a v1 tree. */
	fake_v1();
	make_dir(at("memory/user.slice"));
	ck_assert_msg(cgroup_create(&cg, NAME, &lim) == 0, "%s", cgroup_error(&cg));
	ck_assert_str_eq(cg.dir[CG_MEMORY], at("memory/" NAME));
}
END_TEST

START_TEST(open_names_the_file_that_failed_and_removes_its_cgroup)
{
	struct cgroup_limits lim = { .memory_bytes = 5 << 20 };
	struct cgroup cg;
	char expected[PATH_MAX + 64];

	/* mkdir in a plain directory makes no files: the first write fails. */
	fake_v1();
	ck_assert_int_eq(cgroup_open(&cg, NAME, &lim), -1);
	snprintf(expected, sizeof(expected), "write '%s' to %s: No such file or directory",
		 MEGS_5, at("memory/" NAME "/memory.limit_in_bytes"));
	ck_assert_str_eq(cgroup_error(&cg), expected);
	ck_assert(!exists(at("memory/" NAME)));
	ck_assert_str_eq(cg.dir[CG_MEMORY], "");
}
END_TEST

START_TEST(v1_remove_kills_the_listed_tasks)
{
	struct cgroup_limits lim = { .pids_max = 10 };
	struct cgroup cg;
	char pid[32];
	pid_t sleeper;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	sleeper = start_sleeper();
	snprintf(pid, sizeof(pid), "%d\n", (int)sleeper);
	make_file(at("pids/" NAME "/cgroup.procs"), pid);
	/* The fake directory holds a file, so rmdir says ENOTEMPTY (a real
	 * cgroup would be gone). */
	ck_assert_int_eq(cgroup_remove(&cg), -1);
	ck_assert_ptr_nonnull(strstr(cgroup_error(&cg), "Directory not empty"));
	ck_assert_ptr_nonnull(strstr(cgroup_error(&cg), at("pids/" NAME)));
	assert_killed(sleeper);
}
END_TEST

START_TEST(remove_removes_empty_directories_and_is_safe_twice)
{
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	ck_assert(exists(at("cpu/" NAME)));
	ck_assert_int_eq(cgroup_remove(&cg), 0);
	ck_assert(!exists(at("memory/" NAME)));
	ck_assert(!exists(at("pids/" NAME)));
	ck_assert(!exists(at("cpu/" NAME)));
	ck_assert_int_eq(cgroup_remove(&cg), 0);
}
END_TEST

/* --- sharing: marks, locks, runners that died --------------------------- */

START_TEST(each_cgroup_is_marked_ours_and_locked_while_held)
{
	struct cgroup_limits lim = { .controllers = CG_CONTAINER };
	struct cgroup cg;

	fake_v1();
	ck_assert_msg(cgroup_create(&cg, NAME, &lim) == 0, "%s", cgroup_error(&cg));
	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		ck_assert_str_eq(xattr_of(cg.dir[c], OWNER), "test_cgroup");
		ck_assert_msg(is_locked(cg.dir[c]), "%s is not locked", cg.dir[c]);
	}
	ck_assert_int_eq(cgroup_remove(&cg), 0);
	for (int c = 0; c < CG_NCONTROLLERS; c++)
		ck_assert_int_eq(cg.lock_fd[c], -1);
}
END_TEST

START_TEST(stale_removal_takes_only_our_cgroups_whose_runner_died)
{
	struct cgroup_limits all = { .controllers = CG_CONTAINER }, pids = { .pids_max = 5 };
	struct cgroup live, stale;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&live, "x-live", &all), 0);
	dead_runner("x-dead", &all);
	dead_runner("y-dead", &pids);
	make_dir(at("memory/x-not-ours"));
	ck_assert_msg(cgroup_remove_stale(&stale, "x-*") == 4, "%s", cgroup_error(&stale));
	ck_assert(!exists(at("memory/x-dead")));
	ck_assert(!exists(at("pids/x-dead")));
	ck_assert(!exists(at("cpu/x-dead")));
	ck_assert(!exists(at("devices/x-dead")));
	ck_assert(exists(at("memory/x-live")));
	ck_assert(exists(at("devices/x-live")));
	ck_assert(exists(at("memory/x-not-ours")));
	ck_assert(exists(at("pids/y-dead")));
	ck_assert_int_eq(cgroup_remove_stale(&stale, "x-*"), 0);
	ck_assert_int_eq(cgroup_remove_stale(&stale, "y-dead"), 1);
}
END_TEST

START_TEST(stale_removal_kills_what_a_dead_runner_left_running)
{
	struct cgroup_limits lim = { .pids_max = 5 };
	struct cgroup stale;
	char pid[32];
	pid_t sleeper;

	fake_v2("pids\n");
	dead_runner("x-1", &lim);
	sleeper = start_sleeper();
	snprintf(pid, sizeof(pid), "%d\n", (int)sleeper);
	make_file(at("x-1/cgroup.procs"), pid);
	/* The fake directory holds a file: rmdir fails, after the kill. */
	ck_assert_int_eq(cgroup_remove_stale(&stale, "x-*"), -1);
	ck_assert_ptr_nonnull(strstr(cgroup_error(&stale), "Directory not empty"));
	assert_killed(sleeper);
}
END_TEST

START_TEST(creation_waits_while_another_runner_holds_the_parent)
{
	const struct timespec pause_ = { .tv_sec = 0, .tv_nsec = 200000000L };
	struct cgroup_limits lim = { .pids_max = 5 };
	int lock, status;
	pid_t pid;

	fake_v1();
	lock = open(at("pids"), O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(flock(lock, LOCK_EX), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		struct cgroup cg;

		close(lock); /* our copy would hold the parent's lock too */
		_exit(cgroup_create(&cg, NAME, &lim) == 0 ? 0 : 1);
	}
	nanosleep(&pause_, NULL);
	ck_assert_msg(!exists(at("pids/" NAME)), "made while the parent was locked");
	close(lock);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert(exists(at("pids/" NAME)));
}
END_TEST

/* --- v2 ---------------------------------------------------------------- */

START_TEST(v2_limits_in_one_directory)
{
	struct cgroup cg;

	fake_v2("cpuset cpu io memory hugetlb pids rdma misc\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	ck_assert_str_eq(cg.dir[0], at(NAME));
	ck_assert_str_eq(cg.dir[1], "");
	ck_assert_str_eq(cg.dir[2], "");
	populate_v2(&cg);
	ck_assert_int_eq(cgroup_set_limits(&cg, &all_limits), 0);
	ck_assert_str_eq(content(at(NAME "/memory.max")), MEGS_5);
	ck_assert_str_eq(content(at(NAME "/memory.swap.max")), "0");
	ck_assert_str_eq(content(at(NAME "/pids.max")), "10");
	ck_assert_str_eq(content(at(NAME "/cpu.max")), "20000 100000");
}
END_TEST

START_TEST(v2_enables_the_controllers_in_the_parent)
{
	struct cgroup cg;

	fake_v2("cpuset cpu io memory pids\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	ck_assert_str_eq(content(at("cgroup.subtree_control")), "+memory +pids +cpu");
}
END_TEST

START_TEST(v2_container_cgroup_has_memory_pids_and_cpu_without_limits)
{
	struct cgroup_limits lim = { .controllers = CG_CONTAINER };
	struct cgroup cg;

	fake_v2("cpuset cpu io memory pids\n");
	ck_assert_msg(cgroup_open(&cg, NAME, &lim) == 0, "%s", cgroup_error(&cg));
	ck_assert_str_eq(cg.dir[0], at(NAME));
	ck_assert_str_eq(cg.dir[CG_DEVICES], "");
	ck_assert_str_eq(content(at("cgroup.subtree_control")), "+memory +pids +cpu");
}
END_TEST

START_TEST(v2_enables_only_what_is_missing)
{
	struct cgroup_limits lim = { .memory_bytes = 1 << 20, .pids_max = 5 };
	struct cgroup cg;

	fake_v2("cpu memory pids\n");
	make_file(at("cgroup.subtree_control"), "memory\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	/* A write to a plain file overwrites its start only: "memory\n"
	 * becomes "+pidsy\n". The kernel would list "memory pids". */
	ck_assert_int_eq(strncmp(content(at("cgroup.subtree_control")), "+pids", 5), 0);
	ck_assert_ptr_null(strstr(content(at("cgroup.subtree_control")), "+memory"));
}
END_TEST

START_TEST(v2_turns_off_what_it_turned_on_when_its_last_cgroup_goes)
{
	struct cgroup_limits lim = { .cpu_thousandths = 500 };
	struct cgroup a, b;

	fake_v2("cpu memory pids\n");
	kernel_enabled("memory pids\n");
	ck_assert_msg(cgroup_create(&a, "a", &lim) == 0, "%s", cgroup_error(&a));
	ck_assert(wrote("+cpu"));
	ck_assert_str_eq(xattr_of(root, RECORD), "cpu");
	kernel_enabled("memory pids cpu\n");
	/* A cgroup of someone else's, its cpu files at their defaults. */
	make_dir(at("idle"));
	make_file(at("idle/cpu.max"), "max 100000\n");
	make_file(at("idle/cpu.weight"), "100\n");
	make_file(at("idle/cgroup.subtree_control"), "\n");
	ck_assert_int_eq(cgroup_create(&b, "b", &lim), 0);
	ck_assert_int_eq(cgroup_remove(&a), 0);
	ck_assert_str_eq(content(at("cgroup.subtree_control")), "memory pids cpu\n");
	ck_assert_msg(cgroup_remove(&b) == 0, "%s", cgroup_error(&b));
	ck_assert(wrote("-cpu"));
	ck_assert_str_eq(xattr_of(root, RECORD), "");
}
END_TEST

START_TEST(v2_leaves_on_what_was_on_before)
{
	struct cgroup_limits lim = { .cpu_thousandths = 500, .pids_max = 9 };
	struct cgroup cg;

	fake_v2("cpu memory pids\n");
	kernel_enabled("cpu memory pids\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_str_eq(xattr_of(root, RECORD), "");
	ck_assert_int_eq(cgroup_remove(&cg), 0);
	ck_assert_str_eq(content(at("cgroup.subtree_control")), "cpu memory pids\n");
}
END_TEST

START_TEST(v2_leaves_on_what_another_cgroup_hands_down)
{
	struct cgroup_limits lim = { .cpu_thousandths = 500 };
	struct cgroup cg;

	fake_v2("cpu memory pids\n");
	kernel_enabled("memory pids\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	kernel_enabled("memory pids cpu\n");
	make_dir(at("system.slice"));
	make_file(at("system.slice/cgroup.subtree_control"), "cpu memory\n");
	ck_assert_int_eq(cgroup_remove(&cg), 0);
	ck_assert_str_eq(content(at("cgroup.subtree_control")), "memory pids cpu\n");
	ck_assert_str_eq(xattr_of(root, RECORD), "");
}
END_TEST

START_TEST(v2_leaves_on_what_another_cgroup_sets_a_limit_with)
{
	struct cgroup_limits lim = { .cpu_thousandths = 500, .pids_max = 9 };
	struct cgroup cg;

	fake_v2("cpu memory pids\n");
	kernel_enabled("memory\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_str_eq(xattr_of(root, RECORD), "pids cpu");
	kernel_enabled("memory pids cpu\n");
	make_dir(at("limited"));
	make_file(at("limited/cpu.max"), "50000 100000\n");
	make_file(at("limited/pids.max"), "max\n");
	ck_assert_int_eq(cgroup_remove(&cg), 0);
	/* pids goes, cpu stays. */
	ck_assert(wrote("-pids"));
	ck_assert_ptr_null(strstr(content(at("cgroup.subtree_control")), "-cpu"));
	ck_assert_str_eq(xattr_of(root, RECORD), "");
}
END_TEST

START_TEST(v2_stale_removal_turns_off_what_a_dead_runner_turned_on)
{
	struct cgroup_limits lim = { .cpu_thousandths = 500 };
	struct cgroup stale;

	fake_v2("cpu memory pids\n");
	kernel_enabled("memory pids\n");
	dead_runner("x-1", &lim);
	kernel_enabled("memory pids cpu\n");
	ck_assert_str_eq(xattr_of(root, RECORD), "cpu");
	ck_assert_msg(cgroup_remove_stale(&stale, "x-*") == 1, "%s", cgroup_error(&stale));
	ck_assert(!exists(at("x-1")));
	ck_assert(wrote("-cpu"));
	ck_assert_str_eq(xattr_of(root, RECORD), "");
}
END_TEST

/* While another cgroup of ours keeps the record, a "+cpu" the kernel refuses
 * (here: cgroup.subtree_control is /dev/full) must not stay in it. */
START_TEST(v2_a_refused_enable_leaves_the_record_as_it_was)
{
	struct cgroup_limits memory = { .memory_bytes = 1 << 24 }, cpu = { .cpu_thousandths = 500 };
	struct cgroup working, refused;

	fake_v2("cpu memory pids\n");
	kernel_enabled("memory pids\n");
	ck_assert_int_eq(cgroup_create(&working, "working", &memory), 0);
	ck_assert_int_eq(unlink(at("cgroup.subtree_control")), 0);
	ck_assert_int_eq(symlink("/dev/full", at("cgroup.subtree_control")), 0);
	ck_assert_int_eq(cgroup_create(&refused, NAME, &cpu), -1);
	ck_assert_msg(strstr(cgroup_error(&refused), "write '+cpu'") != NULL, "%s",
		      cgroup_error(&refused));
	ck_assert_str_eq(xattr_of(root, RECORD), "");
	ck_assert(!exists(at(NAME)));
	ck_assert_int_eq(cgroup_remove(&working), 0);
}
END_TEST

START_TEST(v2_missing_controller_is_a_clear_error)
{
	struct cgroup cg;
	char expected[PATH_MAX + 64];

	fake_v2("cpu pids\n");
	ck_assert_int_eq(cgroup_open(&cg, NAME, &all_limits), -1);
	snprintf(expected, sizeof(expected), "controller memory not available under %s", root);
	ck_assert_str_eq(cgroup_error(&cg), expected);
	ck_assert(!exists(at(NAME)));
	ck_assert_str_eq(content(at("cgroup.subtree_control")), "");
}
END_TEST

START_TEST(v2_add_process_and_oom_kills)
{
	struct cgroup cg;

	fake_v2("cpu memory pids\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	populate_v2(&cg);
	ck_assert_int_eq(cgroup_add_process(&cg, 77), 0);
	ck_assert_str_eq(content(at(NAME "/cgroup.procs")), "77");
	make_file(at(NAME "/memory.events"),
		  "low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n");
	ck_assert_int_eq(cgroup_oom_kills(&cg), 2);
}
END_TEST

START_TEST(v2_remove_writes_cgroup_kill)
{
	struct cgroup cg;

	fake_v2("cpu memory pids\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &all_limits), 0);
	populate_v2(&cg);
	ck_assert_int_eq(cgroup_remove(&cg), -1);
	ck_assert_str_eq(content(at(NAME "/cgroup.kill")), "1");
}
END_TEST

START_TEST(v2_remove_without_cgroup_kill_kills_the_listed_tasks)
{
	struct cgroup_limits lim = { .pids_max = 3 };
	struct cgroup cg;
	char pid[32];
	pid_t sleeper;

	fake_v2("pids\n");
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	sleeper = start_sleeper();
	snprintf(pid, sizeof(pid), "%d\n", (int)sleeper);
	make_file(at(NAME "/cgroup.procs"), pid);
	ck_assert_int_eq(cgroup_remove(&cg), -1);
	assert_killed(sleeper);
}
END_TEST

START_TEST(oom_kills_unknown_without_a_memory_cgroup)
{
	struct cgroup_limits lim = { .pids_max = 3 };
	struct cgroup cg;

	fake_v1();
	ck_assert_int_eq(cgroup_create(&cg, NAME, &lim), 0);
	ck_assert_int_eq(cgroup_oom_kills(&cg), -1);
}
END_TEST

/* --- the machine's own cgroups (root only) ------------------------------ */

START_TEST(real_cgroup_holds_a_process_and_goes_away)
{
	struct cgroup_limits lim = { .memory_bytes = 64 << 20, .pids_max = 10 };
	struct cgroup cg;
	char name[64], self[4096], path[PATH_MAX];
	pid_t sleeper;

	if (geteuid() != 0)
		return; /* real cgroups need root: nothing to check here */
	unsetenv("CGROUP_ROOT");
	unsetenv("CGROUP_VERSION");
	unsetenv("CGROUP_SELF");
	snprintf(name, sizeof(name), "test_cgroup-%d-real", (int)runner_pid);
	ck_assert_msg(cgroup_open(&cg, name, &lim) == 0, "%s", cgroup_error(&cg));
	sleeper = start_sleeper();
	ck_assert_msg(cgroup_add_process(&cg, sleeper) == 0, "%s", cgroup_error(&cg));
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)sleeper);
	ck_assert_int_gt(read_file(path, self, sizeof(self)), 0);
	ck_assert_msg(strstr(self, name) != NULL, "%s", self);
	ck_assert_int_eq(cgroup_oom_kills(&cg), 0);
	snprintf(path, sizeof(path), "%s", cg.dir[CG_MEMORY]);
	ck_assert_msg(cgroup_remove(&cg) == 0, "%s", cgroup_error(&cg));
	assert_killed(sleeper);
	ck_assert(!exists(path));
}
END_TEST

/* The mount point of a cgroup2 hierarchy: /sys/fs/cgroup on a v2 machine,
 * /sys/fs/cgroup/unified on a hybrid one; NULL when there is none. */
static const char *cgroup2_mount(void)
{
	static const char *const candidates[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct statfs fs;

	for (size_t i = 0; i < sizeof(candidates) / sizeof(candidates[0]); i++)
		if (statfs(candidates[i], &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
			return candidates[i];
	return NULL;
}

/* A runner makes a cgroup, puts a sleeper in it and dies: the next one
 * finds the cgroup, kills the sleeper and removes it. We are the sleeper's
 * subreaper, so that it becomes our child when its parent dies. The sleeper
 * is forked before the cgroup is made: a child forked after it would hold
 * the runner's lock (a copy of its descriptor) until it execs. */
static void check_dead_runner_is_cleaned_up(const struct cgroup_limits *lim)
{
	struct cgroup stale;
	char name[64];
	int fds[2], status;
	pid_t runner, sleeper;

	snprintf(name, sizeof(name), "test_cgroup-%d-dead", (int)runner_pid);
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	ck_assert_int_eq(pipe(fds), 0);
	runner = fork();
	ck_assert_int_ne(runner, -1);
	if (runner == 0) {
		struct cgroup cg;

		sleeper = start_sleeper();
		if (cgroup_open(&cg, name, lim) == -1) {
			fprintf(stderr, "%s\n", cgroup_error(&cg));
			_exit(1);
		}
		if (cgroup_add_process(&cg, sleeper) == -1 ||
		    write(fds[1], &sleeper, sizeof(sleeper)) != sizeof(sleeper))
			_exit(1);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(runner, &status, 0), runner);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(read(fds[0], &sleeper, sizeof(sleeper)), sizeof(sleeper));
	ck_assert_msg(cgroup_remove_stale(&stale, name) >= 1, "%s", cgroup_error(&stale));
	assert_killed(sleeper);
	ck_assert_int_eq(cgroup_remove_stale(&stale, name), 0);
}

START_TEST(real_cgroup_of_a_dead_runner_is_found_and_removed)
{
	struct cgroup_limits lim = { .pids_max = 10 };

	if (geteuid() != 0)
		return; /* real cgroups need root: nothing to check here */
	unsetenv("CGROUP_ROOT");
	unsetenv("CGROUP_VERSION");
	unsetenv("CGROUP_SELF");
	check_dead_runner_is_cleaned_up(&lim);
}
END_TEST

/* On a hybrid machine, the v2 code paths on the real (controller-less)
 * cgroup2 hierarchy: marks, locks and cgroup.kill. */
START_TEST(real_v2_cgroup_of_a_dead_runner_is_found_and_removed)
{
	struct cgroup_limits none = { 0 };
	const char *mount = cgroup2_mount();

	if (geteuid() != 0 || mount == NULL)
		return; /* real cgroups need root, and a cgroup2 hierarchy */
	setenv("CGROUP_ROOT", mount, 1);
	setenv("CGROUP_VERSION", "2", 1);
	unsetenv("CGROUP_SELF");
	check_dead_runner_is_cleaned_up(&none);
}
END_TEST

/* After the run: remove the real cgroups of this run's tests that failed
 * half-way (their test process died holding them). */
static int remove_real_leftovers(void)
{
	const char *mount = cgroup2_mount();
	struct cgroup cg;
	char pattern[64];
	int ret = 0;

	if (geteuid() != 0)
		return 0;
	snprintf(pattern, sizeof(pattern), "test_cgroup-%d-*", (int)runner_pid);
	unsetenv("CGROUP_ROOT");
	unsetenv("CGROUP_VERSION");
	unsetenv("CGROUP_SELF");
	unsetenv("CGROUP_PARENT");
	if (cgroup_remove_stale(&cg, pattern) == -1) {
		fprintf(stderr, "%s\n", cgroup_error(&cg));
		ret = -1;
	}
	if (mount != NULL) {
		setenv("CGROUP_ROOT", mount, 1);
		setenv("CGROUP_VERSION", "2", 1);
		if (cgroup_remove_stale(&cg, pattern) == -1) {
			fprintf(stderr, "%s\n", cgroup_error(&cg));
			ret = -1;
		}
	}
	return ret;
}

static Suite *cgroup_suite(void)
{
	Suite *s = suite_create("cgroup");
	TCase *detect = tcase_create("detect");
	TCase *v1 = tcase_create("v1");
	TCase *v2 = tcase_create("v2");
	TCase *sharing = tcase_create("sharing");
	TCase *real = tcase_create("real");

	tcase_add_checked_fixture(detect, make_tree, NULL);
	tcase_add_test(detect, detect_takes_root_and_version_from_the_environment);
	tcase_add_test(detect, detect_calls_a_root_that_is_no_cgroup2_filesystem_v1);
	tcase_add_test(detect, detect_rejects_a_bad_version_and_a_missing_root);
	suite_add_tcase(s, detect);

	tcase_add_checked_fixture(v1, make_tree, NULL);
	tcase_add_test(v1, v1_memory_limit_turns_swap_off);
	tcase_add_test(v1, v1_memory_limit_works_without_swap_accounting);
	tcase_add_test(v1, v1_pids_and_cpu_limits);
	tcase_add_test(v1, v1_container_cgroup_is_made_in_every_hierarchy_devices_included);
	tcase_add_test(v1, v1_add_process_writes_each_cgroup_procs);
	tcase_add_test(v1, v1_oom_kills_read_from_oom_control);
	tcase_add_test(v1, v1_missing_controller_is_a_clear_error);
	tcase_add_test(v1, cgroup_parent_overrides_the_callers_cgroup);
	tcase_add_test(v1, v1_cgroup_goes_under_the_callers_own);
	tcase_add_test(v1, callers_cgroup_missing_from_the_tree_means_its_root);
	tcase_add_test(v1, no_line_for_the_controller_means_its_root);
	tcase_add_test(v1, open_names_the_file_that_failed_and_removes_its_cgroup);
	tcase_add_test(v1, v1_remove_kills_the_listed_tasks);
	tcase_add_test(v1, remove_removes_empty_directories_and_is_safe_twice);
	tcase_add_test(v1, oom_kills_unknown_without_a_memory_cgroup);
	suite_add_tcase(s, v1);

	tcase_add_checked_fixture(v2, make_tree, NULL);
	tcase_add_test(v2, v2_limits_in_one_directory);
	tcase_add_test(v2, v2_enables_the_controllers_in_the_parent);
	tcase_add_test(v2, v2_container_cgroup_has_memory_pids_and_cpu_without_limits);
	tcase_add_test(v2, v2_enables_only_what_is_missing);
	tcase_add_test(v2, v2_turns_off_what_it_turned_on_when_its_last_cgroup_goes);
	tcase_add_test(v2, v2_leaves_on_what_was_on_before);
	tcase_add_test(v2, v2_leaves_on_what_another_cgroup_hands_down);
	tcase_add_test(v2, v2_leaves_on_what_another_cgroup_sets_a_limit_with);
	tcase_add_test(v2, v2_stale_removal_turns_off_what_a_dead_runner_turned_on);
	tcase_add_test(v2, v2_a_refused_enable_leaves_the_record_as_it_was);
	tcase_add_test(v2, v2_missing_controller_is_a_clear_error);
	tcase_add_test(v2, v2_add_process_and_oom_kills);
	tcase_add_test(v2, v2_remove_writes_cgroup_kill);
	tcase_add_test(v2, v2_remove_without_cgroup_kill_kills_the_listed_tasks);
	suite_add_tcase(s, v2);

	tcase_add_checked_fixture(sharing, make_tree, NULL);
	tcase_add_test(sharing, each_cgroup_is_marked_ours_and_locked_while_held);
	tcase_add_test(sharing, stale_removal_takes_only_our_cgroups_whose_runner_died);
	tcase_add_test(sharing, stale_removal_kills_what_a_dead_runner_left_running);
	tcase_add_test(sharing, creation_waits_while_another_runner_holds_the_parent);
	suite_add_tcase(s, sharing);

	tcase_add_test(real, real_cgroup_holds_a_process_and_goes_away);
	tcase_add_test(real, real_cgroup_of_a_dead_runner_is_found_and_removed);
	tcase_add_test(real, real_v2_cgroup_of_a_dead_runner_is_found_and_removed);
	suite_add_tcase(s, real);
	return s;
}

/* The scratch directory, on a filesystem that keeps user extended
 * attributes, as cgroupfs does (the module marks its cgroups with one):
 * /tmp, or /var/tmp where /tmp keeps none (a tmpfs before Linux 6.6). */
static int make_scratch(void)
{
	static const char *const bases[] = { "/tmp", "/var/tmp" };

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		snprintf(scratch, sizeof(scratch), "%s/test_cgroup.XXXXXX", bases[i]);
		if (mkdtemp(scratch) == NULL)
			continue;
		if (setxattr(scratch, "user.test_cgroup", "1", 1, 0) == 0)
			return 0;
		rmdir(scratch);
	}
	return -1;
}

int main(void)
{
	SRunner *sr = srunner_create(cgroup_suite());
	int failed;

	runner_pid = getpid();
	if (make_scratch() == -1) {
		perror("mkdtemp test_cgroup.XXXXXX (in /tmp or /var/tmp, with user xattrs)");
		return EXIT_FAILURE;
	}
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == -1) {
		perror(scratch);
		failed++;
	}
	if (remove_real_leftovers() == -1)
		failed++;
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
