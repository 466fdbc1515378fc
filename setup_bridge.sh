#!/usr/bin/env bash
# setup_bridge.sh: the host side of container networking, part 1.
# Create the bridge the containers' veths plug into (cni0, 10.240.0.1/24, up),
# or remove it with --down. Running it twice is harmless. The bridge it makes
# carries the alias "setup_bridge.sh" (ip link set cni0 alias ...): --down
# removes that one, never a bridge someone else made.
set -euo pipefail

PROG=${0##*/}
BRIDGE=${BRIDGE:-cni0}
BRIDGE_CIDR=${BRIDGE_CIDR:-10.240.0.1/24}
TAG=setup_bridge.sh

usage() {
	cat <<EOF
Usage: $PROG [--subnet CIDR] [--down]
Create the bridge $BRIDGE with the address $BRIDGE_CIDR and bring it up:
the containers' gateway. Whatever is already in place is left as it is; a
$BRIDGE that holds an address of another subnet is refused.

  --subnet CIDR  the containers' subnet; the bridge takes its first address
                 (--subnet 10.240.3.0/24: 10.240.3.1/24)
  --down         remove the bridge if this script made it (harmless when it
                 is not there)
  -h, --help     this help

Environment:
  BRIDGE       bridge name (default cni0)
  BRIDGE_CIDR  the bridge's address and prefix (default 10.240.0.1/24)

Needs root and iproute2 (ip). Runs in the current network namespace; try it
in a throwaway one first: sudo unshare -n bash
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

is_cidr() {
	local octet='(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])'
	[[ $1 =~ ^($octet\.){3}$octet/([0-9]|[12][0-9]|3[0-2])$ ]]
}

# first_host 10.240.3.0/24 prints 10.240.3.1/24: the subnet's first address.
first_host() {
	local prefix=${1#*/} a b c d n
	IFS=. read -r a b c d <<<"${1%/*}"
	n=$(((10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d))
	n=$(((n & ((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF)) + 1))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$prefix"
}

# Refuse names and addresses ip would reject, before touching anything.
check_settings() {
	if [[ ! $BRIDGE =~ ^[A-Za-z0-9_.-]{1,15}$ ]]; then
		die "bad BRIDGE '$BRIDGE' (1 to 15 letters, digits, . _ -)"
	fi
	if ! is_cidr "$BRIDGE_CIDR"; then
		die "bad BRIDGE_CIDR '$BRIDGE_CIDR' (an address and prefix, like 10.240.0.1/24)"
	fi
}

check_environment() {
	if [ "$(id -u)" -ne 0 ]; then
		die "must run as root (try: sudo $0)"
	fi
	if ! command -v ip >/dev/null; then
		die "ip not found: apt-get install iproute2"
	fi
}

link_exists() {
	ip link show dev "$1" >/dev/null 2>&1
}

# `ip link show type bridge` prints nothing for a link of another kind.
is_bridge() {
	[ -n "$(ip -o link show dev "$1" type bridge 2>/dev/null)" ]
}

# Output is captured before it is searched: `cmd | grep -q` under pipefail
# fails when grep exits early and cmd dies of SIGPIPE.
has_address() {
	local addrs
	addrs=$(ip -o -4 addr show dev "$1")
	[[ $addrs == *" inet $2 "* ]]
}

# The link's IPv4 addresses, one a line (10.240.0.1/24).
addresses() {
	ip -o -4 addr show dev "$1" | awk '{ print $4 }'
}

# Made by this script: the alias we gave it (`ip -o link` prints "alias X").
is_ours() {
	local link
	link=$(ip -o link show dev "$1")
	[[ "$link " == *" alias $TAG "* ]]
}

# The administrative UP flag (a bridge without ports still reports state DOWN).
is_up() {
	local link re='<([^>]*,)?UP[,>]'
	link=$(ip -o link show dev "$1")
	[[ $link =~ $re ]]
}

# A bridge of the same name that holds other addresses, and not ours, is
# another network's: adding ours would join the two.
check_foreign_address() {
	local others
	others=$(addresses "$BRIDGE")
	if [ -n "$others" ] && ! has_address "$BRIDGE" "$BRIDGE_CIDR"; then
		die "$BRIDGE already has ${others//$'\n'/, }, not $BRIDGE_CIDR: it belongs to another" \
			"network (flannel and k3s call their bridge cni0 too); choose another name:" \
			"BRIDGE=br-tutorial $0"
	fi
}

bridge_up() {
	if ! link_exists "$BRIDGE"; then
		# `brctl addbr cni0` in bridge-utils; ip's way is its successor.
		ip link add name "$BRIDGE" type bridge
		ip link set dev "$BRIDGE" alias "$TAG"
		# A container can send router advertisements: the host must not
		# take a route from one (CVE-2020-10749).
		if [ -e "/proc/sys/net/ipv6/conf/$BRIDGE/accept_ra" ]; then
			echo 0 >"/proc/sys/net/ipv6/conf/$BRIDGE/accept_ra"
		fi
		echo "created bridge $BRIDGE"
	elif is_bridge "$BRIDGE"; then
		check_foreign_address
		echo "bridge $BRIDGE already exists"
	else
		die "$BRIDGE exists and is not a bridge; leaving it alone"
	fi

	if has_address "$BRIDGE" "$BRIDGE_CIDR"; then
		echo "$BRIDGE already has $BRIDGE_CIDR"
	else
		ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
		echo "added $BRIDGE_CIDR to $BRIDGE"
	fi

	if is_up "$BRIDGE"; then
		echo "$BRIDGE is already up"
	else
		ip link set dev "$BRIDGE" up
		echo "$BRIDGE is up"
	fi
}

bridge_down() {
	if ! link_exists "$BRIDGE"; then
		echo "no bridge $BRIDGE: nothing to remove"
		return 0
	fi
	if ! is_bridge "$BRIDGE"; then
		die "$BRIDGE is not a bridge; leaving it alone"
	fi
	if ! is_ours "$BRIDGE"; then
		echo "$BRIDGE was not made by $PROG: leaving it"
		return 0
	fi
	# The kernel detaches any veth still plugged in; the veths themselves stay.
	ip link del dev "$BRIDGE"
	echo "removed bridge $BRIDGE"
}

main() {
	local action=up
	while [ $# -gt 0 ]; do
		case $1 in
		--down) action=down ;;
		--subnet)
			if [ $# -lt 2 ] || ! is_cidr "$2"; then
				bad_usage "--subnet needs a subnet, like 10.240.3.0/24"
			fi
			BRIDGE_CIDR=$(first_host "$2")
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
	"bridge_$action"
}

main "$@"
