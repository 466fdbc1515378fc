/* idmap.h: who the container's users are on the host.
 *
 * A user namespace maps IDs inside to IDs outside, in the files
 * /proc/PID/uid_map and gid_map: lines "INSIDE OUTSIDE COUNT"
 * (user_namespaces(7)). The seed maps one ID, "0 CALLER 1": under sudo the
 * container's root is the host's root in every check the kernel makes on
 * files, and an image's other users (apt's _apt, www-data, nobody) have no
 * ID at all. As root we map a range instead, "0 BASE 65536", with BASE
 * chosen so that those 65536 host IDs belong to no host user and to no other
 * running container (as systemd-nspawn --private-users=pick does): root
 * inside is nobody outside.
 *
 * Functions return 0, or -1 with a message recorded through setup_fail().
 */
#ifndef IDMAP_H
#define IDMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "state.h"

#define ID_RANGE_SIZE 65536u
#define ID_RANGE_FIRST 524288u  /* 0x80000, where systemd-nspawn starts too */

enum id_choice {
	IDS_PICK,       /* root: a free range of 65536 (the default) */
	IDS_BASE,       /* root: the range starting at a base the user chose */
	IDS_ONE,        /* the seed's map: the caller's own ID alone */
};

struct id_map {
	enum id_choice choice;
	uint32_t base;          /* the host ID of the container's ID 0 */
	uint32_t count;         /* how many IDs from base: 65536, or 1 */
	uint32_t sub_uid;       /* rootless with newuidmap: container IDs */
	uint32_t sub_gid;       /* 1..sub_count are the caller's subordinate */
	uint32_t sub_count;     /* IDs from sub_uid (users), sub_gid (groups) */
	bool setgroups;         /* may the container call setgroups(2)? */
};

/* Decide the map before the container exists. Root: IDS_PICK takes the
 * first free range above ID_RANGE_FIRST that no user or group of
 * /etc/passwd, /etc/group, /etc/subuid and /etc/subgid and no living
 * container holds; IDS_BASE checks the chosen one against the living. A
 * plain user: the caller's ID, plus its range from /etc/subuid and
 * /etc/subgid when newuidmap and newgidmap are installed. */
int plan_id_map(struct id_map *m, const struct claim_list *living);

/* Write the maps of process pid (in its new user namespace). */
int write_id_maps(pid_t pid, const struct id_map *m);

#endif
