/* devices.c: the device allowlist, on cgroup v1 and v2; see devices.h. */
#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../basic_container/setup_error.h"
#include "common.h"

#define ANY (-1) /* any major or minor number: "*" */

struct device_rule {
	char type;          /* 'c' character, 'b' block */
	int major, minor;   /* or ANY */
	const char *access; /* some of "rwm" */
};

static const struct device_rule allowed[] = {
	{ 'c', ANY, ANY, "m" }, /* mknod of any node, opening none */
	{ 'b', ANY, ANY, "m" },
	{ 'c', 1, 3, "rwm" },   /* /dev/null */
	{ 'c', 1, 5, "rwm" },   /* /dev/zero */
	{ 'c', 1, 7, "rwm" },   /* /dev/full */
	{ 'c', 1, 8, "rwm" },   /* /dev/random */
	{ 'c', 1, 9, "rwm" },   /* /dev/urandom */
	{ 'c', 5, 0, "rwm" },   /* /dev/tty */
	{ 'c', 5, 1, "rwm" },   /* /dev/console */
	{ 'c', 5, 2, "rwm" },   /* /dev/ptmx */
	{ 'c', 136, ANY, "rwm" }, /* /dev/pts/N */
};

#define N_RULES (sizeof(allowed) / sizeof(allowed[0]))

/* --- cgroup v1: devices.deny and devices.allow ---------------------------- */

/* "c 1:3 rwm", "c 136:* rwm" */
static void format_rule(const struct device_rule *r, char *buf, size_t size)
{
	char major[16] = "*", minor[16] = "*";

	if (r->major != ANY)
		snprintf(major, sizeof(major), "%d", r->major);
	if (r->minor != ANY)
		snprintf(minor, sizeof(minor), "%d", r->minor);
	snprintf(buf, size, "%c %s:%s %s", r->type, major, minor, r->access);
}

static int restrict_v1(const char *dir)
{
	char path[4096], line[64];

	snprintf(path, sizeof(path), "%s/devices.deny", dir);
	if (write_file(path, "a") == -1)
		return setup_fail("write \"a\" to %s", path);
	snprintf(path, sizeof(path), "%s/devices.allow", dir);
	for (size_t i = 0; i < N_RULES; i++) {
		format_rule(&allowed[i], line, sizeof(line));
		if (write_file(path, line) == -1)
			return setup_fail("write \"%s\" to %s", line, path);
	}
	return 0;
}

/* --- cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program ----------------------
 *
 * The kernel calls the program with register r1 pointing to a struct
 * bpf_cgroup_dev_ctx { u32 access_type, major, minor } and takes r0 at exit
 * as the answer: 1 allow, 0 deny. access_type holds the device type in its
 * low 16 bits (BPF_DEVCG_DEV_BLOCK 1, BPF_DEVCG_DEV_CHAR 2) and the access
 * asked for in its high 16 (BPF_DEVCG_ACC_MKNOD 1, READ 2, WRITE 4). The
 * program, in C:
 *
 *	type = ctx->access_type & 0xffff;     r2
 *	access = ctx->access_type >> 16;      r3
 *	major = ctx->major;                   r4
 *	minor = ctx->minor;                   r5
 *	for each rule:    (unrolled: one block of instructions each)
 *		if (type == rule.type && (access & ~rule.access) == 0 &&
 *		    (rule.major == ANY || major == rule.major) &&
 *		    (rule.minor == ANY || minor == rule.minor))
 *			return 1;
 *	return 0;
 *
 * Each "if" is a conditional jump over the rest of the rule's block, to the
 * next rule. A jump's offset counts instructions after the jump itself.
 */

/* the context loads, at most eight instructions per rule, "return 0" */
#define MAX_INSNS (6 + 8 * N_RULES + 2)

struct program {
	struct bpf_insn insn[MAX_INSNS];
	unsigned len;
};

static void emit(struct program *p, struct bpf_insn insn)
{
	p->insn[p->len++] = insn;
}

/* dst = *(u32 *)(r1 + off): a field of the context. */
static struct bpf_insn load_ctx_field(int dst, size_t off)
{
	return (struct bpf_insn){ .code = BPF_LDX | BPF_W | BPF_MEM,
				  .dst_reg = dst, .src_reg = BPF_REG_1, .off = (short)off };
}

/* dst = (u32)dst OP imm: 32-bit arithmetic (and, shift) with a constant. */
static struct bpf_insn alu32_imm(int op, int dst, int32_t imm)
{
	return (struct bpf_insn){ .code = BPF_ALU | op | BPF_K, .dst_reg = dst, .imm = imm };
}

/* dst = (u32)src */
static struct bpf_insn mov32_reg(int dst, int src)
{
	return (struct bpf_insn){ .code = BPF_ALU | BPF_MOV | BPF_X, .dst_reg = dst, .src_reg = src };
}

/* if (dst != imm) jump; the offset is set by emit_rule(). */
static struct bpf_insn jump_if_not(int dst, int32_t imm)
{
	return (struct bpf_insn){ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = dst, .imm = imm };
}

/* r0 = VALUE (the answer) */
static struct bpf_insn set_answer(int32_t value)
{
	return (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
				  .imm = value };
}

static struct bpf_insn exit_insn(void)
{
	return (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
}

static int32_t bpf_type(char type)
{
	return type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
}

static int32_t bpf_access(const char *access)
{
	return (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
	       (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0) |
	       (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0);
}

/* One rule's block: its tests, each jumping past the block (to the next
 * rule) when it fails, then "return 1". */
static void emit_rule(struct program *p, const struct device_rule *r)
{
	struct bpf_insn block[8];
	unsigned n = 0;

	/* type: if (r2 != rule.type) next rule */
	block[n++] = jump_if_not(BPF_REG_2, bpf_type(r->type));
	/* access: r0 = r3 & ~rule.access; if (r0 != 0) next rule. A request
	 * may ask for less than the rule gives, never for more. */
	block[n++] = mov32_reg(BPF_REG_0, BPF_REG_3);
	block[n++] = alu32_imm(BPF_AND, BPF_REG_0, ~bpf_access(r->access));
	block[n++] = jump_if_not(BPF_REG_0, 0);
	/* numbers: if (r4 != rule.major) next rule; the same for the minor */
	if (r->major != ANY)
		block[n++] = jump_if_not(BPF_REG_4, r->major);
	if (r->minor != ANY)
		block[n++] = jump_if_not(BPF_REG_5, r->minor);
	/* all tests passed: return 1 */
	block[n++] = set_answer(1);
	block[n++] = exit_insn();
	/* A jump's offset counts the instructions it skips after itself: to
	 * the end of the block. */
	for (unsigned i = 0; i < n; i++) {
		if (block[i].code == (BPF_JMP | BPF_JNE | BPF_K))
			block[i].off = (short)(n - i - 1);
		emit(p, block[i]);
	}
}

static void build_program(struct program *p)
{
	p->len = 0;
	/* r2 = type, r3 = access, r4 = major, r5 = minor (see above) */
	emit(p, load_ctx_field(BPF_REG_2, offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	emit(p, alu32_imm(BPF_AND, BPF_REG_2, 0xffff));
	emit(p, load_ctx_field(BPF_REG_3, offsetof(struct bpf_cgroup_dev_ctx, access_type)));
	emit(p, alu32_imm(BPF_RSH, BPF_REG_3, 16));
	emit(p, load_ctx_field(BPF_REG_4, offsetof(struct bpf_cgroup_dev_ctx, major)));
	emit(p, load_ctx_field(BPF_REG_5, offsetof(struct bpf_cgroup_dev_ctx, minor)));
	for (size_t i = 0; i < N_RULES; i++)
		emit_rule(p, &allowed[i]);
	/* no rule matched: return 0 */
	emit(p, set_answer(0));
	emit(p, exit_insn());
}

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

/* Load the program into the kernel; its file descriptor, or -1. The kernel's
 * verifier checks it first (every path ends in exit, r0 set, no read outside
 * the context). Since Linux 5.11 the program's memory is charged to the
 * memory cgroup, not to RLIMIT_MEMLOCK. */
static int load_program(const struct program *p, const char *dir)
{
	static const char license[] = "GPL"; /* calls no helper: any license would do */
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)p->insn;
	attr.insn_cnt = p->len;
	attr.license = (uint64_t)(uintptr_t)license;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd == -1 && (errno == ENOSYS || errno == EINVAL))
		return setup_fail("cannot restrict devices of %s on cgroup v2: this kernel refuses "
				  "a BPF_PROG_TYPE_CGROUP_DEVICE program (no CONFIG_CGROUP_BPF?); "
				  "bpf(BPF_PROG_LOAD)", dir);
	if (fd == -1)
		return setup_fail("load the device program for %s (bpf BPF_PROG_LOAD)", dir);
	return fd;
}

static int restrict_v2(const char *dir)
{
	struct program prog;
	union bpf_attr attr;
	int dir_fd, prog_fd, rc = 0;

	build_program(&prog);
	dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir_fd == -1)
		return setup_fail("open cgroup %s", dir);
	prog_fd = load_program(&prog, dir);
	if (prog_fd == -1) {
		close(dir_fd);
		return -1;
	}
	/* BPF_F_ALLOW_MULTI: run beside the programs of parent cgroups, all of
	 * which must allow. The attachment holds the program; it goes away
	 * with the cgroup, so our descriptor can be closed. */
	memset(&attr, 0, sizeof(attr));
	attr.target_fd = dir_fd;
	attr.attach_bpf_fd = prog_fd;
	attr.attach_type = BPF_CGROUP_DEVICE;
	attr.attach_flags = BPF_F_ALLOW_MULTI;
	if (sys_bpf(BPF_PROG_ATTACH, &attr) == -1)
		rc = setup_fail("attach the device program to %s (bpf BPF_PROG_ATTACH)", dir);
	close(prog_fd);
	close(dir_fd);
	return rc;
}

int devices_restrict(const char *dir, int cgroup_version)
{
	if (cgroup_version == 1)
		return restrict_v1(dir);
	if (cgroup_version == 2)
		return restrict_v2(dir);
	return setup_fail_msg("devices_restrict: cgroup version %d is neither 1 nor 2", cgroup_version);
}
