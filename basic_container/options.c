/* options.c: basic_container's command line; see options.h. */
#include "options.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "../lockdown/capabilities.h"
#include "common.h"

static const char usage_text[] =
	"[options] IP|none CMD [ARG...]\n"
	"Run CMD in a container: new user, PID, mount, UTS, IPC, network and\n"
	"cgroup namespaces, pivot_root into a root filesystem, a veth on a bridge.\n"
	"\n"
	"  IP         the container's IPv4 address, in the bridge's subnet\n"
	"             (e.g. 10.240.0.2); none: no network but loopback\n"
	"  -r DIR     the image: a root filesystem (default ./rootfs), never\n"
	"             written: the container writes into a layer of its own\n"
	"  -w         write straight into the image instead (no layer)\n"
	"  -v HOST_DIR:DIR[:ro]\n"
	"             mount HOST_DIR on DIR in the container (repeatable); its\n"
	"             files keep their owners, and the container's root is\n"
	"             root over them: share only what you would give to root\n"
	"  -U BASE    map the container's IDs 0-65535 to host IDs BASE...\n"
	"             (default: a free range from 524288 on, as root)\n"
	"  -U one     map the container's root to the caller alone (the seed's\n"
	"             map: under sudo the container's root is the host's)\n"
	"  -H NAME    hostname (default inside_container)\n"
	"  -b NAME    bridge (default cni0)\n"
	"  -m SIZE    memory limit, swap off (e.g. 64M)\n"
	"  -p N       at most N processes\n"
	"  -c CPUS    CPU time, in CPUs (e.g. 0.5)\n"
	"  -q         quiet: print only CMD's own output\n"
	"  -e NAME=VALUE\n"
	"             set NAME in CMD's environment (repeatable); it starts with\n"
	"             PATH, HOSTNAME, HOME=/root, TERM at a terminal and\n"
	"             container=basic_container, nothing of the caller's\n"
	"             (with -P: the caller's, and -e over it)\n"
	"  -I, --init run a small init of ours as PID 1, which passes every\n"
	"             signal on to CMD, reaps orphans and exits with CMD's status\n"
	"\n"
	"The lockdown (step 5), on unless -P: Docker's 14 capabilities, a\n"
	"seccomp filter, masked and read-only /proc and /sys, a session and a\n"
	"terminal of its own, device nodes of /dev only, a new keyring.\n"
	"  -a CAP     keep capability CAP too (e.g. NET_ADMIN; ALL)\n"
	"  -d CAP     drop capability CAP (e.g. NET_RAW; ALL)\n"
	"  -N         no new privileges: setuid and file capabilities give\n"
	"             nothing (prctl PR_SET_NO_NEW_PRIVS)\n"
	"  -P         lockdown off: the container as step 4 made it\n"
	"  -h         this help\n"
	"\n"
	"As a plain user: the caller's own ID (and its /etc/subuid range with\n"
	"newuidmap), no bridge, no limits, and the image is written to.\n"
	"State while it runs: " STATE_ROOT "/containers/ID.\n"
	"\n"
	"Signals that would end the runtime go on to the container's PID 1,\n"
	"which, as the init of its PID namespace, ignores those it has no\n"
	"handler for (see -I).\n"
	"\n"
	"Exit status: CMD's; 125 when the container could not be set up,\n"
	"126 when CMD cannot be executed, 127 when it is not found,\n"
	"128+N when it was killed by signal N.\n";

/* -U BASE or -U one. */
static void parse_id_choice(const char *arg, struct id_map *ids)
{
	if (strcmp(arg, "one") == 0) {
		ids->choice = IDS_ONE;
		return;
	}
	ids->choice = IDS_BASE;
	ids->base = (uint32_t)parse_long_or_die(arg, 1, 0xffffffffL - ID_RANGE_SIZE,
						"host ID base (-U BASE, or -U one)");
}

/* -a CAP or -d CAP. */
static void change_capability(uint64_t *set, const char *name, bool add)
{
	if (caps_change(set, name, add) == -1)
		fatal("unknown capability '%s' (e.g. NET_ADMIN, CAP_SYS_TIME, ALL)", name);
}

/* -e NAME=VALUE */
static void add_env(struct options *o, const char *setting)
{
	const char *eq = strchr(setting, '=');

	if (eq == NULL || eq == setting)
		fatal("-e %s: expected NAME=VALUE", setting);
	if (o->nenv == MAX_ENV)
		fatal("at most %d variables (-e)", MAX_ENV);
	o->env[o->nenv++] = setting;
}

void parse_options(int argc, char *argv[], struct options *o)
{
	static const struct option long_options[] = {
		{ "init", no_argument, NULL, 'I' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	*o = (struct options){ .rootfs = "./rootfs", .hostname = "inside_container",
			       .bridge = "cni0", .capabilities = caps_default() };
	opterr = 0;     /* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, "+r:wv:U:H:b:m:p:c:e:Ia:d:NPqh", long_options, NULL)) != -1) {
		switch (opt) {
		case 'r': o->rootfs = optarg; break;
		case 'w': o->write_through = true; break;
		case 'v':
			if (o->nvolumes == MAX_VOLUMES)
				fatal("at most %d volumes (-v)", MAX_VOLUMES);
			parse_volume(optarg, &o->volumes[o->nvolumes++]);
			break;
		case 'U': parse_id_choice(optarg, &o->ids); break;
		case 'H': o->hostname = optarg; break;
		case 'b': o->bridge = optarg; break;
		case 'q': o->quiet = true; break;
		case 'e': add_env(o, optarg); break;
		case 'I': o->init = true; break;
		case 'a': change_capability(&o->capabilities, optarg, true); break;
		case 'd': change_capability(&o->capabilities, optarg, false); break;
		case 'N': o->no_new_privs = true; break;
		case 'P': o->unlocked = true; break;
		case 'h': usage_exit(0, usage_text);
		case 'm': o->memory = optarg; /* fall through */
		case 'p': case 'c': cgroup_parse_limit(opt, optarg, &o->limits); break;
		case '?':
			if (optopt == 0)
				fatal("unknown option %s (see -h)", argv[optind - 1]);
			if (strchr("rvUHbmpcead", optopt) != NULL)
				fatal("option -%c needs an argument (see -h)", optopt);
			fatal("unknown option -%c (see -h)", optopt);
		}
	}
	if (argc - optind < 2)
		fatal("usage: %s [options] IP|none CMD [ARG...] (see -h)",
		      program_invocation_short_name);
	if (strcmp(argv[optind], "none") != 0) {
		if (inet_pton(AF_INET, argv[optind], &o->ip) != 1)
			fatal("invalid IP address '%s' (e.g. 10.240.0.2, or none)", argv[optind]);
		o->networked = true;
	}
	if (strlen(o->hostname) > HOST_NAME_MAX)
		fatal("hostname '%s' is longer than %d characters", o->hostname, HOST_NAME_MAX);
	o->command = &argv[optind + 1];
}

