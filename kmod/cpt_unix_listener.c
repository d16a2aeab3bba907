// SPDX-License-Identifier: GPL-2.0
/*
 * Unix listeners. A listener, bound to a path or an abstract name, is
 * bound again in the restoring task, with its rights and with the backlog
 * listen() would clamp it to. Its connections not accepted yet come back
 * with it: each client (a socket of the tree saved after it) connect()s to
 * it again and sends what it had written, and the client's File takes that
 * socket (cpt_unix_connect_pending()).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"
#include "cpt_unix.h"

static int cpt_unix_save_pending(struct cpt_file_save *fs, struct sock *sk);

static int cpt_unix_listener_save(struct cpt_file_save *fs)
{
	struct sock *sk = sock_from_file(fs->e->file)->sk;
	struct cpt_pb_buf *one = fs->one;
	unsigned int fd = fs->e->fd;
	int ret;

	ret = cpt_unix_save_options(fs, sk);
	if (ret)
		return ret;
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	if (!smp_load_acquire(&unix_sk(sk)->addr)) {
		cpt_note("fd %u: a listening socket without a name is not supported\n", fd);
		return -EOPNOTSUPP;
	}
	/* A restart binds its name again, which would make the removed file anew. */
	if (unix_sk(sk)->path.dentry && d_unlinked(unix_sk(sk)->path.dentry))
		return cpt_refuse(fd, "a unix listener whose socket file was removed");
	cpt_pb_u64(one, CPT_PB_FILE_UNIX_TYPE, sk->sk_type);
	cpt_unix_encode_addr(one, sk, CPT_PB_FILE_UNIX_ADDR);
	cpt_pb_u64(one, CPT_PB_FILE_UNIX_BACKLOG, READ_ONCE(sk->sk_max_ack_backlog));
	/* What it gives the sockets it accepts (unix_sock_inherit_flags()). */
	if (test_bit(SOCK_PASSCRED, &sk->sk_socket->flags))
		cpt_pb_u64(one, CPT_PB_FILE_UNIX_PASSCRED, 1);
	return cpt_unix_save_node(fs, sk) ?: cpt_unix_save_pending(fs, sk) ?: one->err;
}

/*
 * Why a connection not accepted yet (newsk, in a listener's queue) cannot
 * come back, or NULL; *csf its connecting end's entry. Its connecting end
 * must be a socket of the tree, saved after the listener (whose File
 * makes it again), connected both ways, with nothing queued a restart
 * could not give back. The embryo has no socket yet: it cannot send.
 */
static const char *cpt_unix_pending_refusal(struct cpt_file_registry *reg, struct sock *newsk,
					    struct sock *client, struct cpt_saved_file **csf)
{
	*csf = NULL;
	if (!client || sock_flag(client, SOCK_DEAD))
		return "a connection not accepted yet whose connecting end was closed";
	*csf = cpt_find_saved_sock(reg, client);
	if (!*csf)
		return "a connection not accepted yet from a socket outside the tree";
	if ((*csf)->id)
		return "a connection not accepted yet from a socket saved before its listener";
	if (READ_ONCE(newsk->sk_shutdown) || READ_ONCE(client->sk_shutdown))
		return "a connection not accepted yet that was shut down";
	if (skb_queue_len_lockless(&client->sk_receive_queue))
		return "a connection not accepted yet with data queued to its connecting end";
	/* Its files in flight are saved with its queue (cpt_encode_unix_queue()). */
	return cpt_unix_oob_refusal(newsk) ?: cpt_unix_queue_refusal(client);
}

/*
 * The connections a listener has not accepted yet, as the skbs of its
 * queue hold them (unix_stream_connect()): their embryos, each held, in
 * the queue's order; NULL if none, ERR_PTR(-EFBIG) if more than an image
 * holds. Counted at a first look: one a process outside the tree makes
 * meanwhile comes after those, and is not taken.
 */
struct sock **cpt_unix_hold_embryos(struct sock *sk, unsigned int *nr)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int i = 0, n = skb_queue_len_lockless(q);
	struct sock **embryos;
	struct sk_buff *skb;

	*nr = 0;
	if (!n)
		return NULL;
	if (n > CPT_UNIX_MAX_PENDING)
		return ERR_PTR(-EFBIG);
	embryos = kvcalloc(n, sizeof(*embryos), GFP_KERNEL);
	if (!embryos)
		return ERR_PTR(-ENOMEM);
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		if (i == n)
			break;
		sock_hold(skb->sk);
		embryos[i++] = skb->sk;
	}
	spin_unlock(&q->lock);
	*nr = i;
	return embryos;
}

void cpt_unix_put_embryos(struct sock **embryos, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		sock_put(embryos[i]);
	kvfree(embryos);
}

/* How many files the messages of a listener's connections not accepted yet carry. */
static unsigned int cpt_unix_pending_nr_files(struct sock **embryos, unsigned int nr)
{
	unsigned int i, total = 0;
	struct sk_buff *skb;

	for (i = 0; i < nr; i++) {
		spin_lock(&embryos[i]->sk_receive_queue.lock);
		skb_queue_walk(&embryos[i]->sk_receive_queue, skb)
			total += cpt_compat_skb_files(skb, NULL, 0);
		spin_unlock(&embryos[i]->sk_receive_queue.lock);
	}
	return total;
}

/*
 * A listener's connections not accepted yet, in its queue's order: for
 * each, its connecting end's pair id (that end's File, saved later, gets
 * it) and what it wrote before the accept, with its credentials and the
 * files each message carries (SCM_RIGHTS, saved as the tree's: those the
 * tree's scan noted, cpt_unix_files_in_flight()).
 */
static int cpt_unix_save_pending(struct cpt_file_save *fs, struct sock *sk)
{
	struct cpt_saved_file *csf;
	unsigned int nr, i;
	struct sock **embryos, *client;
	struct cpt_pb_buf one;
	const char *why;
	int ret = 0;

	embryos = cpt_unix_hold_embryos(sk, &nr);
	if (PTR_ERR(embryos) == -EFBIG) {
		cpt_note("fd %u: a listening socket with more than %u %s is not supported\n",
			 fs->e->fd, CPT_UNIX_MAX_PENDING, "connections not accepted yet");
		return -EFBIG;
	}
	if (IS_ERR_OR_NULL(embryos))
		return PTR_ERR_OR_ZERO(embryos);
	if (cpt_unix_pending_nr_files(embryos, nr) > CPT_UNIX_MAX_IN_FLIGHT)
		ret = cpt_refuse(fs->e->fd,
				 "a unix listener with more than 65536 fds in flight in its connections not accepted yet");
	for (i = 0; !ret && i < nr; i++) {
		client = unix_peer_get(embryos[i]);
		why = cpt_unix_pending_refusal(fs->reg, embryos[i], client, &csf);
		if (why) {
			ret = cpt_refuse(fs->e->fd, why);
		} else {
			csf->unix_pending = true;
			if (!csf->pair)
				csf->pair = ++fs->reg->next_pair;
			cpt_pb_init(&one);
			cpt_pb_u64(&one, CPT_PB_UNIX_PENDING_CONNECTION_PAIR_ID, csf->pair);
			ret = cpt_encode_unix_queue(fs, &one, embryos[i],
						    CPT_PB_UNIX_PENDING_CONNECTION_MESSAGES,
						    CPT_PB_UNIX_PENDING_CONNECTION_CREDENTIALS,
						    CPT_PB_UNIX_PENDING_CONNECTION_RIGHTS);
			if (ret && ret != -EOPNOTSUPP && ret != -EOVERFLOW)
				cpt_note("fd %u: cannot save a connection not accepted yet: %d\n",
					 fs->e->fd, ret);
			if (ret)
				cpt_pb_free(&one);
			else
				cpt_pb_message(fs->one, CPT_PB_FILE_UNIX_PENDING, &one);
		}
		if (client)
			sock_put(client);
	}
	cpt_unix_put_embryos(embryos, nr);
	return ret;
}

/*
 * Checked at load: a connection not accepted yet is the skb its connect()
 * queued to the listener, holding (skb->sk) the embryo, a sock with no
 * socket whose peer is the connecting socket and the connecting socket's
 * peer: what cpt_unix_save_pending() reads.
 */
int cpt_check_unix_embryo(void)
{
	struct sockaddr_storage name = { .ss_family = AF_UNIX };
	struct socket *listener, *client = NULL;
	struct sock *embryo = NULL;
	struct sk_buff *skb;
	int len, ret;

	ret = sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, &listener);
	if (ret)
		return cpt_compat_untested("cannot make a unix socket (%d)", ret);
	/* A name of sun_family alone autobinds an abstract one. */
	ret = kernel_bind(listener, (struct sockaddr *)&name, sizeof(sa_family_t)) ?:
	      kernel_listen(listener, 1);
	len = ret ?: kernel_getsockname(listener, (struct sockaddr *)&name);
	if (len < 0 || ret) {
		ret = cpt_compat_untested("cannot make a unix listener (%d)", ret ?: len);
		goto out;
	}
	ret = sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, &client) ?:
	      kernel_connect(client, (struct sockaddr *)&name, len, O_NONBLOCK);
	if (ret) {
		ret = cpt_compat_untested("cannot connect to a unix listener (%d)", ret);
		goto out;
	}
	spin_lock(&listener->sk->sk_receive_queue.lock);
	skb = skb_peek(&listener->sk->sk_receive_queue);
	if (skb && skb->sk)
		embryo = skb->sk;
	spin_unlock(&listener->sk->sk_receive_queue.lock);
	if (!embryo || embryo == listener->sk || embryo->sk_socket ||
	    unix_peer(client->sk) != embryo || unix_peer(embryo) != client->sk)
		ret = cpt_compat_fail("a unix listener's queue holds no embryo connection");
out:
	if (client)
		sock_release(client);
	sock_release(listener);
	return ret;
}

/*
 * A connection not accepted yet (UnixPendingConnection), checked: its
 * connecting end's pair id, how many of its messages have credentials and
 * files in flight (all or none of them each), at most SCM_MAX_FD files a
 * message, each a File id (cpt_unix_decode_fds()).
 */
int cpt_unix_decode_pending(const struct cpt_pb_field *pf, struct cpt_unix_pending *p)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t total = 0;
	struct ucred uc;
	int nr;

	*p = (struct cpt_unix_pending) {};
	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_UNIX_PENDING_CONNECTION_PAIR_ID:
			cpt_pb_read_u32(&r, &f, &p->pair_id);
			break;
		case CPT_PB_UNIX_PENDING_CONNECTION_MESSAGES:
			if (f.wire != CPT_PB_BYTES)
				cpt_pb_fail(&r, -EBADMSG);
			total += f.len;
			p->nr_messages++;
			break;
		case CPT_PB_UNIX_PENDING_CONNECTION_CREDENTIALS:
			p->nr_creds++;
			cpt_pb_fail(&r, cpt_unix_decode_creds(&f, &uc));
			break;
		case CPT_PB_UNIX_PENDING_CONNECTION_RIGHTS:
			p->nr_rights++;
			nr = cpt_unix_decode_fds(&f, NULL);
			cpt_pb_fail(&r, min(nr, 0));
			p->carries_files |= nr > 0;
			break;
		}
	}
	if (!cpt_pb_end(&r) &&
	    (!p->pair_id || p->pair_id > CPT_MAX_FILES || total > CPT_MAX_QUEUED ||
	     (p->nr_creds && p->nr_creds != p->nr_messages) ||
	     (p->nr_rights && p->nr_rights != p->nr_messages)))
		return -EBADMSG;
	return cpt_pb_end(&r);
}

/*
 * The files a listener's connections not accepted yet carry, checked as a
 * pair end's (cpt_unix_check_carrier()).
 */
int cpt_unix_listener_check_carrier(struct cpt_file_registry *reg,
				    const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				    u32 *ids)
{
	const char *bad = NULL;
	struct cpt_pb_reader r, pr;
	struct cpt_pb_field f, g;

	/* The record was checked when decoded. */
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (f.num != CPT_PB_FILE_UNIX_PENDING)
			continue;
		cpt_pb_reader_init_field(&pr, &f);
		while (!bad && cpt_pb_next_field(&pr, &g))
			if (g.num == CPT_PB_UNIX_PENDING_CONNECTION_RIGHTS)
				bad = cpt_unix_carried_fds_bad(reg, rf, &g, ids);
		cpt_pb_fail(&r, cpt_pb_end(&pr));
		if (bad)
			break;
	}
	return cpt_pb_end(&r) ?: cpt_unix_carrier_checked(reg, rfile, bad);
}

static int cpt_unix_listener_check(const struct cpt_rfile *rfile, const char *path,
				   const char **bad)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;

	if ((rfile->mode & S_IFMT) != S_IFSOCK)
		*bad = "mode";
	else if (u->type != SOCK_STREAM && u->type != SOCK_SEQPACKET)
		*bad = "socket type";
	else if (!cpt_unix_addr_valid(u->addr, u->addr_len))
		*bad = "socket name";
	else if (u->nr_messages || u->nr_creds || u->nr_message_fds || u->peer_passcred ||
		 u->pending_connection)
		*bad = "socket pair's state";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if ((u->node.owned || u->node.has_mode) &&
		 (!u->addr[offsetof(struct sockaddr_un, sun_path)] ||
		  (u->node.has_mode && (u->node.mode & S_IFMT) != S_IFSOCK)))
		*bad = "socket file";
	else if (u->file_path_len && !u->addr[offsetof(struct sockaddr_un, sun_path)])
		*bad = "socket file path";
	else if (!cpt_sock_opts_valid(&u->sock_opts, CPT_SOCK_OPTS_BUFFERS))
		*bad = "socket option";
	return *bad ? -EBADMSG : 0;
}

/* A connection's saved queue (pf, its UnixPendingConnection), to send again. */
static void cpt_unix_pending_queue(struct cpt_unix_queue *q, const struct cpt_pb_field *pf,
				   const struct cpt_unix_pending *p, u32 type)
{
	*q = (struct cpt_unix_queue) {
		.data = pf->data, .len = pf->len,
		.msg_field = CPT_PB_UNIX_PENDING_CONNECTION_MESSAGES,
		.creds_field = CPT_PB_UNIX_PENDING_CONNECTION_CREDENTIALS,
		.fds_field = CPT_PB_UNIX_PENDING_CONNECTION_RIGHTS,
		.nr_creds = p->nr_creds, .carries_files = p->carries_files,
		.type = type, .what = "connection not accepted yet, pair", .pair_id = p->pair_id,
	};
}

/*
 * One connection the listener had not accepted: a new socket connect()s to
 * it as the caller (the LSM's hooks, the permission to connect to its
 * path; not waiting: a backlog now too small is an error), sends what it
 * had written before the accept with its credentials (unless its messages
 * carry files: once they are made, cpt_unix_listener_files_made()), and
 * waits in pending_ends for its own File (the connecting end's UNIX_PAIR).
 */
static int cpt_unix_connect_one(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				const struct cpt_pb_field *pf, struct sockaddr_storage *to, int len)
{
	struct cpt_unix_pending p;
	struct cpt_unix_shown shown;
	struct cpt_unix_queue q;
	struct socket *sock;
	struct file *file;
	int ret;

	ret = cpt_unix_decode_pending(pf, &p) ?:
	      sock_create(AF_UNIX, rfile->unix_sk.type, 0, &sock);
	if (ret)
		return ret;
	ret = kernel_connect(sock, (struct sockaddr *)to, len, O_NONBLOCK);
	if (ret) {
		cpt_note("cannot connect to %s again for connection %u not accepted yet: %d\n",
			 cpt_unix_show(&shown, to, len), p.pair_id, ret);
		sock_release(sock);
		return ret;
	}
	cpt_unix_pending_queue(&q, pf, &p, rfile->unix_sk.type);
	ret = p.carries_files ? 0 : cpt_unix_send_queue(reg, NULL, &q, sock);
	if (ret) {
		sock_release(sock);
		return ret;
	}
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = xa_insert(&reg->pending_ends, p.pair_id, file, GFP_KERNEL_ACCOUNT);
	if (ret)
		fput(file);
	if (ret == -EBUSY) {
		cpt_note("connection %u %s: another one has its pair id\n", p.pair_id,
			 "not accepted yet");
		return -EBADMSG;
	}
	if (!ret && p.carries_files)
		xa_set_mark(&reg->pending_ends, p.pair_id, CPT_PENDING_UNSENT);
	return ret;
}

/* The listener's connections not accepted yet, made again in their order. */
static int cpt_unix_connect_pending(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct sockaddr_storage to;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int len, ret;

	if (!u->nr_pending)
		return 0;
	len = cpt_unix_sockaddr(&to, u->addr, u->addr_len);
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (f.num != CPT_PB_FILE_UNIX_PENDING)
			continue;
		ret = cpt_unix_connect_one(reg, rfile, &f, &to, len) ?: cpt_long_loop_check();
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
	}
	return cpt_pb_end(&r);
}

/*
 * The connecting end of connection pair_id, made again by its listener:
 * waiting in pending_ends for its File (*taken NULL), or taken by it, a
 * later File of this record (*taken that File).
 */
static struct socket *cpt_unix_pending_end(struct cpt_file_registry *reg,
					   const struct cpt_restore_files *rf, u32 pair_id,
					   struct cpt_rfile **taken)
{
	struct file *file = xa_load(&reg->pending_ends, pair_id);
	struct cpt_rfile *end;
	unsigned int i;

	*taken = NULL;
	for (i = 0; !file && i < rf->nr_files; i++) {
		end = &rf->files[i];
		if (end->kind == CPT_PB_FILE_KIND_UNIX_PAIR && end->unix_sk.pending_connection &&
		    end->unix_sk.pair_id == pair_id && end->file) {
			file = end->file;
			*taken = end;
		}
	}
	return file ? sock_from_file(file) : NULL;
}

/*
 * A connecting end's buffer sizes, once its queue carrying files is sent
 * again (within a new socket's SO_SNDBUF: one the program lowered below
 * what it queued would refuse the rest): its File's, if it took the end
 * already (cpt_unix_open_pending() left them), else that File sets them.
 */
static int cpt_unix_pending_sent(struct cpt_file_registry *reg, u32 pair_id,
				 struct cpt_rfile *taken)
{
	if (!taken) {
		xa_clear_mark(&reg->pending_ends, pair_id, CPT_PENDING_UNSENT);
		return 0;
	}
	return cpt_sock_opts_restore_file(taken, taken->file, &taken->unix_sk.sock_opts, true,
					  false);
}

/*
 * A listener whose connections not accepted yet carry files: the messages
 * of those that do, sent once every File of the record is made (those
 * files among them), from their connecting ends, in order.
 */
static int cpt_unix_listener_files_made(struct cpt_file_registry *reg,
					const struct cpt_restore_files *rf,
					struct cpt_rfile *rfile)
{
	struct cpt_rfile *taken = NULL;
	struct cpt_unix_pending p;
	struct cpt_unix_queue q;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct socket *from;
	int ret;

	if (!rfile->unix_sk.carries_files)
		return 0;
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (f.num != CPT_PB_FILE_UNIX_PENDING)
			continue;
		ret = cpt_unix_decode_pending(&f, &p);
		if (!ret && !p.carries_files)
			continue;
		from = ret ? NULL : cpt_unix_pending_end(reg, rf, p.pair_id, &taken);
		if (!ret && !from)
			ret = -EBADMSG;
		cpt_unix_pending_queue(&q, &f, &p, rfile->unix_sk.type);
		ret = ret ?: cpt_unix_send_queue(reg, rf, &q, from) ?:
		      cpt_unix_pending_sent(reg, p.pair_id, taken) ?: cpt_long_loop_check();
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
	}
	return cpt_pb_end(&r);
}

/*
 * socket(), its options, bind(), listen() and SO_PASSCRED again, in the
 * restoring task;
 * then its connections not accepted yet, before its socket file gets its
 * saved owner and mode back.
 */
static int cpt_unix_listener_reopen(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct cpt_unix_restore ur = { .rfile = rfile, .fd = -1 };
	struct cpt_unix_shown shown;
	int ret;

	ret = cpt_sock_make(&ur.sr, AF_UNIX, u->type, 0, "unix", NULL) ?:
	      cpt_sock_opts_restore(&ur.sr, &u->sock_opts) ?:
	      cpt_unix_bind(reg, &ur, u->addr, u->addr_len);
	if (!ret) {
		/* listen() clamps it to net.core.somaxconn, as it did. */
		ret = cpt_sys(cpt_sym.sys_listen, ur.fd, min_t(u32, u->backlog, INT_MAX), 0, 0, 0);
		if (ret)
			cpt_note("cannot listen on %s again: %d\n",
				 cpt_unix_show(&shown, u->addr, u->addr_len), ret);
	}
	if (!ret && u->passcred)
		ret = cpt_sock_set_int(&ur.sr, SO_PASSCRED, "SO_PASSCRED", 1);
	ret = cpt_sock_made(&ur.sr, ret) ?: cpt_unix_connect_pending(reg, rfile);
	return ret ?: cpt_unix_restore_node(rfile) ?:
		      cpt_unix_note_name(reg, u->addr, u->addr_len);
}

const struct cpt_file_ops cpt_unix_listener_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_unix_claim,
	.save = cpt_unix_listener_save,
	.decode = cpt_unix_decode,
	.check = cpt_unix_listener_check,
	.open = cpt_unix_listener_reopen,
	.files_made = cpt_unix_listener_files_made,
};
