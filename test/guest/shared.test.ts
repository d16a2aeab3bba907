// Kernel objects shared between processes: one boot runs test/guest/shared.sh.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/shared.sh'], { timeoutSeconds: 600 });
  results = parseResults(run.stdout);
});

test('the guest run itself succeeds, with no kernel warning', (t) => {
  t.is(run.status, 0, describeRun(run));
});

test('every check the workloads reported passed', (t) => {
  const failed = [...results.entries()].filter(([, result]) => !result.passed);
  t.deepEqual(failed.map(([name, result]) => `${name}: ${result.detail}`), []);
});

const expected: Record<string, string> = {
  'pipeline.exit-status': 'a 3-process pipeline restarts with data in flight in its pipes and ends well',
  'shared.exit-status': 'parent and child sharing a file description restart and end well',
  'inspect.pipes': 'inspect shows the pipes and the data they hold',
};

for (const [name, title] of Object.entries(expected)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}
