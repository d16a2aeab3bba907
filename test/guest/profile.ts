// Where a scenario's guest time goes, when the guest's environment has
// CPT_GUEST_PROFILE=1 (vm/run passes its caller's on): after each
// scenario, a line
//   # PROFILE <name> total=MS busy=MS idle=MS forks=N <phase>=MS...
//     cptctl_in=CALLS/MS [MS:command,...] execs=[file:count:MS,...]
// with the vCPU's busy and idle time (/proc/stat), the processes forked,
// the driver's phases (test/guest/driver.ts: READY waits, in-process
// checkpoints and restarts, shells, round trips, leftovers), the time of
// each cptctl_in call inside its node (cptctl-batch.ts), and each program
// the scenario's processes ran, how often and for how long from exec to
// exit (the sched_process_exec and sched_process_exit tracepoints).
// Off, it costs nothing but a test of the variable.
import { appendFileSync, existsSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const profiling = process.env['CPT_GUEST_PROFILE'] === '1';
const TRACE = '/sys/kernel/tracing';
/** Where cptctl-batch.ts's nodes write a line per call: its milliseconds, its command. */
const CALL_LOG = '/tmp/cpt-driver-profile';
/** /proc/stat's unit (USER_HZ). */
const TICK_MS = 10;

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

interface Counters {
  at: number;
  busy: number;
  idle: number;
  forks: number;
}

function counters(): Counters {
  const stat = readText('/proc/stat');
  const cpu = (/^cpu\s+(.*)$/m.exec(stat)?.[1] ?? '').split(/\s+/).map(Number);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  const busy = cpu.reduce((a, b) => a + b, 0) - idle;
  return { at: Date.now(), busy: busy * TICK_MS, idle: idle * TICK_MS, forks: Number(/^processes (\d+)$/m.exec(stat)?.[1] ?? 0) };
}

let tracing: boolean | undefined;

/** Turns the tracepoints on, once: whether they are. */
function trace(): boolean {
  if (tracing !== undefined) return tracing;
  if (!existsSync(`${TRACE}/trace`)) spawnSync('mount', ['-t', 'tracefs', 'nodev', TRACE]);
  try {
    writeFileSync(`${TRACE}/buffer_size_kb`, '4096');
    for (const event of ['sched_process_exec', 'sched_process_exit']) writeFileSync(`${TRACE}/events/sched/${event}/enable`, '1');
    writeFileSync(`${TRACE}/tracing_on`, '1');
    tracing = true;
  } catch (error: unknown) {
    writeSync(1, `# PROFILE no tracepoints: ${String(error)}\n`);
    tracing = false;
  }
  return tracing;
}

/** Each program run since the trace was emptied: how often, and for how many milliseconds from exec to exit in all. */
function programs(): Map<string, { count: number; ms: number }> {
  const ran = new Map<string, { count: number; ms: number }>();
  const running = new Map<string, { file: string; at: number }>();
  const events = / (\d+\.\d+): sched_process_(?:exec: filename=(\S+) pid=(\d+)|exit: comm=\S* pid=(\d+))/g;
  for (const [, seconds, path, execPid, exitPid] of readText(`${TRACE}/trace`).matchAll(events)) {
    const at = Number(seconds) * 1000;
    if (path !== undefined && execPid !== undefined) {
      const file = path.slice(path.lastIndexOf('/') + 1);
      const sofar = ran.get(file) ?? { count: 0, ms: 0 };
      ran.set(file, { count: sofar.count + 1, ms: sofar.ms });
      running.set(execPid, { file, at });
    } else if (exitPid !== undefined) {
      const started = running.get(exitPid);
      running.delete(exitPid);
      const sofar = started === undefined ? undefined : ran.get(started.file);
      if (started !== undefined && sofar !== undefined) ran.set(started.file, { count: sofar.count, ms: sofar.ms + at - started.at });
    }
  }
  return ran;
}

/** One scenario's profile, from its start to report(). */
export class Profile {
  private readonly phases = new Map<string, number>();
  private readonly start: Counters | undefined;

  constructor(readonly name: string) {
    if (!profiling) return;
    if (trace()) writeFileSync(`${TRACE}/trace`, '');
    writeFileSync(CALL_LOG, '');
    this.start = counters();
  }

  /** work(), its time added to the phase's. */
  async time<T>(phase: string, work: () => Promise<T> | T): Promise<T> {
    if (this.start === undefined) return work();
    const began = Date.now();
    try {
      return await work();
    } finally {
      this.phases.set(phase, (this.phases.get(phase) ?? 0) + Date.now() - began);
    }
  }

  report(): void {
    const start = this.start;
    if (start === undefined) return;
    const now = counters();
    const phases = [...this.phases].map(([phase, ms]) => `${phase}=${ms}`).join(' ');
    const ran = tracing === true ? programs() : new Map<string, { count: number; ms: number }>();
    const execs = [...ran]
      .sort((a, b) => b[1].ms - a[1].ms)
      .map(([file, { count, ms }]) => `${file}:${count}:${Math.round(ms)}`)
      .join(',');
    const calls = readText(CALL_LOG)
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => line.split(' '));
    const callMs = calls.reduce((sum, [ms]) => sum + Number(ms), 0);
    writeSync(
      1,
      `# PROFILE ${this.name} total=${now.at - start.at} busy=${now.busy - start.busy} idle=${now.idle - start.idle} ` +
        `forks=${now.forks - start.forks} ${phases} cptctl_in=${calls.length}/${callMs} ` +
        `[${calls.map(([ms, command]) => `${ms}:${command}`).join(',')}] execs=[${execs}]\n`,
    );
  }
}

/** For cptctl-batch.ts's nodes: a call's milliseconds and command, to the scenario's profile. */
export function logCall(ms: number, args: readonly string[]): void {
  if (!profiling) return;
  try {
    appendFileSync(CALL_LOG, `${ms} ${args[0] ?? ''}\n`);
  } catch {
    // A caller's node (cptctl_as) may not write root's file: its calls go unprofiled.
  }
}
