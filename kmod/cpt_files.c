// SPDX-License-Identifier: GPL-2.0
/*
 * The fd table and its open files. A checkpoint saves regular files and
 * directories by path, the memory character devices (/dev/null, /dev/zero,
 * /dev/random, /dev/urandom) by device number, and the checkpointing shell's
 * stdio: a tty or a pipe on fds 0-2 is saved as INHERITED, and a restart
 * hands the restarting caller's own fd of that number on instead, as CRIU's
 * --shell-job does. Any other kind of file makes the checkpoint fail.
 *
 * Each open file description is one File, which every fd that refers to it
 * names: fds that shared one share one again after a restart. A restart
 * opens files as the restarting caller, so it never gets more access than
 * that caller has.
 */
#include <linux/bsearch.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* The open(2) flags a File keeps, and a restart opens it with. */
#define CPT_FILE_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | __O_SYNC | \
			O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME)
/* What f_flags may also hold that is no state of the open file. */
#define CPT_FILE_FLAGS_IGNORED (O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | \
				__FMODE_EXEC | __FMODE_NONOTIFY)

/* The character devices a file may be, and the node a restart opens for each. */
static const struct {
	unsigned int minor;
	const char *path;
} cpt_mem_devices[] = {
	{ 3, "/dev/null" },
	{ 5, "/dev/zero" },
	{ 8, "/dev/random" },
	{ 9, "/dev/urandom" },
};

static const char *cpt_mem_device_path(dev_t dev)
{
	unsigned int i;

	if (MAJOR(dev) != MEM_MAJOR)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(cpt_mem_devices); i++)
		if (MINOR(dev) == cpt_mem_devices[i].minor)
			return cpt_mem_devices[i].path;
	return NULL;
}

/*
 * The terminals a shell job runs on: virtual consoles and serial lines,
 * /dev/tty and /dev/console, ptys. The tty layer's file operations are not
 * exported, so the device numbers tell.
 */
static bool cpt_is_tty(const struct inode *inode)
{
	unsigned int major = imajor(inode);

	return S_ISCHR(inode->i_mode) &&
	       (major == TTY_MAJOR || major == TTYAUX_MAJOR || major == PTY_SLAVE_MAJOR ||
		(major >= UNIX98_PTY_SLAVE_MAJOR &&
		 major < UNIX98_PTY_SLAVE_MAJOR + UNIX98_PTY_MAJOR_COUNT));
}

static bool cpt_is_shell_stdio(const struct inode *inode)
{
	return cpt_is_tty(inode) || S_ISFIFO(inode->i_mode);
}

/* ---- checkpoint ---- */

struct cpt_fd_entry {
	struct file *file;	/* a reference */
	unsigned int fd;
	unsigned int owner;	/* the entry of the lowest fd on the same file */
	u32 id;			/* the File the fd names */
	u32 kind;
	bool cloexec;
};

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

/* A table shared with another process could change while we read it. */
static int cpt_check_fd_table(struct task_struct *t)
{
	int ret = 0;

	task_lock(t);
	if (!t->files)
		ret = -ESRCH;
	else if (atomic_read(&t->files->count) > get_nr_threads(t))
		ret = -EOPNOTSUPP;
	task_unlock(t);
	if (ret == -EOPNOTSUPP)
		cpt_note("pid %d: an fd table shared with another process is not supported\n",
			 task_pid_nr(t));
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
		cond_resched();
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

static int cpt_refuse(unsigned int fd, const char *what)
{
	cpt_note("fd %u: %s is not supported\n", fd, what);
	return -EOPNOTSUPP;
}

/* How a file is saved, or why it cannot be. */
static int cpt_file_kind(unsigned int fd, struct file *file, char *buf, u32 *kind)
{
	struct inode *inode = file_inode(file);
	struct dentry *dentry = file->f_path.dentry;
	bool internal = file->f_path.mnt->mnt_flags & MNT_INTERNAL;
	unsigned int flags = file->f_flags;
	char *name;

	if (file->f_mode & FMODE_PATH)
		return cpt_refuse(fd, "O_PATH descriptor");
	switch (inode->i_mode & S_IFMT) {
	case S_IFREG:
	case S_IFDIR:
		/* No path reaches these: memfds, SysV shm, and the like. */
		if (internal)
			return cpt_refuse(fd, strncmp(dentry->d_name.name, "memfd:", 6) ?
					  "file of an internal mount" : "memfd");
		if (d_unlinked(dentry))
			return cpt_refuse(fd, "deleted file");
		*kind = S_ISREG(inode->i_mode) ? CPT_PB_FILE_KIND_REGULAR :
						 CPT_PB_FILE_KIND_DIRECTORY;
		break;
	case S_IFCHR:
		if (!cpt_mem_device_path(inode->i_rdev)) {
			cpt_note("fd %u: %s %u:%u is not supported\n", fd,
				 cpt_is_tty(inode) ? "tty" : "character device",
				 imajor(inode), iminor(inode));
			return -EOPNOTSUPP;
		}
		*kind = CPT_PB_FILE_KIND_CHAR_DEVICE;
		break;
	case S_IFIFO:
		return cpt_refuse(fd, internal ? "pipe" : "FIFO");
	case S_IFSOCK:
		return cpt_refuse(fd, "socket");
	case S_IFBLK:
		return cpt_refuse(fd, "block device");
	default:
		/* eventfd, epoll, signalfd, timerfd...: named as /proc shows them */
		name = d_path(&file->f_path, buf, PATH_MAX);
		return cpt_refuse(fd, IS_ERR(name) ? "special file" : name);
	}
	/* O_ASYNC's owner and signal are not saved. */
	if (flags & ~(CPT_FILE_FLAGS | CPT_FILE_FLAGS_IGNORED) ||
	    (flags & O_ACCMODE) == O_ACCMODE) {
		cpt_note("fd %u: open flags %#o are not supported\n",
			 fd, flags & ~CPT_FILE_FLAGS_IGNORED);
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cpt_encode_file(struct cpt_pb_buf *msg, const struct cpt_fd_entry *e, char *buf)
{
	struct inode *inode = file_inode(e->file);
	struct cpt_pb_buf one;
	const char *path;

	path = d_path(&e->file->f_path, buf, PATH_MAX);
	if (e->kind == CPT_PB_FILE_KIND_INHERITED) {
		/* Only for display: the restarting caller's own fd is used. */
		if (IS_ERR(path))
			path = "";
	} else if (IS_ERR(path) || *path != '/') {
		cpt_note("fd %u: its path cannot be saved\n", e->fd);
		return IS_ERR(path) ? PTR_ERR(path) : -EOPNOTSUPP;
	}
	cpt_pb_init(&one);
	cpt_pb_varint(&one, CPT_PB_FILE_ID, e->id);
	cpt_pb_varint(&one, CPT_PB_FILE_KIND, e->kind);
	cpt_pb_string(&one, CPT_PB_FILE_PATH, path);
	cpt_pb_u64(&one, CPT_PB_FILE_FLAGS, e->file->f_flags & CPT_FILE_FLAGS);
	cpt_pb_u64(&one, CPT_PB_FILE_POS, e->file->f_pos);
	cpt_pb_u64(&one, CPT_PB_FILE_MODE, inode->i_mode);
	if (e->kind == CPT_PB_FILE_KIND_REGULAR)
		cpt_pb_u64(&one, CPT_PB_FILE_SIZE, i_size_read(inode));
	if (e->kind == CPT_PB_FILE_KIND_CHAR_DEVICE)
		cpt_pb_u64(&one, CPT_PB_FILE_RDEV, new_encode_dev(inode->i_rdev));
	if (e->kind == CPT_PB_FILE_KIND_INHERITED)
		cpt_pb_u64(&one, CPT_PB_FILE_INHERIT_FD, e->fd);
	cpt_pb_message(msg, CPT_PB_FILES_FILES, &one);
	return 0;
}

/*
 * Gives each fd its File, in increasing fd order so that a refusal names
 * the lowest fd, and encodes each File at its lowest fd. The shell's stdio
 * is one INHERITED File per fd 0-2, whatever they share: the restarting
 * caller's fds may share differently; a higher fd on the same file names
 * the lowest of them.
 */
static int cpt_encode_files(struct cpt_pb_buf *msg, struct cpt_fd_table *tab, char *buf)
{
	struct cpt_pb_buf one;
	unsigned int i;
	int ret;

	for (i = 0; i < tab->nr; i++) {
		struct cpt_fd_entry *e = &tab->ent[i], *o = &tab->ent[e->owner];

		if (cpt_is_shell_stdio(file_inode(e->file))) {
			if (o->fd > 2)
				return cpt_refuse(o->fd, S_ISFIFO(file_inode(o->file)->i_mode) ?
						  "pipe" : "tty");
			e->kind = CPT_PB_FILE_KIND_INHERITED;
			e->id = (e->fd <= 2 ? i : e->owner) + 1;
		} else {
			if (e->owner == i) {
				ret = cpt_file_kind(e->fd, e->file, buf, &e->kind);
				if (ret)
					return ret;
			} else {
				e->kind = o->kind;
			}
			e->id = e->owner + 1;
		}
		if (e->id == i + 1) {
			ret = cpt_encode_file(msg, e, buf);
			if (ret)
				return ret;
		}
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

static int cpt_files_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	struct cpt_fd_table tab = {};
	char *buf;
	int ret;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = cpt_check_fd_table(s->cur->task);
	if (!ret)
		ret = cpt_collect_fds(s->cur->task, &tab);
	if (!ret)
		ret = cpt_group_fds(&tab);
	if (!ret)
		ret = cpt_encode_files(msg, &tab, buf);
	cpt_fd_table_release(&tab);
	kfree(buf);
	return ret;
}

/* ---- restart ---- */

struct cpt_rfile {
	u32 id;
	u32 kind;
	u32 flags;
	u32 mode;
	u32 rdev;
	u32 inherit_fd;
	u64 pos;
	bool used;
	char *path;
	struct file *file;
};

struct cpt_rfd {
	unsigned int fd;
	bool cloexec;
	struct cpt_rfile *file;
};

/*
 * The files the final step closed, whose last references a worker drops.
 * A user task's last fput() waits for its return to user mode, and the
 * restored task first parks in the kernel, while its coordinator may wait
 * for the close of a pipe end it inherited.
 */
struct cpt_file_putter {
	struct work_struct work;
	unsigned int nr;
	struct file *files[];
};

struct cpt_restore_files {
	unsigned int nr_files;
	unsigned int nr_fds;
	struct cpt_rfile *files;	/* by id, once decoded */
	struct cpt_rfd *fds;		/* by fd, once decoded */
	struct cpt_file_putter *putter;
};

static umode_t cpt_kind_type(u32 kind)
{
	switch (kind) {
	case CPT_PB_FILE_KIND_REGULAR:
		return S_IFREG;
	case CPT_PB_FILE_KIND_DIRECTORY:
		return S_IFDIR;
	case CPT_PB_FILE_KIND_CHAR_DEVICE:
		return S_IFCHR;
	}
	return 0;
}

/* The record does not parse as the schema says. */
static int cpt_malformed(const char *what, int ret)
{
	cpt_note("image: malformed %s\n", what);
	return ret;
}

static int cpt_count_entries(const void *data, size_t len, unsigned int *nr_files,
			     unsigned int *nr_fds)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int ret;

	*nr_files = 0;
	*nr_fds = 0;
	cpt_pb_reader_init(&r, data, len);
	while ((ret = cpt_pb_next(&r, &f)) > 0) {
		if (f.num == CPT_PB_FILES_FILES)
			(*nr_files)++;
		else if (f.num == CPT_PB_FILES_FDS)
			(*nr_fds)++;
	}
	return ret ? cpt_malformed("Files record", ret) : 0;
}

static int cpt_check_file(const struct cpt_rfile *rfile, const char *path)
{
	const char *bad;

	if (rfile->flags & ~CPT_FILE_FLAGS) {
		bad = "open flags";
		goto bad;
	}
	switch (rfile->kind) {
	case CPT_PB_FILE_KIND_REGULAR:
	case CPT_PB_FILE_KIND_DIRECTORY:
	case CPT_PB_FILE_KIND_CHAR_DEVICE:
		if (*path != '/')
			bad = "path";
		else if ((rfile->mode & S_IFMT) != cpt_kind_type(rfile->kind))
			bad = "mode";
		else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
			bad = "access mode";
		else if (rfile->pos > LLONG_MAX)
			bad = "position";
		else
			break;
		goto bad;
	case CPT_PB_FILE_KIND_INHERITED:
		if (rfile->inherit_fd <= 2)
			return 0;
		bad = "inherited fd";
		goto bad;
	case CPT_PB_FILE_KIND_UNKNOWN:
		bad = "kind";
		goto bad;
	default:
		cpt_note("image: file %u: kind %u is not known here\n",
			 rfile->id, rfile->kind);
		return -EOPNOTSUPP;
	}
	if (rfile->kind == CPT_PB_FILE_KIND_CHAR_DEVICE &&
	    !cpt_mem_device_path(new_decode_dev(rfile->rdev))) {
		cpt_note("image: file %u: character device %u:%u is not supported\n",
			 rfile->id, MAJOR(new_decode_dev(rfile->rdev)),
			 MINOR(new_decode_dev(rfile->rdev)));
		return -EOPNOTSUPP;
	}
	return 0;
bad:
	cpt_note("image: file %u (kind %u, mode %#o, flags %#o): bad %s\n",
		 rfile->id, rfile->kind, rfile->mode, rfile->flags, bad);
	return -EBADMSG;
}

static int cpt_decode_file(struct cpt_rfile *rfile, const struct cpt_pb_field *f, char *path)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	u64 size;
	int ret;

	*path = 0;
	ret = cpt_pb_get_message(f, &r);
	while (!ret && (ret = cpt_pb_next(&r, &g)) > 0) {
		switch (g.num) {
		case CPT_PB_FILE_ID:
			ret = cpt_pb_get_u32(&g, &rfile->id);
			break;
		case CPT_PB_FILE_KIND:
			ret = cpt_pb_get_u32(&g, &rfile->kind);
			break;
		case CPT_PB_FILE_PATH:
			ret = cpt_pb_get_string(&g, path, PATH_MAX);
			break;
		case CPT_PB_FILE_FLAGS:
			ret = cpt_pb_get_u32(&g, &rfile->flags);
			break;
		case CPT_PB_FILE_POS:
			ret = cpt_pb_get_u64(&g, &rfile->pos);
			break;
		case CPT_PB_FILE_MODE:
			ret = cpt_pb_get_u32(&g, &rfile->mode);
			break;
		case CPT_PB_FILE_SIZE:
			/* Only informative: a file may grow between checkpoint and restart. */
			ret = cpt_pb_get_u64(&g, &size);
			break;
		case CPT_PB_FILE_INHERIT_FD:
			ret = cpt_pb_get_u32(&g, &rfile->inherit_fd);
			break;
		case CPT_PB_FILE_RDEV:
			ret = cpt_pb_get_u32(&g, &rfile->rdev);
			break;
		default:
			ret = 0;
		}
	}
	if (ret)
		return cpt_malformed("File", ret);
	ret = cpt_check_file(rfile, path);
	if (ret)
		return ret;
	if (rfile->kind == CPT_PB_FILE_KIND_REGULAR || rfile->kind == CPT_PB_FILE_KIND_DIRECTORY) {
		rfile->path = kstrdup(path, GFP_KERNEL_ACCOUNT);
		if (!rfile->path)
			return -ENOMEM;
	}
	return 0;
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

	cpt_pb_reader_init(&r, data, len);
	while ((ret = cpt_pb_next(&r, &f)) > 0) {
		if (f.num != CPT_PB_FILES_FILES)
			continue;
		if (rf->nr_files == max)
			return -EBADMSG;
		/* Counted at once, so that cpt_files_free() frees it even half decoded. */
		ret = cpt_decode_file(&rf->files[rf->nr_files++], &f, path);
		if (ret)
			return ret;
	}
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

static int cpt_decode_fd(struct cpt_restore_files *rf, const struct cpt_pb_field *f)
{
	struct cpt_rfd *rfd = &rf->fds[rf->nr_fds];
	struct cpt_rfile key = {};
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	int ret;

	ret = cpt_pb_get_message(f, &r);
	while (!ret && (ret = cpt_pb_next(&r, &g)) > 0) {
		switch (g.num) {
		case CPT_PB_FD_FD:
			ret = cpt_pb_get_u32(&g, &rfd->fd);
			break;
		case CPT_PB_FD_FILE_ID:
			ret = cpt_pb_get_u32(&g, &key.id);
			break;
		case CPT_PB_FD_CLOEXEC:
			ret = cpt_pb_get_bool(&g, &rfd->cloexec);
			break;
		default:
			ret = 0;
		}
	}
	if (ret)
		return cpt_malformed("Fd", ret);
	if (rfd->fd >= rlimit(RLIMIT_NOFILE)) {
		cpt_note("image: fd %u is beyond the restarting task's RLIMIT_NOFILE\n",
			 rfd->fd);
		return -EMFILE;
	}
	rfd->file = bsearch(&key, rf->files, rf->nr_files, sizeof(*rf->files), cpt_cmp_rfile_id);
	if (!rfd->file) {
		cpt_note("image: fd %u names no file (id %u)\n", rfd->fd, key.id);
		return -EBADMSG;
	}
	rfd->file->used = true;
	rf->nr_fds++;
	return 0;
}

static int cpt_decode_fds(struct cpt_restore_files *rf, const void *data, size_t len,
			  unsigned int max)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i;
	int ret;

	cpt_pb_reader_init(&r, data, len);
	while ((ret = cpt_pb_next(&r, &f)) > 0) {
		if (f.num != CPT_PB_FILES_FDS)
			continue;
		ret = rf->nr_fds < max ? cpt_decode_fd(rf, &f) : -EBADMSG;
		if (ret)
			return ret;
	}
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
		if (!rf->files[i].used) {
			cpt_note("image: file %u has no fd\n", rf->files[i].id);
			return -EBADMSG;
		}
	}
	return 0;
}

static bool cpt_same_kind(const struct inode *inode, const struct cpt_rfile *rfile)
{
	if ((inode->i_mode & S_IFMT) != cpt_kind_type(rfile->kind))
		return false;
	return rfile->kind != CPT_PB_FILE_KIND_CHAR_DEVICE ||
	       new_encode_dev(inode->i_rdev) == rfile->rdev;
}

/*
 * Opens a saved file as the restarting caller. It is looked up first, so
 * that an image never makes us open what it does not claim (a device's open
 * may act, a FIFO's blocks); and opened non-blocking and without taking a
 * controlling tty, in case the path changed in between.
 */
static int cpt_open_file(struct cpt_rfile *rfile)
{
	const char *path = rfile->path;
	struct file *file;
	struct path p;
	bool same;
	loff_t pos;
	int ret;

	if (rfile->kind == CPT_PB_FILE_KIND_INHERITED) {
		rfile->file = fget(rfile->inherit_fd);
		if (!rfile->file) {
			cpt_note("the restarting caller has no fd %u to pass on\n",
				 rfile->inherit_fd);
			return -EBADF;
		}
		return 0;
	}
	if (rfile->kind == CPT_PB_FILE_KIND_CHAR_DEVICE)
		path = cpt_mem_device_path(new_decode_dev(rfile->rdev));

	ret = kern_path(path, rfile->flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &p);
	if (ret) {
		cpt_note("cannot find %s: %d\n", path, ret);
		return ret;
	}
	same = cpt_same_kind(d_inode(p.dentry), rfile);
	path_put(&p);
	if (!same)
		goto changed;

	file = filp_open(path, rfile->flags | O_NONBLOCK | O_NOCTTY, 0);
	if (IS_ERR(file)) {
		cpt_note("cannot open %s: %ld\n", path, PTR_ERR(file));
		return PTR_ERR(file);
	}
	rfile->file = file;
	if (!cpt_same_kind(file_inode(file), rfile))
		goto changed;
	if (!(rfile->flags & O_NONBLOCK)) {
		spin_lock(&file->f_lock);
		file->f_flags &= ~O_NONBLOCK;
		spin_unlock(&file->f_lock);
	}
	/* A device's position means nothing; /dev/null's resets to 0. */
	if (rfile->kind != CPT_PB_FILE_KIND_CHAR_DEVICE && rfile->pos) {
		pos = vfs_llseek(file, rfile->pos, SEEK_SET);
		if (pos != rfile->pos) {
			cpt_note("cannot seek %s to %llu: %lld\n",
				 path, rfile->pos, pos);
			return pos < 0 ? pos : -EIO;
		}
	}
	return 0;

changed:
	cpt_note("%s is no longer a file of the saved kind (mode %#o)\n",
		 path, rfile->mode);
	return -ESTALE;
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
	return 0;
}

static void cpt_files_free(struct cpt_session *s)
{
	struct cpt_restore_files *rf = s->cur->files;
	unsigned int i;

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
	}
	kvfree(rf->files);
	kvfree(rf->fds);
	kfree(rf);
	s->cur->files = NULL;
}

static int cpt_files_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_restore_files *rf;
	unsigned int nr_files, nr_fds, i;
	char *path;
	int ret;

	if (s->cur->files)
		return -EINVAL;
	ret = cpt_check_restorer(s);
	if (!ret)
		ret = cpt_count_entries(data, len, &nr_files, &nr_fds);
	if (ret)
		return ret;
	/* Each fd is unique and below the limit; each file has an fd. */
	if (nr_fds > rlimit(RLIMIT_NOFILE)) {
		cpt_note("image: %u fds exceed the restarting task's RLIMIT_NOFILE\n",
			 nr_fds);
		return -EMFILE;
	}
	if (nr_files > nr_fds) {
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
		ret = cpt_decode_fds(rf, data, len, nr_fds);
	for (i = 0; !ret && i < rf->nr_files; i++)
		ret = cpt_open_file(&rf->files[i]);
	return ret;
}

/* ---- the final step ---- */

static void cpt_put_files_work(struct work_struct *work)
{
	struct cpt_file_putter *p = container_of(work, struct cpt_file_putter, work);
	unsigned int i;

	for (i = 0; i < p->nr; i++)
		fput(p->files[i]);
	p->nr = 0;
}

static struct file *cpt_next_own_file(unsigned int *fd)
{
	struct file *file;

	rcu_read_lock();
	file = task_lookup_next_fd_rcu(current, fd);
	rcu_read_unlock();
	return file;
}

/* Closes every fd of current as close() would, but for the last fput(). */
static int cpt_close_all_fds(struct cpt_restore_files *rf)
{
	struct cpt_file_putter *p;
	unsigned int fd, nr = 0;
	struct file *file;

	for (fd = 0; cpt_next_own_file(&fd); fd++)
		nr++;
	p = kvzalloc(struct_size(p, files, nr), GFP_KERNEL_ACCOUNT);
	if (!p)
		return -ENOMEM;
	INIT_WORK(&p->work, cpt_put_files_work);
	rf->putter = p;
	for (fd = 0; p->nr < nr && cpt_next_own_file(&fd); fd++) {
		file = close_fd_get_file(fd);
		if (!file)
			continue;
		get_file(file);
		filp_close(file, current->files);
		p->files[p->nr++] = file;
	}
	queue_work(system_unbound_wq, &p->work);
	return 0;
}

/*
 * Installs each saved file at its number. get_unused_fd_flags() gives the
 * lowest free number, and the table is empty: reserve numbers upward, then
 * give back the gaps.
 */
static int cpt_install_fds(struct cpt_restore_files *rf)
{
	unsigned int i, j, n, next = 0;
	int fd, ret = 0;

	for (i = 0; i < rf->nr_fds; i++) {
		const struct cpt_rfd *rfd = &rf->fds[i];

		while (next <= rfd->fd) {
			fd = get_unused_fd_flags(rfd->cloexec ? O_CLOEXEC : 0);
			if (fd < 0) {
				ret = fd;
				goto out;
			}
			if (fd != next) {
				/* Someone else put an fd in our table. */
				put_unused_fd(fd);
				ret = -EBUSY;
				goto out;
			}
			next++;
			cond_resched();
		}
		fd_install(rfd->fd, get_file(rfd->file->file));
	}
out:
	/* Give back every number reserved and not installed. */
	for (n = 0, j = 0; n < next; n++) {
		if (j < i && rf->fds[j].fd == n)
			j++;
		else
			put_unused_fd(n);
	}
	return ret;
}

/*
 * In the final step: closes every fd of the restoring task (the session
 * holds its own references to what it needs) and installs the saved ones.
 */
int cpt_files_apply(struct cpt_session *s)
{
	struct cpt_restore_files *rf = s->cur->files;
	int ret;

	if (!rf)
		return -EINVAL;
	if (atomic_read(&current->files->count) > get_nr_threads(current))
		return -EBUSY;
	ret = cpt_close_all_fds(rf);
	if (!ret)
		ret = cpt_install_fds(rf);
	return ret;
}

const struct cpt_subsys_ops cpt_files_ops = {
	.name = "files",
	.record = CPT_REC_FILES,
	.save = cpt_files_save,
	.restore = cpt_files_restore,
	.free = cpt_files_free,
};
