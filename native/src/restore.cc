#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "args.h"
#include "build.h"
#include "constants.h"
#include "errors.h"
#include "uapi.h"
#include "worker.h"

namespace cpt {
namespace {

const char *StepSyscall(uint32_t op)
{
	switch (static_cast<BuildOp>(op)) {
	case BuildOp::kClone:
		return "clone";
	case BuildOp::kSetsid:
		return "setsid";
	case BuildOp::kSetpgid:
		return "setpgid";
	case BuildOp::kSubreaper:
		return "prctl";
	case BuildOp::kExit:
		return "exit";
	case BuildOp::kReap:
		return "wait4";
	}
	return "ioctl";
}

// Waits, off the main thread, for every task of the build to reach its
// final step: the report pipe reaches EOF without a report once each has
// had its fds replaced (a restored process), or exited (a zombie, a
// placeholder, the pidns init's copy). A report says what failed; the rest
// of the build is then killed and reaped.
class BuildWaitWorker : public PromiseWorker {
public:
	BuildWaitWorker(Napi::Env env, Build *build, int report_fd,
			pid_t launched, bool own_pidns)
		: PromiseWorker(env, "cpt:restoreTree")
		, build_(build)
		, report_fd_(report_fd)
		, launched_(launched)
		, own_pidns_(own_pidns)
	{
	}

	~BuildWaitWorker() override
	{
		DestroyBuild(build_);
	}

protected:
	void Work() override
	{
		BuildReport report{};
		bool have = false;
		int read_errno = 0;
		for (;;) {
			BuildReport next{};
			size_t got = 0;
			while (got < sizeof(next)) {
				const ssize_t n = read(
					report_fd_,
					reinterpret_cast<char *>(&next) + got,
					sizeof(next) - got);
				if (n < 0 && errno == EINTR)
					continue;
				if (n < 0)
					read_errno = errno;
				if (n <= 0)
					break;
				got += static_cast<size_t>(n);
			}
			if (got < sizeof(next))
				break;
			// Tasks that were waiting their turn when another failed say ECANCELED: not the cause.
			if (!have || (report.error == ECANCELED &&
				      next.error != ECANCELED))
				report = next;
			have = true;
		}
		close(report_fd_);
		if (read_errno != 0) {
			KillBuild();
			Fail(read_errno, "read", "of the build's report pipe");
			return;
		}
		if (have) {
			report.message[sizeof(report.message) - 1] = 0;
			message_ = report.message;
			// A task cancelled by another's failure has no words of
			// its own; the module keeps the first failure's for us.
			if (message_.empty())
				message_ = ModuleMessage(build_->session_fd);
			KillBuild();
			pid_ = report.pid;
			if (report.op == 0)
				subsys_ = report.subsys;
			operation_ = report.op == 0 ?
					     std::string("CPT_IOC_RESTORE(") +
						     SubsysName(report.subsys) +
						     ")" :
					     "";
			if (report.ret < 0) {
				Fail(report.error, StepSyscall(report.op),
				     operation_);
			} else {
				returned_ = report.ret;
				FailOther();
			}
			return;
		}
		// EOF and no report: did the launched task die without a word?
		siginfo_t info{};
		if (waitid(P_PID, static_cast<id_t>(launched_), &info,
			   WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    info.si_pid == launched_) {
			died_ = true;
			pid_ = launched_;
			if (info.si_code == CLD_EXITED)
				exit_code_ = info.si_status;
			else
				signal_ = info.si_status;
			// Why, if it failed a step: it could not say (its final
			// step had closed its fds), the module kept it.
			message_ = ModuleMessage(build_->session_fd);
			KillBuild();
			FailOther();
		}
	}

	Napi::Value Result(Napi::Env env) override
	{
		Napi::Object result = Napi::Object::New(env);
		result.Set("pid", Napi::Number::New(env, launched_));
		return result;
	}

	Napi::Value Failure(Napi::Env env) override
	{
		Napi::Error error;
		if (died_) {
			const std::string how =
				signal_ != 0 ?
					"killed by signal " +
						std::to_string(signal_) :
					"exited with status " +
						std::to_string(exit_code_);
			error = Napi::Error::New(
				env, "the restoring task (pid " +
					     std::to_string(pid_) +
					     ") died during restore, " + how);
			error.Set("code", Napi::String::New(
						  env, "ERR_CPT_TASK_EXITED"));
			if (signal_ != 0)
				error.Set("signal",
					  Napi::Number::New(env, signal_));
			else
				error.Set("exitCode",
					  Napi::Number::New(env, exit_code_));
			if (!message_.empty())
				error.Set("detail",
					  Napi::String::New(env, message_));
		} else if (syscall()[0] != 0) {
			error = SystemError(env, errnum(), syscall(),
					    operation().c_str());
			if (!message_.empty())
				error.Set("detail",
					  Napi::String::New(env, message_));
		} else {
			error = UnexpectedReturn(env, operation_,
						 static_cast<long>(returned_));
		}
		error.Set("pid", Napi::Number::New(env, pid_));
		if (subsys_ != 0)
			error.Set("subsys",
				  Napi::String::New(env, SubsysName(subsys_)));
		return error.Value();
	}

private:
	// Kills what the build created and reaps it all (cptctl is a child
	// subreaper during a restart: orphans come back to it).
	void KillBuild()
	{
		__atomic_store_n(&build_->failed, 1, __ATOMIC_SEQ_CST);
		// In its own pid namespace the build's pids are that
		// namespace's: here the same numbers are other processes (the
		// original's, restarted beside it). Its init's death kills them.
		for (uint32_t i = 0; !own_pidns_ && i < build_->nr_tasks; i++)
			if (build_->created[i] > 0 && !build_->tasks[i].thread)
				kill(build_->created[i], SIGKILL);
		kill(launched_, SIGKILL);
		int status;
		while (waitpid(-1, &status, __WALL) > 0 || errno == EINTR) {
		}
	}

	Build *build_;
	int report_fd_;
	pid_t launched_;
	bool own_pidns_;
	int32_t pid_ = 0;
	uint32_t subsys_ = 0;
	std::string operation_;
	std::string message_;
	int64_t returned_ = 0;
	bool died_ = false;
	int signal_ = 0;
	int exit_code_ = 0;
};

Napi::Promise Rejected(Napi::Env env, const Napi::Error &error)
{
	Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
	deferred.Reject(error.Value());
	return deferred.Promise();
}

TaskKind KindOf(const Napi::Env env, const std::string &name)
{
	if (name == "restore")
		return TaskKind::kRestore;
	if (name == "transient")
		return TaskKind::kTransient;
	if (name == "pidns-init")
		return TaskKind::kPidnsInit;
	throw InvalidArgType(
		env,
		"plan.tasks[].kind must be 'restore', 'transient' or 'pidns-init'");
}

// Copies the plan into the shared build, checking every index.
void FillBuild(const Napi::Env env, const Napi::Object &plan, Build *b)
{
	const Napi::Value tasks_value = plan.Get("tasks");
	const Napi::Value steps_value = plan.Get("steps");
	if (!tasks_value.IsArray() || !steps_value.IsArray())
		throw InvalidArgType(
			env, "plan.tasks and plan.steps must be arrays");
	const Napi::Array tasks = tasks_value.As<Napi::Array>();
	const Napi::Array steps = steps_value.As<Napi::Array>();
	if (tasks.Length() == 0 || tasks.Length() > kMaxBuildTasks ||
	    steps.Length() > kMaxBuildSteps)
		throw OutOfRange(env,
				 "plan: too many tasks or steps, or no task");
	b->nr_tasks = tasks.Length();
	b->nr_steps = steps.Length();
	for (uint32_t i = 0; i < b->nr_tasks; i++) {
		const Napi::Value v = tasks.Get(i);
		if (!v.IsObject())
			throw InvalidArgType(env,
					     "plan.tasks[] must be objects");
		const Napi::Object task = v.As<Napi::Object>();
		b->tasks[i].pid = static_cast<int32_t>(
			OptionalU32Property(task, "pid", 0));
		b->tasks[i].kind =
			KindOf(env, task.Get("kind").ToString().Utf8Value());
		b->tasks[i].thread =
			task.Get("thread").ToBoolean().Value() ? 1 : 0;
	}
	for (uint32_t i = 0; i < b->nr_steps; i++) {
		const Napi::Value v = steps.Get(i);
		if (!v.IsObject())
			throw InvalidArgType(env,
					     "plan.steps[] must be objects");
		const Napi::Object step = v.As<Napi::Object>();
		const uint32_t op = U32Property(step, "op");
		if (op < static_cast<uint32_t>(BuildOp::kClone) ||
		    op > static_cast<uint32_t>(BuildOp::kReap))
			throw OutOfRange(
				env,
				"plan.steps[].op is not a build operation");
		b->steps[i].op = static_cast<BuildOp>(op);
		b->steps[i].actor = U32Property(step, "actor");
		b->steps[i].target = OptionalU32Property(step, "target", 0);
		b->steps[i].arg = static_cast<int32_t>(
			OptionalU32Property(step, "arg", 0));
		if (b->steps[i].actor >= b->nr_tasks ||
		    b->steps[i].target >= b->nr_tasks)
			throw OutOfRange(
				env,
				"plan.steps[] names a task the plan does not have");
		if (b->steps[i].op == BuildOp::kClone && b->steps[i].arg != 0 &&
		    b->steps[i].arg != kCloneSibling)
			throw OutOfRange(
				env,
				"plan.steps[].arg of a clone must be 0 or 1 (a sibling)");
	}
	b->root = U32Property(plan, "root");
	if (b->root >= b->nr_tasks)
		throw OutOfRange(env, "plan.root is not a task of the plan");
}

// plan.userns: the ids the pidns init's new user namespace maps, each to
// itself (the caller's effective uid and gid), or absent.
struct UsernsMap {
	bool wanted;
	uint32_t uid;
	uint32_t gid;
};

UsernsMap UsernsOf(const Napi::Env env, const Napi::Object &plan)
{
	const Napi::Value value = plan.Get("userns");
	if (value.IsUndefined())
		return UsernsMap{ false, 0, 0 };
	if (!value.IsObject() || value.IsArray())
		throw InvalidArgType(
			env, "plan.userns must be an object {uid, gid}");
	const Napi::Object map = value.As<Napi::Object>();
	return UsernsMap{ true, U32Property(map, "uid"),
			  U32Property(map, "gid") };
}

// Writes text to /proc/PID/NAME; 0 or the errno.
int WriteProcFile(pid_t pid, const char *name, const std::string &text)
{
	const std::string path = "/proc/" + std::to_string(pid) + "/" + name;
	const int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return errno;
	const ssize_t n = write(fd, text.data(), text.size());
	const int err = n < 0				      ? errno :
			static_cast<size_t>(n) != text.size() ? EIO :
								0;
	close(fd);
	return err;
}

// The maps of the user namespace `child` was cloned into: the caller's
// uid and gid, each to itself, and setgroups denied first, as the kernel
// asks of a writer without CAP_SETGID over the parent namespace. The file
// that failed, or nullptr (*err is then 0).
const char *WriteIdMaps(pid_t child, const UsernsMap &map, int *err)
{
	const struct {
		const char *name;
		std::string text;
	} files[] = {
		{ "setgroups", "deny" },
		{ "uid_map", std::to_string(map.uid) + " " +
				     std::to_string(map.uid) + " 1\n" },
		{ "gid_map", std::to_string(map.gid) + " " +
				     std::to_string(map.gid) + " 1\n" },
	};
	for (const auto &file : files) {
		*err = WriteProcFile(child, file.name, file.text);
		if (*err != 0)
			return file.name;
	}
	return nullptr;
}

Napi::Value RestoreTree(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int session_fd = FdArgument(info, 0, "sessionFd");
	const Napi::Object plan = ObjectArgument(info, 1, "plan");
	const uint32_t launch = U32Property(plan, "launch");
	const UsernsMap userns = UsernsOf(env, plan);

	Build *b = CreateBuild();
	if (b == nullptr)
		return Rejected(env, SystemError(env, errno, "mmap",
						 "of the build"));
	try {
		FillBuild(env, plan, b);
		if (launch >= b->nr_tasks)
			throw OutOfRange(
				env, "plan.launch is not a task of the plan");
		if (userns.wanted &&
		    b->tasks[launch].kind != TaskKind::kPidnsInit)
			throw OutOfRange(
				env,
				"plan.userns needs a pid namespace's init to launch");
	} catch (...) {
		DestroyBuild(b);
		throw;
	}
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		const int err = errno;
		DestroyBuild(b);
		return Rejected(env, SystemError(env, err, "pipe2", ""));
	}
	// With a user namespace: the child waits on go[0] for its maps.
	int go[2] = { -1, -1 };
	if (userns.wanted && pipe2(go, O_CLOEXEC) < 0) {
		const int err = errno;
		close(report[0]);
		close(report[1]);
		DestroyBuild(b);
		return Rejected(env, SystemError(env, err, "pipe2", ""));
	}
	b->session_fd = session_fd;
	b->report_fd = report[1];

	// The id applies to this thread's next clone only, so the ioctl and the
	// clone below must run on the same thread: this one.
	const BuildTaskSpec first = b->tasks[launch];
	if (first.pid != 0) {
		struct cpt_next_id next {};
		next.kind = CPT_ID_PID;
		next.id = static_cast<uint64_t>(first.pid);
		if (ioctl(session_fd, CPT_IOC_SET_NEXT_ID, &next) != 0) {
			const int err = errno;
			close(report[0]);
			close(report[1]);
			DestroyBuild(b);
			return Rejected(env,
					SystemError(env, err, "ioctl",
						    "CPT_IOC_SET_NEXT_ID"));
		}
	}
	// Every task starts with every signal blocked: until the module has given
	// it the saved handlers, a signal must not run one of node's handlers.
	sigset_t all;
	sigset_t saved;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &saved);
	// Raw clone with fork semantics rather than fork(): glibc's fork() would
	// run atfork handlers, which in node are not async-signal-safe.
	// clone() may make a user namespace from a threaded process, as
	// unshare() may not: the new namespace is the child's alone. The
	// kernel makes it first, and the pid namespace is then its.
	const long flags =
		SIGCHLD |
		(first.kind == TaskKind::kPidnsInit ? CLONE_NEWPID : 0) |
		(userns.wanted ? CLONE_NEWUSER : 0);
	const long child = syscall(SYS_clone, flags, 0, 0, 0, 0);
	if (child == 0) {
		close(report[0]);
		if (userns.wanted) {
			close(go[1]);
			RunBuildTaskAfterMaps(b, launch, go[0]);
		}
		RunBuildTask(b, launch);
	}
	const int clone_errno = errno;
	pthread_sigmask(SIG_SETMASK, &saved, nullptr);
	close(report[1]);
	if (userns.wanted)
		close(go[0]);
	if (child < 0) {
		close(report[0]);
		if (userns.wanted)
			close(go[1]);
		DestroyBuild(b);
		Napi::Error error =
			SystemError(env, clone_errno, "clone",
				    userns.wanted ? "CLONE_NEWUSER" : "");
		error.Set("pid", Napi::Number::New(env, first.pid));
		return Rejected(env, error);
	}
	if (userns.wanted) {
		int err = 0;
		const char *failed =
			WriteIdMaps(static_cast<pid_t>(child), userns, &err);
		std::string what =
			failed == nullptr ?
				"" :
				"/proc/" + std::to_string(child) + "/" + failed;
		if (failed == nullptr && write(go[1], "g", 1) != 1) {
			err = errno;
			failed = "the go pipe";
			what = "to the pid namespace's init";
		}
		close(go[1]);
		if (failed != nullptr) {
			// Closed, the go pipe tells the child to exit; make sure.
			kill(static_cast<pid_t>(child), SIGKILL);
			int status;
			while (waitpid(static_cast<pid_t>(child), &status,
				       __WALL) < 0 &&
			       errno == EINTR) {
			}
			close(report[0]);
			DestroyBuild(b);
			Napi::Error error =
				SystemError(env, err, "write", what.c_str());
			error.Set("pid", Napi::Number::New(env, first.pid));
			return Rejected(env, error);
		}
	}
	b->created[launch] = static_cast<int32_t>(child);
	return (new BuildWaitWorker(env, b, report[0],
				    static_cast<pid_t>(child),
				    first.kind == TaskKind::kPidnsInit))
		->Start();
}

// Every child of this process, and every orphan it adopted as a subreaper, reaped.
class ReapWorker : public PromiseWorker {
public:
	explicit ReapWorker(Napi::Env env)
		: PromiseWorker(env, "cpt:reapChildren")
	{
	}

protected:
	void Work() override
	{
		int status;
		while (waitpid(-1, &status, __WALL) > 0 || errno == EINTR) {
		}
	}
};

Napi::Value ReapChildren(const Napi::CallbackInfo &info)
{
	return (new ReapWorker(info.Env()))->Start();
}

Napi::Value SetChildSubreaper(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	if (info.Length() < 1 || !info[0].IsBoolean())
		throw InvalidArgType(env, "on must be a boolean");
	if (prctl(PR_SET_CHILD_SUBREAPER,
		  info[0].As<Napi::Boolean>().Value() ? 1 : 0) != 0)
		throw SystemError(env, errno, "prctl",
				  "PR_SET_CHILD_SUBREAPER");
	return env.Undefined();
}

class WaitWorker : public PromiseWorker {
public:
	WaitWorker(Napi::Env env, pid_t pid)
		: PromiseWorker(env, "cpt:waitForExit")
		, pid_(pid)
	{
	}

protected:
	void Work() override
	{
		for (;;) {
			if (waitpid(pid_, &status_, 0) >= 0)
				return;
			if (errno != EINTR) {
				Fail(errno, "waitpid", "");
				return;
			}
		}
	}

	Napi::Value Result(Napi::Env env) override
	{
		Napi::Object result = Napi::Object::New(env);
		const bool exited = WIFEXITED(status_);
		result.Set("code", exited ? Napi::Number::New(
						    env, WEXITSTATUS(status_)) :
					    env.Null());
		result.Set("signal",
			   WIFSIGNALED(status_) ?
				   Napi::Number::New(env, WTERMSIG(status_)) :
				   env.Null());
		result.Set("coreDumped",
			   Napi::Boolean::New(env, WIFSIGNALED(status_) &&
							   WCOREDUMP(status_)));
		return result;
	}

private:
	pid_t pid_;
	int status_ = 0;
};

Napi::Value WaitForExit(const Napi::CallbackInfo &info)
{
	const int pid = PidArgument(info, 0, "pid");
	return (new WaitWorker(info.Env(), static_cast<pid_t>(pid)))->Start();
}

} // namespace

void RegisterRestore(Napi::Env env, Napi::Object exports)
{
	exports.Set("restoreTree",
		    Napi::Function::New(env, RestoreTree, "restoreTree"));
	exports.Set("reapChildren",
		    Napi::Function::New(env, ReapChildren, "reapChildren"));
	exports.Set("setChildSubreaper",
		    Napi::Function::New(env, SetChildSubreaper,
					"setChildSubreaper"));
	exports.Set("waitForExit",
		    Napi::Function::New(env, WaitForExit, "waitForExit"));
}

} // namespace cpt
