// SPDX-License-Identifier: GPL-2.0
/*
 * Files a restart opens again by path: regular files and directories, and
 * the memory character devices whose open file has no state of its own
 * (/dev/null, /dev/zero, /dev/full, /dev/random, /dev/urandom), wherever
 * their node is, as CRIU does, checking that the node at the path is still
 * that device (st_rdev). A restart opens them only if both the restarting
 * caller and the file's opener, with the credentials the image saved for it,
 * may (cpt_rfile_open()): neither gets more than it has. A deleted memory
 * device node is made again as that caller (cpt_file_delnode.c). Other
 * devices are refused by name: an open tun, kvm, input, sound or kmsg file holds state of the
 * driver's that an open by path would not bring back, and a block device's
 * open may claim it (O_EXCL) or hold its partition table in use. Files of
 * /proc and of the file systems of kernel objects (sysfs, cgroup2...) are
 * cpt_file_kernel_fs.c's to refuse, or, a directory, to name for a restart
 * to find again (cpt_kernel_fs_save(), cpt_kernel_fs_check()).
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kdev_t.h>
#include <linux/major.h>
#include <linux/namei.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"

/*
 * The character devices a file may be: the memory devices whose open file
 * is all the state there is (an offset each ignores), opened again by path.
 */
static const unsigned int cpt_mem_device_minors[] = {
	3,	/* /dev/null */
	5,	/* /dev/zero */
	7,	/* /dev/full */
	8,	/* /dev/random */
	9,	/* /dev/urandom */
};

static bool cpt_stateless_device(dev_t dev)
{
	unsigned int i;

	if (MAJOR(dev) != MEM_MAJOR)
		return false;
	for (i = 0; i < ARRAY_SIZE(cpt_mem_device_minors); i++)
		if (MINOR(dev) == cpt_mem_device_minors[i])
			return true;
	return false;
}

static umode_t cpt_reg_type(u32 kind)
{
	if (kind == CPT_PB_FILE_KIND_CHAR_DEVICE)
		return S_IFCHR;
	return kind == CPT_PB_FILE_KIND_DIRECTORY ? S_IFDIR : S_IFREG;
}

/* ---- checkpoint ---- */

/*
 * Refuses a device by number and full path (a bare name such as "3" or
 * "ttyS0" does not tell /dev/pts/3 from a node made elsewhere). Returns
 * -EOPNOTSUPP.
 */
int cpt_refuse_device(unsigned int fd, struct file *file, const char *what, const char *why)
{
	struct inode *inode = file_inode(file);
	char *buf = __getname();
	const char *path = buf ? d_path(&file->f_path, buf, PATH_MAX) : ERR_PTR(-ENOMEM);

	if (IS_ERR(path))
		cpt_note("fd %u: %s %u:%u (%pD) is not supported%s\n", fd, what,
			 imajor(inode), iminor(inode), file, why);
	else
		cpt_note("fd %u: %s %u:%u (%s) is not supported%s\n", fd, what,
			 imajor(inode), iminor(inode), path, why);
	if (buf)
		__putname(buf);
	return -EOPNOTSUPP;
}

/* What is left of files with a type: those with a path, memory devices, refusals. */
static int cpt_reg_claim(unsigned int fd, struct file *file)
{
	struct inode *inode = file_inode(file);

	if (S_ISREG(inode->i_mode))
		return CPT_PB_FILE_KIND_REGULAR;
	if (S_ISDIR(inode->i_mode))
		return CPT_PB_FILE_KIND_DIRECTORY;
	if (S_ISBLK(inode->i_mode))
		return cpt_refuse_device(fd, file, "block device", "");
	if (!S_ISCHR(inode->i_mode))
		return 0;
	if (cpt_is_tty(inode))
		return cpt_refuse_device(fd, file, "tty", "");
	if (!cpt_stateless_device(inode->i_rdev))
		return cpt_refuse_device(fd, file, "character device",
					 ": its driver's state of the open file is not saved");
	return CPT_PB_FILE_KIND_CHAR_DEVICE;
}

static int cpt_reg_save(struct cpt_file_save *fs)
{
	struct inode *inode = file_inode(fs->e->file);

	if (fs->e->kind == CPT_PB_FILE_KIND_REGULAR)
		cpt_pb_u64(fs->one, CPT_PB_FILE_SIZE, i_size_read(inode));
	if (fs->e->kind == CPT_PB_FILE_KIND_DIRECTORY)
		cpt_kernel_fs_save(fs);
	if (fs->e->kind == CPT_PB_FILE_KIND_CHAR_DEVICE) {
		cpt_pb_u64(fs->one, CPT_PB_FILE_RDEV, new_encode_dev(inode->i_rdev));
		if (d_unlinked(fs->e->file->f_path.dentry))
			return cpt_delnode_save(fs, true);
	}
	return 0;
}

/* ---- restart ---- */

static int cpt_reg_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	u64 size;

	switch (f->num) {
	case CPT_PB_FILE_SIZE:
		/* Only informative: a file may grow between checkpoint and restart. */
		return cpt_pb_get_u64(f, &size);
	case CPT_PB_FILE_RDEV:
		return cpt_pb_get_u32(f, &rfile->rdev);
	}
	return cpt_delnode_decode(rfile, f);
}

static int cpt_reg_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	dev_t dev = new_decode_dev(rfile->rdev);

	if (*path != '/')
		*bad = "path";
	else if (cpt_delnode_bad(rfile, path))
		*bad = cpt_delnode_bad(rfile, path);
	else if ((rfile->mode & S_IFMT) != cpt_reg_type(rfile->kind))
		*bad = "mode";
	else if ((rfile->flags & O_ACCMODE) == O_ACCMODE)
		*bad = "access mode";
	else if (rfile->pos > LLONG_MAX)
		*bad = "position";
	else
		*bad = cpt_kernel_fs_bad(rfile);
	if (*bad)
		return -EBADMSG;
	if (rfile->kind == CPT_PB_FILE_KIND_CHAR_DEVICE && !cpt_stateless_device(dev)) {
		cpt_note("image: file %u: character device %u:%u is not supported\n",
			 rfile->id, MAJOR(dev), MINOR(dev));
		return -EOPNOTSUPP;
	}
	return 0;
}

static bool cpt_same_kind(const struct inode *inode, const struct cpt_rfile *rfile)
{
	if ((inode->i_mode & S_IFMT) != cpt_reg_type(rfile->kind))
		return false;
	return rfile->kind != CPT_PB_FILE_KIND_CHAR_DEVICE ||
	       new_encode_dev(inode->i_rdev) == rfile->rdev;
}

/*
 * Opens rfile's path with flags as its opener did at checkpoint (its
 * File's opener, cpt_task_open()); what names it in a refusal.
 */
struct file *cpt_rfile_open(struct cpt_file_registry *reg, const struct cpt_rfile *rfile,
			    const char *what, int flags)
{
	struct cpt_opener o;
	int ret;

	ret = cpt_opener_of_file(&o, rfile->record, rfile->record_len);
	if (ret) {
		cpt_note("image: %s %s: malformed opener\n", what, rfile->path);
		return ERR_PTR(ret);
	}
	return cpt_task_open(reg->session, what, rfile->path, flags, &o);
}

/*
 * Opens a saved file as its opener did (cpt_rfile_open()). It is looked up first, so
 * that an image never makes us open what it does not claim (a device's open
 * may act, a FIFO's blocks); and opened non-blocking and without taking a
 * controlling tty, in case the path changed in between.
 */
static int cpt_reg_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const char *path = rfile->path;
	struct file *file;
	char what[16];
	struct path p;
	bool same;
	int ret;

	if (rfile->node.deleted)
		return cpt_delnode_open_device(reg, rfile);
	ret = kern_path(path, rfile->flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &p);
	if (ret) {
		cpt_note("cannot find %s: %d\n", path, ret);
		return ret;
	}
	same = cpt_same_kind(d_inode(p.dentry), rfile);
	/* Before the open, which in sysfs or debugfs runs the kernel's code. */
	ret = same ? cpt_kernel_fs_check_inode(rfile, d_inode(p.dentry)) : 0;
	path_put(&p);
	if (ret)
		return ret;
	if (!same)
		goto changed;

	snprintf(what, sizeof(what), "fd %u", rfile->fd);
	file = cpt_rfile_open(reg, rfile, what, rfile->flags | O_NONBLOCK | O_NOCTTY);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	if (!cpt_same_kind(file_inode(file), rfile))
		goto changed;
	ret = cpt_kernel_fs_check(rfile, file);
	if (ret)
		return ret;
	if (!(rfile->flags & O_NONBLOCK)) {
		spin_lock(&file->f_lock);
		file->f_flags &= ~O_NONBLOCK;
		spin_unlock(&file->f_lock);
	}
	return cpt_seek_saved(rfile);

changed:
	if (rfile->kind == CPT_PB_FILE_KIND_CHAR_DEVICE)
		cpt_note("%s is no longer character device %u:%u\n", path,
			 MAJOR(new_decode_dev(rfile->rdev)), MINOR(new_decode_dev(rfile->rdev)));
	else
		cpt_note("%s is no longer a file of the saved kind (mode %#o)\n",
			 path, rfile->mode);
	return -ESTALE;
}

const struct cpt_file_ops cpt_file_reg_ops = {
	.path = CPT_FILE_PATH_OPENED,
	.claim = cpt_reg_claim,
	.save = cpt_reg_save,
	.decode = cpt_reg_decode,
	.check = cpt_reg_check,
	.open = cpt_reg_open,
};
