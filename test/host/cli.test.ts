import { existsSync } from 'node:fs';
import { access, constants, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import test from 'ava';

import { packageVersion } from '../../src/package.js';
import { CPTCTL, runBin, runCptctl } from './helpers/run-cptctl.js';

test('bin/cptctl is executable', async (t) => {
  await t.notThrowsAsync(access(CPTCTL, constants.X_OK));
});

test('--help lists the commands and the global options', async (t) => {
  const { code, stdout } = await runCptctl('--help');
  t.is(code, 0);
  t.regex(stdout, /cptctl check/);
  t.regex(stdout, /--json/);
  t.regex(stdout, /--version/);
});

test('check --help describes check', async (t) => {
  const { code, stdout } = await runCptctl('check', '--help');
  t.is(code, 0);
  t.regex(stdout, /cptctl check --json/);
});

test('--version prints the version of package.json', async (t) => {
  const { code, stdout } = await runCptctl('--version');
  t.is(code, 0);
  t.is(stdout.trim(), packageVersion());
});

for (const args of [
  [],
  ['frobnicate'],
  ['check', '--frobnicate'],
  ['check', 'extra'],
  ['checkpoint', '1', '-o', 'x.img', '--tcp-established'],
]) {
  test(`usage error for [${args.join(' ')}] exits 2 with a hint`, async (t) => {
    const { code, stdout, stderr } = await runCptctl(...args);
    t.is(code, 2);
    t.is(stdout, '');
    t.regex(stderr, /^cptctl: .+\nhint: run `cptctl --help` for usage\n$/);
  });
}

// This host has neither the target kernel nor the module; on a machine
// where /dev/cpt exists, the guest tests cover check instead.
const withoutModule = existsSync('/dev/cpt') ? test.skip : test;

withoutModule('check on this host exits 3 and explains /dev/cpt', async (t) => {
  const { code, stdout, stderr } = await runCptctl('check');
  t.is(code, 3);
  t.regex(stdout, /^FAIL {2}device +\/dev\/cpt does not exist/m);
  t.regex(stdout, /^hint: /m);
  t.regex(stderr, /^cptctl: cannot checkpoint or restart process trees here \(failed checks: .*device.*\)\n$/);
  t.notRegex(stderr, /\n\s+at /); // an expected failure, not a stack trace
});

withoutModule('check --json on this host prints parseable JSON with ok false and exits 3', async (t) => {
  const { code, stdout, stderr } = await runCptctl('check', '--json');
  t.is(code, 3);
  const report = JSON.parse(stdout) as {
    ok: boolean;
    module: { loaded: boolean };
    checks: { name: string; ok: boolean; detail: string }[];
  };
  t.false(report.ok);
  t.false(report.module.loaded);
  const device = report.checks.find((check) => check.name === 'device');
  t.false(device?.ok);
  t.regex(device?.detail ?? '', /\/dev\/cpt/);
  t.regex(stderr, /^cptctl: /);
});

test('bin/cptctl without dist/ asks for a build and exits 1', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'cptctl-nodist-'));
  try {
    await mkdir(join(root, 'bin'));
    await writeFile(join(root, 'package.json'), '{"type": "module"}\n');
    const bin = join(root, 'bin', 'cptctl');
    await copyFile(CPTCTL, bin);
    // The launcher's loader beside it, as in the package.
    await copyFile(join(dirname(CPTCTL), 'load-bundle.mjs'), join(root, 'bin', 'load-bundle.mjs'));
    const { code, stderr } = await runBin(bin, ['--help']);
    t.is(code, 1);
    t.regex(stderr, /run `npm run build`/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
