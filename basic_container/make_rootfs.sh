#!/usr/bin/env bash
# make_rootfs.sh: build a root filesystem for basic_container in DIR.
#   default           a busybox tree from Debian's busybox-static: offline, 2 MB
#   --from-tar FILE   a `docker export` tarball (or any tar of a tree)
#   --debootstrap S   a Debian tree: debootstrap --variant=minbase S DIR
set -euo pipefail

PROG=${0##*/}
BUSYBOX=${BUSYBOX:-/bin/busybox}

# The applets the walkthrough and the tests use; the tree gets all of them.
NEEDED_APPLETS="sh ps ip ping nc hostname ls cat echo mount id ifconfig route
sleep true false kill"

usage() {
	cat <<EOF
Usage: $PROG [--force] [--from-tar FILE | --debootstrap SUITE] DIR
Build a root filesystem in DIR (created when missing) for basic_container.

  (default)            busybox: $BUSYBOX from Debian's busybox-static, with a
                       symlink for each of its applets, /etc/passwd, /etc/group,
                       /etc/hosts and empty /proc /sys /dev /tmp /root. Offline.
  --from-tar FILE      unpack a tarball of a tree into DIR, e.g. Docker's:
                         docker export \$(docker create busybox) > busybox.tar
  --debootstrap SUITE  debootstrap --variant=minbase SUITE DIR (needs the
                       debootstrap package and a Debian mirror: the network;
                       MIRROR overrides its default). The tree has no ip, ping
                       or ps.
  --force              build into DIR even when it is not empty
  -h, --help           this help

Environment: BUSYBOX (default /bin/busybox), MIRROR (for --debootstrap).
EOF
}

bad_usage() {
	echo "$PROG: $*" >&2
	usage >&2
	exit 2
}

die() {
	echo "$PROG: $*" >&2
	exit 1
}

# check_target DIR FORCE: never /, never a file, never over something unless
# told to.
check_target() {
	local dir=$1 force=$2
	if [ "$(realpath -m -- "$dir")" = / ]; then
		die "refusing to build a root filesystem over /"
	fi
	if [ -e "$dir" ] && [ ! -d "$dir" ]; then
		die "$dir exists and is not a directory"
	fi
	if [ -d "$dir" ] && [ -n "$(ls -A -- "$dir")" ] && [ "$force" = no ]; then
		die "$dir is not empty (use --force to build into it anyway)"
	fi
}

# check_inside ROOT PATH: no component of ROOT/PATH is a symlink that leads
# out of ROOT. A tree built with --force over an existing one may hold
# absolute symlinks (bin -> /usr/bin): written through, they would change the
# host's files, not the tree's. Symlinks that stay inside (usrmerge's
# bin -> usr/bin) are fine.
check_inside() {
	local root=$1 rest=$2 sofar="" part top target
	top=$(realpath -m -- "$root")
	while [ -n "$rest" ]; do
		part=${rest%%/*}
		if [[ $rest == */* ]]; then rest=${rest#*/}; else rest=""; fi
		sofar=${sofar:+$sofar/}$part
		if [ -L "$root/$sofar" ]; then
			target=$(realpath -m -- "$root/$sofar")
			if [ "$target" != "$top" ] && [[ $target != "$top"/* ]]; then
				die "$root/$sofar is a symlink leading out of $root (to $target): refusing to write through it"
			fi
		fi
	done
}

# make_dir ROOT PATH: mkdir -p ROOT/PATH, never through a symlink out of ROOT.
make_dir() {
	check_inside "$1" "$2"
	mkdir -p -- "$1/$2"
}

# new_file ROOT PATH: make room for a file we are about to write: its
# directory checked, whatever was at its place (a symlink) removed, so that
# the write never lands in a symlink's target.
new_file() {
	check_inside "$1" "${2%/*}"
	rm -f -- "${1:?}/$2"
}

# A dynamically linked busybox (Debian's `busybox` package) would find no C
# library inside the tree.
check_busybox() {
	if [ ! -x "$BUSYBOX" ]; then
		die "no busybox at $BUSYBOX: apt-get install busybox-static"
	fi
	local libs
	if command -v ldd >/dev/null && libs=$(ldd "$BUSYBOX" 2>&1) &&
		[[ $libs != *"statically linked"* ]]; then
		die "$BUSYBOX is dynamically linked: apt-get install busybox-static"
	fi
}

# relative_link PATH: set LINK to the symlink target from PATH (bin/sh,
# usr/bin/nc) to bin/busybox, relative so the tree means the same from inside
# and out. A variable, not output: no subshell for each of 270 applets.
relative_link() {
	local dir=${1%/*} up=""
	if [ "$dir" = bin ]; then
		LINK=busybox
		return
	fi
	while [ -n "$dir" ]; do
		up="../$up"
		if [[ $dir == */* ]]; then
			dir=${dir%/*}
		else
			dir=""
		fi
	done
	LINK="${up}bin/busybox"
}

# Copy busybox in and link each applet where busybox would put it
# (`busybox --list-full`: bin/sh, sbin/ifconfig, usr/bin/nc...).
install_busybox() {
	local root=$1 path applet list LINK dir
	local -a paths
	make_dir "$root" bin
	new_file "$root" bin/busybox
	cp "$BUSYBOX" "$root/bin/busybox"
	chmod 755 "$root/bin/busybox"
	mapfile -t paths < <("$root/bin/busybox" --list-full)
	list=$'\n'$(printf '%s\n' "${paths[@]}")$'\n'
	for applet in $NEEDED_APPLETS; do
		if [[ $list != *"/$applet"$'\n'* ]]; then
			die "$BUSYBOX has no '$applet' applet: apt-get install busybox-static"
		fi
	done
	# Each directory is checked once; ln -n replaces a symlink in place
	# rather than following it.
	for dir in sbin usr/bin usr/sbin; do
		make_dir "$root" "$dir"
	done
	for path in "${paths[@]}"; do
		if [[ $path != */* ]] || [ "$path" = bin/busybox ]; then
			continue # linuxrc, at the top: not for us
		fi
		case ${path%/*} in
		bin | sbin | usr/bin | usr/sbin) ;;
		*) make_dir "$root" "${path%/*}" ;;
		esac
		relative_link "$path"
		ln -sfn "$LINK" "$root/$path"
	done
}

write_etc() {
	local root=$1 file
	make_dir "$root" etc
	for file in passwd group hosts; do
		new_file "$root" "etc/$file"
	done
	cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
	echo "127.0.0.1 localhost" >"$root/etc/hosts"
}

# Mount points for basic_container (/proc, /sys, /dev) and a sticky /tmp.
make_dirs() {
	local root=$1 d
	for d in proc sys dev root etc tmp; do
		check_inside "$root" "$d"
	done
	for d in proc sys dev root etc; do
		mkdir -p "$root/$d"
	done
	if [ ! -d "$root/tmp" ]; then
		mkdir "$root/tmp"
		chmod 1777 "$root/tmp"
	fi
}

build_busybox() {
	local root=$1
	check_busybox
	mkdir -p "$root"
	chmod 755 "$root"
	install_busybox "$root"
	write_etc "$root"
	make_dirs "$root"
	chmod 700 "$root/root"
}

# device_nodes TARBALL: the names of the tarball's block and character
# devices, one a line. `tar -tv` prints each member's type first (b, c) and
# `tar -t` its bare name, in the same order; escape quoting keeps every name
# on one line.
device_nodes() {
	local -a names types
	local i
	mapfile -t names < <(tar -tf "$1" --quoting-style=escape)
	mapfile -t types < <(tar -tvf "$1" --quoting-style=escape | cut -c1)
	if [ "${#names[@]}" -ne "${#types[@]}" ]; then
		die "cannot list $1's members"
	fi
	for i in "${!names[@]}"; do
		case ${types[$i]} in
		b | c)
			if [[ ${names[$i]} == *\\* ]]; then
				die "device node with an unusual name in $1: refusing the tarball"
			fi
			echo "${names[$i]}"
			;;
		esac
	done
}

# --numeric-owner: the tree's uids are its own, not this host's names.
# Device nodes are left out: a container's /dev is made by the runtime, and a
# node from a tarball (dev/sda, dev/mem) would hand it the host's disk or
# memory, as root of the tree's owner can open it.
build_from_tar() {
	local root=$1 tarball=$2 exclude list
	local -a nodes=()
	if [ ! -r "$tarball" ]; then
		die "cannot read $tarball"
	fi
	list=$(device_nodes "$tarball")
	if [ -n "$list" ]; then
		mapfile -t nodes <<<"$list"
	fi
	mkdir -p "$root"
	exclude=$(mktemp)
	printf '%s\n' "$list" >"$exclude"
	# --no-wildcards --anchored: each line is one exact member name.
	tar -xf "$tarball" -C "$root" --numeric-owner --no-wildcards --anchored \
		--exclude-from="$exclude" || {
		rm -f "$exclude"
		die "tar could not unpack $tarball"
	}
	rm -f "$exclude"
	if [ "${#nodes[@]}" -gt 0 ]; then
		echo "$PROG: left out ${#nodes[@]} device nodes (${nodes[*]}): a container gets no device of the host" >&2
	fi
	make_dirs "$root"
}

build_debootstrap() {
	local root=$1 suite=$2
	if ! command -v debootstrap >/dev/null; then
		die "debootstrap not found: apt-get install debootstrap (it also needs a Debian mirror)"
	fi
	if [ "$(id -u)" -ne 0 ]; then
		die "debootstrap must run as root"
	fi
	mkdir -p "$root"
	debootstrap --variant=minbase "$suite" "$root" ${MIRROR:+"$MIRROR"}
	make_dirs "$root"
}

main() {
	local force=no mode=busybox source="" dir count
	while [ $# -gt 0 ]; do
		case $1 in
		-h | --help)
			usage
			return 0
			;;
		--force) force=yes ;;
		--from-tar | --debootstrap)
			if [ $# -lt 2 ] || [ -z "$2" ]; then
				bad_usage "$1 needs an argument"
			fi
			if [ "$mode" != busybox ]; then
				bad_usage "--from-tar and --debootstrap go alone"
			fi
			mode=${1#--}
			source=$2
			shift
			;;
		--)
			shift
			break
			;;
		-*) bad_usage "unknown option '$1'" ;;
		*) break ;;
		esac
		shift
	done
	if [ $# -ne 1 ] || [ -z "$1" ]; then
		bad_usage "give exactly one DIR"
	fi
	dir=$1

	check_target "$dir" "$force"
	case $mode in
	busybox) build_busybox "$dir" ;;
	from-tar) build_from_tar "$dir" "$source" ;;
	debootstrap) build_debootstrap "$dir" "$source" ;;
	esac
	count=$(find "$dir" -mindepth 1 ! -type d | wc -l)
	echo "rootfs ready in $dir ($count files)"
}

main "$@"
