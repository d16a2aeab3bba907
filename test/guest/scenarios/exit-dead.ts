// The freeze's scan (cpt_tree.c) and processes whose exit is over but that
// are still on the task list (EXIT_DEAD, between their reaping and
// release_task()): a process of the tree killed during the freeze hands
// its zombies to a subreaper of the tree that ignores SIGCHLD, which has
// them released one after the other (test/workloads/exit_dead.c). A scan
// that took them into the tree again each round, settled them and looked
// again never slept: on one CPU the exit that releases them never ran
// again, and the guest hung.
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { exitedWithin } from './rows.js';
import type { Scenario, ScenarioContext } from './scenario.js';

const timeScale = Math.max(1, Number(process.env['CPT_GUEST_TIME_SCALE'] ?? '1') || 1);
/** Checkpoints, each of a new tree whose middle process is killed once the root stands still. */
const ATTEMPTS = 4;
/**
 * The killed process's zombie children: their release takes long enough for
 * the freeze to run meanwhile. Fewer on a slower kernel, where each fork and
 * each release takes longer (the debug kernel's 500 forks outlasted the
 * workload's wait to get ready, 150 s), so that the window stays about as long.
 */
const ZOMBIES = String(Math.ceil(500 / timeScale));

function readOut(context: ScenarioContext): string {
  try {
    return readFileSync(join(context.dir, 'out'), 'utf8');
  } catch {
    return '';
  }
}

async function exitDead(context: ScenarioContext): Promise<void> {
  const slow: string[] = [];
  const unwell: string[] = [];
  const outcomes: string[] = [];
  let stoodStill = 0;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    rmSync(join(context.dir, 'go'), { force: true });
    const workload = await context.startWorkload('exit_dead', [context.dir, ZOMBIES]);
    const started = Date.now();
    const failure = await context.checkpoint(Number(workload.ready), 'leave-running');
    const seconds = (Date.now() - started) / 1000;
    if (seconds > 20 * timeScale) slow.push(`${attempt}: ${seconds.toFixed(1)} s`);
    context.go();
    const status = await exitedWithin(workload, 20_000 * timeScale);
    const out = readOut(context);
    if (status !== 0) unwell.push(`${attempt}: exited ${status}: ${out.split('\n').slice(-3).join(' ')}`);
    if (/^KILLED stood-still$/m.test(out)) stoodStill++;
    outcomes.push(`${failure ?? 'saved'} (${seconds.toFixed(1)} s)`);
  }
  context.result(
    'exit-dead.checkpoints',
    slow.length === 0,
    `${ATTEMPTS} checkpoints: ${outcomes.join('; ')}${slow.length > 0 ? `; too slow: ${slow.join(', ')}` : ''}`,
  );
  context.result('exit-dead.exit-status', unwell.length === 0, unwell.join('; ') || `${ATTEMPTS} trees ended well`);
  context.result(
    'exit-dead.raced',
    stoodStill > 0,
    `${stoodStill} of ${ATTEMPTS} middle processes were killed while the root stood still (parked by the freeze)`,
  );
}

export const exitDeadScenarios: readonly Scenario[] = [
  {
    name: 'exit-dead',
    run: { kind: 'custom', run: exitDead },
    timeoutSeconds: 90,
    costSeconds: 3.5,
    checks: {
      'exit-dead.checkpoints': 'checkpoints of a tree whose reaped processes linger on the task list during the freeze end within seconds',
      'exit-dead.exit-status': 'each tree whose middle process was killed during its checkpoint, let go, ends well',
      'exit-dead.raced': 'the middle process was killed while the freeze held the root, at least once',
    },
  },
];
