// Validation of JS arguments at the addon boundary. Each helper returns the
// converted value or throws a TypeError/RangeError naming the argument, so
// no ioctl is ever issued with a half-checked struct.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace cpt {

// A file descriptor: an integral Number in [0, INT_MAX].
int FdArgument(const Napi::CallbackInfo &info, size_t index, const char *name);

// A plain object (not null, not an array).
Napi::Object ObjectArgument(const Napi::CallbackInfo &info, size_t index,
			    const char *name);

// object[key] as a __u64 carried in a BigInt; `fallback` when the property is
// absent or undefined. Rejects Numbers (which cannot hold 64 bits), negative
// values and values that do not fit in 64 bits.
uint64_t OptionalU64Property(const Napi::Object &object, const char *key,
			     uint64_t fallback);

// info[index] as a __u32: an integral Number in [0, UINT32_MAX].
uint32_t U32Argument(const Napi::CallbackInfo &info, size_t index,
		     const char *name);

// object[key] as a __u32 (an integral Number in [0, UINT32_MAX]). Required
// (absent is a TypeError), or for the Optional one `fallback` when absent or
// undefined.
uint32_t U32Property(const Napi::Object &object, const char *key);
uint32_t OptionalU32Property(const Napi::Object &object, const char *key,
			     uint32_t fallback);

// A pid: an integral Number in [1, INT_MAX].
int PidArgument(const Napi::CallbackInfo &info, size_t index, const char *name);
int PidProperty(const Napi::Object &object, const char *key);

} // namespace cpt
