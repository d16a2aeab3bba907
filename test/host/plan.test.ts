// The restart plan: which task creates which, sessions, groups, placeholders, zombies.
import test from 'ava';

import { BUILD_OPS, CLONE_SIBLING, planTree, UnplannableTreeError } from '../../src/commands/restart/plan.js';
import type { TreeTask } from '../../src/image/schema.js';

const task = (pid: number, ppid: number, pgid: number, sid: number, extra: Partial<TreeTask> = {}): TreeTask => ({
  pid,
  tgid: pid,
  ppid,
  pgid,
  sid,
  zombie: false,
  exitStatus: 0,
  childSubreaper: false,
  fdTableOf: 0,
  ...extra,
});
const opName = (op: number): string => Object.entries(BUILD_OPS).find(([, v]) => v === op)![0];

test('a session leader root with a child, a thread, a zombie and a leaderless group', (t) => {
  const plan = planTree(
    {
      tasks: [
        task(10, 1, 10, 10),
        { ...task(11, 1, 10, 10), tgid: 10 },
        task(12, 10, 30, 10),
        task(13, 10, 10, 10, { zombie: true, exitStatus: 42 << 8 }),
      ],
    },
    { pidns: false },
  );
  const steps = plan.steps.map(
    (s) =>
      `${opName(s.op)} ${plan.tasks[s.actor]!.pid}${s.op === BUILD_OPS.clone || s.op === BUILD_OPS.reap ? ` ${plan.tasks[s.target]!.pid}` : ''}${s.op === BUILD_OPS.setpgid || s.op === BUILD_OPS.exit ? ` ${s.arg}` : ''}`,
  );
  t.deepEqual(steps, [
    'setsid 10',
    'clone 10 11',
    'clone 10 12',
    'clone 10 13',
    'clone 12 30',
    'setpgid 30 30',
    'setpgid 12 30',
    'exit 30 0',
    'reap 12 30',
    'exit 13 10752',
  ]);
  t.is(plan.launch, 0);
  t.deepEqual(
    plan.tasks.map((x) => x.kind),
    ['restore', 'restore', 'restore', 'transient', 'transient'],
  );
  t.true(plan.tasks[1]!.thread);
});

test("a zombie that is the first member of a group whose leader is gone reaps the group's placeholder before it exits", (t) => {
  // The fuzzer's mutant 15633 of seed 20 (the tree seed's zombie moved to
  // group 1023): the zombie exited first and the build waited forever for it
  // to reap the placeholder it had made.
  const plan = planTree({ tasks: [task(10, 1, 10, 10), task(11, 10, 1023, 10, { zombie: true, exitStatus: 3 << 8 })] }, { pidns: false });
  const steps = plan.steps.map(
    (s) =>
      `${opName(s.op)} ${plan.tasks[s.actor]!.pid}${s.op === BUILD_OPS.clone || s.op === BUILD_OPS.reap ? ` ${plan.tasks[s.target]!.pid}` : ''}`,
  );
  t.deepEqual(steps, ['setsid 10', 'clone 10 11', 'clone 11 1023', 'setpgid 1023', 'setpgid 11', 'exit 1023', 'reap 11 1023', 'exit 11']);
});

test('--pidns: an init launches the root', (t) => {
  const plan = planTree({ tasks: [task(10, 1, 5, 5)] }, { pidns: true });
  t.is(plan.tasks[plan.launch]!.kind, 'pidns-init');
  t.deepEqual(
    plan.steps.map((s) => [opName(s.op), s.actor, s.target]),
    [['clone', 1, 0]],
  );
});

test('a session whose leader is gone, under a parent that is no subreaper, is refused clearly', (t) => {
  const error = t.throws(() => planTree({ tasks: [task(10, 1, 5, 5), task(11, 10, 77, 77 + 1)] }, { pidns: false }));
  t.true(error instanceof UnplannableTreeError);
  t.regex(error.message, /session 78, whose leader is not in the image and whose parent 10 is not a child subreaper/);
});

test('a session whose leader is gone gets a placeholder, which hands its members back to the subreaper', (t) => {
  const plan = planTree(
    {
      tasks: [task(10, 1, 10, 10, { childSubreaper: true }), task(12, 10, 11, 11), task(13, 12, 11, 11)],
    },
    { pidns: false },
  );
  const steps = plan.steps.map(
    (s) =>
      `${opName(s.op)} ${plan.tasks[s.actor]!.pid}${s.op === BUILD_OPS.clone || s.op === BUILD_OPS.reap ? ` ${plan.tasks[s.target]!.pid}` : ''}`,
  );
  t.deepEqual(steps, ['setsid 10', 'subreaper 10', 'clone 10 11', 'setsid 11', 'clone 11 12', 'clone 12 13', 'exit 11', 'reap 10 11']);
});

test("children in the session and group of the shell that started the root stay in cptctl's", (t) => {
  const plan = planTree({ tasks: [task(10, 1, 0, 0), task(11, 10, 0, 0), task(12, 11, 12, 0)] }, { pidns: false });
  t.deepEqual(
    plan.steps.map((s) => `${opName(s.op)} ${plan.tasks[s.actor]!.pid}`),
    ['clone 10', 'clone 11', 'setpgid 12'],
  );
});

test('a child in the session of its zombie sibling that leads it is cloned by that sibling as a sibling (CLONE_PARENT)', (t) => {
  // 10 forked 11, which made its own session, cloned 12 with CLONE_PARENT and exited.
  const plan = planTree(
    { tasks: [task(10, 1, 5, 5), task(11, 10, 11, 11, { zombie: true, exitStatus: 7 << 8 }), task(12, 10, 11, 11)] },
    { pidns: false },
  );
  const steps = plan.steps.map((s) => `${opName(s.op)} ${plan.tasks[s.actor]!.pid} ${plan.tasks[s.target]!.pid} ${s.arg}`);
  t.deepEqual(steps, ['clone 10 11 0', 'setsid 11 10 0', `clone 11 12 ${CLONE_SIBLING}`, 'exit 11 10 1792']);
});
