// SPDX-License-Identifier: GPL-2.0
/*
 * Freezing a task without it noticing: a task_work queued with TWA_RESUME
 * runs on the task's next way back to user mode, and a task in user mode
 * is kicked there. A task asleep is then woken as a signal would wake it,
 * but delivers none (a second, empty work queued with TWA_SIGNAL): a
 * sleeping syscall is interrupted and left to restart (its -ERESTART* code
 * is what the saved registers show). The work parks the task in the kernel
 * until the session thaws it; the task's parent sees no stop, and the task
 * no EINTR (cpt_restart_block_parked(): a timed epoll_wait() or
 * sigtimedwait() has its deadline read first, by cpt_timed_wait_probe();
 * a socket call with a timeout or io_getevents() is made again, and one
 * that cannot be is not woken, cpt_eintr_of()).
 * A task still running in the kernel is not woken until it sleeps (or
 * after CPT_FREEZE_KICK_AFTER, unless it is in a timed wait): a timed wait
 * woken on its way to its sleep would return -EINTR with its deadline read
 * nowhere.
 * SIGKILL still works on a parked task.
 *
 * A task in a group stop (SIGSTOP, job control) is not woken by the work:
 * it is as still as a parked one, and counts as frozen where it stands.
 * Only SIGCONT or SIGKILL wakes it, and then the work parks it before it
 * can reach user mode; cpt_freezer_held() tells whether that happened.
 */
#include <linux/anon_inodes.h>
#include <linux/completion.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/refcount.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/wait.h>

#include "cpt_compat.h"
#include "cpt_eintr.h"
#include "cpt_internal.h"
#include "cpt_restart_block.h"
#include "cpt_timed_wait.h"

/* How long a target may take to reach its parking place. */
#define CPT_FREEZE_TIMEOUT (10 * HZ)
/* How often a target on its way is checked for a group stop. */
#define CPT_FREEZE_POLL (HZ / 50)
/* How long a target running in the kernel may run on before it is woken anyway. */
#define CPT_FREEZE_KICK_AFTER (HZ / 2)

struct cpt_freezer {
	struct callback_head work;
	struct callback_head kick;	/* TWA_SIGNAL: wakes the task from its sleep */
	refcount_t ref;		/* the freezer's holder, and the queued works */
	wait_queue_head_t wq;
	bool parked;
	bool thawed;
	bool was_parked;	/* when thawed */
	bool stopped;		/* frozen in a group stop, not parked */
	unsigned long nvcsw;	/* its voluntary switches then: it ran if they changed */
	struct completion left;	/* the task is out of the parking wait */
	struct file *pin;	/* holds the module until the work has returned */
	struct file *kick_pin;	/* the kick's, the holder's until it is queued */
	bool kicked;
	bool judged;		/* cpt_freeze_kick() judged its call, to wake it */
	bool lost_wait;		/* a timed wait returned -EINTR, its deadline unread */
	bool eintr_restart;	/* woken in a syscall whose -EINTR is to restart */
	const char *eintr_hold;	/* never woken: the call it is in, cpt_eintr_of()'s what */
	struct cpt_eintr_batch eintr_batch;	/* woken in a recvmmsg(): its socket */
	struct cpt_timed_wait_seen seen;	/* a timed wait it was blocked in */
};

/*
 * A file of the module's own, one per queued work, whose only use is its
 * module reference (fops_get() when made, fops_put() in __fput()). See
 * cpt_park() for why the work is not simply given a module reference.
 */
static const struct file_operations cpt_pin_fops = {
	.owner = THIS_MODULE,
	.llseek = noop_llseek,
};

static void cpt_freezer_put(struct cpt_freezer *fz)
{
	if (refcount_dec_and_test(&fz->ref)) {
		cpt_eintr_batch_put(&fz->eintr_batch);
		kfree(fz);
	}
}

/*
 * The work runs module code in the task until its very last instruction,
 * so the module must outlive the function, not just its body: a
 * module_put() as its last statement would let an rmmod free the text this
 * task still has to return through. Instead the pin's last reference goes:
 * fput() of a task's file queues its release as task work of this same
 * task, which task_work_run() runs once we have returned, in the kernel's
 * code; only then, in __fput(), does the module lose the reference.
 */
static void cpt_park(struct callback_head *work)
{
	struct cpt_freezer *fz = container_of(work, struct cpt_freezer, work);
	struct file *pin = fz->pin;

	/*
	 * What the kick woke is repaired even once thawed (a freeze given
	 * up after it: killed, or timed out), as the task then goes on. A
	 * stopped task continued after its checkpoint, never kicked, has
	 * nothing to park for, nor any -EINTR of ours to repair.
	 */
	if (!READ_ONCE(fz->thawed) || smp_load_acquire(&fz->judged)) {
		cpt_restart_block_parked(&fz->seen, READ_ONCE(fz->eintr_restart), &fz->lost_wait);
		cpt_eintr_batch_parked(&fz->eintr_batch);
	}
	WRITE_ONCE(fz->parked, true);
	wake_up_all(&fz->wq);
	/* NOLOAD: a long checkpoint is neither load nor a hung task. */
	wait_event_state(fz->wq, READ_ONCE(fz->thawed), (TASK_KILLABLE | TASK_NOLOAD));
	complete(&fz->left);
	cpt_freezer_put(fz);
	fput(pin);
}

/* The kick's work: nothing but the wakeup its TWA_SIGNAL gave; as cpt_park() for the module. */
static void cpt_kick(struct callback_head *work)
{
	struct cpt_freezer *fz = container_of(work, struct cpt_freezer, kick);
	struct file *pin = fz->kick_pin;

	cpt_freezer_put(fz);
	fput(pin);
}

/*
 * Wakes task, its work queued, as a signal would, once it is asleep (or
 * once force: a task looping in the kernel that only a pending signal
 * ends): having read the deadline of the timed wait it sleeps in first
 * (cpt_timed_wait_probe()). One elsewhere in a timed wait (on its way to
 * its sleep, on epoll's mutex, which threads waiting on one epoll take in
 * turn, or throttled) is never woken, not even by force: woken there, it
 * would return -EINTR with its deadline read nowhere; nor is one in a
 * call whose -EINTR cannot be made a restart (cpt_eintr_of()). It parks when it
 * returns, or is woken once it sleeps; if it does neither in time, the
 * freeze fails with -EBUSY, named (cpt_freeze_note_busy()). One asleep in
 * such a wait as a 32-bit or x32 syscall, which cpt cannot resume, is not
 * woken: -EOPNOTSUPP, named.
 */
static int cpt_freeze_kick(struct task_struct *task, struct cpt_freezer *fz, bool force)
{
	enum cpt_eintr eintr;
	const char *what;

	/* Held: until it leaves that call, and it parks then. */
	if (fz->eintr_hold)
		return 0;
	cpt_timed_wait_probe(task, &fz->seen);
	if (fz->seen.compat) {
		cpt_note("pid %d: asleep in %s %s with a timeout, %s: not supported\n",
			 task_pid_vnr(task), cpt_timed_wait_abi(fz->seen.compat_nr),
			 cpt_timed_wait_name(fz->seen.compat_nr, true),
			 "which a restart cannot resume");
		return -EOPNOTSUPP;
	}
	if (!fz->seen.seen &&
	    (cpt_timed_wait_timeout(task) == CPT_TIMED_WAIT_TIMED ||
	     (!force && !cpt_compat_task_asleep(task))))
		return 0;
	/* Before the kick: the work reads them once the kick has woken the task. */
	eintr = cpt_eintr_of(task, &what, &fz->eintr_batch);
	if (eintr == CPT_EINTR_HOLD) {
		fz->eintr_hold = what;
		return 0;
	}
	WRITE_ONCE(fz->eintr_restart, eintr == CPT_EINTR_RESTART);
	/* pairs with cpt_park()'s acquire: what it repairs is set before */
	smp_store_release(&fz->judged, true);
	refcount_inc(&fz->ref);
	if (task_work_add(task, &fz->kick, TWA_SIGNAL)) {
		/*
		 * Exited: task_work_add() fails only once the task's works
		 * have all run, its park too. No wakeup of ours, nothing to
		 * repair, and no judgement kept for one made again.
		 */
		cpt_eintr_batch_put(&fz->eintr_batch);
		refcount_dec(&fz->ref);
		return 0;
	}
	fz->kicked = true;
	return 0;
}

/*
 * Whether a timed wait of the task fz froze returned -EINTR with its
 * deadline unread: the checkpoint must be refused, not save a wait the
 * task no longer has. cpt_freeze_kick() wakes no such wait; this is the
 * net for one cpt_timed_wait_probe() failed to see before the wakeup.
 */
bool cpt_freezer_lost_wait(struct cpt_freezer *fz)
{
	return READ_ONCE(fz->lost_wait);
}

/*
 * Why task did not park in time, for the caller, before the thaw lets it
 * go (and exit). A call cpt_freeze_kick() held is named as it judged it
 * then; a timed wait that never reached its sleep was not woken. A vfork() parent waits
 * for its child (wait_for_vfork_done()) where only SIGKILL wakes it: its
 * child is the process whose vfork_done is still set (until it execs or
 * exits), found among all processes under RCU, as a module cannot take
 * the tasklist_lock that guards task->children.
 */
static void cpt_freeze_note_busy(struct task_struct *task, const struct cpt_freezer *fz)
{
	struct task_struct *p;
	pid_t child = 0;

	if (fz->eintr_hold) {
		cpt_note("pid %d did not stop in %d s: in %s, %s\n", task_pid_vnr(task),
			 CPT_FREEZE_TIMEOUT / HZ, fz->eintr_hold,
			 "which a wakeup would end with EINTR");
		return;
	}
	if (cpt_timed_wait_timeout(task) == CPT_TIMED_WAIT_TIMED) {
		cpt_note("pid %d did not stop in %d s: %s\n", task_pid_vnr(task),
			 CPT_FREEZE_TIMEOUT / HZ,
			 "in a timed wait that never reached its sleep, which a wakeup would end with EINTR");
		return;
	}
	rcu_read_lock();
	for_each_process(p) {
		if (rcu_access_pointer(p->real_parent) == task && READ_ONCE(p->vfork_done)) {
			child = task_pid_vnr(p);
			break;
		}
	}
	rcu_read_unlock();
	if (child)
		cpt_note("pid %d did not stop in %d s: it waits for its vfork() child %d\n",
			 task_pid_vnr(task), CPT_FREEZE_TIMEOUT / HZ, child);
	else
		cpt_note("pid %d did not stop in %d s: asleep where only SIGKILL wakes it\n",
			 task_pid_vnr(task), CPT_FREEZE_TIMEOUT / HZ);
}

/*
 * Parks task and waits until it is parked, or finds it in a group stop:
 * its user registers and memory then stay still. Returns the freezer, or
 * an ERR_PTR: -ESRCH if the task is exiting, -EBUSY if it did not park in
 * time (one in an uninterruptible sleep, named in a note), -EINTR if we
 * were killed.
 */
struct cpt_freezer *cpt_freeze(struct task_struct *task)
{
	unsigned long start = jiffies, deadline = start + CPT_FREEZE_TIMEOUT;
	struct cpt_freezer *fz;
	long left;
	int ret;

	fz = kzalloc(sizeof(*fz), GFP_KERNEL);
	if (!fz)
		return ERR_PTR(-ENOMEM);
	refcount_set(&fz->ref, 2);
	init_waitqueue_head(&fz->wq);
	init_completion(&fz->left);
	init_task_work(&fz->work, cpt_park);
	init_task_work(&fz->kick, cpt_kick);
	fz->pin = anon_inode_getfile("[cpt-freezer]", &cpt_pin_fops, NULL, O_RDONLY);
	if (IS_ERR(fz->pin)) {
		ret = PTR_ERR(fz->pin);
		kfree(fz);
		return ERR_PTR(ret);
	}
	fz->kick_pin = anon_inode_getfile("[cpt-freezer]", &cpt_pin_fops, NULL, O_RDONLY);
	if (IS_ERR(fz->kick_pin)) {
		ret = PTR_ERR(fz->kick_pin);
		fput(fz->pin);
		kfree(fz);
		return ERR_PTR(ret);
	}

	/*
	 * Queued first: from now on the task parks at its first way back to
	 * user mode, so what cpt_freeze_kick() sees it sleep in is the
	 * syscall the work finds.
	 */
	ret = task_work_add(task, &fz->work, TWA_RESUME);
	if (ret) {
		fput(fz->kick_pin);
		fput(fz->pin);
		kfree(fz);
		return ERR_PTR(ret);
	}

	/*
	 * A task may stop on its way (do_signal_stop() after our wakeup), and
	 * nothing wakes us then: look for a stop now and then. The count is
	 * read first: if the task runs after the look, the count tells.
	 */
	do {
		fz->nvcsw = READ_ONCE(task->nvcsw);
		if (cpt_compat_job_stopped(task)) {
			fz->stopped = true;
			return fz;
		}
		if (!fz->kicked) {
			ret = cpt_freeze_kick(task, fz,
					      time_after(jiffies, start + CPT_FREEZE_KICK_AFTER));
			if (ret) {
				cpt_thaw(fz);
				return ERR_PTR(ret);
			}
		}
		/* One still running is looked at again soon: it may have gone to sleep. */
		left = wait_event_killable_timeout(fz->wq, READ_ONCE(fz->parked),
						   fz->kicked ? CPT_FREEZE_POLL : 1);
	} while (!left && time_before(jiffies, deadline));
	if (left > 0)
		return fz;
	if (left == 0)
		cpt_freeze_note_busy(task, fz);
	cpt_thaw(fz);
	if (left < 0)
		return ERR_PTR(-EINTR);
	return ERR_PTR(-EBUSY);
}

/*
 * Whether task, frozen by fz, has stayed still since: a parked task
 * cannot move; a stopped one may have been continued meanwhile (and then
 * may have run a signal handler before the work parked it).
 */
bool cpt_freezer_held(struct cpt_freezer *fz, struct task_struct *task)
{
	if (!fz->stopped)
		return true;
	return !READ_ONCE(fz->parked) && READ_ONCE(task->nvcsw) == fz->nvcsw &&
	       cpt_compat_job_stopped(task);
}

/*
 * Lets the task go on: cpt_thaw_begin() wakes it, cpt_thaw_end() waits for
 * it to leave, so that a tree wakes all at once. If it never parked (it had
 * not reached its way back to user mode), the work still runs later, finds
 * itself thawed and returns.
 */
void cpt_thaw_begin(struct cpt_freezer *fz)
{
	fz->was_parked = READ_ONCE(fz->parked);
	WRITE_ONCE(fz->thawed, true);
	wake_up_all(&fz->wq);
}

void cpt_thaw_end(struct cpt_freezer *fz)
{
	/* The tree goes on all at once, and before its session does. */
	if (fz->was_parked)
		wait_for_completion(&fz->left);
	if (!fz->kicked)
		fput(fz->kick_pin);
	cpt_freezer_put(fz);
}

void cpt_thaw(struct cpt_freezer *fz)
{
	cpt_thaw_begin(fz);
	cpt_thaw_end(fz);
}
