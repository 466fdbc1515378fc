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

# cgroup_exec's cgroups still present, one per line.
leftover_cgroups() {
	local dir
	while read -r dir; do
		find "$dir" -mindepth 1 -maxdepth 1 -type d -name 'cgroup_exec-*'
	done < <(cgroup_parent_dirs)
}

# Kill what is left in cgroup_exec's cgroups and remove them. Fails (and so
# fails the test) when there was anything to remove.
teardown() {
	local dir pid found=""
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

# Wait (up to 5 s) until cgroup_exec has made its cgroup.
wait_for_cgroup() {
	for _ in $(seq 1 50); do
		[ -n "$(leftover_cgroups)" ] && return 0
		sleep 0.1
	done
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
	wait_for_cgroup
	kill -TERM "$pid"
	status=0
	wait "$pid" || status=$?
	[ "$status" -eq 143 ]
	[ -z "$(leftover_cgroups)" ]
}
