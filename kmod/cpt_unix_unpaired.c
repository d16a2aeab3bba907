// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets that are neither listeners nor ends of a pair of the tree
 * (File kinds UNIX_STREAM and UNIX_DGRAM): unbound, bound, a datagram
 * socket with its queue and its peer (of the tree or outside it), a stream
 * socket connected to a server outside the tree (--ext-unix-sk). Made
 * again with socket(), their options and bind(), their queues sent again,
 * and connected again by name in the final step.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_unix.h"

/* The most datagrams queued in one socket an image holds (af_unix's default limit: 4096). */
#define CPT_UNIX_MAX_DGRAMS 65536U

/*
 * A peer outside the tree is connected to again by its name at restart,
 * as CRIU does: a datagram socket's (a syslog's /dev/log), a stream
 * socket's with --ext-unix-sk. Only a name that finds the same socket from
 * the restored task: an absolute path whose socket file is still there
 * (the peer's, bound before it published the name read here), or an
 * abstract name. Returns why not, or NULL with the name in msg.
 */
static const char *cpt_unix_save_outside_peer(struct cpt_pb_buf *msg, struct sock *peer,
					      struct unix_address *addr)
{
	const struct sockaddr_un *sun = addr ? addr->name : NULL;
	struct dentry *dentry = unix_sk(peer)->path.dentry;

	if (!sun || addr->len <= offsetof(struct sockaddr_un, sun_path))
		return "connected to an unnamed socket outside the tree";
	if (sun->sun_path[0] && sun->sun_path[0] != '/')
		return "connected to a socket outside the tree bound to a relative path";
	if (dentry && d_unlinked(dentry))
		return "connected to a socket outside the tree whose socket file was removed";
	cpt_pb_bytes(msg, CPT_PB_UNIX_SOCKET_PEER, addr->name, addr->len);
	cpt_pb_u64(msg, CPT_PB_UNIX_SOCKET_PEER_OUTSIDE, 1);
	return NULL;
}

/* The refusal "fd N: a unix TYPE socket WHY is not supported". */
static int cpt_unix_refuse_peer(unsigned int fd, struct sock *sk, const char *why)
{
	cpt_note("fd %u: a unix %s socket %s is not supported\n", fd,
		 sk->sk_type == SOCK_DGRAM ? "datagram" :
		 sk->sk_type == SOCK_STREAM ? "stream" : "seqpacket", why);
	return -EOPNOTSUPP;
}

/*
 * The name of the socket a datagram socket is connected to, checked: one
 * of the tree's, or one outside it (cpt_unix_save_outside_peer()).
 */
static int cpt_unix_save_peer(struct cpt_file_save *fs, struct cpt_pb_buf *msg, struct sock *sk)
{
	struct sock *peer = unix_peer_get(sk);
	struct cpt_saved_file *sf;
	struct unix_address *addr;
	unsigned int i, fd = fs->e->fd;
	const char *why = NULL;
	bool earlier;

	if (!peer)
		return 0;
	if (sock_flag(peer, SOCK_DEAD)) {
		sock_put(peer);
		return cpt_refuse(fd, "a unix datagram socket whose peer was closed");
	}
	/* Pairs with unix_bind()'s release of the name. */
	addr = smp_load_acquire(&unix_sk(peer)->addr);
	sf = cpt_find_saved_sock(fs->reg, peer);
	/* Connected again by name in the final step: the peer must be bound by then. */
	earlier = sf && sf->id;
	for (i = 0; sf && !earlier && i < fs->nr_fds; i++)
		earlier = fs->fds[i].file == sf->file;
	if (!sf)
		why = cpt_unix_save_outside_peer(msg, peer, addr);
	else if (!addr)
		why = "connected to an unnamed socket";
	else if (!earlier)
		why = "connected to a socket only a later process holds";
	else
		cpt_pb_bytes(msg, CPT_PB_UNIX_SOCKET_PEER, addr->name, addr->len);
	sock_put(peer);
	return why ? cpt_unix_refuse_peer(fd, sk, why) : 0;
}

/*
 * A stream or seqpacket socket connected to a socket outside the tree (a
 * server's, named by its listener's name): saved with --ext-unix-sk only,
 * to connect again to that name at restart, a new connection that the
 * server accepts anew, as CRIU's --ext-unix-sk does. What the server sent
 * that it has yet to read would be lost, and a shutdown could not be told
 * from the server's own: refused. The server is not frozen: what it sends
 * after this look goes with the old connection.
 */
static int cpt_unix_save_stream_peer(struct cpt_file_save *fs, struct cpt_pb_buf *msg,
				     struct sock *sk)
{
	struct sock *peer = unix_peer_get(sk);
	const char *why;

	if (!peer)
		return cpt_refuse(fs->e->fd, "unix socket connected to a process outside the tree");
	if (!fs->reg->session->ext_unix_sk)
		why = "connected to a socket outside the tree, without --ext-unix-sk,";
	else if (cpt_find_saved_sock(fs->reg, peer))
		why = "connected to a socket of the tree that is not its pair";
	else if (skb_queue_len_lockless(&sk->sk_receive_queue))
		why = "connected to a socket outside the tree, with unread data it would lose,";
	else if (READ_ONCE(sk->sk_shutdown))
		why = "connected to a socket outside the tree and shut down";
	else
		/* Pairs with unix_bind()'s release of the name. */
		why = cpt_unix_save_outside_peer(msg, peer, smp_load_acquire(&unix_sk(peer)->addr));
	sock_put(peer);
	return why ? cpt_unix_refuse_peer(fs->e->fd, sk, why) : 0;
}

/* A datagram's bytes, its sender's name, its credentials and how many files it carries. */
struct cpt_unix_dgram {
	u32 len;
	u32 sender_len;
	u8 sender[CPT_UNIX_ADDR_MAX];
	struct cpt_unix_creds creds;
	u16 nr_fds;
};

/*
 * What a datagram socket has yet to read, a message per datagram with its
 * sender's name and the files it carries (SCM_RIGHTS: each saved once as
 * a File of the tree, cpt_unix_save_message_fds()). Bound, it may get more
 * from outside the tree while it is saved: what came in first is saved,
 * within the counts of the first look (a file in flight that came after
 * the tree's were noted: -EAGAIN, try again).
 */
static int cpt_unix_save_dgrams(struct cpt_file_save *fs, struct cpt_pb_buf *msg,
				unsigned int fd, struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int total = 0, nr = 0, done = 0, i = 0, all_fds = 0, fds_done = 0, n;
	struct file **files = NULL;
	struct cpt_unix_dgram *d;
	struct unix_address *addr;
	struct cpt_pb_buf one;
	struct sk_buff *skb;
	char *data;
	int ret = 0;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		total += min_t(unsigned int, skb->len, CPT_MAX_QUEUED + 1);
		all_fds += cpt_compat_skb_files(skb, NULL, 0);
		nr++;
		if (total > CPT_MAX_QUEUED || nr > CPT_UNIX_MAX_DGRAMS)
			break;
	}
	spin_unlock(&q->lock);
	if (!nr)
		return 0;
	if (total > CPT_MAX_QUEUED || nr > CPT_UNIX_MAX_DGRAMS) {
		cpt_note("fd %u: %s %u datagrams or %u bytes queued is not supported\n", fd,
			 "a unix socket with more than", CPT_UNIX_MAX_DGRAMS, CPT_MAX_QUEUED);
		return -EFBIG;
	}
	if (all_fds > CPT_UNIX_MAX_IN_FLIGHT)
		return cpt_refuse(fd,
				  "a unix socket with more than 65536 fds in flight in its queue");
	data = kvmalloc(total ?: 1, GFP_KERNEL);
	d = kvcalloc(nr, sizeof(*d), GFP_KERNEL);
	files = kvcalloc(all_fds ?: 1, sizeof(*files), GFP_KERNEL);
	if (!data || !d || !files) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		n = cpt_compat_skb_files(skb, files + fds_done, all_fds - fds_done);
		if (i == nr || skb->len > total - done || n > all_fds - fds_done)
			break;
		ret = skb_copy_bits(skb, 0, data + done, skb->len);
		if (ret)
			break;
		/* Held as cpt_unix_files_in_flight() holds them: the tree's socket's. */
		for (d[i].nr_fds = n; n; n--)
			get_file(files[fds_done++]);
		d[i].len = skb->len;
		/* Its sender's name, as recvmsg() reads it (unix_copy_addr()). */
		addr = smp_load_acquire(&unix_sk(skb->sk)->addr);
		d[i].sender_len = addr ? min_t(u32, addr->len, CPT_UNIX_ADDR_MAX) : 0;
		if (addr)
			memcpy(d[i].sender, addr->name, d[i].sender_len);
		cpt_unix_get_creds(&d[i].creds, skb);
		done += d[i++].len;
	}
	spin_unlock(&q->lock);
	for (nr = i, i = 0, done = 0, n = 0; !ret && i < nr; done += d[i++].len) {
		cpt_pb_init(&one);
		cpt_pb_bytes(&one, CPT_PB_UNIX_SOCKET_DATAGRAM_DATA, data + done, d[i].len);
		if (d[i].sender_len)
			cpt_pb_bytes(&one, CPT_PB_UNIX_SOCKET_DATAGRAM_SENDER, d[i].sender,
				     d[i].sender_len);
		ret = cpt_unix_save_creds(&one, CPT_PB_UNIX_SOCKET_DATAGRAM_CREDENTIALS, fs->reg,
					  fd, &d[i].creds);
		if (!ret && d[i].nr_fds)
			ret = cpt_unix_save_message_fds(fs, &one, CPT_PB_UNIX_SOCKET_DATAGRAM_FDS,
							files + n, &d[i].nr_fds, 1);
		n += d[i].nr_fds;
		if (ret)
			cpt_pb_free(&one);
		else
			cpt_pb_message(msg, CPT_PB_UNIX_SOCKET_QUEUE, &one);
	}
	for (i = 0; d && i < nr; i++)
		put_pid(d[i].creds.pid);
	for (i = 0; i < fds_done; i++)
		fput(files[i]);
out:
	kvfree(files);
	kvfree(d);
	kvfree(data);
	return ret;
}

static int cpt_unix_sk_save(struct cpt_file_save *fs)
{
	struct sock *sk = sock_from_file(fs->e->file)->sk;
	unsigned int fd = fs->e->fd;
	struct unix_address *named;
	struct cpt_pb_buf msg;
	const char *why;
	int ret;

	if (READ_ONCE(sk->sk_err)) {
		cpt_note("fd %u: unix socket with a pending error (%d) is not supported\n", fd,
			 READ_ONCE(sk->sk_err));
		return -EOPNOTSUPP;
	}
	/* A datagram socket's fds in flight are saved with its queue (cpt_unix_save_dgrams()). */
	why = sk->sk_type == SOCK_DGRAM ? cpt_unix_oob_refusal(sk) : cpt_unix_queue_refusal(sk);
	if (why)
		return cpt_refuse(fd, why);
	why = cpt_unix_unsaved_option(sk);
	if (why) {
		cpt_note("fd %u: socket option %s is not supported\n", fd, why);
		return -EOPNOTSUPP;
	}
	/* Its buffer sizes are its UnixSocket's. */
	ret = cpt_sock_opts_save(fs->one, fd, sk, CPT_SOCK_OPTS_SHARED);
	if (ret)
		return ret;
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	named = smp_load_acquire(&unix_sk(sk)->addr);
	if (named && unix_sk(sk)->path.dentry && d_unlinked(unix_sk(sk)->path.dentry))
		return cpt_refuse(fd, "a unix socket whose socket file was removed");
	/* Sent again to its name: an unnamed one only gets datagrams from its peer. */
	if (sk->sk_type == SOCK_DGRAM && skb_queue_len_lockless(&sk->sk_receive_queue) && !named)
		return cpt_refuse(fd, "an unnamed unix socket with datagrams queued");
	cpt_pb_init(&msg);
	cpt_pb_u64(&msg, CPT_PB_UNIX_SOCKET_TYPE, sk->sk_type);
	cpt_unix_encode_addr(&msg, sk, CPT_PB_UNIX_SOCKET_ADDR);
	cpt_pb_u64(&msg, CPT_PB_UNIX_SOCKET_SHUTDOWN, READ_ONCE(sk->sk_shutdown));
	cpt_pb_u64(&msg, CPT_PB_UNIX_SOCKET_PASSCRED,
		   test_bit(SOCK_PASSCRED, &sk->sk_socket->flags));
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		cpt_pb_u64(&msg, CPT_PB_UNIX_SOCKET_RCVBUF, READ_ONCE(sk->sk_rcvbuf));
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		cpt_pb_u64(&msg, CPT_PB_UNIX_SOCKET_SNDBUF, READ_ONCE(sk->sk_sndbuf));
	ret = 0;
	if (sk->sk_type == SOCK_DGRAM)
		ret = cpt_unix_save_peer(fs, &msg, sk) ?: cpt_unix_save_dgrams(fs, &msg, fd, sk);
	else if (READ_ONCE(sk->sk_socket->state) == SS_CONNECTED)
		ret = cpt_unix_save_stream_peer(fs, &msg, sk);
	if (!ret)
		ret = cpt_unix_save_node(fs, sk) ?: msg.err;
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	cpt_pb_message(fs->one, CPT_PB_FILE_UNIX_SOCKET, &msg);
	return 0;
}

/*
 * A datagram of the queue, checked; fds, its files in flight
 * (UnixInflightFds, cpt_unix_decode_fds()), no bytes if none. Returns how
 * many files it carries, or an errno.
 */
static int cpt_unix_decode_dgram(const struct cpt_pb_field *pf, struct cpt_pb_field *data,
				 struct cpt_pb_field *sender, struct ucred *uc,
				 struct cpt_pb_field *fds)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int nr = 0;

	*data = (struct cpt_pb_field) {};
	*sender = (struct cpt_pb_field) {};
	*fds = (struct cpt_pb_field) {};
	*uc = (struct ucred) {};
	cpt_pb_for_each_subfield(&r, pf, &f) {
		if (f.wire != CPT_PB_BYTES)
			cpt_pb_fail(&r, -EBADMSG);
		else if (f.num == CPT_PB_UNIX_SOCKET_DATAGRAM_DATA)
			*data = f;
		else if (f.num == CPT_PB_UNIX_SOCKET_DATAGRAM_SENDER)
			*sender = f;
		else if (f.num == CPT_PB_UNIX_SOCKET_DATAGRAM_CREDENTIALS)
			cpt_pb_fail(&r, cpt_unix_decode_creds(&f, uc));
		else if (f.num == CPT_PB_UNIX_SOCKET_DATAGRAM_FDS && fds->data)
			cpt_pb_fail(&r, -EBADMSG);
		else if (f.num == CPT_PB_UNIX_SOCKET_DATAGRAM_FDS)
			*fds = f;
	}
	if (!cpt_pb_end(&r) && sender->len && !cpt_unix_addr_valid(sender->data, sender->len))
		return -EBADMSG;
	if (!cpt_pb_end(&r) && fds->data)
		nr = cpt_unix_decode_fds(fds, NULL);
	return cpt_pb_end(&r) ?: nr;
}

static int cpt_unix_decode_sock(struct cpt_rfile_unix *u, const struct cpt_pb_field *pf)
{
	struct cpt_pb_field data, sender, fds;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t total = 0;
	struct ucred uc;
	int nr;

	u->sock_msg = *pf;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_UNIX_SOCKET_TYPE:
			cpt_pb_read_u32(&r, &f, &u->type);
			break;
		case CPT_PB_UNIX_SOCKET_ADDR:
		case CPT_PB_UNIX_SOCKET_PEER:
			if (f.wire != CPT_PB_BYTES || f.len > CPT_UNIX_ADDR_MAX) {
				cpt_pb_fail(&r, -EBADMSG);
			} else if (f.num == CPT_PB_UNIX_SOCKET_ADDR) {
				u->addr = f.data;
				u->addr_len = f.len;
			} else {
				memcpy(u->peer, f.data, f.len);
				u->peer_len = f.len;
			}
			break;
		case CPT_PB_UNIX_SOCKET_SHUTDOWN:
			cpt_pb_read_u32(&r, &f, &u->shutdown);
			break;
		case CPT_PB_UNIX_SOCKET_PASSCRED:
			cpt_pb_read_bool(&r, &f, &u->passcred);
			break;
		case CPT_PB_UNIX_SOCKET_PEER_OUTSIDE:
			cpt_pb_read_bool(&r, &f, &u->peer_outside);
			break;
		case CPT_PB_UNIX_SOCKET_RCVBUF:
			cpt_pb_read_u32(&r, &f, &u->rcvbuf);
			break;
		case CPT_PB_UNIX_SOCKET_SNDBUF:
			cpt_pb_read_u32(&r, &f, &u->sndbuf);
			break;
		case CPT_PB_UNIX_SOCKET_QUEUE:
			/* Sent again when the socket is made (cpt_unix_refill_dgrams()). */
			nr = cpt_unix_decode_dgram(&f, &data, &sender, &uc, &fds);
			cpt_pb_fail(&r, min(nr, 0));
			u->carries_files |= nr > 0;
			total += data.len;
			if (++u->nr_queued > CPT_UNIX_MAX_DGRAMS || total > CPT_MAX_QUEUED)
				cpt_pb_fail(&r, -EFBIG);
			break;
		}
	}
	return cpt_pb_end(&r);
}

static int cpt_unix_sk_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_UNIX_SOCKET:
		return cpt_unix_decode_sock(&rfile->unix_sk, f);
	case CPT_PB_FILE_NODE_UID:
	case CPT_PB_FILE_NODE_GID:
	case CPT_PB_FILE_NODE_MODE:
	case CPT_PB_FILE_SOCKET_OPTIONS:
		return cpt_unix_decode(rfile, f);
	}
	return CPT_FILE_FOREIGN;
}

/* A socket file's owner and mode: only for a name that is a path. */
static bool cpt_unix_node_valid(const struct cpt_rfile_unix *u)
{
	if (!u->node.owned && !u->node.has_mode)
		return true;
	return u->addr_len && u->addr[offsetof(struct sockaddr_un, sun_path)] &&
	       (!u->node.has_mode || (u->node.mode & S_IFMT) == S_IFSOCK);
}

static int cpt_unix_sk_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	bool dgram = rfile->kind == CPT_PB_FILE_KIND_UNIX_DGRAM;

	if ((rfile->mode & S_IFMT) != S_IFSOCK)
		*bad = "mode";
	else if (!u->sock_msg.data)
		*bad = "unix socket";
	else if (dgram ? u->type != SOCK_DGRAM :
		 u->type != SOCK_STREAM && u->type != SOCK_SEQPACKET)
		*bad = "socket type";
	else if (u->addr_len && !cpt_unix_addr_valid(u->addr, u->addr_len))
		*bad = "socket name";
	else if (u->file_path_len &&
		 (!u->addr_len || !u->addr[offsetof(struct sockaddr_un, sun_path)]))
		*bad = "socket file path";
	else if (u->peer_len ? (!dgram && !u->peer_outside) ||
		 !cpt_unix_addr_valid(u->peer, u->peer_len) : u->peer_outside)
		*bad = "socket peer";
	/* Outside the tree: a name that finds the same socket from anywhere. */
	else if (u->peer_outside && u->peer[offsetof(struct sockaddr_un, sun_path)] &&
		 u->peer[offsetof(struct sockaddr_un, sun_path)] != '/')
		*bad = "socket peer";
	else if (u->nr_queued && (!dgram || !u->addr_len))
		*bad = "socket queue";
	else if (u->shutdown & ~SHUTDOWN_MASK)
		*bad = "socket shutdown";
	else if (u->rcvbuf > INT_MAX || u->sndbuf > INT_MAX)
		*bad = "socket buffer size";
	else if (!cpt_sock_opts_valid(&u->sock_opts, CPT_SOCK_OPTS_SHARED))
		*bad = "socket option";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (!cpt_unix_node_valid(u))
		*bad = "socket file";
	return *bad ? -EBADMSG : 0;
}

/*
 * The files a datagram socket's messages carry, checked as a pair end's
 * (cpt_unix_check_carrier()).
 */
int cpt_unix_dgram_check_carrier(struct cpt_file_registry *reg,
				 const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				 u32 *ids)
{
	struct cpt_pb_field data, sender, fds;
	const char *bad = NULL;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct ucred uc;

	/* The record was checked when decoded. */
	cpt_pb_for_each_subfield(&r, &rfile->unix_sk.sock_msg, &f) {
		if (bad)
			break;
		if (f.num == CPT_PB_UNIX_SOCKET_QUEUE &&
		    cpt_unix_decode_dgram(&f, &data, &sender, &uc, &fds) > 0)
			bad = cpt_unix_carried_fds_bad(reg, rf, &fds, ids);
	}
	return cpt_pb_end(&r) ?: cpt_unix_carrier_checked(reg, rfile, bad);
}

/*
 * Room in from, a socket made to send a saved datagram of len bytes again:
 * af_unix refuses one over its sk_sndbuf less 32 bytes (EMSGSIZE), and its
 * sender had raised its own SO_SNDBUF for it. SO_SNDBUF gives it within
 * net.core.wmem_max, as it gives any caller; beyond, SO_SNDBUFFORCE, which
 * only a restarting caller with CAP_NET_ADMIN may use, as its own socket.
 */
static int cpt_unix_dgram_room(struct socket *from, size_t len)
{
	int val = DIV_ROUND_UP(len + 32, 2), ret;

	if (len + 32 <= READ_ONCE(from->sk->sk_sndbuf))
		return 0;
	ret = sock_setsockopt(from, SOL_SOCKET, SO_SNDBUF, KERNEL_SOCKPTR(&val), sizeof(val));
	if (!ret && len + 32 > READ_ONCE(from->sk->sk_sndbuf))
		ret = sock_setsockopt(from, SOL_SOCKET, SO_SNDBUFFORCE, KERNEL_SOCKPTR(&val),
				      sizeof(val));
	return ret;
}

/*
 * Sends each saved datagram again to the socket's name, each from a socket
 * of its own that has its sender's name (given as to a pair's end, only a
 * name the caller could have), as the sender's sendto() queued it, with
 * the files it carries (c: room for them, NULL if none carries any).
 * Before the socket is connected: a connected one takes datagrams from its
 * peer only.
 */
static int cpt_unix_refill_dgrams(struct cpt_file_registry *reg,
				  const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				  struct cpt_unix_carried *c)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct sockaddr_storage to;
	struct msghdr msg = { .msg_name = &to, .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_unix_shown_creds shown_creds;
	struct cpt_pb_field data, sender, fds;
	struct cpt_unix_shown shown;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct socket *from;
	struct ucred uc;
	int ret, nr;

	msg.msg_namelen = cpt_unix_sockaddr(&to, u->addr, u->addr_len);
	/* The record was checked when decoded. */
	cpt_pb_for_each_subfield(&r, &u->sock_msg, &f) {
		if (f.num != CPT_PB_UNIX_SOCKET_QUEUE)
			continue;
		nr = cpt_unix_decode_dgram(&f, &data, &sender, &uc, &fds);
		if (nr > 0)
			nr = c ? cpt_unix_carried_files(reg, rf, &fds, c) : -EBADMSG;
		ret = min(nr, 0) ?: sock_create(AF_UNIX, SOCK_DGRAM, 0, &from);
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
		if (sender.len) {
			ret = cpt_unix_may_take_name(reg, SOCK_DGRAM, sender.data, sender.len);
			if (ret)
				cpt_note("fd %u: %s: %s (%d)\n", rfile->fd,
					 "a datagram's sender is not a name the caller could bind",
					 cpt_unix_show(&shown, sender.data, sender.len), ret);
			else
				ret = cpt_unix_set_addr(from->sk, sender.data, sender.len);
		}
		if (!ret) {
			ret = cpt_unix_dgram_room(from, data.len);
			if (ret)
				cpt_note("fd %u: %s of %zu bytes again: %s: %d\n", rfile->fd,
					 "cannot queue a saved datagram", data.len, ret == -EPERM ?
					 "an SO_SNDBUF over net.core.wmem_max needs CAP_NET_ADMIN" :
					 "SO_SNDBUF for it refused", ret);
		}
		if (!ret) {
			ret = nr ? cpt_unix_send_files(from, &msg, &data, &uc, c->files, nr) :
			      cpt_unix_send(from, &msg, &data, &uc);
			if (ret == data.len) {
				ret = 0;
			} else {
				cpt_note("fd %u: %s of %zu bytes%s%s again: %d\n", rfile->fd,
					 "cannot queue a saved datagram", data.len,
					 cpt_unix_show_creds(&shown_creds, &uc),
					 nr ? " with fds in flight" : "", ret);
				ret = ret < 0 ? ret : -ENOBUFS;
			}
		}
		sock_release(from);
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
		ret = cpt_long_loop_check();
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
	}
	return cpt_pb_end(&r);
}

/*
 * socket(), its options and bind() again, in the restoring task; then its
 * queue, unless its messages carry files (cpt_unix_sk_files_made()).
 */
static int cpt_unix_sk_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct cpt_unix_restore ur = { .rfile = rfile, .fd = -1 };
	int ret;

	ret = cpt_sock_make(&ur.sr, AF_UNIX, u->type, 0, "unix", NULL) ?:
	      cpt_sock_set_buf(&ur.sr, true, u->rcvbuf) ?:
	      cpt_sock_set_buf(&ur.sr, false, u->sndbuf);
	if (!ret && u->addr_len)
		ret = cpt_unix_bind(reg, &ur, u->addr, u->addr_len) ?:
		      cpt_unix_note_name(reg, u->addr, u->addr_len);
	if (!ret && u->addr_len && !u->carries_files)
		ret = cpt_unix_refill_dgrams(reg, NULL, rfile, NULL);
	/* After the queue: a datagram saved without credentials would get the restorer's. */
	if (!ret && u->passcred && !u->carries_files)
		ret = cpt_sock_set_int(&ur.sr, SO_PASSCRED, "SO_PASSCRED", 1);
	/* After it too: a filter would judge the saved datagrams again. */
	if (!ret && !u->carries_files)
		ret = cpt_sock_opts_restore_rest(&ur.sr, &u->sock_opts);
	return cpt_sock_made(&ur.sr, ret) ?: cpt_unix_restore_node(rfile);
}

/*
 * A datagram socket whose messages carry files: its queue, sent once
 * every File of the record is made (those files among them), then its
 * SO_PASSCRED (as a pair's end gets it, cpt_unix_pair_filled()).
 */
static int cpt_unix_sk_files_made(struct cpt_file_registry *reg,
				  const struct cpt_restore_files *rf, struct cpt_rfile *rfile)
{
	struct cpt_unix_carried *c;
	int ret;

	if (!rfile->unix_sk.carries_files)
		return 0;
	c = kmalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	ret = cpt_unix_refill_dgrams(reg, rf, rfile, c);
	kfree(c);
	if (!ret)
		assign_bit(SOCK_PASSCRED, &sock_from_file(rfile->file)->flags,
			   rfile->unix_sk.passcred);
	return ret ?: cpt_sock_opts_restore_file(rfile, rfile->file, &rfile->unix_sk.sock_opts,
						 false, true);
}

/*
 * connect() to a path asks the caller for write permission on the socket
 * file; the task's credentials from the image must have it too.
 */
static int cpt_unix_may_connect(struct cpt_file_registry *reg,
				const struct sockaddr_storage *storage, unsigned int fd)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)storage;
	char what[16];
	struct path p;
	int ret;

	if (!sun->sun_path[0])
		return 0;
	/* Not found by the caller, or not a socket: connect() itself says so. */
	if (kern_path(sun->sun_path, LOOKUP_FOLLOW, &p))
		return 0;
	path_put(&p);
	snprintf(what, sizeof(what), "fd %u", fd);
	ret = cpt_task_lookup(reg->session, what, sun->sun_path, LOOKUP_FOLLOW, &p);
	if (ret)
		return ret;
	ret = cpt_task_may(reg->session, what, sun->sun_path, &p, MAY_WRITE);
	path_put(&p);
	return ret;
}

/*
 * connect() to the peer's name as the program did, as the restarting
 * caller, on the socket restored (lent an fd of the module's own table,
 * cpt_sock_lend(): never the one at fd in the task's, which another
 * thread could have changed). A stream socket's, to a server outside the
 * tree, does not wait: a full backlog fails (EAGAIN) rather than holding
 * the restart.
 */
static long cpt_unix_connect_again(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				   unsigned int fd)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct cpt_unix_restore ur = { .rfile = rfile, .fd = -1 };
	struct sockaddr_storage storage;
	struct cpt_unix_shown shown;
	bool stream = u->type != SOCK_DGRAM;
	long ret;
	int len;

	ret = cpt_sock_lend(&ur.sr, rfile->file);
	if (ret)
		return ret;
	len = cpt_unix_sockaddr(&storage, u->peer, u->peer_len);
	if (stream)
		cpt_set_nonblock(rfile->file, true);
	ret = cpt_unix_may_connect(reg, &storage, fd) ?:
	      cpt_unix_sys_name(&ur, cpt_sym.sys_connect, &storage, len);
	if (stream)
		cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	cpt_sock_lent_back(&ur.sr);
	if (ret)
		cpt_note("fd %u: cannot connect a unix %s socket to %s%s again: %ld\n", fd,
			 stream ? "stream" : "datagram", cpt_unix_show(&shown, &storage, len),
			 u->peer_outside ? " outside the tree" : "", ret);
	return ret;
}

/*
 * In the final step, every File of this process and of the earlier ones
 * made: a socket connected to a name connect()s to it again (a datagram
 * socket to its peer's, of the tree or outside it; a stream socket to a
 * server outside the tree), then the socket is shut down as it was
 * (shutdown() only takes away).
 */
static int cpt_unix_sk_installed(const struct cpt_restore_files *rf, struct cpt_file_registry *reg,
				 struct cpt_rfile *rfile, unsigned int fd)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	long ret = 0;

	if (u->peer_len) {
		ret = cpt_unix_connect_again(reg, rfile, fd);
		if (ret)
			return ret;
	}
	if (u->shutdown)
		ret = kernel_sock_shutdown(sock_from_file(rfile->file), u->shutdown - 1);
	return ret;
}

const struct cpt_file_ops cpt_unix_sk_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_unix_sk_save,
	.decode = cpt_unix_sk_decode,
	.check = cpt_unix_sk_check,
	.open = cpt_unix_sk_open,
	.files_made = cpt_unix_sk_files_made,
	.installed = cpt_unix_sk_installed,
};
