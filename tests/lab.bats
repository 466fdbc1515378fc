#!/usr/bin/env bats
# Step 6: more than one host. A lab of simulated hosts (lab.sh), each with
# its bridge, forwarding and NAT; containers on different hosts reach each
# other by routes (host-gw) or through VXLAN (setup_routes.sh). Everything
# lives in namespaces the lab makes, from the throwaway namespace `make test`
# runs the bats files in; by hand: sudo unshare -n bats tests/lab.bats
# shellcheck disable=SC2016  # sh -c scripts expand their own variables

load helpers
load lab_helpers

setup_file() {
	require_root
	if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
		skip "runs only in a throwaway network namespace: sudo unshare -n bats $BATS_TEST_FILENAME"
	fi
	new_test_rootfs lab
}

teardown_file() {
	remove_test_rootfs
}

setup() {
	require_root
	export LAB_DIR="$BATS_TEST_TMPDIR/lab" LAB_LIFETIME=120 LAB_OUT="$BATS_TEST_TMPDIR"
	RUNTIME="$TOP/basic_container/bin/basic_container"
	ROOTFS="$ROOTFS_DIR/rootfs"
	export READY_LINE=ready
}

teardown() {
	lab down >/dev/null
}

# What a lab could leave in the namespace it is made from.
traces() {
	ip -o link show | awk -F': ' '{ print "link", $2 }'
	ip route show table all
	iptables-save | grep -v '^#'
	sysctl -a 2>/dev/null | grep '^net\.ipv4\.\(ip_forward\|conf\.all\)' | sed 's/^/sysctl /'
	find /run/container-tutorial -mindepth 1 -printf "state %p\n" 2>/dev/null || true
}

@test "lab.sh makes hosts on one segment that reach each other and the fake internet, and leaves nothing behind" {
	local before after
	before=$(traces)
	run lab up
	assert_success
	assert_output "lab: 3 hosts on one segment, 198.18.0.0/24
host 1: eth0 198.18.0.1/24, via 198.18.0.254 to the rest
host 2: eth0 198.18.0.2/24, via 198.18.0.254 to the rest
host 3: eth0 198.18.0.3/24, via 198.18.0.254 to the rest
internet: 203.0.113.10, beyond the router"
	run lab on 1 ping -c 1 -W 2 198.18.0.3
	assert_success
	run lab on 3 ping -c 1 -W 2 203.0.113.10
	assert_success
	"$TOP/lab.sh" on 2 sleep 100 3>&- &
	local sleeper=$! holders pid
	holders=$(cat "$LAB_DIR"/lab "$LAB_DIR"/host* | cut -d" " -f1)
	run lab down
	assert_success
	assert_output "lab removed"
	after=$(traces)
	assert_equal "$after" "$before"
	[ ! -e "$LAB_DIR" ]
	for pid in $sleeper $holders; do
		[ ! -e "/proc/$pid" ]
	done
}

@test "lab.sh on a host that is not there, or without a lab, says so in one line" {
	run lab on 1 true
	assert_failure 1
	assert_output "lab.sh: no lab here: lab.sh up first"
	lab up --hosts 2 >/dev/null
	run lab on 3 true
	assert_failure 1
	assert_output "lab.sh: no host 3 in this lab"
	run lab up
	assert_failure 1
	assert_output "lab.sh: a lab is up already ($LAB_DIR): lab.sh down first"
}

# cross_host_exchange: containers 10.240.1.2 (host 1) and 10.240.3.2 (host 3)
# ping each other and send each other 1 MB; each receiver prints whom it
# heard from and whether the data arrived whole.
cross_host_exchange() {
	local data="$BATS_TEST_TMPDIR/data"
	head -c 1048576 /dev/urandom >"$data"
	lab_container 1 10.240.1.2 /probe wait-signal
	lab_container 3 10.240.3.2 /probe wait-signal
	in_container 10.240.1.2 ping -c 1 -W 2 10.240.3.2 >/dev/null && echo "1 -> 3: ping"
	in_container 10.240.3.2 ping -c 1 -W 2 10.240.1.2 >/dev/null && echo "3 -> 1: ping"
	transfer 10.240.1.2 10.240.3.2
	transfer 10.240.3.2 10.240.1.2
	# (ip, not /sys: nsenter -n keeps this machine's sysfs.)
	in_container 10.240.1.2 ip -o link show eth0 | grep -o 'mtu [0-9]*'
}

# transfer FROM TO: 1 MB from container FROM to container TO over nc.
transfer() {
	local got="$BATS_TEST_TMPDIR/got" log="$BATS_TEST_TMPDIR/log" i
	in_container "$2" nc -l -n -v -d 7000 >"$got" 2>"$log" 3>&- &
	for ((i = 0; i < 50; i++)); do
		[ -n "$(in_container "$2" ss -Hltn 'sport = :7000')" ] && break
		sleep 0.1
	done
	in_container "$1" timeout 20 nc -n -N "$2" 7000 <"$BATS_TEST_TMPDIR/data"
	wait "$!"
	sed -n 's/^Connection received on \([0-9.]*\) .*/'"$1 -> $2"': heard from \1/p' "$log"
	cmp -s "$got" "$BATS_TEST_TMPDIR/data" && echo "$1 -> $2: 1 MB whole"
}

@test "host-gw: containers on hosts 1 and 3 ping each other and exchange 1 MB both ways, with their own addresses" {
	cluster_up host-gw
	run cross_host_exchange
	assert_success
	assert_output "1 -> 3: ping
3 -> 1: ping
10.240.1.2 -> 10.240.3.2: heard from 10.240.1.2
10.240.1.2 -> 10.240.3.2: 1 MB whole
10.240.3.2 -> 10.240.1.2: heard from 10.240.3.2
10.240.3.2 -> 10.240.1.2: 1 MB whole
mtu 1500"
}

@test "vxlan: containers on hosts 1 and 3 ping each other and exchange 1 MB both ways, with their own addresses and VXLAN's MTU" {
	cluster_up vxlan
	run cross_host_exchange
	assert_success
	assert_output "1 -> 3: ping
3 -> 1: ping
10.240.1.2 -> 10.240.3.2: heard from 10.240.1.2
10.240.1.2 -> 10.240.3.2: 1 MB whole
10.240.3.2 -> 10.240.1.2: heard from 10.240.3.2
10.240.3.2 -> 10.240.1.2: 1 MB whole
mtu 1450"
}

@test "a container's traffic to the internet beyond the lab is still masqueraded" {
	cluster_up vxlan
	lab on lab nc -l -n -v -d 8080 >"$BATS_TEST_TMPDIR/internet" 2>&1 3>&- &
	for _ in $(seq 50); do
		[ -n "$(lab on lab ss -Hltn 'sport = :8080')" ] && break
		sleep 0.1
	done
	run lab on 1 "$RUNTIME" -q -r "$ROOTFS" 10.240.1.2 sh -c 'echo hello internet | nc 203.0.113.10 8080'
	assert_success
	wait "$!"
	run cat "$BATS_TEST_TMPDIR/internet"
	assert_line --regexp '^Connection received on 198\.18\.0\.1 [0-9]+$'
	assert_line "hello internet"
}

@test "with a router between the hosts, host-gw is refused in one line and vxlan works" {
	cluster_up none --router
	run lab on 1 "$TOP/setup_routes.sh" host-gw 198.18.0.2,10.240.2.0/24 198.18.1.3,10.240.3.0/24
	assert_failure 1
	assert_output "setup_routes.sh: host-gw: 198.18.1.3 is not on this host's segment (reached via 198.18.0.254): host-gw needs the hosts on one L2 segment; use vxlan"
	run lab on 1 ip route show proto 240
	assert_output ""
	lab on 1 "$TOP/setup_routes.sh" vxlan 198.18.0.2,10.240.2.0/24 198.18.1.3,10.240.3.0/24 >/dev/null
	lab on 3 "$TOP/setup_routes.sh" vxlan 198.18.0.1,10.240.1.0/24 198.18.0.2,10.240.2.0/24 >/dev/null
	lab_container 3 10.240.3.2 /probe wait-signal
	run lab on 1 "$RUNTIME" -q -r "$ROOTFS" 10.240.1.2 ping -c 1 -W 2 10.240.3.2
	assert_success
	assert_output --partial "1 packets received"
}

# What the scripts change on a host: links (name, MTU, alias), routes,
# neighbours, rules, ip_forward.
host_state() {
	lab on "$1" ip -o link show | sed 's/^[0-9]*: //; s/ qdisc.*alias/ alias/; s/ qdisc.*//'
	# IPv4: IPv6's link-local routes come and go on their own (DAD).
	lab on "$1" ip -4 route show table all
	lab on "$1" ip -4 neigh show nud permanent
	lab on "$1" iptables -S
	lab on "$1" iptables -t nat -S
	lab on "$1" cat /proc/sys/net/ipv4/ip_forward
}

@test "--down of each script restores each host's routes, links and rules exactly" {
	local mode fresh bridged
	lab up >/dev/null
	fresh=$(host_state 1)
	for mode in host-gw vxlan; do
		lab on 1 "$TOP/setup_bridge.sh" --subnet 10.240.1.0/24 >/dev/null
		lab on 1 "$TOP/setup_forwarding.sh" --subnet 10.240.1.0/24 >/dev/null
		bridged=$(host_state 1)
		lab on 1 "$TOP/setup_routes.sh" "$mode" 198.18.0.2,10.240.2.0/24 198.18.0.3,10.240.3.0/24 >/dev/null
		lab on 1 "$TOP/setup_routes.sh" "$mode" 198.18.0.2,10.240.2.0/24 198.18.0.3,10.240.3.0/24 >/dev/null
		lab on 1 "$TOP/setup_routes.sh" --down >/dev/null
		assert_equal "$(host_state 1)" "$bridged"
		lab on 1 "$TOP/setup_forwarding.sh" --down >/dev/null
		lab on 1 "$TOP/setup_bridge.sh" --down >/dev/null
		assert_equal "$(host_state 1)" "$fresh"
	done
}

@test "setup_routes.sh run twice adds nothing; --down twice is harmless" {
	cluster_up none
	lab on 1 "$TOP/setup_routes.sh" vxlan 198.18.0.2,10.240.2.0/24 >/dev/null
	run lab on 1 "$TOP/setup_routes.sh" vxlan 198.18.0.2,10.240.2.0/24
	assert_success
	assert_output "already in place: vxlan0
already in place: cni0 mtu 1450
already in place: fdb 0e:00:c6:12:00:02 dst 198.18.0.2
already in place: neighbour 10.240.2.0 lladdr 0e:00:c6:12:00:02
already in place: 10.240.2.0/24 via 10.240.2.0 dev vxlan0 proto 240 onlink "
	run lab on 1 "$TOP/setup_routes.sh" --down
	assert_output "removed: vxlan0, with its routes
restored: cni0 mtu 1500"
	run lab on 1 "$TOP/setup_routes.sh" --down
	assert_success
	assert_output "no routes of setup_routes.sh here: nothing to remove"
}

@test "setup_routes.sh refuses a peer whose subnet is routed already, a bad peer, and says how it is used" {
	cluster_up none
	run lab on 1 "$TOP/setup_routes.sh" host-gw 198.18.0.2,10.240.1.0/24
	assert_failure 1
	assert_output --regexp '^setup_routes\.sh: a route to 10\.240\.1\.0/24 exists already: 10\.240\.1\.0/24 dev cni0 .* \(is 10\.240\.1\.0/24 this host.s own subnet\?\)$'
	run lab on 1 "$TOP/setup_routes.sh" host-gw 198.18.0.2
	assert_failure 2
	assert_line --index 0 "setup_routes.sh: bad peer '198.18.0.2' (UNDERLAY_IP,SUBNET, e.g. 198.18.0.3,10.240.3.0/24)"
	run "$TOP/setup_routes.sh" -h
	assert_success
	assert_line --index 0 "Usage: setup_routes.sh host-gw|vxlan PEER..."
}
