# netns_helpers.bash: throwaway networks for tests (load netns_helpers).
# shellcheck shell=bash
#
# From a bats test:
#   in_sandbox SCRIPT
#       Run SCRIPT (bash, with set -euo pipefail) in a fresh network namespace
#       (unshare -n) with lo up, in $TOP, with the functions below loaded.
#       The sandbox plays the host: its bridge, veths, iptables rules and
#       sysctls vanish with it. Bounded by SANDBOX_TIMEOUT seconds (60); every
#       process it started through these functions is killed when it ends.
#       Typical: run in_sandbox './setup_bridge.sh; ip -o -4 addr show cni0'
#
# Inside a sandbox:
#   fake_host NAME            a process (sleep) in a network namespace of its
#                             own, lo up; it plays a machine called NAME
#   on NAME CMD...            run CMD in NAME's network namespace (nsenter -n)
#   fake_container NAME IP [BRIDGE]
#                             a fake host plugged into BRIDGE (cni0) like a
#                             container: veth-NAME on the bridge, eth0 inside
#                             with IP and the bridge's prefix, default route
#                             via the bridge's address (run setup_bridge.sh first)
#   fake_upstream             the fake host "upstream", the way to a fake
#                             internet: the sandbox's eth0 198.51.100.2/24 with
#                             a default route via upstream's up0 198.51.100.1/24;
#                             UPSTREAM_IP (203.0.113.10/32) on upstream's lo; and
#                             no route back to 10.240.0.0/24: replies come back
#                             only to masqueraded traffic
#   spawn CMD...              run CMD in the background (a program, not a
#                             function), bounded, killed at the end; $SPAWNED is
#                             its pid
#   nc_listen NAME PORT FILE  one `nc -l -v -n -d PORT` on NAME, its output
#                             (`Connection received on 198.51.100.2 ...`) and the
#                             data it got in FILE; returns once it listens
#   nc_send NAME IP PORT TEXT send a line of TEXT from NAME (2 s at most)
#   reachable NAME IP         one ping from NAME, 1 s at most: true or false
#   wait_for TRIES CMD...     retry CMD every 0.1 s, TRIES times at most
#   sandbox_fail MESSAGE      print MESSAGE on stderr and end the sandbox with 1

NETNS_HELPERS=$(realpath "${BASH_SOURCE[0]}")
TOP=${TOP:-$(cd "$(dirname "$NETNS_HELPERS")/.." && pwd)}
SANDBOX_TIMEOUT=${SANDBOX_TIMEOUT:-60}
UPSTREAM_IP=203.0.113.10
export NETNS_HELPERS TOP SANDBOX_TIMEOUT UPSTREAM_IP

in_sandbox() {
	local script=$1
	# 3>&-: bats waits for whatever holds its fd 3 open.
	timeout -k 5 "$SANDBOX_TIMEOUT" unshare -n -- bash -euo pipefail -c \
		"source \"\$NETNS_HELPERS\"; sandbox_init
$script" 3>&-
}

sandbox_init() {
	ip link set lo up
	cd "$TOP" || sandbox_fail "cannot cd to $TOP"
	declare -gA FAKE_HOSTS=()
	SANDBOX_PIDS=()
	SPAWNED=
	# A process outlives the sandbox by 10 s at most, even when the sandbox
	# is killed before it can clean up.
	SANDBOX_LIFETIME=$((SANDBOX_TIMEOUT + 10))
	trap sandbox_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
}

# Stop everything started here. Each spawned program runs under timeout(1),
# which passes the TERM on and follows with a KILL 2 s later if need be.
sandbox_cleanup() {
	local pid
	for pid in "${SANDBOX_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${SANDBOX_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
}

sandbox_fail() {
	echo "sandbox: $*" >&2
	exit 1
}

wait_for() {
	local tries=$1 i
	shift
	for ((i = 0; i < tries; i++)); do
		if "$@"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

spawn() {
	timeout -k 2 "$SANDBOX_LIFETIME" "$@" &
	SPAWNED=$!
	SANDBOX_PIDS+=("$SPAWNED")
}

# `unshare -n sleep &` returns before the new namespace exists: wait until
# the process's namespace differs from ours before anyone uses it.
fake_host() {
	local name=$1 pid mine i
	if [[ -v FAKE_HOSTS[$name] ]]; then
		sandbox_fail "fake host $name exists already"
	fi
	mine=$(readlink /proc/self/ns/net)
	unshare -n sleep "$SANDBOX_LIFETIME" </dev/null >/dev/null 2>&1 &
	pid=$!
	SANDBOX_PIDS+=("$pid")
	for ((i = 0; i < 200; i++)); do
		if [ "$(readlink "/proc/$pid/ns/net" 2>/dev/null || echo "$mine")" != "$mine" ]; then
			FAKE_HOSTS[$name]=$pid
			on "$name" ip link set lo up
			return 0
		fi
		sleep 0.01
	done
	sandbox_fail "fake host $name got no network namespace of its own"
}

host_pid() {
	if [[ ! -v FAKE_HOSTS[$1] ]]; then
		sandbox_fail "no fake host $1"
	fi
	echo "${FAKE_HOSTS[$1]}"
}

on() {
	local pid
	pid=$(host_pid "$1")
	shift
	nsenter -t "$pid" -n -- "$@"
}

fake_container() {
	local name=$1 ip=$2 bridge=${3:-${BRIDGE:-cni0}} cidr
	if [ ${#name} -gt 10 ]; then
		sandbox_fail "fake container name $name: 10 characters at most"
	fi
	cidr=$(ip -o -4 addr show dev "$bridge" 2>/dev/null | awk '{ print $4; exit }')
	if [ -z "$cidr" ]; then
		sandbox_fail "bridge $bridge has no IPv4 address (run setup_bridge.sh first)"
	fi
	fake_host "$name"
	# `ip link set DEV netns PID` in one step: the peer is born inside.
	ip link add "veth-$name" type veth peer name eth0 netns "$(host_pid "$name")"
	ip link set "veth-$name" master "$bridge" up
	on "$name" ip addr add "$ip/${cidr#*/}" dev eth0
	on "$name" ip link set eth0 up
	on "$name" ip route add default via "${cidr%/*}"
}

fake_upstream() {
	fake_host upstream
	ip link add eth0 type veth peer name up0 netns "$(host_pid upstream)"
	ip addr add 198.51.100.2/24 dev eth0
	ip link set eth0 up
	ip route add default via 198.51.100.1
	on upstream ip addr add 198.51.100.1/24 dev up0
	on upstream ip link set up0 up
	on upstream ip addr add "$UPSTREAM_IP/32" dev lo
}

# Captured, not piped to grep -q: under pipefail an early grep exit fails.
is_listening() {
	local sockets
	sockets=$(on "$1" ss -Hltn "sport = :$2")
	[ -n "$sockets" ]
}

nc_listen() {
	local name=$1 port=$2 out=$3
	# No -N, and -d (never read stdin): nothing makes this nc close its half
	# of the connection. Busybox's nc, the client in a container, quits when
	# it meets our end, maybe before its line has even reached its stdin.
	spawn nsenter -t "$(host_pid "$name")" -n -- nc -l -v -n -d "$port" \
		</dev/null >"$out" 2>&1
	wait_for 50 is_listening "$name" "$port" ||
		sandbox_fail "nc on $name never listened on $port: $(cat "$out")"
}

nc_send() {
	echo "$4" | on "$1" nc -n -N -w 2 "$2" "$3"
}

reachable() {
	on "$1" ping -n -c 1 -W 1 "$2" >/dev/null 2>&1
}
