// SPDX-License-Identifier: GPL-2.0
/*
 * A process's POSIX timers (timer_create), saved with its attributes
 * (ProcessAttrs, cpt_task_attrs.c): each timer's id, clock, notification
 * (SIGEV_SIGNAL, SIGEV_THREAD_ID with its thread, SIGEV_NONE, SIGEV_THREAD
 * as the kernel knows it: a signal), the time it had left and its
 * interval, its overrun count and its signal if it was queued; and the id
 * the process's next timer would get.
 *
 * A restart makes each timer with the kernel's own syscalls, in the
 * restoring process's main thread once its threads are there:
 * timer_create() with the id it had (the process's next id set to it
 * first: cpt_compat_ptimer_set_next_id(), no create-and-delete loop),
 * which checks the notification itself (a thread signalled must be one of
 * the process's: a timer gives no more than the caller could get), then
 * timer_settime() with the time left, relative, as interval timers are
 * armed. A timer's own queued signal is queued again as its own sigqueue
 * (the signals record does not hold it), so that the kernel pairs it with
 * its timer as before: a second expiry counts an overrun on it rather than
 * queueing another. The timer runs on meanwhile instead of waiting for the
 * delivery to re-arm it; the overruns it misses are counted at its next
 * expiry's.
 *
 * A timer whose expiry the wall clock moves (CLOCK_REALTIME armed with
 * TIMER_ABSTIME, CLOCK_TAI, CLOCK_REALTIME_ALARM) is saved with its expiry
 * on its clock and re-armed there with TIMER_ABSTIME: it fires when the
 * clock reaches it, however the clock moved meanwhile. An alarm timer is
 * made by timer_create() as any other, before the restoring task takes the
 * saved credentials: the kernel gives one only to a caller with
 * CAP_WAKE_ALARM.
 *
 * Refused at checkpoint, naming the timer: CPU-time clocks of another
 * process, those other than CPUCLOCK_SCHED (made only with a hand-built
 * clock id), and a timer whose thread is gone.
 */
#include <linux/limits.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/posix-timers.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/time.h>
#include <linux/uaccess.h>

#include "cpt_compat.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* The most timers an image may give a process (RLIMIT_SIGPENDING bounds them first). */
#define CPT_PTIMERS_MAX 65536
#define CPT_PTIMERS_TRIES 4

struct cpt_ptimers {
	struct cpt_ptimer *timers;
	unsigned int nr;
	unsigned int room;
	u32 next_id;
};

/* What cpt_ptimers_read_locked() reads into, and why a timer is refused. */
struct cpt_ptimers_read {
	struct pid_namespace *ns;
	struct cpt_ptimers *pt;
	unsigned int room;		/* of pt->timers */
	u32 bad;			/* the timer refused */
	char why[CPT_PTIMER_WHY_LEN];
};

/* Under the process's siglock (cpt_compat_with_siglock()). */
static int cpt_ptimers_read_locked(struct task_struct *t, void *arg)
{
	struct cpt_ptimers_read *rd = arg;

	return cpt_compat_ptimers_read(t, rd->ns, rd->pt->timers, rd->room, &rd->pt->next_id,
				       &rd->bad, rd->why);
}

/* The process's timers, read under its siglock: the tree is frozen, one retry at most. */
static int cpt_ptimers_snapshot(struct task_struct *t, struct cpt_ptimers *pt)
{
	struct cpt_ptimers_read rd = { .ns = task_active_pid_ns(t), .pt = pt, .room = 8 };
	int tries, n;

	for (tries = 0; tries < CPT_PTIMERS_TRIES; tries++) {
		pt->timers = kvcalloc(rd.room, sizeof(*pt->timers), GFP_KERNEL_ACCOUNT);
		if (!pt->timers)
			return -ENOMEM;
		n = cpt_compat_with_siglock(t, cpt_ptimers_read_locked, &rd);
		if (n == -EOPNOTSUPP)
			cpt_note("pid %d: POSIX timer %u: %s\n", task_pid_nr_ns(t, rd.ns), rd.bad,
				 rd.why);
		if (n < 0)
			return n;
		if (n <= rd.room) {
			pt->nr = n;
			return 0;
		}
		kvfree(pt->timers);
		pt->timers = NULL;
		rd.room = n + 8;
	}
	return -EAGAIN;
}

static void cpt_ptimer_encode(struct cpt_pb_buf *p, const struct cpt_ptimer *tm)
{
	struct cpt_pb_buf one;

	cpt_pb_init(&one);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_ID, tm->id);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_CLOCK, (u64)(s64)tm->clock);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_NOTIFY, tm->notify);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_SIGNO, tm->signo);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_SIGEV_VALUE, tm->sigev_value);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_NOTIFY_THREAD, tm->notify_thread);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_CLOCK_THREAD, tm->clock_thread);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_VALUE_NS, tm->value_ns);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_INTERVAL_NS, tm->interval_ns);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_OVERRUN, tm->overrun);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_SIGNAL_PENDING, tm->signal_pending);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_PENDING_OVERRUN, tm->pending_overrun);
	cpt_pb_u64(&one, CPT_PB_POSIX_TIMER_ABSOLUTE_NS, tm->absolute_ns);
	cpt_pb_message(p, CPT_PB_PROCESS_ATTRS_POSIX_TIMERS, &one);
}

static int cpt_ptimer_cmp_id(const void *a, const void *b)
{
	const struct cpt_ptimer *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* Into a ProcessAttrs message p: the process's timers, by id, and its next id. */
int cpt_posix_timers_save(struct task_struct *t, struct cpt_pb_buf *p)
{
	struct cpt_ptimers pt = {};
	unsigned int i;
	int ret;

	ret = cpt_ptimers_snapshot(t, &pt);
	if (!ret) {
		sort(pt.timers, pt.nr, sizeof(*pt.timers), cpt_ptimer_cmp_id, NULL);
		for (i = 0; i < pt.nr; i++)
			cpt_ptimer_encode(p, &pt.timers[i]);
		cpt_pb_u64(p, CPT_PB_PROCESS_ATTRS_NEXT_POSIX_TIMER_ID, pt.next_id);
	}
	kvfree(pt.timers);
	return ret;
}

static bool cpt_ptimer_clock_ok(const struct cpt_ptimer *tm)
{
	clockid_t clock = tm->clock;

	if (clock >= 0)
		return clock == CLOCK_REALTIME || clock == CLOCK_MONOTONIC ||
		       clock == CLOCK_BOOTTIME || clock == CLOCK_TAI ||
		       clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM;
	if (CPUCLOCK_WHICH(clock) != CPUCLOCK_SCHED || CPUCLOCK_PID(clock) < 0)
		return false;
	/* A thread's clock names its thread, or none when the thread made it itself. */
	if (CPUCLOCK_PERTHREAD(clock))
		return tm->clock_thread && tm->clock_thread <= PID_MAX_LIMIT &&
		       (!CPUCLOCK_PID(clock) || CPUCLOCK_PID(clock) == tm->clock_thread);
	return !tm->clock_thread;
}

/* An absolute expiry: armed, on a clock the wall clock moves, as a ktime. */
static bool cpt_ptimer_absolute_ok(const struct cpt_ptimer *tm)
{
	if (!tm->absolute_ns)
		return true;
	return tm->value_ns && tm->absolute_ns <= KTIME_MAX &&
	       (tm->clock == CLOCK_REALTIME || tm->clock == CLOCK_TAI ||
		tm->clock == CLOCK_REALTIME_ALARM);
}

static bool cpt_ptimer_notify_ok(const struct cpt_ptimer *tm)
{
	switch (tm->notify) {
	case SIGEV_SIGNAL | SIGEV_THREAD_ID:
		return tm->notify_thread && tm->notify_thread <= PID_MAX_LIMIT;
	case SIGEV_NONE:
		return !tm->notify_thread && !tm->signal_pending;
	case SIGEV_SIGNAL:
	case SIGEV_THREAD:
		return !tm->notify_thread;
	}
	return false;
}

static int cpt_ptimer_decode(struct cpt_ptimers *pt, const struct cpt_pb_field *msg)
{
	struct cpt_ptimer tm = {};
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u64 clock = 0;
	void *grown;

	cpt_pb_for_each_subfield(&r, msg, &f) {
		switch (f.num) {
		case CPT_PB_POSIX_TIMER_ID:
			cpt_pb_read_u32(&r, &f, &tm.id);
			break;
		case CPT_PB_POSIX_TIMER_CLOCK:
			cpt_pb_read_u64(&r, &f, &clock);
			break;
		case CPT_PB_POSIX_TIMER_NOTIFY:
			cpt_pb_read_u32(&r, &f, &tm.notify);
			break;
		case CPT_PB_POSIX_TIMER_SIGNO:
			cpt_pb_read_u32(&r, &f, &tm.signo);
			break;
		case CPT_PB_POSIX_TIMER_SIGEV_VALUE:
			cpt_pb_read_u64(&r, &f, &tm.sigev_value);
			break;
		case CPT_PB_POSIX_TIMER_NOTIFY_THREAD:
			cpt_pb_read_u32(&r, &f, &tm.notify_thread);
			break;
		case CPT_PB_POSIX_TIMER_CLOCK_THREAD:
			cpt_pb_read_u32(&r, &f, &tm.clock_thread);
			break;
		case CPT_PB_POSIX_TIMER_VALUE_NS:
			cpt_pb_read_u64(&r, &f, &tm.value_ns);
			break;
		case CPT_PB_POSIX_TIMER_INTERVAL_NS:
			cpt_pb_read_u64(&r, &f, &tm.interval_ns);
			break;
		case CPT_PB_POSIX_TIMER_OVERRUN:
			cpt_pb_read_u32(&r, &f, &tm.overrun);
			break;
		case CPT_PB_POSIX_TIMER_SIGNAL_PENDING:
			cpt_pb_read_bool(&r, &f, &tm.signal_pending);
			break;
		case CPT_PB_POSIX_TIMER_PENDING_OVERRUN:
			cpt_pb_read_u32(&r, &f, &tm.pending_overrun);
			break;
		case CPT_PB_POSIX_TIMER_ABSOLUTE_NS:
			cpt_pb_read_u64(&r, &f, &tm.absolute_ns);
			break;
		}
	}
	if (cpt_pb_end(&r))
		return cpt_pb_end(&r);
	tm.clock = (s32)clock;
	if ((s64)clock != tm.clock || tm.id > INT_MAX || !cpt_ptimer_clock_ok(&tm) ||
	    !cpt_ptimer_notify_ok(&tm) || !cpt_ptimer_absolute_ok(&tm) ||
	    tm.value_ns > KTIME_MAX || tm.interval_ns > KTIME_MAX ||
	    tm.overrun > INT_MAX || tm.pending_overrun > INT_MAX ||
	    (tm.pending_overrun && !tm.signal_pending)) {
		cpt_note("image: POSIX timer %u: bad clock %lld, notification %u or values\n",
			 tm.id, (s64)clock, tm.notify);
		return -EBADMSG;
	}
	if (pt->nr == pt->room) {
		if (pt->room >= CPT_PTIMERS_MAX) {
			cpt_note("image: more than %d POSIX timers\n", CPT_PTIMERS_MAX);
			return -EBADMSG;
		}
		grown = kvrealloc(pt->timers, pt->room * sizeof(tm),
				  (pt->room ? 2 * pt->room : 8) * sizeof(tm), GFP_KERNEL_ACCOUNT);
		if (!grown)
			return -ENOMEM;
		pt->timers = grown;
		pt->room = pt->room ? 2 * pt->room : 8;
	}
	pt->timers[pt->nr++] = tm;
	return 0;
}

/* A ProcessAttrs field of the timers (a timer, or the next id) into *ptimers. */
int cpt_posix_timers_decode(struct cpt_ptimers **ptimers, const struct cpt_pb_field *f)
{
	struct cpt_ptimers *pt = cpt_pb_state(ptimers);

	if (!pt)
		return -ENOMEM;
	if (f->num == CPT_PB_PROCESS_ATTRS_POSIX_TIMERS)
		return cpt_ptimer_decode(pt, f);
	if (cpt_pb_get_u32(f, &pt->next_id) || pt->next_id > INT_MAX)
		return -EBADMSG;
	return 0;
}

/* Whether tid is a live thread of the process s->cur leads, in the image's tree. */
static bool cpt_ptimer_own_thread(struct cpt_session *s, u32 tid)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pid == tid)
			return !s->tasks[i].zombie && s->tasks[i].tgid == s->cur->pid;
	return false;
}

/*
 * When the record is read, with a message, rather than when the timers are
 * made (where timer_create() would refuse them too, the task already past
 * its point of no return): a timer signals, or counts the CPU time of,
 * only the process's own threads.
 */
int cpt_posix_timers_check_tree(const struct cpt_ptimers *pt, struct cpt_session *s)
{
	const struct cpt_ptimer *tm;
	unsigned int i;
	pid_t upid;

	for (i = 0; pt && i < pt->nr; i++) {
		tm = &pt->timers[i];
		upid = tm->clock < 0 ? CPUCLOCK_PID(tm->clock) : 0;
		if (tm->notify_thread && !cpt_ptimer_own_thread(s, tm->notify_thread)) {
			cpt_note("pid %u: POSIX timer %u signals thread %u, not the process's\n",
				 s->cur->pid, tm->id, tm->notify_thread);
			return -EINVAL;
		}
		if (tm->clock_thread ? !cpt_ptimer_own_thread(s, tm->clock_thread) :
				       upid && upid != s->cur->pid) {
			cpt_note("pid %u: POSIX timer %u: the CPU-time clock of pid %d %s\n",
				 s->cur->pid, tm->id, tm->clock_thread ?: upid,
				 "(another process)");
			return -EINVAL;
		}
	}
	return 0;
}

void cpt_posix_timers_free(struct cpt_ptimers *pt)
{
	if (!pt)
		return;
	kvfree(pt->timers);
	kfree(pt);
}

/* What the syscalls read and write, in the restoring task's memory. */
struct cpt_ptimer_ubuf {
	struct sigevent ev;
	struct __kernel_itimerspec its;
	int id;
};

/* timer_create() as the process made it, with the id it had. */
static int cpt_ptimer_create(const struct cpt_ptimer *tm, struct cpt_ptimer_ubuf __user *u,
			     pid_t pid)
{
	clockid_t clock = tm->clock;
	struct sigevent ev = {
		.sigev_value.sival_ptr = (void __user *)(unsigned long)tm->sigev_value,
		.sigev_signo = tm->signo,
		.sigev_notify = tm->notify,
	};
	const char *why = "";
	bool alarm;
	long ret;
	int id;

	ev.sigev_notify_thread_id = tm->notify_thread;
	/* A thread's clock made by the thread itself: made here, it names the thread. */
	if (clock < 0 && CPUCLOCK_PERTHREAD(clock)) {
		clock = make_thread_cpuclock(tm->clock_thread, CPUCLOCK_WHICH(clock));
	} else if (clock < 0 && CPUCLOCK_PID(clock) &&
		   CPUCLOCK_PID(clock) != task_tgid_vnr(current)) {
		cpt_note("pid %d: POSIX timer %u: the CPU-time clock of pid %d (another process)\n",
			 pid, tm->id, CPUCLOCK_PID(clock));
		return -EINVAL;
	}
	if (copy_to_user(&u->ev, &ev, sizeof(ev)))
		return -EFAULT;
	cpt_compat_ptimer_set_next_id(tm->id);
	ret = cpt_sys(cpt_sym.sys_timer_create, clock, (unsigned long)&u->ev,
		      (unsigned long)&u->id, 0, 0);
	if (!ret && get_user(id, &u->id))
		ret = -EFAULT;
	if (ret) {
		alarm = clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM;
		if (alarm && ret == -EPERM)
			why = " (an alarm clock: the caller lacks CAP_WAKE_ALARM)";
		else if (alarm && ret == -EOPNOTSUPP)
			why = " (an alarm clock: no RTC here)";
		cpt_note("pid %d: POSIX timer %u on clock %d: timer_create: %ld%s\n", pid, tm->id,
			 tm->clock, ret, why);
		return ret;
	}
	if ((u32)id != tm->id) {
		cpt_note("pid %d: POSIX timer %u: made with id %d (the image has it twice?)\n",
			 pid, tm->id, id);
		return -EEXIST;
	}
	return 0;
}

static int cpt_ptimer_make(const struct cpt_ptimer *tm, struct cpt_ptimer_ubuf __user *u,
			   pid_t pid)
{
	struct __kernel_itimerspec its = {
		.it_value = { div_u64(tm->value_ns, NSEC_PER_SEC), tm->value_ns % NSEC_PER_SEC },
		.it_interval = { div_u64(tm->interval_ns, NSEC_PER_SEC),
				 tm->interval_ns % NSEC_PER_SEC },
	};
	long ret;

	int flags = 0;

	ret = cpt_ptimer_create(tm, u, pid);
	if (ret)
		return ret;
	if (tm->absolute_ns) {
		its.it_value.tv_sec = div_u64(tm->absolute_ns, NSEC_PER_SEC);
		its.it_value.tv_nsec = tm->absolute_ns % NSEC_PER_SEC;
		flags = TIMER_ABSTIME;
	}
	if (tm->value_ns) {
		if (copy_to_user(&u->its, &its, sizeof(its)))
			return -EFAULT;
		ret = cpt_sys(cpt_sym.sys_timer_settime, tm->id, flags, (unsigned long)&u->its, 0,
			      0);
		if (ret) {
			cpt_note("pid %d: POSIX timer %u: timer_settime: %ld\n", pid, tm->id, ret);
			return ret;
		}
	}
	ret = cpt_compat_ptimer_finish(tm);
	if (ret)
		cpt_note("pid %d: POSIX timer %u: cannot queue its signal %u: %ld\n", pid, tm->id,
			 tm->signo, ret);
	return ret;
}

/*
 * In the restoring process's main thread, its threads there: each timer,
 * then the next id. The process has none of its own (a fresh fork).
 */
int cpt_posix_timers_apply(const struct cpt_ptimers *pt, pid_t pid)
{
	struct cpt_ubuf ub = {};
	unsigned int i;
	int ret;

	if (!pt)
		return 0;
	if (!cpt_compat_ptimers_none()) {
		cpt_note("pid %d: the restoring process has POSIX timers of its own\n", pid);
		return -EBUSY;
	}
	ret = cpt_ubuf_get(&ub, sizeof(struct cpt_ptimer_ubuf));
	if (ret)
		return ret;
	for (i = 0; !ret && i < pt->nr; i++)
		ret = cpt_ptimer_make(&pt->timers[i], (void __user *)ub.addr, pid);
	cpt_ubuf_put(&ub);
	if (!ret)
		cpt_compat_ptimer_set_next_id(pt->next_id);
	return ret;
}
