// SPDX-License-Identifier: GPL-2.0
/*
 * pidfds (pidfd_open(), clone3()'s CLONE_PIDFD). A pidfd is a reference to
 * a struct pid, and its O_NONBLOCK: nothing else. A pidfd of a process of
 * the tree comes back as a pidfd of the restored process with that pid,
 * made by the kernel's pidfd_open() in the restoring task: cptctl builds
 * the whole tree, zombies included, before any task restores itself, so
 * that process exists by then. It polls readable when that process exits,
 * and pidfd_send_signal() and waitid(P_PIDFD) act on it.
 *
 * A pidfd whose process had exited and been reaped refers to a pid that no
 * task has any more: it polls readable, pidfd_send_signal() fails with
 * ESRCH, waitid(P_PIDFD) with ECHILD, and its fdinfo shows Pid -1. A
 * restart makes such a pid as a fork() that fails after alloc_pid() does:
 * allocated in the restoring task's namespace and freed at once, its
 * number back in the namespace's pool; its pidfd is made as CLONE_PIDFD
 * makes one, before the pid has a task. The number it had is only shown.
 *
 * Refused at checkpoint, naming the fd: a pidfd of a process outside the
 * tree, or of a pid of another pid namespace than the tree's.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/threads.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* What a pidfd's f_flags hold: pidfd_open() and clone3() make it O_RDWR. */
#define CPT_PIDFD_FLAGS (O_ACCMODE | O_NONBLOCK)

/* The process of the tree with that pid in the tree's namespace, or NULL. */
static const struct cpt_task *cpt_pidfd_tree_process(const struct cpt_session *s, u32 nr)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pid == nr)
			return cpt_task_is_leader(&s->tasks[i]) ? &s->tasks[i] : NULL;
	return NULL;
}

/* ---- checkpoint ---- */

static int cpt_pidfd_claim(unsigned int fd, struct file *file)
{
	return file->f_op == cpt_sym.pidfd_fops ? CPT_PB_FILE_KIND_PIDFD : 0;
}

/*
 * Whether the pidfd's pid is a process of the tree (its leader, frozen with
 * it), or of nobody any more. pid_nr_ns() keeps a pid's number after its
 * task is gone.
 */
static int cpt_pidfd_save(struct cpt_file_save *fs)
{
	struct pid *pid = fs->e->file->private_data;
	const struct cpt_session *s = fs->reg->session;
	const struct cpt_task *t;
	struct task_struct *leader;
	bool exited, thread;
	pid_t nr;

	if (ns_of_pid(pid) != fs->reg->pid_ns) {
		cpt_note("fd %u: pidfd of a process outside the tree's pid namespace %s\n",
			 fs->e->fd, "is not supported");
		return -EOPNOTSUPP;
	}
	nr = pid_nr_ns(pid, fs->reg->pid_ns);
	rcu_read_lock();
	leader = pid_task(pid, PIDTYPE_TGID);
	thread = !leader && pid_has_task(pid, PIDTYPE_PID);
	exited = !leader && !thread;
	t = cpt_pidfd_tree_process(s, nr);
	if (t && t->task != leader)
		t = NULL;
	rcu_read_unlock();
	if (thread) {
		cpt_note("fd %u: pidfd of thread %d, no process's, is not supported\n",
			 fs->e->fd, nr);
		return -EOPNOTSUPP;
	}
	if (!exited && !t) {
		cpt_note("fd %u: pidfd of pid %d, a process outside the tree, is not supported\n",
			 fs->e->fd, nr);
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(fs->one, CPT_PB_FILE_PIDFD_PID, nr);
	if (exited)
		cpt_pb_u64(fs->one, CPT_PB_FILE_PIDFD_EXITED, 1);
	return 0;
}

/* ---- restart ---- */

static int cpt_pidfd_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_PIDFD_PID:
		return cpt_pb_get_u32(f, &rfile->pidfd.pid);
	case CPT_PB_FILE_PIDFD_EXITED:
		return cpt_pb_get_bool(f, &rfile->pidfd.exited);
	}
	return CPT_FILE_FOREIGN;
}

static int cpt_pidfd_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if (rfile->flags & ~CPT_PIDFD_FLAGS)
		*bad = "open flags";
	else if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (!rfile->pidfd.pid || rfile->pidfd.pid >= PID_MAX_LIMIT)
		*bad = "pidfd pid";
	else if (rfile->pos)
		*bad = "position";
	return *bad ? -EBADMSG : 0;
}

/* A pidfd of the restored process with the saved pid, by pidfd_open() in the restoring task. */
static int cpt_pidfd_open_process(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_task *t = cpt_pidfd_tree_process(reg->session, rfile->pidfd.pid);
	struct pt_regs regs = { .di = rfile->pidfd.pid, .si = rfile->flags & O_NONBLOCK };
	struct file *file;

	if (!t) {
		cpt_note("image: file %u: pidfd of pid %u, which is no process of the tree\n",
			 rfile->id, rfile->pidfd.pid);
		return -EBADMSG;
	}
	file = cpt_file_from_syscall(cpt_sym.sys_pidfd_open, &regs, cpt_sym.pidfd_fops, "pidfd");
	if (IS_ERR(file)) {
		cpt_note("cannot open a pidfd of pid %u: %ld\n", rfile->pidfd.pid, PTR_ERR(file));
		return PTR_ERR(file);
	}
	/* A task of the tree already restoring itself is known: it must be that one. */
	if (t->task && task_tgid(t->task) != file->private_data) {
		fput(file);
		cpt_note("pid %u is not the restored process\n", rfile->pidfd.pid);
		return -ESRCH;
	}
	rfile->file = file;
	return 0;
}

/*
 * A pidfd of a pid that no task has, in the restoring task's namespace:
 * allocated and freed at once, as copy_process() does when a fork fails
 * past alloc_pid(). The file holds the struct pid, whose number is free.
 */
struct file *cpt_pidfd_of_gone_pid(unsigned int flags)
{
	struct pid *pid = cpt_sym.alloc_pid(task_active_pid_ns(current), NULL, 0);
	struct file *file;

	if (IS_ERR(pid))
		return ERR_CAST(pid);
	file = anon_inode_getfile("[pidfd]", cpt_sym.pidfd_fops, pid, O_RDWR | flags);
	if (!IS_ERR(file))
		get_pid(pid);	/* the file's: pidfd_release() puts it */
	cpt_sym.free_pid(pid);
	return file;
}

static int cpt_pidfd_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *file;

	if (!rfile->pidfd.exited)
		return cpt_pidfd_open_process(reg, rfile);
	file = cpt_pidfd_of_gone_pid(rfile->flags & O_NONBLOCK);
	if (IS_ERR(file)) {
		cpt_note("cannot make a pidfd of an exited process: %ld\n", PTR_ERR(file));
		return PTR_ERR(file);
	}
	rfile->file = file;
	return 0;
}

const struct cpt_file_ops cpt_file_pidfd_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_pidfd_claim,
	.save = cpt_pidfd_save,
	.decode = cpt_pidfd_decode,
	.check = cpt_pidfd_check,
	.open = cpt_pidfd_open,
};
