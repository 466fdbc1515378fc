#!/usr/bin/env bash
# setup_forwarding.sh: the host side of container networking, part 2.
# Let the containers on the bridge reach beyond the host:
#   net.ipv4.ip_forward=1              the host routes between interfaces
#   filter FORWARD -s/-d 10.240.0.0/16 ACCEPT, rules 1 and 2 of the chain, so
#                                      that no DROP (Docker's) comes first
#   nat POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -j MASQUERADE
#                                      what leaves the cluster takes the
#                                      host's address; the rest keeps its own
# Each rule carries the comment "setup_forwarding.sh"; --down removes those
# and no other. When the script turns ip_forward on, it says so in a rule that
# matches nothing (a comment alone), so that --down knows to turn it off.
# That memory lives in the namespace it describes, and goes with it.
# Running it twice is harmless.
set -euo pipefail

PROG=${0##*/}
TAG=setup_forwarding.sh
IP_FORWARD=/proc/sys/net/ipv4/ip_forward
# The rule that remembers that we turned ip_forward on.
FORWARD_WAS_0="$TAG: ip_forward was 0"

usage() {
	cat <<EOF
Usage: $PROG [--subnet CIDR] [--cluster CIDR] [--down]
Turn on IPv4 forwarding; accept forwarded traffic from and to the cluster
range, as rules 1 and 2 of FORWARD, ahead of any DROP; masquerade what leaves
this host's container subnet for an address outside the cluster. Traffic
between containers, on this host or another, keeps its addresses. Rules
already in place are left as they are.

  --subnet CIDR   this host's containers (default 10.240.0.0/24, or
                  BRIDGE_CIDR's subnet); an address in it will do, as
                  setup_bridge.sh's 10.240.0.1/24
  --cluster CIDR  every host's containers (default 10.240.0.0/16, or POD_CIDR)
  --down          remove this script's rules, and no other; put ip_forward
                  back to 0 if this script turned it on in this namespace
  -h, --help      this help

Every rule carries the comment "$TAG"; a rule with the comment
"$FORWARD_WAS_0" and no target (it matches nothing)
records that the script turned ip_forward on. No file is kept: the memory
is in the network namespace itself, and goes with it.

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

# to_int A.B.C.D: the address as a 32-bit number.
to_int() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	echo $(((10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d))
}

# network_of 10.240.0.1/24 prints 10.240.0.0/24, as iptables -S shows it.
network_of() {
	local prefix=${1#*/} n mask
	n=$(to_int "${1%/*}")
	mask=$(((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF))
	n=$((n & mask))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$prefix"
}

# inside SUBNET RANGE: SUBNET lies within RANGE (both networks, as network_of).
inside() {
	local sub=$1 range=$2 mask
	[ "${sub#*/}" -ge "${range#*/}" ] || return 1
	mask=$(((0xFFFFFFFF << (32 - ${range#*/})) & 0xFFFFFFFF))
	[ $(($(to_int "${sub%/*}") & mask)) -eq "$(to_int "${range%/*}")" ]
}

check_settings() {
	if ! is_cidr "$SUBNET"; then
		die "bad subnet '$SUBNET' (an address and prefix, like 10.240.0.0/24)"
	fi
	if ! is_cidr "$CLUSTER"; then
		die "bad cluster range '$CLUSTER' (an address and prefix, like 10.240.0.0/16)"
	fi
	SUBNET=$(network_of "$SUBNET")
	CLUSTER=$(network_of "$CLUSTER")
	if ! inside "$SUBNET" "$CLUSTER"; then
		die "the subnet $SUBNET is not inside the cluster range $CLUSTER"
	fi
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

# rules TABLE CHAIN: the chain's rules, one a line, as `iptables -S` prints
# them but without the -A CHAIN in front and without quotes (iptables-nft
# quotes every comment, iptables-legacy only those with spaces). Line N is
# rule number N. -w: wait for the xtables lock rather than fail.
rules() {
	local line
	local -a lines
	mapfile -t lines < <(iptables -w -t "$1" -S "$2")
	for line in "${lines[@]}"; do
		if [[ $line == "-A $2 "* ]]; then
			line=${line#"-A $2 "}
			echo "${line//\"/}"
		fi
	done
}

# rule_number TABLE CHAIN SPEC: the number of the first rule that is SPEC
# (as rules() prints it), or nothing. It reads to the end: rules() cut off
# by a closed pipe says "write error" where SIGPIPE is ignored (systemd's
# default for a service, as in the test VM).
rule_number() {
	local n=0 found="" line
	while IFS= read -r line; do
		n=$((n + 1))
		if [ -z "$found" ] && [ "$line" = "$3" ]; then
			found=$n
		fi
	done < <(rules "$1" "$2")
	[ -z "$found" ] || echo "$found"
}

# ours SPEC: SPEC carries our comment.
ours() {
	[[ " $1 " == *" --comment $TAG "* || " $1 " == *" --comment $TAG: "* ]]
}

# The accept rules, in their order at the top of FORWARD; the masquerade rule.
accept_from() { echo "-s $CLUSTER -m comment --comment $TAG -j ACCEPT"; }
accept_to() { echo "-d $CLUSTER -m comment --comment $TAG -j ACCEPT"; }
masquerade() { echo "-s $SUBNET ! -d $CLUSTER -m comment --comment $TAG -j MASQUERADE"; }

# iptables_spec TABLE ACTION CHAIN [NUMBER] SPEC: run iptables with SPEC split
# into words (our specs hold no quotes: the comment has no blank).
iptables_spec() {
	local -a args
	read -ra args <<<"${*: -1}"
	iptables -w -t "$1" "${@:2:$#-2}" "${args[@]}"
}

forwarding_on() {
	local old
	old=$(cat "$IP_FORWARD")
	if [ "$old" = 1 ]; then
		echo "ip_forward is already 1"
		return 0
	fi
	echo 1 >"$IP_FORWARD"
	echo "ip_forward set to 1 (was $old)"
	if [ -z "$(rule_number filter FORWARD "-m comment --comment $FORWARD_WAS_0")" ]; then
		iptables -w -A FORWARD -m comment --comment "$FORWARD_WAS_0"
	fi
}

# accept_at N SPEC: make SPEC rule N of FORWARD. `iptables -C` would not do:
# it finds an ACCEPT below a DROP, where it never matches.
accept_at() {
	local want=$1 spec=$2 n
	n=$(rule_number filter FORWARD "$spec")
	if [ "$n" = "$want" ]; then
		echo "already in place: rule $want of FORWARD: $spec"
		return 0
	fi
	if [ -n "$n" ]; then
		iptables -w -D FORWARD "$n"
		iptables_spec filter -I FORWARD "$want" "$spec"
		echo "moved up from rule $n: iptables -t filter -I FORWARD $want $spec"
	else
		iptables_spec filter -I FORWARD "$want" "$spec"
		echo "added: iptables -t filter -I FORWARD $want $spec"
	fi
}

forwarding_up() {
	forwarding_on
	accept_at 1 "$(accept_from)"
	accept_at 2 "$(accept_to)"
	if [ -n "$(rule_number nat POSTROUTING "$(masquerade)")" ]; then
		echo "already in place: nat POSTROUTING $(masquerade)"
	else
		iptables_spec nat -A POSTROUTING "$(masquerade)"
		echo "added: iptables -t nat -A POSTROUTING $(masquerade)"
	fi
}

# remove_ours TABLE CHAIN: delete every rule of ours in the chain, the last
# first so that the numbers of the others hold.
remove_ours() {
	local table=$1 chain=$2 n=0 line
	local -a numbers=() specs=()
	while IFS= read -r line; do
		n=$((n + 1))
		if ours "$line"; then
			numbers=("$n" "${numbers[@]}")
			specs=("$line" "${specs[@]}")
		fi
	done < <(rules "$table" "$chain")
	for n in "${!numbers[@]}"; do
		iptables -w -t "$table" -D "$chain" "${numbers[$n]}"
		if [ "${specs[$n]}" != "-m comment --comment $FORWARD_WAS_0" ]; then
			echo "removed: iptables -t $table -D $chain ${specs[$n]}"
		fi
		REMOVED=$((REMOVED + 1))
	done
}

forwarding_down() {
	local turned_on=no
	REMOVED=0
	if [ -n "$(rule_number filter FORWARD "-m comment --comment $FORWARD_WAS_0")" ]; then
		turned_on=yes
	fi
	remove_ours filter FORWARD
	remove_ours nat POSTROUTING
	if [ "$REMOVED" = 0 ]; then
		echo "no rule of $TAG here: nothing to remove"
	fi
	if [ "$turned_on" = yes ]; then
		echo 0 >"$IP_FORWARD"
		echo "ip_forward restored to 0"
	else
		echo "ip_forward left at $(cat "$IP_FORWARD") (this script did not change it here)"
	fi
}

main() {
	local action=up
	SUBNET=${BRIDGE_CIDR:-10.240.0.0/24}
	CLUSTER=${POD_CIDR:-10.240.0.0/16}
	while [ $# -gt 0 ]; do
		case $1 in
		--down) action=down ;;
		--subnet | --cluster)
			if [ $# -lt 2 ]; then
				bad_usage "$1 needs a CIDR"
			fi
			if [ "$1" = --subnet ]; then SUBNET=$2; else CLUSTER=$2; fi
			shift
			;;
		-h | --help)
			usage
			return 0
			;;
		*) bad_usage "unknown argument '$1'" ;;
		esac
		shift
	done

	check_settings
	check_environment
	"forwarding_$action"
}

main "$@"
