// SPDX-License-Identifier: GPL-2.0
/*
 * A task's scheduling and prctl attributes, which a program reads back and
 * expects unchanged: per thread its policy, rt priority and nice value,
 * CPU affinity, I/O priority, timer slack and parent-death signal; per
 * process its oom_score_adj, dumpable and THP-disable flags and interval
 * timers (the child subreaper flag is the tree's: cpt_tree.c; its POSIX
 * timers are saved with these: cpt_posix_timers.c).
 *
 * What the kernel guards, a restart asks of it through its own syscalls,
 * made by the restoring task before it takes the saved credentials: the
 * kernel's rules (sched_setattr's CAP_SYS_NICE, RLIMIT_RTPRIO and
 * RLIMIT_NICE; sched_setaffinity's cpuset; ioprio_set's classes) then judge
 * what the caller may give, as if it set them itself. The rest has no rule
 * of its own (timer slack, THP, the parent-death signal) or follows the
 * one /proc applies (oom_score_adj). commit_creds() resets dumpable and the
 * parent-death signal when the ids change: those come after it.
 *
 * CPU affinity: a mask covering every CPU of the checkpointing machine
 * means every CPU of the restoring one. Otherwise the saved CPUs that do not
 * exist here are left out, as sched_setaffinity() itself leaves out CPUs
 * that are not online or not in the task's cpuset; if none is left the
 * restart is refused, naming the task and its CPUs.
 */
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/cpumask.h>
#include <linux/hrtimer.h>
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/mm.h>
#include <linux/oom.h>
#include <linux/posix-timers.h>
#include <linux/sched.h>
#include <linux/sched/coredump.h>
#include <linux/sched/cputime.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/time.h>
#include <linux/uaccess.h>
#include <uapi/linux/sched/types.h>

#include "cpt_compat.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* The most CPUs an image may name (x86's largest NR_CPUS), and their longest list. */
#define CPT_CPUS_MAX 8192
#define CPT_CPULIST_MAX (CPT_CPUS_MAX * 6)

#define CPT_NR_ITIMERS 3	/* ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF */

struct cpt_itimer {
	bool set;
	u64 value_ns;
	u64 interval_ns;
};

struct cpt_task_attrs {
	bool has_thread;
	u32 policy;
	u32 rt_priority;
	int nice;
	bool reset_on_fork;
	cpumask_var_t cpus;	/* those of the saved CPUs this machine has; NULL: every CPU */
	char *cpulist;		/* the saved CPUs, for messages */
	u32 ioprio;
	u64 timer_slack_ns;
	u64 default_timer_slack_ns;
	u32 pdeath_signal;
	bool has_loginuid;
	u32 loginuid;		/* as /proc shows it: (u32)-1 unset */

	bool has_process;
	int oom_score_adj;
	int oom_score_adj_min;
	u32 dumpable;
	bool thp_disable;
	struct cpt_itimer itimers[CPT_NR_ITIMERS];
	struct cpt_ptimers *ptimers;
};

static bool cpt_policy_known(u32 policy)
{
	return policy == SCHED_NORMAL || policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_BATCH || policy == SCHED_IDLE;
}

static int cpt_save_sched(struct task_struct *t, u32 pid, struct cpt_pb_buf *a)
{
	unsigned int policy = READ_ONCE(t->policy);

	if (!cpt_policy_known(policy)) {
		cpt_note("pid %u: scheduling policy %u%s is not supported\n", pid, policy,
			 policy == SCHED_DEADLINE ? " (SCHED_DEADLINE)" : "");
		return -EOPNOTSUPP;
	}
	cpt_pb_u64(a, CPT_PB_TASK_ATTRS_POLICY, policy);
	cpt_pb_u64(a, CPT_PB_TASK_ATTRS_RT_PRIORITY, READ_ONCE(t->rt_priority));
	cpt_pb_u64(a, CPT_PB_TASK_ATTRS_NICE, (u64)(s64)task_nice(t));
	cpt_pb_u64(a, CPT_PB_TASK_ATTRS_RESET_ON_FORK, t->sched_reset_on_fork);
	return 0;
}

/* The affinity as a CPU list, left out when it is every CPU there is. */
static int cpt_save_cpus(struct task_struct *t, struct cpt_pb_buf *a)
{
	cpumask_var_t mask;
	unsigned long flags;
	char *list;
	int len;

	if (!alloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	raw_spin_lock_irqsave(&t->pi_lock, flags);
	cpumask_copy(mask, &t->cpus_mask);
	raw_spin_unlock_irqrestore(&t->pi_lock, flags);
	if (!cpumask_subset(cpu_possible_mask, mask)) {
		len = snprintf(NULL, 0, "%*pbl", cpumask_pr_args(mask)) + 1;
		list = kmalloc(len, GFP_KERNEL);
		if (!list) {
			free_cpumask_var(mask);
			return -ENOMEM;
		}
		snprintf(list, len, "%*pbl", cpumask_pr_args(mask));
		cpt_pb_string(a, CPT_PB_TASK_ATTRS_CPUS, list);
		kfree(list);
	}
	free_cpumask_var(mask);
	return 0;
}

/* What ioprio_get() gives for the thread alone: 0 when it never set one. */
static u32 cpt_raw_ioprio(struct task_struct *t)
{
	u32 ioprio = IOPRIO_DEFAULT;

	task_lock(t);
	if (t->io_context)
		ioprio = t->io_context->ioprio;
	task_unlock(t);
	return ioprio;
}

static int cpt_save_thread_attrs(struct task_struct *t, u32 pid, struct cpt_pb_buf *msg)
{
	struct cpt_pb_buf a;
	int ret;

	cpt_pb_init(&a);
	ret = cpt_save_sched(t, pid, &a);
	if (!ret)
		ret = cpt_save_cpus(t, &a);
	if (ret) {
		cpt_pb_free(&a);
		return ret;
	}
	cpt_pb_u64(&a, CPT_PB_TASK_ATTRS_IOPRIO, cpt_raw_ioprio(t));
	cpt_pb_u64(&a, CPT_PB_TASK_ATTRS_TIMER_SLACK_NS, t->timer_slack_ns);
	cpt_pb_u64(&a, CPT_PB_TASK_ATTRS_DEFAULT_TIMER_SLACK_NS, t->default_timer_slack_ns);
	cpt_pb_u64(&a, CPT_PB_TASK_ATTRS_PDEATH_SIGNAL, t->pdeath_signal);
	cpt_pb_u64(&a, CPT_PB_TASK_ATTRS_HAS_LOGINUID, 1);
	cpt_pb_u64(&a, CPT_PB_TASK_ATTRS_LOGINUID,
		   from_kuid(current_user_ns(), audit_get_loginuid(t)));
	cpt_pb_message(msg, CPT_PB_TASK_ATTRS, &a);
	return 0;
}

/* Under the process's siglock (cpt_compat_with_siglock()): it[CPT_NR_ITIMERS]. */
static int cpt_read_itimers_locked(struct task_struct *t, void *arg)
{
	struct signal_struct *sig = t->signal;
	struct cpt_itimer *it = arg;
	ktime_t rem;

	rem = __hrtimer_get_remaining(&sig->real_timer, true);
	if (hrtimer_active(&sig->real_timer))
		it[ITIMER_REAL].value_ns = rem > 0 ? rem : NSEC_PER_USEC;
	it[ITIMER_REAL].interval_ns = ktime_to_ns(sig->it_real_incr);
	cpt_compat_itimer_left(t, CPUCLOCK_VIRT, &it[ITIMER_VIRTUAL].value_ns,
			       &it[ITIMER_VIRTUAL].interval_ns);
	cpt_compat_itimer_left(t, CPUCLOCK_PROF, &it[ITIMER_PROF].value_ns,
			       &it[ITIMER_PROF].interval_ns);
	return 0;
}

/*
 * The interval timers as getitimer() would read them: the real one from its
 * hrtimer, the CPU-time ones as their expiry less the process's CPU time
 * (cpt_compat_itimer_left(); checked: task_attrs).
 */
static int cpt_save_itimers(struct task_struct *t, struct cpt_pb_buf *p)
{
	struct cpt_itimer it[CPT_NR_ITIMERS] = {};
	struct cpt_pb_buf one;
	int i, ret;

	ret = cpt_compat_with_siglock(t, cpt_read_itimers_locked, it);
	if (ret)
		return ret;

	for (i = 0; i < CPT_NR_ITIMERS; i++) {
		if (!it[i].value_ns && !it[i].interval_ns)
			continue;
		cpt_pb_init(&one);
		cpt_pb_varint(&one, CPT_PB_ITIMER_WHICH, i);
		cpt_pb_u64(&one, CPT_PB_ITIMER_VALUE_NS, it[i].value_ns);
		cpt_pb_u64(&one, CPT_PB_ITIMER_INTERVAL_NS, it[i].interval_ns);
		cpt_pb_message(p, CPT_PB_PROCESS_ATTRS_ITIMERS, &one);
	}
	return 0;
}

static int cpt_save_process_attrs(struct task_struct *t, struct cpt_pb_buf *msg)
{
	struct cpt_pb_buf p;
	struct mm_struct *mm;
	int ret;

	mm = get_task_mm(t);
	if (!mm)
		return -ESRCH;
	cpt_pb_init(&p);
	cpt_pb_u64(&p, CPT_PB_PROCESS_ATTRS_OOM_SCORE_ADJ,
		   (u64)(s64)READ_ONCE(t->signal->oom_score_adj));
	cpt_pb_u64(&p, CPT_PB_PROCESS_ATTRS_OOM_SCORE_ADJ_MIN,
		   (u64)(s64)READ_ONCE(t->signal->oom_score_adj_min));
	cpt_pb_u64(&p, CPT_PB_PROCESS_ATTRS_DUMPABLE, get_dumpable(mm));
	cpt_pb_u64(&p, CPT_PB_PROCESS_ATTRS_THP_DISABLE,
		   test_bit(MMF_DISABLE_THP, &mm->flags));
	mmput(mm);
	ret = cpt_save_itimers(t, &p);
	if (!ret)
		ret = cpt_posix_timers_save(t, &p);
	if (ret) {
		cpt_pb_free(&p);
		return ret;
	}
	cpt_pb_message(msg, CPT_PB_TASK_PROCESS_ATTRS, &p);
	return 0;
}

/* Called for each task of the tree; the process attributes go with its main thread. */
int cpt_task_attrs_save(struct task_struct *t, u32 pid, struct cpt_pb_buf *msg)
{
	int ret = cpt_save_thread_attrs(t, pid, msg);

	if (!ret && thread_group_leader(t))
		ret = cpt_save_process_attrs(t, msg);
	return ret;
}

/* Reads a signed int32 (a proto3 varint of 64 bits) within [min, max]. */
static void cpt_read_int(struct cpt_pb_reader *r, const struct cpt_pb_field *f, int *out,
			 int min, int max)
{
	u64 raw;
	s64 v;

	if (!cpt_pb_read_u64(r, f, &raw))
		return;
	v = (s64)raw;
	if (v < min || v > max)
		cpt_pb_fail(r, -EBADMSG);
	else
		*out = v;
}

/* A CPU list into a->cpus, limited to the CPUs this machine has. */
static int cpt_decode_cpus(struct cpt_task_attrs *a, const struct cpt_pb_field *f)
{
	unsigned long *bits;
	unsigned int cpu;
	int ret;

	if (a->cpulist || f->wire != CPT_PB_BYTES || f->len > CPT_CPULIST_MAX)
		return -EBADMSG;
	if (!f->len)	/* as if left out: every CPU */
		return 0;
	a->cpulist = kmalloc(f->len + 1, GFP_KERNEL);
	bits = bitmap_zalloc(CPT_CPUS_MAX, GFP_KERNEL);
	ret = a->cpulist && bits && zalloc_cpumask_var(&a->cpus, GFP_KERNEL) ? 0 : -ENOMEM;
	if (!ret)
		ret = cpt_pb_get_string(f, a->cpulist, f->len + 1);
	if (!ret)
		ret = bitmap_parselist(a->cpulist, bits, CPT_CPUS_MAX) ? -EBADMSG : 0;
	if (!ret)
		for_each_set_bit(cpu, bits, CPT_CPUS_MAX)
			if (cpu < nr_cpu_ids && cpu_possible(cpu))
				cpumask_set_cpu(cpu, a->cpus);
	/* Refused when the record is read, leaving the restoring task as it was. */
	if (!ret && cpumask_empty(a->cpus)) {
		cpt_note("CPU affinity %s: none of these CPUs exists here\n", a->cpulist);
		ret = -EOPNOTSUPP;
	}
	bitmap_free(bits);
	return ret;
}

static int cpt_decode_thread_attrs(struct cpt_task_attrs *a, const struct cpt_pb_field *msg)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_subfield(&r, msg, &f) {
		switch (f.num) {
		case CPT_PB_TASK_ATTRS_POLICY:
			cpt_pb_read_u32(&r, &f, &a->policy);
			break;
		case CPT_PB_TASK_ATTRS_RT_PRIORITY:
			cpt_pb_read_u32(&r, &f, &a->rt_priority);
			break;
		case CPT_PB_TASK_ATTRS_NICE:
			cpt_read_int(&r, &f, &a->nice, MIN_NICE, MAX_NICE);
			break;
		case CPT_PB_TASK_ATTRS_RESET_ON_FORK:
			cpt_pb_read_bool(&r, &f, &a->reset_on_fork);
			break;
		case CPT_PB_TASK_ATTRS_CPUS:
			cpt_pb_fail(&r, cpt_decode_cpus(a, &f));
			break;
		case CPT_PB_TASK_ATTRS_IOPRIO:
			cpt_pb_read_u32(&r, &f, &a->ioprio);
			break;
		case CPT_PB_TASK_ATTRS_TIMER_SLACK_NS:
			cpt_pb_read_u64(&r, &f, &a->timer_slack_ns);
			break;
		case CPT_PB_TASK_ATTRS_DEFAULT_TIMER_SLACK_NS:
			cpt_pb_read_u64(&r, &f, &a->default_timer_slack_ns);
			break;
		case CPT_PB_TASK_ATTRS_PDEATH_SIGNAL:
			cpt_pb_read_u32(&r, &f, &a->pdeath_signal);
			break;
		case CPT_PB_TASK_ATTRS_HAS_LOGINUID:
			cpt_pb_read_bool(&r, &f, &a->has_loginuid);
			break;
		case CPT_PB_TASK_ATTRS_LOGINUID:
			cpt_pb_read_u32(&r, &f, &a->loginuid);
			break;
		}
	}
	/*
	 * The rest sched_setattr() and ioprio_set() check themselves. Only an
	 * RT policy has no timer slack (PR_SET_TIMERSLACK 0 means the default).
	 */
	if (!cpt_pb_end(&r) &&
	    (!cpt_policy_known(a->policy) || a->rt_priority > MAX_RT_PRIO - 1 ||
	     a->ioprio > U16_MAX || !valid_signal(a->pdeath_signal) ||
	     (!a->timer_slack_ns && a->policy != SCHED_FIFO && a->policy != SCHED_RR)))
		return -EBADMSG;
	return cpt_pb_end(&r);
}

static int cpt_decode_itimer(struct cpt_task_attrs *a, const struct cpt_pb_field *msg)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	struct cpt_itimer it = { .set = true };
	u32 which = CPT_NR_ITIMERS;

	cpt_pb_for_each_subfield(&r, msg, &f) {
		if (f.num == CPT_PB_ITIMER_WHICH)
			cpt_pb_read_u32(&r, &f, &which);
		else if (f.num == CPT_PB_ITIMER_VALUE_NS)
			cpt_pb_read_u64(&r, &f, &it.value_ns);
		else if (f.num == CPT_PB_ITIMER_INTERVAL_NS)
			cpt_pb_read_u64(&r, &f, &it.interval_ns);
	}
	if (cpt_pb_end(&r) || which >= CPT_NR_ITIMERS || a->itimers[which].set ||
	    it.value_ns > KTIME_MAX || it.interval_ns > KTIME_MAX)
		return -EBADMSG;
	a->itimers[which] = it;
	return 0;
}

static int cpt_decode_process_attrs(struct cpt_task_attrs *a, const struct cpt_pb_field *msg)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_subfield(&r, msg, &f) {
		switch (f.num) {
		case CPT_PB_PROCESS_ATTRS_OOM_SCORE_ADJ:
			cpt_read_int(&r, &f, &a->oom_score_adj, OOM_SCORE_ADJ_MIN,
				     OOM_SCORE_ADJ_MAX);
			break;
		case CPT_PB_PROCESS_ATTRS_OOM_SCORE_ADJ_MIN:
			cpt_read_int(&r, &f, &a->oom_score_adj_min, OOM_SCORE_ADJ_MIN,
				     OOM_SCORE_ADJ_MAX);
			break;
		case CPT_PB_PROCESS_ATTRS_DUMPABLE:
			cpt_pb_read_u32(&r, &f, &a->dumpable);
			break;
		case CPT_PB_PROCESS_ATTRS_THP_DISABLE:
			cpt_pb_read_bool(&r, &f, &a->thp_disable);
			break;
		case CPT_PB_PROCESS_ATTRS_ITIMERS:
			cpt_pb_fail(&r, cpt_decode_itimer(a, &f));
			break;
		case CPT_PB_PROCESS_ATTRS_POSIX_TIMERS:
		case CPT_PB_PROCESS_ATTRS_NEXT_POSIX_TIMER_ID:
			cpt_pb_fail(&r, cpt_posix_timers_decode(&a->ptimers, &f));
			break;
		}
	}
	if (!cpt_pb_end(&r) && a->dumpable > SUID_DUMP_ROOT)
		return -EBADMSG;
	return cpt_pb_end(&r);
}

/* One of the TASK record's attribute messages, into *attrs (allocated by the first). */
int cpt_task_attrs_decode(struct cpt_task_attrs **attrs, const struct cpt_pb_field *f)
{
	struct cpt_task_attrs *a = cpt_pb_state(attrs);

	if (!a)
		return -ENOMEM;
	if (f->num == CPT_PB_TASK_ATTRS) {
		if (a->has_thread)
			return -EBADMSG;
		a->has_thread = true;
		return cpt_decode_thread_attrs(a, f);
	}
	if (a->has_process)
		return -EBADMSG;
	a->has_process = true;
	return cpt_decode_process_attrs(a, f);
}

/* What of the attributes names other tasks of the tree, checked against it when read. */
int cpt_task_attrs_check_tree(const struct cpt_task_attrs *a, struct cpt_session *s)
{
	return a ? cpt_posix_timers_check_tree(a->ptimers, s) : 0;
}

/*
 * What of the attributes the restarting caller could not set itself,
 * checked when the TASK record is read, before anything changed. Anyone may
 * set dumpable 0 or 1 (prctl(PR_SET_DUMPABLE)); SUID_DUMP_ROOT only comes
 * from a change of credentials under fs.suid_dumpable = 2, which the
 * administrator chose, and its core dump is written as global root
 * (do_coredump()): that takes CAP_SYS_ADMIN.
 */
int cpt_task_attrs_check_caller(const struct cpt_task_attrs *a, pid_t pid)
{
	if (a && a->has_process && a->dumpable == SUID_DUMP_ROOT && !capable(CAP_SYS_ADMIN)) {
		cpt_note("pid %d: dumpable %u (SUID_DUMP_ROOT: dumped as root) needs %s\n",
			 pid, a->dumpable, "CAP_SYS_ADMIN");
		return -EPERM;
	}
	return 0;
}

void cpt_task_attrs_free(struct cpt_task_attrs *a)
{
	if (!a)
		return;
	free_cpumask_var(a->cpus);
	kfree(a->cpulist);
	cpt_posix_timers_free(a->ptimers);
	kfree(a);
}

/* sched_setattr(0, attr, 0) in the restoring task, with the kernel's checks. */
static int cpt_sched_setattr(struct cpt_ubuf *ub, u32 policy, u32 prio, int nice, u64 flags)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = policy,
		.sched_flags = flags,
		.sched_nice = nice,
		.sched_priority = prio,
	};

	if (copy_to_user((void __user *)ub->addr, &attr, sizeof(attr)))
		return -EFAULT;
	return cpt_sys(cpt_sym.sys_sched_setattr, 0, ub->addr, 0, 0, 0);
}

/*
 * sched_setattr() sets the nice value of SCHED_NORMAL and SCHED_BATCH
 * only: for the other policies it is set first, under SCHED_NORMAL, as by
 * a program that called setpriority() before sched_setscheduler().
 */
static int cpt_apply_sched(const struct cpt_task_attrs *a, struct cpt_ubuf *ub, pid_t pid)
{
	u64 flags = a->reset_on_fork ? SCHED_FLAG_RESET_ON_FORK : 0;
	bool fair = a->policy == SCHED_NORMAL || a->policy == SCHED_BATCH;
	int ret;

	ret = cpt_sched_setattr(ub, fair ? a->policy : SCHED_NORMAL, 0, a->nice, fair ? flags : 0);
	if (!ret && !fair)
		ret = cpt_sched_setattr(ub, a->policy, a->rt_priority, 0, flags);
	if (ret)
		cpt_note("pid %d: scheduling policy %u priority %u nice %d refused: %d%s\n",
			 pid, a->policy, a->rt_priority, a->nice, ret,
			 ret == -EPERM ? " (needs CAP_SYS_NICE, RLIMIT_RTPRIO, RLIMIT_NICE)" : "");
	return ret;
}

static int cpt_apply_cpus(const struct cpt_task_attrs *a, struct cpt_ubuf *ub, pid_t pid)
{
	const struct cpumask *mask = a->cpulist ? a->cpus : cpu_possible_mask;
	long ret;

	if (copy_to_user((void __user *)ub->addr, cpumask_bits(mask), cpumask_size()))
		return -EFAULT;
	ret = cpt_sys(cpt_sym.sys_sched_setaffinity, 0, cpumask_size(), ub->addr, 0, 0);
	if (ret)
		cpt_note("pid %d: cannot take CPU affinity %*pbl: %ld (sched_setaffinity)\n",
			 pid, cpumask_pr_args(mask), ret);
	return ret;
}

static int cpt_apply_ioprio(const struct cpt_task_attrs *a, pid_t pid)
{
	long ret;

	if (cpt_raw_ioprio(current) == a->ioprio)
		return 0;
	ret = cpt_sys(cpt_sym.sys_ioprio_set, IOPRIO_WHO_PROCESS, 0, a->ioprio, 0, 0);
	if (ret)
		cpt_note("pid %d: cannot take I/O priority class %u level %u: %ld (ioprio_set)\n",
			 pid, a->ioprio >> IOPRIO_CLASS_SHIFT,
			 (u32)(a->ioprio & IOPRIO_PRIO_MASK), ret);
	return ret;
}

/*
 * As fs/proc/base.c's __set_oom_adj() allows: without CAP_SYS_RESOURCE no
 * lower than the caller's oom_score_adj_min, which only goes up.
 */
static int cpt_apply_oom(const struct cpt_task_attrs *a, pid_t pid)
{
	struct signal_struct *sig = current->signal;
	int min = READ_ONCE(sig->oom_score_adj_min);

	if ((a->oom_score_adj < min || a->oom_score_adj_min < min) &&
	    !capable(CAP_SYS_RESOURCE)) {
		cpt_note("pid %d: oom_score_adj %d (min %d) < caller's %d needs CAP_SYS_RESOURCE\n",
			 pid, a->oom_score_adj, a->oom_score_adj_min, min);
		return -EACCES;
	}
	WRITE_ONCE(sig->oom_score_adj, a->oom_score_adj);
	WRITE_ONCE(sig->oom_score_adj_min, a->oom_score_adj_min);
	return 0;
}

/* As prctl(PR_SET_THP_DISABLE) does it. */
static int cpt_apply_thp(const struct cpt_task_attrs *a)
{
	struct mm_struct *mm = current->mm;

	if (mmap_write_lock_killable(mm))
		return -EINTR;
	if (a->thp_disable)
		set_bit(MMF_DISABLE_THP, &mm->flags);
	else
		clear_bit(MMF_DISABLE_THP, &mm->flags);
	mmap_write_unlock(mm);
	return 0;
}

/*
 * setitimer() so that each timer has the time it had left at the checkpoint,
 * rounded up to its microseconds.
 */
static int cpt_apply_itimers(const struct cpt_task_attrs *a, struct cpt_ubuf *ub, pid_t pid)
{
	struct __kernel_old_itimerval v;
	long ret;
	int i;

	for (i = 0; i < CPT_NR_ITIMERS; i++) {
		const struct cpt_itimer *it = &a->itimers[i];
		u64 value_us = DIV_ROUND_UP_ULL(cpt_compat_itimer_arm_value(i, it->value_ns),
						NSEC_PER_USEC);
		u64 interval_us = DIV_ROUND_UP_ULL(it->interval_ns, NSEC_PER_USEC);

		if (!it->set)
			continue;
		v.it_value.tv_sec = div_u64(value_us, USEC_PER_SEC);
		v.it_value.tv_usec = value_us % USEC_PER_SEC;
		v.it_interval.tv_sec = div_u64(interval_us, USEC_PER_SEC);
		v.it_interval.tv_usec = interval_us % USEC_PER_SEC;
		if (copy_to_user((void __user *)ub->addr, &v, sizeof(v)))
			return -EFAULT;
		ret = cpt_sys(cpt_sym.sys_setitimer, i, ub->addr, 0, 0, 0);
		if (ret) {
			cpt_note("pid %d: cannot arm interval timer %d: %ld\n", pid, i, ret);
			return ret;
		}
	}
	return 0;
}

static int cpt_apply_process_attrs(const struct cpt_task_attrs *a, struct cpt_ubuf *ub,
				   pid_t pid)
{
	int ret;

	if (!thread_group_leader(current)) {
		cpt_note("pid %d: a thread's record has its process's attributes\n", pid);
		return -EBADMSG;
	}
	ret = cpt_apply_oom(a, pid);
	if (!ret)
		ret = cpt_apply_thp(a);
	if (!ret)
		ret = cpt_apply_itimers(a, ub, pid);
	/* Its threads are there, parked: a timer may signal one of them. */
	if (!ret)
		ret = cpt_posix_timers_apply(a->ptimers, pid);
	return ret;
}

/*
 * Applied to the restoring task before it takes the saved credentials, so
 * that the kernel checks what the restarting caller may set.
 */
/*
 * The audit loginuid, set by the kernel's own audit_set_loginuid() with
 * the restoring caller's rights, as a write to /proc/self/loginuid: free
 * while the task's is unset, else with CAP_AUDIT_CONTROL, never when audit
 * made it immutable. It starts a new audit session: the session id is not
 * the saved one. An unchanged one is left alone.
 */
static int cpt_apply_loginuid(const struct cpt_task_attrs *a, pid_t pid)
{
	kuid_t uid = make_kuid(current_user_ns(), a->loginuid);
	int ret;

	if (!a->has_loginuid || uid_eq(uid, audit_get_loginuid(current)))
		return 0;
	if (!uid_valid(uid) && a->loginuid != (u32)-1)
		ret = -EINVAL;
	else
		ret = cpt_sym.audit_set_loginuid(uid);
	if (ret)
		cpt_note("pid %d: cannot restore loginuid %u: %d (CAP_AUDIT_CONTROL? immutable?)\n",
			 pid, a->loginuid, ret);
	return ret;
}

int cpt_task_attrs_apply(const struct cpt_task_attrs *a)
{
	pid_t pid = task_pid_vnr(current);
	struct cpt_ubuf ub = {};
	int ret;

	if (!a)
		return 0;
	ret = cpt_ubuf_get(&ub, max3(sizeof(struct sched_attr), (size_t)cpumask_size(),
				     sizeof(struct __kernel_old_itimerval)));
	if (ret)
		return ret;
	if (a->has_thread) {
		ret = cpt_apply_sched(a, &ub, pid);
		if (!ret)
			ret = cpt_apply_cpus(a, &ub, pid);
		if (!ret)
			ret = cpt_apply_ioprio(a, pid);
		if (!ret)
			ret = cpt_apply_loginuid(a, pid);
		/* After the policy, which sets it to 0 for an RT one: as it was saved. */
		if (!ret) {
			current->timer_slack_ns = a->timer_slack_ns;
			current->default_timer_slack_ns = a->default_timer_slack_ns;
		}
	}
	if (!ret && a->has_process)
		ret = cpt_apply_process_attrs(a, &ub, pid);
	cpt_ubuf_put(&ub);
	return ret;
}

/*
 * After commit_creds(), which resets both when the ids change (as after a
 * setuid exec): the values of prctl(PR_SET_PDEATHSIG) and the mm's dumpable
 * bits, as set_dumpable() sets them (checked: task_attrs).
 */
void cpt_task_attrs_apply_after_creds(const struct cpt_task_attrs *a)
{
	if (!a)
		return;
	if (a->has_thread)
		current->pdeath_signal = a->pdeath_signal;
	if (a->has_process)
		cpt_compat_set_dumpable(current->mm, a->dumpable);
}
