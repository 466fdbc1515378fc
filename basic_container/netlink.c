/* netlink.c: rtnetlink requests; see netlink.h. */
#include "netlink.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "setup_error.h"

/* Room for any request we send and any answer we read. */
#define NL_BUFSIZE 8192

/* ---- building a message ---- */

/* A request: the netlink header, then everything else, in one buffer. */
struct request {
	union {
		struct nlmsghdr hdr;
		char buf[512];
	};
};

/* Append len zeroed bytes (padded to NLMSG_ALIGNTO) and return them. Our
 * requests have a fixed, small size: one that does not fit is a bug. */
static void *put(struct nlmsghdr *nlh, size_t len)
{
	void *p = (char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len);

	if (NLMSG_ALIGN(nlh->nlmsg_len) + NLMSG_ALIGN(len) > sizeof(struct request))
		fatal("netlink request of type %d does not fit %zu bytes", nlh->nlmsg_type,
		      sizeof(struct request));
	memset(p, 0, NLMSG_ALIGN(len));
	nlh->nlmsg_len = (uint32_t)(NLMSG_ALIGN(nlh->nlmsg_len) + NLMSG_ALIGN(len));
	return p;
}

/* Append the attribute TYPE with len bytes of data. */
static void put_attr(struct nlmsghdr *nlh, unsigned short type, const void *data, size_t len)
{
	struct nlattr *attr = put(nlh, NLA_HDRLEN + len);

	attr->nla_type = type;
	attr->nla_len = (unsigned short)(NLA_HDRLEN + len);
	memcpy((char *)attr + NLA_HDRLEN, data, len);
}

static void put_attr_str(struct nlmsghdr *nlh, unsigned short type, const char *s)
{
	put_attr(nlh, type, s, strlen(s) + 1);
}

static void put_attr_u32(struct nlmsghdr *nlh, unsigned short type, uint32_t v)
{
	put_attr(nlh, type, &v, sizeof(v));
}

/* Open a nested attribute: what follows, until end_nest(), is its value. */
static struct nlattr *start_nest(struct nlmsghdr *nlh, unsigned short type)
{
	struct nlattr *nest = put(nlh, NLA_HDRLEN);

	nest->nla_type = NLA_F_NESTED | type;
	return nest;
}

static void end_nest(struct nlmsghdr *nlh, struct nlattr *nest)
{
	nest->nla_len = (unsigned short)((char *)nlh + nlh->nlmsg_len - (char *)nest);
}

/* Start a request of the given type with its family header of hdrlen bytes. */
static void *new_request(struct netlink *nl, struct request *req, int type, int flags,
			 size_t hdrlen)
{
	req->hdr = (struct nlmsghdr){
		.nlmsg_len = NLMSG_HDRLEN,
		.nlmsg_type = (unsigned short)type,
		.nlmsg_flags = (unsigned short)(NLM_F_REQUEST | NLM_F_ACK | flags),
		.nlmsg_seq = ++nl->seq,
	};
	return put(&req->hdr, hdrlen);
}

/* ---- talking to the kernel ---- */

int netlink_open(struct netlink *nl)
{
	nl->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (nl->fd == -1)
		return setup_fail("socket(AF_NETLINK, NETLINK_ROUTE)");
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

void netlink_close(struct netlink *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

/* Called for each answer that is not an acknowledgement. */
typedef void answer_fn(const struct nlmsghdr *nlh, void *data);

/* The kernel's verdict on a request, from an NLMSG_ERROR or NLMSG_DONE
 * message: 0, or -1 with errno set. */
static int verdict(const struct nlmsghdr *nlh)
{
	int error;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(int))) {
		errno = EBADMSG;
		return -1;
	}
	memcpy(&error, NLMSG_DATA(nlh), sizeof(error));  /* nlmsgerr starts with it */
	if (error == 0)
		return 0;
	errno = -error;
	return -1;
}

/* Send a request, then read answers until the kernel's acknowledgement
 * (NLMSG_ERROR with error 0) or the end of a dump (NLMSG_DONE), handing each
 * other answer to cb. Returns 0, or -1 with errno set from the kernel's
 * error answer. */
static int transact(struct netlink *nl, struct request *req, answer_fn *cb, void *data)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK }, from;
	char buf[NL_BUFSIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	socklen_t fromlen;
	struct nlmsghdr *nlh;
	ssize_t n;
	int len;

	if (sendto(nl->fd, req, req->hdr.nlmsg_len, 0, (struct sockaddr *)&kernel,
		   sizeof(kernel)) == -1)
		return -1;
	for (;;) {
		fromlen = sizeof(from);
		/* MSG_TRUNC: recvfrom() returns the datagram's real length. */
		n = recvfrom(nl->fd, buf, sizeof(buf), MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
		if (n == -1)
			return -1;
		if ((size_t)n > sizeof(buf)) {
			errno = EMSGSIZE;
			return -1;
		}
		if (from.nl_pid != 0)           /* not from the kernel */
			continue;
		len = (int)n;
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, len); nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != nl->seq)
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR || nlh->nlmsg_type == NLMSG_DONE)
				return verdict(nlh);
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) {
				errno = EAGAIN;         /* the table changed under the dump */
				return -1;
			}
			if (cb != NULL)
				cb(nlh, data);
		}
	}
}

/* ---- the requests ---- */

/* An answer to RTM_GETLINK: remember the index. */
static void link_index_answer(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = NLMSG_DATA(nlh);

	if (nlh->nlmsg_type == RTM_NEWLINK && nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifm)))
		*(int *)data = ifm->ifi_index;
}

/* `ip link show NAME`: the index of a link, or -1 with errno ENODEV. */
static int link_index(struct netlink *nl, const char *name)
{
	struct request req;
	struct ifinfomsg *ifm = new_request(nl, &req, RTM_GETLINK, 0, sizeof(*ifm));
	int index = -1;

	ifm->ifi_family = AF_UNSPEC;
	put_attr_str(&req.hdr, IFLA_IFNAME, name);
	if (transact(nl, &req, link_index_answer, &index) == -1)
		return -1;
	return index;
}

/* The kind inside an IFLA_LINKINFO attribute ("bridge", "veth"...): is it a
 * bridge? A link without one (lo, a physical NIC) is not. */
static int linkinfo_is_bridge(const struct rtattr *linkinfo)
{
	const struct rtattr *rta = RTA_DATA(linkinfo);
	int len = RTA_PAYLOAD(linkinfo);

	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if (rta->rta_type == IFLA_INFO_KIND)
			return RTA_PAYLOAD(rta) >= sizeof("bridge") &&
			       memcmp(RTA_DATA(rta), "bridge", sizeof("bridge")) == 0;
	return 0;
}

/* An answer to RTM_GETLINK for the bridge: index, UP flag, MTU, kind. */
static void bridge_link_answer(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = NLMSG_DATA(nlh);
	struct bridge *br = data;
	const struct rtattr *rta = IFLA_RTA(ifm);
	int len = IFLA_PAYLOAD(nlh);

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifm)))
		return;
	br->index = ifm->ifi_index;
	br->is_up = (ifm->ifi_flags & IFF_UP) != 0;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFLA_MTU && RTA_PAYLOAD(rta) == sizeof(uint32_t))
			memcpy(&br->mtu, RTA_DATA(rta), sizeof(br->mtu));
		else if ((rta->rta_type & NLA_TYPE_MASK) == IFLA_LINKINFO)
			br->is_bridge = linkinfo_is_bridge(rta);
	}
}

/* An answer to an RTM_GETADDR dump: keep each IPv4 address of the link in
 * data (a struct bridge whose index is set), in the kernel's order. */
static void bridge_addr_answer(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = NLMSG_DATA(nlh);
	struct bridge *br = data;
	const struct rtattr *rta = IFA_RTA(ifa);
	int len = IFA_PAYLOAD(nlh);

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    (int)ifa->ifa_index != br->index || br->naddrs == BRIDGE_MAX_ADDRS)
		return;
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		if (rta->rta_type == IFA_LOCAL && RTA_PAYLOAD(rta) == sizeof(struct in_addr)) {
			memcpy(&br->addrs[br->naddrs].addr, RTA_DATA(rta), sizeof(struct in_addr));
			br->addrs[br->naddrs++].prefixlen = ifa->ifa_prefixlen;
			return;
		}
	}
}

int find_bridge(struct netlink *nl, const char *name, struct bridge *br)
{
	struct request req;
	struct ifinfomsg *ifm = new_request(nl, &req, RTM_GETLINK, 0, sizeof(*ifm));
	struct ifaddrmsg *ifa;

	*br = (struct bridge){ .index = -1, .prefixlen = -1 };
	ifm->ifi_family = AF_UNSPEC;
	put_attr_str(&req.hdr, IFLA_IFNAME, name);
	if (transact(nl, &req, bridge_link_answer, br) == -1)
		return setup_fail("find link %s (ip link show %s)", name, name);
	ifa = new_request(nl, &req, RTM_GETADDR, NLM_F_DUMP, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	if (transact(nl, &req, bridge_addr_answer, br) == -1)
		return setup_fail("list addresses (ip -4 addr show dev %s)", name);
	return 0;
}

int create_veth_pair(struct netlink *nl, const char *host_name, const struct bridge *br,
		     const char *peer_name, const unsigned char peer_mac[6], pid_t pid)
{
	struct request req;
	struct ifinfomsg *ifm = new_request(nl, &req, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL,
					    sizeof(*ifm));
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *peer_ifm;

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	put_attr_str(&req.hdr, IFLA_IFNAME, host_name);
	put_attr_u32(&req.hdr, IFLA_MASTER, (uint32_t)br->index);
	if (br->mtu > 0)
		put_attr_u32(&req.hdr, IFLA_MTU, br->mtu);
	linkinfo = start_nest(&req.hdr, IFLA_LINKINFO);
	put_attr_str(&req.hdr, IFLA_INFO_KIND, "veth");
	data = start_nest(&req.hdr, IFLA_INFO_DATA);
	/* The peer is described by a whole ifinfomsg and its own attributes. */
	peer = start_nest(&req.hdr, VETH_INFO_PEER);
	peer_ifm = put(&req.hdr, sizeof(*peer_ifm));
	peer_ifm->ifi_family = AF_UNSPEC;
	put_attr_str(&req.hdr, IFLA_IFNAME, peer_name);
	put_attr(&req.hdr, IFLA_ADDRESS, peer_mac, 6);
	if (br->mtu > 0)
		put_attr_u32(&req.hdr, IFLA_MTU, br->mtu);
	put_attr_u32(&req.hdr, IFLA_NET_NS_PID, (uint32_t)pid);
	end_nest(&req.hdr, peer);
	end_nest(&req.hdr, data);
	end_nest(&req.hdr, linkinfo);
	if (transact(nl, &req, NULL, NULL) == -1)
		return setup_fail("create veth %s with peer %s in the netns of PID %ld "
				  "(ip link add %s type veth peer name %s netns %ld)",
				  host_name, peer_name, (long)pid, host_name, peer_name, (long)pid);
	return 0;
}

int link_up(struct netlink *nl, const char *name)
{
	struct request req;
	struct ifinfomsg *ifm = new_request(nl, &req, RTM_NEWLINK, 0, sizeof(*ifm));

	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_flags = IFF_UP;
	ifm->ifi_change = IFF_UP;
	put_attr_str(&req.hdr, IFLA_IFNAME, name);
	if (transact(nl, &req, NULL, NULL) == -1)
		return setup_fail("bring %s up (ip link set %s up)", name, name);
	return 0;
}

int add_address(struct netlink *nl, const char *name, struct in_addr addr, int prefixlen)
{
	char text[INET_ADDRSTRLEN];
	struct request req;
	struct ifaddrmsg *ifa;
	int index = link_index(nl, name);

	inet_ntop(AF_INET, &addr, text, sizeof(text));
	if (index == -1)
		return setup_fail("find %s to add %s/%d (ip link show %s)", name, text, prefixlen, name);
	ifa = new_request(nl, &req, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned int)index;
	put_attr(&req.hdr, IFA_LOCAL, &addr, sizeof(addr));
	put_attr(&req.hdr, IFA_ADDRESS, &addr, sizeof(addr));
	if (transact(nl, &req, NULL, NULL) == -1)
		return setup_fail("add address (ip addr add %s/%d dev %s)", text, prefixlen, name);
	return 0;
}

int add_default_route(struct netlink *nl, struct in_addr gateway)
{
	char text[INET_ADDRSTRLEN];
	struct request req;
	struct rtmsg *rtm = new_request(nl, &req, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
					sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 0;              /* default: 0.0.0.0/0 */
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;   /* what `ip route add` marks its routes with */
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	put_attr(&req.hdr, RTA_GATEWAY, &gateway, sizeof(gateway));
	if (transact(nl, &req, NULL, NULL) == -1) {
		inet_ntop(AF_INET, &gateway, text, sizeof(text));
		return setup_fail("add default route (ip route add default via %s)", text);
	}
	return 0;
}
