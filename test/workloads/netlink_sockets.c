// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink sockets across checkpoint/restart.
 *
 * netlink_sockets serve DIR (root) and netlink_sockets user DIR (any user):
 *   fd 3  NETLINK_ROUTE bound by the kernel (bind() to port 0: the tgid),
 *         listening to RTMGRP_LINK | RTMGRP_IPV4_IFADDR and group 33
 *         (RTNLGRP_BRVLAN, NETLINK_ADD_MEMBERSHIP: above 32), with
 *         NETLINK_PKTINFO, NETLINK_EXT_ACK, NETLINK_GET_STRICT_CHK,
 *         NETLINK_NO_ENOBUFS, NETLINK_BROADCAST_ERROR, SO_RCVBUF;
 *   fd 4  NETLINK_ROUTE bound to a port id of its choosing, connected to
 *         the kernel (port 0), NETLINK_CAP_ACK, SO_PASSCRED;
 *   fd 5  NETLINK_GENERIC, SOCK_DGRAM, unbound;
 *   fd 6  NETLINK_GENERIC bound by its first send (autobind), its reply
 *         read; NETLINK_LISTEN_ALL_NSID as root;
 *   fd 7  NETLINK_ROUTE unbound, listening to RTMGRP_IPV6_IFADDR.
 * After DIR/go each has the port id, groups, peer and options it had
 * (getsockname, getpeername, getsockopt); fd 3 dumps the links
 * (RTM_GETLINK) and finds lo; fd 5 and fd 6 ask the generic netlink
 * controller for its own family and get it. As root, fd 4 adds 127.0.0.9
 * to lo and gets its ack, and fd 3 receives the RTM_NEWADDR notification
 * of group RTNLGRP_IPV4_IFADDR (NETLINK_PKTINFO says which); then fd 4
 * removes it.
 *
 * netlink_sockets refused KIND DIR: what a checkpoint refuses, by name, at
 * fd 3: "unread" (the reply to an RTM_GETLINK request of lo, not read),
 * "dump" (an RTM_GETLINK dump asked for, not read), "protocol" (a
 * NETLINK_FIB_LOOKUP socket). After DIR/go it checks that the refused
 * state is still there ("kept-running").
 *
 * netlink_sockets hold PORTID DIR: a NETLINK_ROUTE socket bound to PORTID
 * (which a restart then finds taken) until DIR/go.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "check.h"
#include "fd_wait.h"
#include "sync.h"

#define TIMEOUT_MS 5000
#define NR_FDS 5
#define FIRST_FD 3
#define GROUP_ABOVE_32 33
#define NLA_ALIGNED(len) (((len) + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1))

static const char *const names[NR_FDS] = {
	"route-autobound",   "route-connected",	     "generic-unbound",
	"generic-autobound", "route-unbound-groups",
};

static int root;

static int make(int type, int protocol, int want)
{
	int fd = socket(AF_NETLINK, type, protocol);

	if (fd < 0)
		die("socket");
	return fd_at(fd, want);
}

static void bind_to(int fd, uint32_t portid, uint32_t groups)
{
	struct sockaddr_nl a = { .nl_family = AF_NETLINK,
				 .nl_pid = portid,
				 .nl_groups = groups };

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)))
		die("bind");
}

/* Everything a program could see of fd's netlink state, as one line. */
static void state_of(int fd, char *buf, size_t size)
{
	static const int opts[] = {
		NETLINK_PKTINFO, NETLINK_BROADCAST_ERROR, NETLINK_NO_ENOBUFS,
		NETLINK_CAP_ACK, NETLINK_EXT_ACK,	  NETLINK_GET_STRICT_CHK
	};
	struct sockaddr_nl self = {}, peer = {};
	socklen_t len = sizeof(self);
	uint32_t groups[8] = {};
	int i, n;

	getsockname(fd, (struct sockaddr *)&self, &len);
	len = sizeof(peer);
	getpeername(fd, (struct sockaddr *)&peer, &len);
	n = snprintf(buf, size, "portid %u groups %#x peer %u/%#x", self.nl_pid,
		     self.nl_groups, peer.nl_pid, peer.nl_groups);
	len = sizeof(groups);
	if (!getsockopt(fd, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS, groups,
			&len))
		for (i = 0; i < (int)(len / 4) && i < 8; i++)
			n += snprintf(buf + n, size - n, " %#x", groups[i]);
	n += int_opts_text(fd, SOL_NETLINK, opts,
			   sizeof(opts) / sizeof(opts[0]), buf + n, size - n);
	n += sock_opt_text(fd, SO_RCVBUF, "rcvbuf", buf + n, size - n);
	n += sock_opt_text(fd, SO_PASSCRED, "passcred", buf + n, size - n);
	sock_opt_text(fd, SO_TYPE, "type", buf + n, size - n);
}

static uint32_t portid_of(int fd)
{
	struct sockaddr_nl self = {};
	socklen_t len = sizeof(self);

	getsockname(fd, (struct sockaddr *)&self, &len);
	return self.nl_pid;
}

/* A request of type with payload (len bytes) and one attribute, sent on fd. */
static int request(int fd, uint16_t type, uint16_t flags, uint32_t seq,
		   const void *payload, size_t len, uint16_t attr,
		   const void *value, size_t value_len)
{
	char buf[256] = {};
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct nlattr *nla;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	memcpy(NLMSG_DATA(nlh), payload, len);
	nlh->nlmsg_len = NLMSG_LENGTH(len);
	if (value_len) {
		nla = (struct nlattr *)(buf + NLMSG_ALIGN(nlh->nlmsg_len));
		nla->nla_type = attr;
		nla->nla_len = NLA_HDRLEN + value_len;
		memcpy((char *)nla + NLA_HDRLEN, value, value_len);
		nlh->nlmsg_len =
			NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGNED(nla->nla_len);
	}
	return send(fd, buf, nlh->nlmsg_len, 0) == (ssize_t)nlh->nlmsg_len ? 0 :
									     -1;
}

/* The attribute of type in the attributes [p, end), or NULL. */
static const struct nlattr *attr_of(const char *p, const char *end,
				    uint16_t type)
{
	const struct nlattr *nla;

	for (; p + NLA_HDRLEN <= end; p += NLA_ALIGNED(nla->nla_len)) {
		nla = (const struct nlattr *)p;
		if (nla->nla_len < NLA_HDRLEN || p + nla->nla_len > end)
			return NULL;
		if ((nla->nla_type & NLA_TYPE_MASK) == type)
			return nla;
	}
	return NULL;
}

/* fd dumps the links: whether lo is among them. */
static int dumps_lo(int fd, char *why, size_t size)
{
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC };
	static char buf[32768];
	const struct nlattr *name;
	struct nlmsghdr *nlh;
	int found = 0, done = 0;
	ssize_t n;

	if (request(fd, RTM_GETLINK, NLM_F_DUMP, 77, &ifm, sizeof(ifm), 0, NULL,
		    0)) {
		snprintf(why, size, "send: %s", strerror(errno));
		return 0;
	}
	while (!done && fd_readable(fd, TIMEOUT_MS) &&
	       (n = recv(fd, buf, sizeof(buf), 0)) > 0) {
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n);
		     nlh = NLMSG_NEXT(nlh, n)) {
			if (nlh->nlmsg_seq != 77)
				continue;
			if (nlh->nlmsg_type == NLMSG_DONE ||
			    nlh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (nlh->nlmsg_type != RTM_NEWLINK)
				continue;
			name = attr_of((char *)NLMSG_DATA(nlh) +
					       NLMSG_ALIGN(sizeof(ifm)),
				       (char *)nlh + nlh->nlmsg_len,
				       IFLA_IFNAME);
			if (name &&
			    !strcmp((const char *)name + NLA_HDRLEN, "lo"))
				found = 1;
		}
	}
	snprintf(why, size, "dump %s, lo %s", done ? "done" : "unfinished",
		 found ? "found" : "missing");
	return found && done;
}

/* fd asks the generic netlink controller for its own family ("nlctrl"). */
static int finds_nlctrl(int fd, char *why, size_t size)
{
	struct genlmsghdr g = { .cmd = CTRL_CMD_GETFAMILY, .version = 1 };
	char buf[8192];
	const struct nlattr *id;
	struct nlmsghdr *nlh;
	ssize_t n;

	if (request(fd, GENL_ID_CTRL, 0, 5, &g, sizeof(g),
		    CTRL_ATTR_FAMILY_NAME, "nlctrl", 7)) {
		snprintf(why, size, "send: %s", strerror(errno));
		return 0;
	}
	if (!fd_readable(fd, TIMEOUT_MS) ||
	    (n = recv(fd, buf, sizeof(buf), 0)) <= 0) {
		snprintf(why, size, "no reply");
		return 0;
	}
	nlh = (struct nlmsghdr *)buf;
	if (!NLMSG_OK(nlh, n) || nlh->nlmsg_type != GENL_ID_CTRL) {
		snprintf(why, size, "reply of type %u",
			 NLMSG_OK(nlh, n) ? nlh->nlmsg_type : 0);
		return 0;
	}
	id = attr_of((char *)NLMSG_DATA(nlh) + GENL_HDRLEN,
		     (char *)nlh + nlh->nlmsg_len, CTRL_ATTR_FAMILY_ID);
	snprintf(why, size, "family id %u, port id %u",
		 id ? *(const uint16_t *)((const char *)id + NLA_HDRLEN) : 0,
		 portid_of(fd));
	return id && *(const uint16_t *)((const char *)id + NLA_HDRLEN) ==
			     GENL_ID_CTRL;
}

/* Adds (RTM_NEWADDR) or removes 127.0.0.9/32 on lo through fd: its ack's error. */
static int change_address(int fd, uint16_t type)
{
	struct ifaddrmsg ifa = { .ifa_family = AF_INET,
				 .ifa_prefixlen = 32,
				 .ifa_index = if_nametoindex("lo") };
	uint32_t addr = htonl(0x7f000009);
	char buf[4096];
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	ssize_t n;

	if (request(fd, type,
		    NLM_F_ACK | (type == RTM_NEWADDR ? NLM_F_CREATE : 0), 9,
		    &ifa, sizeof(ifa), IFA_LOCAL, &addr, sizeof(addr)))
		return -errno;
	if (!fd_readable(fd, TIMEOUT_MS) ||
	    (n = recv(fd, buf, sizeof(buf), 0)) <= 0)
		return -ETIMEDOUT;
	if (!NLMSG_OK(nlh, n) || nlh->nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	return ((struct nlmsgerr *)NLMSG_DATA(nlh))->error;
}

/* fd gets the RTM_NEWADDR notification of 127.0.0.9, with its group as pktinfo. */
static int notified(int fd, char *why, size_t size)
{
	char buf[8192], control[CMSG_SPACE(sizeof(struct nl_pktinfo))];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = control,
			      .msg_controllen = sizeof(control) };
	struct nlmsghdr *nlh = (struct nlmsghdr *)buf;
	struct cmsghdr *cmsg;
	uint32_t group = 0;
	ssize_t n;

	while (fd_readable(fd, TIMEOUT_MS)) {
		msg.msg_controllen = sizeof(control);
		n = recvmsg(fd, &msg, 0);
		if (n <= 0)
			break;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg;
		     cmsg = CMSG_NXTHDR(&msg, cmsg))
			if (cmsg->cmsg_level == SOL_NETLINK &&
			    cmsg->cmsg_type == NETLINK_PKTINFO)
				group = ((struct nl_pktinfo *)CMSG_DATA(cmsg))
						->group;
		if (NLMSG_OK(nlh, n) && nlh->nlmsg_type == RTM_NEWADDR) {
			snprintf(why, size, "RTM_NEWADDR of group %u", group);
			return group == RTNLGRP_IPV4_IFADDR;
		}
	}
	snprintf(why, size, "no RTM_NEWADDR");
	return 0;
}

static int serve(const char *go)
{
	char before[NR_FDS][512], after[512], why[128];
	uint32_t portid;
	int i, err;

	make(SOCK_RAW, NETLINK_ROUTE, 3);
	set_int_opt(3, SOL_NETLINK, NETLINK_PKTINFO, 1);
	set_int_opt(3, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	set_int_opt(3, SOL_NETLINK, NETLINK_GET_STRICT_CHK, 1);
	set_int_opt(3, SOL_NETLINK, NETLINK_NO_ENOBUFS, 1);
	set_int_opt(3, SOL_NETLINK, NETLINK_BROADCAST_ERROR, 1);
	set_int_opt(3, SOL_SOCKET, SO_RCVBUF, 65536);
	bind_to(3, 0, RTMGRP_LINK | RTMGRP_IPV4_IFADDR);
	set_int_opt(3, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, GROUP_ABOVE_32);

	make(SOCK_RAW, NETLINK_ROUTE, 4);
	set_int_opt(4, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	set_int_opt(4, SOL_SOCKET, SO_PASSCRED, 1);
	bind_to(4, 0x7f000000 + getpid(), 0);
	{
		struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };

		if (connect(4, (struct sockaddr *)&kernel, sizeof(kernel)))
			die("connect");
	}

	make(SOCK_DGRAM, NETLINK_GENERIC, 5);

	make(SOCK_RAW, NETLINK_GENERIC, 6);
	if (root)
		set_int_opt(6, SOL_NETLINK, NETLINK_LISTEN_ALL_NSID, 1);
	if (!finds_nlctrl(6, why, sizeof(why)))
		die(why);

	make(SOCK_RAW, NETLINK_ROUTE, 7);
	set_int_opt(7, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
		    RTNLGRP_IPV6_IFADDR);

	for (i = 0; i < NR_FDS; i++)
		state_of(FIRST_FD + i, before[i], sizeof(before[i]));
	portid = portid_of(3);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	for (i = 0; i < NR_FDS; i++) {
		state_of(FIRST_FD + i, after, sizeof(after));
		check(names[i], !strcmp(before[i], after), "%s (was %s)", after,
		      before[i]);
	}
	check("tgid-portid", portid == (uint32_t)getpid(),
	      "fd 3 autobound to %u, tgid %d", portid, getpid());
	check("route-dump", dumps_lo(3, why, sizeof(why)), "%s", why);
	check("generic-unbound-works", finds_nlctrl(5, why, sizeof(why)), "%s",
	      why);
	check("generic-autobound-works", finds_nlctrl(6, why, sizeof(why)),
	      "%s", why);
	if (root) {
		err = change_address(4, RTM_NEWADDR);
		check("route-connected-works", !err,
		      "RTM_NEWADDR 127.0.0.9 on lo: %d", err);
		check("route-notified", !err && notified(3, why, sizeof(why)),
		      "%s", why);
		err = change_address(4, RTM_DELADDR);
		check("route-connected-deletes", !err,
		      "RTM_DELADDR 127.0.0.9 on lo: %d", err);
	}
	return check_exit_status();
}

static int refused(const char *kind, const char *go)
{
	struct ifinfomsg ifm = { .ifi_family = AF_UNSPEC,
				 .ifi_index = if_nametoindex("lo") };
	int fd;

	if (!strcmp(kind, "protocol")) {
		fd = make(SOCK_RAW, NETLINK_FIB_LOOKUP, 3);
	} else {
		fd = make(SOCK_RAW, NETLINK_ROUTE, 3);
		if (request(fd, RTM_GETLINK,
			    strcmp(kind, "dump") ? 0 : NLM_F_DUMP, 1, &ifm,
			    sizeof(ifm), 0, NULL, 0))
			die("send");
		if (!fd_readable(fd, TIMEOUT_MS))
			die("no reply");
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	check("kept-running", !strcmp(kind, "protocol") || fd_readable(fd, 0),
	      "fd 3 still has its %s", kind);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	char go[PATH_MAX];

	if (argc == 3 &&
	    (!strcmp(argv[1], "serve") || !strcmp(argv[1], "user"))) {
		root = !strcmp(argv[1], "serve");
		snprintf(go, sizeof(go), "%s/go", argv[2]);
		return serve(go);
	}
	if (argc == 4 && !strcmp(argv[1], "hold")) {
		snprintf(go, sizeof(go), "%s/go", argv[3]);
		bind_to(make(SOCK_RAW, NETLINK_ROUTE, 3),
			strtoul(argv[2], NULL, 0), 0);
		printf("READY\n");
		fflush(stdout);
		wait_for(go);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "refused")) {
		snprintf(go, sizeof(go), "%s/go", argv[3]);
		return refused(argv[2], go);
	}
	fprintf(stderr,
		"usage: netlink_sockets serve|user DIR | refused unread|dump|protocol DIR | hold PORTID DIR\n");
	return 2;
}
