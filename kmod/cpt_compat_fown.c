// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for who a file signals: its fown_struct (owner,
 * pid type, F_SETSIG signal), the fasync entry O_ASYNC armed (the fd its
 * signals name, as fasync_helper() keeps it in the list of each kind of
 * file), and a lease as fs/locks.c keeps it (on flc_lease, its own fasync
 * entry, its break pending). Checked at load (file_fasync): a pipe and a
 * unix socket of our own armed through fd numbers read back as armed.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/net.h>
#include <linux/pipe_fs_i.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/tty.h>
#include <net/net_namespace.h>

#include "cpt_compat.h"
#include "cpt_symbols.h"

void cpt_compat_file_fown(struct file *file, struct cpt_file_fown *fo)
{
	read_lock_irq(&file->f_owner.lock);
	fo->pid = get_pid(file->f_owner.pid);
	fo->type = file->f_owner.pid_type;
	fo->signum = file->f_owner.signum;
	read_unlock_irq(&file->f_owner.lock);
}

/* Where the file's kind keeps the fasync entries its f_op->fasync() adds. */
static struct fasync_struct **cpt_fasync_list(struct file *file, enum cpt_fasync_list where)
{
	struct pipe_inode_info *pipe;
	struct socket *sock;

	switch (where) {
	case CPT_FASYNC_PIPE:
		pipe = file->private_data;
		/* pipe_fasync() arms the reader side, and the writer side, alike. */
		return file->f_mode & FMODE_READ ? &pipe->fasync_readers : &pipe->fasync_writers;
	case CPT_FASYNC_SOCKET:
		sock = sock_from_file(file);
		return sock ? &sock->wq.fasync_list : NULL;
	case CPT_FASYNC_TTY:
		return &((struct tty_file_private *)file->private_data)->tty->fasync;
	case CPT_FASYNC_INOTIFY:
		return &((struct fsnotify_group *)file->private_data)->fsn_fa;
	}
	return NULL;
}

/* The fd of file's entry on the fasync list *list, or -ENOENT. */
static int cpt_fasync_entry_fd(struct fasync_struct **list, struct file *file)
{
	struct fasync_struct *fa;
	unsigned long flags;
	int fd = -ENOENT;

	/*
	 * Entries are freed after an RCU grace period, and read as
	 * kill_fasync() reads them (the lists carry no __rcu mark).
	 */
	rcu_read_lock();
	for (fa = READ_ONCE(*list); fa; fa = READ_ONCE(fa->fa_next)) {
		read_lock_irqsave(&fa->fa_lock, flags);
		if (fa->fa_file == file)
			fd = fa->fa_fd;
		read_unlock_irqrestore(&fa->fa_lock, flags);
		if (fd >= 0)
			break;
	}
	rcu_read_unlock();
	return fd;
}

int cpt_compat_fasync_fd(struct file *file, enum cpt_fasync_list where)
{
	struct fasync_struct **list = cpt_fasync_list(file, where);

	return list ? cpt_fasync_entry_fd(list, file) : -EOPNOTSUPP;
}

bool cpt_compat_file_lease(struct file *file, struct cpt_file_lease *lease)
{
	struct file_lock_context *ctx = locks_inode_context(file_inode(file));
	struct file_lock *fl;
	bool found = false;

	if (!ctx)
		return false;
	spin_lock(&ctx->flc_lock);
	list_for_each_entry(fl, &ctx->flc_lease, fl_list) {
		/* A lease is its open file's (fl_owner), taken with F_SETLEASE. */
		if (fl->fl_file != file)
			continue;
		found = true;
		lease->type = fl->fl_type;
		lease->lease = fl->fl_flags & FL_LEASE;
		lease->breaking = fl->fl_flags & (FL_UNLOCK_PENDING | FL_DOWNGRADE_PENDING);
		lease->fd = fl->fl_fasync ? fl->fl_fasync->fa_fd : -ENOENT;
		break;
	}
	spin_unlock(&ctx->flc_lock);
	return found;
}

/* O_ASYNC armed through fd on file, read back from its list where. */
static int cpt_test_fasync(struct file *file, enum cpt_fasync_list where, int fd)
{
	int ret = file->f_op->fasync(fd, file, 1), seen;

	if (ret < 0)
		return cpt_compat_fail("cannot arm O_ASYNC on a test file (%d)", ret);
	seen = cpt_compat_fasync_fd(file, where);
	file->f_op->fasync(-1, file, 0);
	if (seen != fd)
		return cpt_compat_fail("O_ASYNC armed through fd %d reads back as %d", fd, seen);
	return 0;
}

static int cpt_test_fown(struct file *file)
{
	struct cpt_file_fown fo;

	__f_setown(file, task_pid(current), PIDTYPE_PID, 1);
	file->f_owner.signum = SIGRTMIN;
	cpt_compat_file_fown(file, &fo);
	put_pid(fo.pid);
	if (fo.pid != task_pid(current) || fo.type != PIDTYPE_PID || fo.signum != SIGRTMIN)
		return cpt_compat_fail("F_SETOWN_EX and F_SETSIG do not read back from f_owner");
	return 0;
}

int cpt_check_file_fasync(void)
{
	struct file *pipe[2];
	struct socket *sock;
	struct file *file;
	int ret;

	ret = cpt_sym.create_pipe_files(pipe, 0);
	if (ret)
		return cpt_compat_fail("cannot make a test pipe (%d)", ret);
	ret = cpt_test_fasync(pipe[0], CPT_FASYNC_PIPE, 1234) ?:
	      cpt_test_fasync(pipe[1], CPT_FASYNC_PIPE, 4321) ?: cpt_test_fown(pipe[0]);
	fput(pipe[0]);
	fput(pipe[1]);
	if (ret)
		return ret;
	ret = sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, &sock);
	if (ret)
		return cpt_compat_fail("cannot make a test socket (%d)", ret);
	file = sock_alloc_file(sock, 0, NULL);
	if (IS_ERR(file))
		return cpt_compat_fail("cannot make a test socket's file (%ld)", PTR_ERR(file));
	ret = cpt_test_fasync(file, CPT_FASYNC_SOCKET, 77);
	fput(file);
	return ret;
}
