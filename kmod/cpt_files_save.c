// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint of a process's fd table: every file of the tree noted first
 * (its fds', and those in flight in its unix sockets' queues), then each fd
 * given its File, each File saved once, by the kind that claims it, with
 * the first process whose fds name it.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/mount.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/xarray.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* An O_PATH fd on a tty or a FIFO is only a path: no stdio. */
static bool cpt_is_shell_stdio(const struct file *file)
{
	const struct inode *inode = file_inode(file);

	return !(file->f_mode & FMODE_PATH) && (cpt_is_tty(inode) || S_ISFIFO(inode->i_mode));
}

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

/*
 * Notes a file of the tree, held by an fd or carried by a message queued in
 * a unix socket of the tree (in_flight), and its pipe if it is one. The
 * first fd found (fd of pid, 0 in flight) names a TCP connection a --kill
 * refuses before it is saved (cpt_inet_hold_tree()).
 */
static int cpt_note_tree_file(struct cpt_file_registry *reg, struct file *file, bool in_flight,
			      u32 pid, u32 fd)
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
					.tree_fds = !in_flight, .in_flight = in_flight,
					.tcp_pid = pid, .tcp_fd = fd };
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
	unsigned int i, threads = 0, holders = 0;
	struct files_struct *files;
	int ret = 0;

	/* task_lock() keeps owner's table, which the compare below only names. */
	task_lock(owner->task);
	files = owner->task->files;
	for (i = 0; files && i < s->nr_tasks; i++) {
		struct cpt_task *t = &s->tasks[i];

		if (t == owner || (cpt_task_is_leader(t) && t->fd_table_of == owner->pid))
			holders += cpt_fd_table_holders(t->task, files, &threads);
	}
	if (!files)
		ret = -ESRCH;
	else if (holders != threads || atomic_read(&files->count) != holders)
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
			if (o->fd > 2 && S_ISFIFO(file_inode(o->file)->i_mode))
				return cpt_refuse(o->fd, "pipe to a process outside the tree");
			if (o->fd > 2)
				return cpt_refuse_device(o->fd, o->file, "tty",
							 ": neither a pty of the tree nor the shell's terminal");
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
				ret = cpt_note_tree_file(reg, files[j], true, 0, 0);
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
			ret = cpt_note_tree_file(reg, tab.ent[i].file, false, s->tasks[t].pid,
						 tab.ent[i].fd) ?:
			      cpt_long_loop_check();
		cpt_fd_table_release(&tab);
	}
	ret = ret ?: cpt_scan_in_flight(reg);
	reg->scanned = !ret;
	return ret;
}

int cpt_files_save(struct cpt_session *s, struct cpt_pb_buf *msg)
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
		ret = cpt_scan_tree_files(s, reg) ?: cpt_inet_hold_tree(s);
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
