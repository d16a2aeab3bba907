// Constants of the cpt ABI, exported to JS straight from <linux/cpt.h> so
// that TypeScript never restates a number the header defines.
#pragma once

#include <napi.h>

namespace cpt {

// Adds CPT_API (bigint), DEVICE_NAME (string), FEATURE_BITS and IOCTL_BITS
// (frozen objects mapping a name to its bit position) to `exports`.
void RegisterConstants(Napi::Env env, Napi::Object exports);

}  // namespace cpt
