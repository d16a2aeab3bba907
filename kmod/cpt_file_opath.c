// SPDX-License-Identifier: GPL-2.0
/*
 * O_PATH fds: a place in the file system and no open file behind it (the
 * kernel called no open() of the file's, and reads, writes and ioctls
 * fail). A restart opens the saved path again with O_PATH and the saved
 * O_NOFOLLOW and O_DIRECTORY, for both the restarting caller and the
 * credentials it was opened with (cpt_rfile_open(); an O_PATH open
 * needs search permission on the way only, as it did for the process that
 * made it), and checks that what it found is of the saved type: a regular
 * file, a directory, a symlink (opened with O_NOFOLLOW: the fd is the
 * link's) or a FIFO. Since such an open runs nothing of the file's, it is
 * made first and checked after; on a file system of kernel objects, that
 * it is the same inode (cpt_file_kernel_fs.c).
 *
 * Refused at checkpoint, naming the fd: a deleted file (no path leads to
 * it), what has no path (an object of an internal mount, reached through
 * /proc/PID/fd), a device node (a restart would find a node by path, not
 * the device), a socket file (a restart may make a listener's anew: the
 * fd would be on the old one or on none), and a symlink reached without
 * O_NOFOLLOW (through a /proc/PID/fd link: opening its path again would
 * follow it).
 */
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mount.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"

/* The flags an O_PATH file keeps besides O_PATH (fs/open.c's O_PATH_FLAGS, less O_CLOEXEC). */
#define CPT_OPATH_FLAGS (O_NOFOLLOW | O_DIRECTORY)

static bool cpt_opath_type_kept(umode_t mode)
{
	return S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode) || S_ISFIFO(mode);
}

/* ---- checkpoint ---- */

/* Any O_PATH file is this kind's: the other kinds' files are open ones. */
static int cpt_opath_claim(unsigned int fd, struct file *file)
{
	umode_t mode = file_inode(file)->i_mode;

	if (!(file->f_mode & FMODE_PATH))
		return 0;
	if (file->f_path.mnt->mnt_flags & MNT_INTERNAL)
		return cpt_refuse(fd, "O_PATH descriptor of an object with no path");
	if (d_unlinked(file->f_path.dentry)) {
		cpt_note("fd %u: O_PATH descriptor of deleted file %pd is not supported\n",
			 fd, file->f_path.dentry);
		return -EOPNOTSUPP;
	}
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return cpt_refuse(fd, "O_PATH descriptor of a device node");
	if (S_ISSOCK(mode))
		return cpt_refuse(fd, "O_PATH descriptor of a socket file");
	if (!cpt_opath_type_kept(mode))
		return cpt_refuse(fd, "O_PATH descriptor of a special file");
	if (S_ISLNK(mode) && !(file->f_flags & O_NOFOLLOW))
		return cpt_refuse(fd, "O_PATH descriptor of a symlink without O_NOFOLLOW");
	return CPT_PB_FILE_KIND_O_PATH;
}

/*
 * Its path, flags and type are the File's common fields: all there is, but
 * for the object it names on a kernel file system (cpt_file_kernel_fs.c).
 */
static int cpt_opath_save(struct cpt_file_save *fs)
{
	cpt_kernel_fs_save(fs);
	return 0;
}

/* ---- restart ---- */

static int cpt_opath_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if (*path != '/')
		*bad = "path";
	else if (!cpt_opath_type_kept(rfile->mode))
		*bad = "mode";
	else if (rfile->flags & ~CPT_OPATH_FLAGS ||
		 (S_ISLNK(rfile->mode) && !(rfile->flags & O_NOFOLLOW)))
		*bad = "open flags";
	else if (rfile->pos)
		*bad = "position";
	else
		*bad = cpt_kernel_fs_bad(rfile);
	return *bad ? -EBADMSG : 0;
}

static int cpt_opath_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct file *file;
	char what[24];
	umode_t found;

	/* No permission of the file's own: the directories on the way, for both. */
	snprintf(what, sizeof(what), "fd %u (O_PATH)", rfile->fd);
	file = cpt_rfile_open(reg, rfile, what, O_PATH | rfile->flags);
	if (IS_ERR(file))
		return PTR_ERR(file);
	rfile->file = file;
	found = file_inode(file)->i_mode;
	if ((found & S_IFMT) != (rfile->mode & S_IFMT)) {
		cpt_note("%s is no longer a file of the saved kind (mode %#o, now %#o)\n",
			 rfile->path, rfile->mode, found);
		return -ESTALE;
	}
	return cpt_kernel_fs_check(rfile, file);
}

const struct cpt_file_ops cpt_file_opath_ops = {
	.path = CPT_FILE_PATH_OPENED,
	.claim = cpt_opath_claim,
	.save = cpt_opath_save,
	.check = cpt_opath_check,
	.open = cpt_opath_open,
};
