// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets: which File kind a unix socket is (cpt_unix_claim()), and
 * what the kinds share: why a socket is refused, its name and its socket
 * file's owner as saved, the options a restart would not set again, the
 * credentials its queued messages carry (SCM_CREDENTIALS), the File's unix
 * fields as decoded, and a socket made again in the restoring task. Each
 * kind has its file: connected pairs the tree holds both ends of
 * (cpt_unix_pair.c), listeners and their connections not accepted yet
 * (cpt_unix_listener.c), the rest, unbound, bound or connected to a socket
 * outside the tree (cpt_unix_unpaired.c); names and paths at restart are
 * cpt_unix_name.c's, files in flight in queued messages (SCM_RIGHTS)
 * cpt_unix_rights.c's.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
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
#include "cpt_unix.h"

static bool cpt_unix_is_listener(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_UNIX &&
	       (sock->sk->sk_type == SOCK_STREAM || sock->sk->sk_type == SOCK_SEQPACKET) &&
	       READ_ONCE(sock->sk->sk_state) == TCP_LISTEN;
}

/* Whether a message queued in the socket carries files (SCM_RIGHTS). */
bool cpt_unix_carries_files(struct sock *sk)
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
const char *cpt_unix_oob_refusal(struct sock *sk)
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
 * queue and a datagram socket's save (cpt_encode_unix_queue(),
 * cpt_unix_save_dgrams(): not asked there); out-of-band data. A message's
 * credentials are saved with it (cpt_unix_save_creds()).
 */
const char *cpt_unix_queue_refusal(struct sock *sk)
{
	if (cpt_unix_carries_files(sk))
		return "a unix socket with fds in flight in its queue (SCM_RIGHTS)";
	return cpt_unix_oob_refusal(sk);
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
void cpt_unix_encode_addr(struct cpt_pb_buf *one, struct sock *sk, u32 field)
{
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);

	if (addr)
		cpt_pb_bytes(one, field, addr->name, addr->len);
}

/*
 * Whether the name a socket was bound to still reaches its socket file, as
 * the task would look it up (from its root, or from its working directory
 * for a relative name): NULL if it does, or if it reaches nothing (*free)
 * in a directory that is there; otherwise why a restart could not bind it.
 */
static const char *cpt_unix_name_reaches(struct task_struct *t, const char *name,
					 const struct path *file, bool *free)
{
	struct file *at, *parent = NULL;
	char *dir, *slash;
	struct path base;
	bool same;

	task_lock(t);
	if (!t->fs) {
		task_unlock(t);
		return "its process is exiting";
	}
	if (*name == '/')
		get_fs_root(t->fs, &base);
	else
		get_fs_pwd(t->fs, &base);
	task_unlock(t);
	/* Looked up from base as if it were the root (vfs_path_lookup() is internal). */
	at = file_open_root(&base, name, O_PATH | O_NOFOLLOW, 0);
	*free = PTR_ERR(at) == -ENOENT;
	if (!IS_ERR(at)) {
		same = path_equal(&at->f_path, file);
		fput(at);
		path_put(&base);
		return same ? NULL : "its name now names another file";
	}
	/* Free: a restart binds it again, in a directory that must be there. */
	dir = *free ? kstrdup(name, GFP_KERNEL) : NULL;
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash) {
		slash[slash == dir] = 0;
		parent = file_open_root(&base, dir, O_PATH | O_DIRECTORY, 0);
		if (!IS_ERR(parent))
			fput(parent);
	}
	kfree(dir);
	path_put(&base);
	if (!*free)
		return "its name cannot be looked up";
	return IS_ERR(parent) ? "the directory of its name is gone" : NULL;
}

/*
 * Where the socket file of a socket bound to a path is, when its name no
 * longer reaches it (renamed, or a directory above it renamed): saved as
 * a path from the checkpointer's root, which must reach it exactly. A
 * restart binds the name again, as the task would, and renames the file
 * there (cpt_unix_move_file()). Refused, by name: a file no path reaches,
 * a name that now reaches another file (a restart could not bind it).
 */
static int cpt_unix_save_file_path(struct cpt_file_save *fs, struct sock *sk)
{
	/* Pairs with unix_bind()'s release of the name, as unix_getname() reads it. */
	struct unix_address *addr = smp_load_acquire(&unix_sk(sk)->addr);
	const struct path *file = &unix_sk(sk)->path;
	unsigned int fd = fs->e->fd;
	const char *why, *name, *now;
	struct path found;
	bool free = false;
	char *buf;
	int ret = 0;

	if (!addr)
		return 0;
	name = ((struct sockaddr_un *)addr->name)->sun_path;
	why = cpt_unix_name_reaches(fs->reg->session->cur->task, name, file, &free);
	if (!why && !free)
		return 0;
	buf = __getname();
	if (!buf)
		return -ENOMEM;
	now = d_path(file, buf, PATH_MAX);
	if (!why) {
		ret = IS_ERR(now) ? PTR_ERR(now) : kern_path(now, 0, &found);
		if (!ret) {
			if (!path_equal(&found, file))
				ret = -ESTALE;
			path_put(&found);
		}
		if (ret)
			why = "no path from the checkpointer's root reaches its socket file";
		else if (strlen(now) >= sizeof_field(struct sockaddr_un, sun_path))
			why = "the path of its socket file is too long for a unix socket's name";
	}
	if (why) {
		cpt_note("fd %u: unix socket bound to %s, whose socket file is now %s, %s: %s\n",
			 fd, name, IS_ERR(now) ? "out of reach" : now, "is not supported", why);
		ret = -EOPNOTSUPP;
	} else {
		cpt_pb_string(fs->one, CPT_PB_FILE_UNIX_FILE_PATH, now);
	}
	__putname(buf);
	return ret;
}

/*
 * The owner, group and mode of a listener's socket file (bound to a path):
 * a restart binds it as the restarting caller, who may not be the service's
 * user. Bound, a socket's name does not change (unix_bind() set it under
 * the bind lock before it published the name, read above), but its file
 * may have been renamed since (cpt_unix_save_file_path()).
 */
int cpt_unix_save_node(struct cpt_file_save *fs, struct sock *sk)
{
	struct dentry *dentry = unix_sk(sk)->path.dentry;
	char what[32];
	u32 uid, gid;
	int ret;

	if (!dentry)
		return 0;
	snprintf(what, sizeof(what), "fd %u: socket file", fs->e->fd);
	ret = cpt_node_ids(d_inode(dentry), &uid, &gid, what);
	if (ret)
		return ret;
	cpt_pb_varint(fs->one, CPT_PB_FILE_NODE_UID, uid);
	cpt_pb_varint(fs->one, CPT_PB_FILE_NODE_GID, gid);
	cpt_pb_varint(fs->one, CPT_PB_FILE_NODE_MODE, d_inode(dentry)->i_mode);
	return cpt_unix_save_file_path(fs, sk);
}

/*
 * Pairs and listeners are made again with SO_PASSCRED and the options of
 * their SocketOptions (buffer sizes too), saved here: one the program set
 * that neither holds would be lost (an accepted socket inherits a
 * listener's SO_PASSCRED): refused.
 */
int cpt_unix_save_options(struct cpt_file_save *fs, struct sock *sk)
{
	const char *why = cpt_unix_unsaved_option(sk);

	if (why) {
		cpt_note("fd %u: socket option %s is not supported\n", fs->e->fd, why);
		return -EOPNOTSUPP;
	}
	return cpt_sock_opts_save(fs->one, fs->e->fd, sk, CPT_SOCK_OPTS_BUFFERS);
}

/* The tree's entry for the file of a socket, found by its file. */
struct cpt_saved_file *cpt_find_saved_sock(struct cpt_file_registry *reg,
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

void cpt_unix_get_creds(struct cpt_unix_creds *c, const struct sk_buff *skb)
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
int cpt_unix_save_creds(struct cpt_pb_buf *msg, u32 field, struct cpt_file_registry *reg,
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

/* A syscall that takes the socket's fd (ur's, cpt_sock.h) and a name: bind(), connect(). */
long cpt_unix_sys_name(struct cpt_unix_restore *ur, long (*call)(const struct pt_regs *regs),
		       const struct sockaddr_storage *storage, int len)
{
	if (copy_to_user((void __user *)ur->ub.addr, storage, len))
		return -EFAULT;
	return cpt_sys(call, ur->fd, ur->ub.addr, len, 0, 0);
}

/*
 * A message's saved credentials (UnixCredentials), checked: pid 0 (an
 * empty message) is none. The kernel checks the rest when they are sent.
 */
int cpt_unix_decode_creds(const struct cpt_pb_field *pf, struct ucred *uc)
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

const char *cpt_unix_show_creds(struct cpt_unix_shown_creds *buf, const struct ucred *uc)
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
int cpt_unix_send(struct socket *from, struct msghdr *msg, const struct cpt_pb_field *data,
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

/*
 * The credentials of the next message, from the next field creds_field
 * (one per message, in order) after cr's place; none if there are none
 * (checked when decoded: all or none).
 */
int cpt_unix_next_creds(u32 nr_creds, u32 creds_field, struct cpt_pb_reader *cr,
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

/* A unix socket that is no pair of the tree: a listener, or one of cpt_unix_sk_ops's. */
int cpt_unix_claim(unsigned int fd, struct file *file)
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

int cpt_unix_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
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
	case CPT_PB_FILE_UNIX_FILE_PATH:
		/* An absolute path a socket's name can hold: cpt_unix_move_file() probes it. */
		rfile->unix_sk.file_path = f->data;
		rfile->unix_sk.file_path_len = f->len;
		return f->wire == CPT_PB_BYTES && f->len &&
		       f->len < sizeof_field(struct sockaddr_un, sun_path) &&
		       *(const char *)f->data == '/' && !memchr(f->data, 0, f->len) ? 0 : -EBADMSG;
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
	case CPT_PB_FILE_SOCKET_OPTIONS:
		return cpt_sock_opts_decode(&rfile->unix_sk.sock_opts, f);
	case CPT_PB_FILE_UNIX_PASSCRED:
		return cpt_pb_get_bool(f, &rfile->unix_sk.passcred);
	case CPT_PB_FILE_UNIX_PEER_PASSCRED:
		return cpt_pb_get_bool(f, &rfile->unix_sk.peer_passcred);
	case CPT_PB_FILE_UNIX_PENDING_CONNECTION:
		return cpt_pb_get_bool(f, &rfile->unix_sk.pending_connection);
	case CPT_PB_FILE_UNIX_PENDING: {
		struct cpt_unix_pending p;
		int ret;

		/* Walked again when the listener is made (cpt_unix_connect_pending()). */
		if (++rfile->unix_sk.nr_pending > CPT_UNIX_MAX_PENDING)
			return -EFBIG;
		ret = cpt_unix_decode_pending(f, &p);
		rfile->unix_sk.carries_files |= !ret && p.carries_files;
		return ret;
	}
	}
	return CPT_FILE_FOREIGN;
}

/* The first option set on the socket that a restart would not set again, or NULL. */
const char *cpt_unix_unsaved_option(struct sock *sk)
{
	const char *what;

	if (test_bit(SOCK_PASSSEC, &sk->sk_socket->flags))
		return "SO_PASSSEC";
	/*
	 * af_unix stamps a datagram when it is sent: a restart sends the queue
	 * anew. A listener's queue holds connections, which have no stamp.
	 */
	if ((sock_flag(sk, SOCK_RCVTSTAMP) || READ_ONCE(sk->sk_tsflags)) &&
	    READ_ONCE(sk->sk_state) != TCP_LISTEN && skb_queue_len_lockless(&sk->sk_receive_queue))
		return "SO_TIMESTAMP* with messages queued (the times they were sent)";
	/*
	 * A restart sends what a socket queued to its peer of the tree (or to
	 * a connection its listener has not accepted) again from a new
	 * socket's SO_SNDBUF, net.core.wmem_default (SK_WMEM_MAX unchanged:
	 * the sysctl is not exported), and sets the saved one after
	 * (cpt_unix_pair_filled(), cpt_unix_open_pending()): only one raised
	 * above it queues more.
	 */
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK && sk_wmem_alloc_get(sk) > SK_WMEM_MAX)
		return "SO_SNDBUF raised, with more queued to its peer than the default holds";
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
