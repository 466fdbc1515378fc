#!/usr/bin/env bash
# image.sh: build the guest of `make test-vm`, a Debian 12 machine as a user
# has it: Debian's own kernel (linux-image-amd64, 6.1), systemd as PID 1, and
# the project's packages installed beforehand (the guest has no network).
#   tests/vm/image.sh DIR PACKAGE...
# DIR (made here, must not exist) receives disk.img (ext4, 8 GiB sparse: the
# root filesystem), vmlinuz and initrd.img (from the tree's /boot, for qemu's
# -kernel and -initrd), and info (kernel version, packages). Root only; needs
# the Debian mirror (MIRROR overrides debootstrap's default). About 3 minutes.
#
# Nothing on the host changes but DIR: debootstrap and the chroot's mounts
# (proc, sys, dev) live in a private mount namespace of their own, and
# `mkfs.ext4 -d` fills the disk image from the tree without a loop device.
# The guest mounts the project's tree from a second disk (/dev/vdb on
# /srv/vm) and runs tests/vm/guest.sh from it (tutorial-test.service), then
# powers off.
set -euo pipefail

PROG=${0##*/}
SUITE=bookworm
# Beyond the project's packages: the kernel and what boots it, systemd as
# PID 1 with udev and D-Bus, and sudo, as on a user's machine.
GUEST_PACKAGES=(linux-image-amd64 initramfs-tools kmod systemd-sysv udev dbus sudo)
DISK_SIZE=8G
HOSTNAME=debian-vm

usage() {
	cat <<EOF
Usage: $PROG DIR PACKAGE...
Build the test VM's guest image in DIR (must not exist): Debian $SUITE with
${GUEST_PACKAGES[*]}
and PACKAGE... installed. Root only; needs the Debian mirror (MIRROR
overrides debootstrap's default).
EOF
}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

# in_tree TREE CMD...: run CMD in the chroot with a clean environment, so that
# nothing of this host's (CI=true, locales, proxies) leaks into the guest.
in_tree() {
	local tree=$1
	shift
	chroot "$tree" /usr/bin/env -i HOME=/root LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive \
		PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# mount_api TREE: proc, sys and dev in the chroot, for the packages' scripts
# (update-initramfs reads /proc and /sys). Only in our own mount namespace:
# they vanish with it.
mount_api() {
	local tree=$1
	mount -t proc proc "$tree/proc"
	mount -t sysfs sysfs "$tree/sys"
	mount --rbind /dev "$tree/dev"
}

# install_packages TREE PACKAGE...: as `make deps` does on a user's machine
# (apt-get install, Recommends included), with no service started in the
# chroot (policy-rc.d, invoke-rc.d(8)).
install_packages() {
	local tree=$1
	shift
	printf '#!/bin/sh\nexit 101\n' >"$tree/usr/sbin/policy-rc.d"
	chmod 755 "$tree/usr/sbin/policy-rc.d"
	in_tree "$tree" apt-get update -q
	in_tree "$tree" apt-get install -y -q "$@" "${GUEST_PACKAGES[@]}"
	in_tree "$tree" apt-get clean
	rm "$tree/usr/sbin/policy-rc.d"
}

# The unit that runs the suite once the machine is up, in /system.slice as a
# user's sudo session would be in a slice, and powers the machine off after
# it, whatever happened. tests/vm/guest.sh bounds the suite's time itself.
write_test_unit() {
	local tree=$1
	cat >"$tree/etc/systemd/system/tutorial-test.service" <<'EOF'
[Unit]
Description=make test of the container tutorial (tests/vm/guest.sh)
After=multi-user.target
RequiresMountsFor=/srv/vm
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
# What a root shell (sudo -i) has; a service gets no HOME, TERM or locale.
Environment=HOME=/root LANG=C.UTF-8 TERM=xterm
EnvironmentFile=/srv/vm/env
ExecStart=/srv/vm/tree/tests/vm/guest.sh
StandardOutput=journal+console
StandardError=journal+console
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
EOF
	ln -s ../tutorial-test.service \
		"$tree/etc/systemd/system/multi-user.target.wants/tutorial-test.service"
}

# configure_guest TREE: a name, the two disks, no network, the test unit; no
# login prompt on the console and no apt timers in the middle of a run.
configure_guest() {
	local tree=$1 unit
	echo "$HOSTNAME" >"$tree/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$HOSTNAME" >"$tree/etc/hosts"
	echo "# The test VM has no network." >"$tree/etc/resolv.conf"
	cat >"$tree/etc/fstab" <<'EOF'
# The root filesystem (tests/vm/image.sh's disk.img, through a throwaway
# overlay) and the run's own disk: the tree under test and the results.
/dev/vda	/	ext4	defaults	0	0
/dev/vdb	/srv/vm	ext4	defaults	0	0
EOF
	mkdir -p "$tree/srv/vm"
	write_test_unit "$tree"
	for unit in serial-getty@ttyS0.service getty@tty1.service \
		apt-daily.timer apt-daily-upgrade.timer; do
		ln -sf /dev/null "$tree/etc/systemd/system/$unit"
	done
}

# populate TREE PACKAGE...: debootstrap and the packages; runs in a private
# mount namespace (see main).
populate() {
	local tree=$1
	shift
	debootstrap --variant=minbase "$SUITE" "$tree" ${MIRROR:+"$MIRROR"}
	mount_api "$tree"
	install_packages "$tree" "$@"
	configure_guest "$tree"
}

# export_boot TREE DIR PACKAGE...: the kernel and initrd for qemu, and what they are.
export_boot() {
	local tree=$1 dir=$2 kernels
	shift 2
	kernels=("$tree"/boot/vmlinuz-*)
	if [ "${#kernels[@]}" -ne 1 ] || [ ! -f "${kernels[0]}" ]; then
		die "expected one kernel in $tree/boot, found: ${kernels[*]}"
	fi
	local version=${kernels[0]##*/vmlinuz-}
	cp "${kernels[0]}" "$dir/vmlinuz"
	cp "$tree/boot/initrd.img-$version" "$dir/initrd.img"
	{
		echo "kernel $version"
		echo "packages $*"
	} >"$dir/info"
}

main() {
	if [ "${1:-}" = --populate ]; then
		shift
		populate "$@"
		return
	fi
	if [ "${1:-}" = -h ] || [ "${1:-}" = --help ]; then
		usage
		return 0
	fi
	if [ $# -lt 2 ]; then
		usage >&2
		exit 2
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
	command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install debootstrap"
	command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 not found: apt-get install e2fsprogs"
	local dir=$1
	shift
	[ ! -e "$dir" ] || die "$dir exists already"

	# Built beside DIR and renamed at the end: DIR exists only when complete.
	local tmp
	tmp=$(mktemp -d "$dir.tmp.XXXXXX")
	# shellcheck disable=SC2064 # expand now: tmp is local
	trap "rm -rf '$tmp'" EXIT
	unshare --mount --propagation private -- "$0" --populate "$tmp/tree" "$@"
	export_boot "$tmp/tree" "$tmp" "$@"
	truncate -s "$DISK_SIZE" "$tmp/disk.img"
	mkfs.ext4 -q -F -L debian-vm -d "$tmp/tree" "$tmp/disk.img"
	rm -rf "$tmp/tree"
	mv "$tmp" "$dir"
	trap - EXIT
}

main "$@"
