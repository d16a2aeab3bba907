// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for netlink sockets: what a checkpoint reads of
 * a netlink socket that neither getsockname(), getpeername() nor
 * getsockopt(SOL_NETLINK) gives. net/netlink/af_netlink.h keeps struct
 * netlink_sock private: its flags word (NETLINK_F_*, the options; 6.1's
 * getsockopt() has no NETLINK_LISTEN_ALL_NSID) and cb_running (a dump in
 * progress, which the socket's next reads would go on with, and which a
 * restart cannot make again). The copy below is its head, up to
 * cb_running, as 6.1 lays it out.
 *
 * Checked at load (netlink_sock): on a NETLINK_ROUTE socket made here,
 * portid reads back as getsockname() gives it, each option set with
 * setsockopt() reads back as its bit of flags and no other, cb_running is
 * false, and true once an RTM_GETLINK dump is asked for and not read (the
 * loopback device alone fills its first message).
 */
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "cpt_compat.h"

/* net/netlink/af_netlink.h's flags, by bit. */
enum {
	CPT_NETLINK_F_KERNEL_SOCKET,
	CPT_NETLINK_F_RECV_PKTINFO,
	CPT_NETLINK_F_BROADCAST_SEND_ERROR,
	CPT_NETLINK_F_RECV_NO_ENOBUFS,
	CPT_NETLINK_F_LISTEN_ALL_NSID,
	CPT_NETLINK_F_CAP_ACK,
	CPT_NETLINK_F_EXT_ACK,
	CPT_NETLINK_F_STRICT_CHK,
};

/* The head of net/netlink/af_netlink.h's struct netlink_sock. */
struct cpt_netlink_sock {
	struct sock sk;
	unsigned long flags;
	u32 portid;
	u32 dst_portid;
	u32 dst_group;
	u32 subscriptions;
	u32 ngroups;
	unsigned long *groups;
	unsigned long state;
	size_t max_recvmsg_len;
	wait_queue_head_t wait;
	bool bound;
	bool cb_running;
};

static const struct cpt_netlink_sock *cpt_nlk(const struct sock *sk)
{
	return container_of(sk, struct cpt_netlink_sock, sk);
}

/* Each option's setsockopt() name and its bit in flags. */
static const struct {
	int name;
	unsigned int bit;
} cpt_netlink_flags[] = {
	{ NETLINK_PKTINFO, CPT_NETLINK_F_RECV_PKTINFO },
	{ NETLINK_BROADCAST_ERROR, CPT_NETLINK_F_BROADCAST_SEND_ERROR },
	{ NETLINK_NO_ENOBUFS, CPT_NETLINK_F_RECV_NO_ENOBUFS },
	{ NETLINK_LISTEN_ALL_NSID, CPT_NETLINK_F_LISTEN_ALL_NSID },
	{ NETLINK_CAP_ACK, CPT_NETLINK_F_CAP_ACK },
	{ NETLINK_EXT_ACK, CPT_NETLINK_F_EXT_ACK },
	{ NETLINK_GET_STRICT_CHK, CPT_NETLINK_F_STRICT_CHK },
};

void cpt_compat_netlink_state(struct sock *sk, struct cpt_netlink_state *st)
{
	unsigned long flags = READ_ONCE(cpt_nlk(sk)->flags);
	unsigned int i;

	st->opts = 0;
	for (i = 0; i < ARRAY_SIZE(cpt_netlink_flags); i++)
		if (flags & BIT(cpt_netlink_flags[i].bit))
			st->opts |= BIT(cpt_netlink_flags[i].name);
	st->kernel = flags & BIT(CPT_NETLINK_F_KERNEL_SOCKET);
	st->dumping = READ_ONCE(cpt_nlk(sk)->cb_running);
}

static int cpt_compat_netlink_setsockopt(struct socket *sock, int name, int val)
{
	return sock->ops->setsockopt(sock, SOL_NETLINK, name, KERNEL_SOCKPTR(&val), sizeof(val));
}

/* An RTM_GETLINK dump asked for on sock, not read. */
static int cpt_netlink_ask_dump(struct socket *sock)
{
	struct {
		struct nlmsghdr nlh;
		struct ifinfomsg ifm;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req), .nlmsg_type = RTM_GETLINK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1,
		},
		.ifm = { .ifi_family = AF_UNSPEC },
	};
	struct kvec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = {};
	int ret;

	ret = kernel_sendmsg(sock, &msg, &iov, 1, sizeof(req));
	return ret == sizeof(req) ? 0 : ret < 0 ? ret : -EIO;
}

/* Each option read back as set, and no other: 0, or the check's outcome. */
static int cpt_netlink_check_flags(struct socket *sock)
{
	struct cpt_netlink_state st;
	unsigned int i;
	int err;

	for (i = 0; i < ARRAY_SIZE(cpt_netlink_flags); i++) {
		err = cpt_compat_netlink_setsockopt(sock, cpt_netlink_flags[i].name, 1);
		if (err)
			return cpt_compat_untested("cannot set netlink option %d (%d)",
						   cpt_netlink_flags[i].name, err);
		cpt_compat_netlink_state(sock->sk, &st);
		if (st.opts != BIT(cpt_netlink_flags[i].name))
			return cpt_compat_fail("option %d reads back as %#x",
					       cpt_netlink_flags[i].name, st.opts);
		err = cpt_compat_netlink_setsockopt(sock, cpt_netlink_flags[i].name, 0);
		if (err)
			return cpt_compat_untested("cannot unset netlink option %d (%d)",
						   cpt_netlink_flags[i].name, err);
	}
	return 0;
}

int cpt_check_netlink_sock(void)
{
	struct cpt_netlink_state st;
	struct sockaddr_nl addr;
	struct socket *sock;
	u32 portid;
	int ret;

	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE, &sock);
	if (ret)
		return cpt_compat_untested("cannot make a NETLINK_ROUTE socket (%d)", ret);
	ret = cpt_netlink_check_flags(sock);
	cpt_compat_netlink_state(sock->sk, &st);
	if (!ret && (st.dumping || st.kernel || st.opts))
		ret = cpt_compat_fail("a new socket reads as dumping %d, kernel %d, options %#x",
				      st.dumping, st.kernel, st.opts);
	if (!ret && cpt_netlink_ask_dump(sock))
		ret = cpt_compat_untested("cannot ask for an RTM_GETLINK dump");
	cpt_compat_netlink_state(sock->sk, &st);
	if (!ret && !st.dumping)
		ret = cpt_compat_fail("cb_running is not set while an RTM_GETLINK dump is unread");
	portid = READ_ONCE(cpt_nlk(sock->sk)->portid);
	if (!ret && (kernel_getsockname(sock, (struct sockaddr *)&addr) < 0 ||
		     addr.nl_pid != portid || !portid))
		ret = cpt_compat_fail("portid %u is not getsockname()'s %u", portid, addr.nl_pid);
	sock_release(sock);
	return ret;
}
