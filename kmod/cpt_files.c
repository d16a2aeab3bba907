// SPDX-License-Identifier: GPL-2.0
/*
 * The fd table and its open files. Each open file description is one File,
 * which every fd that refers to it names, in any process of the tree: fds
 * that shared one share one again after a restart, with one offset. A File
 * is saved with the first process whose fds name it.
 *
 * What a File holds depends on its kind, and each kind has its ops (see
 * cpt_files.h): this file keeps the table of kinds and which one claims a
 * file, the session's registry of open files, and the helpers the kinds
 * share; the fd table is saved in cpt_files_save.c, restored in
 * cpt_files_restore.c and installed in cpt_files_install.c. The
 * checkpointing shell's stdio is the one kind of its own here: a tty or a
 * pipe on fds 0-2 is saved as INHERITED, and a restart hands the
 * restarting caller's own fd of that number on instead, as CRIU's
 * --shell-job does. Any file no kind claims makes the checkpoint fail.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/major.h>
#include <linux/mount.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* Each kind's ops, by its kind number. */
static const struct cpt_file_ops cpt_file_inherited_ops;

static const struct cpt_file_ops *const cpt_file_kinds[] = {
	[CPT_PB_FILE_KIND_REGULAR] = &cpt_file_reg_ops,
	[CPT_PB_FILE_KIND_DIRECTORY] = &cpt_file_reg_ops,
	[CPT_PB_FILE_KIND_CHAR_DEVICE] = &cpt_file_reg_ops,
	[CPT_PB_FILE_KIND_INHERITED] = &cpt_file_inherited_ops,
	[CPT_PB_FILE_KIND_PIPE] = &cpt_file_pipe_ops,
	[CPT_PB_FILE_KIND_DELETED] = &cpt_file_deleted_ops,
	[CPT_PB_FILE_KIND_MEMFD] = &cpt_file_memfd_ops,
	[CPT_PB_FILE_KIND_EVENTFD] = &cpt_file_eventfd_ops,
	[CPT_PB_FILE_KIND_FIFO] = &cpt_file_fifo_ops,
	[CPT_PB_FILE_KIND_UNIX_PAIR] = &cpt_unix_pair_ops,
	[CPT_PB_FILE_KIND_SIGNALFD] = &cpt_file_signalfd_ops,
	[CPT_PB_FILE_KIND_TIMERFD] = &cpt_file_timerfd_ops,
	[CPT_PB_FILE_KIND_EPOLL] = &cpt_file_epoll_ops,
	[CPT_PB_FILE_KIND_MQUEUE] = &cpt_mqueue_ops,
	[CPT_PB_FILE_KIND_PTY_MASTER] = &cpt_pty_ops,
	[CPT_PB_FILE_KIND_PTY_SLAVE] = &cpt_pty_ops,
	[CPT_PB_FILE_KIND_INOTIFY] = &cpt_inotify_ops,
	[CPT_PB_FILE_KIND_UNIX_LISTENER] = &cpt_unix_listener_ops,
	[CPT_PB_FILE_KIND_PIDFD] = &cpt_file_pidfd_ops,
	[CPT_PB_FILE_KIND_O_PATH] = &cpt_file_opath_ops,
	[CPT_PB_FILE_KIND_UNIX_STREAM] = &cpt_unix_sk_ops,
	[CPT_PB_FILE_KIND_UNIX_DGRAM] = &cpt_unix_sk_ops,
	[CPT_PB_FILE_KIND_INET] = &cpt_file_inet_ops,
	[CPT_PB_FILE_KIND_FANOTIFY] = &cpt_fanotify_ops,
	[CPT_PB_FILE_KIND_SHELL_TTY] = &cpt_shell_tty_ops,
	[CPT_PB_FILE_KIND_NETLINK] = &cpt_file_netlink_ops,
	[CPT_PB_FILE_KIND_PACKET] = &cpt_file_packet_ops,
};

const struct cpt_file_ops *cpt_file_ops_of(u32 kind)
{
	return kind < ARRAY_SIZE(cpt_file_kinds) ? cpt_file_kinds[kind] : NULL;
}

/*
 * Checkpoint: the kinds a file that is none of the tree's pipes, pairs or
 * ptys, nor the shell's stdio, is tried as, in order. A message queue and
 * a memfd are regular files of an internal mount, and the regular kind
 * takes the rest of the file types: files with a type come first, and the
 * anonymous inodes, which have none, after them.
 */
static const struct cpt_file_ops *const cpt_file_claimers[] = {
	&cpt_file_kernel_fs_ops, /* first: refuses /proc's files, even O_PATH, and sysfs's... */
	&cpt_file_opath_ops,	/* an O_PATH file of any type is no open file of it */
	&cpt_mqueue_ops,
	&cpt_file_memfd_ops,	/* and deleted files */
	&cpt_file_reg_ops,	/* and character and block devices */
	&cpt_file_fifo_ops,	/* and pipes */
	&cpt_file_inet_ops,	/* TCP and UDP sockets */
	&cpt_file_netlink_ops,
	&cpt_file_packet_ops,
	&cpt_unix_listener_ops,	/* and other sockets */
	&cpt_file_eventfd_ops,
	&cpt_file_signalfd_ops,
	&cpt_file_timerfd_ops,
	&cpt_file_epoll_ops,
	&cpt_inotify_ops,
	&cpt_file_pidfd_ops,
	&cpt_fanotify_ops,
};

void cpt_files_release(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct file *file;
	unsigned long i;
	void *name;

	if (!reg)
		return;
	if (reg->root_fs[0].mnt) {
		path_put(&reg->root_fs[0]);
		path_put(&reg->root_fs[1]);
	}
	/* A session that ended before its --kill: its holds go (the sockets are still here). */
	cpt_inet_cancel_holds(s);
	cpt_inet_made_release(reg);
	for (i = 0; i < reg->nr_saved; i++)
		fput(reg->saved[i].file);
	kvfree(reg->saved);
	kvfree(reg->pipes);
	kvfree(reg->in_flight_todo);
	cpt_unix_pair_fills_free(reg);
	xa_destroy(&reg->fd_carriers);
	xa_destroy(&reg->saved_of_file);
	xa_destroy(&reg->pipe_of_pipe);
	xa_for_each(&reg->listener_names, i, name)
		kfree(name);
	xa_destroy(&reg->listener_names);
	xa_for_each(&reg->restored, i, file)
		fput(file);
	xa_destroy(&reg->restored);
	xa_for_each(&reg->pipe_ends, i, file)
		fput(file);
	xa_destroy(&reg->pipe_ends);
	xa_for_each(&reg->pair_ends, i, file)
		fput(file);
	xa_destroy(&reg->pair_ends);
	xa_for_each(&reg->pending_ends, i, file)
		fput(file);
	xa_destroy(&reg->pending_ends);
	xa_for_each(&reg->deleted_files, i, file)
		fput(file);
	xa_destroy(&reg->deleted_files);
	cpt_pty_release(reg);
	cpt_shell_tty_release(reg);
	kfree(reg);
	s->files = NULL;
}

struct cpt_file_registry *cpt_files_registry(struct cpt_session *s)
{
	if (!s->files) {
		s->files = kzalloc(sizeof(*s->files), GFP_KERNEL_ACCOUNT);
		if (!s->files)
			return NULL;
		xa_init(&s->files->restored);
		xa_init(&s->files->pipe_ends);
		xa_init(&s->files->pair_ends);
		xa_init(&s->files->pending_ends);
		xa_init(&s->files->pair_fills);
		xa_init(&s->files->fd_carriers);
		xa_init(&s->files->deleted_files);
		xa_init(&s->files->tcp_made);	/* at File ids */
		xa_init(&s->files->ptys);
		xa_init(&s->files->saved_of_file);
		xa_init(&s->files->pipe_of_pipe);
		xa_init(&s->files->tree_ptys);
		xa_init(&s->files->listener_names);
		s->files->session = s;
	}
	return s->files;
}

/*
 * The terminals a shell job runs on: virtual consoles and serial lines,
 * /dev/tty and /dev/console, ptys. The tty layer's file operations are not
 * exported, so the device numbers tell.
 */
bool cpt_is_tty(const struct inode *inode)
{
	unsigned int major = imajor(inode);

	return S_ISCHR(inode->i_mode) &&
	       (major == TTY_MAJOR || major == TTYAUX_MAJOR || major == PTY_SLAVE_MAJOR ||
		(major >= UNIX98_PTY_SLAVE_MAJOR &&
		 major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT));
}

/* The tree's entry for a file, or NULL. */
struct cpt_saved_file *cpt_find_saved(struct cpt_file_registry *reg, struct file *file)
{
	void *index = xa_load(&reg->saved_of_file, cpt_ptr_key(file));

	return index ? &reg->saved[xa_to_value(index)] : NULL;
}

/*
 * In a loop as long as a tree's fds: lets others run, and ends at once for
 * a caller that is killed.
 */
int cpt_long_loop_check(void)
{
	cond_resched();
	return fatal_signal_pending(current) ? -EINTR : 0;
}

/* Makes room for one more element in an array of *cap, of which nr are used. */
int cpt_grow(void **array, unsigned int *cap, unsigned int nr, size_t size)
{
	unsigned int more = max(16U, *cap * 2);
	void *bigger;

	if (nr < *cap)
		return 0;
	bigger = kvrealloc(*array, *cap * size, more * size, GFP_KERNEL_ACCOUNT);
	if (!bigger)
		return -ENOMEM;
	*array = bigger;
	*cap = more;
	return 0;
}

int cpt_refuse(unsigned int fd, const char *what)
{
	cpt_note("fd %u: %s is not supported\n", fd, what);
	return -EOPNOTSUPP;
}

/* What /proc/PID/fdinfo shows of a file, after its pos and flags lines. */
int cpt_fdinfo(struct file *file, char *buf, size_t size)
{
	struct seq_file m = { .buf = buf, .size = size - 1 };

	if (!file->f_op->show_fdinfo)
		return -EOPNOTSUPP;
	file->f_op->show_fdinfo(&m, file);
	/* What was shown, and no more: the buffer may be large (an epoll's). */
	buf[min(m.count, m.size)] = 0;
	return seq_has_overflowed(&m) ? -EOVERFLOW : 0;
}

/* An anonymous inode's file by its name: "[timerfd]", "[signalfd]". */
bool cpt_is_anon(struct file *file, const char *name)
{
	return (file->f_path.mnt->mnt_flags & MNT_INTERNAL) &&
	       !strcmp(file->f_path.dentry->d_name.name, name);
}

/* How a file is saved, or why it cannot be. */
int cpt_file_kind(unsigned int fd, struct file *file, char *buf, u32 *kind)
{
	unsigned int flags = file->f_flags, i;
	char *name;
	int ret = 0;

	for (i = 0; !ret && i < ARRAY_SIZE(cpt_file_claimers); i++)
		ret = cpt_file_claimers[i]->claim(fd, file);
	if (ret < 0)
		return ret;
	if (!ret) {
		/* No kind's: named as /proc shows it */
		name = d_path(&file->f_path, buf, PATH_MAX);
		return cpt_refuse(fd, IS_ERR(name) ? "special file" : name);
	}
	*kind = ret;
	/* An O_PATH file's kind says it is one. */
	if (ret == CPT_PB_FILE_KIND_O_PATH)
		flags &= ~O_PATH;
	/* O_ASYNC is refused with its owner and signal, by cpt_check_sigio(). */
	/* O_ASYNC goes with its owner and signal (cpt_file_owner.c). */
	if (flags & ~(CPT_FILE_FLAGS | CPT_FILE_FLAGS_IGNORED | FASYNC) ||
	    (flags & O_ACCMODE) == O_ACCMODE) {
		cpt_note("fd %u: open flags %#o are not supported\n",
			 fd, flags & ~CPT_FILE_FLAGS_IGNORED);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * A field of the File's kind goes to its part. Another kind's field is
 * decoded as that kind would, and dropped: a File is no less checked for
 * carrying fields its kind does not use.
 */
int cpt_decode_kind_field(struct cpt_rfile *rfile, const struct cpt_pb_field *g)
{
	const struct cpt_file_ops *ops;
	struct cpt_rfile other;
	int ret = CPT_FILE_FOREIGN;
	unsigned int i;

	if (rfile->ops && rfile->ops->decode)
		ret = rfile->ops->decode(rfile, g);
	for (i = 0; ret == CPT_FILE_FOREIGN && i < ARRAY_SIZE(cpt_file_kinds); i++) {
		ops = cpt_file_kinds[i];
		if (!ops || ops == rfile->ops || !ops->decode)
			continue;
		other = (struct cpt_rfile) { .kind = i };
		ret = ops->decode(&other, g);
		if (ops->free)
			ops->free(&other);
	}
	/* No kind's, then: fields unknown to the schema are left alone. */
	return ret == CPT_FILE_FOREIGN ? 0 : ret;
}

/* The shell's stdio: the restarting caller's own fd of that number. */
static int cpt_inherited_save(struct cpt_file_save *fs)
{
	cpt_pb_u64(fs->one, CPT_PB_FILE_INHERIT_FD, fs->e->fd);
	return 0;
}

static int cpt_inherited_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (f->num != CPT_PB_FILE_INHERIT_FD)
		return CPT_FILE_FOREIGN;
	return cpt_pb_get_u32(f, &rfile->inherit_fd);
}

static int cpt_inherited_check(const struct cpt_rfile *rfile, const char *path,
			       const char **bad)
{
	if (rfile->inherit_fd > 2)
		*bad = "inherited fd";
	return *bad ? -EBADMSG : 0;
}

static int cpt_inherited_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	rfile->file = fget(rfile->inherit_fd);
	if (!rfile->file) {
		cpt_note("the restarting caller has no fd %u to pass on\n", rfile->inherit_fd);
		return -EBADF;
	}
	return 0;
}

static const struct cpt_file_ops cpt_file_inherited_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_inherited_save,
	.decode = cpt_inherited_decode,
	.check = cpt_inherited_check,
	.open = cpt_inherited_open,
};
