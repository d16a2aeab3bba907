#include "fd.h"

#include <errno.h>
#include <fcntl.h>

#include "args.h"
#include "errors.h"

namespace cpt {
namespace {

Napi::Value SetBlocking(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int fd = FdArgument(info, 0, "fd");
	const int flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		throw SystemError(env, errno, "fcntl", "F_GETFL");
	if (!(flags & O_NONBLOCK))
		return Napi::Boolean::New(env, false);
	if (fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		throw SystemError(env, errno, "fcntl", "F_SETFL");
	return Napi::Boolean::New(env, true);
}

} // namespace

void RegisterFd(Napi::Env env, Napi::Object exports)
{
	exports.Set("setBlocking",
		    Napi::Function::New(env, SetBlocking, "setBlocking"));
}

} // namespace cpt
