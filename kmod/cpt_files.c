// SPDX-License-Identifier: GPL-2.0
/*
 * The fd table and its open files. Each open file description is one File,
 * which every fd that refers to it names, in any process of the tree: fds
 * that shared one share one again after a restart, with one offset. A File
 * is saved with the first process whose fds name it.
 *
 * What a File holds depends on its kind, and each kind has its ops (see
 * cpt_files.h): this file keeps the fd table, the session's registry of
 * open files, and their installation. The checkpointing shell's stdio is
 * the one kind of its own here: a tty or a pipe on fds 0-2 is saved as
 * INHERITED, and a restart hands the restarting caller's own fd of that
 * number on instead, as CRIU's --shell-job does. Any file no kind claims
 * makes the checkpoint fail.
 */
#include <linux/bsearch.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/major.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
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

static const struct cpt_file_ops *cpt_file_ops_of(u32 kind)
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
	&cpt_file_proc_ops,	/* first: refuses a file of /proc, even O_PATH */
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
	for (i = 0; i < reg->nr_saved; i++)
		fput(reg->saved[i].file);
	kvfree(reg->saved);
	kvfree(reg->pipes);
	kvfree(reg->in_flight_todo);
	xa_destroy(&reg->pair_fills);
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

static struct cpt_file_registry *cpt_files_registry(struct cpt_session *s)
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

/* An O_PATH fd on a tty or a FIFO is only a path: no stdio. */
static bool cpt_is_shell_stdio(const struct file *file)
{
	const struct inode *inode = file_inode(file);

	return !(file->f_mode & FMODE_PATH) && (cpt_is_tty(inode) || S_ISFIFO(inode->i_mode));
}

/* ---- checkpoint ---- */

/* The target's open fds, in increasing order. */
struct cpt_fd_table {
	struct cpt_fd_entry *ent;
	unsigned int nr;
	unsigned int cap;
};

static void cpt_fd_table_release(struct cpt_fd_table *tab)
{
	unsigned int i;

	for (i = 0; i < tab->nr; i++)
		fput(tab->ent[i].file);
	kvfree(tab->ent);
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

/*
 * Notes a file of the tree, held by an fd or carried by a message queued in
 * a unix socket of the tree (in_flight), and its pipe if it is one.
 */
static int cpt_note_tree_file(struct cpt_file_registry *reg, struct file *file, bool in_flight)
{
	struct pipe_inode_info *pipe;
	struct cpt_saved_file *sf;
	unsigned int p;
	void *index;
	int ret;

	sf = cpt_find_saved(reg, file);
	if (sf) {
		if (in_flight)
			sf->in_flight++;
		else
			sf->tree_fds++;
		return 0;
	}
	if (reg->nr_saved >= CPT_MAX_FILES)
		return -E2BIG;
	ret = cpt_grow((void **)&reg->saved, &reg->cap_saved, reg->nr_saved, sizeof(*reg->saved));
	if (ret)
		return ret;
	ret = xa_insert(&reg->saved_of_file, cpt_ptr_key(file), xa_mk_value(reg->nr_saved),
			GFP_KERNEL);
	if (ret)
		return ret;
	sf = &reg->saved[reg->nr_saved++];
	*sf = (struct cpt_saved_file) { .file = get_file(file), .pipe = -1,
					.tree_fds = !in_flight, .in_flight = in_flight };
	pipe = cpt_pipe_of(file);
	if (!pipe)
		return 0;
	index = xa_load(&reg->pipe_of_pipe, cpt_ptr_key(pipe));
	p = index ? xa_to_value(index) : reg->nr_pipes;
	if (p == reg->nr_pipes) {
		ret = cpt_grow((void **)&reg->pipes, &reg->cap_pipes, reg->nr_pipes,
			       sizeof(*reg->pipes));
		if (!ret)
			ret = xa_insert(&reg->pipe_of_pipe, cpt_ptr_key(pipe), xa_mk_value(p),
					GFP_KERNEL);
		if (ret)
			return ret;
		reg->pipes[reg->nr_pipes++] = (struct cpt_saved_pipe) { .pipe = pipe };
	}
	sf->pipe = p;
	if (file->f_mode & FMODE_READ)
		reg->pipes[p].readers++;
	if (file->f_mode & FMODE_WRITE)
		reg->pipes[p].writers++;
	return 0;
}

/*
 * A table shared with a task outside the tree could change while we read
 * it; the tree's own sharers are frozen. So every user of the table must be
 * a thread of a process of the tree that shares it.
 */
static int cpt_check_fd_table(struct cpt_session *s)
{
	struct cpt_task *owner = s->cur;
	unsigned int i, users = 0;
	int ret = 0;

	for (i = 0; i < s->nr_tasks; i++) {
		struct cpt_task *t = &s->tasks[i];

		if (t == owner || (cpt_task_is_leader(t) && t->fd_table_of == owner->pid))
			users += get_nr_threads(t->task);
	}
	task_lock(owner->task);
	if (!owner->task->files)
		ret = -ESRCH;
	else if (atomic_read(&owner->task->files->count) != users)
		ret = -EOPNOTSUPP;
	task_unlock(owner->task);
	if (ret == -EOPNOTSUPP)
		cpt_note("pid %u: its fd table is shared with a task outside the tree, %s\n",
			 owner->pid, "or one of its threads has a table of its own");
	return ret;
}

/*
 * The target's first open fd from *fd on, with a reference, or NULL past
 * its last one. task_lock() keeps its files_struct, RCU its fdtable.
 */
static struct file *cpt_next_file(struct task_struct *t, unsigned int *fd, bool *cloexec)
{
	struct files_struct *files;
	struct file *file = NULL;
	struct fdtable *fdt;
	unsigned int n;

	task_lock(t);
	files = t->files;
	if (!files) {
		task_unlock(t);
		return ERR_PTR(-ESRCH);
	}
	rcu_read_lock();
	fdt = files_fdtable(files);
	for (n = *fd; n < fdt->max_fds; n++) {
		file = rcu_dereference(fdt->fd[n]);
		if (file)
			break;
	}
	if (file) {
		*cloexec = close_on_exec(n, fdt);
		/* Only a close, which a frozen owner cannot do, would make this fail. */
		if (!get_file_rcu(file))
			file = ERR_PTR(-EAGAIN);
	}
	rcu_read_unlock();
	task_unlock(t);
	*fd = n;
	return file;
}

static int cpt_collect_fds(struct task_struct *t, struct cpt_fd_table *tab)
{
	struct cpt_fd_entry *ent;
	unsigned int fd, cap;
	struct file *file;
	bool cloexec;

	for (fd = 0;; fd++) {
		file = cpt_next_file(t, &fd, &cloexec);
		if (IS_ERR_OR_NULL(file))
			return PTR_ERR_OR_ZERO(file);
		if (tab->nr == tab->cap) {
			cap = max(16U, tab->cap * 2);
			ent = kvrealloc(tab->ent, tab->cap * sizeof(*ent), cap * sizeof(*ent),
					GFP_KERNEL);
			if (!ent) {
				fput(file);
				return -ENOMEM;
			}
			tab->ent = ent;
			tab->cap = cap;
		}
		tab->ent[tab->nr++] = (struct cpt_fd_entry) {
			.file = file,
			.fd = fd,
			.cloexec = cloexec,
		};
		if (cpt_long_loop_check())
			return -EINTR;
	}
}

static int cpt_cmp_by_file(const void *a, const void *b)
{
	const struct cpt_fd_entry *x = *(const struct cpt_fd_entry * const *)a;
	const struct cpt_fd_entry *y = *(const struct cpt_fd_entry * const *)b;

	if (x->file != y->file)
		return (unsigned long)x->file < (unsigned long)y->file ? -1 : 1;
	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

/* Finds, for each fd, the lowest fd that refers to the same open file. */
static int cpt_group_fds(struct cpt_fd_table *tab)
{
	struct cpt_fd_entry **by_file;
	unsigned int i, owner = 0;

	if (!tab->nr)
		return 0;
	by_file = kvmalloc_array(tab->nr, sizeof(*by_file), GFP_KERNEL);
	if (!by_file)
		return -ENOMEM;
	for (i = 0; i < tab->nr; i++)
		by_file[i] = &tab->ent[i];
	sort(by_file, tab->nr, sizeof(*by_file), cpt_cmp_by_file, NULL);
	for (i = 0; i < tab->nr; i++) {
		if (!i || by_file[i]->file != by_file[i - 1]->file)
			owner = by_file[i] - tab->ent;
		by_file[i]->owner = owner;
	}
	kvfree(by_file);
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
static int cpt_file_kind(unsigned int fd, struct file *file, char *buf, u32 *kind)
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

/* The path a File of its kind carries. */
static const char *cpt_file_path(const struct cpt_fd_entry *e, enum cpt_file_path how, char *buf)
{
	const char *path = d_path(&e->file->f_path, buf, PATH_MAX);

	if (how == CPT_FILE_PATH_NAME)
		return (const char *)e->file->f_path.dentry->d_name.name;
	/* For display, and a deleted file's directory: nothing is opened by it. */
	if (how == CPT_FILE_PATH_SHOWN)
		return IS_ERR(path) ? "" : path;
	if (IS_ERR(path) || *path != '/') {
		cpt_note("fd %u: its path cannot be saved\n", e->fd);
		return IS_ERR(path) ? path : ERR_PTR(-EOPNOTSUPP);
	}
	return path;
}

/* The kinds a restart opens again by path, as their opener did (cpt_rfile_open()). */
static bool cpt_reopened_by_path(u32 kind)
{
	switch (kind) {
	case CPT_PB_FILE_KIND_REGULAR:
	case CPT_PB_FILE_KIND_DIRECTORY:
	case CPT_PB_FILE_KIND_CHAR_DEVICE:
	case CPT_PB_FILE_KIND_FIFO:
	case CPT_PB_FILE_KIND_O_PATH:
		return true;
	}
	return false;
}

/* The File of the fd's entry, sf its registry entry (NULL: an INHERITED File). */
static int cpt_encode_file(const struct cpt_session *s, struct cpt_pb_buf *msg,
			   const struct cpt_fd_table *tab, const struct cpt_fd_entry *e,
			   struct cpt_saved_file *sf, struct cpt_file_registry *reg, char *buf)
{
	const struct cpt_file_ops *ops = cpt_file_ops_of(e->kind);
	struct cpt_pb_buf one;
	struct cpt_file_save fs = { .one = &one, .e = e, .sf = sf, .reg = reg, .buf = buf,
				    .fds = tab->ent, .nr_fds = tab->nr };
	int ret;

	fs.path = cpt_file_path(e, ops->path, buf);
	if (IS_ERR(fs.path))
		return PTR_ERR(fs.path);
	cpt_pb_init(&one);
	cpt_pb_varint(&one, CPT_PB_FILE_ID, e->id);
	cpt_pb_varint(&one, CPT_PB_FILE_KIND, e->kind);
	cpt_pb_string(&one, CPT_PB_FILE_PATH, fs.path);
	cpt_pb_u64(&one, CPT_PB_FILE_FLAGS, e->file->f_flags & CPT_FILE_FLAGS);
	cpt_pb_u64(&one, CPT_PB_FILE_POS, e->file->f_pos);
	cpt_pb_u64(&one, CPT_PB_FILE_MODE, file_inode(e->file)->i_mode);
	if (cpt_reopened_by_path(e->kind))
		cpt_opener_save(&one, CPT_PB_FILE_OPENER, e->file);
	if (sf && sf->in_flight)
		cpt_pb_u64(&one, CPT_PB_FILE_IN_FLIGHT, 1);
	ret = ops->save(&fs) ?: cpt_lock_save_file(&one, e->fd, e->file, !sf) ?:
	      cpt_fown_save(&fs, s);
	if (ret) {
		cpt_pb_free(&one);
		return ret;
	}
	cpt_pb_message(msg, CPT_PB_FILES_FILES, &one);
	return 0;
}

/*
 * The kind of a file the tree holds whole with other files: an end of a
 * unix socket pair or of a connection not accepted yet, a pipe or FIFO, a
 * pty; 0 if none. first: its File is being saved now (a pair's end then
 * gives its peer the pair's id).
 */
static int cpt_tree_kind(struct cpt_file_registry *reg, struct file *file,
			 struct cpt_saved_file *sf, bool first)
{
	struct cpt_saved_file *peer = NULL, *pty_master;
	struct file *pty_slave;
	int pty_kind;

	if (first && S_ISSOCK(file_inode(file)->i_mode))
		peer = cpt_unix_pair_peer(reg, file);
	pty_kind = cpt_pty_in_tree(reg, file, &pty_master, &pty_slave);
	if (pty_kind < 0)
		return pty_kind;
	if (peer) {
		/* Both ends get the pair's id with the first. */
		if (!peer->pair)
			peer->pair = ++reg->next_pair;
		sf->pair = peer->pair;
		return CPT_PB_FILE_KIND_UNIX_PAIR;
	}
	/* Its listener, saved before it, gave it its pair id. */
	if (first && sf->unix_pending)
		return CPT_PB_FILE_KIND_UNIX_PAIR;
	if (sf->pipe >= 0 && cpt_pipe_in_tree(&reg->pipes[sf->pipe]))
		return cpt_is_anon_pipe(file) ? CPT_PB_FILE_KIND_PIPE : CPT_PB_FILE_KIND_FIFO;
	return pty_kind;
}

int cpt_save_in_flight(struct cpt_file_save *fs, struct file *file, u32 *id)
{
	struct cpt_file_registry *reg = fs->reg;
	struct cpt_saved_file *sf = cpt_find_saved(reg, file);
	int ret;

	/* Every file a queue of the tree's sockets carries was noted, frozen. */
	if (!sf)
		return -EAGAIN;
	if (!sf->id) {
		ret = cpt_grow((void **)&reg->in_flight_todo, &reg->cap_in_flight_todo,
			       reg->nr_in_flight_todo, sizeof(*reg->in_flight_todo));
		if (ret)
			return ret;
		reg->in_flight_todo[reg->nr_in_flight_todo++] = sf - reg->saved;
		sf->id = ++reg->next_id;
	}
	*id = sf->id;
	return 0;
}

/*
 * Why a file in flight cannot come back, or NULL: what the final step
 * sets again through the File's fd in its record (F_SETFL's flags, the
 * owner, O_ASYNC, a lease: cpt_file_flags.c, cpt_file_owner.c), which a
 * file in flight may not have there.
 */
static const char *cpt_in_flight_refusal(struct file *file)
{
	struct cpt_file_lease lease;
	struct cpt_file_fown fo;
	const char *why = NULL;

	cpt_compat_file_fown(file, &fo);
	if (file->f_flags & (O_DIRECT | O_NOATIME))
		why = "a file in flight with O_DIRECT or O_NOATIME";
	else if (fo.pid || fo.signum || (file->f_flags & FASYNC) ||
		 cpt_compat_file_lease(file, &lease))
		why = "a file in flight with O_ASYNC, a SIGIO owner or a lease";
	put_pid(fo.pid);
	return why;
}

/*
 * The Files of the files in flight that the File just saved (of the fd
 * carrier) carries and gave an id, in this record: each saved as its kind
 * saves it, named by the carrier's fd. The shell's terminal has no fd
 * number here to be INHERITED at.
 */
static int cpt_encode_in_flight(const struct cpt_session *s, struct cpt_pb_buf *msg,
				const struct cpt_fd_table *tab, struct cpt_file_registry *reg,
				unsigned int carrier, char *buf)
{
	struct cpt_fd_entry e = { .fd = carrier };
	struct cpt_saved_file *sf;
	const char *why;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < reg->nr_in_flight_todo; i++) {
		sf = &reg->saved[reg->in_flight_todo[i]];
		e.file = sf->file;
		e.id = sf->id;
		why = cpt_in_flight_refusal(e.file);
		ret = why ? cpt_refuse(carrier, why) : cpt_tree_kind(reg, e.file, sf, true);
		if (ret > 0)
			e.kind = ret;
		else if (!ret && cpt_is_shell_stdio(e.file))
			ret = cpt_refuse(carrier, "the shell's terminal in flight in a message");
		else if (!ret)
			ret = cpt_file_kind(carrier, e.file, buf, &e.kind);
		if (ret >= 0) {
			sf->kind = e.kind;
			ret = cpt_encode_file(s, msg, tab, &e, sf, reg, buf);
		}
		if (ret == -EOPNOTSUPP || ret == -EOVERFLOW)
			cpt_note("fd %u: (%s: %s)\n", carrier,
				 "the file above is in flight in a message queued in its socket",
				 "SCM_RIGHTS");
	}
	reg->nr_in_flight_todo = 0;
	return ret;
}

/*
 * Gives each fd its File, in increasing fd order so that a refusal names
 * the lowest fd, and encodes each File the first time the tree's fds name
 * it (at its lowest fd in the first process that has it), and after it the
 * files in flight its queued messages carry that have no File yet.
 */
static int cpt_encode_files(const struct cpt_session *s, struct cpt_pb_buf *msg,
			    struct cpt_fd_table *tab, struct cpt_file_registry *reg, char *buf)
{
	struct cpt_saved_file *sf;
	struct cpt_pb_buf one;
	unsigned int i;
	int ret, tree_kind;

	for (i = 0; i < tab->nr; i++) {
		struct cpt_fd_entry *e = &tab->ent[i], *o = &tab->ent[e->owner];

		ret = cpt_long_loop_check();
		if (ret)
			return ret;
		sf = cpt_find_saved(reg, e->file);
		if (!sf)
			return -EAGAIN;	/* the tree was scanned frozen: a bug */
		tree_kind = cpt_tree_kind(reg, e->file, sf, !sf->id);
		if (tree_kind < 0)
			return tree_kind;
		if (tree_kind) {
			e->kind = tree_kind;
		} else if (cpt_is_shell_stdio(e->file) && (o->fd <= 2 || !sf->id)) {
			/* The shell's terminal, higher: opened anew (cpt_shell_tty.c). */
			ret = o->fd > 2 ? cpt_shell_tty_kind(s, reg, o->fd, e->file) : 0;
			if (ret < 0)
				return ret;
			if (ret) {
				e->kind = ret;
				goto save;
			}
			if (o->fd > 2)
				return cpt_refuse(o->fd, S_ISFIFO(file_inode(o->file)->i_mode) ?
						  "pipe to a process outside the tree" :
						  "tty other than the shell's terminal");
			/*
			 * One INHERITED File per fd 0-2 of each process: the
			 * restarting caller's fds may share differently. A
			 * higher fd on the same file names its lowest.
			 */
			e->kind = CPT_PB_FILE_KIND_INHERITED;
			if (e->fd > 2) {
				e->id = o->id;
				continue;
			}
			e->id = ++reg->next_id;
			ret = cpt_encode_file(s, msg, tab, e, NULL, reg, buf);
			if (ret)
				return ret;
			continue;
		} else if (!sf->id) {
			ret = cpt_file_kind(e->fd, e->file, buf, &e->kind);
			if (ret)
				return ret;
		} else {
			e->kind = sf->kind;
		}
save:
		if (!sf->id) {
			sf->id = ++reg->next_id;
			sf->kind = e->kind;
			e->id = sf->id;
			ret = cpt_encode_file(s, msg, tab, e, sf, reg, buf) ?:
			      cpt_encode_in_flight(s, msg, tab, reg, e->fd, buf);
			if (ret)
				return ret;
		}
		e->id = sf->id;
	}
	for (i = 0; i < tab->nr; i++) {
		cpt_pb_init(&one);
		cpt_pb_u64(&one, CPT_PB_FD_FD, tab->ent[i].fd);
		cpt_pb_varint(&one, CPT_PB_FD_FILE_ID, tab->ent[i].id);
		cpt_pb_u64(&one, CPT_PB_FD_CLOEXEC, tab->ent[i].cloexec);
		cpt_pb_message(msg, CPT_PB_FILES_FDS, &one);
	}
	return 0;
}

/*
 * The files in flight in the messages queued in the unix sockets the
 * tree's fds hold (SCM_RIGHTS): the tree's too. Those a socket only in
 * flight carries are not: such a socket is refused when saved.
 */
static int cpt_scan_in_flight(struct cpt_file_registry *reg)
{
	unsigned int held = reg->nr_saved, i, j, nr;
	struct file **files;
	int ret = 0;

	for (i = 0; !ret && i < held; i++) {
		if (!S_ISSOCK(file_inode(reg->saved[i].file)->i_mode))
			continue;
		ret = cpt_unix_files_in_flight(reg->saved[i].file, &files, &nr);
		for (j = 0; j < nr; j++) {
			if (!ret)
				ret = cpt_note_tree_file(reg, files[j], true);
			fput(files[j]);
		}
		if (nr)
			kvfree(files);
		ret = ret ?: cpt_long_loop_check();
	}
	return ret;
}

/*
 * Before the first process's FILES: every file of every fd table of the
 * tree, and those in flight in its unix sockets' queues, so that a pipe
 * is known to be the tree's own (all its ends here) before any of its ends
 * is saved. The tree is frozen: the tables and the queues hold.
 */
static int cpt_scan_tree_files(struct cpt_session *s, struct cpt_file_registry *reg)
{
	struct cpt_fd_table tab;
	unsigned int t, i;
	int ret = 0;

	for (t = 0; !ret && t < s->nr_tasks; t++) {
		if (!cpt_task_has_record(&s->tasks[t], CPT_SUBSYS_FILES))
			continue;
		tab = (struct cpt_fd_table) {};
		ret = cpt_collect_fds(s->tasks[t].task, &tab);
		for (i = 0; !ret && i < tab.nr; i++)
			ret = cpt_note_tree_file(reg, tab.ent[i].file, false) ?:
			      cpt_long_loop_check();
		cpt_fd_table_release(&tab);
	}
	ret = ret ?: cpt_scan_in_flight(reg);
	reg->scanned = !ret;
	return ret;
}

static int cpt_files_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	struct cpt_file_registry *reg = cpt_files_registry(s);
	struct cpt_fd_table tab = {};
	char *buf;
	int ret;

	if (!reg)
		return -ENOMEM;
	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	reg->pid_ns = cpt_session_pid_ns(s);
	if (!reg->root_fs[0].mnt) {
		struct task_struct *root = s->tasks[0].task;

		task_lock(root);
		if (root->fs) {
			get_fs_root(root->fs, &reg->root_fs[0]);
			get_fs_pwd(root->fs, &reg->root_fs[1]);
		}
		task_unlock(root);
	}
	ret = cpt_check_fd_table(s);
	if (!ret && !reg->scanned)
		ret = cpt_scan_tree_files(s, reg);
	if (!ret && !reg->cttys_checked)
		ret = cpt_shell_tty_check_tree(s, reg);
	if (!ret)
		ret = cpt_shell_tty_save_ctty(s, msg, reg);
	if (!ret)
		ret = cpt_collect_fds(s->cur->task, &tab);
	if (!ret)
		ret = cpt_group_fds(&tab);
	if (!ret)
		ret = cpt_encode_files(s, msg, &tab, reg, buf);
	if (!ret)
		ret = cpt_lock_save_posix(msg, s->cur->task, tab.ent, tab.nr);
	cpt_fd_table_release(&tab);
	kfree(buf);
	return ret;
}

/* ---- restart ---- */

/* The record does not parse as the schema says. */
static int cpt_malformed(const char *what, int ret)
{
	cpt_note("image: malformed %s\n", what);
	return ret;
}

/* Whether a File has in_flight, read as cpt_decode_fields() will. */
static bool cpt_file_in_flight(const struct cpt_pb_field *f)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	bool in_flight = false;

	cpt_pb_for_each_subfield(&r, f, &g)
		if (g.num == CPT_PB_FILE_IN_FLIGHT)
			cpt_pb_read_bool(&r, &g, &in_flight);
	return !cpt_pb_end(&r) && in_flight;
}

static int cpt_count_entries(const void *data, size_t len, unsigned int *nr_files,
			     unsigned int *nr_fds, unsigned int *nr_in_flight)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int ret;

	*nr_files = 0;
	*nr_fds = 0;
	*nr_in_flight = 0;
	cpt_pb_for_each_field(&r, data, len, &f) {
		if (f.num == CPT_PB_FILES_FILES) {
			(*nr_files)++;
			*nr_in_flight += cpt_file_in_flight(&f);
		} else if (f.num == CPT_PB_FILES_FDS) {
			(*nr_fds)++;
		}
	}
	ret = cpt_pb_end(&r);
	return ret ? cpt_malformed("Files record", ret) : 0;
}

static int cpt_check_file(const struct cpt_rfile *rfile, const char *path)
{
	const char *bad = NULL;
	int ret = -EBADMSG;

	if (rfile->flags & ~CPT_FILE_FLAGS)
		bad = "open flags";
	else if (rfile->kind == CPT_PB_FILE_KIND_UNKNOWN)
		bad = "kind";
	else if (rfile->ops)
		ret = rfile->ops->check(rfile, path, &bad);
	if (!bad && !rfile->ops) {
		cpt_note("image: file %u: kind %u is not known here\n",
			 rfile->id, rfile->kind);
		return -EOPNOTSUPP;
	}
	if (!bad)
		return ret;
	cpt_note("image: file %u (kind %u, mode %#o, flags %#o): bad %s\n",
		 rfile->id, rfile->kind, rfile->mode, rfile->flags, bad);
	return -EBADMSG;
}

/* Fields 1 to 6 of a File, which every kind has. */
static bool cpt_is_common_field(u32 num)
{
	return num >= CPT_PB_FILE_ID && num <= CPT_PB_FILE_MODE;
}

static void cpt_decode_common_field(struct cpt_pb_reader *r, struct cpt_rfile *rfile,
				    const struct cpt_pb_field *g, char *path)
{
	switch (g->num) {
	case CPT_PB_FILE_ID:
		cpt_pb_read_u32(r, g, &rfile->id);
		break;
	case CPT_PB_FILE_KIND:
		cpt_pb_read_u32(r, g, &rfile->kind);
		break;
	case CPT_PB_FILE_PATH:
		cpt_pb_read_string(r, g, path, PATH_MAX);
		break;
	case CPT_PB_FILE_FLAGS:
		cpt_pb_read_u32(r, g, &rfile->flags);
		break;
	case CPT_PB_FILE_POS:
		cpt_pb_read_u64(r, g, &rfile->pos);
		break;
	case CPT_PB_FILE_MODE:
		cpt_pb_read_u32(r, g, &rfile->mode);
		break;
	}
}

/*
 * A field of the File's kind goes to its part. Another kind's field is
 * decoded as that kind would, and dropped: a File is no less checked for
 * carrying fields its kind does not use.
 */
static int cpt_decode_kind_field(struct cpt_rfile *rfile, const struct cpt_pb_field *g)
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

/* The File's common fields first: its kind tells whose the others are. */
static int cpt_decode_fields(struct cpt_rfile *rfile, const struct cpt_pb_field *f, char *path)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	int ret;

	cpt_pb_for_each_subfield(&r, f, &g)
		cpt_decode_common_field(&r, rfile, &g, path);
	ret = cpt_pb_end(&r);
	if (ret)
		return ret;
	rfile->ops = cpt_file_ops_of(rfile->kind);
	cpt_pb_for_each_subfield(&r, f, &g) {
		if (g.num == CPT_PB_FILE_IN_FLIGHT)
			cpt_pb_read_bool(&r, &g, &rfile->in_flight);
		else if (g.num == CPT_PB_FILE_LOCKS)
			cpt_pb_fail(&r, cpt_lock_decode_file_field(rfile, &g));
		else if (cpt_fown_is_field(g.num))
			cpt_pb_fail(&r, cpt_fown_decode_field(rfile, &g));
		else if (!cpt_is_common_field(g.num))
			cpt_pb_fail(&r, cpt_decode_kind_field(rfile, &g));
	}
	return cpt_pb_end(&r);
}

static int cpt_decode_file(struct cpt_rfile *rfile, const struct cpt_pb_field *f, char *path)
{
	int ret;

	*path = 0;
	rfile->record = f->data;
	rfile->record_len = f->len;
	ret = cpt_decode_fields(rfile, f, path);
	if (ret)
		return cpt_malformed("File", ret);
	if (!rfile->id || rfile->id > CPT_MAX_FILES)
		return cpt_malformed("File id", -EBADMSG);
	ret = cpt_check_file(rfile, path);
	if (ret)
		return ret;
	/* Every kind keeps its path: some are opened by it, all are named by it. */
	rfile->path = kstrdup(path, GFP_KERNEL_ACCOUNT);
	return rfile->path ? 0 : -ENOMEM;
}

static int cpt_cmp_rfile_id(const void *a, const void *b)
{
	const struct cpt_rfile *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static int cpt_cmp_rfd(const void *a, const void *b)
{
	const struct cpt_rfd *x = a, *y = b;

	return x->fd < y->fd ? -1 : x->fd > y->fd;
}

static int cpt_decode_files(struct cpt_restore_files *rf, const void *data, size_t len,
			    unsigned int max, char *path)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i;
	int ret;

	cpt_pb_for_each_field(&r, data, len, &f) {
		if (f.num != CPT_PB_FILES_FILES)
			continue;
		if (rf->nr_files == max)
			return -EBADMSG;
		/* Counted at once, so that cpt_files_free() frees it even half decoded. */
		ret = cpt_decode_file(&rf->files[rf->nr_files++], &f, path) ?:
		      cpt_long_loop_check();
		if (ret)
			return ret;
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return ret;
	sort(rf->files, rf->nr_files, sizeof(*rf->files), cpt_cmp_rfile_id, NULL);
	for (i = 1; i < rf->nr_files; i++) {
		if (rf->files[i].id == rf->files[i - 1].id) {
			cpt_note("image: file id %u used twice\n", rf->files[i].id);
			return -EBADMSG;
		}
	}
	return 0;
}

static int cpt_decode_fd(struct cpt_restore_files *rf, struct cpt_file_registry *reg,
			 const struct cpt_pb_field *f)
{
	struct cpt_rfd *rfd = &rf->fds[rf->nr_fds];
	struct cpt_rfile key = {};
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	int ret;

	cpt_pb_for_each_subfield(&r, f, &g) {
		switch (g.num) {
		case CPT_PB_FD_FD:
			cpt_pb_read_u32(&r, &g, &rfd->fd);
			break;
		case CPT_PB_FD_FILE_ID:
			cpt_pb_read_u32(&r, &g, &key.id);
			break;
		case CPT_PB_FD_CLOEXEC:
			cpt_pb_read_bool(&r, &g, &rfd->cloexec);
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return cpt_malformed("Fd", ret);
	if (rfd->fd >= rlimit(RLIMIT_NOFILE)) {
		cpt_note("image: fd %u is beyond the restarting task's RLIMIT_NOFILE\n",
			 rfd->fd);
		return -EMFILE;
	}
	rfd->id = key.id;
	rfd->file = bsearch(&key, rf->files, rf->nr_files, sizeof(*rf->files), cpt_cmp_rfile_id);
	/* Not this record's: then an earlier process's, restored already. */
	if (!rfd->file && !xa_load(&reg->restored, key.id)) {
		cpt_note("image: fd %u names no file (id %u)\n", rfd->fd, key.id);
		return -EBADMSG;
	}
	if (rfd->file && (!rfd->file->used || rfd->fd < rfd->file->fd))
		rfd->file->fd = rfd->fd;
	if (rfd->file)
		rfd->file->used = true;
	rf->nr_fds++;
	return 0;
}

static int cpt_decode_fds(struct cpt_restore_files *rf, struct cpt_file_registry *reg,
			  const void *data, size_t len, unsigned int max)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i, cttys = 0;
	int ret;

	cpt_pb_for_each_field(&r, data, len, &f) {
		if (f.num != CPT_PB_FILES_FDS)
			continue;
		ret = rf->nr_fds < max ? cpt_decode_fd(rf, reg, &f) : -EBADMSG;
		ret = ret ?: cpt_long_loop_check();
		if (ret)
			return ret;
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return ret;
	sort(rf->fds, rf->nr_fds, sizeof(*rf->fds), cpt_cmp_rfd, NULL);
	for (i = 1; i < rf->nr_fds; i++) {
		if (rf->fds[i].fd == rf->fds[i - 1].fd) {
			cpt_note("image: fd %u saved twice\n", rf->fds[i].fd);
			return -EBADMSG;
		}
	}
	for (i = 0; i < rf->nr_files; i++) {
		/* But a controlling terminal's, which no fd may name (cpt_shell_tty.c). */
		if (cpt_shell_tty_is_ctty(&rf->files[i]) && (rf->files[i].used || cttys++)) {
			cpt_note("image: file %u: a controlling terminal %s\n", rf->files[i].id,
				 cttys > 1 ? "again" : "an fd names");
			return -EBADMSG;
		}
		/* In flight, it may have none: a message carries it (cpt_unix_check_carried()). */
		if (!rf->files[i].used && !cpt_shell_tty_is_ctty(&rf->files[i]) &&
		    !rf->files[i].in_flight) {
			cpt_note("image: file %u has no fd\n", rf->files[i].id);
			return -EBADMSG;
		}
	}
	return 0;
}

/*
 * A file a restart opens or makes is opened non-blocking, so that a bad
 * image never hangs us; then given the saved O_NONBLOCK.
 */
void cpt_set_nonblock(struct file *file, bool nonblock)
{
	spin_lock(&file->f_lock);
	if (nonblock)
		file->f_flags |= O_NONBLOCK;
	else
		file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
}

/* Puts the saved offset back; a device's means nothing (/dev/null's resets to 0). */
int cpt_seek_saved(struct cpt_rfile *rfile)
{
	loff_t pos;

	if (rfile->kind == CPT_PB_FILE_KIND_CHAR_DEVICE || !rfile->pos)
		return 0;
	pos = vfs_llseek(rfile->file, rfile->pos, SEEK_SET);
	if (pos != rfile->pos) {
		cpt_note("cannot seek file %u to %llu: %lld\n", rfile->id, rfile->pos, pos);
		return pos < 0 ? pos : -EIO;
	}
	return 0;
}

/*
 * The file at fd, with a reference, which one of the kernel's system calls
 * just made in the restoring task: what, with the f_op fops. Another thread
 * sharing the fd table could have put another file at that number since;
 * cpt_check_restorer() refuses such a process, and the file is checked
 * anyway before the module treats it as what it made.
 */
struct file *cpt_fget_made(long fd, const struct file_operations *fops, const char *what)
{
	struct file *file = fget(fd);

	if (file && file->f_op == fops)
		return file;
	if (file)
		fput(file);
	cpt_note("the %s just made at fd %ld is not there: %s\n", what, fd,
		 "another task changed the restoring task's fd table");
	return ERR_PTR(-EBADF);
}

/*
 * Runs one of the kernel's fd-making system calls in the restoring task and
 * takes the file it made (what, with the f_op fops) out of the task's table
 * (the final step installs it where the image says).
 */
struct file *cpt_file_from_syscall(long (*call)(const struct pt_regs *regs),
				   struct pt_regs *regs, const struct file_operations *fops,
				   const char *what)
{
	struct file *file;
	long fd = call(regs);

	if (fd < 0)
		return ERR_PTR(fd);
	file = cpt_fget_made(fd, fops, what);
	close_fd(fd);
	return file;
}

/*
 * An ioctl on a file the module holds, as ioctl(2) would run it past the
 * LSMs first; the file's own ioctl only (no generic ones).
 */
long cpt_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	int ret = security_file_ioctl(file, cmd, arg);

	return ret ?: vfs_ioctl(file, cmd, arg);
}

/*
 * A page of the restoring task's memory for the arguments those calls read
 * from user space; the final step replaces that memory anyway.
 */
unsigned long cpt_user_scratch(void)
{
	return vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/* The File's new file, from a maker that gives the file or its error. */
int cpt_claim_file(struct cpt_rfile *rfile, struct file *file)
{
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return 0;
}

struct cpt_rfile *cpt_rfile_by_id(const struct cpt_restore_files *rf, u32 id)
{
	const struct cpt_rfile key = { .id = id };

	return bsearch(&key, rf->files, rf->nr_files, sizeof(*rf->files), cpt_cmp_rfile_id);
}

/* The record's fd at that number, or NULL. */
const struct cpt_rfd *cpt_rfd_at(const struct cpt_restore_files *rf, unsigned int fd)
{
	const struct cpt_rfd key = { .fd = fd };

	return bsearch(&key, rf->fds, rf->nr_fds, sizeof(*rf->fds), cpt_cmp_rfd);
}

/* The file an fd of the record names: its own File's, or an earlier process's. */
struct file *cpt_rfd_file(struct cpt_file_registry *reg, const struct cpt_rfd *rfd)
{
	return rfd->file ? rfd->file->file : xa_load(&reg->restored, rfd->id);
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

/*
 * Whether a task of the tree, a thread of the restoring process, can run
 * none of its own code until the session moves on: it is parked, or inside
 * the module waiting for its turn at a record after the one restored now
 * (it leaves only once the session's lock, held now, is free).
 */
static bool cpt_thread_held(const struct cpt_session *s, const struct cpt_task *t)
{
	unsigned int index = t - s->tasks;

	if (READ_ONCE(t->state) == CPT_RESTORE_PARKED)
		return true;
	if (!cpt_task_has_record(t, READ_ONCE(t->done_subsys)))
		return false;
	return t->done_subsys > READ_ONCE(s->rec_subsys) ||
	       (t->done_subsys == s->rec_subsys && index > READ_ONCE(s->rec_task));
}

/*
 * The other threads of the restoring process: those that are tasks of the
 * tree, and how many of those are held (cpt_thread_held()). Read without
 * the lock, it is only a hint to wake up by.
 */
static void cpt_count_threads(const struct cpt_session *s, unsigned int *tree,
			      unsigned int *held)
{
	const struct cpt_task *self = s->cur, *t;
	unsigned int i;

	*tree = 0;
	*held = 0;
	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t == self || t->tgid != self->pid || !t->task ||
		    !same_thread_group(t->task, current))
			continue;
		(*tree)++;
		*held += cpt_thread_held(s, t);
	}
}

static bool cpt_threads_held_hint(const struct cpt_session *s)
{
	unsigned int tree, held;

	cpt_count_threads(s, &tree, &held);
	return tree == held;
}

/*
 * The files are made by the kernel's system calls in the restoring task,
 * whose fd table its threads share: none may run its own code meanwhile,
 * since it could put other files at the numbers those calls return. A
 * thread that is no task of the tree is refused; the tree's own threads,
 * between two records of theirs, are waited for until they are back in the
 * module (or the session fails).
 */
static int cpt_hold_threads(struct cpt_session *s)
{
	unsigned int tree, held, others;
	int ret;

	for (;;) {
		others = get_nr_threads(current) - 1;
		cpt_count_threads(s, &tree, &held);
		if (others > tree) {
			cpt_note("pid %u: %u of its threads are no tasks of the tree: %s\n",
				 s->cur->pid, others - tree,
				 "they would share the fd table its restore fills");
			return -EBUSY;
		}
		if (held == others)
			return 0;
		/* The caller holds the lock; the tree's threads need it to get back in. */
		mutex_unlock(&s->lock);
		ret = wait_event_killable(s->wq, READ_ONCE(s->error) || READ_ONCE(s->aborted) ||
					  cpt_threads_held_hint(s));
		mutex_lock(&s->lock);
		if (ret)
			return ret;
		if (s->error || s->aborted)
			return -ECANCELED;
	}
}

/*
 * The final step replaces the caller's whole fd table and closes the
 * session's fd in it: the table must be the caller's alone, and the caller
 * must not be the coordinator, whose close of that fd ends the session.
 */
static int cpt_check_restorer(struct cpt_session *s)
{
	if (current->tgid == s->coordinator) {
		cpt_note("the coordinator cannot restore itself\n");
		return -EINVAL;
	}
	if (atomic_read(&current->files->count) > get_nr_threads(current)) {
		cpt_note("the restoring task shares its fd table\n");
		return -EOPNOTSUPP;
	}
	return cpt_hold_threads(s);
}

static void cpt_files_free(struct cpt_session *s)
{
	struct cpt_restore_files *rf = s->cur->files;
	unsigned int i;

	if (s->cur->adopted_files) {
		cpt_sym.put_files_struct(s->cur->adopted_files);
		s->cur->adopted_files = NULL;
	}
	if (!rf)
		return;
	if (rf->putter) {
		flush_work(&rf->putter->work);
		kvfree(rf->putter);
	}
	for (i = 0; i < rf->nr_files; i++) {
		if (rf->files[i].file)
			fput(rf->files[i].file);
		kfree(rf->files[i].path);
		if (rf->files[i].ops && rf->files[i].ops->free)
			rf->files[i].ops->free(&rf->files[i]);
	}
	kvfree(rf->files);
	kvfree(rf->fds);
	kvfree(rf->posix);
	kfree(rf);
	s->cur->files = NULL;
}

static int cpt_files_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_file_registry *reg;
	struct cpt_restore_files *rf;
	unsigned int nr_files, nr_fds, nr_in_flight, i;
	char *path;
	int ret;

	if (s->cur->files)
		return -EINVAL;
	/* First: it may wait, without the session's lock. */
	ret = cpt_check_restorer(s);
	if (!ret)
		ret = cpt_count_entries(data, len, &nr_files, &nr_fds, &nr_in_flight);
	if (ret)
		return ret;
	reg = cpt_files_registry(s);
	if (!reg)
		return -ENOMEM;
	/* Each fd is unique and below the limit; each file has an fd. */
	if (nr_fds > rlimit(RLIMIT_NOFILE)) {
		cpt_note("image: %u fds exceed the restarting task's RLIMIT_NOFILE\n",
			 nr_fds);
		return -EMFILE;
	}
	/*
	 * One more: a controlling terminal no fd names (cpt_shell_tty.c); and
	 * files in flight, which a queued message must carry.
	 */
	if (nr_files - nr_in_flight > nr_fds + 1) {
		cpt_note("image: %u files for %u fds\n", nr_files, nr_fds);
		return -EBADMSG;
	}
	rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
	if (!rf)
		return -ENOMEM;
	s->cur->files = rf;
	rf->files = kvcalloc(nr_files ?: 1, sizeof(*rf->files), GFP_KERNEL_ACCOUNT);
	rf->fds = kvcalloc(nr_fds ?: 1, sizeof(*rf->fds), GFP_KERNEL_ACCOUNT);
	path = kmalloc(PATH_MAX, GFP_KERNEL);
	ret = rf->files && rf->fds && path ? 0 : -ENOMEM;
	if (!ret)
		ret = cpt_decode_files(rf, data, len, nr_files, path);
	kfree(path);
	if (!ret)
		ret = cpt_decode_fds(rf, reg, data, len, nr_fds);
	if (!ret)
		ret = cpt_unix_check_carried(reg, rf);
	if (!ret)
		ret = cpt_lock_decode_posix(rf, data, len);
	if (!ret)
		ret = cpt_fown_check(s, rf);
	for (i = 0; !ret && i < rf->nr_files; i++) {
		cpt_flags_defer(&rf->files[i]);
		ret = rf->files[i].ops->open(reg, &rf->files[i]) ?:
		      cpt_flags_opened(&rf->files[i]) ?:
		      cpt_lock_restore_file(&rf->files[i]) ?: cpt_long_loop_check();
	}
	/* Then what needs the others: a queued message carrying some of them. */
	for (i = 0; !ret && i < rf->nr_files; i++)
		if (rf->files[i].ops->files_made)
			ret = rf->files[i].ops->files_made(reg, rf, &rf->files[i]);
	/* Later processes' fds may name these Files too; ids are the image's. */
	for (i = 0; !ret && i < rf->nr_files; i++) {
		if (cpt_shell_tty_is_ctty(&rf->files[i]))
			continue;	/* no fd, here or later, names it */
		ret = xa_insert(&reg->restored, rf->files[i].id, get_file(rf->files[i].file),
				GFP_KERNEL_ACCOUNT);
		if (ret) {
			fput(rf->files[i].file);
			if (ret == -EBUSY)
				cpt_note("image: file id %u used twice\n", rf->files[i].id);
			ret = ret == -EBUSY ? -EBADMSG : ret;
		}
	}
	return ret ?: cpt_lock_check_posix(rf, reg);
}

const struct cpt_subsys_ops cpt_files_ops = {
	.name = "files",
	.record = CPT_REC_FILES,
	.save = cpt_files_save,
	.restore = cpt_files_restore,
	.free = cpt_files_free,
};
