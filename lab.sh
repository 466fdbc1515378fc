#!/usr/bin/env bash
# lab.sh: a lab of simulated hosts for step 6, all on this machine.
#
# Each host is a network namespace with one link, eth0, on an "underlay": a
# bridge in the lab's own namespace that stands for the data centre's LAN,
# with addresses from 198.18.0.0/15 (RFC 2544, for benchmark labs: no real
# network uses them). The lab's namespace is also the hosts' router
# (198.18.0.254) and a fake internet host beyond it, 203.0.113.10, with no
# route back to the containers. --router splits the hosts into two halves,
# each its own segment and subnet, routed by the lab's namespace: the hosts
# are then no longer on one L2 segment.
#
# A namespace lives as long as a process in it: each is held by a `sleep`
# started under `unshare -n`, recorded in the lab's directory by PID and
# namespace, and `lab.sh on K CMD` runs CMD in host K's namespace (nsenter).
# Nothing is made in the namespace lab.sh is run from.
set -euo pipefail

PROG=${0##*/}
LIFETIME=${LAB_LIFETIME:-infinity}
UNDERLAY=198.18
INTERNET_IP=203.0.113.10

usage() {
	cat <<EOF
Usage: $PROG up [--hosts N] [--router]
       $PROG on K|lab CMD [ARG...]
       $PROG down
A lab of N simulated hosts (default 3), each a network namespace:
host K has eth0 $UNDERLAY.0.K/24 on the lab's LAN (a bridge in the lab's own
namespace) and a default route via $UNDERLAY.0.254, the lab's router, behind
which lies a fake internet host, $INTERNET_IP.

  up          make the lab
  --hosts N   N hosts, 1 to 9 (default 3)
  --router    two segments instead of one: hosts 1 to N/2 (rounded up) on
              $UNDERLAY.0.0/24, the others on $UNDERLAY.1.0/24 (host K:
              $UNDERLAY.1.K), joined by the lab's router (.254 on each)
  on K CMD    run CMD on host K (1 to N), or in the lab's namespace (lab)
  down        end every process in the lab's namespaces; the namespaces and
              all they hold (bridges, routes, rules, containers' veths) go
  -h, --help  this help

Environment:
  LAB_DIR       where the lab's PIDs are kept (default
                /run/container-tutorial/lab-net-N, N naming the network
                namespace lab.sh runs in: a throwaway namespace has its own lab)
  LAB_LIFETIME  seconds the lab lives at most (default: until lab.sh down)

Needs root, iproute2 and util-linux (unshare, nsenter).
EOF
}

bad_usage() {
	echo "$PROG: $*" >&2
	usage >&2
	exit 2
}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

lab_dir() {
	local ns
	if [ -n "${LAB_DIR:-}" ]; then
		echo "$LAB_DIR"
		return
	fi
	ns=$(readlink /proc/self/ns/net) # net:[4026531840]
	ns=${ns#*[}
	echo "/run/container-tutorial/lab-net-${ns%]}"
}

# A holder's record: "PID NAMESPACE", e.g. "4242 net:[4026532178]".
# alive NAME: its process still holds the namespace it was started with (a
# PID alone could have been given to another process since).
alive() {
	local pid ns
	[ -r "$DIR/$1" ] || return 1
	read -r pid ns <"$DIR/$1"
	[ "$(readlink "/proc/$pid/ns/net" 2>/dev/null)" = "$ns" ]
}

pid_of() {
	local pid ns
	read -r pid ns <"$DIR/$1"
	echo "$pid"
}

# hold NAME: a process in a new network namespace, in a session of its own
# (a terminal's Ctrl-C or hang-up does not reach it), recorded as NAME once
# its namespace exists: `unshare -n cmd &` returns before it does.
hold() {
	local name=$1 pid mine ns i
	mine=$(readlink /proc/self/ns/net)
	setsid unshare -n -- sleep "$LIFETIME" </dev/null >/dev/null 2>&1 3>&- &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		ns=$(readlink "/proc/$pid/ns/net" 2>/dev/null || echo "$mine")
		if [ "$ns" != "$mine" ]; then
			echo "$pid $ns" >"$DIR/$name"
			nsenter -t "$pid" -n ip link set lo up
			return 0
		fi
		sleep 0.01
	done
	die "the holder of $name got no network namespace of its own"
}

in_ns() {
	local pid
	pid=$(pid_of "$1")
	shift
	nsenter -t "$pid" -n -- "$@"
}

# segment K: the underlay subnet's third byte for host K (0, or 1 for the
# second half behind the router).
segment() {
	if [ "$ROUTER" = yes ] && [ "$1" -gt $(((HOSTS + 1) / 2)) ]; then
		echo 1
	else
		echo 0
	fi
}

make_lan() {
	local s
	in_ns lab ip addr add "$INTERNET_IP/32" dev lo
	for s in $(segments); do
		in_ns lab ip link add "lan$s" type bridge
		in_ns lab ip addr add "$UNDERLAY.$s.254/24" dev "lan$s"
		in_ns lab ip link set "lan$s" up
	done
	# The router forwards between the segments (and to the internet host,
	# which is its own address).
	in_ns lab sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
}

segments() {
	if [ "$ROUTER" = yes ]; then echo 0 1; else echo 0; fi
}

make_host() {
	local k=$1 s
	s=$(segment "$k")
	hold "host$k"
	# The veth's far end is born in the host's namespace as eth0.
	in_ns lab ip link add "host$k" type veth peer name eth0 netns "$(pid_of "host$k")"
	in_ns lab ip link set "host$k" master "lan$s" up
	in_ns "host$k" ip addr add "$UNDERLAY.$s.$k/24" dev eth0
	in_ns "host$k" ip link set eth0 up
	in_ns "host$k" ip route add default via "$UNDERLAY.$s.254"
	echo "host $k: eth0 $UNDERLAY.$s.$k/24, via $UNDERLAY.$s.254 to the rest"
}

lab_up() {
	local k
	if alive lab; then
		die "a lab is up already ($DIR): $PROG down first"
	fi
	rm -rf "$DIR"
	mkdir -p "$DIR"
	echo "$HOSTS $ROUTER" >"$DIR/settings"
	hold lab
	make_lan
	if [ "$ROUTER" = yes ]; then
		echo "lab: $HOSTS hosts on two segments, $UNDERLAY.0.0/24 and $UNDERLAY.1.0/24, joined by a router"
	else
		echo "lab: $HOSTS hosts on one segment, $UNDERLAY.0.0/24"
	fi
	for ((k = 1; k <= HOSTS; k++)); do
		make_host "$k"
	done
	echo "internet: $INTERNET_IP, beyond the router"
}

# The processes whose network namespace is NS.
processes_in() {
	local link pid
	for link in /proc/[0-9]*/ns/net; do
		if [ "$(readlink "$link" 2>/dev/null)" = "$1" ]; then
			pid=${link#/proc/}
			echo "${pid%%/*}"
		fi
	done
}

# End every process in the lab's namespaces (holders, containers, servers
# started with `on`): TERM, then KILL what is left after 2 s.
lab_down() {
	local name pid ns signal i
	local -a pids=()
	if [ ! -d "$DIR" ]; then
		echo "no lab here: nothing to remove"
		return 0
	fi
	for name in "$DIR"/lab "$DIR"/host*; do
		if [ -f "$name" ] && alive "${name##*/}"; then
			read -r pid ns <"$name"
			mapfile -t -O "${#pids[@]}" pids < <(processes_in "$ns")
		fi
	done
	for signal in TERM KILL; do
		if [ "${#pids[@]}" -gt 0 ]; then
			kill "-$signal" "${pids[@]}" 2>/dev/null || true
		fi
		for ((i = 0; i < 20; i++)); do
			for pid in "${!pids[@]}"; do
				if [ ! -e "/proc/${pids[$pid]}" ]; then
					unset "pids[$pid]"
				fi
			done
			[ "${#pids[@]}" -eq 0 ] && break 2
			sleep 0.1
		done
	done
	rm -rf "$DIR"
	rmdir /run/container-tutorial 2>/dev/null || true
	echo "lab removed"
}

lab_on() {
	local name=$1
	shift
	if [ ! -r "$DIR/settings" ]; then
		die "no lab here: $PROG up first"
	fi
	case $name in
	lab) ;;
	[1-9]) name=host$name ;;
	*) bad_usage "no host '$name' (1 to 9, or lab)" ;;
	esac
	if [ ! -e "$DIR/$name" ]; then
		die "no ${name/host/host } in this lab"
	fi
	if ! alive "$name"; then
		die "${name/host/host }'s namespace is gone: $PROG down, then up again"
	fi
	# exec: CMD takes this process's place (and PID: `lab.sh on 1 CMD &`
	# gives $! of CMD itself).
	exec nsenter -t "$(pid_of "$name")" -n -- "$@"
}

check_environment() {
	if [ "$(id -u)" -ne 0 ]; then
		die "must run as root (try: sudo $0)"
	fi
	local tool
	for tool in ip unshare nsenter; do
		command -v "$tool" >/dev/null || die "$tool not found: apt-get install iproute2 util-linux"
	done
}

main() {
	local action=${1:-}
	HOSTS=3 ROUTER=no
	[ $# -gt 0 ] && shift
	case $action in
	-h | --help)
		usage
		return 0
		;;
	up)
		while [ $# -gt 0 ]; do
			case $1 in
			--router) ROUTER=yes ;;
			--hosts)
				if [ $# -lt 2 ] || [[ ! $2 =~ ^[1-9]$ ]]; then
					bad_usage "--hosts needs a number from 1 to 9"
				fi
				HOSTS=$2
				shift
				;;
			*) bad_usage "unknown argument '$1'" ;;
			esac
			shift
		done
		;;
	on)
		if [ $# -lt 2 ]; then
			bad_usage "on needs a host and a command"
		fi
		;;
	down)
		[ $# -eq 0 ] || bad_usage "down takes no argument"
		;;
	"") bad_usage "up, on or down?" ;;
	*) bad_usage "unknown command '$action'" ;;
	esac
	check_environment
	DIR=$(lab_dir)
	"lab_$action" "$@"
}

main "$@"
