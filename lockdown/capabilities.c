/* capabilities.c: cut the container's capabilities; see capabilities.h. */
#include "capabilities.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/capability.h>

#include "../basic_container/setup_error.h"

static uint64_t bit(cap_value_t cap)
{
	return UINT64_C(1) << cap;
}

/* The capabilities this kernel has: 0 .. cap_max_bits()-1 (libcap reads the
 * kernel's count, /proc/sys/kernel/cap_last_cap + 1, when it starts). */
static int kernel_caps(void)
{
	int n = (int)cap_max_bits();

	return n > 64 ? 64 : n;
}

uint64_t caps_default(void)
{
	static const cap_value_t docker[] = {
		CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD,
		CAP_NET_RAW, CAP_SETGID, CAP_SETUID, CAP_SETFCAP, CAP_SETPCAP,
		CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE,
	};
	uint64_t set = 0;

	for (size_t i = 0; i < sizeof(docker) / sizeof(docker[0]); i++)
		set |= bit(docker[i]);
	return set;
}

/* NAME as a capability number, or -1. libcap's cap_from_name() wants the
 * "cap_" prefix (any case) and also takes plain numbers: we add the prefix
 * and refuse anything but letters and underscores. */
static cap_value_t cap_by_name(const char *name)
{
	char full[64];
	cap_value_t cap;

	if (name[0] == '\0' || strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "abcdefghijklmnopqrstuvwxyz_") != strlen(name))
		return -1;
	if ((size_t)snprintf(full, sizeof(full), "%s%s",
			     strncasecmp(name, "cap_", 4) == 0 ? "" : "cap_", name) >= sizeof(full))
		return -1;
	if (cap_from_name(full, &cap) == -1 || cap >= kernel_caps())
		return -1;
	return cap;
}

int caps_change(uint64_t *set, const char *name, bool add)
{
	uint64_t change;
	cap_value_t cap;

	if (strcasecmp(name, "ALL") == 0) {
		int n = kernel_caps();

		change = n == 64 ? UINT64_MAX : bit(n) - 1;
	} else {
		cap = cap_by_name(name);
		if (cap == -1)
			return -1;
		change = bit(cap);
	}
	if (add)
		*set |= change;
	else
		*set &= ~change;
	return 0;
}

/* Drop from the bounding set every capability not in SET. Each drop is
 * prctl(PR_CAPBSET_DROP) (prctl(2)), allowed with CAP_SETPCAP; dropping one
 * that is already gone succeeds. */
static int cut_bounding_set(uint64_t set)
{
	for (cap_value_t cap = 0; cap < kernel_caps(); cap++) {
		if (set & bit(cap))
			continue;
		if (cap_drop_bound(cap) == -1) {
			char *name = cap_to_name(cap);

			setup_fail("drop %s from the bounding set (prctl PR_CAPBSET_DROP)",
				   name != NULL ? name : "a capability");
			cap_free(name);
			return -1;
		}
	}
	return 0;
}

/* permitted = effective = SET, inheritable = {}: one capset(2). Capabilities
 * can only be given up here, so this comes last, after the drops that
 * needed CAP_SETPCAP. */
static int set_process_caps(uint64_t set)
{
	cap_t caps = cap_init(); /* all three sets empty */
	int rc = 0;

	if (caps == NULL)
		return setup_fail("cap_init");
	for (cap_value_t cap = 0; cap < kernel_caps() && rc == 0; cap++) {
		if (!(set & bit(cap)))
			continue;
		if (cap_set_flag(caps, CAP_PERMITTED, 1, &cap, CAP_SET) == -1 ||
		    cap_set_flag(caps, CAP_EFFECTIVE, 1, &cap, CAP_SET) == -1)
			rc = setup_fail("cap_set_flag(%d)", cap);
	}
	if (rc == 0 && cap_set_proc(caps) == -1)
		rc = setup_fail("set permitted and effective capabilities (capset)");
	cap_free(caps);
	return rc;
}

int caps_apply(uint64_t set)
{
	if (cut_bounding_set(set) == -1)
		return -1;
	/* prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL): nothing passes to a
	 * non-root command through execve(). */
	if (cap_reset_ambient() == -1)
		return setup_fail("clear the ambient capabilities (prctl PR_CAP_AMBIENT_CLEAR_ALL)");
	return set_process_caps(set);
}
