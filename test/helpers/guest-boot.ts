// One boot of the guest tests as ava tests: test/guest/boot-N.test.ts calls
// defineGuestBoot(N). The boot runs test/guest/driver.ts over its share of
// the scenario table (planBoots), and each scenario becomes tests: that it
// ran to its end within its own timeout, that every check it reported
// passed, and one test per check the table expects of it, under the title
// that says what the check asserts. The round trip of the images they wrote
// runs here, on the host, each scenario's once the boot says it ended
// (round-trips.ts).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

import test from 'ava';

import type { Scenario } from '../guest/scenarios/scenario.js';
import { HANGING_SCENARIO, TWO_CPU_SCENARIOS, bootTimeoutSeconds, kernelArgsFor, planBoots } from '../guest/scenarios/table.js';
import type { CheckResult, GuestRun } from './guest.js';
import { GUEST_TIMES_DIR, announceWideRun, describeRun, parseResults, runInGuest } from './guest.js';
import { RoundTripsAsTheyCome, roundTripDirFor } from './round-trips.js';

/** A boot's run, and the round trips of its images, by scenario. */
interface Boot {
  readonly run: GuestRun;
  readonly roundTrips: ReadonlyMap<string, ReadonlyMap<string, CheckResult>>;
}

/** What the driver printed for one scenario, between its START and END lines. */
interface ScenarioReport {
  readonly output: string;
  readonly end: { readonly verdict: string; readonly seconds: string; readonly detail: string } | undefined;
  readonly results: Map<string, CheckResult>;
}

function reportOf(boot: Boot, name: string): ScenarioReport | undefined {
  const lines = boot.run.stdout.split('\n');
  const start = lines.indexOf(`SCENARIO-START ${name}`);
  if (start < 0) return undefined;
  const endAt = lines.findIndex((line, i) => i > start && line.startsWith(`SCENARIO-END ${name} `));
  const body = lines.slice(start + 1, endAt < 0 ? undefined : endAt).join('\n');
  const end = endAt < 0 ? undefined : /^SCENARIO-END \S+ (\S+) (\S+) ?(.*)$/.exec(lines[endAt]!);
  return {
    output: body,
    end: end === null || end === undefined ? undefined : { verdict: end[1]!, seconds: end[2]!, detail: end[3] ?? '' },
    results: new Map([...parseResults(body), ...(boot.roundTrips.get(name) ?? [])]),
  };
}

/** The scenario's own output, and the boot's stderr and status, for a failing assertion. */
function describeScenario(run: GuestRun, name: string, report: ScenarioReport | undefined): string {
  if (report === undefined) return `scenario ${name} never started\n${describeRun(run)}`;
  return (
    `scenario ${name}: ${report.end === undefined ? 'no end (the boot ended first)' : `${report.end.verdict} after ${report.end.seconds}s ${report.end.detail}`}\n` +
    `--- its output ---\n${report.output}\n--- boot: vm/run exited ${run.status}; stderr ---\n${run.stderr}`
  );
}

function scenarioTests(scenario: Scenario, boot: () => Boot): void {
  const report = (): ScenarioReport | undefined => reportOf(boot(), scenario.name);
  test(`${scenario.name}: runs to its end within ${scenario.timeoutSeconds}s`, (t) => {
    const r = report();
    t.is(r?.end?.verdict, 'done', describeScenario(boot().run, scenario.name, r));
  });
  test(`${scenario.name}: every check it reported passed`, (t) => {
    const r = report();
    const failed = [...(r?.results ?? [])].filter(([, result]) => !result.passed).map(([name, result]) => `${name}: ${result.detail}`);
    t.deepEqual(failed, [], describeScenario(boot().run, scenario.name, r));
  });
  for (const [name, title] of Object.entries(scenario.checks)) {
    test(title, (t) => {
      const r = report();
      const result = r?.results.get(name);
      t.truthy(result, `no result for ${name}\n${describeScenario(boot().run, scenario.name, r)}`);
      t.true(result?.passed, result?.detail);
    });
  }
  for (const check of scenario.outputChecks ?? []) {
    test(check.title, (t) => {
      check.assert(t, report()?.output ?? '');
    });
  }
}

/**
 * Declares the tests of boot `index` (1-based) of the plan, for the ava
 * file `caller` (import.meta.url). Boot 1 begins with the driver's own
 * test (a boot of its own took some 30 s): HANGING_SCENARIO, then its
 * share of the plan.
 */
export function defineGuestBoot(index: number, caller: string): void {
  const scenarios = planBoots()[index - 1];
  if (scenarios === undefined) throw new Error(`the plan has no boot ${index}`);
  defineBoot(`boot ${index}`, scenarios, caller, 1, index === 1 ? HANGING_SCENARIO : undefined);
}

/**
 * Declares the tests of one boot with two CPUs of TWO_CPU_SCENARIOS, for the
 * ava file `caller`, which ava.config.js runs first: the one-CPU boots wait
 * until it has run, so that it finds both slots free together.
 */
export function defineTwoCpuBoot(caller: string): void {
  announceWideRun();
  defineBoot('two-CPU boot', TWO_CPU_SCENARIOS, caller, 2);
}

/**
 * The driver's own contract, on the scenario that never ends which the
 * boot began with: it is reported as timed out, with the guest's processes
 * and the kernel log's tail; what it started is killed; the next scenario
 * runs as usual (its own tests say how it ended).
 */
function driverContractTest(boot: () => Boot, hanging: Scenario, next: Scenario | undefined): void {
  test('a hanging scenario times out with ps and dmesg shown, and the next one still runs', (t) => {
    const { run } = boot();
    const described = describeRun(run);
    const name = hanging.name;
    t.regex(run.stdout, new RegExp(`^RESULT ${name}\\.started PASS`, 'm'), described);
    t.regex(run.stdout, new RegExp(`^SCENARIO-END ${name} timeout \\S+ no end within ${hanging.timeoutSeconds}s$`, 'm'), described);
    t.regex(run.stdout, new RegExp(`^# ${name} ps: .*sleep 600$`, 'm'), described);
    t.regex(run.stdout, new RegExp(`^# ${name} dmesg: `, 'm'), described);
    t.regex(run.stdout, new RegExp(`^# ${name} left processes behind, killed: \\d+`, 'm'), described);
    t.regex(run.stdout, new RegExp(`^SCENARIO-START ${next?.name ?? '(none)'}$`, 'm'), described);
  });
}

function defineBoot(label: string, scenarios: readonly Scenario[], caller: string, cpus: number, hanging?: Scenario): void {
  let done: Boot | undefined;
  const boot = (): Boot => {
    if (done === undefined) throw new Error('the boot did not run');
    return done;
  };
  test.before(async () => {
    const roundTripDir = roundTripDirFor(caller);
    rmSync(roundTripDir, { recursive: true, force: true });
    const roundTrips = new RoundTripsAsTheyCome(roundTripDir);
    const run = await runInGuest(['node', 'dist/test/guest/driver.js', ...[hanging ?? [], scenarios].flat().map((s) => s.name)], {
      timeoutSeconds: bootTimeoutSeconds([hanging ?? [], scenarios].flat()),
      cpus,
      caller,
      env: { CPT_ROUNDTRIP_DIR: roundTripDir },
      kernelArgs: kernelArgsFor(scenarios),
      onStdout: (chunk) => roundTrips.stdout(chunk),
    });
    done = { run, roundTrips: await roundTrips.all() };
    rmSync(roundTripDir, { recursive: true, force: true });
    // Kept for a look after the run: the driver's SCENARIO-END lines say what each scenario took.
    mkdirSync(GUEST_TIMES_DIR, { recursive: true });
    writeFileSync(join(GUEST_TIMES_DIR, `${basename(caller, '.js')}.log`), describeRun(run));
  });
  test(`${label}: the guest run itself succeeds, with no kernel warning`, (t) => {
    t.is(boot().run.status, 0, describeRun(boot().run));
  });
  test(`${label}: every image its scenarios wrote comes back byte for byte through inspect --json and encode`, (t) => {
    const roundTrips = [...parseResults(boot().run.stdout), ...[...boot().roundTrips.values()].flatMap((results) => [...results])].filter(
      ([name]) => name.startsWith('roundtrip.'),
    );
    t.true(roundTrips.length > 0, `no image was round-tripped\n${describeRun(boot().run)}`);
    t.deepEqual(
      roundTrips.filter(([, result]) => !result.passed).map(([name, result]) => `${name}: ${result.detail}`),
      [],
    );
  });
  if (hanging !== undefined) driverContractTest(boot, hanging, scenarios[0]);
  for (const scenario of scenarios) scenarioTests(scenario, boot);
}
