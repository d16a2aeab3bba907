// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for who holds an open file: its reference count
 * and the fd tables of every task of the system. A checkpoint --kill ends
 * the tree's TCP connections, which must then be the tree's alone.
 *
 * The count says whether anyone else holds a file, whatever the way: each
 * fd of each fd table holds one reference (fd_install(), dup(), fork()'s
 * dup_fd() and receive_fd() each take one, close() drops it), and every
 * other holder takes its own: an fd in flight in a unix socket message
 * (scm_fp_dup()), a mapping (vm_file), an io_uring's fixed files, a
 * transient fget(). The one exception is fdget() on an fd table no other
 * task uses, which takes none; but a task that uses such a table holds its
 * fd there too, and a frozen tree holds no fdget() either: the freezer
 * (cpt_freeze.c) parks a task on its way back to user mode, past the end
 * of every system call and so past its fdput(), and a task in a group stop
 * is in get_signal(), past it too. So a file of the tree has exactly as
 * many references as the fds of the tree's fd tables on it, plus the ones
 * cpt holds itself; any more is a holder outside the tree.
 *
 * The fd tables name that holder, when it is one: every task's, in every
 * pid namespace, walked by pid number (a task's reference held while its
 * table is read, so that the walk can sleep and be killed). Checked at load
 * (file_refs): dup() of a file made here adds one to its count, close()
 * takes it away.
 */
#include <linux/eventfd.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "cpt_compat.h"
#include "cpt_symbols.h"

long cpt_compat_file_refs(struct file *file)
{
	return file_count(file);
}

/* How many fds the walk reads between two chances for others to run. */
#define CPT_HOLDERS_BATCH 256

static int cpt_holders_yield(void)
{
	cond_resched();
	return fatal_signal_pending(current) ? -EINTR : 0;
}

/* task's fd table, unless skip() passes it, or a thread shares its leader's. */
static int cpt_holders_scan_task(struct task_struct *task, const struct cpt_fd_walk *walk)
{
	struct files_struct *files;
	struct file *file;
	unsigned int fd;
	int ret;

	task_lock(task);
	files = task->files;
	task_unlock(task);
	if (!files || walk->skip(files, walk->arg))
		return 0;
	/*
	 * The leader's table is read in its own turn. Read without its lock,
	 * the pointer is only compared: a thread that unshares its table
	 * meanwhile escapes this walk, not the count.
	 */
	rcu_read_lock();
	if (!thread_group_leader(task) && READ_ONCE(task->group_leader->files) == files) {
		rcu_read_unlock();
		return 0;
	}
	rcu_read_unlock();
	for (fd = 0;; fd++) {
		rcu_read_lock();
		file = task_lookup_next_fd_rcu(task, &fd);
		if (file)
			walk->found(task, file, walk->arg);
		rcu_read_unlock();
		if (!file)
			return 0;
		if (fd % CPT_HOLDERS_BATCH == 0) {
			ret = cpt_holders_yield();
			if (ret)
				return ret;
		}
	}
}

int cpt_compat_walk_fds(const struct cpt_fd_walk *walk)
{
	struct task_struct *task;
	struct pid *pid;
	int nr = 1, ret;

	for (;;) {
		rcu_read_lock();
		pid = find_ge_pid(nr, &init_pid_ns);
		task = pid ? pid_task(pid, PIDTYPE_PID) : NULL;
		if (task)
			get_task_struct(task);
		if (pid)
			nr = pid_nr(pid) + 1;
		rcu_read_unlock();
		if (!pid)
			return 0;
		ret = task ? cpt_holders_scan_task(task, walk) : 0;
		if (task)
			put_task_struct(task);
		ret = ret ?: cpt_holders_yield();
		if (ret)
			return ret;
	}
}

int cpt_check_file_refs(void)
{
	long fd, dup, refs[4];
	struct file *file;

	fd = cpt_sys(cpt_sym.sys_eventfd2, 0, EFD_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return cpt_compat_untested("cannot make an eventfd (%ld)", fd);
	file = fget(fd);
	/* Else, whatever is at fd goes with the check's table. */
	if (!file)
		return cpt_compat_fail("the eventfd just made is not at its fd");
	refs[0] = cpt_compat_file_refs(file);
	dup = cpt_sys(cpt_sym.sys_fcntl, fd, F_DUPFD_CLOEXEC, 0, 0, 0);
	refs[1] = cpt_compat_file_refs(file);
	cpt_compat_own_fd_close(dup, file);
	refs[2] = cpt_compat_file_refs(file);
	cpt_compat_own_fd_close(fd, file);
	refs[3] = cpt_compat_file_refs(file);
	fput(file);
	if (dup < 0)
		return cpt_compat_untested("cannot dup() an eventfd (%ld)", dup);
	/* Ours, and its fd's; its dup's; back, and ours alone. */
	if (refs[0] != 2 || refs[1] != 3 || refs[2] != 2 || refs[3] != 1)
		return cpt_compat_fail("a file's count is not one per fd (%ld, %ld, %ld, %ld)",
				       refs[0], refs[1], refs[2], refs[3]);
	return 0;
}
