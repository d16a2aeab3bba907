// SPDX-License-Identifier: GPL-2.0
/*
 * What the socket kinds share: the socket-level options (SOL_SOCKET) no
 * kind saves, refused by name (cpt_sock_unsaved_option(), the inet kind's
 * too); those every kind saves in a SocketOptions message (timeouts,
 * timestamps, a classic socket filter and its lock, a peek offset), with
 * the ones some kinds keep there too (buffer sizes the user set,
 * SO_PRIORITY, SO_MARK, SO_PASSCRED); and their restart (the inet kind's
 * setsockopt() too, cpt_file_inet.h): the socket made with the kernel's
 * own system calls in the restoring task, as the restarting caller and in its
 * network namespace, each option set again with setsockopt(), so that the
 * kernel's checks apply as if the program did it again (CAP_NET_ADMIN for
 * SO_MARK, SO_RCVBUFFORCE, a priority above 6, a TCP socket's filter; the
 * classic BPF checker for a filter). Those calls name the socket by an
 * fd: one in an fd table of the module's own (cpt_compat_own_fds_enter()),
 * which no other task shares, so that the number names the socket being
 * restored whatever the restoring task's other threads (or a task sharing
 * its table) do to theirs; the final step installs the file in the task's
 * table. A socket made with no fd (a unix pair's end) is lent one there.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/filter.h>
#include <linux/math64.h>
#include <linux/net.h>
#include <linux/net_tstamp.h>
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
	{ SOCK_LOCALROUTE, "SO_DONTROUTE" },
	{ SOCK_RXQ_OVFL, "SO_RXQ_OVFL" },
	{ SOCK_ZEROCOPY, "SO_ZEROCOPY" },
	{ SOCK_WIFI_STATUS, "SO_WIFI_STATUS" },
	{ SOCK_NOFCS, "SO_NOFCS" },
	{ SOCK_SELECT_ERR_QUEUE, "SO_SELECT_ERR_QUEUE" },
	{ SOCK_TXTIME, "SO_TXTIME" },
	{ SOCK_RCVMARK, "SO_RCVMARK" },
};

/*
 * A timeout (jiffies) in microseconds, as getsockopt() gives it
 * (sock_get_timeout()); 0: none. One that does not fit is refused
 * (cpt_sock_timeo_unsaved()). Set again, sock_set_timeout() rounds the
 * microseconds up by USEC_PER_SEC / HZ: the same jiffies when HZ divides
 * 1,000,000 (100, 250, 1000); with HZ 300, one jiffy more can come back.
 */
static u64 cpt_sock_timeo_us(long timeo)
{
	if (timeo == MAX_SCHEDULE_TIMEOUT || timeo <= 0)
		return 0;
	return (u64)(timeo / HZ) * USEC_PER_SEC + (u64)(timeo % HZ) * USEC_PER_SEC / HZ;
}

/*
 * Why a timeout cannot be saved, or NULL: 0, what a negative one set
 * (sock_set_timeout()), which getsockopt() shows as none; more seconds
 * than microseconds fit in 64 bits.
 */
static const char *cpt_sock_timeo_unsaved(long timeo, bool rcv)
{
	if (!timeo)
		return rcv ? "SO_RCVTIMEO set negative (no wait at all)" :
			     "SO_SNDTIMEO set negative (no wait at all)";
	if (timeo != MAX_SCHEDULE_TIMEOUT && timeo / HZ >= div_u64(U64_MAX, USEC_PER_SEC))
		return rcv ? "SO_RCVTIMEO of more than 2^64 microseconds" :
			     "SO_SNDTIMEO of more than 2^64 microseconds";
	return NULL;
}

/* The options SOF_TIMESTAMPING_* a restart cannot give back as they are. */
#define CPT_SOCK_TSFLAGS_UNSAVED (SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_BIND_PHC)

const char *cpt_sock_unrestored_option(struct sock *sk)
{
	u32 tsflags = READ_ONCE(sk->sk_tsflags);
	struct sk_filter *filter;
	const char *what;
	bool ebpf;

	rcu_read_lock();
	filter = rcu_dereference(sk->sk_filter);
	ebpf = filter && !filter->prog->orig_prog;
	rcu_read_unlock();
	if (ebpf)
		return "an eBPF socket filter (SO_ATTACH_BPF)";
	if (tsflags & SOF_TIMESTAMPING_OPT_ID)
		return "SO_TIMESTAMPING with SOF_TIMESTAMPING_OPT_ID (its counter)";
	if (tsflags & SOF_TIMESTAMPING_BIND_PHC)
		return "SO_TIMESTAMPING bound to a PTP clock (SOF_TIMESTAMPING_BIND_PHC)";
	/* Transmit timestamps (and errors) wait there: none is saved. */
	if (!skb_queue_empty_lockless(&sk->sk_error_queue))
		return "messages in its error queue (MSG_ERRQUEUE: transmit timestamps, errors)";
	what = cpt_sock_timeo_unsaved(READ_ONCE(sk->sk_rcvtimeo), true) ?:
	       cpt_sock_timeo_unsaved(READ_ONCE(sk->sk_sndtimeo), false);
	/* Off as -1 is, but getsockopt() reads it back as set. */
	if (!what && READ_ONCE(sk->sk_peek_off) < -1)
		what = "SO_PEEK_OFF set below -1";
	return what;
}

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

/*
 * A classic filter's program, as SO_GET_FILTER gives it (the one the
 * program attached, orig_prog). The tree is frozen: read twice under RCU,
 * its length first, it is the same filter.
 */
static int cpt_sock_save_filter(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk)
{
	struct sock_fprog_kern *fprog;
	struct sock_filter *insns;
	struct sk_filter *filter;
	unsigned int len;
	bool same;

	rcu_read_lock();
	filter = rcu_dereference(sk->sk_filter);
	fprog = filter ? filter->prog->orig_prog : NULL;
	len = fprog ? fprog->len : 0;
	rcu_read_unlock();
	if (!len)
		return 0;
	insns = kvmalloc_array(len, sizeof(*insns), GFP_KERNEL);
	if (!insns)
		return -ENOMEM;
	rcu_read_lock();
	filter = rcu_dereference(sk->sk_filter);
	fprog = filter ? filter->prog->orig_prog : NULL;
	same = fprog && fprog->len == len;
	if (same)
		memcpy(insns, fprog->filter, len * sizeof(*insns));
	rcu_read_unlock();
	if (same)
		cpt_pb_bytes(msg, CPT_PB_SOCKET_OPTIONS_FILTER, insns, len * sizeof(*insns));
	else
		cpt_note("fd %u: its socket filter changed while it was saved\n", fd);
	kvfree(insns);
	return same ? 0 : -EAGAIN;
}

/*
 * Those every kind saves here: timeouts, timestamps, a classic filter and
 * its lock, a peek offset (SO_PEEK_OFF: only the kinds whose
 * set_peek_off() takes it have one, unix and UDP).
 */
static int cpt_sock_opts_save_shared(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk)
{
	int peek_off = READ_ONCE(sk->sk_peek_off);
	u32 tsflags = READ_ONCE(sk->sk_tsflags);
	bool tstamp = sock_flag(sk, SOCK_RCVTSTAMP);

	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_RCVTIMEO_US,
		   cpt_sock_timeo_us(READ_ONCE(sk->sk_rcvtimeo)));
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_SNDTIMEO_US,
		   cpt_sock_timeo_us(READ_ONCE(sk->sk_sndtimeo)));
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_TIMESTAMP, tstamp);
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_TIMESTAMPNS,
		   tstamp && sock_flag(sk, SOCK_RCVTSTAMPNS));
	/* Which cmsg the timestamps come in: nothing to say with none on. */
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_TIMESTAMP_NEW,
		   (tstamp || tsflags) && sock_flag(sk, SOCK_TSTAMP_NEW));
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_TIMESTAMPING, tsflags);
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_LOCK_FILTER, sock_flag(sk, SOCK_FILTER_LOCKED));
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_PEEK, peek_off >= 0);
	cpt_pb_u64(msg, CPT_PB_SOCKET_OPTIONS_PEEK_OFF, max(peek_off, 0));
	return cpt_sock_save_filter(msg, fd, sk);
}

int cpt_sock_opts_save(struct cpt_pb_buf *one, unsigned int fd, struct sock *sk,
		       unsigned int parts)
{
	const char *what = parts & CPT_SOCK_OPTS_OWN ? cpt_sock_opts_unsaved(sk) :
			   cpt_sock_unrestored_option(sk);
	struct cpt_pb_buf msg;
	int ret;

	if (what) {
		cpt_note("fd %u: socket option %s is not supported\n", fd, what);
		return -EOPNOTSUPP;
	}
	cpt_pb_init(&msg);
	if ((parts & CPT_SOCK_OPTS_BUFFERS) && (sk->sk_userlocks & SOCK_RCVBUF_LOCK))
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_RCVBUF, READ_ONCE(sk->sk_rcvbuf));
	if ((parts & CPT_SOCK_OPTS_BUFFERS) && (sk->sk_userlocks & SOCK_SNDBUF_LOCK))
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_SNDBUF, READ_ONCE(sk->sk_sndbuf));
	if (parts & CPT_SOCK_OPTS_OWN) {
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_PRIORITY, READ_ONCE(sk->sk_priority));
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_MARK, READ_ONCE(sk->sk_mark));
		cpt_pb_u64(&msg, CPT_PB_SOCKET_OPTIONS_PASSCRED,
			   test_bit(SOCK_PASSCRED, &sk->sk_socket->flags));
	}
	ret = cpt_sock_opts_save_shared(&msg, fd, sk) ?: msg.err;
	/* None set: no message, as before those options were saved (an older module reads it). */
	if (ret || (!msg.len && !(parts & CPT_SOCK_OPTS_OWN))) {
		cpt_pb_free(&msg);
		return ret;
	}
	cpt_pb_message(one, CPT_PB_FILE_SOCKET_OPTIONS, &msg);
	return 0;
}

static void cpt_sock_decode_filter(struct cpt_sock_opts *o, struct cpt_pb_reader *r,
				   const struct cpt_pb_field *f)
{
	size_t len;

	if (!cpt_pb_read_bytes(r, f, &o->filter, &len))
		return;
	/* 1 to BPF_MAXINSNS instructions, whole: the kernel's checker sees the rest. */
	if (!len || len % sizeof(struct sock_filter) ||
	    len / sizeof(struct sock_filter) > BPF_MAXINSNS) {
		cpt_pb_fail(r, -EBADMSG);
		return;
	}
	o->filter_len = len / sizeof(struct sock_filter);
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
		case CPT_PB_SOCKET_OPTIONS_RCVTIMEO_US:
			cpt_pb_read_u64(&r, &f, &o->rcvtimeo_us);
			break;
		case CPT_PB_SOCKET_OPTIONS_SNDTIMEO_US:
			cpt_pb_read_u64(&r, &f, &o->sndtimeo_us);
			break;
		case CPT_PB_SOCKET_OPTIONS_TIMESTAMP:
			cpt_pb_read_bool(&r, &f, &o->tstamp);
			break;
		case CPT_PB_SOCKET_OPTIONS_TIMESTAMPNS:
			cpt_pb_read_bool(&r, &f, &o->tstamp_ns);
			break;
		case CPT_PB_SOCKET_OPTIONS_TIMESTAMP_NEW:
			cpt_pb_read_bool(&r, &f, &o->tstamp_new);
			break;
		case CPT_PB_SOCKET_OPTIONS_TIMESTAMPING:
			cpt_pb_read_u32(&r, &f, &o->tsflags);
			break;
		case CPT_PB_SOCKET_OPTIONS_FILTER:
			cpt_sock_decode_filter(o, &r, &f);
			break;
		case CPT_PB_SOCKET_OPTIONS_LOCK_FILTER:
			cpt_pb_read_bool(&r, &f, &o->lock_filter);
			break;
		case CPT_PB_SOCKET_OPTIONS_PEEK:
			cpt_pb_read_bool(&r, &f, &o->peek);
			break;
		case CPT_PB_SOCKET_OPTIONS_PEEK_OFF:
			cpt_pb_read_u32(&r, &f, &o->peek_off);
			break;
		}
	}
	return cpt_pb_end(&r);
}

bool cpt_sock_opts_valid(const struct cpt_sock_opts *o, unsigned int parts)
{
	if (o->rcvbuf > INT_MAX || o->sndbuf > INT_MAX || o->priority > INT_MAX)
		return false;
	if (!(parts & CPT_SOCK_OPTS_BUFFERS) && (o->rcvbuf || o->sndbuf))
		return false;
	if (!(parts & CPT_SOCK_OPTS_OWN) && (o->priority || o->mark || o->passcred))
		return false;
	/* As setsockopt() leaves them: SO_TIMESTAMPNS sets SOCK_RCVTSTAMP too. */
	if ((o->tstamp_ns && !o->tstamp) || (o->tstamp_new && !o->tstamp && !o->tsflags))
		return false;
	if (o->peek_off > INT_MAX || (o->peek_off && !o->peek))
		return false;
	return !(o->tsflags & (~SOF_TIMESTAMPING_MASK | CPT_SOCK_TSFLAGS_UNSAVED));
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

int cpt_sock_set_int(struct cpt_sock_restore *sr, int name, const char *what, u32 value)
{
	int ret = cpt_sock_setsockopt(sr, SOL_SOCKET, name, &value, sizeof(int));

	return ret ? cpt_sock_opt_refused(sr, what, value, ret) : 0;
}

static int cpt_sock_buf(const struct sock *sk, bool rcv)
{
	return rcv ? READ_ONCE(sk->sk_rcvbuf) : READ_ONCE(sk->sk_sndbuf);
}

/*
 * A buffer size the user set: SO_RCVBUF (SO_SNDBUF) gives it back within
 * net.core.rmem_max (wmem_max); a size above that was forced
 * (SO_RCVBUFFORCE), which only a caller with CAP_NET_ADMIN may do again.
 * A size neither gives (odd, below SOCK_MIN_RCVBUF) is a hostile image's.
 */
int cpt_sock_set_buf(struct cpt_sock_restore *sr, bool rcv, u32 saved)
{
	const char *what = rcv ? "SO_RCVBUF" : "SO_SNDBUF";
	int val = saved / 2, ret;

	if (!saved)
		return 0;
	ret = cpt_sock_setsockopt(sr, SOL_SOCKET, rcv ? SO_RCVBUF : SO_SNDBUF, &val, sizeof(val));
	if (!ret && cpt_sock_buf(sr->sk, rcv) != saved)
		ret = cpt_sock_setsockopt(sr, SOL_SOCKET, rcv ? SO_RCVBUFFORCE : SO_SNDBUFFORCE,
					  &val, sizeof(val));
	if (ret)
		return cpt_sock_opt_refused(sr, what, saved, ret);
	if (cpt_sock_buf(sr->sk, rcv) != saved) {
		cpt_note("fd %u: %s %u is no size setsockopt() sets (it sets %d)\n", sr->rfile->fd,
			 what, saved, cpt_sock_buf(sr->sk, rcv));
		return -EBADMSG;
	}
	return 0;
}

int cpt_sock_opts_restore_buffers(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
{
	return cpt_sock_set_buf(sr, true, o->rcvbuf) ?: cpt_sock_set_buf(sr, false, o->sndbuf);
}

/* SO_RCVTIMEO (SO_SNDTIMEO) of us microseconds, in their 64-bit form. */
static int cpt_sock_set_timeo(struct cpt_sock_restore *sr, bool rcv, u64 us)
{
	struct __kernel_sock_timeval tv;
	u32 usec;
	int ret;

	if (!us)
		return 0;
	tv.tv_sec = div_u64_rem(us, USEC_PER_SEC, &usec);
	tv.tv_usec = usec;
	ret = cpt_sock_setsockopt(sr, SOL_SOCKET, rcv ? SO_RCVTIMEO_NEW : SO_SNDTIMEO_NEW, &tv,
				  sizeof(tv));
	if (ret)
		cpt_note("fd %u: cannot set %s to %llu microseconds again: %d\n", sr->rfile->fd,
			 rcv ? "SO_RCVTIMEO" : "SO_SNDTIMEO", us, ret);
	return ret;
}

/*
 * SO_TIMESTAMPING, then SO_TIMESTAMP or SO_TIMESTAMPNS, each of the
 * variant (_OLD, _NEW) saved: each sets SOCK_TSTAMP_NEW as its name says.
 */
static int cpt_sock_set_tstamps(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
{
	bool new = o->tstamp_new;
	int name, ret;

	if (o->tsflags) {
		name = new ? SO_TIMESTAMPING_NEW : SO_TIMESTAMPING_OLD;
		ret = cpt_sock_setsockopt(sr, SOL_SOCKET, name, &o->tsflags, sizeof(int));
		if (ret)
			return cpt_sock_opt_refused(sr, "SO_TIMESTAMPING", o->tsflags, ret);
	}
	if (!o->tstamp)
		return 0;
	if (o->tstamp_ns)
		name = new ? SO_TIMESTAMPNS_NEW : SO_TIMESTAMPNS_OLD;
	else
		name = new ? SO_TIMESTAMP_NEW : SO_TIMESTAMP_OLD;
	ret = cpt_sock_setsockopt(sr, SOL_SOCKET, name, &(int){ 1 }, sizeof(int));
	return ret ? cpt_sock_opt_refused(sr, o->tstamp_ns ? "SO_TIMESTAMPNS" : "SO_TIMESTAMP",
					  1, ret) : 0;
}

/*
 * A classic filter, attached as the program did (SO_ATTACH_FILTER): the
 * kernel's checker (bpf_check_classic()) judges the program, and
 * net.core.optmem_max its size.
 */
static int cpt_sock_attach_filter(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
{
	size_t size = o->filter_len * sizeof(struct sock_filter);
	struct sock_fprog fprog = { .len = o->filter_len };
	int ret;

	ret = cpt_ubuf_get(&sr->ub, sizeof(fprog) + size);
	if (ret)
		return ret;
	fprog.filter = (struct sock_filter __user *)(sr->ub.addr + sizeof(fprog));
	if (copy_to_user(fprog.filter, o->filter, size))
		return -EFAULT;
	ret = cpt_sock_setsockopt(sr, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog));
	if (!ret)
		return 0;
	cpt_note("fd %u: cannot attach its socket filter of %u instructions again: %d%s\n",
		 sr->rfile->fd, o->filter_len, ret,
		 ret == -EINVAL ? " (the kernel's checker refused the program)" :
		 ret == -ENOMEM ? " (above net.core.optmem_max?)" :
		 ret == -EPERM ? " (a TCP socket's needs CAP_NET_ADMIN)" : "");
	return ret;
}

/* The filter, then SO_LOCK_FILTER, which forbids attaching one. */
static int cpt_sock_set_filter(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
{
	int ret = o->filter_len ? cpt_sock_attach_filter(sr, o) : 0;

	if (!ret && o->lock_filter)
		ret = cpt_sock_set_int(sr, SO_LOCK_FILTER, "SO_LOCK_FILTER", 1);
	return ret;
}

int cpt_sock_opts_restore_rest(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
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
	int ret = 0;

	for (i = 0; !ret && i < ARRAY_SIZE(opts); i++)
		if (opts[i].val)
			ret = cpt_sock_set_int(sr, opts[i].name, opts[i].what, opts[i].val);
	ret = ret ?: cpt_sock_set_timeo(sr, true, o->rcvtimeo_us) ?:
	      cpt_sock_set_timeo(sr, false, o->sndtimeo_us) ?: cpt_sock_set_tstamps(sr, o) ?:
	      cpt_sock_set_filter(sr, o);
	if (ret || !o->peek)
		return ret;
	/* -EOPNOTSUPP: a kind whose set_peek_off() there is none of (a hostile image's). */
	return cpt_sock_set_int(sr, SO_PEEK_OFF, "SO_PEEK_OFF", o->peek_off);
}

int cpt_sock_opts_restore(struct cpt_sock_restore *sr, const struct cpt_sock_opts *o)
{
	return cpt_sock_opts_restore_buffers(sr, o) ?: cpt_sock_opts_restore_rest(sr, o);
}

static bool cpt_sock_opts_any(const struct cpt_sock_opts *o, bool buffers, bool rest)
{
	return (buffers && (o->rcvbuf || o->sndbuf)) ||
	       (rest && (o->priority || o->mark || o->passcred || o->rcvtimeo_us ||
			 o->sndtimeo_us || o->tstamp || o->tsflags || o->filter_len ||
			 o->lock_filter || o->peek));
}

/*
 * Starts the calls on a socket (cpt_sock_make(), cpt_sock_lend()): a page
 * of the restoring task's memory for their arguments, and an fd table of
 * the module's own, where the fds they name are the module's alone.
 */
static int cpt_sock_calls_begin(struct cpt_sock_restore *sr)
{
	int ret = cpt_ubuf_get(&sr->ub, PAGE_SIZE);

	if (!ret)
		ret = cpt_compat_own_fds_enter(&sr->shared);
	if (ret)
		cpt_ubuf_put(&sr->ub);
	return ret;
}

/* Back to the task's fd table; the fd the calls named goes with the module's. */
static void cpt_sock_calls_end(struct cpt_sock_restore *sr)
{
	if (sr->shared)
		cpt_compat_own_fds_leave(sr->shared);
	sr->shared = NULL;
	sr->fd = -1;
	cpt_ubuf_put(&sr->ub);
}

int cpt_sock_lend(struct cpt_sock_restore *sr, struct file *file)
{
	int ret = cpt_sock_calls_begin(sr);

	if (ret)
		return ret;
	sr->fd = get_unused_fd_flags(O_CLOEXEC);
	if (sr->fd < 0) {
		ret = sr->fd;
		cpt_sock_calls_end(sr);
		return ret;
	}
	sr->file = file;
	sr->sk = sock_from_file(file)->sk;
	fd_install(sr->fd, get_file(file));
	return 0;
}

void cpt_sock_lent_back(struct cpt_sock_restore *sr)
{
	cpt_sock_calls_end(sr);
	sr->file = NULL;
}

int cpt_sock_opts_restore_file(struct cpt_rfile *rfile, struct file *file,
			       const struct cpt_sock_opts *o, bool buffers, bool rest)
{
	struct cpt_sock_restore sr = { .rfile = rfile, .fd = -1 };
	int ret;

	if (!cpt_sock_opts_any(o, buffers, rest))
		return 0;
	ret = cpt_sock_lend(&sr, file);
	if (ret)
		return ret;
	ret = buffers ? cpt_sock_opts_restore_buffers(&sr, o) : 0;
	if (!ret && rest)
		ret = cpt_sock_opts_restore_rest(&sr, o);
	cpt_sock_lent_back(&sr);
	return ret;
}

/*
 * The socket that socket() just made at fd, held. In the module's own
 * table nobody else could have put another file there: checked all the
 * same before the module treats it as the socket it made (NULL, noted).
 */
static struct file *cpt_sock_fget_made(long fd, int family, int type, int protocol)
{
	struct file *file = fget(fd);
	struct socket *sock = file ? sock_from_file(file) : NULL;

	if (sock && sock->sk->sk_family == family && sock->sk->sk_type == type &&
	    sock->sk->sk_protocol == protocol)
		return file;
	if (file)
		fput(file);
	cpt_note("the socket just made at fd %ld is not there\n", fd);
	return NULL;
}

int cpt_sock_make(struct cpt_sock_restore *sr, int family, int type, int protocol,
		  const char *what, const char *(*hint)(const struct cpt_rfile *rfile, long err))
{
	long fd;
	int ret;

	ret = cpt_sock_calls_begin(sr);
	if (ret)
		return ret;
	fd = cpt_sys(cpt_sym.sys_socket, family, type | SOCK_CLOEXEC, protocol, 0, 0);
	if (fd < 0) {
		cpt_note("fd %u: cannot make its %s socket again: %ld%s\n", sr->rfile->fd, what,
			 fd, hint ? hint(sr->rfile, fd) : "");
		cpt_sock_calls_end(sr);
		return fd;
	}
	sr->fd = fd;
	sr->file = cpt_sock_fget_made(fd, family, type, protocol);
	if (!sr->file) {
		cpt_sock_calls_end(sr);
		return -EBADF;
	}
	sr->sk = sock_from_file(sr->file)->sk;
	return 0;
}

int cpt_sock_made(struct cpt_sock_restore *sr, int ret)
{
	cpt_sock_calls_end(sr);
	if (!ret) {
		sr->rfile->file = sr->file;
		cpt_set_nonblock(sr->file, sr->rfile->flags & O_NONBLOCK);
	} else if (sr->file) {
		fput(sr->file);
	}
	sr->file = NULL;
	return ret;
}
