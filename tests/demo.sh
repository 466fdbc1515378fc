#!/usr/bin/env bash
# make demo: the whole workshop, run for real, in the README's order. Before
# each command it prints a line of narration and the command; then the
# command's own output. It runs in a throwaway network namespace, so the
# bridge, veths, iptables rules and sysctls it makes vanish with it; cgroups
# and mounts are removed by the programs themselves.
#
#   tests/demo.sh           run straight through
#   tests/demo.sh --step    pause before each step (for a live workshop)
set -euo pipefail

TOP=$(cd "$(dirname "$0")/.." && pwd)
cd "$TOP"

if [ "${DEMO_SANDBOX:-}" != 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "demo.sh: the demo needs root: sudo make demo" >&2
		exit 1
	fi
	DEMO_SANDBOX=1 exec unshare --net -- "$0" "$@"
fi

pause=0
if [ "${1:-}" = --step ]; then
	pause=1
fi

bold=$'\e[1m' dim=$'\e[2m' plain=$'\e[0m'
if [ ! -t 1 ]; then
	bold='' dim='' plain=''
fi

# A new step: its title, and a pause when asked for.
step() {
	printf '\n%s== Step %s ==%s\n' "$bold" "$1" "$plain"
	if [ "$pause" = 1 ]; then
		printf '(press Enter to run step %s) ' "${1%%:*}"
		read -r _ || true
	fi
}

# say NARRATION COMMAND: narrate, show the command as a reader would type it,
# run it. A failing command does not stop the demo (some fail on purpose): its
# exit status is shown.
say() {
	local status=0
	printf '\n%s# %s%s\n%s$ %s%s\n' "$dim" "$1" "$plain" "$bold" "$2" "$plain"
	bash -c "$2" || status=$?
	if [ "$status" -ne 0 ]; then
		printf '%s(exit status %d)%s\n' "$dim" "$status" "$plain"
	fi
}

# The fake upstream "internet" of the NAT story comes from the tests' helpers;
# it lives as long as the demo may (an hour, with pauses).
SANDBOX_TIMEOUT=3600
# shellcheck source=tests/netns_helpers.bash
source "$TOP/tests/netns_helpers.bash"
sandbox_init
demo_dir=$(mktemp -d /tmp/demo.XXXXXX)
cleanup() {
	./lab.sh down >/dev/null 2>&1 || true
	sandbox_cleanup
	rm -rf "$demo_dir"
}
trap cleanup EXIT

step "1: fork, exec and wait"
say "The parent forks a child; the child execs echo; the parent waits." \
	'./fork_exec/bin/fork_and_exec echo hello'
say "The exit status is the command's own." \
	"./fork_exec/bin/fork_and_exec sh -c 'exit 3'; echo \"exit status \$?\""

step "2: clone() into new namespaces"
say "In a new PID namespace the child is PID 1, and its parent is outside: PPID 0." \
	'./pid_namespace/bin/ns_child_exec -v -p ./fork_exec/bin/fork_and_exec echo hello'
say "A hostname set in a new UTS namespace stays inside..." \
	"./pid_namespace/bin/ns_child_exec -u sh -c 'busybox hostname inside_ns; hostname'"
say "...outside, it is unchanged." 'hostname'
say "A new network namespace has only lo, and it is down." \
	'./pid_namespace/bin/ns_child_exec -n ip -brief link'
say "A new user namespace maps you to root inside." \
	"./pid_namespace/bin/ns_child_exec -U -z sh -c 'id -u; cat /proc/self/uid_map'"

step "3: cgroups"
say "The cgroup filesystem: cgroup2fs is v2, tmpfs is v1 or a v1/v2 hybrid." \
	'stat -fc %T /sys/fs/cgroup'
say "cgroup_demo allocates 50 MB, one at a time; alone, it finishes." \
	'./cgroup/bin/cgroup_demo | tail -n 2'
say "In a cgroup limited to 5 MB the OOM killer stops it: 137 is 128 + SIGKILL." \
	'./cgroup/bin/cgroup_exec -m 5M ./cgroup/bin/cgroup_demo'

step "4: a real container"
say "A root filesystem: busybox, built offline by make rootfs." 'ls -C rootfs'
say "A container: every namespace, pivot_root into ./rootfs, a fresh /proc." \
	'./basic_container/bin/basic_container none ps -o pid,ppid,user,args'
say "Its hostname is its own." './basic_container/bin/basic_container -q none hostname'
say "Its mount table holds only its own mounts." \
	"./basic_container/bin/basic_container -q none sh -c 'cut -d \" \" -f 5 /proc/self/mountinfo'"
say "Root inside is nobody outside: the container's IDs 0-65535 are a range of unused host IDs." \
	'./basic_container/bin/basic_container -q none cat /proc/self/uid_map'
say "The image is never written: a container's changes go to a layer of its own, gone when it exits." \
	"./basic_container/bin/basic_container -q none sh -c 'rm /bin/ls; ls /bin/ls'; ls rootfs/bin/ls"
say "The host side of its network: the bridge cni0 (in this demo's own network namespace)." \
	'./setup_bridge.sh'
say "A container on the bridge: eth0 with its address, a default route via the bridge." \
	"./basic_container/bin/basic_container -q 10.240.0.2 sh -c 'ip -4 addr show eth0; ip route'"
say "Two containers: one serves a line with nc; the other pings it and fetches the line." \
	'./basic_container/bin/basic_container -q 10.240.0.2 sh -c "echo hello from 10.240.0.2 | nc -l -p 7000" &
sleep 0.5
./basic_container/bin/basic_container -q 10.240.0.3 sh -c "ping -c 1 10.240.0.2 && nc 10.240.0.2 7000"
wait'
fake_upstream
nc_listen upstream 80 "$demo_dir/upstream"
say "A fake internet host, $UPSTREAM_IP, with no route back to the containers: unreachable." \
	"./basic_container/bin/basic_container -q 10.240.0.2 ping -c 1 -W 1 $UPSTREAM_IP"
say "Forwarding and NAT for the containers' way out." './setup_forwarding.sh'
say "Now a container reaches it..." \
	"./basic_container/bin/basic_container -q 10.240.0.2 sh -c 'echo hello | nc $UPSTREAM_IP 80'"
say "...and the fake host saw the host's address, not the container's." "cat $demo_dir/upstream"
say "Step 3's greedy process, in a container limited to 5 MB: it dies with 137." \
	'./basic_container/bin/basic_container -q -m 5M none cgroup_demo'
say "Undo the host side: the rules and ip_forward..." './setup_forwarding.sh --down'
say "...and the bridge." './setup_bridge.sh --down'

step "5: lock it down"
say "The escape probe, with the lockdown off (-P): what it finds open." \
	'./basic_container/bin/basic_container -q -P none /escape_probe | grep ESCAPED'
say "With the lockdown on: every way out blocked." \
	'./basic_container/bin/basic_container -q none /escape_probe'
say "Docker's fourteen capabilities, a seccomp filter, and nothing of the caller's environment." \
	"./basic_container/bin/basic_container -q none sh -c 'grep -E \"^(CapBnd|Seccomp):\" /proc/self/status; env'"

step "6: more than one host"
container=./basic_container/bin/basic_container
say "A lab of three simulated hosts on one LAN (198.18.0.0/24), each a network namespace." \
	'./lab.sh up'
# shellcheck disable=SC2016  # the loop's $k is the demo shell's, at run time
say "Each host K: its bridge with 10.240.K.1/24, forwarding, and NAT for what leaves the cluster only." \
	'for k in 1 2 3; do ./lab.sh on $k ./setup_bridge.sh --subnet 10.240.$k.0/24 >/dev/null; ./lab.sh on $k ./setup_forwarding.sh --subnet 10.240.$k.0/24 >/dev/null; done
./lab.sh on 1 iptables -t nat -S POSTROUTING'
say "host-gw: on each host, a route per peer subnet via the peer's own address." \
	'./lab.sh on 1 ./setup_routes.sh host-gw 198.18.0.2,10.240.2.0/24 198.18.0.3,10.240.3.0/24
./lab.sh on 2 ./setup_routes.sh host-gw 198.18.0.1,10.240.1.0/24 198.18.0.3,10.240.3.0/24 >/dev/null
./lab.sh on 3 ./setup_routes.sh host-gw 198.18.0.1,10.240.1.0/24 198.18.0.2,10.240.2.0/24 >/dev/null'
say "A container on host 1 fetches a line from one on host 3; host 3's bridge sees the container's own address." \
	"./lab.sh on 3 $container -q 10.240.3.2 sh -c 'echo hello from host 3 | nc -l -p 7000' &
./lab.sh on 3 timeout 10 tcpdump -t -n -l -i cni0 -c 1 icmp 2>/dev/null &
sleep 1
./lab.sh on 1 $container -q 10.240.1.2 sh -c 'ping -c 1 10.240.3.2 >/dev/null && nc 10.240.3.2 7000'
wait"
# shellcheck disable=SC2016  # as above
say "VXLAN instead: the containers' frames travel in UDP packets between the hosts; the bridge's MTU, and so the container's, is 50 bytes less." \
	'for k in 1 2 3; do ./lab.sh on $k ./setup_routes.sh --down >/dev/null; done
./lab.sh on 1 ./setup_routes.sh vxlan 198.18.0.2,10.240.2.0/24 198.18.0.3,10.240.3.0/24
./lab.sh on 2 ./setup_routes.sh vxlan 198.18.0.1,10.240.1.0/24 198.18.0.3,10.240.3.0/24 >/dev/null
./lab.sh on 3 ./setup_routes.sh vxlan 198.18.0.1,10.240.1.0/24 198.18.0.2,10.240.2.0/24 >/dev/null'
say "On the LAN: UDP to port 4789, the VXLAN header (VNI 42), and inside it the container's packet." \
	"./lab.sh on 3 $container -q 10.240.3.2 sh -c 'echo hello through VXLAN | nc -l -p 7000' &
./lab.sh on lab timeout 10 tcpdump -t -n -l -i lan0 -c 1 udp port 4789 2>/dev/null &
sleep 1
./lab.sh on 1 $container -q 10.240.1.2 sh -c 'cat /sys/class/net/eth0/mtu; ping -c 1 10.240.3.2 >/dev/null && nc 10.240.3.2 7000'
wait"
say "Take the lab down: its namespaces go, with everything in them." './lab.sh down'

printf '\n%sThe end. The demo'"'"'s network namespace goes now, with anything left in it.%s\n' "$bold" "$plain"
