// Entry point of cpt.node: each concern registers its own exports.
//   uapi.h       the only include of <linux/cpt.h> (kmod/uapi), with sanity checks
//   constants.*  ABI constants and the name->bit tables of features and ioctls
//   api.*        CPT_IOC_API, the handshake (synchronous)
//   args.*       validation of JS arguments (TypeError / RangeError)
//   errors.*     Node-shaped errors, SystemError for failed syscalls
// Blocking ioctls (checkpoint/restore of whole images) get a file each and
// run on a Napi::AsyncWorker, returning a Promise, so the event loop never
// waits on the kernel; they capture errno in Execute() and build the
// SystemError in OnError().
#include <napi.h>

#include "api.h"
#include "constants.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  cpt::RegisterConstants(env, exports);
  cpt::RegisterApi(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(cpt, Init)
