#!/usr/bin/env bats
# The host side of container networking: setup_bridge.sh and
# setup_forwarding.sh, then NAT proved with fake hosts. Every test runs in a
# throwaway network namespace of its own (in_sandbox, tests/netns_helpers.bash):
# nothing here touches the machine's own network.
# shellcheck disable=SC2016  # the sandbox scripts expand their own variables

load helpers
load netns_helpers
load br_netfilter

setup() {
	require_root
	# setup_forwarding.sh's memory goes here, not to the machine's /run.
	export FORWARDING_STATE_DIR="$BATS_TEST_TMPDIR/state"
	export OUT="$BATS_TEST_TMPDIR"
}

# The sandbox plays a host with two fake containers on cni0 and a fake
# upstream "internet" at 203.0.113.10.
HOSTS='./setup_bridge.sh >/dev/null
fake_container c1 10.240.0.2
fake_container c2 10.240.0.3
fake_upstream
'

# A Docker-style FORWARD chain: DROP policy, its own chain first.
DOCKER_STYLE='iptables -P FORWARD DROP
iptables -N DOCKER-USER
iptables -A FORWARD -j DOCKER-USER
iptables -A DOCKER-USER -j RETURN
'

# ---- setup_bridge.sh

@test "setup_bridge.sh creates the bridge cni0 with 10.240.0.1/24, up" {
	run in_sandbox '
		./setup_bridge.sh
		ip -o link show type bridge | cut -d" " -f2
		ip -o -4 addr show dev cni0 | awk "{ print \$4 }"
		ip -o link show dev cni0 | grep -o "[<,]UP[,>]"'
	assert_success
	assert_output "created bridge cni0
added 10.240.0.1/24 to cni0
cni0 is up
cni0:
10.240.0.1/24
,UP,"
}

@test "the bridge takes no IPv6 router advertisement from a container" {
	run in_sandbox './setup_bridge.sh >/dev/null; cat /proc/sys/net/ipv6/conf/cni0/accept_ra'
	assert_success
	assert_output 0
}

@test "setup_bridge.sh run twice succeeds and leaves one address" {
	run in_sandbox '
		./setup_bridge.sh >/dev/null
		./setup_bridge.sh
		ip -o -4 addr show dev cni0 | awk "{ print \$4 }"'
	assert_success
	assert_output "bridge cni0 already exists
cni0 already has 10.240.0.1/24
cni0 is already up
10.240.0.1/24"
}

@test "setup_bridge.sh gives an existing bridge its missing address" {
	run in_sandbox '
		ip link add cni0 type bridge
		./setup_bridge.sh
		ip -o -4 addr show dev cni0 | awk "{ print \$4 }"'
	assert_success
	assert_output "bridge cni0 already exists
added 10.240.0.1/24 to cni0
cni0 is up
10.240.0.1/24"
}

@test "setup_bridge.sh leaves alone a cni0 that is not a bridge" {
	run in_sandbox '
		ip link add cni0 type veth peer name other
		status=0
		./setup_bridge.sh || status=$?
		echo "status $status"
		./setup_bridge.sh --down || status=$?
		echo "status $status"
		ip -o -4 addr show dev cni0 | wc -l'
	assert_success
	assert_output "setup_bridge.sh: cni0 exists and is not a bridge; leaving it alone
status 1
setup_bridge.sh: cni0 is not a bridge; leaving it alone
status 1
0"
}

@test "setup_bridge.sh --down removes the bridge, and a second --down is harmless" {
	run in_sandbox '
		./setup_bridge.sh >/dev/null
		./setup_bridge.sh --down
		./setup_bridge.sh --down
		ip -o link show type bridge | wc -l'
	assert_success
	assert_output "removed bridge cni0
no bridge cni0: nothing to remove
0"
}

@test "BRIDGE and BRIDGE_CIDR choose another bridge and address" {
	run in_sandbox '
		export BRIDGE=br-test BRIDGE_CIDR=10.99.0.1/16
		./setup_bridge.sh >/dev/null
		ip -o link show type bridge | cut -d" " -f2
		ip -o -4 addr show dev br-test | awk "{ print \$4 }"
		./setup_bridge.sh --down'
	assert_success
	assert_output "br-test:
10.99.0.1/16
removed bridge br-test"
}

@test "setup_bridge.sh --subnet gives the bridge the subnet's first address" {
	run in_sandbox '
		./setup_bridge.sh --subnet 10.240.3.0/24
		ip -o -4 addr show dev cni0 | awk "{ print \$4 }"'
	assert_success
	assert_output "created bridge cni0
added 10.240.3.1/24 to cni0
cni0 is up
10.240.3.1/24"
}

# flannel and k3s call their bridge cni0 too.
@test "setup_bridge.sh refuses a cni0 in another subnet, in one line, and leaves it as it was" {
	run in_sandbox '
		ip link add cni0 type bridge
		ip addr add 10.42.0.1/24 dev cni0
		status=0
		./setup_bridge.sh || status=$?
		echo "status $status"
		ip -o -4 addr show dev cni0 | awk "{ print \$4 }"'
	assert_success
	assert_output "setup_bridge.sh: cni0 already has 10.42.0.1/24, not 10.240.0.1/24: it belongs to another network (flannel and k3s call their bridge cni0 too); choose another name: BRIDGE=br-tutorial ./setup_bridge.sh
status 1
10.42.0.1/24"
}

@test "setup_bridge.sh --down leaves a bridge it did not make" {
	run in_sandbox '
		ip link add cni0 type bridge
		./setup_bridge.sh >/dev/null
		./setup_bridge.sh --down
		ip -o link show type bridge | cut -d" " -f2'
	assert_success
	assert_output "cni0 was not made by setup_bridge.sh: leaving it
cni0:"
}

@test "setup_bridge.sh -h prints its usage; a bad argument fails with it" {
	run in_sandbox './setup_bridge.sh -h'
	assert_success
	assert_line --index 0 "Usage: setup_bridge.sh [--subnet CIDR] [--down]"
	run in_sandbox './setup_bridge.sh --up'
	assert_failure 2
	assert_line --index 0 "setup_bridge.sh: unknown argument '--up'"
	assert_line --index 1 "Usage: setup_bridge.sh [--subnet CIDR] [--down]"
}

@test "setup_bridge.sh refuses to run as a plain user, in one line" {
	run in_sandbox 'setpriv --reuid=65534 --regid=65534 --clear-groups ./setup_bridge.sh'
	assert_failure 1
	assert_output "setup_bridge.sh: must run as root (try: sudo ./setup_bridge.sh)"
}

@test "setup_bridge.sh says so when ip is missing" {
	run in_sandbox '
		mkdir "$OUT/bin"
		ln -s "$(command -v id)" "$OUT/bin/id"
		PATH="$OUT/bin" /bin/bash ./setup_bridge.sh'
	assert_failure 1
	assert_output "setup_bridge.sh: ip not found: apt-get install iproute2"
}

# ---- setup_forwarding.sh

@test "setup_forwarding.sh turns on ip_forward and adds exactly its rules, each with its comment" {
	run in_sandbox '
		./setup_forwarding.sh
		cat /proc/sys/net/ipv4/ip_forward
		iptables -S FORWARD
		iptables -t nat -S POSTROUTING'
	assert_success
	assert_output "ip_forward set to 1 (was 0)
added: iptables -t filter -I FORWARD 1 -s 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
added: iptables -t filter -I FORWARD 2 -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
added: iptables -t nat -A POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j MASQUERADE
1
-P FORWARD ACCEPT
-A FORWARD -s 10.240.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j ACCEPT
-A FORWARD -d 10.240.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j ACCEPT
-A FORWARD -m comment --comment \"setup_forwarding.sh: ip_forward was 0\"
-P POSTROUTING ACCEPT
-A POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j MASQUERADE"
}

@test "setup_forwarding.sh run twice adds no duplicates" {
	run in_sandbox '
		./setup_forwarding.sh >/dev/null
		./setup_forwarding.sh
		iptables -S FORWARD | wc -l
		iptables -t nat -S POSTROUTING | wc -l'
	assert_success
	assert_output "ip_forward is already 1
already in place: rule 1 of FORWARD: -s 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
already in place: rule 2 of FORWARD: -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
already in place: nat POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j MASQUERADE
4
2"
}

@test "setup_forwarding.sh --down in a fresh namespace leaves the rules and ip_forward as they were" {
	run in_sandbox '
		rules() { iptables -S; iptables -t nat -S; cat /proc/sys/net/ipv4/ip_forward; }
		before=$(rules)
		./setup_forwarding.sh >/dev/null
		./setup_forwarding.sh --down
		[ "$(rules)" = "$before" ] && echo same'
	assert_success
	assert_output "removed: iptables -t filter -D FORWARD -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
removed: iptables -t filter -D FORWARD -s 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
removed: iptables -t nat -D POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j MASQUERADE
ip_forward restored to 0
same"
}

@test "setup_forwarding.sh --down removes only what it added and restores iptables-save's view" {
	run in_sandbox '
		# Counters and dates aside, what iptables-save prints.
		snapshot() { iptables-save | grep -v "^#" | sed "s/ \[[0-9]*:[0-9]*\]\$//"; }
		echo 1 >/proc/sys/net/ipv4/ip_forward
		'"$DOCKER_STYLE"'
		iptables -A FORWARD -i eth9 -j DROP
		iptables -A FORWARD -d 10.240.0.0/16 -j ACCEPT
		iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE
		before=$(snapshot)
		./setup_forwarding.sh >/dev/null
		./setup_forwarding.sh --down
		[ "$(snapshot)" = "$before" ] && echo same
		cat /proc/sys/net/ipv4/ip_forward'
	assert_success
	assert_output "removed: iptables -t filter -D FORWARD -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
removed: iptables -t filter -D FORWARD -s 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
removed: iptables -t nat -D POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j MASQUERADE
ip_forward left at 1 (this script did not change it here)
same
1"
}

@test "setup_forwarding.sh --down removes only rules with its comment, not the same rules of someone else" {
	run in_sandbox '
		iptables -A FORWARD -s 10.240.0.0/16 -j ACCEPT
		iptables -A FORWARD -d 10.240.0.0/16 -j ACCEPT
		iptables -t nat -A POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -j MASQUERADE
		./setup_forwarding.sh >/dev/null
		./setup_forwarding.sh --down >/dev/null
		iptables -S FORWARD
		iptables -t nat -S POSTROUTING'
	assert_success
	assert_output "-P FORWARD ACCEPT
-A FORWARD -s 10.240.0.0/16 -j ACCEPT
-A FORWARD -d 10.240.0.0/16 -j ACCEPT
-P POSTROUTING ACCEPT
-A POSTROUTING -s 10.240.0.0/24 ! -d 10.240.0.0/16 -j MASQUERADE"
}

@test "setup_forwarding.sh --down twice is harmless" {
	run in_sandbox '
		./setup_forwarding.sh >/dev/null
		./setup_forwarding.sh --down >/dev/null
		./setup_forwarding.sh --down
		iptables -S FORWARD'
	assert_success
	assert_output "no rule of setup_forwarding.sh here: nothing to remove
ip_forward left at 0 (this script did not change it here)
-P FORWARD ACCEPT"
}

@test "setup_forwarding.sh keeps no file: its memory is in the namespace, and goes with it" {
	run in_sandbox '
		unshare -n ./setup_forwarding.sh >/dev/null
		[ ! -e "$FORWARDING_STATE_DIR" ] && [ ! -e /run/container-tutorial ] && echo "no file"'
	assert_success
	assert_output "no file"
}

# The kernel gives a new namespace the number (inode) of one that is gone;
# state kept under that number would belong to the new namespace.
@test "setup_forwarding.sh in a namespace that took a dead one's number leaves its rules and ip_forward alone" {
	run in_sandbox '
		old=$(unshare -n bash -c "./setup_forwarding.sh >/dev/null; readlink /proc/self/ns/net")
		for _ in $(seq 50); do
			status=0
			unshare -n bash -c "
				[ \"\$(readlink /proc/self/ns/net)\" = \"$old\" ] || exit 99
				echo 1 >/proc/sys/net/ipv4/ip_forward
				iptables -A FORWARD -s 10.240.0.0/16 -j ACCEPT
				iptables -A FORWARD -d 10.240.0.0/16 -j ACCEPT
				./setup_forwarding.sh >/dev/null
				./setup_forwarding.sh --down >/dev/null
				iptables -S FORWARD
				cat /proc/sys/net/ipv4/ip_forward" || status=$?
			[ "$status" = 99 ] || exit "$status"
			sleep 0.1
		done
		echo "the kernel never gave the number again"'
	# Namespaces of every kind share the numbers, and any made elsewhere
	# meanwhile may take the freed one first.
	if [ "$output" = "the kernel never gave the number again" ]; then
		skip "the kernel gave the dead namespace's number to no new one in 50 tries"
	fi
	assert_success
	assert_output "-P FORWARD ACCEPT
-A FORWARD -s 10.240.0.0/16 -j ACCEPT
-A FORWARD -d 10.240.0.0/16 -j ACCEPT
1"
}

@test "under a Docker-style DROP policy the accept rules come first" {
	run in_sandbox "$DOCKER_STYLE"'
		iptables -A FORWARD -j DROP
		./setup_forwarding.sh >/dev/null
		iptables -S FORWARD | sed "s/ -m comment --comment .*\" / /"'
	assert_success
	assert_output "-P FORWARD DROP
-A FORWARD -s 10.240.0.0/16 -j ACCEPT
-A FORWARD -d 10.240.0.0/16 -j ACCEPT
-A FORWARD -j DOCKER-USER
-A FORWARD -j DROP
-A FORWARD -m comment --comment \"setup_forwarding.sh: ip_forward was 0\""
}

# iptables -C finds a rule wherever it is: below a DROP it never matches.
@test "an accept rule below a DROP is not in place: setup_forwarding.sh puts its own at the top" {
	run in_sandbox '
		iptables -A FORWARD -j DROP
		iptables -A FORWARD -s 10.240.0.0/16 -j ACCEPT
		./setup_forwarding.sh >/dev/null
		iptables -I FORWARD -j DROP
		./setup_forwarding.sh | grep FORWARD
		iptables -S FORWARD | sed "s/ -m comment --comment .*\" / (ours) /"'
	assert_success
	assert_output "moved up from rule 2: iptables -t filter -I FORWARD 1 -s 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
moved up from rule 3: iptables -t filter -I FORWARD 2 -d 10.240.0.0/16 -m comment --comment setup_forwarding.sh -j ACCEPT
-P FORWARD ACCEPT
-A FORWARD -s 10.240.0.0/16 (ours) -j ACCEPT
-A FORWARD -d 10.240.0.0/16 (ours) -j ACCEPT
-A FORWARD -j DROP
-A FORWARD -j DROP
-A FORWARD -s 10.240.0.0/16 -j ACCEPT
-A FORWARD -m comment --comment \"setup_forwarding.sh: ip_forward was 0\""
}

@test "--subnet and --cluster (or BRIDGE_CIDR and POD_CIDR) choose the rules" {
	run in_sandbox '
		./setup_forwarding.sh --subnet 10.99.3.1/24 --cluster 10.99.0.0/16 >/dev/null
		BRIDGE_CIDR=10.98.3.1/24 POD_CIDR=10.98.0.0/16 ./setup_forwarding.sh >/dev/null
		iptables -S FORWARD | grep -- -s
		iptables -t nat -S POSTROUTING'
	assert_success
	assert_output "-A FORWARD -s 10.98.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j ACCEPT
-A FORWARD -s 10.99.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j ACCEPT
-P POSTROUTING ACCEPT
-A POSTROUTING -s 10.99.3.0/24 ! -d 10.99.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j MASQUERADE
-A POSTROUTING -s 10.98.3.0/24 ! -d 10.98.0.0/16 -m comment --comment \"setup_forwarding.sh\" -j MASQUERADE"
}

@test "setup_forwarding.sh -h prints its usage; a bad argument or setting fails" {
	run in_sandbox './setup_forwarding.sh --help'
	assert_success
	assert_line --index 0 "Usage: setup_forwarding.sh [--subnet CIDR] [--cluster CIDR] [--down]"
	run in_sandbox './setup_forwarding.sh down'
	assert_failure 2
	assert_line --index 0 "setup_forwarding.sh: unknown argument 'down'"
	run in_sandbox './setup_forwarding.sh --cluster 10.240.0.0'
	assert_failure 1
	assert_output "setup_forwarding.sh: bad cluster range '10.240.0.0' (an address and prefix, like 10.240.0.0/16)"
	run in_sandbox './setup_forwarding.sh --subnet 10.241.0.0/24'
	assert_failure 1
	assert_output "setup_forwarding.sh: the subnet 10.241.0.0/24 is not inside the cluster range 10.240.0.0/16"
}

@test "setup_forwarding.sh refuses to run as a plain user, in one line" {
	run in_sandbox 'setpriv --reuid=65534 --regid=65534 --clear-groups ./setup_forwarding.sh'
	assert_failure 1
	assert_output "setup_forwarding.sh: must run as root (try: sudo ./setup_forwarding.sh)"
}

# ---- NAT, proved with fake hosts

@test "without setup_forwarding.sh a container cannot reach the upstream" {
	run in_sandbox "$HOSTS"'
		wait_for 20 reachable c1 10.240.0.1 && echo "gateway: yes"
		reachable c1 10.240.0.3 && echo "peer: yes"
		reachable c1 "$UPSTREAM_IP" || echo "upstream: no"'
	assert_success
	assert_output "gateway: yes
peer: yes
upstream: no"
}

@test "with forwarding but no MASQUERADE the upstream cannot answer" {
	run in_sandbox "$HOSTS"'
		echo 1 >/proc/sys/net/ipv4/ip_forward
		wait_for 20 reachable c1 198.51.100.2 && echo "host uplink: yes"
		reachable c1 10.240.0.3 && echo "peer: yes"
		reachable c1 "$UPSTREAM_IP" || echo "upstream: no"'
	assert_success
	assert_output "host uplink: yes
peer: yes
upstream: no"
}

@test "with setup_forwarding.sh a container reaches the upstream, which sees the host's address" {
	run in_sandbox "$HOSTS"'
		./setup_forwarding.sh >/dev/null
		wait_for 20 reachable c1 "$UPSTREAM_IP" && echo "upstream: yes"
		nc_listen upstream 7000 "$OUT/nc"
		nc_send c1 "$UPSTREAM_IP" 7000 "hello from c1"
		wait "$SPAWNED"
		grep -v "^Listening" "$OUT/nc"'
	assert_success
	assert_line --index 0 "upstream: yes"
	assert_line --index 1 --regexp "^Connection received on 198\.51\.100\.2 [0-9]+$"
	assert_line --index 2 "hello from c1"
}

@test "containers on the bridge see each other's own address, not the host's" {
	run in_sandbox "$HOSTS"'
		./setup_forwarding.sh >/dev/null
		nc_listen c2 7000 "$OUT/nc"
		nc_send c1 10.240.0.3 7000 "hello from c1"
		wait "$SPAWNED"
		grep -v "^Listening" "$OUT/nc"'
	assert_success
	assert_line --index 0 --regexp "^Connection received on 10\.240\.0\.2 [0-9]+$"
	assert_line --index 1 "hello from c1"
}

# br_netfilter: bridged frames cross iptables too, nat POSTROUTING included.
@test "a MASQUERADE rule that does not spare the cluster would hide a container's address from its peer" {
	require_br_netfilter
	run in_sandbox "$HOSTS"'
		echo 1 >/proc/sys/net/ipv4/ip_forward
		iptables -t nat -A POSTROUTING -s 10.240.0.0/24 -j MASQUERADE
		wait_for 20 reachable c1 "$UPSTREAM_IP" && echo "upstream: yes"
		nc_listen c2 7000 "$OUT/nc"
		nc_send c1 10.240.0.3 7000 "hello from c1"
		wait "$SPAWNED"
		grep "^Connection" "$OUT/nc"'
	assert_success
	assert_line --index 0 "upstream: yes"
	assert_line --index 1 --regexp "^Connection received on 10\.240\.0\.1 [0-9]+$"
}

@test "a Docker-style DROP policy blocks the containers, even from each other" {
	require_br_netfilter
	run in_sandbox "$HOSTS$DOCKER_STYLE"'
		echo 1 >/proc/sys/net/ipv4/ip_forward
		iptables -t nat -A POSTROUTING -s 10.240.0.0/24 ! -o cni0 -j MASQUERADE
		wait_for 20 reachable c1 10.240.0.1 && echo "gateway: yes"
		reachable c1 "$UPSTREAM_IP" || echo "upstream: no"
		reachable c1 10.240.0.3 || echo "peer: no"'
	assert_success
	assert_output "gateway: yes
upstream: no
peer: no"
}

@test "under a Docker-style DROP policy setup_forwarding.sh lets containers out and to each other" {
	run in_sandbox "$HOSTS$DOCKER_STYLE"'
		./setup_forwarding.sh >/dev/null
		wait_for 20 reachable c1 "$UPSTREAM_IP" && echo "upstream: yes"
		reachable c1 10.240.0.3 && echo "peer: yes"
		nc_listen upstream 7000 "$OUT/up"
		nc_send c1 "$UPSTREAM_IP" 7000 "hello upstream"
		wait "$SPAWNED"
		nc_listen c2 7001 "$OUT/peer"
		nc_send c1 10.240.0.3 7001 "hello peer"
		wait "$SPAWNED"
		grep -h "^Connection" "$OUT/up" "$OUT/peer"'
	assert_success
	assert_line --index 0 "upstream: yes"
	assert_line --index 1 "peer: yes"
	assert_line --index 2 --regexp "^Connection received on 198\.51\.100\.2 [0-9]+$"
	assert_line --index 3 --regexp "^Connection received on 10\.240\.0\.2 [0-9]+$"
}

@test "setup_forwarding.sh --down closes the way out; the bridge still joins containers" {
	run in_sandbox "$HOSTS"'
		./setup_forwarding.sh >/dev/null
		wait_for 20 reachable c1 "$UPSTREAM_IP" && echo "upstream: yes"
		./setup_forwarding.sh --down >/dev/null
		reachable c1 "$UPSTREAM_IP" || echo "upstream: no"
		reachable c1 10.240.0.3 && echo "peer: yes"'
	assert_success
	assert_output "upstream: yes
upstream: no
peer: yes"
}
