/* idmap.c: choose and write the container's ID maps; see idmap.h. */
#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "setup_error.h"

extern char **environ;

/* Host IDs first .. first + count - 1. */
struct span {
	uint64_t first, count;
};

struct spans {
	struct span *items;
	size_t count;
};

static int add_span(struct spans *s, uint64_t first, uint64_t count)
{
	struct span *grown = realloc(s->items, (s->count + 1) * sizeof(*grown));

	if (grown == NULL)
		return setup_fail("realloc");
	s->items = grown;
	s->items[s->count++] = (struct span){ first, count };
	return 0;
}

static bool overlaps(const struct spans *s, uint64_t first, uint64_t count)
{
	for (size_t i = 0; i < s->count; i++)
		if (first < s->items[i].first + s->items[i].count &&
		    s->items[i].first < first + count)
			return true;
	return false;
}

/* Every user and group ID that /etc/passwd and /etc/group name. fgetpwent(3)
 * reads the file itself: a static program cannot load NSS modules, so a
 * user only LDAP knows is not seen (nspawn asks NSS). The ranges we pick
 * lie above what distributions hand out to users anyway. */
static int add_account_ids(struct spans *used)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;
	struct group *gr;
	int ret = 0;

	if (f == NULL)
		return setup_fail("open /etc/passwd");
	while (ret == 0 && (pw = fgetpwent(f)) != NULL)
		ret = add_span(used, pw->pw_uid, 1);
	fclose(f);
	if (ret == -1)
		return -1;
	f = fopen("/etc/group", "re");
	if (f == NULL)
		return setup_fail("open /etc/group");
	while (ret == 0 && (gr = fgetgrent(f)) != NULL)
		ret = add_span(used, gr->gr_gid, 1);
	fclose(f);
	return ret;
}

/* One line of /etc/subuid or /etc/subgid: "USER:FIRST:COUNT", where USER is
 * a name or a number. newuidmap(1) lets USER map these IDs. */
struct subid_line {
	char user[128];
	uint32_t first, count;
};

static bool parse_subid_line(const char *line, struct subid_line *s)
{
	return sscanf(line, "%127[^:\n]:%" SCNu32 ":%" SCNu32, s->user, &s->first, &s->count) == 3;
}

/* Add every range of path (missing: none) to used. */
static int add_subids(const char *path, struct spans *used)
{
	FILE *f = fopen(path, "re");
	struct subid_line s;
	char line[256];
	int ret = 0;

	if (f == NULL)
		return errno == ENOENT ? 0 : setup_fail("open %s", path);
	while (ret == 0 && fgets(line, sizeof(line), f) != NULL)
		if (parse_subid_line(line, &s))
			ret = add_span(used, s.first, s.count);
	fclose(f);
	return ret;
}

static bool is_living_claim(const struct claim_list *living, uint64_t first, uint64_t count)
{
	for (size_t i = 0; i < living->count; i++) {
		const struct claims *c = &living->items[i];

		if (c->id_count > 0 && first < (uint64_t)c->id_base + c->id_count &&
		    c->id_base < first + count)
			return true;
	}
	return false;
}

/* Every host ID an account or a subordinate range holds. */
static int collect_host_ids(struct spans *used)
{
	if (add_account_ids(used) == -1 || add_subids("/etc/subuid", used) == -1)
		return -1;
	return add_subids("/etc/subgid", used);
}

/* -U BASE: the user's range must be free too: a host user inside it would
 * have a container's user as its twin. */
static int check_chosen_range(const struct id_map *m, const struct claim_list *living)
{
	struct spans used = { 0 };
	int ret = 0;

	if (collect_host_ids(&used) == -1)
		ret = -1;
	else if (overlaps(&used, m->base, m->count))
		ret = setup_fail_msg("host IDs %" PRIu32 "-%" PRIu32 " hold a user or group of the "
				     "host, or a range of /etc/subuid or /etc/subgid: choose "
				     "another -U BASE", m->base, m->base + m->count - 1);
	else if (is_living_claim(living, m->base, m->count))
		ret = setup_fail_msg("host IDs %" PRIu32 "-%" PRIu32 " are in use by another "
				     "container", m->base, m->base + m->count - 1);
	free(used.items);
	return ret;
}

/* The first range of 65536 from ID_RANGE_FIRST on, in steps of 65536, that
 * no account, no subordinate range and no living container touches. The
 * search stops below 2^31: IDs above are negative to some programs. */
static int pick_range(struct id_map *m, const struct claim_list *living)
{
	struct spans used = { 0 };
	int ret = -1;

	if (collect_host_ids(&used) == -1)
		goto out;
	for (uint64_t base = ID_RANGE_FIRST; base + ID_RANGE_SIZE <= 0x80000000u;
	     base += ID_RANGE_SIZE) {
		if (!overlaps(&used, base, ID_RANGE_SIZE) &&
		    !is_living_claim(living, base, ID_RANGE_SIZE)) {
			m->base = (uint32_t)base;
			ret = 0;
			goto out;
		}
	}
	setup_fail_msg("no free range of %u host IDs between %u and 2^31", ID_RANGE_SIZE,
		       ID_RANGE_FIRST);
out:
	free(used.items);
	return ret;
}

/* The caller's user name, from /etc/passwd itself (getpwuid(3) would need
 * NSS, which a static program cannot load); "" when it has none. */
static void own_user_name(char *name, size_t size)
{
	FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	name[0] = '\0';
	if (f == NULL)
		return;
	while ((pw = fgetpwent(f)) != NULL)
		if (pw->pw_uid == getuid()) {
			snprintf(name, size, "%s", pw->pw_name);
			break;
		}
	fclose(f);
}

/* The caller's first range in a subid file, by name or number. */
static bool find_own_subids(const char *path, const char *name, uid_t uid, uint32_t *first,
			    uint32_t *count)
{
	FILE *f = fopen(path, "re");
	struct subid_line s;
	char line[256], number[16];
	bool found = false;

	if (f == NULL)
		return false;
	snprintf(number, sizeof(number), "%ld", (long)uid);
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		if (parse_subid_line(line, &s) && s.count > 0 &&
		    (strcmp(s.user, number) == 0 || (name[0] && strcmp(s.user, name) == 0))) {
			*first = s.first;
			*count = s.count;
			found = true;
		}
	}
	fclose(f);
	return found;
}

static bool on_path(const char *program)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL, candidate[4096];
	bool found = false;

	if (path == NULL || (copy = strdup(path)) == NULL)
		return false;
	for (dir = strtok_r(copy, ":", &save); dir && !found; dir = strtok_r(NULL, ":", &save)) {
		snprintf(candidate, sizeof(candidate), "%s/%s", dir, program);
		found = access(candidate, X_OK) == 0;
	}
	free(copy);
	return found;
}

/* A plain user: its own ID as 0, and, when the uidmap package's
 * newuidmap/newgidmap are there and /etc/subuid and /etc/subgid give it
 * ranges, those as 1, 2, ... (as podman does). */
static void plan_rootless(struct id_map *m)
{
	char name[256];
	uint32_t uid_first, uid_count, gid_first, gid_count;

	own_user_name(name, sizeof(name));
	if (on_path("newuidmap") && on_path("newgidmap") &&
	    find_own_subids("/etc/subuid", name, getuid(), &uid_first, &uid_count) &&
	    find_own_subids("/etc/subgid", name, getuid(), &gid_first, &gid_count)) {
		m->sub_uid = uid_first;
		m->sub_gid = gid_first;
		m->sub_count = uid_count < gid_count ? uid_count : gid_count;
		m->setgroups = true;
	}
}

int plan_id_map(struct id_map *m, const struct claim_list *living)
{
	m->sub_count = 0;
	if (geteuid() != 0) {
		if (m->choice != IDS_ONE && m->choice != IDS_PICK)
			return setup_fail_msg("choosing the host IDs (-U BASE) needs root");
		m->setgroups = false;
		m->base = getuid();
		m->count = 1;
		if (m->choice == IDS_PICK)
			plan_rootless(m);
		return 0;
	}
	/* Root may allow setgroups(2) (user_namespaces(7)): su and apt drop
	 * to other groups with it. */
	m->setgroups = true;
	switch (m->choice) {
	case IDS_ONE:
		m->base = getuid();
		m->count = 1;
		return 0;
	case IDS_BASE:
		m->count = ID_RANGE_SIZE;
		return check_chosen_range(m, living);
	case IDS_PICK:
		m->count = ID_RANGE_SIZE;
		return pick_range(m, living);
	}
	return setup_fail_msg("unknown ID choice %d", m->choice);
}

static int write_map_file(pid_t pid, const char *file, const char *text)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%ld/%s", (long)pid, file);
	if (write_file(path, text) == -1)
		return setup_fail("write '%s' to %s", text, path);
	return 0;
}

/* newuidmap PID 0 UID 1 1 FIRST COUNT: the setuid helper checks the ranges
 * against /etc/subuid and writes the map for us. */
static int run_newidmap(const char *program, pid_t pid, uint32_t own, uint32_t first,
			uint32_t count)
{
	char spid[16], sown[16], sfirst[16], scount[16];
	char *argv[] = { (char *)program, spid, "0", sown, "1", "1", sfirst, scount, NULL };
	pid_t child;
	int status, err;

	snprintf(spid, sizeof(spid), "%ld", (long)pid);
	snprintf(sown, sizeof(sown), "%" PRIu32, own);
	snprintf(sfirst, sizeof(sfirst), "%" PRIu32, first);
	snprintf(scount, sizeof(scount), "%" PRIu32, count);
	err = posix_spawnp(&child, program, NULL, NULL, argv, environ);
	if (err != 0) {
		errno = err;
		return setup_fail("run %s", program);
	}
	while (waitpid(child, &status, 0) == -1)
		if (errno != EINTR)
			return setup_fail("waitpid %s", program);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return setup_fail_msg("%s %s 0 %s 1 1 %s %s failed (status %d)", program, spid,
				      sown, sfirst, scount, exit_status_of(status));
	return 0;
}

int write_id_maps(pid_t pid, const struct id_map *m)
{
	char map[64];

	if (m->sub_count > 0)
		return run_newidmap("newuidmap", pid, m->base, m->sub_uid, m->sub_count) == -1 ||
		       run_newidmap("newgidmap", pid, getgid(), m->sub_gid, m->sub_count) == -1 ? -1 : 0;
	snprintf(map, sizeof(map), "0 %" PRIu32 " %" PRIu32, m->base, m->count);
	if (write_map_file(pid, "uid_map", map) == -1)
		return -1;
	/* Since Linux 3.19 a writer without CAP_SETGID above must deny
	 * setgroups(2) before it may write gid_map: else the container could
	 * drop a group that guards a file against it. */
	if (!m->setgroups && write_map_file(pid, "setgroups", "deny") == -1)
		return -1;
	if (m->count == 1)
		snprintf(map, sizeof(map), "0 %ld 1", (long)getgid());
	return write_map_file(pid, "gid_map", map);
}
