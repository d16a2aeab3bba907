// SPDX-License-Identifier: GPL-2.0
/*
 * TCP, UDP, ping and raw sockets' options at a checkpoint: the first one set
 * that a restart would not set again, refused by name, for each protocol;
 * the values of those it does (cpt_inet_opts[], set again by
 * cpt_inet_set_opts()), a raw socket's own (IP_HDRINCL, its ICMP filter),
 * a TCP socket's TCP_DEFER_ACCEPT and TCP_CONGESTION, and the interface a
 * socket is bound to.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/net_tstamp.h>
#include <linux/netdevice.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/raw.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "cpt_compat.h"
#include "cpt_file_inet.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_tcp_hold.h"

/*
 * Receive timestamps a restart cannot give the data already queued: a TCP
 * receive queue comes back through repair (tcp_send_rcvq(): skbs stamped
 * 0, so no timestamp cmsg; SOF_TIMESTAMPING_SOFTWARE reports a stamp any
 * socket's RX_SOFTWARE made); a UDP datagram keeps its software stamp
 * only (cpt_compat_udp_read()): no hardware stamp, no OPT_PKTINFO.
 */
static const char *cpt_inet_rx_tstamp_unrestored(struct sock *sk)
{
	u32 tsflags = READ_ONCE(sk->sk_tsflags);

	if (skb_queue_empty_lockless(&sk->sk_receive_queue))
		return NULL;
	if (cpt_inet_kind(sk) == CPT_INET_TCP &&
	    (sock_flag(sk, SOCK_RCVTSTAMP) ||
	     tsflags & (SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_RX_HARDWARE |
			SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE)))
		return "TCP receive timestamps (SO_TIMESTAMP*) with data unread (when it came)";
	if (cpt_inet_kind(sk) == CPT_INET_UDP &&
	    tsflags & (SOF_TIMESTAMPING_RAW_HARDWARE | SOF_TIMESTAMPING_OPT_PKTINFO))
		return "SOF_TIMESTAMPING_RAW_HARDWARE or OPT_PKTINFO with datagrams queued";
	return NULL;
}

/* The first option set on the socket that a restart would not set again, or NULL. */
const char *cpt_inet_unsaved_option(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	const char *what;

	if (test_bit(SOCK_PASSCRED, &sk->sk_socket->flags))
		return "SO_PASSCRED";
	what = cpt_sock_unsaved_option(sk) ?: cpt_inet_rx_tstamp_unrestored(sk);
	if (what)
		return what;
	if (inet->cmsg_flags)
		return "an IP_PKTINFO-like receive option (IP_RECV*)";
	if (rcu_access_pointer(inet->inet_opt))
		return "IP_OPTIONS";
	if (inet->min_ttl)
		return "IP_MINTTL";
	/*
	 * inet6_create() leaves mc_all clear: IPV6_MULTICAST_ALL is np's. TCP
	 * sends no multicast, and an accepted connection has mc_index and
	 * mc_ttl from its SYN (tcp_v4_syn_recv_sock()): only the groups joined
	 * matter to TCP.
	 */
	if (rcu_access_pointer(inet->mc_list) ||
	    (cpt_inet_kind(sk) != CPT_INET_TCP &&
	     (inet->mc_ttl != 1 || !inet->mc_loop || inet->mc_index || inet->mc_addr ||
	      (sk->sk_family == AF_INET && !inet->mc_all))))
		return "an IPv4 multicast option (IP_MULTICAST_*, IP_ADD_MEMBERSHIP)";
	if (inet->pmtudisc != (READ_ONCE(sock_net(sk)->ipv4.sysctl_ip_no_pmtu_disc) ?
			       IP_PMTUDISC_DONT : IP_PMTUDISC_WANT))
		return "IP_MTU_DISCOVER";
	if (inet->recverr || inet->recverr_rfc4884)
		return "IP_RECVERR";
	if (inet->transparent)
		return "IP_TRANSPARENT";
	if (inet->nodefrag)
		return "IP_NODEFRAG";
	if (inet->bind_address_no_port)
		return "IP_BIND_ADDRESS_NO_PORT";
	if (inet->uc_index)
		return "IP_UNICAST_IF";
	if (inet->local_port_range.lo || inet->local_port_range.hi)
		return "IP_LOCAL_PORT_RANGE";
	return NULL;
}

const char *cpt_inet6_unsaved_option(struct sock *sk)
{
	struct ipv6_pinfo *np = inet6_sk(sk);

	if (!np)
		return NULL;
	if (np->rxopt.all)
		return "an IPV6_RECVPKTINFO-like receive option (IPV6_RECV*)";
	if (rcu_access_pointer(np->opt))
		return "IPv6 extension headers (IPV6_HOPOPTS, IPV6_RTHDR...)";
	/* As IPv4's: an accepted connection has mcast_oif and mcast_hops from its SYN. */
	if (rcu_access_pointer(np->ipv6_mc_list) ||
	    (cpt_inet_kind(sk) != CPT_INET_TCP &&
	     (np->mcast_hops != IPV6_DEFAULT_MCASTHOPS || !np->mc_loop || np->mcast_oif ||
	      !np->mc_all)))
		return "an IPv6 multicast option (IPV6_MULTICAST_*, IPV6_ADD_MEMBERSHIP)";
	if (READ_ONCE(np->ipv6_ac_list))
		return "IPV6_JOIN_ANYCAST";
	if (rcu_access_pointer(np->ipv6_fl_list) || np->sndflow || np->flow_label)
		return "an IPv6 flow label (IPV6_FLOWLABEL_MGR, IPV6_FLOWINFO_SEND)";
	if (np->ucast_oif)
		return "IPV6_UNICAST_IF";
	if (np->pmtudisc != IPV6_PMTUDISC_WANT)
		return "IPV6_MTU_DISCOVER";
	if (np->recverr || np->recverr_rfc4884)
		return "IPV6_RECVERR";
	if (np->srcprefs)
		return "IPV6_ADDR_PREFERENCES";
	if (np->dontfrag)
		return "IPV6_DONTFRAG";
	if (np->autoflowlabel_set)
		return "IPV6_AUTOFLOWLABEL";
	if (np->min_hopcount)
		return "IPV6_MINHOPCOUNT";
	if (np->rtalert_isolate)
		return "IPV6_ROUTER_ALERT_ISOLATE";
	return NULL;
}

const char *cpt_tcp_unsaved_option(struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->linger2)
		return "TCP_LINGER2";
	if (icsk->icsk_user_timeout)
		return "TCP_USER_TIMEOUT";
	if (icsk->icsk_syn_retries)
		return "TCP_SYNCNT";
	if (tp->rx_opt.user_mss)
		return "TCP_MAXSEG";
	if (icsk->icsk_accept_queue.fastopenq.max_qlen || tp->fastopen_connect ||
	    tp->fastopen_no_cookie)
		return "TCP_FASTOPEN";
	if (icsk->icsk_ulp_ops)
		return "TCP_ULP";
	if (tp->thin_lto)
		return "TCP_THIN_LINEAR_TIMEOUTS";
	if (tp->recvmsg_inq)
		return "TCP_INQ";
	if (tp->save_syn)
		return "TCP_SAVE_SYN";
	if (tp->notsent_lowat)
		return "TCP_NOTSENT_LOWAT";
	if (tp->tcp_tx_delay)
		return "TCP_TX_DELAY";
	if (tp->repair)
		return "TCP_REPAIR";
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tp->md5sig_info))
		return "TCP_MD5SIG";
#endif
	return NULL;
}

const char *cpt_udp_unsaved_option(struct sock *sk)
{
	struct udp_sock *up = udp_sk(sk);

	if (up->encap_type || udp_test_bit(ENCAP_ENABLED, sk))
		return "UDP_ENCAP";
	if (up->gso_size)
		return "UDP_SEGMENT";
	if (udp_test_bit(GRO_ENABLED, sk))
		return "UDP_GRO";
	if (udp_test_bit(NO_CHECK6_TX, sk) || udp_test_bit(NO_CHECK6_RX, sk))
		return "UDP_NO_CHECK6_TX/RX";
	if (up->pcflag & (UDPLITE_SEND_CC | UDPLITE_RECV_CC))
		return "UDPLITE_SEND_CSCOV/RECV_CSCOV";
	return NULL;
}

/*
 * What a raw socket has set that is not saved: IPV6_CHECKSUM other than
 * rawv6_init_sk()'s (ICMPv6's at offset 2, the mobility header's at 4,
 * none for other protocols), and what cpt_compat_raw.c finds.
 */
const char *cpt_raw_unsaved_option(struct sock *sk)
{
	const char *what = cpt_compat_raw_unsaved(sk);
	const struct raw6_sock *rp;
	u32 offset;

	if (what || sk->sk_family != AF_INET6)
		return what;
	rp = raw6_sk(sk);
	offset = sk->sk_protocol == IPPROTO_ICMPV6 ? 2 : sk->sk_protocol == IPPROTO_MH ? 4 : 0;
	if (offset ? !rp->checksum || rp->offset != offset : rp->checksum)
		return "IPV6_CHECKSUM";
	return NULL;
}

/*
 * A TCP socket's TCP_DEFER_ACCEPT, as getsockopt() gives it (the seconds of
 * the retransmissions it waits for, which setsockopt() gives back), and
 * the congestion control the program chose (TCP_CONGESTION), by name.
 */
int cpt_tcp_save_opts(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	int defer = 0, ret;

	if (icsk->icsk_accept_queue.rskq_defer_accept) {
		ret = cpt_sock_getsockopt_int(sk->sk_socket, SOL_TCP, TCP_DEFER_ACCEPT, &defer);
		if (ret) {
			cpt_note("fd %u: cannot read its TCP_DEFER_ACCEPT: %d\n", fd, ret);
			return ret;
		}
		cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_DEFER_ACCEPT, defer);
	}
	/* The tree is frozen: nobody changes it meanwhile; its module stays (the socket's). */
	if (icsk->icsk_ca_setsockopt)
		cpt_pb_string(msg, CPT_PB_INET_SOCKET_TCP_CONGESTION, icsk->icsk_ca_ops->name);
	return 0;
}

/* A raw socket's own options: IP_HDRINCL, and its ICMP type filter. */
void cpt_raw_save(struct cpt_pb_buf *msg, struct sock *sk)
{
	struct icmp6_filter filter6;

	/* The tree is frozen: nobody sets them meanwhile (setsockopt() takes no lock). */
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_HDRINCL, inet_sk(sk)->hdrincl);
	if (sk->sk_family == AF_INET && sk->sk_protocol == IPPROTO_ICMP)
		cpt_pb_u64(msg, CPT_PB_INET_SOCKET_ICMP_FILTER, raw_sk(sk)->filter.data);
	if (sk->sk_family != AF_INET6 || sk->sk_protocol != IPPROTO_ICMPV6)
		return;
	filter6 = raw6_sk(sk)->filter;
	if (memchr_inv(&filter6, 0, sizeof(filter6)))
		cpt_pb_bytes(msg, CPT_PB_INET_SOCKET_ICMP6_FILTER, &filter6, sizeof(filter6));
}

/* An option's value (0: the default, not saved). */
u32 cpt_inet_opt_value(struct sock *sk, u32 field)
{
	struct inet_sock *inet = inet_sk(sk);
	struct tcp_sock *tp = tcp_sk(sk);
	bool tcp = cpt_inet_kind(sk) == CPT_INET_TCP;
	struct ipv6_pinfo *np = inet6_sk(sk);

	switch (field) {
	case CPT_PB_INET_SOCKET_REUSEADDR:
		return sk->sk_reuse != SK_NO_REUSE;
	case CPT_PB_INET_SOCKET_REUSEPORT:
		return sk->sk_reuseport;
	case CPT_PB_INET_SOCKET_KEEPALIVE:
		return sock_flag(sk, SOCK_KEEPOPEN);
	case CPT_PB_INET_SOCKET_KEEPIDLE:
		return tcp ? READ_ONCE(tp->keepalive_time) / HZ : 0;
	case CPT_PB_INET_SOCKET_KEEPINTVL:
		return tcp ? READ_ONCE(tp->keepalive_intvl) / HZ : 0;
	case CPT_PB_INET_SOCKET_KEEPCNT:
		return tcp ? READ_ONCE(tp->keepalive_probes) : 0;
	case CPT_PB_INET_SOCKET_NODELAY:
		return tcp && (tp->nonagle & TCP_NAGLE_OFF);
	case CPT_PB_INET_SOCKET_CORK:
		return tcp && (tp->nonagle & TCP_NAGLE_CORK);
	case CPT_PB_INET_SOCKET_RCVBUF:
		return sk->sk_userlocks & SOCK_RCVBUF_LOCK ? READ_ONCE(sk->sk_rcvbuf) : 0;
	case CPT_PB_INET_SOCKET_SNDBUF:
		return sk->sk_userlocks & SOCK_SNDBUF_LOCK ? READ_ONCE(sk->sk_sndbuf) : 0;
	case CPT_PB_INET_SOCKET_LINGER:
		return sock_flag(sk, SOCK_LINGER);
	case CPT_PB_INET_SOCKET_LINGER_SECONDS:
		return READ_ONCE(sk->sk_lingertime) / HZ;
	case CPT_PB_INET_SOCKET_PRIORITY:
		return READ_ONCE(sk->sk_priority);
	case CPT_PB_INET_SOCKET_MARK:
		return READ_ONCE(sk->sk_mark);
	case CPT_PB_INET_SOCKET_FREEBIND:
		return inet->freebind;
	case CPT_PB_INET_SOCKET_TOS:
		return inet->tos;
	case CPT_PB_INET_SOCKET_TTL:
		return inet->uc_ttl < 0 ? 0 : inet->uc_ttl;
	case CPT_PB_INET_SOCKET_V6ONLY:
		/* A raw socket's is the sysctl's, fixed at socket(): not an option. */
		return cpt_inet_kind(sk) == CPT_INET_RAW ? 0 : sk->sk_ipv6only;
	case CPT_PB_INET_SOCKET_RCVLOWAT:
		return READ_ONCE(sk->sk_rcvlowat) == 1 ? 0 : READ_ONCE(sk->sk_rcvlowat);
	case CPT_PB_INET_SOCKET_BROADCAST:
		return sock_flag(sk, SOCK_BROADCAST);
	case CPT_PB_INET_SOCKET_OOBINLINE:
		return sock_flag(sk, SOCK_URGINLINE);
	case CPT_PB_INET_SOCKET_TCLASS:
		return np ? np->tclass : 0;
	case CPT_PB_INET_SOCKET_HOP_LIMIT:
		return np && np->hop_limit > 0 ? np->hop_limit : 0;
	}
	return 0;
}

/* The name of the interface the socket is bound to (SO_BINDTODEVICE), if any. */
int cpt_inet_save_device(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk)
{
	int ifindex = READ_ONCE(sk->sk_bound_dev_if);
	char name[IFNAMSIZ] = "";
	struct net_device *dev;

	if (!ifindex)
		return 0;
	rcu_read_lock();
	dev = dev_get_by_index_rcu(sock_net(sk), ifindex);
	if (dev)
		strscpy(name, dev->name, sizeof(name));
	rcu_read_unlock();
	if (!*name) {
		cpt_note("fd %u: the interface it is bound to (index %d) is gone\n", fd, ifindex);
		return -ENODEV;
	}
	cpt_pb_string(msg, CPT_PB_INET_SOCKET_BIND_DEVICE, name);
	return 0;
}
