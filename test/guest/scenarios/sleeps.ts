// Sleeps and waits interrupted by the checkpoint: after the restart each
// goes on with the time it had left (the kernel's restart block, or the
// timeout select(), pselect() and ppoll() updated), a timed epoll_wait() or
// sigtimedwait() fails with EINTR, an absolute one keeps its deadline, and an
// untimed one (epoll_wait() and sigwaitinfo() too) still wakes when made
// ready. A restart block cpt does not support is refused by name with the
// process left as it was, and an image whose restart block is hostile is refused before
// anything runs.
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { encodeJsonText } from '../../../src/commands/encode/encode.js';
import { formatInspectJson } from '../../../src/commands/inspect/format.js';
import { inspect } from '../../../src/commands/inspect/inspect.js';
import type { Scenario, ScenarioContext } from './scenario.js';
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

/**
 * A sleep on a CPU-time clock: its checkpoint is refused, and the sleep goes
 * on. A sleep 1000: its image holds the restart block, which, edited into
 * what no sleep has, is refused; unedited, it restarts asleep.
 */
async function sleepRefusals(context: ScenarioContext): Promise<void> {
  const cpuClock = await context.startWorkload('sleeps', [context.dir, 'cpu-clock']);
  const failure = await context.checkpoint(cpuClock.pid, 'leave-running');
  context.result(
    'sleeps.cpu-clock-refused',
    failure?.includes('posix_cpu_nsleep_restart') === true,
    `checkpoint: ${failure ?? 'succeeded'}`,
  );
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

export const sleepScenarios: readonly Scenario[] = [
  {
    name: 'sleeps',
    run: cycle('sleeps', inDir, { between: () => sleep(PAUSE_MS) }),
    timeoutSeconds: 90,
    costSeconds: 17,
    checks: {
      'sleeps.heartbeat': 'the sleeps workload sees when it was frozen and when it resumed',
      'sleeps.exit-status': 'a process with threads blocked in every kind of sleep and wait restarts and ends well',
      'sleeps.nanosleep': 'an interrupted nanosleep goes on with the time it had left',
      'sleeps.monotonic-relative': 'an interrupted relative clock_nanosleep on CLOCK_MONOTONIC goes on with the time it had left',
      'sleeps.realtime-relative': 'an interrupted relative clock_nanosleep on CLOCK_REALTIME goes on with the time it had left',
      'sleeps.monotonic-absolute': 'an interrupted TIMER_ABSTIME clock_nanosleep on CLOCK_MONOTONIC keeps its deadline',
      'sleeps.realtime-absolute': 'an interrupted TIMER_ABSTIME clock_nanosleep on CLOCK_REALTIME keeps its deadline',
      'sleeps.futex-timeout': 'an interrupted FUTEX_WAIT with a timeout times out after the time it had left',
      'sleeps.poll-timeout': 'an interrupted poll() with a timeout returns 0 after the time it had left',
      'sleeps.select-timeout': 'an interrupted select() with a timeout returns 0 after the time it had left',
      'sleeps.ppoll-timeout': 'an interrupted ppoll() with a timeout returns 0 after the time it had left',
      'sleeps.pselect-timeout': 'an interrupted pselect() with a timeout returns 0 after the time it had left',
      'sleeps.epoll-timeout-eintr':
        'an interrupted epoll_wait() with a timeout fails with EINTR when the process resumes (the kernel keeps no time left for it), as the README says',
      'sleeps.sigtimedwait-timeout-eintr':
        'an interrupted sigtimedwait() with a timeout fails with EINTR when the process resumes (the kernel keeps no time left for it), as the README says',
      'sleeps.poll-ready': 'an interrupted untimed poll() returns its pipe when written after the restart',
      'sleeps.epoll-ready': 'an interrupted untimed epoll_wait() returns its pipe when written after the restart, not EINTR',
      'sleeps.sigwaitinfo-ready': 'an interrupted sigwaitinfo() returns the signal sent after the restart, not EINTR',
      'sleeps.futex-woken': 'an interrupted untimed FUTEX_WAIT returns when woken after the restart',
      'sleeps.nanosleep-rmtp': 'a restarted nanosleep interrupted by a signal writes the time it had left to rmtp',
    },
  },
  {
    name: 'sleep-refusals',
    run: { kind: 'custom', run: sleepRefusals },
    timeoutSeconds: 60,
    costSeconds: 3,
    checks: {
      'sleeps.cpu-clock-refused': 'a checkpoint of a sleep on a CPU-time clock is refused, naming its restart',
      'sleeps.cpu-clock-still-asleep': 'a refused checkpoint leaves the sleep on a CPU-time clock as it was',
      'sleeps.image-has-restart-block': "an interrupted sleep's image holds its restart block with the time left",
      'sleeps.bad-clock-refused': 'an image whose restart block names a clock no sleep has is refused',
      'sleeps.kernel-rmtp-refused': 'an image whose nanosleep would write its time left to a kernel address is refused',
      'sleeps.futex-unaligned-refused': 'an image whose futex wait is on an unaligned address is refused',
      'sleeps.restarted-asleep': 'the unedited image of the sleep restarts and sleeps on',
    },
  },
];
