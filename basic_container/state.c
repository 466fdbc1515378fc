/* state.c: the state directory, its locks and the cleanup of dead
 * containers; see state.h. */
#include "state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "setup_error.h"

#define CONTAINERS "containers"

/* Open (making it when missing) the directory name under dirfd: root's, and
 * no symlink (O_NOFOLLOW), since we will write in it as root. */
static int open_own_dir(int dirfd, const char *name, mode_t mode)
{
	struct stat st;
	int fd;

	if (mkdirat(dirfd, name, mode) == -1 && errno != EEXIST)
		return setup_fail("mkdir %s", name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return setup_fail("open %s", name);
	if (fstat(fd, &st) == -1) {
		setup_fail("stat %s", name);
		close(fd);
		return -1;
	}
	if (st.st_uid != 0 || (st.st_mode & 022)) {
		close(fd);
		return setup_fail_msg("%s is not root's alone (owner %ld, mode %o): refusing to use it",
				      name, (long)st.st_uid, st.st_mode & 07777);
	}
	return fd;
}

/* STATE_ROOT/containers, made on the first run. Others may pass through
 * (0711): a container's root, which is not the host's, must reach its own
 * layer. */
static int open_containers_dir(void)
{
	int root = open_own_dir(AT_FDCWD, STATE_ROOT, 0711), fd;

	if (root == -1)
		return -1;
	fd = open_own_dir(root, CONTAINERS, 0711);
	close(root);
	return fd;
}

static int is_container_id(const char *name)
{
	return strlen(name) == STATE_ID_LEN && strspn(name, "0123456789abcdef") == STATE_ID_LEN;
}

/* A directory, by its identity: what "..", taken on the way back up, must
 * lead to again. */
struct dir_id {
	dev_t dev;
	ino_t ino;
};

static int dir_identity(int fd, struct dir_id *id)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	*id = (struct dir_id){ st.st_dev, st.st_ino };
	return 0;
}

/* Empty the directory fd: unlink what is not a directory, rmdir the empty
 * directories. Returns 0 when it is empty, 1 with the name of a directory
 * that is not in down, or -1. */
static int empty_dir(int fd, char down[NAME_MAX + 1])
{
	DIR *dir = fdopendir(dup(fd));
	struct dirent *e;
	int ret = 0;

	if (dir == NULL)
		return -1;
	while (ret == 0 && (e = readdir(dir)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, e->d_name, 0) == 0 || errno == ENOENT)
			continue;
		if ((errno == EISDIR || errno == EPERM) &&
		    (unlinkat(fd, e->d_name, AT_REMOVEDIR) == 0 || errno == ENOENT))
			continue;
		if (errno == ENOTEMPTY || errno == EEXIST) {
			snprintf(down, NAME_MAX + 1, "%s", e->d_name);
			ret = 1;
		} else {
			ret = -1;
		}
	}
	closedir(dir);
	return ret;
}

/* Remove the directory name under parent and everything in it, without ever
 * following a symlink, with two descriptors at most, however deep the tree
 * a container made: go down into a directory that is not empty, and back up
 * ("..") once it is. Each step down records the directory it left; each step
 * up must arrive there again, on the same filesystem. Otherwise the tree
 * moved while we worked (something still writes in it), and we stop: a
 * ".." that led elsewhere would have us delete outside the tree. */
static int remove_tree(int parent, const char *name)
{
	struct dir_id *path = NULL, here;
	size_t depth = 0;
	char down[NAME_MAX + 1];
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), ret = -1;

	if (fd == -1)
		return errno == ENOENT ? 0 : setup_fail("open %s", name);
	for (;;) {
		int found = empty_dir(fd, down), next;

		if (found == -1) {
			setup_fail("empty %s/...", name);
			break;
		}
		if (found == 0 && depth == 0) {
			ret = 0;
			break;
		}
		if (found == 1) {
			struct dir_id *grown = realloc(path, (depth + 1) * sizeof(*grown));

			if (grown == NULL || dir_identity(fd, &grown[depth]) == -1) {
				path = grown ? grown : path;
				setup_fail("remove %s/...", name);
				break;
			}
			path = grown;
			depth++;
		}
		next = openat(fd, found == 1 ? down : "..", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		fd = next;
		if (fd == -1 || dir_identity(fd, &here) == -1) {
			setup_fail("open %s/.../%s", name, found == 1 ? down : "..");
			break;
		}
		if (found == 1 && here.dev != path[0].dev) {
			setup_fail_msg("remove %s: a directory in it is on another filesystem", name);
			break;
		}
		if (found == 0 && (here.dev != path[depth - 1].dev || here.ino != path[depth - 1].ino)) {
			setup_fail_msg("remove %s: a directory in it moved while it was removed", name);
			break;
		}
		if (found == 0)
			depth--;
	}
	if (fd != -1)
		close(fd);
	free(path);
	if (ret == 0 && unlinkat(parent, name, AT_REMOVEDIR) == -1 && errno != ENOENT)
		return setup_fail("rmdir %s", name);
	return ret;
}

static int read_claims(int dirfd, const char *id, struct claims *c)
{
	char path[STATE_ID_LEN + 8], buf[128];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/claims", id);
	fd = openat(dirfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if (sscanf(buf, "%" SCNu32 " %" SCNu32 " %" SCNu64 " %" SCNu32, &c->id_base,
		   &c->id_count, &c->netns, &c->address) != 4)
		return -1;
	return 0;
}

static int add_claim(struct claim_list *list, const struct claims *c)
{
	struct claims *grown = realloc(list->items, (list->count + 1) * sizeof(*grown));

	if (grown == NULL)
		return setup_fail("realloc");
	list->items = grown;
	list->items[list->count++] = *c;
	return 0;
}

/* Is the container id alive? Its runtime holds its lock. A directory
 * without a lock file was left half-made by a runtime that died. */
static int is_alive(int dirfd, const char *id)
{
	char path[STATE_ID_LEN + 8];
	int fd, alive;

	snprintf(path, sizeof(path), "%s/lock", id);
	fd = openat(dirfd, path, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return 0;
	alive = flock(fd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK;
	close(fd);
	return alive;
}

static int clean_and_list(int dirfd, leftover_remover remove_leftovers, struct claim_list *living)
{
	DIR *dir = fdopendir(dup(dirfd));
	struct dirent *e;
	int ret = 0;

	if (dir == NULL)
		return setup_fail("opendir %s/%s", STATE_ROOT, CONTAINERS);
	while (ret == 0 && (e = readdir(dir)) != NULL) {
		struct claims c;
		bool has_claims;
		int fd;

		if (!is_container_id(e->d_name))
			continue;
		has_claims = read_claims(dirfd, e->d_name, &c) == 0;
		if (!is_alive(dirfd, e->d_name)) {
			/* Dead: its cgroups first. While something of it still
			 * runs there, its layer and its claims stay. */
			fd = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (fd != -1 && remove_leftovers(fd, e->d_name) == 0) {
				close(fd);
				/* What a dead container left must not stop us:
				 * a later run tries again. */
				if (remove_tree(dirfd, e->d_name) == -1)
					fprintf(stderr, "%s: %s\n", program_invocation_short_name,
						setup_error());
				continue;
			}
			if (fd != -1)
				close(fd);
		}
		if (has_claims)
			ret = add_claim(living, &c);
	}
	closedir(dir);
	return ret;
}

/* STATE_ROOT/lock, waiting for a runtime that holds it. */
static int take_root_lock(struct state *st)
{
	st->root_lock = open(STATE_ROOT "/lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (st->root_lock == -1)
		return setup_fail("open %s/lock", STATE_ROOT);
	while (flock(st->root_lock, LOCK_EX) == -1) {
		if (errno != EINTR) {
			setup_fail("flock %s/lock", STATE_ROOT);
			state_unlock(st);
			return -1;
		}
	}
	return 0;
}

int state_lock_and_clean(struct state *st, leftover_remover remove_leftovers,
			 struct claim_list *living)
{
	int dirfd;

	*st = (struct state){ .root_lock = -1, .lock = -1 };
	*living = (struct claim_list){ 0 };
	dirfd = open_containers_dir();
	if (dirfd == -1)
		return -1;
	if (take_root_lock(st) == -1) {
		close(dirfd);
		return -1;
	}
	if (clean_and_list(dirfd, remove_leftovers, living) == -1) {
		close(dirfd);
		state_unlock(st);
		return -1;
	}
	close(dirfd);
	return 0;
}

void state_unlock(struct state *st)
{
	if (st->root_lock != -1)
		close(st->root_lock);       /* closing the last descriptor drops the flock */
	st->root_lock = -1;
}

int state_write(const struct state *st, const char *name, const char *text)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	size_t len = strlen(text);
	int fd, ok;

	if (state_path(st, name, path, sizeof(path)) == -1)
		return -1;
	/* Written aside, then renamed into place: a reader (the run that finds
	 * us dead) sees the whole text or none of it. */
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return setup_fail("create %s", tmp);
	ok = write(fd, text, len) == (ssize_t)len;
	if (close(fd) == -1 || !ok)
		return setup_fail("write %s", tmp);
	if (rename(tmp, path) == -1)
		return setup_fail("rename %s to %s", tmp, path);
	return 0;
}

int state_path(const struct state *st, const char *name, char *path, size_t size)
{
	int n = snprintf(path, size, "%s/%s", st->dir, name);

	if (n < 0 || (size_t)n >= size)
		return setup_fail_msg("path %s/%s is too long", st->dir, name);
	return 0;
}

/* mkdir dir/name with an owner and mode, whatever the umask. */
static int make_subdir(int dirfd, const char *name, uid_t owner, mode_t mode)
{
	if (mkdirat(dirfd, name, mode) == -1)
		return setup_fail("mkdir %s", name);
	if (fchownat(dirfd, name, owner, owner, AT_SYMLINK_NOFOLLOW) == -1 ||
	    fchmodat(dirfd, name, mode, 0) == -1)
		return setup_fail("chown/chmod %s to %ld, %o", name, (long)owner, mode);
	return 0;
}

static int write_claims(int dirfd, const struct claims *c)
{
	char buf[128];
	int fd, n, ok;

	n = snprintf(buf, sizeof(buf), "%" PRIu32 " %" PRIu32 " %" PRIu64 " %" PRIu32 "\n",
		     c->id_base, c->id_count, c->netns, c->address);
	fd = openat(dirfd, "claims", O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return setup_fail("create claims");
	ok = write(fd, buf, (size_t)n) == n;
	if (close(fd) == -1 || !ok)
		return setup_fail("write claims");
	return 0;
}

/* Make STATE_ROOT/containers/ID with a fresh random ID; return it open. */
static int make_own_dir(struct state *st, int containers, uid_t layer_owner)
{
	uint32_t r;

	for (int tries = 0;; tries++) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			return setup_fail("getrandom");
		snprintf(st->id, sizeof(st->id), "%08" PRIx32, r);
		if (mkdirat(containers, st->id, 0700) == 0)
			break;
		if (errno != EEXIST || tries == 8)
			return setup_fail("mkdir %s/%s/%s", STATE_ROOT, CONTAINERS, st->id);
	}
	snprintf(st->dir, sizeof(st->dir), "%s/%s/%s", STATE_ROOT, CONTAINERS, st->id);
	st->made = true;
	/* Group: the container's root may pass through (0710), no one else. */
	if (fchownat(containers, st->id, 0, layer_owner, AT_SYMLINK_NOFOLLOW) == -1 ||
	    fchmodat(containers, st->id, 0710, 0) == -1)
		return setup_fail("chown/chmod %s", st->dir);
	return open_own_dir(containers, st->id, 0710);
}

int state_create(struct state *st, const struct claims *mine, uid_t layer_owner)
{
	int containers = open(STATE_ROOT "/" CONTAINERS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int dirfd, lock, ret = -1;

	if (containers == -1)
		return setup_fail("open %s/%s", STATE_ROOT, CONTAINERS);
	dirfd = make_own_dir(st, containers, layer_owner);
	if (dirfd == -1)
		goto out;
	lock = openat(dirfd, "lock", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock == -1 || flock(lock, LOCK_EX | LOCK_NB) == -1) {
		setup_fail("lock %s/lock", st->dir);
		if (lock != -1)
			close(lock);
		close(dirfd);
		goto out;
	}
	st->lock = lock;
	if (write_claims(dirfd, mine) == 0 &&
	    make_subdir(dirfd, "upper", layer_owner, 0755) == 0 &&
	    make_subdir(dirfd, "work", layer_owner, 0755) == 0 &&
	    make_subdir(dirfd, "lower", 0, 0755) == 0 &&
	    make_subdir(dirfd, "merged", 0, 0755) == 0)
		ret = 0;
	close(dirfd);
out:
	close(containers);
	state_unlock(st);
	return ret;
}

/* Remove everything in the directory dirfd but its lock. */
static int remove_all_but_lock(int dirfd, const char *id)
{
	DIR *dir = fdopendir(dup(dirfd));
	struct dirent *e;
	int ret = 0;

	if (dir == NULL)
		return setup_fail("opendir %s", id);
	while (ret == 0 && (e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
		    strcmp(e->d_name, "lock") != 0 && unlinkat(dirfd, e->d_name, 0) == -1)
			ret = remove_tree(dirfd, e->d_name);
	closedir(dir);
	return ret;
}

/* The layer and the rest go while we hold our lock, so that no other run
 * takes us for dead; the lock and the directory go last, under STATE_ROOT's
 * lock, so that no other run ever sees the directory without its lock (which
 * it would take for one a dead runtime left half-made). */
int state_remove(struct state *st)
{
	int containers, dirfd, ret = 0;

	if (st->made) {
		containers = open(STATE_ROOT "/" CONTAINERS, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (containers == -1)
			return setup_fail("open %s/%s", STATE_ROOT, CONTAINERS);
		dirfd = openat(containers, st->id, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dirfd == -1)
			ret = setup_fail("open %s", st->dir);
		else if ((ret = remove_all_but_lock(dirfd, st->id)) == 0)
			ret = take_root_lock(st);
		if (ret == 0 && ((unlinkat(dirfd, "lock", 0) == -1 && errno != ENOENT) ||
				 unlinkat(containers, st->id, AT_REMOVEDIR) == -1))
			ret = setup_fail("remove %s", st->dir);
		if (ret == 0)
			st->made = false;
		if (dirfd != -1)
			close(dirfd);
		close(containers);
	}
	if (st->lock != -1)
		close(st->lock);
	st->lock = -1;
	state_unlock(st);
	return ret;
}

void free_claims(struct claim_list *list)
{
	free(list->items);
	*list = (struct claim_list){ 0 };
}
