// SPDX-License-Identifier: GPL-2.0
/*
 * Blocking calls that any interruption, the freeze's wakeup too, ends with
 * -EINTR where the kernel restarts others: a socket call on a socket with
 * a timeout (SO_RCVTIMEO, SO_SNDTIMEO: sock_intr_errno() gives -EINTR for
 * a finite one, -ERESTARTSYS for none), io_getevents() and semop() (with
 * or without a timeout). Without a signal, a program never sees that -EINTR.
 * So the freeze looks at the syscall of the task it is about to wake
 * (cpt_eintr_of()), which stays the one the task is in until its work
 * parks it:
 *
 *  - recv*(), read() and readv() on a socket, accept*(), io_getevents():
 *    their -EINTR means that nothing was done (a socket's receive returns
 *    what it had copied before the wait, if anything; accept's new fd is
 *    freed; io_getevents() returns the events it had reaped, if any), so
 *    the freeze's task work makes it -ERESTARTNOHAND, as the kernel's own
 *    -ERESTARTSYS would be without a handler, and the call is made again
 *    with the same arguments (cpt_restart_block_parked()); a real signal
 *    still gets its -EINTR. A recvmmsg() woken after part of its batch
 *    returns that count, as for a signal, but also leaves the wait's
 *    -EINTR (-ERESTARTSYS without a timeout) in the socket's sk_err for
 *    its next call (__sys_recvmmsg()): the work takes that error back
 *    (cpt_eintr_batch_parked());
 *  - send*(), write() and writev() with a send timeout: the same on a unix
 *    socket and on TCP, which return what they had queued before the wait;
 *    on TCP not with MSG_FASTOPEN or a fast open connect() deferred to the
 *    send, where the wait is a connect()'s that may have sent data in its
 *    SYN already. On UDP, raw and ping sockets, the same when nothing is
 *    corked; with data corked (MSG_MORE, UDP_CORK), any error of a send,
 *    -ERESTARTSYS of no timeout too, drops it (udp_sendmsg() flushes the
 *    pending frames): the task is not woken (HOLD), whatever its timeout.
 *    On other sockets an error may have done something: HOLD;
 *  - semop() and semtimedop(): -EINTR once the wait was taken off the
 *    set's queue, no operation done: made again, as io_getevents();
 *  - connect() with a send timeout: on a unix socket, its -EINTR frees
 *    what it had made (unix_stream_connect()), the socket unconnected:
 *    made again. On TCP waiting for its handshake (SYN_SENT, SYN_RECV),
 *    made again it would end its timeout with EALREADY instead of
 *    EINPROGRESS: the task is not woken (HOLD); nor on other kinds
 *    (SCTP...), whose -EINTR cpt does not know.
 *
 * A call made again waits its whole timeout again: a timeout is the least
 * a call waits, and a busy machine may wake it later too. A task not woken
 * ends its wait by itself and parks then; if that takes longer than the
 * freeze's time, the checkpoint fails, named, the task untouched.
 *
 * 32-bit syscalls (int $0x80, a 32-bit process) are read with their own
 * numbers and argument registers, socketcall()'s arguments from the task's
 * memory; the restart is the same. x32 syscalls (when the kernel runs
 * them: Debian's needs syscall.x32=y) take the 64-bit registers, and the
 * 64-bit numbers but for their own 512-547 (recvfrom, readv...); those
 * x32 numbers the x32 table lacks (the 64-bit recvfrom...) fail with
 * -ENOSYS at once, never waiting.
 */
#include <linux/fdtable.h>
#include <linux/ipc.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/socket.h>
#include <net/sock.h>
#include <asm/unistd.h>
#ifdef CONFIG_IA32_EMULATION
#include <asm/unistd_32_ia32.h>
#endif
#ifdef CONFIG_X86_X32_ABI
#include <asm/unistd_64_x32.h>
#endif

#include "cpt_compat.h"
#include "cpt_eintr.h"

/* What a syscall that may end with -EINTR does. */
enum cpt_eintr_op {
	CPT_EINTR_OP_NONE,
	CPT_EINTR_OP_RECV,	/* a socket's receive, or accept */
	CPT_EINTR_OP_READ,	/* read(), readv(): a receive if on a socket */
	CPT_EINTR_OP_SEND,	/* a socket's send, or write(), writev() on one */
	CPT_EINTR_OP_CONNECT,
	CPT_EINTR_OP_AIO,	/* io_getevents() */
	CPT_EINTR_OP_SEM,	/* semop(), semtimedop() */
};

struct cpt_eintr_call {
	enum cpt_eintr_op op;
	int fd;
	unsigned long flags;	/* a send's MSG_* */
	unsigned int vlen;	/* a recvmmsg()'s; 0 for any other call */
};

#ifdef CONFIG_X86_X32_ABI
/*
 * An x32 syscall's number (its __X32_SYSCALL_BIT cleared) as the 64-bit
 * one of the same call, for what cpt_eintr_call_64() judges; -1 for the
 * 64-bit numbers x32 has its own for, which its table lacks: -ENOSYS.
 */
static long cpt_eintr_x32_nr(long nr)
{
	switch (nr) {
	case __NR_x32_recvfrom:
		return __NR_recvfrom;
	case __NR_x32_recvmsg:
		return __NR_recvmsg;
	case __NR_x32_recvmmsg:
		return __NR_recvmmsg;
	case __NR_x32_readv:
		return __NR_readv;
	case __NR_x32_sendmsg:
		return __NR_sendmsg;
	case __NR_x32_sendmmsg:
		return __NR_sendmmsg;
	case __NR_x32_writev:
		return __NR_writev;
	case __NR_recvfrom:
	case __NR_recvmsg:
	case __NR_recvmmsg:
	case __NR_readv:
	case __NR_sendmsg:
	case __NR_sendmmsg:
	case __NR_writev:
		return -1;
	}
	return nr;
}
#endif

/* A 64-bit syscall, or an x32 one: the same registers. */
static void cpt_eintr_call_64(const struct pt_regs *regs, struct cpt_eintr_call *c)
{
	long nr = cpt_compat_syscall_nr(regs);

#ifdef CONFIG_X86_X32_ABI
	if (cpt_compat_syscall_x32(regs))
		nr = cpt_eintr_x32_nr(nr & ~__X32_SYSCALL_BIT);
#endif
	c->fd = regs->di;	/* an int, as the syscalls take it */
	switch (nr) {
	case __NR_recvmmsg:
		c->op = CPT_EINTR_OP_RECV;
		c->vlen = regs->dx;
		break;
	case __NR_recvfrom:
	case __NR_recvmsg:
	case __NR_accept:
	case __NR_accept4:
		c->op = CPT_EINTR_OP_RECV;
		break;
	case __NR_read:
	case __NR_readv:
		c->op = CPT_EINTR_OP_READ;
		break;
	case __NR_sendto:
	case __NR_sendmmsg:
		c->op = CPT_EINTR_OP_SEND;
		c->flags = regs->r10;
		break;
	case __NR_sendmsg:
		c->op = CPT_EINTR_OP_SEND;
		c->flags = regs->dx;
		break;
	case __NR_write:
	case __NR_writev:
		c->op = CPT_EINTR_OP_SEND;
		break;
	case __NR_connect:
		c->op = CPT_EINTR_OP_CONNECT;
		break;
	case __NR_io_getevents:
		c->op = CPT_EINTR_OP_AIO;
		break;
	case __NR_semop:
	case __NR_semtimedop:
		c->op = CPT_EINTR_OP_SEM;
		break;
	}
}

#ifdef CONFIG_IA32_EMULATION
/* socketcall()'s calls: which, and where a send's flags are among its arguments. */
static void cpt_eintr_socketcall(struct task_struct *t, const struct pt_regs *regs,
				 struct cpt_eintr_call *c)
{
	u32 args[4];
	int flags = -1;	/* a connect(): its fd only */
	int len;

	switch ((u32)regs->bx) {
	case SYS_RECVMMSG:
		/* fd, msgvec, vlen: read as the others' */
		len = 3 * sizeof(u32);
		if (access_process_vm(t, (u32)regs->cx, args, len, 0) == len) {
			c->fd = args[0];
			c->vlen = args[2];
		}
		c->op = CPT_EINTR_OP_RECV;
		return;
	case SYS_RECV:
	case SYS_RECVFROM:
	case SYS_RECVMSG:
	case SYS_ACCEPT:
	case SYS_ACCEPT4:
		c->op = CPT_EINTR_OP_RECV;
		return;
	case SYS_SEND:
	case SYS_SENDTO:
	case SYS_SENDMMSG:
		flags = 3;
		break;
	case SYS_SENDMSG:
		flags = 2;
		break;
	case SYS_CONNECT:
		break;
	default:
		return;
	}
	/* Those it reads, as it reads them: unreadable, the call fails without a wait. */
	len = (flags < 0 ? 1 : flags + 1) * sizeof(u32);
	if (access_process_vm(t, (u32)regs->cx, args, len, 0) != len)
		return;
	c->op = flags < 0 ? CPT_EINTR_OP_CONNECT : CPT_EINTR_OP_SEND;
	c->fd = args[0];
	c->flags = flags < 0 ? 0 : args[flags];
}

/* ebx, ecx, edx, esi, edi, ebp: the 32-bit syscalls' arguments. */
static void cpt_eintr_call_32(struct task_struct *t, const struct pt_regs *regs,
			      struct cpt_eintr_call *c)
{
	c->fd = (u32)regs->bx;
	switch (cpt_compat_syscall_nr(regs)) {
	case __NR_ia32_socketcall:
		cpt_eintr_socketcall(t, regs, c);
		break;
	case __NR_ia32_recvmmsg:
	case __NR_ia32_recvmmsg_time64:
		c->op = CPT_EINTR_OP_RECV;
		c->vlen = (u32)regs->dx;
		break;
	case __NR_ia32_recvfrom:
	case __NR_ia32_recvmsg:
	case __NR_ia32_accept4:
		c->op = CPT_EINTR_OP_RECV;
		break;
	case __NR_ia32_read:
	case __NR_ia32_readv:
		c->op = CPT_EINTR_OP_READ;
		break;
	case __NR_ia32_sendto:
	case __NR_ia32_sendmmsg:
		c->op = CPT_EINTR_OP_SEND;
		c->flags = (u32)regs->si;
		break;
	case __NR_ia32_sendmsg:
		c->op = CPT_EINTR_OP_SEND;
		c->flags = (u32)regs->dx;
		break;
	case __NR_ia32_write:
	case __NR_ia32_writev:
		c->op = CPT_EINTR_OP_SEND;
		break;
	case __NR_ia32_connect:
		c->op = CPT_EINTR_OP_CONNECT;
		break;
	case __NR_ia32_io_getevents:
		c->op = CPT_EINTR_OP_AIO;
		break;
	case __NR_ia32_semtimedop_time64:
		c->op = CPT_EINTR_OP_SEM;
		break;
	case __NR_ia32_ipc:
		/* ipc()'s call: its low 16 bits, as sys_ipc() reads them */
		if ((u16)regs->bx == SEMOP || (u16)regs->bx == SEMTIMEDOP)
			c->op = CPT_EINTR_OP_SEM;
		break;
	}
}
#endif

/*
 * The socket file at t's fd, with a reference, or NULL. The fd is read
 * from t's table while t is in the call: the table is what another of its
 * threads may have changed since the call took its file, and then the
 * restart, made on the fd, goes to what it names now, as a retry of the
 * program's own would.
 */
static struct file *cpt_eintr_sock_file(struct task_struct *t, int fd)
{
	struct files_struct *files;
	struct file *file = NULL;

	if (fd < 0)
		return NULL;
	/* fd's slot only, as task_lookup_fd_rcu() (not exported) looks it up */
	rcu_read_lock();
	task_lock(t);
	files = t->files;
	if (files)
		file = files_lookup_fd_rcu(files, fd);
	if (file && !get_file_rcu(file))
		file = NULL;
	task_unlock(t);
	rcu_read_unlock();
	if (file && !sock_from_file(file)) {
		fput(file);
		file = NULL;
	}
	return file;
}

static bool cpt_eintr_tcp(struct sock *sk)
{
	return (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       sk->sk_type == SOCK_STREAM && sk->sk_protocol == IPPROTO_TCP;
}

/* A UDP (UDP-Lite), ICMP ping or raw socket: ip_append_data()'s, that may cork. */
static bool cpt_eintr_datagram(struct sock *sk)
{
	return (sk->sk_family == AF_INET || sk->sk_family == AF_INET6) &&
	       (sk->sk_type == SOCK_DGRAM || sk->sk_type == SOCK_RAW);
}

/* Whether a send's -EINTR on sk means it queued nothing and did nothing else. */
static bool cpt_eintr_send_undone(struct sock *sk, unsigned long flags)
{
	if (sk->sk_family == AF_UNIX)
		return true;
	return cpt_eintr_tcp(sk) && !(flags & MSG_FASTOPEN) && !cpt_compat_tcp_defer_connect(sk);
}

static enum cpt_eintr cpt_eintr_sock(struct task_struct *t, const struct cpt_eintr_call *c,
				     const char **what)
{
	struct file *file = cpt_eintr_sock_file(t, c->fd);
	enum cpt_eintr ret = CPT_EINTR_NONE;
	struct sock *sk;
	long timeo;

	if (!file)
		return CPT_EINTR_NONE;
	sk = sock_from_file(file)->sk;
	switch (c->op) {
	case CPT_EINTR_OP_READ:
		ret = CPT_EINTR_RESTART;
		break;
	case CPT_EINTR_OP_SEND:
		if (cpt_eintr_datagram(sk) && cpt_compat_sock_corked(sk)) {
			*what = "a send on a socket with data corked, which any error drops";
			ret = CPT_EINTR_HOLD;
			break;
		}
		if (READ_ONCE(sk->sk_sndtimeo) == MAX_SCHEDULE_TIMEOUT)
			break;
		if (cpt_eintr_datagram(sk) || cpt_eintr_send_undone(sk, c->flags)) {
			ret = CPT_EINTR_RESTART;
			break;
		}
		*what = "a send on a socket with SO_SNDTIMEO whose EINTR cannot be undone";
		ret = CPT_EINTR_HOLD;
		break;
	case CPT_EINTR_OP_CONNECT:
		/* No timeout: -ERESTARTSYS; 0: connect() never waits. */
		timeo = READ_ONCE(sk->sk_sndtimeo);
		if (timeo == MAX_SCHEDULE_TIMEOUT || !timeo)
			break;
		if (sk->sk_family == AF_UNIX) {
			ret = CPT_EINTR_RESTART;
			break;
		}
		/* inet_wait_for_connect()'s states: in no other does TCP's connect() wait */
		if (cpt_eintr_tcp(sk) &&
		    !((1 << READ_ONCE(sk->sk_state)) & (TCPF_SYN_SENT | TCPF_SYN_RECV)))
			break;
		*what = "a connect() with SO_SNDTIMEO, which cannot be made again";
		ret = CPT_EINTR_HOLD;
		break;
	default:
		break;
	}
	fput(file);
	return ret;
}

/*
 * What the freeze may do to t, in a syscall it is about to wake (t's
 * work queued, so that t leaves this syscall only to park): RESTART, its
 * -EINTR then made a restart by the work; HOLD, never woken (*what says
 * why); or NONE, neither. For a recvmmsg() of more than one message on a
 * socket, *batch gets the socket, held until cpt_eintr_batch_put(), for
 * cpt_eintr_batch_parked(); batch must hold none yet. The sock is held,
 * not its file: a file's references are its holders, and one more would
 * make a TCP connection look shared (cpt_compat_holders.c).
 */
enum cpt_eintr cpt_eintr_of(struct task_struct *t, const char **what,
			    struct cpt_eintr_batch *batch)
{
	const struct pt_regs *regs;
	struct cpt_eintr_call c = {};
	unsigned long orig_ax;
	struct file *file;
	struct sock *sk;

	*what = NULL;
	/* t's registers are on its stack, which its exit frees: pinned, NONE if gone. */
	if (!try_get_task_stack(t))
		return CPT_EINTR_NONE;
	regs = task_pt_regs(t);
	orig_ax = regs->orig_ax;
	if (cpt_compat_syscall_nr(regs) >= 0 && !cpt_compat_syscall_32bit(t))
		cpt_eintr_call_64(regs, &c);
#ifdef CONFIG_IA32_EMULATION
	else if (cpt_compat_syscall_nr(regs) >= 0)
		cpt_eintr_call_32(t, regs, &c);
#endif
	cpt_sym.put_task_stack(t);
	switch (c.op) {
	case CPT_EINTR_OP_NONE:
		return CPT_EINTR_NONE;
	case CPT_EINTR_OP_RECV:
		/* A batch: its socket, kept for the work, which uses no fd. */
		file = c.vlen > 1 ? cpt_eintr_sock_file(t, c.fd) : NULL;
		sk = file ? sock_from_file(file)->sk : NULL;
		if (sk) {
			batch->orig_ax = orig_ax;
			batch->vlen = c.vlen;
			sock_hold(sk);
			/* last, for cpt_eintr_batch_parked()'s acquire, which reads it first */
			smp_store_release(&batch->sk, sk);
		}
		if (file)
			fput(file);
		return CPT_EINTR_RESTART;
	case CPT_EINTR_OP_AIO:
	case CPT_EINTR_OP_SEM:
		return CPT_EINTR_RESTART;
	default:
		return cpt_eintr_sock(t, &c, what);
	}
}

/*
 * In the freeze's task work, on current's way back to user mode: a
 * recvmmsg() that cpt_eintr_of() found (batch) and the freeze woke after
 * it had received part of its batch returns that count, as it would for
 * a signal, and has left its wait's -EINTR, or -ERESTARTSYS without a
 * timeout, in the socket's sk_err (__sys_recvmmsg()), which the socket's
 * next call would return. With no signal pending that error is the
 * freeze's alone: it goes, from the socket the fd held when the freeze
 * judged the call (the call's own, unless another thread replaced it
 * meanwhile), held since: no fd is looked up, as another thread may have
 * closed or reused it. Only when the call returning is the one judged
 * (orig_ax the same). Not in an exiting task (its work runs in
 * exit_task_work(), its files gone): killed in the call, it leaves the
 * error as a kill does.
 */
void cpt_eintr_batch_parked(const struct cpt_eintr_batch *batch)
{
	/* pairs with cpt_eintr_of()'s release: orig_ax and vlen are set before it */
	struct sock *sk = smp_load_acquire(&batch->sk);
	struct pt_regs *regs = task_pt_regs(current);

	if (!sk || (current->flags & PF_EXITING) || !current->files)
		return;
	if (regs->orig_ax != batch->orig_ax || (long)regs->ax <= 0 ||
	    regs->ax >= batch->vlen || task_sigpending(current))
		return;
	if (cmpxchg(&sk->sk_err, EINTR, 0) != EINTR)
		cmpxchg(&sk->sk_err, ERESTARTSYS, 0);
}

/*
 * Drops the socket cpt_eintr_of() kept in batch, if any, once: when the
 * freezer goes, or when its kick could not be queued (the task has
 * exited, its work run).
 */
void cpt_eintr_batch_put(struct cpt_eintr_batch *batch)
{
	struct sock *sk = xchg(&batch->sk, NULL);

	if (sk)
		sock_put(sk);
}
