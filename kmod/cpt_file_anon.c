// SPDX-License-Identifier: GPL-2.0
/*
 * Files no path reaches: memfds and deleted files. Their content is saved
 * (up to CPT_MAX_CONTENT bytes), read through a file of our own; a restart
 * makes a new memfd of the same name, or a new unlinked file (O_TMPFILE)
 * in the directory the deleted one was in, and writes the content back.
 */
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/mount.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* The most bytes of a deleted file or memfd an image holds. */
#define CPT_MAX_CONTENT (8U << 20)

/* The seals a memfd may have (F_ADD_SEALS), F_SEAL_SEAL: no more may be added. */
#define CPT_MEMFD_SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
			 F_SEAL_FUTURE_WRITE)
/* The open flags a memfd restores: F_SETFL's, and the sync ones a reopen may add. */
#define CPT_MEMFD_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME | O_DSYNC | __O_SYNC | \
			 O_LARGEFILE)

/* ---- checkpoint ---- */

/*
 * The content is read through a file of our own, which dentry_open() opens
 * without the permission check open() makes: the checkpointer itself must
 * be allowed to read the file. Otherwise a target holding a deleted file
 * open write-only (a rotated-away root log handed down to it) would put in
 * the image what neither it nor the checkpointer may read.
 */
static int cpt_anon_may_read(unsigned int fd, struct file *file)
{
	int ret = inode_permission(file_mnt_user_ns(file), file_inode(file), MAY_READ);

	if (ret)
		cpt_note("fd %u: nameless file %pd: the checkpointer may not read it (%d)\n",
			 fd, file->f_path.dentry, ret);
	return ret;
}

/* A nameless regular file: a memfd or a deleted file; another internal one is refused. */
static int cpt_anon_claim(unsigned int fd, struct file *file)
{
	struct inode *inode = file_inode(file);
	struct dentry *dentry = file->f_path.dentry;
	bool internal = file->f_path.mnt->mnt_flags & MNT_INTERNAL;

	if (!S_ISREG(inode->i_mode) && !S_ISDIR(inode->i_mode))
		return 0;
	if (S_ISREG(inode->i_mode) && (internal || d_unlinked(dentry)) &&
	    i_size_read(inode) > CPT_MAX_CONTENT) {
		cpt_note("fd %u: nameless file of %lld bytes (over %u) not supported\n",
			 fd, i_size_read(inode), CPT_MAX_CONTENT);
		return -EOPNOTSUPP;
	}
	/* No path reaches these: memfds (their content is saved), SysV shm... */
	if (internal) {
		if (!S_ISREG(inode->i_mode) || strncmp(dentry->d_name.name, "memfd:", 6))
			return cpt_refuse(fd, "file of an internal mount");
		/* A memfd reopened through /proc with less access would gain some. */
		if ((file->f_flags & O_ACCMODE) != O_RDWR)
			return cpt_refuse(fd, "memfd opened read- or write-only");
		return cpt_anon_may_read(fd, file) ?: CPT_PB_FILE_KIND_MEMFD;
	}
	if (d_unlinked(dentry)) {
		if (!S_ISREG(inode->i_mode))
			return cpt_refuse(fd, "deleted directory");
		return cpt_anon_may_read(fd, file) ?: CPT_PB_FILE_KIND_DELETED;
	}
	return 0;
}

/*
 * The whole content of a file no path reaches, read through a file of our
 * own on it (the target's may be write-only), leaving its offset alone.
 */
static int cpt_encode_content(struct cpt_pb_buf *one, struct file *file)
{
	loff_t size = i_size_read(file_inode(file)), pos = 0;
	struct file *reader;
	ssize_t got;
	void *data;

	if (size > CPT_MAX_CONTENT)
		return -EFBIG;
	reader = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE, current_cred());
	if (IS_ERR(reader))
		return PTR_ERR(reader);
	data = kvmalloc(size ?: 1, GFP_KERNEL);
	got = data ? kernel_read(reader, data, size, &pos) : -ENOMEM;
	fput(reader);
	if (got >= 0)
		cpt_pb_bytes(one, CPT_PB_FILE_CONTENT, data, got);
	kvfree(data);
	return got < 0 ? got : 0;
}

static int cpt_anon_save(struct cpt_file_save *fs)
{
	int ret = cpt_encode_content(fs->one, fs->e->file);

	if (ret)
		cpt_note("fd %u: cannot read the content of %s: %d\n", fs->e->fd, fs->path, ret);
	return ret;
}

/* A memfd's content, then its seals: F_SEAL_SEAL unless made with MFD_ALLOW_SEALING. */
static int cpt_memfd_save(struct cpt_file_save *fs)
{
	long seals = cpt_sym.memfd_fcntl(fs->e->file, F_GET_SEALS, 0);

	if (seals < 0 || seals & ~CPT_MEMFD_SEALS) {
		cpt_note("fd %u: memfd seals %#lx are not supported\n", fs->e->fd, seals);
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(fs->one, CPT_PB_FILE_SEALS, seals);
	return cpt_anon_save(fs);
}

/* ---- restart ---- */

static int cpt_anon_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (f->num == CPT_PB_FILE_SEALS) {
		if (f->wire != CPT_PB_VARINT || f->value > U32_MAX)
			return -EBADMSG;
		rfile->content.seals = f->value;
		return 0;
	}
	if (f->num != CPT_PB_FILE_CONTENT)
		return CPT_FILE_FOREIGN;
	rfile->content.data = f->data;
	rfile->content.len = f->len;
	return f->wire == CPT_PB_BYTES && f->len <= U32_MAX ? 0 : -EBADMSG;
}

static int cpt_anon_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	bool memfd = rfile->kind == CPT_PB_FILE_KIND_MEMFD;
	u32 access = rfile->flags & O_ACCMODE;

	if ((rfile->mode & S_IFMT) != S_IFREG)
		*bad = "mode";
	else if (memfd ? strncmp(path, "memfd:", 6) || strchr(path, '/') : *path != '/')
		*bad = "path";
	else if (access == O_ACCMODE || (memfd && access != O_RDWR))
		*bad = "access mode";
	else if (rfile->content.len > CPT_MAX_CONTENT || rfile->pos > LLONG_MAX)
		*bad = "content";
	else if (memfd ? rfile->content.seals & ~CPT_MEMFD_SEALS : rfile->content.seals)
		*bad = "seals";
	else if (memfd && rfile->flags & ~CPT_MEMFD_FLAGS)
		*bad = "open flags";
	return *bad ? -EBADMSG : 0;
}

static int cpt_fill_content(struct cpt_rfile *rfile, struct file *file)
{
	loff_t pos = 0;
	ssize_t done;

	if (rfile->content.len) {
		done = kernel_write(file, rfile->content.data, rfile->content.len, &pos);
		if (done != rfile->content.len)
			return done < 0 ? done : -EIO;
	}
	return 0;
}

/*
 * A deleted file comes back as a new unlinked file (O_TMPFILE) in the
 * directory it was in, created as the restarting caller, with its content;
 * then opened again with the saved access mode and flags.
 */
static int cpt_open_deleted(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	char *dir = rfile->path, *slash;
	struct file *tmp, *file;
	size_t len = strlen(dir);
	int ret;

	/* d_path() said "/dir/name (deleted)". */
	if (len > 10 && !strcmp(dir + len - 10, " (deleted)"))
		dir[len - 10] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EBADMSG;
	*slash = 0;
	tmp = filp_open(*dir ? dir : "/", O_TMPFILE | O_RDWR | O_LARGEFILE, rfile->mode & 07777);
	*slash = '/';
	if (IS_ERR(tmp)) {
		cpt_note("cannot create a nameless file in the directory of %s: %ld\n",
			 rfile->path, PTR_ERR(tmp));
		return PTR_ERR(tmp);
	}
	ret = cpt_fill_content(rfile, tmp);
	if (ret) {
		fput(tmp);
		return ret;
	}
	file = dentry_open(&tmp->f_path, rfile->flags | O_LARGEFILE, current_cred());
	fput(tmp);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return cpt_seek_saved(rfile);
}

/*
 * A memfd comes back as a new one of its name, as memfd_create() makes it
 * with MFD_ALLOW_SEALING, with its content, then its seals (F_ADD_SEALS:
 * F_SEAL_SEAL forbids more, as for one made without that flag), and its
 * status flags (what F_SETFL sets, on an inode of the restarting caller's).
 */
static int cpt_open_memfd(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	u32 seals = rfile->content.seals;
	struct file *file;
	long ret;

	file = shmem_file_setup(rfile->path, 0, VM_NORESERVE);
	if (IS_ERR(file))
		return PTR_ERR(file);
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	file->f_flags |= O_LARGEFILE;
	rfile->file = file;
	SHMEM_I(file_inode(file))->seals &= ~F_SEAL_SEAL;
	ret = cpt_fill_content(rfile, file);
	if (ret)
		return ret;
	ret = seals ? cpt_sym.memfd_fcntl(file, F_ADD_SEALS, seals) : 0;
	if (ret) {
		cpt_note("cannot seal memfd %u (%s) with %#x again: %ld\n", rfile->id,
			 rfile->path, seals, ret);
		return ret;
	}
	spin_lock(&file->f_lock);
	file->f_flags |= rfile->flags & (O_APPEND | O_NOATIME | O_DSYNC | __O_SYNC);
	spin_unlock(&file->f_lock);
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return cpt_seek_saved(rfile);
}

const struct cpt_file_ops cpt_file_memfd_ops = {
	.path = CPT_FILE_PATH_NAME,
	.claim = cpt_anon_claim,
	.save = cpt_memfd_save,
	.decode = cpt_anon_decode,
	.check = cpt_anon_check,
	.open = cpt_open_memfd,
};

const struct cpt_file_ops cpt_file_deleted_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_anon_save,
	.decode = cpt_anon_decode,
	.check = cpt_anon_check,
	.open = cpt_open_deleted,
};
