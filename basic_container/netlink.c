/* netlink.c: rtnetlink requests through libmnl; see netlink.h. */
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "setup_error.h"

/* Room for any request we send and any answer we read: MNL_SOCKET_BUFFER_SIZE
 * is a page, at least 8 KiB. */
#define NL_BUFSIZE MNL_SOCKET_BUFFER_SIZE

int netlink_open(struct netlink *nl)
{
	nl->sock = mnl_socket_open(NETLINK_ROUTE);
	if (nl->sock == NULL)
		return setup_fail("socket(AF_NETLINK, NETLINK_ROUTE)");
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) == -1) {
		setup_fail("bind netlink socket");
		mnl_socket_close(nl->sock);
		nl->sock = NULL;
		return -1;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void netlink_close(struct netlink *nl)
{
	if (nl->sock != NULL)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
}

/* Start a request of the given type in buf. */
static struct nlmsghdr *new_request(struct netlink *nl, char *buf, int type, int flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = ++nl->seq;
	return nlh;
}

/* Send a request and read answers until the kernel's acknowledgement or the
 * end of a dump, handing each answer to cb. Returns 0, or -1 with errno set
 * from the kernel's error answer. */
static int transact(struct netlink *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUFSIZE];
	ssize_t n;
	int ret;

	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) == -1)
		return -1;
	do {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n == -1)
			return -1;
		ret = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, nl->portid, cb, data);
	} while (ret == MNL_CB_OK);
	return ret == MNL_CB_ERROR ? -1 : 0;
}

/* Send a request that answers with an acknowledgement only. */
static int request(struct netlink *nl, struct nlmsghdr *nlh)
{
	nlh->nlmsg_flags |= NLM_F_ACK;
	return transact(nl, nlh, NULL, NULL);
}

/* An answer to RTM_GETLINK: remember the index. */
static int link_index_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

	*(int *)data = ifm->ifi_index;
	return MNL_CB_OK;
}

/* `ip link show NAME`: the index of a link, or -1 with errno ENODEV. */
static int link_index(struct netlink *nl, const char *name)
{
	char buf[NL_BUFSIZE];
	/* NLM_F_ACK: the kernel answers, then acknowledges, which ends the read. */
	struct nlmsghdr *nlh = new_request(nl, buf, RTM_GETLINK, NLM_F_ACK);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	int index = -1;

	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (transact(nl, nlh, link_index_cb, &index) == -1)
		return -1;
	return index;
}

/* An answer to an RTM_GETADDR dump: keep the first IPv4 address of the link
 * in data (a struct bridge whose index is set). */
static int bridge_addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct bridge *br = data;
	const struct nlattr *attr;

	if ((int)ifa->ifa_index != br->index || br->prefixlen >= 0)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_LOCAL &&
		    mnl_attr_get_payload_len(attr) == sizeof(struct in_addr)) {
			memcpy(&br->addr, mnl_attr_get_payload(attr), sizeof(br->addr));
			br->prefixlen = ifa->ifa_prefixlen;
		}
	}
	return MNL_CB_OK;
}

int find_bridge(struct netlink *nl, const char *name, struct bridge *br)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	br->index = link_index(nl, name);
	if (br->index == -1)
		return setup_fail("find link %s (ip link show %s)", name, name);
	nlh = new_request(nl, buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	br->prefixlen = -1;
	if (transact(nl, nlh, bridge_addr_cb, br) == -1)
		return setup_fail("list addresses (ip -4 addr show dev %s)", name);
	if (br->prefixlen < 0) {
		errno = EADDRNOTAVAIL;
		return setup_fail_msg("bridge %s has no IPv4 address (run setup_bridge.sh)", name);
	}
	return 0;
}

int create_veth_pair(struct netlink *nl, const char *host_name, int bridge_index,
		     const char *peer_name, pid_t pid)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = new_request(nl, buf, RTM_NEWLINK,
					   NLM_F_CREATE | NLM_F_EXCL);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *peer_ifm;

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, host_name);
	mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)bridge_index);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* The peer is described by a whole ifinfomsg and its own attributes. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	peer_ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*peer_ifm));
	peer_ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer_name);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_PID, (uint32_t)pid);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	if (request(nl, nlh) == -1)
		return setup_fail("create veth %s with peer %s in the netns of PID %ld "
				  "(ip link add %s type veth peer name %s netns %ld)",
				  host_name, peer_name, (long)pid, host_name, peer_name, (long)pid);
	return 0;
}

int link_up(struct netlink *nl, const char *name)
{
	char buf[NL_BUFSIZE];
	struct nlmsghdr *nlh = new_request(nl, buf, RTM_NEWLINK, 0);
	struct ifinfomsg *ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (request(nl, nlh) == -1)
		return setup_fail("bring %s up (ip link set %s up)", name, name);
	return 0;
}

int add_address(struct netlink *nl, const char *name, struct in_addr addr, int prefixlen)
{
	char buf[NL_BUFSIZE], text[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh = new_request(nl, buf, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	unsigned int index = if_nametoindex(name);

	inet_ntop(AF_INET, &addr, text, sizeof(text));
	if (index == 0)
		return setup_fail("find %s to add %s/%d", name, text, prefixlen);
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = index;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	if (request(nl, nlh) == -1)
		return setup_fail("add address (ip addr add %s/%d dev %s)", text, prefixlen, name);
	return 0;
}

int add_default_route(struct netlink *nl, struct in_addr gateway)
{
	char buf[NL_BUFSIZE], text[INET_ADDRSTRLEN];
	struct nlmsghdr *nlh = new_request(nl, buf, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;              /* default: 0.0.0.0/0 */
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;   /* what `ip route add` marks its routes with */
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put(nlh, RTA_GATEWAY, sizeof(gateway), &gateway);
	if (request(nl, nlh) == -1) {
		inet_ntop(AF_INET, &gateway, text, sizeof(text));
		return setup_fail("add default route (ip route add default via %s)", text);
	}
	return 0;
}
