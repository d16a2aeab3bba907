#include "restore.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "args.h"
#include "constants.h"
#include "errors.h"
#include "uapi.h"
#include "worker.h"

namespace cpt {
namespace {

// What a child that could not restore itself writes to the report pipe
// before it exits: the subsystem whose CPT_IOC_RESTORE failed, what it
// returned, and errno when that was -1. A return >= 0 is a broken protocol:
// RESTORE(MM) must not return on success, the others return 0.
struct RestoreReport {
  uint32_t subsys;
  int32_t error;
  int64_t ret;
};

static_assert(sizeof(RestoreReport) <= PIPE_BUF,
              "a report must reach the pipe in one atomic write");

constexpr int kRestoreFailedStatus = 127;

// The child of restoreTask(). It is a copy of the calling thread alone in a
// copy of a multithreaded process, so it may only make async-signal-safe
// calls: system calls, no allocation, no locks, no exceptions, no N-API.
// It starts with every signal blocked (see RestoreTask).
[[noreturn]] void RestoreChild(int session_fd, int report_fd, int report_read_fd) {
  close(report_read_fd);

  RestoreReport report{};
  for (uint32_t subsys = 1; subsys <= CPT_SUBSYS_MAX; subsys++) {
    struct cpt_subsys arg {};
    arg.subsys = subsys;
    const long ret = ioctl(session_fd, CPT_IOC_RESTORE, &arg);
    // RESTORE(MM) returns only on failure; on success this task is already
    // the restored process, parked in the module.
    if (ret != 0 || subsys == CPT_SUBSYS_MM) {
      report.subsys = subsys;
      report.error = ret < 0 ? errno : 0;
      report.ret = ret;
      break;
    }
  }
  ssize_t ignored = write(report_fd, &report, sizeof(report));
  (void)ignored;  // nobody to tell if even this fails: the exit status says it
  _exit(kRestoreFailedStatus);
}

// Waits, off the main thread, for the child to reach its final step: the
// report pipe reaches EOF without a report when RESTORE(MM) replaced the
// child's fds (closing the pipe's only other write end).
class RestoreWaitWorker : public PromiseWorker {
 public:
  RestoreWaitWorker(Napi::Env env, pid_t pid, int report_fd)
      : PromiseWorker(env, "cpt:restoreTask"), pid_(pid), report_fd_(report_fd) {}

 protected:
  void Work() override {
    RestoreReport report{};
    size_t got = 0;
    int read_errno = 0;
    while (got < sizeof(report)) {
      const ssize_t n = read(report_fd_, reinterpret_cast<char *>(&report) + got,
                             sizeof(report) - got);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) read_errno = errno;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    close(report_fd_);

    if (read_errno != 0) {
      Fail(read_errno, "read", "of the restored task's report pipe");
      return;
    }
    if (got == sizeof(report)) {
      // The child exits right after its report: reap it, freeing its pid.
      Reap();
      subsys_ = report.subsys;
      restore_operation_ = std::string("CPT_IOC_RESTORE(") + SubsysName(report.subsys) + ")";
      if (report.ret < 0) {
        Fail(report.error, "ioctl", restore_operation_);
      } else {
        outcome_ = report.ret == 0 ? Outcome::kReturned : Outcome::kUnexpectedReturn;
        returned_ = report.ret;
        FailOther();
      }
      return;
    }
    // EOF: the child reached its final step, or died on the way without a
    // word (a torn report cannot happen: it is written atomically).
    siginfo_t info{};
    if (waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
      Fail(errno, "waitid", "");
      return;
    }
    if (info.si_pid == pid_) {
      outcome_ = Outcome::kExited;
      exit_code_ = info.si_code == CLD_EXITED ? info.si_status : -1;
      exit_signal_ = info.si_code == CLD_EXITED ? 0 : info.si_status;
      Reap();
      FailOther();
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    result.Set("pid", Napi::Number::New(env, pid_));
    return result;
  }

  Napi::Value Failure(Napi::Env env) override {
    Napi::Error error;
    switch (outcome_) {
      case Outcome::kSyscall:
        error = SystemError(env, errnum(), syscall(), operation().c_str());
        if (!detail_.empty()) error.Set("detail", Napi::String::New(env, detail_));
        break;
      case Outcome::kReturned:
        error = Napi::Error::New(env, "ioctl CPT_IOC_RESTORE(MM) returned instead of "
                                      "parking the restored task");
        error.Set("code", Napi::String::New(env, "ERR_CPT_RESTORE_RETURNED"));
        break;
      case Outcome::kUnexpectedReturn:
        error = UnexpectedReturn(env, restore_operation_, static_cast<long>(returned_));
        break;
      case Outcome::kExited: {
        const std::string how = exit_code_ >= 0
                                    ? "exited with status " + std::to_string(exit_code_)
                                    : "was killed by signal " + std::to_string(exit_signal_);
        error = Napi::Error::New(env, "the restored task (pid " + std::to_string(pid_) +
                                          ") " + how + " during restore");
        error.Set("code", Napi::String::New(env, "ERR_CPT_TASK_EXITED"));
        error.Set("exitCode", exit_code_ >= 0 ? Napi::Number::New(env, exit_code_)
                                              : env.Null());
        error.Set("signal", exit_code_ >= 0 ? env.Null()
                                            : Napi::Number::New(env, exit_signal_));
        break;
      }
    }
    error.Set("pid", Napi::Number::New(env, pid_));
    if (subsys_ != 0) error.Set("subsys", Napi::String::New(env, SubsysName(subsys_)));
    return error.Value();
  }

 private:
  enum class Outcome { kSyscall, kReturned, kUnexpectedReturn, kExited };

  void Reap() {
    int status;
    while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }

  pid_t pid_;
  int report_fd_;
  std::string detail_;
  Outcome outcome_ = Outcome::kSyscall;
  uint32_t subsys_ = 0;
  std::string restore_operation_;
  int64_t returned_ = 0;
  int exit_code_ = 0;
  int exit_signal_ = 0;
};

Napi::Promise Rejected(Napi::Env env, const Napi::Error &error) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  deferred.Reject(error.Value());
  return deferred.Promise();
}

Napi::Value RestoreTask(const Napi::CallbackInfo &info) {
  const Napi::Env env = info.Env();
  const int session_fd = FdArgument(info, 0, "sessionFd");
  const Napi::Object request = ObjectArgument(info, 1, "request");
  const int pid = PidProperty(request, "pid");

  int report[2];
  if (pipe2(report, O_CLOEXEC) < 0)
    return Rejected(env, SystemError(env, errno, "pipe2", ""));

  // The id applies to this thread's next clone only, so the ioctl and the
  // clone below must run on the same thread: this one.
  struct cpt_next_id next {};
  next.kind = CPT_ID_PID;
  next.id = static_cast<uint64_t>(pid);
  const int set = ioctl(session_fd, CPT_IOC_SET_NEXT_ID, &next);
  if (set != 0) {
    const int err = errno;
    close(report[0]);
    close(report[1]);
    return Rejected(env, set < 0 ? SystemError(env, err, "ioctl", "CPT_IOC_SET_NEXT_ID")
                                 : UnexpectedReturn(env, "CPT_IOC_SET_NEXT_ID", set));
  }

  // The child starts with every signal blocked: until the module has given
  // it the saved handlers, a signal must not run one of node's handlers in
  // it. The module's restore of the signal state sets the saved mask.
  sigset_t all;
  sigset_t saved;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &saved);
  // Raw clone with fork semantics rather than fork(): glibc's fork() would
  // run atfork handlers, which in node are not async-signal-safe.
  const long child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
  if (child == 0) RestoreChild(session_fd, report[1], report[0]);
  const int clone_errno = errno;
  pthread_sigmask(SIG_SETMASK, &saved, nullptr);
  close(report[1]);

  if (child < 0) {
    close(report[0]);
    Napi::Error error = SystemError(env, clone_errno, "clone", "");
    error.Set("pid", Napi::Number::New(env, pid));
    return Rejected(env, error);
  }
  if (child != pid) {
    // The module did not apply the id: this task must not become the
    // restored process under another pid.
    kill(static_cast<pid_t>(child), SIGKILL);
    close(report[0]);
    int status;
    while (waitpid(static_cast<pid_t>(child), &status, 0) < 0 && errno == EINTR) {
    }
    Napi::Error error = Napi::Error::New(
        env, "clone created pid " + std::to_string(child) + " instead of pid " +
                 std::to_string(pid) + " set by CPT_IOC_SET_NEXT_ID");
    error.Set("code", Napi::String::New(env, "ERR_CPT_WRONG_PID"));
    error.Set("pid", Napi::Number::New(env, pid));
    return Rejected(env, error);
  }
  return (new RestoreWaitWorker(env, static_cast<pid_t>(child), report[0]))->Start();
}

class WaitWorker : public PromiseWorker {
 public:
  WaitWorker(Napi::Env env, pid_t pid) : PromiseWorker(env, "cpt:waitForExit"), pid_(pid) {}

 protected:
  void Work() override {
    for (;;) {
      if (waitpid(pid_, &status_, 0) >= 0) return;
      if (errno != EINTR) {
        Fail(errno, "waitpid", "");
        return;
      }
    }
  }

  Napi::Value Result(Napi::Env env) override {
    Napi::Object result = Napi::Object::New(env);
    const bool exited = WIFEXITED(status_);
    result.Set("code", exited ? Napi::Number::New(env, WEXITSTATUS(status_)) : env.Null());
    result.Set("signal", WIFSIGNALED(status_) ? Napi::Number::New(env, WTERMSIG(status_))
                                              : env.Null());
    result.Set("coreDumped", Napi::Boolean::New(env, WIFSIGNALED(status_) && WCOREDUMP(status_)));
    return result;
  }

 private:
  pid_t pid_;
  int status_ = 0;
};

Napi::Value WaitForExit(const Napi::CallbackInfo &info) {
  const int pid = PidArgument(info, 0, "pid");
  return (new WaitWorker(info.Env(), static_cast<pid_t>(pid)))->Start();
}

}  // namespace

void RegisterRestore(Napi::Env env, Napi::Object exports) {
  exports.Set("restoreTask", Napi::Function::New(env, RestoreTask, "restoreTask"));
  exports.Set("waitForExit", Napi::Function::New(env, WaitForExit, "waitForExit"));
}

}  // namespace cpt
