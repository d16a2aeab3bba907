// SPDX-License-Identifier: GPL-2.0
/*
 * Unix socket pairs: connected pairs the tree holds both ends of. A pair
 * (socketpair(), or connect() and accept() of a stream) is saved with what
 * each end has yet to read, and made again as socketpair() makes it, each
 * end's queue sent again from its peer; its ends get their names back, as
 * getsockname() and getpeername() show them (an accepted socket has its
 * listener's). An end of a pair is named without bind(): only with a name
 * its restorer could have had (cpt_unix_may_take_name()).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/scm.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_unix.h"

static void cpt_unix_save_addr(struct cpt_pb_buf *one, struct file *file)
{
	cpt_unix_encode_addr(one, sock_from_file(file)->sk, CPT_PB_FILE_UNIX_ADDR);
}

/*
 * Whether the socket is one end of a connected pair (socketpair(), or
 * connect() and accept() of a stream) whose other end the tree holds too,
 * with nothing in its queue a restart could not give back: out-of-band
 * data. Returns its peer's entry.
 */
struct cpt_saved_file *cpt_unix_pair_peer(struct cpt_file_registry *reg, struct file *file)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock ? sock->sk : NULL, *peer;
	struct cpt_saved_file *other = NULL;
	bool clean;

	if (!sk || sk->sk_family != AF_UNIX || sock->state != SS_CONNECTED ||
	    (sk->sk_type != SOCK_STREAM && sk->sk_type != SOCK_DGRAM &&
	     sk->sk_type != SOCK_SEQPACKET))
		return NULL;
	peer = unix_peer_get(sk);
	if (!peer)
		return NULL;
	/* Named ends are a connection's (accept()ed): a datagram's name is its binding. */
	if ((sk->sk_type != SOCK_DGRAM || (!unix_sk(sk)->addr && !unix_sk(peer)->addr)) &&
	    unix_peer(peer) == sk && !sk->sk_shutdown && !peer->sk_shutdown)
		other = cpt_find_saved_sock(reg, peer);
	/* Its fds in flight are saved with its queue (cpt_encode_unix_queue()). */
	clean = !cpt_unix_oob_refusal(sk);
	sock_put(peer);
	return clean ? other : NULL;
}

/*
 * What this end has yet to read, a message per buffer (a stream's, from
 * where reading stopped), in one's field msg_field, and, if any has them,
 * each one's credentials in creds_field and the files it carries in
 * fds_field (0: refused, by the caller's cpt_unix_queue_refusal()).
 */
int cpt_encode_unix_queue(struct cpt_file_save *fs, struct cpt_pb_buf *one,
			  struct sock *sk, u32 msg_field, u32 creds_field, u32 fds_field)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int total = 0, nr = 0, done = 0, i = 0, off, len;
	unsigned int all_fds = 0, fds_done = 0, n;
	struct cpt_unix_creds *creds;
	struct file **files = NULL;
	bool any_creds = false;
	struct sk_buff *skb;
	u16 *nr_fds;
	u32 *lens;
	char *data;
	int ret = 0;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		total += skb->len;
		nr++;
		all_fds += cpt_compat_skb_files(skb, NULL, 0);
	}
	spin_unlock(&q->lock);
	if (total > CPT_MAX_QUEUED)
		return -EFBIG;
	if (all_fds > CPT_UNIX_MAX_IN_FLIGHT || (all_fds && !fds_field))
		return cpt_refuse(fs->e->fd, all_fds > CPT_UNIX_MAX_IN_FLIGHT ?
				  "a unix socket with more than 65536 fds in flight in its queue" :
				  "a unix socket with fds in flight in its queue (SCM_RIGHTS)");
	data = kvmalloc(total ?: 1, GFP_KERNEL);
	lens = kvmalloc_array(nr ?: 1, sizeof(*lens), GFP_KERNEL);
	nr_fds = kvcalloc(nr ?: 1, sizeof(*nr_fds), GFP_KERNEL);
	creds = kvcalloc(nr ?: 1, sizeof(*creds), GFP_KERNEL);
	files = kvcalloc(all_fds ?: 1, sizeof(*files), GFP_KERNEL);
	if (!data || !lens || !nr_fds || !creds || !files) {
		ret = -ENOMEM;
		goto out;
	}
	/* The tree is frozen and the peer is in it: the queue holds still. */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		off = sk->sk_type == SOCK_STREAM ? UNIXCB(skb).consumed : 0;
		len = skb->len - off;
		n = cpt_compat_skb_files(skb, files + fds_done, all_fds - fds_done);
		if (i == nr || len > total - done || n > all_fds - fds_done) {
			ret = -EAGAIN;
			break;
		}
		ret = skb_copy_bits(skb, off, data + done, len);
		if (ret)
			break;
		/* Held as cpt_unix_files_in_flight() holds them: the tree's socket's. */
		for (nr_fds[i] = n; n; n--)
			get_file(files[fds_done++]);
		cpt_unix_get_creds(&creds[i], skb);
		any_creds |= !!creds[i].pid;
		lens[i++] = len;
		done += len;
	}
	spin_unlock(&q->lock);
	nr = i;
	for (i = 0, done = 0; !ret && i < nr; done += lens[i++])
		cpt_pb_bytes(one, msg_field, data + done, lens[i]);
	/* One per message, in order: none has an empty one. */
	for (i = 0; !ret && any_creds && i < nr; i++) {
		if (creds[i].pid)
			ret = cpt_unix_save_creds(one, creds_field, fs->reg, fs->e->fd, &creds[i]);
		else
			cpt_pb_bytes(one, creds_field, "", 0);
	}
	if (!ret && fds_done)
		ret = cpt_unix_save_message_fds(fs, one, fds_field, files, nr_fds, nr);
	for (i = 0; i < nr; i++)
		put_pid(creds[i].pid);
	for (i = 0; i < fds_done; i++)
		fput(files[i]);
out:
	kvfree(files);
	kvfree(creds);
	kvfree(nr_fds);
	kvfree(lens);
	kvfree(data);
	return ret;
}

/* Gives a restored end of a pair its saved name back, if it may have it. */
static int cpt_unix_name_pair(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	const char *path = (const char *)u->addr + offsetof(struct sockaddr_un, sun_path);
	size_t path_len = u->addr_len - offsetof(struct sockaddr_un, sun_path);
	int ret;

	ret = cpt_unix_may_take_name(reg, u->type, u->addr, u->addr_len);
	if (ret) {
		cpt_note("socket pair %u: not a name the caller could bind: %s%.*s (%d)\n",
			 u->pair_id, *path ? "" : "@", (int)(path_len - !*path), path + !*path,
			 ret);
		return ret;
	}
	return cpt_unix_set_addr(sock_from_file(rfile->file)->sk, u->addr, u->addr_len);
}

/*
 * Sends a saved queue again from the socket from: each message with its
 * credentials and the files it carries (rf: this record's Files, all
 * made; NULL if none carries any), in order.
 */
int cpt_unix_send_queue(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			const struct cpt_unix_queue *q, struct socket *from)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_unix_shown_creds shown;
	struct cpt_pb_reader r, cr, fr;
	struct cpt_unix_carried *c = NULL;
	struct cpt_pb_field g;
	struct ucred uc;
	int sent, ret, nr = 0;

	if (q->carries_files) {
		c = kmalloc(sizeof(*c), GFP_KERNEL);
		if (!c)
			return -ENOMEM;
	}
	cpt_pb_reader_init(&cr, q->data, q->len);
	cpt_pb_reader_init(&fr, q->data, q->len);
	/* The record was checked when decoded: each message is a bytes field. */
	cpt_pb_for_each_field(&r, q->data, q->len, &g) {
		if (g.num != q->msg_field)
			continue;
		ret = cpt_unix_next_creds(q->nr_creds, q->creds_field, &cr, &uc);
		nr = !ret && c ? cpt_unix_next_files(reg, rf, &fr, q->fds_field, c) : 0;
		ret = ret ?: min(nr, 0);
		/* A stream has no empty messages, nor one carrying files (it sends none). */
		if (!ret && !g.len && q->type == SOCK_STREAM && nr)
			ret = -EBADMSG;
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
		if (!g.len && q->type == SOCK_STREAM)
			continue;
		sent = nr ? cpt_unix_send_files(from, &msg, &g, &uc, c->files, nr) :
			    cpt_unix_send(from, &msg, &g, &uc);
		if (sent != g.len) {
			cpt_note("%s %u: cannot queue %zu saved bytes%s%s again: %d\n", q->what,
				 q->pair_id, g.len, cpt_unix_show_creds(&shown, &uc),
				 nr ? " with fds in flight" : "", sent);
			cpt_pb_fail(&r, sent < 0 ? sent : -ENOBUFS);
		}
	}
	kfree(c);
	return cpt_pb_end(&r);
}

/*
 * Sends, from its peer, what this end of a pair had yet to read, with its
 * credentials and the files each message carries (rf: this record's
 * Files, all made; NULL if none carries any).
 */
static int cpt_refill_unix(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			   struct cpt_rfile *rfile, struct socket *sock)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct sock *peer = unix_peer_get(sock->sk);
	struct cpt_unix_queue q = {
		.data = rfile->record, .len = rfile->record_len,
		.msg_field = CPT_PB_FILE_UNIX_MESSAGES,
		.creds_field = CPT_PB_FILE_UNIX_MESSAGE_CREDENTIALS,
		.fds_field = CPT_PB_FILE_UNIX_MESSAGE_FDS,
		.nr_creds = u->nr_creds, .carries_files = u->carries_files,
		.type = u->type, .what = "socket pair", .pair_id = u->pair_id,
	};
	int ret;

	if (!peer)
		return -ENOTCONN;
	ret = cpt_unix_send_queue(reg, rf, &q, peer->sk_socket);
	sock_put(peer);
	return ret;
}

/*
 * An end's options (SocketOptions): its buffer sizes once both ends'
 * queues are sent again (cpt_unix_pair_filled()), the rest once its own
 * is (a filter would judge the saved messages again).
 */
static int cpt_unix_pair_options(struct cpt_rfile *rfile, bool buffers)
{
	return cpt_sock_opts_restore_file(rfile, rfile->file, &rfile->unix_sk.sock_opts, buffers,
					  !buffers);
}

/*
 * The first end of a pair whose queue is sent again, waiting in
 * pair_fills for its peer's: its file (held), its File's fd for notes,
 * and the buffer sizes it gets once its peer's is sent too.
 */
struct cpt_unix_fill {
	struct file *file;
	unsigned int fd;
	u32 rcvbuf, sndbuf;
};

static void cpt_unix_fill_free(struct cpt_unix_fill *fill)
{
	fput(fill->file);
	kfree(fill);
}

static int cpt_unix_fill_sizes(const struct cpt_unix_fill *fill)
{
	struct cpt_rfile rfile = { .fd = fill->fd, .file = fill->file };
	struct cpt_sock_opts o = { .rcvbuf = fill->rcvbuf, .sndbuf = fill->sndbuf };

	return cpt_sock_opts_restore_file(&rfile, fill->file, &o, true, false);
}

/*
 * Once both ends' queues are sent again: each end's SO_PASSCRED and
 * buffer sizes. Set before, af_unix would give a message saved without
 * credentials the restorer's, and autobind a datagram sender; and an
 * end's queue is sent again from its peer, within its peer's SO_SNDBUF:
 * one the program lowered below what it had queued would refuse the rest
 * (and a datagram larger than it). The first end whose queue is sent
 * waits in pair_fills (struct cpt_unix_fill); the second (its open(), or
 * its files_made() when its messages carry files) sets both, if it is
 * the first's peer: a pair id two pairs of a hostile image have is not.
 */
static int cpt_unix_pair_filled(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				struct socket *sock)
{
	const struct cpt_sock_opts *o = &rfile->unix_sk.sock_opts;
	struct cpt_unix_fill *first;
	struct sock *peer;
	int ret;

	first = xa_erase(&reg->pair_fills, rfile->unix_sk.pair_id);
	if (!first) {
		first = kmalloc(sizeof(*first), GFP_KERNEL_ACCOUNT);
		if (!first)
			return -ENOMEM;
		*first = (struct cpt_unix_fill) {
			.file = get_file(rfile->file), .fd = rfile->fd,
			.rcvbuf = o->rcvbuf, .sndbuf = o->sndbuf,
		};
		ret = xa_insert(&reg->pair_fills, rfile->unix_sk.pair_id, first,
				GFP_KERNEL_ACCOUNT);
		if (ret)
			cpt_unix_fill_free(first);
		return ret;
	}
	peer = unix_peer_get(sock->sk);
	if (!peer) {
		ret = -ENOTCONN;
	} else if (peer != sock_from_file(first->file)->sk) {
		cpt_note("socket pair %u: %s\n", rfile->unix_sk.pair_id,
			 "an end of another pair has its pair id");
		ret = -EBADMSG;
	} else {
		assign_bit(SOCK_PASSCRED, &sock->flags, rfile->unix_sk.passcred);
		assign_bit(SOCK_PASSCRED, &peer->sk_socket->flags, rfile->unix_sk.peer_passcred);
		ret = cpt_unix_fill_sizes(first);
	}
	if (peer)
		sock_put(peer);
	cpt_unix_fill_free(first);
	return ret ?: cpt_unix_pair_options(rfile, true);
}

void cpt_unix_pair_fills_free(struct cpt_file_registry *reg)
{
	struct cpt_unix_fill *fill;
	unsigned long id;

	xa_for_each(&reg->pair_fills, id, fill)
		cpt_unix_fill_free(fill);
	xa_destroy(&reg->pair_fills);
}

/* An end left in ends, waiting for its other end's File: noted as what. */
static int cpt_unix_left_waiting(struct xarray *ends, const char *what)
{
	unsigned long id = 0;

	if (!xa_find(ends, &id, ULONG_MAX, XA_PRESENT))
		return 0;
	cpt_note("socket pair %lu: %s\n", id, what);
	return -EBADMSG;
}

/*
 * Once every task's Files are made: an end still waiting for its other
 * end's File is a hostile image's (a pair id with one File, or three),
 * which would leave it connected to a socket nobody holds, or without its
 * buffer sizes.
 */
int cpt_unix_pairs_complete(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	const char *pair = "a unix pair whose other end the image lacks";

	if (!reg)
		return 0;
	return cpt_unix_left_waiting(&reg->pair_fills, pair) ?:
	       cpt_unix_left_waiting(&reg->pair_ends, pair) ?:
	       cpt_unix_left_waiting(&reg->pending_ends,
				     "a connection not accepted yet whose connecting end the image lacks");
}

/*
 * An end whose messages carry files: its queue, sent once every File of
 * the record is made (those files among them).
 */
static int cpt_unix_files_made(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			       struct cpt_rfile *rfile)
{
	struct socket *sock;

	if (!rfile->unix_sk.carries_files)
		return 0;
	sock = sock_from_file(rfile->file);
	return cpt_refill_unix(reg, rf, rfile, sock) ?: cpt_unix_pair_filled(reg, rfile, sock) ?:
	       cpt_unix_pair_options(rfile, false);
}

/*
 * The connecting end of a connection its listener has not accepted yet:
 * the listener's File, made before it, connected it again
 * (cpt_unix_connect_pending()). Only its own name and SO_PASSCRED are
 * left: nothing is queued to it (checked at checkpoint), and the other end
 * gets its listener's flags when accepted.
 */
static int cpt_unix_open_pending(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct socket *sock;
	bool unsent;
	int ret;

	unsent = xa_get_mark(&reg->pending_ends, rfile->unix_sk.pair_id, CPT_PENDING_UNSENT);
	rfile->file = xa_erase(&reg->pending_ends, rfile->unix_sk.pair_id);
	if (!rfile->file) {
		cpt_note("socket pair %u: %s\n", rfile->unix_sk.pair_id,
			 "a connection not accepted yet that no listener restored before it has");
		return -EBADMSG;
	}
	sock = sock_from_file(rfile->file);
	if (sock->sk->sk_type != rfile->unix_sk.type)
		return -EBADMSG;
	if (rfile->unix_sk.addr_len) {
		ret = cpt_unix_name_pair(reg, rfile);
		if (ret)
			return ret;
	}
	cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	/* Connected: SO_PASSCRED no longer autobinds it. */
	assign_bit(SOCK_PASSCRED, &sock->flags, rfile->unix_sk.passcred);
	/* Its queue not sent yet: its buffer sizes after it (cpt_unix_pending_sent()). */
	return cpt_sock_opts_restore_file(rfile, rfile->file, &rfile->unix_sk.sock_opts,
					  !unsent, true);
}

/*
 * An end of a unix socket pair: the pair is made for its first end, as
 * socketpair() makes it (in the restoring task's network namespace, as
 * the caller), the other end waiting in the registry for its own File.
 * Each end's saved queue is sent again from its peer.
 */
static int cpt_open_unix_pair(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct socket *pair[2] = {};
	struct file *other;
	int ret, i;

	if (rfile->unix_sk.pending_connection)
		return cpt_unix_open_pending(reg, rfile);
	other = xa_erase(&reg->pair_ends, rfile->unix_sk.pair_id);
	if (other) {
		rfile->file = other;
		if (sock_from_file(other)->sk->sk_type != rfile->unix_sk.type)
			return -EBADMSG;
		goto fill;
	}
	for (i = 0; i < 2; i++) {
		ret = sock_create(AF_UNIX, rfile->unix_sk.type, 0, &pair[i]);
		if (ret)
			goto out_release;
	}
	ret = pair[0]->ops->socketpair(pair[0], pair[1]);
	if (ret)
		goto out_release;
	rfile->file = sock_alloc_file(pair[0], 0, NULL);
	pair[0] = NULL;		/* the file has it, or freed it */
	if (IS_ERR(rfile->file)) {
		ret = PTR_ERR(rfile->file);
		rfile->file = NULL;
		goto out_release;
	}
	other = sock_alloc_file(pair[1], 0, NULL);
	pair[1] = NULL;
	if (IS_ERR(other))
		return PTR_ERR(other);
	ret = xa_insert(&reg->pair_ends, rfile->unix_sk.pair_id, other, GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(other);
		return ret == -EBUSY ? -EBADMSG : ret;
	}
fill:
	if (rfile->unix_sk.addr_len) {
		ret = cpt_unix_name_pair(reg, rfile);
		if (ret)
			return ret;
	}
	cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	/* Carrying files: once they are made too (cpt_unix_files_made()). */
	if (rfile->unix_sk.carries_files)
		return 0;
	return cpt_refill_unix(reg, NULL, rfile, sock_from_file(rfile->file)) ?:
	       cpt_unix_pair_filled(reg, rfile, sock_from_file(rfile->file)) ?:
	       cpt_unix_pair_options(rfile, false);

out_release:
	for (i = 0; i < 2; i++)
		if (pair[i])
			sock_release(pair[i]);
	return ret;
}

/*
 * Both ends get the pair's id with the first (cpt_files_save.c). Each end
 * saves its peer's SO_PASSCRED too: whichever end a restart makes last
 * sets both, once both queues are sent again (cpt_unix_pair_filled()).
 */
static int cpt_unix_pair_save(struct cpt_file_save *fs)
{
	struct sock *sk = sock_from_file(fs->e->file)->sk, *peer;
	int ret;

	ret = cpt_unix_save_options(fs, sk);
	if (ret)
		return ret;
	cpt_pb_u64(fs->one, CPT_PB_FILE_UNIX_TYPE, sk->sk_type);
	cpt_pb_u64(fs->one, CPT_PB_FILE_PAIR_ID, fs->sf->pair);
	cpt_unix_save_addr(fs->one, fs->e->file);
	cpt_pb_u64(fs->one, CPT_PB_FILE_UNIX_PASSCRED,
		   test_bit(SOCK_PASSCRED, &sk->sk_socket->flags));
	/* A pair of the tree: its peer is the file of a frozen process's, connected. */
	peer = unix_peer_get(sk);
	if (peer && peer->sk_socket)
		cpt_pb_u64(fs->one, CPT_PB_FILE_UNIX_PEER_PASSCRED,
			   test_bit(SOCK_PASSCRED, &peer->sk_socket->flags));
	if (peer)
		sock_put(peer);
	if (fs->sf->unix_pending)
		cpt_pb_u64(fs->one, CPT_PB_FILE_UNIX_PENDING_CONNECTION, 1);
	ret = cpt_encode_unix_queue(fs, fs->one, sk, CPT_PB_FILE_UNIX_MESSAGES,
				    CPT_PB_FILE_UNIX_MESSAGE_CREDENTIALS,
				    CPT_PB_FILE_UNIX_MESSAGE_FDS);
	if (ret && ret != -EOPNOTSUPP && ret != -EOVERFLOW)
		cpt_note("fd %u: cannot save what its socket holds: %d\n", fs->e->fd, ret);
	return ret;
}

static int cpt_unix_pair_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;

	if ((rfile->mode & S_IFMT) != S_IFSOCK)
		*bad = "mode";
	else if (u->type != SOCK_STREAM && u->type != SOCK_DGRAM && u->type != SOCK_SEQPACKET)
		*bad = "socket type";
	else if (!u->pair_id || u->pair_id > CPT_MAX_FILES)
		*bad = "pair id";
	else if (u->addr_len &&
		 (u->type == SOCK_DGRAM || !cpt_unix_addr_valid(u->addr, u->addr_len)))
		*bad = "socket name";
	else if (u->nr_creds && u->nr_creds != u->nr_messages)
		*bad = "queued messages' credentials";
	else if (u->nr_message_fds && u->nr_message_fds != u->nr_messages)
		*bad = "queued messages' fds in flight";
	else if (u->nr_pending ||
		 (u->pending_connection && (u->nr_messages || u->peer_passcred ||
					    u->type == SOCK_DGRAM)))
		*bad = "connection not accepted yet";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (!cpt_sock_opts_valid(&u->sock_opts, CPT_SOCK_OPTS_BUFFERS))
		*bad = "socket option";
	return *bad ? -EBADMSG : 0;
}

const struct cpt_file_ops cpt_unix_pair_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_unix_pair_save,
	.decode = cpt_unix_decode,
	.check = cpt_unix_pair_check,
	.open = cpt_open_unix_pair,
	.files_made = cpt_unix_files_made,
};
