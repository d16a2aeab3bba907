#include "worker.h"

#include <errno.h>
#include <sys/ioctl.h>

#include "errors.h"

namespace cpt {

Napi::Value PromiseWorker::Failure(Napi::Env env)
{
	if (unexpected_return_ > 0)
		return UnexpectedReturn(env, operation_, unexpected_return_)
			.Value();
	Napi::Error error =
		SystemError(env, errnum_, syscall_, operation_.c_str());
	if (!detail_.empty())
		error.Set("detail", Napi::String::New(env, detail_));
	return error.Value();
}

void PromiseWorker::Ioctl(int fd, unsigned long request, void *arg,
			  std::string operation)
{
	const long ret = ioctl(fd, request, arg);
	if (ret < 0) {
		Fail(errno, "ioctl", std::move(operation));
		detail_ = ModuleMessage(fd);
	} else if (ret > 0) {
		unexpected_return_ = ret;
		operation_ = std::move(operation);
		failed_ = true;
	}
}

} // namespace cpt
