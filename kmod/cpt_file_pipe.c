// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes and FIFOs. Pipes whose every end is held in the tree are saved
 * with their data, and created again by the module (create_pipe_files());
 * FIFOs are opened again by path, their data given back through the first
 * end; a deleted FIFO is made again (cpt_file_delnode.c) and its ends
 * opened on it. A pipe to a process outside the tree is refused, unless it
 * is the shell's stdio (cpt_files.c's INHERITED). Data written in packet
 * mode (O_DIRECT) is refused: its boundaries are not saved.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/highmem.h>
#include <linux/mount.h>
#include <linux/namei.h>
#include <linux/pipe_fs_i.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* The pipe of a pipe or FIFO file. */
struct pipe_inode_info *cpt_pipe_of(struct file *file)
{
	struct inode *inode = file_inode(file);

	if (!S_ISFIFO(inode->i_mode) || !inode->i_pipe || file->private_data != inode->i_pipe)
		return NULL;
	return inode->i_pipe;
}

bool cpt_is_anon_pipe(struct file *file)
{
	return cpt_pipe_of(file) && (file->f_path.mnt->mnt_flags & MNT_INTERNAL);
}

/* Whether every open end of the pipe is a file of the tree: then the tree holds it whole. */
bool cpt_pipe_in_tree(const struct cpt_saved_pipe *sp)
{
	bool whole;

	pipe_lock(sp->pipe);
	whole = sp->readers == sp->pipe->readers && sp->writers == sp->pipe->writers;
	pipe_unlock(sp->pipe);
	return whole;
}

/* ---- checkpoint ---- */

/* An end that reaches this is not the tree's whole pipe, nor the shell's stdio. */
static int cpt_pipe_claim(unsigned int fd, struct file *file)
{
	if (!S_ISFIFO(file_inode(file)->i_mode))
		return 0;
	return cpt_refuse(fd, file->f_path.mnt->mnt_flags & MNT_INTERNAL ? "pipe" : "FIFO");
}

/* What the pipe holds, copied without taking it out. */
static int cpt_encode_pipe_data(struct cpt_pb_buf *one, struct pipe_inode_info *pipe)
{
	unsigned int tail, mask, len = 0;
	struct pipe_buffer *buf;
	char *data, *addr;
	int ret = 0;

	pipe_lock(pipe);
	mask = pipe->ring_size - 1;
	data = kvmalloc(pipe->max_usage * PAGE_SIZE, GFP_KERNEL);
	if (!data) {
		ret = -ENOMEM;
		goto out;
	}
	for (tail = pipe->tail; tail != pipe->head; tail++) {
		buf = &pipe->bufs[tail & mask];
		ret = pipe_buf_confirm(pipe, buf);
		if (ret)
			goto out;
		if (buf->flags & PIPE_BUF_FLAG_PACKET) {
			ret = -EOPNOTSUPP;
			goto out;
		}
		if (buf->len > pipe->max_usage * PAGE_SIZE - len) {
			ret = -EOVERFLOW;
			goto out;
		}
		addr = kmap_local_page(buf->page);
		memcpy(data + len, addr + buf->offset, buf->len);
		kunmap_local(addr);
		len += buf->len;
	}
	cpt_pb_u64(one, CPT_PB_FILE_PIPE_SIZE, pipe->max_usage * PAGE_SIZE);
	cpt_pb_bytes(one, CPT_PB_FILE_PIPE_DATA, data, len);
out:
	pipe_unlock(pipe);
	kvfree(data);
	return ret;
}

/* Every end names its pipe; the pipe's data goes with its first end's File. */
static int cpt_pipe_save(struct cpt_file_save *fs)
{
	struct cpt_saved_pipe *sp = &fs->reg->pipes[fs->sf->pipe];
	int ret;

	/* Its first end carries the node's owner and times, with the data. */
	if (fs->e->kind == CPT_PB_FILE_KIND_FIFO && d_unlinked(fs->e->file->f_path.dentry)) {
		ret = cpt_delnode_save(fs, !sp->saved);
		if (ret)
			return ret;
	}
	/* Pipe ids are the session's pipe indices, from 1. */
	cpt_pb_u64(fs->one, CPT_PB_FILE_PIPE_ID, fs->sf->pipe + 1);
	if (sp->saved)
		return 0;
	ret = cpt_encode_pipe_data(fs->one, sp->pipe);
	if (ret == -EOPNOTSUPP)
		return cpt_refuse(fs->e->fd, "pipe data written in packet mode (O_DIRECT)");
	if (!ret)
		sp->saved = true;
	return ret;
}

/* ---- restart ---- */

static int cpt_pipe_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_PIPE_ID:
		return cpt_pb_get_u32(f, &rfile->pipe.id);
	case CPT_PB_FILE_PIPE_SIZE:
		return cpt_pb_get_u32(f, &rfile->pipe.size);
	case CPT_PB_FILE_PIPE_DATA:
		rfile->pipe.data = f->data;
		rfile->pipe.data_len = f->len;
		return f->wire == CPT_PB_BYTES && f->len <= U32_MAX ? 0 : -EBADMSG;
	}
	return cpt_delnode_decode(rfile, f);
}

static int cpt_pipe_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	u32 access = rfile->flags & O_ACCMODE;

	if ((rfile->mode & S_IFMT) != S_IFIFO)
		*bad = "mode";
	else if (rfile->kind == CPT_PB_FILE_KIND_FIFO && *path != '/')
		*bad = "path";
	else if (access == O_ACCMODE || (rfile->kind == CPT_PB_FILE_KIND_PIPE && access == O_RDWR))
		*bad = "access mode";
	else if (!rfile->pipe.id || rfile->pipe.id > CPT_MAX_FILES)
		*bad = "pipe id";
	else if (rfile->pipe.data_len > rfile->pipe.size)
		*bad = "pipe data";
	else
		*bad = cpt_delnode_bad(rfile, path);
	return *bad ? -EBADMSG : 0;
}

/* Gives a new pipe, through a non-blocking write end of it, the saved size and data. */
static int cpt_fill_pipe(struct cpt_rfile *rfile, struct file *writer)
{
	const struct cpt_rfile_pipe *p = &rfile->pipe;
	loff_t pos = 0;
	ssize_t done;
	long size;

	size = cpt_sym.pipe_fcntl(writer, F_GETPIPE_SZ, 0);
	if (p->size && p->size != size) {
		size = cpt_sym.pipe_fcntl(writer, F_SETPIPE_SZ, p->size);
		if (size < 0) {
			cpt_note("pipe %u: cannot set its size to %u: %ld\n", p->id, p->size, size);
			return size;
		}
	}
	if (p->data_len > size) {
		cpt_note("image: pipe %u holds %u bytes, more than its %ld\n",
			 p->id, p->data_len, size);
		return -EBADMSG;
	}
	if (p->data_len) {
		done = kernel_write(writer, p->data, p->data_len, &pos);
		if (done != p->data_len)
			return done < 0 ? done : -EIO;
	}
	return 0;
}

/*
 * Looked up first: an image never makes us open what it does not claim,
 * nor fill a FIFO whose end the caller or the end's opener may not open.
 */
static int cpt_fifo_lookup(struct cpt_file_registry *reg, const struct cpt_rfile *rfile,
			   const char *what)
{
	const char *path = rfile->path;
	struct cpt_opener o;
	struct path p;
	int ret;

	ret = cpt_opener_of_file(&o, rfile->record, rfile->record_len);
	if (ret) {
		cpt_note("image: %s %s: malformed opener\n", what, path);
		return ret;
	}
	ret = kern_path(path, 0, &p);
	if (ret) {
		cpt_note("cannot find the FIFO %s: %d\n", path, ret);
		return ret;
	}
	if (!S_ISFIFO(d_inode(p.dentry)->i_mode)) {
		cpt_note("%s is no longer a FIFO\n", path);
		ret = -ESTALE;
	} else {
		ret = cpt_task_may_open(reg->session, what, path, &p, rfile->flags, &o);
	}
	path_put(&p);
	return ret;
}

/* The FIFO's first end: a read-write open of our own, kept in the registry, and its data. */
static struct file *cpt_fifo_hold(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *holder;
	int ret;

	/* Never the task's: its own end was checked for both (cpt_fifo_lookup()). */
	holder = filp_open(rfile->path, O_RDWR | O_NONBLOCK | O_NOFOLLOW, 0);
	if (IS_ERR(holder)) {
		cpt_note("cannot open the FIFO %s: %ld\n", rfile->path, PTR_ERR(holder));
		return holder;
	}
	if (!cpt_pipe_of(holder)) {
		fput(holder);
		cpt_note("%s is no longer a FIFO\n", rfile->path);
		return ERR_PTR(-ESTALE);
	}
	ret = xa_insert(&reg->pipe_ends, rfile->pipe.id, holder, GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(holder);
		return ERR_PTR(ret);
	}
	ret = cpt_fill_pipe(rfile, holder);
	return ret ? ERR_PTR(ret) : holder;
}

/*
 * An end of a deleted FIFO. For its first end, the FIFO is made again, and
 * a read-write open of our own of it keeps it, as for a named one, and
 * gets its data, then its owner, mode and times (the data moved them);
 * each end is opened on it, as the restarting caller made it.
 */
static int cpt_open_deleted_fifo(struct cpt_file_registry *reg, struct cpt_rfile *rfile,
				 struct file *holder)
{
	struct file *file;
	int ret;

	if (!holder) {
		if (!rfile->node.attrs.owned) {
			cpt_note("image: file %u: deleted FIFO %u's first end has no owner\n",
				 rfile->id, rfile->pipe.id);
			return -EBADMSG;
		}
		holder = cpt_delnode_make(rfile, S_IFIFO, 0, O_RDWR);
		if (IS_ERR(holder))
			return PTR_ERR(holder);
		ret = xa_insert(&reg->pipe_ends, rfile->pipe.id, holder, GFP_KERNEL_ACCOUNT);
		if (ret) {
			fput(holder);
			return ret == -EBUSY ? -EBADMSG : ret;
		}
		ret = cpt_fill_pipe(rfile, holder) ?: cpt_delnode_set_attrs(rfile, holder);
		if (ret)
			return ret;
	} else if (!d_unlinked(holder->f_path.dentry) || cpt_is_anon_pipe(holder) ||
		   !cpt_pipe_of(holder)) {
		cpt_note("image: file %u: pipe %u is a deleted FIFO and another file\n",
			 rfile->id, rfile->pipe.id);
		return -EBADMSG;
	}
	file = dentry_open(&holder->f_path, rfile->flags | O_NONBLOCK, current_cred());
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return 0;
}

/*
 * An end of a named FIFO, opened by its path as its opener did (cpt_rfile_open()). For
 * its first end, a read-write open of our own keeps the pipe (and the data
 * it gets) alive until the session ends, and lets the other ends open
 * without blocking.
 */
static int cpt_open_fifo(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *holder = xa_load(&reg->pipe_ends, rfile->pipe.id);
	struct file *file;
	char what[24];
	int ret;

	if (rfile->node.deleted)
		return cpt_open_deleted_fifo(reg, rfile, holder);
	snprintf(what, sizeof(what), "fd %u (FIFO)", rfile->fd);
	ret = cpt_fifo_lookup(reg, rfile, what);
	if (ret)
		return ret;
	if (!holder) {
		holder = cpt_fifo_hold(reg, rfile);
		if (IS_ERR(holder))
			return PTR_ERR(holder);
	}
	file = cpt_rfile_open(reg, rfile, what, rfile->flags | O_NONBLOCK | O_NOFOLLOW);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	if (cpt_pipe_of(file) != cpt_pipe_of(holder)) {
		cpt_note("%s is no longer the FIFO it was\n", rfile->path);
		return -ESTALE;
	}
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return 0;
}

/*
 * A pipe end: the pipe is created (with its size and data) for its first
 * end, whose File carries them; the other end waits in the registry for
 * its own File, in this process or a later one.
 */
static int cpt_open_pipe(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	bool writer = (rfile->flags & O_ACCMODE) == O_WRONLY;
	struct file *ends[2], *other;
	int ret;

	other = xa_erase(&reg->pipe_ends, rfile->pipe.id);
	if (other) {
		if (!!(other->f_mode & FMODE_WRITE) != writer) {
			fput(other);
			cpt_note("image: pipe %u has two Files for one end\n", rfile->pipe.id);
			return -EOPNOTSUPP;
		}
		rfile->file = other;
		goto flags;
	}
	/* Non-blocking while the data goes in: a bad image must not hang us. */
	ret = cpt_sym.create_pipe_files(ends, O_NONBLOCK);
	if (ret)
		return ret;
	rfile->file = ends[writer];
	ret = xa_insert(&reg->pipe_ends, rfile->pipe.id, ends[!writer], GFP_KERNEL_ACCOUNT);
	if (ret) {
		fput(ends[!writer]);
		return ret == -EBUSY ? -EBADMSG : ret;
	}
	ret = cpt_fill_pipe(rfile, ends[1]);
	if (ret)
		return ret;
	cpt_set_nonblock(ends[!writer], false);
flags:
	cpt_set_nonblock(rfile->file, rfile->flags & O_NONBLOCK);
	return 0;
}

const struct cpt_file_ops cpt_file_pipe_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.save = cpt_pipe_save,
	.decode = cpt_pipe_decode,
	.check = cpt_pipe_check,
	.open = cpt_open_pipe,
};

const struct cpt_file_ops cpt_file_fifo_ops = {
	.path = CPT_FILE_PATH_OPENED,
	.claim = cpt_pipe_claim,
	.save = cpt_pipe_save,
	.decode = cpt_pipe_decode,
	.check = cpt_pipe_check,
	.open = cpt_open_fifo,
};
