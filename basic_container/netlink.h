/* netlink.h: the container's network, spoken in rtnetlink.
 *
 * This is how ip(8) itself works: it sends these same messages to the
 * kernel over an AF_NETLINK socket. Doing it ourselves is about a hundred
 * times faster than running `ip` once per step, needs no `ip` binary inside
 * the root filesystem, and leaves no shell command to inject into. Each
 * function names the `ip` command it replaces.
 *
 * A message is a struct nlmsghdr, a fixed header for its family (ifinfomsg,
 * ifaddrmsg, rtmsg), then attributes: type-length-value records, nested for
 * structured values (rtnetlink(7), netlink(7)). The few lines that build them
 * are in netlink.c, in the manner of libmnl; we keep them here rather than
 * link libmnl so the runtime can be linked statically (Debian ships libmnl
 * only as a shared library), which makes it start faster and smaller.
 *
 * A netlink socket talks to the network namespace it was created in: the
 * parent opens one on the host, the child opens its own inside the container.
 * On failure the functions return -1 with errno set and a message recorded
 * through setup_fail().
 */
#ifndef NETLINK_H
#define NETLINK_H

#include <netinet/in.h>
#include <sys/types.h>

struct netlink {
	int fd;                 /* an AF_NETLINK, NETLINK_ROUTE socket */
	unsigned int seq;       /* sequence number of the last request */
};

/* An IPv4 address and its prefix, e.g. 10.240.0.1/24. */
struct ipv4_prefix {
	struct in_addr addr;
	int prefixlen;
};

#define BRIDGE_MAX_ADDRS 16

/* A bridge on the host, as find_bridge() saw it: what it is, whether it is
 * up, its MTU and its IPv4 addresses. addr and prefixlen are the container's
 * gateway, chosen by the caller among addrs (e.g. cni0 10.240.0.1/24). */
struct bridge {
	int index;
	int is_bridge;                 /* the link's kind is "bridge" */
	int is_up;                     /* administratively up (IFF_UP) */
	unsigned int mtu;
	int naddrs;                    /* at most BRIDGE_MAX_ADDRS kept */
	struct ipv4_prefix addrs[BRIDGE_MAX_ADDRS];
	struct in_addr addr;
	int prefixlen;
};

/* Open a netlink socket in the caller's current network namespace. */
int netlink_open(struct netlink *nl);
void netlink_close(struct netlink *nl);

/* `ip -d link show NAME; ip -4 addr show dev NAME`: the link's index, kind,
 * UP flag, MTU and IPv4 addresses, whatever the link is; judging them is
 * the caller's part. errno ENODEV when there is no such link. */
int find_bridge(struct netlink *nl, const char *name, struct bridge *br);

/* `ip link add HOST_NAME master BRIDGE mtu MTU up type veth peer name PEER_NAME
 *  address PEER_MAC mtu MTU netns PID`: one message creates the pair with the
 * peer already inside the network namespace of process pid, so no fixed name
 * ever appears on the host and the kernel never has to move a device between
 * namespaces. Both ends take the bridge's MTU: a bridge narrowed for a tunnel
 * (VXLAN: 50 bytes less) then never receives a frame it cannot forward.
 * errno EEXIST when HOST_NAME is taken. */
int create_veth_pair(struct netlink *nl, const char *host_name, const struct bridge *br,
		     const char *peer_name, const unsigned char peer_mac[6], pid_t pid);

/* `ip link set NAME up` */
int link_up(struct netlink *nl, const char *name);

/* `ip addr add ADDR/PREFIXLEN dev NAME` */
int add_address(struct netlink *nl, const char *name, struct in_addr addr, int prefixlen);

/* `ip route add default via GATEWAY` */
int add_default_route(struct netlink *nl, struct in_addr gateway);

#endif
