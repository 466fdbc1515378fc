# tmux_helpers.bash: drive an interactive program through a real terminal.
#
# tmux gives a program a terminal of its own (a pty whose size we choose),
# lets a test type into it (send-keys: text, Enter, C-c) and read its screen
# (capture-pane). Each test uses its own tmux server (-L, a socket of its
# own, no configuration file), never the user's. Load it in a bats file
# (load tmux_helpers) or source it; call tmux_stop in teardown.
#
#   tmux_start 80 24                 # a bash --norc prompt in an 80x24 terminal
#   tmux_keys 'stty size' Enter
#   tmux_wait_for '^24 80$'          # bounded (TMUX_TIMEOUT seconds, default 5)
#   tmux_keys C-c
#   tmux_stop

TMUX_SOCKET="tmux_test.$$"
TMUX_TIMEOUT="${TMUX_TIMEOUT:-5}"

tmux_cmd() {
	tmux -L "$TMUX_SOCKET" -f /dev/null "$@"
}

# tmux_start WIDTH HEIGHT: a shell with a plain prompt ("$ "), in the
# current directory, ready for keys. Its environment: PATH, HOME and
# TERM=screen; PS1 is the shell's own, not exported, as a user's is.
tmux_start() {
	local width=$1 height=$2
	tmux_cmd new-session -d -s test -x "$width" -y "$height" \
		"env -i PATH=$PATH TERM=screen HOME=$HOME PS1='$ ' bash --norc --noprofile"
	tmux_wait_for '^\$ ?$'
	tmux_keys 'export -n PS1' Enter
	tmux_clear
}

# tmux_keys KEY...: as send-keys: literal text, or Enter, C-c, C-d, ...
tmux_keys() {
	tmux_cmd send-keys -t test "$@"
}

# tmux_screen: the visible screen, one line per row, trailing blanks cut.
tmux_screen() {
	tmux_cmd capture-pane -p -t test
}

# tmux_wait_for REGEX: until a line of the screen matches (grep -E), for up
# to TMUX_TIMEOUT seconds; on failure print the screen and return 1.
tmux_wait_for() {
	local regex=$1 tries=$((TMUX_TIMEOUT * 20))
	while ((tries-- > 0)); do
		if tmux_screen | grep -Eq -- "$regex"; then
			return 0
		fi
		sleep 0.05
	done
	echo "tmux_wait_for: no line matches '$regex'; the screen:" >&2
	tmux_screen >&2
	return 1
}

# tmux_resize WIDTH HEIGHT: as the user dragging the window's corner (the
# program in front gets SIGWINCH).
tmux_resize() {
	tmux_cmd resize-window -t test -x "$1" -y "$2"
}

# tmux_clear: an empty screen, so that later waits see only new output.
tmux_clear() {
	tmux_keys C-l
	tmux_cmd clear-history -t test
}

# tmux_pane_pid: the PID of the shell in the terminal.
tmux_pane_pid() {
	tmux_cmd display-message -p -t test '#{pane_pid}'
}

# tmux_pane_tty: the terminal's device, e.g. /dev/pts/3.
tmux_pane_tty() {
	tmux_cmd display-message -p -t test '#{pane_tty}'
}

# tmux_stop: kill (SIGKILL) what the shell in the terminal runs, then the
# session and its server, and remove the server's socket, which tmux leaves
# behind (idempotent). A program that ignores the hang-up of its terminal
# would outlive the server otherwise.
tmux_stop() {
	local shell child
	if shell=$(tmux_pane_pid 2>/dev/null) && [ -n "$shell" ]; then
		for child in $(pgrep -P "$shell"); do
			kill -KILL "$child" 2>/dev/null || true
		done
	fi
	tmux_cmd kill-server 2>/dev/null || true
	rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$TMUX_SOCKET"
}
