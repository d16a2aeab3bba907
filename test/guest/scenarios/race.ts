// The race and fault suite: checkpoints whose targets exit, exec, die or
// are killed at random points, whose coordinator is killed, many at once,
// with rmmod tried all along (test/guest/shell/race.sh, driven by
// test/workloads/cpt_race). Each ends with the target intact (checkpoint)
// or nothing left behind (restart), and no kernel warning.
import { join } from 'node:path';

import { countText, depth } from './depth.js';
import type { Scenario, ScenarioContext, Workload } from './scenario.js';
import { shell } from './rows.js';

/**
 * The churning tree's leave-running checkpoints (churn_loop), each a race
 * with its threads' exits. What the row is for is the freeze catching a
 * thread in its exit and waiting for it (cpt_tree_settle()): 250
 * checkpoints did so 212 times (a kprobe's count in one boot, 254 freezes
 * in all with the row's restarts), so the default suite still takes that
 * path some 200 times; test:deep makes 1,000 (about 850).
 */
const CHURN_CHECKPOINTS = depth(250, 1000);

/**
 * kill-races' runs with the whole tree killed at a random point of its
 * checkpoint (its thread and child roles keep 100: the child's hits are
 * rare). 100 runs caught the kill mid-checkpoint 34 and 48 times in two
 * whole-suite runs, so 50 still do some 20 times; test:deep makes 100.
 */
const KILL_TREE_RUNS = depth(50, 100);

/** How many times the churning tree is checkpointed --kill and restarted. */
const CHURN_RESTARTS = 4;

/**
 * checkpoint --kill then restart of the churning tree, CHURN_RESTARTS
 * times, each time of the tree the last restart made: each checkpoint
 * must freeze the tree (a thread caught exiting is waited for) and each
 * image must restart.
 */
async function churnRestarts(context: ScenarioContext, first: Workload): Promise<void> {
  let tree = first;
  const notes: string[] = [];
  let restarted = 0;
  for (let round = 0; round < CHURN_RESTARTS; round++) {
    const failure = await context.checkpoint(tree.pid, 'kill');
    if (failure !== null) {
      notes.push(`checkpoint ${round} failed: ${failure}`);
      continue;
    }
    await tree.exited;
    try {
      tree = await context.restart(context.image);
      restarted++;
    } catch (error: unknown) {
      notes.push(`restart ${round}: ${error instanceof Error ? error.message : String(error)}`);
      break;
    }
  }
  context.result(
    'churn.restarts',
    restarted === CHURN_RESTARTS,
    `${restarted} of ${CHURN_RESTARTS} checkpoint --kill images restarted${notes.length > 0 ? `; ${notes.join('; ')}` : ''}`,
  );
  process.kill(tree.pid, 'SIGKILL');
  await tree.exited;
}

export const raceScenarios: readonly Scenario[] = [
  {
    name: 'churn',
    run: {
      kind: 'custom',
      run: async (context) => {
        const workload = await context.startWorkload('churn', []);
        await context.shell('race', 'churn_loop', { checkpoints: String(CHURN_CHECKPOINTS) });
        await churnRestarts(context, workload);
      },
    },
    // With 1,000 checkpoints it took 33 s in a suite on a busy host (the
    // loop 25.6 s of it); with 250, 23 s in one boot (the loop 9 s).
    timeoutSeconds: 600,
    costSeconds: 8.5,
    checks: {
      'churn.loop-clean': `a checkpoint of a tree whose threads and exec child come and go fails cleanly or succeeds, ${countText(CHURN_CHECKPOINTS)} times`,
      'churn.loop-converges':
        'every one of those checkpoints freezes the tree: a thread caught exiting is waited for, not a reason to fail',
      'churn.loop-images': 'every image of a tree whose threads come and go is a tree a restart accepts',
      'churn.tree-runs': `the churning tree runs on after ${countText(CHURN_CHECKPOINTS)} checkpoints, not frozen`,
      'churn.restarts': 'the churning tree checkpointed --kill, then restarted, again and again, never fails',
    },
  },
  {
    name: 'suid-exec',
    run: shell('race', 'suid_exec'),
    timeoutSeconds: 120,
    costSeconds: 2,
    checks: {
      'suid-exec.loop-clean': 'checkpoints of a tree exec-ing a setuid program fail cleanly or succeed',
      'suid-exec.loop-no-root': 'an unprivileged checkpoint never holds a task that became root by exec',
      'suid-exec.target-runs': 'the tree exec-ing a setuid program runs on, not frozen',
    },
  },
  {
    name: 'kill-races',
    run: shell('race', 'kill_races', { tree_runs: String(KILL_TREE_RUNS) }),
    timeoutSeconds: 90,
    costSeconds: 11,
    checks: {
      'race.kill-thread': 'a thread exiting at a random point of its checkpoint: a clean failure or an image',
      'race.kill-child': 'a child killed at a random point of its checkpoint: a clean failure or an image, the rest thawed',
      'race.kill-tree': 'the whole tree killed at a random point of its checkpoint: a clean failure',
    },
  },
  {
    name: 'dup-close',
    run: shell('race', 'dup_close'),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'race.dup-close': "closing a dup of the session's fd does not end the session",
    },
  },
  {
    name: 'coordinator-killed',
    run: {
      kind: 'custom',
      run: async (context) => {
        const workload = await context.startWorkload('cpu_state', [join(context.dir, 'never')]);
        const failure = await context.checkpoint(workload.pid, 'kill');
        if (failure !== null) {
          context.result('race.coordinator-killed', false, `checkpoint failed: ${failure}`);
          return;
        }
        await workload.exited;
        await context.shell('race', 'coordinator_killed');
      },
    },
    timeoutSeconds: 90,
    costSeconds: 0.5,
    checks: {
      'race.coordinator-killed': 'a coordinator killed while its restoring child holds the session is gone at once, and so is the child',
    },
  },
  {
    name: 'concurrent',
    run: shell('race', 'concurrent'),
    timeoutSeconds: 180,
    costSeconds: 10.5,
    checks: {
      'race.rmmod-refused': 'rmmod is refused while any checkpoint session is open',
      'race.rmmod-after': 'the module unloads once every session ended',
      'race.concurrent-sessions': '22 checkpoint sessions at once, two of them on one tree, fail cleanly or succeed',
      'race.concurrent-targets-run': 'no target of those sessions is left frozen',
    },
  },
];

/**
 * The root killed and reaped while SAVE(FILES) runs needs a second CPU: on
 * one, the killer and the dying root run only where the checkpoint's ioctl
 * yields, and a faster emulation left too few such points to hit the
 * window in 3 runs of 100 (1, 2 and 7 of 100 in three boots; 18 to 32 with
 * two CPUs and the kill aimed at the window's first half).
 */
export const raceTwoCpuScenarios: readonly Scenario[] = [
  {
    name: 'kill-root',
    run: shell('race', 'kill_root'),
    timeoutSeconds: 90,
    costSeconds: 3.5,
    checks: {
      'race.kill-root-files':
        'the root killed and reaped during SAVE(FILES) of a tree with a controlling pty (in 3 runs of 100 at least): ESRCH or an image, the rest running and thawed',
      'race.kill-root':
        "the root killed and reaped at a random point of its checkpoint: ESRCH (naming the root's pid, not 0, when it exited during the freeze; or EAGAIN when its thread's exit outlasts the freeze's wait) or an image, the rest running and thawed",
    },
  },
];
