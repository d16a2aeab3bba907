// SPDX-License-Identifier: GPL-2.0
/*
 * Restart of a process's fd table: its Files decoded and checked, each one's
 * fields given to its kind, then each File made again by its kind in the
 * restoring task, whose other threads are held meanwhile; and the helpers
 * the kinds use to make them. The final step installs them
 * (cpt_files_install.c).
 */
#include <linux/bsearch.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/security.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

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
		else if (cpt_kernel_fs_is_field(g.num))
			cpt_pb_fail(&r, cpt_kernel_fs_decode_field(rfile, &g));
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

/*
 * How many threads of p's process hold files as their fd table (*threads:
 * their number added). A table's count alone does not tell who holds it:
 * a thread that left it (unshare(CLONE_FILES)) takes one off while a task
 * outside the process that came in (clone(CLONE_FILES)) adds one.
 */
unsigned int cpt_fd_table_holders(struct task_struct *p, const struct files_struct *files,
				  unsigned int *threads)
{
	unsigned int holders = 0;
	struct task_struct *t;

	rcu_read_lock();
	for_each_thread(p, t) {
		(*threads)++;
		holders += READ_ONCE(t->files) == files;
	}
	rcu_read_unlock();
	return holders;
}

/* Whether the current task's fd table is held by each thread of its process, and nobody else. */
bool cpt_fd_table_alone(void)
{
	struct files_struct *files = current->files;
	unsigned int threads = 0, holders;

	holders = cpt_fd_table_holders(current, files, &threads);
	return holders == threads && atomic_read(&files->count) == holders;
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
 * just made in the restoring task: what, with the f_op fops. In the task's
 * own table another thread sharing it could have put another file at that
 * number since (cpt_check_restorer() refuses such a process); in a table
 * of the module's own (cpt_file_from_syscall()) nobody could. The file is
 * checked anyway before the module treats it as what it made.
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
 * takes the file it made (what, with the f_op fops), with a reference; the
 * final step installs it where the image says. The call runs in an fd
 * table of the module's own (cpt_compat_own_fds_enter()), which no other
 * task shares: the file at the fd it returns is the one it made, and the
 * fd goes with that table, closing nothing of anyone else's.
 */
struct file *cpt_file_from_syscall(long (*call)(const struct pt_regs *regs),
				   struct pt_regs *regs, const struct file_operations *fops,
				   const char *what)
{
	struct files_struct *shared;
	struct file *file;
	long fd;
	int ret;

	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		return ERR_PTR(ret);
	fd = call(regs);
	file = fd < 0 ? ERR_PTR(fd) : cpt_fget_made(fd, fops, what);
	cpt_compat_own_fds_leave(shared);
	return file;
}

/*
 * fcntl(fd, cmd, arg) on file, a file the module holds, as the restoring
 * task: at fd of an fd table of the module's own (cpt_compat_own_fds_enter()),
 * never at the number of the task's, where another thread could have put
 * another file. The number is fd all the same: O_ASYNC and a lease keep
 * it for their SIGIO's si_fd. The file leaves that table with
 * cpt_compat_own_fd_out(), not close(), which would drop its POSIX locks.
 */
long cpt_fcntl_own(struct file *file, unsigned int fd, unsigned int cmd, unsigned long arg)
{
	struct files_struct *shared;
	long ret;

	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		return ret;
	ret = cpt_sym.replace_fd(fd, file, 0);
	if (!ret) {
		ret = cpt_sys(cpt_sym.sys_fcntl, fd, cmd, arg, 0, 0);
		cpt_compat_own_fd_out(fd);
	}
	cpt_compat_own_fds_leave(shared);
	return ret;
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

/* Whether the restoring task's fd table is its process's alone. */
static int cpt_check_table_alone(void)
{
	if (!cpt_fd_table_alone()) {
		cpt_note("the restoring task shares its fd table\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The final step replaces the caller's whole fd table and closes the
 * session's fd in it: the table must be the caller's alone, and the caller
 * must not be the coordinator, whose close of that fd ends the session.
 * Checked again once the threads are held: one that ran meanwhile could
 * have cloned a process sharing the table (CLONE_FILES), which could then
 * swap the fds the restore's calls take; past that, none can.
 */
static int cpt_check_restorer(struct cpt_session *s)
{
	if (current->tgid == s->coordinator) {
		cpt_note("the coordinator cannot restore itself\n");
		return -EINVAL;
	}
	return cpt_check_table_alone() ?: cpt_hold_threads(s) ?: cpt_check_table_alone();
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
	/* Before any is made: a restored connection takes no segment till the final step. */
	if (!ret)
		ret = cpt_inet_hold_made(reg, rf);
	for (i = 0; !ret && i < rf->nr_files; i++) {
		cpt_flags_defer(&rf->files[i]);
		ret = rf->files[i].ops->open(reg, &rf->files[i]) ?:
		      cpt_flags_opened(&rf->files[i]) ?:
		      cpt_lock_restore_file(&rf->files[i]) ?: cpt_long_loop_check();
	}
	/*
	 * A failure opening a process's files drops the restart's holds (of
	 * every process so far) now, not at the session's end. A later one
	 * (files_made, reg->restored, the locks' check) leaves them to the
	 * session's release, which unholds them by id too.
	 */
	if (ret)
		cpt_inet_made_unhold(reg);
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
