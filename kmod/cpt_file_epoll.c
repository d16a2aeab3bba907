// SPDX-License-Identifier: GPL-2.0
/*
 * epoll instances: what each watches, as its fdinfo shows it. A restart
 * makes an instance with the kernel's epoll_create1() and gives it its
 * interest list again in the final step, once every fd is back at its
 * number: epoll knows a watched file by its fd.
 */
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
/* After fs.h and uaccess.h, which it needs. */
#include <linux/eventpoll.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

struct cpt_epoll_target {
	u32 fd;
	u32 events;
	u64 data;
};

/* The most fds one epoll instance of an image watches. */
#define CPT_MAX_EPOLL_TARGETS 65536

/* The bytes of fdinfo an epoll instance may show: a line per watched fd. */
#define CPT_EPOLL_INFO_MAX (256U << 10)

/* ---- checkpoint ---- */

static int cpt_epoll_claim(unsigned int fd, struct file *file)
{
	return cpt_is_anon(file, "[eventpoll]") ? CPT_PB_FILE_KIND_EPOLL : 0;
}

/* What an epoll instance watches, as its fdinfo shows it. */
static int cpt_epoll_save(struct cpt_file_save *fs)
{
	struct cpt_epoll_tfd tfd;
	struct cpt_pb_buf t;
	const char *line;
	char *info;
	int ret;

	info = kvmalloc(CPT_EPOLL_INFO_MAX, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	ret = cpt_fdinfo(fs->e->file, info, CPT_EPOLL_INFO_MAX);
	line = info;
	while (!ret && (ret = cpt_fdinfo_epoll_next(&line, &tfd)) > 0) {
		cpt_pb_init(&t);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_FD, tfd.fd);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_EVENTS, tfd.events);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_DATA, tfd.data);
		cpt_pb_message(fs->one, CPT_PB_FILE_EPOLL_TARGETS, &t);
		ret = 0;
	}
	kvfree(info);
	if (ret)
		cpt_note("fd %u: cannot read what the epoll instance watches: %d\n",
			 fs->e->fd, ret);
	return ret;
}

/* ---- restart ---- */

static int cpt_epoll_decode_target(struct cpt_epoll_target *t, const struct cpt_pb_field *f)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;

	*t = (struct cpt_epoll_target) {};
	cpt_pb_for_each_subfield(&r, f, &g) {
		switch (g.num) {
		case CPT_PB_EPOLL_TARGET_FD:
			cpt_pb_read_u32(&r, &g, &t->fd);
			break;
		case CPT_PB_EPOLL_TARGET_EVENTS:
			cpt_pb_read_u32(&r, &g, &t->events);
			break;
		case CPT_PB_EPOLL_TARGET_DATA:
			cpt_pb_read_u64(&r, &g, &t->data);
			break;
		}
	}
	return cpt_pb_end(&r);
}

static int cpt_epoll_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	struct cpt_rfile_epoll *ep = &rfile->epoll;
	struct cpt_epoll_target *more;
	int ret;

	if (f->num != CPT_PB_FILE_EPOLL_TARGETS)
		return CPT_FILE_FOREIGN;
	if (ep->nr == CPT_MAX_EPOLL_TARGETS)
		return -EBADMSG;
	/* Grown at each power of two. */
	if (!(ep->nr & (ep->nr - 1))) {
		more = kvrealloc(ep->targets, ep->nr * sizeof(*more),
				 max(1U, ep->nr * 2) * sizeof(*more), GFP_KERNEL_ACCOUNT);
		if (!more)
			return -ENOMEM;
		ep->targets = more;
	}
	ret = cpt_epoll_decode_target(&ep->targets[ep->nr], f);
	if (!ret)
		ep->nr++;
	return ret;
}

/* The kernel's own calls check the rest (events). */
static int cpt_epoll_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	return *bad ? -EBADMSG : 0;
}

static int cpt_epoll_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	struct pt_regs regs = { .di = O_CLOEXEC };
	struct file *file;

	file = cpt_file_from_syscall(cpt_sym.sys_epoll_create1, &regs, cpt_sym.eventpoll_fops,
				     "epoll instance");
	return cpt_claim_file(rfile, file);
}

/*
 * Gives the instance, at its lowest fd, its interest list again: the
 * kernel's epoll_ctl() does it, reading each event from a scratch page.
 */
static int cpt_epoll_installed(struct cpt_rfile *rfile, unsigned int fd)
{
	const struct cpt_epoll_target *t = rfile->epoll.targets;
	struct epoll_event ev;
	unsigned long scratch;
	struct pt_regs regs;
	unsigned int j;
	long ret = 0;

	if (!rfile->epoll.nr)
		return 0;
	scratch = cpt_user_scratch();
	if (IS_ERR_VALUE(scratch))
		return scratch;
	for (j = 0; !ret && j < rfile->epoll.nr; j++) {
		ev.events = (__force __poll_t)t[j].events;
		ev.data = t[j].data;
		regs = (struct pt_regs) {
			.di = fd,
			.si = EPOLL_CTL_ADD,
			.dx = t[j].fd,
			.r10 = scratch,
		};
		ret = copy_to_user((void __user *)scratch, &ev, sizeof(ev)) ? -EFAULT :
		      cpt_sym.sys_epoll_ctl(&regs);
		if (ret)
			cpt_note("epoll fd %u: cannot watch fd %u again: %ld\n", fd, t[j].fd, ret);
		else
			ret = cpt_long_loop_check();
	}
	vm_munmap(scratch, PAGE_SIZE);
	return ret;
}

static void cpt_epoll_free(struct cpt_rfile *rfile)
{
	kvfree(rfile->epoll.targets);
	rfile->epoll.targets = NULL;
}

const struct cpt_file_ops cpt_file_epoll_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_epoll_claim,
	.save = cpt_epoll_save,
	.decode = cpt_epoll_decode,
	.check = cpt_epoll_check,
	.open = cpt_epoll_open,
	.installed = cpt_epoll_installed,
	.free = cpt_epoll_free,
};
