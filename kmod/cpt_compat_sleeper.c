// SPDX-License-Identifier: GPL-2.0
/*
 * The deadline of a task blocked in schedule_hrtimeout_range(), which is
 * where ep_poll() and do_sigtimedwait() sleep: an hrtimer_sleeper on the
 * task's stack, its timer's function hrtimer_wakeup(), its task the task,
 * enqueued on CLOCK_MONOTONIC (the clock both pass) until the timer's soft
 * expiry, which is the deadline the caller asked for (the slack is added
 * after it). The kernel keeps no other record of it, and drops this one
 * when the sleep ends: read it while the task cannot wake.
 *
 * Checked (timed_sleeper): a kernel thread made here waits in
 * do_sigtimedwait() for 10 s; its deadline reads back as 10 s from when it
 * started, and waking it ends the wait with -EINTR.
 */
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/hrtimer.h>
#include <linux/kthread.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>

#include "cpt_compat.h"

/*
 * With t's pi_lock held (try_to_wake_up() takes it first, so t stays
 * blocked) and t's stack held, t off its CPU: its stack from its saved
 * stack pointer up to its user registers is its kernel call chain, and
 * holds exactly one enqueued sleeper of t's. The words are read as the
 * unwinders read another task's stack (READ_ONCE_NOCHECK): most of them
 * lie in no variable, and KASAN would report its redzones between them.
 */
static bool cpt_compat_find_sleeper(struct task_struct *t, ktime_t *deadline)
{
	const size_t words = sizeof(struct hrtimer_sleeper) / sizeof(unsigned long);
	const size_t function = offsetof(struct hrtimer_sleeper, timer.function) /
				sizeof(unsigned long);
	unsigned long *p = (unsigned long *)t->thread.sp;
	unsigned long *base = task_stack_page(t);
	unsigned long *end = (unsigned long *)task_pt_regs(t);
	union {
		unsigned long word[sizeof(struct hrtimer_sleeper) / sizeof(unsigned long)];
		struct hrtimer_sleeper hs;
	} copy;
	unsigned int found = 0;
	size_t i;

	BUILD_BUG_ON(sizeof(struct hrtimer_sleeper) % sizeof(unsigned long));
	if (p < base || p >= end)
		return false;
	for (; p + words <= end; p++) {
		if (READ_ONCE_NOCHECK(p[function]) != (unsigned long)cpt_sym.hrtimer_wakeup)
			continue;
		for (i = 0; i < words; i++)
			copy.word[i] = READ_ONCE_NOCHECK(p[i]);
		if (copy.hs.task != t || !(copy.hs.timer.state & HRTIMER_STATE_ENQUEUED))
			continue;
		*deadline = hrtimer_get_softexpires(&copy.hs.timer);
		found++;
	}
	return found == 1;
}

/*
 * If t is blocked (interruptibly) in a timed sleep where in_wait(t), read
 * while it cannot wake, says: true, with its deadline and its count of
 * voluntary switches then.
 */
bool cpt_compat_timed_sleeper(struct task_struct *t, bool (*in_wait)(struct task_struct *t),
			      ktime_t *deadline, unsigned long *nvcsw)
{
	unsigned long flags;
	bool found = false;

	if (!try_get_task_stack(t))
		return false;
	raw_spin_lock_irqsave(&t->pi_lock, flags);
	if ((READ_ONCE(t->__state) & TASK_INTERRUPTIBLE) && !READ_ONCE(t->on_rq) &&
	    !READ_ONCE(t->on_cpu) && in_wait(t) && cpt_compat_find_sleeper(t, deadline)) {
		*nvcsw = t->nvcsw;
		found = true;
	}
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
	cpt_sym.put_task_stack(t);
	return found;
}

bool cpt_compat_task_asleep(struct task_struct *t)
{
	unsigned long flags;
	bool asleep;

	raw_spin_lock_irqsave(&t->pi_lock, flags);
	asleep = READ_ONCE(t->__state) != TASK_RUNNING && !READ_ONCE(t->on_rq);
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
	return asleep;
}

#define CPT_CHECK_WAIT_NS (10 * NSEC_PER_SEC)

struct cpt_check_wait {
	ktime_t started;
	long ret;
};

/* Waits for a signal nobody sends, then until stopped. */
static int cpt_check_wait_thread(void *arg)
{
	struct timespec64 ts = ns_to_timespec64(CPT_CHECK_WAIT_NS);
	struct cpt_check_wait *c = arg;
	kernel_siginfo_t info;
	sigset_t set;

	siginitset(&set, sigmask(SIGUSR1));
	WRITE_ONCE(c->started, ktime_get());
	c->ret = cpt_sym.do_sigtimedwait(&set, &info, &ts);
	return cpt_compat_wait_for_stop();
}

static bool cpt_check_any_wait(struct task_struct *t)
{
	return true;
}

int cpt_check_timed_sleeper(void)
{
	struct cpt_check_wait c = {};
	struct task_struct *thread;
	unsigned long nvcsw;
	ktime_t deadline = 0;
	bool found = false;
	int i;

	thread = kthread_run(cpt_check_wait_thread, &c, "cpt-compat");
	if (IS_ERR(thread))
		return cpt_compat_fail("no kernel thread to wait (%ld)", PTR_ERR(thread));
	get_task_struct(thread);
	for (i = 0; i < 50 && !found; i++) {
		msleep(20);
		found = READ_ONCE(c.started) &&
			cpt_compat_timed_sleeper(thread, cpt_check_any_wait, &deadline, &nvcsw);
	}
	/* Wakes it: the wait ends early. */
	kthread_stop(thread);
	put_task_struct(thread);
	if (!found)
		return cpt_compat_fail("no sleeper on the stack of a %s", "do_sigtimedwait()");
	if (deadline < c.started + CPT_CHECK_WAIT_NS ||
	    deadline > c.started + CPT_CHECK_WAIT_NS + NSEC_PER_SEC || c.ret != -EINTR)
		return cpt_compat_fail("do_sigtimedwait()'s sleeper: %lld ns from its start, %s%ld",
				       ktime_sub(deadline, c.started), "woken: ", c.ret);
	return 0;
}
