// The compat layer in the guest: the module checks its assumptions about the
// running kernel when it loads, lists them in sysfs, and refuses the load,
// naming the check, when one fails (forced here with compat_fail=NAME, one
// load per check). One boot (test/guest/compat.sh, which loads the module
// itself); each RESULT is a test here.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

/** Every check of kmod/cpt_compat.c, in the order it runs them. */
const COMPAT_CHECKS = [
  'release', 'symbols', 'syscalls', 'kretprobes', 'alloc_pid_args', 'pts_fs_info', 'shm_file_data', 'sem_undo_list',
];

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/compat.sh'], { noModule: true, timeoutSeconds: 300 });
  results = parseResults(run.stdout);
});

test('the guest run itself succeeds, without a kernel warning', (t) => {
  t.is(run.status, 0, describeRun(run));
});

test('the module lists exactly the known checks, all passed', (t) => {
  const listed = run.stdout.split('\n').filter((line) => line.startsWith('COMPAT-CHECK ')).map((line) => line.split(' ').slice(1).join(' '));
  t.deepEqual(listed, COMPAT_CHECKS.map((name) => `${name} ok`), describeRun(run));
});

test('cptctl check --json reports the compat checks and the release the module was built for', (t) => {
  const line = run.stdout.split('\n').find((l) => l.startsWith('CHECK-JSON '));
  t.truthy(line, describeRun(run));
  const report = JSON.parse(line!.slice('CHECK-JSON '.length)) as {
    ok: boolean;
    kernel: { release: string };
    compat: { builtFor: string; checks: { name: string; outcome: string }[]; refusal: string | null };
    checks: { name: string; ok: boolean }[];
  };
  t.true(report.ok);
  t.is(report.compat.builtFor, report.kernel.release);
  t.deepEqual(report.compat.checks.map((check) => check.name), COMPAT_CHECKS);
  t.is(report.compat.refusal, null);
  t.true(report.checks.some((check) => check.name === 'compat' && check.ok));
});

const guestChecks: Record<string, string> = {
  load: 'the module loads when every check passes',
  'all-ok': 'compat_checks lists every check as ok',
  'built-for': 'compat_built_for is the running release',
  ...Object.fromEntries(COMPAT_CHECKS.map((name) => [`forced-${name}`, `compat_fail=${name} refuses the load, naming ${name}`])),
  'unknown-name-refused': 'compat_fail with an unknown name refuses the load',
  'check-shows-refusal': 'after a refused load cptctl check fails, shows the reason and points at dmesg',
  'reload-after-refusals': 'the module loads normally after the refusals',
};

for (const [name, title] of Object.entries(guestChecks)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}
