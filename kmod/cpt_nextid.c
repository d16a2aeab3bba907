// SPDX-License-Identifier: GPL-2.0
/*
 * The per-task next ids: the pid the calling task's next clone() gets, and
 * the index of the next pty it makes by opening ptmx.
 *
 * A kretprobe on alloc_pid() hands the kernel a set_tid array for the task
 * that asked, exactly as clone3() with set_tid would: the kernel's own checks
 * (CAP_CHECKPOINT_RESTORE over the pid namespace, -EEXIST for a pid in use)
 * stay in force. The array lives in the probe instance, so it outlives the
 * call. Requests are keyed by the task's struct pid, which can't be reused
 * while we hold it; only the requesting task ever consumes its request.
 *
 * While a tree is being restored its pids are reserved: before any other
 * clone in that pid namespace, the probe moves the namespace's cyclic pid
 * cursor past reserved pids within CPT_RESERVE_AHEAD of it, so that the
 * kernel's own allocation never reaches them. The margin covers clones
 * already past the probe and not yet allocating.
 *
 * A pty's index comes from devpts_new_index(), the lowest free one of the
 * devpts instance: a kretprobe takes the asked index from the instance's
 * ida when the kernel's own allocation returns, and gives back the one the
 * kernel took. If the asked index is taken, the pty keeps the kernel's.
 */
#include <linux/hashtable.h>
#include <linux/idr.h>
#include <linux/kprobes.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/pid_namespace.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/spinlock.h>
#include <linux/threads.h>
#include <linux/tty.h>

#include "cpt_compat.h"
#include "cpt_internal.h"
#include "cpt_session.h"

#define CPT_RESERVE_AHEAD 1024

/* The pids of a tree being restored, in the restarting caller's namespace. */
struct cpt_pid_reservation {
	struct list_head node;
	struct pid_namespace *ns;
	unsigned int nr;
	pid_t pids[];		/* sorted */
};

static LIST_HEAD(cpt_reservations);

struct cpt_next_pid {
	struct hlist_node node;
	struct pid *task;	/* the requesting task */
	u32 kind;		/* CPT_ID_PID or CPT_ID_PTY */
	pid_t nr;
};

static DEFINE_HASHTABLE(cpt_next_pids, 6);
static DEFINE_SPINLOCK(cpt_next_pids_lock);

/* Unhashes and returns the task's request of a kind, if it has one. */
static struct cpt_next_pid *cpt_take_next_pid(struct pid *task, u32 kind)
{
	struct cpt_next_pid *req;

	hash_for_each_possible(cpt_next_pids, req, node, (unsigned long)task) {
		if (req->task == task && req->kind == kind) {
			hash_del(&req->node);
			return req;
		}
	}
	return NULL;
}

static void cpt_free_next_pid(struct cpt_next_pid *req)
{
	put_pid(req->task);
	kfree(req);
}

/* Moves ns's pid cursor past the reserved pids just ahead of it. Under cpt_next_pids_lock. */
static void cpt_skip_reserved(struct pid_namespace *ns)
{
	struct cpt_pid_reservation *r;
	int cursor, start;
	unsigned int i;

	if (list_empty(&cpt_reservations))
		return;
	cursor = idr_get_cursor(&ns->idr);
	do {
		start = cursor;
		list_for_each_entry(r, &cpt_reservations, node) {
			if (r->ns != ns)
				continue;
			for (i = 0; i < r->nr; i++)
				if (r->pids[i] >= cursor && r->pids[i] < cursor + CPT_RESERVE_AHEAD)
					cursor = r->pids[i] + 1;
		}
	} while (cursor != start);
	if (cursor != idr_get_cursor(&ns->idr))
		idr_set_cursor(&ns->idr, cursor);
}

static int cpt_alloc_pid_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cpt_next_pid *req;
	pid_t *set_tid = (pid_t *)ri->data;
	unsigned long flags;

	cpt_compat_saw_alloc_pid(regs);
	/* The caller already chose its pids (clone3 with set_tid). */
	if (regs->dx)
		return 1;

	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	req = cpt_take_next_pid(task_pid(current), CPT_ID_PID);
	if (!req)
		cpt_skip_reserved((struct pid_namespace *)regs->di);
	spin_unlock_irqrestore(&cpt_next_pids_lock, flags);
	if (!req)
		return 1;

	*set_tid = req->nr;
	regs->si = (unsigned long)set_tid;
	regs->dx = 1;
	cpt_free_next_pid(req);
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
	.maxactive = 64,
};

static int cpt_set_next_pid(u32 kind, pid_t nr)
{
	struct cpt_next_pid *req, *old;
	struct pid *self = get_task_pid(current, PIDTYPE_PID);
	unsigned long flags;

	req = NULL;
	if (nr) {
		req = kzalloc(sizeof(*req), GFP_KERNEL);
		if (!req) {
			put_pid(self);
			return -ENOMEM;
		}
		req->task = get_pid(self);
		req->kind = kind;
		req->nr = nr;
	}

	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	old = cpt_take_next_pid(self, kind);
	if (req)
		hash_add(cpt_next_pids, &req->node, (unsigned long)self);
	spin_unlock_irqrestore(&cpt_next_pids_lock, flags);

	if (old)
		cpt_free_next_pid(old);
	put_pid(self);
	return 0;
}

long cpt_ioctl_set_next_id(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_next_id *req = &arg->next_id;

	if (req->reserved0 || req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->kind == CPT_ID_PTY)
		return cpt_set_next_pty(req->id);
	if (req->kind != CPT_ID_PID)
		return cpt_ipc_next_id(req->kind, req->id);
	if (req->id >= PID_MAX_LIMIT)
		return -EINVAL;
	return cpt_set_next_pid(CPT_ID_PID, req->id);
}

/* The index the calling task's next pty gets; CPT_ID_NONE clears it. */
int cpt_set_next_pty(u64 index)
{
	if (index == CPT_ID_NONE)
		return cpt_set_next_pid(CPT_ID_PTY, 0);
	if (index >= NR_UNIX98_PTY_MAX)
		return -EINVAL;
	return cpt_set_next_pid(CPT_ID_PTY, index + 1);
}

static int cpt_pid_cmp(const void *a, const void *b)
{
	return *(const pid_t *)a - *(const pid_t *)b;
}

int cpt_nextid_reserve(struct cpt_session *s)
{
	struct cpt_pid_reservation *r;
	unsigned long flags;
	unsigned int i;

	r = kvzalloc(struct_size(r, pids, s->nr_tasks), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->ns = get_pid_ns(task_active_pid_ns(current));
	r->nr = s->nr_tasks;
	for (i = 0; i < r->nr; i++)
		r->pids[i] = s->tasks[i].pid;
	sort(r->pids, r->nr, sizeof(r->pids[0]), cpt_pid_cmp, NULL);
	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	list_add(&r->node, &cpt_reservations);
	spin_unlock_irqrestore(&cpt_next_pids_lock, flags);
	s->reserved = r;
	return 0;
}

void cpt_nextid_unreserve(struct cpt_session *s)
{
	struct cpt_pid_reservation *r = s->reserved;
	unsigned long flags;

	if (!r)
		return;
	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	list_del(&r->node);
	spin_unlock_irqrestore(&cpt_next_pids_lock, flags);
	put_pid_ns(r->ns);
	kvfree(r);
	s->reserved = NULL;
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
	struct cpt_next_pid *req;
	unsigned long flags;
	int want;

	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	req = cpt_take_next_pid(task_pid(current), CPT_ID_PTY);
	spin_unlock_irqrestore(&cpt_next_pids_lock, flags);
	if (!req)
		return 0;
	want = req->nr - 1;	/* stored + 1: 0 is an index */
	cpt_free_next_pid(req);
	if (index < 0 || index == want)
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
	.maxactive = 16,
};

int cpt_nextid_init(void)
{
	int ret = register_kretprobe(&cpt_alloc_pid_probe);

	if (ret) {
		pr_err("cannot probe alloc_pid (%d): the per-task next pid needs it\n", ret);
		return ret;
	}
	ret = register_kretprobe(&cpt_new_pty_index_probe);
	if (ret) {
		pr_err("cannot probe devpts_new_index (%d): the next pty index needs it\n", ret);
		unregister_kretprobe(&cpt_alloc_pid_probe);
	}
	return ret;
}

void cpt_nextid_exit(void)
{
	struct cpt_next_pid *req;
	struct hlist_node *tmp;
	unsigned int bkt;

	unregister_kretprobe(&cpt_alloc_pid_probe);
	unregister_kretprobe(&cpt_new_pty_index_probe);
	hash_for_each_safe(cpt_next_pids, bkt, tmp, req, node) {
		hash_del(&req->node);
		cpt_free_next_pid(req);
	}
}
