// SPDX-License-Identifier: GPL-2.0
/*
 * Netlink sockets of the protocols whose whole state is the socket's own
 * (NETLINK_ROUTE, NETLINK_GENERIC, NETLINK_SOCK_DIAG,
 * NETLINK_KOBJECT_UEVENT): saved with their port id (bound by bind(), or
 * by the kernel's autobind on the first send, which gives the tgid), the
 * multicast groups they listen to (above 32 too), the port and group
 * they are connected to, their netlink options (cpt_compat_netlink.c
 * reads what getsockopt() does not give) and socket-level options
 * (cpt_sock.c). A checkpoint refuses, naming the fd: a socket with
 * messages not read yet, a dump in progress (the rest of its reply would
 * come from a kernel callback a restart cannot make again), a pending
 * error (ENOBUFS: messages were lost), another protocol (audit's, whose
 * daemon registration the audit subsystem keeps by port id), a socket of
 * another network namespace. 6.1 has no netlink mmap: nothing to refuse.
 *
 * A restart makes the socket with socket(), setsockopt(), bind() to its
 * port id and connect() in the restoring task, as the restarting caller:
 * the kernel's checks apply (CAP_NET_BROADCAST for
 * NETLINK_LISTEN_ALL_NSID, a protocol's own for its groups). A port id
 * another socket holds fails the restart, naming the fd and the port id:
 * the program's peers and its own checks of nl_pid know it by that id.
 *
 * A generic netlink family that keeps state of its own for a port id
 * (taskstats' listeners, nl80211's socket owner) loses it: nothing in the
 * socket tells a checkpoint of it.
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/netlink.h>
#include <linux/nsproxy.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"

/* The protocols saved, by name. */
/* A dump in progress, as a refusal names it. */
#define CPT_NETLINK_DUMPING "netlink socket with a dump in progress (its reply not read to the end)"

static const char *cpt_netlink_protocol_name(u32 protocol)
{
	switch (protocol) {
	case NETLINK_ROUTE:
		return "NETLINK_ROUTE";
	case NETLINK_SOCK_DIAG:
		return "NETLINK_SOCK_DIAG";
	case NETLINK_KOBJECT_UEVENT:
		return "NETLINK_KOBJECT_UEVENT";
	case NETLINK_GENERIC:
		return "NETLINK_GENERIC";
	}
	return NULL;
}

/* The netlink options, by field of NetlinkSocket. */
static const struct {
	u32 field;
	int name;
	const char *what;
} cpt_netlink_opts[] = {
	{ CPT_PB_NETLINK_SOCKET_PKTINFO, NETLINK_PKTINFO, "NETLINK_PKTINFO" },
	{ CPT_PB_NETLINK_SOCKET_BROADCAST_ERROR, NETLINK_BROADCAST_ERROR,
	  "NETLINK_BROADCAST_ERROR" },
	{ CPT_PB_NETLINK_SOCKET_NO_ENOBUFS, NETLINK_NO_ENOBUFS, "NETLINK_NO_ENOBUFS" },
	{ CPT_PB_NETLINK_SOCKET_LISTEN_ALL_NSID, NETLINK_LISTEN_ALL_NSID,
	  "NETLINK_LISTEN_ALL_NSID" },
	{ CPT_PB_NETLINK_SOCKET_CAP_ACK, NETLINK_CAP_ACK, "NETLINK_CAP_ACK" },
	{ CPT_PB_NETLINK_SOCKET_EXT_ACK, NETLINK_EXT_ACK, "NETLINK_EXT_ACK" },
	{ CPT_PB_NETLINK_SOCKET_GET_STRICT_CHK, NETLINK_GET_STRICT_CHK,
	  "NETLINK_GET_STRICT_CHK" },
};

static struct sock *cpt_netlink_sk(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_NETLINK ? sock->sk : NULL;
}

/* ---- checkpoint ---- */

static int cpt_netlink_claim(unsigned int fd, struct file *file)
{
	struct sock *sk;

	if (!S_ISSOCK(file_inode(file)->i_mode))
		return 0;
	sk = cpt_netlink_sk(file);
	if (!sk)
		return 0;
	if (!cpt_netlink_protocol_name(sk->sk_protocol)) {
		cpt_note("fd %u: netlink socket of protocol %u is not supported\n", fd,
			 sk->sk_protocol);
		return -EOPNOTSUPP;
	}
	if (!net_eq(sock_net(sk), current->nsproxy->net_ns))
		return cpt_refuse(fd, "a socket of another network namespace");
	return CPT_PB_FILE_KIND_NETLINK;
}

/* The bytes of the messages sk has yet to read. */
static u64 cpt_netlink_unread(struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	struct sk_buff *skb;
	u64 bytes = 0;

	spin_lock_bh(&q->lock);
	skb_queue_walk(q, skb)
		bytes += skb->len;
	spin_unlock_bh(&q->lock);
	return bytes;
}

/*
 * The groups the socket listens to, above 32 too, as
 * getsockopt(NETLINK_LIST_MEMBERSHIPS) gives them (under the netlink
 * table's lock), through the checkpointer's memory: a page, room for
 * more groups than any protocol has.
 */
static int cpt_netlink_save_groups(struct cpt_pb_buf *msg, unsigned int fd, struct socket *sock)
{
	int room = PAGE_SIZE - sizeof(int), len = room, ret;
	struct cpt_ubuf ub = {};
	unsigned long bit;
	u32 *words;

	words = kzalloc(PAGE_SIZE, GFP_KERNEL);
	ret = words ? cpt_ubuf_get(&ub, PAGE_SIZE) : -ENOMEM;
	if (ret)
		goto out;
	if (put_user(len, (int __user *)ub.addr)) {
		ret = -EFAULT;
		goto out;
	}
	ret = sock->ops->getsockopt(sock, SOL_NETLINK, NETLINK_LIST_MEMBERSHIPS,
				    (char __user *)ub.addr + sizeof(int), (int __user *)ub.addr);
	if (!ret && get_user(len, (int __user *)ub.addr))
		ret = -EFAULT;
	if (!ret && (len < 0 || len > room))
		ret = -EFBIG;
	if (!ret && copy_from_user(words, (void __user *)ub.addr + sizeof(int), len))
		ret = -EFAULT;
	if (ret) {
		cpt_note("fd %u: cannot read the netlink groups it listens to: %d\n", fd, ret);
		goto out;
	}
	for (bit = 0; bit < (unsigned long)len * 8; bit++) {
		if (!(words[bit / 32] & BIT(bit % 32)))
			continue;
		/* Beyond what a restart takes: refused, naming the group. */
		if (bit >= CPT_NETLINK_MAX_GROUPS) {
			cpt_note("fd %u: netlink socket in group %lu (above %u) is not supported\n",
				 fd, bit + 1, CPT_NETLINK_MAX_GROUPS);
			ret = -EOPNOTSUPP;
			break;
		}
		cpt_pb_varint(msg, CPT_PB_NETLINK_SOCKET_GROUPS, bit + 1);
	}
out:
	cpt_ubuf_put(&ub);
	kfree(words);
	return ret;
}

static int cpt_netlink_refuse(unsigned int fd, struct sock *sk)
{
	struct cpt_netlink_state st;
	u64 unread;

	cpt_compat_netlink_state(sk, &st);
	if (st.kernel)
		return cpt_refuse(fd, "a kernel netlink socket");
	if (st.dumping)
		return cpt_refuse(fd, CPT_NETLINK_DUMPING);
	unread = cpt_netlink_unread(sk);
	if (unread) {
		cpt_note("fd %u: netlink socket with %llu unread bytes is not supported\n", fd,
			 unread);
		return -EOPNOTSUPP;
	}
	if (READ_ONCE(sk->sk_err)) {
		cpt_note("fd %u: netlink socket with a pending error (%d) is not supported\n", fd,
			 READ_ONCE(sk->sk_err));
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cpt_netlink_save(struct cpt_file_save *fs)
{
	struct socket *sock = sock_from_file(fs->e->file);
	struct sock *sk = sock->sk;
	unsigned int fd = fs->e->fd;
	struct cpt_netlink_state st;
	struct sockaddr_nl addr;
	struct cpt_pb_buf msg;
	unsigned int i;
	int ret;

	ret = cpt_netlink_refuse(fd, sk);
	if (ret)
		return ret;
	cpt_compat_netlink_state(sk, &st);
	cpt_pb_init(&msg);
	cpt_pb_u64(&msg, CPT_PB_NETLINK_SOCKET_PROTOCOL, sk->sk_protocol);
	cpt_pb_u64(&msg, CPT_PB_NETLINK_SOCKET_TYPE, sk->sk_type);
	ret = kernel_getsockname(sock, (struct sockaddr *)&addr);
	if (ret >= 0) {
		cpt_pb_u64(&msg, CPT_PB_NETLINK_SOCKET_PORTID, addr.nl_pid);
		ret = cpt_netlink_save_groups(&msg, fd, sock);
	}
	if (!ret && READ_ONCE(sk->sk_state) == NETLINK_CONNECTED) {
		ret = kernel_getpeername(sock, (struct sockaddr *)&addr);
		if (ret >= 0) {
			ret = 0;
			cpt_pb_u64(&msg, CPT_PB_NETLINK_SOCKET_CONNECTED, 1);
			cpt_pb_u64(&msg, CPT_PB_NETLINK_SOCKET_DST_PORTID, addr.nl_pid);
			cpt_pb_u64(&msg, CPT_PB_NETLINK_SOCKET_DST_GROUP, ffs(addr.nl_groups));
		}
	}
	for (i = 0; i < ARRAY_SIZE(cpt_netlink_opts); i++)
		cpt_pb_u64(&msg, cpt_netlink_opts[i].field,
			   !!(st.opts & BIT(cpt_netlink_opts[i].name)));
	if (!ret)
		ret = msg.err ?: cpt_sock_opts_save(fs->one, fd, sk, CPT_SOCK_OPTS_ALL);
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	cpt_pb_message(fs->one, CPT_PB_FILE_NETLINK, &msg);
	return 0;
}

/* ---- restart ---- */

static void cpt_netlink_decode_group(struct cpt_rfile_netlink *nl, struct cpt_pb_reader *r,
				     const struct cpt_pb_field *f)
{
	u32 group;

	if (!cpt_pb_read_u32(r, f, &group))
		return;
	/* Increasing, as saved: once each. */
	if (group <= nl->last_group || group > CPT_NETLINK_MAX_GROUPS) {
		cpt_pb_fail(r, -EBADMSG);
		return;
	}
	nl->last_group = group;
	__set_bit(group - 1, nl->groups);
}

static int cpt_netlink_decode_msg(struct cpt_rfile_netlink *nl, const struct cpt_pb_field *pf)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i;
	bool on;

	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_NETLINK_SOCKET_PROTOCOL:
			cpt_pb_read_u32(&r, &f, &nl->protocol);
			break;
		case CPT_PB_NETLINK_SOCKET_TYPE:
			cpt_pb_read_u32(&r, &f, &nl->type);
			break;
		case CPT_PB_NETLINK_SOCKET_PORTID:
			cpt_pb_read_u32(&r, &f, &nl->portid);
			break;
		case CPT_PB_NETLINK_SOCKET_GROUPS:
			cpt_netlink_decode_group(nl, &r, &f);
			break;
		case CPT_PB_NETLINK_SOCKET_CONNECTED:
			cpt_pb_read_bool(&r, &f, &nl->connected);
			break;
		case CPT_PB_NETLINK_SOCKET_DST_PORTID:
			cpt_pb_read_u32(&r, &f, &nl->dst_portid);
			break;
		case CPT_PB_NETLINK_SOCKET_DST_GROUP:
			cpt_pb_read_u32(&r, &f, &nl->dst_group);
			break;
		default:
			for (i = 0; i < ARRAY_SIZE(cpt_netlink_opts); i++)
				if (f.num == cpt_netlink_opts[i].field &&
				    cpt_pb_read_bool(&r, &f, &on) && on)
					nl->opts |= BIT(i);
			break;
		}
	}
	nl->present = true;
	return cpt_pb_end(&r);
}

static int cpt_netlink_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (f->num == CPT_PB_FILE_SOCKET_OPTIONS)
		return cpt_sock_opts_decode(&rfile->netlink.sock_opts, f);
	if (f->num != CPT_PB_FILE_NETLINK)
		return CPT_FILE_FOREIGN;
	return cpt_netlink_decode_msg(&rfile->netlink, f);
}

static int cpt_netlink_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_netlink *nl = &rfile->netlink;

	if ((rfile->mode & S_IFMT) != S_IFSOCK)
		*bad = "mode";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (!nl->present || !cpt_netlink_protocol_name(nl->protocol) ||
		 (nl->type != SOCK_RAW && nl->type != SOCK_DGRAM))
		*bad = "netlink socket protocol or type";
	else if (nl->connected ? !nl->portid || nl->dst_group > 32 :
		 nl->dst_portid || nl->dst_group)
		*bad = "netlink socket peer";
	else if (!cpt_sock_opts_valid(&nl->sock_opts, CPT_SOCK_OPTS_ALL))
		*bad = "socket option";
	return *bad ? -EBADMSG : 0;
}

static int cpt_netlink_bind(struct cpt_sock_restore *sr, const struct cpt_rfile_netlink *nl)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK, .nl_pid = nl->portid,
		.nl_groups = (u32)nl->groups[0],
	};
	struct sockaddr_nl now;
	long ret;

	if (copy_to_user((void __user *)sr->ub.addr, &addr, sizeof(addr)))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_bind, sr->fd, sr->ub.addr, sizeof(addr), 0, 0);
	if (ret) {
		cpt_note("fd %u: cannot bind its %s to port id %u (groups %#x) again: %s (%ld)\n",
			 sr->rfile->fd, "netlink socket", nl->portid, addr.nl_groups,
			 ret == -EADDRINUSE ? "taken by another socket" :
			 ret == -EPERM ? "the restarting caller may not listen to those groups" :
			 "bind() refused it", ret);
		return ret;
	}
	/* bind() leaves out the groups beyond the protocol's: none may be. */
	ret = kernel_getsockname(sr->sk->sk_socket, (struct sockaddr *)&now);
	if (ret >= 0 && (now.nl_pid != addr.nl_pid || now.nl_groups != addr.nl_groups)) {
		cpt_note("fd %u: its %s came back on port id %u, groups %#x, not %u, %#x\n",
			 sr->rfile->fd, "netlink socket", now.nl_pid, now.nl_groups, addr.nl_pid,
			 addr.nl_groups);
		return -EINVAL;
	}
	return ret < 0 ? ret : 0;
}

static int cpt_netlink_connect(struct cpt_sock_restore *sr, const struct cpt_rfile_netlink *nl)
{
	struct sockaddr_nl addr = {
		.nl_family = AF_NETLINK, .nl_pid = nl->dst_portid,
		.nl_groups = nl->dst_group ? BIT(nl->dst_group - 1) : 0,
	};
	long ret;

	if (copy_to_user((void __user *)sr->ub.addr, &addr, sizeof(addr)))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_connect, sr->fd, sr->ub.addr, sizeof(addr), 0, 0);
	if (ret)
		cpt_note("fd %u: cannot connect its %s to port id %u, group %u again: %ld\n",
			 sr->rfile->fd, "netlink socket", nl->dst_portid, nl->dst_group, ret);
	return ret;
}

static int cpt_netlink_set_opts(struct cpt_sock_restore *sr, const struct cpt_rfile_netlink *nl)
{
	unsigned int i;
	int ret, on = 1;

	for (i = 0; i < ARRAY_SIZE(cpt_netlink_opts); i++) {
		if (!(nl->opts & BIT(i)))
			continue;
		ret = cpt_sock_setsockopt(sr, SOL_NETLINK, cpt_netlink_opts[i].name, &on,
					  sizeof(on));
		if (ret)
			return cpt_sock_opt_refused(sr, cpt_netlink_opts[i].what, on, ret);
	}
	return cpt_sock_opts_restore(sr, &nl->sock_opts);
}

/* The groups bind() does not join: above 32, or all of them if it is not bound. */
static int cpt_netlink_join(struct cpt_sock_restore *sr, const struct cpt_rfile_netlink *nl)
{
	unsigned int group;
	int ret;

	for_each_set_bit(group, nl->groups, CPT_NETLINK_MAX_GROUPS) {
		if (nl->portid && group < 32)
			continue;
		ret = cpt_sock_setsockopt(sr, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP,
					  &(int){ group + 1 }, sizeof(int));
		if (ret) {
			cpt_note("fd %u: cannot listen to netlink group %u again: %d\n",
				 sr->rfile->fd, group + 1, ret);
			return ret;
		}
	}
	return 0;
}

static int cpt_netlink_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_netlink *nl = &rfile->netlink;
	struct cpt_sock_restore sr = { .rfile = rfile, .fd = -1 };
	int ret;

	ret = cpt_sock_make(&sr, AF_NETLINK, nl->type, nl->protocol,
			    cpt_netlink_protocol_name(nl->protocol), NULL);
	if (!ret)
		ret = cpt_netlink_set_opts(&sr, nl);
	if (!ret && nl->portid)
		ret = cpt_netlink_bind(&sr, nl);
	if (!ret)
		ret = cpt_netlink_join(&sr, nl);
	if (!ret && nl->connected)
		ret = cpt_netlink_connect(&sr, nl);
	return cpt_sock_made(&sr, ret);
}

const struct cpt_file_ops cpt_file_netlink_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_netlink_claim,
	.save = cpt_netlink_save,
	.decode = cpt_netlink_decode,
	.check = cpt_netlink_check,
	.open = cpt_netlink_open,
};
