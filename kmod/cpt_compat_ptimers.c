// SPDX-License-Identifier: GPL-2.0
/*
 * What cpt_posix_timers.c reads and writes of a process's POSIX timers,
 * which the kernel keeps to itself (kernel/time/posix-timers.c,
 * posix-cpu-timers.c):
 *  - the timers are struct k_itimer, on signal_struct's posix_timers list
 *    (changed under the siglock, under which /proc/PID/timers reads them
 *    too); an hrtimer-based one (CLOCK_REALTIME, MONOTONIC, BOOTTIME, TAI)
 *    expires at its hrtimer's expiry, on the hrtimer's own base (a relative
 *    CLOCK_REALTIME one runs on the monotonic base); a CPU-time one at its
 *    cpu_timer node's expiry, 0 when disarmed, in its clock's nanoseconds:
 *    a thread's se.sum_exec_runtime, or the process's as its cputimer
 *    samples it while it runs (or as the sum of its threads' and its dead
 *    threads' when it does not);
 *  - it_active, it_interval and it_sigev_notify say whether an hrtimer-based
 *    one is armed as common_timer_get() reads them (a SIGEV_NONE timer's
 *    hrtimer is never started; a periodic one whose signal is queued waits
 *    for its delivery to be re-armed, its expiry in the past);
 *  - it_overrun_last is what timer_getoverrun() gives;
 *  - the timer's signal is its preallocated sigqueue (sigq), queued as is;
 *  - posix_timer_add() gives a new timer the id signal_struct's
 *    next_posix_timer_id holds (or the next free one after it).
 * The check posix_timers tests them in the loading task against the
 * kernel's own syscalls: timers made with the next id set, read back as
 * timer_gettime() reads them, an overrun count written as
 * timer_getoverrun() reads it.
 */
#include <linux/alarmtimer.h>
#include <linux/hrtimer.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/posix-timers.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/time.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"

static bool cpt_ptimer_hrtimer_clock(clockid_t clock)
{
	return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC || clock == CLOCK_BOOTTIME ||
	       clock == CLOCK_TAI;
}

/* The process's CPU time as its timers compare against, with the siglock held. */
static u64 cpt_ptimer_process_time(struct task_struct *t)
{
	struct signal_struct *sig = t->signal;
	struct task_struct *th;
	u64 sum;

	if (READ_ONCE(sig->posix_cputimers.timers_active))
		return atomic64_read(&sig->cputimer.cputime_atomic.sum_exec_runtime);
	sum = sig->sum_sched_runtime;
	for_each_thread(t, th)
		sum += READ_ONCE(th->se.sum_exec_runtime);
	return sum;
}

/* Nanoseconds to the next expiry, from a (maybe past) distance to the last one. */
static u64 cpt_ptimer_forward(s64 left, u64 interval)
{
	if (left > 0)
		return left;
	if (!interval)
		return 0;
	return left + (div64_u64(-left, interval) + 1) * interval;
}

/* Time left of one armed (a non-zero expiry) or not, from how far its last expiry is. */
static u64 cpt_ptimer_left(s64 left, u64 interval, bool armed, bool sig_none)
{
	u64 value = armed ? cpt_ptimer_forward(left, interval) : 0;

	/* Armed and about to fire; but a SIGEV_NONE one-shot one has expired. */
	if (armed && !value && !sig_none)
		value = 1;
	return value;
}

static int cpt_ptimer_read_cpu(struct task_struct *t, struct pid_namespace *ns,
			       struct k_itimer *timr, struct cpt_ptimer *p, char *why)
{
	struct task_struct *target = pid_task(timr->it.cpu.pid, PIDTYPE_PID);
	u64 expires = timr->it.cpu.node.expires, now;
	pid_t upid = CPUCLOCK_PID(timr->it_clock);

	if (CPUCLOCK_WHICH(timr->it_clock) != CPUCLOCK_SCHED) {
		snprintf(why, CPT_PTIMER_WHY_LEN,
			 "CPU-time clock %d (not CPUCLOCK_SCHED) is not supported", timr->it_clock);
		return -EOPNOTSUPP;
	}
	if (!target) {
		snprintf(why, CPT_PTIMER_WHY_LEN,
			 "the thread or process of its CPU-time clock is gone");
		return -EOPNOTSUPP;
	}
	if (!same_thread_group(target, t) ||
	    (!CPUCLOCK_PERTHREAD(timr->it_clock) && upid && upid != task_tgid_nr_ns(t, ns))) {
		snprintf(why, CPT_PTIMER_WHY_LEN,
			 "the CPU-time clock of pid %d (another process) is not supported",
			 pid_nr_ns(timr->it.cpu.pid, ns));
		return -EOPNOTSUPP;
	}
	if (CPUCLOCK_PERTHREAD(timr->it_clock)) {
		p->clock_thread = pid_nr_ns(timr->it.cpu.pid, ns);
		now = READ_ONCE(target->se.sum_exec_runtime);
	} else {
		now = cpt_ptimer_process_time(t);
	}
	p->value_ns = cpt_ptimer_left((s64)(expires - now), p->interval_ns, expires,
				      timr->it_sigev_notify == SIGEV_NONE);
	return 0;
}

/*
 * The time left of an hrtimer-based or alarm timer, as common_timer_get()
 * reads it: unless periodic, active or SIGEV_NONE, disarmed or fired; and,
 * on a clock the wall clock moves, its next expiry there (its last one,
 * expires, forwarded by as much as the time left was).
 */
static void cpt_ptimer_read_expiry(struct k_itimer *timr, struct cpt_ptimer *p, s64 left,
				   ktime_t expires, bool absolute)
{
	bool sig_none = timr->it_sigev_notify == SIGEV_NONE;

	p->value_ns = cpt_ptimer_left(left, p->interval_ns,
				      p->interval_ns || timr->it_active || sig_none, sig_none);
	if (absolute && p->value_ns)
		p->absolute_ns = ktime_to_ns(expires) + ((s64)p->value_ns - left);
}

/*
 * hrtimer_init() puts a relative CLOCK_REALTIME timer on the monotonic
 * base, an absolute one on the realtime base; a CLOCK_TAI one is on the
 * TAI base either way: those two bases are the ones clock_settime() moves.
 * The base does not change under a frozen process (only its own threads
 * re-arm its timers), so it is read without the base's lock.
 */
static void cpt_ptimer_read_real(struct k_itimer *timr, struct cpt_ptimer *p)
{
	struct hrtimer *timer = &timr->it.real.timer;
	clockid_t base = READ_ONCE(timer->base)->clockid;

	cpt_ptimer_read_expiry(timr, p, ktime_to_ns(__hrtimer_get_remaining(timer, false)),
			       hrtimer_get_expires(timer),
			       base == CLOCK_REALTIME || base == CLOCK_TAI);
}

/*
 * An alarm timer is always absolute on its alarm base (alarm_timer_arm()
 * adds a relative time to the base's clock): its expiry is the alarm's
 * node's, and a CLOCK_REALTIME_ALARM one moves with the wall clock.
 */
static void cpt_ptimer_read_alarm(struct k_itimer *timr, struct cpt_ptimer *p)
{
	bool realtime = timr->it_clock == CLOCK_REALTIME_ALARM;
	ktime_t expires = READ_ONCE(timr->it.alarm.alarmtimer.node.expires);
	ktime_t now = realtime ? ktime_get_real() : ktime_get_boottime();

	cpt_ptimer_read_expiry(timr, p, ktime_to_ns(ktime_sub(expires, now)), expires, realtime);
}

/* One timer, with the siglock held: 0, or -EOPNOTSUPP and why it cannot be saved. */
static int cpt_ptimer_read(struct task_struct *t, struct pid_namespace *ns,
			   struct k_itimer *timr, struct cpt_ptimer *p, char *why)
{
	struct sigqueue *q = timr->sigq;

	memset(p, 0, sizeof(*p));
	p->id = timr->it_id;
	p->clock = timr->it_clock;
	p->notify = timr->it_sigev_notify;
	p->signo = q->info.si_signo;
	p->sigev_value = (unsigned long)q->info.si_value.sival_ptr;
	p->interval_ns = ktime_to_ns(timr->it_interval);
	p->overrun = min_t(s64, max_t(s64, timr->it_overrun_last, 0), INT_MAX);
	p->signal_pending = !list_empty(&q->list);
	p->pending_overrun = p->signal_pending ? max(q->info.si_overrun, 0) : 0;
	if (p->notify & SIGEV_THREAD_ID) {
		struct task_struct *target = pid_task(timr->it_pid, PIDTYPE_PID);

		if (!target || !same_thread_group(target, t)) {
			snprintf(why, CPT_PTIMER_WHY_LEN, "the thread it signals is gone");
			return -EOPNOTSUPP;
		}
		p->notify_thread = pid_nr_ns(timr->it_pid, ns);
	}
	if (timr->it_clock < 0)
		return cpt_ptimer_read_cpu(t, ns, timr, p, why);
	if (timr->it_clock == CLOCK_REALTIME_ALARM || timr->it_clock == CLOCK_BOOTTIME_ALARM) {
		cpt_ptimer_read_alarm(timr, p);
		return 0;
	}
	if (!cpt_ptimer_hrtimer_clock(timr->it_clock)) {
		snprintf(why, CPT_PTIMER_WHY_LEN, "clock %d is not supported", timr->it_clock);
		return -EOPNOTSUPP;
	}
	cpt_ptimer_read_real(timr, p);
	return 0;
}

/*
 * The process's timers into p (room for max), with t's siglock held: how
 * many it has (more than max: read again with more room), or -EOPNOTSUPP
 * with why (CPT_PTIMER_WHY_LEN bytes) saying what of timer *bad cannot be
 * saved.
 */
int cpt_compat_ptimers_read(struct task_struct *t, struct pid_namespace *ns,
			    struct cpt_ptimer *p, unsigned int max, u32 *next_id, u32 *bad,
			    char *why)
{
	struct k_itimer *timr;
	unsigned int n = 0;
	int ret = 0;

	*next_id = READ_ONCE(t->signal->next_posix_timer_id);
	/* The timers' pids are looked up (pid_task()) under RCU, not the siglock. */
	rcu_read_lock();
	list_for_each_entry(timr, &t->signal->posix_timers, list) {
		if (n < max) {
			ret = cpt_ptimer_read(t, ns, timr, &p[n], why);
			if (ret) {
				*bad = timr->it_id;
				break;
			}
		}
		n++;
	}
	rcu_read_unlock();
	return ret ?: n;
}

/* Whether the sigqueue is a timer's own, which its timer's record holds. */
bool cpt_compat_sigqueue_is_timers(const struct sigqueue *q)
{
	return q->flags & SIGQUEUE_PREALLOC && q->info.si_code == SI_TIMER;
}

bool cpt_compat_ptimers_none(void)
{
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, true);
	bool none;

	spin_lock_irq(&sighand->siglock);
	none = list_empty(&current->signal->posix_timers);
	spin_unlock_irq(&sighand->siglock);
	return none;
}

/* The id current's next timer_create() gets, when free (only its own threads make timers). */
void cpt_compat_ptimer_set_next_id(u32 id)
{
	WRITE_ONCE(current->signal->next_posix_timer_id, id);
}

/*
 * Only the process's threads delete its timers, and they are the
 * restoring ones: the timer found stays.
 */
static struct k_itimer *cpt_ptimer_find(u32 id)
{
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, true);
	struct k_itimer *timr, *found = NULL;

	spin_lock_irq(&sighand->siglock);
	list_for_each_entry(timr, &current->signal->posix_timers, list)
		if (timr->it_id == id)
			found = timr;
	spin_unlock_irq(&sighand->siglock);
	return found;
}

/*
 * What timer_create() and timer_settime() did not set of current's timer
 * p->id: its overrun count, its clock as the kernel had kept it (a thread's
 * CPU clock made by the thread itself names no thread), and its queued
 * signal, its own sigqueue queued as the timer queues it (send_sigqueue(),
 * under the timer's lock), with the si_overrun it had. The timer is armed:
 * the signal does not re-arm it when delivered (si_sys_private 0).
 */
int cpt_compat_ptimer_finish(const struct cpt_ptimer *p)
{
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, true);
	struct k_itimer *timr = cpt_ptimer_find(p->id);
	unsigned long flags;
	bool queued;
	int ret = 0;

	if (!timr)
		return -ESRCH;
	spin_lock_irqsave(&timr->it_lock, flags);
	timr->it_overrun_last = p->overrun;
	if (timr->it_clock < 0 && p->clock < 0 &&
	    CPUCLOCK_WHICH(timr->it_clock) == CPUCLOCK_WHICH(p->clock) &&
	    CPUCLOCK_PERTHREAD(timr->it_clock) == CPUCLOCK_PERTHREAD(p->clock))
		timr->it_clock = p->clock;
	if (p->signal_pending) {
		spin_lock(&sighand->siglock);
		queued = !list_empty(&timr->sigq->list);
		spin_unlock(&sighand->siglock);
		/*
		 * Unless it expired since it was armed: then its signal is
		 * queued already, and re-arms it when delivered.
		 */
		if (!queued) {
			timr->sigq->info.si_sys_private = 0;
			ret = cpt_sym.send_sigqueue(timr->sigq, timr->it_pid,
						    timr->it_sigev_notify & SIGEV_THREAD_ID ?
						    PIDTYPE_PID : PIDTYPE_TGID);
		}
		if (!ret) {
			spin_lock(&sighand->siglock);
			timr->sigq->info.si_overrun = queued ? timr->sigq->info.si_overrun + 1 : 0;
			timr->sigq->info.si_overrun += p->pending_overrun;
			spin_unlock(&sighand->siglock);
		}
	}
	spin_unlock_irqrestore(&timr->it_lock, flags);
	return ret ? -EAGAIN : 0;
}

/* Arbitrary, far from firing while the check runs. */
#define CPT_CHECK_ID 4321
#define CPT_CHECK_VALUE_NS (1000ULL * NSEC_PER_SEC + 123)
#define CPT_CHECK_INTERVAL_NS (7ULL * NSEC_PER_SEC + 456)
#define CPT_CHECK_SIGEV_VALUE 0x5eedcafeULL
#define CPT_CHECK_OVERRUN 42
/* Time (and CPU time) the loading task may take between the reads. */
#define CPT_CHECK_SLACK_NS (NSEC_PER_SEC / 10)

struct cpt_check_ubuf {
	struct sigevent ev;
	struct __kernel_itimerspec its;
	int id;
};

/* timer_create() then timer_settime() through the user buffer, as a task would. */
static int cpt_check_ptimer_create(struct cpt_ubuf *ub, clockid_t clock,
				   const struct sigevent *ev,
				   const struct __kernel_itimerspec *its, int flags, int *id)
{
	struct cpt_check_ubuf __user *u = (void __user *)ub->addr;
	long ret;

	if (copy_to_user(&u->ev, ev, sizeof(*ev)) || copy_to_user(&u->its, its, sizeof(*its)))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_timer_create, clock, (unsigned long)&u->ev,
		      (unsigned long)&u->id, 0, 0);
	if (!ret && get_user(*id, &u->id))
		ret = -EFAULT;
	if (!ret)
		ret = cpt_sys(cpt_sym.sys_timer_settime, *id, flags, (unsigned long)&u->its, 0, 0);
	return ret;
}

static int cpt_check_ptimer_make(struct cpt_ubuf *ub, clockid_t clock, u32 notify, int *id)
{
	struct sigevent ev = {
		.sigev_value.sival_ptr = (void __user *)(unsigned long)CPT_CHECK_SIGEV_VALUE,
		.sigev_signo = SIGRTMAX,
		.sigev_notify = notify,
	};
	struct __kernel_itimerspec its = {
		.it_value = { CPT_CHECK_VALUE_NS / NSEC_PER_SEC,
			      CPT_CHECK_VALUE_NS % NSEC_PER_SEC },
		.it_interval = { CPT_CHECK_INTERVAL_NS / NSEC_PER_SEC,
				 CPT_CHECK_INTERVAL_NS % NSEC_PER_SEC },
	};

	return cpt_check_ptimer_create(ub, clock, &ev, &its, 0, id);
}

/* timer_gettime()'s time left of timer id. */
static int cpt_check_ptimer_left(struct cpt_ubuf *ub, int id, u64 *left, u64 *interval)
{
	struct cpt_check_ubuf __user *u = (void __user *)ub->addr;
	struct __kernel_itimerspec its = {};
	long ret;

	ret = cpt_sys(cpt_sym.sys_timer_gettime, id, (unsigned long)&u->its, 0, 0, 0);
	if (!ret && copy_from_user(&its, &u->its, sizeof(its)))
		ret = -EFAULT;
	*left = its.it_value.tv_sec * NSEC_PER_SEC + its.it_value.tv_nsec;
	*interval = its.it_interval.tv_sec * NSEC_PER_SEC + its.it_interval.tv_nsec;
	return ret;
}

static int cpt_check_ptimer_compare(const struct cpt_ptimer *p, u64 left, u64 interval,
				    u32 notify, const char *what)
{
	if (p->notify != notify || p->signo != SIGRTMAX ||
	    p->sigev_value != CPT_CHECK_SIGEV_VALUE || p->signal_pending)
		return cpt_compat_fail("%s timer: notify %u signal %u value %#llx pending %d",
				       what, p->notify, p->signo, p->sigev_value,
				       p->signal_pending);
	if (p->interval_ns != interval || interval != CPT_CHECK_INTERVAL_NS ||
	    p->value_ns + CPT_CHECK_SLACK_NS < left || p->value_ns > left + CPT_CHECK_SLACK_NS)
		return cpt_compat_fail("%s timer: %llu ns left, every %llu; gettime: %llu, %llu",
				       what, p->value_ns, p->interval_ns, left, interval);
	return 0;
}

/* The timers made here, read back; the last one's overrun count written. */
static int cpt_check_ptimers_made(struct cpt_ubuf *ub, const int *ids)
{
	static const struct {
		clockid_t clock;
		u32 notify;
		const char *what;
	} made[] = {
		{ CLOCK_MONOTONIC, SIGEV_SIGNAL, "CLOCK_MONOTONIC" },
		{ CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, "CLOCK_PROCESS_CPUTIME_ID" },
		{ CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, "CLOCK_THREAD_CPUTIME_ID" },
	};
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, true);
	struct cpt_ptimer p[ARRAY_SIZE(made)];
	u64 left[ARRAY_SIZE(made)], interval[ARRAY_SIZE(made)];
	char why[CPT_PTIMER_WHY_LEN] = "";
	unsigned int i, j;
	u32 next, bad;
	long ret;
	int n;

	for (i = 0; i < ARRAY_SIZE(made); i++)
		if (cpt_check_ptimer_left(ub, ids[i], &left[i], &interval[i]))
			return cpt_compat_untested("timer_gettime refused");
	spin_lock_irq(&sighand->siglock);
	n = cpt_compat_ptimers_read(current, task_active_pid_ns(current), p, ARRAY_SIZE(p),
				    &next, &bad, why);
	spin_unlock_irq(&sighand->siglock);
	if (n != ARRAY_SIZE(made))
		return cpt_compat_fail("%d timers read (%s), %zu made", n, why,
				       ARRAY_SIZE(made));
	for (i = 0; i < ARRAY_SIZE(made); i++) {
		for (j = 0; j < ARRAY_SIZE(made) && p[j].id != ids[i]; j++)
			;
		if (j == ARRAY_SIZE(made))
			return cpt_compat_fail("timer %d not read", ids[i]);
		ret = cpt_check_ptimer_compare(&p[j], left[i], interval[i], made[i].notify,
					       made[i].what);
		if (ret)
			return ret;
	}
	p[0].overrun = CPT_CHECK_OVERRUN;
	p[0].signal_pending = false;
	if (cpt_compat_ptimer_finish(&p[0]))
		return cpt_compat_fail("timer %u not found to finish", p[0].id);
	ret = cpt_sys(cpt_sym.sys_timer_getoverrun, p[0].id, 0, 0, 0, 0);
	if (ret != CPT_CHECK_OVERRUN)
		return cpt_compat_fail("overrun %d written, timer_getoverrun: %ld",
				       CPT_CHECK_OVERRUN, ret);
	return 0;
}

/* A SIGEV_NONE timer on clock, armed (flags: TIMER_ABSTIME or 0) to value_ns. */
static int cpt_check_ptimer_arm(struct cpt_ubuf *ub, clockid_t clock, int flags, u64 value_ns,
				int *id)
{
	struct sigevent ev = { .sigev_notify = SIGEV_NONE };
	struct __kernel_itimerspec its = {
		.it_value = { div_u64(value_ns, NSEC_PER_SEC), value_ns % NSEC_PER_SEC },
	};

	return cpt_check_ptimer_create(ub, clock, &ev, &its, flags, id);
}

/*
 * Which expiry is absolute: a CLOCK_REALTIME timer armed TIMER_ABSTIME is
 * read with the expiry it was given (its hrtimer on the realtime base), one
 * armed relative with none (on the monotonic base); a CLOCK_REALTIME_ALARM
 * one, where the kernel lets the loading task make one (an RTC, and
 * CAP_WAKE_ALARM), with its alarm's expiry.
 */
static int cpt_check_ptimers_absolute(struct cpt_ubuf *ub)
{
	static const clockid_t clocks[] = { CLOCK_REALTIME, CLOCK_REALTIME, CLOCK_REALTIME_ALARM };
	struct sighand_struct *sighand = rcu_dereference_protected(current->sighand, true);
	u64 at = ktime_get_real_ns() + CPT_CHECK_VALUE_NS;
	int ids[ARRAY_SIZE(clocks)] = { -1, -1, -1 };
	char why[CPT_PTIMER_WHY_LEN] = "";
	struct cpt_ptimer p[ARRAY_SIZE(clocks)];
	long ret = 0;
	u32 next, bad;
	int i, j, n;

	for (i = 0; !ret && i < ARRAY_SIZE(clocks); i++)
		ret = cpt_check_ptimer_arm(ub, clocks[i], i == 1 ? 0 : TIMER_ABSTIME,
					   i == 1 ? CPT_CHECK_VALUE_NS : at, &ids[i]);
	/* i is past the timer refused. No alarm timer here: the others are tested still. */
	if (ret && i == ARRAY_SIZE(clocks) && (ret == -EOPNOTSUPP || ret == -EPERM))
		ret = 0;
	else if (ret)
		ret = cpt_compat_untested("cannot make an absolute timer (%ld)", ret);
	if (!ret) {
		spin_lock_irq(&sighand->siglock);
		n = cpt_compat_ptimers_read(current, task_active_pid_ns(current), p, ARRAY_SIZE(p),
					    &next, &bad, why);
		spin_unlock_irq(&sighand->siglock);
		for (i = 0; i < ARRAY_SIZE(clocks) && n >= 0; i++) {
			for (j = 0; j < n && p[j].id != ids[i]; j++)
				;
			if (ids[i] < 0 || j == n)
				continue;
			if (p[j].absolute_ns != (i == 1 ? 0 : at))
				ret = cpt_compat_fail("timer on clock %d armed %s %llu: read %llu",
						      clocks[i], i == 1 ? "relative" : "at",
						      i == 1 ? CPT_CHECK_VALUE_NS : at,
						      p[j].absolute_ns);
		}
		if (n < 0)
			ret = cpt_compat_fail("absolute timers not read (%d: %s)", n, why);
	}
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		if (ids[i] >= 0)
			cpt_sys(cpt_sym.sys_timer_delete, ids[i], 0, 0, 0, 0);
	return ret;
}

int cpt_check_posix_timers(void)
{
	struct signal_struct *sig = current->signal;
	u32 next = READ_ONCE(sig->next_posix_timer_id);
	int ids[3] = { -1, -1, -1 };
	struct cpt_ubuf ub = {};
	unsigned int i;
	int ret;

	if (!cpt_compat_ptimers_none())
		return cpt_compat_untested("the loading task has POSIX timers");
	ret = cpt_ubuf_get(&ub, sizeof(struct cpt_check_ubuf));
	if (ret)
		return cpt_compat_untested("no user memory for timer_create (%d)", ret);
	cpt_compat_ptimer_set_next_id(CPT_CHECK_ID);
	ret = cpt_check_ptimer_make(&ub, CLOCK_MONOTONIC, SIGEV_SIGNAL, &ids[0]);
	if (!ret)
		ret = cpt_check_ptimer_make(&ub, CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, &ids[1]);
	if (!ret)
		ret = cpt_check_ptimer_make(&ub, CLOCK_THREAD_CPUTIME_ID, SIGEV_SIGNAL, &ids[2]);
	if (ret)
		ret = cpt_compat_untested("cannot make a timer (%d)", ret);
	else if (ids[0] != CPT_CHECK_ID || ids[1] != CPT_CHECK_ID + 1)
		ret = cpt_compat_fail("next id %d set, timers made with ids %d, %d",
				      CPT_CHECK_ID, ids[0], ids[1]);
	else
		ret = cpt_check_ptimers_made(&ub, ids);
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		if (ids[i] >= 0)
			cpt_sys(cpt_sym.sys_timer_delete, ids[i], 0, 0, 0, 0);
	if (!ret)
		ret = cpt_check_ptimers_absolute(&ub);
	cpt_compat_ptimer_set_next_id(next);
	cpt_ubuf_put(&ub);
	return ret;
}
