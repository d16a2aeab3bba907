// SPDX-License-Identifier: GPL-2.0
/*
 * Timed epoll_wait(), epoll_pwait(), epoll_pwait2() and rt_sigtimedwait()
 * interrupted by the checkpoint go on with the time they had left. The
 * kernel keeps no restart for them: any interruption, the freeze's task
 * work too, makes them return -EINTR, and their deadline lived only in the
 * hrtimer_sleeper on the sleeping task's stack. So:
 *
 *  - the freeze queues its task work first, which parks the task at its
 *    first way back to user mode, and wakes the task only once it is
 *    asleep (cpt_freeze.c), having read that deadline while the task is
 *    blocked and cannot wake (cpt_timed_wait_probe()); woken while it
 *    still ran towards its sleep, the wait would return -EINTR with no
 *    deadline anywhere;
 *  - the freeze's task work, in the task, finds the -EINTR of that very
 *    syscall (no signal pending; the task has not been back in user mode
 *    since the look, or the work would have run then; a syscall keeps one
 *    deadline across its sleeps) and
 *    makes it -ERESTART_RESTARTBLOCK, with cpt_timed_wait_restart() in the
 *    restart block and the wait's arguments and deadline in its union
 *    (cpt_timed_wait_arm()); a checkpoint saves that block, a restart
 *    puts it in place again (cpt_timed_wait_load()), and the kernel's
 *    signal path does the rest: restart_syscall() to go on, or EINTR for a
 *    signal handler, as for a nanosleep;
 *  - the restart calls do_epoll_wait() or do_sigtimedwait(), as their
 *    syscalls do, until the deadline, with epoll_pwait()'s mask set for
 *    the wait again.
 *
 * A timed wait interrupted whose deadline was not read (a task woken by
 * force, having run in the kernel for long) returns -EINTR, and the
 * checkpoint is refused, naming it (cpt_freezer_lost_wait()). As 32-bit
 * syscalls, a timed wait asleep is refused before it is woken
 * (seen->compat), and an untimed one is restarted; so as x32 syscalls
 * (their numbers marked with __X32_SYSCALL_BIT, the 64-bit registers; the
 * x32 sigtimedwait() has its own number and siginfo), which cpt does not
 * resume either.
 *
 * The restart block's function is this module's, and any task may call
 * restart_syscall() while its restart block has it, even one it forked:
 * the module holds a reference of its own while any task's restart block
 * has it, dropped by a work that looks at all tasks ten times a second,
 * once none has. A task is in cpt_timed_wait_restart() only while its restart block
 * has that function (nothing in the wait changes it), so no task runs the
 * module's code once the reference goes.
 */
#include <linux/compat.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/restart_block.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/thread_info.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>
#include <asm/syscall.h>
#include <asm/unistd.h>
#ifdef CONFIG_IA32_EMULATION
#include <asm/unistd_32_ia32.h>
#endif

#ifdef CONFIG_X86_X32_ABI
#include <asm/unistd_64_x32.h>
#endif

#include "cpt_compat.h"
#include "cpt_pb_fields.h"
#include "cpt_timed_wait.h"

/* How often the module's reference is looked at while it holds one. */
#define CPT_TIMED_WAIT_UNPIN_DELAY (HZ / 10)

static long cpt_timed_wait_restart(struct restart_block *rb);

/*
 * The union of a restart block belongs to its function, as futex's,
 * nanosleep's and poll's parts belong to theirs.
 */
static struct cpt_timed_wait *cpt_timed_wait_in(struct restart_block *rb)
{
	BUILD_BUG_ON(sizeof(struct cpt_timed_wait) >
		     sizeof(*rb) - offsetof(struct restart_block, futex));
	return (struct cpt_timed_wait *)&rb->futex;
}

/* The timed wait in rb, or NULL if rb is not cpt's restart of one. */
const struct cpt_timed_wait *cpt_timed_wait_of(const struct restart_block *rb)
{
	if (rb->fn != cpt_timed_wait_restart)
		return NULL;
	return cpt_timed_wait_in((struct restart_block *)rb);
}

static DEFINE_MUTEX(cpt_timed_wait_lock);
static bool cpt_timed_wait_pinned;	/* the module holds its own reference */
static void cpt_timed_wait_unpin(struct work_struct *work);
static DECLARE_DELAYED_WORK(cpt_timed_wait_unpin_work, cpt_timed_wait_unpin);

/* Whether any task's restart block has cpt_timed_wait_restart(). */
static bool cpt_timed_wait_in_use(void)
{
	struct task_struct *g, *t;
	bool used = false;

	rcu_read_lock();
	for_each_process_thread(g, t) {
		if (cpt_compat_restart_fn(t) == cpt_timed_wait_restart) {
			used = true;
			break;
		}
	}
	rcu_read_unlock();
	return used;
}

/*
 * Drops the module's own reference once no task can call into it; the
 * module's exit waits for this work to have returned.
 */
static void cpt_timed_wait_unpin(struct work_struct *work)
{
	mutex_lock(&cpt_timed_wait_lock);
	if (cpt_timed_wait_in_use()) {
		schedule_delayed_work(&cpt_timed_wait_unpin_work, CPT_TIMED_WAIT_UNPIN_DELAY);
	} else if (cpt_timed_wait_pinned) {
		cpt_timed_wait_pinned = false;
		module_put(THIS_MODULE);
	}
	mutex_unlock(&cpt_timed_wait_lock);
}

void cpt_timed_wait_exit(void)
{
	cancel_delayed_work_sync(&cpt_timed_wait_unpin_work);
}

/*
 * Puts w in current's restart block, the module pinned first; under the
 * lock, so that the unpinning work sees the block either before or after.
 * Called from the module's own code (a freeze's task work, a restore's),
 * which holds the module meanwhile.
 */
void cpt_timed_wait_load(const struct cpt_timed_wait *w)
{
	struct restart_block *rb = &current->restart_block;

	mutex_lock(&cpt_timed_wait_lock);
	if (!cpt_timed_wait_pinned) {
		__module_get(THIS_MODULE);
		cpt_timed_wait_pinned = true;
		schedule_delayed_work(&cpt_timed_wait_unpin_work, CPT_TIMED_WAIT_UNPIN_DELAY);
	}
	*cpt_timed_wait_in(rb) = *w;
	set_restart_fn(rb, cpt_timed_wait_restart);
	mutex_unlock(&cpt_timed_wait_lock);
}

/* Whether nr, t's syscall, is a timed wait cpt goes on with. */
static bool cpt_timed_wait_syscall(struct task_struct *t, long nr)
{
	switch (nr) {
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
	case __NR_epoll_pwait2:
	case __NR_rt_sigtimedwait:
		return true;
	case __NR_restart_syscall:
		return cpt_compat_restart_fn(t) == cpt_timed_wait_restart;
	}
	return false;
}

/* Whether t, blocked, is in a timed wait cpt goes on with (a 64-bit syscall's). */
static bool cpt_timed_wait_blocked_in(struct task_struct *t)
{
	return !cpt_compat_syscall_32bit(t) &&
	       cpt_timed_wait_syscall(t, cpt_compat_syscall_nr(task_pt_regs(t)));
}

/* Whether nr, a 32-bit syscall's number, is one of these waits. */
static bool cpt_timed_wait_compat_syscall(long nr)
{
#ifdef CONFIG_IA32_EMULATION
	switch (nr) {
	case __NR_ia32_epoll_wait:
	case __NR_ia32_epoll_pwait:
	case __NR_ia32_epoll_pwait2:
	case __NR_ia32_rt_sigtimedwait:
	case __NR_ia32_rt_sigtimedwait_time64:
		return true;
	}
#endif
	return false;
}

/*
 * The 64-bit number of the wait whose x32 syscall regs are in, or -1 if
 * they are no x32 syscall of these waits.
 */
static long cpt_timed_wait_x32_syscall(const struct pt_regs *regs)
{
#ifdef CONFIG_X86_X32_ABI
	if (!cpt_compat_syscall_x32(regs))
		return -1;
	switch (cpt_compat_syscall_nr(regs) & ~__X32_SYSCALL_BIT) {
	case __NR_epoll_wait:
		return __NR_epoll_wait;
	case __NR_epoll_pwait:
		return __NR_epoll_pwait;
	case __NR_epoll_pwait2:
		return __NR_epoll_pwait2;
	case __NR_x32_rt_sigtimedwait:
		return __NR_rt_sigtimedwait;
	}
#endif
	return -1;
}

/* Whether t, blocked, is in one of these waits as a 32-bit or an x32 syscall. */
static bool cpt_timed_wait_blocked_compat(struct task_struct *t)
{
	const struct pt_regs *regs = task_pt_regs(t);

	if (cpt_compat_syscall_32bit(t))
		return cpt_timed_wait_compat_syscall(cpt_compat_syscall_nr(regs));
	return cpt_timed_wait_x32_syscall(regs) >= 0;
}

/* How the compat syscall numbered nr (cpt_timed_wait_seen's compat_nr) was made. */
const char *cpt_timed_wait_abi(long nr)
{
#ifdef CONFIG_X86_X32_ABI
	if (nr & __X32_SYSCALL_BIT)
		return "an x32";
#endif
	return "a 32-bit";
}

/* The name of syscall nr (compat: a 32-bit one) if it is one of these waits. */
const char *cpt_timed_wait_name(long nr, bool compat)
{
#ifdef CONFIG_X86_X32_ABI
	if (compat && (nr & __X32_SYSCALL_BIT)) {
		nr &= ~__X32_SYSCALL_BIT;
		if (nr == __NR_x32_rt_sigtimedwait)
			return "rt_sigtimedwait()";
		compat = false;	/* the others have the 64-bit numbers */
	}
#endif
#ifdef CONFIG_IA32_EMULATION
	if (compat) {
		switch (nr) {
		case __NR_ia32_epoll_wait:
			return "epoll_wait()";
		case __NR_ia32_epoll_pwait:
			return "epoll_pwait()";
		case __NR_ia32_epoll_pwait2:
			return "epoll_pwait2()";
		case __NR_ia32_rt_sigtimedwait:
		case __NR_ia32_rt_sigtimedwait_time64:
			return "rt_sigtimedwait()";
		}
		return "wait";
	}
#endif
	switch (nr) {
	case __NR_epoll_wait:
		return "epoll_wait()";
	case __NR_epoll_pwait:
		return "epoll_pwait()";
	case __NR_epoll_pwait2:
		return "epoll_pwait2()";
	case __NR_rt_sigtimedwait:
		return "rt_sigtimedwait()";
	}
	return "wait";
}

/*
 * Called by the freeze, its task work queued, until it wakes t: if t is
 * blocked in a timed wait, notes its deadline; if in one as a 32-bit
 * syscall, notes that (compat). An untimed wait has no sleeper, so none is
 * seen. The task cannot have left its syscall since the work was queued
 * without parking: what is seen stays so.
 */
void cpt_timed_wait_probe(struct task_struct *t, struct cpt_timed_wait_seen *seen)
{
	unsigned long nvcsw;

	if (seen->seen || seen->compat)
		return;
	seen->seen = cpt_compat_timed_sleeper(t, cpt_timed_wait_blocked_in, &seen->deadline,
					      &nvcsw);
	if (!seen->seen && cpt_compat_timed_sleeper(t, cpt_timed_wait_blocked_compat,
						    &seen->deadline, &nvcsw)) {
		seen->compat_nr = cpt_compat_syscall_nr(task_pt_regs(t));
		seen->compat = true;
	}
}

/*
 * In the freeze's task work, the task's syscall having returned -EINTR
 * with no signal pending: if that is the wait the freeze saw (the task
 * has not been back in user mode since), puts the wait in the restart block, for the caller to
 * return -ERESTART_RESTARTBLOCK. epoll_pwait()'s mask is still current's
 * (the signal path restores the task's own after this); the set
 * sigtimedwait() waits for is read again from where its syscall read it.
 */
bool cpt_timed_wait_arm(const struct pt_regs *regs, const struct cpt_timed_wait_seen *seen)
{
	struct cpt_timed_wait w = { .deadline = seen->deadline };
	sigset_t set;

	if (!seen->seen || in_compat_syscall())
		return false;
	switch (cpt_compat_syscall_nr(regs)) {
	case __NR_restart_syscall:
		/* cpt's restart, interrupted: its block is as it was */
		return cpt_timed_wait_of(&current->restart_block);
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
	case __NR_epoll_pwait2:
		w.kind = CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT;
		w.fd = regs->di;
		w.uaddr = regs->si;
		w.maxevents = regs->dx;
		w.has_sigset = test_restore_sigmask();
		if (w.has_sigset)
			w.sigset = current->blocked.sig[0];
		break;
	case __NR_rt_sigtimedwait:
		BUILD_BUG_ON(_NSIG_WORDS != 1);
		if (regs->r10 != sizeof(set) ||
		    copy_from_user(&set, (const void __user *)regs->di, sizeof(set)))
			return false;
		w.kind = CPT_PB_RESTART_BLOCK_KIND_SIGTIMEDWAIT;
		w.sigset = set.sig[0];
		w.uaddr = regs->si;
		break;
	default:
		return false;
	}
	cpt_timed_wait_load(&w);
	return true;
}

/*
 * Whether t's syscall (current's in its task work, or that of t asleep)
 * is one of these waits, as a 64-bit, a 32-bit or an x32 syscall, and
 * with a timeout: a negative epoll timeout, or no timespec, is none; cpt's
 * restart of one has one.
 */
static enum cpt_timed_wait_timeout cpt_timed_wait_timeout_of(struct task_struct *t,
							     const struct pt_regs *regs)
{
	long nr = cpt_compat_syscall_nr(regs);
	bool timed;

	if (cpt_compat_syscall_32bit(t)) {
		if (!cpt_timed_wait_compat_syscall(nr))
			return CPT_TIMED_WAIT_NONE;
#ifdef CONFIG_IA32_EMULATION
		/* ebx, ecx, edx, esi, edi, ebp: the timeout is the 4th (sigtimedwait: 3rd) */
		switch (nr) {
		case __NR_ia32_epoll_wait:
		case __NR_ia32_epoll_pwait:
			timed = (int)regs->si >= 0;
			break;
		case __NR_ia32_epoll_pwait2:
			timed = (u32)regs->si;
			break;
		default:
			timed = (u32)regs->dx;
			break;
		}
		return timed ? CPT_TIMED_WAIT_TIMED : CPT_TIMED_WAIT_UNTIMED;
#endif
	}
	/* x32: the 64-bit registers; any other x32 call is none of these waits */
	if (cpt_compat_syscall_x32(regs)) {
		nr = cpt_timed_wait_x32_syscall(regs);
		if (nr < 0)
			return CPT_TIMED_WAIT_NONE;
	}
	switch (nr) {
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
		timed = (int)regs->r10 >= 0;
		break;
	case __NR_epoll_pwait2:
		timed = regs->r10;
		break;
	case __NR_rt_sigtimedwait:
		timed = regs->dx;	/* its timespec */
		break;
	case __NR_restart_syscall:
		if (cpt_compat_restart_fn(t) != cpt_timed_wait_restart)
			return CPT_TIMED_WAIT_NONE;
		timed = true;
		break;
	default:
		return CPT_TIMED_WAIT_NONE;
	}
	return timed ? CPT_TIMED_WAIT_TIMED : CPT_TIMED_WAIT_UNTIMED;
}

enum cpt_timed_wait_timeout cpt_timed_wait_timeout(struct task_struct *t)
{
	enum cpt_timed_wait_timeout ret;

	/* t's registers are on its stack, which its exit frees: pinned, none if gone. */
	if (!try_get_task_stack(t))
		return CPT_TIMED_WAIT_NONE;
	ret = cpt_timed_wait_timeout_of(t, task_pt_regs(t));
	cpt_sym.put_task_stack(t);
	return ret;
}

/* What epoll_pwait() does around do_epoll_wait(), with w's mask. */
static long cpt_timed_wait_epoll(const struct cpt_timed_wait *w)
{
	struct timespec64 end = ktime_to_timespec64(w->deadline);
	sigset_t mask = { .sig = { w->sigset } };
	long ret;

	if (w->has_sigset) {
		current->saved_sigmask = current->blocked;
		set_restore_sigmask();
		sigprocmask(SIG_SETMASK, &mask, NULL);
	}
	/* A deadline of 0 would be a timeout of 0: the same, once it has passed. */
	ret = cpt_sym.do_epoll_wait(w->fd, u64_to_user_ptr(w->uaddr), w->maxevents, &end);
	/* restore_saved_sigmask_unless(ret == -EINTR): the signal path's otherwise */
	if (ret != -EINTR && test_and_clear_restore_sigmask())
		sigprocmask(SIG_SETMASK, &current->saved_sigmask, NULL);
	return ret;
}

/* What rt_sigtimedwait() does around do_sigtimedwait(), with the time left. */
static long cpt_timed_wait_sigtimedwait(const struct cpt_timed_wait *w)
{
	struct timespec64 left = ktime_to_timespec64(max_t(ktime_t, 0,
							   ktime_sub(w->deadline, ktime_get())));
	sigset_t set = { .sig = { w->sigset } };
	kernel_siginfo_t info;
	long ret;

	ret = cpt_sym.do_sigtimedwait(&set, &info, &left);
	if (ret > 0 && w->uaddr &&
	    cpt_sym.copy_siginfo_to_user(u64_to_user_ptr(w->uaddr), &info))
		ret = -EFAULT;
	return ret;
}

/* restart_syscall() of a timed wait cpt interrupted. */
static long cpt_timed_wait_restart(struct restart_block *rb)
{
	const struct cpt_timed_wait *w = cpt_timed_wait_in(rb);

	if (w->kind == CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT)
		return cpt_timed_wait_epoll(w);
	return cpt_timed_wait_sigtimedwait(w);
}
