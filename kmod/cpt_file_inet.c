// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets of IPv4 and IPv6 (v4-mapped addresses on a v6 socket
 * too): TCP unbound, bound, listening, connecting (SYN_SENT) or connected
 * (ESTABLISHED, or closing: CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, LAST_ACK,
 * CLOSING), UDP and UDP-Lite unbound, bound or connected, with the socket
 * options of cpt_inet_opts[] and the shared ones of cpt_sock.c. ICMP ping
 * sockets (ping.c: SOCK_DGRAM, IPPROTO_ICMP or IPPROTO_ICMPV6) alike, their
 * port the echo id; raw sockets (SOCK_RAW, any protocol) bound or
 * connected, with IP_HDRINCL and their ICMP filter; the kernel's checks
 * make them for the restarting caller or not (net.ipv4.ping_group_range,
 * CAP_NET_RAW). A checkpoint refuses, naming the fd, what a restart would
 * not give back: a TCP connection in any other state, a listener with
 * connections not accepted yet, datagrams queued on a ping or raw socket, a
 * raw socket's corked data, an option set that is not saved
 * (cpt_file_inet_opts.c), a socket of another network namespace. A UDP
 * socket's queued datagrams are saved and queued again, its corked data
 * corked again (cpt_file_inet_udp.c); a TCP connection through TCP repair
 * mode (cpt_file_inet_tcp.c).
 *
 * A restart makes the socket with the kernel's own system calls in the
 * restoring task, as the restarting caller and in its network namespace:
 * socket(), setsockopt() for each saved option, bind() to the saved address
 * and port, connect() and listen(). The kernel's checks apply as if the
 * program did it again (LSM hooks, CAP_NET_BIND_SERVICE for a port below
 * 1024, CAP_NET_ADMIN for SO_MARK or SO_RCVBUFFORCE); a refusal names the
 * fd, its address and port, and the restart fails with nothing left bound.
 */
#include <linux/ctype.h>
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
#include "cpt_file_inet.h"
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

enum cpt_inet_kind cpt_inet_kind(const struct sock *sk)
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

const char *cpt_sk_proto_name(const struct sock *sk)
{
	return cpt_inet_proto_name(sk->sk_type, sk->sk_protocol);
}

struct sock *cpt_inet_sk(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	if (!sock || !sock->sk)
		return NULL;
	return sock->sk->sk_family == AF_INET || sock->sk->sk_family == AF_INET6 ? sock->sk : NULL;
}

/* ---- checkpoint ---- */

/* The socket's bound address, as bind() takes it; its peer's, as connect() does. */
int cpt_inet_addr(struct sock *sk, bool peer, struct sockaddr_storage *ss)
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

/* A TCP connection in a state a restart makes; a connected UDP (raw, ping) socket. */
static bool cpt_inet_connected(enum cpt_inet_kind kind, int state)
{
	return kind == CPT_INET_TCP ? (1 << state) & CPT_TCPF_CONNECTED : state == TCP_ESTABLISHED;
}

/* Those, and a TCP connection still connecting: a socket with a peer. */
static bool cpt_inet_has_peer(enum cpt_inet_kind kind, int state)
{
	return cpt_inet_connected(kind, state) || (kind == CPT_INET_TCP && state == TCP_SYN_SENT);
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
	    !((1 << state) & CPT_TCPF_PEER)) {
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
	    (kind == CPT_INET_TCP && READ_ONCE(sk->sk_socket->state) != SS_UNCONNECTED &&
	     READ_ONCE(sk->sk_state) == TCP_CLOSE))
		return cpt_refuse(fd, "a TCP socket whose connection ended, or a shut down socket");
	if (READ_ONCE(sk->sk_state) == TCP_LISTEN) {
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
		/* A raw socket's MSG_MORE data waits in its write queue; UDP's is saved. */
		if (kind != CPT_INET_UDP && !skb_queue_empty_lockless(&sk->sk_write_queue)) {
			cpt_note("fd %u: %s socket on %pISpc with corked data: not supported yet\n",
				 fd, proto, local);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int cpt_inet_save(struct cpt_file_save *fs)
{
	struct sock *sk = cpt_inet_sk(fs->e->file);
	unsigned int fd = fs->e->fd;
	struct sockaddr_storage local, peer;
	int state = READ_ONCE(sk->sk_state);
	bool has_peer = cpt_inet_has_peer(cpt_inet_kind(sk), state);
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
	if (has_peer) {
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
	if (!ret && cpt_inet_kind(sk) == CPT_INET_TCP)
		ret = cpt_tcp_save_opts(&msg, fd, sk);
	if (!ret && cpt_inet_kind(sk) == CPT_INET_TCP && has_peer)
		ret = cpt_inet_save_tcp(fs, sk, &msg, (struct sockaddr *)&local, state);
	if (!ret && cpt_inet_kind(sk) == CPT_INET_UDP)
		ret = cpt_udp_save_queue(fd, sk, &msg, (struct sockaddr *)&local) ?:
		      cpt_udp_save_cork(fd, sk, &msg, (struct sockaddr *)&local);
	if (!ret)
		ret = msg.err ?: cpt_sock_opts_save(fs->one, fd, sk, CPT_SOCK_OPTS_SHARED);
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	cpt_pb_message(fs->one, CPT_PB_FILE_INET, &msg);
	return 0;
}

/* ---- restart ---- */

static int cpt_inet_decode_msg(struct cpt_rfile_inet *in, const struct cpt_pb_field *pf)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t len;

	in->sock_msg = *pf;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		if (cpt_inet_decode_tcp(&in->tcp, &r, &f) ||
		    cpt_udp_decode_cork(&in->cork, &r, &f))
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
		case CPT_PB_INET_SOCKET_TCP_SYN_SEQ:
			cpt_pb_read_u32(&r, &f, &in->syn_seq);
			break;
		case CPT_PB_INET_SOCKET_BIND_DEVICE:
			cpt_pb_read_string(&r, &f, in->bind_device, sizeof(in->bind_device));
			break;
		case CPT_PB_INET_SOCKET_TCP_DEFER_ACCEPT:
			cpt_pb_read_u32(&r, &f, &in->defer_accept);
			break;
		case CPT_PB_INET_SOCKET_TCP_CONGESTION:
			cpt_pb_read_string(&r, &f, in->congestion, sizeof(in->congestion));
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
	if (f->num == CPT_PB_FILE_SOCKET_OPTIONS)
		return cpt_sock_opts_decode(&rfile->inet.sock_opts, f);
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

u32 cpt_inet_opt(const struct cpt_rfile_inet *in, u32 field)
{
	return in->opt[field - CPT_INET_OPT_FIRST];
}

static_assert(sizeof_field(struct cpt_rfile_inet, congestion) == TCP_CA_NAME_MAX);

/*
 * An algorithm's name, for the messages that show it: letters, digits, '_'
 * and '-'; '.' too, which a BPF one's may hold (bpf_obj_name_cpy()).
 */
static bool cpt_tcp_congestion_valid(const char *name)
{
	for (; *name; name++)
		if (!isalnum(*name) && *name != '_' && *name != '-' && *name != '.')
			return false;
	return true;
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
		 (in->state >= 32 || !((1 << in->state) & CPT_TCPF_PEER)))
		*bad = "socket state";
	else if (tcp && cpt_inet_connected(kind, in->state) ? !in->tcp.present :
		 in->tcp.present)
		*bad = "socket state";
	else if (in->tcp.present && !cpt_tcp_check(in->state, &in->tcp))
		*bad = "TCP connection state";
	/* Still connecting: its SYN's sequence number, its port and its peer's. */
	else if (tcp && in->state == TCP_SYN_SENT ?
		 !in->syn_seq || !in->local.sin6_port || !in->peer.sin6_port : in->syn_seq)
		*bad = "TCP connection state";
	else if (in->local_len ? !cpt_inet_addr_valid(in->family, &in->local, in->local_len) :
		 in->state != TCP_CLOSE)
		*bad = "socket address";
	else if (cpt_inet_has_peer(kind, in->state) ?
		 !cpt_inet_addr_valid(in->family, &in->peer, in->peer_len) : in->peer_len)
		*bad = "socket peer";
	else if (in->backlog && in->state != TCP_LISTEN)
		*bad = "socket backlog";
	else if (in->nr_queued &&
		 (kind != CPT_INET_UDP || !in->local_len ||
		  (in->queue_v6 && in->family != AF_INET6) ||
		  (in->queue_v4 && cpt_inet_opt(in, CPT_PB_INET_SOCKET_V6ONLY))))
		*bad = "UDP socket queue";
	else if (!cpt_udp_cork_check(in, kind == CPT_INET_UDP))
		*bad = "UDP corked data";
	else if ((in->hdrincl && !raw) ||
		 (in->icmp_filter &&
		  !(raw && in->protocol == IPPROTO_ICMP && in->family == AF_INET)) ||
		 (in->icmp6_filter_set &&
		  !(raw && in->protocol == IPPROTO_ICMPV6 && in->family == AF_INET6)))
		*bad = "raw socket option";
	else if (!cpt_sock_opts_valid(&in->sock_opts, CPT_SOCK_OPTS_SHARED))
		*bad = "socket option";
	else if ((!tcp && (in->defer_accept || *in->congestion)) || in->defer_accept > INT_MAX ||
		 !cpt_tcp_congestion_valid(in->congestion))
		*bad = "TCP socket option";
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
		ret = cpt_sock_setsockopt(&ir->sr, SOL_IPV6, IPV6_V6ONLY, &val, sizeof(val));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, "IPV6_V6ONLY", val, ret);
	}
	if (*in->bind_device) {
		ret = cpt_sock_setsockopt(&ir->sr, SOL_SOCKET, SO_BINDTODEVICE, in->bind_device,
					  strlen(in->bind_device) + 1);
		if (ret) {
			cpt_note("fd %u: cannot bind it to interface %s again: %d\n",
				 ir->rfile->fd, in->bind_device, ret);
			return ret;
		}
	}
	ret = cpt_sock_set_buf(&ir->sr, true, cpt_inet_opt(in, CPT_PB_INET_SOCKET_RCVBUF)) ?:
	      cpt_sock_set_buf(&ir->sr, false, cpt_inet_opt(in, CPT_PB_INET_SOCKET_SNDBUF));
	if (ret)
		return ret;
	if (cpt_inet_opt(in, CPT_PB_INET_SOCKET_LINGER)) {
		ling.l_onoff = 1;
		ling.l_linger = cpt_inet_opt(in, CPT_PB_INET_SOCKET_LINGER_SECONDS);
		ret = cpt_sock_setsockopt(&ir->sr, SOL_SOCKET, SO_LINGER, &ling, sizeof(ling));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, "SO_LINGER", ling.l_linger, ret);
	}
	for (i = 0; i < ARRAY_SIZE(cpt_inet_opts); i++) {
		o = &cpt_inet_opts[i];
		val = cpt_inet_opt(in, o->field);
		if (o->field == CPT_PB_INET_SOCKET_V6ONLY || !val)
			continue;
		/* Corked, a connection would hold back the queue it is given: after it. */
		if (o->field == CPT_PB_INET_SOCKET_CORK && in->tcp.present)
			continue;
		ret = cpt_sock_setsockopt(&ir->sr, o->level, o->name, &val, sizeof(val));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, o->what, val, ret);
	}
	return 0;
}

/*
 * A TCP socket's TCP_DEFER_ACCEPT and TCP_CONGESTION: an algorithm the
 * restarting caller may not use (not in net.ipv4.tcp_allowed_congestion_control
 * without CAP_NET_ADMIN), or that this kernel lacks, fails the restart.
 */
static int cpt_tcp_set_opts(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	int ret;

	if (in->defer_accept) {
		ret = cpt_sock_setsockopt(&ir->sr, SOL_TCP, TCP_DEFER_ACCEPT, &in->defer_accept,
					  sizeof(int));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, "TCP_DEFER_ACCEPT", in->defer_accept,
						    ret);
	}
	if (!*in->congestion)
		return 0;
	ret = cpt_sock_setsockopt(&ir->sr, SOL_TCP, TCP_CONGESTION, in->congestion,
				  strlen(in->congestion));
	if (ret)
		cpt_note("fd %u: cannot set TCP_CONGESTION to %s again: %d%s\n", ir->rfile->fd,
			 in->congestion, ret,
			 ret == -ENOENT ? " (this kernel has no such algorithm)" :
			 ret == -EPERM ? " (not allowed to the restarting caller)" : "");
	return ret;
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
		ret = cpt_sock_setsockopt(&ir->sr, v4 ? SOL_IP : SOL_IPV6,
					  v4 ? IP_HDRINCL : IPV6_HDRINCL, &val, sizeof(val));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, hdrincl, val, ret);
	}
	if (in->icmp_filter) {
		ret = cpt_sock_setsockopt(&ir->sr, SOL_RAW, ICMP_FILTER, &in->icmp_filter,
					  sizeof(in->icmp_filter));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, "ICMP_FILTER", in->icmp_filter, ret);
	}
	if (in->icmp6_filter_set) {
		ret = cpt_sock_setsockopt(&ir->sr, SOL_ICMPV6, ICMPV6_FILTER, in->icmp6_filter,
					  sizeof(in->icmp6_filter));
		if (ret)
			return cpt_sock_opt_refused(&ir->sr, "ICMPV6_FILTER", in->icmp6_filter[0],
						    ret);
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
	bool syn_sent = in->state == TCP_SYN_SENT;
	long ret = 0;

	if (cpt_inet_has_peer(cpt_inet_kind_of(in->family, in->type, in->protocol), in->state)) {
		if (copy_to_user((void __user *)ir->ub.addr, &in->peer, in->peer_len))
			return -EFAULT;
		/* Still connecting: connect() sends the SYN and returns, not waiting. */
		if (syn_sent)
			cpt_set_nonblock(ir->file, true);
		ret = cpt_sys(cpt_sym.sys_connect, ir->fd, ir->ub.addr, in->peer_len, 0, 0);
		if (syn_sent && ret == -EINPROGRESS)
			ret = 0;
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

/* Why socket() refused the restarting caller, where the kernel's check says. */
static const char *cpt_inet_socket_hint(const struct cpt_rfile *rfile, long ret)
{
	const struct cpt_rfile_inet *in = &rfile->inet;

	if (in->type == SOCK_RAW && ret == -EPERM)
		return " (a raw socket needs CAP_NET_RAW)";
	if (in->type == SOCK_DGRAM && ret == -EACCES &&
	    (in->protocol == IPPROTO_ICMP || in->protocol == IPPROTO_ICMPV6))
		return " (net.ipv4.ping_group_range holds none of the restarting caller's groups)";
	return "";
}

static int cpt_inet_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct cpt_inet_restore ir = { .rfile = rfile, .fd = -1, .in = &rfile->inet };
	const struct cpt_rfile_inet *in = &rfile->inet;
	struct socket *sock;
	int ret;

	ret = cpt_sock_make(&ir.sr, in->family, in->type, in->protocol,
			    cpt_inet_proto_name(in->type, in->protocol), cpt_inet_socket_hint);
	if (ret)
		return cpt_sock_made(&ir.sr, ret);
	sock = sock_from_file(ir.file);
	if (in->tcp.present)
		cpt_compat_tcp_grow_buffers(ir.sk, in->tcp.rcvbuf, in->tcp.sndbuf);
	/* Before the options: leaving repair mode forgets SO_REUSEADDR. */
	ret = in->syn_seq ? cpt_tcp_syn_begin(&ir) : 0;
	if (!ret)
		ret = cpt_inet_set_opts(&ir);
	if (!ret && in->type == SOCK_RAW)
		ret = cpt_raw_set_opts(&ir);
	if (!ret && in->type == SOCK_STREAM)
		ret = cpt_tcp_set_opts(&ir);
	/* A filter too: the queue filled below is the one it let through. */
	if (!ret)
		ret = cpt_sock_opts_restore_rest(&ir.sr, &in->sock_opts);
	if (!ret && in->tcp.present)
		ret = cpt_tcp_repair_begin(&ir);
	if (!ret && in->nr_queued)
		ret = cpt_udp_fill_queue(&ir);
	if (!ret && in->local_len)
		ret = cpt_inet_bind(&ir);
	if (!ret)
		ret = cpt_inet_connect_listen(&ir);
	if (!ret && cpt_inet_kind_of(in->family, in->type, in->protocol) == CPT_INET_UDP)
		ret = cpt_udp_cork_again(&ir, sock);
	if (!ret && in->tcp.present)
		ret = cpt_tcp_repair_end(&ir, sock);
	if (!ret && in->syn_seq)
		ret = cpt_tcp_syn_end(&ir);
	/* A connection made again in part: its close sends its peer nothing. */
	if (ret && (in->tcp.present || in->syn_seq))
		cpt_compat_tcp_end_silently(ir.sk);
	return cpt_sock_made(&ir.sr, ret);
}

const struct cpt_file_ops cpt_file_inet_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_inet_claim,
	.save = cpt_inet_save,
	.decode = cpt_inet_decode,
	.check = cpt_inet_check,
	.open = cpt_inet_open,
};
