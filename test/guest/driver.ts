// The guest side of the guest tests: one node per boot runs the scenarios
// named on its command line (rows of test/guest/scenarios/), one by one,
// each under its own timeout, and prints what they report:
//   SCENARIO-START <name>
//   RESULT <name>.<check> PASS|FAIL <detail>   (and whatever else it prints)
//   SCENARIO-END <name> done|timeout|error <seconds> <detail>
// cptctl's checkpoint and restart run in this process where the command
// line itself is not under test, so that node's start-up (about 3 s under
// emulation) is paid once per boot, not twice per cycle; the shell
// scenarios' other cptctl calls go through one more node for the boot
// (cptctl-server.ts, lib.sh's cptctl_in), and those made as another user
// through one node per caller (lib.sh's cptctl_as). A scenario that
// hangs costs itself only: the driver shows `ps` and the kernel log's tail,
// kills every process the scenario left, and goes on with the next.
// With CPT_GUEST_PROFILE=1 in its environment, it says where each
// scenario's time went (profile.ts: `# PROFILE` lines).
// Usage (in the guest, from the repository): node dist/test/guest/driver.js SCENARIO...
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { constants } from 'node:os';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { checkpoint } from '../../src/commands/checkpoint/checkpoint.js';
import { imagesUnder, roundTrip } from '../../src/commands/encode/round-trip.js';
import { restart } from '../../src/commands/restart/restart.js';
import { shellExitStatus } from '../../src/commands/restart/status.js';
import { loadAddon } from '../../src/native.js';
import { packageRoot } from '../../src/package.js';
import type { CycleRun, Scenario, ScenarioContext, Workload } from './scenarios/scenario.js';
import { X32_KERNEL_ARG } from './scenarios/scenario.js';
import { CallerServers, CptctlServer } from './cptctl-server.js';
import { scenarioNamed } from './scenarios/table.js';
import { Profile } from './profile.js';

let profile = new Profile('');

const addon = loadAddon();
const workloadDir = join(packageRoot, 'test', 'workloads', 'build');
const shellDir = join(packageRoot, 'test', 'guest', 'shell');
const scratchRoot = '/tmp/cpt-scenarios';
const server = new CptctlServer('/tmp/cpt-driver');
const callerServers = new CallerServers('/tmp/cpt-driver/callers');
/**
 * How much slower than the stock guest kernel this one runs: vm/run
 * --debug-kernel (KASAN, lockdep) sets CPT_GUEST_TIME_SCALE, which stretches
 * every scenario's timeout and the wait for READY alike.
 */
const timeScale = Math.max(1, Number(process.env['CPT_GUEST_TIME_SCALE'] ?? '1') || 1);
/** How long a workload may take to print READY, as lib.sh's wait_until allowed. */
const READY_MS = 30_000 * timeScale;
/** How long each of ps and dmesg may take in a timed-out scenario's diagnostics. */
const DIAGNOSTIC_TIMEOUT_MS = 10_000;

function print(line: string): void {
  // Synchronous, so that it stays in order with what child processes write to the same fd.
  writeSync(1, `${line}\n`);
}

function errorMessage(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\n/g, ' ');
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

const pidGone = (pid: number): boolean => !existsSync(`/proc/${pid}`);

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The workload's RESULT lines, renamed into the scenario's (`RESULT x` -> `RESULT name.x`). */
function printWorkloadResults(name: string, out: string): void {
  for (const line of readText(out).split('\n')) {
    if (line.startsWith('RESULT ')) print(`RESULT ${name}.${line.slice('RESULT '.length)}`);
  }
}

class Context implements ScenarioContext {
  pid = 0;

  constructor(
    private readonly scenario: Scenario,
    readonly dir: string,
  ) {}

  get image(): string {
    return join(this.dir, 'cycle.img');
  }

  get out(): string {
    return join(this.dir, 'out');
  }

  result(check: string, passed: boolean, detail: string): void {
    print(`RESULT ${check} ${passed ? 'PASS' : 'FAIL'} ${detail.replace(/\n/g, ' ')}`);
  }

  shell(file: string, fn: string, env: Readonly<Record<string, string>> = {}): Promise<void> {
    return profile.time('shell', () =>
      runShell(file, fn, {
        ...env,
        name: this.scenario.name,
        scratch: this.dir,
        img: this.image,
        out: this.out,
        pid: String(this.pid),
      }),
    );
  }

  async startWorkload(program: string, args: readonly string[]): Promise<Workload> {
    const fd = openSync(this.out, 'w');
    // The workload stays in the driver's session and process group, as it
    // was in the shell's: the module's handling of both is under test.
    const child = spawn(join(workloadDir, program), args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === null ? 0 : constants.signals[signal])));
    });
    let over = false;
    void exited.then(() => {
      over = true;
    });
    const readyLine = (): RegExpExecArray | null => /^READY ?(.*)$/m.exec(readText(this.out));
    await profile.time('ready', () => waitUntil(() => over || readyLine() !== null, READY_MS));
    const ready = readyLine();
    if (child.pid === undefined || ready === null) {
      child.kill('SIGKILL');
      throw new Error(`${program} never got ready: ${readText(this.out).split('\n').slice(-3).join(' ')}`);
    }
    this.pid = child.pid;
    return { pid: child.pid, ready: ready[1] ?? '', exited };
  }

  go(): void {
    closeSync(openSync(join(this.dir, 'go'), 'w'));
  }

  relayResults(prefix: string): void {
    printWorkloadResults(prefix, this.out);
  }

  async checkpoint(pid: number, disposition: 'leave-running' | 'kill'): Promise<string | null> {
    try {
      await profile.time('checkpoint', () => checkpoint({ pid, output: this.image, disposition }, { addon }));
      return null;
    } catch (error: unknown) {
      return errorMessage(error);
    }
  }

  async restart(image: string): Promise<Workload> {
    const restarted = await profile.time('restart', () => restart({ image }, { addon }));
    const exited = addon.waitForExit(restarted.pid).then(shellExitStatus);
    return { pid: restarted.pid, ready: '', exited };
  }
}

function runShell(file: string, fn: string, environment: Readonly<Record<string, string>>): Promise<void> {
  const script = `. "$0/${file}.sh" && ${fn}`;
  server.start();
  const child = spawn('/bin/sh', ['-c', script, shellDir], {
    cwd: packageRoot,
    env: { ...process.env, ...environment, ...server.env, cptctl_callers: callerServers.dir },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // Its RESULT lines are the verdicts; a last command's status is not.
    child.once('exit', (code, signal) => {
      if (code !== 0) print(`# ${fn} exited ${code ?? signal}`);
      resolve();
    });
  });
}

/** checkpoint --kill, restart (twice if asked), each restarted workload poked and waited for. */
async function runCycle(context: Context, name: string, cycle: CycleRun): Promise<void> {
  const workload = await context.startWorkload(cycle.workload, cycle.args(context.dir));
  const failure = await context.checkpoint(workload.pid, 'kill');
  if (failure !== null) {
    context.result(`${name}.checkpoint`, false, failure);
    process.kill(workload.pid, 'SIGKILL');
    return;
  }
  await profile.time('killed', async () => {
    await workload.exited;
    await waitUntil(() => pidGone(workload.pid), READY_MS);
  });
  context.result(`${name}.checkpoint`, true, `image of ${statSync(context.image).size} bytes; the original was killed`);
  await cycle.between?.(context);
  await restartAndWait(context, name, cycle, '');
  if (cycle.twice === true) await restartAndWait(context, name, cycle, '-again');
  context.relayResults(name);
  await cycle.after?.(context);
}

async function restartAndWait(context: Context, name: string, cycle: CycleRun, suffix: string): Promise<void> {
  const expected = cycle.exitStatus ?? 0;
  const go = join(context.dir, 'go');
  rmSync(go, { force: true });
  let detail: string;
  let status: number | null = null;
  try {
    const restarted = await profile.time('restart', () => restart({ image: context.image }, { addon }));
    if (cycle.poke === undefined) context.go();
    else process.kill(restarted.pid, cycle.poke.signal);
    status = shellExitStatus(await profile.time('restarted-run', () => addon.waitForExit(restarted.pid)));
    detail = `restarted workload exited ${status}, expected ${expected}`;
  } catch (error: unknown) {
    detail = `restart failed: ${errorMessage(error)}`;
  }
  context.result(`${name}.exit-status${suffix}`, status === expected, detail);
}

/**
 * What runs when the driver starts, by pid and start time: never killed as
 * a scenario's leftover. Its own line of ancestors, and whatever else the
 * guest's command runs beside it: the other commands of a pipeline that
 * reads its output (`driver.js ... | tee LOG`), which, killed, would leave
 * the driver writing into a pipe with no reader (EPIPE).
 */
function processesNow(): Map<number, string> {
  const kept = new Map<number, string>();
  for (const pid of processIds()) {
    const started = startTimeOf(pid);
    if (started !== undefined) kept.set(pid, started);
  }
  return kept;
}

function processIds(): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number);
}

/** The fields of /proc/PID/stat after the command's name (the state first), or undefined once it is gone. */
function statFields(pid: number): string[] | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  return stat === '' ? undefined : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function parentOf(pid: number): number | undefined {
  const fields = statFields(pid);
  return fields === undefined ? undefined : Number(fields[1]);
}

/** Its start time (stat's field 22), which tells it from a later process given the same pid. */
function startTimeOf(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

/** Every process but those kept and kernel threads: what a scenario left running. */
function leftovers(kept: ReadonlyMap<number, string>): number[] {
  return processIds().filter((pid) => {
    const parent = parentOf(pid);
    return parent !== undefined && parent !== 2 && kept.get(pid) !== startTimeOf(pid);
  });
}

async function killLeftovers(kept: ReadonlyMap<number, string>): Promise<number[]> {
  const found = leftovers(kept);
  for (const pid of found) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  await waitUntil(() => leftovers(kept).length === 0, 5000);
  return found;
}

/**
 * A diagnostic command's output, or why there is none. Bounded: ps reads
 * every task's cmdline under its mmap_lock, which the hung scenario may
 * hold, and a diagnostic must not hang the boot in turn.
 */
function diagnosticOutput(command: string, args: string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: DIAGNOSTIC_TIMEOUT_MS, killSignal: 'SIGKILL' });
  if (run.error) return `${run.stdout ?? ''}\n(${command} did not finish: ${run.error.message})`;
  return run.stdout ?? '';
}

function diagnostics(name: string): void {
  const ps = diagnosticOutput('ps', ['-eo', 'pid,ppid,pgid,sid,stat,wchan:24,args']);
  const dmesg = diagnosticOutput('dmesg', []).split('\n').slice(-40);
  for (const line of ps.split('\n')) print(`# ${name} ps: ${line}`);
  for (const line of dmesg) print(`# ${name} dmesg: ${line}`);
}

/**
 * Larger images are left out of the round trip: their JSON (page data in
 * base64) would not fit the guest's memory beside the driver. The suite's
 * largest such image is tty-progress's, 256 MiB; the round trip's own host test covers 8 MiB of pages.
 */
const ROUND_TRIP_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Where the caller of vm/run wants the images, to round-trip them itself
 * (test/helpers/guest-boot.ts, into the repository's share): the round trip
 * is user-space code only, and the host runs it some 40 times faster than
 * this emulated CPU (the 21,000-file image of many-fds: 1.2 s there, 50 s
 * here). Unset (a boot by hand, the debug kernel's), the driver round-trips
 * them itself.
 */
const roundTripDir = process.env['CPT_ROUNDTRIP_DIR'];

/**
 * Every image a scenario wrote (`*.img`: a cycle's `cycle.img`, the shell's
 * own) must come back byte for byte through `inspect --json` then `encode`
 * (as CRIU's crit decode/encode): one RESULT roundtrip.<scenario>.<image>
 * each, here or, copied to roundTripDir/<scenario>/<image>.img, by the host.
 */
async function roundTripImages(context: Context, name: string, dir: string): Promise<void> {
  for (const image of imagesUnder(dir)) {
    const label = relative(dir, image)
      .replace(/\.img$/, '')
      .replace(/[\s/]/g, '_');
    const size = statSync(image).size;
    if (size > ROUND_TRIP_MAX_BYTES) {
      print(`# ${name}: ${label}.img (${size} bytes) is above the round trip's ${ROUND_TRIP_MAX_BYTES} bytes`);
      continue;
    }
    if (roundTripDir !== undefined) {
      try {
        mkdirSync(join(roundTripDir, name), { recursive: true });
        const copy = join(roundTripDir, name, `${label}.img`);
        copyFileSync(image, copy);
        // Through to the host (the share is cache=loose: written back some
        // time later), which round-trips it once this scenario's end is printed.
        const fd = openSync(copy, 'r+');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      } catch (error: unknown) {
        context.result(`roundtrip.${name}.${label}`, false, `cannot copy it for the round trip: ${errorMessage(error)}`);
      }
      continue;
    }
    const started = Date.now();
    try {
      const result = await roundTrip(image);
      const took = ((Date.now() - started) / 1000).toFixed(1);
      context.result(`roundtrip.${name}.${label}`, true, `${result.records} records, ${result.bytes} bytes, identical (${took} s)`);
    } catch (error: unknown) {
      context.result(`roundtrip.${name}.${label}`, false, errorMessage(error).replace(/\n/g, ' '));
    }
  }
}

/** Whatever a scenario did to the module (rmmod), the next one finds it loaded. */
function ensureModuleLoaded(): void {
  if (existsSync('/dev/cpt')) return;
  // vm/run names the cpt.ko it loaded (the debug kernel's is not kmod/cpt.ko).
  spawnSync('insmod', [process.env['CPT_GUEST_MODULE'] ?? join(packageRoot, 'kmod', 'cpt.ko')], { stdio: 'inherit' });
}

async function runScenario(scenario: Scenario, kept: ReadonlyMap<number, string>): Promise<void> {
  const dir = join(scratchRoot, scenario.name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const context = new Context(scenario, dir);
  const { run } = scenario;
  const started = Date.now();
  profile = new Profile(scenario.name);
  print(`SCENARIO-START ${scenario.name}`);
  if (scenario.x32 === true) {
    const booted = readText('/proc/cmdline').split(/\s+/).includes(X32_KERNEL_ARG);
    context.result(
      `${scenario.name}.x32-kernel`,
      booted,
      booted
        ? `the kernel was booted with ${X32_KERNEL_ARG}`
        : `its x32 checks need a kernel booted with ${X32_KERNEL_ARG} (vm/run: CPT_VM_APPEND=${X32_KERNEL_ARG})`,
    );
  }
  const work = profile.time('work', () =>
    run.kind === 'cycle'
      ? runCycle(context, scenario.name, run)
      : run.kind === 'shell'
        ? context.shell(run.file, `scenario_${run.fn}`, run.env)
        : run.run(context),
  );
  const timedOut = Symbol('timeout');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), scenario.timeoutSeconds * timeScale * 1000);
  });
  let verdict = 'done';
  let detail = '';
  try {
    if ((await Promise.race([work, timeout])) === timedOut) {
      verdict = 'timeout';
      detail = `no end within ${scenario.timeoutSeconds * timeScale}s`;
      diagnostics(scenario.name);
    }
  } catch (error: unknown) {
    verdict = 'error';
    detail = errorMessage(error);
  } finally {
    clearTimeout(timer);
  }
  if (verdict === 'done') await profile.time('roundtrip', () => roundTripImages(context, scenario.name, dir));
  // cptctl_in's and cptctl_as's nodes go on to the next scenario, unless this one was cut short in the middle of a call.
  const serving = verdict === 'done' ? [server.running ?? [], callerServers.running()].flat() : [];
  const servingSince = serving.flatMap((pid): [number, string][] => {
    const since = startTimeOf(pid);
    return since === undefined ? [] : [[pid, since]];
  });
  const left = await profile.time('leftovers', () => killLeftovers(new Map([...kept, ...servingSince])));
  callerServers.forgetEnded();
  if (left.length > 0) print(`# ${scenario.name} left processes behind, killed: ${left.join(' ')}`);
  await profile.time('insmod', ensureModuleLoaded);
  // Its files are the guest's memory (tmpfs), for the rest of the boot: a
  // boot runs half the table, some of whose images are 256 MiB.
  rmSync(dir, { recursive: true, force: true });
  profile.report();
  print(`SCENARIO-END ${scenario.name} ${verdict} ${((Date.now() - started) / 1000).toFixed(1)} ${detail}`);
}

async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const scenarios = names.map(scenarioNamed);
  const kept = processesNow();
  for (const scenario of scenarios) await runScenario(scenario, kept);
  await server.stop();
  await callerServers.stop();
}

await main();
