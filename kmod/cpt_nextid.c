// SPDX-License-Identifier: GPL-2.0
/*
 * The per-task next id: the pid the calling task's next clone() gets.
 *
 * A kretprobe on alloc_pid() hands the kernel a set_tid array for the task
 * that asked, exactly as clone3() with set_tid would: the kernel's own checks
 * (CAP_CHECKPOINT_RESTORE over the pid namespace, -EEXIST for a pid in use)
 * stay in force. The array lives in the probe instance, so it outlives the
 * call. Requests are keyed by the task's struct pid, which can't be reused
 * while we hold it; only the requesting task ever consumes its request.
 */
#include <linux/hashtable.h>
#include <linux/kprobes.h>
#include <linux/pid.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/threads.h>

#include "cpt_internal.h"

struct cpt_next_pid {
	struct hlist_node node;
	struct pid *task;	/* the requesting task */
	pid_t nr;
};

static DEFINE_HASHTABLE(cpt_next_pids, 6);
static DEFINE_SPINLOCK(cpt_next_pids_lock);

/* Unhashes and returns the current task's request, if it has one. */
static struct cpt_next_pid *cpt_take_next_pid(struct pid *task)
{
	struct cpt_next_pid *req;

	hash_for_each_possible(cpt_next_pids, req, node, (unsigned long)task) {
		if (req->task == task) {
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

static int cpt_alloc_pid_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cpt_next_pid *req;
	pid_t *set_tid = (pid_t *)ri->data;
	unsigned long flags;

	/* The caller already chose its pids (clone3 with set_tid). */
	if (regs->dx)
		return 1;

	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	req = cpt_take_next_pid(task_pid(current));
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

static int cpt_set_next_pid(pid_t nr)
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
		req->nr = nr;
	}

	spin_lock_irqsave(&cpt_next_pids_lock, flags);
	old = cpt_take_next_pid(self);
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

	if (req->kind != CPT_ID_PID || req->reserved0 ||
	    req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->id >= PID_MAX_LIMIT)
		return -EINVAL;
	return cpt_set_next_pid(req->id);
}

int cpt_nextid_init(void)
{
	int ret = register_kretprobe(&cpt_alloc_pid_probe);

	if (ret)
		pr_err("cannot probe alloc_pid (%d): the per-task next pid needs it\n", ret);
	return ret;
}

void cpt_nextid_exit(void)
{
	struct cpt_next_pid *req;
	struct hlist_node *tmp;
	unsigned int bkt;

	unregister_kretprobe(&cpt_alloc_pid_probe);
	hash_for_each_safe(cpt_next_pids, bkt, tmp, req, node) {
		hash_del(&req->node);
		cpt_free_next_pid(req);
	}
}
