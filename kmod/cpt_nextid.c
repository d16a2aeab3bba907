// SPDX-License-Identifier: GPL-2.0
/*
 * The per-task next ids: the pid the calling task's next clone() gets, and
 * the index of the next pty it makes by opening ptmx.
 *
 * A kretprobe on alloc_pid() hands the kernel a set_tid array for the task
 * that asked, exactly as clone3() with set_tid would: the kernel's own checks
 * (CAP_CHECKPOINT_RESTORE over the pid namespace, -EEXIST for a pid in use)
 * stay in force, and the request itself already needs that capability. The
 * array lives in the probe instance, so it outlives the call. A request
 * belongs to its task (keyed by its task_struct) and is freed when the task
 * consumes it, replaces it, or exits: a kprobe on do_exit(), which every
 * task passes through once, drops what it left (the compat check task_exit
 * makes sure it fires).
 *
 * While a tree is being restored its pids are reserved: before any clone in
 * that pid namespace, a kprobe on alloc_pid() moves the namespace's cyclic
 * pid cursor past reserved pids within CPT_RESERVE_AHEAD of it, so that the
 * kernel's own allocation never reaches them. The margin covers clones
 * already past the probe and not yet allocating. The cursor moves under
 * pidmap_lock, as idr_alloc_cyclic() moves it. The fork path must not pay
 * for the reservations: all reserved pids are kept in one table sorted by
 * (namespace, pid), rebuilt when a reservation comes or goes, where each
 * entry already says how far a cursor that must pass it goes (past the whole
 * run of reserved pids each within the margin of the previous one), so a
 * clone costs one binary search. A reservation is made in the restarting
 * caller's namespace, and moves to a namespace below it when the tree's
 * first pid is asked for there (cpt_reservation_follow). A restart that
 * builds its tree in a new pid namespace (CPT_INIT_NEW_PIDNS) holds its
 * reservation unplaced until then: the namespace does not exist at INIT,
 * and the capability over it is what the first pid request checks.
 *
 * A pty's index comes from devpts_new_index(), the lowest free one of the
 * devpts instance below its max: a kretprobe takes the asked index from the
 * instance's ida when the kernel's own allocation returns, and gives back
 * the one the kernel took. If the asked index is taken, at or above the
 * instance's max, or the instance belongs to a user namespace the requester
 * had no capability over, the pty keeps the kernel's.
 *
 * Limits (a user is a real uid). Each restart holds one reservation of at
 * most CPT_MAX_TASKS pids from INIT to its end: CPT_RESERVATIONS_PER_USER of
 * them per user and CPT_RESERVATIONS_MAX in all, which also bounds the fork
 * path's table. A task has at most one request of each kind;
 * CPT_REQUESTS_PER_USER live requests per user (as many as its restarts can
 * have tasks) and CPT_REQUESTS_MAX in all. Everything is charged to the
 * caller's memory cgroup. A refusal is -EAGAIN, with a message.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/hashtable.h>
#include <linux/idr.h>
#include <linux/kprobes.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/threads.h>
#include <linux/tty.h>
#include <linux/user_namespace.h>

#include "cpt_compat.h"
#include "cpt_internal.h"
#include "cpt_session.h"

#define CPT_RESERVE_AHEAD 1024

#define CPT_RESERVATIONS_PER_USER 16
#define CPT_RESERVATIONS_MAX 128
#define CPT_REQUESTS_PER_USER (CPT_RESERVATIONS_PER_USER * CPT_MAX_TASKS)
#define CPT_REQUESTS_MAX (4 * CPT_REQUESTS_PER_USER)

/*
 * alloc_pid() calls in flight at once that can have a request applied: one
 * probe instance each. More at once (clones sleeping in their allocations)
 * and the kretprobe skips a call (counted in its nmissed, shown in the
 * next_ids parameter): that clone gets a pid of the kernel's choosing,
 * which the restart sees and reports, and its request stays until the
 * task's next clone or exit. The reservations do not depend on it: their
 * probe is a plain kprobe, which has no instances to run out of.
 */
#define CPT_ALLOC_PID_ACTIVE 1024

/*
 * devpts_new_index() has one caller, ptmx_open(), which holds devpts_mutex
 * around it: one call in flight at a time, so this many can't run out.
 */
#define CPT_NEW_PTY_INDEX_ACTIVE 4

/* What one user holds. Under cpt_next_ids_lock. */
struct cpt_user_use {
	struct hlist_node node;
	kuid_t uid;
	unsigned int reservations;
	unsigned int requests;
};

static DEFINE_HASHTABLE(cpt_users, 4);

struct cpt_next_id_req {
	struct hlist_node node;
	struct task_struct *task;	/* the requesting task; not referenced: see cpt_task_exit */
	struct cpt_user_use *user;
	struct user_namespace *user_ns;	/* pty: where the capability was checked */
	u32 kind;			/* CPT_ID_PID or CPT_ID_PTY */
	pid_t nr;
};

static DEFINE_HASHTABLE(cpt_next_ids, 6);
static DEFINE_SPINLOCK(cpt_next_ids_lock);	/* cpt_users, cpt_next_ids and the counts */
static unsigned int cpt_nr_requests;
static unsigned int cpt_nr_reservations;

/* The pids of a tree being restored, in the restarting caller's namespace. */
struct cpt_pid_reservation {
	struct list_head node;
	const struct cpt_session *session;	/* whose: only compared */
	struct pid_namespace *ns;
	struct cpt_user_use *user;
	bool placed;		/* its pids are in cpt_reserved, in ns */
	bool new_pidns;		/* CPT_INIT_NEW_PIDNS: no capability asked at INIT */
	unsigned int nr;
	pid_t pids[];		/* sorted */
};

/*
 * Every reserved pid, sorted by (ns, pid). skip_to is where a cursor that
 * has this pid within CPT_RESERVE_AHEAD goes: past it and past each
 * following reserved pid of ns that is within the margin of the one before.
 */
struct cpt_reserved_pid {
	struct pid_namespace *ns;
	pid_t pid;
	pid_t skip_to;
};

struct cpt_reserved_table {
	struct rcu_head rcu;
	unsigned int nr;
	struct cpt_reserved_pid pids[];
};

static struct cpt_reserved_table __rcu *cpt_reserved;
static LIST_HEAD(cpt_reservations);
static DEFINE_MUTEX(cpt_reservations_lock);	/* cpt_reservations, cpt_reserved's writers */

/*
 * The user's entry, made from *spare if it has none (*spare is then NULL);
 * NULL if taking one more of a kind would pass a limit.
 */
static struct cpt_user_use *cpt_user_charge(struct cpt_user_use **spare, bool reservation)
{
	kuid_t uid = current_uid();
	struct cpt_user_use *u;

	lockdep_assert_held(&cpt_next_ids_lock);
	if (reservation ? cpt_nr_reservations >= CPT_RESERVATIONS_MAX :
	    cpt_nr_requests >= CPT_REQUESTS_MAX)
		return NULL;
	hash_for_each_possible(cpt_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			goto found;
	u = *spare;
	*spare = NULL;
	u->uid = uid;
	hash_add(cpt_users, &u->node, __kuid_val(uid));
found:
	if (reservation) {
		if (u->reservations >= CPT_RESERVATIONS_PER_USER)
			goto over;
		u->reservations++;
		cpt_nr_reservations++;
	} else {
		if (u->requests >= CPT_REQUESTS_PER_USER)
			goto over;
		u->requests++;
		cpt_nr_requests++;
	}
	return u;
over:
	if (!u->reservations && !u->requests) {
		hash_del(&u->node);
		kfree(u);
	}
	return NULL;
}

static void cpt_user_uncharge(struct cpt_user_use *u, bool reservation)
{
	lockdep_assert_held(&cpt_next_ids_lock);
	if (reservation) {
		u->reservations--;
		cpt_nr_reservations--;
	} else {
		u->requests--;
		cpt_nr_requests--;
	}
	if (!u->reservations && !u->requests) {
		hash_del(&u->node);
		kfree(u);
	}
}

/* Unhashes and returns the task's request of a kind, if it has one. */
static struct cpt_next_id_req *cpt_take_next_id(struct task_struct *task, u32 kind)
{
	struct cpt_next_id_req *req;

	lockdep_assert_held(&cpt_next_ids_lock);
	hash_for_each_possible(cpt_next_ids, req, node, (unsigned long)task) {
		if (req->task == task && req->kind == kind) {
			hash_del(&req->node);
			cpt_user_uncharge(req->user, false);
			return req;
		}
	}
	return NULL;
}

/* Any context: put_user_ns() defers the namespace's end to a work item. */
static void cpt_free_next_id(struct cpt_next_id_req *req)
{
	put_user_ns(req->user_ns);
	kfree(req);
}

static struct cpt_next_id_req *cpt_take_own_next_id(u32 kind)
{
	struct cpt_next_id_req *req;
	unsigned long flags;

	/* Only a task adds its own requests: none now means none to take. */
	if (!READ_ONCE(cpt_nr_requests))
		return NULL;
	spin_lock_irqsave(&cpt_next_ids_lock, flags);
	req = cpt_take_next_id(current, kind);
	spin_unlock_irqrestore(&cpt_next_ids_lock, flags);
	return req;
}

/*
 * do_exit()'s probe: the exiting task's requests go with it. The task_struct
 * a request is keyed by is not freed before this runs, so a key is never
 * another task's.
 */
static int cpt_task_exit(struct kprobe *p, struct pt_regs *regs)
{
	static const u32 kinds[] = { CPT_ID_PID, CPT_ID_PTY };
	struct cpt_next_id_req *req;
	unsigned int i;

	cpt_compat_saw_task_exit();
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		req = cpt_take_own_next_id(kinds[i]);
		if (req)
			cpt_free_next_id(req);
	}
	return 0;
}

static struct kprobe cpt_task_exit_probe = {
	.symbol_name = "do_exit",
	.pre_handler = cpt_task_exit,
};

/* The first entry at or after (ns, nr), or t->nr. */
static unsigned int cpt_reserved_find(const struct cpt_reserved_table *t,
				      const struct pid_namespace *ns, pid_t nr)
{
	unsigned int lo = 0, hi = t->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((unsigned long)t->pids[mid].ns < (unsigned long)ns ||
		    (t->pids[mid].ns == ns && t->pids[mid].pid < nr))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Where a cursor at nr goes so that no reserved pid is within the margin. */
static int cpt_reserved_skip(const struct cpt_reserved_table *t,
			     const struct pid_namespace *ns, int nr)
{
	unsigned int i = cpt_reserved_find(t, ns, nr);

	if (i < t->nr && t->pids[i].ns == ns && t->pids[i].pid < nr + CPT_RESERVE_AHEAD)
		return t->pids[i].skip_to;
	return nr;
}

/*
 * Moves ns's pid cursor past the reserved pids just ahead of it, under
 * pidmap_lock as alloc_pid() moves it. Past pid_max, alloc_pid() wraps to
 * CPT_RESERVED_PIDS: the cursor goes there, and past what is reserved there.
 */
static void cpt_skip_reserved(struct pid_namespace *ns)
{
	const struct cpt_reserved_table *t;
	unsigned long flags;
	int cursor, to;

	rcu_read_lock();
	t = rcu_dereference(cpt_reserved);
	if (t) {
		spin_lock_irqsave(cpt_sym.pidmap_lock, flags);
		cursor = idr_get_cursor(&ns->idr);
		to = cpt_reserved_skip(t, ns, cursor);
		if (to >= READ_ONCE(*cpt_sym.pid_max) && cursor > CPT_RESERVED_PIDS)
			to = cpt_reserved_skip(t, ns, CPT_RESERVED_PIDS);
		if (to != cursor)
			idr_set_cursor(&ns->idr, to);
		spin_unlock_irqrestore(cpt_sym.pidmap_lock, flags);
	}
	rcu_read_unlock();
}

static int cpt_alloc_pid_reserved(struct kprobe *p, struct pt_regs *regs)
{
	cpt_skip_reserved((struct pid_namespace *)regs->di);
	return 0;
}

static struct kprobe cpt_alloc_pid_reserved_probe = {
	.symbol_name = "alloc_pid",
	.pre_handler = cpt_alloc_pid_reserved,
};

static int cpt_alloc_pid_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cpt_next_id_req *req;
	pid_t *set_tid = (pid_t *)ri->data;

	cpt_compat_saw_alloc_pid(regs);
	/* The caller already chose its pids (clone3 with set_tid). */
	if (regs->dx)
		return 1;
	req = cpt_take_own_next_id(CPT_ID_PID);
	if (!req)
		return 1;
	*set_tid = req->nr;
	regs->si = (unsigned long)set_tid;
	regs->dx = 1;
	cpt_free_next_id(req);
	return 0;
}

static int cpt_alloc_pid_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	return 0;
}

static struct kretprobe cpt_alloc_pid_probe = {
	.kp.symbol_name = "alloc_pid",
	.entry_handler = cpt_alloc_pid_entry,
	.handler = cpt_alloc_pid_return,
	.data_size = sizeof(pid_t),
	.maxactive = CPT_ALLOC_PID_ACTIVE,
};

static int cpt_set_next_id(u32 kind, pid_t nr)
{
	struct cpt_next_id_req *req, *old;
	struct cpt_user_use *spare;
	unsigned long flags;

	if (!nr) {
		old = cpt_take_own_next_id(kind);
		if (old)
			cpt_free_next_id(old);
		return 0;
	}
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!req || !spare) {
		kfree(req);
		kfree(spare);
		return -ENOMEM;
	}
	req->task = current;
	req->user_ns = get_user_ns(current_user_ns());
	req->kind = kind;
	req->nr = nr;

	spin_lock_irqsave(&cpt_next_ids_lock, flags);
	old = cpt_take_next_id(current, kind);
	req->user = cpt_user_charge(&spare, false);
	if (req->user)
		hash_add(cpt_next_ids, &req->node, (unsigned long)current);
	spin_unlock_irqrestore(&cpt_next_ids_lock, flags);

	kfree(spare);
	if (old)
		cpt_free_next_id(old);
	if (!req->user) {
		cpt_free_next_id(req);
		cpt_note("too many next-id requests: %u per user, %u in all\n",
			 CPT_REQUESTS_PER_USER, CPT_REQUESTS_MAX);
		return -EAGAIN;
	}
	return 0;
}

/* Choosing the pid of the next clone needs what clone3's set_tid needs. */
static int cpt_set_next_pid(u64 nr)
{
	struct pid_namespace *ns = current->nsproxy->pid_ns_for_children;

	if (nr >= PID_MAX_LIMIT)
		return -EINVAL;
	if (nr && !checkpoint_restore_ns_capable(ns->user_ns)) {
		cpt_note("choosing the next pid needs CAP_CHECKPOINT_RESTORE over its namespace\n");
		return -EPERM;
	}
	return cpt_set_next_id(CPT_ID_PID, nr);
}

static int cpt_reservation_move(struct cpt_pid_reservation *r, struct pid_namespace *ns);
static int cpt_reservation_place(struct cpt_pid_reservation *r, struct pid_namespace *ns);

/*
 * A tree built in a pid namespace below the one its restart began in
 * (cptctl restart --pidns makes one for it) has that namespace's pids: the
 * session's reservation moves there with the first pid asked for in it, or,
 * unplaced (CPT_INIT_NEW_PIDNS), is placed there (or in the caller's own
 * namespace, if the first pid is asked for there).
 * The session's lock is not taken (its holder may wait for this task's
 * clone): the reservation is found in the list, which it leaves, under
 * cpt_reservations_lock, before it is freed.
 */
static int cpt_reservation_follow(struct cpt_file *cf)
{
	struct pid_namespace *ns = current->nsproxy->pid_ns_for_children, *up;
	struct cpt_pid_reservation *r;
	struct cpt_session *s;
	int ret;

	mutex_lock(&cf->lock);
	s = cf->session;
	if (s)
		cpt_session_get(s);
	mutex_unlock(&cf->lock);
	if (!s)
		return 0;
	ret = mutex_lock_killable(&cpt_reservations_lock);
	if (ret)
		goto out;
	list_for_each_entry(r, &cpt_reservations, node) {
		if (r->session != s)
			continue;
		for (up = ns; up && up != r->ns; up = up->parent)
			;
		/* The caller's pid namespace or one below it, where it was asked. */
		if (up && !r->placed)
			ret = cpt_reservation_place(r, ns);
		else if (up && r->ns != ns)
			ret = cpt_reservation_move(r, ns);
		break;
	}
	mutex_unlock(&cpt_reservations_lock);
out:
	cpt_session_put(s);
	return ret;
}

long cpt_ioctl_set_next_id(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_next_id *req = &arg->next_id;
	int ret;

	if (req->reserved0 || req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->kind == CPT_ID_PTY)
		return cpt_set_next_pty(req->id);
	if (req->kind != CPT_ID_PID)
		return cpt_ipc_next_id(req->kind, req->id);
	ret = cpt_set_next_pid(req->id);
	if (!ret && req->id)
		ret = cpt_reservation_follow(cf);
	return ret;
}

/*
 * The index the calling task's next pty gets; CPT_ID_NONE clears it. No
 * kernel interface chooses a pty's index: as for a pid, it takes
 * CAP_CHECKPOINT_RESTORE, over the devpts instance's user namespace (checked
 * when the pty is made, against the namespace the capability was found in).
 */
int cpt_set_next_pty(u64 index)
{
	if (index == CPT_ID_NONE)
		return cpt_set_next_id(CPT_ID_PTY, 0);
	if (index >= NR_UNIX98_PTY_MAX)
		return -EINVAL;
	if (!checkpoint_restore_ns_capable(current_user_ns())) {
		cpt_note("choosing the next pty index needs CAP_CHECKPOINT_RESTORE\n");
		return -EPERM;
	}
	return cpt_set_next_id(CPT_ID_PTY, index + 1);
}

static int cpt_reserved_cmp(const struct cpt_reserved_pid *a, const struct pid_namespace *ns,
			    pid_t nr)
{
	if (a->ns != ns)
		return (unsigned long)a->ns < (unsigned long)ns ? -1 : 1;
	return a->pid < nr ? -1 : a->pid > nr;
}

/* Each entry's skip_to, from the last one back. */
static void cpt_reserved_link(struct cpt_reserved_table *t)
{
	struct cpt_reserved_pid *p, *next;
	unsigned int i;

	for (i = t->nr; i-- > 0;) {
		p = &t->pids[i];
		next = i + 1 < t->nr ? &t->pids[i + 1] : NULL;
		if (next && next->ns == p->ns && next->pid < p->pid + 1 + CPT_RESERVE_AHEAD)
			p->skip_to = next->skip_to;
		else
			p->skip_to = p->pid + 1;
		if (!(i % 4096))
			cond_resched();
	}
}

/*
 * The table with r's pids added (add) or one of each taken out: NULL when
 * no pid is left, ERR_PTR(-ENOMEM) when there is no memory to add them.
 */
static struct cpt_reserved_table *
cpt_reserved_rebuild(const struct cpt_reserved_table *old, const struct cpt_pid_reservation *r,
		     bool add)
{
	unsigned int old_nr = old ? old->nr : 0, nr, i = 0, j = 0, k = 0;
	struct cpt_reserved_table *t;
	int cmp;

	nr = add ? old_nr + r->nr : old_nr - r->nr;
	if (!nr)
		return NULL;
	/* Taking out must not fail: the fork path would keep skipping freed pids. */
	t = kvmalloc(struct_size(t, pids, nr),
		     add ? GFP_KERNEL_ACCOUNT : GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
	if (!t)
		return ERR_PTR(-ENOMEM);
	t->nr = nr;
	while (i < old_nr || j < r->nr) {
		cmp = i == old_nr ? 1 : j == r->nr ? -1 :
			cpt_reserved_cmp(&old->pids[i], r->ns, r->pids[j]);
		if (cmp < 0) {
			t->pids[k++] = old->pids[i++];
		} else if (add) {
			t->pids[k].ns = r->ns;
			t->pids[k++].pid = r->pids[j++];
		} else if (!cmp) {
			i++;
			j++;
		} else {
			j++;	/* not there: can't happen */
		}
		if (!(k % 4096))
			cond_resched();
	}
	if (WARN_ON_ONCE(k != nr))
		t->nr = k;
	cpt_reserved_link(t);
	return t;
}

/* Replaces the table; under cpt_reservations_lock. */
static int cpt_reserved_update(const struct cpt_pid_reservation *r, bool add)
{
	struct cpt_reserved_table *old, *t;

	old = rcu_dereference_protected(cpt_reserved, lockdep_is_held(&cpt_reservations_lock));
	t = cpt_reserved_rebuild(old, r, add);
	if (IS_ERR(t))
		return PTR_ERR(t);
	rcu_assign_pointer(cpt_reserved, t);
	if (old)
		kvfree_rcu(old, rcu);
	return 0;
}

static int cpt_pid_cmp(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;

	return x < y ? -1 : x > y;
}

static void cpt_reservation_free(struct cpt_pid_reservation *r)
{
	unsigned long flags;

	if (r->user) {
		spin_lock_irqsave(&cpt_next_ids_lock, flags);
		cpt_user_uncharge(r->user, true);
		spin_unlock_irqrestore(&cpt_next_ids_lock, flags);
	}
	put_pid_ns(r->ns);
	kvfree(r);
}

/*
 * Keeps the tree's pids from other clones in the caller's pid namespace,
 * where the tree is made. Choosing them needs what the kernel asks of
 * clone3's set_tid, the capability over that namespace. With new_pidns the
 * tree is made in a namespace the caller makes later, below its own: the
 * reservation waits, unplaced, for the first pid asked for there
 * (cpt_reservation_follow), whose request needs the capability over that
 * namespace instead. It is charged to the user now all the same.
 */
int cpt_nextid_reserve(struct cpt_session *s, bool new_pidns)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct cpt_pid_reservation *r;
	struct cpt_user_use *spare;
	unsigned long flags;
	unsigned int i;
	int ret;

	if (!new_pidns && !checkpoint_restore_ns_capable(ns->user_ns)) {
		cpt_note("restoring a tree's pids needs CAP_CHECKPOINT_RESTORE\n");
		return -EPERM;
	}
	r = kvzalloc(struct_size(r, pids, s->nr_tasks), GFP_KERNEL_ACCOUNT);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!r || !spare) {
		kvfree(r);
		kfree(spare);
		return -ENOMEM;
	}
	r->session = s;
	r->ns = get_pid_ns(ns);
	r->nr = s->nr_tasks;
	for (i = 0; i < r->nr; i++)
		r->pids[i] = s->tasks[i].pid;
	sort(r->pids, r->nr, sizeof(r->pids[0]), cpt_pid_cmp, NULL);

	spin_lock_irqsave(&cpt_next_ids_lock, flags);
	r->user = cpt_user_charge(&spare, true);
	spin_unlock_irqrestore(&cpt_next_ids_lock, flags);
	kfree(spare);
	if (!r->user) {
		cpt_reservation_free(r);
		cpt_note("too many restarts at once: %u per user, %u in all\n",
			 CPT_RESERVATIONS_PER_USER, CPT_RESERVATIONS_MAX);
		return -EAGAIN;
	}

	ret = mutex_lock_killable(&cpt_reservations_lock);
	if (!ret) {
		r->new_pidns = new_pidns;
		r->placed = !new_pidns;
		if (r->placed)
			ret = cpt_reserved_update(r, true);
		if (!ret)
			list_add(&r->node, &cpt_reservations);
		mutex_unlock(&cpt_reservations_lock);
	}
	if (ret) {
		cpt_reservation_free(r);
		return ret;
	}
	s->reserved = r;
	return 0;
}

/*
 * Whether the calling task may become a task of s's tree. A restart that
 * asked no capability at INIT (CPT_INIT_NEW_PIDNS) restores only tasks of
 * the pid namespace its pids were placed in, where a pid request showed the
 * capability over it: not a task that has an image pid elsewhere, as a
 * user's own fork in the initial pid namespace may.
 */
bool cpt_nextid_may_restore(const struct cpt_session *s)
{
	const struct cpt_pid_reservation *r = s->reserved;
	bool ok;

	if (!r || !r->new_pidns)
		return true;
	mutex_lock(&cpt_reservations_lock);
	ok = r->placed && r->ns == task_active_pid_ns(current);
	mutex_unlock(&cpt_reservations_lock);
	return ok;
}

void cpt_nextid_unreserve(struct cpt_session *s)
{
	struct cpt_pid_reservation *r = s->reserved;

	if (!r)
		return;
	mutex_lock(&cpt_reservations_lock);
	list_del(&r->node);
	if (r->placed)
		cpt_reserved_update(r, false);	/* can't fail when taking out */
	mutex_unlock(&cpt_reservations_lock);
	/*
	 * A clone's probe may still compare namespaces with r->ns in the old
	 * table: put_pid_ns() frees it after a grace period, so it is not
	 * another namespace's until that probe is done.
	 */
	cpt_reservation_free(r);
	s->reserved = NULL;
}

/* Moves r's pids to namespace ns; under cpt_reservations_lock. */
static int cpt_reservation_move(struct cpt_pid_reservation *r, struct pid_namespace *ns)
{
	struct cpt_reserved_table *old, *without, *t;
	struct pid_namespace *was = r->ns;

	old = rcu_dereference_protected(cpt_reserved, lockdep_is_held(&cpt_reservations_lock));
	without = cpt_reserved_rebuild(old, r, false);
	r->ns = ns;
	t = cpt_reserved_rebuild(without, r, true);
	kvfree(without);	/* never published */
	if (IS_ERR(t)) {
		r->ns = was;
		return PTR_ERR(t);
	}
	r->ns = get_pid_ns(ns);
	rcu_assign_pointer(cpt_reserved, t);
	if (old)
		kvfree_rcu(old, rcu);
	put_pid_ns(was);	/* after a grace period: see cpt_nextid_unreserve */
	return 0;
}

/* Puts an unplaced r's pids in namespace ns; under cpt_reservations_lock. */
static int cpt_reservation_place(struct cpt_pid_reservation *r, struct pid_namespace *ns)
{
	struct pid_namespace *was = r->ns;
	int ret;

	r->ns = ns;
	ret = cpt_reserved_update(r, true);
	if (ret) {
		r->ns = was;
		return ret;
	}
	r->ns = get_pid_ns(ns);
	r->placed = true;
	put_pid_ns(was);
	return 0;
}

/* Whether ns is target or one of its descendants: the capability reaches it. */
static bool cpt_userns_within(const struct user_namespace *ns, const struct user_namespace *target)
{
	for (; ns; ns = ns->parent)
		if (ns == target)
			return true;
	return false;
}

static int cpt_new_pty_index_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	cpt_compat_saw_new_pty_index(regs);
	*(struct cpt_pts_fs_info **)ri->data = (struct cpt_pts_fs_info *)regs->di;
	return 0;
}

static int cpt_new_pty_index_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cpt_pts_fs_info *fsi = *(struct cpt_pts_fs_info **)ri->data;
	long index = regs_return_value(regs);
	struct cpt_next_id_req *req;
	bool allowed;
	int want;

	req = cpt_take_own_next_id(CPT_ID_PTY);
	if (!req)
		return 0;
	want = req->nr - 1;	/* stored + 1: 0 is an index */
	allowed = want < fsi->mount_opts.max &&
		cpt_userns_within(fsi->sb->s_user_ns, req->user_ns);
	cpt_free_next_id(req);
	if (index < 0 || index == want || !allowed)
		return 0;
	if (ida_alloc_range(&fsi->allocated_ptys, want, want, GFP_ATOMIC) == want) {
		ida_free(&fsi->allocated_ptys, index);
		regs_set_return_value(regs, want);
	}
	return 0;
}

static struct kretprobe cpt_new_pty_index_probe = {
	.kp.symbol_name = "devpts_new_index",
	.entry_handler = cpt_new_pty_index_entry,
	.handler = cpt_new_pty_index_return,
	.data_size = sizeof(struct cpt_pts_fs_info *),
	.maxactive = CPT_NEW_PTY_INDEX_ACTIVE,
};

/* What the module holds, for tests: each a "name value" line. */
static int cpt_param_get_next_ids(char *buf, const struct kernel_param *kp)
{
	const struct cpt_reserved_table *t;
	unsigned int requests, reservations, reserved;
	unsigned long flags;

	spin_lock_irqsave(&cpt_next_ids_lock, flags);
	requests = cpt_nr_requests;
	reservations = cpt_nr_reservations;
	spin_unlock_irqrestore(&cpt_next_ids_lock, flags);
	rcu_read_lock();
	t = rcu_dereference(cpt_reserved);
	reserved = t ? t->nr : 0;
	rcu_read_unlock();
	return sysfs_emit(buf, "requests %u\nreservations %u\nreserved_pids %u\n"
			  "alloc_pid_missed %d\nnew_pty_index_missed %d\n",
			  requests, reservations, reserved, cpt_alloc_pid_probe.nmissed,
			  cpt_new_pty_index_probe.nmissed);
}

static int cpt_param_no_set(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

static const struct kernel_param_ops cpt_param_next_ids_ops = {
	.set = cpt_param_no_set,
	.get = cpt_param_get_next_ids,
};
module_param_cb(next_ids, &cpt_param_next_ids_ops, NULL, 0444);
MODULE_PARM_DESC(next_ids, "live next-id requests, pid reservations, and probe misses");

int cpt_nextid_init(void)
{
	int ret = register_kprobe(&cpt_task_exit_probe);

	if (ret) {
		pr_err("cannot probe do_exit (%d): next-id requests are freed there\n", ret);
		return ret;
	}
	ret = register_kprobe(&cpt_alloc_pid_reserved_probe);
	if (ret) {
		pr_err("cannot probe alloc_pid (%d): the pid reservations need it\n", ret);
		goto out_exit;
	}
	ret = register_kretprobe(&cpt_alloc_pid_probe);
	if (ret) {
		pr_err("cannot probe alloc_pid (%d): the per-task next pid needs it\n", ret);
		goto out_reserved;
	}
	ret = register_kretprobe(&cpt_new_pty_index_probe);
	if (ret) {
		pr_err("cannot probe devpts_new_index (%d): the next pty index needs it\n", ret);
		goto out_alloc_pid;
	}
	return 0;
out_alloc_pid:
	unregister_kretprobe(&cpt_alloc_pid_probe);
out_reserved:
	unregister_kprobe(&cpt_alloc_pid_reserved_probe);
out_exit:
	unregister_kprobe(&cpt_task_exit_probe);
	return ret;
}

void cpt_nextid_exit(void)
{
	struct cpt_next_id_req *req;
	struct hlist_node *tmp;
	unsigned long flags;
	unsigned int bkt;

	unregister_kretprobe(&cpt_new_pty_index_probe);
	unregister_kretprobe(&cpt_alloc_pid_probe);
	unregister_kprobe(&cpt_alloc_pid_reserved_probe);
	unregister_kprobe(&cpt_task_exit_probe);
	spin_lock_irqsave(&cpt_next_ids_lock, flags);
	hash_for_each_safe(cpt_next_ids, bkt, tmp, req, node) {
		hash_del(&req->node);
		cpt_user_uncharge(req->user, false);
		cpt_free_next_id(req);
	}
	spin_unlock_irqrestore(&cpt_next_ids_lock, flags);
}
