// Shorthands for the rows of the scenario table.
import { join } from 'node:path';

import type { ExecutionContext } from 'ava';

import type { CycleRun, Hook, ScenarioContext, ShellRun, Workload } from './scenario.js';

/** The file a restarted workload waits for, unless poked with a signal. */
export const goFile = (dir: string): string => join(dir, 'go');

/** A workload taking its directory only, waiting for DIR/go. */
export const inDir = (dir: string): readonly string[] => [dir];

/** A workload taking the path of its go file only. */
export const goPath = (dir: string): readonly string[] => [goFile(dir)];

export function cycle(workload: string, args: CycleRun['args'], options: Omit<CycleRun, 'kind' | 'workload' | 'args'> = {}): CycleRun {
  return { kind: 'cycle', workload, args, ...options };
}

export function shell(file: string, fn: string, env?: Readonly<Record<string, string>>): ShellRun {
  return env === undefined ? { kind: 'shell', file, fn } : { kind: 'shell', file, fn, env };
}

/**
 * The workload's exit status, or 'still running' if it has not ended
 * within `ms`. Its timer is cleared once it ended: a pending one kept the
 * driver's node, and so its boot, alive for the rest of its 20 s after the
 * boot's last scenario (exit-dead, near the table's end: 14 s).
 */
export async function exitedWithin(workload: Workload, ms: number): Promise<number | 'still running'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      workload.exited,
      new Promise<'still running'>((resolve) => {
        timer = setTimeout(() => resolve('still running'), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A checkpoint that leaves the tree of `workload serve DIR` running, then
 * its go: ROW.checkpoint, ROW.exit-status and its own checks as ROW's.
 */
export function leaveRunning(workloadName: string, row: string): (context: ScenarioContext) => Promise<void> {
  return async (context) => {
    const workload = await context.startWorkload(workloadName, ['serve', context.dir]);
    const failure = await context.checkpoint(workload.pid, 'leave-running');
    context.result(`${row}.checkpoint`, failure === null, failure ?? 'saved, left running');
    context.go();
    const status = await workload.exited;
    context.relayResults(row);
    context.result(`${row}.exit-status`, status === 0, `exited ${status}`);
  };
}

/** A hook that runs a function of test/guest/shell/FILE.sh with the cycle's paths. */
export function shellHook(file: string, fn: string): Hook {
  return (context: ScenarioContext) => context.shell(file, fn);
}

/**
 * The `cptctl check --json` report a shell scenario printed as one
 * `CHECK-JSON <json>` line; undefined, with the test failed, when it did not.
 */
export function checkJsonReport<T>(t: ExecutionContext, output: string): T | undefined {
  const line = output.split('\n').find((l) => l.startsWith('CHECK-JSON '));
  if (line === undefined) {
    t.fail(`no CHECK-JSON line in:\n${output}`);
    return undefined;
  }
  return JSON.parse(line.slice('CHECK-JSON '.length)) as T;
}
