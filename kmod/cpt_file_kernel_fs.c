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
 * process by a pid that a restart may give to another process. So is nsfs:
 * a namespace file reached through a bind mount (ip netns add's
 * /run/netns/X) is a regular file to the other kinds, and a restart would
 * open whatever namespace that path names then.
 *
 * The inode numbers are the kernel's, given as it makes the objects
 * (kernfs's node ids, a cgroup's id; get_next_ino() or fixed indices for
 * the others), so a directory or O_PATH fd comes back only on the boot it
 * was saved on, and only while its object was not made again.
 *
 * Which file systems these are is this file's table, by the name that
 * /proc/filesystems and mountinfo show (some have no magic in the uapi
 * headers), and it is the first claimer (cpt_files.c) so that no other
 * kind takes their files.
 */
#include <linux/fs.h>
#include <linux/magic.h>
#include <linux/mount.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"

/* Magics that no uapi header has: each file system's own, as 6.1 sets them. */
#define CPT_CONFIGFS_MAGIC	0x62656570
#define CPT_FUSECTL_MAGIC	0x65735543
#define CPT_NFSD_MAGIC		0x6e667364
#define CPT_FUNCTIONFS_MAGIC	0xa647361
#define CPT_GADGETFS_MAGIC	0xaee71ee7
#define CPT_RPC_PIPEFS_MAGIC	0x67596969
#define CPT_DLMFS_MAGIC		0x76a9f425

struct cpt_kernel_fs {
	const char *name;	/* its file_system_type's */
	u32 magic;		/* its superblocks' s_magic, saved as field 140 */
	bool whole;		/* its directories and O_PATH fds refused too */
	const char *why;	/* why an open file of it (whole: any fd) is refused */
};

#define CPT_KFS_HOLDS(what) \
	"its open file holds " what ", which an open by path would not bring back"
#define CPT_KFS_KERNEL \
	CPT_KFS_HOLDS("the kernel's state of that open (a read's snapshot, events polled)")
#define CPT_KFS_WRITE \
	CPT_KFS_HOLDS("the kernel's state of that open (a read's snapshot, a write begun)")

static const struct cpt_kernel_fs cpt_kernel_fss[] = {
	{ "proc", PROC_SUPER_MAGIC, true,
	  "/proc names processes by pid, which a restart may give to others" },
	{ "nsfs", NSFS_MAGIC, true,
	  "a namespace file: a restart would open whatever namespace the path names then" },
	{ "sysfs", SYSFS_MAGIC, false, CPT_KFS_KERNEL },
	{ "cgroup", CGROUP_SUPER_MAGIC, false,
	  CPT_KFS_HOLDS("the cgroup's state of that open (an event registered, a read)") },
	{ "cgroup2", CGROUP2_SUPER_MAGIC, false,
	  CPT_KFS_HOLDS("the cgroup's state of that open (a pressure trigger, events, a read)") },
	{ "resctrl", RDTGROUP_SUPER_MAGIC, false, CPT_KFS_KERNEL },
	{ "debugfs", DEBUGFS_MAGIC, false, CPT_KFS_HOLDS("the driver's state of that open") },
	{ "tracefs", TRACEFS_MAGIC, false,
	  CPT_KFS_HOLDS("the tracer's state of that open (a trace_pipe's reader)") },
	{ "securityfs", SECURITYFS_MAGIC, false, CPT_KFS_WRITE },
	{ "selinuxfs", SELINUX_MAGIC, false, CPT_KFS_WRITE },
	{ "smackfs", SMACK_MAGIC, false, CPT_KFS_WRITE },
	{ "bpf", BPF_FS_MAGIC, false,
	  CPT_KFS_HOLDS("the kernel's state of that open (a pinned iterator's)") },
	{ "configfs", CPT_CONFIGFS_MAGIC, false,
	  CPT_KFS_HOLDS("an attribute's buffer (a read's snapshot, a binary write)") },
	{ "pstore", PSTOREFS_MAGIC, false,
	  CPT_KFS_HOLDS("a read's snapshot of a crash record") },
	{ "efivarfs", EFIVARFS_MAGIC, false,
	  "an EFI variable, which lives in the firmware: not supported" },
	{ "binfmt_misc", BINFMTFS_MAGIC, false,
	  "a control file of binfmt_misc, whose writes change handlers: not supported" },
	{ "fusectl", CPT_FUSECTL_MAGIC, false,
	  "a FUSE connection's control file, named by a number a restart may give to another" },
	{ "binder", BINDERFS_SUPER_MAGIC, false,
	  CPT_KFS_HOLDS("a binder process (its nodes, references and transactions)") },
	{ "xenfs", XENFS_SUPER_MAGIC, false,
	  CPT_KFS_HOLDS("the hypervisor's state of that open (a xenbus transaction, a mapping)") },
	{ "nfsd", CPT_NFSD_MAGIC, false,
	  CPT_KFS_HOLDS("nfsd's state of that open (a transaction's reply not read yet)") },
	{ "functionfs", CPT_FUNCTIONFS_MAGIC, false,
	  CPT_KFS_HOLDS("the USB function's state of that open (ep0's descriptors)") },
	{ "gadgetfs", CPT_GADGETFS_MAGIC, false,
	  CPT_KFS_HOLDS("the USB gadget's state of that open (ep0's configuration)") },
	{ "rpc_pipefs", CPT_RPC_PIPEFS_MAGIC, false,
	  CPT_KFS_HOLDS("an RPC pipe's messages (its upcalls and downcalls queued)") },
	{ "ocfs2_dlmfs", CPT_DLMFS_MAGIC, false, CPT_KFS_HOLDS("a cluster lock") },
};

static const struct cpt_kernel_fs *cpt_kernel_fs_of(const struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_kernel_fss); i++)
		if (!strcmp(sb->s_type->name, cpt_kernel_fss[i].name))
			return &cpt_kernel_fss[i];
	return NULL;
}

/* A file system whose directories and O_PATH fds are kept, by its saved magic. */
static const struct cpt_kernel_fs *cpt_kernel_fs_kept(u32 magic)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_kernel_fss); i++)
		if (cpt_kernel_fss[i].magic == magic && !cpt_kernel_fss[i].whole)
			return &cpt_kernel_fss[i];
	return NULL;
}

/* Its name in messages: /proc's is its mount point, as users know it. */
static const char *cpt_kernel_fs_shown(const struct cpt_kernel_fs *kfs)
{
	return kfs->magic == PROC_SUPER_MAGIC ? "/proc" : kfs->name;
}

/* ---- checkpoint ---- */

/*
 * Refuses any file of /proc and nsfs, and an open file of the others: by
 * fd, path (the one a restart would open), file system and reason.
 * Directories and O_PATH fds of the others are left to their kinds
 * (cpt_kernel_fs_save()).
 */
static int cpt_kernel_fs_claim(unsigned int fd, struct file *file)
{
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(file_inode(file)->i_sb);
	const char *path;
	char *buf;

	if (!kfs)
		return 0;
	if (!kfs->whole &&
	    ((file->f_mode & FMODE_PATH) || S_ISDIR(file_inode(file)->i_mode)))
		return 0;
	buf = __getname();
	path = buf ? d_path(&file->f_path, buf, PATH_MAX) : "its path: no memory";
	if (IS_ERR(path))
		path = "its path too long";
	cpt_note("fd %u: file of %s (%s) is not supported: %s\n", fd, cpt_kernel_fs_shown(kfs),
		 path, kfs->why);
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
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(inode->i_sb);

	if (!kfs || kfs->whole)
		return;
	cpt_pb_u64(fs->one, CPT_PB_FILE_KERNEL_FS_MAGIC, kfs->magic);
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
	*fs = cpt_kernel_fs_shown(kfs);
	if (kfs->magic == PROC_SUPER_MAGIC)
		return "/proc names processes by pid";
	return "a restart would enter its path unchecked, which may name another object by then";
}

/*
 * An inotify watch or fanotify mark on an inode there: NULL if on none of
 * these file systems, else why it cannot be saved (*fs naming the file
 * system). A restart adds it again by path, and keeps no inode to check it
 * against: a watch on a cgroup's cgroup.events would silently watch the
 * cgroup made again in its place.
 */
static const char cpt_kernel_fs_mark_why[] =
	"in a file system of kernel objects: a restart would add it by path, maybe to another";

const char *cpt_kernel_fs_mark_refused(const struct super_block *sb, const char **fs)
{
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(sb);

	if (!kfs)
		return NULL;
	*fs = cpt_kernel_fs_shown(kfs);
	return cpt_kernel_fs_mark_why;
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
	if (f->num == CPT_PB_FILE_KERNEL_FS_MAGIC) {
		rfile->kernel_fs.saved |= CPT_KERNEL_FS_SAVED_MAGIC;
		return cpt_pb_get_u32(f, &rfile->kernel_fs.magic);
	}
	rfile->kernel_fs.saved |= CPT_KERNEL_FS_SAVED_INO;
	return cpt_pb_get_u64(f, &rfile->kernel_fs.ino);
}

/*
 * The kind's .check: NULL if the image's fields 140 and 141 are both
 * absent, or both there naming a file system whose directories are kept;
 * else what is malformed (-EBADMSG).
 */
const char *cpt_kernel_fs_bad(const struct cpt_rfile *rfile)
{
	if (!rfile->kernel_fs.saved)
		return NULL;
	if (rfile->kernel_fs.saved != (CPT_KERNEL_FS_SAVED_MAGIC | CPT_KERNEL_FS_SAVED_INO))
		return "kernel object (a magic without an inode, or an inode without a magic)";
	if (!cpt_kernel_fs_kept(rfile->kernel_fs.magic))
		return "kernel object (a magic of no file system whose directories are kept)";
	return NULL;
}

/*
 * The inode a restart found or opened for rfile: the saved object, if it
 * named one of these file systems' (-ESTALE otherwise, naming it). A File
 * saved elsewhere may not reach one of these either: a path that now leads
 * into sysfs or /proc was not a kernel object's when saved. Run on the
 * looked-up path's inode before the open too, so that no such file
 * system's ->open runs for a file that was not its.
 */
int cpt_kernel_fs_check_inode(const struct cpt_rfile *rfile, const struct inode *inode)
{
	const struct cpt_kernel_fs *kfs = cpt_kernel_fs_of(inode->i_sb);
	const struct cpt_kernel_fs *was = rfile->kernel_fs.saved ?
		cpt_kernel_fs_kept(rfile->kernel_fs.magic) : NULL;

	if (!was && !kfs)
		return 0;
	if (was && kfs == was && inode->i_ino == rfile->kernel_fs.ino)
		return 0;
	if (!was)
		cpt_note("fd %u: %s is in %s, but its image names no object of it: %s\n",
			 rfile->fd, rfile->path, cpt_kernel_fs_shown(kfs),
			 "the image predates the module saving them (fields 140, 141: checkpoint again), or its path led elsewhere at checkpoint");
	else if (kfs != was)
		cpt_note("fd %u: %s is no longer in %s (now %s): %s\n", rfile->fd, rfile->path,
			 was->name, inode->i_sb->s_type->name,
			 "its path names another object than at the checkpoint");
	else
		cpt_note("fd %u: %s is %s (%lu of %s, was %llu): %s\n", rfile->fd, rfile->path,
			 "another inode than at the checkpoint", inode->i_ino, kfs->name,
			 rfile->kernel_fs.ino,
			 "removed and made again, or another boot or machine: these file systems number their inodes as they make them");
	return -ESTALE;
}

int cpt_kernel_fs_check(const struct cpt_rfile *rfile, struct file *file)
{
	return cpt_kernel_fs_check_inode(rfile, file_inode(file));
}
