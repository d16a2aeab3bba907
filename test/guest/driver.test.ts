// The guest driver's own contract: a scenario that hangs costs itself only.
// It is reported as timed out, with the guest's processes and the kernel
// log's tail; what it started is killed; the next scenario runs as usual.
import test from 'ava';

import { describeRun, runInGuest } from '../helpers/guest.js';

test('a hanging scenario times out with ps and dmesg shown, and the next one still runs', async (t) => {
  const run = await runInGuest(['node', 'dist/test/guest/driver.js', 'hangs', 'cpu'], { timeoutSeconds: 300, caller: import.meta.url });
  const described = describeRun(run);
  t.is(run.status, 0, described);
  t.regex(run.stdout, /^RESULT hangs\.started PASS/m, described);
  t.regex(run.stdout, /^SCENARIO-END hangs timeout \S+ no end within 5s$/m, described);
  t.regex(run.stdout, /^# hangs ps: .*sleep 600$/m, described);
  t.regex(run.stdout, /^# hangs dmesg: /m, described);
  t.regex(run.stdout, /^# hangs left processes behind, killed: \d+/m, described);
  t.regex(run.stdout, /^SCENARIO-END cpu done /m, described);
  t.regex(run.stdout, /^RESULT cpu\.avx-registers PASS/m, described);
});
