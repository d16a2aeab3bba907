// The guest scenario table and its plan of boots, checked on the host: every
// scenario runs in exactly one boot, names and titles do not collide, and
// ava waits longer than any guest, so that vm/run always reaches its own
// timeout and saves the kernel log.
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

import test from 'ava';

import { packageRoot } from '../../src/package.js';
import { X32_KERNEL_ARG } from './scenarios/scenario.js';
import { BOOT_COUNT, SCENARIOS, SUITE_HEAD_START_SECONDS, bootTimeoutSeconds, kernelArgsFor, planBoots } from './scenarios/table.js';

const plan = planBoots();

test('every scenario runs in exactly one boot', (t) => {
  const planned = plan
    .flat()
    .map((s) => s.name)
    .sort();
  t.deepEqual(planned, SCENARIOS.map((s) => s.name).sort());
  t.is(new Set(planned).size, planned.length);
  t.is(plan.length, BOOT_COUNT);
});

// Unique in the whole table, not only in each boot of today's plan: a
// change of costs may bring any two scenarios into one ava file.
test('check names and test titles are unique', (t) => {
  const checks = SCENARIOS.flatMap((s) => Object.keys(s.checks));
  t.is(new Set(checks).size, checks.length);
  const titles = SCENARIOS.flatMap((s) => [...Object.values(s.checks), ...(s.outputChecks ?? []).map((c) => c.title)]);
  t.deepEqual(
    titles.filter((title, i) => titles.indexOf(title) !== i),
    [],
  );
});

test('a scenario that changes the guest for good runs last in its boot, alone of its kind', (t) => {
  for (const boot of plan) {
    const last = boot.filter((s) => s.last === true);
    t.true(last.length <= 1);
    if (last.length === 1) t.is(boot.at(-1), last[0]);
  }
});

test("ava's timeout is above every boot's, and every scenario's timeout above its cost", async (t) => {
  const config = (await import(pathToFileURL(join(packageRoot, 'ava.config.js')).href)) as { default: { timeout: string } };
  const minutes = /^(\d+)m$/.exec(config.default.timeout)?.[1];
  t.truthy(minutes, `ava's timeout ${config.default.timeout} is not in minutes`);
  for (const boot of plan) t.true(bootTimeoutSeconds(boot) + 60 < Number(minutes) * 60);
  for (const scenario of SCENARIOS) t.true(scenario.timeoutSeconds >= 2 * scenario.costSeconds, scenario.name);
});

test('the boots share the cost out evenly, the last one less by the harness that follows it', (t) => {
  t.is(SUITE_HEAD_START_SECONDS.length, BOOT_COUNT);
  const costs = plan.map((boot, i) => SUITE_HEAD_START_SECONDS[i]! + boot.reduce((sum, s) => sum + s.costSeconds, 0));
  const heaviest = Math.max(...costs);
  const costliest = Math.max(...SCENARIOS.map((s) => s.costSeconds));
  t.true(heaviest - Math.min(...costs) <= costliest, `boot costs ${costs.join(', ')}`);
});

test("the x32 rows run in one of npm test's boots, which boots with syscall.x32=y, and no other boot does", (t) => {
  const x32Boots = plan.filter((boot) => boot.some((s) => s.x32 === true));
  t.true(x32Boots.length >= 1, 'no boot of npm test runs an x32 row');
  for (const boot of plan) t.is(kernelArgsFor(boot).includes(X32_KERNEL_ARG), x32Boots.includes(boot));
});

test('a scenario that tests the command line runs in shell', (t) => {
  for (const scenario of SCENARIOS.filter((s) => s.cli === true)) t.is(scenario.run.kind, 'shell', scenario.name);
});

test('ava runs the two-CPU boot first, beside it the files that need no guest, then the boots', async (t) => {
  const config = (await import(pathToFileURL(join(packageRoot, 'ava.config.js')).href)) as {
    default: { sortTestFiles: (a: string, b: string) => number };
  };
  const files = ['test/host/cli.test.ts', 'test/guest/boot-2.test.ts', 'test/guest/plan.test.ts', 'test/guest/harness.test.ts']
    .concat(['test/guest/boot-1.test.ts', 'test/host/plan.test.ts', 'test/guest/two-cpus.test.ts', 'test/guest/boot-10.test.ts'])
    .map((file) => join(packageRoot, file));
  const order = files.sort(config.default.sortTestFiles).map((file) => relative(packageRoot, file));
  t.deepEqual(order, [
    'test/guest/two-cpus.test.ts',
    'test/guest/plan.test.ts',
    'test/host/cli.test.ts',
    'test/host/plan.test.ts',
    'test/guest/boot-1.test.ts',
    'test/guest/boot-2.test.ts',
    'test/guest/boot-10.test.ts',
    'test/guest/harness.test.ts',
  ]);
});
