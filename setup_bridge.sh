#!/usr/bin/env bash
# setup_bridge.sh: the host side of container networking, part 1.
# Create the bridge the containers' veths plug into (cni0, 10.240.0.1/24, up),
# or remove it with --down. Running it twice is harmless.
set -euo pipefail

PROG=${0##*/}
BRIDGE=${BRIDGE:-cni0}
BRIDGE_CIDR=${BRIDGE_CIDR:-10.240.0.1/24}

usage() {
	cat <<EOF
Usage: $PROG [--down]
Create the bridge $BRIDGE with the address $BRIDGE_CIDR and bring it up:
the containers' gateway. Whatever is already in place is left as it is.

  --down      remove the bridge (harmless when it is not there)
  -h, --help  this help

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

# Refuse names and addresses ip would reject, before touching anything.
check_settings() {
	local octet='(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])'
	if [[ ! $BRIDGE =~ ^[A-Za-z0-9_.-]{1,15}$ ]]; then
		die "bad BRIDGE '$BRIDGE' (1 to 15 letters, digits, . _ -)"
	fi
	if [[ ! $BRIDGE_CIDR =~ ^($octet\.){3}$octet/([0-9]|[12][0-9]|3[0-2])$ ]]; then
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

# The administrative UP flag (a bridge without ports still reports state DOWN).
is_up() {
	local link re='<([^>]*,)?UP[,>]'
	link=$(ip -o link show dev "$1")
	[[ $link =~ $re ]]
}

bridge_up() {
	if ! link_exists "$BRIDGE"; then
		# `brctl addbr cni0` in bridge-utils; ip's way is its successor.
		ip link add name "$BRIDGE" type bridge
		echo "created bridge $BRIDGE"
	elif is_bridge "$BRIDGE"; then
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
	# The kernel detaches any veth still plugged in; the veths themselves stay.
	ip link del dev "$BRIDGE"
	echo "removed bridge $BRIDGE"
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
	"bridge_$action"
}

main "$@"
