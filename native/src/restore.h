// Building a restored task: clone() with the saved pid, and the child
// restoring itself through the session's CPT_IOC_RESTORE calls; and waiting
// for a restored task to exit.
#pragma once

#include <napi.h>

namespace cpt {

// Adds to `exports`:
//   restoreTask(sessionFd, {pid}) -> Promise<{pid}>
//     CPT_IOC_SET_NEXT_ID(pid), then a fork-like clone(). The child issues
//     CPT_IOC_RESTORE for every subsystem in order on the inherited session
//     fd; RESTORE(MM) does not return: it turns the child into the saved
//     process (address space, fds) and parks it until the caller's
//     CPT_IOC_FINALIZE. Resolves once the child got there; rejects with a
//     SystemError: syscall "clone" (EEXIST: the pid is in use), or "ioctl"
//     with `subsys` and a message like
//     "ioctl CPT_IOC_RESTORE(MM) failed: ENOMEM (...)" when the child
//     reported a failed restore (it then exits 127 and is reaped), or an
//     Error with code ERR_CPT_TASK_EXITED when the child died silently.
//   waitForExit(pid) -> Promise<{code, signal, coreDumped}>
//     waitpid() for a child of this process, off the main thread: code is
//     the exit status (null if killed), signal the killing signal's number
//     (null if it exited).
void RegisterRestore(Napi::Env env, Napi::Object exports);

}  // namespace cpt
