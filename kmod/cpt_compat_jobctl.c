// SPDX-License-Identifier: GPL-2.0
/*
 * A task's part in job control, as kernel/signal.c keeps it without an
 * interface to read or set it for another task: task->jobctl (a thread's
 * group stop: JOBCTL_STOP_PENDING and _CONSUME while it has yet to stop,
 * JOBCTL_STOPPED once it did, the stop signal in JOBCTL_STOP_SIGMASK), and
 * signal_struct's SIGNAL_STOP_* and SIGNAL_CLD_* flags, group_stop_count
 * and group_exit_code (the stop signal a parent's waitpid(WUNTRACED) has
 * yet to take). A restored group stop is set up as do_signal_stop() leaves
 * it for the threads it asks to stop: each thread stops by itself in
 * get_signal() on its way back to user mode, and the last one counted
 * completes the stop and tells the parent, as it would have.
 *
 * Not checked at load: only a stopping process exercises these fields, and
 * the loading task cannot stop itself. The guest scenario "stopped" does.
 */
#include <linux/sched.h>
#include <linux/sched/jobctl.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>

#include "cpt_compat.h"

/* The stop signals: those whose default action stops the process. */
bool cpt_compat_is_stop_signal(u32 sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

/*
 * Whether t sits in a group stop, switched out: it then stays as still as
 * a parked task until SIGCONT or SIGKILL wakes it (do_signal_stop() sets
 * JOBCTL_STOPPED and TASK_STOPPED before it schedules; a wakeup clears
 * JOBCTL_STOPPED). Off its CPU, its FPU registers are in its fpstate.
 */
bool cpt_compat_job_stopped(struct task_struct *t)
{
	return (READ_ONCE(t->jobctl) & JOBCTL_STOPPED) && !READ_ONCE(t->ptrace) &&
	       (READ_ONCE(t->__state) & __TASK_STOPPED) && !READ_ONCE(t->on_cpu);
}

/* t's part, and its process's where t is the main thread; t's siglock held. */
void cpt_compat_jobctl_read(struct task_struct *t, struct cpt_jobctl *j)
{
	unsigned long jobctl = t->jobctl;
	struct signal_struct *sig = t->signal;

	memset(j, 0, sizeof(*j));
	if (jobctl & (JOBCTL_STOPPED | JOBCTL_STOP_PENDING))
		j->stop_signal = jobctl & JOBCTL_STOP_SIGMASK;
	j->stop_pending = (jobctl & JOBCTL_STOP_PENDING) && (jobctl & JOBCTL_STOP_CONSUME);
	if (!thread_group_leader(t))
		return;
	j->stopped = sig->flags & SIGNAL_STOP_STOPPED;
	j->continued = sig->flags & SIGNAL_STOP_CONTINUED;
	/* group_exit_code is a stop's only while no group exit is under way. */
	if (!(sig->flags & SIGNAL_GROUP_EXIT) && cpt_compat_is_stop_signal(sig->group_exit_code))
		j->stop_report = sig->group_exit_code;
	if (sig->flags & SIGNAL_CLD_CONTINUED)
		j->notify_parent = CLD_CONTINUED;
	else if (sig->flags & SIGNAL_CLD_STOPPED)
		j->notify_parent = CLD_STOPPED;
}

/*
 * Makes t stop on its way back to user mode, in the group stop of
 * j->stop_signal, counted if j->stop_pending; t's siglock held, t not yet
 * running (a restored task waiting for its release). TIF_SIGPENDING is
 * left alone: the recalc_sigpending() of the restored signal mask, once
 * the saved registers are in place, sets it for JOBCTL_STOP_PENDING, and
 * the task stops in get_signal() with its own registers and mask.
 */
void cpt_compat_thread_stop_set(struct task_struct *t, const struct cpt_jobctl *j)
{
	if (!j->stop_signal)
		return;
	t->jobctl &= ~(JOBCTL_STOP_SIGMASK | JOBCTL_STOP_CONSUME);
	t->jobctl |= JOBCTL_STOP_PENDING | j->stop_signal;
	if (j->stop_pending)
		t->jobctl |= JOBCTL_STOP_CONSUME;
}

/*
 * The process's side, from its main thread's j; counting: how many of its
 * threads' stops count. The main thread's siglock held. A notice the
 * parent has yet to get goes out from get_signal() of the main thread.
 */
void cpt_compat_process_stop_set(struct task_struct *leader, const struct cpt_jobctl *j,
				 unsigned int counting)
{
	struct signal_struct *sig = leader->signal;
	unsigned int flags = sig->flags & ~(SIGNAL_STOP_MASK | SIGNAL_CLD_MASK);

	if (j->stopped)
		flags |= SIGNAL_STOP_STOPPED;
	else if (j->continued)
		flags |= SIGNAL_STOP_CONTINUED;
	if (j->notify_parent == CLD_CONTINUED)
		flags |= SIGNAL_CLD_CONTINUED;
	else if (j->notify_parent == CLD_STOPPED)
		flags |= SIGNAL_CLD_STOPPED;
	sig->flags = flags;
	sig->group_stop_count = counting;
	sig->group_exit_code = j->stop_report;
	if (j->notify_parent)
		set_tsk_thread_flag(leader, TIF_SIGPENDING);
}
