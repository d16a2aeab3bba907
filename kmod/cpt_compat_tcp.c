// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for TCP connections: their state as TCP repair
 * mode sets it again (sequence numbers, the options agreed at the
 * handshake, windows, the timestamp clock) and the data of their send and
 * receive queues, read under the socket's lock from the tcp_sock and its
 * skbs, as net/ipv4/tcp.c's getsockopt(TCP_QUEUE_SEQ, TCP_REPAIR_WINDOW,
 * TCP_TIMESTAMP) and tcp_peek_sndq() read them, without putting the socket
 * in repair mode; the FINs a connection closing had sent and received,
 * given back to it after repair mode made it ESTABLISHED (as CRIU's soccr
 * does, without its packets: see cpt_compat_tcp_fin_received()); and the
 * silent end of a saved connection, as close() in repair mode ends it.
 * Checked at load (tcp_repair): a socket of our own given sequence numbers,
 * windows and a timestamp through TCP repair mode's setsockopt() reads them
 * back here.
 */
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "cpt_compat.h"

/* Copies the bytes of skb's payload (sequence numbers seq on) that fall in [from, from + len). */
static u32 cpt_tcp_copy_skb(const struct sk_buff *skb, u32 seq, u32 from, u32 len, u8 *to)
{
	u32 start = after(seq, from) ? seq : from;
	u32 end = seq + skb->len;

	if (after(end, from + len))
		end = from + len;
	if (!after(end, start) || skb_copy_bits(skb, start - seq, to + (start - from), end - start))
		return 0;
	return end - start;
}

static u8 *cpt_tcp_alloc(u32 len)
{
	return kvmalloc(len ?: 1, GFP_KERNEL_ACCOUNT);
}

/*
 * What a restore through repair mode would not give back, or NULL. The
 * out-of-order queue is not: those segments were not acknowledged, their
 * sender sends them again.
 */
static const char *cpt_tcp_unsaved(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (!((1 << sk->sk_state) & CPT_TCPF_CONNECTED))
		return "a state a restart does not make";
	if (tp->repair)
		return "TCP repair mode set";
	if (READ_ONCE(tp->urg_data))
		return "urgent data (MSG_OOB)";
	if (rcu_access_pointer(tp->fastopen_rsk))
		return "a TCP Fast Open handshake under way";
	return NULL;
}

/* The skb a FIN is queued with (sent or not, read or not), which ends the queue. */
static bool cpt_tcp_fin_queued(const struct sk_buff *tail, u32 end_seq)
{
	return tail && (TCP_SKB_CB(tail)->tcp_flags & TCPHDR_FIN) &&
	       TCP_SKB_CB(tail)->end_seq == end_seq;
}

/*
 * Where the data of a closing connection's queues end: before the FIN sent
 * (st->write_seq counts it), before the FIN received (st->rcv_nxt). A FIN
 * acknowledged (FIN_WAIT2) or read leaves the queue empty, which starts at
 * the FIN; one not is the last skb's, checked.
 */
static const char *cpt_tcp_fins(struct sock *sk, struct cpt_tcp_state *st, u32 *send_end,
				u32 *recv_end)
{
	struct sk_buff *tail;

	*send_end = st->write_seq;
	*recv_end = st->rcv_nxt;
	if ((1 << st->state) & CPT_TCPF_FIN_OUT) {
		*send_end = st->write_seq - 1;
		tail = tcp_write_queue_tail(sk) ?: skb_rb_last(&sk->tcp_rtx_queue);
		if (st->state == TCP_FIN_WAIT2 ? st->snd_una != st->write_seq :
		    !cpt_tcp_fin_queued(tail, st->write_seq))
			return "a FIN sent that is not where its state says";
		if (st->state == TCP_FIN_WAIT2)
			st->snd_una = *send_end;
	}
	if ((1 << st->state) & CPT_TCPF_FIN_IN) {
		*recv_end = st->rcv_nxt - 1;
		if (st->copied_seq == st->rcv_nxt)
			st->copied_seq = *recv_end;
		else if (!cpt_tcp_fin_queued(skb_peek_tail(&sk->sk_receive_queue), st->rcv_nxt))
			return "a FIN received that is not where its state says";
	}
	return NULL;
}

int cpt_compat_tcp_save(struct sock *sk, struct cpt_tcp_state *st, u32 max_queue)
{
	struct tcp_sock *tp = tcp_sk(sk);
	u32 send_end, recv_end;
	struct sk_buff *skb;
	u32 copied = 0;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	lock_sock(sk);
	st->unsaved = cpt_tcp_unsaved(sk);
	if (st->unsaved)
		goto out;
	st->state = sk->sk_state;
	st->shutdown = sk->sk_shutdown;
	st->snd_una = tp->snd_una;
	st->snd_nxt = tp->snd_nxt;
	st->write_seq = tp->write_seq;
	st->copied_seq = tp->copied_seq;
	st->rcv_nxt = tp->rcv_nxt;
	st->unsaved = cpt_tcp_fins(sk, st, &send_end, &recv_end);
	if (st->unsaved)
		goto out;
	st->send_len = send_end - st->snd_una;
	/* A FIN not sent yet is none of the data unsent. */
	st->unsent = after(st->snd_nxt, send_end) ? 0 : send_end - st->snd_nxt;
	st->recv_len = recv_end - st->copied_seq;
	if (st->send_len > max_queue || st->recv_len > max_queue || st->unsent > st->send_len) {
		st->unsaved = "more data queued than a restart takes back";
		goto out;
	}
	st->mss_clamp = tp->rx_opt.mss_clamp;
	st->snd_wscale = tp->rx_opt.snd_wscale;
	st->rcv_wscale = tp->rx_opt.rcv_wscale;
	st->wscale_ok = tp->rx_opt.wscale_ok;
	st->sack_ok = tp->rx_opt.sack_ok & TCP_SACK_SEEN;
	st->tstamp_ok = tp->rx_opt.tstamp_ok;
	/* As getsockopt(TCP_TIMESTAMP) gives it, and setsockopt() takes it. */
	st->tsval = tcp_time_stamp_raw() + READ_ONCE(tp->tsoffset);
	st->snd_wl1 = tp->snd_wl1;
	st->snd_wnd = tp->snd_wnd;
	st->max_window = tp->max_window;
	st->rcv_wnd = tp->rcv_wnd;
	st->rcv_wup = tp->rcv_wup;
	st->rcvbuf = READ_ONCE(sk->sk_rcvbuf);
	st->sndbuf = READ_ONCE(sk->sk_sndbuf);

	st->send_queue = cpt_tcp_alloc(st->send_len);
	st->recv_queue = cpt_tcp_alloc(st->recv_len);
	if (!st->send_queue || !st->recv_queue) {
		ret = -ENOMEM;
		goto out;
	}
	/* Sent and not acknowledged (the head perhaps in part), then not sent. */
	skb_rbtree_walk(skb, &sk->tcp_rtx_queue)
		copied += cpt_tcp_copy_skb(skb, TCP_SKB_CB(skb)->seq, st->snd_una, st->send_len,
					   st->send_queue);
	skb_queue_walk(&sk->sk_write_queue, skb)
		copied += cpt_tcp_copy_skb(skb, TCP_SKB_CB(skb)->seq, st->snd_una, st->send_len,
					   st->send_queue);
	if (copied != st->send_len) {
		st->unsaved = "a send queue whose data does not add up to its sequence numbers";
		goto out;
	}
	copied = 0;
	skb_queue_walk(&sk->sk_receive_queue, skb) {
		if (TCP_SKB_CB(skb)->tcp_flags & TCPHDR_SYN) {
			st->unsaved = "a receive queue holding a SYN";
			goto out;
		}
		copied += cpt_tcp_copy_skb(skb, TCP_SKB_CB(skb)->seq, st->copied_seq,
					   st->recv_len, st->recv_queue);
	}
	if (copied != st->recv_len)
		st->unsaved = "a receive queue whose data does not add up to its sequence numbers";
out:
	release_sock(sk);
	if (ret || st->unsaved)
		cpt_compat_tcp_state_free(st);
	return ret;
}

void cpt_compat_tcp_state_free(struct cpt_tcp_state *st)
{
	kvfree(st->send_queue);
	kvfree(st->recv_queue);
	st->send_queue = NULL;
	st->recv_queue = NULL;
}

/*
 * connect() sent the SYN (tcp_connect(): snd_una, write_seq past it) and
 * nothing else: data with it is TCP Fast Open's (refused by its option
 * too). A sequence number of 0 is one tcp_v4_connect() would replace.
 */
void cpt_compat_tcp_save_syn_sent(struct sock *sk, struct cpt_tcp_state *st)
{
	struct tcp_sock *tp = tcp_sk(sk);

	memset(st, 0, sizeof(*st));
	lock_sock(sk);
	st->state = sk->sk_state;
	st->snd_una = tp->snd_una;
	st->write_seq = tp->write_seq;
	st->rcv_nxt = tp->rcv_nxt;
	if (sk->sk_state != TCP_SYN_SENT)
		st->unsaved = "a state a restart does not make";
	else if (tp->repair)
		st->unsaved = "TCP repair mode set";
	else if (tp->fastopen_req || tp->write_seq != tp->snd_una + 1)
		st->unsaved = "data sent with its SYN (TCP Fast Open)";
	else if (!tp->snd_una)
		st->unsaved = "an initial sequence number of 0, which connect() would choose anew";
	else if (READ_ONCE(sk->sk_err_soft))
		st->unsaved = "an ICMP error reported for its SYN";
	release_sock(sk);
}

/* The SYN counts in write_seq: the one tcp_connect() sent is the sequence number before. */
u32 cpt_compat_tcp_syn_seq(struct sock *sk)
{
	u32 seq;

	lock_sock(sk);
	seq = tcp_sk(sk)->write_seq - 1;
	release_sock(sk);
	return seq;
}

bool cpt_compat_tcp_unchanged(struct sock *sk, u32 rcv_nxt, int state)
{
	bool same;

	lock_sock(sk);
	same = sk->sk_state == state && tcp_sk(sk)->rcv_nxt == rcv_nxt;
	release_sock(sk);
	return same;
}

/*
 * As close() in repair mode does (__tcp_close()): tcp_disconnect() sends
 * nothing to the peer for a socket in repair mode, and leaves no TIME_WAIT
 * socket on the connection's addresses and ports.
 */
void cpt_compat_tcp_end_silently(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE) {
		tp->repair = 1;
		tp->repair_queue = TCP_NO_QUEUE;
		tcp_disconnect(sk, 0);
	}
	release_sock(sk);
}

/*
 * A restored connection's buffers, before its queues are filled: as large
 * as autotuning had grown them, within its limits (net.ipv4.tcp_rmem[2],
 * tcp_wmem[2]), never smaller than they are; a size the user set is set
 * again by setsockopt() instead.
 */
void cpt_compat_tcp_grow_buffers(struct sock *sk, u32 rcvbuf, u32 sndbuf)
{
	struct net *net = sock_net(sk);
	int rmax = READ_ONCE(net->ipv4.sysctl_tcp_rmem[2]);
	int wmax = READ_ONCE(net->ipv4.sysctl_tcp_wmem[2]);

	lock_sock(sk);
	if (!(sk->sk_userlocks & SOCK_RCVBUF_LOCK) && rcvbuf > sk->sk_rcvbuf)
		WRITE_ONCE(sk->sk_rcvbuf, max(sk->sk_rcvbuf, (int)min_t(u32, rcvbuf, rmax)));
	if (!(sk->sk_userlocks & SOCK_SNDBUF_LOCK) && sndbuf > sk->sk_sndbuf)
		WRITE_ONCE(sk->sk_sndbuf, max(sk->sk_sndbuf, (int)min_t(u32, sndbuf, wmax)));
	release_sock(sk);
}

/*
 * A restored connection's queues are given back in repair mode through
 * the kernel's own paths, which keep within sk_sndbuf (tcp_sendmsg_locked()
 * stops at sk_stream_memory_free()) and sk_rcvbuf (tcp_try_rmem_schedule()
 * prunes the queue, clamping its window, then fails): the same bytes laid
 * out in other skbs than the program's (its head acknowledged in part, a
 * segment grown past the buffer) may take more than the buffer the program
 * filled, or lowered below what it held. So, as CRIU's
 * restore_prepare_socket() does, both are lifted for the refill, then put
 * back: here as they were, the program's (SO_SNDBUF, SO_RCVBUF, set and
 * read back before connect(), which sizes the window from sk_rcvbuf) or
 * autotuning's, their locks untouched. The memory is still charged
 * (net.ipv4.tcp_mem, the memory cgroup); the queues are what the image's
 * checks let through (CPT_TCP_MAX_QUEUE).
 */
void cpt_compat_tcp_lift_buffers(struct sock *sk, struct cpt_tcp_bufs *saved)
{
	lock_sock(sk);
	saved->rcvbuf = sk->sk_rcvbuf;
	saved->sndbuf = sk->sk_sndbuf;
	WRITE_ONCE(sk->sk_rcvbuf, INT_MAX);
	WRITE_ONCE(sk->sk_sndbuf, INT_MAX);
	release_sock(sk);
}

void cpt_compat_tcp_put_buffers(struct sock *sk, const struct cpt_tcp_bufs *saved)
{
	lock_sock(sk);
	WRITE_ONCE(sk->sk_rcvbuf, saved->rcvbuf);
	WRITE_ONCE(sk->sk_sndbuf, saved->sndbuf);
	release_sock(sk);
}

static int cpt_tcp_set(struct socket *sock, int name, const void *val, unsigned int len)
{
	return sock->ops->setsockopt(sock, SOL_TCP, name, KERNEL_SOCKPTR((void *)val), len);
}

/*
 * What tcp_fin() does with the FIN of an ESTABLISHED (FIN_WAIT1)
 * connection, which becomes CLOSE_WAIT (CLOSING), without the ACK it sends:
 * in repair mode that ACK would go out before the peer is made again; the
 * peer had it, or sends its FIN again and has it then. CRIU's soccr sends
 * the socket a FIN through a raw socket instead. The FIN ends the last skb
 * queued, as tcp_try_coalesce() merges a FIN into it, and is read after
 * its data; with none queued, it was read.
 */
int cpt_compat_tcp_fin_received(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *tail;
	int ret = 0;

	lock_sock(sk);
	tail = skb_peek_tail(&sk->sk_receive_queue);
	if (!tp->repair || !((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_FIN_WAIT1)) ||
	    (tail && (TCP_SKB_CB(tail)->end_seq != tp->rcv_nxt ||
		      (TCP_SKB_CB(tail)->tcp_flags & TCPHDR_FIN)))) {
		ret = -EINVAL;
		goto out;
	}
	if (tail) {
		TCP_SKB_CB(tail)->tcp_flags |= TCPHDR_FIN;
		TCP_SKB_CB(tail)->end_seq++;
	} else {
		WRITE_ONCE(tp->copied_seq, tp->rcv_nxt + 1);
	}
	WRITE_ONCE(tp->rcv_nxt, tp->rcv_nxt + 1);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	if (sk->sk_state == TCP_ESTABLISHED) {
		tcp_set_state(sk, TCP_CLOSE_WAIT);
		inet_csk_enter_pingpong_mode(sk);
	} else {
		tcp_set_state(sk, TCP_CLOSING);
	}
out:
	release_sock(sk);
	return ret;
}

/*
 * shutdown(SHUT_WR) queues the FIN (tcp_send_fin()), which repair mode,
 * its send queue selected, queues as sent (tcp_write_xmit()): it goes out
 * again once out of repair mode, as the data queued as sent does. ESTABLISHED
 * becomes FIN_WAIT1, CLOSE_WAIT LAST_ACK. Checked: tcp_send_fin() queues no
 * FIN when it cannot allocate its skb.
 */
int cpt_compat_tcp_send_fin(struct socket *sock)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	u32 write_seq;
	int ret;

	lock_sock(sk);
	write_seq = tp->write_seq;
	ret = tp->repair && tp->repair_queue == TCP_SEND_QUEUE &&
	      ((1 << sk->sk_state) & (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT)) ? 0 : -EINVAL;
	release_sock(sk);
	if (!ret)
		ret = kernel_sock_shutdown(sock, SHUT_WR);
	lock_sock(sk);
	if (!ret && (tp->write_seq != write_seq + 1 || tp->snd_nxt != tp->write_seq ||
		     !((1 << sk->sk_state) & (TCPF_FIN_WAIT1 | TCPF_LAST_ACK))))
		ret = -ENOMEM;
	release_sock(sk);
	return ret;
}

/*
 * A FIN acknowledged, nothing left to send: FIN_WAIT2, as
 * tcp_rcv_state_process() makes FIN_WAIT1 on that ACK. The sequence
 * numbers were set past the FIN.
 */
int cpt_compat_tcp_fin_acked(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	int ret = -EINVAL;

	lock_sock(sk);
	if (tp->repair && sk->sk_state == TCP_ESTABLISHED && tp->snd_una == tp->write_seq &&
	    tcp_rtx_and_write_queues_empty(sk)) {
		tcp_set_state(sk, TCP_FIN_WAIT2);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
		ret = 0;
	}
	release_sock(sk);
	return ret;
}

/*
 * setsockopt(TCP_REPAIR_OFF) sends the peer a window probe, which it
 * answers with its window; it also sets sk_reuse to SK_NO_REUSE, which the
 * restart had set as saved (SO_REUSEADDR) while in repair mode.
 */
int cpt_compat_tcp_resume(struct sock *sk)
{
	int off = TCP_REPAIR_OFF, ret;
	unsigned char reuse;
	bool repair;

	lock_sock(sk);
	repair = tcp_sk(sk)->repair && ((1 << sk->sk_state) & CPT_TCPF_CONNECTED);
	reuse = sk->sk_reuse;
	release_sock(sk);
	if (!repair)
		return 0;
	ret = cpt_tcp_set(sk->sk_socket, TCP_REPAIR, &off, sizeof(off));
	lock_sock(sk);
	if (!ret && reuse != SK_FORCE_REUSE)
		sk->sk_reuse = reuse;
	release_sock(sk);
	return ret;
}

void cpt_compat_tcp_now(struct sock *sk, bool *repair, u32 *state, u32 *shutdown, int *err)
{
	lock_sock(sk);
	*repair = tcp_sk(sk)->repair;
	*state = sk->sk_state;
	*shutdown = sk->sk_shutdown;
	*err = sk->sk_err;
	release_sock(sk);
}

void cpt_compat_tcp_seqs(struct sock *sk, u32 *rcv_nxt, u32 *snd_una, u32 *write_seq)
{
	lock_sock(sk);
	*rcv_nxt = tcp_sk(sk)->rcv_nxt;
	*snd_una = tcp_sk(sk)->snd_una;
	*write_seq = tcp_sk(sk)->write_seq;
	release_sock(sk);
}

/*
 * A connection with these ends, as a segment from the peer arriving on dif
 * finds it. Under the caller's rcu_read_lock(): the lookups need it, and
 * the caller's for_each_netdev_rcu() holds it across them all.
 */
static bool cpt_tcp_live_on(struct net *net, const struct in6_addr *local, __be16 local_port,
			    const struct in6_addr *peer, __be16 peer_port, int dif)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk = NULL;
	bool live;

	RCU_LOCKDEP_WARN(!rcu_read_lock_held(), "TCP lookup without rcu_read_lock()");

	/* An AF_INET6 socket's v4-mapped ends are v4. */
	if (ipv6_addr_v4mapped(local))
		sk = __inet_lookup_established(net, hinfo, peer->s6_addr32[3], peer_port,
					       local->s6_addr32[3], ntohs(local_port), dif, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __inet6_lookup_established(net, hinfo, peer, peer_port, local,
						ntohs(local_port), dif, 0);
#endif
	if (!sk)
		return false;
	/*
	 * A request sock (NEW_SYN_RECV) counts: a handshake from the peer on
	 * these ends, which a hold would blackhole. TIME_WAIT is no one's.
	 */
	live = READ_ONCE(sk->sk_state) != TCP_TIME_WAIT;
	sock_gen_put(sk);
	return live;
}

/*
 * A lookup matches a socket bound to no device (SO_BINDTODEVICE) or to the
 * one the segment came in on (inet_sk_bound_dev_eq(), with no l3mdev): one
 * lookup per device of net finds it, wherever it is bound to a device of
 * net (one bound to a device since deleted or moved away is missed). The
 * image's own device would not do: a hold drops the segments of every
 * connection with these ends, whatever device it is bound to. The lookup
 * on dif 0 first finds an unbound one, the usual case, in one lookup.
 */
bool cpt_compat_tcp_in_use(struct net *net, const struct in6_addr *local, __be16 local_port,
			   const struct in6_addr *peer, __be16 peer_port)
{
	struct net_device *dev;
	bool live;

	rcu_read_lock();
	live = cpt_tcp_live_on(net, local, local_port, peer, peer_port, 0);
	if (!live)
		for_each_netdev_rcu(net, dev)
			if (cpt_tcp_live_on(net, local, local_port, peer, peer_port,
					    dev->ifindex)) {
				live = true;
				break;
			}
	rcu_read_unlock();
	return live;
}

int cpt_check_tcp_repair(void)
{
	struct tcp_repair_window win = {
		.snd_wl1 = 1000, .snd_wnd = 3000, .max_window = 4000,
		.rcv_wnd = 5000, .rcv_wup = 2000,
	};
	struct cpt_tcp_state st;
	struct socket *sock;
	int on = 1, send = TCP_SEND_QUEUE, recv = TCP_RECV_QUEUE;
	u32 wseq = 0x12345678, rseq = 2000, ts = 0x7654321;
	u32 now;
	int ret;

	ret = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (ret)
		return ret;
	ret = cpt_tcp_set(sock, TCP_REPAIR, &on, sizeof(on)) ?:
	      cpt_tcp_set(sock, TCP_REPAIR_QUEUE, &send, sizeof(send)) ?:
	      cpt_tcp_set(sock, TCP_QUEUE_SEQ, &wseq, sizeof(wseq)) ?:
	      cpt_tcp_set(sock, TCP_REPAIR_QUEUE, &recv, sizeof(recv)) ?:
	      cpt_tcp_set(sock, TCP_QUEUE_SEQ, &rseq, sizeof(rseq)) ?:
	      cpt_tcp_set(sock, TCP_REPAIR_WINDOW, &win, sizeof(win)) ?:
	      cpt_tcp_set(sock, TCP_TIMESTAMP, &ts, sizeof(ts));
	if (ret)
		goto out;
	/* The fields cpt_compat_tcp_save() reads, read with the socket in CLOSE. */
	lock_sock(sock->sk);
	st.write_seq = tcp_sk(sock->sk)->write_seq;
	st.rcv_nxt = tcp_sk(sock->sk)->rcv_nxt;
	st.copied_seq = tcp_sk(sock->sk)->copied_seq;
	st.snd_wl1 = tcp_sk(sock->sk)->snd_wl1;
	st.snd_wnd = tcp_sk(sock->sk)->snd_wnd;
	st.max_window = tcp_sk(sock->sk)->max_window;
	st.rcv_wnd = tcp_sk(sock->sk)->rcv_wnd;
	st.rcv_wup = tcp_sk(sock->sk)->rcv_wup;
	st.tsval = tcp_time_stamp_raw() + READ_ONCE(tcp_sk(sock->sk)->tsoffset);
	st.unsaved = tcp_sk(sock->sk)->repair ? NULL : "repair";
	release_sock(sock->sk);
	now = st.tsval - ts;
	if (st.write_seq != wseq || st.rcv_nxt != rseq || st.copied_seq != rseq ||
	    st.snd_wl1 != win.snd_wl1 || st.snd_wnd != win.snd_wnd ||
	    st.max_window != win.max_window || st.rcv_wnd != win.rcv_wnd ||
	    st.rcv_wup != win.rcv_wup || now > 1000 || st.unsaved)
		ret = -EINVAL;
out:
	sock_release(sock);
	return ret;
}

/*
 * Whether a send on sk is a fast open connect()'s (TCP_FASTOPEN_CONNECT):
 * connect() set defer_connect without sending a SYN, and the first send
 * sends it, with data, and waits as connect() does, as tcp_sendmsg_locked()
 * tests it (tcp_sendmsg_fastopen() clears it once that send ends). Read
 * without the lock: the sender sleeps holding it. Not checked at load:
 * connect() defers only with a fast open cookie, which a load check's
 * loopback connection has none of.
 */
bool cpt_compat_tcp_defer_connect(struct sock *sk)
{
	return inet_sk(sk)->defer_connect;
}
