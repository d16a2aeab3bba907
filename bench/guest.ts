// The guest side of `npm run bench` (bench/run boots the guest and runs
// this): every workload checkpointed (leave-running) and restarted by
// cptctl and by CRIU, interleaved, round after round, in one boot; the
// tmpfs write bandwidth for the same bytes; then the report, as JSON and
// markdown, into OUTDIR. cptctl runs in this process, through the same
// functions as its command line, so that node's start-up (measured once,
// reported apart) is not counted in each figure; CRIU's own figures come
// from its stats files.
// Usage: node dist/bench/guest.js OUTDIR [ROUNDS]
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { checkpoint } from '../src/commands/checkpoint/checkpoint.js';
import { restart } from '../src/commands/restart/restart.js';
import { loadAddon } from '../src/native.js';
import { packageRoot } from '../src/package.js';
import type { BenchReport, Sample, Tool, Workload } from './report.js';
import { median, renderMarkdown, reportWorkload } from './report.js';

interface BenchWorkload extends Workload {
  readonly program: string;
  readonly args: readonly string[];
}

const workloadDir = join(packageRoot, 'test', 'workloads', 'build');
const scratch = '/tmp/cpt-bench';

const WORKLOADS: readonly BenchWorkload[] = [
  { name: 'mm-16', description: '16 MiB of dirtied anonymous memory', touchedMiB: 16, program: 'mm_bench', args: ['16'] },
  { name: 'mm-64', description: '64 MiB of dirtied anonymous memory', touchedMiB: 64, program: 'mm_bench', args: ['64'] },
  { name: 'mm-256', description: '256 MiB of dirtied anonymous memory', touchedMiB: 256, program: 'mm_bench', args: ['256'] },
  { name: 'sparse-256', description: 'a 256 MiB mapping with 1 MiB touched', program: 'mm_bench', args: ['256', '1'] },
  { name: 'tree-10', description: '10 processes', tasks: 10, program: 'tree_bench', args: ['10'] },
  { name: 'tree-25', description: '25 processes', tasks: 25, program: 'tree_bench', args: ['25'] },
  { name: 'tree-50', description: '50 processes', tasks: 50, program: 'tree_bench', args: ['50'] },
  { name: 'files-1000', description: 'a process with 1,000 open files', program: 'files_bench', args: ['1000'] },
];

const addon = loadAddon();
const now = (): number => Number(process.hrtime.bigint());

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

interface Running {
  readonly pid: number;
  readonly child: ChildProcess;
}

/** Starts the workload in its own session (so that killing its group ends it) and waits for DIR/ready. */
async function startWorkload(workload: BenchWorkload, dir: string): Promise<Running> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = openSync(join(dir, 'out'), 'w');
  const child = spawn(join(workloadDir, workload.program), [dir, ...workload.args], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const deadline = Date.now() + 120_000;
  while (!existsSync(join(dir, 'ready'))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${workload.name} did not get ready`);
    await sleep(20);
  }
  return { pid: child.pid!, child };
}

function exited(child: ChildProcess): Promise<unknown> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', resolve));
}

function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) members.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

/**
 * Kills the process group and waits until its pids are free: `reapOwn`
 * reaps the member that is our child, init the orphans.
 */
async function killGroup(pgid: number, reapOwn: () => Promise<unknown>): Promise<void> {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // already gone
  }
  await reapOwn();
  const deadline = Date.now() + 30_000;
  while (groupMembers(pgid).length > 0) {
    if (Date.now() > deadline) throw new Error(`process group ${pgid} does not die`);
    await sleep(20);
  }
}

function bytesUnder(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + bytesUnder(join(path, entry)), 0);
}

async function runCptctl(workload: BenchWorkload, round: number): Promise<Sample> {
  const dir = join(scratch, 'cptctl', workload.name);
  const image = join(scratch, 'cptctl.img');
  const running = await startWorkload(workload, dir);
  let from = now();
  const checkpointed = await checkpoint({ pid: running.pid, output: image, disposition: 'leave-running' }, { addon });
  const checkpointWallNs = now() - from;
  await killGroup(running.pid, () => exited(running.child));
  from = now();
  const restarted = await restart({ image }, { addon });
  const restartWallNs = now() - from;
  await killGroup(restarted.rootPid, () => addon.waitForExit(restarted.pid).catch(() => undefined));
  const { stats } = checkpointed;
  rmSync(image, { force: true });
  return {
    tool: 'cptctl',
    workload: workload.name,
    round,
    checkpointNs: Number(stats.totalNs),
    frozenNs: Number(stats.frozenNs),
    memoryScanNs: Number(stats.memory.scanNs),
    memoryWriteNs: Number(stats.memory.writeNs),
    restartNs: Number(restarted.stats.totalNs),
    checkpointWallNs,
    restartWallNs,
    imageBytes: stats.imageBytes ?? 0,
    pagesScanned: Number(stats.memory.pagesScanned),
    pagesWritten: Number(stats.memory.pagesWritten),
  };
}

function criu(args: readonly string[]): number {
  const from = now();
  const result = spawnSync('criu', args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`criu ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return now() - from;
}

/** A CRIU stats file, decoded by crit: its one entry's fields (times in µs). */
function criuStats(dir: string, name: 'stats-dump' | 'stats-restore'): Record<string, number> {
  const result = spawnSync('crit', ['decode', '-i', join(dir, name)], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`crit decode ${name} failed: ${result.stderr}`);
  const decoded = JSON.parse(result.stdout) as { entries: Record<string, Record<string, number>>[] };
  const entry = decoded.entries[0] ?? {};
  return entry[name === 'stats-dump' ? 'dump' : 'restore'] ?? {};
}

async function runCriu(workload: BenchWorkload, round: number): Promise<Sample> {
  const dir = join(scratch, 'criu', workload.name);
  const images = join(scratch, 'criu-images');
  rmSync(images, { recursive: true, force: true });
  mkdirSync(images, { recursive: true });
  const running = await startWorkload(workload, dir);
  const checkpointWallNs = criu(['dump', '-t', String(running.pid), '-D', images, '--leave-running', '-o', 'dump.log']);
  const dump = criuStats(images, 'stats-dump');
  await killGroup(running.pid, () => exited(running.child));
  const restartWallNs = criu(['restore', '-D', images, '-d', '-o', 'restore.log']);
  const restore = criuStats(images, 'stats-restore');
  // Restored with -d, the tree's root is an orphan: init reaps it.
  await killGroup(running.pid, () => Promise.resolve());
  const imageBytes =
    bytesUnder(images) -
    ['dump.log', 'restore.log', 'stats-dump', 'stats-restore'].reduce(
      (sum, file) => sum + (existsSync(join(images, file)) ? statSync(join(images, file)).size : 0),
      0,
    );
  const us = (value: number | undefined): number => (value ?? 0) * 1000;
  return {
    tool: 'criu',
    workload: workload.name,
    round,
    checkpointNs: us(dump['freezing_time']) + us(dump['frozen_time']),
    frozenNs: us(dump['frozen_time']),
    memoryScanNs: us(dump['memdump_time']),
    memoryWriteNs: us(dump['memwrite_time']),
    restartNs: us(restore['restore_time']),
    checkpointWallNs,
    restartWallNs,
    imageBytes,
    pagesScanned: dump['pages_scanned'] ?? 0,
    pagesWritten: dump['pages_written'] ?? 0,
  };
}

/**
 * Bytes per second of plain writes from memory into a tmpfs file: the
 * ceiling for an image there (test/workloads/tmpfs_bandwidth.c).
 */
function tmpfsBandwidth(mib: number): number {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const result = spawnSync(join(workloadDir, 'tmpfs_bandwidth'), [join(scratch, 'bandwidth'), String(mib)], { encoding: 'utf8' });
    const rate = /^BYTES_PER_SECOND (\d+)$/m.exec(result.stdout)?.[1];
    if (result.status !== 0 || rate === undefined) throw new Error(`tmpfs_bandwidth failed: ${result.stderr}`);
    runs.push(Number(rate));
  }
  return median(runs);
}

function cptctlStartNs(): number {
  const runs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const from = now();
    spawnSync(join(packageRoot, 'bin', 'cptctl'), ['--version'], { stdio: 'ignore' });
    runs.push(now() - from);
  }
  return median(runs);
}

async function main(): Promise<void> {
  const [outDir, roundsArg] = process.argv.slice(2);
  if (outDir === undefined) throw new Error('usage: guest.js OUTDIR [ROUNDS]');
  const rounds = Number(roundsArg ?? 5);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  const criuVersion =
    spawnSync('criu', ['--version'], { encoding: 'utf8' })
      .stdout.split('\n')[0]
      ?.replace(/^Version:\s*/, '') ?? '?';
  const tmpfsBytesPerSecond = tmpfsBandwidth(256);
  log(`tmpfs bandwidth ${(tmpfsBytesPerSecond / 2 ** 20).toFixed(0)} MiB/s`);
  const startNs = cptctlStartNs();
  const samples: Sample[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const workload of WORKLOADS) {
      // Interleaved, and the order alternates, so that drift hits both tools alike.
      const order: Tool[] = round % 2 ? ['cptctl', 'criu'] : ['criu', 'cptctl'];
      for (const tool of order) {
        const sample = tool === 'cptctl' ? await runCptctl(workload, round) : await runCriu(workload, round);
        samples.push(sample);
        log(
          `round ${round}/${rounds} ${workload.name} ${tool}: checkpoint ${(sample.checkpointNs / 1e6).toFixed(1)} ms, ` +
            `restart ${(sample.restartNs / 1e6).toFixed(1)} ms, frozen ${(sample.frozenNs / 1e6).toFixed(1)} ms, ` +
            `image ${(sample.imageBytes / 2 ** 20).toFixed(2)} MiB`,
        );
      }
    }
  }
  const report: BenchReport = {
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    criuVersion,
    rounds,
    tmpfsBytesPerSecond,
    cptctlStartNs: startNs,
    workloads: WORKLOADS.map(({ program: _program, args: _args, ...workload }) => reportWorkload(workload, samples, tmpfsBytesPerSecond)),
    samples,
  };
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, 'latest.md'), renderMarkdown(report));
  process.stdout.write(renderMarkdown(report));
}

await main();
