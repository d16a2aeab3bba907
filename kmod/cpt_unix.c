// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets: connected pairs the tree holds both ends of, and listeners.
 * A pair (socketpair(), or connect() and accept() of a stream) is saved
 * with what each end has yet to read, and made again as socketpair()
 * makes it, each end's queue sent again from its peer; its ends get their
 * names back, as getsockname() and getpeername() show them (an accepted
 * socket has its listener's). A listener, bound to a path or an abstract
 * name, is bound again in the restoring task, with its rights; the file a
 * killed listener left at its path is removed first, once a probe finds
 * nobody bound to it, and with the backlog listen() would clamp it to. An
 * end of a pair is named without bind(): only with a name its restorer
 * could have had (cpt_unix_may_take_name()). A listener's connections not
 * accepted yet come back with it: each client (a socket of the tree saved
 * after it) connect()s to it again and sends what it had written, and the
 * client's File takes that socket (cpt_unix_connect_pending()).
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
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

static bool cpt_unix_is_listener(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX &&
	       (sock->sk->sk_type == SOCK_STREAM || sock->sk->sk_type == SOCK_SEQPACKET) &&
	       READ_ONCE(sock->sk->sk_state) == TCP_LISTEN;
}

/* Whether a message queued in the socket carries files (SCM_RIGHTS). */
static bool cpt_unix_carries_files(struct sock *sk)
{
	struct sk_buff *skb;
	bool fds = false;

	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb)
		fds |= !!UNIXCB(skb).fp;
	spin_unlock(&sk->sk_receive_queue.lock);
	return fds;
}

/* Out-of-band data a restart does not queue again, or NULL. */
static const char *cpt_unix_oob_refusal(struct sock *sk)
{
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	if (READ_ONCE(unix_sk(sk)->oob_skb))
		return "a unix socket with out-of-band data queued (MSG_OOB)";
#endif
	return NULL;
}

/*
 * Why what a unix socket that is no pair of the tree has queued cannot
 * come back, or NULL: fds in flight (SCM_RIGHTS), which only a pair's
 * queue saves (cpt_encode_unix_queue()); out-of-band data. A message's
 * credentials are saved with it (cpt_unix_save_creds()).
 */
static const char *cpt_unix_queue_refusal(struct sock *sk)
{
	if (cpt_unix_carries_files(sk))
		return "a unix socket with fds in flight in its queue (SCM_RIGHTS)";
	return cpt_unix_oob_refusal(sk);
}

/* The most fds in flight in one socket's queue an image holds. */
#define CPT_UNIX_MAX_IN_FLIGHT 65536U

int cpt_unix_files_in_flight(struct file *file, struct file ***files, unsigned int *nr)
{
	struct socket *sock = sock_from_file(file);
	struct sk_buff_head *q;
	unsigned int total = 0, i = 0, n;
	struct sk_buff *skb;

	*nr = 0;
	if (!sock || !sock->sk || sock->sk->sk_family != AF_UNIX ||
	    !cpt_unix_carries_files(sock->sk))
		return 0;
	q = &sock->sk->sk_receive_queue;
	spin_lock(&q->lock);
	skb_queue_walk(q, skb)
		total += cpt_compat_skb_files(skb, NULL, 0);
	spin_unlock(&q->lock);
	/* Refused when its File is saved (cpt_encode_unix_queue()). */
	if (!total || total > CPT_UNIX_MAX_IN_FLIGHT)
		return 0;
	*files = kvmalloc_array(total, sizeof(**files), GFP_KERNEL);
	if (!*files)
		return -ENOMEM;
	/*
	 * The tree is frozen, the queue holds still. Each file holds the
	 * list's reference until the skb goes, which the lock keeps here; the
	 * socket has an fd of the tree, so no message it queues is garbage
	 * af_unix's collector could be freeing meanwhile (as a MSG_PEEK reads
	 * them, unix_peek_fds()).
	 */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		n = cpt_compat_skb_files(skb, *files + i, total - i);
		if (n > total - i)
			break;
		i += n;
	}
	for (n = 0; n < i; n++)
		get_file((*files)[n]);
	spin_unlock(&q->lock);
	*nr = i;
	if (!i)
		kvfree(*files);
	return 0;
}

/*
 * Why a connected stream or seqpacket socket that is no pair of the tree
 * is refused, or NULL for one connected to a socket outside the tree, a
 * UNIX_STREAM that --ext-unix-sk saves (cpt_unix_save_stream_peer()).
 */
static const char *cpt_unix_refusal(struct file *file)
{
	struct socket *sock = sock_from_file(file);
	const char *why = NULL;
	struct sock *peer;

	if (!sock || !sock->sk || sock->sk->sk_family != AF_UNIX)
		return "socket other than a unix one";
	why = cpt_unix_queue_refusal(sock->sk);
	if (why)
		return why;
	peer = unix_peer_get(sock->sk);
	if (peer) {
		if (sock_flag(peer, SOCK_DEAD))
			why = "a unix socket whose peer was closed";
		else if (!READ_ONCE(peer->sk_socket))
			/* One saved before it (lower fd, earlier process) claims it. */
			why = "a connection not accepted yet by a listener saved before it";
		else if (sock->sk->sk_shutdown || peer->sk_shutdown)
			why = "a shut down unix socket connection";
		sock_put(peer);
	}
	if (!peer || READ_ONCE(sock->state) != SS_CONNECTED)
		why = why ?: "unix socket connected to a process outside the tree";
	return why;
}

/* The socket's own name, as getsockname() gives it (0 bytes: none). */
static void cpt_unix_encode_addr(struct cpt_pb_buf *one, struct sock *sk, u32 field)
{
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);

	if (addr)
		cpt_pb_bytes(one, field, addr->name, addr->len);
}

static void cpt_unix_save_addr(struct cpt_pb_buf *one, struct file *file)
{
	cpt_unix_encode_addr(one, sock_from_file(file)->sk, CPT_PB_FILE_UNIX_ADDR);
}

/*
 * The owner, group and mode of a listener's socket file (bound to a path):
 * a restart binds it as the restarting caller, who may not be the service's
 * user. Bound, a socket's path does not change (unix_bind() set it under
 * the bind lock before it published the name, read above).
 */
static int cpt_unix_save_node(struct cpt_pb_buf *one, unsigned int fd, struct sock *sk)
{
	struct dentry *dentry = unix_sk(sk)->path.dentry;
	char what[32];
	u32 uid, gid;
	int ret;

	if (!dentry)
		return 0;
	snprintf(what, sizeof(what), "fd %u: socket file", fd);
	ret = cpt_node_ids(d_inode(dentry), &uid, &gid, what);
	if (ret)
		return ret;
	cpt_pb_varint(one, CPT_PB_FILE_NODE_UID, uid);
	cpt_pb_varint(one, CPT_PB_FILE_NODE_GID, gid);
	cpt_pb_varint(one, CPT_PB_FILE_NODE_MODE, d_inode(dentry)->i_mode);
	return 0;
}

static const char *cpt_unix_unsaved_option(struct sock *sk);

/*
 * Pairs and listeners are made again with no option set but SO_PASSCRED,
 * so one the program set would be lost (an accepted socket inherits a
 * listener's): refused.
 */
static int cpt_unix_refuse_options(unsigned int fd, struct sock *sk)
{
	const char *why = cpt_unix_unsaved_option(sk);

	if (!why && (sk->sk_userlocks & (SOCK_RCVBUF_LOCK | SOCK_SNDBUF_LOCK)))
		why = "SO_RCVBUF or SO_SNDBUF";
	if (!why)
		return 0;
	cpt_note("fd %u: socket option %s is not supported\n", fd, why);
	return -EOPNOTSUPP;
}

static int cpt_unix_save_pending(struct cpt_file_save *fs, struct sock *sk);

static int cpt_unix_listener_save(struct cpt_file_save *fs)
{
	struct sock *sk = sock_from_file(fs->e->file)->sk;
	struct cpt_pb_buf *one = fs->one;
	unsigned int fd = fs->e->fd;
	int ret;

	ret = cpt_unix_refuse_options(fd, sk);
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
	return cpt_unix_save_node(one, fd, sk) ?: cpt_unix_save_pending(fs, sk) ?: one->err;
}

/* The most bytes queued in a unix socket an image holds. */
#define CPT_MAX_QUEUED (4U << 20)

/* The tree's entry for the file of a socket, found by its file. */
static struct cpt_saved_file *cpt_find_saved_sock(struct cpt_file_registry *reg,
						  struct sock *sk)
{
	struct cpt_saved_file *sf;
	struct socket *sock;
	struct file *file = NULL;

	/* As sock_orphan() clears it. */
	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_socket)
		file = sk->sk_socket->file;
	read_unlock_bh(&sk->sk_callback_lock);
	sf = file ? cpt_find_saved(reg, file) : NULL;
	sock = sf ? sock_from_file(sf->file) : NULL;
	return sock && sock->sk == sk ? sf : NULL;
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
 * The credentials a queued message carries (UNIXCB(skb).pid NULL: none),
 * as af_unix attaches them: those given with SCM_CREDENTIALS, or its
 * sender's own when either end had SO_PASSCRED or the connection was not
 * accepted yet (unix_passcred_enabled()). A stream reader with SO_PASSCRED
 * does not join messages whose credentials differ: they are kept per
 * message. Copied under the queue's lock, the pid held.
 */
struct cpt_unix_creds {
	struct pid *pid;
	kuid_t uid;
	kgid_t gid;
};

static void cpt_unix_get_creds(struct cpt_unix_creds *c, const struct sk_buff *skb)
{
	c->pid = get_pid(UNIXCB(skb).pid);
	c->uid = UNIXCB(skb).uid;
	c->gid = UNIXCB(skb).gid;
}

/* Whether pid is a task of the tree (its process's or its thread's): a restart gives it back. */
static bool cpt_unix_tree_pid(const struct cpt_session *s, struct pid *pid, u32 nr)
{
	const struct cpt_task *t;
	bool found = false;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; nr && !found && i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		found = t->pid == nr && (task_pid(t->task) == pid || task_tgid(t->task) == pid);
	}
	rcu_read_unlock();
	return found;
}

/*
 * A message's credentials as a UnixCredentials in field of msg, as its
 * receiver with SO_PASSCRED would read them, if a restart can give them
 * back (nothing if it has none). Refused: a sender pid outside the tree
 * (a restart would name another process, or none), and one that exited
 * (the receiver still reads its number: pid_nr_ns() keeps it, but a
 * restart can only name a live pid); ids the checkpointer's user
 * namespace does not map.
 */
static int cpt_unix_save_creds(struct cpt_pb_buf *msg, u32 field, struct cpt_file_registry *reg,
			       unsigned int fd, const struct cpt_unix_creds *c)
{
	uid_t uid = from_kuid(current_user_ns(), c->uid);
	gid_t gid = from_kgid(current_user_ns(), c->gid);
	struct cpt_pb_buf one;
	const char *why;
	u32 nr;

	if (!c->pid)
		return 0;
	nr = pid_nr_ns(c->pid, reg->pid_ns);
	why = !nr ? "from outside the tree's pid namespace" :
	      cpt_unix_tree_pid(reg->session, c->pid, nr) ? NULL :
	      pid_has_task(c->pid, PIDTYPE_PID) || pid_has_task(c->pid, PIDTYPE_TGID) ?
	      "from a process outside the tree" : "from a process that exited";
	if (why) {
		cpt_note("fd %u: a queued message's credentials (SCM_CREDENTIALS) %s, pid %u, %s\n",
			 fd, why, nr, "is not supported");
		return -EOPNOTSUPP;
	}
	if (uid == (uid_t)-1 || gid == (gid_t)-1) {
		cpt_note("fd %u: a queued message's credentials (SCM_CREDENTIALS) %s\n", fd,
			 "have no id in the checkpointer's user namespace");
		return -EOVERFLOW;
	}
	cpt_pb_init(&one);
	cpt_pb_u64(&one, CPT_PB_UNIX_CREDENTIALS_PID, nr);
	cpt_pb_u64(&one, CPT_PB_UNIX_CREDENTIALS_UID, uid);
	cpt_pb_u64(&one, CPT_PB_UNIX_CREDENTIALS_GID, gid);
	cpt_pb_message(msg, field, &one);
	return 0;
}

/*
 * The files each message carries (SCM_RIGHTS), as their Files' ids, one
 * UnixInflightFds per message in field fds_field, in order; files[] holds
 * them back to back, nr_fds[] how many each message has. A socket in flight
 * itself carrying files is refused: af_unix's garbage collector owns such
 * graphs (and their cycles), which a restart would have to build again.
 */
static int cpt_unix_save_message_fds(struct cpt_file_save *fs, struct cpt_pb_buf *one,
				     u32 fds_field, struct file **files, const u16 *nr_fds,
				     unsigned int nr)
{
	unsigned int i, j, k = 0;
	struct cpt_pb_buf ids;
	u32 id;
	int ret = 0;

	if (fs->sf->in_flight)
		return cpt_refuse(fs->e->fd,
				  "a unix socket in flight (SCM_RIGHTS) with fds in flight in its queue");
	for (i = 0; !ret && i < nr; i++) {
		cpt_pb_init(&ids);
		for (j = 0; !ret && j < nr_fds[i]; j++) {
			ret = cpt_save_in_flight(fs, files[k++], &id);
			cpt_pb_varint(&ids, CPT_PB_UNIX_INFLIGHT_FDS_FILE_IDS, id);
		}
		if (ret)
			cpt_pb_free(&ids);
		else
			cpt_pb_message(one, fds_field, &ids);
	}
	return ret;
}

/*
 * What this end has yet to read, a message per buffer (a stream's, from
 * where reading stopped), in one's field msg_field, and, if any has them,
 * each one's credentials in creds_field and the files it carries in
 * fds_field (0: refused, by the caller's cpt_unix_queue_refusal()).
 */
static int cpt_encode_unix_queue(struct cpt_file_save *fs, struct cpt_pb_buf *one,
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

/* The most connections not accepted yet a listener's File holds. */
#define CPT_UNIX_MAX_PENDING 65536U

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
	return cpt_unix_queue_refusal(newsk) ?: cpt_unix_queue_refusal(client);
}

/*
 * A listener's connections not accepted yet, in its queue's order: for
 * each, its connecting end's pair id (that end's File, saved later, gets
 * it) and what it wrote before the accept, with its credentials. Counted
 * at a first look: one a process outside the tree makes meanwhile comes
 * after those, and is not saved.
 */
static int cpt_unix_save_pending(struct cpt_file_save *fs, struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct cpt_saved_file *csf;
	unsigned int nr, i = 0;
	struct sock **embryos, *client;
	struct cpt_pb_buf one;
	struct sk_buff *skb;
	const char *why;
	int ret = 0;

	nr = skb_queue_len_lockless(q);
	if (!nr)
		return 0;
	if (nr > CPT_UNIX_MAX_PENDING) {
		cpt_note("fd %u: a listening socket with more than %u %s is not supported\n",
			 fs->e->fd, CPT_UNIX_MAX_PENDING, "connections not accepted yet");
		return -EFBIG;
	}
	embryos = kvcalloc(nr, sizeof(*embryos), GFP_KERNEL);
	if (!embryos)
		return -ENOMEM;
	/* Each skb of a listener's queue holds its embryo (unix_stream_connect()). */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		if (i == nr)
			break;
		sock_hold(skb->sk);
		embryos[i++] = skb->sk;
	}
	spin_unlock(&q->lock);
	nr = i;
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
						    CPT_PB_UNIX_PENDING_CONNECTION_CREDENTIALS, 0);
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
	for (i = 0; i < nr; i++)
		sock_put(embryos[i]);
	kvfree(embryos);
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

/* ---- restart ---- */

/*
 * The longest name a socket has: a path of all 108 bytes of sun_path, and
 * the NUL that bind() puts after it (af_unix's unix_mkname_bsd(), which
 * counts on a struct sockaddr_storage, as getsockname() shows it).
 */
#define CPT_UNIX_ADDR_MAX (sizeof(struct sockaddr_un) + 1)
static_assert(sizeof_field(struct cpt_rfile_unix, peer) == CPT_UNIX_ADDR_MAX);

/* A name a restart may bind: a path or an abstract name, within sun_path. */
static bool cpt_unix_addr_valid(const u8 *addr, size_t len)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)addr;

	if (len <= offsetof(struct sockaddr_un, sun_path) + 1 || len > CPT_UNIX_ADDR_MAX ||
	    sun->sun_family != AF_UNIX)
		return false;
	/* Only a path is that long, ended by its NUL. */
	return len <= sizeof(*sun) || (sun->sun_path[0] && !addr[len - 1]);
}

/*
 * Whether a socket is bound to the path: a datagram probe connects to it,
 * which nobody sees (ECONNREFUSED: nobody; a listener refuses the type).
 */
static bool cpt_unix_path_in_use(struct sockaddr *addr, int len)
{
	struct socket *probe;
	int ret;

	if (sock_create(AF_UNIX, SOCK_DGRAM, 0, &probe))
		return true;
	ret = kernel_connect(probe, addr, len, 0);
	sock_release(probe);
	return ret != -ECONNREFUSED;
}

/* Removes the socket file a killed listener left at the path. */
static int cpt_unix_unlink_stale(const struct sockaddr_un *sun, int len)
{
	size_t path_len = strnlen(sun->sun_path, len - offsetof(struct sockaddr_un, sun_path));
	struct cpt_ubuf ub = {};
	struct path p;
	int ret;

	ret = kern_path(sun->sun_path, 0, &p);
	if (ret)
		return ret;
	ret = S_ISSOCK(d_inode(p.dentry)->i_mode) ? 0 : -EEXIST;
	path_put(&p);
	if (!ret)
		ret = cpt_ubuf_get(&ub, path_len + 1);
	if (!ret && (copy_to_user((void __user *)ub.addr, sun->sun_path, path_len) ||
		     put_user(0, (char __user *)(ub.addr + path_len))))
		ret = -EFAULT;
	if (!ret)
		ret = cpt_sys(cpt_sym.sys_unlink, ub.addr, 0, 0, 0, 0);
	cpt_ubuf_put(&ub);
	return ret;
}

/* A socket made in the restoring task as the program made it, at fd there. */
struct cpt_unix_restore {
	struct cpt_rfile *rfile;
	struct cpt_ubuf ub;	/* what the syscalls read */
	long fd;
	struct file *file;
};

/*
 * The name, as bind() and connect() are given it, in *storage: af_unix may
 * write the NUL after a path of all of sun_path, one byte past a
 * sockaddr_un. Zeroed, a path always ends within it; a path is bound by its
 * bytes, as bind() takes it: the NUL is the kernel's. Returns its length.
 */
static int cpt_unix_sockaddr(struct sockaddr_storage *storage, const u8 *addr, size_t len)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)storage;

	memset(storage, 0, sizeof(*storage));
	memcpy(storage, addr, len);
	if (sun->sun_path[0])
		len = offsetof(struct sockaddr_un, sun_path) +
		      strnlen(sun->sun_path, sizeof(sun->sun_path));
	return len;
}

/* For messages: the path, or @ and the abstract name (up to its first NUL). */
struct cpt_unix_shown {
	char s[CPT_UNIX_ADDR_MAX + 2];
};

static const char *cpt_unix_show(struct cpt_unix_shown *buf, const void *addr, size_t len)
{
	const char *path = (const char *)addr + offsetof(struct sockaddr_un, sun_path);
	int path_len = len - offsetof(struct sockaddr_un, sun_path);

	snprintf(buf->s, sizeof(buf->s), "%s%.*s", *path ? "" : "@", path_len - !*path,
		 path + !*path);
	return buf->s;
}

/* socket() in the restoring task, as the restarting caller, in its network namespace. */
static int cpt_unix_socket(struct cpt_unix_restore *ur, u32 type)
{
	struct socket *sock;
	int ret;

	ur->fd = -1;
	ret = cpt_ubuf_get(&ur->ub, sizeof(struct sockaddr_storage));
	if (ret)
		return ret;
	ur->fd = cpt_sys(cpt_sym.sys_socket, AF_UNIX, type | SOCK_CLOEXEC, 0, 0, 0);
	if (ur->fd < 0) {
		cpt_note("fd %u: cannot make a unix socket again: %ld\n", ur->rfile->fd, ur->fd);
		return ur->fd;
	}
	ur->file = fget(ur->fd);
	sock = ur->file ? sock_from_file(ur->file) : NULL;
	if (!sock || sock->sk->sk_family != AF_UNIX || sock->sk->sk_type != type) {
		cpt_note("the socket just made at fd %ld is not there: %s\n", ur->fd,
			 "another task changed the restoring task's fd table");
		return -EBADF;
	}
	return 0;
}

/* A syscall that takes the socket's fd and a name: bind(), connect(). */
static long cpt_unix_sys_name(struct cpt_unix_restore *ur, long fd,
			      long (*call)(const struct pt_regs *regs),
			      const struct sockaddr_storage *storage, int len)
{
	if (copy_to_user((void __user *)ur->ub.addr, storage, len))
		return -EFAULT;
	return cpt_sys(call, fd, ur->ub.addr, len, 0, 0);
}

/*
 * bind() to the saved name, as the restarting caller: the kernel's checks
 * apply (the LSM's, the permission to create the socket file in its
 * directory). The file a killed socket left at its path is removed first,
 * once a probe finds nobody bound to it.
 */
/*
 * Whether both the restarting caller and the task, with the credentials the
 * image gives it, could make a socket file at path (NUL-ended): write and
 * search rights on its directory, which each reaches on its own
 * (cpt_task_lookup()), as bind() asks. The bind itself is the caller's, and
 * so is the socket file until it gets its saved owner back.
 */
static int cpt_unix_may_bind(struct cpt_file_registry *reg, const char *path)
{
	static const char what[] = "unix socket's directory";
	char *dir = kstrdup(path, GFP_KERNEL), *slash;
	struct path p;
	int ret;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (!slash)
		strscpy(dir, ".", 2);	/* dir holds at least one character */
	else
		slash[slash == dir] = 0;	/* "/x": "/" */
	ret = cpt_task_lookup(reg->session, what, dir, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	if (!ret) {
		ret = cpt_task_may(reg->session, what, dir, &p, MAY_WRITE | MAY_EXEC);
		path_put(&p);
	}
	kfree(dir);
	return ret;
}

static int cpt_unix_bind(struct cpt_file_registry *reg, struct cpt_unix_restore *ur,
			 const u8 *addr, size_t addr_len)
{
	struct sockaddr_storage storage;
	struct sockaddr_un *sun = (struct sockaddr_un *)&storage;
	int len = cpt_unix_sockaddr(&storage, addr, addr_len);
	struct cpt_unix_shown shown;
	long ret;

	if (sun->sun_path[0]) {
		ret = cpt_unix_may_bind(reg, sun->sun_path);
		if (ret)
			return ret;
	}
	ret = cpt_unix_sys_name(ur, ur->fd, cpt_sym.sys_bind, &storage, len);
	if (ret == -EADDRINUSE && sun->sun_path[0] &&
	    !cpt_unix_path_in_use((struct sockaddr *)&storage, len)) {
		ret = cpt_unix_unlink_stale(sun, len);
		if (!ret)
			ret = cpt_unix_sys_name(ur, ur->fd, cpt_sym.sys_bind, &storage, len);
	}
	if (ret)
		cpt_note("fd %u: cannot bind a unix socket to %s again: %ld\n", ur->rfile->fd,
			 cpt_unix_show(&shown, &storage, len), ret);
	return ret;
}

/*
 * The socket's fd is given back: the file is the File's if nothing went
 * wrong, and still the one at fd (held threads: nobody else uses the
 * table; checked all the same).
 */
static int cpt_unix_socket_done(struct cpt_unix_restore *ur, int ret)
{
	struct file *now;

	if (!ret) {
		now = fget(ur->fd);
		if (now != ur->file) {
			cpt_note("the socket just made at fd %ld is not there: %s\n", ur->fd,
				 "another task changed the restoring task's fd table");
			ret = -EBADF;
		}
		if (now)
			fput(now);
	}
	if (ur->fd >= 0)
		close_fd(ur->fd);
	cpt_ubuf_put(&ur->ub);
	if (!ret) {
		ur->rfile->file = ur->file;
		cpt_set_nonblock(ur->file, ur->rfile->flags & O_NONBLOCK);
	} else if (ur->file) {
		fput(ur->file);
	}
	return ret;
}

/* Gives a restored end of a connection (or a datagram's sender) its saved name back. */
static int cpt_unix_set_addr(struct sock *sk, const u8 *name, size_t len)
{
	struct unix_address *addr;

	addr = kmalloc(sizeof(*addr) + len, GFP_KERNEL_ACCOUNT);
	if (!addr)
		return -ENOMEM;
	refcount_set(&addr->refcnt, 1);
	addr->len = len;
	memcpy(addr->name, name, len);
	unix_state_lock(sk);
	if (unix_sk(sk)->addr) {
		unix_state_unlock(sk);
		kfree(addr);
		return -EINVAL;
	}
	/* As unix_bind() publishes a name: its readers load it with acquire. */
	smp_store_release(&unix_sk(sk)->addr, addr);
	unix_state_unlock(sk);
	return 0;
}

/* Restart: the name of a socket the session bound, by its jhash. */
struct cpt_unix_name {
	size_t len;
	u8 name[];
};

/*
 * Notes a name a socket of this restart holds: a connection to a listener
 * may have it, a datagram may come from it.
 */
static int cpt_unix_note_name(struct cpt_file_registry *reg, const u8 *name, size_t len)
{
	struct cpt_unix_name *n = kmalloc(struct_size(n, name, len), GFP_KERNEL_ACCOUNT);
	int ret;

	if (!n)
		return -ENOMEM;
	n->len = len;
	memcpy(n->name, name, len);
	ret = xa_insert(&reg->listener_names, jhash(name, len, 0), n, GFP_KERNEL_ACCOUNT);
	if (ret)
		kfree(n);
	/* The same name, or another of the same hash: this one is not found. */
	return ret == -EBUSY ? 0 : ret;
}

/*
 * A name for an end of a pair, which gets it without bind(): only one the
 * caller could have. A path must be a socket the caller may connect to
 * (write permission, as connect() checks): a listener's, restored or left
 * by the one that was killed. An abstract name must be one the caller
 * could bind for a socket of the type (af_unix keeps them by type): a probe
 * binds it and lets it go, unless a listener this restart bound holds it:
 * an accepted connection has its listener's name.
 */
static int cpt_unix_may_take_name(struct cpt_file_registry *reg, u32 type, const u8 *name,
				  size_t len)
{
	struct sockaddr_storage storage = {};
	struct sockaddr_un *sun = (struct sockaddr_un *)&storage;
	struct cpt_unix_name *held;
	struct socket *probe;
	struct inode *inode;
	struct path p;
	int ret;

	/* Zeroed: a path ends within it. */
	memcpy(&storage, name, len);
	if (sun->sun_path[0]) {
		ret = cpt_task_lookup(reg->session, "unix socket", sun->sun_path, LOOKUP_FOLLOW,
				      &p);
		if (ret)
			return ret;
		inode = d_inode(p.dentry);
		ret = S_ISSOCK(inode->i_mode) ?
		      cpt_task_may(reg->session, "unix socket", sun->sun_path, &p, MAY_WRITE) :
		      -ENOTSOCK;
		path_put(&p);
		return ret;
	}
	held = xa_load(&reg->listener_names, jhash(name, len, 0));
	if (held && held->len == len && !memcmp(held->name, name, len))
		return 0;
	ret = sock_create(AF_UNIX, type, 0, &probe);
	if (ret)
		return ret;
	ret = kernel_bind(probe, (struct sockaddr *)&storage, len);
	sock_release(probe);
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
 * A message's files in flight (UnixInflightFds), checked: their File ids,
 * at most SCM_MAX_FD of them, in ids (if not NULL). Returns how many, or
 * an errno.
 */
static int cpt_unix_decode_fds(const struct cpt_pb_field *pf, u32 *ids)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int nr = 0;
	u32 id;

	if (pf->wire != CPT_PB_BYTES)
		return -EBADMSG;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		if (f.num != CPT_PB_UNIX_INFLIGHT_FDS_FILE_IDS)
			continue;
		if (nr == SCM_MAX_FD) {
			cpt_pb_fail(&r, -EBADMSG);
			break;
		}
		if (cpt_pb_read_u32(&r, &f, &id) && (!id || id > CPT_MAX_FILES))
			cpt_pb_fail(&r, -EBADMSG);
		if (ids)
			ids[nr] = id;
		nr++;
	}
	return cpt_pb_end(&r) ?: nr;
}

/*
 * A message's saved credentials (UnixCredentials), checked: pid 0 (an
 * empty message) is none. The kernel checks the rest when they are sent.
 */
static int cpt_unix_decode_creds(const struct cpt_pb_field *pf, struct ucred *uc)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 v;

	*uc = (struct ucred){};
	cpt_pb_for_each_subfield(&r, pf, &f) {
		if (!cpt_pb_read_u32(&r, &f, &v))
			break;
		if (f.num == CPT_PB_UNIX_CREDENTIALS_PID)
			uc->pid = v;
		else if (f.num == CPT_PB_UNIX_CREDENTIALS_UID)
			uc->uid = v;
		else if (f.num == CPT_PB_UNIX_CREDENTIALS_GID)
			uc->gid = v;
	}
	if (!cpt_pb_end(&r) && (uc->pid < 0 || uc->pid >= PID_MAX_LIMIT ||
				uc->uid == (uid_t)-1 || uc->gid == (gid_t)-1))
		return -EBADMSG;
	return cpt_pb_end(&r);
}

/* For messages: " with credentials pid P uid U gid G", or nothing. */
struct cpt_unix_shown_creds {
	char s[64];
};

static const char *cpt_unix_show_creds(struct cpt_unix_shown_creds *buf, const struct ucred *uc)
{
	buf->s[0] = 0;
	if (uc->pid)
		snprintf(buf->s, sizeof(buf->s), " with credentials pid %d uid %u gid %u",
			 uc->pid, uc->uid, uc->gid);
	return buf->s;
}

/*
 * Sends a saved message again from sock, with its saved credentials if it
 * had any, as SCM_CREDENTIALS: __scm_send() checks that the restoring task
 * could send them itself (its own pid, or CAP_SYS_ADMIN over its pid
 * namespace; its own ids, or CAP_SETUID and CAP_SETGID), in its pid and
 * user namespaces, and that the pid is a live one (the tree's pids are all
 * back before any task makes its files). With none, none is attached: no
 * end of a restored socket has SO_PASSCRED yet. Returns what
 * kernel_sendmsg() does.
 */
struct cpt_unix_creds_cmsg {
	struct cmsghdr hdr;
	struct ucred creds;	/* at CMSG_DATA() */
};

static_assert(offsetof(struct cpt_unix_creds_cmsg, creds) == CMSG_ALIGN(sizeof(struct cmsghdr)));

static int cpt_unix_send(struct socket *from, struct msghdr *msg, const struct cpt_pb_field *data,
			 const struct ucred *uc)
{
	struct cpt_unix_creds_cmsg control = {
		.hdr.cmsg_len = CMSG_LEN(sizeof(*uc)),
		.hdr.cmsg_level = SOL_SOCKET,
		.hdr.cmsg_type = SCM_CREDENTIALS,
		.creds = *uc,
	};
	struct kvec vec = { .iov_base = (void *)data->data, .iov_len = data->len };

	msg->msg_control = uc->pid ? &control : NULL;
	msg->msg_controllen = uc->pid ? sizeof(control) : 0;
	return kernel_sendmsg(from, msg, &vec, 1, data->len);
}

/* The most a saved message's control messages take: its credentials, and SCM_MAX_FD fds. */
#define CPT_UNIX_CONTROL_MAX (CMSG_SPACE(sizeof(struct ucred)) + \
			      CMSG_SPACE(SCM_MAX_FD * sizeof(int)))

/*
 * Sends a saved message again from sock with the files it carries, as
 * sendmsg() with SCM_RIGHTS (after its credentials, as cpt_unix_send()
 * gives them): each file at an fd of the restoring task for the call
 * (scm_fp_copy() takes them from there), closed after it. The kernel's
 * checks and accounting apply: af_unix counts them in flight for the
 * restarting caller's user, within its RLIMIT_NOFILE
 * (too_many_unix_fds(): ETOOMANYREFS), and its collector sees them.
 */
static int cpt_unix_send_files(struct socket *from, struct msghdr *msg,
			       const struct cpt_pb_field *data, const struct ucred *uc,
			       struct file **files, unsigned int nr)
{
	struct kvec vec = { .iov_base = (void *)data->data, .iov_len = data->len };
	struct cpt_unix_creds_cmsg *creds;
	unsigned int i, installed = 0;
	struct cmsghdr *rights;
	int *fds, ret = 0;
	void *control;

	control = kzalloc(CPT_UNIX_CONTROL_MAX, GFP_KERNEL);
	if (!control)
		return -ENOMEM;
	creds = control;
	rights = control;
	if (uc->pid) {
		*creds = (struct cpt_unix_creds_cmsg) {
			.hdr.cmsg_len = CMSG_LEN(sizeof(*uc)),
			.hdr.cmsg_level = SOL_SOCKET,
			.hdr.cmsg_type = SCM_CREDENTIALS,
			.creds = *uc,
		};
		rights = control + CMSG_SPACE(sizeof(*uc));
	}
	rights->cmsg_len = CMSG_LEN(nr * sizeof(int));
	rights->cmsg_level = SOL_SOCKET;
	rights->cmsg_type = SCM_RIGHTS;
	fds = (int *)CMSG_DATA(rights);
	for (i = 0; !ret && i < nr; i++) {
		ret = get_unused_fd_flags(O_CLOEXEC);
		if (ret >= 0) {
			fds[installed++] = ret;
			fd_install(ret, get_file(files[i]));
			ret = 0;
		}
	}
	if (!ret) {
		msg->msg_control = control;
		msg->msg_controllen = (void *)rights + CMSG_SPACE(nr * sizeof(int)) - control;
		ret = kernel_sendmsg(from, msg, &vec, 1, data->len);
	}
	for (i = 0; i < installed; i++)
		close_fd(fds[i]);
	kfree(control);
	return ret;
}

/*
 * The credentials of the next message, from the next field creds_field
 * (one per message, in order) after cr's place; none if there are none
 * (checked when decoded: all or none).
 */
static int cpt_unix_next_creds(u32 nr_creds, u32 creds_field, struct cpt_pb_reader *cr,
			       struct ucred *uc)
{
	struct cpt_pb_field f;

	*uc = (struct ucred){};
	if (!nr_creds)
		return 0;
	while (cpt_pb_next_field(cr, &f))
		if (f.num == creds_field)
			return cpt_unix_decode_creds(&f, uc);
	return cpt_pb_end(cr) ?: -EBADMSG;
}

/* A message's files in flight at restart: their ids, then their files. */
struct cpt_unix_carried {
	u32 ids[SCM_MAX_FD];
	struct file *files[SCM_MAX_FD];	/* their Files' references */
};

/*
 * The files the next message carries, from the next field
 * CPT_PB_FILE_UNIX_MESSAGE_FDS after fr's place (one per message, in
 * order, or none at all), in c: this record's Files, made, or an earlier
 * process's. Returns how many.
 */
static int cpt_unix_next_files(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			       struct cpt_pb_reader *fr, struct cpt_unix_carried *c)
{
	struct cpt_rfile *carried;
	struct cpt_pb_field f;
	int nr, i;

	while (cpt_pb_next_field(fr, &f)) {
		if (f.num != CPT_PB_FILE_UNIX_MESSAGE_FDS)
			continue;
		nr = cpt_unix_decode_fds(&f, c->ids);
		for (i = 0; i < nr; i++) {
			carried = cpt_rfile_by_id(rf, c->ids[i]);
			c->files[i] = carried ? carried->file : xa_load(&reg->restored, c->ids[i]);
			/* Checked by cpt_unix_check_carried(). */
			if (!c->files[i])
				return -EBADMSG;
		}
		return nr;
	}
	return cpt_pb_end(fr) ?: -EBADMSG;
}

/*
 * Sends, from its peer, what this end of a pair had yet to read, with its
 * credentials and the files each message carries (rf: this record's
 * Files, all made; NULL if none carries any).
 */
static int cpt_refill_unix(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			   struct cpt_rfile *rfile, struct socket *sock)
{
	struct sock *peer = unix_peer_get(sock->sk);
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_unix_shown_creds shown;
	struct cpt_pb_reader r, cr, fr;
	struct cpt_unix_carried *c = NULL;
	struct cpt_pb_field g;
	struct ucred uc;
	int sent, ret, nr = 0;

	if (!peer)
		return -ENOTCONN;
	if (rfile->unix_sk.carries_files) {
		c = kmalloc(sizeof(*c), GFP_KERNEL);
		if (!c) {
			sock_put(peer);
			return -ENOMEM;
		}
	}
	cpt_pb_reader_init(&cr, rfile->record, rfile->record_len);
	cpt_pb_reader_init(&fr, rfile->record, rfile->record_len);
	/* The record was checked when decoded: each message is a bytes field. */
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &g) {
		if (g.num != CPT_PB_FILE_UNIX_MESSAGES)
			continue;
		ret = cpt_unix_next_creds(rfile->unix_sk.nr_creds,
					  CPT_PB_FILE_UNIX_MESSAGE_CREDENTIALS, &cr, &uc);
		nr = !ret && c ? cpt_unix_next_files(reg, rf, &fr, c) : 0;
		ret = ret ?: min(nr, 0);
		/* A stream has no empty messages, nor one carrying files (it sends none). */
		if (!ret && !g.len && rfile->unix_sk.type == SOCK_STREAM && nr)
			ret = -EBADMSG;
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
		if (!g.len && rfile->unix_sk.type == SOCK_STREAM)
			continue;
		sent = nr ? cpt_unix_send_files(peer->sk_socket, &msg, &g, &uc, c->files, nr) :
			    cpt_unix_send(peer->sk_socket, &msg, &g, &uc);
		if (sent != g.len) {
			cpt_note("socket pair %u: cannot queue %zu saved bytes%s%s again: %d\n",
				 rfile->unix_sk.pair_id, g.len, cpt_unix_show_creds(&shown, &uc),
				 nr ? " with fds in flight" : "", sent);
			cpt_pb_fail(&r, sent < 0 ? sent : -ENOBUFS);
		}
	}
	kfree(c);
	sock_put(peer);
	return cpt_pb_end(&r);
}

/*
 * Once both ends' queues are sent again: each end's SO_PASSCRED. Set
 * before, af_unix would give a message saved without credentials the
 * restorer's, and autobind a datagram sender. The second end whose queue
 * is sent (its open(), or its files_made() when its messages carry files)
 * sets both.
 */
static int cpt_unix_pair_filled(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				struct socket *sock)
{
	struct sock *peer;
	int ret;

	ret = xa_insert(&reg->pair_fills, rfile->unix_sk.pair_id, xa_mk_value(1),
			GFP_KERNEL_ACCOUNT);
	if (ret != -EBUSY)
		return ret;
	xa_erase(&reg->pair_fills, rfile->unix_sk.pair_id);
	assign_bit(SOCK_PASSCRED, &sock->flags, rfile->unix_sk.passcred);
	peer = unix_peer_get(sock->sk);
	if (peer) {
		assign_bit(SOCK_PASSCRED, &peer->sk_socket->flags, rfile->unix_sk.peer_passcred);
		sock_put(peer);
	}
	return 0;
}

/* Why the File a message carries cannot be, or NULL; id its id. */
static const char *cpt_unix_carried_bad(struct cpt_file_registry *reg,
					const struct cpt_restore_files *rf, u32 id)
{
	struct cpt_rfile *carried = cpt_rfile_by_id(rf, id);

	if (!carried)
		return !xa_load(&reg->restored, id) ? "names no file" :
		       xa_load(&reg->fd_carriers, id) ? "carries files that carry files" : NULL;
	carried->carried = true;
	if (!carried->in_flight)
		return "carries a file not in flight";
	if (carried->kind == CPT_PB_FILE_KIND_INHERITED || cpt_shell_tty_is_ctty(carried))
		return "carries the caller's terminal";
	return NULL;
}

/*
 * The files a pair end's messages carry, checked: each a File of this
 * record or an earlier process's; none carrying files itself (a socket in
 * flight with files in flight, refused at checkpoint: no cycle can be
 * made); the end itself not in flight. Noted, for later records.
 */
static int cpt_unix_check_carrier(struct cpt_file_registry *reg,
				  const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				  u32 *ids)
{
	const char *bad = rfile->in_flight ? "is in flight and carries files" : NULL;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int nr, i;

	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (bad)
			break;
		if (f.num != CPT_PB_FILE_UNIX_MESSAGE_FDS)
			continue;
		nr = cpt_unix_decode_fds(&f, ids);
		for (i = 0; !bad && i < nr; i++)
			bad = cpt_unix_carried_bad(reg, rf, ids[i]);
	}
	if (bad) {
		cpt_note("image: file %u: a queued message %s (SCM_RIGHTS)\n", rfile->id, bad);
		return -EBADMSG;
	}
	return cpt_pb_end(&r) ?:
	       xa_err(xa_store(&reg->fd_carriers, rfile->id, xa_mk_value(1), GFP_KERNEL_ACCOUNT));
}

int cpt_unix_check_carried(struct cpt_file_registry *reg, struct cpt_restore_files *rf)
{
	struct cpt_rfile *rfile;
	unsigned int i;
	u32 *ids;
	int ret = 0;

	ids = kmalloc_array(SCM_MAX_FD, sizeof(*ids), GFP_KERNEL);
	if (!ids)
		return -ENOMEM;
	for (i = 0; !ret && i < rf->nr_files; i++) {
		rfile = &rf->files[i];
		if (rfile->kind == CPT_PB_FILE_KIND_UNIX_PAIR && rfile->unix_sk.carries_files)
			ret = cpt_unix_check_carrier(reg, rf, rfile, ids);
	}
	kfree(ids);
	for (i = 0; !ret && i < rf->nr_files; i++) {
		rfile = &rf->files[i];
		if (rfile->in_flight && !rfile->used && !rfile->carried) {
			cpt_note("image: file %u is in flight, but %s\n", rfile->id,
				 "no message of its process carries it");
			ret = -EBADMSG;
		}
	}
	return ret;
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
	return cpt_refill_unix(reg, rf, rfile, sock) ?: cpt_unix_pair_filled(reg, rfile, sock);
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
	int ret;

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
	return 0;
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
	       cpt_unix_pair_filled(reg, rfile, sock_from_file(rfile->file));

out_release:
	for (i = 0; i < 2; i++)
		if (pair[i])
			sock_release(pair[i]);
	return ret;
}

/* A unix socket that is no pair of the tree: a listener, or one of cpt_unix_sk_ops's. */
static int cpt_unix_claim(unsigned int fd, struct file *file)
{
	struct socket *sock;
	const char *why;
	struct sock *sk;

	if (!S_ISSOCK(file_inode(file)->i_mode))
		return 0;
	sock = sock_from_file(file);
	sk = sock ? sock->sk : NULL;
	if (!sk || sk->sk_family != AF_UNIX)
		return cpt_refuse(fd, "socket other than a unix one");
	if (cpt_unix_is_listener(file))
		return CPT_PB_FILE_KIND_UNIX_LISTENER;
	if (sk->sk_type == SOCK_DGRAM)
		return CPT_PB_FILE_KIND_UNIX_DGRAM;
	if ((sk->sk_type == SOCK_STREAM || sk->sk_type == SOCK_SEQPACKET) &&
	    READ_ONCE(sock->state) == SS_UNCONNECTED && READ_ONCE(sk->sk_state) == TCP_CLOSE)
		return CPT_PB_FILE_KIND_UNIX_STREAM;
	why = cpt_unix_refusal(file);
	return why ? cpt_refuse(fd, why) : CPT_PB_FILE_KIND_UNIX_STREAM;
}

/*
 * Both ends get the pair's id with the first (cpt_files.c). Each end
 * saves its peer's SO_PASSCRED too: whichever end a restart makes last
 * sets both, once both queues are sent again (cpt_unix_pair_filled()).
 */
static int cpt_unix_pair_save(struct cpt_file_save *fs)
{
	struct sock *sk = sock_from_file(fs->e->file)->sk, *peer;
	int ret;

	ret = cpt_unix_refuse_options(fs->e->fd, sk);
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

/*
 * A connection not accepted yet (UnixPendingConnection), checked: its
 * connecting end's pair id, and how many of its messages have credentials
 * (all or none).
 */
static int cpt_unix_decode_pending(const struct cpt_pb_field *pf, u32 *pair_id, u32 *nr_creds)
{
	u32 nr_messages = 0;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t total = 0;
	struct ucred uc;

	*pair_id = 0;
	*nr_creds = 0;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_UNIX_PENDING_CONNECTION_PAIR_ID:
			cpt_pb_read_u32(&r, &f, pair_id);
			break;
		case CPT_PB_UNIX_PENDING_CONNECTION_MESSAGES:
			if (f.wire != CPT_PB_BYTES)
				cpt_pb_fail(&r, -EBADMSG);
			total += f.len;
			nr_messages++;
			break;
		case CPT_PB_UNIX_PENDING_CONNECTION_CREDENTIALS:
			(*nr_creds)++;
			cpt_pb_fail(&r, cpt_unix_decode_creds(&f, &uc));
			break;
		}
	}
	if (!cpt_pb_end(&r) && (!*pair_id || *pair_id > CPT_MAX_FILES || total > CPT_MAX_QUEUED ||
				(*nr_creds && *nr_creds != nr_messages)))
		return -EBADMSG;
	return cpt_pb_end(&r);
}

static int cpt_unix_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_UNIX_TYPE:
		return cpt_pb_get_u32(f, &rfile->unix_sk.type);
	case CPT_PB_FILE_PAIR_ID:
		return cpt_pb_get_u32(f, &rfile->unix_sk.pair_id);
	case CPT_PB_FILE_UNIX_ADDR:
		rfile->unix_sk.addr = f->data;
		rfile->unix_sk.addr_len = f->len;
		return f->wire == CPT_PB_BYTES && f->len <= CPT_UNIX_ADDR_MAX ? 0 : -EBADMSG;
	case CPT_PB_FILE_UNIX_BACKLOG:
		return cpt_pb_get_u32(f, &rfile->unix_sk.backlog);
	case CPT_PB_FILE_NODE_UID:
		rfile->unix_sk.node.owned = true;
		return cpt_pb_get_u32(f, &rfile->unix_sk.node.uid);
	case CPT_PB_FILE_NODE_GID:
		rfile->unix_sk.node.owned = true;
		return cpt_pb_get_u32(f, &rfile->unix_sk.node.gid);
	case CPT_PB_FILE_NODE_MODE:
		rfile->unix_sk.node.has_mode = true;
		return cpt_pb_get_u32(f, &rfile->unix_sk.node.mode);
	case CPT_PB_FILE_UNIX_MESSAGES:
		/* Walked again when the pair is made (cpt_refill_unix()). */
		rfile->unix_sk.nr_messages++;
		return f->wire == CPT_PB_BYTES ? 0 : -EBADMSG;
	case CPT_PB_FILE_UNIX_MESSAGE_CREDENTIALS: {
		struct ucred uc;

		rfile->unix_sk.nr_creds++;
		return cpt_unix_decode_creds(f, &uc);
	}
	case CPT_PB_FILE_UNIX_MESSAGE_FDS: {
		int nr;

		/* Walked again when the pair's queue is sent (cpt_unix_files_made()). */
		rfile->unix_sk.nr_message_fds++;
		nr = cpt_unix_decode_fds(f, NULL);
		rfile->unix_sk.carries_files |= nr > 0;
		return nr < 0 ? nr : 0;
	}
	case CPT_PB_FILE_UNIX_PASSCRED:
		return cpt_pb_get_bool(f, &rfile->unix_sk.passcred);
	case CPT_PB_FILE_UNIX_PEER_PASSCRED:
		return cpt_pb_get_bool(f, &rfile->unix_sk.peer_passcred);
	case CPT_PB_FILE_UNIX_PENDING_CONNECTION:
		return cpt_pb_get_bool(f, &rfile->unix_sk.pending_connection);
	case CPT_PB_FILE_UNIX_PENDING: {
		u32 pair_id, nr_creds;

		/* Walked again when the listener is made (cpt_unix_connect_pending()). */
		if (++rfile->unix_sk.nr_pending > CPT_UNIX_MAX_PENDING)
			return -EFBIG;
		return cpt_unix_decode_pending(f, &pair_id, &nr_creds);
	}
	}
	return CPT_FILE_FOREIGN;
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
	return *bad ? -EBADMSG : 0;
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
	return *bad ? -EBADMSG : 0;
}

/* The socket file of a socket bound to a path gets its saved owner, group and mode back. */
static int cpt_unix_restore_node(struct cpt_rfile *rfile)
{
	const struct sockaddr_un *sun = (const struct sockaddr_un *)rfile->unix_sk.addr;
	struct sock *sk = sock_from_file(rfile->file)->sk;
	struct cpt_node_attrs node = rfile->unix_sk.node;
	char *what;
	int ret;

	if (!node.owned && !node.has_mode)
		return 0;
	node.mode &= S_IALLUGO;
	what = kasprintf(GFP_KERNEL, "socket file %.*s",
			 (int)strnlen(sun->sun_path, sizeof(sun->sun_path)), sun->sun_path);
	if (!what)
		return -ENOMEM;
	ret = cpt_set_node_attrs(&unix_sk(sk)->path, &node, what);
	kfree(what);
	return ret;
}

static int cpt_unix_setsockopt(struct cpt_unix_restore *ur, int name, const char *what,
			       u32 value);

/*
 * One connection the listener had not accepted: a new socket connect()s to
 * it as the caller (the LSM's hooks, the permission to connect to its
 * path; not waiting: a backlog now too small is an error), sends what it
 * had written before the accept with its credentials, and waits in
 * pending_ends for its own File (the connecting end's UNIX_PAIR).
 */
static int cpt_unix_connect_one(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				const struct cpt_pb_field *pf, struct sockaddr_storage *to, int len)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_unix_shown_creds shown_creds;
	struct cpt_unix_shown shown;
	struct cpt_pb_reader r, cr;
	struct cpt_pb_field g;
	struct socket *sock;
	u32 pair_id, nr_creds;
	struct file *file;
	struct ucred uc;
	int ret, sent;

	ret = cpt_unix_decode_pending(pf, &pair_id, &nr_creds) ?:
	      sock_create(AF_UNIX, rfile->unix_sk.type, 0, &sock);
	if (ret)
		return ret;
	ret = kernel_connect(sock, (struct sockaddr *)to, len, O_NONBLOCK);
	if (ret) {
		cpt_note("cannot connect to %s again for connection %u not accepted yet: %d\n",
			 cpt_unix_show(&shown, to, len), pair_id, ret);
		sock_release(sock);
		return ret;
	}
	cpt_pb_reader_init_field(&cr, pf);
	/* Checked when decoded: each message is a bytes field. */
	cpt_pb_for_each_subfield(&r, pf, &g) {
		if (g.num != CPT_PB_UNIX_PENDING_CONNECTION_MESSAGES)
			continue;
		ret = cpt_unix_next_creds(nr_creds, CPT_PB_UNIX_PENDING_CONNECTION_CREDENTIALS,
					  &cr, &uc);
		if (ret) {
			cpt_pb_fail(&r, ret);
			break;
		}
		if (!g.len && rfile->unix_sk.type == SOCK_STREAM)
			continue;
		sent = cpt_unix_send(sock, &msg, &g, &uc);
		if (sent != g.len) {
			cpt_note("connection %u %s: cannot queue %zu saved bytes%s again: %d\n",
				 pair_id, "not accepted yet", g.len,
				 cpt_unix_show_creds(&shown_creds, &uc), sent);
			cpt_pb_fail(&r, sent < 0 ? sent : -ENOBUFS);
		}
	}
	ret = cpt_pb_end(&r);
	if (ret) {
		sock_release(sock);
		return ret;
	}
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return PTR_ERR(file);
	ret = xa_insert(&reg->pending_ends, pair_id, file, GFP_KERNEL_ACCOUNT);
	if (ret)
		fput(file);
	if (ret == -EBUSY) {
		cpt_note("connection %u %s: another one has its pair id\n", pair_id,
			 "not accepted yet");
		return -EBADMSG;
	}
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
 * socket(), bind(), listen() and SO_PASSCRED again, in the restoring task;
 * then its connections not accepted yet, before its socket file gets its
 * saved owner and mode back.
 */
static int cpt_unix_listener_reopen(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct cpt_unix_restore ur = { .rfile = rfile };
	struct cpt_unix_shown shown;
	int ret;

	ret = cpt_unix_socket(&ur, u->type) ?: cpt_unix_bind(reg, &ur, u->addr, u->addr_len);
	if (!ret) {
		/* listen() clamps it to net.core.somaxconn, as it did. */
		ret = cpt_sys(cpt_sym.sys_listen, ur.fd, min_t(u32, u->backlog, INT_MAX), 0, 0, 0);
		if (ret)
			cpt_note("cannot listen on %s again: %d\n",
				 cpt_unix_show(&shown, u->addr, u->addr_len), ret);
	}
	if (!ret && u->passcred)
		ret = cpt_unix_setsockopt(&ur, SO_PASSCRED, "SO_PASSCRED", 1);
	ret = cpt_unix_socket_done(&ur, ret) ?: cpt_unix_connect_pending(reg, rfile);
	return ret ?: cpt_unix_restore_node(rfile) ?:
		      cpt_unix_note_name(reg, u->addr, u->addr_len);
}

/* ---- UNIX_STREAM, UNIX_DGRAM: neither a listener nor an end of a pair of the tree ---- */

/* The most datagrams queued in one socket an image holds (af_unix's default limit: 4096). */
#define CPT_UNIX_MAX_DGRAMS 65536U

/* The first option set on the socket that a restart would not set again, or NULL. */
static const char *cpt_unix_unsaved_option(struct sock *sk)
{
	const char *what;

	if (test_bit(SOCK_PASSSEC, &sk->sk_socket->flags))
		return "SO_PASSSEC";
	if (sock_flag(sk, SOCK_RCVTSTAMP) || sock_flag(sk, SOCK_RCVTSTAMPNS) ||
	    READ_ONCE(sk->sk_tsflags))
		return "SO_TIMESTAMP*";
	if (sock_flag(sk, SOCK_DBG))
		return "SO_DEBUG";
	if (sock_flag(sk, SOCK_LINGER))
		return "SO_LINGER";
	if (sock_flag(sk, SOCK_RXQ_OVFL))
		return "SO_RXQ_OVFL";
	if (sock_flag(sk, SOCK_KEEPOPEN))
		return "SO_KEEPALIVE";
	if (sk->sk_reuse)
		return "SO_REUSEADDR";
	what = cpt_sock_unrestored_option(sk);
	if (what)
		return what;
	if (READ_ONCE(sk->sk_rcvlowat) != 1)
		return "SO_RCVLOWAT";
	if (READ_ONCE(sk->sk_priority))
		return "SO_PRIORITY";
	if (READ_ONCE(sk->sk_mark))
		return "SO_MARK";
	if (READ_ONCE(sk->sk_bound_dev_if))
		return "SO_BINDTODEVICE";
	return NULL;
}

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

/* A datagram's bytes, its sender's name and its credentials, copied out of the queue. */
struct cpt_unix_dgram {
	u32 len;
	u32 sender_len;
	u8 sender[CPT_UNIX_ADDR_MAX];
	struct cpt_unix_creds creds;
};

/*
 * What a datagram socket has yet to read, a message per datagram with its
 * sender's name. Bound, it may get more from outside the tree while it is
 * saved: what came in first is saved, within the counts of the first look.
 */
static int cpt_unix_save_dgrams(struct cpt_file_save *fs, struct cpt_pb_buf *msg,
				unsigned int fd, struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int total = 0, nr = 0, done = 0, i = 0;
	struct cpt_unix_dgram *d;
	struct unix_address *addr;
	struct cpt_pb_buf one;
	struct sk_buff *skb;
	char *data;
	int ret = 0;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		total += min_t(unsigned int, skb->len, CPT_MAX_QUEUED + 1);
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
	data = kvmalloc(total ?: 1, GFP_KERNEL);
	d = kvcalloc(nr, sizeof(*d), GFP_KERNEL);
	if (!data || !d) {
		ret = -ENOMEM;
		goto out;
	}
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		if (i == nr || skb->len > total - done)
			break;
		ret = skb_copy_bits(skb, 0, data + done, skb->len);
		if (ret)
			break;
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
	for (nr = i, i = 0, done = 0; !ret && i < nr; done += d[i++].len) {
		cpt_pb_init(&one);
		cpt_pb_bytes(&one, CPT_PB_UNIX_SOCKET_DATAGRAM_DATA, data + done, d[i].len);
		if (d[i].sender_len)
			cpt_pb_bytes(&one, CPT_PB_UNIX_SOCKET_DATAGRAM_SENDER, d[i].sender,
				     d[i].sender_len);
		ret = cpt_unix_save_creds(&one, CPT_PB_UNIX_SOCKET_DATAGRAM_CREDENTIALS, fs->reg,
					  fd, &d[i].creds);
		if (ret)
			cpt_pb_free(&one);
		else
			cpt_pb_message(msg, CPT_PB_UNIX_SOCKET_QUEUE, &one);
	}
	for (i = 0; d && i < nr; i++)
		put_pid(d[i].creds.pid);
out:
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
	why = cpt_unix_queue_refusal(sk);
	if (why)
		return cpt_refuse(fd, why);
	why = cpt_unix_unsaved_option(sk);
	if (why) {
		cpt_note("fd %u: socket option %s is not supported\n", fd, why);
		return -EOPNOTSUPP;
	}
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
		ret = cpt_unix_save_node(fs->one, fd, sk) ?: msg.err;
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	cpt_pb_message(fs->one, CPT_PB_FILE_UNIX_SOCKET, &msg);
	return 0;
}

/* A datagram of the queue, checked. */
static int cpt_unix_decode_dgram(const struct cpt_pb_field *pf, struct cpt_pb_field *data,
				 struct cpt_pb_field *sender, struct ucred *uc)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	*data = (struct cpt_pb_field) {};
	*sender = (struct cpt_pb_field) {};
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
	}
	if (!cpt_pb_end(&r) && sender->len && !cpt_unix_addr_valid(sender->data, sender->len))
		return -EBADMSG;
	return cpt_pb_end(&r);
}

static int cpt_unix_decode_sock(struct cpt_rfile_unix *u, const struct cpt_pb_field *pf)
{
	struct cpt_pb_field data, sender;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	size_t total = 0;
	struct ucred uc;

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
			cpt_pb_fail(&r, cpt_unix_decode_dgram(&f, &data, &sender, &uc));
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
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (!cpt_unix_node_valid(u))
		*bad = "socket file";
	return *bad ? -EBADMSG : 0;
}

/* setsockopt() on the new socket, as the program would call it. */
static int cpt_unix_setsockopt(struct cpt_unix_restore *ur, int name, const char *what, u32 value)
{
	int val = value;
	long ret;

	if (copy_to_user((void __user *)ur->ub.addr, &val, sizeof(val)))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_setsockopt, ur->fd, SOL_SOCKET, name, ur->ub.addr,
		      sizeof(val));
	if (ret)
		cpt_note("fd %u: cannot set %s to %u again: %ld\n", ur->rfile->fd, what, value,
			 ret);
	return ret;
}

/*
 * A buffer size the program set: SO_RCVBUF (SO_SNDBUF) gives it back
 * within net.core.rmem_max (wmem_max); a size above that was forced
 * (SO_RCVBUFFORCE), which only a caller with CAP_NET_ADMIN may do again.
 */
static int cpt_unix_set_buf(struct cpt_unix_restore *ur, bool rcv)
{
	struct sock *sk = sock_from_file(ur->file)->sk;
	u32 saved = rcv ? ur->rfile->unix_sk.rcvbuf : ur->rfile->unix_sk.sndbuf;
	int ret;

	if (!saved)
		return 0;
	ret = cpt_unix_setsockopt(ur, rcv ? SO_RCVBUF : SO_SNDBUF,
				  rcv ? "SO_RCVBUF" : "SO_SNDBUF", saved / 2);
	if (!ret && (rcv ? READ_ONCE(sk->sk_rcvbuf) : READ_ONCE(sk->sk_sndbuf)) != saved)
		ret = cpt_unix_setsockopt(ur, rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE,
					  rcv ? "SO_RCVBUFFORCE" : "SO_SNDBUFFORCE", saved / 2);
	return ret;
}

/*
 * Sends each saved datagram again to the socket's name, each from a socket
 * of its own that has its sender's name (given as to a pair's end, only a
 * name the caller could have), as the sender's sendto() queued it. Before
 * the socket is connected: a connected one takes datagrams from its peer
 * only.
 */
static int cpt_unix_refill_dgrams(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct sockaddr_storage to;
	struct msghdr msg = { .msg_name = &to, .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_unix_shown_creds shown_creds;
	struct cpt_pb_field data, sender;
	struct cpt_unix_shown shown;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct socket *from;
	struct ucred uc;
	int ret;

	msg.msg_namelen = cpt_unix_sockaddr(&to, u->addr, u->addr_len);
	/* The record was checked when decoded. */
	cpt_pb_for_each_subfield(&r, &u->sock_msg, &f) {
		if (f.num != CPT_PB_UNIX_SOCKET_QUEUE)
			continue;
		ret = cpt_unix_decode_dgram(&f, &data, &sender, &uc) ?:
		      sock_create(AF_UNIX, SOCK_DGRAM, 0, &from);
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
			ret = cpt_unix_send(from, &msg, &data, &uc);
			if (ret == data.len) {
				ret = 0;
			} else {
				cpt_note("fd %u: %s of %zu bytes%s again: %d\n", rfile->fd,
					 "cannot queue a saved datagram", data.len,
					 cpt_unix_show_creds(&shown_creds, &uc), ret);
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

/* socket(), its options and bind() again, in the restoring task; then its queue. */
static int cpt_unix_sk_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct cpt_unix_restore ur = { .rfile = rfile };
	int ret;

	ret = cpt_unix_socket(&ur, u->type);
	if (!ret)
		ret = cpt_unix_set_buf(&ur, true) ?: cpt_unix_set_buf(&ur, false);
	if (!ret && u->addr_len)
		ret = cpt_unix_bind(reg, &ur, u->addr, u->addr_len) ?:
		      cpt_unix_note_name(reg, u->addr, u->addr_len) ?:
		      cpt_unix_refill_dgrams(reg, rfile);
	/* After the queue: a datagram saved without credentials would get the restorer's. */
	if (!ret && u->passcred)
		ret = cpt_unix_setsockopt(&ur, SO_PASSCRED, "SO_PASSCRED", 1);
	return cpt_unix_socket_done(&ur, ret) ?: cpt_unix_restore_node(rfile);
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
 * caller. A stream socket's, to a server outside the tree, does not wait:
 * a full backlog fails (EAGAIN) rather than holding the restart.
 */
static long cpt_unix_connect_again(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				   unsigned int fd)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	struct cpt_unix_restore ur = { .rfile = rfile };
	struct sockaddr_storage storage;
	struct cpt_unix_shown shown;
	bool stream = u->type != SOCK_DGRAM;
	long ret;
	int len;

	ret = cpt_ubuf_get(&ur.ub, sizeof(storage));
	if (ret)
		return ret;
	len = cpt_unix_sockaddr(&storage, u->peer, u->peer_len);
	if (stream)
		cpt_set_nonblock(rfile->file, true);
	ret = cpt_unix_may_connect(reg, &storage, fd) ?:
	      cpt_unix_sys_name(&ur, fd, cpt_sym.sys_connect, &storage, len);
	if (stream)
		cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	cpt_ubuf_put(&ur.ub);
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
	struct file *now;
	long ret = 0;

	if (u->peer_len) {
		now = fget(fd);
		if (now)
			fput(now);
		if (now != rfile->file) {
			cpt_note("fd %u: not the socket restored there\n", fd);
			return -EBADF;
		}
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
	.installed = cpt_unix_sk_installed,
};

const struct cpt_file_ops cpt_unix_pair_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_unix_pair_save,
	.decode = cpt_unix_decode,
	.check = cpt_unix_pair_check,
	.open = cpt_open_unix_pair,
	.files_made = cpt_unix_files_made,
};

const struct cpt_file_ops cpt_unix_listener_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_unix_claim,
	.save = cpt_unix_listener_save,
	.decode = cpt_unix_decode,
	.check = cpt_unix_listener_check,
	.open = cpt_unix_listener_reopen,
};
