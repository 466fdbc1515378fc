/* cgroup.h: a small module over the cgroup filesystem itself, v1 and v2.
 *
 * What cgcreate, cgset, cgexec and cgdelete do, in a few calls:
 *
 *	struct cgroup cg;
 *	struct cgroup_limits lim = { .memory_bytes = 5 << 20 };
 *	cgroup_remove_stale(&cg, "demo-*");          -> what dead runners left
 *	if (cgroup_open(&cg, "demo-1234", &lim) == -1) -> cgroup_error(&cg)
 *	cgroup_add_process(&cg, pid);
 *	...wait...
 *	cgroup_oom_kills(&cg);
 *	cgroup_remove(&cg);
 *
 * The root and version come from the system: statfs("/sys/fs/cgroup") is
 * CGROUP2_SUPER_MAGIC on a pure v2 machine; anything else (a tmpfs holding
 * one mount per controller, plus perhaps "unified") is v1 or hybrid, and the
 * controllers we use live on v1 there. The environment variables
 * CGROUP_ROOT=DIR and CGROUP_VERSION=1|2 override both, and CGROUP_SELF=FILE
 * stands for /proc/self/cgroup (the caller's own cgroups), so tests can drive
 * the module against a fake tree of plain files, whatever the machine.
 *
 * On v1, new cgroups are made under the caller's own cgroup (from
 * /proc/self/cgroup), never beside or above it: the caller may already be
 * confined. On v2 that cannot work: a cgroup other than the root that holds
 * processes (the caller's holds the caller) may not hand controllers down to
 * children ("no internal processes", cgroups(7)); so there, as runc and crun
 * do with their cgroupfs driver, they are made under the root. The rule for
 * the parent directory, per hierarchy (v1: ROOT/<controller>, v2: ROOT):
 *   1. CGROUP_PARENT=/PATH when set: the cgroup PATH of that hierarchy, e.g.
 *      CGROUP_PARENT=/ for its root, or /a/b for a fake tree's ROOT/memory/a/b;
 *   2. else, on v2, the root;
 *   3. else, on v1, the caller's own cgroup, from the "N:memory:/PATH" line of
 *      /proc/self/cgroup (N:pids:, N:cpu,cpuacct:, ... for the others), when
 *      that directory exists under the hierarchy;
 *   4. else the hierarchy's root itself: no line names the controller (a v2
 *      host, whose only line is "0::/PATH", driving a fake v1 tree), or the
 *      caller sees its own cgroup mounted as the root (a container without a
 *      cgroup namespace of its own), or a fake tree does not hold its path.
 */
#ifndef CGROUP_H
#define CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_controller { CG_MEMORY, CG_PIDS, CG_CPU, CG_DEVICES, CG_NCONTROLLERS };

/* A set of controllers, e.g. CG_BIT(CG_MEMORY) | CG_BIT(CG_PIDS). */
#define CG_BIT(c) (1u << (c))

/* Every controller a container's cgroup is made in. On v1, devices is a
 * hierarchy of its own whose files hold the device policy; v2 has no devices
 * controller (a BPF program attached to the cgroup's directory, dir[0], does
 * that job there), so CG_DEVICES asks for nothing on v2. */
#define CG_CONTAINER (CG_BIT(CG_MEMORY) | CG_BIT(CG_PIDS) | CG_BIT(CG_CPU) | CG_BIT(CG_DEVICES))

/* Limits to apply; a zero field means "no limit". The cgroup is made in each
 * controller that a limit needs, and in each of controllers even without one
 * (e.g. CG_CONTAINER, so that a container sees memory.max "max" rather than
 * no file at all). A controller neither names is not touched. */
struct cgroup_limits {
	uint64_t memory_bytes; /* memory limit, swap off */
	long pids_max;         /* most tasks at once */
	long cpu_thousandths;  /* CPU time per period: 1000 is one whole CPU */
	unsigned controllers;  /* CG_BITs wanted even without a limit */
};

struct cgroup {
	int version;                          /* 1 or 2 */
	char root[PATH_MAX];                  /* e.g. /sys/fs/cgroup */
	/* v2: one directory, in dir[0]; v1: one directory per controller used
	 * (e.g. dir[CG_DEVICES] for the device policy), indexed by enum
	 * cgroup_controller; "" where none was made. */
	char dir[CG_NCONTROLLERS][PATH_MAX];
	/* A descriptor on each dir, locked (flock) while we hold the cgroup:
	 * see cgroup_remove_stale(). */
	int lock_fd[CG_NCONTROLLERS];
	char error[PATH_MAX + 256];           /* what failed, for the caller to print */
};

/* Find the cgroup root and version (see above) into cg. Returns 0, or -1 with
 * a message in cg->error. */
int cgroup_detect(struct cgroup *cg);

/* Detect, then create the cgroup NAME under the caller's own cgroup, for each
 * controller lim wants (v2: enabling them in the parent's
 * cgroup.subtree_control), and apply the limits. On failure removes what it
 * made and returns -1 with a message in cg->error naming the file and the
 * value (e.g. "controller memory not available under /sys/fs/cgroup"). */
int cgroup_open(struct cgroup *cg, const char *name, const struct cgroup_limits *lim);

/* The two halves of cgroup_open(), for callers (and tests) that need to act
 * between them. cgroup_create() detects, then makes the directories NAME for
 * the controllers lim wants (v2: after enabling the missing ones in the
 * parent's cgroup.subtree_control, and noting them in the parent's extended
 * attribute user.container-tutorial.enabled); each directory is marked as
 * this module's (extended attribute user.container-tutorial.owner, the
 * program's name) and stays locked (flock(2) on cg->lock_fd, close-on-exec)
 * until cgroup_remove(). Needs Linux 5.7 (user xattrs on cgroupfs). On
 * failure it removes what it made. The kernel fills a new directory with its
 * control files. cgroup_set_limits() writes
 * them: v1 memory.limit_in_bytes, memory.swappiness 0 and, where present,
 * memory.memsw.limit_in_bytes; v2 memory.max and, where present,
 * memory.swap.max 0; pids.max; v1 cpu.cfs_period_us 100000 and
 * cpu.cfs_quota_us, v2 cpu.max "QUOTA 100000". Both return 0, or -1 with a
 * message in cg->error; cgroup_set_limits() leaves removal to the caller. */
int cgroup_create(struct cgroup *cg, const char *name, const struct cgroup_limits *lim);
int cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *lim);

/* Move process pid into the cgroup (write to cgroup.procs of each
 * directory). Returns 0, or -1 with a message in cg->error. */
int cgroup_add_process(struct cgroup *cg, pid_t pid);

/* How many times the OOM killer struck in the cgroup (v1 memory.oom_control,
 * v2 memory.events, "oom_kill N"). Returns the count, or -1 when unknown. */
long cgroup_oom_kills(const struct cgroup *cg);

/* Kill whatever is left in the cgroup, then remove its directories. Safe to
 * call twice and on a cgroup that cgroup_open() failed to make. Returns 0,
 * or -1 with a message in cg->error. Killing: v2 writes 1 to cgroup.kill
 * where present; otherwise every PID listed in cgroup.procs gets SIGKILL.
 * rmdir is retried for up to about two seconds while it fails with EBUSY,
 * as the killed tasks exit; a directory already gone counts as removed.
 * v2: when it was the last cgroup of this module's under its parent, the
 * controllers this module enabled there are disabled again, except one that
 * another cgroup relies on by now (hands it down in its own subtree_control,
 * or sets one of its limits). cgroup.c says why, and how runc, crun and
 * systemd do it. */
int cgroup_remove(struct cgroup *cg);

/* Remove what runners that died left behind: under the parent of the rule
 * above (v1: in every hierarchy, devices included), every cgroup this module
 * made whose name matches pattern (fnmatch(3): a whole name such as
 * "basic_container-7f3a9c01", or "cgroup_exec-*") and that no live runner
 * holds (its lock is free: the kernel drops it when its holder dies).
 * Kills what is left in each and removes it as cgroup_remove() does,
 * controllers included. cg needs no cgroup_create() first and holds nothing
 * after. Returns how many directories it removed (v1: one per hierarchy),
 * or -1 with a message in cg->error. */
int cgroup_remove_stale(struct cgroup *cg, const char *pattern);

/* As cgroup_remove_stale(), for the one cgroup at dir (a directory a runner
 * recorded, e.g. in its state), wherever its parent is, and even without
 * this module's mark (its runner died before it could mark it). Returns 0
 * when no such cgroup is left (removed now, or gone before), or -1 with a
 * message in cg->error: it is not under the cgroup root, it is still held
 * by a live runner, or it would not go. */
int cgroup_remove_stale_at(struct cgroup *cg, const char *dir);

/* cgroup_remove_stale_at() for every cgroup called name, wherever it is in
 * the hierarchies (a runner that died before it could record where it made
 * them); name must be unique to that runner. Returns 0, or -1 with a
 * message in cg->error. */
int cgroup_remove_stale_named(struct cgroup *cg, const char *name);

/* The last error's message. */
const char *cgroup_error(const struct cgroup *cg);

/* Whether lim asks for any limit at all. */
bool cgroup_has_limits(const struct cgroup_limits *lim);

/* Parse one limit option into lim, as cgroup_exec and basic_container take
 * them: 'm' SIZE (e.g. 5M), 'p' N (1 to 4194304), 'c' CPUS (0.01 to 1000,
 * e.g. 0.5; the kernel takes at least 1 ms of CPU per 100 ms period). Exits
 * 125 with one line saying what is wrong when arg is not valid. */
void cgroup_parse_limit(int opt, const char *arg, struct cgroup_limits *lim);

#endif
