// `npm run fuzz -- --count N --seed S [--start K] [--user root|nobody|both]
// [--images cpu,tree,...] [--timeout-ms T] [--keep-going] [--out DIR]`, on
// the host: boots the guest (one vCPU, under the first free slot's lock, as
// the tests do) and runs test/fuzz/guest.js there. Progress goes to stderr;
// the first failing mutant is printed and saved under --out
// (.cache/fuzz/failures by default) as seed-S-mutant-K.img, with a .txt
// saying what happened. When the guest kernel panics or warns (vm/run's
// 125) or the guest times out (124), the mutant in flight, which the guest
// noted before feeding it, is made again here from the same seed images and
// saved the same way. Seed images are kept in .cache/fuzz/seeds/ per kernel
// release and schema, so that a mutant is the same from one run to the next.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { imageAbi } from '../../src/image/abi.js';
import { packageRoot } from '../../src/package.js';
import type { FeedSummary, User } from './feed.js';
import { INFLIGHT, loadSeeds, savedName } from './feed.js';
import { DEFAULT_TIMEOUT_MS, formatSummary, parseArgs } from './guest.js';
import { mutant } from './mutations.js';

const SLOT_TAKEN = 213;

interface Inflight {
  readonly seed: number;
  readonly index: number;
  readonly user: User;
  readonly seedsDir: string;
  readonly images: readonly string[];
  readonly kind: string;
  readonly detail: string;
}

/** vm/run under the first free vCPU slot, stdout collected and echoed, stderr passed through; its status. */
async function runGuest(vmArgs: readonly string[]): Promise<{ status: number; stdout: string }> {
  const slots = Array.from({ length: availableParallelism() }, (_, i) => join(tmpdir(), `cptctl-vcpu-slot-${i}.lock`));
  let waiting = false;
  for (;;) {
    for (const slot of slots) {
      const run = await new Promise<{ status: number; stdout: string }>((resolve, reject) => {
        const child = spawn('flock', ['-n', '-E', String(SLOT_TAKEN), slot, join(packageRoot, 'vm', 'run'), ...vmArgs], {
          cwd: packageRoot,
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let stdout = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
          stdout += chunk;
          process.stdout.write(chunk);
        });
        child.on('error', reject);
        child.on('close', (code) => resolve({ status: code ?? 128, stdout }));
      });
      if (run.status !== SLOT_TAKEN || run.stdout !== '') return run;
    }
    if (!waiting) process.stderr.write('fuzz: waiting for a free guest slot\n');
    waiting = true;
    await sleep(1000);
  }
}

/** The in-flight note the guest left (root's or nobody's, the newer). */
function inflight(outDir: string): Inflight | null {
  const notes = [join(outDir, INFLIGHT), join(outDir, 'nobody', INFLIGHT)].filter((path) => existsSync(path));
  notes.sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return notes.length === 0 ? null : (JSON.parse(readFileSync(notes[0]!, 'utf8')) as Inflight);
}

/** Makes the in-flight mutant again from the kept seeds and saves it; its path. */
async function saveInflight(note: Inflight, outDir: string, what: string): Promise<string> {
  const abi = imageAbi();
  const seeds = await loadSeeds(abi, note.seedsDir, note.images);
  const found = mutant(abi, seeds, note.seed, note.index);
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, savedName(note.seed, note.index));
  writeFileSync(path, found.bytes);
  writeFileSync(
    path.replace(/\.img$/, '.txt'),
    `${what}\nseed ${note.seed}, mutant ${note.index} of seed image ${found.seed}, restarted by ${note.user}\n` +
      `mutation (${found.kind}): ${found.detail}\n` +
      `reproduce: npm run fuzz -- --seed ${note.seed} --start ${note.index} --count 1 --images ${note.images.join(',')}\n`,
  );
  return path;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const outDir = join(packageRoot, '.cache', 'fuzz', 'failures');
  const given = [...argv];
  if (!given.includes('--out')) given.push('--out', relative(packageRoot, outDir));
  if (!given.includes('--seeds')) given.push('--seeds', relative(packageRoot, join(packageRoot, '.cache', 'fuzz', 'seeds')));
  let options;
  try {
    options = parseArgs(given);
  } catch (error: unknown) {
    process.stderr.write(`fuzz: ${(error as Error).message}\n`);
    return 2;
  }
  // Generous: a restart of a mutant takes a fraction of a second, seeds a minute.
  const perMutantMs = Math.max(1000, Math.min(options.timeoutMs, DEFAULT_TIMEOUT_MS) / 10);
  const vmTimeout = 300 + Math.ceil((options.count * perMutantMs) / 1000);
  const started = Date.now();
  const { status, stdout } = await runGuest([
    '--smp',
    '1',
    '--timeout',
    String(vmTimeout),
    '--',
    'node',
    'dist/test/fuzz/guest.js',
    ...given,
  ]);
  const summaries = stdout
    .split('\n')
    .filter((line) => line.startsWith('FUZZ-SUMMARY '))
    .map((line) => JSON.parse(line.slice('FUZZ-SUMMARY '.length)) as FeedSummary);
  for (const summary of summaries) process.stderr.write(`fuzz: ${formatSummary(summary)}\n`);
  process.stderr.write(`fuzz: ${((Date.now() - started) / 1000).toFixed(0)} s in all, guest status ${status}\n`);
  const failure = summaries.flatMap((s) => s.failures)[0];
  if (failure !== undefined) {
    process.stderr.write(
      `fuzz: first failing mutant ${failure.index}: ${failure.what}: ${failure.detail}\nfuzz: saved as ${failure.saved}\n`,
    );
    return 1;
  }
  if (status === 125 || status === 124) {
    const what = status === 125 ? 'the guest kernel panicked, oopsed or warned (see the guest log vm/run named)' : 'the guest timed out';
    const note = inflight(join(packageRoot, options.outDir));
    if (note === null) {
      process.stderr.write(`fuzz: ${what}, with no mutant in flight\n`);
      return 1;
    }
    const path = await saveInflight(note, join(packageRoot, options.outDir), what);
    process.stderr.write(
      `fuzz: ${what} on mutant ${note.index} (${note.kind}: ${note.detail}, restarted by ${note.user})\nfuzz: saved as ${path}\n`,
    );
    return 1;
  }
  return status;
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    process.stderr.write(`fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(2);
  },
);
