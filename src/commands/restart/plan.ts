// How a restart builds the tree of an image, the way linux-cr's restart
// tool planned it: a list of tasks and the steps, in order, that create
// them with clone() and give them their sessions and process groups. The
// addon runs the plan (native/src/build.h); the module then restores each
// task. Pure.
//
// - Every process is cloned by its parent, every thread by its process's
//   main thread, each with its saved pid (CPT_IOC_SET_NEXT_ID).
// - A session leader calls setsid() before it creates anything, so that
//   its descendants inherit the session.
// - Process groups come after every task exists: leaders first, then
//   members. A group whose leader is gone gets a placeholder task with the
//   leader's pid, created by the group's first member: it makes the group,
//   waits for the members to join, exits and is reaped by its creator.
// - A session whose leader is gone (its members were handed to a child
//   subreaper) gets a placeholder too, created by that subreaper: it calls
//   setsid() and creates the members, then exits at the end, and the
//   kernel hands the members back to the subreaper, as it did before.
// - A process in the session of a sibling that leads it (made there with
//   CLONE_PARENT, or its creator made the session after) is cloned by that
//   sibling with CLONE_PARENT: only a member of a session can create
//   another, and this way the parent stays theirs.
// - Zombies are created like the others and exit with their saved status
//   at the end, after the placeholders (which one may have created) are
//   reaped; their parents, restored, find them as zombies.
// - The root's session and group, when no task of the tree leads them (a
//   shell started the root), are the restarting cptctl's.
// - With --pidns the tree is built under a new pid namespace's init, which
//   a caller without CAP_SYS_ADMIN clones into a user namespace of its own
//   too (userns.ts).
import { ImageError } from '../../errors.js';
import type { Tree, TreeTask } from '../../image/schema.js';
import type { UsernsMapping } from './userns.js';

/** Values of native/src/build.h's BuildOp. */
export const BUILD_OPS = { clone: 1, setsid: 2, setpgid: 3, subreaper: 4, exit: 5, reap: 6 } as const;
export type BuildOpName = keyof typeof BUILD_OPS;

/** native/src/build.h's kCloneSibling: a clone step's arg for CLONE_PARENT. */
export const CLONE_SIBLING = 1;

export type PlanTaskKind = 'restore' | 'transient' | 'pidns-init';

export interface PlanTask {
  /** 0: whatever clone() gives (the pidns init). */
  readonly pid: number;
  readonly kind: PlanTaskKind;
  readonly thread: boolean;
  /** What it is, for messages: 'process 12', 'thread 14 of 12', 'placeholder for group 30'. */
  readonly role: string;
}

export interface PlanStep {
  readonly op: number;
  readonly actor: number;
  readonly target: number;
  readonly arg: number;
}

export interface BuildPlan {
  readonly tasks: readonly PlanTask[];
  readonly steps: readonly PlanStep[];
  /** The task cptctl clones itself. */
  readonly launch: number;
  /** The tree's root. */
  readonly root: number;
  /** The pidns init is cloned into a new user namespace with this mapping. */
  readonly userns?: UsernsMapping;
}

export interface PlanOptions {
  /** Build the tree in a new pid namespace. */
  readonly pidns: boolean;
  /** And that namespace's init in a new user namespace (only with pidns). */
  readonly userns?: UsernsMapping | null;
}

/** The tree asks for what the builder cannot do. */
export class UnplannableTreeError extends ImageError {}

/** The session and group a created process has, as the plan goes. 'outer' is the restarting cptctl's. */
type Id = number | 'outer';

export function planTree(tree: Tree, options: PlanOptions): BuildPlan {
  const treeTasks = tree.tasks;
  const root = treeTasks[0];
  if (root === undefined) throw new UnplannableTreeError('the tree of tasks is empty');
  const index = new Map<number, number>();
  const tasks: PlanTask[] = treeTasks.map((t, i) => {
    index.set(t.pid, i);
    const thread = t.pid !== t.tgid;
    return {
      pid: t.pid,
      kind: t.zombie ? 'transient' : 'restore',
      thread,
      role: thread ? `thread ${t.pid} of ${t.tgid}` : `${t.zombie ? 'zombie' : 'process'} ${t.pid}`,
    };
  });
  const steps: PlanStep[] = [];
  const step = (op: BuildOpName, actor: number, target = 0, arg = 0): void => {
    steps.push({ op: BUILD_OPS[op], actor, target, arg });
  };
  const processes = treeTasks.filter((t) => t.pid === t.tgid);
  const isTreeProcess = (pid: number): boolean => processes.some((p) => p.pid === pid);
  const session = new Map<number, Id>();
  const group = new Map<number, Id>();

  let launch = 0;
  if (options.pidns) {
    launch = tasks.length;
    tasks.push({ pid: 0, kind: 'pidns-init', thread: false, role: "the new pid namespace's init" });
    step('clone', launch, 0);
  }

  // The root's session and group, when no task of the tree leads them, are
  // the builder's own ('outer'): so are they for every task that shares them.
  const sessionOf = (t: TreeTask): Id => (t.sid === root.sid && !isTreeProcess(t.sid) ? 'outer' : t.sid);
  const groupOf = (t: TreeTask): Id => (t.pgid === root.pgid && !isTreeProcess(t.pgid) ? 'outer' : t.pgid);
  const sessionHolders = new Map<number, { task: number; creator: number }>();
  // The placeholder that leads session sid for the children of p, made the first time.
  const sessionHolder = (p: TreeTask, c: TreeTask): number => {
    let holder = sessionHolders.get(c.sid);
    if (holder === undefined) {
      if (!p.childSubreaper || isTreeProcess(c.sid) || sessionOf(c) === 'outer') {
        throw new UnplannableTreeError(
          `process ${c.pid} is in session ${c.sid}, whose leader is not in the image ` +
            `and whose parent ${p.pid} is not a child subreaper: such a tree cannot be built`,
        );
      }
      holder = { task: tasks.length, creator: index.get(p.pid)! };
      sessionHolders.set(c.sid, holder);
      tasks.push({ pid: c.sid, kind: 'transient', thread: false, role: `placeholder for session ${c.sid}` });
      step('clone', holder.creator, holder.task);
      step('setsid', holder.task);
    } else if (holder.creator !== index.get(p.pid)) {
      throw new UnplannableTreeError(`session ${c.sid} has members under two parents: not supported yet`);
    }
    return holder.task;
  };
  // The sibling under p, created already, that leads c's session: it can make c there as p's child.
  const siblingLeader = (p: TreeTask, c: TreeTask): TreeTask | undefined =>
    processes.find((l) => l.pid === c.sid && l.ppid === p.pid && session.get(l.pid) === c.sid);
  const create = (p: TreeTask, sid: Id, pgid: Id): void => {
    const self = index.get(p.pid)!;
    if (p.sid === p.pid) {
      step('setsid', self);
      sid = p.pid;
      pgid = p.pid;
    } else if (sid !== sessionOf(p)) {
      throw new UnplannableTreeError(
        `process ${p.pid} is in session ${p.sid}, whose leader is not in the image: ` +
          'sessions without their leader are not supported yet',
      );
    }
    session.set(p.pid, sid);
    group.set(p.pid, pgid);
    if (p.childSubreaper) step('subreaper', self);
    for (const t of treeTasks) if (t.tgid === p.pid && t.pid !== p.pid) step('clone', self, index.get(t.pid));
    for (const c of processes) {
      if (c.ppid !== p.pid || c === root) continue;
      const leader = c.sid !== c.pid && sessionOf(c) !== sid ? siblingLeader(p, c) : undefined;
      if (leader !== undefined) {
        step('clone', index.get(leader.pid)!, index.get(c.pid), CLONE_SIBLING);
        create(c, c.sid, group.get(leader.pid)!);
      } else if (c.sid !== c.pid && sessionOf(c) !== sid) {
        // Made by the session's placeholder, handed back to p when it exits.
        step('clone', sessionHolder(p, c), index.get(c.pid));
        create(c, c.sid, c.sid);
      } else {
        step('clone', self, index.get(c.pid));
        create(c, sid, pgid);
      }
    }
  };
  create(root, 'outer', 'outer');

  // Process groups, once every process exists.
  const placeholders = new Map<number, { task: number; creator: number }>();
  const join = (p: TreeTask): void => {
    const want = p.pgid;
    const self = index.get(p.pid)!;
    if (group.get(p.pid) === groupOf(p)) return;
    if (groupOf(p) === 'outer') {
      throw new UnplannableTreeError(`process ${p.pid} rejoined the group of the shell that started the root: ` + 'not supported yet');
    }
    if (want === p.pid) {
      step('setpgid', self, 0, want);
    } else if (isTreeProcess(want)) {
      const leader = processes.find((l) => l.pid === want)!;
      if (session.get(leader.pid) !== session.get(p.pid)) {
        throw new UnplannableTreeError(`process ${p.pid} is in group ${want}, whose leader is in another session`);
      }
      join(leader);
      step('setpgid', self, 0, want);
    } else {
      let holder = placeholders.get(want);
      if (holder === undefined) {
        holder = { task: tasks.length, creator: self };
        placeholders.set(want, holder);
        tasks.push({ pid: want, kind: 'transient', thread: false, role: `placeholder for group ${want}` });
        step('clone', self, holder.task);
        step('setpgid', holder.task, 0, want);
      }
      step('setpgid', self, 0, want);
    }
    group.set(p.pid, groupOf(p));
  };
  for (const p of processes) join(p);

  // Placeholders go before the zombies: a placeholder's creator may be a
  // zombie (the first member of a group whose leader is gone), which must
  // reap it before it exits itself, or the build waits for it forever.
  for (const holder of [...placeholders.values(), ...sessionHolders.values()]) {
    step('exit', holder.task);
    step('reap', holder.creator, holder.task);
  }
  for (const p of processes) {
    if (p.zombie) step('exit', index.get(p.pid)!, 0, p.exitStatus);
  }
  const userns = options.userns ?? null;
  if (userns !== null && !options.pidns) throw new Error('planTree: a user namespace needs a pid namespace');
  return userns === null ? { tasks, steps, launch, root: 0 } : { tasks, steps, launch, root: 0, userns };
}
