// SPDX-License-Identifier: GPL-2.0
/*
 * The tree of a session: the target process, its descendants and every
 * thread of each. A checkpoint freezes it in rounds: each round freezes the
 * tasks found so far, then looks for processes whose parent is in the tree
 * and threads of its processes that it does not hold yet. A frozen task can
 * neither fork nor exit, so once a round finds nothing new the tree is
 * closed: nothing created during the freeze slips out. A task caught
 * exiting meanwhile (a thread that ends, a process killed, exec's
 * de_thread) is let go and waited for until its exit is over, so that
 * nothing half-exited slips in: it then leaves the tree, but for a
 * process's main thread that became a zombie, which stays as one. The
 * tasks frozen so far stay frozen; only if an exit moved tasks of the tree
 * about (children handed to a reaper outside it, a thread taking over its
 * process in exec) does the freeze start over. Once the whole tree is
 * parked, every task is checked again: it may have exec'd a program of
 * other credentials on its way to its parking place. CPT_REC_TREE lists
 * the tasks in this order (a parent before its children, a process's
 * threads right after it); a restart reads it first, checks it, and keeps
 * its pids from other forks.
 */
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"

/*
 * How often a freeze starts over because an exit reshaped the tree, or a
 * task parked inside execve(). Each such change is over when it is seen
 * (the exit was waited for; the exec ends before the task can park again),
 * so the next attempt starts at once: only a tree that keeps reshaping
 * itself runs out of attempts.
 */
#define CPT_FREEZE_ATTEMPTS 20
/*
 * How long a freeze waits, in all, for tasks caught exiting to be done
 * with it. The rest of an exit takes microseconds once the task runs (the
 * coredump, the one long part, comes before a task counts as exiting), so
 * only a tree that never holds still (or an exit stuck closing a file)
 * exhausts it.
 */
#define CPT_FREEZE_EXIT_BUDGET HZ
/* How often a task caught exiting is looked at while waited for. */
#define CPT_FREEZE_EXIT_POLL_NS (100 * NSEC_PER_USEC)

static struct cpt_task *cpt_tree_find(struct cpt_session *s, struct task_struct *p)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].task == p)
			return &s->tasks[i];
	return NULL;
}

/* Adds p to the tree; called under RCU with p found on a live list. */
static int cpt_tree_add(struct cpt_session *s, struct task_struct *p)
{
	struct cpt_task *t;

	if (s->nr_tasks == CPT_MAX_TASKS)
		return -E2BIG;
	t = &s->tasks[s->nr_tasks++];
	t->task = get_task_struct(p);
	return 0;
}

/*
 * The processes whose parent is in the tree, and the threads of its
 * processes. A process already reaped (EXIT_DEAD) is left out: it stays on
 * the task list until release_task(), which may come long after (an exit
 * that hands its zombies to a reaper ignoring SIGCHLD releases them one
 * after the other, and may schedule in between); taken in, it would only
 * be settled and dropped, and found again by the next scan, round after
 * round, while the task that releases it may never get the CPU.
 */
static int cpt_tree_scan(struct cpt_session *s, unsigned int *added)
{
	unsigned int before = s->nr_tasks, i, nr;
	struct task_struct *p, *th, *parent;
	int ret = 0;

	rcu_read_lock();
	for_each_process(p) {
		if (READ_ONCE(p->exit_state) == EXIT_DEAD)
			continue;
		parent = rcu_dereference(p->real_parent);
		if (cpt_tree_find(s, p) || !cpt_tree_find(s, parent->group_leader))
			continue;
		ret = cpt_tree_add(s, p);
		if (ret)
			goto out;
	}
	nr = s->nr_tasks;
	for (i = 0; i < nr; i++) {
		p = s->tasks[i].task;
		if (!thread_group_leader(p) || p->exit_state)
			continue;
		for_each_thread(p, th) {
			if (th->exit_state || cpt_tree_find(s, th))
				continue;
			ret = cpt_tree_add(s, th);
			if (ret)
				goto out;
		}
	}
out:
	rcu_read_unlock();
	*added = s->nr_tasks - before;
	return ret;
}

/* Lets every frozen task go: all are woken first, then each is waited for. */
void cpt_tree_thaw(struct cpt_session *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].freezer)
			cpt_thaw_begin(s->tasks[i].freezer);
	for (i = 0; i < s->nr_tasks; i++) {
		if (s->tasks[i].freezer)
			cpt_thaw_end(s->tasks[i].freezer);
		s->tasks[i].freezer = NULL;
	}
	s->frozen = false;
}

/* Drops the tree's tasks; the freezers must be gone. */
static void cpt_tree_release(struct cpt_session *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].task)
			put_task_struct(s->tasks[i].task);
	memset(s->tasks, 0, s->nr_tasks * sizeof(*s->tasks));
	s->nr_tasks = 0;
}

/* Takes task i out of the tree; its freezer must be gone. */
static void cpt_tree_remove(struct cpt_session *s, unsigned int i)
{
	put_task_struct(s->tasks[i].task);
	memmove(&s->tasks[i], &s->tasks[i + 1], (s->nr_tasks - i - 1) * sizeof(*s->tasks));
	s->nr_tasks--;
	memset(&s->tasks[s->nr_tasks], 0, sizeof(*s->tasks));
}

/*
 * A process's main thread that exited and waits for its parent: it stays
 * in the tree, as a zombie. No other exited task can be saved.
 */
static bool cpt_tree_is_zombie(struct task_struct *p)
{
	return thread_group_leader(p) && READ_ONCE(p->exit_state) == EXIT_ZOMBIE;
}

/*
 * A task under ptrace, or one that traces others, is refused by name: the
 * tie between tracer and tracee does not come back with a restart, and a
 * tracee in a ptrace stop would never park. A tracee's tracer is named as
 * the root's pid namespace sees it (0: from outside it).
 */
static int cpt_tree_check_ptrace(struct cpt_session *s, struct task_struct *p)
{
	struct pid_namespace *ns = cpt_session_pid_ns(s);
	char comm[TASK_COMM_LEN] = "";
	struct task_struct *other, *g, *t;
	pid_t tracer = -1, tracee = -1;

	rcu_read_lock();
	other = ptrace_parent(p);
	if (other) {
		tracer = task_pid_nr_ns(other, ns);
		__get_task_comm(comm, sizeof(comm), other);
	}
	rcu_read_unlock();
	if (tracer >= 0) {
		cpt_note("pid %d is traced by pid %d (%s): a tracee cannot be checkpointed\n",
			 task_pid_nr_ns(p, ns), tracer, comm);
		return -EOPNOTSUPP;
	}
	/*
	 * Its tracees: p->ptraced is under tasklist_lock, which a module cannot
	 * take; a look at every task's tracer under RCU finds them instead.
	 */
	if (list_empty(&p->ptraced))
		return 0;
	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (t->ptrace && ptrace_parent(t) == p) {
			tracee = task_pid_nr_ns(t, ns);
			break;
		}
	}
	rcu_read_unlock();
	if (tracee >= 0) {
		cpt_note("pid %d is traced by pid %d (%s): a tracer cannot be checkpointed\n",
			 tracee, task_pid_nr_ns(p, ns), __get_task_comm(comm, sizeof(comm), p));
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Why task p can't be in a checkpoint, or 0. */
static int cpt_tree_check(struct cpt_session *s, struct task_struct *p)
{
	struct pid_namespace *ns;
	int ret;

	if (p->flags & PF_KTHREAD)
		return -EINVAL;
	if (same_thread_group(p, current)) {
		cpt_note("pid %d: cptctl cannot checkpoint itself\n", task_pid_vnr(p));
		return -EINVAL;
	}
	rcu_read_lock();
	ns = task_active_pid_ns(p);
	rcu_read_unlock();
	if (!ns)		/* reaped since it was found */
		return -EAGAIN;
	if (ns != cpt_session_pid_ns(s)) {
		cpt_note("pid %d: a nested pid namespace is not supported\n", task_pid_vnr(p));
		return -EOPNOTSUPP;
	}
	if (thread_group_leader(p) && p->exit_state && !thread_group_empty(p)) {
		cpt_note("pid %d: its main thread exited before its other threads\n",
			 task_pid_vnr(p));
		return -EOPNOTSUPP;
	}
	if (thread_group_leader(p) && !p->exit_state && !cpt_may_checkpoint(p)) {
		cpt_note("pid %d: the caller may not ptrace it\n", task_pid_vnr(p));
		return -EPERM;
	}
	ret = cpt_tree_check_ptrace(s, p);
	if (ret)
		return ret;
	return 0;
}

/*
 * Whether p's exit is over as far as the tree can see: it wrote its last
 * to memory it shares (its clear_child_tid, its robust futexes) and closed
 * its files before its exit_state was set. A main thread that became a
 * zombie while its process exits whole (a group kill, exit_group(), exec's
 * de_thread) is waited for until its other threads are gone too (or exec
 * released it): until then it would look like a main thread that left
 * before its threads, which no checkpoint can hold.
 */
static bool cpt_tree_exit_over(struct task_struct *p)
{
	struct signal_struct *sig = p->signal;	/* freed with p, not at exit */

	switch (READ_ONCE(p->exit_state)) {
	case 0:
		return false;
	case EXIT_TRACE:
		/* Its tracer reaps it: it becomes its parent's zombie, or dead. */
		return false;
	case EXIT_ZOMBIE:
		if (!thread_group_leader(p))
			return false;	/* a thread that is reaped right away */
		return thread_group_empty(p) || (!(READ_ONCE(sig->flags) & SIGNAL_GROUP_EXIT) &&
						 !READ_ONCE(sig->group_exec_task));
	default:
		return true;
	}
}

/*
 * Task i of the tree was caught exiting, or it is a zombie that was
 * reaped: it is let go if frozen (a task parks in the task work of its
 * exit, and would wait there) and waited for, killably and within what is
 * left of *budget, until its exit is over. It then leaves the tree, or
 * stays as a zombie (checked as such: one whose threads live on is refused
 * by name). The root exiting ends the freeze: -ESRCH.
 *
 * No event tells a module that a thread is done exiting (a pidfd's wait
 * queue hears only of whole processes), hence a short sleep between looks.
 */
static int cpt_tree_settle(struct cpt_session *s, unsigned int i, unsigned long *budget)
{
	struct cpt_task *t = &s->tasks[i];
	struct task_struct *p = t->task;
	unsigned long start = jiffies;
	ktime_t poll;
	int ret = 0;

	if (!i)
		return -ESRCH;
	if (t->freezer) {
		cpt_thaw(t->freezer);
		t->freezer = NULL;
	}
	while (!cpt_tree_exit_over(p)) {
		if (time_after(jiffies, start + *budget)) {
			ret = -EAGAIN;
			break;
		}
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			break;
		}
		poll = CPT_FREEZE_EXIT_POLL_NS;
		set_current_state(TASK_KILLABLE);
		schedule_hrtimeout_range(&poll, CPT_FREEZE_EXIT_POLL_NS, HRTIMER_MODE_REL);
	}
	*budget -= min(*budget, jiffies - start);
	if (ret)
		return ret;
	if (!cpt_tree_is_zombie(p)) {
		cpt_tree_remove(s, i);
		return 0;
	}
	t->zombie = true;
	return cpt_tree_check(s, p);
}

/*
 * Whether task t must be settled: one not kept as a zombie that exits or
 * exited, or a zombie that was reaped.
 */
static bool cpt_tree_moved(struct cpt_task *t)
{
	struct task_struct *p = t->task;

	if (t->zombie)
		return READ_ONCE(p->exit_state) != EXIT_ZOMBIE;
	return READ_ONCE(p->exit_state) || (READ_ONCE(p->flags) & PF_EXITING);
}

/*
 * Settles every task of the tree that moved since it was frozen; *settled
 * counts them. Once the tree is frozen only a kill from outside moves one.
 */
static int cpt_tree_settle_all(struct cpt_session *s, unsigned int *settled,
			       unsigned long *budget)
{
	unsigned int i = 0, nr;
	int ret;

	*settled = 0;
	while (i < s->nr_tasks) {
		if (!cpt_tree_moved(&s->tasks[i])) {
			i++;
			continue;
		}
		nr = s->nr_tasks;
		ret = cpt_tree_settle(s, i, budget);
		if (ret)
			return ret;
		(*settled)++;
		if (s->nr_tasks == nr)
			i++;	/* it stays, as a zombie */
	}
	return 0;
}

/*
 * After exits, whether the tree still holds together as the scan built it:
 * the root a live process, every other process's parent and every
 * thread's process a live process before it. An exit may have handed
 * children to a reaper outside the tree, or made a thread the main thread
 * of its process (exec from a thread); the freeze then starts over.
 */
static bool cpt_tree_holds_together(struct cpt_session *s)
{
	struct task_struct *p, *up;
	struct cpt_task *t, *u;
	bool holds = true;
	unsigned int i;

	if (s->tasks[0].zombie || !thread_group_leader(s->tasks[0].task))
		return false;
	rcu_read_lock();
	for (i = 1; i < s->nr_tasks && holds; i++) {
		t = &s->tasks[i];
		p = t->task;
		up = thread_group_leader(p) ? rcu_dereference(p->real_parent)->group_leader :
					      p->group_leader;
		u = cpt_tree_find(s, up);
		holds = u && u < t && !u->zombie;
	}
	rcu_read_unlock();
	return holds;
}

/*
 * Once every task is parked, none can change: each is checked again. One
 * that exited meanwhile, or a zombie that was reaped, starts the freeze
 * over. One the caller may no longer ptrace (its thread's own credentials,
 * or a program of other credentials that it exec'd on its way to its
 * parking place) is refused: its state is not the caller's to read.
 */
static int cpt_tree_recheck(struct cpt_session *s)
{
	struct task_struct *p;
	struct cpt_task *t;
	unsigned int i;
	int ret;

	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		p = t->task;
		if (cpt_tree_moved(t))
			return i ? -EAGAIN : -ESRCH;
		/* PTRACE_SEIZE needs no stop: a tracer may have come meanwhile. */
		ret = cpt_tree_check_ptrace(s, p);
		if (ret)
			return ret;
		if (t->zombie)
			continue;
		/*
		 * Parked inside execve() (io_uring's cancel in begin_new_exec()
		 * runs task work): half of the old program, half of the new.
		 */
		if (p->in_execve)
			return -EAGAIN;
		if (!cpt_may_checkpoint(p)) {
			cpt_note("pid %d changed credentials during the freeze: not ours to save\n",
				 task_pid_vnr(p));
			return -EPERM;
		}
	}
	return 0;
}

/*
 * Freezes task i, the next one the freeze has not looked at, or settles it
 * if it is exiting or exited. Moves *next past it unless it left the tree.
 */
static int cpt_tree_freeze_next(struct cpt_session *s, unsigned int *next,
				unsigned long *budget, unsigned int *settled)
{
	struct cpt_task *t = &s->tasks[*next];
	unsigned int nr = s->nr_tasks;
	struct cpt_freezer *fz;
	int ret;

	if (!cpt_tree_moved(t)) {
		ret = cpt_tree_check(s, t->task);
		if (!ret) {
			fz = cpt_freeze(t->task);
			if (!IS_ERR(fz)) {
				t->freezer = fz;
				s->frozen = true;
				(*next)++;
				return 0;
			}
			/* -ESRCH: it is past its exit's task work. */
			if (PTR_ERR(fz) != -ESRCH)
				return PTR_ERR(fz);
		} else if (!cpt_tree_moved(t)) {
			return ret;
		}
		/*
		 * Or it began to exit after the first look, and the check saw
		 * it half-way (a main thread of a process killed whole, a
		 * zombie before its threads): settled, and checked again if it
		 * stays as a zombie.
		 */
	}
	ret = cpt_tree_settle(s, *next, budget);
	if (ret)
		return ret;
	(*settled)++;
	if (s->nr_tasks == nr)
		(*next)++;	/* it stays, as a zombie */
	return 0;
}

/*
 * One attempt: freezes round after round until no new task appears, then
 * settles what exited meanwhile and looks again. Returns -EAGAIN if the
 * tree has to be frozen anew, -ESRCH if the root exited.
 */
static int cpt_tree_freeze_once(struct cpt_session *s, struct task_struct *root,
				unsigned long *budget)
{
	unsigned int next = 0, added, settled = 0, more;
	int ret;

	ret = cpt_tree_add(s, root);
	while (!ret) {
		while (!ret && next < s->nr_tasks)
			ret = cpt_tree_freeze_next(s, &next, budget, &settled);
		if (!ret)
			ret = cpt_tree_scan(s, &added);
		if (ret || added)
			continue;
		/* Closed: only what was frozen before it exited moved since. */
		ret = cpt_tree_settle_all(s, &more, budget);
		next = s->nr_tasks;
		settled += more;
		if (!ret && !more)
			break;
	}
	if (!ret && settled && !cpt_tree_holds_together(s))
		ret = -EAGAIN;
	return ret ?: cpt_tree_recheck(s);
}

/*
 * A process that shares its fd table with earlier processes of the tree
 * (CLONE_FILES) names the first of them: that one's Files record holds it.
 */
static void cpt_tree_find_shared_fd_tables(struct cpt_session *s)
{
	struct cpt_task *t;
	unsigned int i, j;

	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (!cpt_task_is_leader(t) || t->zombie)
			continue;
		task_lock(t->task);
		t->fd_table = t->task->files;
		task_unlock(t->task);
		for (j = 0; j < i; j++) {
			if (s->tasks[j].fd_table == t->fd_table && !s->tasks[j].fd_table_of &&
			    cpt_task_is_leader(&s->tasks[j])) {
				t->fd_table_of = s->tasks[j].pid;
				break;
			}
		}
	}
}

/* Fills in the ids the tree record gives, as the root's pid namespace sees them. */
static void cpt_tree_describe(struct cpt_session *s)
{
	struct pid_namespace *ns = cpt_session_pid_ns(s);
	struct task_struct *p;
	struct cpt_task *t;
	unsigned int i;

	rcu_read_lock();
	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		p = t->task;
		t->pid = task_pid_nr_ns(p, ns);
		t->tgid = task_tgid_nr_ns(p, ns);
		t->ppid = task_tgid_nr_ns(rcu_dereference(p->real_parent), ns);
		t->pgid = task_pgrp_nr_ns(p, ns);
		t->sid = task_session_nr_ns(p, ns);
		t->exit_status = t->zombie ? p->exit_code : 0;
		t->subreaper = thread_group_leader(p) && p->signal->is_child_subreaper;
	}
	rcu_read_unlock();
	cpt_tree_find_shared_fd_tables(s);
}

/*
 * root_nr: the root's pid as INIT named it, for the notes: the root may
 * exit, and be reaped, during the freeze, and a reaped task has no pid.
 */
int cpt_tree_freeze(struct cpt_session *s, struct task_struct *root, pid_t root_nr)
{
	unsigned long budget = CPT_FREEZE_EXIT_BUDGET;
	int attempt, ret;

	s->tasks = kvcalloc(CPT_MAX_TASKS, sizeof(*s->tasks), GFP_KERNEL_ACCOUNT);
	if (!s->tasks)
		return -ENOMEM;
	for (attempt = 0; attempt < CPT_FREEZE_ATTEMPTS; attempt++) {
		ret = cpt_tree_freeze_once(s, root, &budget);
		if (!ret) {
			cpt_tree_describe(s);
			return 0;
		}
		cpt_tree_thaw(s);
		cpt_tree_release(s);
		if (ret != -EAGAIN || !budget)
			break;
		cond_resched();
	}
	if (ret == -EAGAIN && !budget)
		cpt_note("pid %d: tasks of its tree kept exiting during the freeze\n", root_nr);
	else if (ret == -EAGAIN)
		cpt_note("pid %d: its tree kept changing shape during the freeze\n", root_nr);
	else if (ret == -ESRCH)
		cpt_note("pid %d exited during the freeze\n", root_nr);
	else if (ret == -E2BIG)
		cpt_note("pid %d: its tree has more than %d tasks\n", root_nr, CPT_MAX_TASKS);
	return ret;
}

/*
 * Whether every task stayed still while its state was saved: a task frozen
 * in a group stop may have been continued meanwhile, and its saved state
 * (stopped, its registers, its memory) may then no longer hold together.
 */
int cpt_tree_held(struct cpt_session *s)
{
	struct cpt_task *t;
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t->freezer && !cpt_freezer_held(t->freezer, t->task)) {
			cpt_note("pid %u was continued during its checkpoint\n", t->pid);
			return -EAGAIN;
		}
		if (t->freezer && cpt_freezer_lost_wait(t->freezer)) {
			cpt_note("pid %u: %s\n", t->pid,
				 "its timed epoll_wait() or sigtimedwait() was woken before its deadline was read (it returns EINTR): not supported");
			return -EAGAIN;
		}
	}
	return 0;
}

int cpt_tree_write(struct cpt_session *s)
{
	struct cpt_pb_buf msg, task;
	struct cpt_task *t;
	unsigned int i;
	int ret;

	cpt_pb_init(&msg);
	for (i = 0; i < s->nr_tasks && !msg.err; i++) {
		t = &s->tasks[i];
		cpt_pb_init(&task);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_PID, t->pid);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_TGID, t->tgid);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_PPID, t->ppid);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_PGID, t->pgid);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_SID, t->sid);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_ZOMBIE, t->zombie);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_EXIT_STATUS, t->exit_status);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_CHILD_SUBREAPER, t->subreaper);
		cpt_pb_u64(&task, CPT_PB_TREE_TASK_FD_TABLE_OF, t->fd_table_of);
		cpt_pb_message(&msg, CPT_PB_TREE_TASKS, &task);
	}
	ret = msg.err ?: cpt_record_write(&s->img, CPT_REC_TREE, msg.data, msg.len);
	cpt_pb_free(&msg);
	return ret;
}

static int cpt_tree_decode_task(struct cpt_task *t, const struct cpt_pb_field *tf)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	cpt_pb_for_each_subfield(&r, tf, &f) {
		switch (f.num) {
		case CPT_PB_TREE_TASK_PID:
			cpt_pb_read_u32(&r, &f, &t->pid);
			break;
		case CPT_PB_TREE_TASK_TGID:
			cpt_pb_read_u32(&r, &f, &t->tgid);
			break;
		case CPT_PB_TREE_TASK_PPID:
			cpt_pb_read_u32(&r, &f, &t->ppid);
			break;
		case CPT_PB_TREE_TASK_PGID:
			cpt_pb_read_u32(&r, &f, &t->pgid);
			break;
		case CPT_PB_TREE_TASK_SID:
			cpt_pb_read_u32(&r, &f, &t->sid);
			break;
		case CPT_PB_TREE_TASK_ZOMBIE:
			cpt_pb_read_bool(&r, &f, &t->zombie);
			break;
		case CPT_PB_TREE_TASK_EXIT_STATUS:
			cpt_pb_read_u32(&r, &f, &t->exit_status);
			break;
		case CPT_PB_TREE_TASK_CHILD_SUBREAPER:
			cpt_pb_read_bool(&r, &f, &t->subreaper);
			break;
		case CPT_PB_TREE_TASK_FD_TABLE_OF:
			cpt_pb_read_u32(&r, &f, &t->fd_table_of);
			break;
		}
	}
	return cpt_pb_end(&r);
}

static struct cpt_task *cpt_tree_lookup(struct cpt_session *s, unsigned int nr, u32 pid)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (s->tasks[i].pid == pid)
			return &s->tasks[i];
	return NULL;
}

/*
 * What the restart relies on: distinct valid pids, the root a live process,
 * a thread after its live process, a process after its parent (unless it is
 * the root), zombies without threads, an fd table shared with an earlier
 * live process that has its own.
 */
static int cpt_tree_check_task(struct cpt_session *s, unsigned int i)
{
	struct cpt_task *t = &s->tasks[i], *leader, *parent, *owner;

	if (!t->pid || t->pid >= PID_MAX_LIMIT || cpt_tree_lookup(s, i, t->pid))
		return -EBADMSG;
	if (t->fd_table_of) {
		owner = cpt_tree_lookup(s, i, t->fd_table_of);
		if (!cpt_task_is_leader(t) || t->zombie || !owner || !cpt_task_is_leader(owner) ||
		    owner->zombie || owner->fd_table_of)
			return -EBADMSG;
	}
	if (cpt_task_is_leader(t)) {
		if (i == 0)
			return t->zombie ? -EBADMSG : 0;
		parent = cpt_tree_lookup(s, i, t->ppid);
		if (!parent || !cpt_task_is_leader(parent) || parent->zombie)
			return -EBADMSG;
		return 0;
	}
	leader = cpt_tree_lookup(s, i, t->tgid);
	if (!leader || !cpt_task_is_leader(leader) || leader->zombie || t->zombie ||
	    t->ppid != leader->ppid || t->pgid != leader->pgid || t->sid != leader->sid)
		return -EBADMSG;
	return 0;
}

int cpt_tree_read(struct cpt_session *s)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int i;
	size_t len;
	void *msg;
	int ret;

	msg = cpt_record_read(&s->img, CPT_REC_TREE, &len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	s->tasks = kvcalloc(CPT_MAX_TASKS, sizeof(*s->tasks), GFP_KERNEL_ACCOUNT);
	if (!s->tasks) {
		kvfree(msg);
		return -ENOMEM;
	}
	cpt_pb_for_each_field(&r, msg, len, &f) {
		if (f.num != CPT_PB_TREE_TASKS)
			continue;
		if (s->nr_tasks == CPT_MAX_TASKS) {
			cpt_pb_fail(&r, -EBADMSG);
			break;
		}
		ret = cpt_tree_decode_task(&s->tasks[s->nr_tasks], &f);
		if (!ret)
			ret = cpt_tree_check_task(s, s->nr_tasks);
		cpt_pb_fail(&r, ret);
		s->nr_tasks++;
	}
	ret = cpt_pb_end(&r);
	if (!ret && !s->nr_tasks)
		ret = -EBADMSG;
	if (ret == -EBADMSG)
		cpt_note("the image's tree of tasks is malformed\n");
	for (i = 0; !ret && i < s->nr_tasks; i++)
		s->tasks[i].state = CPT_RESTORE_RUNNING;
	kvfree(msg);
	return ret;
}

/* Frees the tree; the subsystems freed what they prepared. */
void cpt_tree_free(struct cpt_session *s)
{
	if (!s->tasks)
		return;
	cpt_tree_release(s);
	kvfree(s->tasks);
	s->tasks = NULL;
}
