// Single-process checkpoint -> kill -> restart in the guest: one boot runs
// every workload (test/guest/restart.sh); each workload checks its own state
// after the restart, and each of its checks is a test here.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/restart.sh'], { timeoutSeconds: 600 });
  results = parseResults(run.stdout);
});

test('the guest run itself succeeds, with no kernel warning', (t) => {
  t.is(run.status, 0, describeRun(run));
});

const expected: Record<string, string> = {
  'cpu.checkpoint': 'a process is checkpointed and killed',
  'cpu.exit-status': 'the restarted process exits with its own status through a waited restart',
  'cpu.avx-registers': 'AVX registers held in registers survive',
  'cpu.tls': 'TLS and the FS base survive',
  'cpu.pid': 'the restarted process has its old pid',
};

for (const [name, title] of Object.entries(expected)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}
