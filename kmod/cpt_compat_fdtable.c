// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for the restoring task's fd table, where the
 * kernel's system calls a restart runs put the files they make, and which
 * the task's other threads (and any task it cloned with CLONE_FILES) share:
 * what is at an fd can change between two looks at it, so the module never
 * trusts a number there.
 *
 * - An fd table of the module's own: the current task is moved, for a few
 *   calls, to an empty table no other task shares (as unshare(CLONE_FILES)
 *   moves it), so that the file found at an fd is the one those calls
 *   made, and moved back after; the calls' fds go with the table. fs/file.c
 *   makes a table only by copying another, dup_fd() (not exported; its
 *   punch hole, from 6.1.y's close_range() fix, keeps the copy to the 64
 *   fds of the smallest table). Each is copied from one empty table, the
 *   template, made once at load: a copy of the loader's, whose files are
 *   taken out with close_fd_get_file() and dropped with fput() alone, as
 *   no close() made them (no ->flush(), no lock released). So a window
 *   takes no reference on the restoring task's files, which its other
 *   threads may close meanwhile.
 * - An fd closed only while it holds a given file: the look and the pick
 *   under the table's file_lock, with __close_fd_get_file() (fs/internal.h,
 *   not exported: close_fd()'s pick_file() alone, under the lock its caller
 *   holds); filp_close() after, as close_fd() does, is ours.
 *
 * dup_fd()'s prototype (include/linux/fdtable.h: 6.1.192's, since 6.1.y's
 * close_range() fix, takes a struct fd_range; before, a count and an
 * error pointer), which kallsyms cannot check, is checked at build time.
 *
 * Checked at load (own_fd_table): an eventfd made here is not closed at its fd
 * for another file, and is for its own, leaving the number free again; an
 * fd table of the module's own starts empty, holding none of the loader's
 * files (their counts as they were), gives 0 first, holds the file put
 * there, and leaves the loader's table and the file's count as they were.
 * A load that cannot make the template, or a table for a check that must
 * run in one, is refused.
 */
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/sched/task.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_symbols.h"

/* kallsyms gives an address: the type it is called through is the kernel's. */
static_assert(__same_type(&dup_fd, cpt_sym.dup_fd));

/*
 * An empty table, made once by the own_fd_table check, which every table of
 * the module's own copies: no task has it, so it stays empty, and a copy
 * holds none of the restoring task's files (no count raised, no fput() of
 * ours the last one after another thread's close()).
 */
static struct files_struct *cpt_own_fds_template;

/* A copy of from's first 64 fds at least (dup_fd()'s punch hole covers them all). */
static struct files_struct *cpt_own_fds_copy(struct files_struct *from)
{
	struct fd_range all = { .from = 0, .to = ~0U };

	return cpt_sym.dup_fd(from, &all);
}

static void cpt_own_fds_swap(struct files_struct **files)
{
	struct files_struct *was;

	task_lock(current);
	was = current->files;
	current->files = *files;
	task_unlock(current);
	*files = was;
}

int cpt_compat_own_fds_init(void)
{
	struct files_struct *files;
	unsigned int fd;

	if (cpt_own_fds_template)
		return 0;
	/* The loader's files copied, then taken out of the copy, entered alone. */
	files = cpt_own_fds_copy(current->files);
	if (IS_ERR(files))
		return PTR_ERR(files);
	cpt_own_fds_swap(&files);
	for (fd = 0; cpt_next_own_file(&fd); fd++)
		cpt_compat_own_fd_out(fd);
	cpt_own_fds_swap(&files);
	cpt_own_fds_template = files;
	return 0;
}

void cpt_compat_own_fds_exit(void)
{
	if (cpt_own_fds_template)
		cpt_sym.put_files_struct(cpt_own_fds_template);
	cpt_own_fds_template = NULL;
}

int cpt_compat_own_fds_enter(struct files_struct **shared)
{
	struct files_struct *own;

	if (WARN_ON_ONCE(!cpt_own_fds_template))
		return -ENODEV;
	own = cpt_own_fds_copy(cpt_own_fds_template);
	if (IS_ERR(own))
		return PTR_ERR(own);
	cpt_own_fds_swap(&own);
	*shared = own;
	return 0;
}

void cpt_compat_own_fd_out(unsigned int fd)
{
	struct file *file = close_fd_get_file(fd);

	if (file)
		fput(file);
}

void cpt_compat_own_fds_leave(struct files_struct *shared)
{
	struct files_struct *own = shared;

	cpt_own_fds_swap(&own);
	if (WARN_ON_ONCE(own == shared))
		return;
	cpt_sym.put_files_struct(own);
}

bool cpt_compat_close_fd_holding(unsigned int fd, const struct file *file)
{
	struct files_struct *files = current->files;
	struct file *picked = NULL;

	spin_lock(&files->file_lock);
	if (files_lookup_fd_locked(files, fd) == file)
		picked = cpt_sym.close_fd_get_file_locked(fd);
	spin_unlock(&files->file_lock);
	if (!picked)
		return false;
	filp_close(picked, files);
	return true;
}

void cpt_compat_own_fd_close(long fd, const struct file *file)
{
	if (fd >= 0 && !IS_ERR_OR_NULL(file))
		cpt_compat_close_fd_holding(fd, file);
}

/* The lowest free fd of the current table, given back at once. */
static int cpt_lowest_free_fd(void)
{
	int fd = get_unused_fd_flags(0);

	if (fd >= 0)
		put_unused_fd(fd);
	return fd;
}

/* A file put in an fd table of the module's own, and that table left. */
static int cpt_check_own_fds(struct file *file, long fd_shared)
{
	struct files_struct *shared;
	long refs = cpt_compat_file_refs(file);
	unsigned int first = 0;
	int fd, ret;
	struct file *got;

	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		return cpt_compat_fail("cannot make an fd table of cpt's own (%d)", ret);
	if (current->files == shared || cpt_next_own_file(&first)) {
		ret = cpt_compat_fail("an fd table of cpt's own is not empty (fd %u)", first);
	} else if (cpt_compat_file_refs(file) != refs) {
		/* Copied from the empty template, it holds none of the loader's files. */
		ret = cpt_compat_fail("cpt's own table holds the loader's file (refs %ld, now %ld)",
				      refs, cpt_compat_file_refs(file));
	} else {
		fd = get_unused_fd_flags(0);
		if (fd >= 0)
			fd_install(fd, get_file(file));
		got = fd >= 0 ? fget(fd) : NULL;
		if (got)
			fput(got);
		if (fd != 0 || got != file)
			ret = cpt_compat_fail("an fd table of cpt's own gave fd %d, %s", fd,
					      got == file ? "its file" : "another file");
	}
	cpt_compat_own_fds_leave(shared);
	got = fget(fd_shared);
	if (got)
		fput(got);
	if (!ret && (current->files != shared || got != file ||
		     cpt_compat_file_refs(file) != refs))
		ret = cpt_compat_fail("leaving an fd table of cpt's own: %s, refs %ld -> %ld",
				      got == file ? "the loader's table back" : "another table",
				      refs, cpt_compat_file_refs(file));
	return ret;
}

int cpt_check_own_fd_table(void)
{
	struct file *file[2] = {};
	long fd[2] = { -1, -1 };
	int ret, i;

	ret = cpt_compat_own_fds_init();
	if (ret)
		return cpt_compat_fail("cannot make the empty fd table cpt's own copy (%d)", ret);
	/* The file at the fd eventfd2() gave is checked to be an eventfd. */
	for (i = 0; i < 2; i++) {
		fd[i] = cpt_sys(cpt_sym.sys_eventfd2, 0, EFD_CLOEXEC, 0, 0, 0);
		file[i] = fd[i] >= 0 ? fget(fd[i]) : NULL;
		if (file[i] && file[i]->f_op != cpt_sym.eventfd_fops) {
			fput(file[i]);
			file[i] = NULL;
		}
		if (!file[i]) {
			ret = cpt_compat_untested("cannot make an eventfd (%ld)", fd[i]);
			goto out;
		}
	}
	ret = cpt_check_own_fds(file[0], fd[0]);
	if (ret)
		goto out;
	if (cpt_compat_close_fd_holding(fd[0], file[1])) {
		ret = cpt_compat_fail("fd %ld closed for a file it does not hold", fd[0]);
		fd[0] = -1;
	} else if (!cpt_compat_close_fd_holding(fd[0], file[0])) {
		ret = cpt_compat_fail("fd %ld not closed for the file it holds", fd[0]);
	} else {
		ret = cpt_lowest_free_fd() != fd[0] || cpt_compat_file_refs(file[0]) != 1 ?
		      cpt_compat_fail("fd %ld closed: lowest free fd %d, refs %ld", fd[0],
				      cpt_lowest_free_fd(), cpt_compat_file_refs(file[0])) : 0;
		fd[0] = -1;
	}
out:
	/* Each fd closed only while it holds the eventfd made for it. */
	for (i = 0; i < 2; i++) {
		if (fd[i] >= 0 && file[i])
			cpt_compat_close_fd_holding(fd[i], file[i]);
		if (file[i])
			fput(file[i]);
	}
	return ret;
}
