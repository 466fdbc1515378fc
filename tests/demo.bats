#!/usr/bin/env bats
# `make demo`: the whole story from a fresh copy of the repository, and the
# proof that it leaves no trace. The namespace the demo starts from stands for
# the machine: `make test` runs the bats files in a throwaway network
# namespace; by hand, run `sudo unshare -n bats tests/demo.bats`.

load helpers

setup_file() {
	require_root
	if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
		skip "runs only in a throwaway network namespace: sudo unshare -n bats $BATS_TEST_FILENAME"
	fi
	# A fresh copy: the files of the repository, nothing built.
	COPY=$(mktemp -d /tmp/demo_test.XXXXXX)
	(cd "$TOP" && git ls-files -z -c -o --exclude-standard | xargs -0 cp --parents -P -t "$COPY")
	export COPY
}

teardown_file() {
	if [ -n "${COPY:-}" ]; then
		rm -rf "$COPY"
	fi
}

# The directories below the cgroups this process is in, per hierarchy, and the
# first level of each hierarchy: where the demo's programs make cgroups.
cgroup_dirs() {
	local line hierarchy path dir
	while IFS= read -r line; do
		hierarchy=${line#*:}
		hierarchy=${hierarchy%%:*}
		path=${line#*:*:}
		dir=/sys/fs/cgroup/${hierarchy#name=}
		if [ -z "$hierarchy" ]; then
			# 0::PATH: the unified hierarchy, /sys/fs/cgroup itself on v2.
			dir=/sys/fs/cgroup/unified
			[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] && dir=/sys/fs/cgroup
		fi
		if [ -d "$dir$path" ]; then
			find "$dir$path" -mindepth 1 -type d
			find "$dir" -mindepth 1 -maxdepth 1 -type d
		fi
	done </proc/self/cgroup
}

# What the demo could leave behind in the namespace it starts from, and in
# the machine's cgroups and mounts.
traces() {
	ip -o link show | awk -F': ' '{ print "link", $2 }'
	iptables-save | grep -v '^#' | sed 's/^/iptables /'
	sysctl -a 2>/dev/null | grep '^net\.' | grep -v -e '\.stable_secret' -e 'nf_conntrack_count' | sed 's/^/sysctl /'
	cgroup_dirs | sort -u | sed 's/^/cgroup /'
	awk '{ print "mount", $5 }' /proc/self/mountinfo
	find /tmp -mindepth 1 -maxdepth 1 -name 'demo.*' -printf 'file %p\n'
}

@test "make demo tells the whole story, command by command, and leaves no trace" {
	local before after
	before=$(traces)
	run make -C "$COPY" --no-print-directory demo
	after=$(traces)
	assert_success
	# A narration line, then the command, then its real output.
	assert_line "# The parent forks a child; the child execs echo; the parent waits."
	assert_line "$ ./fork_exec/bin/fork_and_exec echo hello"
	assert_line "Parent (PID=1; PPID=0) waiting on its child"
	assert_line "inside_ns"
	assert_line "cgroup_exec: ./cgroup/bin/cgroup_demo was killed by the OOM killer (memory limit 5M)"
	assert_line "[In child namespace] uts.nodename in child:  inside_container"
	assert_line "    inet 10.240.0.2/24 scope global eth0"
	assert_line "hello from 10.240.0.2"
	assert_line --regexp '^Connection received on 198\.51\.100\.2 [0-9]+$'
	assert_line "basic_container: the container was killed by the OOM killer (memory limit 5M)"
	assert_line "removed bridge cni0"
	assert_line "IP 10.240.1.2 > 10.240.3.2: ICMP echo request, id 2, seq 0, length 64"
	assert_line "hello from host 3"
	assert_line --regexp '^IP 198\.18\.0\.1\.[0-9]+ > 198\.18\.0\.3\.4789: VXLAN, flags \[I\] \(0x08\), vni 42$'
	assert_line "1450"
	assert_line "hello through VXLAN"
	assert_line "lab removed"
	refute_output --partial "unbound variable"
	# Nothing new: what was there before may go (a dead container's
	# leftovers, which any container's start removes).
	assert_equal "$(comm -13 <(sort <<<"$before") <(sort <<<"$after"))" ""
}

@test "make demo STEP=1 pauses before each step" {
	run bash -c "printf '\n\n\n\n\n\n' | make -C '$COPY' --no-print-directory demo STEP=1"
	assert_success
	assert_equal "$(grep -o '(press Enter to run step [1-6])' <<<"$output" | tr -d '\n')" \
		"(press Enter to run step 1)(press Enter to run step 2)(press Enter to run step 3)(press Enter to run step 4)(press Enter to run step 5)(press Enter to run step 6)"
}
