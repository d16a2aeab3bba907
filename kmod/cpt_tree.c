// SPDX-License-Identifier: GPL-2.0
/*
 * The tree of a session: the target process, its descendants and every
 * thread of each. A checkpoint freezes it in rounds: each round freezes the
 * tasks found so far, then looks for processes whose parent is in the tree
 * and threads of its processes that it does not hold yet. A frozen task can
 * neither fork nor exit, so once a round finds nothing new the tree is
 * closed: nothing created during the freeze slips out. A task that exits
 * meanwhile (a thread that ends, a process reaped, exec's de_thread) makes
 * the freeze start over, so that nothing half-exited slips in: only a
 * process's main thread that is a zombie stays, as a zombie. Once the whole
 * tree is parked, every task is checked again: it may have exec'd a program
 * of other credentials on its way to its parking place. CPT_REC_TREE lists
 * the tasks in this order (a parent before its children, a process's
 * threads right after it); a restart reads it first, checks it, and keeps
 * its pids from other forks.
 */
#include <linux/delay.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* How often a freeze starts over because a task of the tree was exiting. */
#define CPT_FREEZE_ATTEMPTS 20

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

/* The processes whose parent is in the tree, and the threads of its processes. */
static int cpt_tree_scan(struct cpt_session *s, unsigned int *added)
{
	unsigned int before = s->nr_tasks, i, nr;
	struct task_struct *p, *th, *parent;
	int ret = 0;

	rcu_read_lock();
	for_each_process(p) {
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

/*
 * A process's main thread that exited and waits for its parent: it stays
 * in the tree, as a zombie. No other exited task can be saved.
 */
static bool cpt_tree_is_zombie(struct task_struct *p)
{
	return thread_group_leader(p) && READ_ONCE(p->exit_state) == EXIT_ZOMBIE;
}

/* Whether p exits, or exited, and is not (yet) a zombie the tree can keep. */
static bool cpt_tree_exiting(struct task_struct *p)
{
	return (READ_ONCE(p->exit_state) || (READ_ONCE(p->flags) & PF_EXITING)) &&
	       !cpt_tree_is_zombie(p);
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
		if (t->zombie ? READ_ONCE(p->exit_state) != EXIT_ZOMBIE : cpt_tree_exiting(p))
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
 * One attempt: freezes round after round until no new task appears.
 * Returns -EAGAIN if a task of the tree exited meanwhile, -ESRCH if the
 * root did.
 */
static int cpt_tree_freeze_once(struct cpt_session *s, struct task_struct *root)
{
	unsigned int frozen = 0, added;
	struct cpt_freezer *fz;
	struct cpt_task *t;
	int ret;

	ret = cpt_tree_add(s, root);
	while (!ret) {
		for (; frozen < s->nr_tasks; frozen++) {
			t = &s->tasks[frozen];
			if (cpt_tree_exiting(t->task))
				return frozen ? -EAGAIN : -ESRCH;
			ret = cpt_tree_check(s, t->task);
			if (ret)
				return ret;
			t->zombie = cpt_tree_is_zombie(t->task);
			if (t->zombie)
				continue;	/* nothing runs */
			fz = cpt_freeze(t->task);
			if (IS_ERR(fz))
				return PTR_ERR(fz) == -ESRCH ? -EAGAIN : PTR_ERR(fz);
			t->freezer = fz;
			s->frozen = true;
		}
		ret = cpt_tree_scan(s, &added);
		if (!ret && !added)
			break;
	}
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

int cpt_tree_freeze(struct cpt_session *s, struct task_struct *root)
{
	int attempt, ret;

	s->tasks = kvcalloc(CPT_MAX_TASKS, sizeof(*s->tasks), GFP_KERNEL_ACCOUNT);
	if (!s->tasks)
		return -ENOMEM;
	for (attempt = 0; attempt < CPT_FREEZE_ATTEMPTS; attempt++) {
		ret = cpt_tree_freeze_once(s, root);
		if (!ret) {
			cpt_tree_describe(s);
			return 0;
		}
		cpt_tree_thaw(s);
		cpt_tree_release(s);
		if (ret != -EAGAIN)
			break;
		usleep_range(10000, 20000);
	}
	if (ret == -EAGAIN)
		cpt_note("pid %d: tasks of its tree kept exiting during the freeze\n",
			 task_pid_vnr(root));
	else if (ret == -ESRCH)
		cpt_note("pid %d exited during the freeze\n", task_pid_vnr(root));
	else if (ret == -E2BIG)
		cpt_note("pid %d: its tree has more than %d tasks\n", task_pid_vnr(root),
			 CPT_MAX_TASKS);
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
