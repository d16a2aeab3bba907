// Entry point of cpt.node: each concern registers its own exports.
//   uapi.h       the only include of <linux/cpt.h> (kmod/uapi), with sanity checks
//   constants.*  ABI constants and the name->bit tables of features and ioctls
//   api.*        CPT_IOC_API, the handshake (synchronous)
//   session.*    CPT_IOC_INIT / SAVE / FINALIZE (PromiseWorkers), SET_NEXT_ID,
//                KEY, HOLD, USER_RECORD
//   restore.*    restoreTask(): clone with the saved pid, the child restoring
//                itself; waitForExit()
//   worker.*     PromiseWorker, the AsyncWorker behind every Promise
//   fd.*         setBlocking(): image fds must be blocking for the module
//   args.*       validation of JS arguments (TypeError / RangeError)
//   errors.*     Node-shaped errors, SystemError for failed syscalls
// Blocking calls run on a PromiseWorker (worker.h), returning a Promise, so
// the event loop never waits on the kernel; they capture errno off the main
// thread and build the SystemError on it.
#include <napi.h>

#include "api.h"
#include "constants.h"
#include "fd.h"
#include "restore.h"
#include "session.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports)
{
	cpt::RegisterConstants(env, exports);
	cpt::RegisterApi(env, exports);
	cpt::RegisterSession(env, exports);
	cpt::RegisterRestore(env, exports);
	cpt::RegisterFd(env, exports);
	return exports;
}

} // namespace

NODE_API_MODULE(cpt, Init)
