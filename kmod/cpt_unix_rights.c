// SPDX-License-Identifier: GPL-2.0
/*
 * Files in flight in the messages queued in a unix socket (SCM_RIGHTS):
 * taken at a checkpoint (each saved as a File of the tree, carried by its
 * message), checked at restart, and sent again with their message, as
 * sendmsg() sends them.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/un.h>
#include <linux/xarray.h>
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

/*
 * Appends the files the messages queued in sk carry to *files (*nr of
 * them), each held: at most CPT_UNIX_MAX_IN_FLIGHT in all (more are
 * refused when its File is saved, cpt_encode_unix_queue()).
 */
static int cpt_unix_take_queue_files(struct sock *sk, struct file ***files, unsigned int *nr)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int total = 0, i = 0, n;
	struct file **more, **to;
	struct sk_buff *skb;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb)
		total += cpt_compat_skb_files(skb, NULL, 0);
	spin_unlock(&q->lock);
	if (!total || total > CPT_UNIX_MAX_IN_FLIGHT - *nr)
		return 0;
	more = kvmalloc_array(*nr + total, sizeof(*more), GFP_KERNEL);
	if (!more)
		return -ENOMEM;
	if (*nr)
		memcpy(more, *files, *nr * sizeof(*more));
	kvfree(*files);
	*files = more;
	to = more + *nr;
	/*
	 * The tree is frozen, the queue holds still. Each file holds the
	 * list's reference until the skb goes, which the lock keeps here; the
	 * socket has an fd of the tree (or is a connection its listener, which
	 * has one, holds), so no message it queues is garbage af_unix's
	 * collector could be freeing meanwhile (as a MSG_PEEK reads them,
	 * unix_peek_fds()).
	 */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		n = cpt_compat_skb_files(skb, to + i, total - i);
		if (n > total - i)
			break;
		i += n;
	}
	for (n = 0; n < i; n++)
		get_file(to[n]);
	spin_unlock(&q->lock);
	*nr += i;
	return 0;
}

/*
 * The files in flight in a unix socket's queue, or in a listener's
 * connections not accepted yet, each held, in *files (*nr of them; none:
 * nothing allocated).
 */
int cpt_unix_files_in_flight(struct file *file, struct file ***files, unsigned int *nr)
{
	struct socket *sock = sock_from_file(file);
	struct sock **embryos;
	unsigned int i, nr_embryos;
	int ret = 0;

	*nr = 0;
	*files = NULL;
	if (!sock || !sock->sk || sock->sk->sk_family != AF_UNIX)
		return 0;
	if (READ_ONCE(sock->sk->sk_state) != TCP_LISTEN) {
		if (cpt_unix_carries_files(sock->sk))
			ret = cpt_unix_take_queue_files(sock->sk, files, nr);
	} else {
		embryos = cpt_unix_hold_embryos(sock->sk, &nr_embryos);
		/* Too many: refused when the listener is saved. */
		if (IS_ERR(embryos))
			return PTR_ERR(embryos) == -EFBIG ? 0 : PTR_ERR(embryos);
		for (i = 0; !ret && i < nr_embryos; i++)
			if (cpt_unix_carries_files(embryos[i]))
				ret = cpt_unix_take_queue_files(embryos[i], files, nr);
		cpt_unix_put_embryos(embryos, nr_embryos);
	}
	if (ret)
		for (i = 0; i < *nr; i++)
			fput((*files)[i]);
	if (ret || !*nr) {
		kvfree(*files);
		*nr = 0;
	}
	return ret;
}

/*
 * The files each message carries (SCM_RIGHTS), as their Files' ids, one
 * UnixInflightFds per message in field fds_field, in order; files[] holds
 * them back to back, nr_fds[] how many each message has. A socket in flight
 * itself carrying files is refused: af_unix's garbage collector owns such
 * graphs (and their cycles), which a restart would have to build again.
 */
int cpt_unix_save_message_fds(struct cpt_file_save *fs, struct cpt_pb_buf *one,
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
		/*
		 * A file the tree's scan did not see: its message came after
		 * it, from outside the tree (a bound datagram socket's sender).
		 */
		if (ret == -EAGAIN)
			cpt_note("fd %u: %s\n", fs->e->fd,
				 "a message with files (SCM_RIGHTS) arrived in its queue during the checkpoint, try again");
		if (ret)
			cpt_pb_free(&ids);
		else
			cpt_pb_message(one, fds_field, &ids);
	}
	return ret;
}

/*
 * A message's files in flight (UnixInflightFds), checked: their File ids,
 * at most SCM_MAX_FD of them, in ids (if not NULL). Returns how many, or
 * an errno.
 */
int cpt_unix_decode_fds(const struct cpt_pb_field *pf, u32 *ids)
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

/* The most a saved message's control messages take: its credentials, and SCM_MAX_FD fds. */
#define CPT_UNIX_CONTROL_MAX (CMSG_SPACE(sizeof(struct ucred)) + \
			      CMSG_SPACE(SCM_MAX_FD * sizeof(int)))

/*
 * Sends a saved message again from sock with the files it carries, as
 * sendmsg() with SCM_RIGHTS (after its credentials, as cpt_unix_send()
 * gives them): each file at an fd of the restoring task for the call
 * (scm_fp_copy() takes them from there). The fds are those of a table of
 * the module's own (cpt_compat_own_fds_enter()), which no other task
 * shares: the message carries exactly the image's files, whatever the
 * task's other threads do to its table, and the fds go with that table
 * after the call. The kernel's checks and accounting apply: af_unix
 * counts them in flight for the restarting caller's user, within its
 * RLIMIT_NOFILE (too_many_unix_fds(): ETOOMANYREFS), and its collector
 * sees them.
 */
int cpt_unix_send_files(struct socket *from, struct msghdr *msg,
			const struct cpt_pb_field *data, const struct ucred *uc,
			struct file **files, unsigned int nr)
{
	struct kvec vec = { .iov_base = (void *)data->data, .iov_len = data->len };
	struct cpt_unix_creds_cmsg *creds;
	struct files_struct *shared;
	struct cmsghdr *rights;
	int *fds, ret = 0;
	unsigned int i;
	void *control;

	control = kzalloc(CPT_UNIX_CONTROL_MAX, GFP_KERNEL);
	if (!control)
		return -ENOMEM;
	ret = cpt_compat_own_fds_enter(&shared);
	if (ret) {
		kfree(control);
		return ret;
	}
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
			fds[i] = ret;
			fd_install(ret, get_file(files[i]));
			ret = 0;
		}
	}
	if (!ret) {
		msg->msg_control = control;
		msg->msg_controllen = (void *)rights + CMSG_SPACE(nr * sizeof(int)) - control;
		ret = kernel_sendmsg(from, msg, &vec, 1, data->len);
	}
	/* The fds go with the table. */
	cpt_compat_own_fds_leave(shared);
	kfree(control);
	return ret;
}

/*
 * The files a message carries (fds, its UnixInflightFds), in c: this
 * record's Files, made, or an earlier process's. Returns how many.
 */
int cpt_unix_carried_files(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			   const struct cpt_pb_field *fds, struct cpt_unix_carried *c)
{
	struct cpt_rfile *carried;
	int nr, i;

	nr = cpt_unix_decode_fds(fds, c->ids);
	for (i = 0; i < nr; i++) {
		carried = cpt_rfile_by_id(rf, c->ids[i]);
		c->files[i] = carried ? carried->file : xa_load(&reg->restored, c->ids[i]);
		/* Checked by cpt_unix_check_carried(). */
		if (!c->files[i])
			return -EBADMSG;
	}
	return nr;
}

/*
 * The files the next message carries, from the next field fds_field after
 * fr's place (one per message, in order, or none at all), in c. Returns
 * how many.
 */
int cpt_unix_next_files(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			struct cpt_pb_reader *fr, u32 fds_field, struct cpt_unix_carried *c)
{
	struct cpt_pb_field f;

	while (cpt_pb_next_field(fr, &f))
		if (f.num == fds_field)
			return cpt_unix_carried_files(reg, rf, &f, c);
	return cpt_pb_end(fr) ?: -EBADMSG;
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

/* Why the files of one message (fds, a UnixInflightFds) cannot be carried, or NULL. */
const char *cpt_unix_carried_fds_bad(struct cpt_file_registry *reg,
				     const struct cpt_restore_files *rf,
				     const struct cpt_pb_field *fds, u32 *ids)
{
	const char *bad = NULL;
	int nr, i;

	nr = cpt_unix_decode_fds(fds, ids);
	for (i = 0; !bad && i < nr; i++)
		bad = cpt_unix_carried_bad(reg, rf, ids[i]);
	return bad;
}

/*
 * A socket whose messages carry files, checked (bad: why one cannot be,
 * or NULL): not in flight itself. Noted, for later records.
 */
int cpt_unix_carrier_checked(struct cpt_file_registry *reg, const struct cpt_rfile *rfile,
			     const char *bad)
{
	if (!bad && rfile->in_flight)
		bad = "is in flight and carries files";
	if (bad) {
		cpt_note("image: file %u: a queued message %s (SCM_RIGHTS)\n", rfile->id, bad);
		return -EBADMSG;
	}
	return xa_err(xa_store(&reg->fd_carriers, rfile->id, xa_mk_value(1), GFP_KERNEL_ACCOUNT));
}

/*
 * The files a pair end's messages carry, checked: each a File of this
 * record or an earlier process's; none carrying files itself (a socket in
 * flight with files in flight, refused at checkpoint: no cycle can be
 * made); the end itself not in flight.
 */
static int cpt_unix_check_carrier(struct cpt_file_registry *reg,
				  const struct cpt_restore_files *rf, struct cpt_rfile *rfile,
				  u32 *ids)
{
	const char *bad = NULL;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (bad)
			break;
		if (f.num == CPT_PB_FILE_UNIX_MESSAGE_FDS)
			bad = cpt_unix_carried_fds_bad(reg, rf, &f, ids);
	}
	return cpt_pb_end(&r) ?: cpt_unix_carrier_checked(reg, rfile, bad);
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
		if (!rfile->unix_sk.carries_files)
			continue;
		if (rfile->kind == CPT_PB_FILE_KIND_UNIX_PAIR)
			ret = cpt_unix_check_carrier(reg, rf, rfile, ids);
		else if (rfile->kind == CPT_PB_FILE_KIND_UNIX_DGRAM)
			ret = cpt_unix_dgram_check_carrier(reg, rf, rfile, ids);
		else if (rfile->kind == CPT_PB_FILE_KIND_UNIX_LISTENER)
			ret = cpt_unix_listener_check_carrier(reg, rf, rfile, ids);
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
