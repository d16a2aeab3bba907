#include "api.h"

#include <errno.h>
#include <sys/ioctl.h>

#include <cstdint>

#include "args.h"
#include "errors.h"
#include "uapi.h"

namespace cpt {
namespace {

Napi::Value Api(const Napi::CallbackInfo &info)
{
	const Napi::Env env = info.Env();
	const int fd = FdArgument(info, 0, "fd");
	const Napi::Object request = ObjectArgument(info, 1, "request");

	// Zeroed: reserved fields must be zero or the module answers EINVAL.
	struct cpt_api arg {};
	arg.api = CPT_API;
	arg.flags = 0;
	arg.features = OptionalU64Property(request, "features", 0);

	if (ioctl(fd, CPT_IOC_API, &arg) < 0)
		throw SystemError(env, errno, "ioctl", "CPT_IOC_API");

	// __u64 is unsigned long long, which BigInt::New has no overload for.
	Napi::Object reply = Napi::Object::New(env);
	reply.Set("api",
		  Napi::BigInt::New(env, static_cast<uint64_t>(arg.api)));
	reply.Set("features",
		  Napi::BigInt::New(env, static_cast<uint64_t>(arg.features)));
	reply.Set("ioctls",
		  Napi::BigInt::New(env, static_cast<uint64_t>(arg.ioctls)));
	return reply;
}

} // namespace

void RegisterApi(Napi::Env env, Napi::Object exports)
{
	exports.Set("api", Napi::Function::New(env, Api, "api"));
}

} // namespace cpt
