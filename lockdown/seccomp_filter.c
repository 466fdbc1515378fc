/* seccomp_filter.c: the container's default seccomp filter; see seccomp_filter.h. */
#include "seccomp_filter.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>

#include "../basic_container/setup_error.h"

/* Calls that fail with EPERM whatever their arguments. */
static const int denied[] = {
	SCMP_SYS(keyctl), SCMP_SYS(add_key), SCMP_SYS(request_key),
	SCMP_SYS(bpf), SCMP_SYS(perf_event_open),
	SCMP_SYS(kexec_load), SCMP_SYS(kexec_file_load),
	SCMP_SYS(open_by_handle_at),
	SCMP_SYS(init_module), SCMP_SYS(finit_module), SCMP_SYS(delete_module),
	SCMP_SYS(swapon), SCMP_SYS(swapoff), SCMP_SYS(reboot), SCMP_SYS(acct),
	SCMP_SYS(settimeofday), SCMP_SYS(clock_settime), SCMP_SYS(clock_adjtime),
	SCMP_SYS(adjtimex), SCMP_SYS(userfaultfd),
	/* io_uring runs a process's I/O in kernel threads that seccomp never
	 * sees, and its own history of escapes: Docker refuses it too. */
	SCMP_SYS(io_uring_setup), SCMP_SYS(io_uring_enter), SCMP_SYS(io_uring_register),
};

/* The argument that holds clone()'s flags: the first, except on s390, whose
 * clone takes the stack first (clone(2), NOTES). */
#if defined(__s390__) || defined(__s390x__)
#define CLONE_FLAGS_ARG 1
#else
#define CLONE_FLAGS_ARG 0
#endif

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, unsigned n_args,
		    struct scmp_arg_cmp arg)
{
	int rc = n_args == 0 ? seccomp_rule_add(ctx, action, nr, 0)
			     : seccomp_rule_add(ctx, action, nr, 1, arg);

	if (rc < 0) {
		char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		errno = -rc; /* libseccomp returns -errno */
		setup_fail("seccomp_rule_add(%s)", name != NULL ? name : "?");
		free(name);
		return -1;
	}
	return 0;
}

/* Every rule of the filter; see seccomp_filter.h for why each. */
static int add_rules(scmp_filter_ctx ctx)
{
	const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);
	/* "flags & CLONE_NEWUSER == CLONE_NEWUSER", on the flags argument. */
	const struct scmp_arg_cmp clone_newuser =
		SCMP_CMP64(CLONE_FLAGS_ARG, SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
	const struct scmp_arg_cmp unshare_newuser =
		SCMP_A0_64(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
	/* ioctl(2)'s request is an unsigned int in the kernel, which ignores
	 * the upper 32 bits of the 64-bit register: compare only the lower
	 * ones, or TIOCSTI | 1 << 32 would pass the filter and still reach the
	 * terminal (flatpak's CVE-2019-10063). */
	const struct scmp_arg_cmp tiocsti = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCSTI);
	const struct scmp_arg_cmp tioclinux = SCMP_A1_64(SCMP_CMP_MASKED_EQ, 0xffffffffu, TIOCLINUX);
	const struct scmp_arg_cmp none = { 0 };

	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		if (add_rule(ctx, eperm, denied[i], 0, none) == -1)
			return -1;
	if (add_rule(ctx, eperm, SCMP_SYS(clone), 1, clone_newuser) == -1 ||
	    add_rule(ctx, eperm, SCMP_SYS(unshare), 1, unshare_newuser) == -1 ||
	    add_rule(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0, none) == -1 ||
	    add_rule(ctx, eperm, SCMP_SYS(ioctl), 1, tiocsti) == -1 ||
	    add_rule(ctx, eperm, SCMP_SYS(ioctl), 1, tioclinux) == -1)
		return -1;
	return 0;
}

static int set_attr(scmp_filter_ctx ctx, enum scmp_filter_attr attr, uint32_t value,
		    const char *what)
{
	int rc = seccomp_attr_set(ctx, attr, value);

	if (rc < 0) {
		errno = -rc;
		return setup_fail("seccomp_attr_set(%s)", what);
	}
	return 0;
}

/* How the filter behaves beyond its rules. */
static int set_attributes(scmp_filter_ctx ctx)
{
	/* seccomp_init() lists the native architecture only; a call made
	 * through another ABI gets this action. x32 shares x86-64's audit
	 * architecture but numbers its calls from 0x40000000: libseccomp
	 * sends those here too. */
	if (set_attr(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS, "bad arch: kill") == -1)
		return -1;
	/* libseccomp would set no_new_privs itself before loading; whether
	 * to set it is the caller's choice (set_no_new_privs()). */
	if (set_attr(ctx, SCMP_FLTATR_CTL_NNP, 0, "no_new_privs: off") == -1)
		return -1;
	/* The kernel's own errno from seccomp_load() (EACCES), instead of
	 * libseccomp 2.5's ECANCELED for every kernel error. */
	return set_attr(ctx, SCMP_FLTATR_API_SYSRAWRC, 1, "raw return codes");
}

int seccomp_load_default(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (ctx == NULL)
		return setup_fail_msg("seccomp_init failed (out of memory?)");
	rc = set_attributes(ctx);
	if (rc == 0)
		rc = add_rules(ctx);
	if (rc == 0) {
		rc = seccomp_load(ctx);
		if (rc < 0) {
			errno = -rc;
			rc = setup_fail("load the seccomp filter (seccomp SECCOMP_SET_MODE_FILTER; "
					"needs CAP_SYS_ADMIN or no_new_privs)");
		}
	}
	seccomp_release(ctx);
	return rc;
}

int set_no_new_privs(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		return setup_fail("prctl(PR_SET_NO_NEW_PRIVS, 1)");
	return 0;
}
