# The workshop: build every step, test, build a root filesystem, run the demo, benchmark.
#   make            build every step (each also builds alone: cd STEP && make)
#   make test       every Check and bats test; ends with "N passed, N failed, N skipped"
#   make rootfs     a busybox root filesystem in ./rootfs for step 4
#   make demo       the whole story, run for real in a throwaway network namespace
#   make bench      basic_container against unshare+chroot (and crun where installed);
#                   container to container on one host, by host-gw, by VXLAN (step 6)
#   make deps       install the Debian packages the suite needs (root), when missing
#   make clean
STEPS := common fork_exec pid_namespace cgroup lockdown basic_container

# Debian 12 / Ubuntu 24.04 package names. .ci/run installs these through `make deps`.
PACKAGES := build-essential pkg-config check bats bats-support bats-assert \
	busybox-static iproute2 iptables conntrack netcat-openbsd iputils-ping python3 \
	cgroup-tools util-linux procps shellcheck tmux git iperf3 tcpdump kmod \
	libcap-dev libseccomp-dev keyutils debootstrap strace

all:
	@for s in $(STEPS); do $(MAKE) --no-print-directory -C $$s all || exit 1; done

test: all
	$(MAKE) --no-print-directory -C tests/unit
	$(MAKE) --no-print-directory -C tests/probe
	tests/run.sh

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

deps:
	@missing=$$(for p in $(PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || echo $$p; \
	done); \
	if [ -z "$$missing" ]; then echo "make deps: every package is installed"; \
	elif [ "$$(id -u)" -ne 0 ]; then \
		echo "make deps: missing packages; run: sudo apt-get install -y" $$missing; exit 1; \
	else \
		echo "make deps: installing" $$missing; \
		apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	fi

clean:
	@for s in $(STEPS); do $(MAKE) --no-print-directory -C $$s clean || exit 1; done
	$(MAKE) --no-print-directory -C tests/unit clean
	$(MAKE) --no-print-directory -C tests/probe clean
	$(MAKE) --no-print-directory -C tests/bench clean
	rm -rf rootfs

.PHONY: all test rootfs demo bench deps clean
