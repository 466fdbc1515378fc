#!/usr/bin/env bash
# guest.sh: the test VM's side of `make test-vm` (tests/vm/test_vm.sh). It
# runs as root from tutorial-test.service (tests/vm/image.sh), in the tree on
# the run's own disk (/srv/vm/tree), once the machine is up:
# `make test` (only TESTS when set, as `make test ONLY=...`), bounded by
# SUITE_TIMEOUT seconds. The log, the exit status, the timings and what the
# machine is are left in /srv/vm/results for the host; the unit then powers
# the machine off. Not meant to run anywhere else.
set -euo pipefail

RESULTS=/srv/vm/results
TREE=/srv/vm/tree

uptime_seconds() {
	local up
	read -r up _ </proc/uptime
	echo "${up%.*}"
}

# The controllers the root of the cgroup hierarchy hands down (v2).
root_controllers() {
	cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo "(none: not cgroup v2)"
}

# What the suite runs on: the kernel, the cgroup hierarchy and this
# process's place in it, the controllers the root hands down.
describe_machine() {
	echo "kernel $(uname -r),"
	echo "$(stat -f -c %T /sys/fs/cgroup) on /sys/fs/cgroup,"
	echo "tests in $(cut -d: -f3- /proc/self/cgroup | paste -sd ' '),"
	echo "root subtree_control: $(root_controllers)"
}

main() {
	local booted start status=0
	local -a make_test=(make test)
	if [ -n "${TESTS:-}" ]; then
		make_test+=(ONLY="$TESTS")
	fi
	booted=$(uptime_seconds)
	mkdir -p "$RESULTS"
	describe_machine >"$RESULTS/machine"
	echo "test-vm guest: up after $booted s; running make test${TESTS:+ ONLY=\"$TESTS\"}"
	cd "$TREE"
	start=$(uptime_seconds)
	timeout --kill-after=30 "${SUITE_TIMEOUT:-1800}" \
		"${make_test[@]}" 2>&1 | tee "$RESULTS/make-test.log" || status=$?
	echo $(($(uptime_seconds) - start)) >"$RESULTS/suite_seconds"
	echo "(after the suite: $(root_controllers))" >>"$RESULTS/machine"
	echo "$status" >"$RESULTS/status"
	sync
	echo "test-vm guest: make test exited with $status; powering off"
}

main "$@"
