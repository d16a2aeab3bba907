// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for the datagrams a UDP (UDP-Lite) socket has
 * yet to read, as net/ipv4/udp.c and net/ipv6/udp.c leave them queued and
 * read them: udp_recvmsg() takes them from the socket's reader_queue, and
 * when it runs dry splices sk_receive_queue, where __udp_enqueue_schedule_skb()
 * puts them, into it: oldest first, the reader_queue, then sk_receive_queue.
 * A queued skb's data is the UDP payload (the header pulled), its length
 * is udp_skb_len(), whether its checksum still needs checking is
 * udp_skb_csum_unnecessary() (both kept in skb->dev_scratch), its sender
 * ip_hdr() or ipv6_hdr() (by skb->protocol: an IPv4 datagram on an IPv6
 * socket is v4-mapped by udpv6_recvmsg()) and udp_hdr(), its scope
 * inet6_iif() (IP6CB's iif), its arrival time skb->tstamp.
 *
 * A restart builds each skb so, with its checksum checked (the checkpoint
 * leaves out a datagram whose checksum is wrong, which a read would drop),
 * and queues it with __udp_enqueue_schedule_skb(), which charges it to the
 * socket as the receive path does (sk_rmem_alloc, sk_forward_alloc, the
 * memory cgroup) and refuses it beyond the receive buffer.
 *
 * Checked at load (udp_queue): a datagram sent over the loopback is read
 * here as it was sent; datagrams queued here, of IPv4 on an IPv4 socket,
 * IPv6 and IPv4 on an IPv6 one, are read by recvmsg() with their bytes,
 * lengths and senders, and the memory they were charged is given back.
 */
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/net.h>
#include <linux/skbuff.h>
#include <linux/udp.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/udp.h>

#include "cpt_compat.h"

int cpt_compat_udp_queue(struct sock *sk, struct sk_buff **skbs, unsigned int max,
			 unsigned int *nr)
{
	struct sk_buff_head *reader = &udp_sk(sk)->reader_queue;
	struct sk_buff_head *queue = &sk->sk_receive_queue;
	struct sk_buff *skb;
	unsigned int n = 0;

	/* udp_recvmsg()'s order (__skb_recv_udp()): the reader_queue's lock first. */
	spin_lock_bh(&reader->lock);
	spin_lock(&queue->lock);
	*nr = skb_queue_len(reader) + skb_queue_len(queue);
	if (*nr <= max) {
		skb_queue_walk(reader, skb)
			skbs[n++] = skb_get(skb);
		skb_queue_walk(queue, skb)
			skbs[n++] = skb_get(skb);
	}
	spin_unlock(&queue->lock);
	spin_unlock_bh(&reader->lock);
	return *nr <= max ? 0 : -EAGAIN;
}

/* Whether a read would find its checksum right, as udp_recvmsg() checks it. */
static bool cpt_udp_csum_ok(struct sk_buff *skb)
{
	u32 cov = UDP_SKB_CB(skb)->cscov;

	if (udp_skb_csum_unnecessary(skb))
		return true;
	/* __udp_lib_checksum_complete(), without caching what it found in skb. */
	if (cov > skb->len)
		cov = skb->len;
	return !csum_fold(skb_checksum(skb, 0, cov, skb->csum));
}

int cpt_compat_udp_read(struct sk_buff *skb, struct cpt_udp_dgram *d, u8 *data)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&d->source;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&d->source;

	memset(d, 0, sizeof(*d));
	if (skb_is_gso(skb)) {
		d->unsaved = "a train of datagrams UDP_GRO joined";
		return 0;
	}
	if (udp_skb_len(skb) != skb->len || skb->len > CPT_UDP_MAX_PAYLOAD) {
		d->unsaved = "a datagram of an unknown layout";
		return 0;
	}
	d->len = skb->len;
	d->truesize = skb->truesize;
	d->tstamp = ktime_to_ns(skb->tstamp);
	d->csum_bad = !cpt_udp_csum_ok(skb);
	if (skb->protocol == htons(ETH_P_IP)) {
		sin->sin_family = AF_INET;
		sin->sin_port = udp_hdr(skb)->source;
		sin->sin_addr.s_addr = ip_hdr(skb)->saddr;
		d->source_len = sizeof(*sin);
	} else if (skb->protocol == htons(ETH_P_IPV6)) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = udp_hdr(skb)->source;
		sin6->sin6_addr = ipv6_hdr(skb)->saddr;
		sin6->sin6_scope_id = ipv6_iface_scope_id(&sin6->sin6_addr, inet6_iif(skb));
		d->source_len = sizeof(*sin6);
	} else {
		d->unsaved = "a datagram of neither IPv4 nor IPv6";
		return 0;
	}
	return skb_copy_bits(skb, 0, data, d->len);
}

/* The network and UDP headers of a datagram, to its receiver: only what a read looks at. */
static void cpt_udp_headers(struct sk_buff *skb, const struct cpt_udp_dgram *d,
			    const struct sockaddr *local)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&d->source;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&d->source;
	const struct sockaddr_in6 *to6 = (const struct sockaddr_in6 *)local;
	bool v4 = d->source.ss_family == AF_INET;
	struct ipv6hdr *ip6;
	struct udphdr *uh;
	struct iphdr *iph;

	uh = skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = v4 ? sin->sin_port : sin6->sin6_port;
	uh->dest = local->sa_family == AF_INET ? ((const struct sockaddr_in *)local)->sin_port :
		   to6->sin6_port;
	uh->len = htons(d->len + sizeof(*uh));
	uh->check = 0;
	if (v4) {
		iph = skb_push(skb, sizeof(*iph));
		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = sizeof(*iph) / 4;
		iph->tot_len = htons(skb->len);
		iph->ttl = IPDEFTTL;
		iph->protocol = IPPROTO_UDP;
		iph->saddr = sin->sin_addr.s_addr;
		if (local->sa_family == AF_INET)
			iph->daddr = ((const struct sockaddr_in *)local)->sin_addr.s_addr;
		else if (ipv6_addr_v4mapped(&to6->sin6_addr))
			iph->daddr = to6->sin6_addr.s6_addr32[3];
		skb->protocol = htons(ETH_P_IP);
	} else {
		ip6 = skb_push(skb, sizeof(*ip6));
		memset(ip6, 0, sizeof(*ip6));
		ip6->version = 6;
		ip6->payload_len = htons(skb->len - sizeof(*ip6));
		ip6->nexthdr = IPPROTO_UDP;
		ip6->hop_limit = IPV6_DEFAULT_HOPLIMIT;
		ip6->saddr = sin6->sin6_addr;
		ip6->daddr = to6->sin6_addr;
		skb->protocol = htons(ETH_P_IPV6);
	}
	skb_reset_network_header(skb);
	__skb_pull(skb, skb_transport_offset(skb) + sizeof(*uh));
}

/* Room for the headers cpt_udp_headers() writes; payloads past a page go to pages. */
#define CPT_UDP_HEADROOM (sizeof(struct ipv6hdr) + sizeof(struct udphdr))
#define CPT_UDP_LINEAR_MAX \
	(PAGE_SIZE - CPT_UDP_HEADROOM - SKB_DATA_ALIGN(sizeof(struct skb_shared_info)))

int cpt_compat_udp_enqueue(struct sock *sk, const struct cpt_udp_dgram *d, const u8 *data,
			   const struct sockaddr *local)
{
	u32 linear = d->len <= CPT_UDP_LINEAR_MAX ? d->len : 0;
	struct sk_buff *skb;
	int ret;

	if (d->len > CPT_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	skb = alloc_skb_with_frags(CPT_UDP_HEADROOM + linear, d->len - linear, 0, &ret,
				   GFP_KERNEL_ACCOUNT);
	if (!skb)
		return ret;
	skb_reserve(skb, CPT_UDP_HEADROOM);
	skb_put(skb, linear);
	skb->data_len = d->len - linear;
	skb->len += d->len - linear;
	ret = skb_store_bits(skb, 0, data, d->len);
	if (ret) {
		kfree_skb(skb);
		return ret;
	}
	cpt_udp_headers(skb, d, local);
	memset(skb->cb, 0, sizeof(skb->cb));
	UDP_SKB_CB(skb)->cscov = d->len;
	if (d->source.ss_family == AF_INET6)
		IP6CB(skb)->iif = ((const struct sockaddr_in6 *)&d->source)->sin6_scope_id;
	/* Checked when it was saved. */
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	skb->tstamp = ns_to_ktime(d->tstamp);
	/* Charged what it was, never less than what it takes. */
	if (d->truesize > skb->truesize)
		skb->truesize = d->truesize;
	/* As from the receive softirq, whose locks (the busylocks) it takes. */
	local_bh_disable();
	ret = __udp_enqueue_schedule_skb(sk, skb);
	local_bh_enable();
	if (ret)
		kfree_skb(skb);
	return ret;
}

/* ---- the load check ---- */

static int cpt_udp_check_socket(int family, struct socket **sock)
{
	return sock_create_kern(&init_net, family, SOCK_DGRAM, IPPROTO_UDP, sock);
}

/* Reads one datagram from sock: its bytes into buf, its sender into from. */
static int cpt_udp_check_recv(struct socket *sock, void *buf, size_t size,
			      struct sockaddr_storage *from)
{
	struct msghdr msg = { .msg_name = from, .msg_namelen = sizeof(*from) };
	struct kvec vec = { buf, size };

	memset(from, 0, sizeof(*from));
	return kernel_recvmsg(sock, &msg, &vec, 1, size, MSG_DONTWAIT);
}

/*
 * A datagram from source queued here is read back by recvmsg() as queued,
 * from expect (source, or its v4-mapped form on an IPv6 socket), and its
 * memory given back.
 */
static int cpt_udp_check_queued(int family, const struct sockaddr *source,
				const struct sockaddr *expect, const char *what)
{
	static const u8 payload[] = "cpt udp_queue";
	struct sockaddr_in6 local = { .sin6_family = family };
	struct cpt_udp_dgram d = { .len = sizeof(payload), .truesize = 4096 };
	struct sockaddr_storage from, want = {};
	struct socket *sock;
	u8 buf[32];
	int ret;

	memcpy(&d.source, source, source->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
			  sizeof(struct sockaddr_in6));
	memcpy(&want, expect, expect->sa_family == AF_INET ? sizeof(struct sockaddr_in) :
			      sizeof(struct sockaddr_in6));
	ret = cpt_udp_check_socket(family, &sock);
	if (ret)
		return cpt_compat_untested("cannot make a UDP socket (%d)", ret);
	ret = cpt_compat_udp_enqueue(sock->sk, &d, payload, (struct sockaddr *)&local);
	if (ret) {
		sock_release(sock);
		return cpt_compat_fail("%s: cannot queue a datagram (%d)", what, ret);
	}
	if (atomic_read(&sock->sk->sk_rmem_alloc) != 4096) {
		ret = atomic_read(&sock->sk->sk_rmem_alloc);
		sock_release(sock);
		return cpt_compat_fail("%s: charged %d bytes, not 4096", what, ret);
	}
	ret = cpt_udp_check_recv(sock, buf, sizeof(buf), &from);
	if (ret == sizeof(payload) && !memcmp(buf, payload, ret) &&
	    !memcmp(&from, &want, sizeof(from)) && !atomic_read(&sock->sk->sk_rmem_alloc))
		ret = 0;
	else
		ret = cpt_compat_fail("%s: read %d bytes, from %pISpc, %d left charged", what, ret,
				      &from, atomic_read(&sock->sk->sk_rmem_alloc));
	sock_release(sock);
	return ret;
}

int cpt_udp_check_pair(struct socket **rx, struct socket **tx, struct sockaddr_in *to,
		       struct sockaddr_in *from)
{
	struct sockaddr_in lo = {
		.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)
	};
	int ret;

	ret = cpt_udp_check_socket(AF_INET, rx);
	if (ret)
		return ret;
	ret = cpt_udp_check_socket(AF_INET, tx);
	if (ret) {
		sock_release(*rx);
		return ret;
	}
	ret = kernel_bind(*rx, (struct sockaddr *)&lo, sizeof(lo)) ?:
	      kernel_bind(*tx, (struct sockaddr *)&lo, sizeof(lo));
	if (!ret && (kernel_getsockname(*rx, (struct sockaddr *)to) < 0 ||
		     kernel_getsockname(*tx, (struct sockaddr *)from) < 0))
		ret = -EIO;
	if (ret) {
		sock_release(*tx);
		sock_release(*rx);
	}
	return ret;
}

/* A datagram sent over the loopback reads here as sent; untested without a loopback. */
static int cpt_udp_check_sent(void)
{
	struct sockaddr_in to, from;
	struct socket *rx, *tx;
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to) };
	struct kvec vec = { (void *)"cpt", 3 };
	struct cpt_udp_dgram d;
	struct sk_buff *skb;
	unsigned int nr = 0, i;
	u8 data[4];
	int ret;

	ret = cpt_udp_check_pair(&rx, &tx, &to, &from);
	if (ret)
		return cpt_compat_untested("cannot make two UDP sockets on the loopback (%d)", ret);
	ret = kernel_sendmsg(tx, &msg, &vec, 1, 3) == 3 ? 0 : -EIO;
	for (i = 0; !ret && i < 100 && !nr; i++) {
		ret = cpt_compat_udp_queue(rx->sk, &skb, 1, &nr);
		if (!nr)
			usleep_range(1000, 2000);
	}
	if (ret || !nr) {
		ret = cpt_compat_untested("no datagram over the loopback (%d)", ret);
		goto out;
	}
	ret = cpt_compat_udp_read(skb, &d, data);
	kfree_skb(skb);
	if (ret || d.unsaved || d.csum_bad || d.len != 3 || memcmp(data, "cpt", 3) ||
	    d.source_len != sizeof(from) || memcmp(&d.source, &from, sizeof(from)) ||
	    d.truesize > (u32)atomic_read(&rx->sk->sk_rmem_alloc))
		ret = cpt_compat_fail("%s reads as %u bytes from %pISpc (%s, %d)",
				      "a datagram over the loopback", d.len, &d.source,
				      d.unsaved ?: d.csum_bad ? "bad checksum" : "", ret);
out:
	sock_release(tx);
	sock_release(rx);
	return ret;
}

int cpt_check_udp_queue(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7),
				   .sin_addr.s_addr = htonl(0xc0000201) };
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6, .sin6_port = htons(9),
				     .sin6_addr.s6_addr32[0] = htonl(0xfe800000),
				     .sin6_addr.s6_addr32[3] = htonl(1), .sin6_scope_id = 1 };
	struct sockaddr_in6 mapped = { .sin6_family = AF_INET6, .sin6_port = sin.sin_port };

	BUILD_BUG_ON(CPT_UDP_MAX_PAYLOAD > U16_MAX);
	ipv6_addr_set_v4mapped(sin.sin_addr.s_addr, &mapped.sin6_addr);
	return cpt_udp_check_queued(AF_INET, (struct sockaddr *)&sin, (struct sockaddr *)&sin,
				    "IPv4") ?:
	       cpt_udp_check_queued(AF_INET6, (struct sockaddr *)&sin6,
				    (struct sockaddr *)&sin6, "IPv6") ?:
	       cpt_udp_check_queued(AF_INET6, (struct sockaddr *)&sin,
				    (struct sockaddr *)&mapped, "IPv4 on IPv6") ?:
	       cpt_udp_check_sent();
}
