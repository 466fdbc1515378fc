#!/usr/bin/env bats
# Step 4's network: a veth pair on the cni0 bridge, the container's address
# and route, pings and nc between host and containers, and NAT to a fake
# upstream. Every test runs inside a throwaway network namespace, never in the
# machine's own: `make test` runs the bats files under `unshare -n`; by hand,
# run `sudo unshare -n bats tests/container_network.bats`.
# shellcheck disable=SC2030,SC2031  # pids live in each test's own subshell
# shellcheck disable=SC2016  # the sandbox scripts expand their variables themselves

load helpers

setup_file() {
	require_root
	if [ "$(readlink /proc/self/ns/net)" = "$(readlink /proc/1/ns/net)" ]; then
		skip "runs only in a throwaway network namespace: sudo unshare -n bats $BATS_TEST_FILENAME"
	fi
	ip link set lo up
	"$TOP/setup_bridge.sh" >/dev/null
	new_test_rootfs container_network
}

teardown_file() {
	if [ -n "${ROOTFS_DIR:-}" ]; then
		rm -rf "$ROOTFS_DIR"
		"$TOP/setup_bridge.sh" --down >/dev/null
	fi
}

setup() {
	require_root
	pids=()
	# Start from an empty bridge: the last test's veths go 100-200 ms after
	# its containers.
	wait_for_no_ports
}

teardown() {
	local pid
	for pid in "${pids[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
}

# Run a container quietly in the test rootfs. (In the background, start
# "$RUNTIME" itself, so that $! is the runtime and not a subshell.)
container() {
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$@"
}

# Start a container at IP that waits for a signal; wait (bounded) until it is
# ready. Its output goes to $BATS_TEST_TMPDIR/IP.
start_container() {
	local ip=$1 out="$BATS_TEST_TMPDIR/$1"
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$ip" /probe wait-signal >"$out" 2>&1 3>&- &
	pids+=("$!")
	for _ in $(seq 1 100); do
		grep -q '^ready$' "$out" && return 0
		sleep 0.05
	done
	echo "container $ip never got ready: $(cat "$out")" >&2
	return 1
}

# Host ends of veth pairs on cni0, one a line.
bridge_ports() {
	ip -o link show master cni0 | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }'
}

# Wait (bounded) until no veth hangs on the bridge: the kernel tears a
# container's network namespace down 100-200 ms after it exits.
wait_for_no_ports() {
	for _ in $(seq 1 100); do
		[ -z "$(bridge_ports)" ] && return 0
		sleep 0.05
	done
	echo "ports left on cni0: $(bridge_ports)" >&2
	return 1
}

@test "the container has its address, lo is up and the default route points at the bridge" {
	run container 10.240.0.2 /probe links
	assert_success
	assert_line "lo up 127.0.0.1/8"
	assert_line "eth0 up 10.240.0.2/24"
	run container 10.240.0.2 /probe gateway
	assert_output 10.240.0.1
}

@test "eth0 has no IPv6, so a neighbour's router advertisement cannot route it; lo keeps ::1" {
	run container 10.240.0.2 sh -c 'cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6; ip -6 -o addr show dev eth0; ip -6 -o addr show dev lo'
	assert_success
	assert_line --index 0 1
	assert_line --index 1 --regexp '^1: lo +inet6 ::1/128 '
	assert_equal "${#lines[@]}" 2
}

@test "the host end is a veth with a unique name on cni0; no fixed name appears on the host" {
	start_container 10.240.0.2
	run bridge_ports
	assert_output --regexp '^veth[0-9a-f]{6}$'
	run ip -o link show
	refute_output --regexp ': (eth0|veth1)[@:]'  # the seed's fixed names
}

@test "the host pings the container" {
	start_container 10.240.0.2
	run ping -c 1 -W 2 10.240.0.2
	assert_success
	assert_output --partial "1 received"
}

@test "the container pings the host's bridge" {
	run container 10.240.0.2 ping -c 1 -W 2 10.240.0.1
	assert_success
	assert_output --partial "1 packets received"
}

@test "two containers ping each other and talk over nc" {
	local out="$BATS_TEST_TMPDIR/listener"
	# Each side's line lies in a file before the connection: busybox's nc
	# quits at the other side's end of file, even with a line still to send.
	"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" 10.240.0.2 sh -c '
		echo hello from 10.240.0.2 >/dev/shm/line
		nc -l -p 7000 </dev/shm/line' >"$out" 2>&1 3>&- &
	pids+=("$!")
	run container 10.240.0.3 sh -c '
		ping -c 1 -W 2 10.240.0.2 >/dev/null || exit 1
		echo hello from 10.240.0.3 >/dev/shm/line
		for i in 1 2 3 4 5 6 7 8 9 10; do
			nc 10.240.0.2 7000 </dev/shm/line 2>/dev/null && exit 0
			sleep 0.2
		done
		exit 1'
	assert_success
	assert_output "hello from 10.240.0.2"
	wait "${pids[0]}"
	run cat "$out"
	assert_output "hello from 10.240.0.3"
}

@test "a container's veth goes away with its network namespace" {
	start_container 10.240.0.2
	run bridge_ports
	assert_output --regexp '^veth[0-9a-f]{6}$'
	kill -TERM "${pids[-1]}"
	wait "${pids[-1]}" || true
	wait_for_no_ports
}

@test "a container that takes over the address of one that just exited answers at once" {
	for _ in 1 2 3; do
		start_container 10.240.0.2
		run ping -c 1 -W 1 10.240.0.2
		assert_success
		kill -TERM "${pids[-1]}"
		wait "${pids[-1]}" || true
	done
}

@test "20 containers started at once get distinct veths and all answer ping" {
	local i ip
	for i in $(seq 10 29); do
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "10.240.0.$i" /probe wait-signal \
			>"$BATS_TEST_TMPDIR/$i" 2>&1 3>&- &
		pids+=("$!")
	done
	for i in $(seq 10 29); do
		for _ in $(seq 1 200); do
			grep -q '^ready$' "$BATS_TEST_TMPDIR/$i" && break
			sleep 0.05
		done
		run cat "$BATS_TEST_TMPDIR/$i"
		assert_output ready
	done
	run bridge_ports
	assert_equal "$(sort -u <<<"$output" | grep -c '^veth')" 20
	for i in $(seq 10 29); do
		ip=10.240.0.$i
		run ping -c 1 -W 2 "$ip"
		assert_success
	done
	kill -TERM "${pids[@]}"
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || true
	done
	pids=()
	wait_for_no_ports
}

@test "an address outside the bridge's subnet is refused" {
	run container 10.250.0.2 true
	assert_failure 125
	assert_output "basic_container: 10.250.0.2 is not in cni0's subnet 10.240.0.1/24"
}

@test "the bridge's own, network and broadcast addresses are refused" {
	run container 10.240.0.1 true
	assert_failure 125
	assert_output "basic_container: 10.240.0.1 is the bridge cni0's own address"
	run container 10.240.0.255 true
	assert_failure 125
	assert_output "basic_container: 10.240.0.255 is the network or broadcast address of 10.240.0.1/24"
}

@test "a missing bridge is named, with the script that makes it" {
	run container -b cni9 10.240.0.2 true
	assert_failure 125
	assert_output "basic_container: bridge cni9 not found (run setup_bridge.sh)"
}

@test "an address a running container holds is refused in one line; free again once it exits" {
	start_container 10.240.0.2
	run container 10.240.0.2 true
	assert_failure 125
	assert_output "basic_container: 10.240.0.2 is in use by a running container on cni0"
	# Another network namespace is another bridge: the same address is free there.
	run unshare -n bash -c 'ip link set lo up && ./setup_bridge.sh >/dev/null &&
		"$1" -q -r "$2" 10.240.0.2 true' sh "$RUNTIME" "$ROOTFS_DIR/rootfs"
	assert_success
	kill -TERM "${pids[0]}"
	wait "${pids[0]}" || true
	pids=()
	run container 10.240.0.2 true
	assert_success
}

@test "a bridge that is down is refused before anything is made" {
	ip link add br-down type bridge
	ip addr add 10.241.0.1/24 dev br-down
	run container -b br-down 10.241.0.2 true
	local ports
	ports=$(ip -o link show master br-down)
	ip link del br-down
	assert_failure 125
	assert_output "basic_container: bridge br-down is down (ip link set br-down up)"
	assert_equal "$ports" ""
}

@test "a link that is not a bridge is refused in one line" {
	run container -b lo 127.0.0.2 true
	assert_failure 125
	assert_output "basic_container: lo is not a bridge (-b names one, e.g. cni0 from setup_bridge.sh)"
}

@test "the bridge address whose subnet holds the container's IP is its gateway" {
	ip addr add 10.242.0.1/24 dev cni0
	run container 10.242.0.5 sh -c '/probe links; /probe gateway'
	ip addr del 10.242.0.1/24 dev cni0
	assert_success
	assert_line "eth0 up 10.242.0.5/24"
	assert_line --index 2 10.242.0.1
}

@test "the container's veth takes the bridge's MTU" {
	ip link set cni0 mtu 1400
	run container 10.240.0.2 cat /sys/class/net/eth0/mtu
	ip link set cni0 mtu 1500
	assert_success
	assert_output 1400
}

@test "a networked container whose setup fails says why, while its veth is made beside it, and leaves no veth" {
	local bad="$ROOTFS_DIR/bad"
	make_rootfs_without_proc "$ROOTFS_DIR" "$bad"
	# The child fails in its mounts while the parent creates its veth and
	# then sends it a go byte, which may find it gone: many runs, so that
	# each racy interleaving is likely to show.
	run distinct_outcomes 40 "$RUNTIME" -q -r "$bad" 10.240.0.2 /probe ids
	rm -rf "$bad"
	assert_output "basic_container: container setup failed: /proc in the root filesystem is not a directory status 125"
	wait_for_no_ports
}

# NAT, with real containers: each test builds its own host in a nested
# throwaway namespace (netns_helpers.bash), with a fake upstream "internet"
# that has no route back to 10.240.0.0/24.
nat_sandbox() {
	in_sandbox "
		RUNTIME='$RUNTIME' ROOTFS='$ROOTFS_DIR/rootfs'
		$1"
}

@test "a container reaches a fake upstream through NAT; the upstream sees the host's address" {
	load netns_helpers
	run nat_sandbox '
		./setup_bridge.sh >/dev/null
		fake_upstream
		"$RUNTIME" -q -r "$ROOTFS" 10.240.0.2 ping -c 1 -W 1 "$UPSTREAM_IP" >/dev/null &&
			echo "before setup_forwarding.sh: reached" || echo "before setup_forwarding.sh: unreachable"
		./setup_forwarding.sh >/dev/null
		nc_listen upstream 8080 "$BATS_TEST_TMPDIR/upstream"
		"$RUNTIME" -q -r "$ROOTFS" 10.240.0.2 sh -c "echo hello from the container | nc $UPSTREAM_IP 8080"
		wait_for 50 grep -q hello "$BATS_TEST_TMPDIR/upstream"
		cat "$BATS_TEST_TMPDIR/upstream"'
	assert_success
	assert_line "before setup_forwarding.sh: unreachable"
	assert_line --regexp '^Connection received on 198\.51\.100\.2 [0-9]+$'
	assert_line "hello from the container"
}

# reach IP LABEL, inside a nat_sandbox: one ping from a new container at 10.240.0.2.
REACH='reach() {
	if "$RUNTIME" -q -r "$ROOTFS" 10.240.0.2 ping -c 1 -W 2 "$1" >/dev/null; then
		echo "$2: reached"
	else
		echo "$2: blocked"
	fi
}
peer() {
	"$RUNTIME" -q -r "$ROOTFS" 10.240.0.3 /probe wait-signal >/dev/null 3>&- &
	SANDBOX_PIDS+=("$!")
	wait_for 50 ping -c 1 -W 1 10.240.0.3 >/dev/null
}'

@test "a Docker-style FORWARD DROP policy blocks containers, even from each other" {
	load netns_helpers
	load br_netfilter
	require_br_netfilter
	run nat_sandbox "$REACH"'
		./setup_bridge.sh >/dev/null
		fake_upstream
		iptables -P FORWARD DROP
		peer
		reach 10.240.0.3 peer
		reach "$UPSTREAM_IP" upstream'
	assert_success
	assert_output "peer: blocked
upstream: blocked"
}

@test "under a Docker-style FORWARD DROP policy, setup_forwarding.sh lets containers out and to each other" {
	load netns_helpers
	run nat_sandbox "$REACH"'
		./setup_bridge.sh >/dev/null
		fake_upstream
		iptables -P FORWARD DROP
		./setup_forwarding.sh >/dev/null
		peer
		reach 10.240.0.3 peer
		reach "$UPSTREAM_IP" upstream'
	assert_success
	assert_output "peer: reached
upstream: reached"
}
