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
 * names, in any process of the tree: fds that shared one share one again
 * after a restart, with one offset. A File is saved with the first process
 * whose fds name it. Pipes whose every end is held in the tree are saved
 * with their data, and created again by the module (create_pipe_files());
 * a pipe to a process outside the tree is refused, unless it is the
 * shell's stdio. A restart opens files as the restarting caller, so it
 * never gets more access than that caller has.
 */
#include <linux/bsearch.h>
#include <linux/eventfd.h>
#include <linux/fs_struct.h>
#include <linux/mman.h>
#include <linux/timerfd.h>
#include <linux/seq_file.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pid_namespace.h>
#include <linux/pipe_fs_i.h>
#include <linux/highmem.h>
#include <linux/xarray.h>
#include <linux/net.h>
#include <linux/un.h>
#include <linux/uaccess.h>
/* After fs.h and uaccess.h, which it needs. */
#include <linux/eventpoll.h>
#include <net/af_unix.h>
#include <net/sock.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/tty.h>
#include <linux/workqueue.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

/* The most bytes of a deleted file or memfd an image holds. */
#define CPT_MAX_CONTENT (8U << 20)

/* The most Files an image may hold, and thus their highest id. */
#define CPT_MAX_FILES BIT(20)

/* Checkpoint: a pipe some process of the tree holds. */
struct cpt_saved_pipe {
	struct pipe_inode_info *pipe;
	u32 readers;		/* files of the tree open for reading it */
	u32 writers;
	bool saved;		/* its data went with its first end's File */
};

/* Checkpoint: an open file the tree holds. */
struct cpt_saved_file {
	struct file *file;	/* a reference */
	u32 id;			/* its File's, once saved; 0 before */
	u32 kind;
	int pipe;		/* index in pipes, or -1 */
	u32 pair;		/* a unix socket pair's id, once its first end is saved */
	bool pty_saved;		/* a pty master: its pty's state went with a File */
};

/* Restart: a pty made again, by its index, until the session ends. */
struct cpt_restored_pty {
	struct file *master;
	char *slave_path;
	u32 session;		/* whose controlling terminal it is, 0: none */
	u32 foreground;
	bool master_claimed;	/* a File of the image is its master */
};

/* The most bytes queued in a unix socket an image holds. */
#define CPT_MAX_QUEUED (4U << 20)

/*
 * The session's open files. At checkpoint, every file of the tree's fd
 * tables and the pipes among them; at restart, the files restored so far
 * by id, and the ends of the pipes created but not yet claimed by pipe id.
 */
struct cpt_file_registry {
	struct cpt_saved_file *saved;
	unsigned int nr_saved, cap_saved;
	struct cpt_saved_pipe *pipes;
	unsigned int nr_pipes, cap_pipes;
	bool scanned;			/* every fd table of the tree was seen */
	u32 next_id;
	u32 next_pair;
	struct pid_namespace *pid_ns;	/* checkpoint: the root's */
	struct path root_fs[2];		/* checkpoint: the root's root and working directory */
	struct xarray restored;		/* id -> struct file * (a reference) */
	struct xarray pipe_ends;	/* pipe id -> the other end's struct file * */
	struct xarray pair_ends;	/* pair id -> the other socket's struct file * */
	struct xarray ptys;		/* pty index -> struct cpt_restored_pty * */
};

void cpt_files_release(struct cpt_session *s)
{
	struct cpt_file_registry *reg = s->files;
	struct cpt_restored_pty *pty;
	struct file *file;
	unsigned long i;

	if (!reg)
		return;
	if (reg->root_fs[0].mnt) {
		path_put(&reg->root_fs[0]);
		path_put(&reg->root_fs[1]);
	}
	for (i = 0; i < reg->nr_saved; i++)
		fput(reg->saved[i].file);
	kvfree(reg->saved);
	kvfree(reg->pipes);
	xa_for_each(&reg->restored, i, file)
		fput(file);
	xa_destroy(&reg->restored);
	xa_for_each(&reg->pipe_ends, i, file)
		fput(file);
	xa_destroy(&reg->pipe_ends);
	xa_for_each(&reg->pair_ends, i, file)
		fput(file);
	xa_destroy(&reg->pair_ends);
	xa_for_each(&reg->ptys, i, pty) {
		fput(pty->master);
		kfree(pty->slave_path);
		kfree(pty);
	}
	xa_destroy(&reg->ptys);
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
		xa_init(&s->files->ptys);
	}
	return s->files;
}

/* The pipe of a pipe or FIFO file. */
static struct pipe_inode_info *cpt_pipe_of(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (!S_ISFIFO(inode->i_mode) || !inode->i_pipe || file->private_data != inode->i_pipe)
		return NULL;
	return inode->i_pipe;
}

static bool cpt_is_anon_pipe(struct file *file)
{
	return cpt_pipe_of(file) && (file->f_path.mnt->mnt_flags & MNT_INTERNAL);
}

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

static struct cpt_saved_file *cpt_find_saved(struct cpt_file_registry *reg, struct file *file)
{
	unsigned int i;

	for (i = 0; i < reg->nr_saved; i++)
		if (reg->saved[i].file == file)
			return &reg->saved[i];
	return NULL;
}

/* Makes room for one more element in an array of *cap, of which nr are used. */
static int cpt_grow(void **array, unsigned int *cap, unsigned int nr, size_t size)
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

/* Notes a file of the tree, and its pipe if it is one. */
static int cpt_note_tree_file(struct cpt_file_registry *reg, struct file *file)
{
	struct pipe_inode_info *pipe;
	struct cpt_saved_file *sf;
	unsigned int p;
	int ret;

	if (cpt_find_saved(reg, file))
		return 0;
	if (reg->nr_saved >= CPT_MAX_FILES)
		return -E2BIG;
	ret = cpt_grow((void **)&reg->saved, &reg->cap_saved, reg->nr_saved, sizeof(*reg->saved));
	if (ret)
		return ret;
	sf = &reg->saved[reg->nr_saved++];
	*sf = (struct cpt_saved_file) { .file = get_file(file), .pipe = -1 };
	pipe = cpt_pipe_of(file);
	if (!pipe)
		return 0;
	for (p = 0; p < reg->nr_pipes && reg->pipes[p].pipe != pipe; p++)
		;
	if (p == reg->nr_pipes) {
		ret = cpt_grow((void **)&reg->pipes, &reg->cap_pipes, reg->nr_pipes,
			       sizeof(*reg->pipes));
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
 * A pty end whose master the tree holds: the master's entry, and one of the
 * tree's files on the slave (NULL if none). A slave open outside the tree
 * is refused: that opener would lose it.
 */
static int cpt_pty_in_tree(struct cpt_file_registry *reg, struct file *file,
			   struct cpt_saved_file **master, struct file **slave)
{
	struct tty_struct *m = cpt_pty_master_of(file), *t;
	unsigned int i, slaves = 0;
	bool is_master;

	if (!m)
		return 0;
	*master = NULL;
	*slave = NULL;
	for (i = 0; i < reg->nr_saved; i++) {
		t = cpt_pty_master_of(reg->saved[i].file);
		if (t != m)
			continue;
		cpt_pty_of(reg->saved[i].file, &is_master);
		if (is_master) {
			*master = &reg->saved[i];
		} else {
			*slave = reg->saved[i].file;
			slaves++;
		}
	}
	if (!*master)
		return 0;
	if (cpt_pty_slave_opens(m) > slaves) {
		cpt_note("pty %d: its slave is open outside the tree\n", cpt_pty_index(m));
		return -EOPNOTSUPP;
	}
	cpt_pty_of(file, &is_master);
	return is_master ? CPT_PB_FILE_KIND_PTY_MASTER : CPT_PB_FILE_KIND_PTY_SLAVE;
}

/* Whether every open end of the pipe is a file of the tree: then the tree holds it whole. */
static bool cpt_pipe_in_tree(const struct cpt_saved_pipe *sp)
{
	bool whole;

	pipe_lock(sp->pipe);
	whole = sp->readers == sp->pipe->readers && sp->writers == sp->pipe->writers;
	pipe_unlock(sp->pipe);
	return whole;
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

static bool cpt_is_eventfd(struct file *file)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fileget(file);

	if (IS_ERR(ctx))
		return false;
	eventfd_ctx_put(ctx);
	return true;
}

/* Takes up to what one read() would from the counter, as read() would. */
static u64 cpt_eventfd_take(struct eventfd_ctx *ctx)
{
	wait_queue_entry_t wait;
	u64 taken = 0;

	/* Ours is on no queue (linked to itself): only the counter's read part acts. */
	init_waitqueue_entry(&wait, current);
	INIT_LIST_HEAD(&wait.entry);
	eventfd_ctx_remove_wait_queue(ctx, &wait, &taken);
	return taken;
}

/* What /proc/PID/fdinfo shows of a file, after its pos and flags lines. */
int cpt_fdinfo(struct file *file, char *buf, size_t size)
{
	struct seq_file m = { .buf = buf, .size = size - 1 };

	if (!file->f_op->show_fdinfo)
		return -EOPNOTSUPP;
	memset(buf, 0, size);
	file->f_op->show_fdinfo(&m, file);
	return seq_has_overflowed(&m) ? -EOVERFLOW : 0;
}

/* An anonymous inode's file by its name: "[timerfd]", "[signalfd]". */
static bool cpt_is_anon(struct file *file, const char *name)
{
	return (file->f_path.mnt->mnt_flags & MNT_INTERNAL) &&
	       !strcmp(file->f_path.dentry->d_name.name, name);
}

/* A signalfd's mask, as its fdinfo shows it. */
static int cpt_signalfd_mask(struct file *file, u64 *mask)
{
	char info[128];
	const char *at;
	int ret;

	ret = cpt_fdinfo(file, info, sizeof(info));
	if (ret)
		return ret;
	at = strstr(info, "sigmask:\t");
	if (!at || sscanf(at, "sigmask:\t%llx", mask) != 1)
		return -EIO;
	return 0;
}

struct cpt_timer_state {
	u32 clock;
	u64 ticks;
	u64 value_ns;
	u64 interval_ns;
};

/* A timerfd's clock, time left, period and expirations, as its fdinfo shows them. */
static int cpt_timerfd_state(struct file *file, struct cpt_timer_state *t)
{
	unsigned long long vs, vns, is, ins;
	unsigned int flags;
	char info[256];
	int ret;

	ret = cpt_fdinfo(file, info, sizeof(info));
	if (ret)
		return ret;
	if (sscanf(info, "clockid: %u\nticks: %llu\nsettime flags: %o\n"
		   "it_value: (%llu, %llu)\nit_interval: (%llu, %llu)",
		   &t->clock, &t->ticks, &flags, &vs, &vns, &is, &ins) != 7)
		return -EIO;
	if (vs > U64_MAX / NSEC_PER_SEC - 1 || is > U64_MAX / NSEC_PER_SEC - 1)
		return -EOVERFLOW;
	t->value_ns = vs * NSEC_PER_SEC + vns;
	t->interval_ns = is * NSEC_PER_SEC + ins;
	return 0;
}

/*
 * An eventfd's counter, as its fdinfo shows it, and whether it counts as a
 * semaphore, which only a read tells: with at least 2 in the counter, a
 * semaphore's read takes 1. The counter is put back as it was; the tree
 * is frozen, so nobody sees it move.
 */
static int cpt_eventfd_state(struct file *file, u64 *count, bool *semaphore)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fileget(file);
	char info[128];
	const char *at;
	u64 taken;
	int ret = -EIO;

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	if (cpt_fdinfo(file, info, sizeof(info)))
		goto out;
	at = strstr(info, "eventfd-count:");
	if (!at || sscanf(at, "eventfd-count: %llx", count) != 1 || *count > U64_MAX - 3)
		goto out;
	eventfd_signal(ctx, 2);
	taken = cpt_eventfd_take(ctx);
	*semaphore = taken == 1;
	if (*semaphore)
		cpt_eventfd_take(ctx);
	else if (*count)
		eventfd_signal(ctx, *count);
	ret = 0;
out:
	eventfd_ctx_put(ctx);
	return ret;
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
		if (S_ISREG(inode->i_mode) && (internal || d_unlinked(dentry)) &&
		    i_size_read(inode) > CPT_MAX_CONTENT) {
			cpt_note("fd %u: nameless file of %lld bytes (over %u) not supported\n",
				 fd, i_size_read(inode), CPT_MAX_CONTENT);
			return -EOPNOTSUPP;
		}
		/* No path reaches these: memfds (their content is saved), SysV shm... */
		if (internal && S_ISREG(inode->i_mode) && cpt_is_mqueue(file)) {
			*kind = CPT_PB_FILE_KIND_MQUEUE;
			break;
		}
		if (internal) {
			if (!S_ISREG(inode->i_mode) || strncmp(dentry->d_name.name, "memfd:", 6))
				return cpt_refuse(fd, "file of an internal mount");
			/* A memfd reopened through /proc with less access would gain some. */
			if ((flags & O_ACCMODE) != O_RDWR)
				return cpt_refuse(fd, "memfd opened read- or write-only");
			*kind = CPT_PB_FILE_KIND_MEMFD;
			break;
		}
		if (d_unlinked(dentry)) {
			if (!S_ISREG(inode->i_mode))
				return cpt_refuse(fd, "deleted directory");
			*kind = CPT_PB_FILE_KIND_DELETED;
			break;
		}
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
		if (!cpt_unix_is_listener(file))
			return cpt_refuse(fd, cpt_unix_refusal(file));
		*kind = CPT_PB_FILE_KIND_UNIX_LISTENER;
		break;
	case S_IFBLK:
		return cpt_refuse(fd, "block device");
	default:
		if (cpt_is_eventfd(file)) {
			*kind = CPT_PB_FILE_KIND_EVENTFD;
			break;
		}
		if (cpt_is_anon(file, "[signalfd]")) {
			*kind = CPT_PB_FILE_KIND_SIGNALFD;
			break;
		}
		if (cpt_is_anon(file, "[timerfd]")) {
			*kind = CPT_PB_FILE_KIND_TIMERFD;
			break;
		}
		if (cpt_is_anon(file, "[eventpoll]")) {
			*kind = CPT_PB_FILE_KIND_EPOLL;
			break;
		}
		if (cpt_is_anon(file, "inotify")) {
			*kind = CPT_PB_FILE_KIND_INOTIFY;
			break;
		}
		/* epoll, signalfd, timerfd...: named as /proc shows them */
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

static struct cpt_saved_file *cpt_find_saved_sock(struct cpt_file_registry *reg,
						  struct sock *sk)
{
	struct socket *sock;
	unsigned int i;

	for (i = 0; i < reg->nr_saved; i++) {
		sock = sock_from_file(reg->saved[i].file);
		if (sock && sock->sk == sk)
			return &reg->saved[i];
	}
	return NULL;
}

/*
 * Whether the socket is one end of a connected pair (socketpair(), or
 * connect() and accept() of a stream) whose other end the tree holds too,
 * with nothing in its queue a restart could not give back: passed fds,
 * out-of-band data. Returns its peer's entry.
 */
static struct cpt_saved_file *cpt_unix_pair_peer(struct cpt_file_registry *reg, struct file *file)
{
	struct socket *sock = sock_from_file(file);
	struct sock *sk = sock ? sock->sk : NULL, *peer;
	struct cpt_saved_file *other = NULL;
	struct sk_buff *skb;
	bool clean = true;

	if (!sk || sk->sk_family != AF_UNIX || sock->state != SS_CONNECTED ||
	    (sk->sk_type != SOCK_STREAM && sk->sk_type != SOCK_DGRAM &&
	     sk->sk_type != SOCK_SEQPACKET))
		return NULL;
	peer = unix_peer_get(sk);
	if (!peer)
		return NULL;
	/* Named ends are a connection's (accept()ed): a datagram's name is its binding. */
	if ((sk->sk_type != SOCK_DGRAM || (!unix_sk(sk)->addr && !unix_sk(peer)->addr)) &&
	    unix_peer(peer) == sk && !sk->sk_shutdown && !peer->sk_shutdown)
		other = cpt_find_saved_sock(reg, peer);
	spin_lock(&sk->sk_receive_queue.lock);
	skb_queue_walk(&sk->sk_receive_queue, skb)
		clean &= !UNIXCB(skb).fp;
	spin_unlock(&sk->sk_receive_queue.lock);
#if IS_ENABLED(CONFIG_AF_UNIX_OOB)
	clean &= !unix_sk(sk)->oob_skb;
#endif
	sock_put(peer);
	return clean ? other : NULL;
}

/* What this end has yet to read, a message per buffer (a stream's, from where reading stopped). */
static int cpt_encode_unix_queue(struct cpt_pb_buf *one, struct sock *sk)
{
	struct sk_buff_head *q = &sk->sk_receive_queue;
	unsigned int total = 0, nr = 0, done = 0, i = 0, off, len;
	struct sk_buff *skb;
	u32 *lens;
	char *data;
	int ret = 0;

	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		total += skb->len;
		nr++;
	}
	spin_unlock(&q->lock);
	if (total > CPT_MAX_QUEUED)
		return -EFBIG;
	data = kvmalloc(total ?: 1, GFP_KERNEL);
	lens = kvmalloc_array(nr ?: 1, sizeof(*lens), GFP_KERNEL);
	if (!data || !lens) {
		ret = -ENOMEM;
		goto out;
	}
	/* The tree is frozen and the peer is in it: the queue holds still. */
	spin_lock(&q->lock);
	skb_queue_walk(q, skb) {
		off = sk->sk_type == SOCK_STREAM ? UNIXCB(skb).consumed : 0;
		len = skb->len - off;
		if (i == nr || len > total - done) {
			ret = -EAGAIN;
			break;
		}
		ret = skb_copy_bits(skb, off, data + done, len);
		if (ret)
			break;
		lens[i++] = len;
		done += len;
	}
	spin_unlock(&q->lock);
	for (nr = i, i = 0, done = 0; !ret && i < nr; done += lens[i++])
		cpt_pb_bytes(one, CPT_PB_FILE_UNIX_MESSAGES, data + done, lens[i]);
out:
	kvfree(lens);
	kvfree(data);
	return ret;
}

/* The bytes of fdinfo an epoll instance may show: a line per watched fd. */
#define CPT_EPOLL_INFO_MAX (256U << 10)

/* What an epoll instance watches, as its fdinfo shows it. */
static int cpt_encode_epoll(struct cpt_pb_buf *one, const struct cpt_fd_entry *e)
{
	unsigned long long data;
	unsigned int events;
	struct cpt_pb_buf t;
	char *info, *line;
	int fd, ret;

	info = kvmalloc(CPT_EPOLL_INFO_MAX, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = cpt_fdinfo(e->file, info, CPT_EPOLL_INFO_MAX);
	for (line = info; !ret && (line = strstr(line, "tfd:")); line++) {
		if (sscanf(line, "tfd: %d events: %x data: %llx", &fd, &events, &data) != 3) {
			ret = -EIO;
			break;
		}
		cpt_pb_init(&t);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_FD, fd);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_EVENTS, events);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_DATA, data);
		cpt_pb_message(one, CPT_PB_FILE_EPOLL_TARGETS, &t);
	}
	kvfree(info);
	if (ret)
		cpt_note("fd %u: cannot read what the epoll instance watches: %d\n", e->fd, ret);
	return ret;
}

static int cpt_encode_anon_state(struct cpt_pb_buf *one, const struct cpt_fd_entry *e)
{
	struct cpt_timer_state t;
	u64 mask;
	int ret;

	if (e->kind == CPT_PB_FILE_KIND_SIGNALFD) {
		ret = cpt_signalfd_mask(e->file, &mask);
		if (!ret)
			cpt_pb_u64(one, CPT_PB_FILE_SIGNALFD_MASK, mask);
	} else {
		ret = cpt_timerfd_state(e->file, &t);
		if (!ret) {
			cpt_pb_u64(one, CPT_PB_FILE_TIMER_CLOCK, t.clock);
			cpt_pb_u64(one, CPT_PB_FILE_TIMER_TICKS, t.ticks);
			cpt_pb_u64(one, CPT_PB_FILE_TIMER_VALUE_NS, t.value_ns);
			cpt_pb_u64(one, CPT_PB_FILE_TIMER_INTERVAL_NS, t.interval_ns);
		}
	}
	if (ret)
		cpt_note("fd %u: cannot read its state: %d\n", e->fd, ret);
	return ret;
}

/* What the pipe holds, copied without taking it out. */
static int cpt_encode_pipe_data(struct cpt_pb_buf *one, struct pipe_inode_info *pipe)
{
	unsigned int tail, mask, len = 0;
	struct pipe_buffer *buf;
	char *data, *addr;
	int ret = 0;

	pipe_lock(pipe);
	mask = pipe->ring_size - 1;
	data = kvmalloc(pipe->max_usage * PAGE_SIZE, GFP_KERNEL);
	if (!data) {
		ret = -ENOMEM;
		goto out;
	}
	for (tail = pipe->tail; tail != pipe->head; tail++) {
		buf = &pipe->bufs[tail & mask];
		ret = pipe_buf_confirm(pipe, buf);
		if (ret)
			goto out;
		if (buf->len > pipe->max_usage * PAGE_SIZE - len) {
			ret = -EOVERFLOW;
			goto out;
		}
		addr = kmap_local_page(buf->page);
		memcpy(data + len, addr + buf->offset, buf->len);
		kunmap_local(addr);
		len += buf->len;
	}
	cpt_pb_u64(one, CPT_PB_FILE_PIPE_SIZE, pipe->max_usage * PAGE_SIZE);
	cpt_pb_bytes(one, CPT_PB_FILE_PIPE_DATA, data, len);
out:
	pipe_unlock(pipe);
	kvfree(data);
	return ret;
}

/* sp, for a pipe end: its pipe, whose id is pipe_id. */
/*
 * The whole content of a file no path reaches, read through a file of our
 * own on it (the target's may be write-only), leaving its offset alone.
 */
static int cpt_encode_content(struct cpt_pb_buf *one, struct file *file)
{
	loff_t size = i_size_read(file_inode(file)), pos = 0;
	struct file *reader;
	ssize_t got;
	void *data;

	if (size > CPT_MAX_CONTENT)
		return -EFBIG;
	reader = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(reader))
		return PTR_ERR(reader);
	data = kvmalloc(size ?: 1, GFP_KERNEL);
	got = data ? kernel_read(reader, data, size, &pos) : -ENOMEM;
	fput(reader);
	if (got >= 0)
		cpt_pb_bytes(one, CPT_PB_FILE_CONTENT, data, got);
	kvfree(data);
	return got < 0 ? got : 0;
}

/*
 * An inotify instance's watches, named through the mounts the tree uses:
 * the root's root and working directory, and those of the tree's files.
 */
static int cpt_save_inotify(struct cpt_pb_buf *one, const struct cpt_fd_entry *e,
			    struct cpt_file_registry *reg, char *buf)
{
	struct path *mounts;
	unsigned int i, nr = 0;
	int ret;

	mounts = kvcalloc(reg->nr_saved + 2, sizeof(*mounts), GFP_KERNEL);
	if (!mounts)
		return -ENOMEM;
	if (reg->root_fs[0].mnt) {
		mounts[nr++] = reg->root_fs[0];
		mounts[nr++] = reg->root_fs[1];
	}
	for (i = 0; i < reg->nr_saved; i++)
		mounts[nr++] = reg->saved[i].file->f_path;
	ret = cpt_inotify_save(one, e->fd, e->file, mounts, nr, buf);
	kvfree(mounts);
	return ret;
}

static int cpt_encode_file(struct cpt_pb_buf *msg, const struct cpt_fd_entry *e,
			   struct cpt_file_registry *reg, struct cpt_saved_pipe *sp, u32 pipe_id,
			   char *buf)
{
	struct inode *inode = file_inode(e->file);
	struct cpt_pb_buf one;
	const char *path;
	int ret;

	path = d_path(&e->file->f_path, buf, PATH_MAX);
	if (e->kind == CPT_PB_FILE_KIND_MEMFD || e->kind == CPT_PB_FILE_KIND_MQUEUE) {
		/* Its name, which a restart gives the new memfd, or opens. */
		path = (const char *)e->file->f_path.dentry->d_name.name;
	} else if (e->kind == CPT_PB_FILE_KIND_INHERITED || e->kind == CPT_PB_FILE_KIND_PIPE ||
		   e->kind == CPT_PB_FILE_KIND_DELETED || e->kind == CPT_PB_FILE_KIND_EVENTFD ||
		   e->kind == CPT_PB_FILE_KIND_UNIX_PAIR || e->kind == CPT_PB_FILE_KIND_SIGNALFD ||
		   e->kind == CPT_PB_FILE_KIND_TIMERFD || e->kind == CPT_PB_FILE_KIND_EPOLL ||
		   e->kind == CPT_PB_FILE_KIND_INOTIFY ||
		   e->kind == CPT_PB_FILE_KIND_UNIX_LISTENER) {
		/* For display, and a deleted file's directory: nothing is opened by it. */
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
	if (e->kind == CPT_PB_FILE_KIND_DELETED || e->kind == CPT_PB_FILE_KIND_MEMFD) {
		ret = cpt_encode_content(&one, e->file);
		if (ret) {
			cpt_note("fd %u: cannot read the content of %s: %d\n", e->fd, path, ret);
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_PTY_MASTER || e->kind == CPT_PB_FILE_KIND_PTY_SLAVE) {
		struct cpt_saved_file *master;
		struct file *slave;

		cpt_pb_varint(&one, CPT_PB_FILE_PTY_INDEX,
			      cpt_pty_index(cpt_pty_master_of(e->file)));
		ret = cpt_pty_in_tree(reg, e->file, &master, &slave);
		if (ret == e->kind && !master->pty_saved) {
			master->pty_saved = true;
			ret = cpt_pty_save(&one, master->file, slave, reg->pid_ns);
		}
		if (ret < 0) {
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_UNIX_LISTENER) {
		ret = cpt_unix_listener_save(&one, e->fd, e->file);
		if (ret) {
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_INOTIFY) {
		ret = cpt_save_inotify(&one, e, reg, buf);
		if (ret) {
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_MQUEUE) {
		ret = cpt_mqueue_save(&one, e->fd, e->file, buf);
		if (ret) {
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_EVENTFD) {
		u64 count;
		bool semaphore;

		ret = cpt_eventfd_state(e->file, &count, &semaphore);
		if (ret) {
			cpt_pb_free(&one);
			return ret;
		}
		cpt_pb_u64(&one, CPT_PB_FILE_EVENTFD_COUNT, count);
		cpt_pb_u64(&one, CPT_PB_FILE_EVENTFD_SEMAPHORE, semaphore);
	}
	if (e->kind == CPT_PB_FILE_KIND_EPOLL) {
		ret = cpt_encode_epoll(&one, e);
		if (ret) {
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_SIGNALFD || e->kind == CPT_PB_FILE_KIND_TIMERFD) {
		ret = cpt_encode_anon_state(&one, e);
		if (ret) {
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_UNIX_PAIR) {
		struct sock *sk = sock_from_file(e->file)->sk;

		cpt_pb_u64(&one, CPT_PB_FILE_UNIX_TYPE, sk->sk_type);
		cpt_pb_u64(&one, CPT_PB_FILE_PAIR_ID, pipe_id);
		cpt_unix_save_addr(&one, e->file);
		ret = cpt_encode_unix_queue(&one, sk);
		if (ret) {
			cpt_note("fd %u: cannot save what its socket holds: %d\n", e->fd, ret);
			cpt_pb_free(&one);
			return ret;
		}
	}
	if (e->kind == CPT_PB_FILE_KIND_PIPE || e->kind == CPT_PB_FILE_KIND_FIFO) {
		cpt_pb_u64(&one, CPT_PB_FILE_PIPE_ID, pipe_id);
		if (!sp->saved) {
			ret = cpt_encode_pipe_data(&one, sp->pipe);
			if (ret) {
				cpt_pb_free(&one);
				return ret;
			}
			sp->saved = true;
		}
	}
	cpt_pb_message(msg, CPT_PB_FILES_FILES, &one);
	return 0;
}

/*
 * Gives each fd its File, in increasing fd order so that a refusal names
 * the lowest fd, and encodes each File the first time the tree's fds name
 * it (at its lowest fd in the first process that has it).
 */
static int cpt_encode_files(struct cpt_pb_buf *msg, struct cpt_fd_table *tab,
			    struct cpt_file_registry *reg, char *buf)
{
	struct cpt_saved_file *sf, *peer, *pty_master;
	struct file *pty_slave;
	struct cpt_pb_buf one;
	unsigned int i;
	int ret, pty_kind;

	for (i = 0; i < tab->nr; i++) {
		struct cpt_fd_entry *e = &tab->ent[i], *o = &tab->ent[e->owner];

		sf = cpt_find_saved(reg, e->file);
		if (!sf)
			return -EAGAIN;	/* the tree was scanned frozen: a bug */
		peer = NULL;
		if (!sf->id && S_ISSOCK(file_inode(e->file)->i_mode))
			peer = cpt_unix_pair_peer(reg, e->file);
		pty_kind = cpt_pty_in_tree(reg, e->file, &pty_master, &pty_slave);
		if (pty_kind < 0)
			return pty_kind;
		if (peer) {
			e->kind = CPT_PB_FILE_KIND_UNIX_PAIR;
			/* Both ends get the pair's id with the first. */
			if (!peer->pair)
				peer->pair = ++reg->next_pair;
			sf->pair = peer->pair;
		} else if (sf->pipe >= 0 && cpt_pipe_in_tree(&reg->pipes[sf->pipe])) {
			e->kind = cpt_is_anon_pipe(e->file) ? CPT_PB_FILE_KIND_PIPE :
							      CPT_PB_FILE_KIND_FIFO;
		} else if (pty_kind) {
			e->kind = pty_kind;
		} else if (cpt_is_shell_stdio(file_inode(e->file))) {
			if (o->fd > 2)
				return cpt_refuse(o->fd, S_ISFIFO(file_inode(o->file)->i_mode) ?
						  "pipe to a process outside the tree" : "tty");
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
			ret = cpt_encode_file(msg, e, reg, NULL, 0, buf);
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
		if (!sf->id) {
			sf->id = ++reg->next_id;
			sf->kind = e->kind;
			e->id = sf->id;
			/* Pipe ids are the session's pipe indices, from 1. */
			ret = cpt_encode_file(msg, e, reg,
					      sf->pipe >= 0 ? &reg->pipes[sf->pipe] : NULL,
					      e->kind == CPT_PB_FILE_KIND_UNIX_PAIR ? sf->pair :
					      sf->pipe + 1, buf);
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
 * Before the first process's FILES: every file of every fd table of the
 * tree, so that a pipe is known to be the tree's own (all its ends here)
 * before any of its ends is saved. The tree is frozen: the tables hold.
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
			ret = cpt_note_tree_file(reg, tab.ent[i].file);
		cpt_fd_table_release(&tab);
	}
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
	reg->pid_ns = task_active_pid_ns(s->tasks[0].task);
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
	if (!ret)
		ret = cpt_collect_fds(s->cur->task, &tab);
	if (!ret)
		ret = cpt_group_fds(&tab);
	if (!ret)
		ret = cpt_encode_files(msg, &tab, reg, buf);
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
	u32 pipe_id;
	u32 pipe_size;
	const void *pipe_data;	/* in the record, during restore() */
	u32 pipe_data_len;
	const void *content;	/* likewise */
	u32 content_len;
	u64 eventfd_count;
	bool eventfd_semaphore;
	u32 unix_type;
	u32 pair_id;
	const u8 *unix_addr;	/* in the record, during restore() */
	u32 unix_addr_len;
	u32 unix_backlog;
	u64 signalfd_mask;
	u64 mq_maxmsg;
	u64 mq_msgsize;
	u32 pty_index;
	struct cpt_pty_image pty;
	struct cpt_timer_state timer;
	struct cpt_epoll_target *targets;	/* EPOLL: added in the final step */
	unsigned int nr_targets;
	const void *record;	/* the File's own message, to walk its unix_messages again */
	size_t record_len;
	bool used;
	char *path;
	struct file *file;
};

struct cpt_epoll_target {
	u32 fd;
	u32 events;
	u64 data;
};

/* The most fds one epoll instance of an image watches. */
#define CPT_MAX_EPOLL_TARGETS 65536

struct cpt_rfd {
	unsigned int fd;
	bool cloexec;
	u32 id;
	struct cpt_rfile *file;	/* this record's File, or NULL: an earlier process's */
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
	case CPT_PB_FILE_KIND_PIPE:
	case CPT_PB_FILE_KIND_FIFO:
		return S_IFIFO;
	case CPT_PB_FILE_KIND_DELETED:
	case CPT_PB_FILE_KIND_MEMFD:
		return S_IFREG;
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
	case CPT_PB_FILE_KIND_DELETED:
	case CPT_PB_FILE_KIND_MEMFD:
		if ((rfile->mode & S_IFMT) != S_IFREG)
			bad = "mode";
		else if (rfile->kind == CPT_PB_FILE_KIND_DELETED ? *path != '/' :
			 strncmp(path, "memfd:", 6) || strchr(path, '/'))
			bad = "path";
		else if ((rfile->flags & O_ACCMODE) == O_ACCMODE ||
			 (rfile->kind == CPT_PB_FILE_KIND_MEMFD &&
			  (rfile->flags & O_ACCMODE) != O_RDWR))
			bad = "access mode";
		else if (rfile->content_len > CPT_MAX_CONTENT || rfile->pos > LLONG_MAX)
			bad = "content";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_UNIX_PAIR:
		if ((rfile->mode & S_IFMT) != S_IFSOCK)
			bad = "mode";
		else if (rfile->unix_type != SOCK_STREAM && rfile->unix_type != SOCK_DGRAM &&
			 rfile->unix_type != SOCK_SEQPACKET)
			bad = "socket type";
		else if (!rfile->pair_id || rfile->pair_id > CPT_MAX_FILES)
			bad = "pair id";
		else if (rfile->unix_addr_len &&
			 (rfile->unix_type == SOCK_DGRAM ||
			  !cpt_unix_addr_valid(rfile->unix_addr, rfile->unix_addr_len)))
			bad = "socket name";
		else if ((rfile->flags & O_ACCMODE) != O_RDWR)
			bad = "access mode";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_PTY_MASTER:
	case CPT_PB_FILE_KIND_PTY_SLAVE:
		if ((rfile->mode & S_IFMT) != S_IFCHR)
			bad = "mode";
		else if (*path != '/' || !strrchr(path, '/')[1])
			bad = "path";
		else if (rfile->pty_index >= NR_UNIX98_PTY_MAX)
			bad = "pty index";
		else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
			bad = "access mode";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_UNIX_LISTENER:
		if ((rfile->mode & S_IFMT) != S_IFSOCK)
			bad = "mode";
		else if (rfile->unix_type != SOCK_STREAM && rfile->unix_type != SOCK_SEQPACKET)
			bad = "socket type";
		else if (!cpt_unix_addr_valid(rfile->unix_addr, rfile->unix_addr_len))
			bad = "socket name";
		else if ((rfile->flags & O_ACCMODE) != O_RDWR)
			bad = "access mode";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_INOTIFY:
		/* What inotify_init1() gives: read-only; its calls check the watches. */
		if ((rfile->flags & O_ACCMODE) != O_RDONLY)
			bad = "access mode";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_MQUEUE:
		if ((rfile->mode & S_IFMT) != S_IFREG)
			bad = "mode";
		else if (!cpt_mqueue_valid(path, rfile->mq_maxmsg, rfile->mq_msgsize))
			bad = "message queue name or attributes";
		else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
			bad = "access mode";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_SIGNALFD:
	case CPT_PB_FILE_KIND_TIMERFD:
	case CPT_PB_FILE_KIND_EPOLL:
		/* The kernel's own calls check the rest (clock ids, times, events). */
		if ((rfile->flags & O_ACCMODE) != O_RDWR)
			bad = "access mode";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_EVENTFD:
		/* What eventfd() gives: read-write; write() refuses the top value. */
		if ((rfile->flags & O_ACCMODE) != O_RDWR)
			bad = "access mode";
		else if (rfile->eventfd_count == U64_MAX)
			bad = "eventfd counter";
		else
			return 0;
		goto bad;
	case CPT_PB_FILE_KIND_PIPE:
	case CPT_PB_FILE_KIND_FIFO:
		if ((rfile->mode & S_IFMT) != S_IFIFO)
			bad = "mode";
		else if (rfile->kind == CPT_PB_FILE_KIND_FIFO && *path != '/')
			bad = "path";
		else if ((rfile->flags & O_ACCMODE) == O_ACCMODE ||
			 (rfile->kind == CPT_PB_FILE_KIND_PIPE &&
			  (rfile->flags & O_ACCMODE) == O_RDWR))
			bad = "access mode";
		else if (!rfile->pipe_id || rfile->pipe_id > CPT_MAX_FILES)
			bad = "pipe id";
		else if (rfile->pipe_data_len > rfile->pipe_size)
			bad = "pipe data";
		else
			return 0;
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

static int cpt_decode_epoll_target(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	struct cpt_epoll_target *t, *more;
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	int ret;

	if (rfile->nr_targets == CPT_MAX_EPOLL_TARGETS)
		return -EBADMSG;
	if (!(rfile->nr_targets & (rfile->nr_targets - 1))) {
		more = kvrealloc(rfile->targets, rfile->nr_targets * sizeof(*t),
				 max(1U, rfile->nr_targets * 2) * sizeof(*t), GFP_KERNEL_ACCOUNT);
		if (!more)
			return -ENOMEM;
		rfile->targets = more;
	}
	t = &rfile->targets[rfile->nr_targets];
	*t = (struct cpt_epoll_target) {};
	ret = cpt_pb_get_message(f, &r);
	while (!ret && (ret = cpt_pb_next(&r, &g)) > 0) {
		switch (g.num) {
		case CPT_PB_EPOLL_TARGET_FD:
			ret = cpt_pb_get_u32(&g, &t->fd);
			break;
		case CPT_PB_EPOLL_TARGET_EVENTS:
			ret = cpt_pb_get_u32(&g, &t->events);
			break;
		case CPT_PB_EPOLL_TARGET_DATA:
			ret = cpt_pb_get_u64(&g, &t->data);
			break;
		default:
			ret = 0;
		}
	}
	if (!ret)
		rfile->nr_targets++;
	return ret;
}

static int cpt_decode_file(struct cpt_rfile *rfile, const struct cpt_pb_field *f, char *path)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	u64 size;
	int ret;

	*path = 0;
	rfile->record = f->data;
	rfile->record_len = f->len;
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
		case CPT_PB_FILE_PIPE_ID:
			ret = cpt_pb_get_u32(&g, &rfile->pipe_id);
			break;
		case CPT_PB_FILE_PIPE_SIZE:
			ret = cpt_pb_get_u32(&g, &rfile->pipe_size);
			break;
		case CPT_PB_FILE_PIPE_DATA:
			ret = g.wire == CPT_PB_BYTES && g.len <= U32_MAX ? 0 : -EBADMSG;
			rfile->pipe_data = g.data;
			rfile->pipe_data_len = g.len;
			break;
		case CPT_PB_FILE_EPOLL_TARGETS:
			ret = cpt_decode_epoll_target(rfile, &g);
			break;
		case CPT_PB_FILE_SIGNALFD_MASK:
			ret = cpt_pb_get_u64(&g, &rfile->signalfd_mask);
			break;
		case CPT_PB_FILE_MQ_MAXMSG:
			ret = cpt_pb_get_u64(&g, &rfile->mq_maxmsg);
			break;
		case CPT_PB_FILE_MQ_MSGSIZE:
			ret = cpt_pb_get_u64(&g, &rfile->mq_msgsize);
			break;
		case CPT_PB_FILE_PTY_INDEX:
			ret = cpt_pb_get_u32(&g, &rfile->pty_index);
			break;
		case CPT_PB_FILE_UNIX_ADDR:
			ret = g.wire == CPT_PB_BYTES && g.len <= sizeof(struct sockaddr_un) ? 0 :
			      -EBADMSG;
			rfile->unix_addr = g.data;
			rfile->unix_addr_len = g.len;
			break;
		case CPT_PB_FILE_UNIX_BACKLOG:
			ret = cpt_pb_get_u32(&g, &rfile->unix_backlog);
			break;
		case CPT_PB_FILE_PTY:
			ret = cpt_pty_decode(&g, &rfile->pty);
			break;
		case CPT_PB_FILE_TIMER_CLOCK:
			ret = cpt_pb_get_u32(&g, &rfile->timer.clock);
			break;
		case CPT_PB_FILE_TIMER_TICKS:
			ret = cpt_pb_get_u64(&g, &rfile->timer.ticks);
			break;
		case CPT_PB_FILE_TIMER_VALUE_NS:
			ret = cpt_pb_get_u64(&g, &rfile->timer.value_ns);
			break;
		case CPT_PB_FILE_TIMER_INTERVAL_NS:
			ret = cpt_pb_get_u64(&g, &rfile->timer.interval_ns);
			break;
		case CPT_PB_FILE_UNIX_TYPE:
			ret = cpt_pb_get_u32(&g, &rfile->unix_type);
			break;
		case CPT_PB_FILE_PAIR_ID:
			ret = cpt_pb_get_u32(&g, &rfile->pair_id);
			break;
		case CPT_PB_FILE_UNIX_MESSAGES:
			ret = g.wire == CPT_PB_BYTES ? 0 : -EBADMSG;
			break;
		case CPT_PB_FILE_EVENTFD_COUNT:
			ret = cpt_pb_get_u64(&g, &rfile->eventfd_count);
			break;
		case CPT_PB_FILE_EVENTFD_SEMAPHORE:
			ret = cpt_pb_get_bool(&g, &rfile->eventfd_semaphore);
			break;
		case CPT_PB_FILE_CONTENT:
			ret = g.wire == CPT_PB_BYTES && g.len <= U32_MAX ? 0 : -EBADMSG;
			rfile->content = g.data;
			rfile->content_len = g.len;
			break;
		default:
			ret = 0;
		}
	}
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

static int cpt_decode_fd(struct cpt_restore_files *rf, struct cpt_file_registry *reg,
			 const struct cpt_pb_field *f)
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
	rfd->id = key.id;
	rfd->file = bsearch(&key, rf->files, rf->nr_files, sizeof(*rf->files), cpt_cmp_rfile_id);
	/* Not this record's: then an earlier process's, restored already. */
	if (!rfd->file && !xa_load(&reg->restored, key.id)) {
		cpt_note("image: fd %u names no file (id %u)\n", rfd->fd, key.id);
		return -EBADMSG;
	}
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
	unsigned int i;
	int ret;

	cpt_pb_reader_init(&r, data, len);
	while ((ret = cpt_pb_next(&r, &f)) > 0) {
		if (f.num != CPT_PB_FILES_FDS)
			continue;
		ret = rf->nr_fds < max ? cpt_decode_fd(rf, reg, &f) : -EBADMSG;
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
static void cpt_set_nonblock(struct file *file, bool nonblock)
{
	spin_lock(&file->f_lock);
	if (nonblock)
		file->f_flags |= O_NONBLOCK;
	else
		file->f_flags &= ~O_NONBLOCK;
	spin_unlock(&file->f_lock);
}

/* Gives a new pipe, through a non-blocking write end of it, the saved size and data. */
static int cpt_fill_pipe(struct cpt_rfile *rfile, struct file *writer)
{
	loff_t pos = 0;
	ssize_t done;
	long size;

	size = cpt_sym.pipe_fcntl(writer, F_GETPIPE_SZ, 0);
	if (rfile->pipe_size && rfile->pipe_size != size) {
		size = cpt_sym.pipe_fcntl(writer, F_SETPIPE_SZ, rfile->pipe_size);
		if (size < 0) {
			cpt_note("pipe %u: cannot set its size to %u: %ld\n",
				 rfile->pipe_id, rfile->pipe_size, size);
			return size;
		}
	}
	if (rfile->pipe_data_len > size) {
		cpt_note("image: pipe %u holds %u bytes, more than its %ld\n",
			 rfile->pipe_id, rfile->pipe_data_len, size);
		return -EBADMSG;
	}
	if (rfile->pipe_data_len) {
		done = kernel_write(writer, rfile->pipe_data, rfile->pipe_data_len, &pos);
		if (done != rfile->pipe_data_len)
			return done < 0 ? done : -EIO;
	}
	return 0;
}

/*
 * An end of a named FIFO, opened by its path as the restarting caller. For
 * its first end, a read-write open of our own keeps the pipe (and the data
 * it gets) alive until the session ends, and lets the other ends open
 * without blocking.
 */
static int cpt_open_fifo(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *holder = xa_load(&reg->pipe_ends, rfile->pipe_id);
	struct file *file;
	struct path p;
	bool fifo;
	int ret;

	/* Looked up first: an image never makes us open what it does not claim. */
	ret = kern_path(rfile->path, 0, &p);
	if (ret) {
		cpt_note("cannot find the FIFO %s: %d\n", rfile->path, ret);
		return ret;
	}
	fifo = S_ISFIFO(d_inode(p.dentry)->i_mode);
	path_put(&p);
	if (!fifo) {
		cpt_note("%s is no longer a FIFO\n", rfile->path);
		return -ESTALE;
	}
	if (!holder) {
		holder = filp_open(rfile->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW, 0);
		if (IS_ERR(holder)) {
			cpt_note("cannot open the FIFO %s: %ld\n", rfile->path, PTR_ERR(holder));
			return PTR_ERR(holder);
		}
		if (!cpt_pipe_of(holder)) {
			fput(holder);
			cpt_note("%s is no longer a FIFO\n", rfile->path);
			return -ESTALE;
		}
		ret = xa_insert(&reg->pipe_ends, rfile->pipe_id, holder, GFP_KERNEL_ACCOUNT);
		if (ret) {
			fput(holder);
			return ret;
		}
		ret = cpt_fill_pipe(rfile, holder);
		if (ret)
			return ret;
	}
	file = filp_open(rfile->path, rfile->flags | O_NONBLOCK | O_NOFOLLOW, 0);
	if (IS_ERR(file)) {
		cpt_note("cannot open the FIFO %s: %ld\n", rfile->path, PTR_ERR(file));
		return PTR_ERR(file);
	}
	rfile->file = file;
	if (cpt_pipe_of(file) != cpt_pipe_of(holder)) {
		cpt_note("%s is no longer the FIFO it was\n", rfile->path);
		return -ESTALE;
	}
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return 0;
}

/*
 * A pipe end: the pipe is created (with its size and data) for its first
 * end, whose File carries them; the other end waits in the registry for
 * its own File, in this process or a later one.
 */
static int cpt_open_pipe(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	bool writer = (rfile->flags & O_ACCMODE) == O_WRONLY;
	struct file *ends[2], *other;
	int ret;

	other = xa_erase(&reg->pipe_ends, rfile->pipe_id);
	if (other) {
		if (!!(other->f_mode & FMODE_WRITE) != writer) {
			fput(other);
			cpt_note("image: pipe %u has two Files for one end\n", rfile->pipe_id);
			return -EOPNOTSUPP;
		}
		rfile->file = other;
		goto flags;
	}
	/* Non-blocking while the data goes in: a bad image must not hang us. */
	ret = cpt_sym.create_pipe_files(ends, O_NONBLOCK);
	if (ret)
		return ret;
	rfile->file = ends[writer];
	ret = xa_insert(&reg->pipe_ends, rfile->pipe_id, ends[!writer], GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(ends[!writer]);
		return ret == -EBUSY ? -EBADMSG : ret;
	}
	ret = cpt_fill_pipe(rfile, ends[1]);
	if (ret)
		return ret;
	cpt_set_nonblock(ends[!writer], false);
flags:
	cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	return 0;
}

static int cpt_fill_content(struct cpt_rfile *rfile, struct file *file)
{
	loff_t pos = 0;
	ssize_t done;

	if (rfile->content_len) {
		done = kernel_write(file, rfile->content, rfile->content_len, &pos);
		if (done != rfile->content_len)
			return done < 0 ? done : -EIO;
	}
	return 0;
}

/*
 * A deleted file comes back as a new unlinked file (O_TMPFILE) in the
 * directory it was in, created as the restarting caller, with its content;
 * then opened again with the saved access mode and flags.
 */
static int cpt_open_deleted(struct cpt_rfile *rfile)
{
	char *dir = rfile->path, *slash;
	struct file *tmp, *file;
	size_t len = strlen(dir);
	int ret;

	/* d_path() said "/dir/name (deleted)". */
	if (len > 10 && !strcmp(dir + len - 10, " (deleted)"))
		dir[len - 10] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EBADMSG;
	*slash = 0;
	tmp = filp_open(*dir ? dir : "/", O_TMPFILE | O_RDWR | O_LARGEFILE, rfile->mode & 07777);
	*slash = '/';
	if (IS_ERR(tmp)) {
		cpt_note("cannot create a nameless file in the directory of %s: %ld\n",
			 rfile->path, PTR_ERR(tmp));
		return PTR_ERR(tmp);
	}
	ret = cpt_fill_content(rfile, tmp);
	if (ret) {
		fput(tmp);
		return ret;
	}
	file = dentry_open(&tmp->f_path, rfile->flags | O_LARGEFILE, current_cred());
	fput(tmp);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return 0;
}

/* A memfd comes back as a new one of its name (as memfd_create() makes it), with its content. */
static int cpt_open_memfd(struct cpt_rfile *rfile)
{
	struct file *file;
	int ret;

	file = shmem_file_setup(rfile->path, 0, VM_NORESERVE);
	if (IS_ERR(file))
		return PTR_ERR(file);
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	rfile->file = file;
	ret = cpt_fill_content(rfile, file);
	if (ret)
		return ret;
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return 0;
}

/* Puts the saved offset back; a device's means nothing (/dev/null's resets to 0). */
static int cpt_seek_saved(struct cpt_rfile *rfile)
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

/* Sends, from its peer, what this end of a pair had yet to read. */
static int cpt_refill_unix(struct cpt_rfile *rfile, struct socket *sock)
{
	struct sock *peer = unix_peer_get(sock->sk);
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL };
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	struct kvec vec;
	int ret, sent;

	if (!peer)
		return -ENOTCONN;
	cpt_pb_reader_init(&r, rfile->record, rfile->record_len);
	while ((ret = cpt_pb_next(&r, &g)) > 0) {
		if (g.num != CPT_PB_FILE_UNIX_MESSAGES || !g.len)
			continue;
		vec.iov_base = (void *)g.data;
		vec.iov_len = g.len;
		sent = kernel_sendmsg(peer->sk_socket, &msg, &vec, 1, g.len);
		if (sent != g.len) {
			cpt_note("socket pair %u: cannot queue %zu saved bytes again: %d\n",
				 rfile->pair_id, g.len, sent);
			ret = sent < 0 ? sent : -ENOBUFS;
			break;
		}
	}
	sock_put(peer);
	return ret;
}

/*
 * An end of a unix socket pair: the pair is made for its first end, as
 * socketpair() makes it (in the restoring task's network namespace, as
 * the caller), the other end waiting in the registry for its own File.
 * Each end's saved queue is sent again from its peer.
 */
static int cpt_open_unix_pair(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct socket *pair[2] = {};
	struct file *other;
	int ret, i;

	other = xa_erase(&reg->pair_ends, rfile->pair_id);
	if (other) {
		rfile->file = other;
		if (sock_from_file(other)->sk->sk_type != rfile->unix_type)
			return -EBADMSG;
		goto fill;
	}
	for (i = 0; i < 2; i++) {
		ret = sock_create(AF_UNIX, rfile->unix_type, 0, &pair[i]);
		if (ret)
			goto out_release;
	}
	ret = pair[0]->ops->socketpair(pair[0], pair[1]);
	if (ret)
		goto out_release;
	rfile->file = sock_alloc_file(pair[0], 0, NULL);
	pair[0] = NULL;		/* the file has it, or freed it */
	if (IS_ERR(rfile->file)) {
		ret = PTR_ERR(rfile->file);
		rfile->file = NULL;
		goto out_release;
	}
	other = sock_alloc_file(pair[1], 0, NULL);
	pair[1] = NULL;
	if (IS_ERR(other))
		return PTR_ERR(other);
	ret = xa_insert(&reg->pair_ends, rfile->pair_id, other, GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(other);
		return ret == -EBUSY ? -EBADMSG : ret;
	}
fill:
	if (rfile->unix_addr_len) {
		ret = cpt_unix_set_addr(rfile->file, rfile->unix_addr, rfile->unix_addr_len);
		if (ret)
			return ret;
	}
	cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	return cpt_refill_unix(rfile, sock_from_file(rfile->file));

out_release:
	for (i = 0; i < 2; i++)
		if (pair[i])
			sock_release(pair[i]);
	return ret;
}

/*
 * Runs one of the kernel's fd-making system calls in the restoring task and
 * takes the file it made out of the task's table (the final step installs
 * it where the image says).
 */
static struct file *cpt_file_from_syscall(long (*call)(const struct pt_regs *regs),
					  struct pt_regs *regs)
{
	struct file *file;
	long fd = call(regs);

	if (fd < 0)
		return ERR_PTR(fd);
	file = fget(fd);
	close_fd(fd);
	return file ?: ERR_PTR(-EBADF);
}

/*
 * A page of the restoring task's memory for the arguments those calls read
 * from user space; the final step replaces that memory anyway.
 */
static unsigned long cpt_user_scratch(void)
{
	return vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
}

/* A signalfd with its mask, made by the kernel's signalfd4(). */
static int cpt_open_signalfd(struct cpt_rfile *rfile)
{
	unsigned long scratch = cpt_user_scratch();
	struct pt_regs regs = {
		.di = -1,
		.si = scratch,
		.dx = sizeof(rfile->signalfd_mask),
		.r10 = O_CLOEXEC | (rfile->flags & O_NONBLOCK),
	};
	struct file *file;

	if (IS_ERR_VALUE(scratch))
		return scratch;
	if (copy_to_user((void __user *)scratch, &rfile->signalfd_mask,
			 sizeof(rfile->signalfd_mask)))
		file = ERR_PTR(-EFAULT);
	else
		file = cpt_file_from_syscall(cpt_sym.sys_signalfd4, &regs);
	vm_munmap(scratch, PAGE_SIZE);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return 0;
}

/*
 * A timerfd on its clock, armed with the time it had left and its period
 * (relative: an absolute timer comes back with the same time left), and
 * its unread expirations (TFD_IOC_SET_TICKS, as CRIU does it): the
 * kernel's timerfd_create() and timerfd_settime() in the restoring task.
 */
static int cpt_open_timerfd(struct cpt_rfile *rfile)
{
	const struct cpt_timer_state *t = &rfile->timer;
	unsigned long scratch = cpt_user_scratch();
	struct pt_regs regs = {
		.di = t->clock,
		.si = O_CLOEXEC | (rfile->flags & O_NONBLOCK),
	};
	struct __kernel_itimerspec its = {};
	long fd, ret = 0;
	u32 ns;

	if (IS_ERR_VALUE(scratch))
		return scratch;
	fd = cpt_sym.sys_timerfd_create(&regs);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	/*
	 * A periodic timer that expired, its expirations unread, shows no
	 * time left: the kernel re-arms it only when it is read. It comes back
	 * expiring at once; the periods it missed before are not counted.
	 */
	its.it_value.tv_sec = div_u64_rem(t->value_ns ?: !!t->interval_ns, NSEC_PER_SEC, &ns);
	its.it_value.tv_nsec = ns;
	its.it_interval.tv_sec = div_u64_rem(t->interval_ns, NSEC_PER_SEC, &ns);
	its.it_interval.tv_nsec = ns;
	if (its.it_value.tv_sec || its.it_value.tv_nsec) {
		regs = (struct pt_regs) { .di = fd, .si = 0, .dx = scratch, .r10 = 0 };
		ret = copy_to_user((void __user *)scratch, &its, sizeof(its)) ? -EFAULT :
		      cpt_sym.sys_timerfd_settime(&regs);
	}
	rfile->file = fget(fd);
	close_fd(fd);
	if (!ret && !rfile->file)
		ret = -EBADF;
	if (!ret && t->ticks)
		ret = copy_to_user((void __user *)scratch, &t->ticks, sizeof(t->ticks)) ? -EFAULT :
		      rfile->file->f_op->unlocked_ioctl(rfile->file, TFD_IOC_SET_TICKS, scratch);
out:
	vm_munmap(scratch, PAGE_SIZE);
	if (ret)
		cpt_note("timerfd on clock %u: cannot set it again: %ld\n", t->clock, ret);
	return ret;
}

/* An eventfd, made by the kernel's eventfd2() in the restoring task, with its counter. */
static int cpt_open_eventfd(struct cpt_rfile *rfile)
{
	u64 first = min_t(u64, rfile->eventfd_count, UINT_MAX);
	struct pt_regs regs = {
		.di = first,
		.si = (rfile->eventfd_semaphore ? EFD_SEMAPHORE : 0) |
		      (rfile->flags & O_NONBLOCK) | O_CLOEXEC,
	};
	struct eventfd_ctx *ctx;
	long fd;

	fd = cpt_sym.sys_eventfd2(&regs);
	if (fd < 0)
		return fd;
	rfile->file = fget(fd);
	close_fd(fd);
	if (!rfile->file)
		return -EBADF;
	if (rfile->eventfd_count > first) {
		ctx = eventfd_ctx_fileget(rfile->file);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		eventfd_signal(ctx, rfile->eventfd_count - first);
		eventfd_ctx_put(ctx);
	}
	return 0;
}

/*
 * Where a pty's other end is, by its devpts's layout: the slave of
 * DIR/pts/ptmx is DIR/pts/N, of DIR/ptmx (the /dev/ptmx of most systems)
 * DIR/pts/N; the ptmx of DIR/pts/N is DIR/ptmx.
 */
static char *cpt_pty_other_path(const char *path, bool master, u32 index)
{
	char *dir = kstrdup(path, GFP_KERNEL), *other, *cut;

	if (!dir)
		return NULL;
	*strrchr(dir, '/') = 0;			/* the end's directory */
	cut = strrchr(dir, '/');
	if (!master)
		other = kasprintf(GFP_KERNEL, "%.*s/ptmx", cut ? (int)(cut - dir) : 0, dir);
	else if (cut && !strcmp(cut, "/pts"))
		other = kasprintf(GFP_KERNEL, "%s/%u", dir, index);
	else
		other = kasprintf(GFP_KERNEL, "%s/pts/%u", dir, index);
	kfree(dir);
	return other;
}

/*
 * A pty end: the first File of the pty makes it, with its state; a master
 * File takes that master (a pty has one), a slave File opens the slave.
 */
static int cpt_open_pty(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	bool master = rfile->kind == CPT_PB_FILE_KIND_PTY_MASTER;
	struct cpt_restored_pty *pty = xa_load(&reg->ptys, rfile->pty_index);
	char *ptmx = NULL;
	int ret;

	if (!pty) {
		pty = kzalloc(sizeof(*pty), GFP_KERNEL_ACCOUNT);
		if (!pty)
			return -ENOMEM;
		ptmx = master ? NULL : cpt_pty_other_path(rfile->path, false, 0);
		pty->slave_path = master ? cpt_pty_other_path(rfile->path, true, rfile->pty_index) :
					   kstrdup(rfile->path, GFP_KERNEL);
		if ((!master && !ptmx) || !pty->slave_path) {
			ret = -ENOMEM;
			goto fail;
		}
		pty->master = cpt_pty_create(master ? rfile->path : ptmx, rfile->pty_index,
					     &rfile->pty);
		kfree(ptmx);
		if (IS_ERR(pty->master)) {
			ret = PTR_ERR(pty->master);
			goto fail;
		}
		pty->session = rfile->pty.session;
		pty->foreground = rfile->pty.foreground;
		ret = xa_insert(&reg->ptys, rfile->pty_index, pty, GFP_KERNEL_ACCOUNT);
		if (ret) {
			fput(pty->master);
			goto fail;
		}
	} else if (rfile->pty.present) {
		cpt_note("image: pty %u has its state twice\n", rfile->pty_index);
		return -EBADMSG;
	}
	if (master) {
		if (pty->master_claimed) {
			cpt_note("image: pty %u has two masters\n", rfile->pty_index);
			return -EBADMSG;
		}
		pty->master_claimed = true;
		rfile->file = get_file(pty->master);
		return 0;
	}
	rfile->file = cpt_pty_open_slave(pty->master, rfile->path, rfile->flags);
	if (IS_ERR(rfile->file)) {
		ret = PTR_ERR(rfile->file);
		rfile->file = NULL;
		return ret;
	}
	return 0;
fail:
	kfree(pty->slave_path);
	kfree(pty);
	return ret;
}

/* In a session leader's final step: the pty that was its controlling terminal. */
static int cpt_apply_ctty(struct cpt_file_registry *reg)
{
	struct cpt_restored_pty *pty;
	pid_t self = task_tgid_vnr(current);
	unsigned long i;
	int ret = 0;

	xa_for_each(&reg->ptys, i, pty)
		if (!ret && pty->session && pty->session == self)
			ret = cpt_pty_set_ctty(pty->master, pty->slave_path, pty->foreground);
	return ret;
}

/* The File's new file, from a maker that gives the file or its error. */
static int cpt_claim_file(struct cpt_rfile *rfile, struct file *file)
{
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return 0;
}

static int cpt_open_file(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const char *path = rfile->path;
	struct file *file;
	struct path p;
	bool same;
	int ret;

	if (rfile->kind == CPT_PB_FILE_KIND_PIPE)
		return cpt_open_pipe(reg, rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_FIFO)
		return cpt_open_fifo(reg, rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_DELETED)
		return cpt_open_deleted(rfile) ?: cpt_seek_saved(rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_MEMFD)
		return cpt_open_memfd(rfile) ?: cpt_seek_saved(rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_EVENTFD)
		return cpt_open_eventfd(rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_PTY_MASTER || rfile->kind == CPT_PB_FILE_KIND_PTY_SLAVE)
		return cpt_open_pty(reg, rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_UNIX_LISTENER)
		return cpt_claim_file(rfile, cpt_unix_listener_open(rfile->unix_type,
								    rfile->unix_addr,
								    rfile->unix_addr_len,
								    rfile->unix_backlog,
								    rfile->flags));
	if (rfile->kind == CPT_PB_FILE_KIND_INOTIFY)
		return cpt_claim_file(rfile, cpt_inotify_open(rfile->flags, rfile->record,
							      rfile->record_len));
	if (rfile->kind == CPT_PB_FILE_KIND_MQUEUE)
		return cpt_claim_file(rfile, cpt_mqueue_open(path, rfile->flags, rfile->mode,
							     rfile->mq_maxmsg, rfile->mq_msgsize,
							     rfile->record, rfile->record_len));
	if (rfile->kind == CPT_PB_FILE_KIND_UNIX_PAIR)
		return cpt_open_unix_pair(reg, rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_SIGNALFD)
		return cpt_open_signalfd(rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_TIMERFD)
		return cpt_open_timerfd(rfile);
	if (rfile->kind == CPT_PB_FILE_KIND_EPOLL) {
		struct pt_regs regs = { .di = O_CLOEXEC };

		return cpt_claim_file(rfile, cpt_file_from_syscall(cpt_sym.sys_epoll_create1,
								   &regs));
	}
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
	return cpt_seek_saved(rfile);

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
		kvfree(rf->files[i].targets);
	}
	kvfree(rf->files);
	kvfree(rf->fds);
	kfree(rf);
	s->cur->files = NULL;
}

static int cpt_files_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_file_registry *reg = cpt_files_registry(s);
	struct cpt_restore_files *rf;
	unsigned int nr_files, nr_fds, i;
	char *path;
	int ret;

	if (!reg)
		return -ENOMEM;
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
		ret = cpt_decode_fds(rf, reg, data, len, nr_fds);
	for (i = 0; !ret && i < rf->nr_files; i++)
		ret = cpt_open_file(reg, &rf->files[i]);
	/* Later processes' fds may name these Files too; ids are the image's. */
	for (i = 0; !ret && i < rf->nr_files; i++) {
		ret = xa_insert(&reg->restored, rf->files[i].id, get_file(rf->files[i].file),
				GFP_KERNEL_ACCOUNT);
		if (ret) {
			fput(rf->files[i].file);
			if (ret == -EBUSY)
				cpt_note("image: file id %u used twice\n", rf->files[i].id);
			ret = ret == -EBUSY ? -EBADMSG : ret;
		}
	}
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
static int cpt_install_fds(struct cpt_restore_files *rf, struct cpt_file_registry *files)
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
		fd_install(rfd->fd, get_file(rfd->file ? rfd->file->file :
					    xa_load(&files->restored, rfd->id)));
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
 * Gives each epoll instance of the process its interest list again, once
 * every fd is back at its number: epoll knows a watched file by its fd.
 * The kernel's epoll_ctl() does it, reading each event from a scratch page.
 */
static int cpt_fill_epolls(struct cpt_restore_files *rf)
{
	struct epoll_event ev;
	unsigned long scratch = 0;
	unsigned int i, j, k;
	struct pt_regs regs;
	long ret = 0;

	for (i = 0; !ret && i < rf->nr_files; i++) {
		struct cpt_rfile *rfile = &rf->files[i];

		if (rfile->kind != CPT_PB_FILE_KIND_EPOLL || !rfile->nr_targets)
			continue;
		for (k = 0; k < rf->nr_fds && rf->fds[k].file != rfile; k++)
			;
		if (k == rf->nr_fds)
			continue;
		if (!scratch)
			scratch = cpt_user_scratch();
		if (IS_ERR_VALUE(scratch)) {
			ret = scratch;
			scratch = 0;
			break;
		}
		for (j = 0; !ret && j < rfile->nr_targets; j++) {
			ev.events = (__force __poll_t)rfile->targets[j].events;
			ev.data = rfile->targets[j].data;
			regs = (struct pt_regs) {
				.di = rf->fds[k].fd,
				.si = EPOLL_CTL_ADD,
				.dx = rfile->targets[j].fd,
				.r10 = scratch,
			};
			ret = copy_to_user((void __user *)scratch, &ev, sizeof(ev)) ? -EFAULT :
			      cpt_sym.sys_epoll_ctl(&regs);
			if (ret)
				cpt_note("epoll fd %u: cannot watch fd %u again: %ld\n",
					 rf->fds[k].fd, rfile->targets[j].fd, ret);
		}
	}
	if (scratch)
		vm_munmap(scratch, PAGE_SIZE);
	return ret;
}

/*
 * A process that shares an earlier process's fd table was built with a
 * table of its own, since it still needed its fds to restore itself. Its
 * final step empties that table and takes a reference to the owner's for
 * each of its threads; they swap tables when FINALIZE releases them. The
 * owner restored earlier and is parked, so its table is its saved one.
 */
static int cpt_files_share(struct cpt_session *s, struct cpt_restore_files *rf)
{
	struct cpt_task *self = s->cur, *owner = NULL, *t;
	struct files_struct *files;
	unsigned int i;
	int ret;

	for (i = 0; i < s->nr_tasks && !owner; i++)
		if (s->tasks[i].pid == self->fd_table_of)
			owner = &s->tasks[i];
	if (!owner || owner->state != CPT_RESTORE_PARKED || !owner->task)
		return -EINVAL;
	ret = cpt_close_all_fds(rf);
	if (ret)
		return ret;
	task_lock(owner->task);
	files = owner->task->files;
	for (i = 0; files && i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t->tgid == self->pid && !t->zombie && !t->adopted_files) {
			atomic_inc(&files->count);
			t->adopted_files = files;
		}
	}
	task_unlock(owner->task);
	return files ? 0 : -ESRCH;
}

/* On release: a task whose process shares a table swaps to it. */
void cpt_files_adopt(struct cpt_task *t)
{
	struct files_struct *old;

	if (!t->adopted_files)
		return;
	task_lock(current);
	old = current->files;
	current->files = t->adopted_files;
	task_unlock(current);
	t->adopted_files = NULL;
	cpt_sym.put_files_struct(old);
}

/*
 * In the final step: closes every fd of the restoring task (the session
 * holds its own references to what it needs) and installs the saved ones.
 */
int cpt_files_apply(struct cpt_session *s)
{
	struct cpt_restore_files *rf = s->cur->files;
	int ret;

	if (s->cur->fd_table_of) {
		if (rf)
			return -EINVAL;
		rf = kzalloc(sizeof(*rf), GFP_KERNEL_ACCOUNT);
		if (!rf)
			return -ENOMEM;
		s->cur->files = rf;
		return cpt_files_share(s, rf) ?: cpt_apply_ctty(s->files);
	}
	if (!rf)
		return -EINVAL;
	if (atomic_read(&current->files->count) > get_nr_threads(current))
		return -EBUSY;
	ret = cpt_close_all_fds(rf);
	if (!ret)
		ret = cpt_install_fds(rf, s->files);
	if (!ret)
		ret = cpt_fill_epolls(rf);
	if (!ret)
		ret = cpt_apply_ctty(s->files);
	return ret;
}

const struct cpt_subsys_ops cpt_files_ops = {
	.name = "files",
	.record = CPT_REC_FILES,
	.save = cpt_files_save,
	.restore = cpt_files_restore,
	.free = cpt_files_free,
};
