// Restarting a tree: the plan's tasks built with clone() (native/src/build.h)
// and each restoring itself; waiting for a restored task to exit.
#pragma once

#include <napi.h>

namespace cpt {

// Adds to `exports`:
//   restoreTree(sessionFd, plan) -> Promise<{pid}>
//     plan = {tasks: [{pid, kind, thread}], steps: [{op, actor, target, arg}],
//     launch, root, userns?: {uid, gid}}. Clones plan.tasks[launch] as a
//     child of this process (after CPT_IOC_SET_NEXT_ID with its pid, unless
//     0: the pidns init, cloned into a new pid namespace; with userns, into
//     a new user namespace too, which maps uid and gid each to itself,
//     setgroups denied, before the init goes on); it runs the steps with the tasks it
//     creates, then every restoring task calls CPT_IOC_RESTORE for each
//     subsystem on the inherited session fd. Resolves with the launched pid
//     once every task is parked in the module (or gone: zombies,
//     placeholders). Rejects with a SystemError of the step that failed
//     (syscall "clone": EEXIST when a pid is taken; "ioctl" with `subsys`,
//     and the module's `detail`), `pid` set; everything built is then
//     killed and reaped.
//   reapChildren() -> Promise<void>: waitpid() until no child is left.
//   setChildSubreaper(on): prctl(PR_SET_CHILD_SUBREAPER).
//   waitForExit(pid) -> Promise<{code, signal, coreDumped}>
//     waitpid() for a child of this process, off the main thread.
void RegisterRestore(Napi::Env env, Napi::Object exports);

} // namespace cpt
