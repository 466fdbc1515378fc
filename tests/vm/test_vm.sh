#!/usr/bin/env bash
# test_vm.sh: `make test-vm`, the suite on a user's machine: Debian 12's own
# kernel (6.1), a pure cgroup v2 hierarchy, systemd as PID 1, in a qemu VM
# with no network at all.
#   tests/vm/test_vm.sh [TEST...]    TEST as tests/run.sh takes them; none:
#                                    all but VM_LEAVES_OUT (VM_ALL=1: all)
# 1. the guest image, cached by the Makefile's PACKAGES and image.sh (built
#    when missing, about 2 minutes; needs the Debian mirror);
# 2. a disk with the tree under test: HEAD plus the working tree's changes
#    (tracked and untracked files that git does not ignore), what the host
#    built of it (times kept: the guest's make finds it up to date, instead
#    of compiling for two minutes under emulation), and the Debian tree of
#    `make debian-rootfs` at tests/cache/;
# 3. qemu with KVM when it really boots a kernel here, multi-threaded TCG
#    otherwise; the root disk through a throwaway overlay;
# 4. guest.sh runs `make test` from a systemd unit and powers off; its log,
#    status and timings come back from the disk through debugfs.
# Prints the guest's failing tests and summary line and exits with the
# guest's status (124 when the guest had to be killed). The log of the last
# run is kept in tests/vm/log/. Root only: nothing on the host changes but
# the cache (no loop device, no mount, no network).
#
# Environment:
#   VM_CACHE          the image cache (default ${XDG_CACHE_HOME:-~/.cache}/container-tutorial-vm)
#   VM_ACCEL          kvm or tcg: skip the KVM probe
#   VM_BOOT_TIMEOUT   seconds for the guest to start the suite (default 300)
#   VM_SUITE_TIMEOUT  seconds for the suite in the guest (default 1800)
#   VM_MEMORY, VM_CPUS  the guest's memory (default 4G) and CPUs (default: the host's)
#   VM_ALL=1          run every test, VM_LEAVES_OUT too (give it VM_SUITE_TIMEOUT=3600)
set -euo pipefail

PROG=${0##*/}
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
LOG_DIR=$HERE/log
VM_CACHE=${VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/root}/.cache}/container-tutorial-vm}
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-300}
VM_SUITE_TIMEOUT=${VM_SUITE_TIMEOUT:-1800}
VM_MEMORY=${VM_MEMORY:-4G}
VM_CPUS=${VM_CPUS:-$(nproc)}
# What the VM leaves to the host's `make test`, for time: emulated, the guest
# runs the suite about 15 times slower than the host, and the whole of it
# takes some 40 minutes. Left out: what does not depend on the kernel or the
# cgroup version (lint.bats: shellcheck and the -Werror build; rootfs.bats:
# a shell script that builds a tree), and what the README's doc tests run on
# the VM as well (demo.bats: the README's story, command by command;
# lab.bats: step 6, whose blocks build a lab and send traffic between hosts
# by host-gw and by VXLAN).
VM_LEAVES_OUT="tests/lint.bats tests/rootfs.bats tests/demo.bats tests/lab.bats"
# A pure cgroup v2 hierarchy, as systemd sets up by default since Debian 11.
KERNEL_ARGS="root=/dev/vda rw console=ttyS0 panic=-1 systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all"
# Building the image takes about 2 minutes; a mirror that hangs must not
# hang the run.
BUILD_TIMEOUT=1200
# Images unused for this long are removed from the cache.
CACHE_KEEP_DAYS=7
# The guest's line on the console when the suite starts (guest.sh).
STARTED_MARK="test-vm guest: up after"

say() {
	echo "$PROG: $*"
}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

# The Makefile's PACKAGES: what `make deps` installs on a user's machine.
project_packages() {
	# shellcheck disable=SC2016 # $(PACKAGES) is make's, not the shell's
	make -s --no-print-directory -C "$TOP" \
		--eval 'test-vm-packages: ; @echo $(PACKAGES)' test-vm-packages
}

# image_key PACKAGES: a new image whenever the list or the way it is built
# changes.
image_key() {
	{
		echo "$1"
		cat "$HERE/image.sh"
	} | sha256sum | cut -c1-16
}

# remove_stale: images unused for CACHE_KEEP_DAYS (each run touches its own),
# and what runs that were killed left behind.
remove_stale() {
	find "$VM_CACHE" -mindepth 1 -maxdepth 1 -name 'image-*' \
		\( -name '*.tmp.*' -mmin +60 -o ! -name '*.tmp.*' -mtime +"$CACHE_KEEP_DAYS" \) \
		-exec rm -rf {} +
	find "$VM_CACHE/runs" -mindepth 1 -maxdepth 1 -mmin +240 -exec rm -rf {} +
}

# ensure_image: set IMAGE to the cached image for this package list, built
# first when missing. One build at a time (a lock in the cache).
ensure_image() {
	local packages key lock
	packages=$(project_packages)
	key=$(image_key "$packages")
	IMAGE=$VM_CACHE/image-$key
	mkdir -p "$VM_CACHE/runs"
	exec {lock}>"$VM_CACHE/lock"
	if ! flock -w 900 "$lock"; then
		die "another build of the image held $VM_CACHE/lock for 15 minutes"
	fi
	remove_stale
	if [ ! -d "$IMAGE" ]; then
		say "building the guest image in $IMAGE (about 2 minutes; needs the Debian mirror)"
		local start=$SECONDS
		local status=0
		# shellcheck disable=SC2086 # a list of package names
		timeout "$BUILD_TIMEOUT" "$HERE/image.sh" "$IMAGE" $packages \
			>"$VM_CACHE/image-$key.log" 2>&1 || status=$?
		if [ "$status" = 124 ]; then
			die "building the image took more than $BUILD_TIMEOUT s: stopped; see $VM_CACHE/image-$key.log"
		elif [ "$status" != 0 ]; then
			die "building the image failed; see $VM_CACHE/image-$key.log"
		fi
		say "image built in $((SECONDS - start)) s"
	fi
	touch "$IMAGE"
	exec {lock}>&-
	say "image $IMAGE: Debian 12, $(awk '$1 == "kernel" { print "kernel " $2 }' "$IMAGE/info")"
}

# copy_tree DEST: the tree under test, as a git repository whose HEAD is
# ours and whose files are those of the working tree (what a developer is
# testing; in a fresh clone, exactly HEAD). tests/demo.bats lists its files
# through git.
copy_tree() {
	local dest=$1 file
	git init -q -b test-vm "$dest"
	git -C "$dest" fetch -q --depth 1 "file://$TOP" HEAD
	git -C "$dest" update-ref HEAD FETCH_HEAD
	git -C "$dest" read-tree HEAD
	{
		(cd "$TOP" && git ls-files -z -c -o --exclude-standard --deduplicate)
		# What make built, which git ignores.
		(cd "$TOP" && find . \( -path ./rootfs -o -path ./tests/cache -o -path ./.git \) -prune -o \
			-type f \( -name '*.o' -o -path '*/bin/*' -o -path ./tests/probe/probe -o \
			-path ./tests/bench/timeit -o \( -path './tests/unit/test_*' ! -name '*.c' \) \) \
			-printf '%P\0')
	} | while IFS= read -r -d '' file; do
			if [ -e "$TOP/$file" ] || [ -L "$TOP/$file" ]; then
				printf '%s\0' "$file"
			fi
		done | (cd "$TOP" && xargs -0 -r cp --parents -P -p -t "$dest")
	chmod 755 "$dest"
	if [ -d "$TOP/tests/cache/debian-bookworm" ]; then
		mkdir -p "$dest/tests/cache"
		cp -a "$TOP/tests/cache/debian-bookworm" "$dest/tests/cache/"
	fi
}

# make_run_disk DISK TEST...: the guest's /srv/vm: the tree, and the run's
# settings for guest.sh (a systemd EnvironmentFile).
make_run_disk() {
	local disk=$1 dir
	shift
	dir=$(mktemp -d "$RUN/disk.XXXXXX")
	chmod 755 "$dir"
	copy_tree "$dir/tree"
	{
		printf 'TESTS="%s"\n' "$*"
		printf 'CI="%s"\n' "${CI:-}"
		printf 'SUITE_TIMEOUT="%s"\n' "$VM_SUITE_TIMEOUT"
	} >"$dir/env"
	truncate -s 8G "$disk"
	mkfs.ext4 -q -F -L tutorial-run -d "$dir" "$disk"
	rm -rf "$dir"
}

# kvm_boots: KVM is there and boots the guest's kernel to its end (a panic
# for want of a root filesystem, in a second or two where KVM works). Here a
# paravirtual /dev/kvm printed nothing at all in 40 s.
kvm_boots() {
	local log=$RUN/kvm-probe.log
	[ -r /dev/kvm ] && [ -w /dev/kvm ] || return 1
	timeout 10 qemu-system-x86_64 -accel kvm -cpu host -m 256 -nodefaults -nic none \
		-display none -serial "file:$log" -no-reboot \
		-kernel "$IMAGE/vmlinuz" -append "console=ttyS0 panic=-1" >/dev/null 2>&1 || true
	grep -q "Kernel panic" "$log" 2>/dev/null
}

# choose_accel: set ACCEL to qemu's accelerator and CPU options.
choose_accel() {
	local accel=${VM_ACCEL:-}
	if [ -z "$accel" ]; then
		if kvm_boots; then accel=kvm; else accel=tcg; fi
		say "accelerator: $accel (probed; VM_ACCEL=kvm|tcg skips the probe)"
	else
		say "accelerator: $accel (VM_ACCEL)"
	fi
	case $accel in
	kvm) ACCEL=(-accel kvm -cpu host) ;;
	tcg) ACCEL=(-accel "tcg,thread=multi" -cpu max) ;;
	*) die "VM_ACCEL must be kvm or tcg, not $accel" ;;
	esac
}

# start_vm: qemu in the background (QEMU_PID): no network device at all, the
# console on a file, the root disk through an overlay that dies with the run.
# qemu dies with this script, even of SIGKILL (PR_SET_PDEATHSIG, prctl(2)).
start_vm() {
	qemu-img create -q -f qcow2 -b "$IMAGE/disk.img" -F raw "$RUN/root.qcow2"
	setpriv --pdeathsig KILL -- qemu-system-x86_64 "${ACCEL[@]}" -m "$VM_MEMORY" -smp "$VM_CPUS" \
		-nodefaults -no-user-config -nic none -display none \
		-serial "file:$LOG_DIR/console.log" -no-reboot \
		-kernel "$IMAGE/vmlinuz" -initrd "$IMAGE/initrd.img" -append "$KERNEL_ARGS" \
		-drive "file=$RUN/root.qcow2,format=qcow2,if=virtio" \
		-drive "file=$RUN/run.img,format=raw,if=virtio" \
		>"$RUN/qemu.log" 2>&1 &
	QEMU_PID=$!
}

# wait_vm: until qemu exits, bounded twice: the guest must start the suite
# within VM_BOOT_TIMEOUT, and power off within VM_SUITE_TIMEOUT after that
# (plus a minute: guest.sh stops the suite at VM_SUITE_TIMEOUT itself).
wait_vm() {
	local start=$SECONDS deadline=$((SECONDS + VM_BOOT_TIMEOUT)) booted=no
	while kill -0 "$QEMU_PID" 2>/dev/null; do
		if [ "$booted" = no ] && grep -q "$STARTED_MARK" "$LOG_DIR/console.log" 2>/dev/null; then
			booted=yes
			BOOT_SECONDS=$((SECONDS - start))
			deadline=$((SECONDS + VM_SUITE_TIMEOUT + 60))
			say "the guest is up after $BOOT_SECONDS s; running the suite (console: $LOG_DIR/console.log)"
		fi
		if [ "$SECONDS" -ge "$deadline" ]; then
			kill "$QEMU_PID" 2>/dev/null || true
			wait "$QEMU_PID" 2>/dev/null || true
			save_logs
			if [ "$booted" = no ]; then
				say "the guest did not start the suite within $VM_BOOT_TIMEOUT s: killed qemu" \
					"(console: $LOG_DIR/console.log)"
			else
				say "the guest did not power off within $((VM_SUITE_TIMEOUT + 60)) s of" \
					"starting the suite: killed qemu (console: $LOG_DIR/console.log)"
			fi
			exit 124
		fi
		sleep 2
	done
	wait "$QEMU_PID" || die "qemu failed: $(cat "$RUN/qemu.log")"
}

# save_logs: the guest's results (from the run's disk, read by debugfs: no
# mount), when there are any, beside the console's log in tests/vm/log/.
save_logs() {
	debugfs -c -R "rdump /results $LOG_DIR" "$RUN/run.img" >/dev/null 2>&1 || true
	if [ -d "$LOG_DIR/results" ]; then
		mv "$LOG_DIR/results/"* "$LOG_DIR/"
		rmdir "$LOG_DIR/results"
	fi
}

# failures: from the guest's log on stdin, each failed test with the lines
# of diagnostics that follow it (at most 30: CI keeps only what the host
# prints), run.sh's own complaints, and Check's failures.
failures() {
	awk '/^not ok / { print; left = 30; next }
		/^#/ && left > 0 { print; left--; next }
		{ left = 0 }
		/^run\.sh: |^[^ :]+:[0-9]+:[EF]:/ { print }'
}

# report: what the guest saw, its failures and summary line; exit with its
# status.
report() {
	local status
	if [ ! -f "$LOG_DIR/status" ]; then
		die "the guest wrote no status (console: $LOG_DIR/console.log)"
	fi
	status=$(cat "$LOG_DIR/status")
	say "guest: $(paste -sd ' ' "$LOG_DIR/machine")"
	say "boot $BOOT_SECONDS s, suite $(cat "$LOG_DIR/suite_seconds") s, whole run" \
		"$((SECONDS - RUN_START)) s; the guest's log: $LOG_DIR/make-test.log"
	if [ "$status" = 124 ]; then
		say "the suite did not finish within $VM_SUITE_TIMEOUT s in the guest"
	fi
	failures <"$LOG_DIR/make-test.log"
	grep -E '^[0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$' "$LOG_DIR/make-test.log" | tail -n 1 ||
		say "the guest printed no summary line"
	exit "$status"
}

cleanup() {
	if [ -n "${QEMU_PID:-}" ] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	if [ -n "${RUN:-}" ]; then
		rm -rf "$RUN"
	fi
}

# The tests of a run without arguments: every unit test, bats file and the
# README's, but VM_LEAVES_OUT (unless VM_ALL=1).
default_tests() {
	local t
	for t in "$TOP"/tests/unit/test_*.c; do
		t=${t#"$TOP"/}
		echo "${t%.c}"
	done
	for t in "$TOP"/tests/*.bats; do
		t=${t#"$TOP"/}
		if [ "${VM_ALL:-}" = 1 ] || [[ " $VM_LEAVES_OUT " != *" $t "* ]]; then
			echo "$t"
		fi
	done
	echo README.md
}

main() {
	local -a tests
	if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
		sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
		return 0
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root (sudo make test-vm): debootstrap and the suite need it"
	RUN_START=$SECONDS
	if [ $# -eq 0 ]; then
		mapfile -t tests < <(default_tests)
		say "leaving to the host's make test: $VM_LEAVES_OUT"
		set -- "${tests[@]}"
	fi
	ensure_image
	RUN=$(mktemp -d "$VM_CACHE/runs/run.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	make_run_disk "$RUN/run.img" "$@"
	choose_accel
	say "booting Debian 12 with ${VM_CPUS} CPUs and $VM_MEMORY, no network; $# tests"
	rm -rf "$LOG_DIR"
	mkdir -p "$LOG_DIR"
	start_vm
	wait_vm
	save_logs
	report
}

main "$@"
