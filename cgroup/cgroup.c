/* cgroup.c: create, limit, join and remove a cgroup through the cgroup
 * filesystem itself, v1 and v2; see cgroup.h. Documentation/admin-guide/
 * cgroup-v1/ and cgroup-v2.rst in the kernel sources describe every file
 * used here.
 */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define DEFAULT_ROOT "/sys/fs/cgroup"
#define CPU_PERIOD_US 100000      /* the kernel's default CFS period, 100 ms */
#define RMDIR_TRIES 200           /* with RMDIR_PAUSE_NS: about two seconds */
#define RMDIR_PAUSE_NS 10000000L  /* 10 ms */

/* Notes this module keeps on cgroup directories (see "Sharing" below). */
#define OWNER_XATTR "user.container-tutorial.owner"     /* on each cgroup we make */
#define ENABLED_XATTR "user.container-tutorial.enabled" /* on a v2 parent */

static const char *const controller_name[CG_NCONTROLLERS] = {
	[CG_MEMORY] = "memory",
	[CG_PIDS] = "pids",
	[CG_CPU] = "cpu",
	[CG_DEVICES] = "devices",
};

/* Put a message in cg->error, followed by ": strerror(err)" unless err is 0.
 * Returns -1, so callers can write "return fail(...)". */
static int fail(struct cgroup *cg, int err, const char *fmt, ...) PRINTF(3, 4);
static int fail(struct cgroup *cg, int err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cg->error, sizeof(cg->error), fmt, ap);
	va_end(ap);
	if (err && n >= 0 && (size_t)n < sizeof(cg->error))
		snprintf(cg->error + n, sizeof(cg->error) - (size_t)n, ": %s", strerror(err));
	return -1;
}

/* Does lim limit what controller c controls? A zero field means no limit. */
static bool needs(const struct cgroup_limits *lim, enum cgroup_controller c)
{
	switch (c) {
	case CG_MEMORY:
		return lim->memory_bytes > 0;
	case CG_PIDS:
		return lim->pids_max > 0;
	case CG_CPU:
		return lim->cpu_thousandths > 0;
	default:
		return false;
	}
}

/* Is the cgroup to be made in controller c: for a limit, or asked for? */
static bool wants(const struct cgroup_limits *lim, enum cgroup_controller c)
{
	return needs(lim, c) || (lim->controllers & CG_BIT(c));
}

/* Is c a controller of the unified hierarchy? v2 has no devices controller. */
static bool on_v2(enum cgroup_controller c)
{
	return c != CG_DEVICES;
}

/* path = dir/file. Returns 0, or -1 with a message when it does not fit. */
static int join_path(struct cgroup *cg, char *path, const char *dir, const char *file)
{
	int n = snprintf(path, PATH_MAX, "%s/%s", dir, file);

	if (n < 0 || n >= PATH_MAX)
		return fail(cg, ENAMETOOLONG, "%s/%s", dir, file);
	return 0;
}

static bool is_directory(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool file_exists(const char *path)
{
	return access(path, F_OK) == 0;
}

/* Write value to dir/file; the error names both. */
static int write_value(struct cgroup *cg, const char *dir, const char *file, const char *value)
{
	char path[PATH_MAX];

	if (join_path(cg, path, dir, file) == -1)
		return -1;
	if (write_file(path, value) == -1)
		return fail(cg, errno, "write '%s' to %s", value, path);
	return 0;
}

/* Is word one of the separator-delimited words of list? */
static bool has_word(const char *list, const char *word, const char *separators)
{
	size_t len = strlen(word);
	const char *p = list;

	while (*p) {
		size_t n = strcspn(p, separators);

		if (n == len && strncmp(p, word, len) == 0)
			return true;
		p += n;
		p += strspn(p, separators);
	}
	return false;
}

int cgroup_detect(struct cgroup *cg)
{
	const char *root = getenv("CGROUP_ROOT");
	const char *version = getenv("CGROUP_VERSION");
	struct statfs fs;

	if (root == NULL || *root == '\0')
		root = DEFAULT_ROOT;
	if (strlen(root) >= sizeof(cg->root))
		return fail(cg, ENAMETOOLONG, "cgroup root %s", root);
	strcpy(cg->root, root);

	if (version != NULL && *version != '\0') {
		if (strcmp(version, "1") != 0 && strcmp(version, "2") != 0)
			return fail(cg, 0, "invalid CGROUP_VERSION '%s' (1 or 2)", version);
		cg->version = version[0] - '0';
		return 0;
	}
	/* statfs(2): the unified hierarchy is a filesystem of type cgroup2;
	 * v1 and hybrid mount a tmpfs there holding one mount per controller. */
	if (statfs(cg->root, &fs) == -1)
		return fail(cg, errno, "statfs %s", cg->root);
	cg->version = fs.f_type == CGROUP2_SUPER_MAGIC ? 2 : 1;
	return 0;
}

/* The caller's own cgroup path in the v1 hierarchy of controller, from
 * /proc/self/cgroup (CGROUP_SELF in tests): lines "ID:CONTROLLERS:PATH", e.g.
 * "4:memory:/user.slice", "1:cpu,cpuacct:/". Returns 1 with the path, 0 when
 * no line names the controller (a v2 host lists only "0::/PATH"), or -1. */
static int own_cgroup_path(struct cgroup *cg, const char *controller, char *path, size_t size)
{
	const char *file = getenv("CGROUP_SELF");
	char buf[8192], *line, *save = NULL;

	if (file == NULL || *file == '\0')
		file = "/proc/self/cgroup";
	if (read_file(file, buf, sizeof(buf)) == -1)
		return fail(cg, errno, "read %s", file);
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *controllers = strchr(line, ':');
		char *cgpath = controllers ? strchr(controllers + 1, ':') : NULL;

		if (cgpath == NULL)
			continue;
		*cgpath++ = '\0';
		if (!has_word(controllers + 1, controller, ","))
			continue;
		if (strlen(cgpath) >= size)
			return fail(cg, ENAMETOOLONG, "cgroup path %s (in %s)", cgpath, file);
		strcpy(path, cgpath);
		return 1;
	}
	return 0;
}

/* The directory under which to make our cgroup in the hierarchy whose root
 * is hierarchy (controller NULL on v2); the rule is in cgroup.h. */
static int parent_dir(struct cgroup *cg, const char *hierarchy, const char *controller,
		      char *dir)
{
	const char *override = getenv("CGROUP_PARENT");
	char own[PATH_MAX];
	int n, found;

	if (override != NULL && *override != '\0') {
		n = snprintf(dir, PATH_MAX, "%s%s", hierarchy, override);
		if (n < 0 || n >= PATH_MAX)
			return fail(cg, ENAMETOOLONG, "%s%s", hierarchy, override);
		if (!is_directory(dir))
			return fail(cg, ENOENT, "parent cgroup %s (from CGROUP_PARENT)", dir);
		return 0;
	}
	/* Rules 2 and 4: the root. v2's "no internal processes" rule: a
	 * cgroup other than the root that holds processes (ours holds us)
	 * cannot hand controllers down to children. So on v2 we start from
	 * the root, as runc and crun do with their cgroupfs driver. */
	strcpy(dir, hierarchy);
	if (controller == NULL)
		return 0;
	found = own_cgroup_path(cg, controller, own, sizeof(own));
	if (found == -1)
		return -1;
	if (found == 0 || strcmp(own, "/") == 0)
		return 0;
	/* Rule 3: our own cgroup, when the hierarchy holds it. */
	n = snprintf(dir, PATH_MAX, "%s%s", hierarchy, own);
	if (n < 0 || n >= PATH_MAX)
		return fail(cg, ENAMETOOLONG, "%s%s", hierarchy, own);
	if (!is_directory(dir))
		strcpy(dir, hierarchy);
	return 0;
}

/* --- Sharing: runners that come and go, and runners that died -----------
 *
 * Several runners (cgroup_exec, basic_container, their tests) make cgroups
 * under the same parent at the same time, and any of them may be killed.
 *
 * Runners that died. Each directory cgroup_create() makes stays locked, with
 * flock(2) on a descriptor kept in cg->lock_fd, until cgroup_remove(). The
 * kernel drops the lock when its holder exits, however it dies (kill -9
 * included); unlike a PID, a lock cannot be mistaken for another process's.
 * So a cgroup of ours whose lock is free was left by a runner that died, and
 * cgroup_remove_stale() may remove it. Ours: each cgroup we make carries the
 * extended attribute OWNER_XATTR (the maker's program name); a cgroup
 * someone else made is never touched.
 *
 * Every mkdir, and every scan for dead runners' cgroups, holds flock(2) on
 * the parent directory too: a scan never sees a cgroup between its mkdir and
 * its lock. On v2 the same lock guards the parent's controllers (below).
 *
 * Extended attributes on cgroupfs (user.*) need Linux 5.7. */

/* Open dir and lock it (flock(2), exclusive): waiting for the lock when
 * wait, else failing with EWOULDBLOCK while another process holds it.
 * Returns the descriptor, or -1 with errno set. */
static int lock_dir(const char *dir, bool wait)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd == -1)
		return -1;
	while (flock(fd, wait ? LOCK_EX : LOCK_EX | LOCK_NB) == -1) {
		int err = errno;

		if (err == EINTR)
			continue;
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* lock_dir(dir, true), the error in cg->error. */
static int lock_parent(struct cgroup *cg, const char *dir)
{
	int fd = lock_dir(dir, true);

	if (fd == -1)
		fail(cg, errno, "flock %s", dir);
	return fd;
}

/* Did this module make the cgroup at dir? */
static bool is_ours(const char *dir)
{
	return getxattr(dir, OWNER_XATTR, NULL, 0) >= 0;
}

/* mkdir parent/name, mark it ours and lock it, as cgroup c (slot 0 on v2).
 * The caller holds the parent's lock. */
static int make_cgroup(struct cgroup *cg, const char *parent, const char *name, int c)
{
	const char *owner = program_invocation_short_name;
	char dir[PATH_MAX];

	if (join_path(cg, dir, parent, name) == -1)
		return -1;
	/* mkdir(2) in a cgroup filesystem creates the cgroup; the kernel fills
	 * the new directory with its control files. */
	if (mkdir(dir, 0755) == -1)
		return fail(cg, errno, "mkdir %s", dir);
	strcpy(cg->dir[c], dir);
	if (setxattr(dir, OWNER_XATTR, owner, strlen(owner), 0) == -1)
		return fail(cg, errno, "setxattr %s on %s", OWNER_XATTR, dir);
	cg->lock_fd[c] = lock_dir(dir, false);
	if (cg->lock_fd[c] == -1)
		return fail(cg, errno, "flock %s", dir);
	return 0;
}

/* v1: one hierarchy per controller, mounted at ROOT/<controller>. */
static int create_v1(struct cgroup *cg, const char *name, const struct cgroup_limits *lim)
{
	char hierarchy[PATH_MAX], parent[PATH_MAX];

	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		int lock, ret;

		if (!wants(lim, c))
			continue;
		if (join_path(cg, hierarchy, cg->root, controller_name[c]) == -1)
			return -1;
		if (!is_directory(hierarchy))
			return fail(cg, 0, "controller %s not available under %s (no directory %s)",
				    controller_name[c], cg->root, hierarchy);
		if (parent_dir(cg, hierarchy, controller_name[c], parent) == -1 ||
		    (lock = lock_parent(cg, parent)) == -1)
			return -1;
		ret = make_cgroup(cg, parent, name, c);
		close(lock);
		if (ret == -1)
			return -1;
	}
	return 0;
}

/* --- v2 controllers, and who turns them off ------------------------------
 *
 * A controller is usable in a v2 cgroup only while its parent lists it in
 * cgroup.subtree_control, which takes "+name" and "-name" words; the parent
 * can offer only what its own cgroup.controllers lists. We write "+cpu" where
 * it is missing. Who turns it off again?
 * - runc and crun, with their cgroupfs driver, enable controllers all along
 *   the path and never turn one off: the parent keeps them for good.
 * - systemd owns the tree it manages: for each of its cgroups it computes
 *   what the units below need and writes "+" or "-" for every controller
 *   (cg_enable_everywhere()), so what no unit needs is turned off. On a
 *   systemd machine, runc and crun ask systemd (over D-Bus) for a scope
 *   instead of writing the tree themselves.
 * We own no tree, so we keep a record, in the parent's extended attribute
 * ENABLED_XATTR: the controllers this module turned on there. When the last
 * cgroup of ours (marked with OWNER_XATTR) under that parent goes, each
 * recorded controller is turned off again, unless another cgroup relies on
 * it by now: it hands the controller down (its own cgroup.subtree_control
 * lists it: the kernel would refuse to turn it off, EBUSY), or it sets one of
 * the controller's limits (memory.max, pids.max, cpu.max, ... away from the
 * default). Such a controller stays on, and is no longer ours. All of it,
 * from reading subtree_control to the mkdir, and from the last rmdir to the
 * "-cpu", holds the parent's lock (see "Sharing"). Where we differ from
 * systemd: a controller that someone else turned on again while ours were
 * there, and that nothing uses yet, goes off with ours; and after a kill -9
 * a controller stays on until the next runner of ours is done. The record
 * is written before the "+cpu": a runner killed in between leaves a record
 * of a controller it never turned on, which the next runner turns off only
 * where it is on and nothing relies on it, as above. Written after, a kill
 * in between would leave the controller on for good, with no record. */

/* A limit file and the value its first word holds while unset. */
static const struct {
	enum cgroup_controller controller;
	const char *file;
	const char *unset;
} limit_files[] = {
	{ CG_MEMORY, "memory.max", "max" },
	{ CG_MEMORY, "memory.high", "max" },
	{ CG_MEMORY, "memory.low", "0" },
	{ CG_MEMORY, "memory.min", "0" },
	{ CG_MEMORY, "memory.swap.max", "max" },
	{ CG_PIDS, "pids.max", "max" },
	{ CG_CPU, "cpu.max", "max" },
	{ CG_CPU, "cpu.weight", "100" },
};

#define N_LIMIT_FILES (sizeof(limit_files) / sizeof(limit_files[0]))

/* Does the cgroup at dir rely on controller c: does it hand c down to its
 * children, or set one of c's limits? A file that is missing sets nothing. */
static bool relies_on(const char *dir, enum cgroup_controller c)
{
	char path[PATH_MAX], value[256];
	int n;

	n = snprintf(path, sizeof(path), "%s/cgroup.subtree_control", dir);
	if (n > 0 && n < (int)sizeof(path) && read_file(path, value, sizeof(value)) >= 0 &&
	    has_word(value, controller_name[c], " \n"))
		return true;
	for (size_t i = 0; i < N_LIMIT_FILES; i++) {
		if (limit_files[i].controller != c)
			continue;
		n = snprintf(path, sizeof(path), "%s/%s", dir, limit_files[i].file);
		if (n < 0 || n >= (int)sizeof(path) || read_file(path, value, sizeof(value)) == -1)
			continue;
		value[strcspn(value, " \n")] = '\0';
		if (strcmp(value, limit_files[i].unset) != 0)
			return true;
	}
	return false;
}

/* Look at the child cgroups of parent: set *ours when one is ours, and
 * relied[c] when one relies on controller c. Returns 0, or -1. */
static int survey_children(struct cgroup *cg, const char *parent, bool *ours,
			   bool relied[CG_NCONTROLLERS])
{
	char path[PATH_MAX];
	struct dirent *entry;
	DIR *d = opendir(parent);

	if (d == NULL)
		return fail(cg, errno, "opendir %s", parent);
	*ours = false;
	memset(relied, 0, CG_NCONTROLLERS * sizeof(relied[0]));
	while ((entry = readdir(d)) != NULL) {
		if (entry->d_name[0] == '.' || snprintf(path, sizeof(path), "%s/%s", parent,
							entry->d_name) >= (int)sizeof(path) ||
		    !is_directory(path))
			continue;
		if (is_ours(path)) {
			*ours = true;
			continue;
		}
		for (int c = 0; c < CG_NCONTROLLERS; c++)
			relied[c] = relied[c] || (on_v2(c) && relies_on(path, c));
	}
	closedir(d);
	return 0;
}

/* Read parent's record of the controllers we turned on into buf ("" when
 * there is none). Returns 0, or -1. */
static int read_record(struct cgroup *cg, const char *parent, char *buf, size_t size)
{
	ssize_t n = getxattr(parent, ENABLED_XATTR, buf, size - 1);

	if (n == -1 && errno != ENODATA)
		return fail(cg, errno, "getxattr %s on %s", ENABLED_XATTR, parent);
	buf[n == -1 ? 0 : n] = '\0';
	return 0;
}

/* Set parent's record to record, or remove it when record is "". */
static int set_record(struct cgroup *cg, const char *parent, const char *record)
{
	if (record[0] == '\0') {
		if (removexattr(parent, ENABLED_XATTR) == -1 && errno != ENODATA)
			return fail(cg, errno, "removexattr %s on %s", ENABLED_XATTR, parent);
		return 0;
	}
	if (setxattr(parent, ENABLED_XATTR, record, strlen(record), 0) == -1)
		return fail(cg, errno, "setxattr %s on %s", ENABLED_XATTR, parent);
	return 0;
}

/* The last cgroup of ours under parent is gone: turn off what we turned on
 * there and nothing else relies on, and forget the record. The caller holds
 * the parent's lock. Returns 0, or -1. */
static int release_controllers(struct cgroup *cg, const char *parent)
{
	bool ours = false, relied[CG_NCONTROLLERS];
	char record[256], path[PATH_MAX], enabled[1024], word[32];

	if (read_record(cg, parent, record, sizeof(record)) == -1)
		return -1;
	if (record[0] == '\0')
		return 0;
	if (survey_children(cg, parent, &ours, relied) == -1)
		return -1;
	if (ours)
		return 0;
	if (join_path(cg, path, parent, "cgroup.subtree_control") == -1)
		return -1;
	if (read_file(path, enabled, sizeof(enabled)) == -1)
		return fail(cg, errno, "read %s", path);
	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		if (!on_v2(c) || relied[c] || !has_word(record, controller_name[c], " ") ||
		    !has_word(enabled, controller_name[c], " \n"))
			continue;
		/* One at a time: EBUSY means a child of someone else's turned
		 * it on in its own subtree_control since our survey. */
		snprintf(word, sizeof(word), "-%s", controller_name[c]);
		if (write_file(path, word) == -1 && errno != EBUSY)
			return fail(cg, errno, "write '%s' to %s", word, path);
	}
	return set_record(cg, parent, "");
}

/* Add the words of added ("cpu pids") to record, parent's record. */
static int add_to_record(struct cgroup *cg, const char *parent, const char *record,
			 const char *added)
{
	char updated[256];
	size_t len;

	snprintf(updated, sizeof(updated), "%s", record);
	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		if (!has_word(added, controller_name[c], " ") ||
		    has_word(updated, controller_name[c], " "))
			continue;
		len = strlen(updated);
		snprintf(updated + len, sizeof(updated) - len, "%s%s", len ? " " : "",
			 controller_name[c]);
	}
	return set_record(cg, parent, updated);
}

/* Keep cg's error message while cleanup may write its own: the first error
 * stays, a second is added as "(left behind: ...)". Returns -1. */
static int keep_first_error(struct cgroup *cg, const char *first, int cleanup)
{
	char second[sizeof(cg->error)];

	if (cleanup == -1) {
		strcpy(second, cg->error);
		snprintf(cg->error, sizeof(cg->error), "%s (left behind: %s)", first, second);
	} else {
		strcpy(cg->error, first);
	}
	return -1;
}

/* Record, then enable in parent's cgroup.subtree_control, the controllers
 * lim wants that are missing there. The caller holds the parent's lock. */
static int enable_controllers(struct cgroup *cg, const char *parent,
			      const struct cgroup_limits *lim)
{
	char path[PATH_MAX], available[1024], enabled[1024], words[64] = "", added[64] = "";
	char record[256], first[sizeof(cg->error)];

	if (join_path(cg, path, parent, "cgroup.controllers") == -1)
		return -1;
	if (read_file(path, available, sizeof(available)) == -1)
		return fail(cg, errno, "read %s", path);
	if (join_path(cg, path, parent, "cgroup.subtree_control") == -1)
		return -1;
	if (read_file(path, enabled, sizeof(enabled)) == -1)
		return fail(cg, errno, "read %s", path);

	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		if (!wants(lim, c) || !on_v2(c))
			continue;
		if (!has_word(available, controller_name[c], " \n"))
			return fail(cg, 0, "controller %s not available under %s",
				    controller_name[c], parent);
		if (!has_word(enabled, controller_name[c], " \n")) {
			if (words[0]) {
				strcat(words, " ");
				strcat(added, " ");
			}
			strcat(words, "+");
			strcat(words, controller_name[c]);
			strcat(added, controller_name[c]);
		}
	}
	if (words[0] == '\0')
		return 0;
	if (read_record(cg, parent, record, sizeof(record)) == -1 ||
	    add_to_record(cg, parent, record, added) == -1)
		return -1;
	if (write_file(path, words) == -1) {
		int err = errno;

		/* The "no internal processes" rule: a non-root cgroup that holds
		 * processes cannot hand controllers down to children. */
		if (err == EBUSY)
			fail(cg, err, "write '%s' to %s (a v2 cgroup holding processes "
			     "cannot enable controllers for its children; set CGROUP_PARENT "
			     "to an empty cgroup, e.g. CGROUP_PARENT=/)", words, path);
		else
			fail(cg, err, "write '%s' to %s", words, path);
		/* The kernel turns on all of the words or none: the record goes
		 * back to what it was. */
		strcpy(first, cg->error);
		return keep_first_error(cg, first, set_record(cg, parent, record));
	}
	return 0;
}

/* The parent directory of cgroup dir, in parent. */
static void parent_of(const char *dir, char *parent)
{
	strcpy(parent, dir);
	*strrchr(parent, '/') = '\0';
}

/* v2: one hierarchy, one directory, in dir[0]. When no directory was made,
 * the controllers enabled for it are released here, under the same lock. */
static int create_v2(struct cgroup *cg, const char *name, const struct cgroup_limits *lim)
{
	char parent[PATH_MAX], first[sizeof(cg->error)];
	int lock, ret;

	if (parent_dir(cg, cg->root, NULL, parent) == -1 ||
	    (lock = lock_parent(cg, parent)) == -1)
		return -1;
	ret = enable_controllers(cg, parent, lim);
	if (ret == 0)
		ret = make_cgroup(cg, parent, name, 0);
	if (ret == -1 && cg->dir[0][0] == '\0') {
		strcpy(first, cg->error);
		keep_first_error(cg, first, release_controllers(cg, parent));
	}
	close(lock);
	return ret;
}

/* Remove what a failed cgroup_create or cgroup_open made, keeping the first
 * error's message and adding the removal's when that fails too. Returns -1. */
static int undo(struct cgroup *cg)
{
	char first[sizeof(cg->error)];

	strcpy(first, cg->error);
	return keep_first_error(cg, first, cgroup_remove(cg));
}

/* A struct cgroup that holds nothing yet. */
static void clear(struct cgroup *cg)
{
	memset(cg, 0, sizeof(*cg));
	for (int c = 0; c < CG_NCONTROLLERS; c++)
		cg->lock_fd[c] = -1;
}

int cgroup_create(struct cgroup *cg, const char *name, const struct cgroup_limits *lim)
{
	int ret;

	clear(cg);
	if (*name == '\0' || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return fail(cg, 0, "invalid cgroup name '%s'", name);
	if (cgroup_detect(cg) == -1)
		return -1;
	ret = cg->version == 2 ? create_v2(cg, name, lim) : create_v1(cg, name, lim);
	return ret == -1 ? undo(cg) : 0;
}

/* v1 memory: the limit first, as memory.memsw.limit_in_bytes (memory+swap)
 * may never be below it. memsw exists only when the kernel accounts swap;
 * setting it equal to the limit leaves no room for swap at all. */
static int set_memory_v1(struct cgroup *cg, const char *dir, const char *bytes)
{
	char memsw[PATH_MAX];

	if (write_value(cg, dir, "memory.limit_in_bytes", bytes) == -1 ||
	    write_value(cg, dir, "memory.swappiness", "0") == -1 ||
	    join_path(cg, memsw, dir, "memory.memsw.limit_in_bytes") == -1)
		return -1;
	if (file_exists(memsw))
		return write_value(cg, dir, "memory.memsw.limit_in_bytes", bytes);
	return 0;
}

/* v2 memory: there is no swappiness; without memory.swap.max 0 the process
 * would swap instead of being killed. That file exists only when the kernel
 * accounts swap. */
static int set_memory_v2(struct cgroup *cg, const char *dir, const char *bytes)
{
	char swap[PATH_MAX];

	if (write_value(cg, dir, "memory.max", bytes) == -1 ||
	    join_path(cg, swap, dir, "memory.swap.max") == -1)
		return -1;
	if (file_exists(swap))
		return write_value(cg, dir, "memory.swap.max", "0");
	return 0;
}

/* CFS bandwidth: the cgroup may run quota microseconds per period; a fifth of
 * a CPU is 20000 of every 100000. */
static int set_cpu(struct cgroup *cg, const char *dir, long thousandths)
{
	char quota[32], both[64];

	snprintf(quota, sizeof(quota), "%ld", thousandths * (CPU_PERIOD_US / 1000));
	if (cg->version == 2) {
		snprintf(both, sizeof(both), "%s %d", quota, CPU_PERIOD_US);
		return write_value(cg, dir, "cpu.max", both);
	}
	snprintf(both, sizeof(both), "%d", CPU_PERIOD_US);
	if (write_value(cg, dir, "cpu.cfs_period_us", both) == -1)
		return -1;
	return write_value(cg, dir, "cpu.cfs_quota_us", quota);
}

/* The directory holding controller c's files: v2 has only one. */
static const char *dir_of(const struct cgroup *cg, enum cgroup_controller c)
{
	return cg->version == 2 ? cg->dir[0] : cg->dir[c];
}

int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *lim)
{
	char value[32];

	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		if (needs(lim, c) && dir_of(cg, c)[0] == '\0')
			return fail(cg, 0, "no %s cgroup was made to limit", controller_name[c]);
	}

	if (lim->memory_bytes > 0) {
		snprintf(value, sizeof(value), "%" PRIu64, lim->memory_bytes);
		if ((cg->version == 2 ? set_memory_v2 : set_memory_v1)(cg, dir_of(cg, CG_MEMORY), value) == -1)
			return -1;
	}
	if (lim->pids_max > 0) {
		snprintf(value, sizeof(value), "%ld", lim->pids_max);
		if (write_value(cg, dir_of(cg, CG_PIDS), "pids.max", value) == -1)
			return -1;
	}
	if (lim->cpu_thousandths > 0 && set_cpu(cg, dir_of(cg, CG_CPU), lim->cpu_thousandths) == -1)
		return -1;
	return 0;
}

int cgroup_open(struct cgroup *cg, const char *name, const struct cgroup_limits *lim)
{
	if (cgroup_create(cg, name, lim) == -1)
		return -1;
	if (cgroup_set_limits(cg, lim) == -1)
		return undo(cg);
	return 0;
}

int cgroup_add_process(struct cgroup *cg, pid_t pid)
{
	char value[32];

	snprintf(value, sizeof(value), "%d", (int)pid);
	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		/* Writing a PID to cgroup.procs moves that whole process (all
		 * its threads); its future children start in the same cgroup. */
		if (cg->dir[c][0] && write_value(cg, cg->dir[c], "cgroup.procs", value) == -1)
			return -1;
	}
	return 0;
}

long cgroup_oom_kills(const struct cgroup *cg)
{
	const char *dir = dir_of(cg, CG_MEMORY);
	const char *file = cg->version == 2 ? "memory.events" : "memory.oom_control";
	char path[PATH_MAX], buf[1024], *line, *save = NULL;
	long count;
	int n;

	if (dir[0] == '\0')
		return -1;
	n = snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (n < 0 || n >= (int)sizeof(path) || read_file(path, buf, sizeof(buf)) == -1)
		return -1;
	/* Both files hold "key value" lines; v1 has oom_kill_disable too, v2
	 * oom and oom_group_kill: match the whole key. */
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "oom_kill ", 9) == 0 &&
		    parse_long(line + 9, 0, LONG_MAX, &count) == 0)
			return count;
	}
	return -1;
}

/* SIGKILL every process listed in dir/cgroup.procs. A missing list means the
 * directory holds no task (it is gone, or is no cgroup). */
static int kill_listed(struct cgroup *cg, const char *dir)
{
	char path[PATH_MAX], buf[16384], *line, *save = NULL, *last_newline;
	ssize_t n;
	long pid;

	if (join_path(cg, path, dir, "cgroup.procs") == -1)
		return -1;
	n = read_file(path, buf, sizeof(buf));
	if (n == -1)
		return errno == ENOENT ? 0 : fail(cg, errno, "read %s", path);
	/* A full buffer may end in a cut PID: keep whole lines only; the
	 * rest are killed on the next round. */
	if ((size_t)n == sizeof(buf) - 1 && (last_newline = strrchr(buf, '\n')) != NULL)
		last_newline[1] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (parse_long(line, 1, INT32_MAX, &pid) == -1)
			return fail(cg, 0, "unexpected line '%s' in %s", line, path);
		if (kill((pid_t)pid, SIGKILL) == -1 && errno != ESRCH)
			return fail(cg, errno, "kill %ld (in %s)", pid, path);
	}
	return 0;
}

/* Kill every task in the cgroup at dir. v2's cgroup.kill (Linux 5.14) kills
 * the whole subtree at once, racing no fork; elsewhere each listed PID. */
static int kill_tasks(struct cgroup *cg, const char *dir)
{
	char path[PATH_MAX];

	if (cg->version == 2) {
		if (join_path(cg, path, dir, "cgroup.kill") == -1)
			return -1;
		if (file_exists(path))
			return write_value(cg, dir, "cgroup.kill", "1");
	}
	return kill_listed(cg, dir);
}

/* Kill the tasks in dir and remove it. rmdir(2) of a cgroup fails with EBUSY
 * while tasks remain; killed ones leave within milliseconds, and new ones a
 * fork raced in are killed on the next round. */
static int remove_dir(struct cgroup *cg, const char *dir)
{
	const struct timespec pause = { .tv_sec = 0, .tv_nsec = RMDIR_PAUSE_NS };

	for (int try = 1;; try++) {
		if (kill_tasks(cg, dir) == -1)
			return -1;
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || try == RMDIR_TRIES)
			return fail(cg, errno, "rmdir %s", dir);
		if (nanosleep(&pause, NULL) == -1 && errno != EINTR)
			return fail(cg, errno, "nanosleep");
	}
}

/* v2: our cgroup under parent is gone; release the controllers if it was
 * the last (see "v2 controllers"). */
static int release_parent(struct cgroup *cg, const char *parent)
{
	int lock = lock_parent(cg, parent), ret;

	if (lock == -1)
		return -1;
	ret = release_controllers(cg, parent);
	close(lock);
	return ret;
}

int cgroup_remove(struct cgroup *cg)
{
	char parent[PATH_MAX];
	int ret = 0;

	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		if (cg->dir[c][0] == '\0')
			continue;
		if (remove_dir(cg, cg->dir[c]) == -1) {
			ret = -1;
			continue;
		}
		if (cg->lock_fd[c] != -1) {
			close(cg->lock_fd[c]);
			cg->lock_fd[c] = -1;
		}
		parent_of(cg->dir[c], parent);
		cg->dir[c][0] = '\0';
		if (cg->version == 2 && release_parent(cg, parent) == -1)
			ret = -1;
	}
	return ret;
}

/* In parent, remove the cgroups of ours whose name matches pattern and whose
 * lock is free: their runners died (see "Sharing"). Holds the parent's lock
 * throughout. Returns how many it removed, or -1. */
static int remove_stale_in(struct cgroup *cg, const char *parent, const char *pattern)
{
	char path[PATH_MAX];
	struct dirent *entry;
	int lock, removed = 0, ret = 0;
	DIR *d;

	if ((lock = lock_parent(cg, parent)) == -1)
		return -1;
	d = opendir(parent);
	if (d == NULL) {
		fail(cg, errno, "opendir %s", parent);
		close(lock);
		return -1;
	}
	while (ret == 0 && (entry = readdir(d)) != NULL) {
		int held;

		if (fnmatch(pattern, entry->d_name, FNM_PERIOD) != 0 ||
		    join_path(cg, path, parent, entry->d_name) == -1 ||
		    !is_directory(path) || !is_ours(path))
			continue;
		held = lock_dir(path, false);
		if (held == -1) {
			/* EWOULDBLOCK: its runner lives. */
			if (errno != EWOULDBLOCK && errno != ENOENT)
				ret = fail(cg, errno, "flock %s", path);
			continue;
		}
		ret = remove_dir(cg, path);
		close(held);
		if (ret == 0)
			removed++;
	}
	closedir(d);
	if (ret == 0 && removed > 0 && cg->version == 2)
		ret = release_controllers(cg, parent);
	close(lock);
	return ret == -1 ? -1 : removed;
}

/* Does CGROUP_PARENT name a cgroup this hierarchy lacks? On v1 it may be
 * made in the hierarchies of some controllers only (those a runner uses):
 * in the others nothing of ours can be stale. */
static bool override_missing(const char *hierarchy)
{
	const char *override = getenv("CGROUP_PARENT");
	char dir[PATH_MAX];
	int n;

	if (override == NULL || *override == '\0')
		return false;
	n = snprintf(dir, sizeof(dir), "%s%s", hierarchy, override);
	return n > 0 && n < (int)sizeof(dir) && !is_directory(dir);
}

int cgroup_remove_stale(struct cgroup *cg, const char *pattern)
{
	char hierarchy[PATH_MAX], parent[PATH_MAX];
	int removed = 0, n;

	clear(cg);
	if (cgroup_detect(cg) == -1)
		return -1;
	if (cg->version == 2) {
		if (parent_dir(cg, cg->root, NULL, parent) == -1)
			return -1;
		return remove_stale_in(cg, parent, pattern);
	}
	for (int c = 0; c < CG_NCONTROLLERS; c++) {
		if (join_path(cg, hierarchy, cg->root, controller_name[c]) == -1)
			return -1;
		if (!is_directory(hierarchy) || override_missing(hierarchy))
			continue;
		if (parent_dir(cg, hierarchy, controller_name[c], parent) == -1 ||
		    (n = remove_stale_in(cg, parent, pattern)) == -1)
			return -1;
		removed += n;
	}
	return removed;
}

int cgroup_remove_stale_at(struct cgroup *cg, const char *dir)
{
	char parent[PATH_MAX];
	size_t root_len;
	int lock, held, ret = 0;

	clear(cg);
	if (cgroup_detect(cg) == -1)
		return -1;
	root_len = strlen(cg->root);
	if (strrchr(dir, '/') == NULL || strlen(dir) >= PATH_MAX ||
	    strncmp(dir, cg->root, root_len) != 0 || dir[root_len] != '/' || strstr(dir, "/..") != NULL)
		return fail(cg, 0, "%s is no cgroup under %s", dir, cg->root);
	parent_of(dir, parent);
	if ((lock = lock_parent(cg, parent)) == -1)
		return errno == ENOENT ? 0 : -1;
	/* The runner named it exactly: even without our mark (it died
	 * between mkdir and setxattr) it is ours to remove, once no live
	 * runner holds it. */
	held = lock_dir(dir, false);
	if (held == -1 && errno != ENOENT)
		ret = errno == EWOULDBLOCK ? fail(cg, 0, "%s is held by a live runner", dir)
					   : fail(cg, errno, "flock %s", dir);
	else if (held != -1) {
		ret = remove_dir(cg, dir);
		close(held);
		if (ret == 0 && cg->version == 2)
			ret = release_controllers(cg, parent);
	}
	close(lock);
	return ret;
}

/* cgroup_remove_stale_named()'s search: every directory named `wanted`,
 * at most SEARCH_DEPTH levels down. nftw(3) takes no argument for its
 * callback; the search is one at a time. */
#define SEARCH_DEPTH 16
#define SEARCH_MAX 16
static const char *wanted;
static char found[SEARCH_MAX][PATH_MAX];
static int nfound;

static int note_if_wanted(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	if (flag != FTW_D)
		return FTW_CONTINUE;
	if (strcmp(path + ftw->base, wanted) == 0 && nfound < SEARCH_MAX) {
		snprintf(found[nfound++], PATH_MAX, "%s", path);
		return FTW_SKIP_SUBTREE;
	}
	return ftw->level >= SEARCH_DEPTH ? FTW_SKIP_SUBTREE : FTW_CONTINUE;
}

int cgroup_remove_stale_named(struct cgroup *cg, const char *name)
{
	/* v1: the hierarchies are mounts below the root, to be walked into. */
	int flags = FTW_PHYS | FTW_ACTIONRETVAL, ret = 0;

	clear(cg);
	if (cgroup_detect(cg) == -1)
		return -1;
	if (cg->version == 2)
		flags |= FTW_MOUNT;
	wanted = name;
	nfound = 0;
	if (nftw(cg->root, note_if_wanted, 16, flags) == -1)
		return fail(cg, errno, "search %s for %s", cg->root, name);
	for (int i = 0; i < nfound && ret == 0; i++)
		ret = cgroup_remove_stale_at(cg, found[i]);
	return ret;
}

const char *cgroup_error(const struct cgroup *cg)
{
	return cg->error;
}

void cgroup_parse_limit(int opt, const char *arg, struct cgroup_limits *lim)
{
	switch (opt) {
	case 'm':
		if (parse_size(arg, &lim->memory_bytes) == -1 || lim->memory_bytes == 0)
			fatal("invalid memory limit '%s' (e.g. 5M)", arg);
		break;
	case 'p':
		lim->pids_max = parse_long_or_die(arg, 1, 4194304, "process limit");
		break;
	case 'c':
		if (parse_thousandths(arg, &lim->cpu_thousandths) == -1 ||
		    lim->cpu_thousandths < 10 || lim->cpu_thousandths > 1000000)
			fatal("invalid CPU limit '%s' (0.01 to 1000, e.g. 0.5)", arg);
		break;
	default:
		fatal("no limit option -%c", opt);
	}
}

bool cgroup_has_limits(const struct cgroup_limits *lim)
{
	return lim->memory_bytes || lim->pids_max || lim->cpu_thousandths;
}
