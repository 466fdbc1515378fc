#!/usr/bin/env bash
# setup_routes.sh: the host side of container networking, part 3 (step 6).
# Let the containers of this host reach those of other hosts, each of which
# owns one subnet of the cluster range, in one of two ways:
#   host-gw  one route per peer subnet via the peer's own address:
#              ip route add 10.240.3.0/24 via 198.18.0.3
#            (flannel's host-gw, kubenet). The peer must be on this host's
#            L2 segment: the next hop of a route has to be.
#   vxlan    the containers' packets travel inside UDP packets (VXLAN, port
#            4789) between the hosts' own addresses, so any IP path will do:
#            a VXLAN device, and per peer a static FDB entry (its MAC is
#            behind the peer's address), a neighbour entry and a route
#            (flannel's vxlan backend). The bridge's MTU becomes the VXLAN
#            device's (50 bytes less, for the headers), and so do the veths of
#            the containers started afterwards.
# Our routes carry the protocol number 240 (`proto 240` in `ip route`); the
# VXLAN device, vxlan0, carries the alias "setup_routes.sh: BRIDGE mtu N",
# which is also how --down knows the MTU to give back. --down removes those
# and nothing else. Running it twice is harmless.
set -euo pipefail

PROG=${0##*/}
BRIDGE=${BRIDGE:-cni0}
PROTO=240
VXLAN=vxlan0
VNI=42
VXLAN_PORT=4789 # IANA's port for VXLAN (RFC 7348)
TAG=setup_routes.sh

usage() {
	cat <<EOF
Usage: $PROG host-gw|vxlan PEER...
       $PROG --down
Route this host's containers to the other hosts' containers. Each PEER is
UNDERLAY_IP,SUBNET: a host's own address and its containers' subnet, e.g.
198.18.0.3,10.240.3.0/24.

  host-gw     a route per peer subnet via the peer's address; the peers must
              share this host's L2 segment (refused otherwise)
  vxlan       a VXLAN device ($VXLAN, VNI $VNI, UDP port $VXLAN_PORT) and,
              per peer, an FDB entry, a neighbour entry and a route over it;
              any IP path between the hosts will do. $BRIDGE takes
              $VXLAN's MTU, and so do containers started after it.
  --down      remove what this script added: routes with proto $PROTO,
              $VXLAN (and with it its entries); give $BRIDGE its MTU back
  -h, --help  this help

Environment: BRIDGE, the containers' bridge (default cni0).
Needs root and iproute2 (ip, bridge). Run setup_bridge.sh first.
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

is_ip() {
	local octet='(25[0-5]|2[0-4][0-9]|1?[0-9]?[0-9])'
	[[ $1 =~ ^($octet\.){3}$octet$ ]]
}

is_cidr() {
	[[ $1 == */* ]] && is_ip "${1%/*}" && [[ ${1#*/} =~ ^([0-9]|[12][0-9]|3[0-2])$ ]]
}

# network_of 10.240.3.1/24 prints 10.240.3.0/24.
network_of() {
	local prefix=${1#*/} a b c d n
	IFS=. read -r a b c d <<<"${1%/*}"
	n=$(((10#$a << 24) | (10#$b << 16) | (10#$c << 8) | 10#$d))
	n=$((n & ((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF)))
	echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$prefix"
}

# vtep_mac 198.18.0.3: the MAC of a host's VXLAN device, made from its
# underlay address (0e: locally administered, unicast), so that each host
# knows every peer's without asking: 0e:00:c6:12:00:03.
vtep_mac() {
	local a b c d
	IFS=. read -r a b c d <<<"$1"
	printf '0e:00:%02x:%02x:%02x:%02x\n' "$a" "$b" "$c" "$d"
}

check_environment() {
	if [ "$(id -u)" -ne 0 ]; then
		die "must run as root (try: sudo $0)"
	fi
	if ! command -v ip >/dev/null || ! command -v bridge >/dev/null; then
		die "ip or bridge not found: apt-get install iproute2"
	fi
}

# parse_peers PEER...: PEER_IPS and PEER_NETS, checked.
parse_peers() {
	local peer ip net
	PEER_IPS=() PEER_NETS=()
	for peer in "$@"; do
		ip=${peer%%,*} net=${peer#*,}
		if [[ $peer != *,* ]] || ! is_ip "$ip" || ! is_cidr "$net"; then
			bad_usage "bad peer '$peer' (UNDERLAY_IP,SUBNET, e.g. 198.18.0.3,10.240.3.0/24)"
		fi
		PEER_IPS+=("$ip")
		PEER_NETS+=("$(network_of "$net")")
	done
}

# path_to IP: set HOP_DEV, HOP_SRC and HOP_VIA ("" when IP is on-link) from
# `ip route get IP`: how this host reaches it.
path_to() {
	local -a words
	local i route
	route=$(ip -o route get "$1" 2>/dev/null) || die "no route to $1 (ip route get $1)"
	read -ra words <<<"$route"
	HOP_DEV="" HOP_SRC="" HOP_VIA=""
	for ((i = 0; i < ${#words[@]} - 1; i++)); do
		case ${words[$i]} in
		dev) HOP_DEV=${words[$((i + 1))]} ;;
		src) HOP_SRC=${words[$((i + 1))]} ;;
		via) HOP_VIA=${words[$((i + 1))]} ;;
		esac
	done
	if [ -z "$HOP_DEV" ]; then
		die "no route to $1 (ip route get $1)"
	fi
}

# route_of SUBNET: the main table's route to exactly SUBNET, or nothing.
route_of() {
	ip -o route show exact "$1"
}

# add_route SUBNET ARGS...: add the route unless it is there; refuse a route
# of someone else to the same subnet (this host's own, for one).
add_route() {
	local net=$1 existing
	shift
	existing=$(route_of "$net")
	if [[ $existing == *" proto $PROTO "* ]] && [[ " $existing " == *" via $2 "* ]]; then
		echo "already in place: $existing"
		return 0
	fi
	if [ -n "$existing" ]; then
		die "a route to $net exists already: $existing (is $net this host's own subnet?)"
	fi
	ip route add "$net" "$@" proto "$PROTO"
	echo "added: ip route add $net $* proto $PROTO"
}

vxlan_exists() {
	ip link show dev "$VXLAN" >/dev/null 2>&1
}

# The MTU our VXLAN device's alias recorded for the bridge, or nothing when
# the device is not ours.
recorded_mtu() {
	local link re="alias $TAG: [^ ]+ mtu ([0-9]+)"
	link=$(ip -o link show dev "$VXLAN" 2>/dev/null) || return 0
	if [[ $link =~ $re ]]; then
		echo "${BASH_REMATCH[1]}"
	fi
}

routes_up_host_gw() {
	local i
	if vxlan_exists; then
		die "$VXLAN is in place (vxlan mode): $PROG --down first"
	fi
	# Every peer is checked before anything is added.
	for i in "${!PEER_IPS[@]}"; do
		path_to "${PEER_IPS[$i]}"
		if [ -n "$HOP_VIA" ]; then
			die "host-gw: ${PEER_IPS[$i]} is not on this host's segment (reached via $HOP_VIA): host-gw needs the hosts on one L2 segment; use vxlan"
		fi
	done
	for i in "${!PEER_IPS[@]}"; do
		path_to "${PEER_IPS[$i]}"
		add_route "${PEER_NETS[$i]}" via "${PEER_IPS[$i]}" dev "$HOP_DEV"
	done
}

link_mtu() {
	local link re=" mtu ([0-9]+)"
	link=$(ip -o link show dev "$1")
	[[ $link =~ $re ]]
	echo "${BASH_REMATCH[1]}"
}

# make_vxlan DEV LOCAL: the VXLAN device, on DEV, from LOCAL. nolearning: no
# MAC is learnt from the packets; the FDB holds what we put there. Its MTU
# is DEV's less 50 bytes (outer IPv4 20, UDP 8, VXLAN 8, inner Ethernet 14).
make_vxlan() {
	local dev=$1 local_ip=$2 mac bridge_mtu
	mac=$(vtep_mac "$local_ip")
	if vxlan_exists; then
		if [ -z "$(recorded_mtu)" ]; then
			die "$VXLAN exists and was not made by $PROG; leaving it alone"
		fi
		echo "already in place: $VXLAN"
		return 0
	fi
	bridge_mtu=$(link_mtu "$BRIDGE")
	ip link add "$VXLAN" address "$mac" type vxlan id "$VNI" dstport "$VXLAN_PORT" \
		local "$local_ip" dev "$dev" nolearning
	ip link set dev "$VXLAN" alias "$TAG: $BRIDGE mtu $bridge_mtu"
	ip link set dev "$VXLAN" up
	echo "added: ip link add $VXLAN address $mac type vxlan id $VNI dstport $VXLAN_PORT local $local_ip dev $dev nolearning"
}

bridge_mtu_follows() {
	local mtu
	mtu=$(link_mtu "$VXLAN")
	if [ "$(link_mtu "$BRIDGE")" = "$mtu" ]; then
		echo "already in place: $BRIDGE mtu $mtu"
		return 0
	fi
	ip link set dev "$BRIDGE" mtu "$mtu"
	echo "added: ip link set $BRIDGE mtu $mtu (as $VXLAN)"
}

# vxlan_peer UNDERLAY_IP SUBNET: the peer's VXLAN MAC lives behind its
# underlay address (FDB); the subnet's first address, as a next hop on
# vxlan0, has that MAC (neighbour); the subnet goes there (route). onlink:
# the next hop is on vxlan0, though no address of ours says so.
vxlan_peer() {
	local ip=$1 net=$2 mac gw fdb neigh
	mac=$(vtep_mac "$ip")
	gw=${net%/*}
	fdb=$(bridge fdb show dev "$VXLAN")
	if [[ $fdb == *"$mac dst $ip "* ]]; then
		echo "already in place: fdb $mac dst $ip"
	else
		bridge fdb append "$mac" dev "$VXLAN" dst "$ip"
		echo "added: bridge fdb append $mac dev $VXLAN dst $ip"
	fi
	neigh=$(ip neigh show "$gw" dev "$VXLAN")
	if [[ $neigh == *"lladdr $mac PERMANENT"* ]]; then
		echo "already in place: neighbour $gw lladdr $mac"
	else
		ip neigh replace "$gw" lladdr "$mac" dev "$VXLAN" nud permanent
		echo "added: ip neigh replace $gw lladdr $mac dev $VXLAN nud permanent"
	fi
	add_route "$net" via "$gw" dev "$VXLAN" onlink
}

routes_up_vxlan() {
	local i theirs
	theirs=$(ip -o route show proto "$PROTO")
	if [ -n "$theirs" ] && [[ $theirs != *" dev $VXLAN "* ]]; then
		die "host-gw routes are in place: $PROG --down first"
	fi
	if ! ip link show dev "$BRIDGE" >/dev/null 2>&1; then
		die "no bridge $BRIDGE: run setup_bridge.sh first"
	fi
	path_to "${PEER_IPS[0]}"
	make_vxlan "$HOP_DEV" "$HOP_SRC"
	bridge_mtu_follows
	for i in "${!PEER_IPS[@]}"; do
		vxlan_peer "${PEER_IPS[$i]}" "${PEER_NETS[$i]}"
	done
}

routes_down() {
	local line mtu removed=0
	local -a words
	mtu=$(recorded_mtu)
	if [ -n "$mtu" ]; then
		# Its routes, FDB and neighbour entries go with it.
		ip link del dev "$VXLAN"
		echo "removed: $VXLAN, with its routes"
		removed=1
		if ip link show dev "$BRIDGE" >/dev/null 2>&1 && [ "$(link_mtu "$BRIDGE")" != "$mtu" ]; then
			ip link set dev "$BRIDGE" mtu "$mtu"
			echo "restored: $BRIDGE mtu $mtu"
		fi
	fi
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		read -ra words <<<"$line"
		ip route del "${words[0]}" proto "$PROTO"
		echo "removed: ip route del $line"
		removed=1
	done <<<"$(ip -o route show proto "$PROTO")"
	if [ "$removed" = 0 ]; then
		echo "no routes of $PROG here: nothing to remove"
	fi
}

main() {
	case ${1:-} in
	-h | --help)
		usage
		return 0
		;;
	--down)
		[ $# -eq 1 ] || bad_usage "--down takes no other argument"
		check_environment
		routes_down
		;;
	host-gw | vxlan)
		local mode=${1/-/_}
		[ $# -gt 1 ] || bad_usage "$1 needs at least one PEER"
		shift
		parse_peers "$@"
		check_environment
		"routes_up_$mode"
		;;
	"") bad_usage "host-gw, vxlan or --down?" ;;
	*) bad_usage "unknown mode '$1'" ;;
	esac
}

main "$@"
