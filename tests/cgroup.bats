#!/usr/bin/env bats
# Step 3: cgroups. A memory limit kills a greedy process; a pids limit makes
# fork fail; a CPU quota throttles a busy loop. Real cgroups: needs root.

load helpers
bats_require_minimum_version 1.5.0

CGROUP_EXEC="$TOP/cgroup/bin/cgroup_exec"
DEMO="$TOP/cgroup/bin/cgroup_demo"

setup_file() {
	make -s -C "$TOP/cgroup" >/dev/null
}

# The directories under which cgroup_exec makes its cgroups: our own cgroup in
# the memory, pids and cpu hierarchies (v1), or the root of the unified one
# (v2, where a cgroup holding processes cannot hand controllers down).
cgroup_parent_dirs() {
	local controller path
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo /sys/fs/cgroup
		return
	fi
	for controller in memory pids cpu; do
		path=$(awk -F: -v c="$controller" \
			'{ n = split($2, a, ","); for (i = 1; i <= n; i++) if (a[i] == c) print $3 }' \
			/proc/self/cgroup)
		echo "/sys/fs/cgroup/$controller${path%/}"
	done
}

# cgroup_exec's cgroups, one per line: all of them, or those of the
# cgroup_exec whose PID is $1 (named cgroup_exec-PID-RANDOM).
cgroup_exec_cgroups() {
	local dir
	local -a names=(-name 'cgroup_exec-*')
	if [ -n "${1:-}" ]; then
		names=(-name "cgroup_exec-$1" -o -name "cgroup_exec-$1-*")
	fi
	while read -r dir; do
		find "$dir" -mindepth 1 -maxdepth 1 -type d \( "${names[@]}" \)
	done < <(cgroup_parent_dirs)
}

# cgroup_exec's cgroups that no live cgroup_exec holds (its lock is free):
# left behind. Those of another test run, at work meanwhile, are not.
leftover_cgroups() {
	local dir
	while read -r dir; do
		if flock --nonblock --conflict-exit-code 99 "$dir" true 2>/dev/null ||
			[ $? -ne 99 ]; then
			echo "$dir"
		fi
	done < <(cgroup_exec_cgroups)
}

# On v2, the controllers the root hands down: cgroup_exec may add some for
# its cgroup, and must take them away again (when nothing else uses them).
subtree_control() {
	if [ -f /sys/fs/cgroup/cgroup.subtree_control ]; then
		cat /sys/fs/cgroup/cgroup.subtree_control
	fi
}

setup() {
	SUBTREE_CONTROL=$(subtree_control)
}

# Kill what is left in cgroup_exec's cgroups and remove them. Fails (and so
# fails the test) when there was anything to remove, or when the root's
# cgroup.subtree_control changed.
teardown() {
	local dir pid found=""
	if [ "$(subtree_control)" != "$SUBTREE_CONTROL" ]; then
		echo "cgroup.subtree_control was '$SUBTREE_CONTROL', is '$(subtree_control)'" >&2
		return 1
	fi
	[ "$(id -u)" -eq 0 ] || return 0
	while read -r dir; do
		found="$found $dir"
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$dir/cgroup.procs"
		for _ in $(seq 1 50); do
			rmdir "$dir" 2>/dev/null && break
			sleep 0.1
		done
	done < <(leftover_cgroups)
	if [ -n "$found" ]; then
		echo "cgroups left behind:$found" >&2
		return 1
	fi
}

# Wait (up to 5 s) until the cgroup_exec whose PID is $1 has put N ($2, 1
# by default) tasks in its cgroup; print the cgroup's directory (in the pids
# hierarchy on v1).
wait_for_tasks() {
	local dir
	for _ in $(seq 1 50); do
		dir=$(cgroup_exec_cgroups "$1" | grep -m1 -e /pids/ -e "^/sys/fs/cgroup/cgroup_exec" || true)
		if [ -n "$dir" ] && [ "$(wc -l <"$dir/cgroup.procs")" -ge "${2:-1}" ]; then
			echo "$dir"
			return 0
		fi
		sleep 0.1
	done
	echo "no cgroup of cgroup_exec $1 with ${2:-1} tasks" >&2
	return 1
}

# Wait (up to 2 s) until none of the processes $@ exists any more.
wait_until_gone() {
	for _ in $(seq 1 20); do
		ps -o pid= -p "$(IFS=,; echo "$*")" >/dev/null || return 0
		sleep 0.1
	done
	echo "still running: $(ps -o pid=,args= -p "$(IFS=,; echo "$*")")" >&2
	return 1
}

@test "cgroup_demo alone allocates 50 MB" {
	run "$DEMO"
	assert_success
	assert_line --index 0 "Allocated 1 MB"
	assert_line --index 49 "Allocated 50 MB"
	assert_line --index 50 "Finished allocation"
	[ "$(grep -c '^Allocated [0-9]* MB$' <<<"$output")" -eq 50 ]
}

@test "cgroup_demo rejects a bad size" {
	run "$DEMO" lots
	assert_failure 125
	assert_output "cgroup_demo: invalid size in MB 'lots'"
}

@test "under a 5M memory limit cgroup_demo is killed by the OOM killer before 10 MB" {
	require_root
	run --separate-stderr "$CGROUP_EXEC" -m 5M "$DEMO"
	assert_failure 137
	assert_line --index 0 "Allocated 1 MB"
	refute_line "Allocated 10 MB"
	refute_line "Finished allocation"
	[ "$stderr" = "cgroup_exec: $DEMO was killed by the OOM killer (memory limit 5M)" ]
}

@test "no cgroup is left behind after an OOM kill" {
	require_root
	run "$CGROUP_EXEC" -m 5M "$DEMO"
	assert_failure 137
	[ -z "$(leftover_cgroups)" ]
}

@test "on cgroup v2 the controllers cgroup_exec turned on for its cgroup are off again after it" {
	require_root
	if [ ! -f /sys/fs/cgroup/cgroup.subtree_control ]; then
		skip "cgroup v1: controllers are not handed down (run on v2: make test-vm)"
	fi
	local before
	before=$(subtree_control)
	run "$CGROUP_EXEC" -c 0.5 -m 64M -p 50 cat /sys/fs/cgroup/cgroup.subtree_control
	assert_success
	assert_output --regexp '(^| )cpu( |$)'
	assert_output --regexp '(^| )memory( |$)'
	assert_output --regexp '(^| )pids( |$)'
	assert_equal "$(subtree_control)" "$before"
}

@test "a memory limit above what the command needs lets it finish" {
	require_root
	run --separate-stderr "$CGROUP_EXEC" -m 100M "$DEMO" 20
	assert_success
	assert_line "Finished allocation"
	[ -z "$stderr" ]
}

@test "with -p 10 a fork loop fails before 20 children start" {
	require_root
	# dash reports a failed fork as "Cannot fork" and exits 2. What the
	# loop started is killed when cgroup_exec removes the cgroup.
	# shellcheck disable=SC2016 # expanded by the inner sh
	run "$CGROUP_EXEC" -p 10 sh -c \
		'i=0; while [ $i -lt 20 ]; do sleep 30 & i=$((i + 1)); echo "started $i"; done'
	assert_failure
	assert_output --partial "Cannot fork"
	refute_line "started 20"
	assert_line "started 1"
	[ -z "$(leftover_cgroups)" ]
}

@test "a fork beyond pids.max fails with EAGAIN" {
	require_root
	# timeout(1) forks once and names the error; it is the cgroup's only task.
	run "$CGROUP_EXEC" -p 1 timeout 5 true
	assert_failure 125
	assert_output "timeout: fork system call failed: Resource temporarily unavailable"
}

@test "with -c 0.2 a busy loop is throttled" {
	require_root
	# The command spins for one second, then prints its own cgroup's cpu.stat.
	cat >"$BATS_TEST_TMPDIR/spin" <<'EOF'
#!/bin/sh
timeout 1 sh -c 'while :; do :; done'
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	dir=/sys/fs/cgroup$(awk -F: '$1 == "0" { print $3 }' /proc/self/cgroup)
else
	dir=/sys/fs/cgroup/cpu$(awk -F: '{ n = split($2, a, ",")
		for (i = 1; i <= n; i++) if (a[i] == "cpu") print $3 }' /proc/self/cgroup)
fi
cat "$dir/cpu.stat"
EOF
	chmod +x "$BATS_TEST_TMPDIR/spin"
	run "$CGROUP_EXEC" -c 0.2 "$BATS_TEST_TMPDIR/spin"
	assert_success
	throttled=$(awk '$1 == "nr_throttled" { print $2 }' <<<"$output")
	[ "$throttled" -gt 0 ]
}

@test "cgroup_exec exits with the command's own status" {
	require_root
	run "$CGROUP_EXEC" -p 100 sh -c 'exit 3'
	assert_failure 3
	run "$CGROUP_EXEC" -p 100 true
	assert_success
}

@test "the command's options pass through untouched" {
	require_root
	# shellcheck disable=SC2016 # expanded by the inner sh
	run "$CGROUP_EXEC" -p 100 sh -c 'echo "$1"' sh -m 5M
	assert_success
	assert_output "-m"
}

@test "cgroup_exec exits 126 when the command cannot be executed" {
	require_root
	run "$CGROUP_EXEC" -p 100 /etc/passwd
	assert_failure 126
	assert_output "cgroup_exec: cannot run '/etc/passwd': Permission denied"
	[ -z "$(leftover_cgroups)" ]
}

@test "cgroup_exec exits 127 when the command is not found" {
	require_root
	run -127 "$CGROUP_EXEC" -p 100 no-such-command-here
	assert_failure 127
	[ -z "$(leftover_cgroups)" ]
}

@test "cgroup_exec exits 128+N when the command dies of signal N" {
	require_root
	run "$CGROUP_EXEC" -p 100 sh -c 'kill -TERM $$'
	assert_failure 143
}

@test "cgroup_exec exits 125 on bad usage" {
	run "$CGROUP_EXEC"
	assert_failure 125
	assert_line --index 0 --partial "Usage: cgroup_exec [-m SIZE]"
	run "$CGROUP_EXEC" -m lots true
	assert_failure 125
	assert_output "cgroup_exec: invalid memory limit 'lots' (e.g. 5M)"
	run "$CGROUP_EXEC" -c 0 true
	assert_failure 125
	run "$CGROUP_EXEC" -x true
	assert_failure 125
	run "$CGROUP_EXEC" true
	assert_failure 125
	assert_output "cgroup_exec: nothing to limit: give -m, -p or -c"
}

@test "cgroup_exec -h prints its usage and exits 0" {
	run "$CGROUP_EXEC" -h
	assert_success
	assert_line --index 0 "Usage: cgroup_exec [-m SIZE] [-p PIDS] [-c CPUS] [--] CMD [ARG...]"
}

@test "without root cgroup_exec says so in one line and exits 125" {
	require_root
	run --separate-stderr as_nobody "$CGROUP_EXEC" -m 5M true
	assert_failure 125
	[ "$(wc -l <<<"$stderr")" -eq 1 ]
	[[ $stderr == *"Permission denied (cgroups need root)" ]]
}

@test "SIGTERM to cgroup_exec reaches the command and no cgroup is left behind" {
	require_root
	"$CGROUP_EXEC" -p 100 sh -c 'sleep 30 & sleep 30' 3>&- &
	pid=$!
	wait_for_tasks "$pid" 2
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
	[ -z "$(leftover_cgroups)" ]
}

@test "every catchable fatal signal to cgroup_exec reaches the command and no cgroup is left behind" {
	require_root
	local sig pid dir
	for sig in QUIT USR1 USR2 ALRM PIPE XCPU PWR RTMIN RTMAX HUP INT; do
		# bash waits for its sleep; the trap reports the signal. A
		# background command starts with SIGINT and SIGQUIT ignored, and
		# what a runner was started ignoring it rightly leaves ignored:
		# env puts every signal back to its default first.
		# shellcheck disable=SC2016 # expanded by the inner bash
		env --default-signal "$CGROUP_EXEC" -p 100 \
			bash -c 'trap "echo got $0; exit 3" "$0"; sleep 10 & wait' "$sig" \
			>"$BATS_TEST_TMPDIR/out" 3>&- &
		pid=$!
		dir=$(wait_for_tasks "$pid" 2)
		kill -s "$sig" "$pid"
		status=0
		wait "$pid" || status=$?
		echo "SIG$sig: exit status $status, printed '$(cat "$BATS_TEST_TMPDIR/out")'"
		[ "$status" -eq 3 ]
		[ "$(cat "$BATS_TEST_TMPDIR/out")" = "got $sig" ]
		[ ! -d "$dir" ]
	done
}

@test "a signal cgroup_exec was started ignoring stays ignored, by the command too" {
	require_root
	# As a shell starts a background job: SIGQUIT ignored.
	# shellcheck disable=SC2016 # expanded by the inner shells
	run bash -c 'trap "" QUIT; exec "$1" -p 10 sh -c "kill -QUIT \$\$; echo still here"' _ "$CGROUP_EXEC"
	assert_success
	assert_output "still here"
}

@test "a SIGTERM at any moment of cgroup_exec's start ends the command (143), and no cgroup is left behind" {
	require_root
	local delay pid
	# Blocked from the start: a signal that arrives while the cgroup is
	# made waits, and is passed on once the command runs. Were it caught
	# and dropped, the command would sleep on and exit 0.
	for delay in 0 0.001 0.002 0.003 0.005 0.008 0.013 0.021; do
		"$CGROUP_EXEC" -p 100 sleep 3 3>&- &
		pid=$!
		sleep "$delay"
		kill -TERM "$pid"
		status=0
		wait "$pid" || status=$?
		echo "SIGTERM after ${delay}s: exit status $status"
		[ "$status" -eq 143 ]
	done
	[ -z "$(leftover_cgroups)" ]
}

@test "when cgroup_exec is killed with SIGKILL its command dies too" {
	require_root
	local pid dir command
	"$CGROUP_EXEC" -p 100 sleep 30 3>&- &
	pid=$!
	dir=$(wait_for_tasks "$pid")
	command=$(cat "$dir/cgroup.procs")
	kill -KILL "$pid"
	wait "$pid" || true
	wait_until_gone "$command"
	# Its cgroup stays until the next cgroup_exec (the next test's claim).
	"$CGROUP_EXEC" -p 10 true
}

@test "the next cgroup_exec removes the cgroup of one killed with SIGKILL, and what still ran in it" {
	require_root
	local pid dir
	local -a tasks
	"$CGROUP_EXEC" -p 100 sh -c 'sleep 30 & exec sleep 30' 3>&- &
	pid=$!
	dir=$(wait_for_tasks "$pid" 2)
	mapfile -t tasks <"$dir/cgroup.procs"
	kill -KILL "$pid"
	wait "$pid" || true
	# The command (the second sleep) dies with cgroup_exec; the first
	# sleep, its child, does not.
	[ -d "$dir" ]
	run "$CGROUP_EXEC" -p 10 true
	assert_success
	assert_output ""
	[ ! -d "$dir" ]
	wait_until_gone "${tasks[@]}"
	[ -z "$(cgroup_exec_cgroups "$pid")" ]
}
