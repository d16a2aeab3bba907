// Runs commands in the QEMU guest through vm/run, the way a developer does,
// and reads the RESULT lines that guest scripts and workloads print.
//
// Guests never oversubscribe the host: each has one vCPU and first takes
// one of as many slots as the host has cores (a file lock each, held by
// flock(1) around vm/run), whichever ava worker or test asks; a guest with
// more vCPUs takes as many slots.
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { packageRoot } from '../../src/package.js';

export const VM_RUN = join(packageRoot, 'vm', 'run');

/** Where each guest run of `npm test` notes its file and times, for test/helpers/guest-times.ts. */
export const GUEST_TIMES_DIR = join(packageRoot, '.cache', 'guest-times');

/** flock(1)'s status when a slot is taken: vm/run has no reason to exit with it silently. */
const SLOT_TAKEN = 213;
const SLOT_POLL_MS = 500;

export interface GuestRun {
  /** vm/run's exit status: CMD's own, or 124/125/126 for the harness's verdicts. */
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface GuestOptions {
  readonly timeoutSeconds?: number;
  readonly memMiB?: number;
  readonly noModule?: boolean;
  /** vCPUs, 1 by default; each takes a slot. */
  readonly cpus?: number;
  /** Boots vm/build-debug-kernel's kernel, with a kmemleak scan after the command (vm/run --debug-kernel --kmemleak). */
  readonly debugKernel?: boolean;
  /** The test file asking (import.meta.url), for the times printed at the end of `npm test`. */
  readonly caller?: string;
  /** More environment for vm/run, which passes its own on to CMD. */
  readonly env?: Readonly<Record<string, string>>;
  /** More arguments for the guest kernel's command line, after the caller's CPT_VM_APPEND. */
  readonly kernelArgs?: readonly string[];
  /** Given the guest's standard output as it comes, besides the whole once it ended. */
  readonly onStdout?: (chunk: string) => void;
}

function spawnCollecting(
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  onStdout?: (chunk: string) => void,
): Promise<GuestRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: packageRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      onStdout?.(chunk);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ status: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
}

/**
 * Where a guest with more vCPUs than one says that it wants its slots: the
 * pid of the process that will boot it. Slots free together only when no
 * one-CPU guest takes the first to free; ava.config.js runs that boot's
 * file first, and it writes this as its file loads.
 */
const WIDE_RUN_PENDING = join(tmpdir(), 'cptctl-vcpu-wide-pending');

/** Says that this process will boot a guest with more vCPUs than one: until it has, one-CPU guests wait. */
export function announceWideRun(): void {
  writeFileSync(WIDE_RUN_PENDING, `${process.pid}\n`);
}

function wideRunDone(): void {
  if (wideRunPendingBy() === process.pid) rmSync(WIDE_RUN_PENDING, { force: true });
}

/** The process that announced a guest with more vCPUs than one, while it lives. */
function wideRunPendingBy(): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(WIDE_RUN_PENDING, 'utf8'));
  } catch {
    return undefined;
  }
  return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}`) ? pid : undefined;
}

/** vm/run ARGS under the first `cpus` consecutive free vCPU slots, waiting for them. */
async function runInSlot(
  vmArgs: readonly string[],
  cpus: number,
  env: Readonly<Record<string, string>>,
  onStdout?: (chunk: string) => void,
): Promise<GuestRun> {
  const slots = Array.from({ length: Math.max(availableParallelism(), cpus) }, (_, i) => join(tmpdir(), `cptctl-vcpu-slot-${i}.lock`));
  // A one-CPU guest would take a slot that the wider one waits for together with the other.
  while (cpus === 1 && ![undefined, process.pid].includes(wideRunPendingBy())) await sleep(SLOT_POLL_MS);
  for (;;) {
    for (let first = 0; first + cpus <= slots.length; first++) {
      const locks = slots.slice(first, first + cpus).flatMap((slot) => ['flock', '-n', '-E', String(SLOT_TAKEN), slot]);
      const run = await spawnCollecting(locks[0]!, [...locks.slice(1), VM_RUN, ...vmArgs], env, onStdout);
      const slotTaken = run.status === SLOT_TAKEN && run.stdout === '' && run.stderr === '';
      if (!slotTaken) return run;
    }
    await sleep(SLOT_POLL_MS);
  }
}

function noteTimes(caller: string, from: number, to: number): void {
  mkdirSync(GUEST_TIMES_DIR, { recursive: true });
  appendFileSync(join(GUEST_TIMES_DIR, 'runs.tsv'), `${basename(caller).replace(/\.js$/, '.ts')}\t${from}\t${to}\n`);
}

export async function runInGuest(command: readonly string[], options: GuestOptions = {}): Promise<GuestRun> {
  const cpus = options.cpus ?? 1;
  const args = ['--smp', String(cpus), '--timeout', String(options.timeoutSeconds ?? 300)];
  if (options.memMiB !== undefined) args.push('--mem', String(options.memMiB));
  if (options.noModule === true) args.push('--no-module');
  if (options.debugKernel === true) args.push('--debug-kernel', '--kmemleak');
  args.push('--', ...command);
  const from = Date.now();
  const kernelArgs = options.kernelArgs ?? [];
  const append = [process.env['CPT_VM_APPEND'] ?? '', ...kernelArgs].join(' ').trim();
  const env = { ...options.env, ...(kernelArgs.length > 0 ? { CPT_VM_APPEND: append } : {}) };
  const run = await runInSlot(args, cpus, env, options.onStdout).finally(() => {
    if (cpus > 1) wideRunDone();
  });
  if (options.caller !== undefined) noteTimes(options.caller, from, Date.now());
  return run;
}

export interface CheckResult {
  readonly passed: boolean;
  readonly detail: string;
}

/** The "RESULT <name> PASS|FAIL <detail>" lines of a guest run, by name. */
export function parseResults(stdout: string): Map<string, CheckResult> {
  const results = new Map<string, CheckResult>();
  for (const line of stdout.split('\n')) {
    const match = /^RESULT (\S+) (PASS|FAIL) ?(.*)$/.exec(line);
    if (match === null) continue;
    const [, name, verdict, detail] = match;
    if (name === undefined || results.has(name)) {
      throw new Error(`guest reported check ${String(name)} twice or unnamed: ${line}`);
    }
    results.set(name, { passed: verdict === 'PASS', detail: detail ?? '' });
  }
  return results;
}

/** Describes a run for an assertion message: what a failing test needs to show. */
export function describeRun(run: GuestRun): string {
  return `vm/run exited ${run.status}\n--- stdout ---\n${run.stdout}\n--- stderr ---\n${run.stderr}`;
}
