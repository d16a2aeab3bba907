// Restart fed with 1,200 mutants of a real image (truncations, bit flips,
// wrong lengths and types, absurd values; half with their CRCs fixed so they
// reach the decoders): every one ends in a clean errno or a restored process,
// the guest kernel never warns, and nothing is left behind.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/mutate.sh'], { timeoutSeconds: 900 });
  results = parseResults(run.stdout);
});

test('the guest kernel stays healthy through every mutant', (t) => {
  t.is(run.status, 0, describeRun(run));
});

const expected: Record<string, string> = {
  'mutate.unmutated-restores': 'the unmutated image restores',
  'mutate.mutants': 'at least 1,000 mutants are tried',
  'mutate.mutants-clean': 'every mutant ends in an errno or a restored process',
  'mutate.no-stray-task': 'no task is left behind',
  'mutate.module-unloads': 'the module unloads afterwards',
  'mutate-files.unmutated-restores': 'an image with every rebuilt kind of file restores',
  'mutate-files.mutants': 'at least 1,000 mutants of it are tried',
  'mutate-files.mutants-clean': 'every mutant of it ends in an errno or a restored process',
  'mutate-files.no-stray-task': 'no task of those is left behind',
  'mutate-ipc.unmutated-restores': 'an image with SysV objects, a POSIX message queue and a pty restores',
  'mutate-ipc.mutants': 'at least 1,000 mutants of that image are tried',
  'mutate-ipc.mutants-clean': 'every mutant of that image ends in an errno or a restored process',
  'mutate-ipc.no-stray-task': 'no task of those mutants is left behind',
};

for (const [name, title] of Object.entries(expected)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}
