// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer's part for file locks: an inode's locks as fs/locks.c
 * keeps them (its file_lock_context: flock(), POSIX and OFD, lease lists,
 * each under flc_lock), and memfd seals as mm/memfd.c keeps them. Checked
 * at load (file_locks): a flock(), an OFD and a POSIX lock taken here on a
 * file of our own, and a memfd's seals added here, read back as taken.
 */
#include <linux/fcntl.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/shmem_fs.h>

#include "cpt_compat.h"

unsigned int cpt_compat_inode_locks(struct inode *inode, struct cpt_held_lock *out,
				    unsigned int max)
{
	struct file_lock_context *ctx = locks_inode_context(inode);
	struct list_head *lists[3];
	struct file_lock *fl;
	unsigned int n = 0, i;

	if (!ctx)
		return 0;
	lists[0] = &ctx->flc_flock;
	lists[1] = &ctx->flc_posix;
	lists[2] = &ctx->flc_lease;
	spin_lock(&ctx->flc_lock);
	for (i = 0; i < ARRAY_SIZE(lists); i++) {
		list_for_each_entry(fl, lists[i], fl_list) {
			if (n < max)
				out[n] = (struct cpt_held_lock) {
					.flags = fl->fl_flags, .type = fl->fl_type,
					.owner = fl->fl_owner, .file = fl->fl_file,
					.pid = fl->fl_pid, .start = fl->fl_start, .end = fl->fl_end,
				};
			n++;
		}
	}
	spin_unlock(&ctx->flc_lock);
	return n;
}

/* A lock as flock(2) or fcntl(2) would make it for current on file. */
void cpt_compat_init_lock(struct file_lock *fl, struct file *file, unsigned int flags,
			  unsigned char type, loff_t start, loff_t end)
{
	fl->fl_file = file;
	fl->fl_flags = flags;
	fl->fl_type = type;
	fl->fl_start = start;
	fl->fl_end = end;
	fl->fl_pid = current->tgid;
	/* POSIX locks are the fd table's; flock() and OFD ones the open file's. */
	if ((flags & FL_POSIX) && !(flags & FL_OFDLCK))
		fl->fl_owner = current->files;
	else
		fl->fl_owner = file;
}

static int cpt_take_test_lock(struct file *file, unsigned int flags, unsigned char type,
			      loff_t start, loff_t end)
{
	struct file_lock *fl = locks_alloc_lock();
	int ret;

	if (!fl)
		return -ENOMEM;
	cpt_compat_init_lock(fl, file, flags, type, start, end);
	ret = flags & FL_FLOCK ? locks_lock_inode_wait(file_inode(file), fl) :
				 vfs_lock_file(file, F_SETLK, fl, NULL);
	locks_free_lock(fl);
	return ret;
}

static bool cpt_test_lock_seen(const struct cpt_held_lock *h, struct file *file,
			       unsigned int flags, unsigned char type, loff_t start, loff_t end)
{
	void *owner = current->files;

	if (flags & (FL_OFDLCK | FL_FLOCK))
		owner = file;

	return h->flags == flags && h->type == type && h->owner == owner && h->file == file &&
	       h->pid == current->tgid && h->start == start && h->end == end;
}

static int cpt_test_file_locks(struct file *file)
{
	struct cpt_held_lock held[4] = {};
	unsigned int n;
	int ret;

	ret = cpt_take_test_lock(file, FL_FLOCK, F_WRLCK, 0, OFFSET_MAX) ?:
	      cpt_take_test_lock(file, FL_POSIX | FL_OFDLCK, F_RDLCK, 10, 19) ?:
	      cpt_take_test_lock(file, FL_POSIX, F_RDLCK, 30, 39);
	if (ret)
		return cpt_compat_fail("cannot take a test lock (%d)", ret);
	n = cpt_compat_inode_locks(file_inode(file), held, ARRAY_SIZE(held));
	/* flc_flock first, then flc_posix in increasing start order */
	if (n != 3 || !cpt_test_lock_seen(&held[0], file, FL_FLOCK, F_WRLCK, 0, OFFSET_MAX) ||
	    !cpt_test_lock_seen(&held[1], file, FL_POSIX | FL_OFDLCK, F_RDLCK, 10, 19) ||
	    !cpt_test_lock_seen(&held[2], file, FL_POSIX, F_RDLCK, 30, 39))
		return cpt_compat_fail("the locks taken are not in i_flctx's lists as taken");
	locks_remove_posix(file, current->files);
	return 0;
}

static int cpt_test_seals(struct file *file)
{
	unsigned int want = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
	long ret;

	if (cpt_sym.memfd_fcntl(file, F_GET_SEALS, 0) != F_SEAL_SEAL)
		return cpt_compat_fail("shmem files are not made with sealing forbidden");
	SHMEM_I(file_inode(file))->seals &= ~F_SEAL_SEAL;
	ret = cpt_sym.memfd_fcntl(file, F_ADD_SEALS, want);
	if (ret || cpt_sym.memfd_fcntl(file, F_GET_SEALS, 0) != want)
		return cpt_compat_fail("memfd_fcntl does not add seals to shmem_inode_info's");
	return 0;
}

int cpt_check_file_locks(void)
{
	struct file *file;
	int ret;

	if (!current->files)
		return cpt_compat_untested("the loading task has no fd table");
	file = shmem_file_setup("cpt-compat", 0, VM_NORESERVE);
	if (IS_ERR(file))
		return cpt_compat_untested("cannot make a shmem file (%ld)", PTR_ERR(file));
	ret = cpt_test_file_locks(file) ?: cpt_test_seals(file);
	/* The last fput() drops its flock() and OFD locks. */
	fput(file);
	return ret;
}
