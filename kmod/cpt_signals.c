// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state: the actions, the blocked mask, the pending signals of the
 * task's own queue and of the process-wide one, each with its siginfo, and
 * the alternate signal stack.
 *
 * The restoring task takes it in its final step, through the kernel's own
 * paths where they are exported: send_sig_info() queues each signal (so the
 * usual accounting and limits apply), sigprocmask() sets the mask.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "cpt_compat.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"

/* What no mask may hold and no action may change. */
#define CPT_SIG_KERNEL_ONLY (sigmask(SIGKILL) | sigmask(SIGSTOP))

/* How often a save retries when signals arrive faster than it allocates. */
#define CPT_SNAPSHOT_TRIES 8

struct cpt_pending {
	kernel_siginfo_t info;
	bool shared;
};

/*
 * The signal state of one task: at checkpoint a copy taken under the
 * target's siglock, at restart the decoded image, which the final step
 * applies.
 */
struct cpt_restore_signals {
	struct sigaction action[_NSIG];
	sigset_t blocked;
	unsigned long sas_ss_sp;
	size_t sas_ss_size;
	unsigned int sas_ss_flags;
	unsigned int nr_pending;
	unsigned int max_pending;
	struct cpt_pending *pending;
};

static void cpt_signal_state_free(struct cpt_restore_signals *rs)
{
	if (!rs)
		return;
	kvfree(rs->pending);
	kfree(rs);
}

static unsigned int cpt_queue_length(struct sigpending *queue)
{
	struct sigqueue *q;
	unsigned int n = 0;

	list_for_each_entry(q, &queue->list, list)
		n++;
	return n;
}

/*
 * Copies a queue's signals in their order: one per queued siginfo, plus one
 * per signal pending without a siginfo (the kernel's fast path, or a queue
 * allocation that failed), reported as collect_signal() would report it.
 */
static void cpt_copy_queue(struct cpt_restore_signals *rs, struct sigpending *queue,
			   bool shared)
{
	struct cpt_pending *p;
	struct sigqueue *q;
	sigset_t seen;
	int sig;

	sigemptyset(&seen);
	list_for_each_entry(q, &queue->list, list) {
		sig = q->info.si_signo;
		if (sig < 1 || !valid_signal(sig) || !sigismember(&queue->signal, sig))
			continue;
		sigaddset(&seen, sig);
		/* A timer's own: saved and queued again with its timer (cpt_posix_timers.c). */
		if (cpt_compat_sigqueue_is_timers(q))
			continue;
		p = &rs->pending[rs->nr_pending++];
		copy_siginfo(&p->info, &q->info);
		/* The posix timer's cookie is the kernel's, never user space's. */
		if (p->info.si_code == SI_TIMER)
			p->info.si_sys_private = 0;
		p->shared = shared;
	}
	for (sig = 1; sig <= _NSIG; sig++) {
		if (!sigismember(&queue->signal, sig) || sigismember(&seen, sig))
			continue;
		p = &rs->pending[rs->nr_pending++];
		clear_siginfo(&p->info);
		p->info.si_signo = sig;
		p->info.si_code = SI_USER;
		p->shared = shared;
	}
}

/* Called with the target's siglock held. */
static void cpt_copy_signal_state(struct cpt_restore_signals *rs, struct task_struct *t,
				  struct sighand_struct *sighand)
{
	int i;

	for (i = 0; i < _NSIG; i++)
		rs->action[i] = sighand->action[i].sa;
	/*
	 * A task frozen inside sigsuspend(), ppoll() and the like still has
	 * the call's temporary mask; its own comes back as it leaves the
	 * kernel, and the restarted call sets the temporary one again.
	 */
	rs->blocked = test_tsk_restore_sigmask(t) ? t->saved_sigmask : t->blocked;
	rs->sas_ss_sp = t->sas_ss_sp;
	rs->sas_ss_size = t->sas_ss_size;
	rs->sas_ss_flags = t->sas_ss_flags;
	rs->nr_pending = 0;
	cpt_copy_queue(rs, &t->pending, false);
	cpt_copy_queue(rs, &t->signal->shared_pending, true);
}

struct cpt_signal_snapshot {
	struct cpt_restore_signals *rs;
	unsigned int need;		/* room the pending signals need */
};

/*
 * Under the target's siglock (cpt_compat_with_siglock()): copies its signal
 * state if rs has room for its pending signals: 1 when done, 0 when it needs
 * room for s->need, or an error.
 */
static int cpt_try_snapshot(struct task_struct *t, void *arg)
{
	struct cpt_signal_snapshot *s = arg;

	s->need = cpt_queue_length(&t->pending) +
		  cpt_queue_length(&t->signal->shared_pending) + 2 * _NSIG;
	/* A dying task's state is not worth an image, nor consistent. */
	if (__fatal_signal_pending(t) || t->signal->flags & SIGNAL_GROUP_EXIT ||
	    t->signal->group_exec_task)
		return -ESRCH;
	if (s->need > s->rs->max_pending)
		return 0;
	cpt_copy_signal_state(s->rs, t, rcu_dereference(t->sighand));
	return 1;
}

/*
 * Takes a consistent copy of the target's signal state. Nothing may be
 * allocated under the siglock: count, allocate outside, and start again if
 * signals came in meanwhile.
 */
static int cpt_snapshot_signals(struct task_struct *t, struct cpt_restore_signals *rs)
{
	struct cpt_signal_snapshot snap = { .rs = rs };
	int tries, ret;

	for (tries = 0; tries < CPT_SNAPSHOT_TRIES; tries++) {
		/* The target may die meanwhile (SIGKILL): then -ESRCH. */
		ret = cpt_compat_with_siglock(t, cpt_try_snapshot, &snap);
		if (ret)
			return ret < 0 ? ret : 0;
		kvfree(rs->pending);
		rs->max_pending = 0;
		/* Room for a few more, so that a stray signal does not cost a retry. */
		rs->pending = kvmalloc_array(snap.need + _NSIG, sizeof(*rs->pending),
					     GFP_KERNEL_ACCOUNT);
		if (!rs->pending)
			return -ENOMEM;
		rs->max_pending = snap.need + _NSIG;
	}
	cpt_note("pid %d: signals keep arriving, no consistent copy\n",
		 task_pid_nr(t));
	return -EAGAIN;
}

static bool cpt_action_is_default(const struct sigaction *sa)
{
	return sa->sa_handler == SIG_DFL && !sa->sa_flags && !sa->sa_restorer &&
	       !sa->sa_mask.sig[0];
}

/*
 * A process's main thread carries the process-wide state (actions, shared
 * pending signals); every thread its own mask, pending signals and altstack.
 */
static void cpt_encode_signals(struct cpt_pb_buf *msg, const struct cpt_restore_signals *rs,
			       bool leader)
{
	struct cpt_pb_buf one;
	siginfo_t info;
	unsigned int i;
	int sig;

	/* Default actions with flags are kept: SA_NOCLDSTOP matters with SIG_DFL. */
	for (sig = 1; leader && sig <= _NSIG; sig++) {
		const struct sigaction *sa = &rs->action[sig - 1];

		if (cpt_action_is_default(sa))
			continue;
		cpt_pb_init(&one);
		cpt_pb_varint(&one, CPT_PB_SIG_ACTION_SIGNO, sig);
		cpt_pb_u64(&one, CPT_PB_SIG_ACTION_HANDLER, (unsigned long)sa->sa_handler);
		cpt_pb_u64(&one, CPT_PB_SIG_ACTION_FLAGS, sa->sa_flags & UAPI_SA_FLAGS);
		cpt_pb_u64(&one, CPT_PB_SIG_ACTION_RESTORER, (unsigned long)sa->sa_restorer);
		cpt_pb_u64(&one, CPT_PB_SIG_ACTION_MASK, sa->sa_mask.sig[0]);
		cpt_pb_message(msg, CPT_PB_SIGNALS_ACTIONS, &one);
	}
	cpt_pb_u64(msg, CPT_PB_SIGNALS_BLOCKED, rs->blocked.sig[0]);
	for (i = 0; i < rs->nr_pending; i++) {
		const struct cpt_pending *p = &rs->pending[i];

		if (p->shared && !leader)
			continue;
		copy_siginfo_to_external(&info, &p->info);
		cpt_pb_init(&one);
		cpt_pb_varint(&one, CPT_PB_PENDING_SIGNAL_SIGNO, p->info.si_signo);
		cpt_pb_bytes(&one, CPT_PB_PENDING_SIGNAL_SIGINFO, &info, sizeof(info));
		cpt_pb_u64(&one, CPT_PB_PENDING_SIGNAL_SHARED, p->shared);
		cpt_pb_message(msg, CPT_PB_SIGNALS_PENDING, &one);
	}
	cpt_pb_u64(msg, CPT_PB_SIGNALS_ALTSTACK_SP, rs->sas_ss_sp);
	cpt_pb_u64(msg, CPT_PB_SIGNALS_ALTSTACK_SIZE, rs->sas_ss_size);
	cpt_pb_u64(msg, CPT_PB_SIGNALS_ALTSTACK_FLAGS, rs->sas_ss_flags);
}

static int cpt_signals_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	struct cpt_restore_signals *rs;
	int ret, sig;

	/* The image stores sigsets as one u64. */
	BUILD_BUG_ON(_NSIG_WORDS != 1);
	BUILD_BUG_ON(sizeof(siginfo_t) != SI_MAX_SIZE);

	rs = kzalloc(sizeof(*rs), GFP_KERNEL);
	if (!rs)
		return -ENOMEM;
	ret = cpt_snapshot_signals(s->cur->task, rs);
	for (sig = 1; !ret && sig <= _NSIG; sig++) {
		/* A 32-bit frame ABI would need a compat restart. */
		if (rs->action[sig - 1].sa_flags & (SA_IA32_ABI | SA_X32_ABI)) {
			cpt_note("pid %d: signal %d: 32-bit signal frames are not supported\n",
				 task_pid_nr(s->cur->task), sig);
			ret = -EOPNOTSUPP;
		}
	}
	if (!ret)
		cpt_encode_signals(msg, rs, cpt_task_is_leader(s->cur));
	cpt_signal_state_free(rs);
	return ret;
}

/* The record does not parse as the schema says. */
static int cpt_malformed(const char *what, int ret)
{
	cpt_note("image: malformed %s\n", what);
	return ret;
}

/* Counts the pending signals, so that restore allocates once. */
static int cpt_count_pending(const void *data, size_t len, unsigned int *count)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int ret;

	*count = 0;
	cpt_pb_for_each_field(&r, data, len, &f)
		if (f.num == CPT_PB_SIGNALS_PENDING)
			(*count)++;
	ret = cpt_pb_end(&r);
	return ret ? cpt_malformed("Signals record", ret) : 0;
}

static int cpt_decode_action(struct cpt_restore_signals *rs, const struct cpt_pb_field *f,
			     sigset_t *seen)
{
	u64 handler = 0, flags = 0, restorer = 0, mask = 0;
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	struct sigaction *sa;
	u32 signo = 0;
	int ret;

	cpt_pb_for_each_subfield(&r, f, &g) {
		switch (g.num) {
		case CPT_PB_SIG_ACTION_SIGNO:
			cpt_pb_read_u32(&r, &g, &signo);
			break;
		case CPT_PB_SIG_ACTION_HANDLER:
			cpt_pb_read_u64(&r, &g, &handler);
			break;
		case CPT_PB_SIG_ACTION_FLAGS:
			cpt_pb_read_u64(&r, &g, &flags);
			break;
		case CPT_PB_SIG_ACTION_RESTORER:
			cpt_pb_read_u64(&r, &g, &restorer);
			break;
		case CPT_PB_SIG_ACTION_MASK:
			cpt_pb_read_u64(&r, &g, &mask);
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return cpt_malformed("SigAction", ret);
	if (signo < 1 || !valid_signal(signo) || sig_kernel_only(signo) ||
	    sigismember(seen, signo)) {
		cpt_note("image: an action for signal %u\n", signo);
		return -EBADMSG;
	}
	if (flags & ~(u64)UAPI_SA_FLAGS || mask & CPT_SIG_KERNEL_ONLY ||
	    handler >= TASK_SIZE_MAX || restorer >= TASK_SIZE_MAX) {
		cpt_note("image: signal %u: bad action flags %#llx, mask %#llx or address\n",
			 signo, flags, mask);
		return -EBADMSG;
	}
	/* x86_64 delivers a signal only through a user-space restorer. */
	if (handler > (unsigned long)SIG_IGN && (!(flags & SA_RESTORER) || !restorer)) {
		cpt_note("image: signal %u: a handler without a restorer\n", signo);
		return -EBADMSG;
	}
	sigaddset(seen, signo);
	sa = &rs->action[signo - 1];
	sa->sa_handler = (__sighandler_t)(unsigned long)handler;
	sa->sa_flags = flags;
	sa->sa_restorer = (__sigrestore_t)(unsigned long)restorer;
	sa->sa_mask.sig[0] = mask;
	return 0;
}

/* One non-realtime signal per queue: the kernel would drop a second one. */
static int cpt_decode_pending(struct cpt_restore_signals *rs, const struct cpt_pb_field *f,
			      sigset_t *legacy)
{
	struct cpt_pending *p = &rs->pending[rs->nr_pending];
	const size_t ksize = sizeof(p->info);
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	bool have_info = false;
	u32 signo = 0;
	int ret;

	if (rs->nr_pending >= rs->max_pending)
		return -EBADMSG;
	cpt_pb_for_each_subfield(&r, f, &g) {
		switch (g.num) {
		case CPT_PB_PENDING_SIGNAL_SIGNO:
			cpt_pb_read_u32(&r, &g, &signo);
			break;
		case CPT_PB_PENDING_SIGNAL_SIGINFO:
			/* User space's siginfo_t: the kernel's part, then zeroes. */
			if (g.wire != CPT_PB_BYTES || g.len != SI_MAX_SIZE ||
			    memchr_inv(g.data + ksize, 0, SI_MAX_SIZE - ksize)) {
				cpt_pb_fail(&r, -EBADMSG);
				break;
			}
			memcpy(&p->info, g.data, ksize);
			have_info = true;
			break;
		case CPT_PB_PENDING_SIGNAL_SHARED:
			cpt_pb_read_bool(&r, &g, &p->shared);
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return cpt_malformed("PendingSignal", ret);
	if (signo < 1 || !valid_signal(signo) || signo == SIGKILL) {
		cpt_note("image: signal %u pending\n", signo);
		return -EBADMSG;
	}
	if (!have_info || p->info.si_signo != signo) {
		cpt_note("image: pending signal %u without its siginfo\n", signo);
		return -EBADMSG;
	}
	if (signo < SIGRTMIN) {
		sigset_t *set = &legacy[p->shared];

		if (sigismember(set, signo)) {
			cpt_note("image: signal %u pending twice\n", signo);
			return -EBADMSG;
		}
		sigaddset(set, signo);
	}
	rs->nr_pending++;
	return 0;
}

static int cpt_check_altstack(const struct cpt_restore_signals *rs)
{
	unsigned int mode = rs->sas_ss_flags & ~SS_FLAG_BITS;

	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -EBADMSG;
	/* Never set, or disabled: do_sigaltstack() leaves no address or size. */
	if (mode == SS_DISABLE || !rs->sas_ss_size)
		return rs->sas_ss_sp || rs->sas_ss_size ? -EBADMSG : 0;
	if (rs->sas_ss_size < MINSIGSTKSZ || rs->sas_ss_sp >= TASK_SIZE_MAX ||
	    rs->sas_ss_size > TASK_SIZE_MAX - rs->sas_ss_sp)
		return -EBADMSG;
	return 0;
}

static int cpt_decode_signals(struct cpt_restore_signals *rs, const void *data, size_t len)
{
	sigset_t seen, legacy[2];
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u64 sp = 0, size = 0;
	u32 flags = 0;
	u64 blocked = 0;
	int ret;

	sigemptyset(&seen);
	sigemptyset(&legacy[0]);
	sigemptyset(&legacy[1]);
	cpt_pb_for_each_field(&r, data, len, &f) {
		switch (f.num) {
		case CPT_PB_SIGNALS_ACTIONS:
			/* Nested messages report their own errors. */
			ret = cpt_decode_action(rs, &f, &seen);
			if (ret)
				return ret;
			break;
		case CPT_PB_SIGNALS_BLOCKED:
			cpt_pb_read_u64(&r, &f, &blocked);
			break;
		case CPT_PB_SIGNALS_PENDING:
			/* Counted before: the array has room for every one. */
			ret = cpt_decode_pending(rs, &f, legacy);
			if (ret)
				return ret;
			break;
		case CPT_PB_SIGNALS_ALTSTACK_SP:
			cpt_pb_read_u64(&r, &f, &sp);
			break;
		case CPT_PB_SIGNALS_ALTSTACK_SIZE:
			cpt_pb_read_u64(&r, &f, &size);
			break;
		case CPT_PB_SIGNALS_ALTSTACK_FLAGS:
			cpt_pb_read_u32(&r, &f, &flags);
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return cpt_malformed("Signals record", ret);
	if (blocked & CPT_SIG_KERNEL_ONLY) {
		cpt_note("image: blocked mask %#llx holds SIGKILL or SIGSTOP\n",
			 blocked);
		return -EBADMSG;
	}
	rs->blocked.sig[0] = blocked;
	rs->sas_ss_sp = sp;
	rs->sas_ss_size = size;
	rs->sas_ss_flags = flags;
	if (cpt_check_altstack(rs)) {
		cpt_note("image: bad alternate signal stack %#llx+%llu, flags %#x\n",
			 sp, size, flags);
		return -EBADMSG;
	}
	return 0;
}

static void cpt_signals_free(struct cpt_session *s)
{
	cpt_signal_state_free(s->cur->signals);
	s->cur->signals = NULL;
}

/* Only the task itself replaces its sighand (by exec), and that is us. */
static struct sighand_struct *cpt_own_sighand(void)
{
	return rcu_dereference_protected(current->sighand, true);
}

/* The applied state replaces the whole sighand: only our threads may share it. */
static bool cpt_owns_sighand(void)
{
	return refcount_read(&cpt_own_sighand()->count) == get_nr_threads(current);
}

/* Whether rs holds what only a process's main thread's record may hold. */
static bool cpt_has_process_state(const struct cpt_restore_signals *rs)
{
	unsigned int i;

	for (i = 0; i < _NSIG; i++)
		if (!cpt_action_is_default(&rs->action[i]))
			return true;
	for (i = 0; i < rs->nr_pending; i++)
		if (rs->pending[i].shared)
			return true;
	return false;
}

static int cpt_signals_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_restore_signals *rs;
	unsigned int nr;
	int ret;

	if (s->cur->signals)
		return -EINVAL;
	if (!cpt_owns_sighand()) {
		cpt_note("the restoring task shares its signal handlers\n");
		return -EOPNOTSUPP;
	}
	ret = cpt_count_pending(data, len, &nr);
	if (ret)
		return ret;
	/*
	 * The saved task could hold no more: its limit, plus one signal of each
	 * number per queue queued without a siginfo.
	 */
	if (nr > 2 * _NSIG && nr - 2 * _NSIG > rlimit(RLIMIT_SIGPENDING)) {
		cpt_note("image: %u pending signals exceed RLIMIT_SIGPENDING\n", nr);
		return -EOPNOTSUPP;
	}
	rs = kzalloc(sizeof(*rs), GFP_KERNEL_ACCOUNT);
	if (!rs)
		return -ENOMEM;
	s->cur->signals = rs;
	rs->pending = kvcalloc(nr ?: 1, sizeof(*rs->pending), GFP_KERNEL_ACCOUNT);
	if (!rs->pending)
		return -ENOMEM;
	rs->max_pending = nr;
	ret = cpt_decode_signals(rs, data, len);
	if (!ret && !cpt_task_is_leader(s->cur) && cpt_has_process_state(rs))
		return cpt_malformed("thread's Signals record (process-wide state)", -EBADMSG);
	return ret;
}

/*
 * Queues one saved process-wide signal. send_sig_info() only queues to the
 * task's own queue: the siginfo it queued then moves, as it is, to the
 * shared queue. A non-realtime signal already pending is not queued again,
 * as the kernel would not.
 */
static int cpt_queue_shared(const kernel_siginfo_t *saved)
{
	struct sighand_struct *sighand = cpt_own_sighand();
	struct sigpending *group = &current->signal->shared_pending;
	struct sigpending *own = &current->pending;
	struct sigqueue *q, *last = NULL;
	int sig = saved->si_signo;
	bool others = false, skip;
	kernel_siginfo_t info;
	int ret;

	spin_lock_irq(&sighand->siglock);
	skip = sig < SIGRTMIN &&
	       (sigismember(&own->signal, sig) || sigismember(&group->signal, sig));
	spin_unlock_irq(&sighand->siglock);
	if (skip)
		return 0;
	/* send_sig_info() may rewrite ids for the receiver's namespaces. */
	copy_siginfo(&info, saved);
	ret = send_sig_info(sig, &info, current);
	if (ret)
		return ret;

	spin_lock_irq(&sighand->siglock);
	list_for_each_entry(q, &own->list, list) {
		if (q->info.si_signo != sig)
			continue;
		if (last)
			others = true;
		last = q;
	}
	/* None if it was queued without a siginfo: then only its bit moves. */
	if (last)
		list_move_tail(&last->list, &group->list);
	sigaddset(&group->signal, sig);
	if (!others)
		sigdelset(&own->signal, sig);
	spin_unlock_irq(&sighand->siglock);
	return 0;
}

static int cpt_queue_pending(const struct cpt_restore_signals *rs)
{
	kernel_siginfo_t info;
	unsigned int i;
	int ret;

	for (i = 0; i < rs->nr_pending; i++) {
		if (rs->pending[i].shared) {
			ret = cpt_queue_shared(&rs->pending[i].info);
		} else {
			copy_siginfo(&info, &rs->pending[i].info);
			ret = send_sig_info(info.si_signo, &info, current);
		}
		if (ret)
			return ret;
	}
	return 0;
}

/*
 * In the final step, after the address space was replaced: the saved
 * actions and altstack, then the pending signals, queued with every signal
 * blocked so that none is acted on yet. The saved mask comes last, with the
 * registers (cpt_signals_blocked()); unblocked signals are then delivered
 * to the restored handlers.
 *
 * Signals sent to the restoring task meanwhile stay pending: it already had
 * the saved pid, so they were meant for the restored process.
 */
int cpt_signals_apply(struct cpt_session *s)
{
	struct cpt_restore_signals *rs = s->cur->signals;
	struct sighand_struct *sighand = cpt_own_sighand();
	sigset_t all;
	int i;

	if (!rs)
		return -EINVAL;
	siginitsetinv(&all, CPT_SIG_KERNEL_ONLY);
	sigprocmask(SIG_SETMASK, &all, NULL);

	spin_lock_irq(&sighand->siglock);
	if (!cpt_owns_sighand()) {
		spin_unlock_irq(&sighand->siglock);
		return -EBUSY;
	}
	for (i = 0; cpt_task_is_leader(s->cur) && i < _NSIG; i++)
		sighand->action[i].sa = rs->action[i];
	current->sas_ss_sp = rs->sas_ss_sp;
	current->sas_ss_size = rs->sas_ss_size;
	current->sas_ss_flags = rs->sas_ss_flags;
	spin_unlock_irq(&sighand->siglock);

	/*
	 * Every signal stays blocked until the saved registers are in place:
	 * cpt_cpu_apply() sets the saved mask from the register-loading work,
	 * so that a pending signal is delivered onto the restored context.
	 */
	return cpt_queue_pending(rs);
}

/* The blocked mask the restored task resumes with. */
void cpt_signals_blocked(struct cpt_session *s, sigset_t *blocked)
{
	*blocked = s->cur->signals->blocked;
}

const struct cpt_subsys_ops cpt_signals_ops = {
	.name = "signals",
	.record = CPT_REC_SIGNALS,
	.save = cpt_signals_save,
	.restore = cpt_signals_restore,
	.free = cpt_signals_free,
};
