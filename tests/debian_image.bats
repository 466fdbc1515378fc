#!/usr/bin/env bats
# Step 4 with a real image: a Debian bookworm minbase tree, as
# `make_rootfs.sh --debootstrap bookworm` builds it. Its second users (apt's
# _apt, a new user) need more than one mapped ID; its files keep their owners
# through the idmapped mount. tests/run.sh builds the tree before the bats
# files run in their sandbox (the build needs the Debian mirror); without it
# these tests skip, and say why.
# shellcheck disable=SC2030,SC2031  # pids live in each test's own subshell

load helpers
bats_require_minimum_version 1.5.0

DEBIAN="$TOP/tests/cache/debian-bookworm"

setup_file() {
	require_root
	RUNTIME="$TOP/basic_container/bin/basic_container"
	export RUNTIME
}

setup() {
	require_root
	if [ ! -x "$DEBIAN/usr/bin/apt-get" ]; then
		skip "no Debian image in $DEBIAN: no Debian mirror answered (make debian-rootfs)"
	fi
	SHARED="$BATS_TEST_TMPDIR/shared"
	mkdir -p "$SHARED"
	runtime_pid=
}

teardown() {
	if [ -n "${runtime_pid:-}" ]; then
		kill -KILL "$runtime_pid" 2>/dev/null || true
		wait "$runtime_pid" 2>/dev/null || true
		# A killed runtime's state and cgroups go with the next run.
		debian none true || true
	fi
}

debian() {
	"$RUNTIME" -q -r "$DEBIAN" "$@"
}

@test "in a Debian image useradd makes a second user, and su runs as it" {
	run debian none sh -c "useradd -m bob && su bob -c 'id -u; touch ~/mine; stat -c %U:%G ~/mine'"
	assert_success
	assert_output "1000
bob:bob"
}

@test "apt-get update drops its privileges to _apt without a seteuid or setgroups error" {
	run debian none apt-get update
	refute_output --partial seteuid
	refute_output --partial setgroups
	refute_output --partial setegid
	# No network in here: it fails at the name, after the privilege drop.
	assert_output --partial "deb.debian.org"
}

@test "with the seed's one-ID map (-U one) apt-get and useradd break, as the walkthrough shows" {
	run debian -U one none apt-get update
	assert_output --partial "E: seteuid 42 failed"
	run debian -U one none useradd -m alice
	assert_failure
}

@test "a process started as nobody inside runs as the range's base + 65534 on the host" {
	local child base nobody_pid
	"$RUNTIME" -q -r "$DEBIAN" -v "$SHARED:/shared" none sh -c \
		'setpriv --reuid=65534 --regid=65534 --clear-groups sleep 7.25 & touch /shared/ready; wait' 3>&- &
	runtime_pid=$!
	for _ in $(seq 1 100); do
		[ -e "$SHARED/ready" ] && nobody_pid=$(pgrep -f '^sleep 7.25$') && break
		sleep 0.05
	done
	child=$(pgrep -P "$runtime_pid" | head -n 1)
	base=$(awk '/^Uid:/ { print $2 }' "/proc/$child/status")
	assert [ -n "$nobody_pid" ]
	assert [ "$base" -ge 524288 ]
	assert_equal "$(awk '/^Uid:/ { print $2 }' "/proc/$nobody_pid/status")" "$((base + 65534))"
}
