// SPDX-License-Identifier: GPL-2.0
/*
 * Packet sockets (AF_PACKET, SOCK_RAW and SOCK_DGRAM): saved with the
 * ethertype they receive, the interface they are bound to (by index, with
 * its name), their PACKET_ADD_MEMBERSHIP list and their options
 * (PACKET_VERSION, PACKET_AUXDATA, PACKET_ORIGDEV, PACKET_VNET_HDR,
 * PACKET_LOSS, PACKET_RESERVE, PACKET_TIMESTAMP, PACKET_COPY_THRESH), as
 * the kernel's packet_diag reports them through a NETLINK_SOCK_DIAG
 * socket made here (the uapi of <linux/packet_diag.h>, CRIU's way: struct
 * packet_sock is private); socket-level options as cpt_sock.c saves them.
 * A checkpoint refuses, naming the fd: a mapped ring (PACKET_RX_RING,
 * PACKET_TX_RING), a fanout group (PACKET_FANOUT), packets queued, a
 * pending error, PACKET_TX_HAS_OFF, PACKET_QDISC_BYPASS and
 * PACKET_IGNORE_OUTGOING, an eBPF socket filter, the legacy SOCK_PACKET,
 * an interface that is gone, a socket of another network namespace.
 *
 * A restart makes it with socket(AF_PACKET, type, 0), its options,
 * memberships and bind() to its ethertype and interface in the restoring
 * task, as the restarting caller: socket() needs CAP_NET_RAW, as it did
 * for the program. An interface it names that is gone, or has another
 * name, fails the restart, naming the fd and the interface.
 */
#include <linux/file.h>
#include <linux/if_packet.h>
#include <linux/net.h>
#include <linux/netdevice.h>
#include <linux/netlink.h>
#include <linux/nsproxy.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>
#include <linux/uaccess.h>
#include <linux/uio.h>
#include <net/net_namespace.h>
#include <net/sock.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_sock.h"
#include "cpt_symbols.h"

/* The most memberships, and additions of one, a File may hold. */
#define CPT_PACKET_TOO_MANY "packet socket with a membership added more than 64 times"
#define CPT_PACKET_MAX_MEMBERSHIPS 64
#define CPT_PACKET_MAX_COUNT 64

static struct sock *cpt_packet_sk(struct file *file)
{
	struct socket *sock = sock_from_file(file);

	return sock && sock->sk && sock->sk->sk_family == AF_PACKET ? sock->sk : NULL;
}

/* ---- checkpoint ---- */

static int cpt_packet_claim(unsigned int fd, struct file *file)
{
	struct sock *sk;

	if (!S_ISSOCK(file_inode(file)->i_mode))
		return 0;
	sk = cpt_packet_sk(file);
	if (!sk)
		return 0;
	if (sk->sk_type != SOCK_RAW && sk->sk_type != SOCK_DGRAM)
		return cpt_refuse(fd, "a SOCK_PACKET socket");
	if (!net_eq(sock_net(sk), current->nsproxy->net_ns))
		return cpt_refuse(fd, "a socket of another network namespace");
	return CPT_PB_FILE_KIND_PACKET;
}

/* What packet_diag says of one socket. */
struct cpt_packet_diag {
	bool found;
	u32 num;
	struct packet_diag_info info;
	bool rx_ring, tx_ring;
	u32 fanout;
	const struct packet_diag_mclist *mc;	/* into the reply */
	unsigned int nr_mc;
};

/* The attributes of sk's reply, in d. */
static void cpt_packet_diag_attrs(const struct nlmsghdr *nlh, struct cpt_packet_diag *d)
{
	const struct packet_diag_msg *m = nlmsg_data(nlh);
	const struct nlattr *nla;
	int rem;

	d->found = true;
	d->num = m->pdiag_num;
	nla_for_each_attr(nla, (void *)(m + 1), nlmsg_len(nlh) - NLMSG_ALIGN(sizeof(*m)), rem) {
		switch (nla_type(nla)) {
		case PACKET_DIAG_INFO:
			if (nla_len(nla) >= sizeof(d->info))
				memcpy(&d->info, nla_data(nla), sizeof(d->info));
			break;
		case PACKET_DIAG_MCLIST:
			d->mc = nla_data(nla);
			d->nr_mc = nla_len(nla) / sizeof(*d->mc);
			break;
		case PACKET_DIAG_RX_RING:
			d->rx_ring = true;
			break;
		case PACKET_DIAG_TX_RING:
			d->tx_ring = true;
			break;
		case PACKET_DIAG_FANOUT:
			if (nla_len(nla) >= sizeof(u32))
				d->fanout = nla_get_u32(nla);
			break;
		}
	}
}

/*
 * Asks packet_diag about every packet socket of sk's network namespace
 * and keeps sk's answer (in buf, which d points into). -ENOENT if none
 * came (packet_diag not loadable).
 */
static int cpt_packet_diag(unsigned int fd, struct sock *sk, void *buf, size_t size,
			   struct cpt_packet_diag *d)
{
	struct {
		struct nlmsghdr nlh;
		struct packet_diag_req r;
	} req = {
		.nlh = {
			.nlmsg_len = sizeof(req), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1,
		},
		.r = {
			.sdiag_family = AF_PACKET,
			.pdiag_show = PACKET_SHOW_INFO | PACKET_SHOW_MCLIST | PACKET_SHOW_RING_CFG |
				      PACKET_SHOW_FANOUT,
		},
	};
	unsigned long ino = sock_i_ino(sk);
	struct kvec iov = { .iov_base = &req, .iov_len = sizeof(req) };
	struct msghdr msg = {};
	const struct nlmsghdr *nlh;
	struct socket *nl;
	struct file *file;
	bool done = false;
	int ret, len;

	memset(d, 0, sizeof(*d));
	ret = sock_create_kern(sock_net(sk), AF_NETLINK, SOCK_RAW, NETLINK_SOCK_DIAG, &nl);
	if (ret)
		goto out_note;
	/*
	 * With a file, the checkpointer's: packet_diag asks the requester's
	 * file for CAP_NET_ADMIN (netlink_net_capable()), which a socket
	 * made in the kernel has none of.
	 */
	file = sock_alloc_file(nl, 0, NULL);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		goto out_note;
	}
	ret = kernel_sendmsg(nl, &msg, &iov, 1, sizeof(req));
	ret = ret == sizeof(req) ? 0 : ret < 0 ? ret : -EIO;
	while (!ret && !done) {
		iov = (struct kvec){ .iov_base = buf, .iov_len = size };
		memset(&msg, 0, sizeof(msg));
		len = kernel_recvmsg(nl, &msg, &iov, 1, size, MSG_DONTWAIT);
		if (len < 0 || (msg.msg_flags & MSG_TRUNC)) {
			ret = len < 0 ? len : -EMSGSIZE;
			break;
		}
		/* sk's message stays in buf: the ones after it are not read. */
		for (nlh = buf; !done && nlmsg_ok(nlh, len); nlh = nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type == NLMSG_DONE) {
				done = true;
			} else if (nlh->nlmsg_type == NLMSG_ERROR) {
				ret = ((struct nlmsgerr *)nlmsg_data(nlh))->error ?: -EIO;
				done = true;
			} else if (nlh->nlmsg_type == SOCK_DIAG_BY_FAMILY &&
				   nlmsg_len(nlh) >= sizeof(struct packet_diag_msg) &&
				   ((struct packet_diag_msg *)nlmsg_data(nlh))->pdiag_ino == ino) {
				cpt_packet_diag_attrs(nlh, d);
				done = true;
			}
		}
	}
	fput(file);
	if (!ret && !d->found)
		ret = -ENOENT;
	if (!ret)
		return 0;
out_note:
	cpt_note("fd %u: packet socket: packet_diag cannot report it (%d)%s\n", fd, ret,
		 ret == -ENOENT ? ": is the packet_diag module there?" : "");
	return ret;
}

/* The name of interface ifindex into name (IFNAMSIZ); false if it is gone. */
static bool cpt_packet_ifname(struct net *net, int ifindex, char *name)
{
	struct net_device *dev;

	*name = 0;
	rcu_read_lock();
	dev = dev_get_by_index_rcu(net, ifindex);
	if (dev)
		strscpy(name, dev->name, IFNAMSIZ);
	rcu_read_unlock();
	return dev;
}

/* Options packet_diag does not report, refused when set. */
static const struct {
	int name;
	const char *what;
} cpt_packet_unsaved[] = {
	{ PACKET_TX_HAS_OFF, "PACKET_TX_HAS_OFF" },
	{ PACKET_QDISC_BYPASS, "PACKET_QDISC_BYPASS" },
	{ PACKET_IGNORE_OUTGOING, "PACKET_IGNORE_OUTGOING" },
};

static int cpt_packet_refuse(unsigned int fd, struct socket *sock, const struct cpt_packet_diag *d)
{
	struct sock *sk = sock->sk;
	unsigned int i, queued;
	int ret, val;

	if (d->rx_ring || d->tx_ring)
		return cpt_refuse(fd, d->rx_ring ?
				  "packet socket with a mapped ring (PACKET_RX_RING)" :
				  "packet socket with a mapped ring (PACKET_TX_RING)");
	if (d->fanout)
		return cpt_refuse(fd, "packet socket in a fanout group (PACKET_FANOUT)");
	queued = skb_queue_len_lockless(&sk->sk_receive_queue);
	if (queued) {
		cpt_note("fd %u: packet socket with %u packets queued is not supported\n", fd,
			 queued);
		return -EOPNOTSUPP;
	}
	if (READ_ONCE(sk->sk_err)) {
		cpt_note("fd %u: packet socket with a pending error (%d) is not supported\n", fd,
			 READ_ONCE(sk->sk_err));
		return -EOPNOTSUPP;
	}
	for (i = 0; i < ARRAY_SIZE(cpt_packet_unsaved); i++) {
		ret = cpt_sock_getsockopt_int(sock, SOL_PACKET, cpt_packet_unsaved[i].name, &val);
		if (ret)
			return ret;
		if (val) {
			cpt_note("fd %u: socket option %s is not supported\n", fd,
				 cpt_packet_unsaved[i].what);
			return -EOPNOTSUPP;
		}
	}
	return 0;
}

static int cpt_packet_save_memberships(struct cpt_pb_buf *msg, unsigned int fd, struct sock *sk,
				       const struct cpt_packet_diag *d)
{
	const struct packet_diag_mclist *mc;
	char name[IFNAMSIZ];
	struct cpt_pb_buf one;
	unsigned int i;

	if (d->nr_mc > CPT_PACKET_MAX_MEMBERSHIPS)
		return cpt_refuse(fd, "packet socket with more than 64 memberships");
	for (i = 0; i < d->nr_mc; i++) {
		mc = &d->mc[i];
		if (mc->pdmc_alen > sizeof(mc->pdmc_addr) || !mc->pdmc_count ||
		    mc->pdmc_count > CPT_PACKET_MAX_COUNT)
			return cpt_refuse(fd, CPT_PACKET_TOO_MANY);
		if (!cpt_packet_ifname(sock_net(sk), mc->pdmc_index, name)) {
			cpt_note("fd %u: packet socket: %s (index %u) is gone\n", fd,
				 "the interface of its membership", mc->pdmc_index);
			return -ENODEV;
		}
		cpt_pb_init(&one);
		cpt_pb_u64(&one, CPT_PB_PACKET_MEMBERSHIP_IFINDEX, mc->pdmc_index);
		cpt_pb_string(&one, CPT_PB_PACKET_MEMBERSHIP_IFNAME, name);
		cpt_pb_u64(&one, CPT_PB_PACKET_MEMBERSHIP_TYPE, mc->pdmc_type);
		if (mc->pdmc_alen)
			cpt_pb_bytes(&one, CPT_PB_PACKET_MEMBERSHIP_ADDRESS, mc->pdmc_addr,
				     mc->pdmc_alen);
		cpt_pb_u64(&one, CPT_PB_PACKET_MEMBERSHIP_COUNT, mc->pdmc_count);
		cpt_pb_message(msg, CPT_PB_PACKET_SOCKET_MEMBERSHIPS, &one);
	}
	return 0;
}

/* The reply packet_diag gives: room for its first message, and more. */
#define CPT_PACKET_DIAG_BUF (32U << 10)

static int cpt_packet_save(struct cpt_file_save *fs)
{
	struct socket *sock = sock_from_file(fs->e->file);
	struct sock *sk = sock->sk;
	unsigned int fd = fs->e->fd;
	const struct packet_diag_info *info;
	struct cpt_packet_diag d;
	char name[IFNAMSIZ];
	struct cpt_pb_buf msg;
	void *buf;
	int ret;

	buf = kvmalloc(CPT_PACKET_DIAG_BUF, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = cpt_packet_diag(fd, sk, buf, CPT_PACKET_DIAG_BUF, &d) ?:
	      cpt_packet_refuse(fd, sock, &d);
	if (ret)
		goto out;
	info = &d.info;
	cpt_pb_init(&msg);
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_TYPE, sk->sk_type);
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_PROTOCOL, d.num);
	if (info->pdi_index) {
		/* -1: its interface went away (packet_notifier()). */
		if ((int)info->pdi_index < 0 ||
		    !cpt_packet_ifname(sock_net(sk), info->pdi_index, name)) {
			ret = cpt_refuse(fd, "packet socket bound to an interface that is gone");
			goto out_msg;
		}
		cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_IFINDEX, info->pdi_index);
		cpt_pb_string(&msg, CPT_PB_PACKET_SOCKET_IFNAME, name);
	}
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_VERSION, info->pdi_version);
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_AUXDATA, !!(info->pdi_flags & PDI_AUXDATA));
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_ORIGDEV, !!(info->pdi_flags & PDI_ORIGDEV));
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_VNET_HDR, !!(info->pdi_flags & PDI_VNETHDR));
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_LOSS, !!(info->pdi_flags & PDI_LOSS));
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_RESERVE, info->pdi_reserve);
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_TIMESTAMP, info->pdi_tstamp);
	cpt_pb_u64(&msg, CPT_PB_PACKET_SOCKET_COPY_THRESH, info->pdi_copy_thresh);
	ret = cpt_packet_save_memberships(&msg, fd, sk, &d) ?: msg.err ?:
	      cpt_sock_opts_save(fs->one, fd, sk, CPT_SOCK_OPTS_ALL);
out_msg:
	if (ret)
		cpt_pb_free(&msg);
	else
		cpt_pb_message(fs->one, CPT_PB_FILE_PACKET, &msg);
out:
	kvfree(buf);
	return ret;
}

/* ---- restart ---- */

/* PACKET_ADD_MEMBERSHIP's argument with room for any address (af_packet.c's packet_mreq_max). */
struct cpt_packet_mreq {
	int mr_ifindex;
	unsigned short mr_type;
	unsigned short mr_alen;
	unsigned char mr_address[MAX_ADDR_LEN];
};

/* A PacketMembership, decoded; address points into the record. */
struct cpt_packet_mship {
	u32 ifindex, type, count;
	char ifname[IFNAMSIZ];
	const u8 *address;
	size_t alen;
};

static int cpt_packet_decode_mship(const struct cpt_pb_field *pf, struct cpt_packet_mship *m)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	memset(m, 0, sizeof(*m));
	cpt_pb_for_each_subfield(&r, pf, &f) {
		switch (f.num) {
		case CPT_PB_PACKET_MEMBERSHIP_IFINDEX:
			cpt_pb_read_u32(&r, &f, &m->ifindex);
			break;
		case CPT_PB_PACKET_MEMBERSHIP_IFNAME:
			cpt_pb_read_string(&r, &f, m->ifname, sizeof(m->ifname));
			break;
		case CPT_PB_PACKET_MEMBERSHIP_TYPE:
			cpt_pb_read_u32(&r, &f, &m->type);
			break;
		case CPT_PB_PACKET_MEMBERSHIP_ADDRESS:
			cpt_pb_read_bytes(&r, &f, &m->address, &m->alen);
			break;
		case CPT_PB_PACKET_MEMBERSHIP_COUNT:
			cpt_pb_read_u32(&r, &f, &m->count);
			break;
		}
	}
	if (cpt_pb_end(&r))
		return cpt_pb_end(&r);
	if (!m->ifindex || !*m->ifname || m->type > PACKET_MR_UNICAST || !m->count ||
	    m->count > CPT_PACKET_MAX_COUNT || m->alen > MAX_ADDR_LEN)
		return -EBADMSG;
	return 0;
}

static int cpt_packet_decode_msg(struct cpt_rfile_packet *pk, const struct cpt_pb_field *pf)
{
	struct cpt_packet_mship m;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	static const struct {
		u32 field;
		size_t offset;
	} words[] = {
#define CPT_PACKET_WORD(name, member) \
		{ CPT_PB_PACKET_SOCKET_##name, offsetof(struct cpt_rfile_packet, member) }
		CPT_PACKET_WORD(TYPE, type), CPT_PACKET_WORD(PROTOCOL, protocol),
		CPT_PACKET_WORD(IFINDEX, ifindex), CPT_PACKET_WORD(VERSION, version),
		CPT_PACKET_WORD(RESERVE, reserve), CPT_PACKET_WORD(TIMESTAMP, timestamp),
		CPT_PACKET_WORD(COPY_THRESH, copy_thresh),
#undef CPT_PACKET_WORD
	};
	unsigned int i;
	bool on;

	pk->msg = *pf;
	cpt_pb_for_each_subfield(&r, pf, &f) {
		for (i = 0; i < ARRAY_SIZE(words) && words[i].field != f.num; i++)
			;
		if (i < ARRAY_SIZE(words)) {
			cpt_pb_read_u32(&r, &f, (u32 *)((u8 *)pk + words[i].offset));
			continue;
		}
		switch (f.num) {
		case CPT_PB_PACKET_SOCKET_IFNAME:
			cpt_pb_read_string(&r, &f, pk->ifname, sizeof(pk->ifname));
			break;
		case CPT_PB_PACKET_SOCKET_AUXDATA:
		case CPT_PB_PACKET_SOCKET_ORIGDEV:
		case CPT_PB_PACKET_SOCKET_VNET_HDR:
		case CPT_PB_PACKET_SOCKET_LOSS:
			if (cpt_pb_read_bool(&r, &f, &on) && on)
				pk->flags |= BIT(f.num);
			break;
		case CPT_PB_PACKET_SOCKET_MEMBERSHIPS:
			if (cpt_packet_decode_mship(&f, &m) ||
			    ++pk->nr_mships > CPT_PACKET_MAX_MEMBERSHIPS)
				cpt_pb_fail(&r, -EBADMSG);
			break;
		}
	}
	pk->present = true;
	return cpt_pb_end(&r);
}

static int cpt_packet_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (f->num == CPT_PB_FILE_SOCKET_OPTIONS)
		return cpt_sock_opts_decode(&rfile->packet.sock_opts, f);
	if (f->num != CPT_PB_FILE_PACKET)
		return CPT_FILE_FOREIGN;
	return cpt_packet_decode_msg(&rfile->packet, f);
}

static int cpt_packet_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_packet *pk = &rfile->packet;

	if ((rfile->mode & S_IFMT) != S_IFSOCK)
		*bad = "mode";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (!pk->present || (pk->type != SOCK_RAW && pk->type != SOCK_DGRAM) ||
		 pk->protocol > U16_MAX)
		*bad = "packet socket type or protocol";
	else if (pk->ifindex > INT_MAX || !pk->ifindex != !*pk->ifname)
		*bad = "packet socket interface";
	else if (pk->version > TPACKET_V3 || pk->reserve > INT_MAX || pk->copy_thresh > INT_MAX ||
		 ((pk->flags & BIT(CPT_PB_PACKET_SOCKET_VNET_HDR)) && pk->type != SOCK_RAW) ||
		 !cpt_sock_opts_valid(&pk->sock_opts, CPT_SOCK_OPTS_ALL))
		*bad = "packet socket option";
	return *bad ? -EBADMSG : 0;
}

/* Interface ifindex of the restoring task's network namespace is ifname still. */
static int cpt_packet_same_if(struct cpt_sock_restore *sr, u32 ifindex, const char *ifname)
{
	char now[IFNAMSIZ];

	if (cpt_packet_ifname(current->nsproxy->net_ns, ifindex, now) && !strcmp(now, ifname))
		return 0;
	cpt_note("fd %u: packet socket: interface %s (index %u) is %s%s\n", sr->rfile->fd, ifname,
		 ifindex, *now ? "named " : "gone", now);
	return -ENODEV;
}

static int cpt_packet_set_opts(struct cpt_sock_restore *sr, const struct cpt_rfile_packet *pk)
{
	const struct {
		int name;
		u32 val;
		const char *what;
	} opts[] = {
		{ PACKET_VERSION, pk->version, "PACKET_VERSION" },
		{ PACKET_RESERVE, pk->reserve, "PACKET_RESERVE" },
		{ PACKET_AUXDATA, !!(pk->flags & BIT(CPT_PB_PACKET_SOCKET_AUXDATA)),
		  "PACKET_AUXDATA" },
		{ PACKET_ORIGDEV, !!(pk->flags & BIT(CPT_PB_PACKET_SOCKET_ORIGDEV)),
		  "PACKET_ORIGDEV" },
		{ PACKET_VNET_HDR, !!(pk->flags & BIT(CPT_PB_PACKET_SOCKET_VNET_HDR)),
		  "PACKET_VNET_HDR" },
		{ PACKET_LOSS, !!(pk->flags & BIT(CPT_PB_PACKET_SOCKET_LOSS)), "PACKET_LOSS" },
		{ PACKET_TIMESTAMP, pk->timestamp, "PACKET_TIMESTAMP" },
		{ PACKET_COPY_THRESH, pk->copy_thresh, "PACKET_COPY_THRESH" },
	};
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(opts); i++) {
		if (!opts[i].val)
			continue;
		ret = cpt_sock_setsockopt(sr, SOL_PACKET, opts[i].name, &opts[i].val, sizeof(int));
		if (ret)
			return cpt_sock_opt_refused(sr, opts[i].what, opts[i].val, ret);
	}
	return cpt_sock_opts_restore(sr, &pk->sock_opts);
}

static int cpt_packet_add(struct cpt_sock_restore *sr, const struct cpt_packet_mreq *mreq)
{
	return cpt_sock_setsockopt(sr, SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq, sizeof(*mreq));
}

/* Each membership again, as many times as it was added; oldest first, as saved newest first. */
static int cpt_packet_join(struct cpt_sock_restore *sr, const struct cpt_rfile_packet *pk)
{
	struct cpt_packet_mship m;
	struct cpt_packet_mreq mreq;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i, skip, n;
	int ret = 0;

	for (n = pk->nr_mships; !ret && n; n--) {
		skip = n - 1;
		cpt_pb_for_each_subfield(&r, &pk->msg, &f) {
			if (f.num != CPT_PB_PACKET_SOCKET_MEMBERSHIPS || skip--)
				continue;
			/* Checked when decoded. */
			ret = cpt_packet_decode_mship(&f, &m) ?:
			      cpt_packet_same_if(sr, m.ifindex, m.ifname);
			memset(&mreq, 0, sizeof(mreq));
			mreq.mr_ifindex = m.ifindex;
			mreq.mr_type = m.type;
			mreq.mr_alen = m.alen;
			if (m.alen)
				memcpy(mreq.mr_address, m.address, m.alen);
			for (i = 0; !ret && i < m.count; i++)
				ret = cpt_packet_add(sr, &mreq);
			if (ret)
				cpt_note("fd %u: cannot add its %s of type %u on %s again: %d\n",
					 sr->rfile->fd, "packet membership", m.type, m.ifname, ret);
			break;
		}
		if (!ret)
			ret = cpt_pb_end(&r);
	}
	return ret;
}

static int cpt_packet_bind(struct cpt_sock_restore *sr, const struct cpt_rfile_packet *pk)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET, .sll_protocol = htons(pk->protocol),
		.sll_ifindex = pk->ifindex,
	};
	long ret;

	if (copy_to_user((void __user *)sr->ub.addr, &sll, sizeof(sll)))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_bind, sr->fd, sr->ub.addr, sizeof(sll), 0, 0);
	if (ret)
		cpt_note("fd %u: cannot bind its packet socket to ethertype %#x on %s again: %ld\n",
			 sr->rfile->fd, pk->protocol, pk->ifindex ? pk->ifname : "every interface",
			 ret);
	return ret;
}

/* Why socket() refused the restarting caller, where the kernel's check says. */
static const char *cpt_packet_socket_hint(const struct cpt_rfile *rfile, long err)
{
	return err == -EPERM ? " (a packet socket needs CAP_NET_RAW)" : "";
}

static int cpt_packet_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_rfile_packet *pk = &rfile->packet;
	struct cpt_sock_restore sr = { .rfile = rfile, .fd = -1 };
	int ret;

	ret = cpt_sock_make(&sr, AF_PACKET, pk->type, 0, "packet", cpt_packet_socket_hint);
	if (!ret && pk->ifindex)
		ret = cpt_packet_same_if(&sr, pk->ifindex, pk->ifname);
	if (!ret)
		ret = cpt_packet_set_opts(&sr, pk);
	if (!ret)
		ret = cpt_packet_join(&sr, pk);
	if (!ret && (pk->protocol || pk->ifindex))
		ret = cpt_packet_bind(&sr, pk);
	return cpt_sock_made(&sr, ret);
}

const struct cpt_file_ops cpt_file_packet_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_packet_claim,
	.save = cpt_packet_save,
	.decode = cpt_packet_decode,
	.check = cpt_packet_check,
	.open = cpt_packet_open,
};
