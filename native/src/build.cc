#include "build.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <cstring>

namespace cpt {
namespace {

// A system call that returns -errno instead of setting errno: the builder's
// threads share one errno with their creator.
long Raw(long nr, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0,
	 long a5 = 0, long a6 = 0)
{
	long ret;
	register long r10 asm("r10") = a4;
	register long r8 asm("r8") = a5;
	register long r9 asm("r9") = a6;
	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8),
		       "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

[[noreturn]] void Exit(int status)
{
	for (;;)
		Raw(SYS_exit, status);
}

[[noreturn]] void ExitGroup(int status)
{
	for (;;)
		Raw(SYS_exit_group, status);
}

constexpr int kBuildFailedStatus = 127;
constexpr size_t kThreadStack = 64 * 1024;

void WakeAll(Build *b)
{
	Raw(SYS_futex, reinterpret_cast<long>(&b->step), FUTEX_WAKE, INT_MAX);
}

// Reports the failure, stops every task and exits.
[[noreturn]] void Fail(Build *b, BuildOp op, uint32_t subsys, int32_t pid,
		       long ret)
{
	BuildReport report{};
	report.op = static_cast<uint32_t>(op);
	report.subsys = subsys;
	report.pid = pid;
	report.error = ret < 0 ? static_cast<int32_t>(-ret) : 0;
	report.ret = ret;
	if (op == static_cast<BuildOp>(0)) {
		struct cpt_message msg {};
		msg.buf = reinterpret_cast<uint64_t>(report.message);
		msg.size = sizeof(report.message);
		Raw(SYS_ioctl, b->session_fd, CPT_IOC_MESSAGE,
		    reinterpret_cast<long>(&msg));
	}
	Raw(SYS_write, b->report_fd, reinterpret_cast<long>(&report),
	    sizeof(report));
	__atomic_store_n(&b->failed, 1, __ATOMIC_SEQ_CST);
	// The step moves on too: a task that saw no failure yet and is about
	// to FUTEX_WAIT on the step it read must find the word changed (and
	// then the failure), or it would sleep through this wake-up forever.
	__atomic_add_fetch(&b->step, 1, __ATOMIC_SEQ_CST);
	WakeAll(b);
	ExitGroup(kBuildFailedStatus);
}

struct ThreadStart {
	Build *build;
	uint32_t self;
};

int ThreadEntry(void *arg)
{
	const ThreadStart *start = static_cast<const ThreadStart *>(arg);
	RunBuildTask(start->build, start->self);
}

// Creates task `target` (the actor's sibling if asked); returns in the creator only.
void CloneTask(Build *b, uint32_t actor, uint32_t target, bool sibling)
{
	const BuildTaskSpec &spec = b->tasks[target];
	const int32_t self_pid = static_cast<int32_t>(Raw(SYS_gettid));
	if (spec.pid != 0) {
		struct cpt_next_id next {};
		next.kind = CPT_ID_PID;
		next.id = static_cast<uint64_t>(spec.pid);
		const long set = Raw(SYS_ioctl, b->session_fd,
				     CPT_IOC_SET_NEXT_ID,
				     reinterpret_cast<long>(&next));
		if (set != 0)
			Fail(b, BuildOp::kClone, 0, spec.pid,
			     set < 0 ? set : -EPROTO);
	}
	long child;
	if (spec.thread) {
		const long stack =
			Raw(SYS_mmap, 0, kThreadStack, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (stack < 0 && stack > -4096)
			Fail(b, BuildOp::kClone, 0, spec.pid, stack);
		// The start arguments sit at the top of the new stack.
		auto *start = reinterpret_cast<ThreadStart *>(
			stack + kThreadStack - sizeof(ThreadStart));
		start->build = b;
		start->self = target;
		child = clone(ThreadEntry, start,
			      CLONE_VM | CLONE_FS | CLONE_FILES |
				      CLONE_SIGHAND | CLONE_THREAD |
				      CLONE_SYSVSEM,
			      start);
		if (child < 0)
			child = -EAGAIN; // glibc set errno, which we don't trust here
	} else {
		const long flags = SIGCHLD | (sibling ? CLONE_PARENT : 0);
		child = Raw(SYS_clone, flags, 0, 0, 0, 0);
		if (child == 0)
			RunBuildTask(b, target);
	}
	(void)actor;
	(void)self_pid;
	if (child < 0)
		Fail(b, BuildOp::kClone, 0, spec.pid, child);
	b->created[target] = static_cast<int32_t>(child);
	if (spec.pid != 0 && child != spec.pid) {
		// The module did not apply the id: that task must not become another.
		Raw(SYS_kill, child, SIGKILL);
		Fail(b, BuildOp::kClone, 0, spec.pid, -ESRCH);
	}
}

void RunStep(Build *b, uint32_t self, const BuildStep &step)
{
	long ret = 0;
	switch (step.op) {
	case BuildOp::kClone:
		CloneTask(b, self, step.target, step.arg == kCloneSibling);
		return;
	case BuildOp::kSetsid:
		ret = Raw(SYS_setsid);
		break;
	case BuildOp::kSetpgid:
		ret = Raw(SYS_setpgid, 0, step.arg);
		break;
	case BuildOp::kSubreaper:
		ret = Raw(SYS_prctl, PR_SET_CHILD_SUBREAPER, 1);
		break;
	case BuildOp::kReap: {
		int status;
		do {
			ret = Raw(SYS_wait4, b->created[step.target],
				  reinterpret_cast<long>(&status), 0, 0);
		} while (ret == -EINTR);
		break;
	}
	case BuildOp::kExit:
		// The next step may run as soon as the counter moves; it needs nothing of us.
		__atomic_add_fetch(&b->step, 1, __ATOMIC_SEQ_CST);
		WakeAll(b);
		if (WIFSIGNALED(step.arg)) {
			// Die of the saved signal: no core, and nothing blocks or catches it.
			struct rlimit none {};
			Raw(SYS_setrlimit, RLIMIT_CORE,
			    reinterpret_cast<long>(&none));
			unsigned long empty = 0;
			Raw(SYS_rt_sigprocmask, SIG_SETMASK,
			    reinterpret_cast<long>(&empty), 0, 8);
			Raw(SYS_kill, Raw(SYS_getpid), WTERMSIG(step.arg));
		}
		ExitGroup(WIFEXITED(step.arg) ? WEXITSTATUS(step.arg) :
						kBuildFailedStatus);
	}
	if (ret < 0)
		Fail(b, step.op, 0, static_cast<int32_t>(Raw(SYS_getpid)), ret);
}

[[noreturn]] void Restore(Build *b)
{
	for (uint32_t subsys = 1; subsys <= CPT_SUBSYS_MAX; subsys++) {
		struct cpt_subsys arg {};
		arg.subsys = subsys;
		const long ret = Raw(SYS_ioctl, b->session_fd, CPT_IOC_RESTORE,
				     reinterpret_cast<long>(&arg));
		// The task's final step does not return on success: it is the restored
		// task now, parked in the module.
		if (ret != 0)
			Fail(b, static_cast<BuildOp>(0), subsys,
			     static_cast<int32_t>(Raw(SYS_gettid)), ret);
	}
	Fail(b, static_cast<BuildOp>(0), CPT_SUBSYS_MAX,
	     static_cast<int32_t>(Raw(SYS_gettid)), 0);
}

// --pidns: the namespace's init, which must outlive the tree. It reaps what
// ends up with it, and exits with the root's status once the root is gone.
[[noreturn]] void PidnsInit(Build *b)
{
	Raw(SYS_close, b->report_fd);
	Raw(SYS_close, b->session_fd);
	const long root = b->created[b->root];
	for (;;) {
		int status = 0;
		const long pid = Raw(SYS_wait4, -1,
				     reinterpret_cast<long>(&status), __WALL,
				     0);
		if (pid == -EINTR)
			continue;
		if (pid < 0)
			Exit(0);
		if (pid == root)
			ExitGroup(WIFEXITED(status) ? WEXITSTATUS(status) :
						      128 + WTERMSIG(status));
	}
}

} // namespace

[[noreturn]] void RunBuildTaskAfterMaps(Build *b, uint32_t self, int go_fd)
{
	char go = 0;
	long n;
	do {
		n = Raw(SYS_read, go_fd, reinterpret_cast<long>(&go), 1);
	} while (n == -EINTR);
	Raw(SYS_close, go_fd);
	// Unmapped, the task's ids are the overflow ids: it must not go on.
	if (n != 1)
		ExitGroup(kBuildFailedStatus);
	RunBuildTask(b, self);
}

Build *CreateBuild()
{
	void *mem = mmap(nullptr, sizeof(Build), PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	return mem == MAP_FAILED ? nullptr : static_cast<Build *>(mem);
}

void DestroyBuild(Build *build)
{
	munmap(build, sizeof(Build));
}

[[noreturn]] void RunBuildTask(Build *b, uint32_t self)
{
	for (;;) {
		const uint32_t cur =
			__atomic_load_n(&b->step, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&b->failed, __ATOMIC_SEQ_CST))
			ExitGroup(kBuildFailedStatus);
		if (cur >= b->nr_steps)
			break;
		const BuildStep &step = b->steps[cur];
		if (step.actor != self) {
			Raw(SYS_futex, reinterpret_cast<long>(&b->step),
			    FUTEX_WAIT, cur, 0);
			continue;
		}
		RunStep(b, self, step);
		__atomic_store_n(&b->step, cur + 1, __ATOMIC_SEQ_CST);
		WakeAll(b);
	}
	switch (b->tasks[self].kind) {
	case TaskKind::kRestore:
		Restore(b);
	case TaskKind::kPidnsInit:
		PidnsInit(b);
	case TaskKind::kTransient:
		break;
	}
	ExitGroup(kBuildFailedStatus);
}

} // namespace cpt
