// SPDX-License-Identifier: GPL-2.0
/*
 * eventfds: their counter and whether they count as a semaphore, made
 * again by the kernel's eventfd2() in the restoring task.
 */
#include <linux/eventfd.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* ---- checkpoint ---- */

static int cpt_eventfd_claim(unsigned int fd, struct file *file)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fileget(file);

	if (IS_ERR(ctx))
		return 0;
	eventfd_ctx_put(ctx);
	return CPT_PB_FILE_KIND_EVENTFD;
}

/*
 * An eventfd's counter and whether it counts as a semaphore, read as they
 * are: the eventfd may be shared with processes outside the tree, which
 * must see neither change nor wake-up.
 */
static int cpt_eventfd_state(struct file *file, u64 *count, bool *semaphore)
{
	struct eventfd_ctx *ctx = eventfd_ctx_fileget(file);

	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	cpt_eventfd_peek(ctx, count, semaphore);
	eventfd_ctx_put(ctx);
	return 0;
}

static int cpt_eventfd_save(struct cpt_file_save *fs)
{
	bool semaphore;
	u64 count;
	int ret;

	ret = cpt_eventfd_state(fs->e->file, &count, &semaphore);
	if (ret)
		return ret;
	cpt_pb_u64(fs->one, CPT_PB_FILE_EVENTFD_COUNT, count);
	cpt_pb_u64(fs->one, CPT_PB_FILE_EVENTFD_SEMAPHORE, semaphore);
	return 0;
}

/* ---- restart ---- */

static int cpt_eventfd_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_EVENTFD_COUNT:
		return cpt_pb_get_u64(f, &rfile->eventfd.count);
	case CPT_PB_FILE_EVENTFD_SEMAPHORE:
		return cpt_pb_get_bool(f, &rfile->eventfd.semaphore);
	}
	return CPT_FILE_FOREIGN;
}

/* What eventfd() gives: read-write; write() refuses the top value. */
static int cpt_eventfd_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (rfile->eventfd.count == U64_MAX)
		*bad = "eventfd counter";
	return *bad ? -EBADMSG : 0;
}

/* An eventfd, made by the kernel's eventfd2() in the restoring task, with its counter. */
static int cpt_eventfd_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	u64 first = min_t(u64, rfile->eventfd.count, UINT_MAX);
	struct pt_regs regs = {
		.di = first,
		.si = (rfile->eventfd.semaphore ? EFD_SEMAPHORE : 0) |
		      (rfile->flags & O_NONBLOCK) | O_CLOEXEC,
	};
	struct eventfd_ctx *ctx;
	int ret;

	ret = cpt_claim_file(rfile, cpt_file_from_syscall(cpt_sym.sys_eventfd2, &regs,
							  cpt_sym.eventfd_fops, "eventfd"));
	if (ret)
		return ret;
	if (rfile->eventfd.count > first) {
		ctx = eventfd_ctx_fileget(rfile->file);
		if (IS_ERR(ctx))
			return PTR_ERR(ctx);
		eventfd_signal(ctx, rfile->eventfd.count - first);
		eventfd_ctx_put(ctx);
	}
	return 0;
}

const struct cpt_file_ops cpt_file_eventfd_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_eventfd_claim,
	.save = cpt_eventfd_save,
	.decode = cpt_eventfd_decode,
	.check = cpt_eventfd_check,
	.open = cpt_eventfd_open,
};
