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
#include "cpt_mm.h"
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

/*
 * A deleted file comes back as a new nameless file, made not linkable
 * (O_TMPFILE | O_EXCL): what would then differ is refused. An O_TMPFILE
 * file (its F_GETFL flags say so, and linkat() may still give it a name)
 * and a name unlinked while another hard link is left (the restart's copy
 * would be another inode than the one that name reaches).
 */
static int cpt_deleted_refusal(unsigned int fd, struct file *file)
{
	struct inode *inode = file_inode(file);
	unsigned int links = READ_ONCE(inode->i_nlink);

	if ((file->f_flags & __O_TMPFILE) || (READ_ONCE(inode->i_state) & I_LINKABLE))
		return cpt_refuse(fd, "O_TMPFILE file (open(O_TMPFILE), named or not by linkat())");
	if (links) {
		cpt_note("fd %u: deleted name %pd of a file with %u other hard link%s %s\n",
			 fd, file->f_path.dentry, links, links == 1 ? "" : "s",
			 "is not supported: a restart would make a copy apart from them");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* A removed directory: a restart has no path to open it by. */
static int cpt_refuse_deleted_dir(unsigned int fd, struct file *file)
{
	char *buf = __getname();
	const char *path = buf ? d_path(&file->f_path, buf, PATH_MAX) : ERR_PTR(-ENOMEM);

	cpt_note("fd %u: removed directory %s is not supported: no path reaches it\n", fd,
		 IS_ERR(path) ? "(its path too long)" : path);
	if (buf)
		__putname(buf);
	return -EOPNOTSUPP;
}

/* A nameless regular file: a memfd or a deleted file; another internal one is refused. */
static int cpt_anon_claim(unsigned int fd, struct file *file)
{
	struct inode *inode = file_inode(file);
	struct dentry *dentry = file->f_path.dentry;
	bool internal = file->f_path.mnt->mnt_flags & MNT_INTERNAL;

	if (!S_ISREG(inode->i_mode) && !S_ISDIR(inode->i_mode))
		return 0;
	/*
	 * A restart makes a memfd again on tmpfs and a deleted file with
	 * write(): hugetlbfs has neither, and its pages would silently become
	 * base pages that write() could fill.
	 */
	if (cpt_mm_huge_page_size(file) && (internal || d_unlinked(dentry)))
		return cpt_refuse(fd, internal ? "hugetlb memfd (memfd_create(MFD_HUGETLB))" :
					       "deleted hugetlbfs file");
	/* A deleted file's holes are not saved: save() counts its data. */
	if (S_ISREG(inode->i_mode) && internal && i_size_read(inode) > CPT_MAX_CONTENT) {
		cpt_note("fd %u: nameless file %pd of %lld bytes (over %u) is not supported\n",
			 fd, dentry, i_size_read(inode), CPT_MAX_CONTENT);
		return -EOPNOTSUPP;
	}
	/* No path reaches these: memfds (their content is saved), SysV shm... */
	if (internal) {
		if (!S_ISREG(inode->i_mode) || strncmp(dentry->d_name.name, "memfd:", 6))
			return cpt_refuse(fd, "file of an internal mount");
		/* Reopened through /proc read- or write-only, it comes back so. */
		return cpt_anon_may_read(fd, file) ?: CPT_PB_FILE_KIND_MEMFD;
	}
	if (d_unlinked(dentry)) {
		if (!S_ISREG(inode->i_mode))
			return cpt_refuse_deleted_dir(fd, file);
		return cpt_deleted_refusal(fd, file) ?: cpt_anon_may_read(fd, file) ?:
		       CPT_PB_FILE_KIND_DELETED;
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

/* The most data extents of a deleted file an image holds. */
#define CPT_MAX_EXTENTS 4096U

/* A deleted file's data, as SEEK_DATA and SEEK_HOLE see it. */
struct cpt_extents {
	u64 *ext;		/* offset, length pairs */
	u32 nr;			/* values in ext */
	u64 bytes;		/* their lengths' sum */
};

/*
 * The data extents of the file reader reads, up to size. A file system
 * without SEEK_DATA gives the whole file as one; a hole is read as zeros
 * otherwise. The reader is our own: a seek moves its offset.
 */
static int cpt_data_extents(struct file *reader, loff_t size, struct cpt_extents *x)
{
	loff_t pos = 0, data, hole;

	while (pos < size) {
		data = vfs_llseek(reader, pos, SEEK_DATA);
		if (data == -ENXIO || (data >= 0 && data >= size))
			break;
		if (data < 0)
			return data;
		hole = vfs_llseek(reader, data, SEEK_HOLE);
		if (hole < 0)
			return hole;
		hole = min(hole, size);
		if (hole <= data)
			break;
		if (x->nr == 2 * CPT_MAX_EXTENTS) {
			cpt_note("deleted file: over %u extents of data is not supported\n",
				 CPT_MAX_EXTENTS);
			return -EOPNOTSUPP;
		}
		x->ext[x->nr++] = data;
		x->ext[x->nr++] = hole - data;
		x->bytes += hole - data;
		if (x->bytes > CPT_MAX_CONTENT) {
			cpt_note("deleted file: over %u bytes of data is not supported\n",
				 CPT_MAX_CONTENT);
			return -EOPNOTSUPP;
		}
		pos = hole;
	}
	return 0;
}

/* Reads the extents into data, back to back. */
static int cpt_read_extents(struct file *reader, const struct cpt_extents *x, u8 *data)
{
	loff_t pos;
	ssize_t got;
	u32 i;

	for (i = 0; i < x->nr; i += 2) {
		pos = x->ext[i];
		got = kernel_read(reader, data, x->ext[i + 1], &pos);
		if (got < 0)
			return got;
		/* Someone outside the tree cut it short meanwhile. */
		if (got != x->ext[i + 1])
			return -ESTALE;
		data += got;
	}
	return 0;
}

/*
 * A deleted file's data extents and their bytes, read through a file of
 * our own with O_NOATIME: saving it must not change its access time.
 */
static int cpt_encode_extents(struct cpt_pb_buf *one, struct file *file)
{
	loff_t size = i_size_read(file_inode(file));
	struct cpt_extents x = {};
	struct file *reader;
	u8 *data = NULL;
	int ret;
	u32 i;

	reader = dentry_open(&file->f_path, O_RDONLY | O_LARGEFILE | O_NOATIME, current_cred());
	if (IS_ERR(reader))
		return PTR_ERR(reader);
	x.ext = kvmalloc_array(2 * CPT_MAX_EXTENTS, sizeof(*x.ext), GFP_KERNEL);
	ret = x.ext ? cpt_data_extents(reader, size, &x) : -ENOMEM;
	if (!ret) {
		data = kvmalloc(x.bytes ?: 1, GFP_KERNEL);
		ret = data ? cpt_read_extents(reader, &x, data) : -ENOMEM;
	}
	fput(reader);
	if (!ret) {
		cpt_pb_u64(one, CPT_PB_FILE_SIZE, size);
		/* Each value, 0 too: they go by pairs. */
		for (i = 0; i < x.nr; i++)
			cpt_pb_varint(one, CPT_PB_FILE_CONTENT_EXTENTS, x.ext[i]);
		cpt_pb_bytes(one, CPT_PB_FILE_CONTENT, data, x.bytes);
	}
	kvfree(data);
	kvfree(x.ext);
	return ret;
}

/* The File saved before on another open of the same deleted file or memfd, if any. */
static struct cpt_saved_file *cpt_anon_first(struct cpt_file_registry *reg,
					     struct cpt_saved_file *self, u32 kind)
{
	struct inode *inode = file_inode(self->file);
	unsigned int i;

	for (i = 0; i < reg->nr_saved; i++) {
		struct cpt_saved_file *sf = &reg->saved[i];

		if (sf != self && sf->id && sf->kind == kind &&
		    file_inode(sf->file) == inode)
			return sf;
	}
	return NULL;
}

/*
 * A deleted file: the first of its opens saves its owner, group, times
 * and data; another open names that File, to come back on the same file.
 * The times come first: nothing of ours touches them.
 */
static int cpt_deleted_save(struct cpt_file_save *fs)
{
	struct inode *inode = file_inode(fs->e->file);
	struct cpt_saved_file *first = cpt_anon_first(fs->reg, fs->sf, CPT_PB_FILE_KIND_DELETED);
	int ret;

	if (first) {
		cpt_pb_u64(fs->one, CPT_PB_FILE_SAME_INODE_AS, first->id);
		return 0;
	}
	ret = cpt_save_node_attrs(fs->one, inode, fs->path);
	if (ret)
		return ret;
	ret = cpt_encode_extents(fs->one, fs->e->file);
	if (ret)
		cpt_note("fd %u: cannot read the content of %s: %d\n", fs->e->fd, fs->path, ret);
	return ret ?: fs->one->err;
}

/*
 * A memfd's content, then its seals: F_SEAL_SEAL unless made with
 * MFD_ALLOW_SEALING. Another open of it (reopened through /proc, perhaps
 * read- or write-only) names the first File saved on it instead.
 */
static int cpt_memfd_save(struct cpt_file_save *fs)
{
	struct cpt_saved_file *first = cpt_anon_first(fs->reg, fs->sf, CPT_PB_FILE_KIND_MEMFD);
	long seals;

	if (first) {
		cpt_pb_u64(fs->one, CPT_PB_FILE_SAME_INODE_AS, first->id);
		return 0;
	}
	seals = cpt_sym.memfd_fcntl(fs->e->file, F_GET_SEALS, 0);

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
	struct cpt_rfile_content *c = &rfile->content;
	u64 value;

	switch (f->num) {
	case CPT_PB_FILE_CONTENT:
		c->data = f->data;
		c->len = f->len;
		return f->wire == CPT_PB_BYTES && f->len <= U32_MAX ? 0 : -EBADMSG;
	case CPT_PB_FILE_SIZE:
		return cpt_pb_get_u64(f, &c->size);
	case CPT_PB_FILE_CONTENT_EXTENTS:
		/* Walked again when the file is filled (cpt_fill_extents()). */
		if (c->nr_extents == 2 * CPT_MAX_EXTENTS)
			return -EBADMSG;
		c->nr_extents++;
		return cpt_pb_get_u64(f, &value);
	case CPT_PB_FILE_SEALS:
		return cpt_pb_get_u32(f, &c->seals);
	case CPT_PB_FILE_SAME_INODE_AS:
		return cpt_pb_get_u32(f, &c->same_inode_as);
	}
	return cpt_decode_node_attr(f, &c->attrs);
}

/* Whether the extents are in order, apart, within the size, and add up to the content. */
static bool cpt_extents_valid(const struct cpt_rfile *rfile)
{
	const struct cpt_rfile_content *c = &rfile->content;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u64 value, end = 0, bytes = 0, off = 0;
	u32 n = 0;

	if (c->nr_extents % 2)
		return false;
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (f.num != CPT_PB_FILE_CONTENT_EXTENTS || !cpt_pb_read_u64(&r, &f, &value))
			continue;
		if (n++ % 2 == 0) {
			off = value;
			if (off < end || off >= c->size)
				return false;
			continue;
		}
		if (!value || value > c->size - off)
			return false;
		end = off + value;
		bytes += value;
	}
	return !cpt_pb_end(&r) && bytes == c->len;
}

static int cpt_anon_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_content *c = &rfile->content;
	bool memfd = rfile->kind == CPT_PB_FILE_KIND_MEMFD;
	u32 access = rfile->flags & O_ACCMODE;

	if ((rfile->mode & S_IFMT) != S_IFREG)
		*bad = "mode";
	else if (memfd ? strncmp(path, "memfd:", 6) || strchr(path, '/') : *path != '/')
		*bad = "path";
	else if (access == O_ACCMODE)
		*bad = "access mode";
	else if (c->len > CPT_MAX_CONTENT || rfile->pos > LLONG_MAX)
		*bad = "content";
	else if (memfd && (c->nr_extents || c->attrs.owned || c->attrs.timed))
		*bad = "content";
	else if (!memfd && (c->size > MAX_LFS_FILESIZE || (c->size && c->size < c->len)))
		*bad = "size";
	else if (!memfd && c->nr_extents && !cpt_extents_valid(rfile))
		*bad = "content extents";
	else if (c->same_inode_as &&
		 (c->same_inode_as >= rfile->id || c->len || c->nr_extents || c->seals))
		*bad = "same inode";
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

/* Writes each saved extent at its offset; the rest, up to the size, stays holes. */
static int cpt_fill_extents(struct cpt_rfile *rfile, struct file *file)
{
	const u8 *data = rfile->content.data;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u64 value, off = 0;
	loff_t pos;
	ssize_t done;
	u32 n = 0;
	int ret;

	/* The extents were checked: in order, within the size, adding up to the content. */
	cpt_pb_for_each_field(&r, rfile->record, rfile->record_len, &f) {
		if (f.num != CPT_PB_FILE_CONTENT_EXTENTS || !cpt_pb_read_u64(&r, &f, &value))
			continue;
		if (n++ % 2 == 0) {
			off = value;
			continue;
		}
		pos = off;
		done = kernel_write(file, data, value, &pos);
		if (done != value)
			cpt_pb_fail(&r, done < 0 ? done : -EIO);
		data += value;
	}
	ret = cpt_pb_end(&r);
	return ret ?: vfs_truncate(&file->f_path, rfile->content.size);
}

/*
 * A deleted file's content: its extents, or from an image without them
 * (an older one, or a file of holes only), all of it from offset 0; then
 * its size, which its holes at the end make.
 */
static int cpt_fill_deleted(struct cpt_rfile *rfile, struct file *file)
{
	int ret;

	if (rfile->content.nr_extents)
		return cpt_fill_extents(rfile, file);
	ret = cpt_fill_content(rfile, file);
	if (!ret && rfile->content.size > rfile->content.len)
		ret = vfs_truncate(&file->f_path, rfile->content.size);
	return ret;
}

/* Another open of a deleted file or memfd restored before (File first_id), as rfile says. */
static int cpt_reopen_anon(struct cpt_file_registry *reg, struct cpt_rfile *rfile, u32 first_id)
{
	struct file *first = xa_load(&reg->deleted_files, first_id);
	bool memfd = rfile->kind == CPT_PB_FILE_KIND_MEMFD;
	struct file *file;

	/* Ids are the image's: the File named must be of the same kind (memfds' mount is). */
	if (!first || !S_ISREG(file_inode(first)->i_mode) ||
	    !!(first->f_path.mnt->mnt_flags & MNT_INTERNAL) != memfd) {
		cpt_note("image: file %u: file %u it shares is not restored before it\n",
			 rfile->id, first_id);
		return -EBADMSG;
	}
	file = dentry_open(&first->f_path, rfile->flags | O_LARGEFILE, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return cpt_seek_saved(rfile);
}

/*
 * A deleted file comes back as a new unlinked file (O_TMPFILE) in the
 * directory it was in, created as the restarting caller, with its content
 * (an image with extents: its data at their offsets, holes between);
 * then its owner, mode and times, and opened again with the saved access
 * mode and flags. Other opens of it come back on the same file.
 */
static int cpt_open_deleted(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	char *dir = rfile->path, *slash;
	struct cpt_node_attrs attrs = rfile->content.attrs;
	struct file *tmp, *file;
	size_t len = strlen(dir);
	int ret;

	if (rfile->content.same_inode_as)
		return cpt_reopen_anon(reg, rfile, rfile->content.same_inode_as);
	/* d_path() said "/dir/name (deleted)". */
	if (len > 10 && !strcmp(dir + len - 10, " (deleted)"))
		dir[len - 10] = 0;
	slash = strrchr(dir, '/');
	if (!slash)
		return -EBADMSG;
	*slash = 0;
	/* The owner's until filled and truncated (by path: a check of write access). */
	/* Not linkable (O_EXCL), as the deleted file was not (cpt_deleted_refusal()). */
	tmp = filp_open(*dir ? dir : "/", O_TMPFILE | O_EXCL | O_RDWR | O_LARGEFILE, 0600);
	*slash = '/';
	if (IS_ERR(tmp)) {
		cpt_note("cannot create a nameless file in the directory of %s: %ld\n",
			 rfile->path, PTR_ERR(tmp));
		return PTR_ERR(tmp);
	}
	ret = cpt_fill_deleted(rfile, tmp);
	attrs.mode = rfile->mode & S_IALLUGO;
	attrs.has_mode = true;
	if (!ret)
		ret = cpt_set_node_attrs(&tmp->f_path, &attrs, rfile->path);
	/* Later opens of it find it there; the registry holds a reference. */
	if (!ret) {
		ret = xa_insert(&reg->deleted_files, rfile->id, tmp, GFP_KERNEL_ACCOUNT);
		if (!ret)
			get_file(tmp);
	}
	if (ret) {
		fput(tmp);
		return ret == -EBUSY ? -EBADMSG : ret;
	}
	file = dentry_open(&tmp->f_path, rfile->flags | O_LARGEFILE, current_cred());
	fput(tmp);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	return cpt_seek_saved(rfile);
}

/*
 * A memfd opened read- or write-only through /proc: the memfd made for it
 * is opened again as it was, and kept for its other opens.
 */
static int cpt_memfd_access(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *made = rfile->file;
	struct cpt_node_attrs attrs = { .mode = rfile->mode & S_IALLUGO, .has_mode = true };
	int ret;

	/* Its permission bits, which a reopen through /proc checks (fchmod()). */
	ret = cpt_set_node_attrs(&made->f_path, &attrs, rfile->path);
	if (ret)
		return ret;
	ret = xa_insert(&reg->deleted_files, rfile->id, made, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret == -EBUSY ? -EBADMSG : ret;
	get_file(made);		/* the registry's */
	if ((rfile->flags & O_ACCMODE) == O_RDWR)
		return 0;
	rfile->file = NULL;
	fput(made);
	return cpt_reopen_anon(reg, rfile, rfile->id);
}

/*
 * A memfd comes back as a new one of its name, as memfd_create() makes it
 * with MFD_ALLOW_SEALING, with its content, then its seals (F_ADD_SEALS:
 * F_SEAL_SEAL forbids more, as for one made without that flag), its status
 * flags (what F_SETFL sets, on an inode of the restarting caller's) and
 * access mode. Its other opens come back on it.
 */
static int cpt_open_memfd(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	u32 seals = rfile->content.seals;
	struct file *file;
	long ret;

	if (rfile->content.same_inode_as)
		return cpt_reopen_anon(reg, rfile, rfile->content.same_inode_as);
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
	ret = cpt_memfd_access(reg, rfile);
	if (ret || rfile->file != file)
		return ret;
	spin_lock(&file->f_lock);
	/* O_APPEND and O_NOATIME: the final step's F_SETFL (cpt_file_flags.c). */
	file->f_flags |= rfile->flags & (O_DSYNC | __O_SYNC);
	file->f_iocb_flags = iocb_flags(file);
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
	.save = cpt_deleted_save,
	.decode = cpt_anon_decode,
	.check = cpt_anon_check,
	.open = cpt_open_deleted,
};
