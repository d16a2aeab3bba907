// SPDX-License-Identifier: GPL-2.0
/*
 * Sleeps interrupted by the checkpoint. A sleeping syscall that a signal (or
 * the freeze's task work) interrupts and that the kernel would resume with
 * the time it had left returns -ERESTART_RESTARTBLOCK, with what it needs to
 * go on in current->restart_block: a deadline and the function that
 * restart_syscall() calls. Those are nanosleep() and relative
 * clock_nanosleep() (hrtimer_nanosleep_restart), futex() waits with a
 * timeout (futex_wait_restart) and poll() (do_restart_poll); any other
 * function is refused by name; and cpt's own restart of a timed epoll_wait()
 * or sigtimedwait() (cpt_timed_wait.c). select(), pselect() and ppoll() have no
 * restart block: they return -ERESTARTNOHAND with the time left written back
 * to the caller's timeout, so a plain restart of them goes on with it; so
 * does an absolute clock_nanosleep(), with its deadline.
 *
 * A relative timeout comes back with the time it had left when the
 * checkpoint saved it, counted from when the restored task resumes: the
 * time between is not the program's. An absolute one (FUTEX_WAIT_BITSET)
 * keeps its deadline, on its clock: CLOCK_REALTIME is the same on any host;
 * CLOCK_MONOTONIC is the restoring host's, whose clock the restored process
 * reads as well (cpt uses no time namespace), as for an absolute
 * clock_nanosleep().
 */
#include <linux/fs.h>
#include <linux/futex.h>
#include <linux/ktime.h>
#include <linux/restart_block.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task_stack.h>
#include <linux/signal.h>
#include <linux/thread_info.h>
#include <linux/time.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
/* After fs.h and uaccess.h, which it needs. */
#include <linux/eventpoll.h>
#include <asm/ptrace.h>
#include <asm/unistd.h>
#include <asm/user.h>

#include "cpt_compat.h"
#include "cpt_internal.h"
#include "cpt_pb.h"
#include "cpt_pb_fields.h"
#include "cpt_restart_block.h"
#include "cpt_timed_wait.h"

/* The clocks of an hrtimer sleep: the others have restarts of their own. */
static bool cpt_hrtimer_clock(u32 clockid)
{
	return clockid == CLOCK_REALTIME || clockid == CLOCK_MONOTONIC ||
	       clockid == CLOCK_BOOTTIME || clockid == CLOCK_TAI;
}

static ktime_t cpt_clock_now(u32 clockid)
{
	switch (clockid) {
	case CLOCK_REALTIME:
		return ktime_get_real();
	case CLOCK_BOOTTIME:
		return ktime_get_boottime();
	case CLOCK_TAI:
		return ktime_get_clocktai();
	}
	return ktime_get();
}

/* What a deadline on clockid leaves of its time now; 0 once it passed. */
static u64 cpt_time_left(u32 clockid, ktime_t deadline)
{
	ktime_t left = ktime_sub(deadline, cpt_clock_now(clockid));

	return left > 0 ? left : 0;
}

static void cpt_save_nanosleep(const struct restart_block *rb, struct cpt_pb_buf *one)
{
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_KIND, CPT_PB_RESTART_BLOCK_KIND_NANOSLEEP);
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_CLOCKID, rb->nanosleep.clockid);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_LEFT_NS,
		   cpt_time_left(rb->nanosleep.clockid, rb->nanosleep.expires));
	if (rb->nanosleep.type == TT_NATIVE)
		cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_RMTP, (unsigned long)rb->nanosleep.rmtp);
}

/*
 * Whether the futex() wait was asked relative (FUTEX_WAIT) or absolute
 * (FUTEX_WAIT_BITSET): the restart block holds a deadline either way, and
 * the syscall's arguments, still in the registers (restart_syscall() leaves
 * them as they were), tell which.
 */
static int cpt_futex_absolute(const struct pt_regs *regs, bool *absolute)
{
	if (cpt_compat_syscall_nr(regs) != __NR_futex &&
	    cpt_compat_syscall_nr(regs) != __NR_restart_syscall)
		return -EOPNOTSUPP;
	switch (regs->si & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
		*absolute = false;
		return 0;
	case FUTEX_WAIT_BITSET:
		*absolute = true;
		return 0;
	}
	return -EOPNOTSUPP;
}

static int cpt_save_futex(const struct restart_block *rb, const struct pt_regs *regs,
			  struct cpt_pb_buf *one)
{
	u32 flags = rb->futex.flags;
	u32 clockid = flags & CPT_FUTEX_FLAGS_CLOCKRT ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	bool absolute;

	if (!(flags & CPT_FUTEX_FLAGS_HAS_TIMEOUT) ||
	    (flags & ~(CPT_FUTEX_FLAGS_SHARED | CPT_FUTEX_FLAGS_CLOCKRT |
		       CPT_FUTEX_FLAGS_HAS_TIMEOUT)) ||
	    cpt_futex_absolute(regs, &absolute))
		return -EOPNOTSUPP;
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_KIND, CPT_PB_RESTART_BLOCK_KIND_FUTEX_WAIT);
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_CLOCKID, clockid);
	if (absolute) {
		cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_ABSOLUTE, 1);
		cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_DEADLINE_NS, rb->futex.time);
	} else {
		cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_LEFT_NS,
			   cpt_time_left(clockid, rb->futex.time));
	}
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_UADDR, (unsigned long)rb->futex.uaddr);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_VAL, rb->futex.val);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_BITSET, rb->futex.bitset);
	if (flags & CPT_FUTEX_FLAGS_SHARED)
		cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_SHARED, 1);
	return 0;
}

static void cpt_save_poll(const struct restart_block *rb, struct cpt_pb_buf *one)
{
	struct timespec64 end = {
		.tv_sec = rb->poll.tv_sec,
		.tv_nsec = rb->poll.tv_nsec,
	};

	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_KIND, CPT_PB_RESTART_BLOCK_KIND_POLL);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_UFDS, (unsigned long)rb->poll.ufds);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_NFDS, (u32)rb->poll.nfds);
	if (!rb->poll.has_timeout)
		return;
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_HAS_TIMEOUT, 1);
	/* The end of a zero timeout is 0: it polls once, and so it will again. */
	if (end.tv_sec || end.tv_nsec)
		cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_LEFT_NS,
			   cpt_time_left(CLOCK_MONOTONIC, timespec64_to_ktime(end)));
}

static void cpt_save_timed_wait(const struct cpt_timed_wait *w, struct cpt_pb_buf *one)
{
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_KIND, w->kind);
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_CLOCKID, CLOCK_MONOTONIC);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_LEFT_NS, cpt_time_left(CLOCK_MONOTONIC, w->deadline));
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_UADDR, w->uaddr);
	cpt_pb_u64(one, CPT_PB_RESTART_BLOCK_SIGSET, w->sigset);
	if (w->kind != CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT)
		return;
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_FD, (u32)w->fd);
	cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_MAXEVENTS, (u32)w->maxevents);
	if (w->has_sigset)
		cpt_pb_varint(one, CPT_PB_RESTART_BLOCK_HAS_SIGSET, 1);
}

/*
 * Saves the restart block of t, parked, if its registers show a syscall
 * that is to go on with it; a restart cpt cannot make again is refused,
 * named by its function.
 */
int cpt_restart_block_save(u32 pid, struct task_struct *t, const struct pt_regs *regs,
			   struct cpt_pb_buf *msg)
{
	const struct restart_block *rb = &t->restart_block;
	const struct cpt_timed_wait *w = cpt_timed_wait_of(rb);
	struct cpt_pb_buf one;
	int ret = 0;

	if (cpt_compat_syscall_nr(regs) < 0 || regs->ax != (unsigned long)-ERESTART_RESTARTBLOCK)
		return 0;
	cpt_pb_init(&one);
	if (cpt_compat_restart_32bit(rb))
		ret = -EOPNOTSUPP;	/* a 32-bit syscall's */
	else if (rb->fn == cpt_sym.hrtimer_nanosleep_restart &&
		 cpt_hrtimer_clock(rb->nanosleep.clockid) && rb->nanosleep.type != TT_COMPAT)
		cpt_save_nanosleep(rb, &one);
	else if (rb->fn == cpt_sym.futex_wait_restart)
		ret = cpt_save_futex(rb, regs, &one);
	else if (rb->fn == cpt_sym.do_restart_poll)
		cpt_save_poll(rb, &one);
	else if (w)
		cpt_save_timed_wait(w, &one);
	else
		ret = -EOPNOTSUPP;
	if (ret) {
		cpt_pb_free(&one);
		cpt_note("pid %u: syscall %lu was interrupted, its restart %ps is not supported\n",
			 pid, regs->orig_ax, rb->fn);
		return ret;
	}
	cpt_pb_message(msg, CPT_PB_CPU_RESTART_BLOCK, &one);
	return 0;
}

/* Reads the image's restart block; cpt_restart_block_check() judges it. */
bool cpt_restart_block_decode(struct cpt_pb_reader *r, const struct cpt_pb_field *f,
			      struct cpt_restart_state *rs)
{
	struct cpt_pb_reader sub;
	struct cpt_pb_field g;

	memset(rs, 0, sizeof(*rs));
	cpt_pb_for_each_subfield(&sub, f, &g) {
		switch (g.num) {
		case CPT_PB_RESTART_BLOCK_KIND:
			cpt_pb_read_u32(&sub, &g, &rs->kind);
			break;
		case CPT_PB_RESTART_BLOCK_CLOCKID:
			cpt_pb_read_u32(&sub, &g, &rs->clockid);
			break;
		case CPT_PB_RESTART_BLOCK_LEFT_NS:
			cpt_pb_read_u64(&sub, &g, &rs->left_ns);
			break;
		case CPT_PB_RESTART_BLOCK_ABSOLUTE:
			cpt_pb_read_bool(&sub, &g, &rs->absolute);
			break;
		case CPT_PB_RESTART_BLOCK_DEADLINE_NS:
			cpt_pb_read_u64(&sub, &g, &rs->deadline_ns);
			break;
		case CPT_PB_RESTART_BLOCK_RMTP:
			cpt_pb_read_u64(&sub, &g, &rs->rmtp);
			break;
		case CPT_PB_RESTART_BLOCK_UADDR:
			cpt_pb_read_u64(&sub, &g, &rs->uaddr);
			break;
		case CPT_PB_RESTART_BLOCK_VAL:
			cpt_pb_read_u32(&sub, &g, &rs->val);
			break;
		case CPT_PB_RESTART_BLOCK_BITSET:
			cpt_pb_read_u32(&sub, &g, &rs->bitset);
			break;
		case CPT_PB_RESTART_BLOCK_SHARED:
			cpt_pb_read_bool(&sub, &g, &rs->shared);
			break;
		case CPT_PB_RESTART_BLOCK_UFDS:
			cpt_pb_read_u64(&sub, &g, &rs->ufds);
			break;
		case CPT_PB_RESTART_BLOCK_NFDS:
			cpt_pb_read_u32(&sub, &g, &rs->nfds);
			break;
		case CPT_PB_RESTART_BLOCK_HAS_TIMEOUT:
			cpt_pb_read_bool(&sub, &g, &rs->has_timeout);
			break;
		case CPT_PB_RESTART_BLOCK_FD:
			cpt_pb_read_u32(&sub, &g, &rs->fd);
			break;
		case CPT_PB_RESTART_BLOCK_MAXEVENTS:
			cpt_pb_read_u32(&sub, &g, &rs->maxevents);
			break;
		case CPT_PB_RESTART_BLOCK_SIGSET:
			cpt_pb_read_u64(&sub, &g, &rs->sigset);
			break;
		case CPT_PB_RESTART_BLOCK_HAS_SIGSET:
			cpt_pb_read_bool(&sub, &g, &rs->has_sigset);
			break;
		}
	}
	if (!cpt_pb_end(&sub) && rs->kind == CPT_PB_RESTART_BLOCK_KIND_NONE)
		cpt_pb_fail(&sub, -EBADMSG);
	if (cpt_pb_end(&sub))
		cpt_pb_fail(r, cpt_pb_end(&sub));
	return !cpt_pb_end(&sub);
}

static bool cpt_user_address(u64 addr)
{
	return addr < TASK_SIZE_MAX;
}

/* fs/eventpoll.c's EP_MAX_EVENTS: the most events epoll_wait() takes room for. */
#define CPT_EP_MAX_EVENTS (INT_MAX / sizeof(struct epoll_event))

/* The syscalls whose interruption a timed wait's restart block goes on with. */
static bool cpt_timed_wait_regs(u32 kind, const struct user_regs_struct *regs)
{
	switch (regs->orig_ax) {
	case __NR_restart_syscall:
		return true;
	case __NR_epoll_wait:
	case __NR_epoll_pwait:
	case __NR_epoll_pwait2:
		return kind == CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT;
	case __NR_rt_sigtimedwait:
		return kind == CPT_PB_RESTART_BLOCK_KIND_SIGTIMEDWAIT;
	}
	return false;
}

/*
 * A timed wait's restart block: a relative time on CLOCK_MONOTONIC, the
 * syscall's arguments within what the syscall itself takes (the wait
 * checks the fd, the events array's room and the siginfo's as the syscall
 * would), and no mask the kernel never sets (SIGKILL, SIGSTOP blocked).
 */
static bool cpt_timed_wait_fits(const struct cpt_restart_state *rs,
				const struct user_regs_struct *regs)
{
	if (rs->absolute || rs->clockid != CLOCK_MONOTONIC || !cpt_user_address(rs->uaddr) ||
	    !cpt_timed_wait_regs(rs->kind, regs))
		return false;
	if (rs->kind == CPT_PB_RESTART_BLOCK_KIND_SIGTIMEDWAIT)
		return !rs->fd && !rs->maxevents && !rs->has_sigset;
	return rs->fd <= INT_MAX && rs->maxevents && rs->maxevents <= CPT_EP_MAX_EVENTS &&
	       !(rs->sigset & (sigmask(SIGKILL) | sigmask(SIGSTOP))) &&
	       (rs->has_sigset || !rs->sigset);
}

/*
 * Whether the restart block fits its kind and the registers it comes with:
 * only a syscall that returned -ERESTART_RESTARTBLOCK has one, and what the
 * restored task restarts must be what the kernel itself could have made of
 * a syscall of the task's (a bad clock would even WARN).
 */
int cpt_restart_block_check(const struct cpt_restart_state *rs,
			    const struct user_regs_struct *regs)
{
	bool ok;

	if (rs->kind == CPT_PB_RESTART_BLOCK_KIND_NONE)
		return 0;
	if ((long)regs->orig_ax < 0 || regs->ax != (unsigned long)-ERESTART_RESTARTBLOCK) {
		cpt_note("image: a restart block, but the registers show no syscall to restart\n");
		return -EBADMSG;
	}
	if (rs->left_ns > KTIME_MAX || rs->deadline_ns > KTIME_MAX) {
		cpt_note("image: a restart block's time is out of range\n");
		return -EBADMSG;
	}
	switch (rs->kind) {
	case CPT_PB_RESTART_BLOCK_KIND_NANOSLEEP:
		ok = cpt_hrtimer_clock(rs->clockid) && !rs->absolute &&
		     cpt_user_address(rs->rmtp);
		if (!ok)
			cpt_note("image: a nanosleep restart block on clock %u, rmtp %#llx\n",
				 rs->clockid, rs->rmtp);
		break;
	case CPT_PB_RESTART_BLOCK_KIND_FUTEX_WAIT:
		ok = (rs->clockid == CLOCK_REALTIME || rs->clockid == CLOCK_MONOTONIC) &&
		     (rs->absolute || rs->clockid == CLOCK_MONOTONIC) &&
		     rs->uaddr && cpt_user_address(rs->uaddr) &&
		     IS_ALIGNED(rs->uaddr, sizeof(u32)) && rs->bitset;
		if (!ok)
			cpt_note("image: a futex wait restart block on %#llx, clock %u, %s %#x\n",
				 rs->uaddr, rs->clockid, "bitset", rs->bitset);
		break;
	case CPT_PB_RESTART_BLOCK_KIND_POLL:
		ok = !rs->absolute && cpt_user_address(rs->ufds) && rs->nfds <= INT_MAX;
		if (!ok)
			cpt_note("image: a poll restart block of %u fds at %#llx\n", rs->nfds,
				 rs->ufds);
		break;
	case CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT:
	case CPT_PB_RESTART_BLOCK_KIND_SIGTIMEDWAIT:
		ok = cpt_timed_wait_fits(rs, regs);
		if (!ok)
			cpt_note("image: a timed wait of kind %u: fd %u, %u events at %#llx\n",
				 rs->kind, rs->fd, rs->maxevents, rs->uaddr);
		break;
	default:
		cpt_note("image: a restart block of unknown kind %u\n", rs->kind);
		ok = false;
	}
	return ok ? 0 : -EBADMSG;
}

/* The deadline on clockid: the saved one, or the time left from now. */
static ktime_t cpt_restart_deadline(const struct cpt_restart_state *rs, u32 clockid)
{
	if (rs->absolute)
		return rs->deadline_ns;
	return ktime_add_safe(cpt_clock_now(clockid), rs->left_ns);
}

/*
 * Runs in the restored task on its way to user mode: puts the restart block
 * in place, as the interrupted syscall had, so that the kernel's signal
 * path makes the registers' -ERESTART_RESTARTBLOCK into restart_syscall()
 * (or -EINTR for a handler). False if there is none.
 */
bool cpt_restart_block_load(const struct cpt_restart_state *rs)
{
	struct restart_block *rb = &current->restart_block;
	struct timespec64 end;

	switch (rs->kind) {
	case CPT_PB_RESTART_BLOCK_KIND_NANOSLEEP:
		rb->nanosleep.clockid = rs->clockid;
		rb->nanosleep.type = rs->rmtp ? TT_NATIVE : TT_NONE;
		rb->nanosleep.rmtp = (struct __kernel_timespec __user *)(unsigned long)rs->rmtp;
		rb->nanosleep.expires = cpt_restart_deadline(rs, rs->clockid);
		set_restart_fn(rb, cpt_sym.hrtimer_nanosleep_restart);
		return true;
	case CPT_PB_RESTART_BLOCK_KIND_FUTEX_WAIT:
		rb->futex.uaddr = (u32 __user *)(unsigned long)rs->uaddr;
		rb->futex.val = rs->val;
		rb->futex.bitset = rs->bitset;
		rb->futex.time = cpt_restart_deadline(rs, rs->clockid);
		rb->futex.flags = CPT_FUTEX_FLAGS_HAS_TIMEOUT |
				  (rs->shared ? CPT_FUTEX_FLAGS_SHARED : 0) |
				  (rs->clockid == CLOCK_REALTIME ? CPT_FUTEX_FLAGS_CLOCKRT : 0);
		set_restart_fn(rb, cpt_sym.futex_wait_restart);
		return true;
	case CPT_PB_RESTART_BLOCK_KIND_POLL:
		rb->poll.ufds = (struct pollfd __user *)(unsigned long)rs->ufds;
		rb->poll.nfds = rs->nfds;
		rb->poll.has_timeout = rs->has_timeout;
		end = (struct timespec64){};
		if (rs->has_timeout && rs->left_ns)
			end = ktime_to_timespec64(cpt_restart_deadline(rs, CLOCK_MONOTONIC));
		rb->poll.tv_sec = end.tv_sec;
		rb->poll.tv_nsec = end.tv_nsec;
		set_restart_fn(rb, cpt_sym.do_restart_poll);
		return true;
	case CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT:
	case CPT_PB_RESTART_BLOCK_KIND_SIGTIMEDWAIT:
		cpt_timed_wait_load(&(struct cpt_timed_wait){
			.kind = rs->kind,
			.deadline = cpt_restart_deadline(rs, CLOCK_MONOTONIC),
			.uaddr = rs->uaddr,
			.sigset = rs->sigset,
			.has_sigset = rs->has_sigset,
			.fd = rs->fd,
			.maxevents = rs->maxevents,
		});
		return true;
	}
	return false;
}

/*
 * The freeze's task work, in the task it parks, on its way back to user
 * mode: epoll_wait() and sigtimedwait() return -EINTR to any interruption,
 * the freeze's too, where the other sleeps ask to be restarted. With a
 * timeout, the wait the freeze saw (seen) goes on in cpt's restart, with
 * the time it had left (cpt_timed_wait.c); one whose deadline the freeze
 * could not read returns -EINTR, and *lost says so, for the checkpoint to
 * be refused, naming it. Without a timeout (sigwaitinfo(), rt_sigtimedwait()
 * with no timespec, as 32-bit syscalls too) they are restarted as the
 * others, as the signal path restarts -ERESTARTNOHAND: nothing is lost,
 * whether the task is thawed or restarted from the image. So is a call
 * the freeze woke having found it one whose -EINTR means it did nothing
 * (eintr_restart: a socket call with a timeout, io_getevents(); see
 * cpt_eintr.c).
 * A pending signal leaves it alone: -EINTR is the kernel's answer to that.
 * TIF_NOTIFY_SIGNAL sends the task through the signal path's restart again,
 * should this work run after it.
 */
void cpt_restart_block_parked(const struct cpt_timed_wait_seen *seen, bool eintr_restart,
			      bool *lost)
{
	struct pt_regs *regs = task_pt_regs(current);

	if (cpt_compat_syscall_nr(regs) < 0 || regs->ax != (unsigned long)-EINTR ||
	    task_sigpending(current))
		return;
	if (cpt_timed_wait_arm(regs, seen)) {
		regs->ax = -ERESTART_RESTARTBLOCK;
		set_thread_flag(TIF_NOTIFY_SIGNAL);
		return;
	}
	switch (cpt_timed_wait_timeout(current)) {
	case CPT_TIMED_WAIT_NONE:
		if (!eintr_restart)
			return;
		break;
	case CPT_TIMED_WAIT_TIMED:
		*lost = true;
		return;
	case CPT_TIMED_WAIT_UNTIMED:
		break;
	}
	regs->ax = -ERESTARTNOHAND;
	set_thread_flag(TIF_NOTIFY_SIGNAL);
}
