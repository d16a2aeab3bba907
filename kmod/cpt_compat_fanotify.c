// SPDX-License-Identifier: GPL-2.0
/*
 * What cpt reads of a fanotify instance: the fdinfo text of
 * fs/notify/fdinfo.c (its fanotify_init() flags and event flags, then one
 * line per mark with the mark's flags, mask and ignore mask, newest mark
 * first), and the one flag fdinfo does not show, FANOTIFY_UNPRIV, from
 * the group (include/linux/fanotify.h). No interface promises the text:
 * it is parsed here only, and checked when the module loads.
 *
 * The check (cpt_compat.c runs it as fdinfo_fanotify): the loading task
 * makes a group with known flags, an inode mark with an ignore mask and
 * a filesystem mark on its root through fanotify_init() and
 * fanotify_mark(), and compares what the parsers read back; it makes
 * another group without CAP_SYS_ADMIN in its effective set, as a restart
 * of an unprivileged group does, and checks that only that one has
 * FANOTIFY_UNPRIV. Both groups are closed again by the check.
 */
#include <linux/cred.h>
#include <linux/fanotify.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/fsnotify_backend.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_symbols.h"

/* "fanotify flags:%x event-flags:%x", the text's first line. */
int cpt_fdinfo_fanotify_group(const char *info, u32 *flags, u32 *event_flags)
{
	if (sscanf(info, "fanotify flags:%x event-flags:%x", flags, event_flags) != 2)
		return -EIO;
	return 0;
}

/*
 * One mark line, from *pos on (past the first line): an inode's
 * "fanotify ino:%lx sdev:%x mflags:%x mask:%x ignored_mask:%x ...", a
 * mount's "fanotify mnt_id:%x ..." and a filesystem's "fanotify sdev:%x ...".
 */
int cpt_fdinfo_fanotify_next(const char **pos, struct cpt_fanotify_mark_info *m)
{
	const char *line = strstr(*pos, "\nfanotify ");
	const char *rest;
	unsigned int dev = 0;
	int n;

	if (!line)
		return 0;
	line += strlen("\nfanotify ");
	memset(m, 0, sizeof(*m));
	if (sscanf(line, "ino:%lx sdev:%x %n", &m->ino, &dev, &n) == 2)
		m->type = CPT_FANOTIFY_MARK_INODE;
	else if (sscanf(line, "mnt_id:%x %n", &m->mnt_id, &n) == 1)
		m->type = CPT_FANOTIFY_MARK_MOUNT;
	else if (sscanf(line, "sdev:%x %n", &dev, &n) == 1)
		m->type = CPT_FANOTIFY_MARK_SB;
	else
		return -EIO;
	rest = line + n;
	if (sscanf(rest, "mflags:%x mask:%x ignored_mask:%x", &m->mflags, &m->mask,
		   &m->ignored_mask) != 3)
		return -EIO;
	/* The kernel's dev_t, as in i_sb->s_dev: not new_encode_dev()'s. */
	m->dev = dev;
	*pos = line;
	return 1;
}

/* Whether a group was made by a task without CAP_SYS_ADMIN. */
bool cpt_fanotify_unprivileged(const struct fsnotify_group *group)
{
	return group->fanotify_data.flags & FANOTIFY_UNPRIV;
}

/*
 * fanotify_init() as the current task, with CAP_SYS_ADMIN out of its
 * effective set if unprivileged: the group it makes is then one an
 * unprivileged task makes (FANOTIFY_UNPRIV: inode marks only, no pids
 * of other processes in its events).
 */
long cpt_fanotify_init(u32 flags, u32 event_flags, bool unprivileged)
{
	const struct cred *old;
	struct cred *cred;
	long fd;

	if (!unprivileged)
		return cpt_sys(cpt_sym.sys_fanotify_init, flags, event_flags, 0, 0, 0);
	cred = prepare_creds();
	if (!cred)
		return -ENOMEM;
	cap_lower(cred->cap_effective, CAP_SYS_ADMIN);
	old = override_creds(cred);
	fd = cpt_sys(cpt_sym.sys_fanotify_init, flags, event_flags, 0, 0, 0);
	revert_creds(old);
	put_cred(cred);
	return fd;
}

/* ---- the check ---- */

#define CPT_COMPAT_FAN_FLAGS (FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK)
#define CPT_COMPAT_FAN_EVENT_FLAGS (O_RDONLY | O_LARGEFILE | O_NOATIME)
#define CPT_COMPAT_FAN_INODE_MASK (FAN_OPEN | FAN_CLOSE_WRITE | FAN_ONDIR)
#define CPT_COMPAT_FAN_INODE_IGNORE (FAN_ACCESS | FAN_ONDIR)
#define CPT_COMPAT_FAN_INODE_MFLAGS (FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY)
#define CPT_COMPAT_FAN_SB_MASK (FAN_OPEN | FAN_CLOSE_NOWRITE)

static long cpt_compat_fan_mark(long fd, u32 flags, u64 mask, struct cpt_ubuf *ub)
{
	return cpt_sys(cpt_sym.sys_fanotify_mark, fd, FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW | flags,
		       mask, AT_FDCWD, ub->addr);
}

/* The group's two marks on /, newest (the filesystem's) first. */
static int cpt_compat_fan_compare(const char *info, const struct inode *root)
{
	struct cpt_fanotify_mark_info sb, in, more;
	const char *pos = info;
	u32 flags, event_flags;

	if (cpt_fdinfo_fanotify_group(info, &flags, &event_flags))
		return cpt_compat_fail("no flags line in a fanotify instance's fdinfo");
	if (flags != CPT_COMPAT_FAN_FLAGS || event_flags != CPT_COMPAT_FAN_EVENT_FLAGS)
		return cpt_compat_fail("fanotify flags %#x/%#x show %#x/%#x", CPT_COMPAT_FAN_FLAGS,
				       CPT_COMPAT_FAN_EVENT_FLAGS, flags, event_flags);
	if (cpt_fdinfo_fanotify_next(&pos, &sb) != 1 || cpt_fdinfo_fanotify_next(&pos, &in) != 1)
		return cpt_compat_fail("no two mark lines in a fanotify instance's fdinfo");
	if (cpt_fdinfo_fanotify_next(&pos, &more))
		return cpt_compat_fail("a fanotify instance with two marks shows more");
	if (sb.type != CPT_FANOTIFY_MARK_SB || sb.dev != root->i_sb->s_dev || sb.mflags ||
	    sb.mask != CPT_COMPAT_FAN_SB_MASK || sb.ignored_mask)
		return cpt_compat_fail("fanotify sb mark %u dev %#x %#x/%#x/%#x", sb.type, sb.dev,
				       sb.mflags, sb.mask, sb.ignored_mask);
	if (in.type != CPT_FANOTIFY_MARK_INODE || in.ino != root->i_ino ||
	    in.dev != root->i_sb->s_dev || in.mflags != CPT_COMPAT_FAN_INODE_MFLAGS ||
	    in.mask != CPT_COMPAT_FAN_INODE_MASK || in.ignored_mask != CPT_COMPAT_FAN_INODE_IGNORE)
		return cpt_compat_fail("fanotify inode mark %u ino %lu %#x/%#x/%#x", in.type,
				       in.ino, in.mflags, in.mask, in.ignored_mask);
	return 0;
}

/* Marks / as a restart marks, then reads the group's fdinfo back. */
static int cpt_compat_fan_marks(long fd, struct file *file, struct cpt_ubuf *ub)
{
	u32 ignore = FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY;
	struct path root;
	char *info;
	long err;
	int ret;

	err = copy_to_user((void __user *)ub->addr, "/", 2) ? -EFAULT :
	      cpt_compat_fan_mark(fd, 0, CPT_COMPAT_FAN_INODE_MASK, ub);
	err = err ?: cpt_compat_fan_mark(fd, ignore, CPT_COMPAT_FAN_INODE_IGNORE, ub);
	err = err ?: cpt_compat_fan_mark(fd, FAN_MARK_FILESYSTEM, CPT_COMPAT_FAN_SB_MASK, ub);
	if (err)
		return cpt_compat_untested("cannot mark / with fanotify (%ld)", err);
	info = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!info)
		return cpt_compat_untested("no memory for a fanotify instance's fdinfo");
	ret = cpt_fdinfo(file, info, PAGE_SIZE);
	if (ret) {
		ret = cpt_compat_fail("cannot read a fanotify instance's fdinfo (%d)", ret);
	} else {
		get_fs_root(current->fs, &root);
		ret = cpt_compat_fan_compare(info, d_inode(root.dentry));
		path_put(&root);
	}
	kfree(info);
	return ret;
}

/* A group made with or without CAP_SYS_ADMIN, and whether it says so. */
static int cpt_compat_fan_unpriv(bool unprivileged)
{
	u32 flags = FAN_CLASS_NOTIF | FAN_REPORT_FID | FAN_CLOEXEC;
	struct file *file;
	long fd;
	int ret = 0;

	fd = cpt_fanotify_init(flags, O_RDONLY, unprivileged);
	if (fd < 0)
		return cpt_compat_untested("cannot make a fanotify group (%ld)", fd);
	file = fget(fd);
	cpt_compat_own_fd_close(fd, file);
	if (!file || file->f_op != cpt_sym.fanotify_fops)
		ret = cpt_compat_fail("the fanotify group just made is not at its fd");
	else if (cpt_fanotify_unprivileged(file->private_data) != unprivileged)
		ret = cpt_compat_fail("a fanotify group made %s CAP_SYS_ADMIN %s FANOTIFY_UNPRIV",
				      unprivileged ? "without" : "with",
				      unprivileged ? "lacks" : "has");
	if (file)
		fput(file);
	return ret;
}

int cpt_check_fdinfo_fanotify(void)
{
	struct cpt_ubuf ub = {};
	struct file *file = NULL;
	long fd;
	int ret;

	if (cpt_ubuf_get(&ub, 2))
		return cpt_compat_untested("no user memory for a path to mark");
	fd = cpt_sys(cpt_sym.sys_fanotify_init, CPT_COMPAT_FAN_FLAGS, CPT_COMPAT_FAN_EVENT_FLAGS,
		     0, 0, 0);
	if (fd < 0) {
		ret = cpt_compat_untested("cannot make a fanotify group (%ld)", fd);
		goto out;
	}
	file = fget(fd);
	if (!file || file->f_op != cpt_sym.fanotify_fops)
		ret = cpt_compat_fail("the fanotify group just made is not at its fd");
	else
		ret = cpt_compat_fan_marks(fd, file, &ub);
	cpt_compat_own_fd_close(fd, file);
	if (file)
		fput(file);
	ret = ret ?: cpt_compat_fan_unpriv(false) ?: cpt_compat_fan_unpriv(true);
out:
	cpt_ubuf_put(&ub);
	return ret;
}
