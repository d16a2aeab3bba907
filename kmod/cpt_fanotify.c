// SPDX-License-Identifier: GPL-2.0
/*
 * fanotify instances: the flags and event flags fanotify_init() made the
 * group with, whether it was made without CAP_SYS_ADMIN, and its marks
 * (an inode's or a filesystem's) with their flags, mask and ignore mask,
 * all as the instance's fdinfo shows them (cpt_compat_fanotify.c). A
 * restart makes the group again with fanotify_init() in the restoring
 * task, as an unprivileged task if it was made by one, and adds each mark
 * again with fanotify_mark() by path, oldest first: the kernel's own
 * checks apply to the restarting caller. It then reads the new group's
 * fdinfo back and refuses a group whose marks did not come back as saved.
 *
 * Refused by name: events not read yet and permission events not answered
 * yet (they cannot be queued again), marks on a mount, marks on what no
 * path the tree uses reaches (as inotify's watches, cpt_inotify.c), and
 * an ignore mask emptied again whose flags no fanotify_mark() sets alone.
 */
#include <linux/fanotify.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/namei.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* The most of an instance's fdinfo read: some 8,000 marks. */
#define CPT_FANOTIFY_FDINFO_MAX SZ_1M
/* The most marks a restart adds to one instance: as many as that shows. */
#define CPT_FANOTIFY_MAX_MARKS 8192
/* The mark flags fdinfo shows, which a restart passes to fanotify_mark() again. */
#define CPT_FANOTIFY_MARK_FLAGS \
	(FAN_MARK_IGNORED_SURV_MODIFY | FAN_MARK_EVICTABLE | FAN_MARK_IGNORE)
/* The flags fanotify_init() takes, and FAN_ENABLE_AUDIT, which fdinfo does not show. */
#define CPT_FANOTIFY_INIT_FLAGS (FANOTIFY_INIT_FLAGS | FAN_ENABLE_AUDIT)

/* ---- checkpoint ---- */

/* Events queued and not read, and permission events read and not answered. */
static int cpt_fanotify_pending(struct fsnotify_group *group, unsigned int fd)
{
	unsigned int queued, unanswered = 0;
	struct list_head *pos;

	spin_lock(&group->notification_lock);
	queued = group->q_len;
	list_for_each(pos, &group->fanotify_data.access_list)
		unanswered++;
	spin_unlock(&group->notification_lock);
	if (queued) {
		cpt_note("fd %u: a fanotify instance with unread events (%u) is not supported\n",
			 fd, queued);
		return -EOPNOTSUPP;
	}
	if (unanswered) {
		cpt_note("fd %u: a fanotify instance with %s (%u) is not supported\n", fd,
			 "permission events read and not answered yet", unanswered);
		return -EOPNOTSUPP;
	}
	return 0;
}

static unsigned int cpt_fanotify_nr_marks(struct fsnotify_group *group)
{
	struct fsnotify_mark *mark;
	unsigned int nr = 0;

	mutex_lock(&group->mark_mutex);
	list_for_each_entry(mark, &group->marks_list, g_list)
		nr++;
	mutex_unlock(&group->mark_mutex);
	return nr;
}

/* The instance's marks, from its fdinfo's lines, one per mark. */
static int cpt_fanotify_parse(const char *info, struct cpt_fanotify_mark_info **out,
			      unsigned int *nr)
{
	struct cpt_fanotify_mark_info *m = NULL, one;
	unsigned int n = 0, cap = 0;
	const char *p = info;
	int ret;

	while ((ret = cpt_fdinfo_fanotify_next(&p, &one)) > 0) {
		if (n == CPT_FANOTIFY_MAX_MARKS) {
			ret = -E2BIG;
			break;
		}
		ret = cpt_grow((void **)&m, &cap, n, sizeof(*m));
		if (ret)
			break;
		m[n++] = one;
	}
	if (ret) {
		kvfree(m);
		return ret;
	}
	*out = m;
	*nr = n;
	return 0;
}

/* A path to a filesystem through one of the mounts, leading back to it. */
static char *cpt_fanotify_sb_path(dev_t dev, const struct path *mounts, unsigned int nr_mounts,
				  char *buf)
{
	struct path back;
	unsigned int i;
	char *name;
	bool same;

	for (i = 0; i < nr_mounts; i++) {
		if (mounts[i].mnt->mnt_sb->s_dev != dev)
			continue;
		name = d_path(&mounts[i], buf, PATH_MAX);
		if (IS_ERR(name) || *name != '/' || kern_path(name, 0, &back))
			continue;
		same = back.mnt->mnt_sb == mounts[i].mnt->mnt_sb;
		path_put(&back);
		if (same)
			return name;
	}
	return ERR_PTR(-ENOENT);
}

/* The path a mark is added again by, or why it cannot be. */
static char *cpt_fanotify_mark_path(struct fsnotify_group *group,
				    const struct cpt_fanotify_mark_info *m,
				    const struct path *mounts, unsigned int nr_mounts, char *buf,
				    const char **why)
{
	const char *fs, *kfs_why;
	struct inode *inode;
	char *name;

	*why = "no path the tree uses reaches what it marks";
	if (m->type == CPT_FANOTIFY_MARK_MOUNT) {
		*why =
			"a mark on a mount is not supported";
		return ERR_PTR(-EOPNOTSUPP);
	}
	if ((m->mflags & (FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY)) && !m->ignored_mask) {
		*why = "an ignore mask emptied again keeps flags a restart cannot set";
		return ERR_PTR(-EOPNOTSUPP);
	}
	if (m->type == CPT_FANOTIFY_MARK_SB)
		return cpt_fanotify_sb_path(m->dev, mounts, nr_mounts, buf);
	inode = cpt_notify_inode(group, m->ino, m->dev);
	name = inode ? cpt_notify_path(inode, mounts, nr_mounts, buf) : ERR_PTR(-ENOENT);
	/* One of sysfs, cgroup2...: its path may name another object by then. */
	kfs_why = IS_ERR(name) ? NULL : cpt_kernel_fs_mark_refused(inode->i_sb, &fs);
	if (kfs_why) {
		*why = kfs_why;
		name = ERR_PTR(-EOPNOTSUPP);
	}
	iput(inode);
	return name;
}

static void cpt_fanotify_put_mark(struct cpt_pb_buf *one, const struct cpt_fanotify_mark_info *m,
				  const char *name)
{
	struct cpt_pb_buf w;

	cpt_pb_init(&w);
	cpt_pb_varint(&w, CPT_PB_FANOTIFY_MARK_TYPE, m->type == CPT_FANOTIFY_MARK_SB ?
		      CPT_PB_FANOTIFY_MARK_TYPE_FILESYSTEM : CPT_PB_FANOTIFY_MARK_TYPE_INODE);
	cpt_pb_varint(&w, CPT_PB_FANOTIFY_MARK_FLAGS, m->mflags);
	cpt_pb_varint(&w, CPT_PB_FANOTIFY_MARK_MASK, m->mask);
	cpt_pb_varint(&w, CPT_PB_FANOTIFY_MARK_IGNORED_MASK, m->ignored_mask);
	cpt_pb_string(&w, CPT_PB_FANOTIFY_MARK_PATH, name);
	cpt_pb_message(one, CPT_PB_FILE_FANOTIFY_MARKS, &w);
}

static int cpt_fanotify_save_marks(struct cpt_file_save *fs, struct fsnotify_group *group,
				   const struct cpt_fanotify_mark_info *marks, unsigned int nr)
{
	unsigned int fd = fs->e->fd, nr_mounts, i;
	struct path *mounts;
	const char *why;
	char *name;
	int ret = 0;

	mounts = cpt_notify_mounts(fs->reg, &nr_mounts);
	if (!mounts)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		name = cpt_fanotify_mark_path(group, &marks[i], mounts, nr_mounts, fs->buf, &why);
		if (IS_ERR(name)) {
			cpt_note("fd %u: fanotify mark %u (mask %#x, ignored %#x): %s\n", fd, i,
				 marks[i].mask, marks[i].ignored_mask, why);
			ret = -EOPNOTSUPP;
			break;
		}
		cpt_fanotify_put_mark(fs->one, &marks[i], name);
	}
	kvfree(mounts);
	return ret;
}

static int cpt_fanotify_save(struct cpt_file_save *fs)
{
	struct fsnotify_group *group = fs->e->file->private_data;
	struct cpt_fanotify_mark_info *marks = NULL;
	unsigned int fd = fs->e->fd, nr = 0;
	u32 flags, event_flags;
	char *info;
	int ret;

	ret = cpt_fanotify_pending(group, fd);
	if (ret)
		return ret;
	info = kvmalloc(CPT_FANOTIFY_FDINFO_MAX, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = cpt_fdinfo(fs->e->file, info, CPT_FANOTIFY_FDINFO_MAX) ?:
	      cpt_fdinfo_fanotify_group(info, &flags, &event_flags) ?:
	      cpt_fanotify_parse(info, &marks, &nr);
	kvfree(info);
	if (ret) {
		cpt_note("fd %u: cannot read the fanotify instance's marks: %d\n", fd, ret);
		return ret;
	}
	/* fdinfo leaves out an inode mark whose inode is being evicted. */
	if (nr != cpt_fanotify_nr_marks(group)) {
		cpt_note("fd %u: the fanotify instance's marks changed while read\n", fd);
		ret = -EAGAIN;
		goto out;
	}
	flags |= group->fanotify_data.flags & FAN_ENABLE_AUDIT;
	cpt_pb_varint(fs->one, CPT_PB_FILE_FANOTIFY_FLAGS, flags);
	cpt_pb_varint(fs->one, CPT_PB_FILE_FANOTIFY_EVENT_FLAGS, event_flags);
	if (cpt_fanotify_unprivileged(group))
		cpt_pb_varint(fs->one, CPT_PB_FILE_FANOTIFY_UNPRIVILEGED, 1);
	ret = cpt_fanotify_save_marks(fs, group, marks, nr);
out:
	kvfree(marks);
	return ret ?: fs->one->err;
}

static int cpt_fanotify_claim(unsigned int fd, struct file *file)
{
	return cpt_is_anon(file, "[fanotify]") ? CPT_PB_FILE_KIND_FANOTIFY : 0;
}

/* ---- restart ---- */

/* A FanotifyMark of the image, checked; path points into the record. */
struct cpt_fanotify_rmark {
	u32 type;
	u32 flags;
	u32 mask;
	u32 ignored_mask;
	const u8 *path;
	size_t path_len;
};

/* The File's own fields of the kind: its group's and its marks. */
struct cpt_fanotify_rgroup {
	u32 flags;
	u32 event_flags;
	bool unprivileged;
	unsigned int nr;
	struct cpt_fanotify_rmark *marks;
};

static int cpt_fanotify_decode_mark(const struct cpt_pb_field *mf, struct cpt_fanotify_rmark *m)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	memset(m, 0, sizeof(*m));
	cpt_pb_for_each_subfield(&r, mf, &f) {
		if (f.num == CPT_PB_FANOTIFY_MARK_TYPE)
			cpt_pb_read_u32(&r, &f, &m->type);
		else if (f.num == CPT_PB_FANOTIFY_MARK_FLAGS)
			cpt_pb_read_u32(&r, &f, &m->flags);
		else if (f.num == CPT_PB_FANOTIFY_MARK_MASK)
			cpt_pb_read_u32(&r, &f, &m->mask);
		else if (f.num == CPT_PB_FANOTIFY_MARK_IGNORED_MASK)
			cpt_pb_read_u32(&r, &f, &m->ignored_mask);
		else if (f.num == CPT_PB_FANOTIFY_MARK_PATH)
			cpt_pb_read_bytes(&r, &f, &m->path, &m->path_len);
	}
	if (cpt_pb_end(&r) || (m->type != CPT_PB_FANOTIFY_MARK_TYPE_INODE &&
			       m->type != CPT_PB_FANOTIFY_MARK_TYPE_FILESYSTEM) ||
	    (m->flags & ~CPT_FANOTIFY_MARK_FLAGS) || (!m->mask && !m->ignored_mask) ||
	    ((m->flags & (FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY)) && !m->ignored_mask) ||
	    !m->path_len || m->path_len >= PATH_MAX || *m->path != '/' ||
	    memchr(m->path, 0, m->path_len))
		return -EBADMSG;
	return 0;
}

static int cpt_fanotify_decode(const void *record, size_t record_len,
			       struct cpt_fanotify_rgroup *g)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 unprivileged = 0;
	int ret;

	memset(g, 0, sizeof(*g));
	cpt_pb_for_each_field(&r, record, record_len, &f) {
		if (f.num == CPT_PB_FILE_FANOTIFY_FLAGS)
			cpt_pb_read_u32(&r, &f, &g->flags);
		else if (f.num == CPT_PB_FILE_FANOTIFY_EVENT_FLAGS)
			cpt_pb_read_u32(&r, &f, &g->event_flags);
		else if (f.num == CPT_PB_FILE_FANOTIFY_UNPRIVILEGED)
			cpt_pb_read_u32(&r, &f, &unprivileged);
		else if (f.num == CPT_PB_FILE_FANOTIFY_MARKS)
			g->nr++;
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return ret;
	g->unprivileged = unprivileged;
	/* What fanotify_init() itself does not check: the rest it refuses. */
	if ((g->flags & ~CPT_FANOTIFY_INIT_FLAGS) || unprivileged > 1) {
		cpt_note("fanotify instance: flags %#x the image gives are not fanotify_init()'s\n",
			 g->flags);
		return -EBADMSG;
	}
	if (g->nr > CPT_FANOTIFY_MAX_MARKS) {
		cpt_note("fanotify instance: %u marks, more than a restart adds (%u)\n", g->nr,
			 CPT_FANOTIFY_MAX_MARKS);
		return -EBADMSG;
	}
	g->marks = kvcalloc(max(g->nr, 1U), sizeof(*g->marks), GFP_KERNEL);
	if (!g->marks)
		return -ENOMEM;
	g->nr = 0;
	cpt_pb_for_each_field(&r, record, record_len, &f) {
		if (f.num != CPT_PB_FILE_FANOTIFY_MARKS)
			continue;
		cpt_pb_fail(&r, cpt_fanotify_decode_mark(&f, &g->marks[g->nr++]));
	}
	ret = cpt_pb_end(&r);
	if (ret)
		cpt_note("fanotify instance: a mark the image gives is malformed (mark %u)\n",
			 g->nr - 1);
	return ret;
}

/* fanotify_mark(FAN_MARK_ADD) of one mask of a mark, by its path in ub. */
static long cpt_fanotify_mark_add(long fd, const struct cpt_fanotify_rmark *m, u32 flags,
				  u32 mask, struct cpt_ubuf *ub)
{
	flags |= FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW | (m->flags & FAN_MARK_EVICTABLE);
	if (m->type == CPT_PB_FANOTIFY_MARK_TYPE_FILESYSTEM)
		flags |= FAN_MARK_FILESYSTEM;
	return cpt_sys(cpt_sym.sys_fanotify_mark, fd, flags, mask, AT_FDCWD, ub->addr);
}

/* A mark again: its mask, then its ignore mask with the API that made it. */
static int cpt_fanotify_add(long fd, const struct cpt_fanotify_rmark *m, struct cpt_ubuf *ub)
{
	u32 ignore = m->flags & (FAN_MARK_IGNORE | FAN_MARK_IGNORED_SURV_MODIFY);
	long err = 0;

	if (copy_to_user((void __user *)ub->addr, m->path, m->path_len) ||
	    put_user(0, (char __user *)(ub->addr + m->path_len)))
		return -EFAULT;
	if (m->mask)
		err = cpt_fanotify_mark_add(fd, m, 0, m->mask, ub);
	if (!err && m->ignored_mask) {
		if (!(ignore & FAN_MARK_IGNORE))
			ignore |= FAN_MARK_IGNORED_MASK;
		err = cpt_fanotify_mark_add(fd, m, ignore, m->ignored_mask, ub);
	}
	if (err)
		cpt_note("fanotify mark on %.*s (mask %#x, ignored %#x): %ld\n",
			 (int)m->path_len, m->path, m->mask, m->ignored_mask, err);
	return err;
}

static bool cpt_fanotify_same(const struct cpt_fanotify_rmark *m,
			      const struct cpt_fanotify_mark_info *got)
{
	u32 type = got->type == CPT_FANOTIFY_MARK_SB ? CPT_PB_FANOTIFY_MARK_TYPE_FILESYSTEM :
		   got->type == CPT_FANOTIFY_MARK_INODE ? CPT_PB_FANOTIFY_MARK_TYPE_INODE : U32_MAX;

	return type == m->type && got->mflags == m->flags && got->mask == m->mask &&
	       got->ignored_mask == m->ignored_mask;
}

/*
 * The new group as the image has it: the kernel may have changed what it
 * was given (a mark that merged with another on the same object, a mask
 * with bits it no longer keeps), which must not pass unnoticed.
 */
static int cpt_fanotify_verify(struct file *file, const struct cpt_fanotify_rgroup *g)
{
	struct cpt_fanotify_mark_info got;
	u32 flags, event_flags;
	const char *pos;
	unsigned int i;
	char *info;
	int ret;

	info = kvmalloc(CPT_FANOTIFY_FDINFO_MAX, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = cpt_fdinfo(file, info, CPT_FANOTIFY_FDINFO_MAX);
	if (ret)
		goto out;
	pos = info;
	i = 0;
	if (cpt_fdinfo_fanotify_group(info, &flags, &event_flags) ||
	    flags != (g->flags & FANOTIFY_INIT_FLAGS) || event_flags != g->event_flags)
		ret = -EIO;
	for (; !ret && i < g->nr; i++) {
		if (cpt_fdinfo_fanotify_next(&pos, &got) != 1 ||
		    !cpt_fanotify_same(&g->marks[i], &got))
			ret = -EIO;
	}
	if (!ret && cpt_fdinfo_fanotify_next(&pos, &got))
		ret = -EIO;
	if (ret)
		cpt_note("fanotify instance of %u marks: %s (at mark %u)\n", g->nr,
			 "came back other than saved", i);
out:
	kvfree(info);
	return ret;
}

static int cpt_fanotify_fill(long fd, struct file *file, const struct cpt_fanotify_rgroup *g)
{
	struct cpt_ubuf ub = {};
	unsigned int i;
	int ret;

	if (cpt_fanotify_unprivileged(file->private_data) != g->unprivileged) {
		cpt_note("fanotify instance: made by a task %s CAP_SYS_ADMIN, %s\n",
			 g->unprivileged ? "without" : "with",
			 "which the restarting caller cannot make again");
		return -EPERM;
	}
	ret = cpt_ubuf_get(&ub, PATH_MAX);
	if (ret)
		return ret;
	/* Oldest first: each new mark goes to the head of the group's list. */
	for (i = g->nr; !ret && i-- > 0;)
		ret = cpt_fanotify_add(fd, &g->marks[i], &ub);
	cpt_ubuf_put(&ub);
	return ret ?: cpt_fanotify_verify(file, g);
}

/*
 * The group, made with its marks in an fd table of the module's own
 * (cpt_compat_own_fds_enter()): the fd its calls name is the group made,
 * whatever the task's other threads do.
 */
static struct file *cpt_fanotify_make(const struct cpt_rfile *rfile)
{
	struct cpt_fanotify_rgroup g;
	struct files_struct *shared;
	struct file *file;
	long fd;
	int ret;

	ret = cpt_fanotify_decode(rfile->record, rfile->record_len, &g) ?:
	      cpt_compat_own_fds_enter(&shared);
	if (ret) {
		kvfree(g.marks);
		return ERR_PTR(ret);
	}
	fd = cpt_fanotify_init(g.flags, g.event_flags, g.unprivileged);
	if (fd < 0) {
		cpt_compat_own_fds_leave(shared);
		cpt_note("fanotify_init(%#x, %#x): %ld\n", g.flags, g.event_flags, fd);
		kvfree(g.marks);
		return ERR_PTR(fd);
	}
	file = cpt_fget_made(fd, cpt_sym.fanotify_fops, "fanotify instance");
	ret = IS_ERR(file) ? PTR_ERR(file) : cpt_fanotify_fill(fd, file, &g);
	/* The fd goes with the table. */
	cpt_compat_own_fds_leave(shared);
	kvfree(g.marks);
	if (ret) {
		if (!IS_ERR(file))
			fput(file);
		return ERR_PTR(ret);
	}
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return file;
}

/* What fanotify_init() gives: read-write; O_NONBLOCK is set again after. */
static int cpt_fanotify_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if ((rfile->flags & ~O_NONBLOCK) != O_RDWR)
		*bad = "flags";
	return *bad ? -EBADMSG : 0;
}

static int cpt_fanotify_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	return cpt_claim_file(rfile, cpt_fanotify_make(rfile));
}

/* Its group and marks are decoded when it is made (cpt_fanotify_make()). */
const struct cpt_file_ops cpt_fanotify_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_fanotify_claim,
	.save = cpt_fanotify_save,
	.check = cpt_fanotify_check,
	.open = cpt_fanotify_open,
};
