// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections. A connection is saved with its sequence numbers,
 * windows, handshake options, the data of its queues and what shutdown() it
 * had (from the program or its state), and made again through TCP repair
 * mode, as CRIU's soccr does: the kernel requires CAP_NET_ADMIN of the
 * restarting caller for it. Repair mode makes it ESTABLISHED; a closing one
 * then gets back the FINs it had sent and received (cpt_tcp_repair_fins()).
 * One still connecting (SYN_SENT) is saved with its SYN's sequence number,
 * set again in repair mode before the kernel's own connect() sends the SYN
 * again, as CRIU does (cpt_tcp_syn_begin()).
 * A checkpoint --kill ends the tree's connections in repair mode, which
 * sends the peer nothing, and only when each one's peer is in the tree too
 * (its own end saved and ended alike): a peer outside would see its
 * retransmissions answered by resets until the restart; and only when
 * nobody outside the tree holds its socket too (cpt_tcp_refuse_shared()).
 */
#include <linux/bsearch.h>
#include <linux/capability.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/nsproxy.h>
#include <linux/sort.h>
#include <linux/tcp.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "cpt_compat.h"
#include "cpt_file_inet.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_tcp_hold.h"

static const char *const cpt_tcp_states[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV", [TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2", [TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE", [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK", [TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING", [TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

const char *cpt_tcp_state_name(u32 state)
{
	return state < ARRAY_SIZE(cpt_tcp_states) && cpt_tcp_states[state] ?
	       cpt_tcp_states[state] : "unknown";
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

/*
 * The most data an established connection's send queue, or its receive
 * queue, may hold to be saved, or restored: net.ipv4.tcp_wmem's and
 * tcp_rmem's default limits (4 and 6 MiB) hold less data than that, and
 * both queues of one connection fit in a record (CPT_RECORD_MAX_MESSAGE).
 */
#define CPT_TCP_MAX_QUEUE (4U << 20)

/* One end of a connection as a hold has it: v4 as v4-mapped. */
static void cpt_tcp_end(const struct sockaddr *sa, struct in6_addr *addr, __be16 *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

	if (sa->sa_family == AF_INET) {
		ipv6_addr_set_v4mapped(sin->sin_addr.s_addr, addr);
		*port = sin->sin_port;
	} else {
		*addr = sin6->sin6_addr;
		*port = sin6->sin6_port;
	}
}

/* A saved connection's two ends (cpt_tcp_hold.h), or its peer's: reversed. */
static void cpt_tcp_ends(struct sock *sk, bool reversed, struct cpt_tcp_ends *e)
{
	struct sockaddr_storage a[2];

	memset(e, 0, sizeof(*e));
	cpt_inet_addr(sk, reversed, &a[0]);
	cpt_inet_addr(sk, !reversed, &a[1]);
	cpt_tcp_end((struct sockaddr *)&a[0], &e->local, &e->local_port);
	cpt_tcp_end((struct sockaddr *)&a[1], &e->peer, &e->peer_port);
}

/*
 * A connection the restart makes again through repair mode. In repair
 * mode TCP still takes segments and sends retransmissions, and nothing
 * else in it knows of the restart: an end made before its peer would have
 * its retransmission answered by a reset (its sequence number exactly the
 * end's rcv_nxt, which RFC 5961 accepts), a peer made but not filled yet
 * would take bytes its queue then holds twice. So each is held (its
 * segments dropped on arrival, cpt_tcp_hold.c) from before its socket
 * exists until the final step has checked that every one is still as it
 * was made, then let go of them all.
 */
struct cpt_tcp_made {
	struct cpt_tcp_ends ends;	/* as the image has them */
	struct sockaddr_in6 local, peer;	/* ... for its notes */
	struct net *net;		/* a reference */
	struct file *file;		/* a reference, once connected */
	u64 hold;			/* the id of its hold, till the restart ends; or 0 */
	bool taken;			/* hold is a checkpoint's, the restart's till it ends */
	u32 state, shutdown;		/* as saved */
	u32 fd, pid;
};

/*
 * Before a process makes its files (cpt_files_restore()): its connections
 * made again through repair mode held, in one batch, then synchronize_net()
 * so that no segment past the hook already meets one. A connection held
 * already (by a checkpoint --kill --tcp-established: its peer outside the
 * tree) keeps that hold, the restart's until it ends. Without CAP_NET_ADMIN
 * nothing is held: repair mode refuses the first one, by name. A connection
 * of the namespace on the same ends (the original, still running) refuses
 * the restart before anything is held: a hold would blackhole it.
 */
int cpt_inet_hold_made(struct cpt_file_registry *reg, struct cpt_restore_files *rf)
{
	struct net *net = current->nsproxy->net_ns;
	struct cpt_tcp_made **made = NULL;
	struct cpt_tcp_ends *ends = NULL;
	struct cpt_rfile_inet *in;
	unsigned int i, nr = 0;
	u16 *families = NULL;
	bool *taken = NULL;
	u64 *ids = NULL;
	int ret;

	for (i = 0; i < rf->nr_files; i++)
		nr += rf->files[i].ops == &cpt_file_inet_ops && rf->files[i].inet.tcp.present;
	if (!nr || !ns_capable_noaudit(net->user_ns, CAP_NET_ADMIN))
		return 0;
	/*
	 * Each File's connection needs a hold of its own (two Files on the
	 * same ends fail at connect()), so more than the table takes is
	 * refused now, before a collision check per connection and device.
	 */
	if (nr > CPT_TCP_HOLDS_MAX) {
		cpt_note("cannot hold %u TCP connections made again: %s %u; %s\n", nr,
			 "at most", CPT_TCP_HOLDS_MAX, "the restart is refused");
		return -EUSERS;
	}
	made = kvcalloc(nr, sizeof(*made), GFP_KERNEL_ACCOUNT);
	ends = kvcalloc(nr, sizeof(*ends), GFP_KERNEL_ACCOUNT);
	families = kvcalloc(nr, sizeof(*families), GFP_KERNEL_ACCOUNT);
	ids = kvcalloc(nr, sizeof(*ids), GFP_KERNEL_ACCOUNT);
	taken = kvcalloc(nr, sizeof(*taken), GFP_KERNEL_ACCOUNT);
	ret = made && ends && families && ids && taken ? 0 : -ENOMEM;
	for (i = 0, nr = 0; !ret && i < rf->nr_files; i++) {
		if (rf->files[i].ops != &cpt_file_inet_ops || !rf->files[i].inet.tcp.present)
			continue;
		/* A collision check per device of net: long with many of both. */
		ret = cpt_long_loop_check();
		if (ret)
			break;
		in = &rf->files[i].inet;
		made[nr] = kzalloc(sizeof(*made[nr]), GFP_KERNEL_ACCOUNT);
		if (!made[nr]) {
			ret = -ENOMEM;
			break;
		}
		/*
		 * The registry's from now: freed with it, whatever happens
		 * next. At the File's id, as reg->restored has it: the final
		 * step tells a File with a record from one without.
		 */
		ret = xa_insert(&reg->tcp_made, rf->files[i].id, made[nr], GFP_KERNEL_ACCOUNT);
		if (ret) {
			if (ret == -EBUSY)
				cpt_note("image: file id %u used twice\n", rf->files[i].id);
			kfree(made[nr]);
			break;
		}
		made[nr]->net = get_net(net);
		made[nr]->local = in->local;
		made[nr]->peer = in->peer;
		cpt_tcp_end((struct sockaddr *)&in->local, &made[nr]->ends.local,
			    &made[nr]->ends.local_port);
		cpt_tcp_end((struct sockaddr *)&in->peer, &made[nr]->ends.peer,
			    &made[nr]->ends.peer_port);
		made[nr]->state = in->state;
		made[nr]->shutdown = in->tcp.shutdown;
		made[nr]->fd = rf->files[i].fd;
		made[nr]->pid = reg->session->cur->pid;
		in->tcp.made = made[nr];
		ends[nr] = made[nr]->ends;
		families[nr++] = in->family;
		if (cpt_compat_tcp_in_use(net, &ends[nr - 1].local, ends[nr - 1].local_port,
					  &ends[nr - 1].peer, ends[nr - 1].peer_port)) {
			cpt_note("fd %u of pid %u: TCP connection %pISpc -> %pISpc: %s\n",
				 rf->files[i].fd, reg->session->cur->pid, &in->local, &in->peer,
				 "a connection with these ends already exists; the restart is refused");
			ret = -EADDRINUSE;
		}
	}
	if (!ret)
		ret = cpt_tcp_hold_add(net, ends, families, ids, taken, nr, true);
	for (i = 0; !ret && i < nr; i++) {
		made[i]->hold = ids[i];
		made[i]->taken = taken[i];
	}
	if (!ret)
		synchronize_net();
	kvfree(made);
	kvfree(ends);
	kvfree(families);
	kvfree(ids);
	kvfree(taken);
	return ret;
}

/* After connect(): its ends are the ones held; the final step will need it. */
int cpt_tcp_made_connected(struct cpt_inet_restore *ir)
{
	struct cpt_tcp_made *made = ir->in->tcp.made;
	struct cpt_tcp_ends ends;

	if (!made)
		return 0;
	cpt_tcp_ends(ir->sk, false, &ends);
	if (memcmp(&ends, &made->ends, sizeof(ends))) {
		cpt_note("fd %u: TCP connection %pISpc -> %pISpc: %s\n", ir->rfile->fd,
			 &made->local, &made->peer, "made again on other addresses or ports");
		return -EIO;
	}
	made->file = get_file(ir->file);
	return 0;
}

static void cpt_tcp_made_changed(const struct cpt_tcp_made *made, bool repair, u32 state,
				 u32 shutdown, int err)
{
	cpt_note("fd %u of pid %u: %s %pISpc -> %pISpc: %s %s, %s %s%s (%s %#x/%#x, %s %d) %s\n",
		 made->fd, made->pid, "TCP connection", &made->local, &made->peer, "made again",
		 cpt_tcp_state_name(made->state), "it is", cpt_tcp_state_name(state),
		 repair ? "" : " out of repair mode", "shutdown was/is", made->shutdown, shutdown,
		 "error", -err,
		 "before the restart's end: reset, timed out or an ICMP error meanwhile; the restart is refused");
}

/*
 * Each connection made again through repair mode is still as it was made,
 * in repair mode, in its saved state: a reset or a timeout while it was
 * held (its keepalive or retransmissions unanswered) ended or changed it,
 * which the program would only learn later. The restart is refused, naming
 * it.
 */
static int cpt_tcp_made_intact(struct cpt_file_registry *reg)
{
	struct cpt_tcp_made *made;
	unsigned long index;
	u32 state, shutdown;
	int err;
	bool repair;

	xa_for_each(&reg->tcp_made, index, made) {
		if (!made->file || !cpt_inet_sk(made->file))
			continue;
		cpt_compat_tcp_now(cpt_inet_sk(made->file), &repair, &state, &shutdown, &err);
		if (repair && state == made->state && shutdown == made->shutdown && !err)
			continue;
		cpt_tcp_made_changed(made, repair, state, shutdown, err);
		return -ECONNABORTED;
	}
	return 0;
}

/*
 * The restart's records of its holds forgotten: the holds are not its own
 * any more (given back, dropped, each by its record's id just before), and
 * whatever holds the same ends later is another's, which nothing of this
 * session may touch.
 */
static void cpt_tcp_made_forget(struct cpt_file_registry *reg)
{
	struct cpt_tcp_made *made;
	unsigned long index;

	xa_for_each(&reg->tcp_made, index, made) {
		made->hold = 0;
		made->taken = false;
	}
}

/*
 * A failed restart's holds go; a checkpoint's it took over is the
 * checkpoint's again. Each by its id: a hold of the same ends made since
 * (by a checkpoint of another tree) is another's.
 */
void cpt_inet_made_unhold(struct cpt_file_registry *reg)
{
	struct cpt_tcp_made *made;
	unsigned long index;

	xa_for_each(&reg->tcp_made, index, made) {
		if (made->taken)
			cpt_tcp_hold_give_back(made->net, &made->ends, made->hold);
		else if (made->hold)
			cpt_tcp_hold_drop(made->net, &made->ends, made->hold);
	}
	cpt_tcp_made_forget(reg);
}

void cpt_inet_made_release(struct cpt_file_registry *reg)
{
	struct cpt_tcp_made *made;
	unsigned long index;

	cpt_inet_made_unhold(reg);
	xa_for_each(&reg->tcp_made, index, made) {
		if (made->file)
			fput(made->file);
		put_net(made->net);
		kfree(made);
	}
	xa_destroy(&reg->tcp_made);
}

/*
 * The restart's final step: the tree's connections, once checked, let go
 * (all of them: every end is made and filled by now), then out of repair
 * mode, each sending its peer a window probe that gets through.
 *
 * Once they are let go, the restart's records of its holds are forgotten
 * (cpt_tcp_made_forget()), whatever comes next. That is correct by
 * construction: each record's hold is dropped from the record (net, ends
 * and id), not from what a live socket says now, so no record is left
 * whose hold is still there. And it is needed, for the session's release
 * (cpt_inet_made_release(), when its file is closed) runs later, at a time
 * nothing orders with the rest of the system:
 *   1. this restart takes over a checkpoint's hold of ends E (taken), or
 *      makes one (hold), and makes E's connection again;
 *   2. here, E's hold is dropped, E's connection resumed;
 *   3. the restarted tree is checkpointed --kill --tcp-established again:
 *      a new hold of E, a checkpoint's;
 *   4. another restart, of that image, takes it over, relying on it;
 *   5. this session's release: records not forgotten, it would give E's
 *      hold back, the other restart's then for any release to drop while
 *      it relies on it (and a third restart to rely on too).
 * Ids keep 5 from touching another's hold as well (cpt_inet_made_unhold()).
 * A failure after the drop (leaving repair mode, the terminal) gives back
 * nothing: a checkpoint's hold taken over is gone with it, as its peer
 * may have reached the connection by then.
 */
int cpt_inet_resume_connections(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_tcp_made *made;
	struct cpt_tcp_ends ends;
	struct file *file;
	unsigned long id;
	struct sock *sk;
	int ret, state;

	if (!reg)
		return 0;
	ret = cpt_tcp_made_intact(reg);
	if (ret)
		return ret;
	/*
	 * Taken or not: a successful restart ends a checkpoint's hold it took
	 * over too. From the record, by id: the socket may have changed since
	 * cpt_tcp_made_intact() (a copy of its fd disconnected, its ends
	 * gone), and a hold of the same ends that is not this one is another's.
	 */
	xa_for_each(&reg->tcp_made, id, made)
		if (made->hold)
			cpt_tcp_hold_drop(made->net, &made->ends, made->hold);
	cpt_tcp_made_forget(reg);
	xa_for_each(&reg->restored, id, file) {
		sk = cpt_inet_sk(file);
		/* A File with a record (same id) had its hold dropped above. */
		if (!sk || cpt_inet_kind(sk) != CPT_INET_TCP || xa_load(&reg->tcp_made, id))
			continue;
		/*
		 * Only a connection: a listener's ends are not one. A
		 * connection still connecting whose SYN retries ran out before
		 * this step (its peer's answers held by a checkpoint's hold)
		 * is closed now, ETIMEDOUT for the program as without the
		 * checkpoint, its ends kept (tcp_done() leaves them): its
		 * hold goes too. A socket made again closed has no peer port.
		 * Such a hold is a checkpoint's, never this restart's: one a
		 * restart holds (marked) is another restart's, making a
		 * connection on the same ends, and stays.
		 */
		state = READ_ONCE(sk->sk_state);
		if (((1 << state) & CPT_TCPF_PEER) ||
		    (state == TCP_CLOSE && READ_ONCE(inet_sk(sk)->inet_dport))) {
			cpt_tcp_ends(sk, false, &ends);
			cpt_tcp_hold_drop_unclaimed(sock_net(sk), &ends);
		}
	}
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
	}
	return 0;
}

/*
 * With --tcp-established, a connection is held before it is saved, as
 * CRIU locks the network before it dumps: nothing its peer sends after
 * reaches it, so a --kill finds it as saved, however busy the peer. A
 * checkpoint that does not end it drops the hold (cpt_inet_cancel_holds()),
 * and so does --kill for a connection whose peer is in the tree, once ended.
 * A connection of the tree's own is held already (cpt_inet_hold_tree()).
 */
static int cpt_tcp_hold_saved(struct cpt_file_save *fs, struct sock *sk)
{
	struct cpt_tcp_ends ends;
	u16 family = sk->sk_family;
	bool taken;
	u64 id;
	int ret;

	if (!fs->sf || !fs->reg->session->tcp_established || fs->sf->tcp_hold ||
	    !((1 << READ_ONCE(sk->sk_state)) & CPT_TCPF_PEER))
		return 0;
	cpt_tcp_ends(sk, false, &ends);
	ret = cpt_tcp_hold_add(sock_net(sk), &ends, &family, &id, &taken, 1, false);
	if (ret)
		return ret;
	/* One held already is another's: this checkpoint does not cancel it. */
	fs->sf->tcp_hold = taken ? 0 : id;
	return 0;
}

/* For a --kill, which checks that nothing came in meanwhile. */
static void cpt_tcp_saved(struct cpt_file_save *fs, const struct cpt_tcp_state *st)
{
	if (!fs->sf)
		return;
	fs->sf->tcp_saved = true;
	fs->sf->tcp_rcv_nxt = st->rcv_nxt;
	fs->sf->tcp_state = st->state;
	fs->sf->tcp_pid = fs->reg->session->cur->pid;
	fs->sf->tcp_fd = fs->e->fd;
}

/*
 * Still connecting: its SYN's sequence number. What it was connecting with
 * is not (how many SYNs it had sent, an ICMP error meanwhile): a restart's
 * connect() starts again, with net.ipv4.tcp_syn_retries of its own.
 */
static int cpt_tcp_save_syn_sent(struct cpt_file_save *fs, struct sock *sk,
				 struct cpt_pb_buf *msg, const struct sockaddr *local)
{
	struct cpt_tcp_state st;

	cpt_compat_tcp_save_syn_sent(sk, &st);
	if (st.state != TCP_SYN_SENT) {
		cpt_note("fd %u: TCP connection on %pISpc: %s\n", fs->e->fd, local,
			 "its state changed while it was saved; try again");
		return -EAGAIN;
	}
	if (st.unsaved) {
		cpt_note("fd %u: TCP connection on %pISpc in state %s with %s is not supported\n",
			 fs->e->fd, local, "SYN_SENT", st.unsaved);
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(msg, CPT_PB_INET_SOCKET_TCP_SYN_SEQ, st.snd_una);
	cpt_tcp_saved(fs, &st);
	return 0;
}

int cpt_inet_save_tcp(struct cpt_file_save *fs, struct sock *sk, struct cpt_pb_buf *msg,
		      const struct sockaddr *local, int state)
{
	struct cpt_tcp_state st;
	int ret;

	ret = cpt_tcp_hold_saved(fs, sk);
	if (ret)
		return ret;
	if (state == TCP_SYN_SENT)
		return cpt_tcp_save_syn_sent(fs, sk, msg, local);
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
	cpt_tcp_saved(fs, &st);
	return 0;
}

/* A connection's field; false if f is none. */
bool cpt_inet_decode_tcp(struct cpt_rfile_tcp *tcp, struct cpt_pb_reader *r,
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

/*
 * A connection's state is within what the kernel would have: window
 * scales, windows and the MSS within TCP's limits, no more unsent data than
 * queued, queues within CPT_TCP_MAX_QUEUE, its shutdown() as its state has
 * it, nothing left to send once its FIN was acknowledged (FIN_WAIT2).
 * Sequence numbers are any; TCP repair mode's setsockopt() checks how the
 * windows relate to them.
 */
bool cpt_tcp_check(u32 state, const struct cpt_rfile_tcp *tcp)
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
	int ret = cpt_sock_setsockopt(&ir->sr, SOL_TCP, name, &val, sizeof(val));

	return ret ? cpt_tcp_refused(ir, what, ret) : 0;
}

/*
 * Before bind() and connect(): repair mode, and where the queues start; in
 * FIN_WAIT2, past the FIN acknowledged, where the empty send queue starts.
 */
int cpt_tcp_repair_begin(struct cpt_inet_restore *ir)
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
 * Still connecting, before bind(): its SYN's sequence number set in repair
 * mode (write_seq, which tcp_v4_connect() and tcp_v6_connect() keep when
 * set), then repair mode left (without the window probe of a connection),
 * for connect() to send the SYN as the program's did and wait for its
 * answer. Leaving forgets SO_REUSEADDR: set after this.
 */
int cpt_tcp_syn_begin(struct cpt_inet_restore *ir)
{
	return cpt_tcp_set(ir, TCP_REPAIR, TCP_REPAIR_ON, "enter TCP repair mode") ?:
	       cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "select the send queue") ?:
	       cpt_tcp_set(ir, TCP_QUEUE_SEQ, ir->in->syn_seq, "set its SYN's sequence number") ?:
	       cpt_tcp_set(ir, TCP_REPAIR, (u32)TCP_REPAIR_OFF_NO_WP, "leave TCP repair mode");
}

/* After connect(): the SYN it sent is the one saved. */
int cpt_tcp_syn_end(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	u32 seq = cpt_compat_tcp_syn_seq(ir->sk);

	if (seq == in->syn_seq)
		return 0;
	cpt_note("fd %u: TCP connection %pISpc -> %pISpc: %s %u, not %u\n", ir->rfile->fd,
		 &in->local, &in->peer, "connect() sent a SYN of sequence number", seq,
		 in->syn_seq);
	return -EIO;
}

/*
 * Queues len bytes: in repair mode, to the queue selected (received, or
 * sent and not acknowledged yet). Never waits (MSG_DONTWAIT). The buffers
 * are lifted meanwhile (cpt_compat_tcp_lift_buffers()), so only the
 * protocol's or the cgroup's memory pressure can make it fail, with
 * -EAGAIN or -ENOMEM, which fails the restart naming the queue.
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

/*
 * Its queues filled: its sequence numbers as the image has them, a FIN in
 * (out) past the data received (written), the one of FIN_WAIT2 acknowledged.
 * Another than its restart releasing its hold would let its peer's data or
 * acknowledgments in meanwhile, which the program would take twice or lose.
 */
static int cpt_tcp_repair_seqs(struct cpt_inet_restore *ir)
{
	const struct cpt_rfile_inet *in = ir->in;
	const struct cpt_rfile_tcp *tcp = &in->tcp;
	u32 fin_in = !!((1 << in->state) & CPT_TCPF_FIN_IN);
	u32 fin_out = !!((1 << in->state) & CPT_TCPF_FIN_OUT);
	u32 fin_acked = in->state == TCP_FIN_WAIT2;
	u32 rcv_nxt, snd_una, write_seq;

	cpt_compat_tcp_seqs(ir->sk, &rcv_nxt, &snd_una, &write_seq);
	if (rcv_nxt == tcp->recv_seq + (u32)tcp->recv_len + fin_in &&
	    snd_una == tcp->send_seq + fin_acked &&
	    write_seq == tcp->send_seq + (u32)tcp->send_len + fin_out)
		return 0;
	cpt_note("fd %u: TCP connection %pISpc -> %pISpc: %s %u, %u, %u, %s %u, %u, %u%s\n",
		 ir->rfile->fd, &in->local, &in->peer,
		 "made again with rcv_nxt, snd_una, write_seq",
		 rcv_nxt, snd_una, write_seq, "not", tcp->recv_seq + (u32)tcp->recv_len + fin_in,
		 tcp->send_seq + fin_acked,
		 tcp->send_seq + (u32)tcp->send_len + fin_out,
		 ": segments reached it meanwhile; the restart is refused");
	return -EIO;
}

/* After connect(), which repair mode makes ESTABLISHED at once. */
int cpt_tcp_repair_end(struct cpt_inet_restore *ir, struct socket *sock)
{
	const struct cpt_rfile_tcp *tcp = &ir->in->tcp;
	struct tcp_repair_window win = {
		.snd_wl1 = tcp->snd_wl1, .snd_wnd = tcp->snd_wnd, .max_window = tcp->max_window,
		.rcv_wnd = tcp->rcv_wnd, .rcv_wup = tcp->rcv_wup,
	};
	struct tcp_repair_opt opts[4];
	struct cpt_tcp_bufs bufs;
	unsigned int nr = 0;
	int ret;

	ret = cpt_tcp_made_connected(ir);
	if (ret)
		return ret;
	opts[nr++] = (struct tcp_repair_opt){ TCPOPT_MSS, tcp->mss };
	if (tcp->wscale_ok)
		opts[nr++] = (struct tcp_repair_opt){ TCPOPT_WINDOW,
						      tcp->snd_wscale | tcp->rcv_wscale << 16 };
	if (tcp->sack_ok)
		opts[nr++] = (struct tcp_repair_opt){ TCPOPT_SACK_PERM, 0 };
	if (tcp->tstamp_ok)
		opts[nr++] = (struct tcp_repair_opt){ TCPOPT_TIMESTAMP, 0 };
	ret = cpt_sock_setsockopt(&ir->sr, SOL_TCP, TCP_REPAIR_OPTIONS, opts, nr * sizeof(opts[0]));
	if (ret)
		return cpt_tcp_refused(ir, "set its MSS, window scale, SACK and timestamps", ret);
	ret = cpt_tcp_set(ir, TCP_TIMESTAMP, tcp->tsval, "set its timestamp clock");
	if (ret)
		return ret;
	/* The buffers were the program's limit to fill them, not the refill's. */
	cpt_compat_tcp_lift_buffers(ir->sk, &bufs);
	ret = cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "select the receive queue") ?:
	      cpt_tcp_fill(ir, sock, tcp->recv_queue, tcp->recv_len, "queue the data received") ?:
	      cpt_tcp_set(ir, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "select the send queue") ?:
	      cpt_tcp_fill(ir, sock, tcp->send_queue, tcp->send_len, "queue the data written");
	cpt_compat_tcp_put_buffers(ir->sk, &bufs);
	ret = ret ?: cpt_tcp_repair_fins(ir, sock) ?: cpt_tcp_repair_seqs(ir);
	if (ret)
		return ret;
	/* After the queues and FINs: the kernel checks the windows against rcv_nxt. */
	ret = cpt_sock_setsockopt(&ir->sr, SOL_TCP, TCP_REPAIR_WINDOW, &win, sizeof(win));
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
		ret = cpt_sock_setsockopt(&ir->sr, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
					  sizeof(int));
	if (!ret && cpt_inet_opt(ir->in, CPT_PB_INET_SOCKET_CORK))
		ret = cpt_sock_setsockopt(&ir->sr, SOL_TCP, TCP_CORK, &(int){ 1 }, sizeof(int));
	return ret ? cpt_tcp_refused(ir, "set SO_REUSEADDR or TCP_CORK again", ret) : 0;
}

/* ---- checkpoint --kill ---- */

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
 * in the tree (ended too), or outside it (outside: it needs a hold) with
 * --tcp-established. Asked before the first FILES (cpt_inet_hold_tree())
 * and again at FINALIZE.
 */
static int cpt_tcp_may_end(struct cpt_session *s, struct sock *sk, bool outside)
{
	struct sockaddr_storage local, peer;

	cpt_inet_addr(sk, false, &local);
	cpt_inet_addr(sk, true, &peer);
	if (!ns_capable(sock_net(sk)->user_ns, CAP_NET_ADMIN)) {
		cpt_note("TCP connection %pISpc -> %pISpc: %s needs CAP_NET_ADMIN\n", &local, &peer,
			 "ending it silently (TCP repair mode) for --kill");
		return -EPERM;
	}
	if (outside && !s->tcp_established) {
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

/*
 * The connections --kill refuses to end if shared: once saved, those saved
 * as connections; before (early), those cpt_inet_hold_tree() found.
 */
static bool cpt_tcp_to_end(const struct cpt_saved_file *sf, bool early)
{
	return early ? sf->tcp_connected : !!cpt_saved_connection(sf);
}

/* A walk of every fd table for the holders of shared connections. */
struct cpt_tcp_holders {
	struct cpt_session *s;
	bool early;			/* cpt_tcp_to_end()'s */
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

	if (!sf || !cpt_tcp_to_end(sf, h->early))
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
static int cpt_tcp_refuse_shared(struct cpt_session *s, bool early)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_tcp_holders h = { .early = early };
	struct sockaddr_storage local, peer;
	struct cpt_saved_file *sf;
	unsigned int i, shared = 0;
	char buf[24];
	struct sock *sk;
	int ret;

	for (i = 0; i < reg->nr_saved; i++)
		if (cpt_tcp_to_end(&reg->saved[i], early) && cpt_tcp_shared(&reg->saved[i]))
			shared++;
	if (!shared)
		return 0;
	ret = cpt_tcp_find_holders(s, &h);
	for (i = 0, shared = 0; !ret && i < reg->nr_saved; i++) {
		sf = &reg->saved[i];
		sk = cpt_tcp_to_end(sf, early) ? cpt_inet_sk(sf->file) : NULL;
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

/*
 * A checkpoint's holds, of connections saved or not yet (cpt_inet_hold_tree()
 * holds them before): each in its socket's namespace.
 */
void cpt_inet_cancel_holds(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_saved_file *sf;
	unsigned int i;
	struct sock *sk;

	for (i = 0; reg && i < reg->nr_saved; i++) {
		sf = &reg->saved[i];
		sk = sf->tcp_hold ? cpt_inet_sk(sf->file) : NULL;
		if (sk)
			cpt_tcp_hold_cancel(sock_net(sk), sf->tcp_hold);
		sf->tcp_hold = 0;
	}
}

/* A connection of the tree, as cpt_inet_hold_tree() found it. */
struct cpt_tcp_found {
	struct net *net;		/* its socket's: the file's reference keeps it */
	struct cpt_tcp_ends ends;
	unsigned int saved;		/* its file's index in the registry's saved */
	u16 family;
	bool shared;			/* with a holder outside the tree */
	bool peer_found;		/* its peer's end is the tree's too, in any namespace */
	bool hold;			/* ... and neither end is shared */
};

/*
 * By ends alone: a pair across two namespaces of the tree (a veth between
 * them) is a pair, as cpt_inet_may_end_connections() matches them.
 */
static int cpt_tcp_found_ends_cmp(const void *a, const void *b)
{
	const struct cpt_tcp_found *x = a, *y = b;

	return memcmp(&x->ends, &y->ends, sizeof(x->ends));
}

/* By namespace: the hold table's calls take one each. */
static int cpt_tcp_found_net_cmp(const void *a, const void *b)
{
	const struct cpt_tcp_found *x = a, *y = b;

	if (x->net != y->net)
		return (unsigned long)x->net < (unsigned long)y->net ? -1 : 1;
	return cpt_tcp_found_ends_cmp(a, b);
}

/*
 * Holds the n connections of found (all of one namespace) that are to be
 * held, their ids kept with their files: cancelled with the others if the
 * checkpoint fails, dropped once ended if it kills. Beyond the holds'
 * bounds the kill is refused (-EUSERS, the counts noted), as for the
 * connections to peers outside: a restart holds every connection it makes,
 * each process's in one batch, within the same bounds, and would be refused
 * there, the tree gone. *held: whether this checkpoint made any (one
 * found already, taken, is another's).
 */
static int cpt_tcp_hold_found(struct cpt_session *s, struct cpt_tcp_found *found,
			      unsigned int n, struct cpt_tcp_ends *ends, u16 *families, u64 *ids,
			      bool *taken, bool *held)
{
	struct net *net = found[0].net;
	unsigned int i, nr = 0;
	int ret;

	for (i = 0; i < n; i++) {
		if (!found[i].hold)
			continue;
		ends[nr] = found[i].ends;
		families[nr++] = found[i].family;
	}
	if (!nr)
		return 0;
	ret = cpt_tcp_hold_add(net, ends, families, ids, taken, nr, false);
	if (ret == -EUSERS)
		cpt_note("the tree's own TCP connections (%u ends) %s\n", nr,
			 "are held while --kill saves it: beyond the holds' bounds, --kill is refused");
	if (ret)
		return ret;
	/* One held already is another's: this checkpoint does not cancel it. */
	for (i = 0, nr = 0; i < n; i++) {
		if (!found[i].hold)
			continue;
		s->files->saved[found[i].saved].tcp_hold = taken[nr] ? 0 : ids[nr];
		*held |= !taken[nr++];
	}
	return 0;
}

/*
 * What FINALIZE would refuse of a kill that the registry knows already,
 * with its notes, before anything is held: held connections that a refused
 * kill then resumes have had their segments dropped meanwhile (a
 * retransmission backoff; a TCP_USER_TIMEOUT or keepalive may fire). Only
 * what changes after this (a race) or a later step finds is left. Each
 * connection's refusals only when some connection is to be held (hold):
 * with none, FINALIZE's refusal changes nothing, and a file's own refusal
 * at its FILES names the cause first (a listener's connection not accepted
 * yet, whose client end's peer is no file of the tree).
 */
static int cpt_tcp_may_hold_tree(struct cpt_session *s, const struct cpt_tcp_found *found,
				 unsigned int nr, bool hold)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; hold && !ret && i < nr; i++)
		ret = cpt_tcp_may_end(s, cpt_inet_sk(s->files->saved[found[i].saved].file),
				      !found[i].peer_found);
	return ret ?: cpt_tcp_refuse_shared(s, true);
}

/*
 * A checkpoint CPT_INIT_KILL, before the first process's FILES (the tree
 * frozen, its files all noted in the registry, their counts exact): the
 * connections whose two ends are the tree's, held, each end in its own
 * namespace. Frozen, the two ends still exchange segments (data still in
 * flight, retransmissions, window updates, delayed ACKs), which could
 * reach an end after it is saved: its kill refused, "try again". Held,
 * nothing reaches either once synchronize_net() returns, so each end is
 * saved as it will stay. A connection shared with a process outside the
 * tree is not held, nor its peer (the two move together): that process
 * runs on, and the kill is refused (cpt_tcp_refuse_shared()) before any
 * hold. Sockets not connected yet are not: a sharer outside the tree
 * could connect one later, which --kill then refuses.
 * One pass over the registry reads each socket's state once: at most one
 * entry per file, within the allocation made for them all. It reads
 * without the socket's lock: a sharer's connect() or disconnect() meanwhile
 * can give a mixed pair of ends, which matches no peer (none held), and
 * FINALIZE checks each saved connection again.
 */
int cpt_inet_hold_tree(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	unsigned int i, first, nr = 0, max = reg->nr_saved;
	struct cpt_tcp_found *found, key, *peer;
	struct cpt_tcp_ends *ends = NULL;
	bool hold = false, held = false;
	u16 *families = NULL;
	bool *taken = NULL;
	struct sock *sk;
	u64 *ids = NULL;
	int ret = 0;

	if (!s->kill || !max)
		return 0;
	found = kvmalloc_array(max, sizeof(*found), GFP_KERNEL_ACCOUNT);
	if (!found)
		return -ENOMEM;
	for (i = 0; !ret && i < max; i++) {
		sk = cpt_inet_sk(reg->saved[i].file);
		if (!sk || cpt_inet_kind(sk) != CPT_INET_TCP ||
		    !((1 << READ_ONCE(sk->sk_state)) & CPT_TCPF_CONNECTED))
			continue;
		reg->saved[i].tcp_connected = true;
		found[nr] = (struct cpt_tcp_found) {
			.net = sock_net(sk), .saved = i, .family = sk->sk_family,
			.shared = cpt_tcp_shared(&reg->saved[i]),
		};
		cpt_tcp_ends(sk, false, &found[nr++].ends);
		ret = cpt_long_loop_check();
	}
	if (ret)
		goto out;
	sort(found, nr, sizeof(*found), cpt_tcp_found_ends_cmp, NULL);
	for (i = 0; i < nr; i++) {
		key.ends = (struct cpt_tcp_ends) {
			.local = found[i].ends.peer, .local_port = found[i].ends.peer_port,
			.peer = found[i].ends.local, .peer_port = found[i].ends.local_port,
		};
		peer = bsearch(&key, found, nr, sizeof(*found), cpt_tcp_found_ends_cmp);
		found[i].peer_found = !!peer;
		found[i].hold = peer && !peer->shared && !found[i].shared;
		hold |= found[i].hold;
	}
	ret = cpt_tcp_may_hold_tree(s, found, nr, hold);
	if (ret || !hold)
		goto out;
	ends = kvmalloc_array(nr, sizeof(*ends), GFP_KERNEL_ACCOUNT);
	families = kvmalloc_array(nr, sizeof(*families), GFP_KERNEL_ACCOUNT);
	ids = kvmalloc_array(nr, sizeof(*ids), GFP_KERNEL_ACCOUNT);
	taken = kvmalloc_array(nr, sizeof(*taken), GFP_KERNEL_ACCOUNT);
	if (!ends || !families || !ids || !taken) {
		ret = -ENOMEM;
		goto out;
	}
	sort(found, nr, sizeof(*found), cpt_tcp_found_net_cmp, NULL);
	for (first = 0, i = 1; !ret && i <= nr; i++) {
		if (i < nr && found[i].net == found[first].net)
			continue;
		ret = cpt_tcp_hold_found(s, &found[first], i - first, ends, families, ids, taken,
					 &held);
		first = i;
	}
	/* A segment past the hooks before its hold was made is through TCP after this. */
	if (!ret && held)
		synchronize_net();
out:
	kvfree(found);
	kvfree(ends);
	kvfree(families);
	kvfree(ids);
	kvfree(taken);
	return ret;
}

int cpt_inet_may_end_connections(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_tcp_ends *ends, reversed;
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
		if (!sk)
			continue;
		cpt_tcp_ends(sk, true, &reversed);
		outside[i] = !bsearch(&reversed, ends, nr, sizeof(*ends), cpt_tcp_ends_cmp);
		ret = cpt_tcp_may_end(s, sk, outside[i]);
	}
	ret = ret ?: cpt_tcp_refuse_shared(s, false);
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
	struct cpt_saved_file *sf;
	unsigned int i;
	struct sock *sk;

	for (i = 0; reg && i < reg->nr_saved; i++) {
		sk = cpt_saved_connection(&reg->saved[i]);
		if (sk)
			cpt_compat_tcp_end_silently(sk);
	}
	/*
	 * Once all are ended: a peer in the tree, ended too, sends nothing,
	 * and only a peer outside needs the hold, the module's now (no cancel
	 * at the session's end). A socket held and not saved as a connection
	 * (no longer one when its turn came) has nothing to keep either.
	 */
	for (i = 0; reg && i < reg->nr_saved; i++) {
		sf = &reg->saved[i];
		if (!sf->tcp_hold)
			continue;
		sk = cpt_saved_connection(sf);
		if (!sk || !sf->tcp_outside)
			cpt_tcp_hold_cancel(sock_net(cpt_inet_sk(sf->file)), sf->tcp_hold);
		sf->tcp_hold = 0;
	}
}
