# runtime_helpers.bash: watch basic_container from the host, for the signal
# and terminal tests (load helpers first, then this): start it in the
# background, find its container's processes, wait for them (bounded), and
# find what a run left behind.
# shellcheck shell=bash

# RUNTIME may name another build (an older commit's, to see a test fail).
RUNTIME="${RUNTIME:-$TOP/basic_container/bin/basic_container}"
STATE_DIRS=/var/lib/basic_container/containers
# How long a wait may take on a busy machine before a test gives up.
WAIT_SECONDS="${WAIT_SECONDS:-20}"

# start_runtime OUT ARG...: the runtime, quiet, in the test rootfs, in the
# background without a terminal (stdin /dev/null), its output in OUT;
# runtime_pid is its PID. ARG...: options, IP and command. Bash starts a
# background job with SIGINT and SIGQUIT ignored; the runtime gets their
# default actions back, as when a user starts it at a prompt.
start_runtime() {
	runtime_out=$1
	shift
	# Made here: the job's own redirection may come after the caller's
	# first look at OUT (has_line on a missing file says "never").
	: >"$runtime_out"
	env --default-signal=INT,QUIT "$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" "$@" \
		</dev/null >"$runtime_out" 2>&1 3>&- &
	runtime_pid=$!
}

# alive PID: the process exists and has not ended (a zombie has).
alive() {
	local state
	state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_until CMD...: until CMD succeeds, for up to WAIT_SECONDS; at once
# when CMD exits 2, which says it never will.
wait_until() {
	local tries=$((WAIT_SECONDS * 20)) status
	while ((tries-- > 0)); do
		status=0
		"$@" || status=$?
		case $status in
		0) return 0 ;;
		2) break ;;
		esac
		sleep 0.05
	done
	echo "wait_until: never true: $*" >&2
	if [ -n "${runtime_out:-}" ]; then
		echo "the runtime's output:" >&2
		cat "$runtime_out" >&2
	fi
	return 1
}

# gone PID...: none of the processes is alive.
gone() {
	local pid
	for pid in "$@"; do
		! alive "$pid" || return 1
	done
}

# has_line FILE REGEX
has_line() {
	grep -Eq -- "$2" "$1"
}

# wait_runtime: wait (bounded) for the background runtime to end; its exit
# status in $status. A runtime that does not end is killed (status 137).
wait_runtime() {
	if ! wait_until gone "$runtime_pid"; then
		kill -KILL "$runtime_pid" 2>/dev/null || true
	fi
	status=0
	wait "$runtime_pid" || status=$?
	runtime_pid=
}

# stop_runtime: in teardown, kill the background runtime if it still runs.
stop_runtime() {
	if [ -n "${runtime_pid:-}" ]; then
		kill -KILL "$runtime_pid" 2>/dev/null || true
		wait "$runtime_pid" 2>/dev/null || true
		runtime_pid=
	fi
}

# child_of PID: its one child's PID (the runtime's: its container's PID 1,
# as the host sees it), once it has one (bounded).
child_of() {
	local child
	wait_until has_child "$1" || return 1
	child=$(pgrep -P "$1")
	echo "${child%%$'\n'*}"
}

has_child() {
	pgrep -P "$1" >/dev/null && return 0
	alive "$1" || return 2
	return 1
}

# descendants PID: every process under PID, PID itself first.
descendants() {
	local child
	echo "$1"
	for child in $(pgrep -P "$1"); do
		descendants "$child"
	done
}

# started RUNTIME_PID: the runtime has heard that its command started: it
# closed its end of the socket it shares with the container's setup (it
# holds no other socket with IP none and no terminal), and passes signals on.
started() {
	alive "$1" || return 2
	! find "/proc/$1/fd" -lname 'socket:*' 2>/dev/null | grep -q .
}

# container_id PID1: the ID in the name of the container's cgroup
# (basic_container-ID), empty when it has none.
container_id() {
	grep -o 'basic_container-[0-9a-f]*' "/proc/$1/cgroup" 2>/dev/null | head -n 1 |
		sed 's/^basic_container-//'
}

# leftovers_of ID: the state directory and the cgroups of container ID that
# still exist, one a line.
leftovers_of() {
	local id=$1
	if [ -e "$STATE_DIRS/$id" ]; then
		echo "state $STATE_DIRS/$id"
	fi
	find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -name "basic_container-$id" \
		-printf 'cgroup %p\n' 2>/dev/null || true
}

# hold_state_lock, release_state_lock: hold the lock over all containers'
# state (basic_container/state.h), which a runtime takes to remove what dead
# containers left. Meanwhile no run anywhere on the machine cleans up, so
# what a killed runtime leaves stays there to be seen; runtimes that start
# wait. Release before running the runtime.
hold_state_lock() {
	exec {state_lock}>>/var/lib/basic_container/lock
	flock -w "$WAIT_SECONDS" "$state_lock"
}

release_state_lock() {
	if [ -n "${state_lock:-}" ]; then
		exec {state_lock}>&-
		state_lock=
	fi
}
