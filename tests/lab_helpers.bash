# lab_helpers.bash: a cluster of simulated hosts for tests and the benchmark
# (load lab_helpers, or source it). Needs TOP, RUNTIME and ROOTFS set.
# shellcheck shell=bash
#
#   lab ARGS...                 lab.sh (LAB_DIR and LAB_LIFETIME as exported)
#   cluster_up MODE [--router] [--hosts N]
#                               a lab (3 hosts by default); on each host K the
#                               bridge (10.240.K.1/24), forwarding and NAT,
#                               and routes to every other host in MODE
#                               (host-gw, vxlan, or none)
#   underlay_ip K               host K's own address (.0.K, or .1.K behind the
#                               router)
#   lab_container K IP CMD...   start a container on host K in the background,
#                               its output in $LAB_OUT/IP; wait (bounded) until
#                               it prints "ready" (as /probe wait-signal does)
#                               when READY_LINE is set, else until its
#                               network namespace exists; CPID[IP] is then its
#                               PID 1 (as the machine sees it)
#   in_container IP CMD...      run CMD (a program of this machine) in the
#                               container's network namespace

LAB_HOSTS=3
LAB_ROUTER=""
declare -gA CPID

lab() {
	"$TOP/lab.sh" "$@"
}

underlay_ip() {
	if [ -n "$LAB_ROUTER" ] && [ "$1" -gt $(((LAB_HOSTS + 1) / 2)) ]; then
		echo "198.18.1.$1"
	else
		echo "198.18.0.$1"
	fi
}

cluster_up() {
	local mode=$1 k j
	local -a peers
	shift
	LAB_ROUTER="" LAB_HOSTS=3
	while [ $# -gt 0 ]; do
		case $1 in
		--router) LAB_ROUTER=yes ;;
		--hosts) LAB_HOSTS=$2 && shift ;;
		esac
		shift
	done
	lab up --hosts "$LAB_HOSTS" ${LAB_ROUTER:+--router} >/dev/null
	for ((k = 1; k <= LAB_HOSTS; k++)); do
		lab on "$k" "$TOP/setup_bridge.sh" --subnet "10.240.$k.0/24" >/dev/null
		lab on "$k" "$TOP/setup_forwarding.sh" --subnet "10.240.$k.0/24" >/dev/null
	done
	[ "$mode" != none ] || return 0
	for ((k = 1; k <= LAB_HOSTS; k++)); do
		peers=()
		for ((j = 1; j <= LAB_HOSTS; j++)); do
			if [ "$j" != "$k" ]; then
				peers+=("$(underlay_ip "$j"),10.240.$j.0/24")
			fi
		done
		lab on "$k" "$TOP/setup_routes.sh" "$mode" "${peers[@]}" >/dev/null
	done
}

# container_of RUNTIME_PID HOST_NS: the runtime's child that lives in a network
# namespace of its own (not the host's): the container's PID 1.
container_of() {
	local pid
	for pid in $(pgrep -P "$1"); do
		if [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null || echo "$2")" != "$2" ]; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}

lab_container() {
	local k=$1 ip=$2 out="$LAB_OUT/$2" rpid pid i host_ns
	shift 2
	host_ns=$(lab on "$k" readlink /proc/self/ns/net)
	# lab.sh itself, not the function lab: $! is then the runtime (lab.sh and
	# nsenter exec). 3>&-: bats waits for whatever holds its fd 3.
	"$TOP/lab.sh" on "$k" "$RUNTIME" -q -r "$ROOTFS" "$ip" "$@" >"$out" 2>&1 3>&- &
	rpid=$!
	# Not a job of this shell's: no "Killed" from bash when a lab goes down.
	disown "$rpid"
	for ((i = 0; i < 200; i++)); do
		if [ "$(readlink "/proc/$rpid/ns/net" 2>/dev/null)" = "$host_ns" ] &&
			pid=$(container_of "$rpid" "$host_ns") &&
			{ [ -z "${READY_LINE:-}" ] || grep -qx "$READY_LINE" "$out"; }; then
			CPID[$ip]=$pid
			return 0
		fi
		sleep 0.05
	done
	echo "container $ip on host $k never got ready: $(cat "$out")" >&2
	return 1
}

in_container() {
	local ip=$1
	shift
	nsenter -t "${CPID[$ip]}" -n -- "$@"
}
