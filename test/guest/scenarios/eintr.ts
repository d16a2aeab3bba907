// Calls that any interruption ends with EINTR (a socket call with
// SO_RCVTIMEO or SO_SNDTIMEO, io_getevents(), semop()) never return EINTR because
// of a checkpoint, whether it leaves the tree running, kills it for a
// restart, or is refused: each returns its data or its timeout
// (kmod/cpt_eintr.c). A checkpoint of sockets with timeouts is refused
// until cpt saves them, which must leave the waits as they were too.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import { shell } from './rows.js';
import type { Scenario, ScenarioContext, Workload } from './scenario.js';

/** What a checkpoint of the sockets workload may be refused for, until socket timeouts are saved. */
const SOCKET_TIMEOUT_REFUSAL = /SO_RCVTIMEO|SO_SNDTIMEO/;

function messageOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\n/g, ' ');
}

/**
 * eintr_waits in `mode`: a checkpoint that leaves it running, then one
 * that kills it and a restart; either may be refused only for `refusal`
 * (the tree then runs on). Then go: its threads check their calls.
 */
async function waitsAcrossCheckpoints(
  context: ScenarioContext,
  row: string,
  mode: string,
  refusal?: RegExp,
  program = 'eintr_waits',
): Promise<void> {
  // Refused for the timeouts, not because a task was held until the freeze gave up.
  const ok = (failure: string | null): boolean =>
    failure === null || ((refusal?.test(failure) ?? false) && !failure.includes('did not stop'));
  rmSync(join(context.dir, 'go'), { force: true });
  const workload = await context.startWorkload(program, [context.dir, mode]);
  const left = await context.checkpoint(workload.pid, 'leave-running');
  context.result(`${row}.leave-running`, ok(left), left ?? 'the tree was left running');
  const killed = await checkpointKilled(context, workload.pid);
  context.result(`${row}.checkpoint`, ok(killed), killed ?? 'checkpointed and killed');
  await goOn(context, row, workload, killed === null);
}

/** How many times a --kill checkpoint is made again when the module says "try again". */
const KILL_ATTEMPTS = 5;

/**
 * A checkpoint --kill of pid, made again, as its message asks, while a TCP
 * connection between the tree's own threads still moved after it was saved
 * (the leave-running checkpoint before it let their sends go on until the
 * peer's window closes). Its failure, or null.
 */
async function checkpointKilled(context: ScenarioContext, pid: number): Promise<string | null> {
  let failure: string | null = null;
  for (let attempt = 1; attempt <= KILL_ATTEMPTS; attempt++) {
    failure = await context.checkpoint(pid, 'kill');
    if (!(failure?.includes('try again') ?? false)) return failure;
    await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
  }
  return `${failure ?? ''} (${KILL_ATTEMPTS} attempts)`;
}

/**
 * The end of a workload's run: its restart if the checkpoint killed it,
 * then go; its exit status and its RESULT lines under `prefix`.
 */
async function goOn(context: ScenarioContext, prefix: string, workload: Workload, killed: boolean): Promise<void> {
  if (killed) {
    await workload.exited;
    try {
      workload = await context.restart(context.image);
    } catch (error: unknown) {
      context.result(`${prefix}.exit-status`, false, `restart: ${messageOf(error)}`);
      return;
    }
  }
  context.go();
  const status = await workload.exited;
  context.result(`${prefix}.exit-status`, status === 0, `the workload (${killed ? 'restarted' : 'left running'}) exited ${status}`);
  context.relayResults(prefix);
}

/** A connect() with SO_SNDTIMEO to a listener that drops SYNs, across a checkpoint leaving it running. */
async function connectHeld(context: ScenarioContext): Promise<void> {
  rmSync(join(context.dir, 'go'), { force: true });
  const workload = await context.startWorkload('eintr_waits', [context.dir, 'connect']);
  const failure = await context.checkpoint(workload.pid, 'leave-running');
  context.result(
    'eintr-sockets.connect-checkpoint',
    failure === null || !/EINTR|did not stop/.test(failure),
    failure ?? 'the tree was left running',
  );
  context.go();
  const status = await workload.exited;
  context.result('eintr-sockets.connect-exit-status', status === 0, `the workload exited ${status}`);
  context.relayResults('eintr-sockets');
}

/**
 * An x32 epoll_wait() with a timeout, which cpt cannot resume: refused
 * before it is woken, the wait going on. Where the kernel runs no x32
 * syscalls (READY says x32-off), the checkpoint must just succeed.
 */
async function x32Wait(context: ScenarioContext): Promise<void> {
  rmSync(join(context.dir, 'go'), { force: true });
  const workload = await context.startWorkload('eintr_waits', [context.dir, 'x32-wait']);
  const off = workload.ready.includes('x32-off');
  const failure = await context.checkpoint(workload.pid, 'leave-running');
  context.result(
    'eintr-sockets.x32-wait-refused',
    off ? failure === null : (failure ?? '').includes('asleep in an x32 epoll_wait() with a timeout'),
    failure ?? (off ? 'this kernel runs no x32 syscalls: the checkpoint succeeded' : 'the checkpoint succeeded'),
  );
  context.go();
  const status = await workload.exited;
  context.result('eintr-sockets.x32-wait-exit-status', status === 0, `the workload exited ${status}`);
  context.relayResults('eintr-sockets');
}

async function sockets(context: ScenarioContext): Promise<void> {
  await waitsAcrossCheckpoints(context, 'eintr-sockets', 'sockets', SOCKET_TIMEOUT_REFUSAL);
  await connectHeld(context);
  await x32Wait(context);
}

/**
 * eintr_held cork: a checkpoint with `disposition` waits for the send the
 * freeze holds (its helper ends it once the freeze is under way), then the
 * restart if killed; the corked datagram must come out once.
 */
async function corkHeld(context: ScenarioContext, disposition: 'leave-running' | 'kill'): Promise<void> {
  const prefix = `eintr-held.cork-${disposition}`;
  rmSync(join(context.dir, 'go'), { force: true });
  const workload = await context.startWorkload('eintr_held', [context.dir, 'cork']);
  const failure = await context.checkpoint(workload.pid, disposition);
  context.result(`${prefix}.checkpoint`, failure === null, failure ?? 'the checkpoint waited for the held send');
  await goOn(context, prefix, workload, failure === null && disposition === 'kill');
}

/** eintr_held cork-stuck: a held send that outlasts the freeze's 10 s fails the checkpoint, naming the thread; it then ends well. */
async function corkStuck(context: ScenarioContext): Promise<void> {
  rmSync(join(context.dir, 'go'), { force: true });
  const workload = await context.startWorkload('eintr_held', [context.dir, 'cork-stuck']);
  const tid = workload.ready.trim();
  const failure = await context.checkpoint(workload.pid, 'leave-running');
  context.result(
    'eintr-held.stuck.refused',
    failure !== null && failure.includes(`pid ${tid} did not stop in 10 s`) && failure.includes('corked'),
    failure ?? 'the checkpoint succeeded',
  );
  context.go();
  const status = await workload.exited;
  context.result('eintr-held.stuck.exit-status', status === 0, `the workload exited ${status}`);
  context.relayResults('eintr-held.stuck');
}

async function held(context: ScenarioContext): Promise<void> {
  await corkHeld(context, 'leave-running');
  await corkHeld(context, 'kill');
  await corkStuck(context);
  await waitsAcrossCheckpoints(context, 'eintr-held.epoll', 'epoll-mutex', undefined, 'eintr_held');
}

const ACROSS = 'across a checkpoint leaving it running and one killing it (or their refusal) and the restart';

export const eintrScenarios: readonly Scenario[] = [
  {
    name: 'eintr-sockets',
    run: { kind: 'custom', run: sockets },
    // Its x32-recv and x32-wait: tested only in a kernel that runs x32 syscalls.
    x32: true,
    timeoutSeconds: 120,
    costSeconds: 13.5,
    checks: {
      'eintr-sockets.leave-running':
        'a checkpoint of threads blocked in socket calls with timeouts leaves them running, or is refused for the timeouts',
      'eintr-sockets.checkpoint': 'a checkpoint --kill of them succeeds, or is refused for the timeouts, the tree running on',
      'eintr-sockets.exit-status': 'the threads blocked in socket calls with timeouts end well',
      'eintr-sockets.recv-data': `a recv() with SO_RCVTIMEO returns the data sent after it, ${ACROSS}, not EINTR`,
      'eintr-sockets.recv-timeout': `a recvmsg() with SO_RCVTIMEO fails with EAGAIN after its whole timeout, ${ACROSS}, not EINTR`,
      'eintr-sockets.tcp-recv': `a recv() on TCP with SO_RCVTIMEO returns the data sent after it, ${ACROSS}, not EINTR`,
      'eintr-sockets.send-full': `a send() with SO_SNDTIMEO on a full unix socket sends it all once drained, ${ACROSS}, not EINTR`,
      'eintr-sockets.tcp-send-full': `a send() with SO_SNDTIMEO on a full TCP connection sends once drained, ${ACROSS}, not EINTR`,
      'eintr-sockets.accept': `an accept() with SO_RCVTIMEO returns the connection made after it, ${ACROSS}, not EINTR`,
      'eintr-sockets.compat-recv': `a 32-bit recvfrom() with SO_RCVTIMEO returns the data sent after it, ${ACROSS}, not EINTR`,
      'eintr-sockets.unix-connect': `a unix connect() with SO_SNDTIMEO to a full listener connects once it accepts, ${ACROSS}, not EINTR nor held by the freeze`,
      'eintr-sockets.recvmmsg-part': `a recvmmsg() of 2 with SO_RCVTIMEO woken after its first datagram gets the second from its next call, ${ACROSS}, not the EINTR the kernel leaves in sk_err`,
      'eintr-sockets.send-partial': `a send() of 4 MiB with SO_SNDTIMEO on a unix socket returns a count, short at most, never EINTR, ${ACROSS}; its peer reads every byte once`,
      'eintr-sockets.tcp-send-partial': `a send() of 4 MiB with SO_SNDTIMEO on TCP returns a count, short at most, never EINTR, ${ACROSS}; its peer reads every byte once`,
      'eintr-sockets.x32-wait-refused':
        'a checkpoint of an x32 epoll_wait() with a timeout is refused by name before it is woken (where the kernel runs x32 syscalls)',
      'eintr-sockets.x32-wait-exit-status': 'the x32 epoll_wait() then ends well',
      'eintr-sockets.x32-wait': 'the x32 epoll_wait() returns the event written after the refused checkpoint, not EINTR',
      'eintr-sockets.x32-recv': `an x32 recvfrom() with SO_RCVTIMEO returns the data sent after it, ${ACROSS}, not EINTR (where the kernel runs x32 syscalls)`,
      'eintr-sockets.x32-kernel': 'its guest was booted with syscall.x32=y, so that the x32 checks are made',
      'eintr-sockets.connect-checkpoint': 'a checkpoint of a connect() with SO_SNDTIMEO waits for it to end, never waking it',
      'eintr-sockets.connect-exit-status': 'the connect() left running ends well',
      'eintr-sockets.connect':
        'a connect() with SO_SNDTIMEO to a listener dropping SYNs fails with EINPROGRESS after its whole timeout, not EINTR or EALREADY',
    },
  },
  {
    name: 'eintr-waits',
    run: { kind: 'custom', run: (context) => waitsAcrossCheckpoints(context, 'eintr-waits', 'waits') },
    timeoutSeconds: 90,
    costSeconds: 9,
    checks: {
      'eintr-waits.leave-running': 'a checkpoint of threads blocked in io_getevents() and semop() leaves them running',
      'eintr-waits.checkpoint': 'a checkpoint --kill of them succeeds',
      'eintr-waits.exit-status': 'the restarted threads blocked in io_getevents() and semop() end well',
      'eintr-waits.aio-data': `an io_getevents() with a timeout returns the completion submitted after it, ${ACROSS}, not EINTR`,
      'eintr-waits.aio-untimed': `an io_getevents() without a timeout returns the completion submitted after it, ${ACROSS}, not EINTR`,
      'eintr-waits.aio-timeout': `an io_getevents() with a timeout returns 0 events after its whole timeout, ${ACROSS}, not EINTR`,
      'eintr-waits.sem-data': `a semop() returns once the semaphore is raised after it, ${ACROSS}, not EINTR`,
      'eintr-waits.compat-sem': `a 32-bit ipc(SEMOP) returns once the semaphore is raised after it, ${ACROSS}, not EINTR`,
      'eintr-waits.sem-timeout': `a semtimedop() fails with EAGAIN after its whole timeout, ${ACROSS}, not EINTR`,
    },
  },
  {
    name: 'eintr-held',
    run: { kind: 'custom', run: held },
    timeoutSeconds: 180,
    costSeconds: 16.5,
    checks: {
      ...corkChecks('leave-running', 'leaving it running'),
      ...corkChecks('kill', 'killing it, and the restart'),
      'eintr-held.stuck.refused': 'a checkpoint of a corked send held past the freeze’s 10 s fails, naming the thread and its call',
      'eintr-held.stuck.exit-status': 'the tree runs on after that failure',
      'eintr-held.stuck.cork-send': 'the send the failed checkpoint held ends normally once its buffer frees, not with EINTR',
      'eintr-held.stuck.cork-data': 'its corked datagram then comes out once, whole',
      'eintr-held.epoll.leave-running':
        'a checkpoint of a timed epoll_wait() waiting for the epoll’s mutex, held by a fault, waits rather than wake it',
      'eintr-held.epoll.checkpoint': 'a checkpoint --kill of them then succeeds',
      'eintr-held.epoll.exit-status': 'the restarted threads end well',
      'eintr-held.epoll.epoll-holder': 'the epoll_wait() whose copy faulted returns its event, not EINTR',
      'eintr-held.epoll.epoll-waiter': `the timed epoll_wait() kept off the epoll’s mutex returns the event written after it, ${ACROSS}, not EINTR`,
    },
  },
  {
    name: 'eintr-core',
    run: shell('eintr', 'eintr_core'),
    timeoutSeconds: 150,
    costSeconds: 6,
    checks: {
      'eintr-core.judged':
        'a checkpoint freezes a thread killed by a core dump in a partial recvmmsg() batch, asleep until the dump is over',
      'eintr-core.checkpoint-ended': 'that checkpoint ends, whatever it answers, once the dump goes on',
      'eintr-core.exited': 'the dumping process then ends',
      'eintr-core.no-oops': "the thread's exit runs the freeze's work without its files and the kernel logs no BUG, Oops or WARNING",
    },
  },
];

function corkChecks(disposition: 'leave-running' | 'kill', how: string): Record<string, string> {
  const prefix = `eintr-held.cork-${disposition}`;
  return {
    [`${prefix}.checkpoint`]: `a checkpoint ${how} waits for a send the freeze holds (the first of a corked datagram, waiting for buffer)`,
    [`${prefix}.exit-status`]: `the workload ends well after a checkpoint ${how}`,
    [`${prefix}.cork-send`]: `the held send returns its length after a checkpoint ${how}, not EINTR`,
    [`${prefix}.cork-data`]: `its corked datagram comes out once, whole, after a checkpoint ${how}`,
  };
}
