// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets of IPv4 and IPv6 (v4-mapped addresses on a v6 socket
 * too): TCP unbound, bound, listening or connected (ESTABLISHED, or closing:
 * CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, LAST_ACK, CLOSING), UDP and
 * UDP-Lite unbound, bound or connected, with the socket options of
 * cpt_inet_opts[]. ICMP ping sockets (ping.c: SOCK_DGRAM, IPPROTO_ICMP or
 * IPPROTO_ICMPV6) alike, their port the echo id; raw sockets (SOCK_RAW, any
 * protocol) bound or connected, with IP_HDRINCL and their ICMP filter; the
 * kernel's checks make them for the restarting caller or not
 * (net.ipv4.ping_group_range, CAP_NET_RAW). A checkpoint refuses, naming
 * the fd, what a restart would not give back: a TCP connection in any
 * other state, a listener with connections not accepted yet, datagrams
 * queued on a ping or raw socket, corked data, an option set that is not
 * saved, a socket of another network namespace. A UDP socket's queued
 * datagrams are saved, each with its payload and sender, and queued again
 * as the kernel's receive path queues them (cpt_compat_udp.c).
 *
 * A connection is saved with its sequence numbers, windows, handshake
 * options, the data of its queues and what shutdown() it had (from the
 * program or its state), and made again through TCP repair mode, as CRIU's
 * soccr does: the kernel requires CAP_NET_ADMIN of the restarting caller for
 * it. Repair mode makes it ESTABLISHED; a closing one then gets back the
 * FINs it had sent and received (cpt_tcp_repair_fins()). A checkpoint
 * --kill ends the tree's connections in repair mode, which sends the peer
 * nothing, and only when each one's peer is in the tree too (its own end
 * saved and ended alike): a peer outside would see its retransmissions
 * answered by resets until the restart; and only when nobody outside the
 * tree holds its socket too (cpt_tcp_refuse_shared()).
 *
 * A restart makes the socket with the kernel's own system calls in the
 * restoring task, as the restarting caller and in its network namespace:
 * socket(), setsockopt() for each saved option, bind() to the saved address
 * and port, connect() and listen(). The kernel's checks apply as if the
 * program did it again (LSM hooks, CAP_NET_BIND_SERVICE for a port below
 * 1024, CAP_NET_ADMIN for SO_MARK or SO_RCVBUFFORCE); a refusal names the
 * fd, its address and port, and the restart fails with nothing left bound.
 */
#include <linux/bsearch.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/sort.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/uaccess.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/raw.h>
#include <net/sock.h>
#include <net/sock_reuseport.h>
#include <net/tcp.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_tcp_hold.h"

/*
 * An option saved when it is not the kernel's default for a new socket,
 * and set again with setsockopt(level, name) and an int. Set in this
 * order, all before bind(): the buffer sizes before SO_RCVLOWAT, which TCP
 * sizes the receive buffer by; IP_TOS before SO_PRIORITY.
 */
struct cpt_inet_opt {
	u32 field;		/* in InetSocket */
	int level;
	int name;
	const char *what;
	bool tcp_only;
	bool inet6_only;
};

static const struct cpt_inet_opt cpt_inet_opts[] = {
	{ CPT_PB_INET_SOCKET_V6ONLY, SOL_IPV6, IPV6_V6ONLY, "IPV6_V6ONLY", false, true },
	{ CPT_PB_INET_SOCKET_REUSEADDR, SOL_SOCKET, SO_REUSEADDR, "SO_REUSEADDR" },
	{ CPT_PB_INET_SOCKET_REUSEPORT, SOL_SOCKET, SO_REUSEPORT, "SO_REUSEPORT" },
	{ CPT_PB_INET_SOCKET_FREEBIND, SOL_IP, IP_FREEBIND, "IP_FREEBIND" },
	{ CPT_PB_INET_SOCKET_KEEPALIVE, SOL_SOCKET, SO_KEEPALIVE, "SO_KEEPALIVE" },
	{ CPT_PB_INET_SOCKET_KEEPIDLE, SOL_TCP, TCP_KEEPIDLE, "TCP_KEEPIDLE", true },
	{ CPT_PB_INET_SOCKET_KEEPINTVL, SOL_TCP, TCP_KEEPINTVL, "TCP_KEEPINTVL", true },
	{ CPT_PB_INET_SOCKET_KEEPCNT, SOL_TCP, TCP_KEEPCNT, "TCP_KEEPCNT", true },
	{ CPT_PB_INET_SOCKET_NODELAY, SOL_TCP, TCP_NODELAY, "TCP_NODELAY", true },
	{ CPT_PB_INET_SOCKET_CORK, SOL_TCP, TCP_CORK, "TCP_CORK", true },
	/* IP_TOS sets the priority from the TOS: the saved priority goes after it. */
	{ CPT_PB_INET_SOCKET_TOS, SOL_IP, IP_TOS, "IP_TOS" },
	{ CPT_PB_INET_SOCKET_PRIORITY, SOL_SOCKET, SO_PRIORITY, "SO_PRIORITY" },
	{ CPT_PB_INET_SOCKET_MARK, SOL_SOCKET, SO_MARK, "SO_MARK" },
	{ CPT_PB_INET_SOCKET_TTL, SOL_IP, IP_TTL, "IP_TTL" },
	{ CPT_PB_INET_SOCKET_TCLASS, SOL_IPV6, IPV6_TCLASS, "IPV6_TCLASS", false, true },
	{ CPT_PB_INET_SOCKET_HOP_LIMIT, SOL_IPV6, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS",
	  false, true },
	{ CPT_PB_INET_SOCKET_BROADCAST, SOL_SOCKET, SO_BROADCAST, "SO_BROADCAST" },
	{ CPT_PB_INET_SOCKET_OOBINLINE, SOL_SOCKET, SO_OOBINLINE, "SO_OOBINLINE" },
	{ CPT_PB_INET_SOCKET_RCVLOWAT, SOL_SOCKET, SO_RCVLOWAT, "SO_RCVLOWAT" },
};

/* The InetSocket fields of the options above, and of the buffer sizes and SO_LINGER. */
#define CPT_INET_OPT_FIRST CPT_PB_INET_SOCKET_REUSEADDR
#define CPT_INET_OPT_LAST CPT_PB_INET_SOCKET_HOP_LIMIT
static_assert(CPT_INET_OPT_LAST - CPT_INET_OPT_FIRST < CPT_INET_NR_OPTS);

static const char *const cpt_tcp_states[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV", [TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2", [TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE", [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK", [TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING", [TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

static const char *cpt_tcp_state_name(u32 state)
{
	return state < ARRAY_SIZE(cpt_tcp_states) && cpt_tcp_states[state] ?
	       cpt_tcp_states[state] : "unknown";
}

/*
 * The kinds of socket this file restores, by family, type and protocol: a
 * raw socket's protocol may be IPPROTO_TCP's or IPPROTO_UDP's number, so a
 * protocol alone never tells which struct a sock is (tcp_sock, udp_sock).
 */
enum cpt_inet_kind { CPT_INET_NONE, CPT_INET_TCP, CPT_INET_UDP, CPT_INET_PING, CPT_INET_RAW };

static enum cpt_inet_kind cpt_inet_kind_of(u32 family, u32 type, u32 protocol)
{
	if (family != AF_INET && family != AF_INET6)
		return CPT_INET_NONE;
	if (type == SOCK_STREAM && protocol == IPPROTO_TCP)
		return CPT_INET_TCP;
	if (type == SOCK_DGRAM && (protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE))
		return CPT_INET_UDP;
	/* ping.c's: ICMP echo over a datagram socket, IPv4's or IPv6's own protocol. */
	if (type == SOCK_DGRAM &&
	    protocol == (family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6))
		return CPT_INET_PING;
	/* As inet_create() takes them: 0 is no raw protocol. */
	if (type == SOCK_RAW && protocol > 0 && protocol < 256)
		return CPT_INET_RAW;
	return CPT_INET_NONE;
}

static enum cpt_inet_kind cpt_inet_kind(const struct sock *sk)
{
	return cpt_inet_kind_of(sk->sk_family, sk->sk_type, sk->sk_protocol);
}

static const char *cpt_inet_proto_name(u32 type, u32 protocol)
{
	if (type == SOCK_RAW)
		return "raw";
	switch (protocol) {
	case IPPROTO_TCP:
		return "TCP";
	case IPPROTO_UDP:
		return "UDP";
	case IPPROTO_ICMP:
		return "ICMP ping";
	case IPPROTO_ICMPV6:
		return "ICMPv6 ping";
	}
	return "UDP-Lite";
}

static const char *cpt_sk_proto_name(const struct sock *sk)
{
	return cpt_inet_proto_name(sk->sk_type, sk->sk_protocol);
}

static struct sock *cpt_inet_sk(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	if (!sock || !sock->sk)
		return NULL;
	return sock->sk->sk_family == AF_INET || sock->sk->sk_family == AF_INET6 ? sock->sk : NULL;
}

/* ---- checkpoint ---- */

/* The socket's bound address, as bind() takes it; its peer's, as connect() does. */
static int cpt_inet_addr(struct sock *sk, bool peer, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	const struct in6_addr *a6;

	memset(ss, 0, sizeof(*ss));
	if (sk->sk_family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = peer ? sk->sk_daddr : sk->sk_rcv_saddr;
		sin->sin_port = peer ? sk->sk_dport : htons(sk->sk_num);
		return sizeof(*sin);
	}
	a6 = peer ? &sk->sk_v6_daddr : &sk->sk_v6_rcv_saddr;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = *a6;
	sin6->sin6_port = peer ? sk->sk_dport : htons(sk->sk_num);
	/* As inet6_getname() gives it. */
	sin6->sin6_scope_id = ipv6_iface_scope_id(a6, sk->sk_bound_dev_if);
	return sizeof(*sin6);
}

/* The first option set on the socket that a restart would not set again, or NULL. */
static const char *cpt_inet_unsaved_option(struct sock *sk)
{
	struct inet_sock *inet = inet_sk(sk);
	const char *what;

	if (test_bit(SOCK_PASSCRED, &sk->sk_socket->flags))
		return "SO_PASSCRED";
	what = cpt_sock_unsaved_option(sk);
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

static const char *cpt_inet6_unsaved_option(struct sock *sk)
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

static const char *cpt_tcp_unsaved_option(struct sock *sk)
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
	if (icsk->icsk_accept_queue.rskq_defer_accept)
		return "TCP_DEFER_ACCEPT";
	if (icsk->icsk_accept_queue.fastopenq.max_qlen || tp->fastopen_connect ||
	    tp->fastopen_no_cookie)
		return "TCP_FASTOPEN";
	if (icsk->icsk_ca_setsockopt)
		return "TCP_CONGESTION";
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

static const char *cpt_udp_unsaved_option(struct sock *sk)
{
	struct udp_sock *up = udp_sk(sk);

	if (udp_test_bit(CORK, sk))
		return "UDP_CORK";
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
static const char *cpt_raw_unsaved_option(struct sock *sk)
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

/* A raw socket's own options: IP_HDRINCL, and its ICMP type filter. */
static void cpt_raw_save(struct cpt_pb_buf *msg, struct sock *sk)
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
static u32 cpt_inet_opt_value(struct sock *sk, u32 field)
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
static int cpt_inet_save_device(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk)
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

/* A TCP connection in a state a restart makes; a connected UDP (raw, ping) socket. */
static bool cpt_inet_connected(enum cpt_inet_kind kind, int state)
{
	return kind == CPT_INET_TCP ? (1 << state) & CPT_TCPF_CONNECTED : state == TCP_ESTABLISHED;
}

/*
 * A TCP connection's shutdown() as its state has it: writing shut down
 * where its FIN was sent (and only there), reading where its peer's was
 * received; reading shut down by the program in any state.
 */
static bool cpt_tcp_shutdown_valid(u32 state, u32 shutdown)
{
	return !(shutdown & ~SHUTDOWN_MASK) &&
	       !!(shutdown & SEND_SHUTDOWN) == !!((1 << state) & CPT_TCPF_FIN_OUT) &&
	       (!((1 << state) & CPT_TCPF_FIN_IN) || (shutdown & RCV_SHUTDOWN));
}

/* Refusals that need no more than the socket's kind and state. */
static int cpt_inet_claim(unsigned int fd, struct file *file)
{
	struct sock *sk = cpt_inet_sk(file);
	int state;

	if (!S_ISSOCK(file_inode(file)->i_mode) || !sk)
		return 0;
	if (cpt_inet_kind(sk) == CPT_INET_NONE) {
		cpt_note("fd %u: %s socket of type %u, protocol %u is not supported\n", fd,
			 sk->sk_family == AF_INET ? "IPv4" : "IPv6", sk->sk_type, sk->sk_protocol);
		return -EOPNOTSUPP;
	}
	if (!net_eq(sock_net(sk), current->nsproxy->net_ns))
		return cpt_refuse(fd, "a socket of another network namespace");
	state = READ_ONCE(sk->sk_state);
	if (cpt_inet_kind(sk) == CPT_INET_TCP && state != TCP_CLOSE && state != TCP_LISTEN &&
	    !((1 << state) & CPT_TCPF_CONNECTED)) {
		cpt_note("fd %u: TCP connection in state %s: not supported yet\n", fd,
			 cpt_tcp_state_name(state));
		return -EOPNOTSUPP;
	}
	return CPT_PB_FILE_KIND_INET;
}

/* Why a socket in a state this step restores still cannot be, or NULL. */
static int cpt_inet_check_state(unsigned int fd, struct sock *sk, const struct sockaddr *local)
{
	const char *proto = cpt_sk_proto_name(sk);
	enum cpt_inet_kind kind = cpt_inet_kind(sk);
	u32 queued;

	if (READ_ONCE(sk->sk_err)) {
		cpt_note("fd %u: %s socket with a pending error (%d) is not supported\n", fd,
			 proto, READ_ONCE(sk->sk_err));
		return -EOPNOTSUPP;
	}
	/* A connection's shutdown() is saved with it (cpt_compat_tcp_save()). */
	if ((READ_ONCE(sk->sk_shutdown) && !cpt_inet_connected(kind, READ_ONCE(sk->sk_state))) ||
	    (kind == CPT_INET_TCP && sk->sk_socket->state != SS_UNCONNECTED &&
	     sk->sk_state == TCP_CLOSE))
		return cpt_refuse(fd, "a TCP socket whose connection ended, or a shut down socket");
	if (sk->sk_state == TCP_LISTEN) {
		queued = READ_ONCE(sk->sk_ack_backlog) + inet_csk_reqsk_queue_len(sk);
		if (queued) {
			cpt_note("fd %u: TCP listener on %pISpc with %u %s: not supported yet\n",
				 fd, local, queued, "connections not accepted yet");
			return -EOPNOTSUPP;
		}
	}
	if (kind != CPT_INET_TCP) {
		/* A UDP socket's are saved (cpt_udp_save_queue()). */
		queued = kind == CPT_INET_UDP ? 0 : skb_queue_len_lockless(&sk->sk_receive_queue);
		if (queued) {
			cpt_note("fd %u: %s socket on %pISpc with %u %s: not supported yet\n",
				 fd, proto, local, queued, "datagrams queued");
			return -EOPNOTSUPP;
		}
		/* A raw socket's MSG_MORE data waits in its write queue, as UDP's corked. */
		if (kind == CPT_INET_UDP ? READ_ONCE(udp_sk(sk)->pending) :
		    !skb_queue_empty_lockless(&sk->sk_write_queue)) {
			cpt_note("fd %u: %s socket on %pISpc with corked data: not supported yet\n",
				 fd, proto, local);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

/*
 * The most data an established connection's send queue, or its receive
 * queue, may hold to be saved, or restored: net.ipv4.tcp_wmem's and
 * tcp_rmem's default limits (4 and 6 MiB) hold less data than that, and
 * both queues of one connection fit in a record (CPT_RECORD_MAX_MESSAGE).
 */
#define CPT_TCP_MAX_QUEUE (4U << 20)

/* A saved connection's two ends (cpt_tcp_hold.h), or its peer's: reversed. */
static void cpt_tcp_ends(struct sock *sk, bool reversed, struct cpt_tcp_ends *e)
{
	struct sockaddr_storage a[2];
	unsigned int i;

	memset(e, 0, sizeof(*e));
	cpt_inet_addr(sk, reversed, &a[0]);
	cpt_inet_addr(sk, !reversed, &a[1]);
	for (i = 0; i < 2; i++) {
		struct in6_addr *addr = i ? &e->peer : &e->local;
		__be16 *port = i ? &e->peer_port : &e->local_port;

		const struct sockaddr_in *sin = (struct sockaddr_in *)&a[i];

		if (a[i].ss_family == AF_INET) {
			ipv6_addr_set_v4mapped(sin->sin_addr.s_addr, addr);
			*port = sin->sin_port;
		} else {
			*addr = ((struct sockaddr_in6 *)&a[i])->sin6_addr;
			*port = ((struct sockaddr_in6 *)&a[i])->sin6_port;
		}
	}
}

/* The restart's final step: the tree's connections out of repair mode. */
int cpt_inet_resume_connections(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_tcp_ends ends;
	struct file *file;
	unsigned long id;
	struct sock *sk;
	int ret;

	if (!reg)
		return 0;
	xa_for_each(&reg->restored, id, file) {
		sk = cpt_inet_sk(file);
		if (!sk || cpt_inet_kind(sk) != CPT_INET_TCP)
			continue;
		/* Only a restart's: a checkpoint refuses a socket in repair mode. */
		ret = cpt_compat_tcp_resume(sk);
		if (ret) {
			cpt_note("file %lu: TCP connection: cannot leave TCP repair mode: %d\n", id,
				 ret);
			return ret;
		}
		/*
		 * Out of repair mode, it answers its peer: the peer's next
		 * retransmission may get through. Only a connection: a
		 * listener's ends are not one.
		 */
		if ((1 << sk->sk_state) & CPT_TCPF_CONNECTED) {
			cpt_tcp_ends(sk, false, &ends);
			cpt_tcp_hold_drop(sock_net(sk), &ends);
		}
	}
	return 0;
}

/* ---- checkpoint --kill ---- */

/*
 * With --tcp-established, a connection is held before it is saved, as
 * CRIU locks the network before it dumps: nothing its peer sends after
 * reaches it, so a --kill finds it as saved, however busy the peer. A
 * checkpoint that does not end it drops the hold (cpt_inet_cancel_holds()),
 * and so does --kill for a connection whose peer is in the tree, once ended.
 */
static int cpt_tcp_hold_saved(struct cpt_file_save *fs, struct sock *sk)
{
	struct cpt_tcp_ends ends;
	u16 family = sk->sk_family;
	u64 id;
	int ret;

	if (!fs->sf || !fs->reg->session->tcp_established || fs->sf->tcp_hold ||
	    !((1 << READ_ONCE(sk->sk_state)) & CPT_TCPF_CONNECTED))
		return 0;
	cpt_tcp_ends(sk, false, &ends);
	ret = cpt_tcp_hold_add(sock_net(sk), &ends, &family, &id, 1);
	if (ret)
		return ret;
	fs->sf->tcp_hold = id;
	return 0;
}

static int cpt_inet_save_tcp(struct cpt_file_save *fs, struct sock *sk, struct cpt_pb_buf *msg,
			     const struct sockaddr *local, int state)
{
	struct cpt_tcp_state st;
	int ret;

	ret = cpt_tcp_hold_saved(fs, sk);
	if (ret)
		return ret;
	ret = cpt_compat_tcp_save(sk, &st, CPT_TCP_MAX_QUEUE);
	if (ret)
		return ret;
	if (st.unsaved) {
		cpt_note("fd %u: TCP connection on %pISpc with %s is not supported\n", fs->e->fd,
			 local, st.unsaved);
		return -EOPNOTSUPP;
	}
	/* The state saved is the one its queues were read in. */
	if (st.state != state) {
		cpt_compat_tcp_state_free(&st);
		cpt_note("fd %u: TCP connection on %pISpc: %s\n", fs->e->fd, local,
			 "its state changed while it was saved; try again");
		return -EAGAIN;
	}
	if (!cpt_tcp_shutdown_valid(st.state, st.shutdown)) {
		cpt_compat_tcp_state_free(&st);
		cpt_note("fd %u: TCP connection on %pISpc in state %s with shutdown %#x %s\n",
			 fs->e->fd, local, cpt_tcp_state_name(st.state), st.shutdown,
			 "is not supported");
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SEND_SEQ, st.snd_una);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_RECV_SEQ, st.copied_seq);
	if (st.send_len)
		cpt_pb_bytes(msg, CPT_PB_INET_SOCKET_TCP_SEND_QUEUE, st.send_queue, st.send_len);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_UNSENT, st.unsent);
	if (st.recv_len)
		cpt_pb_bytes(msg, CPT_PB_INET_SOCKET_TCP_RECV_QUEUE, st.recv_queue, st.recv_len);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_MSS, st.mss_clamp);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SND_WSCALE, st.snd_wscale);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_RCV_WSCALE, st.rcv_wscale);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_WSCALE_OK, st.wscale_ok);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SACK_OK, st.sack_ok);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_TIMESTAMP_OK, st.tstamp_ok);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_TIMESTAMP, st.tsval);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SND_WL1, st.snd_wl1);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SND_WND, st.snd_wnd);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_MAX_WINDOW, st.max_window);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_RCV_WND, st.rcv_wnd);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_RCV_WUP, st.rcv_wup);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_RCVBUF, st.rcvbuf);
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SNDBUF, st.sndbuf);
	if (st.shutdown)
		cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SHUTDOWN, st.shutdown);
	cpt_compat_tcp_state_free(&st);
	/* For a --kill, which checks that nothing came in meanwhile. */
	if (fs->sf) {
		fs->sf->tcp_saved = true;
		fs->sf->tcp_rcv_nxt = st.rcv_nxt;
		fs->sf->tcp_state = st.state;
		fs->sf->tcp_pid = fs->reg->session->cur->pid;
		fs->sf->tcp_fd = fs->e->fd;
	}
	return 0;
}

/*
 * The most a UDP socket's queue may hold to be saved, or restored: the
 * payload of its datagrams (net.core.rmem_max's default, 208 KiB, holds
 * far less, and so does any receive buffer without CAP_NET_ADMIN), their
 * number, and what one may have been charged (a 64 KiB datagram in pages).
 */
#define CPT_UDP_MAX_QUEUE (4U << 20)
#define CPT_UDP_MAX_DGRAMS 65536U
#define CPT_UDP_MAX_TRUESIZE (256U << 10)

/* References to the datagrams sk has yet to read, oldest first, in *skbs (kvfree()). */
static int cpt_udp_take_queue(unsigned int fd, struct sock *sk, struct sk_buff ***skbs,
			      unsigned int *nr)
{
	unsigned int max = skb_queue_len_lockless(&sk->sk_receive_queue) +
			   skb_queue_len_lockless(&udp_sk(sk)->reader_queue);
	unsigned int tries;
	int ret = -EAGAIN;

	*skbs = NULL;
	*nr = max;
	if (!max)
		return 0;
	/* Bound, it gets more while it is saved: room for some, and a few tries. */
	for (tries = 0; ret == -EAGAIN && tries < 4 && max <= CPT_UDP_MAX_DGRAMS; tries++) {
		max = min(max + 16, CPT_UDP_MAX_DGRAMS);
		kvfree(*skbs);
		*skbs = kvmalloc_array(max, sizeof(**skbs), GFP_KERNEL);
		if (!*skbs)
			return -ENOMEM;
		ret = cpt_compat_udp_queue(sk, *skbs, max, nr);
		max = *nr;
	}
	if (!ret)
		return 0;
	kvfree(*skbs);
	*skbs = NULL;
	cpt_note("fd %u: %s socket with %u datagrams queued: %s\n", fd, cpt_sk_proto_name(sk),
		 *nr, *nr > CPT_UDP_MAX_DGRAMS ? "more than a checkpoint saves (65536)" :
		 "more kept coming in while it was saved; try again");
	ret = *nr > CPT_UDP_MAX_DGRAMS ? -EFBIG : -EAGAIN;
	*nr = 0;
	return ret;
}

/*
 * The datagram d of a UDP socket's queue: its payload, sender, time and
 * the memory it was charged.
 */
static void cpt_udp_save_dgram(struct cpt_pb_buf *msg, const struct cpt_udp_dgram *d,
			       const u8 *data)
{
	struct cpt_pb_buf one;

	cpt_pb_init(&one);
	cpt_pb_bytes(&one, CPT_PB_INET_DATAGRAM_DATA, data, d->len);
	cpt_pb_bytes(&one, CPT_PB_INET_DATAGRAM_SOURCE, &d->source, d->source_len);
	cpt_pb_u64(&one, CPT_PB_INET_DATAGRAM_TIMESTAMP, d->tstamp);
	cpt_pb_u64(&one, CPT_PB_INET_DATAGRAM_TRUESIZE, min(d->truesize, CPT_UDP_MAX_TRUESIZE));
	cpt_pb_message(msg, CPT_PB_INET_SOCKET_UDP_QUEUE, &one);
}

/*
 * The datagrams a UDP socket has yet to read, oldest first, each with its
 * boundary and sender, read without taking them off its queue: a
 * checkpoint that leaves the tree running leaves them to it. One whose
 * checksum is wrong, which a read would drop, is left out. What the
 * receive buffer would not take again (it was lowered after they came) is
 * refused, as is more than CPT_UDP_MAX_QUEUE.
 */
static int cpt_udp_save_queue(unsigned int fd, struct sock *sk, struct cpt_pb_buf *msg,
			      const struct sockaddr *local)
{
	const char *proto = cpt_sk_proto_name(sk);
	u32 rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	unsigned int nr, i;
	u64 total = 0, rmem = 0;
	struct cpt_udp_dgram d;
	struct sk_buff **skbs;
	u8 *data = NULL;
	int ret;

	ret = cpt_udp_take_queue(fd, sk, &skbs, &nr);
	if (ret || !nr)
		goto out;
	data = kvmalloc(CPT_UDP_MAX_PAYLOAD, GFP_KERNEL);
	if (!data)
		ret = -ENOMEM;
	for (i = 0; !ret && i < nr; i++) {
		ret = cpt_compat_udp_read(skbs[i], &d, data);
		if (ret || d.csum_bad)
			continue;
		if (d.unsaved) {
			cpt_note("fd %u: %s socket on %pISpc with %s queued is not supported\n", fd,
				 proto, local, d.unsaved);
			ret = -EOPNOTSUPP;
		} else if (rmem > rcvbuf) {
			/* __udp_enqueue_schedule_skb()'s rule: one more only while within it. */
			cpt_note("fd %u: %s socket on %pISpc: %s (%u bytes): %s\n", fd, proto,
				 local, "its datagrams queued take more than its receive buffer",
				 rcvbuf, "SO_RCVBUF was lowered after they came; not supported");
			ret = -EOPNOTSUPP;
		} else if (total + d.len > CPT_UDP_MAX_QUEUE) {
			cpt_note("fd %u: %s socket on %pISpc with more than %u bytes of %s\n",
				 fd, proto, local, CPT_UDP_MAX_QUEUE,
				 "datagrams queued is not supported");
			ret = -EFBIG;
		} else {
			rmem += d.truesize;
			total += d.len;
			cpt_udp_save_dgram(msg, &d, data);
		}
	}
out:
	for (i = 0; skbs && i < nr; i++)
		consume_skb(skbs[i]);
	kvfree(skbs);
	kvfree(data);
	return ret;
}

static int cpt_inet_save(struct cpt_file_save *fs)
{
	struct sock *sk = cpt_inet_sk(fs->e->file);
	unsigned int fd = fs->e->fd;
	struct sockaddr_storage local, peer;
	int state = READ_ONCE(sk->sk_state);
	bool connected = cpt_inet_connected(cpt_inet_kind(sk), state);
	struct cpt_pb_buf msg;
	const char *unsaved;
	int len, ret;
	u32 field, value;

	len = cpt_inet_addr(sk, false, &local);
	ret = cpt_inet_check_state(fd, sk, (struct sockaddr *)&local);
	if (ret)
		return ret;
	unsaved = cpt_inet_unsaved_option(sk);
	if (!unsaved && sk->sk_family == AF_INET6)
		unsaved = cpt_inet6_unsaved_option(sk);
	if (!unsaved)
		unsaved = cpt_inet_kind(sk) == CPT_INET_TCP ? cpt_tcp_unsaved_option(sk) :
			  cpt_inet_kind(sk) == CPT_INET_UDP ? cpt_udp_unsaved_option(sk) :
			  cpt_inet_kind(sk) == CPT_INET_RAW ? cpt_raw_unsaved_option(sk) : NULL;
	if (unsaved) {
		cpt_note("fd %u: socket option %s is not supported\n", fd, unsaved);
		return -EOPNOTSUPP;
	}
	cpt_pb_init(&msg);
	cpt_pb_u64(&msg, CPT_PB_INET_SOCKET_FAMILY, sk->sk_family);
	cpt_pb_u64(&msg, CPT_PB_INET_SOCKET_TYPE, sk->sk_type);
	cpt_pb_u64(&msg, CPT_PB_INET_SOCKET_PROTOCOL, sk->sk_protocol);
	cpt_pb_u64(&msg, CPT_PB_INET_SOCKET_STATE, state);
	/* A port is what makes a socket bound, whoever chose it. */
	if (sk->sk_num)
		cpt_pb_bytes(&msg, CPT_PB_INET_SOCKET_LOCAL, &local, len);
	if (connected) {
		len = cpt_inet_addr(sk, true, &peer);
		cpt_pb_bytes(&msg, CPT_PB_INET_SOCKET_PEER, &peer, len);
	}
	cpt_pb_u64(&msg, CPT_PB_INET_SOCKET_LOCAL_ADDR_BOUND,
		   !!(sk->sk_userlocks & SOCK_BINDADDR_LOCK));
	if (state == TCP_LISTEN)
		cpt_pb_u64(&msg, CPT_PB_INET_SOCKET_BACKLOG, READ_ONCE(sk->sk_max_ack_backlog));
	for (field = CPT_INET_OPT_FIRST; field <= CPT_INET_OPT_LAST; field++) {
		value = cpt_inet_opt_value(sk, field);
		if (field == CPT_PB_INET_SOCKET_LINGER_SECONDS &&
		    !cpt_inet_opt_value(sk, CPT_PB_INET_SOCKET_LINGER))
			value = 0;
		cpt_pb_u64(&msg, field, value);
	}
	if (cpt_inet_kind(sk) == CPT_INET_RAW)
		cpt_raw_save(&msg, sk);
	ret = cpt_inet_save_device(&msg, fd, sk);
	if (!ret && cpt_inet_kind(sk) == CPT_INET_TCP && connected)
		ret = cpt_inet_save_tcp(fs, sk, &msg, (struct sockaddr *)&local, state);
	if (!ret && cpt_inet_kind(sk) == CPT_INET_UDP)
		ret = cpt_udp_save_queue(fd, sk, &msg, (struct sockaddr *)&local);
	if (!ret)
		ret = msg.err;
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	cpt_pb_message(fs->one, CPT_PB_FILE_INET, &msg);
	return 0;
}

/* ---- restart ---- */

/* A connection's field; false if f is none. */
static bool cpt_inet_decode_tcp(struct cpt_rfile_tcp *tcp, struct cpt_pb_reader *r,
				const struct cpt_pb_field *f)
{
	static const struct {
		u32 field;
		size_t offset;
	} words[] = {
#define CPT_TCP_WORD(name, member) \
		{ CPT_PB_INET_SOCKET_TCP_##name, offsetof(struct cpt_rfile_tcp, member) }
		CPT_TCP_WORD(SEND_SEQ, send_seq), CPT_TCP_WORD(RECV_SEQ, recv_seq),
		CPT_TCP_WORD(UNSENT, unsent), CPT_TCP_WORD(MSS, mss),
		CPT_TCP_WORD(SND_WSCALE, snd_wscale), CPT_TCP_WORD(RCV_WSCALE, rcv_wscale),
		CPT_TCP_WORD(TIMESTAMP, tsval), CPT_TCP_WORD(SND_WL1, snd_wl1),
		CPT_TCP_WORD(SND_WND, snd_wnd), CPT_TCP_WORD(MAX_WINDOW, max_window),
		CPT_TCP_WORD(RCV_WND, rcv_wnd), CPT_TCP_WORD(RCV_WUP, rcv_wup),
		CPT_TCP_WORD(RCVBUF, rcvbuf), CPT_TCP_WORD(SNDBUF, sndbuf),
		CPT_TCP_WORD(SHUTDOWN, shutdown),
#undef CPT_TCP_WORD
	};
	unsigned int i;

	switch (f->num) {
	case CPT_PB_INET_SOCKET_TCP_SEND_QUEUE:
		cpt_pb_read_bytes(r, f, &tcp->send_queue, &tcp->send_len);
		break;
	case CPT_PB_INET_SOCKET_TCP_RECV_QUEUE:
		cpt_pb_read_bytes(r, f, &tcp->recv_queue, &tcp->recv_len);
		break;
	case CPT_PB_INET_SOCKET_TCP_WSCALE_OK:
		cpt_pb_read_bool(r, f, &tcp->wscale_ok);
		break;
	case CPT_PB_INET_SOCKET_TCP_SACK_OK:
		cpt_pb_read_bool(r, f, &tcp->sack_ok);
		break;
	case CPT_PB_INET_SOCKET_TCP_TIMESTAMP_OK:
		cpt_pb_read_bool(r, f, &tcp->tstamp_ok);
		break;
	default:
		for (i = 0; i < ARRAY_SIZE(words) && words[i].field != f->num; i++)
			;
		if (i == ARRAY_SIZE(words))
			return false;
		cpt_pb_read_u32(r, f, (u32 *)((u8 *)tcp + words[i].offset));
		break;
	}
	tcp->present = true;
	return true;
}

/* A datagram of a UDP socket's queue, checked on its own; its payload in *data. */
static int cpt_udp_decode_dgram(const struct cpt_pb_field *pf, struct cpt_udp_dgram *d,
				const u8 **data)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&d->source;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t len = 0;

	memset(d, 0, sizeof(*d));
	*data = NULL;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_INET_DATAGRAM_DATA:
			cpt_pb_read_bytes(&r, &f, data, &len);
			break;
		case CPT_PB_INET_DATAGRAM_SOURCE:
			if (f.wire != CPT_PB_BYTES || f.len > sizeof(struct sockaddr_in6)) {
				cpt_pb_fail(&r, -EBADMSG);
				break;
			}
			memcpy(&d->source, f.data, f.len);
			d->source_len = f.len;
			break;
		case CPT_PB_INET_DATAGRAM_TIMESTAMP:
			cpt_pb_read_u64(&r, &f, &d->tstamp);
			break;
		case CPT_PB_INET_DATAGRAM_TRUESIZE:
			cpt_pb_read_u32(&r, &f, &d->truesize);
			break;
		}
	}
	d->len = len;
	if (cpt_pb_end(&r))
		return cpt_pb_end(&r);
	/* As recvfrom() gives it: no flow label (IPV6_FLOWINFO is not saved). */
	if (len > CPT_UDP_MAX_PAYLOAD || d->truesize > CPT_UDP_MAX_TRUESIZE ||
	    d->tstamp > KTIME_MAX ||
	    !(d->source_len == sizeof(struct sockaddr_in) ?
	      d->source.ss_family == AF_INET :
	      d->source_len == sizeof(*sin6) && d->source.ss_family == AF_INET6 &&
	      !sin6->sin6_flowinfo))
		return -EBADMSG;
	return 0;
}

/* A UDP socket's queue: counted, its datagrams checked, queued again at cpt_inet_open(). */
static void cpt_udp_decode_queue(struct cpt_rfile_inet *in, struct cpt_pb_reader *r,
				 const struct cpt_pb_field *f)
{
	struct cpt_udp_dgram d;
	const u8 *data;
	int ret;

	ret = cpt_udp_decode_dgram(f, &d, &data);
	if (ret) {
		cpt_pb_fail(r, ret);
		return;
	}
	in->queue_bytes += d.len;
	if (d.source.ss_family == AF_INET)
		in->queue_v4 = true;
	else
		in->queue_v6 = true;
	if (++in->nr_queued > CPT_UDP_MAX_DGRAMS || in->queue_bytes > CPT_UDP_MAX_QUEUE)
		cpt_pb_fail(r, -EFBIG);
}

static int cpt_inet_decode_msg(struct cpt_rfile_inet *in, const struct cpt_pb_field *pf)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t len;

	in->sock_msg = *pf;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		if (cpt_inet_decode_tcp(&in->tcp, &r, &f))
			continue;
		switch (f.num) {
		case CPT_PB_INET_SOCKET_UDP_QUEUE:
			cpt_udp_decode_queue(in, &r, &f);
			break;
		case CPT_PB_INET_SOCKET_FAMILY:
			cpt_pb_read_u32(&r, &f, &in->family);
			break;
		case CPT_PB_INET_SOCKET_TYPE:
			cpt_pb_read_u32(&r, &f, &in->type);
			break;
		case CPT_PB_INET_SOCKET_PROTOCOL:
			cpt_pb_read_u32(&r, &f, &in->protocol);
			break;
		case CPT_PB_INET_SOCKET_STATE:
			cpt_pb_read_u32(&r, &f, &in->state);
			break;
		case CPT_PB_INET_SOCKET_LOCAL:
		case CPT_PB_INET_SOCKET_PEER:
			if (f.wire != CPT_PB_BYTES || f.len > sizeof(struct sockaddr_in6)) {
				cpt_pb_fail(&r, -EBADMSG);
				break;
			}
			len = f.len;
			memcpy(f.num == CPT_PB_INET_SOCKET_LOCAL ? &in->local : &in->peer, f.data,
			       len);
			if (f.num == CPT_PB_INET_SOCKET_LOCAL)
				in->local_len = len;
			else
				in->peer_len = len;
			break;
		case CPT_PB_INET_SOCKET_LOCAL_ADDR_BOUND:
			cpt_pb_read_bool(&r, &f, &in->local_addr_bound);
			break;
		case CPT_PB_INET_SOCKET_BACKLOG:
			cpt_pb_read_u32(&r, &f, &in->backlog);
			break;
		case CPT_PB_INET_SOCKET_BIND_DEVICE:
			cpt_pb_read_string(&r, &f, in->bind_device, sizeof(in->bind_device));
			break;
		case CPT_PB_INET_SOCKET_HDRINCL:
			cpt_pb_read_bool(&r, &f, &in->hdrincl);
			break;
		case CPT_PB_INET_SOCKET_ICMP_FILTER:
			cpt_pb_read_u32(&r, &f, &in->icmp_filter);
			break;
		case CPT_PB_INET_SOCKET_ICMP6_FILTER:
			if (f.wire != CPT_PB_BYTES || f.len != sizeof(in->icmp6_filter)) {
				cpt_pb_fail(&r, -EBADMSG);
				break;
			}
			memcpy(in->icmp6_filter, f.data, f.len);
			in->icmp6_filter_set = true;
			break;
		default:
			if (f.num >= CPT_INET_OPT_FIRST && f.num <= CPT_INET_OPT_LAST &&
			    cpt_pb_read_u32(&r, &f, &in->opt[f.num - CPT_INET_OPT_FIRST]))
				in->present |= BIT(f.num - CPT_INET_OPT_FIRST);
			break;
		}
	}
	return cpt_pb_end(&r);
}

static int cpt_inet_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (f->num != CPT_PB_FILE_INET)
		return CPT_FILE_FOREIGN;
	return cpt_inet_decode_msg(&rfile->inet, f);
}

static bool cpt_inet_addr_valid(u32 family, const struct sockaddr_in6 *addr, u32 len)
{
	return addr->sin6_family == family &&
	       len == (family == AF_INET ? sizeof(struct sockaddr_in) :
		       sizeof(struct sockaddr_in6));
}

static u32 cpt_inet_opt(const struct cpt_rfile_inet *in, u32 field)
{
	return in->opt[field - CPT_INET_OPT_FIRST];
}

/*
 * A connection's state is within what the kernel would have: window
 * scales, windows and the MSS within TCP's limits, no more unsent data than
 * queued, queues within CPT_TCP_MAX_QUEUE, its shutdown() as its state has
 * it, nothing left to send once its FIN was acknowledged (FIN_WAIT2).
 * Sequence numbers are any; TCP repair mode's setsockopt() checks how the
 * windows relate to them.
 */
static bool cpt_tcp_check(u32 state, const struct cpt_rfile_tcp *tcp)
{
	u32 max_wnd = U16_MAX << TCP_MAX_WSCALE;

	return cpt_tcp_shutdown_valid(state, tcp->shutdown) &&
	       !(state == TCP_FIN_WAIT2 && tcp->send_len) &&
	       tcp->send_len <= CPT_TCP_MAX_QUEUE &&
	       tcp->recv_len <= CPT_TCP_MAX_QUEUE && tcp->unsent <= tcp->send_len &&
	       tcp->mss && tcp->mss <= U16_MAX && tcp->snd_wscale <= TCP_MAX_WSCALE &&
	       tcp->rcv_wscale <= TCP_MAX_WSCALE && tcp->snd_wnd <= max_wnd &&
	       tcp->max_window <= max_wnd && tcp->rcv_wnd <= max_wnd &&
	       tcp->rcvbuf <= INT_MAX && tcp->sndbuf <= INT_MAX;
}

static int cpt_inet_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_inet *in = &rfile->inet;
	enum cpt_inet_kind kind = cpt_inet_kind_of(in->family, in->type, in->protocol);
	bool tcp = kind == CPT_INET_TCP, raw = kind == CPT_INET_RAW;
	unsigned int i;

	if ((rfile->mode & S_IFMT) != S_IFSOCK)
		*bad = "mode";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (kind == CPT_INET_NONE)
		*bad = "socket family, type or protocol";
	else if (!tcp && in->state != TCP_CLOSE && in->state != TCP_ESTABLISHED)
		*bad = "socket state";
	else if (tcp && in->state != TCP_CLOSE && in->state != TCP_LISTEN &&
		 (in->state >= 32 || !((1 << in->state) & CPT_TCPF_CONNECTED)))
		*bad = "socket state";
	else if (tcp && cpt_inet_connected(kind, in->state) ? !in->tcp.present :
		 in->tcp.present)
		*bad = "socket state";
	else if (in->tcp.present && !cpt_tcp_check(in->state, &in->tcp))
		*bad = "TCP connection state";
	else if (in->local_len ? !cpt_inet_addr_valid(in->family, &in->local, in->local_len) :
		 in->state != TCP_CLOSE)
		*bad = "socket address";
	else if (cpt_inet_connected(kind, in->state) ?
		 !cpt_inet_addr_valid(in->family, &in->peer, in->peer_len) : in->peer_len)
		*bad = "socket peer";
	else if (in->backlog && in->state != TCP_LISTEN)
		*bad = "socket backlog";
	else if (in->nr_queued &&
		 (kind != CPT_INET_UDP || !in->local_len ||
		  (in->queue_v6 && in->family != AF_INET6) ||
		  (in->queue_v4 && cpt_inet_opt(in, CPT_PB_INET_SOCKET_V6ONLY))))
		*bad = "UDP socket queue";
	else if ((in->hdrincl && !raw) ||
		 (in->icmp_filter &&
		  !(raw && in->protocol == IPPROTO_ICMP && in->family == AF_INET)) ||
		 (in->icmp6_filter_set &&
		  !(raw && in->protocol == IPPROTO_ICMPV6 && in->family == AF_INET6)))
		*bad = "raw socket option";
	for (i = 0; !*bad && i < ARRAY_SIZE(cpt_inet_opts); i++) {
		if (!(in->present & BIT(cpt_inet_opts[i].field - CPT_INET_OPT_FIRST)))
			continue;
		if ((cpt_inet_opts[i].tcp_only && !tcp) ||
		    (cpt_inet_opts[i].inet6_only && in->family != AF_INET6) ||
		    (cpt_inet_opts[i].field == CPT_PB_INET_SOCKET_V6ONLY && raw))
			*bad = "socket option";
	}
	if (!*bad && (cpt_inet_opt(in, CPT_PB_INET_SOCKET_RCVBUF) > INT_MAX ||
		      cpt_inet_opt(in, CPT_PB_INET_SOCKET_SNDBUF) > INT_MAX ||
		      cpt_inet_opt(in, CPT_PB_INET_SOCKET_LINGER) > 1 ||
		      cpt_inet_opt(in, CPT_PB_INET_SOCKET_LINGER_SECONDS) > INT_MAX))
		*bad = "socket option";
	return *bad ? -EBADMSG : 0;
}

/* A socket being made in the restoring task, at fd, and what it needs to be named. */
struct cpt_inet_restore {
	const struct cpt_rfile *rfile;
	const struct cpt_rfile_inet *in;
	struct cpt_ubuf ub;
	long fd;
	struct sock *sk;
};

/* setsockopt() on the new socket, as the program would call it. */
static int cpt_inet_setsockopt(struct cpt_inet_restore *ir, int level, int name,
			       const void *val, size_t len)
{
	if (copy_to_user((void __user *)ir->ub.addr, val, len))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_setsockopt, ir->fd, level, name, ir->ub.addr, len);
}

static int cpt_inet_opt_refused(struct cpt_inet_restore *ir, const char *what, u32 value,
				int ret)
{
	cpt_note("fd %u: cannot set %s to %u again: %d%s\n", ir->rfile->fd, what, value, ret,
		 ret == -EPERM ? " (the restarting caller lacks the capability it needs)" : "");
	return ret;
}

/*
 * A buffer size the user set: SO_RCVBUF (SO_SNDBUF) gives it back within
 * net.core.rmem_max (wmem_max); a size above that was forced
 * (SO_RCVBUFFORCE), which only a caller with CAP_NET_ADMIN may do again.
 */
static int cpt_inet_set_buf(struct cpt_inet_restore *ir, bool rcv)
{
	u32 saved = cpt_inet_opt(ir->in, rcv ? CPT_PB_INET_SOCKET_RCVBUF :
						CPT_PB_INET_SOCKET_SNDBUF);
	int val = saved / 2, ret;

	if (!saved)
		return 0;
	ret = cpt_inet_setsockopt(ir, SOL_SOCKET, rcv ? SO_RCVBUF : SO_SNDBUF, &val, sizeof(val));
	if (!ret && (rcv ? READ_ONCE(ir->sk->sk_rcvbuf) : READ_ONCE(ir->sk->sk_sndbuf)) != saved)
		ret = cpt_inet_setsockopt(ir, SOL_SOCKET, rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE,
					  &val, sizeof(val));
	return ret ? cpt_inet_opt_refused(ir, rcv ? "SO_RCVBUF" : "SO_SNDBUF", saved, ret) : 0;
}

static int cpt_inet_set_opts(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	const struct cpt_inet_opt *o;
	struct linger ling;
	unsigned int i;
	int ret, val;

	/*
	 * Always: the restarting machine's net.ipv6.bindv6only may not be the
	 * saved one's. Not a raw socket's, which has the sysctl's for good.
	 */
	if (in->family == AF_INET6 && in->type != SOCK_RAW) {
		val = cpt_inet_opt(in, CPT_PB_INET_SOCKET_V6ONLY);
		ret = cpt_inet_setsockopt(ir, SOL_IPV6, IPV6_V6ONLY, &val, sizeof(val));
		if (ret)
			return cpt_inet_opt_refused(ir, "IPV6_V6ONLY", val, ret);
	}
	if (*in->bind_device) {
		ret = cpt_inet_setsockopt(ir, SOL_SOCKET, SO_BINDTODEVICE, in->bind_device,
					  strlen(in->bind_device) + 1);
		if (ret) {
			cpt_note("fd %u: cannot bind it to interface %s again: %d\n",
				 ir->rfile->fd, in->bind_device, ret);
			return ret;
		}
	}
	ret = cpt_inet_set_buf(ir, true) ?: cpt_inet_set_buf(ir, false);
	if (ret)
		return ret;
	if (cpt_inet_opt(in, CPT_PB_INET_SOCKET_LINGER)) {
		ling.l_onoff = 1;
		ling.l_linger = cpt_inet_opt(in, CPT_PB_INET_SOCKET_LINGER_SECONDS);
		ret = cpt_inet_setsockopt(ir, SOL_SOCKET, SO_LINGER, &ling, sizeof(ling));
		if (ret)
			return cpt_inet_opt_refused(ir, "SO_LINGER", ling.l_linger, ret);
	}
	for (i = 0; i < ARRAY_SIZE(cpt_inet_opts); i++) {
		o = &cpt_inet_opts[i];
		val = cpt_inet_opt(in, o->field);
		if (o->field == CPT_PB_INET_SOCKET_V6ONLY || !val)
			continue;
		/* Corked, a connection would hold back the queue it is given: after it. */
		if (o->field == CPT_PB_INET_SOCKET_CORK && in->tcp.present)
			continue;
		ret = cpt_inet_setsockopt(ir, o->level, o->name, &val, sizeof(val));
		if (ret)
			return cpt_inet_opt_refused(ir, o->what, val, ret);
	}
	return 0;
}

/* A raw socket's own options, before bind(). */
static int cpt_raw_set_opts(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	bool v4 = in->family == AF_INET;
	const char *hdrincl = v4 ? "IP_HDRINCL" : "IPV6_HDRINCL";
	int ret = 0, val = in->hdrincl;

	/* IPPROTO_RAW's is on from socket(): set when the saved one differs. */
	if (in->hdrincl != inet_sk(ir->sk)->hdrincl) {
		ret = cpt_inet_setsockopt(ir, v4 ? SOL_IP : SOL_IPV6,
					  v4 ? IP_HDRINCL : IPV6_HDRINCL, &val, sizeof(val));
		if (ret)
			return cpt_inet_opt_refused(ir, hdrincl, val, ret);
	}
	if (in->icmp_filter) {
		ret = cpt_inet_setsockopt(ir, SOL_RAW, ICMP_FILTER, &in->icmp_filter,
					  sizeof(in->icmp_filter));
		if (ret)
			return cpt_inet_opt_refused(ir, "ICMP_FILTER", in->icmp_filter, ret);
	}
	if (in->icmp6_filter_set) {
		ret = cpt_inet_setsockopt(ir, SOL_ICMPV6, ICMPV6_FILTER, in->icmp6_filter,
					  sizeof(in->icmp6_filter));
		if (ret)
			return cpt_inet_opt_refused(ir, "ICMPV6_FILTER", in->icmp6_filter[0], ret);
	}
	return 0;
}

static const char *cpt_inet_bind_error(int ret)
{
	switch (ret) {
	case -EADDRINUSE:
		return "taken by another socket";
	case -EACCES:
		return "a privileged port the restarting caller may not bind";
	case -EADDRNOTAVAIL:
		return "not an address of this machine";
	}
	return "bind() refused it";
}

/* bind() to the saved address (a connected UDP socket's, if bind() chose it) and port. */
static int cpt_inet_bind(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	struct sockaddr_in6 addr = in->local;
	struct sockaddr_in6 *sin6 = &addr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&addr;
	long ret;

	/*
	 * A TCP connection is made again on its own address, whoever chose
	 * it; a raw socket too, whose bind() takes no port and leaves no
	 * SOCK_BINDADDR_LOCK: connect() keeps an address bound, and picks the
	 * one it would have picked otherwise.
	 */
	if (in->state == TCP_ESTABLISHED && !in->local_addr_bound &&
	    in->type == SOCK_DGRAM) {
		if (in->family == AF_INET) {
			sin->sin_addr.s_addr = htonl(INADDR_ANY);
		} else {
			sin6->sin6_addr = in6addr_any;
			sin6->sin6_scope_id = 0;
		}
	}
	if (copy_to_user((void __user *)ir->ub.addr, &addr, in->local_len))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_bind, ir->fd, ir->ub.addr, in->local_len, 0, 0);
	if (ret)
		cpt_note("fd %u: cannot bind %s socket to %pISc port %u again: %s (%ld)\n",
			 ir->rfile->fd, cpt_inet_proto_name(in->type, in->protocol), &addr,
			 ntohs(sin->sin_port), cpt_inet_bind_error(ret), ret);
	return ret;
}

static int cpt_inet_connect_listen(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	long ret = 0;

	if (cpt_inet_connected(cpt_inet_kind_of(in->family, in->type, in->protocol), in->state)) {
		if (copy_to_user((void __user *)ir->ub.addr, &in->peer, in->peer_len))
			return -EFAULT;
		ret = cpt_sys(cpt_sym.sys_connect, ir->fd, ir->ub.addr, in->peer_len, 0, 0);
		if (ret)
			cpt_note("fd %u: cannot connect %s socket to %pISpc again: %ld\n",
				 ir->rfile->fd, cpt_inet_proto_name(in->type, in->protocol),
				 &in->peer, ret);
	} else if (in->state == TCP_LISTEN) {
		/* listen() clamps it to net.core.somaxconn, as it did. */
		ret = cpt_sys(cpt_sym.sys_listen, ir->fd, min_t(u32, in->backlog, INT_MAX),
			      0, 0, 0);
		if (ret)
			cpt_note("fd %u: cannot listen on %pISpc again: %ld\n", ir->rfile->fd,
				 &in->local, ret);
	}
	return ret;
}

static int cpt_tcp_refused(struct cpt_inet_restore *ir, const char *what, long ret)
{
	const struct cpt_rfile_inet *in = ir->in;

	cpt_note("fd %u: TCP connection %pISpc -> %pISpc: cannot %s: %ld%s\n", ir->rfile->fd,
		 &in->local, &in->peer, what, ret,
		 ret == -EPERM ? " (TCP repair mode needs CAP_NET_ADMIN)" : "");
	return ret;
}

static int cpt_tcp_set(struct cpt_inet_restore *ir, int name, u32 val, const char *what)
{
	int ret = cpt_inet_setsockopt(ir, SOL_TCP, name, &val, sizeof(val));

	return ret ? cpt_tcp_refused(ir, what, ret) : 0;
}

/*
 * Before bind() and connect(): repair mode, and where the queues start; in
 * FIN_WAIT2, past the FIN acknowledged, where the empty send queue starts.
 */
static int cpt_tcp_repair_begin(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_tcp *tcp = &ir->in->tcp;
	u32 send_seq = tcp->send_seq + (ir->in->state == TCP_FIN_WAIT2);

	return cpt_tcp_set(ir, TCP_REPAIR, TCP_REPAIR_ON, "enter TCP repair mode") ?:
	       cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "select the send queue") ?:
	       cpt_tcp_set(ir, TCP_QUEUE_SEQ, send_seq, "set the send sequence number") ?:
	       cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "select the receive queue") ?:
	       cpt_tcp_set(ir, TCP_QUEUE_SEQ, tcp->recv_seq, "set the receive sequence number");
}

/*
 * Queues len bytes: in repair mode, to the queue selected (received, or
 * sent and not acknowledged yet); out of it, as the program would send.
 * Never waits: the buffers were sized for the saved queues.
 */
static int cpt_tcp_fill(struct cpt_inet_restore *ir, struct socket *sock, const u8 *data,
			size_t len, const char *what)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec;
	int n;

	while (len) {
		vec.iov_base = (void *)data;
		vec.iov_len = len;
		n = kernel_sendmsg(sock, &msg, &vec, 1, len);
		if (n <= 0)
			return cpt_tcp_refused(ir, what, n ?: -ENOBUFS);
		data += n;
		len -= n;
		if (fatal_signal_pending(current))
			return -EINTR;
	}
	return 0;
}

/*
 * A closing connection, ESTABLISHED with its queues filled: its peer's FIN
 * received after the data queued (CLOSE_WAIT; LAST_ACK before its own FIN
 * is sent), its own FIN queued as sent after its data (FIN_WAIT1,
 * LAST_ACK; CLOSING before the peer's is received) or acknowledged
 * (FIN_WAIT2), as CRIU's soccr orders them; then reading shut down if the
 * program had. What the kernel made must be what was saved: a reset from
 * the peer meanwhile would have closed it.
 */
static int cpt_tcp_repair_fins(struct cpt_inet_restore *ir, struct socket *sock)
{
	const struct cpt_rfile_inet *in = ir->in;
	u32 state = in->state;
	int ret = 0;

	if (state == TCP_CLOSE_WAIT || state == TCP_LAST_ACK)
		ret = cpt_compat_tcp_fin_received(ir->sk);
	if (!ret && (state == TCP_FIN_WAIT1 || state == TCP_CLOSING || state == TCP_LAST_ACK))
		ret = cpt_compat_tcp_send_fin(sock);
	if (!ret && state == TCP_FIN_WAIT2)
		ret = cpt_compat_tcp_fin_acked(ir->sk);
	if (!ret && state == TCP_CLOSING)
		ret = cpt_compat_tcp_fin_received(ir->sk);
	if (ret)
		return cpt_tcp_refused(ir, "give back the FINs of its state", ret);
	if ((in->tcp.shutdown & RCV_SHUTDOWN) && !(READ_ONCE(ir->sk->sk_shutdown) & RCV_SHUTDOWN)) {
		ret = kernel_sock_shutdown(sock, SHUT_RD);
		if (ret)
			return cpt_tcp_refused(ir, "shut down its reading", ret);
	}
	if (READ_ONCE(ir->sk->sk_state) != state ||
	    READ_ONCE(ir->sk->sk_shutdown) != in->tcp.shutdown) {
		cpt_note("fd %u: TCP connection %pISpc -> %pISpc: %s %s (%s %#x), not %s (%#x)\n",
			 ir->rfile->fd, &in->local, &in->peer, "made again",
			 cpt_tcp_state_name(READ_ONCE(ir->sk->sk_state)), "shutdown",
			 READ_ONCE(ir->sk->sk_shutdown), cpt_tcp_state_name(state),
			 in->tcp.shutdown);
		return -EIO;
	}
	return 0;
}

/* After connect(), which repair mode makes ESTABLISHED at once. */
static int cpt_tcp_repair_end(struct cpt_inet_restore *ir, struct socket *sock)
{
	const struct cpt_rfile_tcp *tcp = &ir->in->tcp;
	struct tcp_repair_window win = {
		.snd_wl1 = tcp->snd_wl1, .snd_wnd = tcp->snd_wnd, .max_window = tcp->max_window,
		.rcv_wnd = tcp->rcv_wnd, .rcv_wup = tcp->rcv_wup,
	};
	struct tcp_repair_opt opts[4];
	unsigned int nr = 0;
	int ret;

	opts[nr++] = (struct tcp_repair_opt){ TCPOPT_MSS, tcp->mss };
	if (tcp->wscale_ok)
		opts[nr++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						      tcp->snd_wscale | tcp->rcv_wscale << 16 };
	if (tcp->sack_ok)
		opts[nr++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERM, 0 };
	if (tcp->tstamp_ok)
		opts[nr++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	ret = cpt_inet_setsockopt(ir, SOL_TCP, TCP_REPAIR_OPTIONS, opts, nr * sizeof(opts[0]));
	if (ret)
		return cpt_tcp_refused(ir, "set its MSS, window scale, SACK and timestamps", ret);
	ret = cpt_tcp_set(ir, TCP_TIMESTAMP, tcp->tsval, "set its timestamp clock") ?:
	      cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "select the receive queue") ?:
	      cpt_tcp_fill(ir, sock, tcp->recv_queue, tcp->recv_len, "queue the data received") ?:
	      cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "select the send queue") ?:
	      cpt_tcp_fill(ir, sock, tcp->send_queue, tcp->send_len, "queue the data written") ?:
	      cpt_tcp_repair_fins(ir, sock);
	if (ret)
		return ret;
	/* After the queues and FINs: the kernel checks the windows against rcv_nxt. */
	ret = cpt_inet_setsockopt(ir, SOL_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win));
	if (ret)
		return cpt_tcp_refused(ir, "set its windows", ret);
	/*
	 * The data never sent is queued as sent (repair mode sends nothing):
	 * retransmitted within the peer's window once out of repair mode,
	 * which waits for the whole tree (cpt_inet_resume_connections()):
	 * until its peer's end is made too, a segment would meet a reset.
	 * Repair mode's SO_REUSEADDR (forced, for the bind()) is the saved one
	 * again; the cork was held back.
	 */
	if (cpt_inet_opt(ir->in, CPT_PB_INET_SOCKET_REUSEADDR))
		ret = cpt_inet_setsockopt(ir, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int));
	if (!ret && cpt_inet_opt(ir->in, CPT_PB_INET_SOCKET_CORK))
		ret = cpt_inet_setsockopt(ir, SOL_TCP, TCP_CORK, &(int){ 1 }, sizeof(int));
	return ret ? cpt_tcp_refused(ir, "set SO_REUSEADDR or TCP_CORK again", ret) : 0;
}

/*
 * A UDP socket's datagrams, queued again oldest first before bind(): no
 * datagram from the network can come in between them. Each is charged to
 * the socket as it came in; the receive buffer, as restored, takes them
 * or the restart fails naming the socket.
 */
static int cpt_udp_refill_refused(struct cpt_inet_restore *ir, unsigned int i,
				  const struct cpt_udp_dgram *d, int ret)
{
	cpt_note("fd %u: cannot queue datagram %u of %u (%u bytes from %pISpc) again: %d%s\n",
		 ir->rfile->fd, i + 1, ir->in->nr_queued, d->len, &d->source, ret,
		 ret == -ENOMEM ? " (its receive buffer is full)" : "");
	return ret;
}

static int cpt_udp_fill_queue(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct cpt_udp_dgram d;
	unsigned int i = 0;
	const u8 *data;
	int ret;

	cpt_pb_for_each_subfield(&r, &in->sock_msg, &f) {
		if (f.num != CPT_PB_INET_SOCKET_UDP_QUEUE)
			continue;
		/* Checked when decoded. */
		ret = cpt_udp_decode_dgram(&f, &d, &data) ?:
		      cpt_compat_udp_enqueue(ir->sk, &d, data, (struct sockaddr *)&in->local);
		if (ret) {
			cpt_pb_fail(&r, cpt_udp_refill_refused(ir, i, &d, ret));
			break;
		}
		i++;
		ret = cpt_long_loop_check();
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
	}
	return cpt_pb_end(&r);
}

/* Why socket() refused the restarting caller, where the kernel's check says. */
static const char *cpt_inet_socket_hint(const struct cpt_rfile_inet *in, long ret)
{
	if (in->type == SOCK_RAW && ret == -EPERM)
		return " (a raw socket needs CAP_NET_RAW)";
	if (in->type == SOCK_DGRAM && ret == -EACCES &&
	    (in->protocol == IPPROTO_ICMP || in->protocol == IPPROTO_ICMPV6))
		return " (net.ipv4.ping_group_range holds none of the restarting caller's groups)";
	return "";
}

static int cpt_inet_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct cpt_inet_restore ir = { .rfile = rfile, .in = &rfile->inet };
	const struct cpt_rfile_inet *in = &rfile->inet;
	struct file *file, *now;
	struct socket *sock;
	int ret;

	ret = cpt_ubuf_get(&ir.ub, sizeof(struct sockaddr_storage));
	if (ret)
		return ret;
	ir.fd = cpt_sys(cpt_sym.sys_socket, in->family, in->type | SOCK_CLOEXEC, in->protocol,
			0, 0);
	if (ir.fd < 0) {
		cpt_note("fd %u: cannot make its %s socket again: %ld%s\n", rfile->fd,
			 cpt_inet_proto_name(in->type, in->protocol), ir.fd,
			 cpt_inet_socket_hint(in, ir.fd));
		cpt_ubuf_put(&ir.ub);
		return ir.fd;
	}
	file = fget(ir.fd);
	sock = file ? sock_from_file(file) : NULL;
	if (!sock || sock->sk->sk_family != in->family || sock->sk->sk_type != in->type ||
	    sock->sk->sk_protocol != in->protocol) {
		cpt_note("the socket just made at fd %ld is not there: %s\n", ir.fd,
			 "another task changed the restoring task's fd table");
		ret = -EBADF;
		goto out;
	}
	ir.sk = sock->sk;
	if (in->tcp.present)
		cpt_compat_tcp_grow_buffers(ir.sk, in->tcp.rcvbuf, in->tcp.sndbuf);
	ret = cpt_inet_set_opts(&ir);
	if (!ret && in->type == SOCK_RAW)
		ret = cpt_raw_set_opts(&ir);
	if (!ret && in->tcp.present)
		ret = cpt_tcp_repair_begin(&ir);
	if (!ret && in->nr_queued)
		ret = cpt_udp_fill_queue(&ir);
	if (!ret && in->local_len)
		ret = cpt_inet_bind(&ir);
	if (!ret)
		ret = cpt_inet_connect_listen(&ir);
	if (!ret && in->tcp.present)
		ret = cpt_tcp_repair_end(&ir, sock);
	if (ret)
		goto out;
	/* Held threads: nobody else uses the table; checked all the same. */
	now = fget(ir.fd);
	if (now != file) {
		ret = -EBADF;
		cpt_note("the socket just made at fd %ld is not there: %s\n", ir.fd,
			 "another task changed the restoring task's fd table");
	}
	if (now)
		fput(now);
out:
	if (!ret) {
		rfile->file = file;
		cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	} else if (file) {
		/* A connection made again in part: its close sends its peer nothing. */
		if (in->tcp.present && ir.sk)
			cpt_compat_tcp_end_silently(ir.sk);
		fput(file);
	}
	close_fd(ir.fd);
	cpt_ubuf_put(&ir.ub);
	return ret;
}

static int cpt_tcp_ends_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct cpt_tcp_ends));
}

static struct sock *cpt_saved_connection(const struct cpt_saved_file *sf)
{
	return sf->tcp_saved ? cpt_inet_sk(sf->file) : NULL;
}

/*
 * Whether --kill may end sk: silently, which takes CAP_NET_ADMIN; its peer
 * in the tree (ended too), or outside it with --tcp-established (*outside:
 * it needs a hold).
 */
static int cpt_tcp_may_end(struct cpt_session *s, struct sock *sk,
			   const struct cpt_tcp_ends *ends, unsigned int nr, bool *outside)
{
	struct sockaddr_storage local, peer;
	struct cpt_tcp_ends reversed;

	cpt_inet_addr(sk, false, &local);
	cpt_inet_addr(sk, true, &peer);
	cpt_tcp_ends(sk, true, &reversed);
	if (!ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN)) {
		cpt_note("TCP connection %pISpc -> %pISpc: %s needs CAP_NET_ADMIN\n", &local, &peer,
			 "ending it silently (TCP repair mode) for --kill");
		return -EPERM;
	}
	*outside = !bsearch(&reversed, ends, nr, sizeof(*ends), cpt_tcp_ends_cmp);
	if (*outside && !s->tcp_established) {
		cpt_note("TCP connection %pISpc -> %pISpc: %s\n", &local, &peer,
			 "its peer is outside the tree (--kill would leave it to resets): not supported without --tcp-established");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cpt_tcp_unchanged(struct sock *sk, u32 rcv_nxt, int state)
{
	struct sockaddr_storage local, peer;

	if (cpt_compat_tcp_unchanged(sk, rcv_nxt, state))
		return 0;
	cpt_inet_addr(sk, false, &local);
	cpt_inet_addr(sk, true, &peer);
	cpt_note("TCP connection %pISpc -> %pISpc: %s\n", &local, &peer,
		 "data came in or the state changed after it was saved; try again");
	return -EAGAIN;
}

/*
 * A saved connection held by someone outside the tree as well: more
 * references to its file than the tree's fds, the messages queued in the
 * tree's unix sockets that carry it (SCM_RIGHTS) and the registry's own
 * (cpt_compat_holders.c says why that count is exact in a frozen tree).
 * --kill would end it under that holder, which the count cannot name;
 * every fd table of the system can, when the holder has one.
 */
static bool cpt_tcp_shared(const struct cpt_saved_file *sf)
{
	return cpt_compat_file_refs(sf->file) != (long)sf->tree_fds + sf->in_flight + 1;
}

/* A walk of every fd table for the holders of shared connections. */
struct cpt_tcp_holders {
	struct cpt_session *s;
	struct pid_namespace *ns;	/* the checkpointer's, whose pids name them */
	int *holder;			/* by index in saved: a pid; -1 in no pid of ns */
	const void **tree_tables;	/* sorted */
	unsigned int nr_tables;
};

static int cpt_ptr_cmp(const void *a, const void *b)
{
	unsigned long x = (unsigned long)*(const void * const *)a;
	unsigned long y = (unsigned long)*(const void * const *)b;

	return x < y ? -1 : x > y;
}

/* The tree's own fd tables hold its fds: counted already. */
static bool cpt_tcp_tree_table(const struct files_struct *files, void *arg)
{
	struct cpt_tcp_holders *h = arg;

	return bsearch(&files, h->tree_tables, h->nr_tables, sizeof(*h->tree_tables),
		       cpt_ptr_cmp);
}

static void cpt_tcp_found_holder(struct task_struct *task, struct file *file, void *arg)
{
	struct cpt_tcp_holders *h = arg;
	struct cpt_saved_file *sf = cpt_find_saved(h->s->files, file);
	int *holder;

	if (!sf || !cpt_saved_connection(sf))
		return;
	holder = &h->holder[sf - h->s->files->saved];
	if (*holder <= 0)
		*holder = task_tgid_nr_ns(task, h->ns) ?: -1;
}

static int cpt_tcp_find_holders(struct cpt_session *s, struct cpt_tcp_holders *h)
{
	struct cpt_fd_walk walk = {
		.skip = cpt_tcp_tree_table, .found = cpt_tcp_found_holder, .arg = h,
	};
	unsigned int i;

	h->s = s;
	h->ns = task_active_pid_ns(current);
	h->holder = kvcalloc(s->files->nr_saved, sizeof(*h->holder), GFP_KERNEL_ACCOUNT);
	h->tree_tables = kvmalloc_array(s->nr_tasks, sizeof(*h->tree_tables),
					GFP_KERNEL_ACCOUNT);
	if (!h->holder || !h->tree_tables)
		return -ENOMEM;
	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].fd_table)
			h->tree_tables[h->nr_tables++] = s->tasks[i].fd_table;
	sort(h->tree_tables, h->nr_tables, sizeof(*h->tree_tables), cpt_ptr_cmp, NULL);
	return cpt_compat_walk_fds(&walk);
}

/* Who else holds a shared connection, as h found it. */
static const char *cpt_tcp_holder(int holder, char *buf, size_t size)
{
	if (holder < 0)
		return "a process of a pid namespace the checkpointer does not see";
	if (!holder)
		return "a holder in no fd table (an fd of it in flight in a unix socket message?)";
	snprintf(buf, size, "pid %d", holder);
	return buf;
}

/*
 * Refuses --kill, naming each connection the tree shares with a holder
 * outside it, and that holder. The count, read again after the walk, has
 * the last word: a transient holder (a reader of /proc/PID/fdinfo) is gone
 * by then, and a holder without an fd (an fd in flight) is still counted.
 */
static int cpt_tcp_refuse_shared(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_tcp_holders h = {};
	struct sockaddr_storage local, peer;
	struct cpt_saved_file *sf;
	unsigned int i, shared = 0;
	char buf[24];
	struct sock *sk;
	int ret;

	for (i = 0; i < reg->nr_saved; i++)
		if (cpt_saved_connection(&reg->saved[i]) && cpt_tcp_shared(&reg->saved[i]))
			shared++;
	if (!shared)
		return 0;
	ret = cpt_tcp_find_holders(s, &h);
	for (i = 0, shared = 0; !ret && i < reg->nr_saved; i++) {
		sf = &reg->saved[i];
		sk = cpt_saved_connection(sf);
		if (!sk || !cpt_tcp_shared(sf))
			continue;
		shared++;
		cpt_inet_addr(sk, false, &local);
		cpt_inet_addr(sk, true, &peer);
		cpt_note("fd %u of pid %u: TCP connection %pISpc -> %pISpc %s %s %s\n",
			 sf->tcp_fd, sf->tcp_pid, &local, &peer, "is shared with",
			 cpt_tcp_holder(h.holder[i], buf, sizeof(buf)),
			 "outside the tree (--kill would end it under that holder): not supported");
	}
	kvfree(h.holder);
	kvfree(h.tree_tables);
	return ret ?: shared ? -EOPNOTSUPP : 0;
}

void cpt_inet_cancel_holds(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_saved_file *sf;
	unsigned int i;
	struct sock *sk;

	for (i = 0; reg && i < reg->nr_saved; i++) {
		sf = &reg->saved[i];
		sk = cpt_saved_connection(sf);
		if (sk && sf->tcp_hold)
			cpt_tcp_hold_cancel(sock_net(sk), sf->tcp_hold);
		sf->tcp_hold = 0;
	}
}

int cpt_inet_may_end_connections(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_tcp_ends *ends;
	unsigned int i, nr = 0;
	bool *outside = NULL;
	struct sock *sk;
	int ret = 0;

	for (i = 0; reg && i < reg->nr_saved; i++)
		nr += !!cpt_saved_connection(&reg->saved[i]);
	if (!nr)
		return 0;
	ends = kvmalloc_array(nr, sizeof(*ends), GFP_KERNEL_ACCOUNT);
	outside = kvcalloc(reg->nr_saved, sizeof(*outside), GFP_KERNEL_ACCOUNT);
	if (!ends || !outside) {
		ret = -ENOMEM;
		goto out;
	}
	nr = 0;
	for (i = 0; i < reg->nr_saved; i++) {
		sk = cpt_saved_connection(&reg->saved[i]);
		if (sk)
			cpt_tcp_ends(sk, false, &ends[nr++]);
	}
	sort(ends, nr, sizeof(*ends), cpt_tcp_ends_cmp, NULL);
	for (i = 0; !ret && i < reg->nr_saved; i++) {
		sk = cpt_saved_connection(&reg->saved[i]);
		if (sk)
			ret = cpt_tcp_may_end(s, sk, ends, nr, &outside[i]);
	}
	ret = ret ?: cpt_tcp_refuse_shared(s);
	/* A segment past the hooks before a hold was made is through TCP after this. */
	if (!ret && s->tcp_established)
		synchronize_net();
	for (i = 0; !ret && i < reg->nr_saved; i++) {
		reg->saved[i].tcp_outside = outside[i];
		sk = cpt_saved_connection(&reg->saved[i]);
		if (sk)
			ret = cpt_tcp_unchanged(sk, reg->saved[i].tcp_rcv_nxt,
						reg->saved[i].tcp_state);
	}
out:
	kvfree(ends);
	kvfree(outside);
	return ret;
}

void cpt_inet_end_connections(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	unsigned int i;
	struct sock *sk;

	for (i = 0; reg && i < reg->nr_saved; i++) {
		sk = cpt_saved_connection(&reg->saved[i]);
		if (!sk)
			continue;
		cpt_compat_tcp_end_silently(sk);
		/* Its peer, ended too, sends nothing: only a peer outside needs the hold. */
		if (reg->saved[i].tcp_hold && !reg->saved[i].tcp_outside)
			cpt_tcp_hold_cancel(sock_net(sk), reg->saved[i].tcp_hold);
		/* The module's now: no cancel at the session's end. */
		reg->saved[i].tcp_hold = 0;
	}
}

const struct cpt_file_ops cpt_file_inet_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_inet_claim,
	.save = cpt_inet_save,
	.decode = cpt_inet_decode,
	.check = cpt_inet_check,
	.open = cpt_inet_open,
};
