// SPDX-License-Identifier: GPL-2.0
/*
 * Deleted FIFOs and device nodes: nodes unlinked while open. No path leads
 * to them, so a restart makes them again as the restarting caller, as CRIU
 * does: mknod(2) at a temporary name in the directory the node was in,
 * through the kernel's own syscall (a device node needs of the caller what
 * mknod(2) needs: CAP_MKNOD, the device cgroup's leave, the LSMs'), open(2)
 * of it there as the caller (its permission checks), unlink(2); then its
 * saved owner, group, mode and times through notify_change()
 * (cpt_file_node.c). Every open of the node comes back on that one inode:
 * a FIFO's through its pipe (cpt_file_pipe.c), a device node's through
 * same_inode_as. A checkpoint saves the node's owner, group and times with
 * its first File; its permission bits are the File's mode.
 */
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* What d_path() appends to the path of an unlinked dentry. */
#define CPT_DELETED_SUFFIX " (deleted)"

/* ---- checkpoint ---- */

/* The File saved before on another open of the same deleted device node, if any. */
static struct cpt_saved_file *cpt_delnode_first(struct cpt_file_save *fs)
{
	struct inode *inode = file_inode(fs->e->file);
	unsigned int i;

	for (i = 0; i < fs->reg->nr_saved; i++) {
		struct cpt_saved_file *sf = &fs->reg->saved[i];

		if (sf != fs->sf && sf->id && sf->kind == CPT_PB_FILE_KIND_CHAR_DEVICE &&
		    file_inode(sf->file) == inode)
			return sf;
	}
	return NULL;
}

/*
 * A File of a deleted node says so; the node's first File (a FIFO's first
 * end, a device node's first open) also carries its owner, group and
 * times, and a device node's other opens name that File.
 */
int cpt_delnode_save(struct cpt_file_save *fs, bool first)
{
	struct inode *inode = file_inode(fs->e->file);
	struct cpt_saved_file *same = NULL;

	cpt_pb_varint(fs->one, CPT_PB_FILE_NODE_DELETED, 1);
	if (fs->e->kind == CPT_PB_FILE_KIND_CHAR_DEVICE)
		same = cpt_delnode_first(fs);
	if (same) {
		cpt_pb_u64(fs->one, CPT_PB_FILE_SAME_INODE_AS, same->id);
		return 0;
	}
	if (!first)
		return 0;
	return cpt_save_node_attrs(fs->one, inode, fs->path);
}

/* ---- restart ---- */

int cpt_delnode_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	struct cpt_rfile_node *n = &rfile->node;

	switch (f->num) {
	case CPT_PB_FILE_NODE_DELETED:
		return cpt_pb_get_bool(f, &n->deleted);
	case CPT_PB_FILE_SAME_INODE_AS:
		return cpt_pb_get_u32(f, &n->same_inode_as);
	}
	return cpt_decode_node_attr(f, &n->attrs);
}

/* The length of the directory part of a deleted node's path, or -1 if it is not one. */
static int cpt_delnode_dir_len(const char *path)
{
	size_t len = strlen(path), suffix = strlen(CPT_DELETED_SUFFIX), slash;

	if (*path != '/' || len <= suffix || strcmp(path + len - suffix, CPT_DELETED_SUFFIX))
		return -1;
	len -= suffix;
	for (slash = len - 1; path[slash] != '/'; slash--)
		;
	/* A name after it: "/ (deleted)" is none. */
	return slash == len - 1 ? -1 : slash;
}

/* What is bad in a File's node fields, or NULL: only a deleted FIFO or device node has them. */
const char *cpt_delnode_bad(const struct cpt_rfile *rfile, const char *path)
{
	const struct cpt_rfile_node *n = &rfile->node;
	const struct cpt_node_attrs *a = &n->attrs;

	if (!n->deleted)
		return a->owned || a->timed || n->same_inode_as ? "node" : NULL;
	if (rfile->kind != CPT_PB_FILE_KIND_FIFO && rfile->kind != CPT_PB_FILE_KIND_CHAR_DEVICE)
		return "node";
	if (cpt_delnode_dir_len(path) < 0)
		return "path";
	if (a->owned != a->timed)
		return "node";
	if (n->same_inode_as && (rfile->kind != CPT_PB_FILE_KIND_CHAR_DEVICE ||
				 n->same_inode_as >= rfile->id || a->owned))
		return "same inode";
	/* A device node's first File carries its owner: a FIFO's other ends do not. */
	if (rfile->kind == CPT_PB_FILE_KIND_CHAR_DEVICE && !n->same_inode_as && !a->owned)
		return "node";
	return NULL;
}

/* Whether file is the node just made: of its type and device, the caller's, nameless. */
static bool cpt_delnode_made(struct file *file, umode_t type, dev_t rdev)
{
	struct inode *inode = file_inode(file);

	return (inode->i_mode & S_IFMT) == type && (type != S_IFCHR || inode->i_rdev == rdev) &&
	       uid_eq(inode->i_uid, current_fsuid()) && d_unlinked(file->f_path.dentry);
}

static const char *cpt_delnode_what(umode_t type)
{
	return type == S_IFIFO ? "deleted FIFO" : "deleted device node";
}

/*
 * Makes the deleted node of rfile again at "DIR/.cpt-node-XXXXXXXX" (the
 * caller's, mode 0600 less its umask), opens it there with flags and
 * unlinks it, each through the kernel's syscall or open path as the
 * restarting caller. A name another process put in its place between the
 * steps (where it may) is found out: the file opened must be the
 * caller's nameless node of that type and device.
 */
struct file *cpt_delnode_make(const struct cpt_rfile *rfile, umode_t type, dev_t rdev, int flags)
{
	int dir_len = cpt_delnode_dir_len(rfile->path);
	struct cpt_ubuf ub = {};
	struct file *file;
	char *tmp;
	long ret;

	if (dir_len < 0)
		return ERR_PTR(-EBADMSG);
	tmp = kasprintf(GFP_KERNEL, "%.*s/.cpt-node-%08x", dir_len, rfile->path,
			get_random_u32());
	if (!tmp)
		return ERR_PTR(-ENOMEM);
	ret = cpt_ubuf_get(&ub, strlen(tmp) + 1);
	if (!ret && copy_to_user((void __user *)ub.addr, tmp, strlen(tmp) + 1))
		ret = -EFAULT;
	if (!ret)
		ret = cpt_sys(cpt_sym.sys_mknod, ub.addr, type | 0600, new_encode_dev(rdev), 0, 0);
	if (ret) {
		cpt_note("fd %u: the restarting caller cannot make the %s %s again%s\n",
			 rfile->fd, cpt_delnode_what(type), rfile->path,
			 ret == -EPERM && type == S_IFCHR ? " (CAP_MKNOD)" : "");
		cpt_note("mknod %s: %ld\n", tmp, ret);
		file = ERR_PTR(ret);
		goto out;
	}
	file = filp_open(tmp, flags | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK, 0);
	ret = cpt_sys(cpt_sym.sys_unlink, ub.addr, 0, 0, 0, 0);
	if (IS_ERR(file)) {
		cpt_note("fd %u: cannot open the %s %s made again at %s: %ld\n", rfile->fd,
			 cpt_delnode_what(type), rfile->path, tmp, PTR_ERR(file));
	} else if (ret || !cpt_delnode_made(file, type, rdev)) {
		cpt_note("fd %u: %s is not the %s made again (unlink: %ld)\n", rfile->fd, tmp,
			 cpt_delnode_what(type), ret);
		fput(file);
		file = ERR_PTR(-ESTALE);
	}
out:
	cpt_ubuf_put(&ub);
	kfree(tmp);
	return file;
}

/* The node's saved owner, group, permission bits and times, on file's inode. */
int cpt_delnode_set_attrs(const struct cpt_rfile *rfile, struct file *file)
{
	struct cpt_node_attrs attrs = rfile->node.attrs;

	attrs.mode = rfile->mode & S_IALLUGO;
	attrs.has_mode = true;
	return cpt_set_node_attrs(&file->f_path, &attrs, rfile->path);
}

/*
 * Another open of a deleted device node made again for an earlier File,
 * with the permission check open(2) makes of the caller.
 */
static struct file *cpt_delnode_reopen(struct cpt_file_registry *reg,
				       const struct cpt_rfile *rfile)
{
	struct file *first = xa_load(&reg->deleted_files, rfile->node.same_inode_as);
	int mask = MAY_OPEN;
	int ret;

	if (!first || !S_ISCHR(file_inode(first)->i_mode) ||
	    new_encode_dev(file_inode(first)->i_rdev) != rfile->rdev) {
		cpt_note("image: file %u: device node file %u is not restored before it\n",
			 rfile->id, rfile->node.same_inode_as);
		return ERR_PTR(-EBADMSG);
	}
	if ((rfile->flags & O_ACCMODE) != O_WRONLY)
		mask |= MAY_READ;
	if ((rfile->flags & O_ACCMODE) != O_RDONLY)
		mask |= MAY_WRITE;
	ret = inode_permission(file_mnt_user_ns(first), file_inode(first), mask);
	if (ret) {
		cpt_note("fd %u: cannot open the deleted device node %s again: %d\n", rfile->fd,
			 rfile->path, ret);
		return ERR_PTR(ret);
	}
	return dentry_open(&first->f_path, rfile->flags | O_NONBLOCK, current_cred());
}

/*
 * A deleted device node: made again for its first File, kept in the
 * registry for its other opens, opened as saved.
 */
int cpt_delnode_open_device(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *file;
	int ret;

	if (rfile->node.same_inode_as) {
		file = cpt_delnode_reopen(reg, rfile);
		if (IS_ERR(file))
			return PTR_ERR(file);
		rfile->file = file;
	} else {
		file = cpt_delnode_make(rfile, S_IFCHR, new_decode_dev(rfile->rdev), rfile->flags);
		if (IS_ERR(file))
			return PTR_ERR(file);
		rfile->file = file;
		ret = cpt_delnode_set_attrs(rfile, file);
		if (!ret)
			ret = xa_insert(&reg->deleted_files, rfile->id, file, GFP_KERNEL_ACCOUNT);
		if (ret)
			return ret == -EBUSY ? -EBADMSG : ret;
		get_file(file);		/* the registry's */
	}
	cpt_set_nonblock(file, rfile->flags & O_NONBLOCK);
	return cpt_seek_saved(rfile);
}
