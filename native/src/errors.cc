#include "errors.h"

#include <sys/ioctl.h>

#include <cstdint>

#include "uapi.h"

#include <string.h>

namespace cpt {

std::string ErrnoName(int errnum)
{
	// glibc >= 2.32; unlike strerror() it never localises, which is what a
	// machine-readable code needs.
	const char *name = strerrorname_np(errnum);
	return name != nullptr ? name : "UNKNOWN";
}

Napi::Error SystemError(Napi::Env env, int errnum, const char *syscall,
			const char *operation)
{
	const std::string code = ErrnoName(errnum);
	const char *description = strerrordesc_np(errnum);
	std::string message =
		std::string(syscall) +
		(operation[0] != '\0' ? std::string(" ") + operation : "") +
		" failed: " + code + " (" +
		(description != nullptr ? description : "Unknown error") + ")";

	Napi::Error error = Napi::Error::New(env, message);
	error.Set("code", Napi::String::New(env, code));
	error.Set("errno", Napi::Number::New(env, -errnum));
	error.Set("syscall", Napi::String::New(env, syscall));
	return error;
}

Napi::Error UnexpectedReturn(Napi::Env env, const std::string &operation,
			     long ret)
{
	Napi::Error error = Napi::Error::New(
		env, "ioctl " + operation + " returned " + std::to_string(ret) +
			     ", where the cpt ABI defines 0 for success");
	error.Set("code", Napi::String::New(env, "ERR_CPT_PROTOCOL"));
	error.Set("syscall", Napi::String::New(env, "ioctl"));
	return error;
}

Napi::TypeError InvalidArgType(Napi::Env env, const std::string &message)
{
	Napi::TypeError error = Napi::TypeError::New(env, message);
	error.Set("code", Napi::String::New(env, "ERR_INVALID_ARG_TYPE"));
	return error;
}

Napi::RangeError OutOfRange(Napi::Env env, const std::string &message)
{
	Napi::RangeError error = Napi::RangeError::New(env, message);
	error.Set("code", Napi::String::New(env, "ERR_OUT_OF_RANGE"));
	return error;
}

size_t ModuleMessage(int fd, char *buf, size_t size)
{
	struct cpt_message request {};
	request.buf = reinterpret_cast<uintptr_t>(buf);
	request.size = static_cast<uint32_t>(size);
	const int len = ioctl(fd, CPT_IOC_MESSAGE, &request);
	if (len <= 0) {
		buf[0] = 0;
		return 0;
	}
	return static_cast<size_t>(len);
}

std::string ModuleMessage(int fd)
{
	char buf[CPT_MESSAGE_MAX];
	const size_t len = ModuleMessage(fd, buf, sizeof(buf));
	return std::string(buf, len);
}

} // namespace cpt
