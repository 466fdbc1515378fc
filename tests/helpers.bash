# helpers.bash: loaded by every bats file (load helpers).
# shellcheck shell=bash

bats_load_library bats-support
bats_load_library bats-assert

# The top of the repository, whatever the current directory.
TOP="$(cd "$BATS_TEST_DIRNAME/.." && pwd)"
export TOP

# Skip the current test with a reason unless we are root.
require_root() {
	if [ "$(id -u)" -ne 0 ]; then
		skip "needs root"
	fi
}

# Skip unless the kernel lets an unprivileged user make a user namespace
# (root always may; ask as nobody).
require_userns() {
	local -a as_user=()
	if [ "$(id -u)" -eq 0 ]; then
		as_user=(as_nobody)
	fi
	if ! "${as_user[@]}" unshare -U true 2>/dev/null; then
		skip "unprivileged user namespaces are disabled here"
	fi
}

# Run "$@" as the unprivileged user nobody (root only).
as_nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

# A root filesystem for containers in DIR/rootfs: busybox, our static probe
# as /probe, step 3's greedy cgroup_demo and step 5's escape_probe (static
# too), as `make rootfs` has it. DIR and its parents stay searchable by a
# plain user.
make_test_rootfs() {
	chmod 755 "$1"
	"$TOP/basic_container/make_rootfs.sh" "$1/rootfs" >/dev/null
	cp "$TOP/tests/probe/probe" "$1/rootfs/probe"
	cp "$TOP/cgroup/bin/cgroup_demo" "$1/rootfs/bin/cgroup_demo"
	cp "$TOP/lockdown/bin/escape_probe" "$1/rootfs/escape_probe"
}

# In setup_file: RUNTIME, the runtime the tests run, and a test root
# filesystem in a fresh ROOTFS_DIR (/tmp/NAME_test.XXXXXX), both exported.
# remove_test_rootfs, in teardown_file, takes it away.
new_test_rootfs() {
	RUNTIME="$TOP/basic_container/bin/basic_container"
	ROOTFS_DIR=$(mktemp -d "/tmp/$1_test.XXXXXX")
	make_test_rootfs "$ROOTFS_DIR"
	export RUNTIME ROOTFS_DIR
}

remove_test_rootfs() {
	if [ -n "${ROOTFS_DIR:-}" ]; then
		rm -rf "$ROOTFS_DIR"
	fi
}

# make_rootfs_without_proc DIR DEST: a copy of the test rootfs DIR/rootfs in
# DEST (which must not exist yet) whose /proc is a file, not a directory: a
# container's setup fails there, at `mount proc on /proc`.
make_rootfs_without_proc() {
	if [ -e "$2" ]; then
		echo "make_rootfs_without_proc: $2 exists already" >&2
		return 1
	fi
	cp -a "$1/rootfs" "$2"
	rmdir "$2/proc"
	touch "$2/proc"
}

# Run "$@" N times and print each distinct outcome once, as a line
# "OUTPUT status STATUS" (the output's own newlines as \n). A race that goes
# wrong in one run of N shows up as a second line.
distinct_outcomes() {
	local n=$1 out status outcomes=""
	shift
	for _ in $(seq "$n"); do
		status=0
		out=$("$@" 2>&1) || status=$?
		outcomes+="${out//$'\n'/\\n} status $status"$'\n'
	done
	sort -u <<<"${outcomes%$'\n'}"
}
