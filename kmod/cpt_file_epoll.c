// SPDX-License-Identifier: GPL-2.0
/*
 * epoll instances: what each watches, as its fdinfo shows it. A restart
 * makes an instance with the kernel's epoll_create1() and gives it its
 * interest list again in the final step, once every fd is back at its
 * number: epoll knows a watched file by its fd.
 *
 * An entry is keyed on its file and the fd it was added with, and lives as
 * long as the file does, whatever becomes of that fd: closed, or given to
 * another file. Such an entry is saved with the file it watches (an
 * EpollWatch). A restart adds each entry with epoll_ctl() in an fd table
 * of the module's own, the instance and the entry's file put there for
 * the call (the entry's fd: the file the record has there, or its watch's).
 */
#include <linux/bitmap.h>
#include <linux/bsearch.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <linux/slab.h>
#include <linux/sort.h>
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

/* A target whose fd no longer names the file it watches: which file does. */
struct cpt_epoll_watch {
	u32 target;	/* index in the targets */
	u32 fd;		/* an fd of the process on the file, if file_id is 0 */
	u32 file_id;	/* the File, restored earlier */
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

static int cpt_cmp_fd_entry(const void *key, const void *elt)
{
	unsigned int fd = *(const unsigned int *)key;
	const struct cpt_fd_entry *e = elt;

	return fd < e->fd ? -1 : fd > e->fd;
}

/*
 * How the index-th target, the toff-th of those added with fd tfd, finds
 * its file again: 0 if the process's fd tfd names it, else an EpollWatch
 * in the File, or a refusal. The file is compared, never dereferenced: the
 * entry holds no reference to it, the registry does to every file of the
 * tree.
 */
static int cpt_epoll_save_watch(struct cpt_file_save *fs, unsigned int index,
				unsigned int tfd, unsigned long toff)
{
	const struct cpt_fd_entry *at;
	struct cpt_saved_file *sf;
	struct cpt_pb_buf w;
	struct file *watched;
	unsigned int i;

	watched = cpt_sym.get_epoll_tfile_raw_ptr(fs->e->file, tfd, toff);
	if (IS_ERR(watched)) {
		/* The tree is frozen: another process shares the instance. */
		cpt_note("fd %u: its epoll instance changed while it was saved\n", fs->e->fd);
		return -EBUSY;
	}
	at = bsearch(&tfd, fs->fds, fs->nr_fds, sizeof(*fs->fds), cpt_cmp_fd_entry);
	if (at && at->file == watched)
		return 0;
	/* A restart's epoll_ctl() names the instance by that fd. */
	if (tfd == fs->e->fd) {
		cpt_note("fd %u: its epoll instance watches a file added at %s\n", tfd,
			 "the instance's own fd");
		return -EOPNOTSUPP;
	}
	sf = cpt_find_saved(fs->reg, watched);
	cpt_pb_init(&w);
	cpt_pb_u64(&w, CPT_PB_EPOLL_WATCH_TARGET, index);
	if (sf && sf->id) {
		cpt_pb_u64(&w, CPT_PB_EPOLL_WATCH_FILE_ID, sf->id);
		cpt_pb_message(fs->one, CPT_PB_FILE_EPOLL_WATCHES, &w);
		return 0;
	}
	/* Not saved yet: this process's at a higher fd, or a later one's. */
	for (i = 0; sf && i < fs->nr_fds; i++) {
		if (fs->fds[i].file == watched) {
			cpt_pb_u64(&w, CPT_PB_EPOLL_WATCH_FD, fs->fds[i].fd);
			cpt_pb_message(fs->one, CPT_PB_FILE_EPOLL_WATCHES, &w);
			return 0;
		}
	}
	cpt_pb_free(&w);
	cpt_note("fd %u: its epoll instance watches the file of fd %u, %s %s\n",
		 fs->e->fd, tfd, at ? "now another file's," : "closed since,",
		 sf ? "which only a later process of the tree holds" :
		      "which no process of the tree holds");
	return -EOPNOTSUPP;
}

/*
 * What an epoll instance watches, as its fdinfo shows it, in the order of
 * its entries (file, fd), which get_epoll_tfile_raw_ptr() counts toff in.
 */
static int cpt_epoll_save(struct cpt_file_save *fs)
{
	struct cpt_pb_buf t;
	struct cpt_epoll_tfd tfd;
	struct xarray seen;
	unsigned int index = 0;
	unsigned long toff;
	const char *line;
	char *info;
	void *count;
	int ret;

	info = kvmalloc(CPT_EPOLL_INFO_MAX, GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	xa_init(&seen);
	ret = cpt_fdinfo(fs->e->file, info, CPT_EPOLL_INFO_MAX);
	if (ret)
		cpt_note("fd %u: cannot read what the epoll instance watches: %d\n",
			 fs->e->fd, ret);
	line = info;
	while (!ret && (ret = cpt_fdinfo_epoll_next(&line, &tfd)) > 0) {
		/* How many entries before this one were added with its fd. */
		count = xa_load(&seen, tfd.fd);
		toff = count ? xa_to_value(count) : 0;
		ret = xa_err(xa_store(&seen, tfd.fd, xa_mk_value(toff + 1), GFP_KERNEL)) ?:
		      cpt_epoll_save_watch(fs, index++, tfd.fd, toff) ?:
		      cpt_long_loop_check();
		if (ret)
			break;
		cpt_pb_init(&t);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_FD, tfd.fd);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_EVENTS, tfd.events);
		cpt_pb_u64(&t, CPT_PB_EPOLL_TARGET_DATA, tfd.data);
		cpt_pb_message(fs->one, CPT_PB_FILE_EPOLL_TARGETS, &t);
	}
	if (ret == -EIO)
		cpt_note("fd %u: cannot read what the epoll instance watches: %d\n",
			 fs->e->fd, ret);
	xa_destroy(&seen);
	kvfree(info);
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

static int cpt_epoll_decode_watch(struct cpt_rfile_epoll *ep, const struct cpt_pb_field *f)
{
	struct cpt_epoll_watch *w, *more;
	struct cpt_pb_reader r;
	struct cpt_pb_field g;

	if (ep->nr_watches == CPT_MAX_EPOLL_TARGETS)
		return -EBADMSG;
	if (!(ep->nr_watches & (ep->nr_watches - 1))) {
		more = kvrealloc(ep->watches, ep->nr_watches * sizeof(*more),
				 max(1U, ep->nr_watches * 2) * sizeof(*more), GFP_KERNEL_ACCOUNT);
		if (!more)
			return -ENOMEM;
		ep->watches = more;
	}
	w = &ep->watches[ep->nr_watches];
	*w = (struct cpt_epoll_watch) {};
	cpt_pb_for_each_subfield(&r, f, &g) {
		switch (g.num) {
		case CPT_PB_EPOLL_WATCH_TARGET:
			cpt_pb_read_u32(&r, &g, &w->target);
			break;
		case CPT_PB_EPOLL_WATCH_FD:
			cpt_pb_read_u32(&r, &g, &w->fd);
			break;
		case CPT_PB_EPOLL_WATCH_FILE_ID:
			cpt_pb_read_u32(&r, &g, &w->file_id);
			break;
		}
	}
	if (!cpt_pb_end(&r))
		ep->nr_watches++;
	return cpt_pb_end(&r);
}

static int cpt_epoll_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	struct cpt_rfile_epoll *ep = &rfile->epoll;
	struct cpt_epoll_target *more;
	int ret;

	if (f->num == CPT_PB_FILE_EPOLL_WATCHES)
		return cpt_epoll_decode_watch(ep, f);
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

static int cpt_cmp_watch(const void *a, const void *b)
{
	const struct cpt_epoll_watch *x = a, *y = b;

	return x->target < y->target ? -1 : x->target > y->target;
}

/*
 * Each watch names a target, at most once; the kernel's own calls check
 * the rest (events), and the final step which files watches name.
 */
static int cpt_epoll_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_rfile_epoll *ep = &rfile->epoll;
	unsigned long *watched;
	unsigned int i;

	if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	if (*bad || !ep->nr_watches)
		return *bad ? -EBADMSG : 0;
	watched = bitmap_zalloc(ep->nr, GFP_KERNEL);
	if (!watched)
		return -ENOMEM;
	for (i = 0; !*bad && i < ep->nr_watches; i++) {
		if (ep->watches[i].target >= ep->nr)
			*bad = "epoll watch of no target";
		else if (__test_and_set_bit(ep->watches[i].target, watched))
			*bad = "epoll target watched twice";
	}
	bitmap_free(watched);
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

/* The file a watch names: a File restored earlier, or the file at one of the record's fds. */
static struct file *cpt_epoll_watched(const struct cpt_restore_files *rf,
				      struct cpt_file_registry *reg,
				      const struct cpt_epoll_watch *w, unsigned int fd)
{
	const struct cpt_rfd *rfd = w->file_id ? NULL : cpt_rfd_at(rf, w->fd);
	struct file *file = w->file_id ? xa_load(&reg->restored, w->file_id) :
				rfd ? cpt_rfd_file(reg, rfd) : NULL;

	if (!file)
		cpt_note("image: epoll fd %u watches %s %u, which names no file restored\n",
			 fd, w->file_id ? "file id" : "fd", w->file_id ?: w->fd);
	return file;
}

/*
 * epoll_ctl() of regs, for epoll and the target file at regs->dx, in an fd
 * table of the module's own (cpt_compat_own_fds_enter()): the file is put
 * at the target's fd and the instance at the lowest fd left, then both
 * are taken out again. Neither is closed: each has other references.
 */
static long cpt_epoll_ctl_own(struct file *epoll, struct file *file, struct pt_regs *regs)
{
	long ret;
	int epfd;

	ret = cpt_sym.replace_fd(regs->dx, file, 0);
	if (ret)
		return ret;
	epfd = get_unused_fd_flags(0);
	if (epfd >= 0) {
		fd_install(epfd, get_file(epoll));
		regs->di = epfd;
		ret = cpt_sym.sys_epoll_ctl(regs);
		cpt_compat_own_fd_out(epfd);
	} else {
		ret = epfd;
	}
	cpt_compat_own_fd_out(regs->dx);
	return ret;
}

/*
 * Gives the instance, at its lowest fd, its interest list again: the
 * kernel's epoll_ctl() does it, reading each event from a scratch page.
 * Each entry is keyed on a file and an fd: the file the record has at
 * that fd (the one the final step installed there), or the one its watch
 * names. The calls name them in an fd table of the module's own, never in
 * the task's, where another thread could have changed what an fd holds.
 */
static int cpt_epoll_installed(const struct cpt_restore_files *rf, struct cpt_file_registry *reg,
			       struct cpt_rfile *rfile, unsigned int fd)
{
	struct cpt_rfile_epoll *ep = &rfile->epoll;
	const struct cpt_epoll_target *t = ep->targets;
	const struct cpt_epoll_watch *w = ep->watches;
	struct files_struct *shared = NULL;
	const struct cpt_rfd *rfd;
	struct epoll_event ev;
	unsigned long scratch;
	struct pt_regs regs;
	struct file *file;
	unsigned int j;
	long ret;

	if (!ep->nr)
		return 0;
	/* For the walk below, by target; check() found each at most once. */
	sort(ep->watches, ep->nr_watches, sizeof(*ep->watches), cpt_cmp_watch, NULL);
	scratch = cpt_user_scratch();
	if (IS_ERR_VALUE(scratch))
		return scratch;
	ret = cpt_compat_own_fds_enter(&shared);
	for (j = 0; !ret && j < ep->nr; j++) {
		ev.events = (__force __poll_t)t[j].events;
		ev.data = t[j].data;
		regs = (struct pt_regs) {
			.si = EPOLL_CTL_ADD,
			.dx = t[j].fd,
			.r10 = scratch,
		};
		if (w < ep->watches + ep->nr_watches && w->target == j) {
			/* Sorted by target by check(). */
			file = cpt_epoll_watched(rf, reg, w++, fd);
			ret = file ? 0 : -EBADMSG;
		} else {
			/* None there: as epoll_ctl() on a closed fd would say. */
			rfd = cpt_rfd_at(rf, t[j].fd);
			file = rfd ? cpt_rfd_file(reg, rfd) : NULL;
			ret = file ? 0 : -EBADF;
		}
		if (!ret && copy_to_user((void __user *)scratch, &ev, sizeof(ev)))
			ret = -EFAULT;
		if (!ret)
			ret = cpt_epoll_ctl_own(rfile->file, file, &regs);
		if (ret)
			cpt_note("epoll fd %u: cannot watch fd %u again: %ld\n", fd, t[j].fd, ret);
		else
			ret = cpt_long_loop_check();
	}
	if (shared)
		cpt_compat_own_fds_leave(shared);
	vm_munmap(scratch, PAGE_SIZE);
	return ret;
}

static void cpt_epoll_free(struct cpt_rfile *rfile)
{
	kvfree(rfile->epoll.targets);
	rfile->epoll.targets = NULL;
	kvfree(rfile->epoll.watches);
	rfile->epoll.watches = NULL;
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
