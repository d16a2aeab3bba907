// vm/run's own contract: CMD's status and streams come back, and a guest
// kernel crash or a hang is a failure with the kernel log saved.
import { readFile } from 'node:fs/promises';

import test from 'ava';

import { describeRun, runInGuest } from '../helpers/guest.js';

function savedLogPath(stderr: string): string | undefined {
  return /guest kernel log saved to (\S+)/.exec(stderr)?.[1];
}

test("CMD runs as root in the caller's directory, and its status and streams come back", async (t) => {
  const run = await runInGuest(['sh', '-c', 'echo "uid=$(id -u) cwd=$(pwd) arg=$1"; echo to-stderr >&2; exit 7', 'sh', 'a  b'], {
    noModule: true,
    caller: import.meta.url,
  });
  t.is(run.status, 7, describeRun(run));
  t.is(run.stdout, `uid=0 cwd=${process.cwd()} arg=a  b\n`);
  t.regex(run.stderr, /^to-stderr$/m);
});

test('a guest kernel crash fails the run and saves the kernel log', async (t) => {
  const run = await runInGuest(['sh', '-c', 'echo c > /proc/sysrq-trigger; sleep 30; exit 0'], { noModule: true, caller: import.meta.url });
  t.is(run.status, 125, describeRun(run));
  const path = savedLogPath(run.stderr);
  t.truthy(path, describeRun(run));
  t.regex(await readFile(path!, 'utf8'), /sysrq: Trigger a crash/);
});

// 8 s: the guest is booted and in its sleep by some 4 s; each second more
// was one more of npm test's, this guest being among the last to run.
test('a guest that does not finish in time fails the run and saves the kernel log', async (t) => {
  const run = await runInGuest(['sleep', '600'], { noModule: true, timeoutSeconds: 8, caller: import.meta.url });
  t.is(run.status, 124, describeRun(run));
  t.truthy(savedLogPath(run.stderr), describeRun(run));
});
