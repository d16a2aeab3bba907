// SPDX-License-Identifier: GPL-2.0
/*
 * CPU state: general registers, FPU/SSE/AVX (xstate in the user ABI's
 * standard XSAVE format), and the FS/GS bases. The restoring task takes its
 * saved registers on its way out of the kernel, from a task_work: the ioctl's
 * int return value would otherwise overwrite the 64-bit rax.
 */
#include <linux/file.h>
#include <linux/sched.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xcr.h>
#include <asm/fpu/xstate.h>
#include <asm/fsgsbase.h>
#include <asm/pkru.h>
#include <asm/ptrace.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/user.h>

#include "cpt_compat.h"
#include "cpt_pb_fields.h"
#include "cpt_restart_block.h"
#include "cpt_session.h"

#define CPT_NR_GPREGS (sizeof(struct user_regs_struct) / sizeof(u64))
/* The flags user space may change, as in restore_sigcontext(). */
#define CPT_USER_EFLAGS (X86_EFLAGS_AC | X86_EFLAGS_OF | X86_EFLAGS_DF |	\
			 X86_EFLAGS_TF | X86_EFLAGS_SF | X86_EFLAGS_ZF |	\
			 X86_EFLAGS_AF | X86_EFLAGS_PF | X86_EFLAGS_CF |	\
			 X86_EFLAGS_RF)
/* The legacy FXSAVE area and the XSAVE header. */
#define CPT_XSAVE_MIN_SIZE 576

struct cpt_restore_cpu {
	struct callback_head work;
	struct user_regs_struct regs;
	sigset_t blocked;	/* set last, once the registers are in place */
	struct file *pin;	/* keeps the session file, and so us, alive */
	struct cpt_restart_state restart;	/* of an interrupted sleep */
	u32 xsave_size;
	u8 xsave[];
};

u64 cpt_cpu_user_xfeatures(void)
{
	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return XFEATURE_MASK_FPSSE;
	return xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

/* The standard-format XSAVE size for the features enabled in XCR0. */
unsigned int cpt_cpu_xstate_size(void)
{
	unsigned int eax, ebx, ecx, edx;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return sizeof(struct fxregs_state);
	cpuid_count(XSTATE_CPUID, 0, &eax, &ebx, &ecx, &edx);
	return ebx;
}

static int cpt_cpu_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	struct task_struct *t = s->cur->task;
	struct pt_regs *regs = task_pt_regs(t);
	struct user_regs_struct ur = {};
	struct fpu_guest gfpu = { .fpstate = t->thread.fpu.fpstate };
	unsigned int size = cpt_cpu_xstate_size();
	unsigned int i;
	u64 *words;
	void *xsave;
	int ret;

	/* pt_regs is the head of user_regs_struct, in the same order. */
	BUILD_BUG_ON(offsetof(struct user_regs_struct, ss) !=
		     offsetof(struct pt_regs, ss));
	memcpy(&ur, regs, sizeof(*regs));
	ur.fs_base = t->thread.fsbase;
	ur.gs_base = t->thread.gsbase;
	ur.ds = t->thread.ds;
	ur.es = t->thread.es;
	ur.fs = t->thread.fsindex;
	ur.gs = t->thread.gsindex;

	words = (u64 *)&ur;
	for (i = 0; i < CPT_NR_GPREGS; i++)
		cpt_pb_varint(msg, CPT_PB_CPU_GPREGS, words[i]);
	cpt_pb_u64(msg, CPT_PB_CPU_FS_BASE, ur.fs_base);
	cpt_pb_u64(msg, CPT_PB_CPU_GS_BASE, ur.gs_base);
	ret = cpt_restart_block_save(s->cur->pid, t, regs, msg);
	if (ret)
		return ret;

	xsave = kvzalloc(size, GFP_KERNEL);
	if (!xsave)
		return -ENOMEM;
	/* The target is parked, switched out: its fpstate is up to date. */
	fpu_copy_guest_fpstate_to_uabi(&gfpu, xsave, size, s->xfeatures, t->thread.pkru);
	cpt_pb_bytes(msg, CPT_PB_CPU_XSAVE, xsave, size);
	kvfree(xsave);
	return 0;
}

/* What a restart can put in the registers: a 64-bit user context, nothing more. */
static int cpt_check_regs(const struct user_regs_struct *r)
{
	if (r->cs != __USER_CS || r->ss != __USER_DS)
		return -EOPNOTSUPP;	/* a 32-bit task */
	if (r->ip >= TASK_SIZE_MAX || r->sp >= TASK_SIZE_MAX ||
	    r->fs_base >= TASK_SIZE_MAX)
		return -EBADMSG;
	if (r->gs_base || r->ds || r->es || r->fs || r->gs) {
		cpt_note("segment selectors or a GS base are not supported\n");
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cpt_check_xsave(struct cpt_session *s, const void *buf, size_t len)
{
	const struct xregs_state *xs = buf;

	if (len < CPT_XSAVE_MIN_SIZE || len > cpt_cpu_xstate_size())
		return -EBADMSG;
	if (xs->header.xfeatures & ~s->xfeatures)
		return -EBADMSG;
	return 0;
}

static int cpt_cpu_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_restore_cpu *cpu;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	unsigned int nregs = 0;
	const u8 *xsave = NULL;
	size_t xsave_len = 0;
	u64 *words;
	int ret;

	cpu = kvzalloc(struct_size(cpu, xsave, cpt_cpu_xstate_size()), GFP_KERNEL);
	if (!cpu)
		return -ENOMEM;
	words = (u64 *)&cpu->regs;
	cpt_pb_for_each_field(&r, data, len, &f) {
		switch (f.num) {
		case CPT_PB_CPU_GPREGS:
			if (nregs == CPT_NR_GPREGS)
				cpt_pb_fail(&r, -EBADMSG);
			else
				cpt_pb_read_u64(&r, &f, &words[nregs++]);
			break;
		case CPT_PB_CPU_XSAVE:
			cpt_pb_read_bytes(&r, &f, &xsave, &xsave_len);
			break;
		case CPT_PB_CPU_RESTART_BLOCK:
			cpt_restart_block_decode(&r, &f, &cpu->restart);
			break;
		default:	/* the bases are in gpregs too */
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (!ret && nregs != CPT_NR_GPREGS)
		ret = -EBADMSG;
	if (!ret)
		ret = cpt_check_regs(&cpu->regs);
	if (!ret)
		ret = cpt_check_xsave(s, xsave, xsave_len);
	if (!ret)
		ret = cpt_restart_block_check(&cpu->restart, &cpu->regs);
	if (ret) {
		kvfree(cpu);
		return ret;
	}
	memcpy(cpu->xsave, xsave, xsave_len);
	cpu->xsave_size = xsave_len;
	s->cur->cpu = cpu;
	return 0;
}

static void cpt_cpu_free(struct cpt_session *s)
{
	kvfree(s->cur->cpu);
	s->cur->cpu = NULL;
}

/*
 * The freeze interrupted a syscall that the kernel would restart. Leave the
 * decision to the kernel's own signal path, as if the syscall had just been
 * interrupted here: a pending signal's handler gets EINTR or a restart as
 * its SA_RESTART says, and without one the syscall starts again, or, for
 * -ERESTART_RESTARTBLOCK, goes on from its restart block (nanosleep...). An
 * image without the block (made before cpt saved it) restarts the syscall
 * from its arguments.
 */
static bool cpt_restart_pending(struct pt_regs *regs, const struct cpt_restart_state *restart)
{
	if (cpt_compat_syscall_nr(regs) < 0)
		return false;
	switch (regs->ax) {
	case -ERESTART_RESTARTBLOCK:
		if (!cpt_restart_block_load(restart))
			regs->ax = -ERESTARTNOHAND;
		return true;
	case -ERESTARTSYS:
	case -ERESTARTNOINTR:
	case -ERESTARTNOHAND:
		return true;
	}
	return false;
}

/* Runs in the restored task on its way to user mode, after the ioctl's return value was stored. */
static void cpt_cpu_load(struct callback_head *work)
{
	struct cpt_restore_cpu *cpu = container_of(work, struct cpt_restore_cpu, work);
	const struct user_regs_struct *r = &cpu->regs;
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long flags = regs->flags;
	struct file *pin = cpu->pin;

	memcpy(regs, r, sizeof(*regs));
	regs->cs = __USER_CS;
	regs->ss = __USER_DS;
	regs->flags = (flags & ~CPT_USER_EFLAGS) | (r->flags & CPT_USER_EFLAGS);
	if (cpt_restart_pending(regs, &cpu->restart))
		set_tsk_thread_flag(current, TIF_NOTIFY_SIGNAL);
	else
		regs->orig_ax = -1;

	/* What arch_prctl(ARCH_SET_FS) does for the current task. */
	preempt_disable();
	loadsegment(fs, 0);
	x86_fsbase_write_cpu(r->fs_base);
	current->thread.fsindex = 0;
	current->thread.fsbase = r->fs_base;
	preempt_enable();

	/*
	 * Pending signals now reach the restored context, not the old one; and
	 * the recalc_sigpending() in here starts a restored group stop.
	 */
	sigprocmask(SIG_SETMASK, &cpu->blocked, NULL);
	kvfree(cpu);
	fput(pin);
}

/*
 * Loads the saved FPU state into current's fpstate, and queues the loading
 * of the registers. Called last, when nothing can fail any more.
 */
int cpt_cpu_apply(struct cpt_session *s, struct file *pin)
{
	struct cpt_restore_cpu *cpu = s->cur->cpu;
	struct fpu_guest gfpu = { .fpstate = current->thread.fpu.fpstate };
	u32 pkru = current->thread.pkru;
	int ret;

	if (!cpu)
		return -EINVAL;
	/* Saves the live registers and marks them to be reloaded from fpstate. */
	kernel_fpu_begin();
	kernel_fpu_end();
	fpregs_lock();
	ret = fpu_copy_uabi_to_guest_fpstate(&gfpu, cpu->xsave, s->xfeatures, &pkru);
	/*
	 * kernel_fpu_begin() forgot the registers of this CPU only. Another
	 * CPU, the one this task left while it slept in the restart, may still
	 * hold its old registers as this task's own: back there, the way to
	 * user mode would find them valid and skip fpstate. Loading fpstate
	 * now, as __fpu_restore_sig() does, makes this CPU the one that holds
	 * them, and leaves any other's copy stale.
	 */
	if (!ret)
		switch_fpu_return();
	/*
	 * PKRU is not loaded from fpstate: the register is the live value,
	 * thread.pkru its copy while the task is switched out, which the
	 * next switch away takes from the register. Both, with preemption
	 * off, as a signal return's XRSTOR sets it.
	 */
	if (!ret) {
		current->thread.pkru = pkru;
		write_pkru(pkru);
	}
	fpregs_unlock();
	if (ret)
		return ret;

	cpu->pin = pin;
	cpt_signals_blocked(s, &cpu->blocked);
	init_task_work(&cpu->work, cpt_cpu_load);
	ret = task_work_add(current, &cpu->work, TWA_RESUME);
	if (ret)
		return ret;
	s->cur->cpu = NULL;
	return 0;
}

const struct cpt_subsys_ops cpt_cpu_ops = {
	.name = "cpu",
	.record = CPT_REC_CPU,
	.save = cpt_cpu_save,
	.restore = cpt_cpu_restore,
	.free = cpt_cpu_free,
};
