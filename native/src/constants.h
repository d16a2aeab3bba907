// Constants of the cpt ABI, exported to JS straight from <linux/cpt.h> so
// that TypeScript never restates a number the header defines.
#pragma once

#include <napi.h>

#include <cstdint>

namespace cpt {

// Adds to `exports`: CPT_API (bigint), DEVICE_NAME (string), FEATURE_BITS
// and IOCTL_BITS (frozen objects mapping a name to its bit position),
// SUBSYS, RECORD_TYPES, MODES, FINALIZE_ACTIONS and ID_KINDS (frozen objects
// mapping the suffix of a CPT_SUBSYS_* / CPT_REC_* / CPT_MODE_* /
// CPT_FINALIZE_* / CPT_ID_* macro to its value), RECORD_MAGIC,
// IMAGE_VERSION, and the sizes of the two image structs,
// RECORD_HEADER_SIZE and PAGES_HEADER_SIZE.
void RegisterConstants(Napi::Env env, Napi::Object exports);

// "TASK" for CPT_SUBSYS_TASK...; "UNKNOWN" for a value the header lacks.
const char *SubsysName(uint32_t subsys);

} // namespace cpt
