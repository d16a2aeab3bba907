// checkpoint, restart and inspect as a user runs them: argument checks and
// exit codes on this host (which has no /dev/cpt), inspect in full.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { buildImage } from './helpers/image-builder.js';
import { runCptctl, runCptctlWith } from './helpers/run-cptctl.js';

let dir: string;
let image: string;
const NO_PID = String(2 ** 22 + 7); // above pid_max's default: never a process

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cptctl-cli-'));
  image = join(dir, 'sleep.img');
  await writeFile(image, buildImage());
});

test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('--help lists checkpoint, restart and inspect', async (t) => {
  const { code, stdout } = await runCptctl('--help');
  t.is(code, 0);
  t.regex(stdout, /cptctl checkpoint <pid>/);
  t.regex(stdout, /cptctl restart <image>/);
  t.regex(stdout, /cptctl inspect <image>/);
});

const usageErrors: readonly [string[], RegExp][] = [
  [['checkpoint', '1'], /^cptctl: no image to write: give it with -o FILE \(or -o - for stdout\)$/m],
  [['checkpoint', 'abc', '-o', 'x'], /^cptctl: the pid must be a positive integer$/m],
  [['checkpoint', '0', '-o', 'x'], /the pid must be a positive integer/],
  [['checkpoint', '-o', 'x'], /Not enough non-option arguments/],
  [['checkpoint', '1', '-o'], /Not enough arguments following: o/],
  [['checkpoint', '1', '-o', ''], /the image name given with -o is empty/],
  [['checkpoint', '1', '-o', 'x', '--kill', '--stop'], /mutually exclusive/],
  [['checkpoint', '1', '-o', 'x', '--stop', '--leave-running'], /mutually exclusive/],
  [['checkpoint', '1', '-o', 'x', '--frobnicate'], /Unknown argument: frobnicate/],
  [['restart'], /Not enough non-option arguments/],
  [['restart', 'a', 'b'], /Unknown argument: b/],
  [['inspect'], /Not enough non-option arguments/],
];

for (const [args, message] of usageErrors) {
  test(`usage error for [${args.join(' ')}] exits 2 with a hint`, async (t) => {
    const { code, stdout, stderr } = await runCptctl(...args);
    t.is(code, 2, stderr);
    t.is(stdout, '');
    t.regex(stderr, message);
    t.regex(stderr, /^hint: run `cptctl --help` for usage$/m);
  });
}

test('checkpoint of a process that does not exist exits 4 and creates nothing', async (t) => {
  const output = join(dir, 'none.img');
  const { code, stderr } = await runCptctl('checkpoint', NO_PID, '-o', output);
  t.is(code, 4);
  t.is(stderr, `cptctl: no process ${NO_PID}\n`);
  t.false(existsSync(output));
});

test('-o - reaches the command as stdout (yargs alone would drop a lone "-")', async (t) => {
  const { code, stderr } = await runCptctl('checkpoint', NO_PID, '-o', '-');
  t.is(code, 4);
  t.is(stderr, `cptctl: no process ${NO_PID}\n`);
});

const withoutModule = existsSync('/dev/cpt') ? test.skip : test;

withoutModule('checkpoint without /dev/cpt exits 3 and leaves no image behind', async (t) => {
  const output = join(dir, 'nodev.img');
  const { code, stderr } = await runCptctl('checkpoint', String(process.pid), '-o', output);
  t.is(code, 3);
  t.regex(stderr, /^cptctl: \/dev\/cpt does not exist: is the cpt module loaded\?\nhint: run `cptctl check`/);
  t.false(existsSync(output));
});

test('restart of a missing image exits 6 and says which file', async (t) => {
  const missing = join(dir, 'missing.img');
  const { code, stdout, stderr } = await runCptctl('restart', missing);
  t.is(code, 6);
  t.is(stdout, '');
  t.is(stderr, `cptctl: cannot open image ${missing}: ENOENT (no such file or directory)\n`);
});

withoutModule('restart of an image without /dev/cpt exits 3', async (t) => {
  const { code, stderr } = await runCptctl('restart', image);
  t.is(code, 3);
  t.regex(stderr, /\/dev\/cpt does not exist/);
});

test('inspect prints every section and exits 0', async (t) => {
  const { code, stdout, stderr } = await runCptctl('inspect', image);
  t.is(code, 0, stderr);
  t.regex(stdout, new RegExp(`^image {6}${image.replaceAll('/', '\\/')}: \\d+ bytes`));
  t.regex(stdout, /^trailer {4}ok: /m);
});

test('inspect - reads the image from stdin', async (t) => {
  const { code, stdout } = await runCptctlWith({ input: buildImage() }, 'inspect', '-', '--json');
  t.is(code, 0);
  const json = JSON.parse(stdout) as { image: string; records: number; manifest: { rootPid: number } };
  t.is(json.image, '-');
  t.is(json.records, 13);
  t.is(json.manifest.rootPid, 1234);
});

test('inspect of a corrupt image exits 6 with where and what', async (t) => {
  const bad = buildImage();
  bad.writeUInt8(bad.readUInt8(100) ^ 0x40, 100);
  const path = join(dir, 'bad.img');
  await writeFile(path, bad);
  const { code, stdout, stderr } = await runCptctl('inspect', path);
  t.is(code, 6);
  t.is(stdout, '');
  t.regex(stderr, /^cptctl: record \d+ at offset \d+: CRC mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)\n$/);
});

test('inspect of a truncated image exits 6', async (t) => {
  const { code, stderr } = await runCptctlWith({ input: buildImage().subarray(0, 5000) }, 'inspect', '-');
  t.is(code, 6);
  t.regex(stderr, /truncated/);
});

test('inspect of something that is not an image exits 6', async (t) => {
  const { code, stderr } = await runCptctl('inspect', '/bin/sh');
  t.is(code, 6);
  t.regex(stderr, /^cptctl: record 0 at offset 0: bad record magic 0x464c457f .*not a cpt image/);
});

test('inspect of a directory exits 6 with the read error', async (t) => {
  const { code, stderr } = await runCptctl('inspect', dir);
  t.is(code, 6);
  t.is(stderr, `cptctl: cannot read image ${dir}: EISDIR (illegal operation on a directory)\n`);
});

test('a checkpoint that fails before it opens the image leaves an existing file alone', async (t) => {
  const output = join(dir, 'existing.img');
  await writeFile(output, 'old');
  // No such process: nothing is opened, so the old file stays.
  await runCptctl('checkpoint', NO_PID, '-o', output);
  t.is((await stat(output)).size, 3);
});
