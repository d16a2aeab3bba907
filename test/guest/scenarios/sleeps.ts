// Sleeps and waits interrupted by the checkpoint: after the restart each
// goes on with the time it had left (the kernel's restart block, the
// timeout select(), pselect() and ppoll() updated, or cpt's own restart of
// a timed epoll_wait() or sigtimedwait()), an absolute one keeps its
// deadline, and one made ready (timed or not) still wakes. Left running
// by the checkpoint, each ends when it was to end. A restart block cpt does not support is refused by name with the
// process left as it was, and an image whose restart block is hostile is refused before
// anything runs.
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { encodeJsonText } from '../../../src/commands/encode/encode.js';
import { formatInspectJson } from '../../../src/commands/inspect/format.js';
import { inspect } from '../../../src/commands/inspect/inspect.js';
import type { Hook, Scenario, ScenarioContext, Workload } from './scenario.js';
import { cycle, inDir } from './rows.js';

/** The restart comes this long after the checkpoint: a relative sleep must not count it. */
const PAUSE_MS = 3000;

/** The syscall numbers /proc/PID/syscall shows for a sleep: restart_syscall (219) or nanosleep (230). */
const SLEEPING = /^(219|230) /;

function syscallOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/syscall`, 'utf8');
  } catch {
    return '';
  }
}

async function until(condition: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  for (const deadline = Date.now() + timeoutMs; !condition(); await sleep(20)) {
    if (Date.now() > deadline) return false;
  }
  return true;
}

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\n/g, ' ');
}

interface RecordJson {
  type?: string;
  message?: { restartBlock?: Record<string, unknown> };
}

/**
 * The sleep's image (its inspect JSON) with its restart block edited: must
 * be refused by restart, the message matching `says`.
 */
async function restartEdited(
  context: ScenarioContext,
  json: string,
  name: string,
  edit: (block: Record<string, unknown>) => void,
  says: RegExp,
): Promise<void> {
  const document = JSON.parse(json) as { recordList: RecordJson[] };
  for (const record of document.recordList) {
    if (record.type === 'CPU' && record.message?.restartBlock !== undefined) edit(record.message.restartBlock);
  }
  const image = join(context.dir, `${name}.img`);
  let said: string;
  try {
    writeFileSync(image, (await encodeJsonText(JSON.stringify(document), `${name}.json`)).bytes);
    const restarted = await context.restart(image);
    process.kill(restarted.pid, 'SIGKILL');
    said = `restarted as pid ${restarted.pid}`;
  } catch (error: unknown) {
    said = messageOf(error);
  }
  context.result(`sleeps.${name}-refused`, says.test(said), `restart: ${said}`);
}

/** Each thread's restart block in an image, by kind: how many. */
async function restartKinds(image: string): Promise<Map<string, number>> {
  const { summary, records } = await inspect(image, { records: true });
  const document = JSON.parse(formatInspectJson(summary, image, records)) as { recordList: RecordJson[] };
  const kinds = new Map<string, number>();
  for (const record of document.recordList) {
    const kind = record.type === 'CPU' ? record.message?.restartBlock?.['kind'] : undefined;
    if (typeof kind === 'string') kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  return kinds;
}

/**
 * The sleeps image: the timed epoll_wait()s (epoll_wait, epoll_pwait,
 * epoll_pwait2, the one made ready) and sigtimedwait()s (the one timing out,
 * the one sent a signal) have restart blocks of their own kinds.
 */
const imageHasTimedWaits: Hook = async (context) => {
  const kinds = await restartKinds(context.image);
  context.result(
    'sleeps.image-has-timed-waits',
    kinds.get('EPOLL_WAIT') === 4 && kinds.get('SIGTIMEDWAIT') === 2,
    `restart blocks by kind: ${JSON.stringify(Object.fromEntries(kinds))}`,
  );
};

/** The sleeps workload checkpointed and left running: each sleep ends when it was to. */
async function sleepsLeftRunning(context: ScenarioContext): Promise<void> {
  const workload = await context.startWorkload('sleeps', [context.dir, 'leave']);
  const failure = await context.checkpoint(workload.pid, 'leave-running');
  context.result('sleeps-leave.checkpoint', failure === null, failure ?? 'the tree was left running');
  context.go();
  const status = await workload.exited;
  context.result('sleeps-leave.exit-status', status === 0, `the workload exited ${status}`);
  context.relayResults('sleeps-leave');
}

/** What the sleeps workload checks, in both rows. */
const SLEEP_CHECKS = {
  heartbeat: 'the sleeps workload sees when it was frozen and when it resumed',
  nanosleep: 'an interrupted nanosleep goes on with the time it had left',
  'monotonic-relative': 'an interrupted relative clock_nanosleep on CLOCK_MONOTONIC goes on with the time it had left',
  'realtime-relative': 'an interrupted relative clock_nanosleep on CLOCK_REALTIME goes on with the time it had left',
  'monotonic-absolute': 'an interrupted TIMER_ABSTIME clock_nanosleep on CLOCK_MONOTONIC keeps its deadline',
  'realtime-absolute': 'an interrupted TIMER_ABSTIME clock_nanosleep on CLOCK_REALTIME keeps its deadline',
  'futex-timeout': 'an interrupted FUTEX_WAIT with a timeout times out after the time it had left',
  'poll-timeout': 'an interrupted poll() with a timeout returns 0 after the time it had left',
  'select-timeout': 'an interrupted select() with a timeout returns 0 after the time it had left',
  'ppoll-timeout': 'an interrupted ppoll() with a timeout returns 0 after the time it had left',
  'pselect-timeout': 'an interrupted pselect() with a timeout returns 0 after the time it had left',
  'epoll-timeout': 'an interrupted epoll_wait() with a timeout returns 0 after the time it had left, not EINTR',
  'epoll-pwait-timeout':
    'an interrupted epoll_pwait() with a timeout and a mask returns 0 after the time it had left, and the thread has its own mask again',
  'epoll-pwait-mask': "an interrupted epoll_pwait()'s thread has the call's mask while the wait goes on",
  'epoll-pwait2-timeout': 'an interrupted epoll_pwait2() with a timeout returns 0 after the time it had left',
  'sigtimedwait-timeout': 'an interrupted sigtimedwait() with a timeout fails with EAGAIN after the time it had left, not EINTR',
  'epoll-timed-ready': 'an interrupted epoll_wait() with a timeout returns its pipe when written after the restart',
  'sigtimedwait-timed-ready': 'an interrupted sigtimedwait() with a timeout returns the signal sent after the restart, with its siginfo',
  'poll-ready': 'an interrupted untimed poll() returns its pipe when written after the restart',
  'epoll-ready': 'an interrupted untimed epoll_wait() returns its pipe when written after the restart, not EINTR',
  'sigwaitinfo-ready': 'an interrupted sigwaitinfo() returns the signal sent after the restart, not EINTR',
  'futex-woken': 'an interrupted untimed FUTEX_WAIT returns when woken after the restart',
  'nanosleep-rmtp': 'a restarted nanosleep interrupted by a signal writes the time it had left to rmtp',
} as const;

/** The checks of a row, their titles prefixed by how the row differs (titles are unique). */
function sleepChecks(row: string, how = ''): Record<string, string> {
  return Object.fromEntries(Object.entries(SLEEP_CHECKS).map(([name, what]) => [`${row}.${name}`, `${how}${what}`]));
}

/** A checkpoint of pid leaving it running must be refused, its message saying `says`: check `name`. */
async function checkpointRefused(context: ScenarioContext, pid: number, name: string, says: string): Promise<void> {
  const failure = await context.checkpoint(pid, 'leave-running');
  context.result(name, failure?.includes(says) === true, `checkpoint: ${failure ?? 'succeeded'}`);
}

/** The checkpoint that kills workload, checked as `row.checkpoint`: whether it succeeded (the workload gone). */
async function checkpointKilled(context: ScenarioContext, workload: Workload, row: string): Promise<boolean> {
  const failure = await context.checkpoint(workload.pid, 'kill');
  context.result(`${row}.checkpoint`, failure === null, failure ?? 'checkpointed and killed');
  if (failure !== null) process.kill(workload.pid, 'SIGKILL');
  await workload.exited;
  return failure === null;
}

/**
 * A sleep on a CPU-time clock: its checkpoint is refused, and the sleep goes
 * on. A sleep 1000: its image holds the restart block, which, edited into
 * what no sleep has, is refused; unedited, it restarts asleep.
 */
async function sleepRefusals(context: ScenarioContext): Promise<void> {
  const cpuClock = await context.startWorkload('sleeps', [context.dir, 'cpu-clock']);
  await checkpointRefused(context, cpuClock.pid, 'sleeps.cpu-clock-refused', 'posix_cpu_nsleep_restart');
  context.go();
  await cpuClock.exited;
  context.relayResults('sleeps');

  const sleeper = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const pid = sleeper.pid ?? 0;
  const gone = new Promise((resolve) => sleeper.once('exit', resolve));
  await until(() => syscallOf(pid).startsWith('230 '));
  const image = join(context.dir, 'sleep.img');
  const failed = await context.checkpoint(pid, 'kill');
  await gone;
  if (failed !== null) {
    context.result('sleeps.image-has-restart-block', false, `checkpoint of the sleep 1000: ${failed}`);
    return;
  }
  renameSync(context.image, image);
  const { summary, records } = await inspect(image, { records: true });
  const json = formatInspectJson(summary, image, records);
  const block = (JSON.parse(json) as { recordList: RecordJson[] }).recordList.find((r) => r.type === 'CPU')?.message?.restartBlock;
  context.result(
    'sleeps.image-has-restart-block',
    block?.['kind'] === 'NANOSLEEP' && Number(block['leftNs']) > 900e9,
    `the CPU record of a sleep 1000 has the restart block ${JSON.stringify(block)}`,
  );
  await restartEdited(context, json, 'bad-clock', (b) => (b['clockid'] = 99), /EBADMSG.*nanosleep restart block on clock 99/);
  await restartEdited(context, json, 'kernel-rmtp', (b) => (b['rmtp'] = '18446612682070032384'), /EBADMSG.*rmtp 0xffff888000000000/);
  await restartEdited(
    context,
    json,
    'epoll-kernel-events',
    (b) => Object.assign(b, { kind: 'EPOLL_WAIT', clockid: 1, fd: 3, maxevents: 1, uaddr: '18446612682070032384' }),
    /EBADMSG.*timed wait of kind 4: fd 3, 1 events at 0xffff888000000000/,
  );
  await restartEdited(
    context,
    json,
    'futex-unaligned',
    (b) => Object.assign(b, { kind: 'FUTEX_WAIT', clockid: 1, uaddr: '4097', bitset: 1 }),
    /EBADMSG.*futex wait restart block on 0x1001/,
  );
  let restarted: string;
  let asleep = false;
  try {
    const again = await context.restart(image);
    asleep = again.pid === pid && (await until(() => SLEEPING.test(syscallOf(pid)), 10_000));
    restarted = `restarted as pid ${again.pid} (saved ${pid}), in syscall ${syscallOf(again.pid).slice(0, 60)}`;
    process.kill(again.pid, 'SIGKILL');
  } catch (error: unknown) {
    restarted = `restart: ${messageOf(error)}`;
  }
  context.result('sleeps.restarted-asleep', asleep, `the unedited image: ${restarted}`);
}

/** How many checkpoints leaving the timed_wait_loop tree running come before the one that kills it. */
const LOOP_CHECKPOINTS = 20;

/**
 * Waits for a restarted (or left running) timed_wait_loop to end after its
 * go, relaying its checks under row.
 */
async function loopEnds(context: ScenarioContext, row: string, exited: Promise<number>): Promise<void> {
  await sleep(1000);
  context.go();
  const status = await exited;
  context.result(`${row}.exit-status`, status === 0, `the workload exited ${status}`);
  context.relayResults(row);
}

/**
 * Timed waits looping with tiny timeouts (timed_wait_loop), caught by
 * LOOP_CHECKPOINTS checkpoints that leave them running, then one that
 * kills them, and restarted: none returns EINTR, or before its timeout.
 */
async function timedWaitLoop(context: ScenarioContext): Promise<void> {
  const workload = await context.startWorkload('timed_wait_loop', [context.dir]);
  const failures: string[] = [];
  for (let i = 0; i < LOOP_CHECKPOINTS; i++) {
    const failure = await context.checkpoint(workload.pid, 'leave-running');
    if (failure !== null) failures.push(failure);
    await sleep(50);
  }
  context.result(
    'sleeps-loop.left-running',
    failures.length === 0,
    `${LOOP_CHECKPOINTS - failures.length} of ${LOOP_CHECKPOINTS} checkpoints left the looping waits running${failures.length ? `: ${failures[0]!}` : ''}`,
  );
  if (!(await checkpointKilled(context, workload, 'sleeps-loop'))) return;
  try {
    await loopEnds(context, 'sleeps-loop', (await context.restart(context.image)).exited);
  } catch (error: unknown) {
    context.result('sleeps-loop.exit-status', false, `restart: ${messageOf(error)}`);
  }
}

/**
 * 32-bit epoll_wait()s (int $0x80): one with a timeout, asleep, is refused
 * by name and goes on to its end; one without is restarted from its image
 * and returns the pipe written after the restart.
 */
async function compatWaits(context: ScenarioContext): Promise<void> {
  const timed = await context.startWorkload('timed_wait_loop', [context.dir, 'compat-timed']);
  await checkpointRefused(
    context,
    timed.pid,
    'sleeps-compat.timed-refused',
    'asleep in a 32-bit epoll_wait() with a timeout, which a restart cannot resume',
  );
  context.go();
  const status = await timed.exited;
  context.result('sleeps-compat.timed-exit-status', status === 0, `the workload left running exited ${status}`);
  context.relayResults('sleeps-compat');
  rmSync(join(context.dir, 'go'), { force: true });
  const untimed = await context.startWorkload('timed_wait_loop', [context.dir, 'compat-untimed']);
  if (!(await checkpointKilled(context, untimed, 'sleeps-compat'))) return;
  try {
    const restarted = await context.restart(context.image);
    await sleep(500);
    context.go();
    const code = await restarted.exited;
    context.result('sleeps-compat.exit-status', code === 0, `the restarted workload exited ${code}`);
  } catch (error: unknown) {
    context.result('sleeps-compat.exit-status', false, `restart: ${messageOf(error)}`);
  }
  context.relayResults('sleeps-compat');
}

const LOOP_KINDS = {
  'epoll-wait': 'epoll_wait() of 1 ms',
  'epoll-pwait': 'epoll_pwait() of 1 ms with a mask',
  'epoll-pwait2': 'epoll_pwait2() of 20 us',
  sigtimedwait: 'sigtimedwait() of 20 us',
} as const;

export const sleepScenarios: readonly Scenario[] = [
  {
    name: 'sleeps',
    run: cycle('sleeps', inDir, { between: () => sleep(PAUSE_MS), after: imageHasTimedWaits }),
    timeoutSeconds: 90,
    costSeconds: 15.5,
    checks: {
      ...sleepChecks('sleeps'),
      'sleeps.exit-status': 'a process with threads blocked in every kind of sleep and wait restarts and ends well',
      'sleeps.image-has-timed-waits': 'the image has the timed epoll_wait() and sigtimedwait() restart blocks',
    },
  },
  {
    name: 'sleeps-leave',
    run: { kind: 'custom', run: sleepsLeftRunning },
    timeoutSeconds: 90,
    costSeconds: 10,
    checks: {
      ...sleepChecks('sleeps-leave', 'left running by the checkpoint: '),
      'sleeps-leave.checkpoint': 'a checkpoint of a process with threads blocked in every kind of sleep leaves it running',
      'sleeps-leave.exit-status': 'the process left running ends well',
    },
  },
  {
    name: 'sleep-refusals',
    run: { kind: 'custom', run: sleepRefusals },
    timeoutSeconds: 60,
    costSeconds: 1.5,
    checks: {
      'sleeps.cpu-clock-refused': 'a checkpoint of a sleep on a CPU-time clock is refused, naming its restart',
      'sleeps.cpu-clock-still-asleep': 'a refused checkpoint leaves the sleep on a CPU-time clock as it was',
      'sleeps.image-has-restart-block': "an interrupted sleep's image holds its restart block with the time left",
      'sleeps.bad-clock-refused': 'an image whose restart block names a clock no sleep has is refused',
      'sleeps.kernel-rmtp-refused': 'an image whose nanosleep would write its time left to a kernel address is refused',
      'sleeps.epoll-kernel-events-refused': 'an image whose timed epoll_wait would write its events to a kernel address is refused',
      'sleeps.futex-unaligned-refused': 'an image whose futex wait is on an unaligned address is refused',
      'sleeps.restarted-asleep': 'the unedited image of the sleep restarts and sleeps on',
    },
  },
  {
    name: 'sleeps-loop',
    run: { kind: 'custom', run: timedWaitLoop },
    timeoutSeconds: 60,
    // Was 12: 4.7 s in the whole run of 2026-12-07 11:03 (a loaded host), 4.0 s in that of 10:12 (idle).
    costSeconds: 5,
    checks: {
      'sleeps-loop.left-running': `${LOOP_CHECKPOINTS} checkpoints of timed waits looping with tiny timeouts succeed, leaving them running`,
      'sleeps-loop.checkpoint': 'the looping timed waits are checkpointed and killed',
      'sleeps-loop.exit-status': 'the restarted looping timed waits end well',
      ...Object.fromEntries(
        Object.entries(LOOP_KINDS).flatMap(([kind, what]) => [
          [`sleeps-loop.${kind}-no-eintr`, `a looping ${what}, caught anywhere by checkpoints, never returns EINTR`],
          [`sleeps-loop.${kind}-not-early`, `a looping ${what}, caught anywhere by checkpoints, never ends before its timeout`],
        ]),
      ),
    },
  },
  {
    name: 'sleeps-compat',
    run: { kind: 'custom', run: compatWaits },
    timeoutSeconds: 30,
    costSeconds: 4,
    checks: {
      'sleeps-compat.timed-refused': 'a checkpoint of a 32-bit epoll_wait() with a timeout, asleep, is refused by name',
      'sleeps-compat.timed-exit-status': 'the 32-bit timed wait left running by the refusal ends well',
      'sleeps-compat.compat-timed': 'the 32-bit epoll_wait() left running times out after its whole timeout, not EINTR',
      'sleeps-compat.checkpoint': 'a process in a 32-bit epoll_wait() without a timeout is checkpointed and killed',
      'sleeps-compat.exit-status': 'the restarted 32-bit untimed wait ends well',
      'sleeps-compat.compat-untimed':
        'the restarted 32-bit epoll_wait() without a timeout returns the pipe written after the restart, not EINTR',
    },
  },
];
