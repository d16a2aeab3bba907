// SPDX-License-Identifier: GPL-2.0
/*
 * UDP and UDP-Lite sockets' queued datagrams: saved, each with its payload
 * and sender, without taking them off the queue, and queued again as the
 * kernel's receive path queues them (cpt_compat_udp.c).
 */
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/udp.h>
#include <net/sock.h>
#include <net/udp.h>

#include "cpt_compat.h"
#include "cpt_file_inet.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_tcp_hold.h"

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
int cpt_udp_save_queue(unsigned int fd, struct sock *sk, struct cpt_pb_buf *msg,
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
void cpt_udp_decode_queue(struct cpt_rfile_inet *in, struct cpt_pb_reader *r,
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

int cpt_udp_fill_queue(struct cpt_inet_restore *ir)
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

/* ---- data corked ---- */

/*
 * A UDP socket's data corked (UDP_CORK, or sends with MSG_MORE): its
 * payload, destination and source, and whether UDP_CORK is set. What the
 * sends' control messages gave it (IP_TTL, IP_PKTINFO's interface, a flow
 * label...) a restart's plain send could not give again: refused by name.
 */
int cpt_udp_save_cork(unsigned int fd, struct sock *sk, struct cpt_pb_buf *msg,
		      const struct sockaddr *local)
{
	size_t len = sk->sk_family == AF_INET ? sizeof(struct sockaddr_in) :
			sizeof(struct sockaddr_in6);
	struct cpt_udp_cork c;
	u8 *data;

	data = kvmalloc(CPT_UDP_MAX_PAYLOAD, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	cpt_compat_udp_cork(sk, &c, data);
	if (c.unsaved) {
		cpt_note("fd %u: %s socket on %pISpc with corked data: %s is not supported\n",
			 fd, cpt_sk_proto_name(sk), local, c.unsaved);
		kvfree(data);
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_UDP_CORK, c.corkflag);
	if (c.family) {
		cpt_pb_bytes(msg, CPT_PB_INET_SOCKET_UDP_CORKED, data, c.len);
		cpt_pb_bytes(msg, CPT_PB_INET_SOCKET_UDP_CORK_DEST, &c.dest, len);
		cpt_pb_bytes(msg, CPT_PB_INET_SOCKET_UDP_CORK_SOURCE, &c.source, len);
	}
	kvfree(data);
	return 0;
}

bool cpt_udp_decode_cork(struct cpt_rfile_udp_cork *cork, struct cpt_pb_reader *r,
			 const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_INET_SOCKET_UDP_CORK:
		cpt_pb_read_bool(r, f, &cork->corkflag);
		return true;
	case CPT_PB_INET_SOCKET_UDP_CORKED:
		cpt_pb_read_bytes(r, f, &cork->data, &cork->len);
		return true;
	case CPT_PB_INET_SOCKET_UDP_CORK_DEST:
	case CPT_PB_INET_SOCKET_UDP_CORK_SOURCE:
		if (f->wire != CPT_PB_BYTES || f->len > sizeof(struct sockaddr_in6)) {
			cpt_pb_fail(r, -EBADMSG);
			return true;
		}
		if (f->num == CPT_PB_INET_SOCKET_UDP_CORK_DEST) {
			memcpy(&cork->dest, f->data, f->len);
			cork->dest_len = f->len;
		} else {
			memcpy(&cork->source, f->data, f->len);
			cork->source_len = f->len;
		}
		return true;
	}
	return false;
}

/* addr, of len bytes, is a port's of in's family (or v4-mapped), not the wildcard's. */
static bool cpt_udp_cork_addr_valid(const struct cpt_rfile_inet *in,
				    const struct sockaddr_in6 *addr, u32 len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)addr;

	if (addr->sin6_family != in->family ||
	    len != (in->family == AF_INET ? sizeof(*sin) : sizeof(*addr)))
		return false;
	return in->family == AF_INET ? sin->sin_port && sin->sin_addr.s_addr :
	       addr->sin6_port && !ipv6_addr_any(&addr->sin6_addr) && !addr->sin6_flowinfo;
}

/*
 * A UDP socket's corked data, checked: a bound socket's (a send binds it),
 * from its own port, to an address and port, of no more than a datagram.
 */
bool cpt_udp_cork_check(const struct cpt_rfile_inet *in, bool udp)
{
	const struct cpt_rfile_udp_cork *cork = &in->cork;
	const struct sockaddr_in *local = (const struct sockaddr_in *)&in->local;
	const struct sockaddr_in *source = (const struct sockaddr_in *)&cork->source;

	if (!cork->dest_len)
		return !cork->len && !cork->source_len && (!cork->corkflag || udp);
	/* sin_port and sin6_port are at the same offset. */
	return udp && cork->len <= CPT_UDP_MAX_PAYLOAD && in->local_len &&
	       cpt_udp_cork_addr_valid(in, &cork->dest, cork->dest_len) &&
	       cpt_udp_cork_addr_valid(in, &cork->source, cork->source_len) &&
	       source->sin_port == local->sin_port;
}

/* Why the data corked again is not the saved: what differs, or NULL. */
static const char *cpt_udp_cork_differs(const struct cpt_rfile_udp_cork *saved,
					const struct cpt_udp_cork *now, const u8 *data)
{
	if (now->unsaved)
		return now->unsaved;
	if (!now->family || now->len != saved->len || memcmp(data, saved->data, saved->len))
		return "the bytes differ";
	if (memcmp(&now->dest, &saved->dest, saved->dest_len))
		return "the destination differs";
	if (memcmp(&now->source, &saved->source, saved->source_len))
		return "the source address differs: this machine sends it from another";
	if (now->corkflag != saved->corkflag)
		return "UDP_CORK differs";
	return NULL;
}

/*
 * UDP_CORK set again, and the data corked sent again corked, as the
 * restarting caller, to the saved destination (a connected socket's own
 * peer without a name, as send() gives it), with MSG_MORE: it stays corked
 * whether it was corked so or by UDP_CORK, and the program's next send
 * (or its UDP_CORK off) sends it on, as it would have. It must cork as
 * saved, from the same source, or the restart fails naming the fd.
 */
int cpt_udp_cork_again(struct cpt_inet_restore *ir, struct socket *sock)
{
	const struct cpt_rfile_udp_cork *saved = &ir->in->cork;
	const struct cpt_rfile_inet *in = ir->in;
	struct msghdr msg = { .msg_flags = MSG_MORE | MSG_DONTWAIT | MSG_NOSIGNAL };
	struct kvec vec = { (void *)saved->data, saved->len };
	struct sockaddr_in6 dest = saved->dest;
	struct cpt_udp_cork now;
	const char *differs;
	int val = 1, ret;
	u8 *data;

	if (saved->corkflag) {
		ret = cpt_sock_setsockopt(&ir->sr, SOL_UDP, UDP_CORK, &val, sizeof(val));
		if (ret) {
			cpt_note("fd %u: cannot set UDP_CORK again: %d\n", ir->rfile->fd, ret);
			return ret;
		}
	}
	if (!saved->dest_len)
		return 0;
	if (!(in->peer_len == saved->dest_len && !memcmp(&in->peer, &dest, in->peer_len))) {
		msg.msg_name = &dest;
		msg.msg_namelen = saved->dest_len;
	}
	ret = kernel_sendmsg(sock, &msg, &vec, 1, vec.iov_len);
	if (ret != vec.iov_len) {
		cpt_note("fd %u: cannot cork its %zu bytes to %pISpc again: %d\n", ir->rfile->fd,
			 saved->len, &saved->dest, ret);
		return ret < 0 ? ret : -EIO;
	}
	data = kvmalloc(CPT_UDP_MAX_PAYLOAD, GFP_KERNEL);
	if (!data)
		return -ENOMEM;
	cpt_compat_udp_cork(ir->sk, &now, data);
	differs = cpt_udp_cork_differs(saved, &now, data);
	kvfree(data);
	if (!differs)
		return 0;
	cpt_note("fd %u: its %zu bytes corked to %pISpc from %pISpc do not cork so again (%s)\n",
		 ir->rfile->fd, saved->len, &saved->dest, &saved->source, differs);
	return -EADDRNOTAVAIL;
}
