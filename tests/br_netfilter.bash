# br_netfilter.bash: bridged traffic through iptables (load br_netfilter).
# shellcheck shell=bash

# require_br_netfilter: bridged IPv4 frames cross iptables (FORWARD, nat
# POSTROUTING) only with the br_netfilter module. This machine's kernel has it
# built in; Debian's (6.1) ships it as a module that nothing loads until
# someone (Docker, or this) runs modprobe. Loaded, it sets
# net.bridge.bridge-nf-call-iptables to 1 in every network namespace. Skip
# the test, saying why, where it cannot be had.
require_br_netfilter() {
	if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		modprobe br_netfilter 2>/dev/null || true
	fi
	if [ ! -e /proc/sys/net/bridge/bridge-nf-call-iptables ]; then
		skip "no br_netfilter here, and modprobe br_netfilter failed"
	fi
}
