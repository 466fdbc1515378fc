#!/usr/bin/env bats
# The house rules a machine can check: every shell script is shellcheck-clean,
# and all the C (the steps, the probe, the unit tests and the benchmark)
# builds without a single warning (-Werror, as in CI).

load helpers

# Every shell script of the project: the .sh, .bash and .bats files and CI's
# entry point, wherever they lie (not in the built root filesystems: ./rootfs,
# the Debian tree of `make debian-rootfs` in tests/cache).
shell_scripts() {
	find "$TOP" \( -path "$TOP/rootfs" -o -path "$TOP/.git" -o -path "$TOP/tests/cache" \) -prune -o \
		-type f \( -name '*.sh' -o -name '*.bash' -o -name '*.bats' \) -print
	echo "$TOP/.ci/run"
}

@test "every shell script is shellcheck-clean" {
	local -a scripts
	mapfile -t scripts < <(shell_scripts)
	# A sanity floor: the steps' scripts and the test files are all found.
	[ "${#scripts[@]}" -ge 15 ]
	cd "$TOP"
	run shellcheck -x "${scripts[@]}"
	assert_success
	assert_output ""
}

@test "all the C builds without a warning under -Werror" {
	local copy="$BATS_TEST_TMPDIR/tree"
	mkdir "$copy"
	mkdir "$copy/tests"
	cp -a "$TOP/Makefile" "$TOP/common" "$TOP/fork_exec" "$TOP/pid_namespace" \
		"$TOP/cgroup" "$TOP/basic_container" "$TOP/lockdown" "$copy/"
	cp -a "$TOP/tests/probe" "$TOP/tests/unit" "$TOP/tests/bench" "$copy/tests/"
	make -s -C "$copy" clean >/dev/null
	run bash -c 'make -s -C "$1" all CI=true &&
		for dir in probe unit bench; do make -s -C "$1/tests/$dir" CI=true || exit; done' _ "$copy"
	assert_success
	refute_output --partial "warning:"
	run ls "$copy/basic_container/bin/basic_container" "$copy/tests/probe/probe" \
		"$copy/tests/unit/test_common" "$copy/tests/bench/timeit" \
		"$copy/lockdown/bin/escape_probe" "$copy/tests/unit/test_lockdown_seccomp"
	assert_success
}
