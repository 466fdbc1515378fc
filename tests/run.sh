#!/usr/bin/env bash
# Run every Check unit test, every bats file and the README's commands
# (tests/readme_doctest.py), then print one summary line:
#   N passed, N failed, N skipped
# Arguments, relative to the top of the tree, run only those: unit test
# programs (tests/unit/test_cgroup), bats files, README.md (the doc tests):
#   tests/run.sh tests/cgroup.bats tests/unit/test_cgroup    (make test ONLY="...")
# and exit non-zero when anything failed. As root the bats files run inside a
# throwaway network namespace (unshare -n): even a faulty test cannot touch the
# machine's own network. The tests make their own sandboxes as well.
set -euo pipefail
cd "$(dirname "$0")/.."

# tests/debian_image.bats runs a real Debian image. Building it needs the
# Debian mirror, so it is built here (make debian-rootfs), in the tree itself
# (kept in tests/cache for later runs) and before the bats files enter their
# sandbox; when no mirror answers, those tests skip and say so.
if [ "$(id -u)" -eq 0 ] && [ -z "${RUN_FROM_COPY:-}" ] && [ ! -d tests/cache/debian-bookworm ] &&
	! make --no-print-directory -s debian-rootfs >/dev/null 2>&1; then
	echo "run.sh: no Debian mirror answered; the Debian image tests will skip" >&2
fi

# Some tests run our programs as the user nobody, who must be able to reach
# them. When this tree lies where nobody cannot (a clone under /root, mode
# 700), run the whole suite from a copy that nobody can reach.
if [ "$(id -u)" -eq 0 ] && [ -z "${RUN_FROM_COPY:-}" ] &&
	! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$PWD/tests/run.sh"; then
	copy=$(mktemp -d /tmp/run_tests.XXXXXX)
	chmod 755 "$copy"
	cp -a . "$copy/tree"
	chmod 755 "$copy/tree"
	status=0
	RUN_FROM_COPY=1 "$copy/tree/tests/run.sh" "$@" || status=$?
	rm -rf "$copy"
	exit "$status"
fi

passed=0
failed=0
skipped=0

# Check prints "100%: Checks: N, Failures: F, Errors: E".
run_unit_test() {
	local test=$1 out
	local summary='Checks: ([0-9]+), Failures: ([0-9]+), Errors: ([0-9]+)'

	out=$("$test" 2>&1) || true
	printf '%s\n' "$out"
	if [[ ! $out =~ $summary ]]; then
		echo "run.sh: $test printed no Check summary" >&2
		failed=$((failed + 1))
		return 0
	fi
	passed=$((passed + BASH_REMATCH[1] - BASH_REMATCH[2] - BASH_REMATCH[3]))
	failed=$((failed + BASH_REMATCH[2] + BASH_REMATCH[3]))
}

# Count the TAP lines of a test program: "ok N name", "ok N name # skip
# reason", "not ok N name". A failing exit without a failing test counts as
# a failure too, and so does a plan ("1..N") that the tests run did not meet:
# a test program that died half-way.
run_tap() {
	local line status=0 plan="" ran=0 failed_before=$failed

	while IFS= read -r line; do
		case $line in
		"# tap exit "*)
			status=${line##*exit }
			continue
			;;
		esac
		printf '%s\n' "$line"
		case $line in
		1..*) plan=${line#1..} ;;
		"not ok "*) failed=$((failed + 1)) ran=$((ran + 1)) ;;
		"ok "*"# skip"*) skipped=$((skipped + 1)) ran=$((ran + 1)) ;;
		"ok "*) passed=$((passed + 1)) ran=$((ran + 1)) ;;
		esac
	done < <("$@"; echo "# tap exit $?")
	if [ "$status" != 0 ] && [ "$failed" -eq "$failed_before" ]; then
		echo "run.sh: $1 failed without a failing test (exit $status)" >&2
		failed=$((failed + 1))
	fi
	if [ "$plan" != "$ran" ]; then
		echo "run.sh: $1 planned ${plan:-no} tests and ran $ran" >&2
		failed=$((failed + 1))
	fi
}

# The bats files, as root inside a throwaway network namespace.
run_bats() {
	if [ "$(id -u)" -eq 0 ]; then
		run_tap unshare --net -- bash -c 'ip link set lo up && exec "$@"' sandbox bats --tap "$@"
	else
		run_tap bats --tap "$@"
	fi
}

# What the suite could leave behind on the machine: links in its own network
# namespace, mounts, cgroups of ours, state of setup_forwarding.sh, files in
# /tmp, processes of ours.
traces() {
	ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print "link " $2 }'
	awk '{ print "mount " $5 }' /proc/self/mountinfo
	find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d \
		\( -name 'basic_container-*' -o -name 'cgroup_exec-*' -o -name 'test_cgroup*' -o \
		-name 'test_lockdown*' \) -printf 'cgroup %p\n' 2>/dev/null || true
	# On v2, controllers turned on at the root and left on.
	if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo "subtree_control $(cat /sys/fs/cgroup/cgroup.subtree_control)"
	fi
	find /run/container-tutorial -mindepth 1 -printf 'state %p\n' 2>/dev/null || true
	find /var/lib/basic_container/containers -mindepth 1 -maxdepth 1 -printf 'state %p\n' 2>/dev/null || true
	# The suite's own temporary files (mktemp's names here and in the tests),
	# whatever else the machine may be doing in /tmp meanwhile.
	find /tmp -mindepth 1 -maxdepth 1 \( -name 'tmp.*' -o -name '*_test.*' -o \
		-name 'readme_doctest.*' -o -name 'sandbox_state.*' -o -name 'demo.*' -o \
		-name 'bench_crun.*' -o -name 'test_c*.*' -o -name 'test_lockdown.*' -o \
		-name 'bats-run-*' -o -name 'image_layer_escape.*' \) \
		-printf 'file %p\n'
	pgrep -af "^($PWD|/probe)" | sed 's/^[0-9]* /process /' || true
}

# One more test: the suite as a whole leaves nothing behind.
check_nothing_left_behind() {
	local left
	left=$(comm -13 <(sort <<<"$before") <(traces | sort))
	if [ -z "$left" ]; then
		echo "ok - the whole suite leaves no link, mount, cgroup, state, file or process behind"
		passed=$((passed + 1))
	else
		echo "not ok - the suite left behind:"
		printf '#   %s\n' "$left"
		failed=$((failed + 1))
	fi
}

# The tests to run, by kind: the arguments, or every one of the tree.
unit_tests=()
bats_files=()
doc_tests=no
if [ $# -eq 0 ]; then
	for t in tests/unit/test_*; do
		if [ -f "$t" ] && [ -x "$t" ]; then
			unit_tests+=("$t")
		fi
	done
	mapfile -t bats_files < <(ls tests/*.bats)
	doc_tests=yes
fi
for t in "$@"; do
	case $t in
	*.bats) bats_files+=("$t") ;;
	README.md) doc_tests=yes ;;
	tests/unit/test_*) unit_tests+=("$t") ;;
	*)
		echo "run.sh: $t is no test (a tests/*.bats file, a tests/unit/test_* program, README.md)" >&2
		exit 2
		;;
	esac
done

before=$(traces)
for t in "${unit_tests[@]}"; do
	run_unit_test "$t"
done
if [ "${#bats_files[@]}" -gt 0 ]; then
	run_bats "${bats_files[@]}"
fi
if [ "$doc_tests" = yes ]; then
	run_tap tests/readme_doctest.py README.md
fi
check_nothing_left_behind

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
