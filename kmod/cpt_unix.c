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
 * could have had (cpt_unix_may_take_name()).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jhash.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/un.h>
#include <net/af_unix.h>
#include <net/sock.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

static bool cpt_unix_is_listener(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX &&
	       (sock->sk->sk_type == SOCK_STREAM || sock->sk->sk_type == SOCK_SEQPACKET) &&
	       READ_ONCE(sock->sk->sk_state) == TCP_LISTEN;
}

/* Why a socket that is not a listener, nor a pair of the tree, is refused. */
static const char *cpt_unix_refusal(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	if (!sock || !sock->sk || sock->sk->sk_family != AF_UNIX)
		return "socket other than a unix one";
	if (sock->state == SS_CONNECTED)
		return "unix socket connected to a process outside the tree";
	return "unix socket neither listening nor connected";
}

/* The socket's own name, as getsockname() gives it (0 bytes: none). */
static void cpt_unix_encode_addr(struct cpt_pb_buf *one, struct sock *sk)
{
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);

	if (addr)
		cpt_pb_bytes(one, CPT_PB_FILE_UNIX_ADDR, addr->name, addr->len);
}

static void cpt_unix_save_addr(struct cpt_pb_buf *one, struct file *file)
{
	cpt_unix_encode_addr(one, sock_from_file(file)->sk);
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

static int cpt_unix_listener_save(struct cpt_pb_buf *one, unsigned int fd, struct file *file)
{
	struct sock *sk = sock_from_file(file)->sk;

	if (skb_queue_len(&sk->sk_receive_queue)) {
		cpt_note("fd %u: a listening socket with %s is not supported\n",
			 fd, "connections not accepted yet");
		return -EOPNOTSUPP;
	}
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	if (!smp_load_acquire(&unix_sk(sk)->addr)) {
		cpt_note("fd %u: a listening socket without a name is not supported\n", fd);
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(one, CPT_PB_FILE_UNIX_TYPE, sk->sk_type);
	cpt_unix_encode_addr(one, sk);
	cpt_pb_u64(one, CPT_PB_FILE_UNIX_BACKLOG, READ_ONCE(sk->sk_max_ack_backlog));
	return cpt_unix_save_node(one, fd, sk) ?: one->err;
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
 * with nothing in its queue a restart could not give back: passed fds,
 * out-of-band data. Returns its peer's entry.
 */
struct cpt_saved_file *cpt_unix_pair_peer(struct cpt_file_registry *reg, struct file *file)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock ? sock->sk : NULL, *peer;
	struct cpt_saved_file *other = NULL;
	struct sk_buff *skb;
	bool clean = true;

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
	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb)
		clean &= !UNIXCB(skb).fp;
	spin_unlock(&sk->sk_receive_queue.lock);
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	clean &= !unix_sk(sk)->oob_skb;
#endif
	sock_put(peer);
	return clean ? other : NULL;
}

/* What this end has yet to read, a message per buffer (a stream's, from where reading stopped). */
static int cpt_encode_unix_queue(struct cpt_pb_buf *one, struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int total = 0, nr = 0, done = 0, i = 0, off, len;
	struct sk_buff *skb;
	u32 *lens;
	char *data;
	int ret = 0;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		total += skb->len;
		nr++;
	}
	spin_unlock(&q->lock);
	if (total > CPT_MAX_QUEUED)
		return -EFBIG;
	data = kvmalloc(total ?: 1, GFP_KERNEL);
	lens = kvmalloc_array(nr ?: 1, sizeof(*lens), GFP_KERNEL);
	if (!data || !lens) {
		ret = -ENOMEM;
		goto out;
	}
	/* The tree is frozen and the peer is in it: the queue holds still. */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		off = sk->sk_type == SOCK_STREAM ? UNIXCB(skb).consumed : 0;
		len = skb->len - off;
		if (i == nr || len > total - done) {
			ret = -EAGAIN;
			break;
		}
		ret = skb_copy_bits(skb, off, data + done, len);
		if (ret)
			break;
		lens[i++] = len;
		done += len;
	}
	spin_unlock(&q->lock);
	for (nr = i, i = 0, done = 0; !ret && i < nr; done += lens[i++])
		cpt_pb_bytes(one, CPT_PB_FILE_UNIX_MESSAGES, data + done, lens[i]);
out:
	kvfree(lens);
	kvfree(data);
	return ret;
}

/* ---- restart ---- */

/*
 * The longest name a socket has: a path of all 108 bytes of sun_path, and
 * the NUL that bind() puts after it (af_unix's unix_mkname_bsd(), which
 * counts on a struct sockaddr_storage, as getsockname() shows it).
 */
#define CPT_UNIX_ADDR_MAX (sizeof(struct sockaddr_un) + 1)

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

static struct file *cpt_unix_listener_open(u32 type, const u8 *addr, size_t len, u32 backlog,
					   u32 flags)
{
	/*
	 * What bind() and connect() are given: af_unix may write the NUL
	 * after a path of all of sun_path, one byte past a sockaddr_un. Zeroed,
	 * a path always ends within it.
	 */
	struct sockaddr_storage storage = {};
	struct sockaddr_un *sun = (struct sockaddr_un *)&storage;
	struct sockaddr *sa = (struct sockaddr *)&storage;
	struct socket *sock;
	struct file *file;
	int ret, somaxconn;

	memcpy(&storage, addr, len);
	/* A path is bound by its bytes, as bind() takes it: the NUL is the kernel's. */
	if (sun->sun_path[0])
		len = offsetof(struct sockaddr_un, sun_path) +
		      strnlen(sun->sun_path, sizeof(sun->sun_path));
	ret = sock_create(AF_UNIX, type, 0, &sock);
	if (ret)
		return ERR_PTR(ret);
	ret = kernel_bind(sock, sa, len);
	if (ret == -EADDRINUSE && sun->sun_path[0] && !cpt_unix_path_in_use(sa, len)) {
		ret = cpt_unix_unlink_stale(sun, len);
		if (!ret)
			ret = kernel_bind(sock, sa, len);
	}
	/* As listen() clamps it. */
	somaxconn = READ_ONCE(sock_net(sock->sk)->core.sysctl_somaxconn);
	if (!ret)
		ret = kernel_listen(sock, min_t(u32, backlog, somaxconn));
	if (ret) {
		cpt_note("cannot listen on %s%.*s again: %d\n", sun->sun_path[0] ? "" : "@",
			 (int)(len - offsetof(struct sockaddr_un, sun_path) - !sun->sun_path[0]),
			 sun->sun_path + !sun->sun_path[0], ret);
		sock_release(sock);
		return ERR_PTR(ret);
	}
	file = sock_alloc_file(sock, flags & O_NONBLOCK, NULL);
	return file;
}

/* Gives a restored end of a connection its saved name back. */
static int cpt_unix_set_addr(struct file *file, const u8 *name, size_t len)
{
	struct sock *sk = sock_from_file(file)->sk;
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

/* Restart: the name of a listener the session bound, by its jhash. */
struct cpt_unix_name {
	size_t len;
	u8 name[];
};

/* Notes a name a listener of this restart holds: a connection may have it. */
static int cpt_unix_note_listener(struct cpt_file_registry *reg, const u8 *name, size_t len)
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
		ret = kern_path(sun->sun_path, LOOKUP_FOLLOW, &p);
		if (ret)
			return ret;
		inode = d_inode(p.dentry);
		ret = S_ISSOCK(inode->i_mode) ?
		      inode_permission(mnt_user_ns(p.mnt), inode, MAY_WRITE) : -ENOTSOCK;
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
	return cpt_unix_set_addr(rfile->file, u->addr, u->addr_len);
}

/* Sends, from its peer, what this end of a pair had yet to read. */
static int cpt_refill_unix(struct cpt_rfile *rfile, struct socket *sock)
{
	struct sock *peer = unix_peer_get(sock->sk);
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	struct kvec vec;
	int sent;

	if (!peer)
		return -ENOTCONN;
	/* The record was checked when decoded: each message is a bytes field. */
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &g) {
		if (g.num != CPT_PB_FILE_UNIX_MESSAGES || !g.len)
			continue;
		vec.iov_base = (void *)g.data;
		vec.iov_len = g.len;
		sent = kernel_sendmsg(peer->sk_socket, &msg, &vec, 1, g.len);
		if (sent != g.len) {
			cpt_note("socket pair %u: cannot queue %zu saved bytes again: %d\n",
				 rfile->unix_sk.pair_id, g.len, sent);
			cpt_pb_fail(&r, sent < 0 ? sent : -ENOBUFS);
		}
	}
	sock_put(peer);
	return cpt_pb_end(&r);
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
	return cpt_refill_unix(rfile, sock_from_file(rfile->file));

out_release:
	for (i = 0; i < 2; i++)
		if (pair[i])
			sock_release(pair[i]);
	return ret;
}

static int cpt_unix_listener_claim(unsigned int fd, struct file *file)
{
	if (!S_ISSOCK(file_inode(file)->i_mode))
		return 0;
	if (!cpt_unix_is_listener(file))
		return cpt_refuse(fd, cpt_unix_refusal(file));
	return CPT_PB_FILE_KIND_UNIX_LISTENER;
}

static int cpt_unix_listener_save_file(struct cpt_file_save *fs)
{
	return cpt_unix_listener_save(fs->one, fs->e->fd, fs->e->file);
}

/* Both ends get the pair's id with the first (cpt_files.c). */
static int cpt_unix_pair_save(struct cpt_file_save *fs)
{
	struct sock *sk = sock_from_file(fs->e->file)->sk;
	int ret;

	cpt_pb_u64(fs->one, CPT_PB_FILE_UNIX_TYPE, sk->sk_type);
	cpt_pb_u64(fs->one, CPT_PB_FILE_PAIR_ID, fs->sf->pair);
	cpt_unix_save_addr(fs->one, fs->e->file);
	ret = cpt_encode_unix_queue(fs->one, sk);
	if (ret)
		cpt_note("fd %u: cannot save what its socket holds: %d\n", fs->e->fd, ret);
	return ret;
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
		return f->wire == CPT_PB_BYTES ? 0 : -EBADMSG;
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
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if ((u->node.owned || u->node.has_mode) &&
		 (!u->addr[offsetof(struct sockaddr_un, sun_path)] ||
		  (u->node.has_mode && (u->node.mode & S_IFMT) != S_IFSOCK)))
		*bad = "socket file";
	return *bad ? -EBADMSG : 0;
}

/* The socket file a listener bound to a path gets its saved owner, group and mode back. */
static int cpt_unix_listener_node(struct cpt_rfile *rfile)
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

static int cpt_unix_listener_reopen(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_unix *u = &rfile->unix_sk;
	int ret;

	ret = cpt_claim_file(rfile, cpt_unix_listener_open(u->type, u->addr, u->addr_len,
							   u->backlog, rfile->flags));
	return ret ?: cpt_unix_listener_node(rfile) ?:
		      cpt_unix_note_listener(reg, u->addr, u->addr_len);
}

const struct cpt_file_ops cpt_unix_pair_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_unix_pair_save,
	.decode = cpt_unix_decode,
	.check = cpt_unix_pair_check,
	.open = cpt_open_unix_pair,
};

const struct cpt_file_ops cpt_unix_listener_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_unix_listener_claim,
	.save = cpt_unix_listener_save_file,
	.decode = cpt_unix_decode,
	.check = cpt_unix_listener_check,
	.open = cpt_unix_listener_reopen,
};
