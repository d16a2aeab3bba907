// Construction of the JS errors the addon throws, shaped like Node's own so
// that TypeScript handles them the same way as fs or child_process failures.
#pragma once

#include <napi.h>

#include <string>

namespace cpt {

// The errno symbol ("EINVAL"), or "UNKNOWN" for a value glibc cannot name.
std::string ErrnoName(int errnum);

// A SystemError-shaped Error: code = ErrnoName(errnum), errno = -errnum
// (Node's sign convention), syscall, and a message like
// "ioctl CPT_IOC_API failed: EINVAL (Invalid argument)"; an empty operation
// leaves it out ("clone failed: EEXIST (File exists)").
// Takes the errno value rather than reading errno, so blocking calls run on
// an AsyncWorker can capture it off the main thread and build the error in
// OnError.
Napi::Error SystemError(Napi::Env env, int errnum, const char *syscall,
			const char *operation);

// An Error with code ERR_CPT_PROTOCOL for an ioctl that returned `ret` > 0,
// which the cpt ABI does not define ("ioctl CPT_IOC_INIT returned 1, where
// the cpt ABI defines 0 for success"): the module is broken or mismatched.
Napi::Error UnexpectedReturn(Napi::Env env, const std::string &operation,
			     long ret);

// The module's explanation of this task's last failed ioctl on fd
// (CPT_IOC_MESSAGE), or "" when it gave none. Async-signal-safe: the
// restoring child uses it too.
std::string ModuleMessage(int fd);
size_t ModuleMessage(int fd, char *buf, size_t size);

// TypeError with code ERR_INVALID_ARG_TYPE, as Node's own API checks throw.
Napi::TypeError InvalidArgType(Napi::Env env, const std::string &message);

// RangeError with code ERR_OUT_OF_RANGE.
Napi::RangeError OutOfRange(Napi::Env env, const std::string &message);

} // namespace cpt
