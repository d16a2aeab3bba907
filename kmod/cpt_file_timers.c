// SPDX-License-Identifier: GPL-2.0
/*
 * signalfds and timerfds: a signalfd's mask, a timerfd's clock, time left,
 * period, unread expirations and settime flags, as their fdinfo shows them;
 * made again by the kernel's own system calls in the restoring task, before
 * it takes the saved credentials (an alarm clock's timerfd only for a caller
 * with CAP_WAKE_ALARM, as timerfd_create() checks).
 *
 * A timerfd armed with TFD_TIMER_ABSTIME keeps its expiry on its clock: the
 * checkpoint reads the clock after the fdinfo, adding the time left (so the
 * expiry saved is never earlier than the real one, at most the microseconds
 * between the two reads later), and a restart arms it absolute again, with
 * TFD_TIMER_CANCEL_ON_SET if it had it. Refused, naming the fd: one with
 * TFD_TIMER_CANCEL_ON_SET and unread expirations, which may be a clock change
 * it has to report as ECANCELED: fdinfo does not tell the two apart.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/math64.h>
#include <linux/mman.h>
#include <linux/timerfd.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_symbols.h"

/* ---- checkpoint ---- */

static int cpt_signalfd_claim(unsigned int fd, struct file *file)
{
	return cpt_is_anon(file, "[signalfd]") ? CPT_PB_FILE_KIND_SIGNALFD : 0;
}

static int cpt_timerfd_claim(unsigned int fd, struct file *file)
{
	return cpt_is_anon(file, "[timerfd]") ? CPT_PB_FILE_KIND_TIMERFD : 0;
}

/* A signalfd's mask, as its fdinfo shows it. */
static int cpt_signalfd_mask(struct file *file, u64 *mask)
{
	char info[128];
	int ret;

	ret = cpt_fdinfo(file, info, sizeof(info));
	if (ret)
		return ret;
	return cpt_fdinfo_signalfd_mask(info, mask);
}

/* A timerfd's clock, time left, period and expirations, as its fdinfo shows them. */
static int cpt_timerfd_state(struct file *file, struct cpt_timer_state *t)
{
	char info[256];
	int ret;

	ret = cpt_fdinfo(file, info, sizeof(info));
	if (ret)
		return ret;
	return cpt_fdinfo_timerfd(info, t);
}

static int cpt_signalfd_save(struct cpt_file_save *fs)
{
	u64 mask;
	int ret;

	ret = cpt_signalfd_mask(fs->e->file, &mask);
	if (ret) {
		cpt_note("fd %u: cannot read its state: %d\n", fs->e->fd, ret);
		return ret;
	}
	cpt_pb_u64(fs->one, CPT_PB_FILE_SIGNALFD_MASK, mask);
	return 0;
}

/* Now on a timerfd's clock, as timerfd_settime() reads TFD_TIMER_ABSTIME times on it. */
static u64 cpt_timerfd_clock_now(u32 clock)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_REALTIME_ALARM:
		return ktime_get_real_ns();
	case CLOCK_BOOTTIME:
	case CLOCK_BOOTTIME_ALARM:
		return ktime_get_boottime_ns();
	}
	return ktime_get_ns();
}

static int cpt_timerfd_save(struct cpt_file_save *fs)
{
	struct cpt_timer_state t;
	int ret;

	ret = cpt_timerfd_state(fs->e->file, &t);
	if (ret) {
		cpt_note("fd %u: cannot read its state: %d\n", fs->e->fd, ret);
		return ret;
	}
	if (t.flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) {
		cpt_note("fd %u: timerfd settime flags %#x are not supported\n", fs->e->fd,
			 t.flags);
		return -EOPNOTSUPP;
	}
	if (t.flags & TFD_TIMER_CANCEL_ON_SET && t.ticks) {
		cpt_note("fd %u: %s with unread expirations (a clock change?) is not supported\n",
			 fs->e->fd, "a TFD_TIMER_CANCEL_ON_SET timerfd");
		return -EOPNOTSUPP;
	}
	/* A periodic one expired unread has no time left: it is due now. */
	if (t.flags & TFD_TIMER_ABSTIME && (t.value_ns || t.interval_ns))
		cpt_pb_u64(fs->one, CPT_PB_FILE_TIMER_ABSOLUTE_NS,
			   cpt_timerfd_clock_now(t.clock) + t.value_ns);
	cpt_pb_u64(fs->one, CPT_PB_FILE_TIMER_SETTIME_FLAGS, t.flags);
	cpt_pb_u64(fs->one, CPT_PB_FILE_TIMER_CLOCK, t.clock);
	cpt_pb_u64(fs->one, CPT_PB_FILE_TIMER_TICKS, t.ticks);
	cpt_pb_u64(fs->one, CPT_PB_FILE_TIMER_VALUE_NS, t.value_ns);
	cpt_pb_u64(fs->one, CPT_PB_FILE_TIMER_INTERVAL_NS, t.interval_ns);
	return 0;
}

/* ---- restart ---- */

static int cpt_signalfd_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	if (f->num != CPT_PB_FILE_SIGNALFD_MASK)
		return CPT_FILE_FOREIGN;
	return cpt_pb_get_u64(f, &rfile->signalfd_mask);
}

static int cpt_timerfd_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f)
{
	switch (f->num) {
	case CPT_PB_FILE_TIMER_CLOCK:
		return cpt_pb_get_u32(f, &rfile->timer.clock);
	case CPT_PB_FILE_TIMER_TICKS:
		return cpt_pb_get_u64(f, &rfile->timer.ticks);
	case CPT_PB_FILE_TIMER_VALUE_NS:
		return cpt_pb_get_u64(f, &rfile->timer.value_ns);
	case CPT_PB_FILE_TIMER_INTERVAL_NS:
		return cpt_pb_get_u64(f, &rfile->timer.interval_ns);
	case CPT_PB_FILE_TIMER_SETTIME_FLAGS:
		return cpt_pb_get_u32(f, &rfile->timer.flags);
	case CPT_PB_FILE_TIMER_ABSOLUTE_NS:
		return cpt_pb_get_u64(f, &rfile->timer.absolute_ns);
	}
	return CPT_FILE_FOREIGN;
}

/* The kernel's own calls check the rest (clock ids, times). */
static int cpt_timers_check(const struct cpt_rfile *rfile, const char *path, const char **bad)
{
	const struct cpt_timer_state *t = &rfile->timer;

	if ((rfile->flags & O_ACCMODE) != O_RDWR)
		*bad = "access mode";
	else if (t->flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		*bad = "timerfd settime flags";
	else if (t->absolute_ns && (!(t->flags & TFD_TIMER_ABSTIME) || t->absolute_ns > KTIME_MAX))
		*bad = "timerfd absolute expiry";
	return *bad ? -EBADMSG : 0;
}

/* A signalfd with its mask, made by the kernel's signalfd4(). */
static int cpt_signalfd_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	unsigned long scratch = cpt_user_scratch();
	struct pt_regs regs = {
		.di = -1,
		.si = scratch,
		.dx = sizeof(rfile->signalfd_mask),
		.r10 = O_CLOEXEC | (rfile->flags & O_NONBLOCK),
	};
	struct file *file;

	if (IS_ERR_VALUE(scratch))
		return scratch;
	if (copy_to_user((void __user *)scratch, &rfile->signalfd_mask,
			 sizeof(rfile->signalfd_mask)))
		file = ERR_PTR(-EFAULT);
	else
		file = cpt_file_from_syscall(cpt_sym.sys_signalfd4, &regs, cpt_sym.signalfd_fops,
					     "signalfd");
	vm_munmap(scratch, PAGE_SIZE);
	return cpt_claim_file(rfile, file);
}

/*
 * A timerfd on its clock, armed with the time it had left and its period
 * (an absolute one at its expiry, with its settime flags), and its unread
 * expirations (TFD_IOC_SET_TICKS, as CRIU does it): the kernel's
 * timerfd_create() and timerfd_settime() in the restoring task, in an fd
 * table of the module's own (cpt_compat_own_fds_enter()): the fd they
 * name is the timerfd made, whatever the task's other threads do.
 */
static int cpt_timerfd_open(struct cpt_file_registry *reg, struct cpt_rfile *rfile)
{
	const struct cpt_timer_state *t = &rfile->timer;
	unsigned long scratch = cpt_user_scratch();
	struct pt_regs regs = {
		.di = t->clock,
		.si = O_CLOEXEC | (rfile->flags & O_NONBLOCK),
	};
	struct __kernel_itimerspec its = {};
	struct files_struct *shared;
	struct file *file;
	long fd, ret = 0;
	u32 ns;

	if (IS_ERR_VALUE(scratch))
		return scratch;
	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		goto out;
	fd = cpt_sym.sys_timerfd_create(&regs);
	if (fd < 0) {
		ret = fd;
		if (fd == -EPERM && (t->clock == CLOCK_REALTIME_ALARM ||
				     t->clock == CLOCK_BOOTTIME_ALARM))
			cpt_note("timerfd on clock %u: %s\n", t->clock,
				 "an alarm clock: the caller lacks CAP_WAKE_ALARM");
		goto out_own;
	}
	/*
	 * A periodic timer that expired, its expirations unread, shows no
	 * time left: the kernel re-arms it only when it is read. It comes back
	 * expiring at once; the periods it missed before are not counted.
	 */
	its.it_value.tv_sec = div_u64_rem(t->flags & TFD_TIMER_ABSTIME ? t->absolute_ns :
					  t->value_ns ?: !!t->interval_ns, NSEC_PER_SEC, &ns);
	its.it_value.tv_nsec = ns;
	its.it_interval.tv_sec = div_u64_rem(t->interval_ns, NSEC_PER_SEC, &ns);
	its.it_interval.tv_nsec = ns;
	/* Disarmed with flags: set still, for its flags (and a clock change to report). */
	if (its.it_value.tv_sec || its.it_value.tv_nsec || t->flags) {
		regs = (struct pt_regs) { .di = fd, .si = t->flags, .dx = scratch, .r10 = 0 };
		ret = copy_to_user((void __user *)scratch, &its, sizeof(its)) ? -EFAULT :
		      cpt_sym.sys_timerfd_settime(&regs);
	}
	file = cpt_fget_made(fd, cpt_sym.timerfd_fops, "timerfd");
	if (IS_ERR(file)) {
		ret = ret ?: PTR_ERR(file);
		goto out_own;
	}
	rfile->file = file;
	if (!ret && t->ticks)
		ret = copy_to_user((void __user *)scratch, &t->ticks, sizeof(t->ticks)) ? -EFAULT :
		      cpt_file_ioctl(file, TFD_IOC_SET_TICKS, scratch);
out_own:
	/* The fd goes with the table. */
	cpt_compat_own_fds_leave(shared);
out:
	vm_munmap(scratch, PAGE_SIZE);
	if (ret)
		cpt_note("timerfd on clock %u: cannot set it again: %ld\n", t->clock, ret);
	return ret;
}

const struct cpt_file_ops cpt_file_signalfd_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_signalfd_claim,
	.save = cpt_signalfd_save,
	.decode = cpt_signalfd_decode,
	.check = cpt_timers_check,
	.open = cpt_signalfd_open,
};

const struct cpt_file_ops cpt_file_timerfd_ops = {
	.path = CPT_FILE_PATH_SHOWN,
	.claim = cpt_timerfd_claim,
	.save = cpt_timerfd_save,
	.decode = cpt_timerfd_decode,
	.check = cpt_timers_check,
	.open = cpt_timerfd_open,
};
