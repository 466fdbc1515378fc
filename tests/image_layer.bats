#!/usr/bin/env bats
# Step 4, root inside is nobody outside: the ID range, the idmapped image, the
# container's own layer, volumes, its /etc files, and its state on the host,
# also after a kill -9.
# shellcheck disable=SC2030,SC2031  # pids live in each test's own subshell

load helpers
bats_require_minimum_version 1.5.0

STATE=/var/lib/basic_container/containers

setup_file() {
	require_root
	new_test_rootfs image_layer
}

teardown_file() {
	remove_test_rootfs
}

setup() {
	require_root
	SHARED="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$SHARED"
	pids=()
}

teardown() {
	local pid
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

container() {
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$@"
}

# Every file of the tree DIR with its owner, mode, size and link target.
listing() {
	(cd "$1" && find . -printf '%p %U:%G %m %s %y %l\n' | LC_ALL=C sort)
}

# A container in the background that signs in at $SHARED/NAME.ready, then
# waits (5 s at most) for $SHARED/NAME.go before it runs CMD and exits.
# Its runtime's pid is appended to pids.
start_held() {
	local name=$1 i
	shift
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" -v "$SHARED:/shared" "$@" 3>&- &
	pids+=("$!")
	for i in $(seq 1 100); do
		[ -e "$SHARED/$name.ready" ] && return 0
		sleep 0.05
	done
	echo "container $name never got ready" >&2
	return 1
}

# The shell line a held container runs first.
held() {
	echo "touch /shared/$1.ready; i=0; while [ ! -e /shared/$1.go ] && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done"
}

# The host uid PID 1 of the container with runtime pid $1 runs as.
pid1_uid() {
	local child
	child=$(pgrep -P "$1" | head -n 1)
	awk '/^Uid:/ { print $2 }' "/proc/$child/status"
}

# The controllers the root of a v2 hierarchy hands down (nothing on v1).
root_controllers() {
	cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || true
}

assert_nothing_left() {
	run find "$STATE" -mindepth 1 -maxdepth 1
	assert_output ""
	run find /sys/fs/cgroup -maxdepth 6 -type d -name 'basic_container-*'
	assert_output ""
	run grep -c basic_container /proc/self/mountinfo
	assert_output 0
}

@test "two containers on one image never see each other's changes, and the image stays as it was" {
	local before
	before=$(listing "$ROOTFS_DIR/rootfs")
	start_held a none sh -c "$(held a); rm /bin/cat; echo a > /etc/from-a; ls /etc/from-b 2>&1; exit 0"
	run container -v "$SHARED:/shared" none sh -c 'ls /bin/cat; ls /etc/from-a 2>&1; echo b > /etc/from-b'
	touch "$SHARED/a.go"
	wait "${pids[0]}"
	pids=()
	assert_output "/bin/cat
ls: /etc/from-a: No such file or directory"
	assert_equal "$(listing "$ROOTFS_DIR/rootfs")" "$before"
}

@test "what a container writes goes to its layer and is gone when it exits" {
	run container none sh -c 'rm -rf /bin /usr 2>/dev/null; echo written > /root/note; cat /root/note'
	assert_success
	assert_output written
	run container none sh -c 'ls /root; ls /bin/sh'
	assert_output /bin/sh
	assert_nothing_left
}

@test "a read-only image works" {
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	run unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		touch "$1/x" 2>/dev/null; "$2" -q -r "$1" none sh -c "echo layer > /etc/new && cat /etc/new"' \
		sh "$ROOTFS_DIR/rootfs" "$RUNTIME"
	assert_success
	assert_output layer
	[ ! -e "$ROOTFS_DIR/rootfs/etc/new" ]
}

@test "under a shared / (as systemd makes it), no mount of a container's shows on the host" {
	# A copy of a shared mount joins its peer group: the mounts a container
	# made in its image or a volume would then appear on the host too.
	# shellcheck disable=SC2016  # expanded by sh, from its arguments
	run unshare -m --propagation unchanged sh -c 'mount --make-rshared / &&
		"$1" -q -w -r "$2" -v "$3:/data" none true &&
		"$1" -q -r "$2" -v "$3:/data" none true &&
		grep -c -e " $2/" -e " $3/" /proc/self/mountinfo' \
		sh "$RUNTIME" "$ROOTFS_DIR/rootfs" "$SHARED"
	assert_output 0
}

@test "an image on a filesystem that cannot be idmapped is refused in one line, with the way out" {
	# sysfs never can; tmpfs cannot before Linux 6.3, NFS and most FUSE not at all.
	run container -r /sys/kernel none true
	assert_failure 125
	assert_output --regexp '^basic_container: /sys/kernel: sysfs filesystem cannot be idmapped on Linux [^ ]+ \(ext4, xfs and btrfs can; tmpfs from 6\.3\): move it to one that can, or run with -U one$'
	assert_nothing_left
}

@test "-w writes straight into the image" {
	run container -w none sh -c 'echo kept > /root/kept'
	assert_success
	run cat "$ROOTFS_DIR/rootfs/root/kept"
	rm -f "$ROOTFS_DIR/rootfs/root/kept"
	assert_output kept
}

@test "the image keeps its owners inside: it is idmapped, not chowned" {
	local file="$ROOTFS_DIR/rootfs/root/alice"
	echo x >"$file"
	chown 1000:1001 "$file"
	run container none sh -c 'ls -ln /root/alice /etc/passwd'
	rm -f "$file"
	assert_success
	assert_line --regexp '^-rw-r--r-- +1 1000 +1001 .* /root/alice$'
	assert_line --regexp '^-rw-r--r-- +1 0 +0 .* /etc/passwd$'
}

@test "PID 1 runs as an unused host uid above 65535; two containers at once get different ranges" {
	local uid_a uid_b
	start_held a none sh -c "$(held a)"
	start_held b none sh -c "$(held b)"
	uid_a=$(pid1_uid "${pids[0]}")
	uid_b=$(pid1_uid "${pids[1]}")
	touch "$SHARED/a.go" "$SHARED/b.go"
	assert [ "$uid_a" -ge 65536 ]
	assert [ "$uid_b" -ge 65536 ]
	assert [ "$uid_a" -ne "$uid_b" ]
	assert_equal "$(((uid_a - uid_b) % 65536))" 0
	run awk -F: -v a="$uid_a" -v b="$uid_b" '$3 == a || $3 == b' /etc/passwd
	assert_output ""
}

@test "-U BASE must hold no user or group of the host" {
	run container -U 1 none true
	assert_failure 125
	assert_output "basic_container: host IDs 1-65536 hold a user or group of the host, or a range of /etc/subuid or /etc/subgid: choose another -U BASE"
}

@test "a directory of the host as stdin is refused: /proc/self/fd/0 would lead into it" {
	run container none cat /proc/self/fd/0/etc/hostname </
	assert_failure 125
	assert_output "basic_container: stdin is a directory or a path of the host: refused (the container could reach the host's files through it)"
}

@test "-U BASE chooses the range; a range in use by a running container is refused" {
	start_held a -U 1966080 none sh -c "$(held a)"
	assert_equal "$(pid1_uid "${pids[0]}")" 1966080
	run container -U 1966080 none true
	touch "$SHARED/a.go"
	assert_failure 125
	assert_output "basic_container: host IDs 1966080-2031615 are in use by another container"
}

@test "root inside cannot write the host's state: core_pattern, sysrq, cgroup limits" {
	# -P: the range alone does it; step 5's lockdown adds its own walls.
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	run container -P -m 32M none sh -c '
		echo x > /proc/sys/kernel/core_pattern || echo core_pattern denied
		echo h > /proc/sysrq-trigger || echo sysrq denied
		for f in /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes; do
			[ -e "$f" ] && { echo 8G > "$f" || echo limit denied; }
		done
		mkdir -p /tmp/v2 /tmp/v1
		mount -t cgroup2 none /tmp/v2 2>/dev/null
		mount -t cgroup -o memory none /tmp/v1 2>/dev/null
		for f in /tmp/v2/memory.max /tmp/v1/memory.limit_in_bytes; do
			[ -e "$f" ] && { echo 8G > "$f" || echo mounted limit denied; }
		done
		true'
	assert_success
	assert_line "core_pattern denied"
	assert_line "sysrq denied"
	assert_line "limit denied"
	assert_line "mounted limit denied"
}

@test "a volume: what the container writes appears on the host, with the owners it has inside" {
	chmod 755 "$SHARED"
	run container -v "$SHARED:/data" none sh -c 'echo hello > /data/f && chown 1000:1000 /data/f && ls -ln /data/f'
	assert_success
	assert_output --regexp '^-rw-r--r-- +1 1000 +1000 '
	assert_equal "$(cat "$SHARED/f")" hello
	assert_equal "$(stat -c %u:%g "$SHARED/f")" 1000:1000
}

@test "a :ro volume refuses writes" {
	run container -v "$SHARED:/data:ro" none sh -c 'echo x > /data/f'
	assert_failure
	assert_output --partial "Read-only file system"
	[ ! -e "$SHARED/f" ]
}

@test "a volume's mount point is made in the layer; a symlink in the image never leads it out" {
	# /escape -> /tmp: inside the root that is the image's /tmp, never the host's.
	ln -s /tmp "$ROOTFS_DIR/rootfs/escape"
	local host_side=/tmp/image_layer_escape.$$
	run container -v "$SHARED:/escape/${host_side#/tmp/}" -v "$SHARED:/new/deep/dir" none \
		sh -c "touch /new/deep/dir/one && ls $host_side"
	rm "$ROOTFS_DIR/rootfs/escape"
	assert_success
	assert_output one
	[ ! -e "$host_side" ]
	[ ! -e "$ROOTFS_DIR/rootfs/new" ]
	[ ! -e "$ROOTFS_DIR/rootfs$host_side" ]
}

@test "a volume under a symlink that leads nowhere inside the image is one line and 125" {
	ln -s /nowhere "$ROOTFS_DIR/rootfs/dangling"
	run container -v "$SHARED:/dangling/data" none true
	rm "$ROOTFS_DIR/rootfs/dangling"
	assert_failure 125
	assert_output "basic_container: container setup failed: /dangling in the container is a symlink to nothing inside it"
}

@test "a volume on /etc gets no file of ours: the /etc files are mounted in the layer first" {
	run container -v "$SHARED:/etc" none ls /etc
	assert_success
	assert_output ""
	run ls -A "$SHARED"
	assert_output ""
}

@test "each bad -v is one line and 125" {
	local -a cases=(
		"/nonexistent:/data|basic_container: volume /nonexistent: No such file or directory"
		"$SHARED:data|basic_container: -v $SHARED:data: the container's directory must be absolute"
		"$SHARED:/a/../b|basic_container: -v $SHARED:/a/../b: no . or .. in the container's directory"
		"$SHARED:/data:rx|basic_container: -v $SHARED:/data:rx: unknown mode 'rx' (ro or rw)"
		"$SHARED|basic_container: -v $SHARED: expected HOST_DIR:CONTAINER_DIR[:ro]"
		"$SHARED:/proc/x|basic_container: -v $SHARED:/proc/x: the container's directory may not be /, nor in /proc, /sys or /dev"
		"$SHARED:/|basic_container: -v $SHARED:/: the container's directory may not be /, nor in /proc, /sys or /dev"
	)
	local c
	for c in "${cases[@]}"; do
		run container -v "${c%%|*}" none true
		assert_failure 125
		assert_output "${c#*|}"
	done
}

@test "-w changes nothing in the image's /etc: only a file it has is covered, none is made or replaced" {
	local img=$BATS_TEST_TMPDIR/img before
	cp -a "$ROOTFS_DIR/rootfs" "$img"
	rm -f "$img/etc/hostname" "$img/etc/resolv.conf" "$img/etc/hosts"
	echo "image's hosts" >"$img/etc/hosts"
	ln -s /nowhere "$img/etc/resolv.conf"
	before=$(listing "$img/etc")
	run "$RUNTIME" -q -w -r "$img" -H web1 none sh -c 'grep -c web1 /etc/hosts; ls /etc/hostname'
	assert_failure
	assert_line --index 0 1
	assert_line --partial "/etc/hostname: No such file or directory"
	assert_equal "$(listing "$img/etc")" "$before"
	assert_equal "$(cat "$img/etc/hosts")" "image's hosts"
	rm -rf "${img:?}/etc"
	run "$RUNTIME" -q -w -r "$img" none true
	assert_success
	assert [ ! -e "$img/etc" ]
}

@test "/etc/hosts, /etc/hostname and /etc/resolv.conf are the container's own, read-only" {
	run container -H web1 none sh -c 'cat /etc/hostname /etc/hosts; echo x >> /etc/hosts'
	assert_failure
	assert_line --index 0 web1
	assert_line --index 1 --regexp '^127\.0\.0\.1[[:space:]]+localhost$'
	assert_line --index 3 --regexp '^127\.0\.1\.1[[:space:]]+web1$'
	assert_output --partial "Read-only file system"
}

@test "resolv.conf takes the servers behind a stub resolver on loopback, as Docker does" {
	local fake="$BATS_TEST_TMPDIR"
	printf 'nameserver 127.0.0.53\noptions edns0\n' >"$fake/stub"
	printf 'nameserver 198.51.100.53\nsearch example.test\n' >"$fake/upstream"
	mkdir -p /run/systemd/resolve
	touch /run/systemd/resolve/resolv.conf.test-target
	# shellcheck disable=SC2016  # expanded by the shell inside the container
	run unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf &&
		{ [ -e /run/systemd/resolve/resolv.conf ] || touch /run/systemd/resolve/resolv.conf; } &&
		mount --bind "$2" /run/systemd/resolve/resolv.conf &&
		"$3" -q -r "$4" none cat /etc/resolv.conf' sh "$fake/stub" "$fake/upstream" "$RUNTIME" "$ROOTFS_DIR/rootfs"
	rm -f /run/systemd/resolve/resolv.conf.test-target
	assert_success
	assert_output "nameserver 198.51.100.53
search example.test"
}

@test "while it runs a container has one locked state directory, gone when it exits" {
	start_held a none sh -c "$(held a)"
	run find "$STATE" -mindepth 1 -maxdepth 1 -printf '%f %m\n'
	assert_output --regexp '^[0-9a-f]{8} 710$'
	local id=${output%% *}
	run flock -n "$STATE/$id/lock" true
	assert_failure
	touch "$SHARED/a.go"
	wait "${pids[0]}"
	pids=()
	assert_nothing_left
}

@test "on v2, kill -9 of the runtime as it hands a controller down leaves it on only until the next container is done" {
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] ||
		skip "cgroup v1: controllers are not handed down (run on v2: make test-vm)"
	command -v strace >/dev/null || skip "strace is not installed"
	local controllers
	controllers=$(root_controllers)
	[[ " $controllers " != *" cpu "* ]] || skip "the root hands cpu down already"
	# The runtime's first setxattr(2) is its record of the controllers it
	# turns on at the root: strace kills it there, before or after the "+cpu".
	run strace -f -o /dev/null -e trace=setxattr -e inject=setxattr:signal=KILL \
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true
	assert_failure 137
	run container none true
	assert_success
	assert_equal "$(root_controllers)" "$controllers"
	assert_nothing_left
}

@test "kill -9 of the runtime at any moment leaves nothing behind once the next container ran" {
	local i delay controllers
	controllers=$(root_controllers)
	for i in $(seq 1 12); do
		delay=$(printf '0.%03d' $(((i * 37) % 120)))
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" -m 32M -p 20 none sleep 5 3>&- &
		sleep "$delay"
		kill -KILL "$!"
		wait "$!" || true
	done
	run container -m 32M none true
	assert_success
	assert_nothing_left
	assert_equal "$(root_controllers)" "$controllers"
	run pgrep -f "^sleep 5$"
	assert_failure
}

@test "a dead container's cgroups go even where no record says where, under any parent" {
	# As a runtime killed between making its cgroups and recording them
	# leaves it, from another session's cgroup: a cgroup named for its ID,
	# and a state directory with no list (then with an empty one).
	local hierarchy=/sys/fs/cgroup id record
	[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || hierarchy=/sys/fs/cgroup/pids
	for record in none empty; do
		id=$(printf '%08x' $((RANDOM * 32768 + RANDOM)))
		mkdir -p "$hierarchy/image_layer_test_parent/basic_container-$id" "$STATE/$id"
		chmod 710 "$STATE/$id"
		[ "$record" = empty ] && : >"$STATE/$id/cgroups"
		run container none true
		local left
		left=$(find "$hierarchy/image_layer_test_parent" -mindepth 1 -type d; [ ! -e "$STATE/$id" ] || echo "$STATE/$id")
		find "$hierarchy/image_layer_test_parent" -depth -type d -exec rmdir {} + 2>/dev/null || true
		rm -rf "${STATE:?}/$id"
		assert_success
		assert_equal "$left" ""
	done
}

@test "the root filesystem is opened once, by descriptor, never looked up again by name" {
	command -v strace >/dev/null || skip "strace is not installed"
	run strace -f -e trace=%file,open_tree,move_mount,fsconfig -o "$BATS_TEST_TMPDIR/trace" \
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true
	assert_success
	run grep -c "$ROOTFS_DIR/rootfs" "$BATS_TEST_TMPDIR/trace"
	assert_output 1
}
