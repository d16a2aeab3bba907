// The host's side of the guest suite's round trips (test/helpers/round-trips.ts):
// each image the driver copied, under its scenario's directory, becomes
// roundtrip.<scenario>.<image>, passed when it comes back byte for byte and
// failed, naming where, when it does not.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { packageRoot } from '../../src/package.js';
import { RoundTripsAsTheyCome, roundTripDirFor, roundTripsUnder } from '../helpers/round-trips.js';

const fixture = join(packageRoot, 'test', 'host', 'fixtures', 'files_state.img');

test('every copied image is round-tripped and reported under its scenario', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'round-trips-'));
  mkdirSync(join(dir, 'cow'));
  mkdirSync(join(dir, 'piped'));
  copyFileSync(fixture, join(dir, 'cow', 'cycle.img'));
  copyFileSync(fixture, join(dir, 'piped', 'a_b.img'));
  // A byte past the trailer: inspect refuses it, so the round trip fails.
  writeFileSync(join(dir, 'piped', 'broken.img'), Buffer.concat([readFileSync(fixture), Buffer.from([0])]));
  const results = await roundTripsUnder(dir);
  t.deepEqual([...results.keys()], ['cow', 'piped']);
  t.true(results.get('cow')?.get('roundtrip.cow.cycle')?.passed);
  t.regex(results.get('cow')?.get('roundtrip.cow.cycle')?.detail ?? '', /identical/);
  t.true(results.get('piped')?.get('roundtrip.piped.a_b')?.passed);
  t.false(results.get('piped')?.get('roundtrip.piped.broken')?.passed);
});

test('no directory: no round trips (a boot that copied nothing)', async (t) => {
  t.is((await roundTripsUnder(join(tmpdir(), 'no-such-round-trip-dir'))).size, 0);
  t.regex(roundTripDirFor('file:///x/dist/test/guest/boot-1.test.js'), /\.cache\/roundtrip\/boot-1\.test$/);
});

test('while a boot runs, each scenario is round-tripped once its end is printed, the rest once the boot ended', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'round-trips-'));
  mkdirSync(join(dir, 'cow'));
  copyFileSync(fixture, join(dir, 'cow', 'cycle.img'));
  const roundTrips = new RoundTripsAsTheyCome(dir);
  // The line comes in two pieces; a scenario that never ended has its copies found at the end.
  roundTrips.stdout('RESULT cow.x PASS\nSCENARIO-END co');
  roundTrips.stdout('w done 1.0 \nSCENARIO-START piped\n');
  mkdirSync(join(dir, 'piped'));
  writeFileSync(join(dir, 'piped', 'broken.img'), Buffer.concat([readFileSync(fixture), Buffer.from([0])]));
  const results = await roundTrips.all();
  t.deepEqual([...results.keys()].sort(), ['cow', 'piped']);
  t.true(results.get('cow')?.get('roundtrip.cow.cycle')?.passed);
  t.false(results.get('piped')?.get('roundtrip.piped.broken')?.passed);
});
