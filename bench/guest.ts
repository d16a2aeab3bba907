// The guest side of `npm run bench` (bench/run boots the guest and runs
// this): every workload (or those named) checkpointed (leave-running; a
// server with clients outside its tree --kill --tcp-established) and
// restarted by cptctl and by CRIU, interleaved, round after round, in one
// boot, the server's clients checking after each restart that every
// connection still echoes; the
// tmpfs write bandwidth for the same bytes; then the report, as JSON and
// markdown, into OUTDIR. cptctl runs in this process, through the same
// functions as its command line, so that node's start-up (measured once,
// reported apart) is not counted in each figure; CRIU's own figures come
// from its stats files.
// Usage: node dist/bench/guest.js OUTDIR [ROUNDS [WORKLOAD...]]
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
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
  /**
   * The workload's clients: the same program with these arguments, run
   * outside the tree once the workload wrote DIR/port, and asked to check
   * every connection echoes before the checkpoint and after the restart.
   */
  readonly clients?: readonly string[];
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
  {
    name: 'tcp-100',
    description: 'an epoll echo server with 100 connections to clients outside its tree',
    checkpoint: 'kill',
    program: 'tcp_bench',
    args: ['server', '100'],
    clients: ['clients', '100'],
  },
];

/**
 * CRIU's options for a tree whose connections' peers are outside it. Its
 * network lock (packets of the saved connections dropped from the dump to
 * the restore, so that the clients see no reset) defaults to iptables,
 * which neither the host nor the guest has; Debian's criu is linked with
 * libnftables, and the guest kernel loads nf_tables when asked, so it locks
 * with nftables (a table of its own, with a set of the connections).
 */
const CRIU_TCP_ESTABLISHED = ['--tcp-established', '--network-lock', 'nftables'];

const addon = loadAddon();
const now = (): number => Number(process.hrtime.bigint());

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

/** A failed check of a workload's state: the bench stops there, saying so. */
class VerificationError extends Error {}

/**
 * The clients of a server workload, outside its tree (their own session):
 * one line on their stdin asks for a round of echoes on every connection,
 * one line back says how it went (test/workloads/tcp_bench.c).
 */
class Clients {
  private readonly lines: AsyncIterator<string, undefined>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]() as AsyncIterator<string, undefined>;
  }

  static async start(workload: BenchWorkload, args: readonly string[], dir: string): Promise<Clients> {
    const err = openSync(join(dir, 'clients.err'), 'w');
    const child = spawn(join(workloadDir, workload.program), [dir, ...args], { detached: true, stdio: ['pipe', 'pipe', err] });
    closeSync(err);
    // Writing to clients that died fails: next() then says how they ended.
    child.stdin!.on('error', () => undefined);
    const clients = new Clients(child, dir);
    const line = await clients.next();
    if (!line.startsWith('READY')) throw new Error(`${workload.name}: its clients did not connect: ${line}`);
    return clients;
  }

  /** Their next line, or what became of them. */
  private async next(): Promise<string> {
    const line = await this.lines.next();
    if (!line.done) return line.value;
    await exited(this.child);
    const err = readFileSync(join(this.dir, 'clients.err'), 'utf8').trim();
    return `the clients ended (status ${this.child.exitCode ?? this.child.signalCode})${err ? `: ${err}` : ''}`;
  }

  /** One round of echoes on every connection; a VerificationError, saying when, if one failed. */
  async verify(when: string): Promise<void> {
    this.child.stdin!.write('echo\n');
    const line = await this.next();
    if (!line.startsWith('ECHOED')) throw new VerificationError(`${when}: ${line}`);
  }

  async end(): Promise<void> {
    this.child.kill('SIGKILL');
    await exited(this.child);
  }
}

interface Running {
  readonly pid: number;
  readonly child: ChildProcess;
  readonly clients: Clients | undefined;
}

async function waitForFile(path: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!existsSync(path)) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`${what} did not get ready`);
    await sleep(20);
  }
}

/**
 * Starts the workload in its own session (so that killing its group ends
 * it), and its clients once it listens, then waits for DIR/ready.
 */
async function startWorkload(workload: BenchWorkload, dir: string): Promise<Running> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const out = openSync(join(dir, 'out'), 'w');
  const child = spawn(join(workloadDir, workload.program), [dir, ...workload.args], {
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let clients: Clients | undefined;
  if (workload.clients !== undefined) {
    await waitForFile(join(dir, 'port'), child, workload.name);
    clients = await Clients.start(workload, workload.clients, dir);
  }
  await waitForFile(join(dir, 'ready'), child, workload.name);
  return { pid: child.pid!, child, clients };
}

/**
 * Runs one sample of the workload with the tool: start, check its clients'
 * connections, the tool's own steps (checkpoint, kill, restart), check
 * them again, end. The clients go whatever happens.
 */
async function withWorkload(
  workload: BenchWorkload,
  tool: Tool,
  dir: string,
  steps: (running: Running) => Promise<Sample>,
): Promise<Sample> {
  const running = await startWorkload(workload, dir);
  try {
    await running.clients?.verify(`${workload.name}, ${tool}, before the checkpoint`);
    return await steps(running);
  } finally {
    await running.clients?.end();
  }
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
  const kill = workload.checkpoint === 'kill';
  return withWorkload(workload, 'cptctl', dir, async (running) => {
    let from = now();
    const checkpointed = await checkpoint(
      { pid: running.pid, output: image, disposition: kill ? 'kill' : 'leave-running', tcpEstablished: kill },
      { addon },
    );
    const checkpointWallNs = now() - from;
    await killGroup(running.pid, () => exited(running.child));
    from = now();
    const restarted = await restart({ image }, { addon });
    const restartWallNs = now() - from;
    await running.clients?.verify(`${workload.name}, round ${round}, after cptctl's restart`);
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
  });
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
  // Without --leave-running, criu dump kills the tree once it is saved.
  const [dumpMode, restoreMode] = workload.checkpoint === 'kill' ? [CRIU_TCP_ESTABLISHED, CRIU_TCP_ESTABLISHED] : [['--leave-running'], []];
  return withWorkload(workload, 'criu', dir, async (running) => {
    const checkpointWallNs = criu(['dump', '-t', String(running.pid), '-D', images, ...dumpMode, '-o', 'dump.log']);
    const dump = criuStats(images, 'stats-dump');
    await killGroup(running.pid, () => exited(running.child));
    const restartWallNs = criu(['restore', '-D', images, '-d', ...restoreMode, '-o', 'restore.log']);
    const restore = criuStats(images, 'stats-restore');
    await running.clients?.verify(`${workload.name}, round ${round}, after CRIU's restore`);
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
  });
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

/** The workloads named (all of them without names), in the table's order; an unknown name is an error. */
function selectWorkloads(names: readonly string[]): readonly BenchWorkload[] {
  const unknown = names.filter((name) => !WORKLOADS.some((w) => w.name === name));
  if (unknown.length > 0) throw new Error(`unknown workload ${unknown.join(', ')}: there are ${WORKLOADS.map((w) => w.name).join(', ')}`);
  return names.length === 0 ? WORKLOADS : WORKLOADS.filter((w) => names.includes(w.name));
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
  const [outDir, roundsArg, ...names] = process.argv.slice(2);
  if (outDir === undefined) throw new Error('usage: guest.js OUTDIR [ROUNDS [WORKLOAD...]]');
  const rounds = Number(roundsArg ?? 5);
  const workloads = selectWorkloads(names);
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
    for (const workload of workloads) {
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
    workloads: workloads.map(({ program: _program, args: _args, clients: _clients, ...workload }) =>
      reportWorkload(workload, samples, tmpfsBytesPerSecond),
    ),
    samples,
  };
  // A run of some workloads leaves the last full run's files as they are.
  const base = names.length > 0 ? 'latest-some' : 'latest';
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, `${base}.json`), `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(join(outDir, `${base}.md`), renderMarkdown(report));
  process.stdout.write(renderMarkdown(report));
}

try {
  await main();
} catch (error) {
  const what = error instanceof VerificationError ? 'a workload failed its check' : 'failed';
  log(`${what}: ${error instanceof Error ? error.message : String(error)}`);
  // Processes of a failed sample may be left, holding node's pipes open.
  process.exit(1);
}
