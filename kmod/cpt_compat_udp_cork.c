// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for the data a UDP (UDP-Lite) socket holds
 * corked, as net/ipv4/udp.c and net/ipv6/udp.c cork it under the socket's
 * lock: udp_sk()->pending is the family of the corked datagram (0: none;
 * AF_INET on an IPv6 socket for a v4-mapped destination), udp_sk()->len
 * its length with the UDP header, UDP_FLAGS_CORK whether UDP_CORK is set.
 * Its destination and source are inet->cork.fl (udp_sendmsg() copies
 * daddr, saddr and both ports into fl.u.ip4; ip6_append_data() the whole
 * flowi6), what the send's control messages chose is in inet->cork.base
 * (ip_setup_cork(), ip6_setup_cork()) and inet6_sk()->cork, and the data
 * is on sk_write_queue: each skb's payload from its transport header on
 * (ip_append_data() and ip6_append_data() move a fragment's tail to the
 * next skb), past the UDP header's room in the first.
 *
 * Checked at load (udp_cork): data corked here with MSG_MORE, to the
 * loopback, reads back as sent, with its destination and source, and
 * cpt_compat_sock_corked() sees it; sent on, one datagram of it all
 * reaches its receiver, and nothing is seen corked.
 */
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/udp.h>

#include "cpt_compat.h"

/* addr:port, in the socket's family (v4-mapped on an IPv6 socket). */
static void cpt_udp_cork_v4(struct sockaddr_storage *ss, int family, __be32 addr, __be16 port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = addr;
		return;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	ipv6_addr_set_v4mapped(addr, &sin6->sin6_addr);
}

static void cpt_udp_cork_v6(struct sockaddr_storage *ss, const struct in6_addr *addr,
			    __be16 port, int oif)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	sin6->sin6_addr = *addr;
	/* As sendto() names a link-local destination: with its interface. */
	if (__ipv6_addr_needs_scope_id(__ipv6_addr_type(addr)))
		sin6->sin6_scope_id = oif;
}

/* What the send's control messages (or sticky options) gave the cork that a send cannot again. */
static const char *cpt_udp_cork_unsaved(struct sock *sk, int family)
{
	const struct inet_cork *base = &inet_sk(sk)->cork.base;
	struct ipv6_pinfo *np = inet6_sk(sk);
	struct flowi6 fl6;

	if (base->gso_size)
		return "UDP_SEGMENT";
	/* ip_setup_cork()'s alone: ip6_setup_cork() leaves them as they were. */
	if (family == AF_INET && (base->flags & IPCORK_OPT))
		return "IP options";
	if (family == AF_INET && base->ttl)
		return "IP_TTL given with the send";
	if (family == AF_INET && base->tos != -1)
		return "IP_TOS given with the send";
	if (family == AF_INET && base->priority)
		return "SO_PRIORITY given with the send";
	if (base->mark != READ_ONCE(sk->sk_mark))
		return "SO_MARK given with the send";
	if (base->transmit_time)
		return "SCM_TXTIME";
	if (base->tx_flags)
		return "SO_TIMESTAMPING";
	if (family != AF_INET6)
		return NULL;
	fl6 = inet_sk(sk)->cork.fl.u.ip6;
	if (np->cork.opt)
		return "IPv6 extension headers";
	if (fl6.flowlabel & IPV6_FLOWLABEL_MASK)
		return "an IPv6 flow label";
	if (np->cork.tclass != np->tclass)
		return "IPV6_TCLASS given with the send";
	if (!base->dst || np->cork.hop_limit != ip6_sk_dst_hoplimit(np, &fl6, base->dst))
		return "IPV6_HOPLIMIT given with the send";
	return NULL;
}

/* The payload on sk_write_queue, into data; false if it is not laid out as it should be. */
static bool cpt_udp_cork_data(struct sock *sk, u8 *data, u32 *len)
{
	struct sk_buff *skb;
	u32 total = 0;
	int off;

	skb_queue_walk(&sk->sk_write_queue, skb) {
		off = skb_transport_offset(skb);
		if (skb == skb_peek(&sk->sk_write_queue))
			off += sizeof(struct udphdr);
		if (off < 0 || off > skb->len || skb_zcopy(skb) ||
		    skb->len - off > CPT_UDP_MAX_PAYLOAD - total ||
		    skb_copy_bits(skb, off, data + total, skb->len - off))
			return false;
		total += skb->len - off;
	}
	*len = total;
	return total + sizeof(struct udphdr) == udp_sk(sk)->len &&
	       inet_sk(sk)->cork.base.length == udp_sk(sk)->len;
}

void cpt_compat_udp_cork(struct sock *sk, struct cpt_udp_cork *c, u8 *data)
{
	struct inet_sock *inet = inet_sk(sk);
	const struct flowi4 *fl4 = &inet->cork.fl.u.ip4;
	const struct flowi6 *fl6 = &inet->cork.fl.u.ip6;

	memset(c, 0, sizeof(*c));
	lock_sock(sk);
	c->corkflag = udp_test_bit(CORK, sk);
	c->family = udp_sk(sk)->pending;
	if (!c->family)
		goto out;
	if (c->family == AF_INET) {
		cpt_udp_cork_v4(&c->dest, sk->sk_family, fl4->daddr, fl4->fl4_dport);
		cpt_udp_cork_v4(&c->source, sk->sk_family, fl4->saddr, fl4->fl4_sport);
	} else if (c->family == AF_INET6 && sk->sk_family == AF_INET6) {
		cpt_udp_cork_v6(&c->dest, &fl6->daddr, fl6->fl6_dport, fl6->flowi6_oif);
		cpt_udp_cork_v6(&c->source, &fl6->saddr, fl6->fl6_sport, fl6->flowi6_oif);
	} else {
		c->unsaved = "data corked for an unknown family";
		goto out;
	}
	c->unsaved = cpt_udp_cork_unsaved(sk, c->family);
	if (!c->unsaved && !cpt_udp_cork_data(sk, data, &c->len))
		c->unsaved = "corked data of an unknown layout";
out:
	release_sock(sk);
}

/*
 * Whether a UDP, ping or raw socket holds data corked, read without its
 * lock (its sender may sleep holding it): udp_sk()->pending, set before
 * the first corked append, or the frames on sk_write_queue, where
 * ip_append_data() and ip6_append_data() keep them for all three.
 */
bool cpt_compat_sock_corked(struct sock *sk)
{
	if (sk->sk_type == SOCK_DGRAM &&
	    (sk->sk_protocol == IPPROTO_UDP || sk->sk_protocol == IPPROTO_UDPLITE) &&
	    READ_ONCE(udp_sk(sk)->pending))
		return true;
	return !skb_queue_empty_lockless(&sk->sk_write_queue);
}

/* ---- the load check ---- */

static int cpt_udp_cork_send(struct socket *sock, struct sockaddr_in *to, const char *text,
			     int flags)
{
	struct msghdr msg = { .msg_name = to, .msg_namelen = sizeof(*to),
			      .msg_flags = flags | MSG_DONTWAIT };
	struct kvec vec = { (void *)text, strlen(text) };

	return kernel_sendmsg(sock, &msg, &vec, 1, vec.iov_len) == vec.iov_len ? 0 : -EIO;
}

int cpt_check_udp_cork(void)
{
	struct sockaddr_in to, from;
	struct socket *rx, *tx;
	struct cpt_udp_cork c;
	struct msghdr msg = {};
	struct kvec vec;
	int ret, i;
	u8 *data;

	/* What cpt_compat_udp_cork() may write, whatever it finds. */
	data = kvmalloc(CPT_UDP_MAX_PAYLOAD, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	ret = cpt_udp_check_pair(&rx, &tx, &to, &from);
	if (ret) {
		kvfree(data);
		return cpt_compat_untested("cannot make two UDP sockets on the loopback (%d)", ret);
	}
	ret = cpt_udp_cork_send(tx, &to, "cpt", MSG_MORE) ?:
	      cpt_udp_cork_send(tx, &to, "udp", MSG_MORE);
	if (ret) {
		ret = cpt_compat_untested("cannot cork data to the loopback (%d)", ret);
		goto out;
	}
	cpt_compat_udp_cork(tx->sk, &c, data);
	if (!cpt_compat_sock_corked(tx->sk) || c.family != AF_INET || c.corkflag || c.unsaved ||
	    c.len != 6 || memcmp(data, "cptudp", 6) || memcmp(&c.dest, &to, sizeof(to)) ||
	    memcmp(&c.source, &from, sizeof(from))) {
		ret = cpt_compat_fail("data corked reads as %u bytes to %pISpc from %pISpc (%s)",
				      c.len, &c.dest, &c.source, c.unsaved ?: "");
		goto out;
	}
	ret = cpt_udp_cork_send(tx, &to, "!", 0) ?: -EAGAIN;
	/* The loopback hands it over in a softirq: wait for it a little. */
	for (i = 0; ret == -EAGAIN && i < 100; i++) {
		vec = (struct kvec){ data, 16 };
		ret = kernel_recvmsg(rx, &msg, &vec, 1, vec.iov_len, MSG_DONTWAIT);
		if (ret == -EAGAIN)
			usleep_range(1000, 2000);
	}
	if (ret != 7 || memcmp(data, "cptudp!", 7) || cpt_compat_sock_corked(tx->sk))
		ret = cpt_compat_fail("data corked, sent on, reads %d bytes", ret);
	else
		ret = 0;
out:
	sock_release(tx);
	sock_release(rx);
	kvfree(data);
	return ret;
}
