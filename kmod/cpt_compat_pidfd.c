// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for pidfds (cpt_file_pidfd.c): a pidfd is a file
 * with kernel/fork.c's pidfd_fops whose private data is its struct pid, as
 * pidfd_pid() reads it; and a pid that alloc_pid() made and free_pid()
 * freed, as a failed fork() leaves it, is no task's, is no longer found by
 * its number, and a pidfd of it polls readable, as one of a process that
 * exited and was reaped. Checked at load (pidfd): a pidfd of the loading
 * task made by pidfd_open(), and one of a pid made and freed here.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_symbols.h"

static int cpt_check_pidfd_of_self(void)
{
	struct file *file;
	int ret = 0;
	long fd;

	fd = cpt_sys(cpt_sym.sys_pidfd_open, task_tgid_vnr(current), O_NONBLOCK, 0, 0, 0);
	if (fd < 0)
		return cpt_compat_fail("pidfd_open() of the loading task: %ld", fd);
	file = fget(fd);
	cpt_compat_own_fd_close(fd, file);
	if (!file)
		return cpt_compat_fail("the pidfd pidfd_open() made is gone");
	if (file->f_op != cpt_sym.pidfd_fops)
		ret = cpt_compat_fail("a pidfd has another f_op than pidfd_fops");
	else if (file->private_data != task_tgid(current))
		ret = cpt_compat_fail("a pidfd's private data is not its struct pid");
	else if ((file->f_flags & (O_ACCMODE | O_NONBLOCK)) != (O_RDWR | O_NONBLOCK))
		ret = cpt_compat_fail("a pidfd has flags %#o", file->f_flags);
	fput(file);
	return ret;
}

int cpt_check_pidfd(void)
{
	struct pid *pid, *found;
	struct file *file;
	__poll_t ready;
	int ret;
	pid_t nr;

	ret = cpt_check_pidfd_of_self();
	if (ret)
		return ret;
	file = cpt_pidfd_of_gone_pid(O_NONBLOCK);
	if (IS_ERR(file))
		return cpt_compat_fail("cannot make a pidfd of a freed pid: %ld", PTR_ERR(file));
	pid = file->private_data;
	nr = pid_nr_ns(pid, task_active_pid_ns(current));
	found = find_get_pid(nr);
	ready = vfs_poll(file, NULL);
	if (found == pid)
		ret = cpt_compat_fail("pid %d is still found once freed", nr);
	else if (pid_has_task(pid, PIDTYPE_PID) || pid_has_task(pid, PIDTYPE_TGID))
		ret = cpt_compat_fail("a freed pid has a task");
	else if (!(ready & EPOLLIN))
		ret = cpt_compat_fail("a pidfd of a freed pid polls %#x",
				      (__force unsigned int)ready);
	put_pid(found);
	fput(file);
	return ret;
}
