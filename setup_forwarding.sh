#!/usr/bin/env bash
# setup_forwarding.sh: the host side of container networking, part 2.
# Let the containers on the bridge reach beyond the host:
#   net.ipv4.ip_forward=1                     the host routes between interfaces
#   filter FORWARD -s/-d 10.240.0.0/16 ACCEPT at the top of the chain, so that
#                                             a DROP policy (Docker's) lets them pass
#   nat POSTROUTING -s 10.240.0.0/24 ! -o cni0 -j MASQUERADE
#                                             leaving the host, they take its address
# --down removes exactly the rules this script added and puts ip_forward back.
# Running it twice is harmless: `iptables -C` tells whether a rule is there.
set -euo pipefail

PROG=${0##*/}
BRIDGE=${BRIDGE:-cni0}
BRIDGE_CIDR=${BRIDGE_CIDR:-10.240.0.1/24}
POD_CIDR=${POD_CIDR:-10.240.0.0/16}
STATE_ROOT=${FORWARDING_STATE_DIR:-/run/container-tutorial}
IP_FORWARD=/proc/sys/net/ipv4/ip_forward

usage() {
	cat <<EOF
Usage: $PROG [--down]
Turn on IPv4 forwarding, accept forwarded traffic from and to $POD_CIDR
(inserted at the top of FORWARD, ahead of any DROP policy or rule), and
masquerade what leaves ${BRIDGE_CIDR}'s subnet through any interface but $BRIDGE.
Rules already in place are left as they are.

  --down      remove the rules this script added; restore ip_forward
  -h, --help  this help

Environment:
  BRIDGE       the containers' bridge (default cni0)
  BRIDGE_CIDR  the bridge's address, as for setup_bridge.sh (default
               10.240.0.1/24); its subnet (10.240.0.0/24) is masqueraded
  POD_CIDR     the range FORWARD accepts (default 10.240.0.0/16)
  FORWARDING_STATE_DIR
               where --down's memory lives (default /run/container-tutorial)

State: the first run in a network namespace keeps ip_forward's value in
DIR/net-INODE/ip_forward.prev (never overwritten) and lists each rule it adds
in DIR/net-INODE/rules.added, where DIR is the state directory and INODE names
the network namespace: throwaway namespaces do not mix their state. --down
restores ip_forward from there, removes the listed rules, then the files.
Without a record (/run is emptied at boot, and so are the rules), --down
removes the rules matching the settings and leaves ip_forward as it is.

Needs root and iptables. Runs in the current network namespace; try it in a
throwaway one first: sudo unshare -n bash
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

# is_cidr A.B.C.D/N: a dotted quad and a prefix length.
is_cidr() {
	local octet='(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])'
	[[ $1 =~ ^($octet\.){3}$octet/([0-9]|[12][0-9]|3[0-2])$ ]]
}

# network_of 10.240.0.1/24 prints 10.240.0.0/24, as iptables -S shows it.
network_of() {
	local addr=${1%/*} prefix=${1#*/} a b c d n mask
	IFS=. read -r a b c d <<<"$addr"
	n=$(((10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d))
	mask=$(((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF))
	n=$((n & mask))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$prefix"
}

check_settings() {
	if [[ ! $BRIDGE =~ ^[A-Za-z0-9_.-]{1,15}$ ]]; then
		die "bad BRIDGE '$BRIDGE' (1 to 15 letters, digits, . _ -)"
	fi
	if ! is_cidr "$BRIDGE_CIDR"; then
		die "bad BRIDGE_CIDR '$BRIDGE_CIDR' (an address and prefix, like 10.240.0.1/24)"
	fi
	if ! is_cidr "$POD_CIDR"; then
		die "bad POD_CIDR '$POD_CIDR' (an address and prefix, like 10.240.0.0/16)"
	fi
	POD_CIDR=$(network_of "$POD_CIDR")
	MASQ_SOURCE=$(network_of "$BRIDGE_CIDR")
}

check_environment() {
	if [ "$(id -u)" -ne 0 ]; then
		die "must run as root (try: sudo $0)"
	fi
	if ! command -v iptables >/dev/null; then
		die "iptables not found: apt-get install iptables"
	fi
	if [ ! -w "$IP_FORWARD" ]; then
		die "cannot write $IP_FORWARD"
	fi
}

# This network namespace's own state directory: ip_forward and the rules are
# per namespace, and /run is shared by all of them.
state_dir() {
	local ns
	ns=$(readlink /proc/self/ns/net) # net:[4026531840]
	ns=${ns#*[}
	echo "$STATE_ROOT/net-${ns%]}"
}

# The three rules, one a line: TABLE CHAIN SPEC...  FORWARD's two are listed
# in the reverse of their final order, since each goes in at the top.
our_rules() {
	echo "filter FORWARD -d $POD_CIDR -j ACCEPT"
	echo "filter FORWARD -s $POD_CIDR -j ACCEPT"
	echo "nat POSTROUTING -s $MASQ_SOURCE ! -o $BRIDGE -j MASQUERADE"
}

# -w: wait for the xtables lock instead of failing when another user holds it.
rule_exists() {
	local table=$1 chain=$2
	shift 2
	iptables -w -t "$table" -C "$chain" "$@" 2>/dev/null
}

forwarding_on() {
	local dir=$1 old
	old=$(cat "$IP_FORWARD")
	if [ ! -e "$dir/ip_forward.prev" ]; then
		echo "$old" >"$dir/ip_forward.prev"
	fi
	if [ "$old" = 1 ]; then
		echo "ip_forward is already 1"
	else
		echo 1 >"$IP_FORWARD"
		echo "ip_forward set to 1 (was $old)"
	fi
}

# add_rule DIR TABLE CHAIN SPEC...: add the rule unless it is there; list it
# in DIR/rules.added when we did.
add_rule() {
	local dir=$1 table=$2 chain=$3 how=-A
	shift 3
	if rule_exists "$table" "$chain" "$@"; then
		echo "already in place: $table $chain $*"
		return 0
	fi
	if [ "$chain" = FORWARD ]; then
		how=-I
	fi
	iptables -w -t "$table" "$how" "$chain" "$@"
	echo "added: iptables -t $table $how $chain $*"
	if ! grep -qxF "$table $chain $*" "$dir/rules.added" 2>/dev/null; then
		echo "$table $chain $*" >>"$dir/rules.added"
	fi
}

# del_rule TABLE CHAIN SPEC...: remove one copy of the rule, if it is there.
del_rule() {
	local table=$1 chain=$2
	shift 2
	if rule_exists "$table" "$chain" "$@"; then
		iptables -w -t "$table" -D "$chain" "$@"
		echo "removed: iptables -t $table -D $chain $*"
	else
		echo "already gone: $table $chain $*"
	fi
}

forwarding_up() {
	local dir table chain rest
	local -a spec
	dir=$(state_dir)
	mkdir -p "$dir"
	forwarding_on "$dir"
	while read -r table chain rest; do
		read -ra spec <<<"$rest"
		add_rule "$dir" "$table" "$chain" "${spec[@]}"
	done < <(our_rules)
}

forwarding_down() {
	local dir table chain rest prev
	local -a spec
	dir=$(state_dir)
	if [ -f "$dir/rules.added" ]; then
		while read -r table chain rest; do
			read -ra spec <<<"$rest"
			del_rule "$table" "$chain" "${spec[@]}"
		done <"$dir/rules.added"
		rm -f "$dir/rules.added"
	else
		echo "no record of added rules in $dir: removing those matching the settings"
		while read -r table chain rest; do
			read -ra spec <<<"$rest"
			del_rule "$table" "$chain" "${spec[@]}"
		done < <(our_rules)
	fi

	if [ -f "$dir/ip_forward.prev" ]; then
		prev=$(cat "$dir/ip_forward.prev")
		case $prev in
		0 | 1) ;;
		*) die "unexpected ip_forward value '$prev' in $dir/ip_forward.prev" ;;
		esac
		echo "$prev" >"$IP_FORWARD"
		rm -f "$dir/ip_forward.prev"
		echo "ip_forward restored to $prev"
	else
		echo "ip_forward left at $(cat "$IP_FORWARD") (no record of its earlier value)"
	fi
	rmdir "$dir" "$STATE_ROOT" 2>/dev/null || true
}

main() {
	local action=up
	if [ $# -gt 1 ]; then
		bad_usage "too many arguments"
	fi
	case ${1:-} in
	"") ;;
	--down) action=down ;;
	-h | --help)
		usage
		return 0
		;;
	*) bad_usage "unknown argument '$1'" ;;
	esac

	check_settings
	check_environment
	"forwarding_$action"
}

main "$@"
