#!/usr/bin/env bats
# Step 1: fork_and_exec forks a child, the child execs a command, the parent
# waits. Each test is a sentence of the README's "Step 1" section.

# The inner shells' scripts are single-quoted on purpose; run sets stderr.
# shellcheck disable=SC2016,SC2154

load helpers

bats_require_minimum_version 1.5.0

FORK_AND_EXEC="$TOP/fork_exec/bin/fork_and_exec"

setup() {
	SCRATCH=""
}

teardown() {
	if [ -n "$SCRATCH" ]; then
		rm -rf "$SCRATCH"
	fi
}

# Set PARENT and CHILD from the line "Parent (PID=P) created child with PID C"
# in $output.
read_parent_line() {
	local re='^Parent \(PID=([0-9]+)\) created child with PID ([0-9]+)$'

	assert_line --regexp "$re"
	for line in "${lines[@]}"; do
		if [[ $line =~ $re ]]; then
			PARENT=${BASH_REMATCH[1]}
			CHILD=${BASH_REMATCH[2]}
		fi
	done
}

@test "the command runs in the child, whose parent is fork_and_exec" {
	run "$FORK_AND_EXEC" sh -c 'echo "command PID=$$ PPID=$PPID"'
	assert_success
	read_parent_line
	assert_line "Child  (PID=$CHILD) exists with parent PID=$PARENT"
	# The command's own view: exec kept the child's PID and parent.
	assert_line "command PID=$CHILD PPID=$PARENT"
}

@test "the parent of fork_and_exec is the shell that started it" {
	# "; exit" keeps bash from exec'ing its last command in place of itself.
	run bash -c 'echo "shell PID=$$"; "$1" true; exit $?' _ "$FORK_AND_EXEC"
	assert_success
	read_parent_line
	assert_line --index 0 --regexp '^shell PID=[0-9]+$'
	local shell=${lines[0]#shell PID=}
	assert_not_equal "$PARENT" "$shell"
	assert_line "Parent (PID=$PARENT; PPID=$shell) waiting on its child"
}

@test "the lines come in order, the child's after the parent's, even through a pipe" {
	local expected ppid

	for _ in $(seq 20); do
		run bash -c '"$1" echo from the command | cat' _ "$FORK_AND_EXEC"
		assert_success
		read_parent_line
		[[ $output =~ PPID=([0-9]+) ]]
		ppid=${BASH_REMATCH[1]}
		expected="Parent (PID=$PARENT) created child with PID $CHILD
Parent (PID=$PARENT; PPID=$ppid) waiting on its child

Child  (PID=$CHILD) exists with parent PID=$PARENT
from the command"
		assert_equal "$output" "$expected"
	done
}

@test "the command's own options reach it untouched" {
	run "$FORK_AND_EXEC" ls -d /
	assert_success
	assert_line --index 3 "/"
}

@test "the exit status is the command's: 0" {
	run "$FORK_AND_EXEC" true
	assert_success
}

@test "the exit status is the command's: 3" {
	run "$FORK_AND_EXEC" sh -c 'exit 3'
	assert_failure 3
}

@test "a command that cannot be executed gives 126" {
	SCRATCH=$(mktemp)
	chmod 644 "$SCRATCH"
	run -126 --separate-stderr "$FORK_AND_EXEC" "$SCRATCH"
	assert_equal "$stderr" "fork_and_exec: cannot run '$SCRATCH': Permission denied"
}

@test "a command that is not found gives 127" {
	run -127 --separate-stderr "$FORK_AND_EXEC" /nonexistent/command
	assert_equal "$stderr" "fork_and_exec: cannot run '/nonexistent/command': No such file or directory"
}

@test "a command killed by signal N gives 128+N" {
	run "$FORK_AND_EXEC" sh -c 'kill -TERM $$'
	assert_failure 143
}

@test "no command prints the usage on stderr and gives 125" {
	run -125 --separate-stderr "$FORK_AND_EXEC"
	assert_output ""
	assert_equal "${stderr_lines[0]}" "Usage: fork_and_exec CMD [ARG...]"
}

@test "-h prints the usage on stdout and gives 0" {
	run -0 --separate-stderr "$FORK_AND_EXEC" -h
	assert_line --index 0 "Usage: fork_and_exec CMD [ARG...]"
	assert_equal "$stderr" ""
}

@test "an unknown option gives 125" {
	run -125 --separate-stderr "$FORK_AND_EXEC" -x true
	assert_output ""
	assert_equal "${stderr_lines[0]}" "$FORK_AND_EXEC: invalid option -- 'x'"
	assert_equal "${stderr_lines[1]}" "Usage: fork_and_exec CMD [ARG...]"
}

@test "when its output cannot be written it gives 125 and the command does not run" {
	SCRATCH=$(mktemp -d)
	run -125 --separate-stderr bash -c '"$1" touch "$2/ran" >/dev/full' _ "$FORK_AND_EXEC" "$SCRATCH"
	assert_equal "$stderr" "fork_and_exec: write to stdout: No space left on device"
	assert [ ! -e "$SCRATCH/ran" ]
}
