// SPDX-License-Identifier: GPL-2.0
/*
 * The final step of a restart's fd table: the restoring task's own fds are
 * closed and the restored files installed at their saved numbers, or the
 * table of an earlier process that shared it is taken on.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cpt_files.h"
#include "cpt_symbols.h"

static void cpt_put_files_work(struct work_struct *work)
{
	struct cpt_file_putter *p = container_of(work, struct cpt_file_putter, work);
	unsigned int i;

	for (i = 0; i < p->nr; i++)
		fput(p->files[i]);
	p->nr = 0;
}

/* The current task's first file at an fd at or above *fd (*fd moved there), or NULL. */
struct file *cpt_next_own_file(unsigned int *fd)
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
			ret = cpt_long_loop_check();
			if (ret)
				goto out;
		}
		fd_install(rfd->fd, get_file(cpt_rfd_file(files, rfd)));
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
 * Once every fd is back at its number: what a kind gives its files then
 * (epoll instances, their interest lists), at each File's lowest fd.
 */
static int cpt_files_installed(struct cpt_restore_files *rf, struct cpt_file_registry *reg)
{
	struct cpt_rfile *rfile;
	unsigned int k;
	int ret = 0;

	/* The fds are in increasing order: a File's first is its lowest. */
	for (k = 0; !ret && k < rf->nr_fds; k++) {
		rfile = rf->fds[k].file;
		if (!rfile || !rfile->ops->installed || rfile->installed)
			continue;
		rfile->installed = true;
		ret = rfile->ops->installed(rf, reg, rfile, rf->fds[k].fd) ?:
		      cpt_long_loop_check();
	}
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
		return cpt_files_share(s, rf) ?: cpt_pty_apply_ctty(s->files);
	}
	if (!rf)
		return -EINVAL;
	if (!cpt_fd_table_alone())
		return -EBUSY;
	ret = cpt_close_all_fds(rf);
	if (!ret)
		ret = cpt_install_fds(rf, s->files);
	if (!ret)
		ret = cpt_files_installed(rf, s->files);
	/* POSIX locks are the fd table's: taken once it is the restored one. */
	if (!ret)
		ret = cpt_lock_apply_posix(rf, s->files);
	/* O_DIRECT, O_NOATIME through F_SETFL, with its checks; O_ASYNC's keeps them. */
	if (!ret)
		ret = cpt_flags_apply(rf);
	/* Signals once nothing of the restart's own can set them off. */
	if (!ret)
		ret = cpt_fown_apply(s, rf);
	if (!ret)
		ret = cpt_pty_apply_ctty(s->files);
	return ret;
}
