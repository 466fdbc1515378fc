/* state.h: what the runtime keeps on the host while a container runs.
 *
 * Each container owns one directory, STATE_ROOT/containers/ID (ID: eight
 * random hex digits, never a PID, which the kernel reuses):
 *
 *	lock      flock(2)ed by the runtime for the container's whole life
 *	claims    what it holds that no other container may share: its host ID
 *	          range and its address on its network namespace's bridge
 *	cgroups   its cgroups' directories, one a line
 *	upper/    its layer: everything the container writes (an overlay)
 *	work/     the overlay's scratch directory
 *	lower/    mount points, used only inside the container's own mount
 *	merged/   namespace: the host never sees a mount of ours
 *
 * The kernel drops a flock when its holder dies, even of SIGKILL. So a
 * directory whose lock is free belongs to a runtime that died: the next run
 * removes it, after a callback has removed what else that container left (its
 * cgroups). One lock over the whole of STATE_ROOT (STATE_ROOT/lock) makes
 * "clean up the dead, read the living's claims, make my directory, write my
 * claims" one step that concurrent runtimes take one at a time.
 *
 * Functions return 0, or -1 with a message recorded through setup_fail().
 */
#ifndef STATE_H
#define STATE_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define STATE_ROOT "/var/lib/basic_container"
#define STATE_ID_LEN 8

/* What a container holds exclusively. A field of 0 claims nothing. */
struct claims {
	uint32_t id_base;       /* host IDs id_base .. id_base + id_count - 1 */
	uint32_t id_count;
	uint64_t netns;         /* the runtime's network namespace (inode) ... */
	uint32_t address;       /* ... and the container's IPv4 address there */
};

/* The claims of every living container, as state_lock_and_clean() found
 * them. */
struct claim_list {
	struct claims *items;
	size_t count;
};

struct state {
	char id[STATE_ID_LEN + 1];
	char dir[PATH_MAX];     /* STATE_ROOT/containers/ID */
	int root_lock;          /* STATE_ROOT/lock while held, else -1 */
	int lock;               /* our own lock, held for our life, else -1 */
	bool made;              /* dir exists and is ours to remove */
};

/* Called for each dead container, with its directory (open) and its ID,
 * before the directory goes: removes what else it left. Returns 0 when
 * nothing of it is left, or -1: then something of it may still run, and its
 * directory and claims stay until a later run. */
typedef int (*leftover_remover)(int dir, const char *id);

/* Take STATE_ROOT's lock (waiting for another runtime that holds it), remove
 * every dead container (remove_leftovers first), and list the living's
 * claims in *living (free with free_claims()). */
int state_lock_and_clean(struct state *st, leftover_remover remove_leftovers,
			 struct claim_list *living);

/* With STATE_ROOT locked: make our directory, lock it, and write our claims;
 * then let go of STATE_ROOT's lock. layer_owner (the host uid and gid of the
 * container's root) owns upper/ and work/ and may enter the directory. */
int state_create(struct state *st, const struct claims *mine, uid_t layer_owner);

/* Let go of STATE_ROOT's lock without making a directory (a failed start). */
void state_unlock(struct state *st);

/* Write text to STATE_ROOT/containers/ID/NAME, made or replaced whole. */
int state_write(const struct state *st, const char *name, const char *text);

/* STATE_ROOT/containers/ID/NAME */
int state_path(const struct state *st, const char *name, char *path, size_t size);

/* Remove our directory (the layer with it) and drop our lock. Returns 0, or
 * -1 with a message: what is left, the next run removes. */
int state_remove(struct state *st);

void free_claims(struct claim_list *list);

#endif
