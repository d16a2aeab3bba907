// SPDX-License-Identifier: GPL-2.0
/*
 * What cpt_task_attrs.c reads and writes of a task without an interface
 * that does it for another task than current, or at all from a module:
 *  - a CPU-time interval timer's time left, as kernel/time/itimer.c's
 *    get_cpu_itimer() computes it for current: its expiry less the
 *    process's CPU time as the group's cputimer samples it (that cputimer
 *    runs whenever such a timer is armed);
 *  - the tick set_cpu_itimer() adds to a CPU-time timer's value, taken
 *    off again when a restart arms it with the time it had left;
 *  - an mm's dumpable bits, as fs/exec.c's set_dumpable() sets them;
 *  - an mm's membarrier() registrations, from its membarrier_state (the
 *    check membarrier).
 * The check task_attrs (cpt_compat.c runs it last) tests both in the
 * loading task against the kernel's own syscalls: setitimer() then
 * getitimer() against what cpt reads, prctl(PR_SET_DUMPABLE) against what
 * cpt reads and prctl(PR_GET_DUMPABLE) against what cpt writes, and the
 * bit prctl(PR_SET_THP_DISABLE) sets. The loading task's own timers and
 * flags are put back; one with a CPU-time timer of its own leaves the
 * timers untested.
 */
#include <linux/membarrier.h>
#include <linux/mm.h>
#include <linux/posix-timers.h>
#include <linux/prctl.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/time.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"

void cpt_compat_itimer_left(struct task_struct *t, unsigned int clock, u64 *value,
			    u64 *interval)
{
	struct signal_struct *sig = t->signal;
	struct task_cputime_atomic *times = &sig->cputimer.cputime_atomic;
	u64 expires = sig->it[clock].expires, now;

	*interval = sig->it[clock].incr;
	*value = 0;
	if (!expires)
		return;
	now = atomic64_read(&times->utime);
	if (clock == CPUCLOCK_PROF)
		now += atomic64_read(&times->stime);
	/* Armed without its cputimer running, or past: about to fire, as getitimer() says. */
	if (!READ_ONCE(sig->posix_cputimers.timers_active) || expires < now)
		*value = TICK_NSEC;
	else
		*value = expires - now;
}

/*
 * What to give setitimer() for a timer to have left_ns left once armed:
 * kernel/time/itimer.c's set_cpu_itimer() adds a tick to a CPU-time timer's
 * value (its first expiry is never early), which the time left at the
 * checkpoint already holds; a real timer is armed as given.
 */
u64 cpt_compat_itimer_arm_value(unsigned int which, u64 left_ns)
{
	if (which == ITIMER_REAL)
		return left_ns;
	return left_ns > TICK_NSEC ? left_ns - TICK_NSEC : 1;
}

void cpt_compat_set_dumpable(struct mm_struct *mm, u32 value)
{
	set_mask_bits(&mm->flags, MMF_DUMPABLE_MASK, value);
}

/* Arbitrary, and far from firing while the check runs. */
#define CPT_CHECK_VALUE_US (1000ULL * USEC_PER_SEC + 123)
#define CPT_CHECK_INTERVAL_US (7 * USEC_PER_SEC + 456)
/* CPU time the loading task may use between setitimer() and the reads. */
#define CPT_CHECK_SLACK_US (USEC_PER_SEC / 10)

static u64 cpt_timeval_us(const struct __kernel_old_timeval *tv)
{
	return (u64)tv->tv_sec * USEC_PER_SEC + tv->tv_usec;
}

static int cpt_itimer_sys(long (*call)(const struct pt_regs *regs), int which,
			  struct cpt_ubuf *ub, struct __kernel_old_itimerval *v, bool set)
{
	long ret;

	if (set && copy_to_user((void __user *)ub->addr, v, sizeof(*v)))
		return -EFAULT;
	ret = cpt_sys(call, which, ub->addr, 0, 0, 0);
	if (!ret && !set && copy_from_user(v, (void __user *)ub->addr, sizeof(*v)))
		return -EFAULT;
	return ret;
}

/* An ITIMER_VIRTUAL or ITIMER_PROF armed here reads back as getitimer() reads it. */
static int cpt_check_cpu_itimer(int which, unsigned int clock, struct cpt_ubuf *ub)
{
	struct __kernel_old_itimerval v = {
		.it_value = { CPT_CHECK_VALUE_US / USEC_PER_SEC,
			      CPT_CHECK_VALUE_US % USEC_PER_SEC },
		.it_interval = { CPT_CHECK_INTERVAL_US / USEC_PER_SEC,
				 CPT_CHECK_INTERVAL_US % USEC_PER_SEC },
	};
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, true);
	u64 value, interval, theirs;
	long ret;

	ret = cpt_itimer_sys(cpt_sym.sys_setitimer, which, ub, &v, true);
	if (ret)
		return cpt_compat_untested("cannot arm interval timer %d (%ld)", which, ret);
	spin_lock_irq(&sighand->siglock);
	cpt_compat_itimer_left(current, clock, &value, &interval);
	spin_unlock_irq(&sighand->siglock);
	ret = cpt_itimer_sys(cpt_sym.sys_getitimer, which, ub, &v, false);
	theirs = cpt_timeval_us(&v.it_value);
	memset(&v, 0, sizeof(v));
	cpt_itimer_sys(cpt_sym.sys_setitimer, which, ub, &v, true);
	if (ret)
		return cpt_compat_untested("cannot read interval timer %d (%ld)", which, ret);
	if (interval != CPT_CHECK_INTERVAL_US * NSEC_PER_USEC ||
	    value / NSEC_PER_USEC < theirs || value / NSEC_PER_USEC > theirs + CPT_CHECK_SLACK_US)
		return cpt_compat_fail("itimer %d: %llu ns left, every %llu ns; getitimer: %llu us",
				       which, value, interval, theirs);
	return 0;
}

static int cpt_check_itimers(void)
{
	struct cpt_ubuf ub = {};
	struct signal_struct *sig = current->signal;
	int ret;

	if (sig->it[CPUCLOCK_PROF].expires || sig->it[CPUCLOCK_VIRT].expires)
		return cpt_compat_untested("the loading task has a CPU-time interval timer");
	ret = cpt_ubuf_get(&ub, sizeof(struct __kernel_old_itimerval));
	if (ret)
		return cpt_compat_untested("no user memory for setitimer (%d)", ret);
	ret = cpt_check_cpu_itimer(ITIMER_VIRTUAL, CPUCLOCK_VIRT, &ub);
	if (!ret)
		ret = cpt_check_cpu_itimer(ITIMER_PROF, CPUCLOCK_PROF, &ub);
	cpt_ubuf_put(&ub);
	return ret;
}

static int cpt_check_mm_flags(void)
{
	struct mm_struct *mm = current->mm;
	int dumpable = get_dumpable(mm), thp = test_bit(MMF_DISABLE_THP, &mm->flags);
	long got;
	int ret = 0;

	if (cpt_sys(cpt_sym.sys_prctl, PR_SET_DUMPABLE, SUID_DUMP_DISABLE, 0, 0, 0) ||
	    cpt_sys(cpt_sym.sys_prctl, PR_SET_THP_DISABLE, 1, 0, 0, 0))
		ret = cpt_compat_untested("prctl refused to change the loading task");
	else if (get_dumpable(mm) != SUID_DUMP_DISABLE)
		ret = cpt_compat_fail("PR_SET_DUMPABLE 0 reads as dumpable %d", get_dumpable(mm));
	else if (!test_bit(MMF_DISABLE_THP, &mm->flags))
		ret = cpt_compat_fail("PR_SET_THP_DISABLE did not set MMF_DISABLE_THP");
	if (!ret) {
		cpt_compat_set_dumpable(mm, SUID_DUMP_USER);
		got = cpt_sys(cpt_sym.sys_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
		if (got != SUID_DUMP_USER)
			ret = cpt_compat_fail("dumpable set to 1 reads as %ld", got);
	}
	cpt_compat_set_dumpable(mm, dumpable);
	cpt_sys(cpt_sym.sys_prctl, PR_SET_THP_DISABLE, thp, 0, 0, 0);
	return ret;
}

int cpt_check_task_attrs(void)
{
	int ret;

	if (!current->mm)
		return cpt_compat_untested("the loading task has no memory");
	ret = cpt_check_mm_flags();
	return ret ?: cpt_check_itimers();
}

/*
 * The membarrier() registrations of an mm, as the commands that made them:
 * kernel/sched/membarrier.c marks each one done with its *_READY bit of
 * mm->membarrier_state (the other bits are set before the registration
 * has synced every CPU).
 */
static const struct {
	u32 ready;
	u32 cmd;
} cpt_membarrier_states[] = {
	{ MEMBARRIER_STATE_PRIVATE_EXPEDITED_READY,
	  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED },
	{ MEMBARRIER_STATE_GLOBAL_EXPEDITED_READY,
	  MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED },
	{ MEMBARRIER_STATE_PRIVATE_EXPEDITED_SYNC_CORE_READY,
	  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE },
	{ MEMBARRIER_STATE_PRIVATE_EXPEDITED_RSEQ_READY,
	  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ },
};

u32 cpt_compat_membarrier_registrations(struct mm_struct *mm)
{
	u32 state = atomic_read(&mm->membarrier_state), cmds = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_membarrier_states); i++)
		if (state & cpt_membarrier_states[i].ready)
			cmds |= cpt_membarrier_states[i].cmd;
	return cmds;
}

/*
 * Registering is for good, so the loading task is not registered: the
 * check is that the kernel offers every registration a restart may make
 * again, and that the loading task's state reads as registrations the
 * kernel offers.
 */
int cpt_check_membarrier(void)
{
	long offered = cpt_sys(cpt_sym.sys_membarrier, MEMBARRIER_CMD_QUERY, 0, 0, 0, 0);
	u32 all = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_membarrier_states); i++)
		all |= cpt_membarrier_states[i].cmd;
	if (all != CPT_MEMBARRIER_REGISTRATIONS)
		return cpt_compat_fail("the membarrier registrations are %#x, not %#x", all,
				       CPT_MEMBARRIER_REGISTRATIONS);
	if (offered < 0)
		return cpt_compat_fail("membarrier(MEMBARRIER_CMD_QUERY) failed: %ld", offered);
	if ((offered & all) != all)
		return cpt_compat_fail("membarrier() offers %#lx, not every registration of %#x",
				       offered, all);
	if (current->mm && (cpt_compat_membarrier_registrations(current->mm) & ~offered))
		return cpt_compat_fail("the loading task's membarrier state %#x is not understood",
				       atomic_read(&current->mm->membarrier_state));
	return 0;
}
