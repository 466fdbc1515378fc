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
	if [ "$pause" = 1 ] && [ -r /dev/tty ]; then
		read -r -p "(press Enter to run step $1)" </dev/tty
	fi
}

# say NARRATION -- CMD [ARG...]: narrate, show the command, run it. A failing
# command does not stop the demo (some fail on purpose): its status is shown.
say() {
	local narration=$1 status=0
	shift 2
	printf '\n%s# %s%s\n%s$ %s%s\n' "$dim" "$narration" "$plain" "$bold" "$*" "$plain"
	"$@" || status=$?
	if [ "$status" -ne 0 ]; then
		printf '%s(exit status %d)%s\n' "$dim" "$status" "$plain"
	fi
}

ip link set lo up

step "1: fork, exec and wait"
say "The parent forks a child; the child execs echo; the parent waits." -- \
	./fork_exec/bin/fork_and_exec echo hello
say "The exit status is the command's own: here 3." -- \
	./fork_exec/bin/fork_and_exec sh -c 'exit 3'

step "2: clone() into new namespaces"
say "In a new PID namespace the child is PID 1, and its parent is outside: PPID 0." -- \
	./pid_namespace/bin/ns_child_exec -v -p ./fork_exec/bin/fork_and_exec echo hello
say "A hostname set in a new UTS namespace stays inside." -- \
	./pid_namespace/bin/ns_child_exec -u sh -c 'busybox hostname inside_ns; hostname'
say "Outside, the hostname is unchanged." -- hostname
say "A new network namespace has only lo, and it is down." -- \
	./pid_namespace/bin/ns_child_exec -n ip -brief link
say "A new user namespace maps you to root inside." -- \
	./pid_namespace/bin/ns_child_exec -U -z sh -c 'id -u; cat /proc/self/uid_map'

step "3: cgroups"
say "This machine's cgroup filesystem: cgroup2fs is v2, tmpfs is v1 or hybrid." -- \
	stat -fc %T /sys/fs/cgroup
say "cgroup_demo allocates 50 MB, one at a time; alone it finishes." -- \
	sh -c './cgroup/bin/cgroup_demo | tail -n 2'
say "In a cgroup limited to 5 MB, the OOM killer stops it: status 137." -- \
	./cgroup/bin/cgroup_exec -m 5M ./cgroup/bin/cgroup_demo

step "4: a real container"
say "A root filesystem: busybox, built offline." -- ls rootfs
say "The host side: the bridge cni0 with 10.240.0.1/24 (in this demo's own network namespace)." -- \
	./setup_bridge.sh
say "A container: every namespace, pivot_root into rootfs, a fresh /proc." -- \
	./basic_container/bin/basic_container 10.240.0.2 sh -c 'hostname; ps -o pid,ppid,user,args'
say "Its network: eth0 with its address, a default route via the bridge." -- \
	./basic_container/bin/basic_container -q 10.240.0.2 sh -c 'ip -4 addr show eth0; ip route'
say "Two containers: one listens with nc, the other pings it and sends a line." -- \
	sh -c './basic_container/bin/basic_container -q 10.240.0.2 nc -l -p 7000 &
		./basic_container/bin/basic_container -q 10.240.0.3 sh -c "ping -c 1 10.240.0.2; \
		for i in 1 2 3 4 5 6 7 8 9 10; do echo hello from 10.240.0.3 | nc 10.240.0.2 7000 2>/dev/null && break; sleep 0.2; done"
		wait'
say "Forwarding and NAT for the containers' way out." -- ./setup_forwarding.sh
say "Step 3's greedy process, in a container limited to 5 MB: it dies with 137." -- \
	./basic_container/bin/basic_container -q -m 5M none cgroup_demo
say "Undo the host side." -- ./setup_forwarding.sh --down
say "And the bridge." -- ./setup_bridge.sh --down

printf '\n%sThe end: the demo'"'"'s network namespace goes now, with anything left in it.%s\n' "$bold" "$plain"
