// SPDX-License-Identifier: GPL-2.0
/*
 * The deadline of a task blocked in schedule_hrtimeout_range(), which is
 * where ep_poll() and do_sigtimedwait() sleep: an hrtimer_sleeper on the
 * task's stack, its timer's function hrtimer_wakeup(), its task the task,
 * enqueued on CLOCK_MONOTONIC (the clock both pass) until the timer's soft
 * expiry, which is the deadline the caller asked for (the slack is added
 * after it). The kernel keeps no other record of it, and drops this one
 * when the sleep ends: read it while the task cannot wake.
 */
#include <linux/hrtimer.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>

#include "cpt_compat.h"

/*
 * Called with t->pi_lock held (try_to_wake_up() takes it first, so t
 * stays blocked) and t's stack held, t off its CPU: its stack from its
 * saved stack pointer up to its user registers is its kernel call chain,
 * and holds exactly one enqueued sleeper of t's. True with its deadline.
 */
bool cpt_compat_timed_sleeper(struct task_struct *t, ktime_t *deadline)
{
	unsigned long *p = (unsigned long *)t->thread.sp;
	unsigned long *base = task_stack_page(t);
	unsigned long *end = (unsigned long *)task_pt_regs(t);
	const struct hrtimer_sleeper *hs;
	unsigned int found = 0;

	if (p < base || p >= end)
		return false;
	for (; p + sizeof(*hs) / sizeof(*p) <= end; p++) {
		hs = (const struct hrtimer_sleeper *)p;
		if ((void *)READ_ONCE(hs->timer.function) != cpt_sym.hrtimer_wakeup ||
		    READ_ONCE(hs->task) != t ||
		    !(READ_ONCE(hs->timer.state) & HRTIMER_STATE_ENQUEUED))
			continue;
		*deadline = hrtimer_get_softexpires(&hs->timer);
		found++;
	}
	return found == 1;
}
