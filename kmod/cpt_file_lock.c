// SPDX-License-Identifier: GPL-2.0
/*
 * The locks the tree holds on its files. flock() and OFD (F_OFD_SETLK)
 * locks belong to an open file description and go with its File; POSIX
 * record locks (F_SETLK) belong to a process's fd table and go with its
 * Files record, each with the File it is taken through again. A checkpoint
 * reads them from the inode's lock lists (cpt_compat_lock.c); locks others
 * hold on the same files are not the tree's and stay theirs. A restart
 * takes them again through the kernel's own calls, with the checks
 * flock(2) and fcntl(2) make (the file's access mode, the LSMs), as the
 * restoring task and never waiting: a conflicting lock someone took since
 * fails the restart, named. Leases, which signal their file's owner, are
 * cpt_file_owner.c's.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* The most locks one open file, or one process's fd table, may hold in an image. */
#define CPT_MAX_LOCKS 4096U

static const char *const cpt_lock_kind_names[] = {
	[CPT_PB_FILE_LOCK_KIND_FLOCK] = "flock",
	[CPT_PB_FILE_LOCK_KIND_POSIX] = "POSIX",
	[CPT_PB_FILE_LOCK_KIND_OFD] = "OFD",
};

/* ---- checkpoint ---- */

/* A copy of every lock on the inode, whoever holds it, in *held (kfree() it). */
static int cpt_locks_of(struct inode *inode, struct cpt_held_lock **held, unsigned int *nr)
{
	unsigned int cap = 8, n;

	for (;;) {
		*held = kmalloc_array(cap, sizeof(**held), GFP_KERNEL);
		if (!*held)
			return -ENOMEM;
		n = cpt_compat_inode_locks(inode, *held, cap);
		if (n <= cap) {
			*nr = n;
			return 0;
		}
		kfree(*held);
		*held = NULL;
		/* Others' locks count too: an inode this busy is refused. */
		if (n > CPT_MAX_LOCKS) {
			cpt_note("a file of the tree has %u locks (over %u)\n", n, CPT_MAX_LOCKS);
			return -EOPNOTSUPP;
		}
		cap = n;
	}
}

static void cpt_lock_encode(struct cpt_pb_buf *msg, u32 field, u32 kind,
			    const struct cpt_held_lock *h, u32 file_id)
{
	struct cpt_pb_buf one;

	cpt_pb_init(&one);
	cpt_pb_varint(&one, CPT_PB_FILE_LOCK_KIND, kind);
	cpt_pb_u64(&one, CPT_PB_FILE_LOCK_TYPE, h->type == F_WRLCK ?
		   CPT_PB_FILE_LOCK_TYPE_WRITE : CPT_PB_FILE_LOCK_TYPE_READ);
	cpt_pb_u64(&one, CPT_PB_FILE_LOCK_START, h->start);
	cpt_pb_u64(&one, CPT_PB_FILE_LOCK_END, h->end);
	cpt_pb_u64(&one, CPT_PB_FILE_LOCK_FILE_ID, file_id);
	cpt_pb_message(msg, field, &one);
}

static int cpt_lock_check_held(unsigned int fd, const struct cpt_held_lock *h)
{
	if ((h->type != F_RDLCK && h->type != F_WRLCK) || h->start < 0 || h->start > h->end) {
		cpt_note("fd %u: a lock of type %u on bytes %lld-%lld is not supported\n",
			 fd, h->type, h->start, h->end);
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * The flock() and OFD locks of the open file at fd, into its File one;
 * inherited: the file is the checkpointing shell's, which a restart does
 * not restore, so a lock on it is refused.
 */
int cpt_lock_save_file(struct cpt_pb_buf *one, unsigned int fd, struct file *file, bool inherited)
{
	struct cpt_held_lock *held, *h;
	unsigned int nr, i;
	u32 kind;
	int ret;

	ret = cpt_locks_of(file_inode(file), &held, &nr);
	for (i = 0; !ret && i < nr; i++) {
		h = &held[i];
		if (h->owner != file && h->file != file)
			continue;
		/* Leases go with the file's owner (cpt_file_owner.c). */
		if (!(h->flags & (FL_FLOCK | FL_POSIX)))
			continue;
		/* A POSIX lock taken through this file is its process's. */
		if (h->owner != file)
			continue;
		kind = CPT_PB_FILE_LOCK_KIND_OFD;
		if (h->flags & FL_FLOCK)
			kind = CPT_PB_FILE_LOCK_KIND_FLOCK;
		if (!(h->flags & (FL_FLOCK | FL_OFDLCK)))
			ret = cpt_refuse(fd, "POSIX lock owned by an open file");
		else if (inherited)
			ret = cpt_refuse(fd, kind == CPT_PB_FILE_LOCK_KIND_FLOCK ?
					 "flock() lock on the checkpointing shell's file" :
					 "OFD lock on the checkpointing shell's file");
		else
			ret = cpt_lock_check_held(fd, h);
		if (!ret)
			cpt_lock_encode(one, CPT_PB_FILE_LOCKS, kind, h, 0);
	}
	kfree(held);
	return ret;
}

/* The POSIX locks owner holds on the inode of ent[i]'s file, each with its File. */
static int cpt_lock_save_inode(struct cpt_pb_buf *msg, void *owner, pid_t tgid,
			       const struct cpt_fd_entry *ent, unsigned int i,
			       struct xarray *files_here)
{
	const struct cpt_fd_entry *e;
	struct cpt_held_lock *held, *h;
	unsigned int nr, j;
	void *at;
	int ret;

	ret = cpt_locks_of(file_inode(ent[i].file), &held, &nr);
	for (j = 0; !ret && j < nr; j++) {
		h = &held[j];
		if (!(h->flags & FL_POSIX) || (h->flags & FL_OFDLCK) || h->owner != owner)
			continue;
		at = xa_load(files_here, cpt_ptr_key(h->file));
		/* Closing any fd of the inode drops them all: the file is here. */
		if (!at) {
			ret = cpt_refuse(ent[i].fd, "POSIX lock taken through a file no fd names");
			break;
		}
		e = &ent[xa_to_value(at)];
		/* /proc/locks and F_GETLK name the locker: a restart, the table's owner. */
		if (h->pid != tgid)
			ret = cpt_refuse(e->fd, "POSIX lock of a process sharing the fd table");
		else if (e->kind == CPT_PB_FILE_KIND_INHERITED)
			ret = cpt_refuse(e->fd, "POSIX lock on the checkpointing shell's file");
		else
			ret = cpt_lock_check_held(e->fd, h);
		if (!ret)
			cpt_lock_encode(msg, CPT_PB_FILES_POSIX_LOCKS, CPT_PB_FILE_LOCK_KIND_POSIX,
					h, e->id);
	}
	kfree(held);
	return ret;
}

/*
 * The POSIX locks of task's process, owned by its fd table, whose nr fds
 * are ent (each with its File id), into its Files record msg.
 */
int cpt_lock_save_posix(struct cpt_pb_buf *msg, struct task_struct *task,
			const struct cpt_fd_entry *ent, unsigned int nr)
{
	struct xarray files_here, inodes_seen;
	unsigned long inode_key;
	unsigned int i;
	void *owner;
	int ret = 0;

	task_lock(task);
	owner = task->files;	/* only compared with the locks' owners */
	task_unlock(task);
	xa_init(&files_here);
	xa_init(&inodes_seen);
	for (i = 0; !ret && i < nr; i++)
		if (ent[i].owner == i)
			ret = xa_err(xa_store(&files_here, cpt_ptr_key(ent[i].file),
					      xa_mk_value(i), GFP_KERNEL));
	for (i = 0; !ret && i < nr; i++) {
		if (ent[i].owner != i || !locks_inode_context(file_inode(ent[i].file)))
			continue;
		inode_key = cpt_ptr_key(file_inode(ent[i].file));
		if (xa_load(&inodes_seen, inode_key))
			continue;
		ret = xa_err(xa_store(&inodes_seen, inode_key, xa_mk_value(0), GFP_KERNEL)) ?:
		      cpt_lock_save_inode(msg, owner, task->tgid, ent, i, &files_here) ?:
		      cpt_long_loop_check();
	}
	xa_destroy(&files_here);
	xa_destroy(&inodes_seen);
	return ret;
}

/* ---- restart ---- */

/* One FileLock of the image, checked to be a lock fcntl() or flock() could take. */
static int cpt_lock_decode(const struct cpt_pb_field *f, struct cpt_lock_image *li)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	const char *bad = NULL;
	int ret;

	*li = (struct cpt_lock_image) {};
	if (f->wire != CPT_PB_BYTES)
		return -EBADMSG;
	cpt_pb_for_each_subfield(&r, f, &g) {
		switch (g.num) {
		case CPT_PB_FILE_LOCK_KIND:
			cpt_pb_read_u32(&r, &g, &li->kind);
			break;
		case CPT_PB_FILE_LOCK_TYPE:
			cpt_pb_read_u32(&r, &g, &li->type);
			break;
		case CPT_PB_FILE_LOCK_START:
			cpt_pb_read_u64(&r, &g, &li->start);
			break;
		case CPT_PB_FILE_LOCK_END:
			cpt_pb_read_u64(&r, &g, &li->end);
			break;
		case CPT_PB_FILE_LOCK_FILE_ID:
			cpt_pb_read_u32(&r, &g, &li->file_id);
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return ret;
	if (li->kind == CPT_PB_FILE_LOCK_KIND_NONE || li->kind >= ARRAY_SIZE(cpt_lock_kind_names))
		bad = "kind";
	else if (li->type != CPT_PB_FILE_LOCK_TYPE_READ && li->type != CPT_PB_FILE_LOCK_TYPE_WRITE)
		bad = "type";
	else if (li->start > li->end || li->end > OFFSET_MAX ||
		 (li->kind == CPT_PB_FILE_LOCK_KIND_FLOCK &&
		  (li->start || li->end != OFFSET_MAX)))
		bad = "range";
	else if (!li->file_id != (li->kind != CPT_PB_FILE_LOCK_KIND_POSIX))
		bad = "file id";
	if (bad) {
		cpt_note("image: bad %s of a file lock (kind %u)\n", bad, li->kind);
		return -EBADMSG;
	}
	return 0;
}

/* A File's locks field: a flock() or OFD lock of its open file, counted. */
int cpt_lock_decode_file_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	struct cpt_lock_image li;
	int ret = cpt_lock_decode(f, &li);

	if (ret)
		return ret;
	if (li.kind == CPT_PB_FILE_LOCK_KIND_POSIX || rfile->nr_locks >= CPT_MAX_LOCKS ||
	    rfile->kind == CPT_PB_FILE_KIND_INHERITED) {
		cpt_note("image: file %u: a %s lock it cannot hold\n", rfile->id,
			 cpt_lock_kind_names[li.kind]);
		return -EBADMSG;
	}
	rfile->nr_locks++;
	return 0;
}

/*
 * Takes the lock li on file (the image's File id) again as the current
 * task, as flock(2) or fcntl(2) F_SETLK / F_OFD_SETLK would: a file
 * opened for it, the LSMs' consent, no wait.
 */
/* The file is open as flock(2) or fcntl(2) needs it for the lock li (id: its File's). */
static int cpt_lock_may(struct file *file, u32 id, const struct cpt_lock_image *li)
{
	fmode_t need = li->type == CPT_PB_FILE_LOCK_TYPE_WRITE ? FMODE_WRITE : FMODE_READ;

	if (li->kind == CPT_PB_FILE_LOCK_KIND_FLOCK)
		need = FMODE_READ | FMODE_WRITE;
	if (file->f_mode & need)
		return 0;
	cpt_note("file %u: its %s lock needs it open for %s\n", id, cpt_lock_kind_names[li->kind],
		 need & FMODE_READ ? "reading" : "writing");
	return -EBADF;
}

static int cpt_lock_take(struct file *file, u32 id, const struct cpt_lock_image *li)
{
	unsigned char type = li->type == CPT_PB_FILE_LOCK_TYPE_WRITE ? F_WRLCK : F_RDLCK;
	const char *kind = cpt_lock_kind_names[li->kind];
	unsigned int flags = FL_POSIX;
	struct file_lock *fl;
	int ret;

	if (li->kind == CPT_PB_FILE_LOCK_KIND_FLOCK)
		flags = FL_FLOCK;
	else if (li->kind == CPT_PB_FILE_LOCK_KIND_OFD)
		flags = FL_POSIX | FL_OFDLCK;
	ret = cpt_lock_may(file, id, li);
	if (ret)
		return ret;
	fl = locks_alloc_lock();
	if (!fl)
		return -ENOMEM;
	cpt_compat_init_lock(fl, file, flags, type, li->start, li->end);
	ret = cpt_sym.security_file_lock(file, type);
	if (!ret && (flags & FL_FLOCK))
		ret = file->f_op->flock ? file->f_op->flock(file, F_SETLK, fl) :
					  locks_lock_inode_wait(file_inode(file), fl);
	else if (!ret)
		ret = vfs_lock_file(file, F_SETLK, fl, NULL);
	locks_free_lock(fl);
	if (ret)
		cpt_note("file %u: cannot take its %s %s lock on bytes %llu-%llu again: %d%s\n",
			 id, kind, type == F_WRLCK ? "write" : "read", li->start, li->end, ret,
			 ret == -EAGAIN ? " (another process holds a conflicting lock)" : "");
	return ret == FILE_LOCK_DEFERRED ? -EAGAIN : ret;
}

/* A restored File's flock() and OFD locks, on its new file (rfile->file). */
int cpt_lock_restore_file(struct cpt_rfile *rfile)
{
	struct cpt_lock_image li;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int ret;

	if (!rfile->nr_locks)
		return 0;
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (f.num != CPT_PB_FILE_LOCKS)
			continue;
		ret = cpt_lock_decode(&f, &li) ?: cpt_lock_take(rfile->file, rfile->id, &li);
		if (ret)
			return ret;
	}
	return cpt_pb_end(&r);
}

/*
 * The process's POSIX locks (the Files record's posix_locks), checked:
 * each through a File one of its fds names.
 */
int cpt_lock_decode_posix(struct cpt_restore_files *rf, const void *data, size_t len)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct xarray ids;
	unsigned int nr = 0, i;
	int ret = 0;

	cpt_pb_for_each_field(&r, data, len, &f)
		nr += f.num == CPT_PB_FILES_POSIX_LOCKS;
	if (!nr)
		return 0;
	if (nr > CPT_MAX_LOCKS) {
		cpt_note("image: %u POSIX locks (over %u)\n", nr, CPT_MAX_LOCKS);
		return -EBADMSG;
	}
	rf->posix = kvcalloc(nr, sizeof(*rf->posix), GFP_KERNEL_ACCOUNT);
	if (!rf->posix)
		return -ENOMEM;
	xa_init(&ids);
	for (i = 0; !ret && i < rf->nr_fds; i++)
		ret = xa_err(xa_store(&ids, rf->fds[i].id, xa_mk_value(0), GFP_KERNEL));
	cpt_pb_for_each_field(&r, data, len, &f) {
		struct cpt_lock_image *li = &rf->posix[rf->nr_posix];

		if (ret || f.num != CPT_PB_FILES_POSIX_LOCKS)
			continue;
		ret = cpt_lock_decode(&f, li);
		if (!ret && (li->kind != CPT_PB_FILE_LOCK_KIND_POSIX ||
			     !xa_load(&ids, li->file_id))) {
			cpt_note("image: a POSIX lock through file %u, which no fd names\n",
				 li->file_id);
			ret = -EBADMSG;
		}
		rf->nr_posix += !ret;
	}
	xa_destroy(&ids);
	return ret ?: cpt_pb_end(&r);
}

/*
 * Once the process's Files are open: each POSIX lock's file is open for
 * it, so that an image asking for more fails here, before the final step.
 */
int cpt_lock_check_posix(struct cpt_restore_files *rf, struct cpt_file_registry *reg)
{
	struct file *file;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < rf->nr_posix; i++) {
		file = xa_load(&reg->restored, rf->posix[i].file_id);
		ret = file ? cpt_lock_may(file, rf->posix[i].file_id, &rf->posix[i]) : -EBADMSG;
	}
	return ret;
}

/*
 * In the final step, once the fds are installed: the POSIX locks, owned
 * by the restored fd table (current's) and its process, as F_SETLK takes them.
 */
int cpt_lock_apply_posix(struct cpt_restore_files *rf, struct cpt_file_registry *reg)
{
	struct file *file;
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < rf->nr_posix; i++) {
		file = xa_load(&reg->restored, rf->posix[i].file_id);
		ret = file ? cpt_lock_take(file, rf->posix[i].file_id, &rf->posix[i]) : -EBADMSG;
		ret = ret ?: cpt_long_loop_check();
	}
	return ret;
}
