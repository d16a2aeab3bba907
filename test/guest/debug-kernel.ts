// `npm run test:debug-kernel [-- --boots N] [--plan] [SCENARIO...]`, on the host:
// the guest suite on the debug kernel (vm/build-debug-kernel: KASAN,
// lockdep, atomic-sleep checks, debug objects, kmemleak), one boot after
// another under one guest slot, each `vm/run --debug-kernel --kmemleak`,
// which fails the boot on any kernel report and on any leak kmemleak finds
// once the boot's scenarios are done and cpt.ko is unloaded. Without
// SCENARIO, the whole table, shared out as the suite's own boots are
// (planBoots) but among N boots (default 12: a boot of the suite's takes
// hours there, one of these under an hour); with SCENARIO..., those, in one
// boot. Prints each scenario's end and its failed checks, then a line per
// boot; exits 1 if anything failed. --plan only prints the boots.
import { SCENARIOS, bootTimeoutSeconds, kernelArgsFor, planBoots, scenarioNamed } from './scenarios/table.js';
import type { Scenario } from './scenarios/scenario.js';
import { parseResults, runInGuest } from '../helpers/guest.js';

/** How much slower than the stock kernel's a scenario may be (vm/run --debug-kernel's CPT_GUEST_TIME_SCALE). */
const TIME_SCALE = 5;
/** The debug kernel's own start under emulation: vm/run allows it 10 minutes. */
const BOOT_SECONDS = 600;
const DEFAULT_BOOTS = 12;

function parse(argv: readonly string[]): { boots: number; names: string[]; planOnly: boolean } {
  let boots = DEFAULT_BOOTS;
  let planOnly = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--boots') {
      boots = Number(argv[++i]);
      if (!Number.isInteger(boots) || boots < 1) throw new Error('--boots takes a positive number');
    } else if (arg === '--plan') {
      planOnly = true;
    } else if (arg.startsWith('-')) {
      throw new Error(`unknown option ${arg}; usage: npm run test:debug-kernel [-- --boots N] [--plan] [SCENARIO...]`);
    } else {
      names.push(arg);
    }
  }
  return { boots, names, planOnly };
}

/** One boot's scenarios on the debug kernel; the lines that say how it went, and whether it did. */
async function runBoot(index: number, count: number, boot: readonly Scenario[]): Promise<{ ok: boolean; summary: string }> {
  const names = boot.map((s) => s.name);
  const started = Date.now();
  process.stdout.write(`boot ${index}/${count}: ${names.join(' ')}\n`);
  const run = await runInGuest(['node', 'dist/test/guest/driver.js', ...names], {
    timeoutSeconds: BOOT_SECONDS + TIME_SCALE * bootTimeoutSeconds(boot),
    debugKernel: true,
    kernelArgs: kernelArgsFor(boot),
  });
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const ends = run.stdout.split('\n').filter((line) => line.startsWith('SCENARIO-END '));
  const failed = [...parseResults(run.stdout)].filter(([, result]) => !result.passed);
  for (const line of ends) process.stdout.write(`  ${line}\n`);
  for (const [name, result] of failed) process.stdout.write(`  FAIL ${name}: ${result.detail}\n`);
  const unfinished = names.filter((name) => !ends.some((line) => line.startsWith(`SCENARIO-END ${name} done `)));
  const ok = run.status === 0 && failed.length === 0 && unfinished.length === 0;
  if (run.status !== 0) process.stdout.write(run.stderr.replace(/^/gm, '  vm/run: '));
  const summary =
    `boot ${index}/${count}: ${ok ? 'ok' : 'FAILED'} in ${minutes} min; vm/run exited ${run.status}` +
    ` (0: no kernel report, no leak); ${failed.length} failed check(s)` +
    (unfinished.length > 0 ? `; not run to their end: ${unfinished.join(' ')}` : '');
  process.stdout.write(`${summary}\n`);
  return { ok, summary };
}

async function main(): Promise<number> {
  const { boots, names, planOnly } = parse(process.argv.slice(2));
  const plan = names.length > 0 ? [names.map(scenarioNamed)] : planBoots(SCENARIOS, boots).filter((b) => b.length > 0);
  if (planOnly) {
    for (const [i, boot] of plan.entries()) {
      const cost = boot.reduce((sum, s) => sum + s.costSeconds, 0);
      process.stdout.write(`boot ${i + 1}/${plan.length} (${cost} s on the stock kernel): ${boot.map((s) => s.name).join(' ')}\n`);
    }
    return 0;
  }
  const summaries: string[] = [];
  let ok = true;
  for (const [i, boot] of plan.entries()) {
    const result = await runBoot(i + 1, plan.length, boot);
    summaries.push(result.summary);
    ok &&= result.ok;
  }
  process.stdout.write(`${summaries.join('\n')}\n${ok ? 'all boots passed' : 'some boots FAILED'}\n`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
