// SPDX-License-Identifier: GPL-2.0
/*
 * What the socket kinds share: the socket-level options (SOL_SOCKET) no
 * kind saves, refused by name (cpt_sock_unsaved_option(), the inet kind's
 * too); and for the netlink and packet kinds, the ones they save in a
 * SocketOptions message (buffer sizes the user set, SO_PRIORITY, SO_MARK,
 * SO_PASSCRED), and their restart (the inet kind's setsockopt() too,
 * cpt_file_inet.h): the socket made with the kernel's own
 * system calls in the restoring task, as the restarting caller and in its
 * network namespace, each option set again with setsockopt(), so that the
 * kernel's checks apply as if the program did it again (CAP_NET_ADMIN for
 * SO_MARK, SO_RCVBUFFORCE, a priority above 6).
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/net.h>
#include <linux/uaccess.h>
#include <net/sock.h>
#include <net/sock_reuseport.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"

/* Sock flags an option sets that no kind saves, by name. */
static const struct {
	int flag;
	const char *what;
} cpt_sock_unsaved_flags[] = {
	{ SOCK_DBG, "SO_DEBUG" },
	{ SOCK_RCVTSTAMP, "SO_TIMESTAMP" },
	{ SOCK_RCVTSTAMPNS, "SO_TIMESTAMPNS" },
	{ SOCK_LOCALROUTE, "SO_DONTROUTE" },
	{ SOCK_RXQ_OVFL, "SO_RXQ_OVFL" },
	{ SOCK_ZEROCOPY, "SO_ZEROCOPY" },
	{ SOCK_WIFI_STATUS, "SO_WIFI_STATUS" },
	{ SOCK_NOFCS, "SO_NOFCS" },
	{ SOCK_FILTER_LOCKED, "SO_LOCK_FILTER" },
	{ SOCK_SELECT_ERR_QUEUE, "SO_SELECT_ERR_QUEUE" },
	{ SOCK_TXTIME, "SO_TXTIME" },
	{ SOCK_RCVMARK, "SO_RCVMARK" },
};

const char *cpt_sock_unsaved_option(struct sock *sk)
{
	struct sock_reuseport *reuse;
	const char *what;
	bool reuse_prog;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_sock_unsaved_flags); i++)
		if (sock_flag(sk, cpt_sock_unsaved_flags[i].flag))
			return cpt_sock_unsaved_flags[i].what;
	if (test_bit(SOCK_PASSSEC, &sk->sk_socket->flags))
		return "SO_PASSSEC";
	what = cpt_sock_unrestored_option(sk);
	if (what)
		return what;
	rcu_read_lock();
	reuse = rcu_dereference(sk->sk_reuseport_cb);
	reuse_prog = reuse && rcu_access_pointer(reuse->prog);
	rcu_read_unlock();
	if (reuse_prog)
		return "a reuseport program (SO_ATTACH_REUSEPORT_*)";
	if (READ_ONCE(sk->sk_tsflags))
		return "SO_TIMESTAMPING";
	if (READ_ONCE(sk->sk_max_pacing_rate) != ~0UL)
		return "SO_MAX_PACING_RATE";
#ifdef CONFIG_NET_RX_BUSY_POLL
	if (READ_ONCE(sk->sk_ll_usec))
		return "SO_BUSY_POLL";
#endif
	return NULL;
}

/*
 * Those a SocketOptions message does not hold either, which an inet
 * socket's InetSocket does: meaningless to a netlink or packet socket,
 * refused all the same when set, rather than lost.
 */
static const char *cpt_sock_opts_unsaved(struct sock *sk)
{
	const char *what = cpt_sock_unsaved_option(sk);

	if (what)
		return what;
	if (sk->sk_reuse != SK_NO_REUSE)
		return "SO_REUSEADDR";
	if (sk->sk_reuseport)
		return "SO_REUSEPORT";
	if (sock_flag(sk, SOCK_KEEPOPEN))
		return "SO_KEEPALIVE";
	if (sock_flag(sk, SOCK_LINGER))
		return "SO_LINGER";
	if (sock_flag(sk, SOCK_BROADCAST))
		return "SO_BROADCAST";
	if (sock_flag(sk, SOCK_URGINLINE))
		return "SO_OOBINLINE";
	if (READ_ONCE(sk->sk_rcvlowat) != 1)
		return "SO_RCVLOWAT";
	if (READ_ONCE(sk->sk_bound_dev_if))
		return "SO_BINDTODEVICE";
	return NULL;
}

int cpt_sock_opts_save(struct cpt_pb_buf *one, unsigned int fd, struct sock *sk)
{
	const char *what = cpt_sock_opts_unsaved(sk);
	struct cpt_pb_buf msg;

	if (what) {
		cpt_note("fd %u: socket option %s is not supported\n", fd, what);
		return -EOPNOTSUPP;
	}
	cpt_pb_init(&msg);
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK)
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_RCVBUF, READ_ONCE(sk->sk_rcvbuf));
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK)
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_SNDBUF, READ_ONCE(sk->sk_sndbuf));
	cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_PRIORITY, READ_ONCE(sk->sk_priority));
	cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_MARK, READ_ONCE(sk->sk_mark));
	cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_PASSCRED,
		   test_bit(SOCK_PASSCRED, &sk->sk_socket->flags));
	if (msg.err) {
		cpt_pb_free(&msg);
		return msg.err;
	}
	cpt_pb_message(one, CPT_PB_FILE_SOCKET_OPTIONS, &msg);
	return 0;
}

int cpt_sock_opts_decode(struct cpt_sock_opts *o, const struct cpt_pb_field *pf)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_SOCKET_OPTIONS_RCVBUF:
			cpt_pb_read_u32(&r, &f, &o->rcvbuf);
			break;
		case CPT_PB_SOCKET_OPTIONS_SNDBUF:
			cpt_pb_read_u32(&r, &f, &o->sndbuf);
			break;
		case CPT_PB_SOCKET_OPTIONS_PRIORITY:
			cpt_pb_read_u32(&r, &f, &o->priority);
			break;
		case CPT_PB_SOCKET_OPTIONS_MARK:
			cpt_pb_read_u32(&r, &f, &o->mark);
			break;
		case CPT_PB_SOCKET_OPTIONS_PASSCRED:
			cpt_pb_read_bool(&r, &f, &o->passcred);
			break;
		}
	}
	return cpt_pb_end(&r);
}

bool cpt_sock_opts_valid(const struct cpt_sock_opts *o)
{
	return o->rcvbuf <= INT_MAX && o->sndbuf <= INT_MAX && o->priority <= INT_MAX;
}

int cpt_sock_getsockopt_int(struct socket *sock, int level, int name, int *val)
{
	struct cpt_ubuf ub = {};
	int __user *len;
	int ret;

	ret = cpt_ubuf_get(&ub, PAGE_SIZE);
	if (ret)
		return ret;
	len = (int __user *)ub.addr;
	ret = put_user((int)sizeof(int), len) ?:
	      sock->ops->getsockopt(sock, level, name, (char __user *)(len + 1), len) ?:
	      get_user(*val, len + 1);
	cpt_ubuf_put(&ub);
	return ret;
}

/* ---- restart ---- */

int cpt_sock_setsockopt(struct cpt_sock_restore *sr, int level, int name, const void *val,
			size_t len)
{
	if (copy_to_user((void __user *)sr->ub.addr, val, len))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_setsockopt, sr->fd, level, name, sr->ub.addr, len);
}

int cpt_sock_opt_refused(struct cpt_sock_restore *sr, const char *what, u32 value, int ret)
{
	cpt_note("fd %u: cannot set %s to %u again: %d%s\n", sr->rfile->fd, what, value, ret,
		 ret == -EPERM ? " (the restarting caller lacks the capability it needs)" : "");
	return ret;
}

/*
 * A buffer size the user set: SO_RCVBUF (SO_SNDBUF) gives it back within
 * net.core.rmem_max (wmem_max); a size above that was forced
 * (SO_RCVBUFFORCE), which only a caller with CAP_NET_ADMIN may do again.
 */
int cpt_sock_set_buf(struct cpt_sock_restore *sr, bool rcv, u32 saved)
{
	int val = saved / 2, ret;

	if (!saved)
		return 0;
	ret = cpt_sock_setsockopt(sr, SOL_SOCKET, rcv ? SO_RCVBUF : SO_SNDBUF, &val, sizeof(val));
	if (!ret && (rcv ? READ_ONCE(sr->sk->sk_rcvbuf) : READ_ONCE(sr->sk->sk_sndbuf)) != saved)
		ret = cpt_sock_setsockopt(sr, SOL_SOCKET, rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE,
					  &val, sizeof(val));
	return ret ? cpt_sock_opt_refused(sr, rcv ? "SO_RCVBUF" : "SO_SNDBUF", saved, ret) : 0;
}

int cpt_sock_opts_restore(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
{
	const struct {
		int name;
		u32 val;
		const char *what;
	} opts[] = {
		{ SO_PRIORITY, o->priority, "SO_PRIORITY" },
		{ SO_MARK, o->mark, "SO_MARK" },
		{ SO_PASSCRED, o->passcred, "SO_PASSCRED" },
	};
	unsigned int i;
	int ret;

	ret = cpt_sock_set_buf(sr, true, o->rcvbuf) ?: cpt_sock_set_buf(sr, false, o->sndbuf);
	for (i = 0; !ret && i < ARRAY_SIZE(opts); i++) {
		if (!opts[i].val)
			continue;
		ret = cpt_sock_setsockopt(sr, SOL_SOCKET, opts[i].name, &opts[i].val, sizeof(int));
		if (ret)
			ret = cpt_sock_opt_refused(sr, opts[i].what, opts[i].val, ret);
	}
	return ret;
}

int cpt_sock_make(struct cpt_sock_restore *sr, int family, int type, int protocol,
		  const char *what, const char *hint_eperm)
{
	struct socket *sock;
	int ret;

	ret = cpt_ubuf_get(&sr->ub, PAGE_SIZE);
	if (ret)
		return ret;
	sr->fd = cpt_sys(cpt_sym.sys_socket, family, type | SOCK_CLOEXEC, protocol, 0, 0);
	if (sr->fd < 0) {
		cpt_note("fd %u: cannot make its %s socket again: %ld%s\n", sr->rfile->fd, what,
			 sr->fd, sr->fd == -EPERM && hint_eperm ? hint_eperm : "");
		ret = sr->fd;
		sr->fd = -1;
		return ret;
	}
	sr->file = fget(sr->fd);
	sock = sr->file ? sock_from_file(sr->file) : NULL;
	if (!sock || sock->sk->sk_family != family || sock->sk->sk_type != type ||
	    sock->sk->sk_protocol != protocol) {
		cpt_note("the socket just made at fd %ld is not there: %s\n", sr->fd,
			 "another task changed the restoring task's fd table");
		return -EBADF;
	}
	sr->sk = sock->sk;
	return 0;
}

int cpt_sock_made(struct cpt_sock_restore *sr, int ret)
{
	struct file *now;

	/* Held threads: nobody else uses the table; checked all the same. */
	if (!ret && sr->fd >= 0) {
		now = fget(sr->fd);
		if (now != sr->file) {
			ret = -EBADF;
			cpt_note("the socket just made at fd %ld is not there: %s\n", sr->fd,
				 "another task changed the restoring task's fd table");
		}
		if (now)
			fput(now);
	}
	if (!ret) {
		sr->rfile->file = sr->file;
		cpt_set_nonblock(sr->file, sr->rfile->flags & O_NONBLOCK);
	} else if (sr->file) {
		fput(sr->file);
	}
	sr->file = NULL;
	if (sr->fd >= 0)
		close_fd(sr->fd);
	cpt_ubuf_put(&sr->ub);
	return ret;
}
