#!/usr/bin/env bats
# basic_container/make_rootfs.sh: a busybox root filesystem built offline, a
# tarball unpacked (docker export's way), and the directories it refuses.

load helpers

setup() {
	MAKE_ROOTFS="$TOP/basic_container/make_rootfs.sh"
	DIR="$BATS_TEST_TMPDIR/rootfs"
}

@test "make_rootfs.sh builds a busybox tree and says where" {
	run "$MAKE_ROOTFS" "$DIR"
	assert_success
	assert_output --regexp "^rootfs ready in $DIR \([0-9]+ files\)$"
	[ -x "$DIR/bin/busybox" ]
}

@test "the busybox tree holds every applet the walkthrough uses" {
	local applet missing=()
	"$MAKE_ROOTFS" "$DIR" >/dev/null
	for applet in sh ps ip ping nc hostname ls cat echo mount id ifconfig route \
		sleep true false kill; do
		if ! compgen -G "$DIR/*bin/$applet" >/dev/null &&
			! compgen -G "$DIR/usr/*bin/$applet" >/dev/null; then
			missing+=("$applet")
		fi
	done
	assert_equal "${missing[*]}" ""
	[ -x "$DIR/bin/true" ]
	[ -x "$DIR/bin/sh" ]
}

@test "the busybox tree has passwd, group, hosts and the empty mount points" {
	"$MAKE_ROOTFS" "$DIR" >/dev/null
	run cat "$DIR/etc/passwd"
	assert_line "root:x:0:0:root:/root:/bin/sh"
	assert_line --regexp "^nobody:x:65534:65534:"
	run cat "$DIR/etc/group"
	assert_line "root:x:0:"
	run cat "$DIR/etc/hosts"
	assert_line --regexp "^127\.0\.0\.1[[:space:]]+localhost$"
	local d
	for d in proc sys dev tmp root etc; do
		[ -d "$DIR/$d" ]
	done
	for d in proc sys dev tmp; do
		assert_equal "$(ls -A "$DIR/$d")" ""
	done
	assert_equal "$(stat -c %a "$DIR/tmp")" 1777
}

@test "a shell runs in the busybox tree under chroot" {
	require_root
	"$MAKE_ROOTFS" "$DIR" >/dev/null
	run chroot "$DIR" /bin/sh -c 'echo hi; id -un; cat /etc/hosts'
	assert_success
	assert_output "hi
root
127.0.0.1 localhost"
}

@test "make_rootfs.sh refuses a directory that is not empty" {
	mkdir -p "$DIR"
	touch "$DIR/precious"
	run "$MAKE_ROOTFS" "$DIR"
	assert_failure 1
	assert_output "make_rootfs.sh: $DIR is not empty (use --force to build into it anyway)"
	assert_equal "$(ls -A "$DIR")" precious
}

@test "make_rootfs.sh --force builds into a directory that is not empty" {
	mkdir -p "$DIR"
	touch "$DIR/precious"
	run "$MAKE_ROOTFS" --force "$DIR"
	assert_success
	[ -e "$DIR/precious" ]
	[ -x "$DIR/bin/busybox" ]
}

@test "make_rootfs.sh --force never writes through a symlink that leads out of DIR" {
	local outside="$BATS_TEST_TMPDIR/outside"
	mkdir -p "$DIR" "$outside"
	ln -s "$outside" "$DIR/bin"
	run "$MAKE_ROOTFS" --force "$DIR"
	assert_failure 1
	assert_output "make_rootfs.sh: $DIR/bin is a symlink leading out of $DIR (to $outside): refusing to write through it"
	assert_equal "$(ls -A "$outside")" ""
}

@test "make_rootfs.sh --force replaces a file symlink that leads out of DIR instead of writing its target" {
	local outside="$BATS_TEST_TMPDIR/outside"
	mkdir -p "$DIR/etc" "$outside"
	echo precious >"$outside/passwd"
	ln -s "$outside/passwd" "$DIR/etc/passwd"
	run "$MAKE_ROOTFS" --force "$DIR"
	assert_success
	assert_equal "$(cat "$outside/passwd")" precious
	[ ! -L "$DIR/etc/passwd" ]
	run head -n 1 "$DIR/etc/passwd"
	assert_output "root:x:0:0:root:/root:/bin/sh"
}

@test "make_rootfs.sh --force builds into a tree whose symlinks stay inside it (usrmerge)" {
	mkdir -p "$DIR/usr/bin" "$DIR/usr/sbin"
	ln -s usr/bin "$DIR/bin"
	ln -s usr/sbin "$DIR/sbin"
	run "$MAKE_ROOTFS" --force "$DIR"
	assert_success
	[ -x "$DIR/usr/bin/busybox" ]
	run chroot "$DIR" /bin/sh -c 'echo hi'
	assert_output hi
}

@test "make_rootfs.sh refuses /, however it is spelled" {
	run "$MAKE_ROOTFS" --force /
	assert_failure 1
	assert_output "make_rootfs.sh: refusing to build a root filesystem over /"
	run "$MAKE_ROOTFS" --force /tmp/..//
	assert_failure 1
	assert_output "make_rootfs.sh: refusing to build a root filesystem over /"
}

@test "make_rootfs.sh --from-tar unpacks a tarball, as from docker export" {
	local src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src/bin" "$src/etc"
	echo "from the tarball" >"$src/etc/motd"
	cp /bin/busybox "$src/bin/busybox"
	ln -s busybox "$src/bin/sh"
	tar -C "$src" -cf "$BATS_TEST_TMPDIR/tree.tar" .
	run "$MAKE_ROOTFS" --from-tar "$BATS_TEST_TMPDIR/tree.tar" "$DIR"
	assert_success
	assert_output "rootfs ready in $DIR (3 files)"
	assert_equal "$(cat "$DIR/etc/motd")" "from the tarball"
	assert_equal "$(readlink "$DIR/bin/sh")" busybox
	[ -d "$DIR/proc" ]
}

@test "make_rootfs.sh --from-tar never creates device nodes" {
	require_root
	local src="$BATS_TEST_TMPDIR/src"
	mkdir -p "$src/dev" "$src/etc"
	echo "from the tarball" >"$src/etc/motd"
	mknod "$src/dev/sda" b 8 0
	mknod "$src/dev/mem" c 1 1
	tar -C "$src" -cf "$BATS_TEST_TMPDIR/tree.tar" .
	run "$MAKE_ROOTFS" --from-tar "$BATS_TEST_TMPDIR/tree.tar" "$DIR"
	assert_success
	assert_line --regexp '^make_rootfs\.sh: left out 2 device nodes \((\./dev/mem \./dev/sda|\./dev/sda \./dev/mem)\): a container gets no device of the host$'
	assert_equal "$(cat "$DIR/etc/motd")" "from the tarball"
	assert_equal "$(find "$DIR" \( -type b -o -type c \) | wc -l)" 0
}

@test "make_rootfs.sh --from-tar says so when the tarball is missing" {
	run "$MAKE_ROOTFS" --from-tar "$BATS_TEST_TMPDIR/none.tar" "$DIR"
	assert_failure 1
	assert_output "make_rootfs.sh: cannot read $BATS_TEST_TMPDIR/none.tar"
}

@test "make_rootfs.sh points to busybox-static when busybox is missing" {
	BUSYBOX="$BATS_TEST_TMPDIR/none" run "$MAKE_ROOTFS" "$DIR"
	assert_failure 1
	assert_output "make_rootfs.sh: no busybox at $BATS_TEST_TMPDIR/none: apt-get install busybox-static"
}

@test "make_rootfs.sh -h prints its usage" {
	run "$MAKE_ROOTFS" -h
	assert_success
	assert_line --index 0 "Usage: make_rootfs.sh [--force] [--from-tar FILE | --debootstrap SUITE] DIR"
}

@test "make_rootfs.sh with a bad option prints its usage and fails" {
	run "$MAKE_ROOTFS" --frobnicate "$DIR"
	assert_failure 2
	assert_line --index 0 "make_rootfs.sh: unknown option '--frobnicate'"
	assert_line --index 1 --partial "Usage: make_rootfs.sh"
	[ ! -e "$DIR" ]
	run "$MAKE_ROOTFS"
	assert_failure 2
	assert_line --index 0 "make_rootfs.sh: give exactly one DIR"
}
