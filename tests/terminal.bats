#!/usr/bin/env bats
# The container at a terminal (step 5: a session and a terminal of its own):
# a real terminal of a chosen size from tmux, an outer shell in it as a
# user's, and the runtime started there. What the user sees on the screen,
# and the outer terminal's settings before and after, are the tests.
# shellcheck disable=SC2030,SC2031  # variables live in each test's own subshell

load helpers
load runtime_helpers
load tmux_helpers
bats_require_minimum_version 1.5.0

setup_file() {
	require_root
	new_test_rootfs terminal
}

teardown_file() {
	if [ -n "${ROOTFS_DIR:-}" ]; then
		# A runtime a failed test killed left its state: a run removes it.
		"$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none true </dev/null || true
	fi
	remove_test_rootfs
}

setup() {
	require_root
	export TMUX_TIMEOUT=$WAIT_SECONDS
}

teardown() {
	tmux_stop
}

# start_terminal WIDTH HEIGHT: an outer shell at a terminal of that size, in
# which `R ARG...` runs the runtime quietly in the test rootfs and then says
# "runtime exited STATUS" on a line of its own; its terminal settings saved
# for terminal_as_before.
start_terminal() {
	tmux_start "$1" "$2"
	tmux_keys "R() { '$RUNTIME' -q -r '$ROOTFS_DIR/rootfs' \"\$@\"; printf '\\nruntime exited %s\\n' \$?; }" Enter
	tmux_keys "stty -g >'$BATS_TEST_TMPDIR/stty.before'" Enter
	tmux_keys "echo outer shell ready" Enter
	tmux_wait_for '^outer shell ready$'
	tmux_clear
}

# run_at_terminal ARGS: type `R ARGS` at the outer shell (on a clear screen).
run_at_terminal() {
	tmux_clear
	tmux_keys "R $*" Enter
}

# The runtime the outer shell runs, once it runs (bounded).
pane_runtime() {
	child_of "$(tmux_pane_pid)"
}

# raw_mode: the runtime has put the outer terminal in raw mode, so keys go
# to the container's own terminal. cfmakeraw(3) turns output processing off
# too (-opost), which no line editor does (a shell's, at a shared terminal).
raw_mode() {
	stty -F "$(tmux_pane_tty)" -a | grep -qw -- -opost
}

# in_container RUNTIME_PID NAME: a process named NAME runs under the runtime.
in_container() {
	local pid
	for pid in $(descendants "$1"); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ] && return 0
	done
	return 1
}

# The outer shell's terminal settings are those start_terminal saved.
terminal_as_before() {
	tmux_clear
	tmux_keys "stty -g | cmp -s - '$BATS_TEST_TMPDIR/stty.before' && echo TERMINAL-SAME || echo TERMINAL-CHANGED" Enter
	tmux_wait_for '^TERMINAL-(SAME|CHANGED)$'
	run tmux_screen
	assert_line TERMINAL-SAME
}

@test "an interactive shell at a terminal: prompt, line editing, and Ctrl-C reaches the container's shell, not the runtime" {
	local runtime_process
	start_terminal 80 24
	run_at_terminal none sh
	tmux_wait_for '^/ # ?$'
	runtime_process=$(pane_runtime)
	tmux_keys 'sleep 30' Enter
	wait_until in_container "$runtime_process" sleep
	tmux_keys C-c
	# Only if Ctrl-C ended the sleep does the shell answer; the runtime
	# would have passed a SIGINT of its own to PID 1 alone.
	tmux_keys 'echo still heXre' Left Left BSpace Enter
	tmux_wait_for '^still here$'
	assert alive "$runtime_process"
	run tmux_screen
	refute_line "still heXre"
	tmux_keys 'exit' Enter
	tmux_wait_for '^runtime exited 0$'
}

@test "the container has a terminal of its own, /dev/pts/0, of the caller's size, and it follows a resize of the window" {
	start_terminal 80 24
	run_at_terminal none sh
	tmux_wait_for '^/ # ?$'
	tmux_keys 'tty' Enter
	tmux_wait_for '^/dev/pts/0$'
	tmux_keys 'stty size' Enter
	tmux_wait_for '^24 80$'
	tmux_resize 100 30
	tmux_keys 'stty size' Enter
	tmux_wait_for '^30 100$'
	tmux_keys 'exit' Enter
	tmux_wait_for '^runtime exited 0$'
}

@test "the runtime takes the caller's terminal (raw mode), exits with the shell's status and leaves the terminal as it found it" {
	start_terminal 80 24
	run_at_terminal none sh
	tmux_wait_for '^/ # ?$'
	wait_until raw_mode
	tmux_keys 'exit 4' Enter
	tmux_wait_for '^runtime exited 4$'
	terminal_as_before
}

@test "at a terminal, a redirected stdout or stderr stays the caller's file, its bytes as written; stdin is the container's terminal" {
	local out=$BATS_TEST_TMPDIR/out err=$BATS_TEST_TMPDIR/err
	start_terminal 80 24
	tmux_keys "'$RUNTIME' -q -r '$ROOTFS_DIR/rootfs' none sh -c 'printf \"a\\\\nb\\\\n\"; echo e >&2; tty' >'$out' 2>'$err'; echo \"runtime exited \$?\"" Enter
	tmux_wait_for '^runtime exited 0$'
	assert_equal "$(od -An -c "$out" | tr -s ' ')" " a \\n b \\n / d e v / p t s / 0 \\n"
	assert_equal "$(od -An -c "$err" | tr -s ' ')" " e \\n"
	terminal_as_before
}

@test "with stdin a terminal opened read-only (</dev/tty) and stdout a file, keys reach the container and its echo the screen" {
	local out=$BATS_TEST_TMPDIR/out
	start_terminal 80 24
	tmux_keys "'$RUNTIME' -q -r '$ROOTFS_DIR/rootfs' none sh -c 'read x; echo \"got \$x\" >/dev/tty; echo \"read \$x\"' </dev/tty >'$out' 2>&1; echo \"runtime exited \$?\"" Enter
	for _ in $(seq 1 100); do
		raw_mode && break
		sleep 0.05
	done
	tmux_keys hello Enter
	tmux_wait_for '^runtime exited 0$'
	assert_equal "$(cat "$out")" "read hello"
	run tmux_screen
	assert_line --regexp '^got hello'
	terminal_as_before
}

@test "the caller's terminal is restored when the container is killed from outside" {
	local runtime_process
	start_terminal 80 24
	run_at_terminal none sh
	tmux_wait_for '^/ # ?$'
	runtime_process=$(pane_runtime)
	# The prompt came through the runtime's relay, which starts once the
	# runtime has put the terminal in raw mode.
	kill -KILL "$(child_of "$runtime_process")"
	tmux_wait_for '^runtime exited 137$'
	terminal_as_before
}

@test "the caller's terminal is restored when the runtime itself crashes (SIGSEGV, SIGABRT)" {
	local sig runtime_process pid1
	start_terminal 80 24
	for sig in SEGV ABRT; do
		# From a subshell: bash puts back the terminal settings of a job
		# that a signal killed, and would hide a runtime that does not.
		tmux_clear
		tmux_keys '(R none sh)' Enter
		tmux_wait_for '^/ # ?$'
		runtime_process=$(child_of "$(pane_runtime)")
		pid1=$(child_of "$runtime_process")
		kill -"$sig" "$runtime_process"
		tmux_wait_for "^runtime exited $((128 + $(kill -l "$sig")))\$"
		# The container dies with its runtime (its parent-death signal).
		wait_until gone "$pid1"
		terminal_as_before
	done
}

@test "sleep as PID 1 ignores Ctrl-C at its terminal; with --init Ctrl-C ends it (130)" {
	local runtime_process
	start_terminal 80 24
	run_at_terminal none sleep 300
	runtime_process=$(pane_runtime)
	wait_until in_container "$runtime_process" sleep
	wait_until raw_mode
	tmux_keys C-c
	# Nothing to wait for: the kernel dropped it. A second is long enough
	# for a Ctrl-C that would have worked to show.
	sleep 1
	assert alive "$runtime_process"
	kill -KILL "$(child_of "$runtime_process")"
	tmux_wait_for '^runtime exited 137$'

	run_at_terminal --init none sleep 300
	runtime_process=$(pane_runtime)
	wait_until in_container "$runtime_process" sleep
	wait_until raw_mode
	tmux_keys C-c
	tmux_wait_for '^runtime exited 130$'
}

# The file a command pushed into the outer shell's input would create.
pwned() {
	echo "$BATS_TEST_TMPDIR/pwned"
}

# tiocsti_at_terminal OPTION...: a container (made with OPTION...) pushes
# "touch $(pwned)" and Enter into its terminal's input (TIOCSTI), as if
# typed (bubblewrap's CVE-2017-5226); then the outer shell gets an Enter and
# a marker command, which it runs after anything pushed into its input.
tiocsti_at_terminal() {
	run_at_terminal "$@" none /probe tiocsti "\$'touch $(pwned)\\n'"
	tmux_wait_for '^runtime exited [0-9]+$'
	tmux_keys Enter
	tmux_keys 'echo outer shell done' Enter
	tmux_wait_for '^outer shell done$'
}

@test "TIOCSTI in a container types nothing into the caller's shell; the escape probe finds it blocked" {
	start_terminal 100 30
	tiocsti_at_terminal
	run tmux_screen
	assert [ ! -e "$(pwned)" ]
	# The seccomp filter refuses it; the container's own session and
	# terminal would keep it from the caller's shell even so.
	assert_line 'tiocsti: EPERM'
	run_at_terminal none /escape_probe
	tmux_wait_for '^runtime exited [0-9]+$'
	run tmux_screen
	assert_line --regexp '^blocked tiocsti_stdin \([A-Z]+\)$'
	assert_line --regexp '^blocked tiocsti_dev_tty \([A-Z]+\)$'
}

# With -P the container has the caller's terminal and session: TIOCSTI is
# the kernel's to allow. Linux 6.2 made it a choice (dev.tty.legacy_tiocsti;
# at 0 only CAP_SYS_ADMIN of the first user namespace may, and the call
# fails with EIO); before, as on Debian 12's 6.1, it is always allowed.
@test "with -P, TIOCSTI types into the caller's shell, where the kernel allows it" {
	local legacy=/proc/sys/dev/tty/legacy_tiocsti
	start_terminal 100 30
	tiocsti_at_terminal -P
	run tmux_screen
	if [ -e "$legacy" ] && [ "$(cat "$legacy")" = 0 ]; then
		assert_line 'tiocsti: EIO'
		assert [ ! -e "$(pwned)" ]
	else
		assert_line "pushed $((${#BATS_TEST_TMPDIR} + 13))"
		assert [ -e "$(pwned)" ]
	fi
}

@test "TERM in the container is the caller's at a terminal, and there is none without one" {
	start_terminal 80 24
	run_at_terminal none sh -c "'echo term=\${TERM-none}'"
	tmux_wait_for '^runtime exited 0$'
	run tmux_screen
	assert_line term=screen
	tmux_clear
	tmux_keys "TERM=vt220 R none sh -c 'echo term=\${TERM-none}'" Enter
	tmux_wait_for '^runtime exited 0$'
	run tmux_screen
	assert_line term=vt220

	# shellcheck disable=SC2016  # $TERM is the container's
	run env TERM=vt220 "$RUNTIME" -q -r "$ROOTFS_DIR/rootfs" none sh -c 'echo "term=${TERM-none}"' </dev/null
	assert_success
	assert_output term=none
}
