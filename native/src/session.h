// The session ioctls of /dev/cpt: CPT_IOC_INIT, CPT_IOC_SAVE,
// CPT_IOC_FINALIZE (each may block: freezing a task, writing or reading an
// image, waiting for a restored task; each runs on a PromiseWorker) and
// CPT_IOC_SET_NEXT_ID (synchronous: it only records an id).
#pragma once

#include <napi.h>

namespace cpt {

// Adds to `exports`:
//   init(fd, {imageFd, mode, target?}) -> Promise<undefined>
//   save(fd, subsys) -> Promise<{bytes: bigint}>
//   finalize(fd, action) -> Promise<{frozenNs: bigint}>
//   setNextId(fd, {kind, id: bigint}) -> undefined
// A failed ioctl rejects (or, for setNextId, throws) a SystemError whose
// message names the ioctl and its subsystem, e.g.
// "ioctl CPT_IOC_SAVE(MM) failed: EBUSY (Device or resource busy)".
void RegisterSession(Napi::Env env, Napi::Object exports);

} // namespace cpt
