// SPDX-License-Identifier: GPL-2.0
/*
 * Who an open file signals, and how (fcntl(2)): its owner for SIGIO
 * (F_SETOWN, F_SETOWN_EX: a thread, a process or a process group), the
 * signal it sends instead (F_SETSIG), O_ASYNC with the fd its signals name
 * as si_fd, and a lease (F_SETLEASE), whose break signals that owner.
 *
 * An owner must be a live task, or the group of a live process, of the
 * tree: a restart gives it the same pid, and nothing else. The fds O_ASYNC
 * and a lease were armed through must name the file in the process that
 * saves it. A lease being broken is refused: its holder was told to give it
 * up, in a time a restart cannot set back.
 *
 * A restart arms them again in the final step, once the fds are back at
 * their numbers, as the restored process would: F_SETLEASE and F_SETFL
 * through the kernel's fcntl() at the saved fds (so that their entries
 * name them; the LSMs and a lease's checks, the holder's access, apply),
 * then the owner through __f_setown() as fcntl(F_SETOWN_EX) sets it, and
 * F_SETSIG. The owner's uid and euid, which send_sigio() checks the target
 * against, are the restoring task's: the restarting caller's.
 */
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

static const char *const cpt_owner_kind_names[] = {
	[CPT_PB_FILE_OWNER_KIND_THREAD] = "thread",
	[CPT_PB_FILE_OWNER_KIND_PROCESS] = "process",
	[CPT_PB_FILE_OWNER_KIND_PROCESS_GROUP] = "process group",
};

/*
 * The tree's task an owner of that kind and pid is: a live thread, a live
 * process, or the live leader of a process group; NULL if none.
 */
static const struct cpt_task *cpt_owner_task(const struct cpt_session *s, u32 kind, u32 nr)
{
	const struct cpt_task *t;
	unsigned int i;

	for (i = 0; nr && i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t->pid != nr || t->zombie)
			continue;
		if (kind == CPT_PB_FILE_OWNER_KIND_THREAD)
			return t;
		if (!cpt_task_is_leader(t))
			return NULL;
		if (kind == CPT_PB_FILE_OWNER_KIND_PROCESS ||
		    (kind == CPT_PB_FILE_OWNER_KIND_PROCESS_GROUP && t->pgid == nr))
			return t;
		return NULL;
	}
	return NULL;
}

/* ---- checkpoint ---- */

/* Whether fd is one of the saving process's fds on the File's open file. */
static bool cpt_fd_names_file(const struct cpt_file_save *fs, int fd)
{
	unsigned int i;

	for (i = 0; fd >= 0 && i < fs->nr_fds; i++)
		if (fs->fds[i].fd == fd)
			return fs->fds[i].file == fs->e->file;
	return false;
}

/* The owner's kind, pid in the tree's namespace, and task of the tree. */
static int cpt_owner_save(struct cpt_file_save *fs, const struct cpt_session *s,
			  const struct cpt_file_fown *fo)
{
	u32 kind, nr;
	const struct cpt_task *t;
	struct pid *found;

	switch (fo->type) {
	case PIDTYPE_PID:
		kind = CPT_PB_FILE_OWNER_KIND_THREAD;
		break;
	case PIDTYPE_TGID:
		kind = CPT_PB_FILE_OWNER_KIND_PROCESS;
		break;
	case PIDTYPE_PGID:
		kind = CPT_PB_FILE_OWNER_KIND_PROCESS_GROUP;
		break;
	default:
		return cpt_refuse(fs->e->fd, "an owner for SIGIO of this kind");
	}
	nr = pid_nr_ns(fo->pid, fs->reg->pid_ns);
	t = cpt_owner_task(s, kind, nr);
	found = NULL;
	if (t)
		found = kind == CPT_PB_FILE_OWNER_KIND_THREAD ? task_pid(t->task) :
			kind == CPT_PB_FILE_OWNER_KIND_PROCESS ? task_tgid(t->task) :
			task_pgrp(t->task);
	if (found != fo->pid) {
		cpt_note("fd %u: its owner for SIGIO (F_SETOWN), %s %u, is not %s\n",
			 fs->e->fd, cpt_owner_kind_names[kind], nr,
			 "a live task or process group of the tree");
		return -EOPNOTSUPP;
	}
	cpt_pb_varint(fs->one, CPT_PB_FILE_OWNER_KIND, kind);
	cpt_pb_varint(fs->one, CPT_PB_FILE_OWNER_PID, nr);
	return 0;
}

/* A lease (F_SETLEASE) held through the file, with the fd it was taken through. */
static int cpt_lease_save(struct cpt_file_save *fs, const struct cpt_file_lease *lease)
{
	unsigned int fd = fs->e->fd;

	if (!lease->lease)
		return cpt_refuse(fd, "lease that no F_SETLEASE took (a delegation)");
	if (lease->breaking)
		return cpt_refuse(fd, "lease being broken (F_SETLEASE)");
	if (lease->type != F_RDLCK && lease->type != F_WRLCK)
		return cpt_refuse(fd, "lease of this type (F_SETLEASE)");
	if (fs->e->kind != CPT_PB_FILE_KIND_REGULAR)
		return cpt_refuse(fd, "lease (F_SETLEASE) on a file a restart re-creates");
	if (!cpt_fd_names_file(fs, lease->fd)) {
		cpt_note("fd %u: its lease was taken through fd %d, %s\n", fd, lease->fd,
			 "which does not name it in this process now");
		return -EOPNOTSUPP;
	}
	cpt_pb_varint(fs->one, CPT_PB_FILE_LEASE, lease->type == F_WRLCK ?
		      CPT_PB_FILE_LEASE_TYPE_WRITE_LEASE : CPT_PB_FILE_LEASE_TYPE_READ_LEASE);
	cpt_pb_varint(fs->one, CPT_PB_FILE_LEASE_FD, lease->fd);
	return 0;
}

/*
 * O_ASYNC: the fd its entry names, on the list the file's kind keeps. On a
 * kind without one, F_SETFL does not set the flag: only a lease does, and
 * brings it back; a lease sets it on the others too.
 */
static int cpt_async_save(struct cpt_file_save *fs, bool leased)
{
	struct file *file = fs->e->file;
	int fd = fs->e->fd, ret = -EOPNOTSUPP;

	switch (fs->e->kind) {
	case CPT_PB_FILE_KIND_PIPE:
	case CPT_PB_FILE_KIND_FIFO:
		ret = cpt_compat_fasync_fd(file, CPT_FASYNC_PIPE);
		break;
	case CPT_PB_FILE_KIND_UNIX_PAIR:
	case CPT_PB_FILE_KIND_UNIX_LISTENER:
		ret = cpt_compat_fasync_fd(file, CPT_FASYNC_SOCKET);
		break;
	case CPT_PB_FILE_KIND_PTY_MASTER:
	case CPT_PB_FILE_KIND_PTY_SLAVE:
		ret = cpt_compat_fasync_fd(file, CPT_FASYNC_TTY);
		break;
	case CPT_PB_FILE_KIND_INOTIFY:
		ret = cpt_compat_fasync_fd(file, CPT_FASYNC_INOTIFY);
		break;
	default:
		if (file->f_op->fasync)
			return cpt_refuse(fd, "O_ASYNC on a file of this kind");
		ret = -ENOENT;
	}
	if (ret == -ENOENT && leased)
		return 0;
	if (ret < 0)
		return cpt_refuse(fd, "O_ASYNC with no signal armed");
	if (!cpt_fd_names_file(fs, ret)) {
		cpt_note("fd %u: O_ASYNC was armed through fd %d, %s\n", fd, ret,
			 "which does not name it in this process now");
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(fs->one, CPT_PB_FILE_ASYNC, 1);
	cpt_pb_u64(fs->one, CPT_PB_FILE_ASYNC_FD, ret);
	return 0;
}

int cpt_fown_save(struct cpt_file_save *fs, const struct cpt_session *s)
{
	struct file *file = fs->e->file;
	struct cpt_file_lease lease;
	struct cpt_file_fown fo;
	bool leased;
	int ret = 0;

	cpt_compat_file_fown(file, &fo);
	leased = cpt_compat_file_lease(file, &lease);
	/* The shell's file is not restored: the caller's own is handed on. */
	if (!fs->sf && (fo.pid || fo.signum || leased || (file->f_flags & FASYNC)))
		ret = cpt_refuse(fs->e->fd,
				 "O_ASYNC, a SIGIO owner or a lease on the shell's file");
	if (!ret && leased)
		ret = cpt_lease_save(fs, &lease);
	if (!ret && (file->f_flags & FASYNC))
		ret = cpt_async_save(fs, leased);
	if (!ret && fo.pid)
		ret = cpt_owner_save(fs, s, &fo);
	if (!ret && fo.signum)
		cpt_pb_varint(fs->one, CPT_PB_FILE_OWNER_SIGNAL, fo.signum);
	put_pid(fo.pid);
	return ret;
}

/* ---- restart ---- */

bool cpt_fown_is_field(u32 num)
{
	return num >= CPT_PB_FILE_OWNER_KIND && num <= CPT_PB_FILE_LEASE_FD;
}

int cpt_fown_decode_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	struct cpt_rfile_fown *o = &rfile->fown;

	switch (f->num) {
	case CPT_PB_FILE_OWNER_KIND:
		return cpt_pb_get_u32(f, &o->owner_kind);
	case CPT_PB_FILE_OWNER_PID:
		return cpt_pb_get_u32(f, &o->owner_pid);
	case CPT_PB_FILE_OWNER_SIGNAL:
		return cpt_pb_get_u32(f, &o->signal);
	case CPT_PB_FILE_ASYNC:
		return cpt_pb_get_bool(f, &o->async);
	case CPT_PB_FILE_ASYNC_FD:
		return cpt_pb_get_u32(f, &o->async_fd);
	case CPT_PB_FILE_LEASE:
		return cpt_pb_get_u32(f, &o->lease);
	case CPT_PB_FILE_LEASE_FD:
		return cpt_pb_get_u32(f, &o->lease_fd);
	}
	return 0;
}

static bool cpt_rfd_names(const struct cpt_restore_files *rf, const struct cpt_rfile *rfile,
			  u32 fd)
{
	const struct cpt_rfd *rfd = cpt_rfd_at(rf, fd);

	return rfd && rfd->id == rfile->id;
}

/*
 * Once the process's fds are decoded: what the File asks for is what
 * fcntl() could set, its fds name it, its owner is the tree's.
 */
static int cpt_fown_check_one(const struct cpt_session *s, const struct cpt_restore_files *rf,
			      const struct cpt_rfile *rfile)
{
	const struct cpt_rfile_fown *o = &rfile->fown;
	const char *bad = NULL;

	if (o->owner_kind >= ARRAY_SIZE(cpt_owner_kind_names) ||
	    !o->owner_kind != !o->owner_pid)
		bad = "owner";
	else if (o->owner_kind && !cpt_owner_task(s, o->owner_kind, o->owner_pid))
		bad = "owner (no live task or process group of the tree)";
	else if (!valid_signal(o->signal))
		bad = "signal";
	else if (o->async ? !cpt_rfd_names(rf, rfile, o->async_fd) : o->async_fd)
		bad = "O_ASYNC fd";
	else if (o->lease > CPT_PB_FILE_LEASE_TYPE_WRITE_LEASE ||
		 (o->lease && rfile->kind != CPT_PB_FILE_KIND_REGULAR))
		bad = "lease";
	else if (o->lease ? !cpt_rfd_names(rf, rfile, o->lease_fd) : o->lease_fd)
		bad = "lease fd";
	else if (rfile->kind == CPT_PB_FILE_KIND_INHERITED &&
		 (o->owner_kind || o->signal || o->async || o->lease))
		bad = "owner for SIGIO on an inherited file";
	if (!bad)
		return 0;
	cpt_note("image: file %u: bad %s\n", rfile->id, bad);
	return -EBADMSG;
}

int cpt_fown_check(const struct cpt_session *s, const struct cpt_restore_files *rf)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < rf->nr_files; i++)
		ret = cpt_fown_check_one(s, rf, &rf->files[i]);
	return ret;
}

/*
 * fcntl(fd, cmd, arg) on the File's file as the restoring task
 * (cpt_fcntl_own(): never on what the task's fd holds now), noted if it
 * fails.
 */
static int cpt_fcntl(const struct cpt_rfile *rfile, u32 fd, unsigned int cmd,
		     unsigned long arg, const char *what)
{
	long ret = cpt_fcntl_own(rfile->file, fd, cmd, arg);

	if (ret < 0)
		cpt_note("file %u: cannot %s through fd %u again: %ld%s\n", rfile->id, what, fd,
			 ret, ret == -EAGAIN ? " (another process has the file open)" : "");
	return ret < 0 ? ret : 0;
}

/* The saved owner, as fcntl(F_SETOWN_EX) sets it; none clears what a lease or tty set. */
static int cpt_owner_apply(struct cpt_session *s, const struct cpt_rfile *rfile)
{
	static const enum pid_type types[] = {
		[CPT_PB_FILE_OWNER_KIND_THREAD] = PIDTYPE_PID,
		[CPT_PB_FILE_OWNER_KIND_PROCESS] = PIDTYPE_TGID,
		[CPT_PB_FILE_OWNER_KIND_PROCESS_GROUP] = PIDTYPE_PGID,
	};
	const struct cpt_rfile_fown *o = &rfile->fown;
	const struct cpt_task *t = NULL;
	struct pid *pid = NULL;
	int ret = 0;

	if (o->owner_kind)
		t = cpt_owner_task(s, o->owner_kind, o->owner_pid);
	rcu_read_lock();
	if (t) {
		pid = find_vpid(o->owner_pid);
		/* The pid is the tree's task's, restored: never another's. */
		if (!pid || pid_task(pid, PIDTYPE_PID) != t->task)
			ret = -ESRCH;
	} else if (o->owner_kind) {
		ret = -EBADMSG;
	}
	if (!ret)
		__f_setown(rfile->file, pid, o->owner_kind ? types[o->owner_kind] : PIDTYPE_TGID,
			   1);
	rcu_read_unlock();
	if (ret)
		cpt_note("file %u: its owner for SIGIO, %s %u, is not the tree's task\n",
			 rfile->id, cpt_owner_kind_names[o->owner_kind], o->owner_pid);
	return ret;
}

/* The File's lowest fd in the process (it has one: cpt_decode_fds() checked). */
static u32 cpt_rfile_fd(const struct cpt_restore_files *rf, const struct cpt_rfile *rfile)
{
	unsigned int k;

	for (k = 0; k < rf->nr_fds; k++)
		if (rf->fds[k].id == rfile->id)
			return rf->fds[k].fd;
	return U32_MAX;
}

static int cpt_fown_apply_one(struct cpt_session *s, const struct cpt_restore_files *rf,
			      const struct cpt_rfile *rfile)
{
	const struct cpt_rfile_fown *o = &rfile->fown;
	unsigned int flags;
	int ret = 0;

	if (!o->owner_kind && !o->signal && !o->async && !o->lease)
		return 0;
	/* Sets O_ASYNC, and the restoring task as owner if none is: both are set next. */
	if (o->lease)
		ret = cpt_fcntl(rfile, o->lease_fd, F_SETLEASE,
				o->lease == CPT_PB_FILE_LEASE_TYPE_WRITE_LEASE ? F_WRLCK : F_RDLCK,
				"take its lease (F_SETLEASE)");
	if (!ret && o->async) {
		flags = READ_ONCE(rfile->file->f_flags);
		ret = cpt_fcntl(rfile, o->async_fd, F_SETFL, flags | FASYNC, "set O_ASYNC");
	}
	if (!ret)
		ret = cpt_owner_apply(s, rfile);
	if (!ret && o->signal)
		ret = cpt_fcntl(rfile, cpt_rfile_fd(rf, rfile), F_SETSIG, o->signal,
				"set its signal (F_SETSIG)");
	return ret;
}

/*
 * In the final step, once the fds are at their numbers: each File of the
 * process's record gets its lease, O_ASYNC, owner and signal back.
 */
int cpt_fown_apply(struct cpt_session *s, const struct cpt_restore_files *rf)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < rf->nr_files; i++)
		ret = cpt_fown_apply_one(s, rf, &rf->files[i]);
	return ret;
}
