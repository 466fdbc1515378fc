#!/usr/bin/env bats
# Step 2: ns_child_exec clone()s a child into new namespaces; the child execs
# a command. Each test proves one namespace from the inside and is a sentence
# of the README's "Step 2" section. Where the machine's own namespace could not
# show a difference (or must not be touched), the test makes a throwaway
# "outside" namespace with unshare(1) and runs ns_child_exec in it.

# The inner shells' scripts are single-quoted on purpose; run sets stderr.
# shellcheck disable=SC2016,SC2154

load helpers

bats_require_minimum_version 1.5.0

NS_CHILD_EXEC="$TOP/pid_namespace/bin/ns_child_exec"
FORK_AND_EXEC="$TOP/fork_exec/bin/fork_and_exec"
USAGE="Usage: ns_child_exec [options] CMD [ARG...]"

setup() {
	SCRATCH=""
	CGROUP_DIR=""
}

teardown() {
	if [ -n "$SCRATCH" ]; then
		rm -rf "$SCRATCH"
	fi
	if [ -n "$CGROUP_DIR" ]; then
		rmdir "$CGROUP_DIR"
	fi
}

# Set CGROUP2_ROOT to the mount point of the cgroup v2 hierarchy:
# /sys/fs/cgroup on a v2 machine, /sys/fs/cgroup/unified on a v1 hybrid one.
# Skips when there is none.
find_cgroup2_root() {
	local dir

	for dir in /sys/fs/cgroup /sys/fs/cgroup/unified; do
		if [ "$(stat -f -c %T "$dir" 2>/dev/null)" = cgroup2fs ]; then
			CGROUP2_ROOT=$dir
			return
		fi
	done
	skip "no cgroup v2 hierarchy mounted"
}

# Run "$@" as an unprivileged user: nobody when we are root, else ourselves.
run_unprivileged() {
	if [ "$(id -u)" -eq 0 ]; then
		as_nobody "$@"
	else
		"$@"
	fi
}

# The UID and GID run_unprivileged runs with.
unprivileged_ids() {
	if [ "$(id -u)" -eq 0 ]; then
		UNPRIVILEGED_UID=65534 UNPRIVILEGED_GID=65534
	else
		UNPRIVILEGED_UID=$(id -u) UNPRIVILEGED_GID=$(id -g)
	fi
}

# Skip unless an unprivileged user may create a user namespace.
require_unprivileged_userns() {
	if ! run_unprivileged unshare --user true 2>/dev/null; then
		skip "unprivileged user namespaces are disabled here"
	fi
}

@test "with -p the command is PID 1 of a new PID namespace and its parent is outside it (PPID 0)" {
	require_root
	run "$NS_CHILD_EXEC" -p "$FORK_AND_EXEC" true
	assert_success
	assert_line --index 0 "Parent (PID=1) created child with PID 2"
	assert_line --index 1 "Parent (PID=1; PPID=0) waiting on its child"
	assert_line --index 2 "Child  (PID=2) exists with parent PID=1"
}

@test "with -u a hostname set inside is seen inside and not outside" {
	require_root
	# "Outside" is a throwaway UTS namespace of the test's own: even a broken
	# -u cannot rename the machine.
	# shellcheck disable=SC2016  # expanded by the inner shells
	run unshare --uts -- sh -c '
		busybox hostname outside_ns
		"$1" -u sh -c "busybox hostname inside_ns && echo inside: \$(uname -n)"
		echo "outside: $(uname -n)"' _ "$NS_CHILD_EXEC"
	assert_success
	assert_output "inside: inside_ns
outside: outside_ns"
}

@test "with -n the command sees only the loopback interface" {
	require_root
	# The outside namespace gets a veth pair that a shared namespace would show.
	run unshare --net -- sh -c '
		ip link add outside0 type veth peer name outside1 &&
		"$1" -n ip -o link show' _ "$NS_CHILD_EXEC"
	assert_success
	assert_equal "${#lines[@]}" 1
	assert_line --index 0 --regexp '^1: lo: '
}

@test "with -i a System V message queue made inside is not listed outside" {
	require_root
	# A throwaway outside IPC namespace: nothing can leak onto the machine.
	run unshare --ipc -- bash -c '
		set -euo pipefail
		"$1" -i sh -c "ipcmk -Q >/dev/null && ipcs -q" | sed -n "s/^\(0x[0-9a-f]*\) .*/inside \1/p"
		ipcs -q | sed -n "s/^\(0x[0-9a-f]*\) .*/outside \1/p"' _ "$NS_CHILD_EXEC"
	assert_success
	assert_line --index 0 --regexp '^inside 0x[0-9a-f]+$'
	local key=${lines[0]#inside }
	refute_line "outside $key"
}

@test "with -m a tmpfs mounted inside is not seen outside" {
	require_root
	SCRATCH=$(mktemp -d)
	local inside='mount -t tmpfs bats_tmpfs "$1" && echo "inside: $(grep -c " $1 " /proc/self/mountinfo)"'
	# The outside mount namespace has shared mounts, as systemd makes them:
	# there a mount made in a copy would propagate back, unless made private.
	run unshare --mount --propagation shared -- bash -c '
		"$1" -m sh -c "$2" sh "$3" &&
		echo "outside: $(grep -c " $3 " /proc/self/mountinfo)"' _ "$NS_CHILD_EXEC" "$inside" "$SCRATCH"
	assert_success
	assert_line "inside: 1"
	assert_line "outside: 0"
}

@test "with -U -z the caller is root inside, mapped to root outside" {
	require_root
	run "$NS_CHILD_EXEC" -U -z sh -c 'id -u && cat /proc/self/uid_map'
	assert_success
	assert_line --index 0 "0"
	assert_line --index 1 --regexp '^ *0 +0 +1$'
}

@test "with -U -z an unprivileged user is root inside, mapped to its own UID and GID outside" {
	require_unprivileged_userns
	unprivileged_ids
	run run_unprivileged "$NS_CHILD_EXEC" -U -z sh -c 'id -u && id -g && cat /proc/self/uid_map /proc/self/gid_map'
	assert_success
	assert_line --index 0 "0"
	assert_line --index 1 "0"
	assert_line --index 2 --regexp "^ *0 +$UNPRIVILEGED_UID +1\$"
	assert_line --index 3 --regexp "^ *0 +$UNPRIVILEGED_GID +1\$"
}

@test "with -U -z the command starts with every capability inside (the maps came first)" {
	require_unprivileged_userns
	# A child that exec'd before its maps were written would start unmapped,
	# without capabilities: a race, so try it often.
	run run_unprivileged bash -c 'set -o pipefail
		for _ in $(seq 50); do "$1" -U -z grep CapEff /proc/self/status || exit; done |
		sort | uniq -c' _ "$NS_CHILD_EXEC"
	assert_success
	# A new user namespace starts with the full set, whatever ours is.
	local all
	all=$(printf '%016x' $(((1 << ($(cat /proc/sys/kernel/cap_last_cap) + 1)) - 1)))
	assert_output --regexp "^ *50 CapEff:[[:space:]]+$all\$"
}

@test "with -C every line of /proc/self/cgroup reads / inside" {
	require_root
	local own
	find_cgroup2_root
	own=$(sed -n 's/^0:://p' /proc/self/cgroup)
	# Start from a cgroup of our own, so outside the path is never just /.
	CGROUP_DIR="$CGROUP2_ROOT${own%/}/bats_cgroupns.$$"
	if ! mkdir "$CGROUP_DIR"; then
		CGROUP_DIR=""
		skip "cannot create a cgroup under $CGROUP2_ROOT$own"
	fi
	run sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -C cat /proc/self/cgroup' \
		_ "$CGROUP_DIR" "$NS_CHILD_EXEC"
	assert_success
	assert_line "0::/"
	refute_line --regexp ':/.'
}

@test "when ns_child_exec is killed its command dies too, even as PID 1 of a new PID namespace" {
	require_root
	local out="$BATS_TEST_TMPDIR/out" pid child=""
	"$NS_CHILD_EXEC" -v -p sleep 30 >"$out" 3>&- &
	pid=$!
	for _ in $(seq 50); do
		child=$(sed -n 's/.*PID of child created by clone() is //p' "$out")
		[ -z "$child" ] || break
		sleep 0.1
	done
	[ -n "$child" ]
	kill -KILL "$pid"
	wait "$pid" || true
	for _ in $(seq 20); do
		ps -p "$child" >/dev/null || break
		sleep 0.1
	done
	run ps -o pid=,args= -p "$child"
	assert_failure
}

@test "-v names the child's real PID after clone() and says when it is terminating" {
	run bash -c 'echo "shell PID=$$"; exec "$1" -v sh -c "echo \"child PID=\$\$\""' _ "$NS_CHILD_EXEC"
	assert_success
	assert_line --index 2 --regexp '^child PID=[0-9]+$'
	local shell=${lines[0]#shell PID=} child=${lines[2]#child PID=}
	assert_equal "$output" "shell PID=$shell
ns_child_exec [PID: $shell]: PID of child created by clone() is $child
child PID=$child
ns_child_exec: terminating"
}

@test "the exit status is the command's: 0" {
	run "$NS_CHILD_EXEC" true
	assert_success
}

@test "the exit status is the command's: 3" {
	run "$NS_CHILD_EXEC" sh -c 'exit 3'
	assert_failure 3
}

@test "a command that cannot be executed gives 126" {
	SCRATCH=$(mktemp)
	chmod 644 "$SCRATCH"
	run -126 --separate-stderr "$NS_CHILD_EXEC" "$SCRATCH"
	assert_equal "$stderr" "ns_child_exec: cannot run '$SCRATCH': Permission denied"
}

@test "a command that is not found gives 127" {
	run -127 --separate-stderr "$NS_CHILD_EXEC" /nonexistent/command
	assert_equal "$stderr" "ns_child_exec: cannot run '/nonexistent/command': No such file or directory"
}

@test "a command killed by signal N gives 128+N" {
	run "$NS_CHILD_EXEC" sh -c 'kill -TERM $$'
	assert_failure 143
}

@test "no command prints the usage on stderr and gives 125" {
	run -125 --separate-stderr "$NS_CHILD_EXEC"
	assert_output ""
	assert_equal "${stderr_lines[0]}" "$USAGE"
}

@test "-h prints the usage on stdout and gives 0" {
	run -0 --separate-stderr "$NS_CHILD_EXEC" -h
	assert_line --index 0 "$USAGE"
	assert_equal "$stderr" ""
}

@test "an unknown option gives 125" {
	run -125 --separate-stderr "$NS_CHILD_EXEC" -x true
	assert_output ""
	assert_equal "${stderr_lines[0]}" "$NS_CHILD_EXEC: invalid option -- 'x'"
	assert_equal "${stderr_lines[1]}" "$USAGE"
}

@test "-z without -U gives 125" {
	run -125 --separate-stderr "$NS_CHILD_EXEC" -z true
	assert_output ""
	assert_equal "${stderr_lines[0]}" "ns_child_exec: -z needs -U: there are ID maps only for a new user namespace"
	assert_equal "${stderr_lines[1]}" "$USAGE"
}

@test "a failed clone() gives 125 and names clone and its flags" {
	# Without a new user namespace, a user may not create a PID or UTS one.
	run -125 --separate-stderr run_unprivileged "$NS_CHILD_EXEC" -p -u true
	assert_output ""
	assert_equal "$stderr" "ns_child_exec: clone(CLONE_NEWPID|CLONE_NEWUTS): Operation not permitted"
}
