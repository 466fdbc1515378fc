/* options.h: basic_container's command line; see -h. */
#ifndef OPTIONS_H
#define OPTIONS_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "../cgroup/cgroup.h"
#include "idmap.h"
#include "image.h"

#define MAX_VOLUMES 32
#define MAX_ENV 64

struct options {
	const char *rootfs;
	bool write_through;            /* -w: no layer */
	struct volume volumes[MAX_VOLUMES];
	int nvolumes;
	struct id_map ids;             /* -U: .choice and, for IDS_BASE, .base */
	const char *hostname;
	const char *bridge;
	const char *memory;            /* -m as given, for messages */
	struct cgroup_limits limits;
	bool quiet;
	bool init;                     /* -I: our init is PID 1 */
	bool unlocked;                 /* -P: no lockdown */
	bool no_new_privs;             /* -N */
	uint64_t capabilities;         /* the bounding set: caps_default() +-a -d */
	const char *env[MAX_ENV];      /* -e NAME=VALUE, in order */
	int nenv;
	bool networked;                /* an IP was given, not "none" */
	struct in_addr ip;
	char **command;
};

/* Parse the command line into o, or exit: 0 after printing the usage for
 * -h, 125 with one line saying what is wrong. */
void parse_options(int argc, char *argv[], struct options *o);

#endif
