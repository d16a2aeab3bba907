// The tree builder: the code that runs in the tasks a restart creates, before
// each restores itself. They are copies of one thread of node (or threads
// sharing such a copy), so everything here is async-signal-safe: raw system
// calls, no allocation, no locks, no errno (threads share one), no N-API.
//
// The plan (made in TypeScript, src/commands/restart/plan.ts) is a list of
// tasks and a list of steps. Steps run one at a time, in order, each by its
// actor: create a task with clone() after CPT_IOC_SET_NEXT_ID, setsid,
// setpgid, become a child subreaper, exit (a zombie, a placeholder), reap.
// The step counter lives in memory shared by every task, and tasks wait
// for their turn on it with futex(). After the last step every restoring
// task calls CPT_IOC_RESTORE for each subsystem: the module orders those
// calls itself. A failing task writes a BuildReport to the report pipe.
#pragma once

#include <cstdint>

#include "uapi.h"

namespace cpt {

enum class BuildOp : uint32_t {
	kClone = 1, // actor clones target (a thread if the target is one;
	// arg kCloneSibling: with CLONE_PARENT, its parent the actor's)
	kSetsid = 2, // actor calls setsid()
	kSetpgid = 3, // actor calls setpgid(0, arg)
	kSubreaper = 4, // actor becomes a child subreaper
	kExit = 5, // actor exits with wait status arg
	kReap = 6, // actor reaps its child target
};

// kClone's arg: the new process is the actor's sibling (CLONE_PARENT), made
// so to be in the actor's session, which its parent is not.
constexpr int32_t kCloneSibling = 1;

enum class TaskKind : uint32_t {
	kRestore = 1, // restores itself after the last step
	kTransient = 2, // a zombie or placeholder: exits in a step
	kPidnsInit =
		3, // --pidns: the namespace's init, reaps until the root exits
};

struct BuildTaskSpec {
	int32_t pid; // in the task's pid namespace; 0: whatever clone gives (pidns init)
	TaskKind kind;
	uint32_t thread; // clone it as a thread of its creator
};

struct BuildStep {
	BuildOp op;
	uint32_t actor; // task index
	uint32_t target; // task index
	int32_t arg;
};

// What a failing task reports. op 0: CPT_IOC_RESTORE of subsys failed.
struct BuildReport {
	uint32_t op;
	uint32_t subsys;
	int32_t pid; // the task's own pid, or the one it tried to create
	int32_t error; // errno
	int64_t ret;
	char message[CPT_MESSAGE_MAX];
};

constexpr uint32_t kMaxBuildTasks = 8192;
constexpr uint32_t kMaxBuildSteps = 4 * kMaxBuildTasks;

// The shared page(s) of a build; created with CreateBuild(), mapped shared.
struct Build {
	uint32_t step; // futex word: the step running now
	uint32_t failed; // a task failed: everyone stops
	int32_t session_fd;
	int32_t report_fd; // write end
	uint32_t root; // index of the tree's root (the pidns init waits for it)
	uint32_t nr_tasks;
	uint32_t nr_steps;
	int32_t created[kMaxBuildTasks]; // pid clone returned, as its creator saw it
	BuildTaskSpec tasks[kMaxBuildTasks];
	BuildStep steps[kMaxBuildSteps];
};

// Maps a Build (MAP_SHARED); nullptr on failure, errno set.
Build *CreateBuild();
void DestroyBuild(Build *build);

// Runs as task `self` until it restores itself (never returns) or exits.
[[noreturn]] void RunBuildTask(Build *build, uint32_t self);

// The task cptctl cloned into a user namespace of its own: waits until its
// creator has written the namespace's maps (one byte on go_fd; EOF means
// the creator gave up, and the task exits), then RunBuildTask().
[[noreturn]] void RunBuildTaskAfterMaps(Build *build, uint32_t self, int go_fd);

} // namespace cpt
