// SPDX-License-Identifier: GPL-2.0
/*
 * The text formats cpt reads the state of some files from: the fdinfo of
 * eventfds, signalfds, timerfds, epoll and inotify instances (what
 * /proc/PID/fdinfo shows after its pos and flags lines), and the text a
 * POSIX message queue's file reads as. No interface promises these
 * formats, so they are parsed here only, and each is checked when the
 * module loads: the loading task makes an object of the kind with known
 * state through the kernel's own syscalls, reads its text the way a
 * checkpoint does, parses it with the checkpoint's parser and compares.
 * Every object is made and closed again by the check that made it.
 *
 * The checks (cpt_compat.c runs them, after sem_undo_list):
 *  fdinfo_eventfd  an eventfd's counter
 *  eventfd_ctx     (last of all) an eventfd's counter, flags and id, read
 *                  from its struct eventfd_ctx, as cpt_eventfd_peek() does
 *  fdinfo_signalfd a signalfd's mask
 *  fdinfo_timerfd  an armed timerfd's clock, ticks, settime flags, time left
 *                  and period
 *  fdinfo_epoll    an epoll instance's one target: its fd, events and data
 *  fdinfo_inotify  an inotify watch on / : its wd, inode, device and mask
 *  mqueue_text     a queue's file has ipc/mqueue.c's magic, and reads as
 *                  no notification registered (NOTIFY_PID:0)
 * Each also checks that the file made has the f_op cpt_compat.c found by
 * name for its kind, which a restart compares the files it makes with.
 * A check that cannot make its object (no user memory, a syscall refused)
 * is untested; one whose text does not parse back to the state it made
 * fails.
 */
#include <linux/eventfd.h>
#include <linux/fcntl.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/inotify.h>
#include <linux/namei.h>
#include <linux/sched.h>
#include <linux/signal.h>
#include <linux/signalfd.h>
#include <linux/slab.h>
#include <linux/time64.h>
#include <linux/timerfd.h>
#include <linux/uaccess.h>
/* After fs.h and uaccess.h, which it needs. */
#include <linux/eventpoll.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_symbols.h"

/* ---- the parsers ---- */

/* "eventfd-count: %16llx" */
int cpt_fdinfo_eventfd_count(const char *info, u64 *count)
{
	const char *at = strstr(info, "eventfd-count:");

	if (!at || sscanf(at, "eventfd-count: %llx", count) != 1)
		return -EIO;
	return 0;
}

/* "sigmask:\t%016llx": the first (on x86_64, only) word of the sigset. */
int cpt_fdinfo_signalfd_mask(const char *info, u64 *mask)
{
	const char *at = strstr(info, "sigmask:\t");

	if (!at || sscanf(at, "sigmask:\t%llx", mask) != 1)
		return -EIO;
	return 0;
}

/* The whole text, from its first line: times are (seconds, nanoseconds). */
int cpt_fdinfo_timerfd(const char *info, struct cpt_timer_state *t)
{
	unsigned long long vs, vns, is, ins;

	if (sscanf(info, "clockid: %u\nticks: %llu\nsettime flags: %o\n"
		   "it_value: (%llu, %llu)\nit_interval: (%llu, %llu)",
		   &t->clock, &t->ticks, &t->flags, &vs, &vns, &is, &ins) != 7)
		return -EIO;
	if (vs > U64_MAX / NSEC_PER_SEC - 1 || is > U64_MAX / NSEC_PER_SEC - 1)
		return -EOVERFLOW;
	t->value_ns = vs * NSEC_PER_SEC + vns;
	t->interval_ns = is * NSEC_PER_SEC + ins;
	return 0;
}

/* "tfd: %8d events: %8x data: %16llx ...", one line per target, from *pos on. */
int cpt_fdinfo_epoll_next(const char **pos, struct cpt_epoll_tfd *t)
{
	const char *line = strstr(*pos, "tfd:");

	if (!line)
		return 0;
	if (sscanf(line, "tfd: %d events: %x data: %llx", &t->fd, &t->events, &t->data) != 3)
		return -EIO;
	*pos = line + 1;
	return 1;
}

/* "inotify wd:%x ino:%lx sdev:%x mask:%x ...", one line per watch, from *pos on. */
int cpt_fdinfo_inotify_next(const char **pos, struct cpt_inotify_watch *w)
{
	const char *line = strstr(*pos, "inotify wd:");
	unsigned int dev;

	if (!line)
		return 0;
	if (sscanf(line, "inotify wd:%x ino:%lx sdev:%x mask:%x", &w->wd, &w->ino, &dev,
		   &w->mask) != 4)
		return -EINVAL;
	/* The kernel's dev_t, as in i_sb->s_dev: not new_encode_dev()'s. */
	w->dev = dev;
	*pos = line + 1;
	return 1;
}

/* "QSIZE:%-10lu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d" */
int cpt_mq_text_notify_pid(const char *text, int *pid)
{
	const char *at = strstr(text, "NOTIFY_PID:");

	if (!at || sscanf(at, "NOTIFY_PID:%d", pid) != 1)
		return -EIO;
	return 0;
}

/* ---- the checks ---- */

/*
 * The file of a new fd (in the check's fd table of the module's own,
 * own_fds in cpt_compat.c), or an error; the fd stays open.
 * It must have the f_op found by name (cpt_sym), which a restart checks the
 * file it takes from such an fd against.
 */
static struct file *cpt_compat_fd_file(long fd, const struct file_operations *fops,
				       const char *what)
{
	struct file *file;

	if (fd < 0) {
		cpt_compat_untested("cannot make %s (%ld)", what, fd);
		return ERR_PTR(fd);
	}
	file = fget(fd);
	if (!file) {
		cpt_compat_fail("the %s just made is not at its fd", what);
		return ERR_PTR(-EBADF);
	}
	if (file->f_op != fops) {
		fput(file);
		cpt_compat_fail("%s has another f_op than the one found by name", what);
		return ERR_PTR(-EBADF);
	}
	return file;
}

/* The outcome of a check whose object's file cpt_compat_fd_file() did not give. */
static int cpt_compat_fd_outcome(long fd)
{
	return fd < 0 ? CPT_COMPAT_UNTESTED : -ENOEXEC;
}

/* cpt_fdinfo() into buf, whose size is the checkpoint's buffer for the kind. */
static int cpt_compat_fdinfo(struct file *file, char *buf, size_t size, const char *what)
{
	int ret = cpt_fdinfo(file, buf, size);

	if (ret)
		return cpt_compat_fail("cannot read a %s's fdinfo (%d)", what, ret);
	return 0;
}

#define CPT_COMPAT_EVENTFD_COUNT 0x1c2d3e4fU

/*
 * An eventfd made with CPT_COMPAT_EVENTFD_COUNT and flags, as a file whose
 * fd is closed already (cpt_compat_own_fd_close()); NULL, with the check's
 * outcome in *outcome, if there is none.
 */
static struct file *cpt_compat_eventfd_file(unsigned int flags, int *outcome)
{
	long fd = cpt_sys(cpt_sym.sys_eventfd2, CPT_COMPAT_EVENTFD_COUNT, flags, 0, 0, 0);
	struct file *file = cpt_compat_fd_file(fd, cpt_sym.eventfd_fops, "an eventfd");

	cpt_compat_own_fd_close(fd, file);
	if (!IS_ERR(file))
		return file;
	*outcome = cpt_compat_fd_outcome(fd);
	return NULL;
}

int cpt_check_fdinfo_eventfd(void)
{
	char info[128];	/* as cpt_file_eventfd.c's */
	struct file *file;
	u64 count;
	int ret;

	file = cpt_compat_eventfd_file(EFD_CLOEXEC, &ret);
	if (!file)
		return ret;
	ret = cpt_compat_fdinfo(file, info, sizeof(info), "eventfd");
	if (!ret && cpt_fdinfo_eventfd_count(info, &count))
		ret = cpt_compat_fail("no eventfd-count in an eventfd's fdinfo");
	else if (!ret && count != CPT_COMPAT_EVENTFD_COUNT)
		ret = cpt_compat_fail("an eventfd made with count %#x shows %#llx",
				      CPT_COMPAT_EVENTFD_COUNT, count);
	fput(file);
	return ret;
}

int cpt_check_fdinfo_signalfd(void)
{
	/* Bits in three bytes, none SIGKILL's or SIGSTOP's, which signalfd drops. */
	const u64 mask = BIT_ULL(SIGUSR1 - 1) | BIT_ULL(SIGTERM - 1) | BIT_ULL(SIGRTMIN - 1);
	char info[128];	/* as cpt_file_timers.c's */
	struct cpt_ubuf ub = {};
	struct file *file;
	long fd;
	u64 got;
	int ret;

	if (cpt_ubuf_get(&ub, sizeof(mask)))
		return cpt_compat_untested("no user memory for a signalfd's mask");
	fd = copy_to_user((void __user *)ub.addr, &mask, sizeof(mask)) ? -EFAULT :
	     cpt_sys(cpt_sym.sys_signalfd4, -1, ub.addr, sizeof(mask), SFD_CLOEXEC, 0);
	cpt_ubuf_put(&ub);
	file = cpt_compat_fd_file(fd, cpt_sym.signalfd_fops, "a signalfd");
	cpt_compat_own_fd_close(fd, file);
	if (IS_ERR(file))
		return cpt_compat_fd_outcome(fd);
	ret = cpt_compat_fdinfo(file, info, sizeof(info), "signalfd");
	if (!ret && cpt_fdinfo_signalfd_mask(info, &got))
		ret = cpt_compat_fail("no sigmask in a signalfd's fdinfo");
	else if (!ret && got != mask)
		ret = cpt_compat_fail("a signalfd made with mask %#llx shows %#llx", mask, got);
	fput(file);
	return ret;
}

/* Far enough to be still pending when read; a period with nanoseconds. */
#define CPT_COMPAT_TIMER_VALUE_S 1000
#define CPT_COMPAT_TIMER_INTERVAL_NS (7ULL * NSEC_PER_SEC + 5)

/*
 * Armed as an absolute one that reports clock changes would be (on
 * CLOCK_MONOTONIC the kernel keeps TFD_TIMER_CANCEL_ON_SET to show only):
 * its flags are in the text too.
 */
#define CPT_COMPAT_TIMER_FLAGS (TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)

static int cpt_compat_timerfd_arm(long fd, struct cpt_ubuf *ub)
{
	u64 at = ktime_get_ns() + CPT_COMPAT_TIMER_VALUE_S * NSEC_PER_SEC;
	struct __kernel_itimerspec its = {
		.it_value = { .tv_sec = div_u64(at, NSEC_PER_SEC), .tv_nsec = at % NSEC_PER_SEC },
		.it_interval = { .tv_sec = 7, .tv_nsec = 5 },
	};

	if (copy_to_user((void __user *)ub->addr, &its, sizeof(its)))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_timerfd_settime, fd, CPT_COMPAT_TIMER_FLAGS, ub->addr, 0, 0);
}

static int cpt_compat_timerfd_compare(const struct cpt_timer_state *t)
{
	if (t->clock != CLOCK_MONOTONIC || t->ticks || t->flags != CPT_COMPAT_TIMER_FLAGS ||
	    t->interval_ns != CPT_COMPAT_TIMER_INTERVAL_NS ||
	    !t->value_ns || t->value_ns > CPT_COMPAT_TIMER_VALUE_S * NSEC_PER_SEC)
		return cpt_compat_fail("timerfd: clock %u, %llu ticks, flags %#x, %lluns/%lluns",
				       t->clock, t->ticks, t->flags, t->value_ns, t->interval_ns);
	return 0;
}

int cpt_check_fdinfo_timerfd(void)
{
	char info[256];	/* as cpt_file_timers.c's */
	struct cpt_timer_state t;
	struct cpt_ubuf ub = {};
	struct file *file;
	long fd, armed;
	int ret;

	if (cpt_ubuf_get(&ub, sizeof(struct __kernel_itimerspec)))
		return cpt_compat_untested("no user memory for a timerfd's times");
	fd = cpt_sys(cpt_sym.sys_timerfd_create, CLOCK_MONOTONIC, TFD_CLOEXEC, 0, 0, 0);
	armed = fd < 0 ? fd : cpt_compat_timerfd_arm(fd, &ub);
	cpt_ubuf_put(&ub);
	file = cpt_compat_fd_file(fd, cpt_sym.timerfd_fops, "a timerfd");
	cpt_compat_own_fd_close(fd, file);
	if (IS_ERR(file))
		return cpt_compat_fd_outcome(fd);
	if (armed)
		ret = cpt_compat_untested("cannot arm a timerfd (%ld)", armed);
	else
		ret = cpt_compat_fdinfo(file, info, sizeof(info), "timerfd");
	if (!ret) {
		ret = cpt_fdinfo_timerfd(info, &t);
		if (ret)
			ret = cpt_compat_fail("a timerfd's fdinfo does not parse (%d)", ret);
		else
			ret = cpt_compat_timerfd_compare(&t);
	}
	fput(file);
	return ret;
}

#define CPT_COMPAT_EPOLL_DATA 0x0123456789abcdefULL

/* epoll_ctl() adds EPOLLERR and EPOLLHUP to every target's events. */
static int cpt_compat_epoll_compare(const char *info, long target)
{
	const u32 events = (__force u32)(EPOLLIN | EPOLLET | EPOLLERR | EPOLLHUP);
	struct cpt_epoll_tfd t;
	const char *pos = info;
	int n;

	n = cpt_fdinfo_epoll_next(&pos, &t);
	if (n <= 0)
		return cpt_compat_fail("no target line in an epoll instance's fdinfo (%d)", n);
	if (t.fd != target || t.events != events || t.data != CPT_COMPAT_EPOLL_DATA)
		return cpt_compat_fail("epoll fd %ld events %#x data %#llx shows %d %#x %#llx",
				       target, events, CPT_COMPAT_EPOLL_DATA, t.fd, t.events,
				       t.data);
	n = cpt_fdinfo_epoll_next(&pos, &t);
	if (n)
		return cpt_compat_fail("an epoll instance with one target shows more (%d)", n);
	return 0;
}

static long cpt_compat_epoll_add(long epfd, long target, struct cpt_ubuf *ub)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data = CPT_COMPAT_EPOLL_DATA };

	if (copy_to_user((void __user *)ub->addr, &ev, sizeof(ev)))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_epoll_ctl, epfd, EPOLL_CTL_ADD, target, ub->addr, 0);
}

/* An epoll instance watching an eventfd, at fds of the check's table, and their files. */
struct cpt_compat_epoll {
	long epfd, target;	/* fds or errors */
	struct file *ep, *tf;	/* what each fd held once made, or NULL */
};

/*
 * e's epoll instance watching its eventfd (cpt_compat_epoll_add()): 0, or
 * why not (untested). For cpt_compat_epoll_close() either way.
 */
static int cpt_compat_epoll_open(struct cpt_compat_epoll *e)
{
	struct cpt_ubuf ub = {};
	long added;

	*e = (struct cpt_compat_epoll){ .epfd = -EBADF, .target = -EBADF };
	if (cpt_ubuf_get(&ub, sizeof(struct epoll_event)))
		return cpt_compat_untested("no user memory for an epoll event");
	e->target = cpt_sys(cpt_sym.sys_eventfd2, 0, EFD_CLOEXEC, 0, 0, 0);
	e->tf = e->target < 0 ? NULL : fget(e->target);
	e->epfd = e->target < 0 ? e->target :
		  cpt_sys(cpt_sym.sys_epoll_create1, EPOLL_CLOEXEC, 0, 0, 0, 0);
	e->ep = e->epfd < 0 ? NULL : fget(e->epfd);
	added = e->epfd < 0 ? e->epfd : cpt_compat_epoll_add(e->epfd, e->target, &ub);
	cpt_ubuf_put(&ub);
	if (e->target < 0)
		return cpt_compat_untested("cannot make an eventfd (%ld)", e->target);
	if (e->epfd < 0)
		return cpt_compat_untested("cannot make an epoll instance (%ld)", e->epfd);
	if (!e->tf || !e->ep)
		return cpt_compat_fail("the eventfd or epoll instance just made is not at its fd");
	if (added)
		return cpt_compat_untested("cannot add a target to an epoll instance (%ld)", added);
	return 0;
}

/* Each fd closed only while it holds what was made there. */
static void cpt_compat_epoll_close(struct cpt_compat_epoll *e)
{
	cpt_compat_own_fd_close(e->epfd, e->ep);
	cpt_compat_own_fd_close(e->target, e->tf);
	if (e->ep)
		fput(e->ep);
	if (e->tf)
		fput(e->tf);
}

int cpt_check_fdinfo_epoll(void)
{
	struct cpt_compat_epoll e;
	struct file *file;
	char *info;
	int ret;

	/* The target is watched by its fd: both stay open until the fdinfo is read. */
	ret = cpt_compat_epoll_open(&e);
	if (ret)
		goto out;
	file = cpt_compat_fd_file(e.epfd, cpt_sym.eventpoll_fops, "an epoll instance");
	if (IS_ERR(file)) {
		ret = cpt_compat_fd_outcome(e.epfd);
		goto out;
	}
	info = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!info)
		ret = cpt_compat_untested("no memory for an epoll instance's fdinfo");
	else
		ret = cpt_compat_fdinfo(file, info, PAGE_SIZE, "epoll instance") ?:
		      cpt_compat_epoll_compare(info, e.target);
	kfree(info);
	fput(file);
out:
	cpt_compat_epoll_close(&e);
	return ret;
}

/*
 * What an epoll entry whose fd was closed is restored with: the entry's
 * file found by its fd and rank (get_epoll_tfile_raw_ptr()), and
 * replace_fd() putting a file at a chosen number that fget() then finds.
 */
static int cpt_compat_epoll_tfile(long epfd, long target)
{
	struct file *ep = fget(epfd), *watched = fget(target), *out;
	int ret = 0;

	if (!ep || !watched)
		ret = cpt_compat_fail("the epoll instance or its target is not at its fd");
	else if (cpt_sym.get_epoll_tfile_raw_ptr(ep, target, 0) != watched ||
		 !IS_ERR(cpt_sym.get_epoll_tfile_raw_ptr(ep, target, 1)))
		ret = cpt_compat_fail("get_epoll_tfile_raw_ptr does not give an entry's file");
	if (ret)
		goto out;
	out = close_fd_get_file(target);
	ret = out == watched ? cpt_sym.replace_fd(target, watched, 0) : -EBADF;
	if (out)
		fput(out);
	if (ret)
		ret = cpt_compat_fail("replace_fd cannot put a file back at its fd (%d)", ret);
	out = ret ? NULL : fget(target);
	if (!ret && out != watched)
		ret = cpt_compat_fail("replace_fd put another file at the fd");
	if (out)
		fput(out);
out:
	if (ep)
		fput(ep);
	if (watched)
		fput(watched);
	return ret;
}

int cpt_check_epoll_tfile(void)
{
	struct cpt_compat_epoll e;
	int ret;

	ret = cpt_compat_epoll_open(&e) ?: cpt_compat_epoll_tfile(e.epfd, e.target);
	cpt_compat_epoll_close(&e);
	return ret;
}

#define CPT_COMPAT_INOTIFY_MASK (IN_CREATE | IN_DELETE | IN_MOVED_TO)

static int cpt_compat_inotify_compare(const char *info, long wd, const struct inode *inode)
{
	struct cpt_inotify_watch w;
	const char *pos = info;
	int n;

	n = cpt_fdinfo_inotify_next(&pos, &w);
	if (n <= 0)
		return cpt_compat_fail("no watch line in an inotify instance's fdinfo (%d)", n);
	if (w.wd != wd || w.ino != inode->i_ino || w.dev != inode->i_sb->s_dev ||
	    w.mask != CPT_COMPAT_INOTIFY_MASK)
		return cpt_compat_fail("inotify wd %ld ino %lu dev %#x mask %#x: %u %lu %#x %#x",
				       wd, inode->i_ino, inode->i_sb->s_dev,
				       CPT_COMPAT_INOTIFY_MASK, w.wd, w.ino, w.dev, w.mask);
	n = cpt_fdinfo_inotify_next(&pos, &w);
	if (n)
		return cpt_compat_fail("an inotify instance with one watch shows more (%d)", n);
	return 0;
}

static long cpt_compat_inotify_watch_root(long ifd, struct cpt_ubuf *ub)
{
	if (copy_to_user((void __user *)ub->addr, "/", 2))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_inotify_add_watch, ifd, ub->addr, CPT_COMPAT_INOTIFY_MASK,
		       0, 0);
}

int cpt_check_fdinfo_inotify(void)
{
	struct cpt_ubuf ub = {};
	struct file *file;
	struct path root;
	char *info;
	long ifd, wd;
	int ret;

	if (cpt_ubuf_get(&ub, 2))
		return cpt_compat_untested("no user memory for a path to watch");
	ifd = cpt_sys(cpt_sym.sys_inotify_init1, IN_CLOEXEC, 0, 0, 0, 0);
	wd = ifd < 0 ? ifd : cpt_compat_inotify_watch_root(ifd, &ub);
	cpt_ubuf_put(&ub);
	file = cpt_compat_fd_file(ifd, cpt_sym.inotify_fops, "an inotify instance");
	cpt_compat_own_fd_close(ifd, file);
	if (IS_ERR(file))
		return cpt_compat_fd_outcome(ifd);
	info = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (wd < 0)
		ret = cpt_compat_untested("cannot watch / (%ld)", wd);
	else if (!info)
		ret = cpt_compat_untested("no memory for an inotify instance's fdinfo");
	else
		ret = cpt_compat_fdinfo(file, info, PAGE_SIZE, "inotify instance");
	/* The watched inode: the loading task's root, as "/" was looked up. */
	if (!ret) {
		get_fs_root(current->fs, &root);
		ret = cpt_compat_inotify_compare(info, wd, d_inode(root.dentry));
		path_put(&root);
	}
	kfree(info);
	fput(file);
	return ret;
}

/* A queue's text, read through its file's read() as cpt_mqueue.c does. */
static int cpt_compat_mq_compare(struct file *file, struct cpt_ubuf *ub)
{
	char text[64];
	loff_t pos = 0;
	ssize_t n;
	int pid;

	if (file_inode(file)->i_sb->s_magic != CPT_MQUEUE_MAGIC)
		return cpt_compat_fail("a POSIX message queue's filesystem has magic %#lx, not %#x",
				       file_inode(file)->i_sb->s_magic, CPT_MQUEUE_MAGIC);
	n = file->f_op->read(file, (char __user *)ub->addr, sizeof(text) - 1, &pos);
	if (n < 0)
		return cpt_compat_fail("cannot read a POSIX message queue's file (%zd)", n);
	if (copy_from_user(text, (void __user *)ub->addr, n))
		return cpt_compat_untested("cannot read back the queue's text");
	text[n] = 0;
	if (cpt_mq_text_notify_pid(text, &pid))
		return cpt_compat_fail("no NOTIFY_PID in a POSIX message queue's text");
	if (pid)
		return cpt_compat_fail("a queue without mq_notify() shows NOTIFY_PID %d", pid);
	return 0;
}

int cpt_check_mqueue_text(void)
{
	struct cpt_ubuf ub = {};
	char name[32];
	struct file *file;
	long qfd;
	int ret;

	/* Named in the loading task's IPC namespace for as long as the check runs. */
	snprintf(name, sizeof(name), "cpt-compat-%d", task_tgid_vnr(current));
	if (cpt_ubuf_get(&ub, PAGE_SIZE))
		return cpt_compat_untested("no user memory for a queue's name");
	qfd = copy_to_user((void __user *)ub.addr, name, strlen(name) + 1) ? -EFAULT :
	      cpt_sys(cpt_sym.sys_mq_open, ub.addr, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		      0600, 0, 0);
	file = cpt_compat_fd_file(qfd, cpt_sym.mqueue_file_operations, "a POSIX message queue");
	cpt_compat_own_fd_close(qfd, file);
	if (qfd >= 0)
		cpt_sys(cpt_sym.sys_mq_unlink, ub.addr, 0, 0, 0, 0);
	if (IS_ERR(file))
		ret = cpt_compat_fd_outcome(qfd);
	else
		ret = cpt_compat_mq_compare(file, &ub);
	if (!IS_ERR(file))
		fput(file);
	cpt_ubuf_put(&ub);
	return ret;
}

/*
 * An eventfd's counter and flags, read from fs/eventfd.c's struct
 * eventfd_ctx (private in 6.1), under its lock. Whether an eventfd counts
 * as a semaphore shows nowhere else: a probe through reads and writes
 * changes the counter for a moment, wakes whoever waits on it outside the
 * tree (a reader, a poller, KVM's irqfd) and loses what they add meanwhile.
 * Checked: eventfd_ctx.
 */
struct cpt_eventfd_ctx {
	struct kref kref;
	wait_queue_head_t wqh;
	__u64 count;
	unsigned int flags;
	int id;
};

void cpt_eventfd_peek(struct eventfd_ctx *ctx, u64 *count, bool *semaphore)
{
	struct cpt_eventfd_ctx *c = (struct cpt_eventfd_ctx *)ctx;

	spin_lock_irq(&c->wqh.lock);
	*count = c->count;
	*semaphore = c->flags & EFD_SEMAPHORE;
	spin_unlock_irq(&c->wqh.lock);
}

/*
 * An eventfd made with a known count and flags reads back as made: its
 * count as fdinfo shows it, its flags as eventfd2() keeps them, its id as
 * fdinfo's eventfd-id.
 */
static int cpt_compat_eventfd_ctx(unsigned int flags)
{
	struct cpt_eventfd_ctx *c;
	struct eventfd_ctx *ctx;
	char info[128];	/* as cpt_check_fdinfo_eventfd()'s */
	const char *at;
	struct file *file;
	bool semaphore;
	u64 count;
	int id, ret;

	file = cpt_compat_eventfd_file(flags, &ret);
	if (!file)
		return ret;
	ctx = eventfd_ctx_fileget(file);
	ret = IS_ERR(ctx) ? cpt_compat_fail("an eventfd's file has no eventfd_ctx") :
	      cpt_compat_fdinfo(file, info, sizeof(info), "eventfd");
	if (ret)
		goto out;
	c = (struct cpt_eventfd_ctx *)ctx;
	cpt_eventfd_peek(ctx, &count, &semaphore);
	at = strstr(info, "eventfd-id:");
	if (!at || sscanf(at, "eventfd-id: %d", &id) != 1)
		ret = cpt_compat_fail("no eventfd-id in an eventfd's fdinfo");
	else if (count != CPT_COMPAT_EVENTFD_COUNT || c->flags != flags || c->id != id ||
		 semaphore != !!(flags & EFD_SEMAPHORE))
		ret = cpt_compat_fail("eventfd count/flags/id %#x/%#x/%d reads %#llx/%#x/%d",
				      CPT_COMPAT_EVENTFD_COUNT, flags, id, count, c->flags, c->id);
out:
	if (!IS_ERR(ctx))
		eventfd_ctx_put(ctx);
	fput(file);
	return ret;
}

int cpt_check_eventfd_ctx(void)
{
	int ret = cpt_compat_eventfd_ctx(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);

	return ret ?: cpt_compat_eventfd_ctx(EFD_CLOEXEC);
}
