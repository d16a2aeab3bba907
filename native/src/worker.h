// A Napi::AsyncWorker that settles a Promise: the base of every addon call
// that may block (a session ioctl, waiting for a task), so that the event
// loop never waits on the kernel.
#pragma once

#include <napi.h>

#include <string>
#include <utility>

namespace cpt {

class PromiseWorker : public Napi::AsyncWorker {
public:
	// Queues the worker and returns its Promise. The worker deletes itself
	// once the Promise is settled.
	Napi::Promise Start()
	{
		Queue();
		return deferred_.Promise();
	}

protected:
	PromiseWorker(Napi::Env env, const char *resource_name)
		: Napi::AsyncWorker(env, resource_name)
		, deferred_(Napi::Promise::Deferred::New(env))
	{
	}

	// Runs on a libuv thread: system calls only, no N-API. Reports a failed
	// system call with Fail().
	virtual void Work() = 0;

	// On the main thread after Work() succeeded: the resolution value.
	virtual Napi::Value Result(Napi::Env env)
	{
		return env.Undefined();
	}

	// On the main thread after Work() failed: the rejection value. By default
	// the SystemError of what Fail() recorded.
	virtual Napi::Value Failure(Napi::Env env);

	// Records a failure of `syscall` (e.g. "ioctl") doing `operation` (e.g.
	// "CPT_IOC_SAVE(MM)") with errno `errnum`.
	void Fail(int errnum, const char *syscall, std::string operation)
	{
		errnum_ = errnum;
		syscall_ = syscall;
		operation_ = std::move(operation);
		failed_ = true;
	}

	// Records a failure that is not a failed system call; the subclass's
	// Failure() builds its error.
	void FailOther()
	{
		failed_ = true;
	}

	// ioctl(fd, request, arg), as `operation` ("CPT_IOC_SAVE(MM)") in errors:
	// -1 is a failure with errno, a positive return one the ABI does not
	// define. Never retried on EINTR: a session ioctl that was interrupted may
	// have written part of the image, and the module restarts what can be
	// restarted itself (ERESTARTSYS, under libuv's SA_RESTART handlers).
	void Ioctl(int fd, unsigned long request, void *arg,
		   std::string operation);

	int errnum() const
	{
		return errnum_;
	}
	// The module's own words for the failure (CPT_IOC_MESSAGE), or empty.
	const std::string &detail() const
	{
		return detail_;
	}
	const char *syscall() const
	{
		return syscall_;
	}
	const std::string &operation() const
	{
		return operation_;
	}

private:
	void Execute() final
	{
		Work();
		// AsyncWorker's own channel only decides OnOK vs OnError; the error
		// itself is built in Failure(), on the main thread.
		if (failed_)
			SetError("failed");
	}
	void OnOK() final
	{
		deferred_.Resolve(Result(Env()));
	}
	void OnError(const Napi::Error & /*unused*/) final
	{
		deferred_.Reject(Failure(Env()));
	}

	Napi::Promise::Deferred deferred_;
	bool failed_ = false;
	int errnum_ = 0;
	long unexpected_return_ = 0;
	const char *syscall_ = "";
	std::string operation_;
	std::string detail_;
};

} // namespace cpt
