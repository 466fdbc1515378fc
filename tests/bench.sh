#!/usr/bin/env bash
# make bench: how long a container takes, from start to the exit of /bin/true.
#
# Side by side, in one run, in a throwaway network namespace with its own cni0,
# one line after the other:
#   unshare -fpmiunUr --mount-proc + chroot into the same rootfs
#   basic_container with full networking (veth on the bridge, address, route)
#   basic_container with IP none
#   crun, where it is installed and can run here
# Each line gives the median and the fastest of RUNS runs and the peak RSS
# (tests/bench/timeit, pausing PAUSE_MS before each run so that the kernel's
# background teardown of the last run's namespaces does not weigh on the
# next); then the ratios to the unshare line.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-200}
PAUSE_MS=${PAUSE_MS:-50}
ROOTFS=${ROOTFS:-$TOP/rootfs}
TIMEIT=$TOP/tests/bench/timeit

# Enter a new network namespace first: the bridge and veths of the benchmark
# never touch the machine's own network.
if [ "${BENCH_SANDBOX:-}" != 1 ]; then
	[ "$(id -u)" -eq 0 ] || { echo "bench.sh: needs root (sudo make bench)" >&2; exit 1; }
	BENCH_SANDBOX=1 exec unshare --net -- "$0" "$@"
fi

ip link set lo up
BRIDGE=cni0 "$TOP/setup_bridge.sh" >/dev/null

# The median of LABEL's line in timeit's output, in ms.
median_of() {
	awk -v label="$1" 'index($0, label) == 1 {
		for (i = 1; i < NF; i++) if ($i == "median") print $(i + 1) }' <<<"$results"
}

# A crun bundle running /bin/true in $ROOTFS; prints its directory, or
# nothing when crun cannot run here (e.g. on a cgroup v1/v2 hybrid with
# controllers on v2, which crun refuses).
crun_bundle() {
	local dir
	command -v crun >/dev/null || return 0
	dir=$(mktemp -d /tmp/bench_crun.XXXXXX)
	ln -s "$ROOTFS" "$dir/rootfs"
	(cd "$dir" && crun spec)
	sed -i 's/"terminal": true/"terminal": false/; s/"sh"$/"\/bin\/true"/' "$dir/config.json"
	if crun run --bundle "$dir" bench-probe >/dev/null 2>"$dir/error"; then
		echo "$dir"
	else
		echo "crun: cannot run here: $(head -n 1 "$dir/error")" >&2
		rm -rf "$dir"
	fi
}

# The kernel tears a network namespace down in the background after its last
# process exits; let one line's teardowns finish before the next line starts.
settle() {
	sleep 2
}

# timeit LABEL CMD...: one line of results, kept in $results too.
timeit() {
	local line
	line=$("$TIMEIT" -p "$PAUSE_MS" "$RUNS" "$@")
	echo "$line"
	results+="$line"$'\n'
	settle
}

runtime="$TOP/basic_container/bin/basic_container"
results=
echo "container start to exit of /bin/true, $RUNS runs each, ${PAUSE_MS} ms apart:"
timeit "unshare -fpmiunUr + chroot" unshare -fpmiunUr --mount-proc chroot "$ROOTFS" /bin/true
timeit "basic_container 10.240.0.2" "$runtime" -q -r "$ROOTFS" 10.240.0.2 /bin/true
timeit "basic_container none" "$runtime" -q -r "$ROOTFS" none /bin/true
bundle=$(crun_bundle)
if [ -n "$bundle" ]; then
	timeit crun crun run --bundle "$bundle" bench
	rm -rf "$bundle"
fi

awk -v net="$(median_of "basic_container 10.240.0.2")" \
	-v none="$(median_of "basic_container none")" \
	-v base="$(median_of "unshare")" 'BEGIN {
	printf "basic_container 10.240.0.2 / unshare: %.2fx\n", net / base
	printf "basic_container none / unshare:       %.2fx\n", none / base
}'
