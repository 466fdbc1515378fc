#!/usr/bin/env bats
# Step 4 without a bridge: what the container sees of itself, its limits, its
# exit statuses and its errors. The network tests are in container_network.bats.
# The in-container checks ask our static probe (tests/probe), not busybox.
# shellcheck disable=SC2030,SC2031  # runtime_pid lives in each test's own subshell

load helpers
load runtime_helpers
bats_require_minimum_version 1.5.0

setup_file() {
	require_root
	new_test_rootfs basic_container
}

teardown_file() {
	remove_test_rootfs
}

setup() {
	require_root
}

teardown() {
	stop_runtime
}

# Run the container quietly in the test rootfs: output is CMD's own.
container() {
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$@"
}

@test "the container sees itself as PID 1 with parent PID 0" {
	run container none /probe ids
	assert_success
	assert_output --regexp '^pid=1 ppid=0 '
}

@test "the seed's messages tell the story in order" {
	run "$RUNTIME" -r "$ROOTFS_DIR/rootfs" none /probe exit 0
	assert_success
	assert_line --index 0 "[In main namespace] starting..."
	assert_line --index 1 --regexp '^\[In main namespace\] basic_container: PID of child created by clone\(\) is [0-9]+$'
	assert_line --index 2 "[In child namespace] childFunc(): PID  = 1"
	assert_line --index 3 "[In child namespace] childFunc(): PPID = 0"
	assert_line --index 4 "[In child namespace] uts.nodename in child:  inside_container"
	assert_line --index 5 "pivot setup ok"
	assert_line --index 6 "[In main namespace] basic_container: terminating"
}

@test "ps inside lists only the container's processes" {
	run container none /probe pids
	assert_success
	assert_output 1
	run container none sh -c '/probe pids; true'
	assert_success
	assert_equal "$(sort -n <<<"$output" | tr '\n' ' ')" "1 2 "
	run container none ps -o pid,ppid,user,args
	assert_success
	assert_line --index 0 --regexp '^PID +PPID +USER +COMMAND'
	assert_line --index 1 --regexp '^ +1 +0 +root +ps -o pid,ppid,user,args$'
	assert_equal "${#lines[@]}" 2
}

@test "the hostname is inside_container inside and unchanged outside" {
	local before
	before=$(hostname)
	run container none /probe hostname
	assert_success
	assert_output inside_container
	assert_equal "$(hostname)" "$before"
}

@test "-H names the container" {
	run container -H web1 none hostname
	assert_success
	assert_output web1
}

@test "root inside the container is a range of 65536 unused host IDs outside" {
	run container none sh -c '/probe ids; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups'
	assert_success
	assert_line --index 0 --regexp ' uid=0 gid=0$'
	assert_line --index 1 --regexp '^ +0 +[0-9]+ +65536$'
	assert_equal "${lines[2]}" "${lines[1]}"
	assert_line --index 3 allow
	local base
	read -r _ base _ <<<"${lines[1]}"
	assert [ "$base" -ge 524288 ]
	assert_equal "$((base % 65536))" 0
	# No account of the host lies in the range.
	run awk -F: -v b="$base" '$3 >= b && $3 < b + 65536' /etc/passwd /etc/group
	assert_output ""
}

@test "-U one keeps the seed's map: the container's root is the caller" {
	run container -U one none sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	assert_success
	assert_line --index 0 --regexp '^ +0 +0 +1$'
	assert_line --index 1 --regexp '^ +0 +0 +1$'
}

@test "the mount table holds only the container's mounts and the old root is gone" {
	run container none /probe mounts
	assert_success
	# Beside these, only the masks of step 5, under /proc and /sys.
	assert_equal "$(grep -Ev '^/(proc|sys)/' <<<"$output" | LC_ALL=C sort | tr '\n' ' ')" \
		"/ /dev /dev/full /dev/null /dev/pts /dev/random /dev/shm /dev/tty /dev/urandom /dev/zero /etc/hostname /etc/hosts /etc/resolv.conf /proc /sys "
	run container -P none /probe mounts
	assert_success
	refute_output --regexp '^/(proc|sys)/'
	run container none ls -a /
	refute_output --partial .old_root
	run ls -a "$ROOTFS_DIR/rootfs"
	refute_output --partial .old_root
}

@test "/sys is read-only inside" {
	run container none sh -c 'echo x > /sys/kernel/uevent_helper'
	assert_failure
	assert_output --partial "Read-only file system"
}

@test "/dev holds exactly null zero full random urandom tty, console, pts, ptmx and shm" {
	run container none /probe devices
	assert_success
	assert_equal "$(LC_ALL=C sort <<<"$output" | tr '\n' ,)" \
		"console f,fd l,full c,null c,ptmx l,pts d,random c,shm d,stderr l,stdin l,stdout l,tty c,urandom c,zero c,"
	run container none sh -c 'echo gone > /dev/null && cat /dev/null && echo the devices work'
	assert_output "the devices work"
}

@test "a new IPC namespace: the host's System V objects are not visible" {
	local id
	id=$(ipcmk -Q | grep -Eo '[0-9]+$')
	run container none cat /proc/sysvipc/msg
	ipcrm -q "$id"
	assert_success
	assert_equal "${#lines[@]}" 1   # the header line only
}

@test "no file descriptor of the caller reaches the container" {
	run container none sh -c 'ls /proc/self/fd' 9</dev/null 10>&1
	assert_success
	refute_line 9
	refute_line 10
	refute_line 4
}

@test "the container exits with its command's status" {
	run container none /probe exit 0
	assert_success
	run container none /probe exit 3
	assert_failure 3
}

@test "a command that cannot be executed gives 126" {
	run -126 container none /etc
	assert_output "basic_container: cannot run '/etc': Permission denied"
}

@test "a command that is not found gives 127" {
	run -127 container none /no/such/command
	assert_output --partial "cannot run '/no/such/command': No such file or directory"
}

@test "a container killed by signal N gives 128+N" {
	local pid1 out="$BATS_TEST_TMPDIR/out"
	start_runtime "$out" none /probe wait-signal
	wait_until has_line "$out" '^ready$'
	pid1=$(child_of "$runtime_pid")
	kill -KILL "$pid1"
	wait_runtime
	assert_equal "$status" 137
}

@test "when the runtime is killed the container dies with it" {
	local pid1 out="$BATS_TEST_TMPDIR/out"
	start_runtime "$out" none /probe wait-signal
	wait_until has_line "$out" '^ready$'
	pid1=$(child_of "$runtime_pid")
	kill -KILL "$runtime_pid"
	wait "$runtime_pid" || true
	runtime_pid=
	wait_until gone "$pid1"
	# Its state and cgroups go with the next run.
	container none true
}

@test "-m 5M kills a memory hog inside with 137 and says so" {
	run container -m 5M none cgroup_demo 50
	assert_failure 137
	assert_output --partial "Allocated 2 MB"
	refute_output --partial "Allocated 10 MB"
	assert_output --partial "basic_container: the container was killed by the OOM killer (memory limit 5M)"
	assert_no_cgroup_left
}

@test "-p 5 lets the container run at most 5 processes" {
	# PID 1 (sh) and four sleeps make five: the fifth sleep cannot start,
	# and busybox's sh gives up with 2 at a failed fork.
	# shellcheck disable=SC2016  # expanded by the container's shell
	run container -p 5 none sh -c '
		i=0
		while [ $i -lt 8 ]; do
			sleep 5 &
			i=$((i + 1))
			echo "started $i"
		done 2>&1'
	assert_failure 2
	assert_line "started 4"
	refute_line "started 5"
	assert_line "sh: can't fork: Resource temporarily unavailable"
	assert_no_cgroup_left
}

@test "the container's cgroup is its / in its own cgroup namespace" {
	run container -m 64M none cat /proc/self/cgroup
	assert_success
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		assert_output "0::/"
	else
		assert_line --regexp '^[0-9]+:memory:/$'
	fi
	assert_no_cgroup_left
}

@test "/sys/fs/cgroup inside is the container's own cgroup, read-only, with its limits" {
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	run container -m 64M -p 20 -c 0.5 none sh -c '
		for f in memory.max memory/memory.limit_in_bytes pids.max pids/pids.max cpu.max \
			cpu/cpu.cfs_quota_us; do
			[ -e "/sys/fs/cgroup/$f" ] && echo "$f $(cat "/sys/fs/cgroup/$f")"
		done
		echo 1 > /sys/fs/cgroup/cgroup.procs 2>&1 || echo read-only'
	assert_success
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		assert_line "memory.max 67108864"
		assert_line "pids.max 20"
		assert_line "cpu.max 50000 100000"
	else
		assert_line "memory/memory.limit_in_bytes 67108864"
		assert_line "pids/pids.max 20"
		assert_line "cpu/cpu.cfs_quota_us 50000"
	fi
	assert_line --partial "Read-only file system"
	assert_no_cgroup_left
}

# No container's state directory is left.
assert_no_state_left() {
	run find /var/lib/basic_container/containers -mindepth 1 -maxdepth 1
	assert_output ""
}

# No basic_container-* cgroup is left in any hierarchy.
assert_no_cgroup_left() {
	run find /sys/fs/cgroup -maxdepth 6 -type d -name 'basic_container-*'
	assert_output ""
}

@test "a failed setup step is reported by the parent and leaves nothing behind" {
	local bad="$ROOTFS_DIR/bad"
	make_rootfs_without_proc "$ROOTFS_DIR" "$bad"
	# The child fails with the parent's second go byte maybe unread: many
	# runs, so that a racy interleaving is likely to show.
	run distinct_outcomes 40 "$RUNTIME" -q -r "$bad" -m 16M none /probe ids
	local left
	left=$(ls -a "$bad")
	rm -rf "$bad"
	assert_output "basic_container: container setup failed: /proc in the root filesystem is not a directory status 125"
	run echo "$left"
	refute_output --partial .old_root
	assert_no_cgroup_left
	assert_no_state_left
}

@test "bad input gives one clear line and 125" {
	local -a cases=(
		"-x none true|basic_container: unknown option -x (see -h)"
		"-m|basic_container: option -m needs an argument (see -h)"
		"none|basic_container: usage: basic_container [options] IP|none CMD [ARG...] (see -h)"
		"10.240.0.300 true|basic_container: invalid IP address '10.240.0.300' (e.g. 10.240.0.2, or none)"
		"-r /nonexistent none true|basic_container: rootfs /nonexistent not found (make rootfs builds one): No such file or directory"
		"-m 5Q none true|basic_container: invalid memory limit '5Q' (e.g. 5M)"
		"-c x none true|basic_container: invalid CPU limit 'x' (0.01 to 1000, e.g. 0.5)"
		"-c 0.001 none true|basic_container: invalid CPU limit '0.001' (0.01 to 1000, e.g. 0.5)"
		"-p 0 none true|basic_container: invalid process limit '0': not in 1..4194304"
	)
	local c args
	for c in "${cases[@]}"; do
		read -ra args <<<"${c%%|*}"
		run "$RUNTIME" "${args[@]}"
		assert_failure 125
		assert_output "${c#*|}"
	done
	run "$RUNTIME"
	assert_failure 125
	assert_equal "${#lines[@]}" 1
}

@test "-h prints the usage on stdout and exits 0" {
	run "$RUNTIME" -h
	assert_success
	assert_line --index 0 "Usage: basic_container [options] IP|none CMD [ARG...]"
}

@test "a plain user runs a rootless container with IP none" {
	require_userns
	local own="$ROOTFS_DIR/own"
	cp -a "$ROOTFS_DIR/rootfs" "$own"
	chown -R 65534:65534 "$own"
	run as_nobody "$RUNTIME" -q -r "$own" none sh -c '/probe ids; cat /proc/self/uid_map; /probe hostname'
	assert_success
	assert_line --index 0 --regexp '^pid=2 ppid=1 uid=0 gid=0$'
	assert_line --index 1 --regexp '^ +0 +65534 +1$'
	assert_line --index 2 inside_container
}

@test "a plain user's :ro volume refuses writes; the image and volumes are nodev, volumes nosuid, as root's" {
	require_userns
	local own="$ROOTFS_DIR/own_volumes" vol="$ROOTFS_DIR/own_volume"
	cp -a "$ROOTFS_DIR/rootfs" "$own"
	mkdir "$vol"
	chown -R 65534:65534 "$own" "$vol"
	# shellcheck disable=SC2016  # expanded by the container's shell
	run as_nobody "$RUNTIME" -q -r "$own" -v "$vol:/ro:ro" -v "$vol:/rw" none sh -c \
		'echo x >/rw/written; echo x >/ro/refused; for m in / /ro /rw; do awk -v m="$m" "\$5 == m { print m, \$6 }" /proc/self/mountinfo; done'
	rm -rf "$own"
	assert_success
	assert [ -f "$vol/written" ]
	assert [ ! -e "$vol/refused" ]
	rm -rf "$vol"
	assert_line --partial "can't create /ro/refused: Read-only file system"
	assert_line --regexp '^/ rw,nodev,'
	assert_line --regexp '^/ro ro,nosuid,nodev,'
	assert_line --regexp '^/rw rw,nosuid,nodev,'
}

@test "a plain user's cgroup that a kill -9 left under a delegated parent is gone once the next run is" {
	require_userns
	[ "$(stat -fc %T /sys/fs/cgroup)" != cgroup2fs ] ||
		skip "cgroup v2: a plain user's subtree is delegated by systemd, not by hand here"
	local own="$ROOTFS_DIR/own_cgroup" parent=/sys/fs/cgroup/pids/basic_container_user_test killed left
	cp -a "$ROOTFS_DIR/rootfs" "$own"
	chown -R 65534:65534 "$own"
	mkdir "$parent"
	chown -R 65534:65534 "$parent"
	# setpriv itself, not as_nobody: $! is then the runtime (setpriv and env exec).
	setpriv --reuid=65534 --regid=65534 --clear-groups -- env CGROUP_PARENT=/basic_container_user_test \
		"$RUNTIME" -q -r "$own" -p 20 none sleep 30 3>&- &
	killed=$!
	for _ in $(seq 1 100); do
		pgrep -f "^sleep 30$" >/dev/null && break
		sleep 0.05
	done
	kill -KILL "$killed"
	wait "$killed" || true
	run find "$parent" -mindepth 1 -maxdepth 1 -type d -name 'basic_container-*'
	assert_line --regexp "^$parent/basic_container-$killed-[0-9a-f]{8}$"
	run --separate-stderr as_nobody env CGROUP_PARENT=/basic_container_user_test "$RUNTIME" -q -r "$own" -p 20 none true
	left=$(find "$parent" -mindepth 1 -maxdepth 1 -type d)
	find "$parent" -mindepth 1 -maxdepth 1 -type d -exec rmdir {} + 2>/dev/null || true
	rmdir "$parent"
	rm -rf "$own"
	assert_success
	# shellcheck disable=SC2154  # set by run --separate-stderr
	assert_equal "$stderr" ""
	assert_equal "$left" ""
}

@test "a plain user with a range in /etc/subuid gets it as IDs 1 and up, through newuidmap" {
	require_userns
	command -v newuidmap >/dev/null || skip "newuidmap is not installed (package uidmap)"
	[ -f /etc/subuid ] && [ -f /etc/subgid ] || skip "no /etc/subuid and /etc/subgid to stand in for"
	local own="$ROOTFS_DIR/own_subids"
	cp -a "$ROOTFS_DIR/rootfs" "$own"
	chown -R 65534:65534 "$own"
	echo "nobody:200000:65536" >"$BATS_TEST_TMPDIR/subids"
	# The machine's files stay as they are: ours stand in for them in a
	# mount namespace of this test's own.
	# shellcheck disable=SC2016  # expanded by sh, from its arguments
	run unshare -m sh -c 'mount --bind "$1" /etc/subuid && mount --bind "$1" /etc/subgid &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups "$2" -q -r "$3" none \
			cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups' \
		sh "$BATS_TEST_TMPDIR/subids" "$RUNTIME" "$own"
	rm -rf "$own"
	assert_success
	assert_line --index 0 --regexp '^ +0 +65534 +1$'
	assert_line --index 1 --regexp '^ +1 +200000 +65536$'
	assert_line --index 2 --regexp '^ +0 +65534 +1$'
	assert_line --index 3 --regexp '^ +1 +200000 +65536$'
	assert_line --index 4 allow
}

@test "a plain user is told in one line that host networking needs root" {
	run as_nobody "$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" 10.240.0.2 true
	assert_failure 125
	assert_output "basic_container: host networking needs root (run with sudo, or use IP none)"
}
