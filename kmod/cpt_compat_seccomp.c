// SPDX-License-Identifier: GPL-2.0
/*
 * kernel/seccomp.c's filters as the kernel keeps them: a checkpoint reads a
 * task's chain, a restart hands a filter one restoring task made to another
 * (threads that shared a chain, a parent and child that shared a prefix),
 * as fork() and SECCOMP_FILTER_FLAG_TSYNC share them. struct seccomp_filter
 * is private to seccomp.c: its copy here is checked when the module loads
 * (seccomp_filter), against two filters a kernel thread installs with
 * seccomp() itself.
 */
#include <linux/completion.h>
#include <linux/filter.h>
#include <linux/kthread.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/seccomp.h>
#include <linux/uaccess.h>
#include <asm/seccomp.h>

#include "cpt_compat.h"
#include "cpt_internal.h"

/* seccomp.c's struct action_cache (x86-64 has a native and a compat arch). */
struct cpt_seccomp_action_cache {
	DECLARE_BITMAP(allow_native, SECCOMP_ARCH_NATIVE_NR);
#ifdef SECCOMP_ARCH_COMPAT
	DECLARE_BITMAP(allow_compat, SECCOMP_ARCH_COMPAT_NR);
#endif
};

/*
 * seccomp.c's struct seccomp_filter, up to what cpt reads. A filter is
 * never changed once attached, but for refs and users: it lives while a
 * task, a later filter (prev) or a listener holds it.
 */
struct cpt_seccomp_filter {
	refcount_t refs;
	refcount_t users;
	bool log;			/* SECCOMP_FILTER_FLAG_LOG */
	bool wait_killable_recv;	/* SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV */
	struct cpt_seccomp_action_cache cache;
	struct cpt_seccomp_filter *prev;
	struct bpf_prog *prog;
	void *notif;			/* a user-notification listener's, or NULL */
};

void cpt_compat_seccomp_view(const void *filter, struct cpt_seccomp_view *v)
{
	const struct cpt_seccomp_filter *f = filter;
	const struct sock_fprog_kern *orig = f->prog ? f->prog->orig_prog : NULL;

	v->prev = f->prev;
	v->log = f->log;
	v->listener = f->notif || f->wait_killable_recv;
	/* seccomp() keeps every classic filter's program (CONFIG_CHECKPOINT_RESTORE). */
	v->insns = orig ? orig->filter : NULL;
	v->len = orig ? orig->len : 0;
}

/*
 * fn(t, arg) under t's siglock, as lock_task_sighand() (whose body is not
 * exported) would take it, or -ESRCH once t was released, and its filters
 * with it. RCU keeps the sighand valid until it is checked to still be t's.
 */
int cpt_compat_with_siglock(struct task_struct *t, int (*fn)(struct task_struct *t, void *arg),
			    void *arg)
{
	struct sighand_struct *sighand;
	unsigned long flags;
	int ret = -ESRCH;

	rcu_read_lock();
	for (;;) {
		sighand = rcu_dereference(t->sighand);
		if (!sighand)
			break;
		spin_lock_irqsave(&sighand->siglock, flags);
		if (sighand == rcu_access_pointer(t->sighand)) {
			ret = fn(t, arg);
			spin_unlock_irqrestore(&sighand->siglock, flags);
			break;
		}
		spin_unlock_irqrestore(&sighand->siglock, flags);
	}
	rcu_read_unlock();
	return ret;
}

/* current's siglock: its sighand is its own while it runs. */
static spinlock_t *cpt_current_siglock(void)
{
	return &rcu_dereference_protected(current->sighand, true)->siglock;
}

static bool cpt_seccomp_in_chain(const struct cpt_seccomp_filter *f,
				 const struct cpt_seccomp_filter *chain)
{
	for (; chain; chain = chain->prev)
		if (chain == f)
			return true;
	return false;
}

/*
 * Makes filter (and the chain it ends) current's, as TSYNC makes a
 * thread's: filter is in owner's chain, which holds it while owner's
 * sighand is there, and current's own filters (the restarting caller's, if
 * it runs under seccomp) must be below it. Only current changes its filter
 * but a TSYNC of a thread of its process: cred_guard_mutex keeps those out.
 */
/* What attaching takes from the owner: filter f, over current's old chain. */
struct cpt_seccomp_take {
	struct cpt_seccomp_filter *f, *old;
};

/* Under owner's siglock: a reference to f for current, as TSYNC takes one. */
static int cpt_seccomp_take_ref(struct task_struct *owner, void *arg)
{
	struct cpt_seccomp_take *take = arg;

	if (!cpt_seccomp_in_chain(take->f, (void *)owner->seccomp.filter) ||
	    (take->old && !cpt_seccomp_in_chain(take->old, take->f)))
		return -EPERM;
	refcount_inc(&take->f->refs);
	refcount_inc(&take->f->users);
	return 0;
}

int cpt_compat_seccomp_attach(void *filter, struct task_struct *owner)
{
	struct cpt_seccomp_take take = { .f = filter };
	struct cpt_seccomp_filter *f = filter, *old, *w;
	spinlock_t *siglock = cpt_current_siglock();
	int count = 0, ret = 0;

	if (mutex_lock_killable(&current->signal->cred_guard_mutex))
		return -EINTR;
	spin_lock_irq(siglock);
	if (current->seccomp.mode == SECCOMP_MODE_STRICT)
		ret = -EINVAL;
	old = (struct cpt_seccomp_filter *)current->seccomp.filter;
	spin_unlock_irq(siglock);
	take.old = old;
	if (!ret)
		ret = cpt_compat_with_siglock(owner, cpt_seccomp_take_ref, &take);
	if (ret)
		goto out;
	for (w = f; w; w = w->prev)
		count++;
	spin_lock_irq(siglock);
	/* As TSYNC publishes it: the chain is complete before it is seen. */
	smp_store_release(&current->seccomp.filter, (struct seccomp_filter *)f);
	atomic_set(&current->seccomp.filter_count, count);
	if (current->seccomp.mode == SECCOMP_MODE_DISABLED) {
		current->seccomp.mode = SECCOMP_MODE_FILTER;
		/* seccomp_assign_mode(): the mode is set before the work bit that reads it */
		smp_mb__before_atomic();
		/* Its default, as the filters made with seccomp() (no SPEC_ALLOW) had. */
		cpt_sym.arch_seccomp_spec_mitigate(current);
		set_task_syscall_work(current, SECCOMP);
	}
	spin_unlock_irq(siglock);
	/* f's chain holds old, through the filter above it: these are never the last. */
	if (old) {
		refcount_dec(&old->users);
		refcount_dec(&old->refs);
	}
out:
	mutex_unlock(&current->signal->cred_guard_mutex);
	return ret;
}

/* current's filter: only current changes it (or a TSYNC of its own process). */
const void *cpt_compat_seccomp_current(void)
{
	spinlock_t *siglock = cpt_current_siglock();
	const void *f;

	spin_lock_irq(siglock);
	f = current->seccomp.filter;
	spin_unlock_irq(siglock);
	return f;
}

/*
 * The check: a kernel thread, in the loading task's memory, installs a
 * filter with SECCOMP_FILTER_FLAG_LOG and one without over it, with
 * seccomp() itself; their copies must read as what was installed.
 */
struct cpt_seccomp_probe {
	struct mm_struct *mm;
	struct completion done;
	int ret;
};

static const struct sock_filter cpt_seccomp_probe_insns[2][2] = {
	{ BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) },
	{ BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) },
};

static int cpt_seccomp_probe_install(struct cpt_ubuf *ub, unsigned int i, unsigned int flags)
{
	struct sock_fprog fprog = {
		.len = i ? 1 : 2,
		.filter = (struct sock_filter __user *)(ub->addr + sizeof(fprog)),
	};
	long ret;

	if (copy_to_user((void __user *)ub->addr, &fprog, sizeof(fprog)) ||
	    copy_to_user(fprog.filter, cpt_seccomp_probe_insns[i],
			 sizeof(cpt_seccomp_probe_insns[i])))
		return cpt_compat_untested("cannot write the probe's filter");
	ret = cpt_sys(cpt_sym.sys_seccomp, SECCOMP_SET_MODE_FILTER,
		      flags | SECCOMP_FILTER_FLAG_SPEC_ALLOW, ub->addr, 0, 0);
	if (ret)
		return cpt_compat_untested("seccomp() refused the probe's filter (%ld)", ret);
	return 0;
}

static bool cpt_seccomp_probe_reads(const struct cpt_seccomp_filter *f, unsigned int i,
				    const void *prev, bool log)
{
	struct cpt_seccomp_view v;
	unsigned int len = i ? 1 : 2;

	cpt_compat_seccomp_view(f, &v);
	return v.prev == prev && v.log == log && !v.listener && v.len == len && v.insns &&
	       !memcmp(v.insns, cpt_seccomp_probe_insns[i], len * sizeof(*v.insns)) &&
	       refcount_read(&f->refs) == 1 && refcount_read(&f->users) == 1;
}

static int cpt_seccomp_probe_check(void)
{
	const struct cpt_seccomp_filter *first, *second;
	struct cpt_ubuf ub = {};
	int ret;

	ret = cpt_ubuf_get(&ub, PAGE_SIZE);
	if (ret)
		return cpt_compat_untested("no memory for the probe's filter (%d)", ret);
	ret = cpt_seccomp_probe_install(&ub, 0, SECCOMP_FILTER_FLAG_LOG);
	first = (const void *)current->seccomp.filter;
	if (!ret && (!first || !cpt_seccomp_probe_reads(first, 0, NULL, true)))
		ret = cpt_compat_fail("a filter installed with FLAG_LOG reads otherwise");
	if (!ret)
		ret = cpt_seccomp_probe_install(&ub, 1, 0);
	second = (const void *)current->seccomp.filter;
	if (!ret && (second == first || !cpt_seccomp_probe_reads(second, 1, first, false) ||
		     atomic_read(&current->seccomp.filter_count) != 2 ||
		     current->seccomp.mode != SECCOMP_MODE_FILTER))
		ret = cpt_compat_fail("a second filter does not read as over the first");
	cpt_ubuf_put(&ub);
	return ret;
}

/* The thread's filters go when it does (release_task()). */
static int cpt_seccomp_probe_thread(void *data)
{
	struct cpt_seccomp_probe *p = data;

	kthread_use_mm(p->mm);
	p->ret = cpt_seccomp_probe_check();
	kthread_unuse_mm(p->mm);
	complete(&p->done);
	return cpt_compat_wait_for_stop();
}

int cpt_check_seccomp_filter(void)
{
	struct cpt_seccomp_probe p = { .ret = 0 };
	struct task_struct *thread;

	p.mm = get_task_mm(current);
	if (!p.mm)
		return cpt_compat_untested("the loading task has no memory");
	init_completion(&p.done);
	thread = kthread_run(cpt_seccomp_probe_thread, &p, "cpt-seccomp");
	if (IS_ERR(thread)) {
		mmput(p.mm);
		return cpt_compat_fail("cannot make a kernel thread to install filters (%ld)",
				       PTR_ERR(thread));
	}
	wait_for_completion(&p.done);
	kthread_stop(thread);
	mmput(p.mm);
	return p.ret;
}
