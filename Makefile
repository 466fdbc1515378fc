# The workshop: build every step, test, build a root filesystem, run the demo, benchmark.
#   make            build every step (each also builds alone: cd STEP && make)
#   make test       every Check and bats test; ends with "N passed, N failed, N skipped"
#                   ONLY="tests/cgroup.bats tests/unit/test_cgroup README.md" runs just those
#   make test-vm    make test in a qemu VM as users have it: Debian 12's own kernel (6.1),
#                   pure cgroup v2, systemd; no network. About 17 minutes here; ONLY= too.
#                   Image cached in ~/.cache/container-tutorial-vm (tests/vm/test_vm.sh -h)
#   make debian-rootfs  a Debian minbase tree in tests/cache/debian-bookworm (the mirror)
#   make rootfs     a busybox root filesystem in ./rootfs for step 4
#   make demo       the whole story, run for real in a throwaway network namespace
#   make bench      basic_container against unshare+chroot (and crun where installed);
#                   container to container on one host, by host-gw, by VXLAN (step 6)
#   make deps       install the Debian packages the suite needs (root), when missing
#   make clean      (keeps tests/cache/ and the VM's image cache: rm -rf them to rebuild)
STEPS := common fork_exec pid_namespace cgroup lockdown basic_container

# Debian 12 / Ubuntu 24.04 package names. .ci/run installs these through `make deps`.
PACKAGES := build-essential pkg-config check bats bats-support bats-assert \
	busybox-static iproute2 iptables conntrack netcat-openbsd iputils-ping python3 \
	cgroup-tools util-linux procps shellcheck tmux git iperf3 tcpdump kmod \
	libcap-dev libseccomp-dev keyutils debootstrap strace uidmap

# What `make test-vm` needs on this machine besides the project's packages.
VM_HOST_PACKAGES := qemu-system-x86 qemu-utils debootstrap e2fsprogs git

# The Debian tree of the tests that run a real distribution in a container.
DEBIAN_ROOTFS := tests/cache/debian-bookworm

all:
	@for s in $(STEPS); do $(MAKE) --no-print-directory -C $$s all || exit 1; done

test: deps all
	$(MAKE) --no-print-directory -C tests/unit
	$(MAKE) --no-print-directory -C tests/probe
	tests/run.sh $(ONLY)

# The guest image is built on the first run (about 2 minutes, the Debian
# mirror) and whenever PACKAGES or tests/vm/image.sh change.
test-vm: debian-rootfs
	@$(call install_missing,test-vm,$(VM_HOST_PACKAGES))
	tests/vm/test_vm.sh $(ONLY)

# Built once (about 30 s), then kept (make clean too). debootstrap's own
# mounts in the tree live in a private mount namespace; a mirror that hangs
# is given 15 minutes; the tree appears only when complete.
debian-rootfs: $(DEBIAN_ROOTFS)

$(DEBIAN_ROOTFS):
	@$(call install_missing,debian-rootfs,debootstrap)
	rm -rf $@.tmp
	timeout 900 unshare --mount --propagation private \
		basic_container/make_rootfs.sh --debootstrap bookworm $@.tmp
	mv $@.tmp $@

# The busybox tree, plus step 3's greedy cgroup_demo (static) to limit inside
# and step 5's escape probe (static too).
rootfs: rootfs/bin/cgroup_demo rootfs/escape_probe

rootfs/bin/busybox:
	basic_container/make_rootfs.sh rootfs

rootfs/bin/cgroup_demo: rootfs/bin/busybox all
	cp cgroup/bin/cgroup_demo $@

rootfs/escape_probe: rootfs/bin/busybox all
	cp lockdown/bin/escape_probe $@

demo: deps all rootfs
	tests/demo.sh $(if $(STEP),--step)

bench: all rootfs
	$(MAKE) --no-print-directory -C tests/bench
	tests/bench.sh

# $(call install_missing,TARGET,PACKAGES): install those of PACKAGES that are
# missing (as root), or say how.
define install_missing
missing=$$(for p in $(2); do \
	dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
done); \
if [ -z "$$missing" ]; then echo "make $(1): every package is installed"; \
elif [ "$$(id -u)" -ne 0 ]; then \
	echo "make $(1): missing packages; run: sudo apt-get install -y" $$missing; exit 1; \
else \
	echo "make $(1): installing" $$missing; \
	apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
fi
endef

deps:
	@$(call install_missing,deps,$(PACKAGES))

clean:
	@for s in $(STEPS); do $(MAKE) --no-print-directory -C $$s clean || exit 1; done
	$(MAKE) --no-print-directory -C tests/unit clean
	$(MAKE) --no-print-directory -C tests/probe clean
	$(MAKE) --no-print-directory -C tests/bench clean
	rm -rf rootfs tests/vm/log

.PHONY: all test test-vm debian-rootfs rootfs demo bench deps clean
