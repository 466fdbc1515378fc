#!/usr/bin/env bats
# Step 5, lock it down: each wall of the lockdown tried from inside, with the
# escape probe (lockdown/escape_probe) and with plain reads of /proc; and -P,
# which takes the lockdown away, to show what each wall stops.
# shellcheck disable=SC2030,SC2031  # variables live in each test's own subshell

load helpers
bats_require_minimum_version 1.5.0

# Docker's fourteen capabilities as /proc/PID/status shows a set:
# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE
# NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP.
DOCKER_CAPS=00000000a80425fb

setup_file() {
	require_root
	new_test_rootfs lockdown
	# A block node in the image: the host's loop0 (b 7 0), as a tarball
	# from the internet might bring one.
	mknod "$ROOTFS_DIR/rootfs/blk" b 7 0
}

teardown_file() {
	remove_test_rootfs
}

setup() {
	require_root
}

container() {
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$@"
}

# The escape probe in a container made with "$@" (options), in a session
# keyring of its own that holds the key rv:secret, told to ptrace the
# test's own PID (a process of the host the container cannot see).
probe_in() {
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	keyctl session - bash -c '
		keyctl add user rv:secret hunter2 @s >/dev/null
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$@" none /escape_probe -k rv:secret -b /blk -p "$PPID"
	' probe "$@"
}

# One line of /proc/self/status in the container: "Name: VALUE" -> VALUE.
status_line() {
	local name=$1
	shift
	container "$@" none sh -c "grep '^$name:' /proc/self/status" | awk '{ print $2 }'
}

@test "in a locked container the escape probe finds every way out blocked" {
	run probe_in
	assert_success
	refute_output --partial ESCAPED
	assert_line "blocked session_key (EPERM)"
	assert_line --regexp '^blocked block_node_rw \(E(ACCES|PERM)\)$'
	assert_line --regexp '^blocked ptrace \((ESRCH|EPERM)\)$'
	assert_line "blocked unshare_newuser (EPERM)"
	assert_line "blocked clone3_newuser (ENOSYS)"
	assert_line "blocked x32_unshare_newuser (SIGSYS)"
}

@test "with -P the probe finds the holes the lockdown closes" {
	run probe_in -P
	assert_failure 1
	assert_line "ESCAPED session_key"
	assert_line "ESCAPED unshare_newuser"
	assert_line "ESCAPED clone_newuser"
	# Step 4's walls hold without the lockdown: the ID range, nodev.
	assert_line --regexp '^blocked core_pattern \(E(ACCES|ROFS)\)$'
	assert_line --regexp '^blocked cgroup_limit \(E(ACCES|ROFS|PERM)\)$'
	assert_line --regexp '^blocked block_node_rw \(E(ACCES|PERM)\)$'
}

@test "the bounding set is Docker's fourteen; nothing inheritable or ambient" {
	run container none sh -c 'grep -E "^Cap(Inh|Prm|Eff|Bnd|Amb):" /proc/self/status'
	assert_success
	assert_line --regexp "^CapInh:[[:space:]]+0000000000000000$"
	assert_line --regexp "^CapPrm:[[:space:]]+$DOCKER_CAPS$"
	assert_line --regexp "^CapEff:[[:space:]]+$DOCKER_CAPS$"
	assert_line --regexp "^CapBnd:[[:space:]]+$DOCKER_CAPS$"
	assert_line --regexp "^CapAmb:[[:space:]]+0000000000000000$"
}

@test "-a adds a capability by name, -d drops one; an unknown name is one line and 125" {
	assert_equal "$(status_line CapBnd -a NET_ADMIN)" 00000000a80435fb
	assert_equal "$(status_line CapBnd -a cap_net_admin -d NET_RAW)" 00000000a80415fb
	assert_equal "$(status_line CapBnd -d ALL)" 0000000000000000
	run container -a NET_FLY none true
	assert_failure 125
	assert_output "basic_container: unknown capability 'NET_FLY' (e.g. NET_ADMIN, CAP_SYS_TIME, ALL)"
}

@test "a capability dropped is really gone: without NET_RAW no raw socket, so no ping" {
	run container none ping -c 1 -W 1 127.0.0.1
	assert_success
	run container -d NET_RAW none ping -c 1 -W 1 127.0.0.1
	assert_failure
	assert_output --partial "permission denied"
}

@test "a seccomp filter is on (Seccomp: 2); -P has none" {
	assert_equal "$(status_line Seccomp)" 2
	assert_equal "$(status_line Seccomp -P)" 0
}

@test "no_new_privs is off unless -N" {
	assert_equal "$(status_line NoNewPrivs)" 0
	assert_equal "$(status_line NoNewPrivs -N)" 1
}

@test "the container is a session of its own, with no controlling terminal" {
	# Field 6 of /proc/PID/stat is the session, field 7 the terminal.
	run container none sh -c 'cut -d " " -f 6,7 /proc/1/stat'
	assert_success
	assert_output "1 0"
}

@test "a terminal of the caller's as stdout alone gets the container a terminal there; stdin stays the caller's pipe" {
	# script(1) gives the runtime a terminal as stdout and stderr; stdin is a
	# pipe, whose bytes must reach the command as they are (no line
	# discipline), and each line ends in one CR NL: the caller's terminal
	# does not process the output a second time.
	run script -qec "printf 'piped\\0bytes' | $RUNTIME -q -r $ROOTFS_DIR/rootfs none sh -c 'od -An -c; readlink /proc/self/fd/1; readlink /proc/self/fd/0; cut -d \" \" -f 7 /proc/1/stat'" /dev/null
	assert_success
	lines=("${lines[@]%$'\r'}")
	assert_line --index 0 --regexp '^ +p +i +p +e +d +\\0 +b +y +t +e +s$'
	assert_line --index 1 '/dev/pts/0'
	assert_line --index 2 --regexp '^pipe:\[[0-9]+\]$'
	refute_line --index 3 --regexp '^0'
}

@test "with --init and a terminal as stdout alone, the command is the terminal's foreground: it may set its modes" {
	# init finds the terminal on stdout; the command, in a background group,
	# would stop on SIGTTOU at its first change of the terminal's modes.
	run timeout 20 script -qec "echo | $RUNTIME -q -r $ROOTFS_DIR/rootfs -I none sh -c 'stty -echo </dev/tty && echo modes set'" /dev/null
	assert_success
	assert_line --partial "modes set"
}

@test "the environment holds the container's variables and -e, nothing of the caller's; with -P the caller's and -e" {
	run env SECRET_TOKEN=leak "$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" -H web1 -e GREETING=hi \
		-e HOME=/home/x none env
	assert_success
	assert_equal "$(LC_ALL=C sort <<<"$output" | tr '\n' ' ')" \
		"GREETING=hi HOME=/home/x HOSTNAME=web1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin container=basic_container "
	# -P keeps the caller's environment (step 4), and -e still applies.
	run env SECRET_TOKEN=visible GREETING=caller "$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" -P \
		-e GREETING=hi -e GREETING=again none env
	assert_success
	assert_line SECRET_TOKEN=visible
	assert_line GREETING=again
	refute_line GREETING=hi
	refute_line GREETING=caller
	run container -e NOVALUE none true
	assert_failure 125
	assert_output "basic_container: -e NOVALUE: expected NAME=VALUE"
}

@test "a block node in the image opens nothing, locked or not: the root is nodev" {
	run container none sh -c 'head -c 1 /blk'
	assert_failure
	assert_output --partial "Permission denied"
	run container -P none sh -c 'head -c 1 /blk'
	assert_failure
	assert_output --partial "Permission denied"
}

@test "the device cgroup allows /dev's nodes only" {
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		skip "on v2 the allowlist is a BPF program: tests/unit/test_lockdown_devices checks it"
	fi
	local shared="$BATS_TEST_TMPDIR/shared" dir
	mkdir "$shared"
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" -v "$shared:/shared" none sh -c \
		'touch /shared/ready; i=0; while [ ! -e /shared/go ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done' 3>&- &
	local pid=$!
	for _ in $(seq 1 100); do
		[ -e "$shared/ready" ] && break
		sleep 0.05
	done
	dir=$(find /sys/fs/cgroup/devices -maxdepth 6 -type d -name 'basic_container-*' | head -n 1)
	run cat "$dir/devices.list"
	touch "$shared/go"
	wait "$pid"
	assert_equal "$(LC_ALL=C sort <<<"$output" | tr '\n' ,)" \
		"b *:* m,c *:* m,c 136:* rwm,c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,c 5:1 rwm,c 5:2 rwm,"
}

@test "an image whose /proc, /sys or /dev is a symlink is refused with 125 (runc's CVE-2019-19921)" {
	local bad="$ROOTFS_DIR/bad" dir
	for dir in proc sys dev; do
		cp -a "$ROOTFS_DIR/rootfs" "$bad"
		rmdir "$bad/$dir"
		ln -s /tmp "$bad/$dir"
		run "$RUNTIME" -q -r "$bad" none true
		rm -rf "$bad"
		assert_failure 125
		assert_output "basic_container: container setup failed: /$dir in the root filesystem is a symlink: refused (it could point the mount anywhere)"
	done
}

@test "the kernel's files are masked or read-only, as Docker has them; -P shows them" {
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	run container none sh -c '
		for f in kcore keys timer_list sched_debug latency_stats; do
			[ -e /proc/$f ] && echo "$f: $(head -c 64 /proc/$f | wc -c) $(cat /proc/$f >/dev/null && echo read)"
		done
		echo 1 > /proc/sys/kernel/ns_last_pid || true
		ls /sys/firmware | wc -l'
	assert_success
	refute_output --regexp ': [1-9]'
	assert_line "keys: 0 read"
	assert_line --partial "Read-only file system"
	assert_line --index -1 0
	run container none grep -c ' /proc/keys ' /proc/self/mountinfo
	assert_output 1
	run container -P none grep -c ' /proc/keys ' /proc/self/mountinfo
	assert_output 0
}
