// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX message queues, as the files that name them: a queue is saved with
 * its name, attributes and messages, and a restart opens it by name again,
 * making it first, with its messages, unless a queue of that name is still
 * there: like SysV objects, queues outlive the tasks that use them, and one
 * that is still there is kept as it is.
 *
 * A checkpoint reads a queue through the kernel's own syscalls, in the
 * checkpointing caller (in an fd table of the module's own), which shares
 * the tree's IPC namespace: it opens the queue by name, takes every
 * message and gives them back in the order it took them, which keeps the
 * queue's order, priorities included. Refused:
 * a queue with a notification registered (giving back the first message
 * would fire it), and a full one (a sender may be waiting to get in).
 */
#include <linux/dcache.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/mount.h>
#include <linux/mqueue.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* What one queue may hold in an image. */
#define CPT_MQ_MAX_BYTES (8U << 20)
/* The hard limits on the attributes (ipc_namespace.h's), and on priorities. */
#define CPT_MQ_HARD_MSGMAX HARD_MSGMAX
#define CPT_MQ_HARD_MSGSIZEMAX HARD_MSGSIZEMAX
#define CPT_MQ_PRIO_MAX MQ_PRIO_MAX

/* Where the syscalls' arguments go in the task's buffer. */
#define CPT_MQ_ATTR_OFF 256
#define CPT_MQ_PRIO_OFF (CPT_MQ_ATTR_OFF + sizeof(struct mq_attr))
#define CPT_MQ_DATA_OFF 512

static bool cpt_is_mqueue(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == CPT_MQUEUE_MAGIC;
}

static int cpt_mq_open(struct cpt_ubuf *ub, const char *name, int flags, umode_t mode,
		       bool with_attr)
{
	if (copy_to_user((void __user *)ub->addr, name, strlen(name) + 1))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_mq_open, ub->addr, flags, mode,
		       with_attr ? ub->addr + CPT_MQ_ATTR_OFF : 0, 0);
}

struct cpt_mq_message {
	u32 priority;
	u32 len;
	u8 *data;
};

/* Takes every message of the open queue qfd, in order. */
static long cpt_mq_take(struct cpt_ubuf *ub, long qfd, const struct mq_attr *attr,
			struct cpt_mq_message *msgs)
{
	long i, n;

	for (i = 0; i < attr->mq_curmsgs; i++) {
		n = cpt_sys(cpt_sym.sys_mq_timedreceive, qfd, ub->addr + CPT_MQ_DATA_OFF,
			    attr->mq_msgsize, ub->addr + CPT_MQ_PRIO_OFF, 0);
		if (n == -EAGAIN)
			break;	/* someone outside the tree took some meanwhile */
		if (n < 0)
			return n;
		msgs[i].len = n;
		msgs[i].data = kvmalloc(n ?: 1, GFP_KERNEL_ACCOUNT);
		if (!msgs[i].data)
			return -ENOMEM;
		if (get_user(msgs[i].priority, (u32 __user *)(ub->addr + CPT_MQ_PRIO_OFF)) ||
		    copy_from_user(msgs[i].data, (void __user *)(ub->addr + CPT_MQ_DATA_OFF), n)) {
			kvfree(msgs[i].data);
			msgs[i].data = NULL;
			return -EFAULT;
		}
	}
	return i;
}

static int cpt_mq_give(struct cpt_ubuf *ub, long qfd, const struct cpt_mq_message *m)
{
	if (copy_to_user((void __user *)(ub->addr + CPT_MQ_DATA_OFF), m->data, m->len))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_mq_timedsend, qfd, ub->addr + CPT_MQ_DATA_OFF, m->len,
		       m->priority, 0);
}

/*
 * Whether a task asked mq_notify() for the queue, as reading the queue's
 * file says ("QSIZE:... NOTIFY_PID:n"), read through its own read() as
 * read(2) would (rw_verify_area(): the LSMs' say): from queue, the
 * checkpointer's own file on it, open for reading.
 */
static int cpt_mq_check_notify(unsigned int fd, struct file *queue, struct cpt_ubuf *ub,
			       char *buf)
{
	size_t count = CPT_MQ_ATTR_OFF - 1;
	loff_t pos = 0;
	ssize_t n;
	int pid = 0;

	n = rw_verify_area(READ, queue, &pos, count);
	if (!n)
		n = queue->f_op->read(queue, (char __user *)ub->addr, count, &pos);
	if (n < 0)
		return n;
	if (copy_from_user(buf, (void __user *)ub->addr, n))
		return -EFAULT;
	buf[n] = 0;
	if (cpt_mq_text_notify_pid(buf, &pid) || pid) {
		cpt_note("fd %u: a POSIX message queue with %s is not supported\n",
			 fd, "mq_notify() registered");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The queue the checkpointer opened by name, qfd, must be the tree's: the
 * name is looked up in the checkpointer's IPC namespace, where another
 * queue may have it. Then its notification is checked.
 */
static int cpt_mq_check_queue(unsigned int fd, struct file *file, long qfd, struct cpt_ubuf *ub,
			      char *buf)
{
	struct file *queue;
	int ret;

	queue = cpt_fget_made(qfd, cpt_sym.mqueue_file_operations, "POSIX message queue");
	if (IS_ERR(queue))
		return PTR_ERR(queue);
	if (file_inode(queue) != file_inode(file)) {
		cpt_note("fd %u: its POSIX message queue is not the checkpointer's of its name\n",
			 fd);
		ret = -EXDEV;
	} else {
		ret = cpt_mq_check_notify(fd, queue, ub, buf);
	}
	fput(queue);
	return ret;
}

static int cpt_mqueue_read(struct cpt_pb_buf *one, unsigned int fd, struct file *file, char *buf)
{
	const char *name = (const char *)file->f_path.dentry->d_name.name;
	struct cpt_mq_message *msgs = NULL;
	struct cpt_pb_buf m;
	struct cpt_ubuf ub = {};
	struct mq_attr attr;
	long qfd, nr = 0, i;
	int ret;

	if (d_unlinked(file->f_path.dentry)) {
		cpt_note("fd %u: a removed POSIX message queue is not supported\n", fd);
		return -EOPNOTSUPP;
	}
	ret = cpt_ubuf_get(&ub, CPT_MQ_DATA_OFF);
	qfd = ret ?: cpt_mq_open(&ub, name, O_RDWR | O_NONBLOCK, 0, false);
	if (qfd < 0) {
		cpt_note("fd %u: cannot open POSIX message queue /%s to read it: %ld\n",
			 fd, name, qfd);
		cpt_ubuf_put(&ub);
		return qfd;
	}
	ret = cpt_mq_check_queue(fd, file, qfd, &ub, buf);
	if (ret) {
		close_fd(qfd);
		cpt_ubuf_put(&ub);
		return ret;
	}
	ret = cpt_sys(cpt_sym.sys_mq_getsetattr, qfd, 0, ub.addr + CPT_MQ_ATTR_OFF, 0, 0);
	if (!ret && copy_from_user(&attr, (void __user *)(ub.addr + CPT_MQ_ATTR_OFF),
				   sizeof(attr)))
		ret = -EFAULT;
	if (!ret && attr.mq_curmsgs >= attr.mq_maxmsg) {
		cpt_note("fd %u: POSIX message queue /%s is full: a sender may be waiting\n",
			 fd, name);
		ret = -EOPNOTSUPP;
	}
	if (!ret && attr.mq_curmsgs * attr.mq_msgsize > CPT_MQ_MAX_BYTES) {
		cpt_note("fd %u: POSIX message queue /%s may hold more than %u bytes\n", fd, name,
			 CPT_MQ_MAX_BYTES);
		ret = -EOPNOTSUPP;
	}
	if (!ret)
		ret = cpt_ubuf_get(&ub, CPT_MQ_DATA_OFF + attr.mq_msgsize);
	if (!ret) {
		msgs = kvcalloc(attr.mq_curmsgs ?: 1, sizeof(*msgs), GFP_KERNEL_ACCOUNT);
		ret = msgs ? 0 : -ENOMEM;
	}
	if (!ret) {
		nr = cpt_mq_take(&ub, qfd, &attr, msgs);
		ret = nr < 0 ? nr : 0;
		if (nr < 0)	/* what was taken is freed below, and given back */
			for (nr = 0; nr < attr.mq_curmsgs && msgs[nr].data; nr++)
				;
	}
	/* Back before anything else: the queue is the target's. */
	for (i = 0; i < nr; i++) {
		if (cpt_mq_give(&ub, qfd, &msgs[i]))
			pr_warn("cpt: POSIX message queue /%s lost a message to the checkpoint\n",
				name);
	}
	cpt_pb_u64(one, CPT_PB_FILE_MQ_MAXMSG, attr.mq_maxmsg);
	cpt_pb_u64(one, CPT_PB_FILE_MQ_MSGSIZE, attr.mq_msgsize);
	for (i = 0; i < nr; i++) {
		cpt_pb_init(&m);
		cpt_pb_u64(&m, CPT_PB_MQ_MESSAGE_PRIORITY, msgs[i].priority);
		if (msgs[i].len)
			cpt_pb_bytes(&m, CPT_PB_MQ_MESSAGE_DATA, msgs[i].data, msgs[i].len);
		cpt_pb_message(one, CPT_PB_FILE_MQ_MESSAGES, &m);
	}
	for (i = 0; i < nr; i++)
		kvfree(msgs[i].data);
	kvfree(msgs);
	close_fd(qfd);
	cpt_ubuf_put(&ub);
	return ret ?: one->err;
}

/* The name a restart may give mq_open(): one path component. */
static bool cpt_mqueue_valid(const char *name, u64 maxmsg, u64 msgsize)
{
	return *name && strlen(name) <= NAME_MAX && !strchr(name, '/') && strcmp(name, ".") &&
	       strcmp(name, "..") && maxmsg && maxmsg <= CPT_MQ_HARD_MSGMAX && msgsize &&
	       msgsize <= CPT_MQ_HARD_MSGSIZEMAX;
}

/* Sends the record's messages to the queue just made. */
static int cpt_mq_refill(struct cpt_ubuf *ub, long qfd, u64 msgsize, const void *record,
			 size_t record_len)
{
	struct cpt_pb_reader r, mr;
	struct cpt_pb_field f, g;
	struct cpt_mq_message m;
	const u8 *data;
	size_t len;
	int ret;

	cpt_pb_for_each_field(&r, record, record_len, &f) {
		if (f.num != CPT_PB_FILE_MQ_MESSAGES)
			continue;
		m = (struct cpt_mq_message) {};
		data = NULL;
		len = 0;
		cpt_pb_for_each_subfield(&mr, &f, &g) {
			if (g.num == CPT_PB_MQ_MESSAGE_PRIORITY)
				cpt_pb_read_u32(&mr, &g, &m.priority);
			else if (g.num == CPT_PB_MQ_MESSAGE_DATA)
				cpt_pb_read_bytes(&mr, &g, &data, &len);
		}
		/* The length is checked before m.len, a u32, can cut it short. */
		if (cpt_pb_end(&mr) || len > msgsize || m.priority >= CPT_MQ_PRIO_MAX)
			return -EBADMSG;
		m.data = (u8 *)data;
		m.len = len;
		ret = cpt_mq_give(ub, qfd, &m);
		if (ret) {
			cpt_note("cannot queue a %u-byte message again: %d\n", m.len, ret);
			return ret;
		}
	}
	return cpt_pb_end(&r);
}

/*
 * The queue made again if it is gone (with its messages), then opened as
 * the File was; its fds in an fd table of the module's own
 * (cpt_compat_own_fds_enter()): the fd the calls name is the queue they
 * opened, whatever the restoring task's other threads do.
 */
static struct file *cpt_mqueue_open(const char *name, u32 flags, u32 mode, u64 maxmsg,
				    u64 msgsize, const void *record, size_t record_len)
{
	struct cpt_ubuf ub = {};
	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
	struct files_struct *shared = NULL;
	struct file *file = NULL;
	long qfd;
	int ret;

	ret = cpt_ubuf_get(&ub, CPT_MQ_DATA_OFF + msgsize);
	if (!ret && copy_to_user((void __user *)(ub.addr + CPT_MQ_ATTR_OFF), &attr, sizeof(attr)))
		ret = -EFAULT;
	ret = ret ?: cpt_compat_own_fds_enter(&shared);
	if (ret)
		goto out;
	qfd = cpt_mq_open(&ub, name, O_RDWR | O_CREAT | O_EXCL | O_NONBLOCK, mode & 0777, true);
	if (qfd >= 0) {
		ret = cpt_mq_refill(&ub, qfd, msgsize, record, record_len);
		close_fd(qfd);
		if (ret)
			goto out;
	} else if (qfd != -EEXIST) {
		cpt_note("cannot make POSIX message queue /%s again: %ld\n", name, qfd);
		ret = qfd;
		goto out;
	}
	qfd = cpt_mq_open(&ub, name, flags & (O_ACCMODE | O_NONBLOCK), 0, false);
	if (qfd < 0) {
		cpt_note("cannot open POSIX message queue /%s: %ld\n", name, qfd);
		ret = qfd;
		goto out;
	}
	file = cpt_fget_made(qfd, cpt_sym.mqueue_file_operations, "POSIX message queue");
	ret = PTR_ERR_OR_ZERO(file);
out:
	/* The fds go with the table. */
	if (shared)
		cpt_compat_own_fds_leave(shared);
	cpt_ubuf_put(&ub);
	return ret ? ERR_PTR(ret) : file;
}

/* No path reaches a queue: it is saved by its name, which a restart opens. */
static int cpt_mqueue_claim(unsigned int fd, struct file *file)
{
	if (!(file->f_path.mnt->mnt_flags & MNT_INTERNAL) || !S_ISREG(file_inode(file)->i_mode) ||
	    !cpt_is_mqueue(file))
		return 0;
	return CPT_PB_FILE_KIND_MQUEUE;
}

/*
 * The calls run in an fd table of the module's own (cpt_compat_own_fds_enter()):
 * the fd they name is the queue the checkpointer opened, whatever its other
 * threads do to its table, and close() closes nothing of theirs.
 */
static int cpt_mqueue_save(struct cpt_pb_buf *one, unsigned int fd, struct file *file, char *buf)
{
	struct files_struct *shared;
	int ret;

	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		return ret;
	ret = cpt_mqueue_read(one, fd, file, buf);
	cpt_compat_own_fds_leave(shared);
	return ret;
}

static int cpt_mqueue_save_file(struct cpt_file_save *fs)
{
	return cpt_mqueue_save(fs->one, fs->e->fd, fs->e->file, fs->buf);
}

static int cpt_mqueue_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_MQ_MAXMSG:
		return cpt_pb_get_u64(f, &rfile->mq.maxmsg);
	case CPT_PB_FILE_MQ_MSGSIZE:
		return cpt_pb_get_u64(f, &rfile->mq.msgsize);
	}
	/* Its messages are walked when the queue is made (cpt_mq_refill()). */
	return CPT_FILE_FOREIGN;
}

static int cpt_mqueue_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if ((rfile->mode & S_IFMT) != S_IFREG)
		*bad = "mode";
	else if (!cpt_mqueue_valid(path, rfile->mq.maxmsg, rfile->mq.msgsize))
		*bad = "message queue name or attributes";
	else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
		*bad = "access mode";
	return *bad ? -EBADMSG : 0;
}

static int cpt_mqueue_reopen(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	return cpt_claim_file(rfile, cpt_mqueue_open(rfile->path, rfile->flags, rfile->mode,
						     rfile->mq.maxmsg, rfile->mq.msgsize,
						     rfile->record, rfile->record_len));
}

const struct cpt_file_ops cpt_mqueue_ops = {
	.path = CPT_FILE_PATH_NAME,
	.claim = cpt_mqueue_claim,
	.save = cpt_mqueue_save_file,
	.decode = cpt_mqueue_decode,
	.check = cpt_mqueue_check,
	.open = cpt_mqueue_reopen,
};
