// SPDX-License-Identifier: GPL-2.0
/*
 * inotify instances: each watch is saved with its watch descriptor, its
 * mask and the path of what it watches, and a restart adds it again with
 * inotify_add_watch(), the instance's cyclic wd cursor set first so that
 * the kernel's own allocation gives the saved wd. Events not read yet are
 * refused: they cannot be queued again.
 *
 * A watched inode is named through a mount of its filesystem that the
 * tree uses (its root and working directory, the mounts of its files),
 * and the path is checked to lead back to that inode.
 */
#include <linux/dcache.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/idr.h>
#include <linux/inotify.h>
#include <linux/namei.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* The most of an instance's fdinfo read: some 8,000 watches. */
#define CPT_INOTIFY_FDINFO_MAX SZ_1M

static bool cpt_inotify_has_events(struct fsnotify_group *group)
{
	bool any;

	spin_lock(&group->notification_lock);
	any = !list_empty(&group->notification_list);
	spin_unlock(&group->notification_lock);
	return any;
}

/* The instance's watches, from its fdinfo's lines, one per watch. */
static int cpt_inotify_parse(const char *info, struct cpt_inotify_watch **out,
			     unsigned int *nr)
{
	struct cpt_inotify_watch *w = NULL, *more, one;
	unsigned int n = 0, cap = 0;
	const char *p = info;
	int ret;

	while ((ret = cpt_fdinfo_inotify_next(&p, &one)) > 0) {
		if (n == cap) {
			cap = max(16U, cap * 2);
			more = krealloc_array(w, cap, sizeof(*w), GFP_KERNEL);
			if (!more) {
				kfree(w);
				return -ENOMEM;
			}
			w = more;
		}
		w[n++] = one;
	}
	if (ret) {
		kfree(w);
		return ret;
	}
	*out = w;
	*nr = n;
	return 0;
}

/* What fs/notify/fsnotify.h's fsnotify_conn_inode() gives: an inode mark's inode. */
static struct inode *cpt_inotify_conn_inode(struct fsnotify_mark_connector *conn)
{
	return container_of(conn->obj, struct inode, i_fsnotify_marks);
}

/*
 * The marked inode of an inotify or fanotify instance's inode mark, by
 * its number and device (as fdinfo shows them), with a reference.
 */
struct inode *cpt_notify_inode(struct fsnotify_group *group, unsigned long ino, dev_t dev)
{
	struct fsnotify_mark *mark;
	struct inode *inode, *found = NULL;

	mutex_lock(&group->mark_mutex);
	list_for_each_entry(mark, &group->marks_list, g_list) {
		if (!(mark->flags & FSNOTIFY_MARK_FLAG_ATTACHED) || !mark->connector ||
		    mark->connector->type != FSNOTIFY_OBJ_TYPE_INODE)
			continue;
		inode = cpt_inotify_conn_inode(mark->connector);
		if (inode->i_ino == ino && inode->i_sb->s_dev == dev) {
			found = igrab(inode);
			break;
		}
	}
	mutex_unlock(&group->mark_mutex);
	return found;
}

/* A path to inode through one of the mounts, leading back to it. */
char *cpt_notify_path(struct inode *inode, const struct path *mounts, unsigned int nr_mounts,
		      char *buf)
{
	struct dentry *dentry = d_find_any_alias(inode);
	struct path path, back;
	unsigned int i;
	char *name;

	if (!dentry)
		return ERR_PTR(-ENOENT);
	for (i = 0; i < nr_mounts; i++) {
		if (mounts[i].mnt->mnt_sb != inode->i_sb ||
		    !is_subdir(dentry, mounts[i].mnt->mnt_root))
			continue;
		path = (struct path) { .mnt = mounts[i].mnt, .dentry = dentry };
		name = d_path(&path, buf, PATH_MAX);
		if (IS_ERR(name) || *name != '/')
			continue;
		if (kern_path(name, 0, &back))
			continue;
		if (d_inode(back.dentry) == inode) {
			path_put(&back);
			dput(dentry);
			return name;
		}
		path_put(&back);
	}
	dput(dentry);
	return ERR_PTR(-ENOENT);
}

static int cpt_inotify_save(struct cpt_pb_buf *one, unsigned int fd, struct file *file,
			    const struct path *mounts, unsigned int nr_mounts, char *buf)
{
	struct fsnotify_group *group = file->private_data;
	struct cpt_inotify_watch *watches;
	struct cpt_pb_buf w;
	unsigned int nr, i;
	const char *why, *kfs;
	struct inode *inode;
	char *info, *name;
	int ret;

	if (cpt_inotify_has_events(group)) {
		cpt_note("fd %u: an inotify instance with events not read yet is not supported\n",
			 fd);
		return -EOPNOTSUPP;
	}
	info = kvmalloc(CPT_INOTIFY_FDINFO_MAX, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = cpt_fdinfo(file, info, CPT_INOTIFY_FDINFO_MAX);
	if (!ret)
		ret = cpt_inotify_parse(info, &watches, &nr);
	kvfree(info);
	if (ret) {
		cpt_note("fd %u: cannot read the inotify instance's watches: %d\n", fd, ret);
		return ret;
	}
	for (i = 0; !ret && i < nr; i++) {
		inode = cpt_notify_inode(group, watches[i].ino, watches[i].dev);
		name = inode ? cpt_notify_path(inode, mounts, nr_mounts, buf) : ERR_PTR(-ENOENT);
		why = IS_ERR(name) ? NULL : cpt_kernel_fs_mark_refused(inode->i_sb, &kfs);
		iput(inode);
		if (IS_ERR(name)) {
			cpt_note("fd %u: inotify watch %u: %s\n", fd, watches[i].wd,
				 "no path the tree uses reaches what it watches");
			ret = -EOPNOTSUPP;
			break;
		}
		/* One of sysfs, cgroup2...: its path may name another object by then. */
		if (why) {
			cpt_note("fd %u: inotify watch %u on %s (%s) is not supported: %s\n", fd,
				 watches[i].wd, name, kfs, why);
			ret = -EOPNOTSUPP;
			break;
		}
		cpt_pb_init(&w);
		cpt_pb_varint(&w, CPT_PB_INOTIFY_WATCH_WD, watches[i].wd);
		cpt_pb_u64(&w, CPT_PB_INOTIFY_WATCH_MASK, watches[i].mask);
		cpt_pb_string(&w, CPT_PB_INOTIFY_WATCH_PATH, name);
		cpt_pb_message(one, CPT_PB_FILE_INOTIFY_WATCHES, &w);
	}
	kfree(watches);
	return ret ?: one->err;
}

/* ---- restart ---- */

static int cpt_inotify_decode_watch(const struct cpt_pb_field *wf, u32 *wd, u32 *mask,
				    const u8 **path, size_t *path_len)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	*wd = 0;
	*mask = 0;
	*path = NULL;
	*path_len = 0;
	cpt_pb_for_each_subfield(&r, wf, &f) {
		if (f.num == CPT_PB_INOTIFY_WATCH_WD)
			cpt_pb_read_u32(&r, &f, wd);
		else if (f.num == CPT_PB_INOTIFY_WATCH_MASK)
			cpt_pb_read_u32(&r, &f, mask);
		else if (f.num == CPT_PB_INOTIFY_WATCH_PATH)
			cpt_pb_read_bytes(&r, &f, path, path_len);
	}
	if (cpt_pb_end(&r) || !*wd || *wd > INT_MAX || !*path_len || *path_len >= PATH_MAX ||
	    **path != '/' || memchr(*path, 0, *path_len))
		return -EBADMSG;
	return 0;
}

/* Adds one watch, with the saved wd as the instance's next one. */
static int cpt_inotify_add(long ifd, struct fsnotify_group *group, struct cpt_ubuf *ub,
			   u32 wd, u32 mask, const u8 *path, size_t path_len)
{
	long got;

	if (copy_to_user((void __user *)ub->addr, path, path_len) ||
	    put_user(0, (char __user *)(ub->addr + path_len)))
		return -EFAULT;
	spin_lock(&group->inotify_data.idr_lock);
	idr_set_cursor(&group->inotify_data.idr, wd);
	spin_unlock(&group->inotify_data.idr_lock);
	got = cpt_sys(cpt_sym.sys_inotify_add_watch, ifd, ub->addr, mask | IN_MASK_CREATE, 0, 0);
	if (got == wd)
		return 0;
	cpt_note("inotify watch %u on %.*s: came back as %ld\n", wd, (int)path_len, path, got);
	return got < 0 ? got : -EEXIST;
}

/*
 * A new instance (flags: O_NONBLOCK) with the File's watches, made in an fd
 * table of the module's own (cpt_compat_own_fds_enter()): the fd its calls
 * name is the instance made, whatever the task's other threads do.
 */
static struct file *cpt_inotify_open(u32 flags, const void *record, size_t record_len)
{
	struct files_struct *shared;
	struct fsnotify_group *group;
	struct cpt_ubuf ub = {};
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct file *file;
	const u8 *path;
	size_t path_len;
	u32 wd, mask;
	long ifd;
	int ret;

	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		return ERR_PTR(ret);
	ifd = cpt_sys(cpt_sym.sys_inotify_init1, flags & O_NONBLOCK, 0, 0, 0, 0);
	if (ifd < 0) {
		cpt_compat_own_fds_leave(shared);
		return ERR_PTR(ifd);
	}
	file = cpt_fget_made(ifd, cpt_sym.inotify_fops, "inotify instance");
	ret = IS_ERR(file) ? PTR_ERR(file) : cpt_ubuf_get(&ub, PATH_MAX);
	group = IS_ERR(file) ? NULL : file->private_data;
	if (!ret) {
		cpt_pb_for_each_field(&r, record, record_len, &f) {
			if (f.num != CPT_PB_FILE_INOTIFY_WATCHES)
				continue;
			ret = cpt_inotify_decode_watch(&f, &wd, &mask, &path, &path_len);
			if (!ret)
				ret = cpt_inotify_add(ifd, group, &ub, wd, mask, path, path_len);
			cpt_pb_fail(&r, ret);
		}
		ret = cpt_pb_end(&r);
	}
	cpt_ubuf_put(&ub);
	/* The fd goes with the table. */
	cpt_compat_own_fds_leave(shared);
	if (ret) {
		if (!IS_ERR(file))
			fput(file);
		return ERR_PTR(ret);
	}
	return file;
}

static int cpt_inotify_claim(unsigned int fd, struct file *file)
{
	return cpt_is_anon(file, "inotify") ? CPT_PB_FILE_KIND_INOTIFY : 0;
}

/*
 * The paths an instance's marks are named through, those the tree uses:
 * the root's root and working directory, and those of the tree's files
 * (references the registry holds).
 */
struct path *cpt_notify_mounts(struct cpt_file_registry *reg, unsigned int *nr)
{
	struct path *mounts;
	unsigned int i;

	*nr = 0;
	mounts = kvcalloc(reg->nr_saved + 2, sizeof(*mounts), GFP_KERNEL);
	if (!mounts)
		return NULL;
	if (reg->root_fs[0].mnt) {
		mounts[(*nr)++] = reg->root_fs[0];
		mounts[(*nr)++] = reg->root_fs[1];
	}
	for (i = 0; i < reg->nr_saved; i++)
		mounts[(*nr)++] = reg->saved[i].file->f_path;
	return mounts;
}

static int cpt_inotify_save_file(struct cpt_file_save *fs)
{
	struct path *mounts;
	unsigned int nr;
	int ret;

	mounts = cpt_notify_mounts(fs->reg, &nr);
	if (!mounts)
		return -ENOMEM;
	ret = cpt_inotify_save(fs->one, fs->e->fd, fs->e->file, mounts, nr, fs->buf);
	kvfree(mounts);
	return ret;
}

/* What inotify_init1() gives: read-only; its calls check the watches. */
static int cpt_inotify_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if ((rfile->flags & O_ACCMODE) != O_RDONLY)
		*bad = "access mode";
	return *bad ? -EBADMSG : 0;
}

static int cpt_inotify_reopen(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	return cpt_claim_file(rfile, cpt_inotify_open(rfile->flags, rfile->record,
						      rfile->record_len));
}

/* Its watches are decoded when it is made (cpt_inotify_open()). */
const struct cpt_file_ops cpt_inotify_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_inotify_claim,
	.save = cpt_inotify_save_file,
	.check = cpt_inotify_check,
	.open = cpt_inotify_reopen,
};
