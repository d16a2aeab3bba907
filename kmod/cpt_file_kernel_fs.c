// SPDX-License-Identifier: GPL-2.0
/*
 * Files of the kernel's own file systems: /proc, and those whose files are
 * kernel objects rather than data (sysfs and the cgroup file systems, both
 * kernfs; debugfs, tracefs, securityfs, the BPF file system, configfs,
 * pstore, efivarfs...). The other kinds would open them again by path,
 * which brings back neither what the open file holds nor, always, the
 * object:
 *
 * - an open file of theirs holds the kernel's state of that open, which no
 *   open by path makes again: a kernfs file's read snapshot (seq_file) and
 *   the events its poll() has seen (cgroup.events, a sysfs attribute's
 *   sysfs_notify()), a pressure trigger written to a cgroup's cpu.pressure
 *   or memory.pressure (it lives as long as that open file), a tracefs
 *   trace_pipe's reader, a debugfs driver's iterator, a pinned BPF
 *   iterator's seq_file. Such a file is refused by name, at checkpoint;
 * - a path there names a kernel object, which after a restart may be
 *   another: a cgroup removed and made again, a device unplugged and
 *   another in its place. A directory and an O_PATH fd are names and
 *   nothing more (a kernfs directory's open holds only its readdir
 *   position, the hash of the next name, which a seek restores; a cgroup
 *   directory fd is what openat(), fstat() and clone3()'s CLONE_INTO_CGROUP
 *   take), so they are kept: with the file system's magic and the inode's
 *   number, and a restart checks that the path still leads to that inode
 *   of that file system (kernfs numbers a node for the life of the
 *   hierarchy, a cgroup's number is its id; the others use get_next_ino()),
 *   or fails naming the fd.
 *
 * /proc is refused whole, directories and O_PATH too: /proc/PID names a
 * process by a pid that a restart may give to another process.
 *
 * Which file systems these are is this file's table, by the name that
 * /proc/filesystems and mountinfo show (some have no magic in the uapi
 * headers), and it is the first claimer (cpt_files.c) so that no other
 * kind takes their files.
 */
#include <linux/fs.h>
#include <linux/mount.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"

struct cpt_kernel_fs {
	const char *name;	/* its file_system_type's */
	const char *holds;	/* what an open file of it holds; NULL: /proc's */
};

#define CPT_KFS_KERNEL "the kernel's state of that open (a read's snapshot, events polled)"

static const struct cpt_kernel_fs cpt_kernel_fss[] = {
	{ "proc", NULL },
	{ "sysfs", CPT_KFS_KERNEL },
	{ "cgroup", CPT_KFS_KERNEL },
	{ "cgroup2",
	  "the cgroup's state of that open (a pressure trigger, polled events, a read)" },
	{ "resctrl", CPT_KFS_KERNEL },
	{ "debugfs", "the driver's state of that open" },
	{ "tracefs", "the tracer's state of that open (a trace_pipe's reader, an iterator)" },
	{ "securityfs", CPT_KFS_KERNEL },
	{ "selinuxfs", CPT_KFS_KERNEL },
	{ "smackfs", CPT_KFS_KERNEL },
	{ "bpf", "the kernel's state of that open (a pinned object's, an iterator's)" },
	{ "configfs", CPT_KFS_KERNEL },
	{ "pstore", CPT_KFS_KERNEL },
	{ "efivarfs", CPT_KFS_KERNEL },
	{ "binfmt_misc", CPT_KFS_KERNEL },
	{ "fusectl", CPT_KFS_KERNEL },
	{ "binder", CPT_KFS_KERNEL },
	{ "xenfs", CPT_KFS_KERNEL },
};

static const struct cpt_kernel_fs *cpt_kernel_fs_of(const struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_kernel_fss); i++)
		if (!strcmp(sb->s_type->name, cpt_kernel_fss[i].name))
			return &cpt_kernel_fss[i];
	return NULL;
}

static bool cpt_is_proc(const struct cpt_kernel_fs *kfs)
{
	return !kfs->holds;
}

/* ---- checkpoint ---- */

/*
 * Refuses a file of /proc, and an open file of the others: by fd, path
 * (the one a restart would open), file system and reason. Directories and
 * O_PATH fds of the others are left to their kinds (cpt_kernel_fs_save()).
 */
static int cpt_kernel_fs_claim(unsigned int fd, struct file *file)
{
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(file_inode(file)->i_sb);
	const char *path;
	char *buf;

	if (!kfs)
		return 0;
	if (!cpt_is_proc(kfs) &&
	    ((file->f_mode & FMODE_PATH) || S_ISDIR(file_inode(file)->i_mode)))
		return 0;
	buf = __getname();
	path = buf ? d_path(&file->f_path, buf, PATH_MAX) : ERR_PTR(-ENOMEM);
	if (IS_ERR(path))
		path = "its path too long";
	if (cpt_is_proc(kfs))
		cpt_note("fd %u: file of /proc (%s) is not supported: %s\n", fd, path,
			 "/proc names processes by pid, which a restart may give to others");
	else
		cpt_note("fd %u: file of %s (%s) is not supported: its open file holds %s, %s\n",
			 fd, kfs->name, path, kfs->holds,
			 "which an open by path would not bring back");
	if (buf)
		__putname(buf);
	return -EOPNOTSUPP;
}

const struct cpt_file_ops cpt_file_kernel_fs_ops = {
	.claim = cpt_kernel_fs_claim,
};

/* A DIRECTORY's or O_PATH's File: which inode of which file system, if one of these. */
void cpt_kernel_fs_save(struct cpt_file_save *fs)
{
	struct inode *inode = file_inode(fs->e->file);

	if (!cpt_kernel_fs_of(inode->i_sb))
		return;
	cpt_pb_u64(fs->one, CPT_PB_FILE_KERNEL_FS_MAGIC, (u32)inode->i_sb->s_magic);
	cpt_pb_u64(fs->one, CPT_PB_FILE_KERNEL_FS_INO, inode->i_ino);
}

/*
 * A task's working or root directory there: NULL if on none of these file
 * systems, else why it cannot be saved (*fs naming the file system). A
 * restart changes into it by path, and a Task keeps no inode to check it
 * against, so a cgroup removed and made again since would be entered
 * silently.
 */
const char *cpt_kernel_fs_dir_refused(const struct super_block *sb, const char **fs)
{
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(sb);

	if (!kfs)
		return NULL;
	if (cpt_is_proc(kfs)) {
		*fs = "/proc";
		return "/proc names processes by pid";
	}
	*fs = kfs->name;
	return "a restart would enter its path unchecked, which may name another object by then";
}

/* ---- restart ---- */

bool cpt_kernel_fs_is_field(u32 num)
{
	return num == CPT_PB_FILE_KERNEL_FS_MAGIC || num == CPT_PB_FILE_KERNEL_FS_INO;
}

/* Only a DIRECTORY or an O_PATH File names an object of these file systems. */
int cpt_kernel_fs_decode_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (rfile->kind != CPT_PB_FILE_KIND_DIRECTORY && rfile->kind != CPT_PB_FILE_KIND_O_PATH) {
		cpt_note("image: file %u: kind %u has no kernel object\n", rfile->id, rfile->kind);
		return -EBADMSG;
	}
	if (f->num == CPT_PB_FILE_KERNEL_FS_MAGIC)
		return cpt_pb_get_u32(f, &rfile->kernel_fs.magic);
	return cpt_pb_get_u64(f, &rfile->kernel_fs.ino);
}

/*
 * The file a restart opened for rfile: the saved object, if it named one
 * of these file systems' (-ESTALE otherwise, naming it). A File saved
 * elsewhere may not open one of these either: a path that now leads into
 * sysfs or a cgroup file system was not a kernel object's when saved.
 */
int cpt_kernel_fs_check(const struct cpt_rfile *rfile, struct file *file)
{
	const struct inode *inode = file_inode(file);
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(inode->i_sb);

	if (!rfile->kernel_fs.magic && !kfs)
		return 0;
	if (rfile->kernel_fs.magic && kfs && !cpt_is_proc(kfs) &&
	    (u32)inode->i_sb->s_magic == rfile->kernel_fs.magic &&
	    inode->i_ino == rfile->kernel_fs.ino)
		return 0;
	if (!rfile->kernel_fs.magic)
		cpt_note("fd %u: %s is now in %s, where it was not\n", rfile->fd, rfile->path,
			 cpt_is_proc(kfs) ? "/proc" : kfs->name);
	else
		cpt_note("fd %u: %s is now another object (inode %lu of %s, was %llu of %#x): %s\n",
			 rfile->fd, rfile->path, inode->i_ino, inode->i_sb->s_type->name,
			 rfile->kernel_fs.ino, rfile->kernel_fs.magic,
			 "its path names another cgroup or device than at checkpoint");
	return -ESTALE;
}
