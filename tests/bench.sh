#!/usr/bin/env bash
# make bench: how long a container takes, from start to the exit of /bin/true.
#
# Side by side, in one run, in a throwaway network namespace with its own cni0,
# one line after the other:
#   unshare -fpmiunUr --mount-proc + chroot into the same rootfs
#   basic_container with full networking (veth on the bridge, address, route)
#   basic_container with IP none, then without one piece after another, to
#   show what each costs: -P (no lockdown, step 5), -P -w (no layer), and
#   -P -w -U one (no ID range, no idmapped image: the seed's container)
#   crun, where it is installed and can run here
# Each line gives the median and the fastest of RUNS runs and the peak RSS
# (tests/bench/timeit, pausing PAUSE_MS before each run so that the kernel's
# background teardown of the last run's namespaces does not weigh on the
# next); then the ratios to the unshare line.
#
# Then step 6's network, container to container, side by side in one run: the
# round trip (ping, median of PINGS) and the TCP throughput (iperf3, IPERF_S
# seconds) between two containers on one host (the bridge), on two hosts with
# host-gw routes, and on two hosts through VXLAN, in a lab of simulated hosts
# (lab.sh); then the ratios. BENCH=start or BENCH=network runs one part only.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-200}
PAUSE_MS=${PAUSE_MS:-50}
ROOTFS=${ROOTFS:-$TOP/rootfs}
TIMEIT=$TOP/tests/bench/timeit
PINGS=${PINGS:-100}
IPERF_S=${IPERF_S:-5}
BENCH=${BENCH:-all}

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

start_bench() {
	results=
	echo "container start to exit of /bin/true, $RUNS runs each, ${PAUSE_MS} ms apart:"
	timeit "unshare -fpmiunUr + chroot" unshare -fpmiunUr --mount-proc chroot "$ROOTFS" /bin/true
	timeit "basic_container 10.240.0.2" "$runtime" -q -r "$ROOTFS" 10.240.0.2 /bin/true
	timeit "basic_container none" "$runtime" -q -r "$ROOTFS" none /bin/true
	timeit "  -P: no lockdown" "$runtime" -q -r "$ROOTFS" -P none /bin/true
	timeit "  -P -w: no layer either" "$runtime" -q -r "$ROOTFS" -P -w none /bin/true
	timeit "  -P -w -U one: nor idmap" "$runtime" -q -r "$ROOTFS" -P -w -U one none /bin/true
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
}

# ---- step 6: container to container, on one host and across hosts

# A container that waits, on host K at IP; returns once the host reaches it.
waiting_container() {
	local k=$1 ip=$2
	lab_container "$k" "$ip" sleep 3600
	for _ in $(seq 100); do
		lab on "$k" ping -n -c 1 -W 1 "$ip" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	echo "bench.sh: container $ip on host $k never answered" >&2
	return 1
}

# median_rtt FROM TO: the median of PINGS round trips, in ms.
median_rtt() {
	in_container "$1" ping -n -c "$PINGS" -i 0.01 "$2" |
		sed -n 's/.* time=\([0-9.]*\) ms$/\1/p' | sort -g |
		awk '{ v[NR] = $1 } END { printf "%.3f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# throughput FROM TO: TCP, FROM sending to TO for IPERF_S s, in Gbit/s, as
# the receiver counted it.
throughput() {
	local server
	in_container "$2" iperf3 -s -1 >/dev/null 2>&1 &
	server=$!
	for _ in $(seq 50); do
		[ -n "$(in_container "$2" ss -Hltn 'sport = :5201')" ] && break
		sleep 0.1
	done
	in_container "$1" iperf3 -c "$2" -t "$IPERF_S" -f m |
		awk '/receiver/ { for (i = 1; i < NF; i++) if ($(i + 1) == "Mbits/sec") printf "%.2f", $i / 1000 }'
	wait "$server" || true
}

# measure LABEL FROM TO: one line of the table, kept in net_results too.
measure() {
	local line
	line=$(printf '%-26s %8s ms %8s Gbit/s' "$1" "$(median_rtt "$2" "$3")" "$(throughput "$2" "$3")")
	echo "$line"
	net_results+="$line"$'\n'
}

network_bench() {
	local lab_dir
	lab_dir=$(mktemp -d /tmp/bench_lab.XXXXXX)
	export LAB_DIR=$lab_dir/lab LAB_LIFETIME=900 LAB_OUT=$lab_dir RUNTIME=$runtime ROOTFS
	# shellcheck source=tests/lab_helpers.bash
	source "$TOP/tests/lab_helpers.bash"
	net_results=
	echo "container to container: round trip (ping, median of $PINGS) and TCP (iperf3, $IPERF_S s):"
	cluster_up host-gw --hosts 2
	waiting_container 1 10.240.1.2
	waiting_container 1 10.240.1.3
	waiting_container 2 10.240.2.2
	measure "one host, the bridge" 10.240.1.2 10.240.1.3
	measure "two hosts, host-gw" 10.240.1.2 10.240.2.2
	lab down >/dev/null
	cluster_up vxlan --hosts 2
	waiting_container 1 10.240.1.2
	waiting_container 2 10.240.2.2
	measure "two hosts, VXLAN" 10.240.1.2 10.240.2.2
	lab down >/dev/null
	rm -rf "$lab_dir"
	awk 'NF { rtt[++n] = $(NF - 3); tput[n] = $(NF - 1) } END {
		printf "host-gw / one host: round trip %.2fx, throughput %.2fx\n", rtt[2] / rtt[1], tput[2] / tput[1]
		printf "VXLAN / host-gw:    round trip %.2fx, throughput %.2fx\n", rtt[3] / rtt[2], tput[3] / tput[2]
	}' <<<"$net_results"
}

case $BENCH in
start) start_bench ;;
network) network_bench ;;
*)
	start_bench
	echo
	network_bench
	;;
esac
