#!/usr/bin/env bash
# make bench: how long a container takes, from start to the exit of /bin/true.
#
# Side by side, in one run, in a throwaway network namespace with its own cni0:
#   basic_container with full networking (veth on the bridge, address, route)
#   basic_container with IP none
#   unshare -fpmiunUr --mount-proc + chroot into the same rootfs
#   crun, where it is installed and can run here
# Each line gives the median and the fastest of RUNS runs and the peak RSS
# (tests/bench/timeit); then the ratios to the unshare line.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-300}
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

# The median of a timeit line, in ms.
median_of() {
	awk '{ for (i = 1; i < NF; i++) if ($i == "median") print $(i + 1) }' <<<"$1"
}

# A crun bundle running /bin/true in $ROOTFS, in the namespaces
# basic_container uses; prints its directory, or nothing when crun cannot run
# here (e.g. a cgroup v1/v2 hybrid with controllers on v2).
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

echo "container start to exit of /bin/true, $RUNS runs each:"
net=$("$TIMEIT" "$RUNS" "basic_container 10.240.0.2" \
	"$TOP/basic_container/bin/basic_container" -q -r "$ROOTFS" 10.240.0.2 /bin/true)
echo "$net"
none=$("$TIMEIT" "$RUNS" "basic_container none" \
	"$TOP/basic_container/bin/basic_container" -q -r "$ROOTFS" none /bin/true)
echo "$none"
unshared=$("$TIMEIT" "$RUNS" "unshare -fpmiunUr + chroot" \
	unshare -fpmiunUr --mount-proc chroot "$ROOTFS" /bin/true)
echo "$unshared"
bundle=$(crun_bundle)
if [ -n "$bundle" ]; then
	"$TIMEIT" "$RUNS" "crun" crun run --bundle "$bundle" bench
	rm -rf "$bundle"
fi

awk -v net="$(median_of "$net")" -v none="$(median_of "$none")" \
	-v base="$(median_of "$unshared")" 'BEGIN {
	printf "basic_container 10.240.0.2 / unshare: %.2fx\n", net / base
	printf "basic_container none / unshare:       %.2fx\n", none / base
}'
