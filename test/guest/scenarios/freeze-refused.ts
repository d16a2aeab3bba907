// The freeze's refusals (cpt_tree.c, cpt_freeze.c): a tree the freeze
// cannot hold still is refused with a clean errno and a message naming the
// task, and runs on untouched (test/workloads/freeze_refused.c).
import { exitedWithin } from './rows.js';
import type { Scenario, ScenarioContext } from './scenario.js';

/** How much slower the guest's kernel may be (vm/run --debug-kernel sets it): the freeze's own timeouts are not. */
const timeScale = Math.max(1, Number(process.env['CPT_GUEST_TIME_SCALE'] ?? '1') || 1);

/**
 * A checkpoint --kill of the workload in MODE: refused with a message that
 * names the pid of READY (says(pid) matches it) within seconds, and the
 * tree, let go, ends well.
 */
async function freezeRefused(
  context: ScenarioContext,
  name: string,
  mode: 'vfork',
  says: (pid: number) => RegExp,
  withinSeconds: number,
): Promise<void> {
  const workload = await context.startWorkload('freeze_refused', [context.dir, mode]);
  const named = Number(workload.ready);
  const started = Date.now();
  const failure = await context.checkpoint(workload.pid, 'kill');
  const seconds = (Date.now() - started) / 1000;
  context.result(
    `${name}.refused`,
    failure !== null && says(named).test(failure) && seconds < withinSeconds * timeScale,
    `checkpoint, ${seconds.toFixed(1)} s: ${failure ?? 'succeeded'}`,
  );
  context.go();
  const status = await exitedWithin(workload, 20_000);
  context.result(`${name}.exit-status`, status === 0, `the tree, let go after the refusal, exited ${status}`);
  context.relayResults(name);
}

export const freezeRefusedScenarios: readonly Scenario[] = [
  {
    name: 'freeze-vfork',
    run: {
      kind: 'custom',
      run: (context) =>
        freezeRefused(
          context,
          'freeze-vfork',
          'vfork',
          (pid) => new RegExp(`EBUSY.*pid ${pid} did not stop in 10 s: it waits for its vfork\\(\\) child \\d+`),
          // CPT_FREEZE_TIMEOUT, then the thaw.
          30,
        ),
    },
    timeoutSeconds: 60,
    costSeconds: 10,
    checks: {
      'freeze-vfork.setup': 'a process of the tree waits in vfork() for its child',
      'freeze-vfork.refused':
        'a checkpoint of a tree with a vfork() parent, which cannot be parked, fails with EBUSY naming it and its child',
      'freeze-vfork.exit-status': 'the tree whose checkpoint gave up on a vfork() parent runs on and ends well',
      'freeze-vfork.ran-on': 'the vfork() parent the checkpoint gave up on returns from its vfork() once its child exits, unharmed',
    },
  },
];
