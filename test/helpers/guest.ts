// Runs commands in the QEMU guest through vm/run, the way a developer does,
// and reads the RESULT lines that guest scripts and workloads print.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../../src/package.js';

export const VM_RUN = join(packageRoot, 'vm', 'run');

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
}

export function runInGuest(command: readonly string[], options: GuestOptions = {}): Promise<GuestRun> {
  const args = ['--timeout', String(options.timeoutSeconds ?? 300)];
  if (options.memMiB !== undefined) args.push('--mem', String(options.memMiB));
  if (options.noModule === true) args.push('--no-module');
  args.push('--', ...command);
  return new Promise((resolve, reject) => {
    const child = spawn(VM_RUN, args, { cwd: packageRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk; });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      resolve({ status: code ?? (signal === null ? -1 : 128), stdout, stderr });
    });
  });
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
