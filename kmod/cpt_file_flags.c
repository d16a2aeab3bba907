// SPDX-License-Identifier: GPL-2.0
/*
 * A File's status flags, whatever its kind. The ones fcntl(F_SETFL) sets
 * (O_APPEND, O_DIRECT, O_NOATIME) come back in the restart's final step,
 * through the kernel's fcntl() at the File's lowest fd as the restored
 * process: with F_SETFL's checks (O_NOATIME: the file's owner or
 * CAP_FOWNER; O_DIRECT: a file system with direct I/O, or a pipe's packet
 * mode), which no kind's open() then bypasses or fails unnamed: opens
 * leave O_DIRECT and O_NOATIME out. The sync ones (O_SYNC, O_DSYNC) only
 * an open sets: a kind whose open did not keep them fails the restart,
 * naming the fd. The checkpointing shell's stdio is the caller's own.
 */
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* The status flags F_SETFL sets again in the final step. */
#define CPT_SETFL_FLAGS (O_APPEND | O_DIRECT | O_NOATIME)
/* Of those, what a kind's open leaves out, for F_SETFL to set with its checks. */
#define CPT_SETFL_ONLY (O_DIRECT | O_NOATIME)
/* What only an open sets. */
#define CPT_OPEN_SYNC_FLAGS (O_DSYNC | __O_SYNC)

static bool cpt_flags_ours(const struct cpt_rfile *rfile)
{
	return rfile->kind != CPT_PB_FILE_KIND_INHERITED;
}

/* Before the File's open: what F_SETFL is to set, kept out of the open. */
void cpt_flags_defer(struct cpt_rfile *rfile)
{
	if (!cpt_flags_ours(rfile))
		return;
	rfile->setfl = rfile->flags & CPT_SETFL_FLAGS;
	rfile->flags &= ~CPT_SETFL_ONLY;
}

/* After it: O_SYNC and O_DSYNC are as saved. */
int cpt_flags_opened(const struct cpt_rfile *rfile)
{
	u32 have = READ_ONCE(rfile->file->f_flags) & CPT_OPEN_SYNC_FLAGS;

	if (!cpt_flags_ours(rfile) || have == (rfile->flags & CPT_OPEN_SYNC_FLAGS))
		return 0;
	cpt_note("fd %u: a file of kind %u cannot be opened again with open flags %#o\n",
		 rfile->fd, rfile->kind, rfile->flags & CPT_OPEN_SYNC_FLAGS);
	return -EOPNOTSUPP;
}

/* "O_APPEND|O_DIRECT", for a message. */
static void cpt_flags_name(u32 flags, char *buf, size_t size)
{
	static const struct {
		u32 flag;
		const char *name;
	} names[] = {
		{ O_APPEND, "O_APPEND" },
		{ O_DIRECT, "O_DIRECT" },
		{ O_NOATIME, "O_NOATIME" },
	};
	unsigned int i;
	size_t len = 0;

	*buf = 0;
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (flags & names[i].flag)
			len += scnprintf(buf + len, size - len, "%s%s", len ? "|" : "",
					 names[i].name);
}

/* F_SETFL at fd, the File's lowest, if its flags are not as saved. */
static int cpt_flags_set(const struct cpt_rfile *rfile, unsigned int fd)
{
	struct file *file = rfile->file;
	u32 flags = READ_ONCE(file->f_flags);
	char names[32];
	long ret;

	if ((flags & CPT_SETFL_FLAGS) == rfile->setfl)
		return 0;
	/* What F_SETFL also sets is left as it is. */
	flags = rfile->setfl | (flags & (O_NONBLOCK | FASYNC));
	ret = cpt_fcntl_own(file, fd, F_SETFL, flags);
	if (!ret && (READ_ONCE(file->f_flags) & CPT_SETFL_FLAGS) != rfile->setfl)
		ret = -EOPNOTSUPP;
	if (!ret)
		return 0;
	cpt_flags_name(rfile->setfl, names, sizeof(names));
	cpt_note("fd %u: cannot set %s again on %s (F_SETFL): %ld%s\n", fd, names, rfile->path,
		 ret, ret == -EINVAL && rfile->setfl & O_DIRECT ?
		 " (O_DIRECT: its file system has no direct I/O)" : "");
	return ret;
}

/* In the final step, once the fds are at their numbers: each File's F_SETFL flags. */
int cpt_flags_apply(const struct cpt_restore_files *rf)
{
	const struct cpt_rfile *rfile;
	unsigned int k;
	int ret = 0;

	/* The fds are in increasing order: a File's first is its lowest. */
	for (k = 0; !ret && k < rf->nr_fds; k++) {
		rfile = rf->fds[k].file;
		if (rfile && cpt_flags_ours(rfile) && rfile->fd == rf->fds[k].fd)
			ret = cpt_flags_set(rfile, rf->fds[k].fd);
	}
	return ret;
}
