#!/usr/bin/env bats
# Signals and the runtime, without a terminal (terminal.bats has Ctrl-C):
# what the runtime passes on to its container, what --init changes, and that
# nothing of a container outlives its runtime for good.
# shellcheck disable=SC2030,SC2031  # runtime_pid lives in each test's own subshell

load helpers
load runtime_helpers
bats_require_minimum_version 1.5.0

setup_file() {
	require_root
	new_test_rootfs signals
}

teardown_file() {
	if [ -n "${ROOTFS_DIR:-}" ]; then
		# A runtime a failed test killed left its state: a run removes it.
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true </dev/null || true
	fi
	remove_test_rootfs
}

setup() {
	require_root
	out="$BATS_TEST_TMPDIR/out"
	runtime_pid=
	survivor=
}

teardown() {
	release_state_lock
	stop_runtime
	# A container that outlived its runtime (a failed test): kill it, and
	# let a run remove what it left.
	if [ -n "${survivor:-}" ] && alive "$survivor"; then
		kill -KILL "$survivor" 2>/dev/null || true
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true </dev/null || true
	fi
}

# comm_is PID NAME: the process runs the program NAME.
comm_is() {
	[ "$(cat "/proc/$1/comm" 2>/dev/null)" = "$2" ]
}

@test "SIGQUIT, SIGUSR1, SIGUSR2, SIGTERM, SIGINT and SIGHUP reach the container's PID 1; the runtime exits 128+N and leaves nothing behind" {
	local sig pid1 id
	for sig in QUIT USR1 USR2 TERM INT HUP; do
		start_runtime "$out" none /probe wait-signal "$WAIT_SECONDS"
		pid1=$(child_of "$runtime_pid")
		wait_until has_line "$out" '^ready$'
		wait_until started "$runtime_pid"
		id=$(container_id "$pid1")
		kill -"$sig" "$runtime_pid"
		wait_runtime
		assert_equal "SIG$sig: status $status, $(tr '\n' ' ' <"$out")" \
			"SIG$sig: status $((128 + $(kill -l "$sig"))), ready caught SIG$sig "
		assert [ -n "$id" ]
		assert_equal "$(leftovers_of "$id")" ""
	done
}

# The runtime's start, step by step: the system calls it makes before it
# hears that its command started (end of file on its setup socket), as
# "NAME K" lines, the Kth call of NAME; not its execve(2), where strace
# cannot send a signal yet. Those it makes once (its landmarks: blocking
# the signals, clone3, the mounts it hands over, ...) and every 8th of the
# rest.
start_steps() {
	strace -o "$1" "$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none /probe exit 0 </dev/null >/dev/null 2>&1
	awk '/^recvfrom\(.*\) += 0$/ { exit }
	     /^[a-z0-9_]+\(/ && !/^execve\(/ { name = $0; sub(/\(.*/, "", name); step[++n] = name " " ++count[name] }
	     END { for (i = 1; i <= n; i++) { split(step[i], s, " ")
			if (count[s[1]] == 1 || i % 8 == 0) print step[i] } }' "$1"
}

# made_by_run LOG: the state directory and the cgroups that the run whose
# strace LOG this is made (mkdirat(containers, ID, 0700), mkdir(.../
# basic_container-ID)), one path a line.
made_by_run() {
	sed -nE -e "s|^mkdirat\([0-9]+, \"([0-9a-f]{8})\", 0700\) += 0$|$STATE_DIRS/\1|p" \
		-e 's|^mkdir\("(/sys/fs/cgroup/[^"]*/basic_container-[0-9a-f]+)", [0-7]+\) += 0$|\1|p' "$1"
}

# step_before_start LOG NAME K: in a run's strace LOG, the Kth call of NAME
# came before the runtime heard its command start.
step_before_start() {
	awk -v name="$2" -v k="$3" '/^recvfrom\(.*\) += 0$/ { exit }
	     index($0, name "(") == 1 && ++n == k { found = 1; exit }
	     END { exit !found }' "$1"
}

@test "a SIGTERM at any step of the start stops it (143) or reaches the command, and leaves nothing behind" {
	local trace="$BATS_TEST_TMPDIR/trace" log="$BATS_TEST_TMPDIR/strace" name k code path
	local checked=0
	command -v strace >/dev/null || skip "strace is not installed (make deps)"
	start_steps "$trace" >"$BATS_TEST_TMPDIR/steps"
	# strace sends the signal as the runtime enters that call: each step
	# in turn, whatever the machine's speed. A signal passed on once the
	# command runs reaches the probe at once: 5 s without one means lost.
	while read -r name k; do
		code=0
		timeout -k 5 60 strace -o "$log" -e inject="$name:signal=TERM:when=$k" \
			"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none /probe wait-signal 5 \
			</dev/null >"$out" 2>&1 3>&- || code=$?
		# How often some calls come varies with the containers around.
		step_before_start "$log" "$name" "$k" || continue
		checked=$((checked + 1))
		if [ "$code" != 143 ] || has_line "$out" '^no signal$'; then
			fail "SIGTERM at $name #$k: status $code, output: $(cat "$out")"
		fi
		for path in $(made_by_run "$log"); do
			if [ -e "$path" ]; then
				fail "SIGTERM at $name #$k (status $code) left $path"
			fi
		done
	done <"$BATS_TEST_TMPDIR/steps"
	assert [ "$checked" -ge 30 ]
}

@test "sleep as PID 1 ignores SIGTERM; with --init SIGTERM ends it (143)" {
	local pid1
	start_runtime "$out" none sleep 300
	pid1=$(child_of "$runtime_pid")
	wait_until started "$runtime_pid"
	kill -TERM "$runtime_pid"
	# Nothing to wait for: the kernel dropped it. A second is long enough
	# for a signal that would have worked to show.
	sleep 1
	assert alive "$runtime_pid"
	assert comm_is "$pid1" sleep
	kill -KILL "$pid1"
	wait_runtime
	assert_equal "$status" 137

	start_runtime "$out" --init none sleep 300
	wait_until started "$runtime_pid"
	kill -TERM "$runtime_pid"
	wait_runtime
	assert_equal "$status" 143
	assert_equal "$(cat "$out")" ""
}

# uid_of PID: its real user ID on the host.
uid_of() {
	awk '/^Uid:/ { print $2 }' "/proc/$1/status"
}

# child_states PID: the state of each child of PID (R, S, Z, ...), a line each.
child_states() {
	local child
	for child in $(pgrep -P "$1"); do
		awk '{ print $3 }' "/proc/$child/stat" 2>/dev/null || true
	done
}

# has_zombie_child PID
has_zombie_child() {
	child_states "$1" | grep -qx Z
}

# only_child_alive PID: PID has exactly one child, and it is no zombie.
only_child_alive() {
	local states
	states=$(child_states "$1")
	[ "$states" = S ] || [ "$states" = R ]
}

# A command that leaves an orphan behind (the subshell that started it
# exits at once), which exits 0.2 s later, then sleeps.
ORPHAN='(sh -c "sleep 0.2; echo orphan exits" &); exec sleep 300'

@test "an orphan that exits stays a zombie under sleep as PID 1; --init reaps it" {
	local pid1 init
	start_runtime "$out" none sh -c "$ORPHAN"
	pid1=$(child_of "$runtime_pid")
	wait_until has_line "$out" '^orphan exits$'
	wait_until has_zombie_child "$pid1"
	kill -KILL "$pid1"
	wait_runtime

	start_runtime "$out" --init none sh -c "$ORPHAN"
	init=$(child_of "$runtime_pid")
	wait_until has_line "$out" '^orphan exits$'
	# The orphan became init's child: it has ended once init has one
	# child again, the command, and no zombie.
	wait_until only_child_alive "$init"
	assert comm_is "$(pgrep -P "$init")" sleep
	kill -TERM "$runtime_pid"
	wait_runtime
	assert_equal "$status" 143
}

@test "with --init, kill -9 of the runtime ends the whole container, even after the command changed its credentials" {
	local init command id pids
	start_runtime "$out" --init none /probe as 1000 sleep 300
	init=$(child_of "$runtime_pid")
	command=$(child_of "$init")
	# sleep runs once the probe has changed its user and exec'd it.
	wait_until comm_is "$command" sleep
	assert_equal "$(($(uid_of "$command") - $(uid_of "$init")))" 1000
	id=$(container_id "$init")
	read -ra pids <<<"$(descendants "$init" | tr '\n' ' ')"
	survivor=$init
	# No other run may clean up (and kill) meanwhile.
	hold_state_lock
	kill -KILL "$runtime_pid"
	wait_runtime
	wait_until gone "${pids[@]}"
	release_state_lock
	# What the dead runtime left, the next run removes.
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true </dev/null
	assert [ -n "$id" ]
	assert_equal "$(leftovers_of "$id")" ""
}

@test "without --init, a PID 1 that changed its credentials outlives a killed runtime, until the next run removes its cgroup" {
	local id
	start_runtime "$out" none /probe as 1000 sleep 300
	survivor=$(child_of "$runtime_pid")
	wait_until comm_is "$survivor" sleep
	id=$(container_id "$survivor")
	# No other run may clean up (and kill it) meanwhile.
	hold_state_lock
	kill -KILL "$runtime_pid"
	wait_runtime
	# The credential change cleared its parent-death signal (prctl(2)).
	sleep 1
	assert alive "$survivor"
	assert [ -n "$(leftovers_of "$id")" ]
	release_state_lock
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true </dev/null
	wait_until gone "$survivor"
	assert [ -n "$id" ]
	assert_equal "$(leftovers_of "$id")" ""
}
