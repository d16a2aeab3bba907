// Calls that any interruption ends with EINTR (a socket call with
// SO_RCVTIMEO or SO_SNDTIMEO, io_getevents(), semop()) never return EINTR because
// of a checkpoint, whether it leaves the tree running, kills it for a
// restart, or is refused: each returns its data or its timeout
// (kmod/cpt_eintr.c). A checkpoint of sockets with timeouts is refused
// until cpt saves them, which must leave the waits as they were too.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

import type { Scenario, ScenarioContext } from './scenario.js';

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
async function waitsAcrossCheckpoints(context: ScenarioContext, row: string, mode: string, refusal?: RegExp): Promise<void> {
  // Refused for the timeouts, not because a task was held until the freeze gave up.
  const ok = (failure: string | null): boolean =>
    failure === null || ((refusal?.test(failure) ?? false) && !failure.includes('did not stop'));
  let workload = await context.startWorkload('eintr_waits', [context.dir, mode]);
  const left = await context.checkpoint(workload.pid, 'leave-running');
  context.result(`${row}.leave-running`, ok(left), left ?? 'the tree was left running');
  const killed = await context.checkpoint(workload.pid, 'kill');
  context.result(`${row}.checkpoint`, ok(killed), killed ?? 'checkpointed and killed');
  if (killed === null) {
    await workload.exited;
    try {
      workload = await context.restart(context.image);
    } catch (error: unknown) {
      context.result(`${row}.exit-status`, false, `restart: ${messageOf(error)}`);
      return;
    }
  }
  context.go();
  const status = await workload.exited;
  context.result(`${row}.exit-status`, status === 0, `the workload (${killed === null ? 'restarted' : 'left running'}) exited ${status}`);
  context.relayResults(row);
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

async function sockets(context: ScenarioContext): Promise<void> {
  await waitsAcrossCheckpoints(context, 'eintr-sockets', 'sockets', SOCKET_TIMEOUT_REFUSAL);
  await connectHeld(context);
}

const ACROSS = 'across a checkpoint leaving it running and one killing it (or their refusal) and the restart';

export const eintrScenarios: readonly Scenario[] = [
  {
    name: 'eintr-sockets',
    run: { kind: 'custom', run: sockets },
    timeoutSeconds: 120,
    costSeconds: 19,
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
    costSeconds: 11,
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
];
