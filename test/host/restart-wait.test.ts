// Waiting for a restored process in the foreground: SIGINT/SIGQUIT are left
// to the process group, SIGTERM/SIGHUP are passed on, and the handlers go
// away afterwards. Signals are emitted on `process`, not sent, so that a
// mistake cannot kill the test runner.
import { spawn } from 'node:child_process';

import test from 'ava';

import { waitForRestored } from '../../src/commands/restart/wait.js';
import type { ExitInfo } from '../../src/native.js';

test('SIGTERM and SIGHUP are passed on to the restored process; SIGINT is not', async (t) => {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const before = ['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'].map((signal) => process.listenerCount(signal));

  let finish: (exit: ExitInfo) => void = () => undefined;
  const waiting = waitForRestored(
    {
      waitForExit: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    },
    child.pid!,
  );

  process.emit('SIGINT');
  process.emit('SIGQUIT');
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(child.exitCode, null);
  t.is(child.signalCode, null);

  process.emit('SIGTERM');
  t.is(await exited, 'SIGTERM');

  finish({ code: null, signal: 15, coreDumped: false });
  t.deepEqual(await waiting, { code: null, signal: 15, coreDumped: false });
  t.deepEqual(
    ['SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGHUP'].map((signal) => process.listenerCount(signal)),
    before,
  );
});

test('a signal for a process that is already gone is not an error', async (t) => {
  let finish: (exit: ExitInfo) => void = () => undefined;
  const waiting = waitForRestored(
    {
      waitForExit: () =>
        new Promise((resolve) => {
          finish = resolve;
        }),
    },
    2 ** 22 + 3,
  );
  t.notThrows(() => process.emit('SIGHUP'));
  finish({ code: 0, signal: null, coreDumped: false });
  t.is((await waiting).code, 0);
});
