// Images the module wrote (in the guest, from test/workloads: threads_token,
// 8 threads; files_state, one process with many kinds of files): the bytes of
// a real writer, its field order and zeros, which the synthetic images do not
// have. inspect reads them without a note; inspect --json then encode gives
// them back byte for byte. Their environment strings (Mm envStart..envEnd)
// were zeroed, by editing the JSON and encoding it, so as not to carry the
// environment of the machine that made them.
import { join } from 'node:path';

import test from 'ava';

import { roundTrip } from '../../src/commands/encode/round-trip.js';
import { inspect } from '../../src/commands/inspect/inspect.js';
import { packageRoot } from '../../src/package.js';

const fixture = (name: string): string => join(packageRoot, 'test', 'host', 'fixtures', name);

for (const name of ['threads_token.img', 'files_state.img']) {
  test(`${name}: inspect --json then encode gives it back byte for byte`, async (t) => {
    const result = await roundTrip(fixture(name));
    t.true(result.records > 10);
  });
}

test('threads_token.img: one process, its 7 other threads each with their own task, signals and registers', async (t) => {
  const { summary } = await inspect(fixture('threads_token.img'));
  t.deepEqual(summary.notes, []);
  t.is(summary.processes.length, 1);
  const [process] = summary.processes;
  t.is(process?.threads.length, 7);
  for (const thread of process?.threads ?? []) {
    t.not(thread.task, null);
    t.not(thread.signals, null);
    t.is(thread.cpu?.gpregs.length, 27);
    t.is(thread.task?.tgid, process?.task?.pid);
  }
  t.is(process?.pages.pages, process?.mm?.nrPages);
});
