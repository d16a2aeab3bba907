// SPDX-License-Identifier: GPL-2.0
/*
 * Job control across a checkpoint and restart: a process stopped by
 * SIGSTOP, SIGTSTP, SIGTTIN or SIGTTOU comes back stopped, each thread
 * where it was in the group stop, and its parent's waitpid() finds the
 * reports (WUNTRACED, WCONTINUED) it had not taken yet. The state goes in
 * each thread's Task record (the process's in its main thread's), read
 * with the siglock; a restart sets it up for the whole tree at once, as
 * FINALIZE releases it, before any restored task runs (a SIGCONT from
 * another must find it stopped). The kernel's side is cpt_compat_jobctl.c.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"

static int cpt_jobctl_read_locked(struct task_struct *t, void *arg)
{
	cpt_compat_jobctl_read(t, arg);
	return 0;
}

static bool cpt_jobctl_has_process_state(const struct cpt_jobctl *j)
{
	return j->stopped || j->stop_report || j->continued || j->notify_parent;
}

int cpt_jobctl_save(struct task_struct *t, struct cpt_pb_buf *msg)
{
	struct cpt_pb_buf process;
	struct cpt_jobctl j;
	int ret;

	ret = cpt_compat_with_siglock(t, cpt_jobctl_read_locked, &j);
	if (ret)
		return ret;
	if (j.stop_signal)
		cpt_pb_u64(msg, CPT_PB_TASK_STOP_SIGNAL, j.stop_signal);
	if (j.stop_pending)
		cpt_pb_u64(msg, CPT_PB_TASK_STOP_PENDING, true);
	if (!cpt_jobctl_has_process_state(&j))
		return 0;
	cpt_pb_init(&process);
	cpt_pb_u64(&process, CPT_PB_JOB_CONTROL_STOPPED, j.stopped);
	cpt_pb_u64(&process, CPT_PB_JOB_CONTROL_STOP_REPORT, j.stop_report);
	cpt_pb_u64(&process, CPT_PB_JOB_CONTROL_CONTINUED, j.continued);
	cpt_pb_u64(&process, CPT_PB_JOB_CONTROL_NOTIFY_PARENT, j.notify_parent);
	cpt_pb_message(msg, CPT_PB_TASK_JOB_CONTROL, &process);
	return 0;
}

/* One of the Task record's job-control fields, into j: 0 or -EBADMSG. */
int cpt_jobctl_decode(struct cpt_jobctl *j, const struct cpt_pb_field *tf)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	switch (tf->num) {
	case CPT_PB_TASK_STOP_SIGNAL:
		return cpt_pb_get_u32(tf, &j->stop_signal);
	case CPT_PB_TASK_STOP_PENDING:
		return cpt_pb_get_bool(tf, &j->stop_pending);
	}
	cpt_pb_for_each_subfield(&r, tf, &f) {
		switch (f.num) {
		case CPT_PB_JOB_CONTROL_STOPPED:
			cpt_pb_read_bool(&r, &f, &j->stopped);
			break;
		case CPT_PB_JOB_CONTROL_STOP_REPORT:
			cpt_pb_read_u32(&r, &f, &j->stop_report);
			break;
		case CPT_PB_JOB_CONTROL_CONTINUED:
			cpt_pb_read_bool(&r, &f, &j->continued);
			break;
		case CPT_PB_JOB_CONTROL_NOTIFY_PARENT:
			cpt_pb_read_u32(&r, &f, &j->notify_parent);
			break;
		}
	}
	return cpt_pb_end(&r);
}

/* What the kernel itself could have left: one task's state, alone. */
int cpt_jobctl_check(const struct cpt_jobctl *j, bool leader, u32 pid)
{
	bool ok = true;

	if (j->stop_signal && !cpt_compat_is_stop_signal(j->stop_signal))
		ok = false;
	if (j->stop_pending && !j->stop_signal)
		ok = false;
	if (!leader && cpt_jobctl_has_process_state(j))
		ok = false;
	if (j->stop_report && !cpt_compat_is_stop_signal(j->stop_report))
		ok = false;
	if (j->notify_parent && j->notify_parent != CLD_STOPPED &&
	    j->notify_parent != CLD_CONTINUED)
		ok = false;
	if (j->stopped && j->continued)
		ok = false;
	if (ok)
		return 0;
	cpt_note("pid %u: malformed job-control state (stop signal %u, report %u, notice %u)\n",
		 pid, j->stop_signal, j->stop_report, j->notify_parent);
	return -EBADMSG;
}

struct cpt_jobctl_process {
	struct cpt_session *s;
	const struct cpt_task *leader;
};

/* Sets up one process's group stop; its siglock held, none of it running yet. */
static int cpt_jobctl_apply_locked(struct task_struct *leader_task, void *arg)
{
	struct cpt_jobctl_process *p = arg;
	struct cpt_session *s = p->s;
	unsigned int i, counting = 0;
	struct cpt_task *t;

	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t->tgid != p->leader->pid || t->zombie)
			continue;
		counting += t->jobctl.stop_pending;
		cpt_compat_thread_stop_set(t->task, &t->jobctl);
	}
	cpt_compat_process_stop_set(leader_task, &p->leader->jobctl, counting);
	return 0;
}

/*
 * Whether a process's threads agree with it: a stopped one has every
 * thread in the stop, and a stop under way (threads yet to stop) has its
 * signal waiting to be reported.
 */
static int cpt_jobctl_check_process(struct cpt_session *s, const struct cpt_task *leader,
				    bool *any)
{
	const struct cpt_jobctl *pj = &leader->jobctl;
	unsigned int i, pending = 0;
	const struct cpt_task *t;
	bool ok = true;

	*any = cpt_jobctl_has_process_state(pj);
	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t->tgid != leader->pid)
			continue;
		*any |= t->jobctl.stop_signal != 0;
		pending += t->jobctl.stop_pending;
		if (pj->stopped && !t->jobctl.stop_signal)
			ok = false;
	}
	if (pending && !pj->stop_report && !pj->stopped)
		ok = false;
	if (ok)
		return 0;
	cpt_note("process %u: its threads' job-control state does not match its own\n",
		 leader->pid);
	return -EBADMSG;
}

/*
 * Called by FINALIZE with every task of the tree parked in its final step:
 * each stopped process stops again as soon as its threads are released.
 */
int cpt_jobctl_apply(struct cpt_session *s)
{
	struct cpt_jobctl_process p = { .s = s };
	unsigned int i;
	bool any;
	int ret;

	for (i = 0; i < s->nr_tasks; i++) {
		p.leader = &s->tasks[i];
		if (!cpt_task_is_leader(p.leader) || p.leader->zombie)
			continue;
		ret = cpt_jobctl_check_process(s, p.leader, &any);
		if (ret)
			return ret;
		if (!any)
			continue;
		ret = cpt_compat_with_siglock(p.leader->task, cpt_jobctl_apply_locked, &p);
		if (ret)
			return ret;
	}
	return 0;
}
