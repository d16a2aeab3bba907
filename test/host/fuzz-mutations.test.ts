// The fuzzer's mutant generator (test/fuzz/mutations.ts) on the two real
// images of test/host/fixtures: a mutant is a function of the seed and its
// index alone, every kind of mutation makes an image whose framing reads
// (it reaches the module's decoders), and each changes what it says it
// changed and nothing else.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';

import { imageAbi } from '../../src/image/abi.js';
import { packageRoot } from '../../src/package.js';
import { RECORD_MESSAGES, messageType } from '../../src/image/schema.js';
import type { Mutant, SeedImage } from '../fuzz/mutations.js';
import { encodeSeed, HOSTILE_PATHS, mutant, MUTATION_KINDS, seedFromImage, varintValues } from '../fuzz/mutations.js';
import type { FieldAt, WireField } from '../fuzz/wire.js';
import { allFields, parseMessage } from '../fuzz/wire.js';

const abi = imageAbi();
const fixture = (name: string): Buffer => readFileSync(join(packageRoot, 'test', 'host', 'fixtures', name));

async function fixtureSeeds(): Promise<SeedImage[]> {
  return [await seedFromImage(abi, 'threads', fixture('threads_token.img')), await seedFromImage(abi, 'files', fixture('files_state.img'))];
}

/** The first `limit` mutants of each kind, from indexes 0, 1, ... */
function byKind(seeds: readonly SeedImage[], seed: number, limit: number): Map<string, Mutant[]> {
  const found = new Map<string, Mutant[]>(MUTATION_KINDS.map((kind) => [kind, []]));
  for (let index = 0; [...found.values()].some((list) => list.length < limit); index++) {
    if (index > 5000) throw new Error('a kind of mutation never came up');
    const made = mutant(abi, seeds, seed, index);
    const list = found.get(made.kind)!;
    if (list.length < limit) list.push(made);
  }
  return found;
}

/** The field at `path` of record `record` of an image, read with the wire walker. */
async function fieldAt(bytes: Buffer, record: number, path: string): Promise<WireField | undefined> {
  const { records } = await seedFromImage(abi, 'mutant', bytes);
  const target = records[record]!;
  const name = RECORD_MESSAGES[abi.typeName(target.type)!]!;
  return allFields(parseMessage(messageType(name), target.payload)).find((at) => at.path === path)?.field;
}

test('a seed image reads into records that encode back byte for byte', async (t) => {
  for (const name of ['threads_token.img', 'files_state.img']) {
    const seed = await seedFromImage(abi, name, fixture(name));
    t.true(encodeSeed(abi, seed.records).equals(fixture(name)), name);
  }
});

test('mutants are a function of the seed and the index: the same twice, different for another seed', async (t) => {
  const seeds = await fixtureSeeds();
  let differ = 0;
  for (let index = 0; index < 40; index++) {
    const once = mutant(abi, seeds, 7, index);
    const again = mutant(abi, seeds, 7, index);
    t.true(once.bytes.equals(again.bytes), `mutant ${index}`);
    t.is(once.detail, again.detail);
    if (!mutant(abi, seeds, 8, index).bytes.equals(once.bytes)) differ++;
  }
  t.true(differ > 30, `${differ} of 40 mutants differ between seeds 7 and 8`);
});

test('every mutant is framed right (CRCs too) and differs from its seed', async (t) => {
  const seeds = await fixtureSeeds();
  for (let index = 0; index < 120; index++) {
    const made = mutant(abi, seeds, 3, index);
    const seed = seeds[index % seeds.length]!;
    // seedFromImage checks magic, lengths and CRCs as restart does.
    await t.notThrowsAsync(seedFromImage(abi, 'mutant', made.bytes), `${index}: ${made.detail}`);
    t.false(made.bytes.equals(encodeSeed(abi, seed.records)), `${index}: ${made.detail}`);
  }
});

test('varint: the named field holds one of the values tried (0, 1, -1, maxima, bounds and one off)', async (t) => {
  const seeds = await fixtureSeeds();
  for (const made of byKind(seeds, 11, 20).get('varint')!) {
    const field = await fieldAt(made.bytes, made.record!, made.path!);
    t.truthy(field, made.detail);
    t.true(varintValues(field!.field).includes(field!.value as bigint), made.detail);
    t.true(made.detail.endsWith(`-> ${String(field!.value)}`), made.detail);
  }
});

test('path: the named string field holds one of the hostile paths', async (t) => {
  const seeds = await fixtureSeeds();
  for (const made of byKind(seeds, 12, 20).get('path')!) {
    const field = await fieldAt(made.bytes, made.record!, made.path!);
    t.true(HOSTILE_PATHS.includes((field!.value as Buffer).toString('utf8')), made.detail);
  }
});

test('content: the named bytes or string field is one byte longer or shorter', async (t) => {
  const seeds = await fixtureSeeds();
  for (const made of byKind(seeds, 13, 20).get('content')!) {
    const [, before, after] = /(\d+) -> (\d+) bytes$/.exec(made.detail) ?? [];
    t.is(Math.abs(Number(after) - Number(before)), 1, made.detail);
    const field = await fieldAt(made.bytes, made.record!, made.path!);
    t.is((field!.value as Buffer).length, Number(after), made.detail);
  }
});

test('length: the record named no longer parses as it did (a length prefix one off)', async (t) => {
  const seeds = await fixtureSeeds();
  for (const made of byKind(seeds, 14, 20).get('length')!) {
    const { records } = await seedFromImage(abi, 'mutant', made.bytes);
    const seed = seeds[made.index % seeds.length]!;
    const changed = records.filter((record, i) => !record.payload.equals(seed.records[i]!.payload));
    t.is(changed.length, 1, made.detail);
    t.is(records.length, seed.records.length, made.detail);
  }
});

test('repeated and records: elements and records emptied, duplicated, dropped or swapped', async (t) => {
  const seeds = await fixtureSeeds();
  const kinds = byKind(seeds, 15, 30);
  const actions = new Set<string>();
  for (const made of kinds.get('repeated')!) {
    const action = /(emptied|duplicated|swapped)/.exec(made.detail)?.[1];
    t.truthy(action, made.detail);
    actions.add(`repeated ${action}`);
  }
  for (const made of kinds.get('records')!) {
    const { records } = await seedFromImage(abi, 'mutant', made.bytes);
    const seed = seeds[made.index % seeds.length]!;
    const action = /(duplicated|dropped|swapped)$/.exec(made.detail)?.[1];
    const expected =
      action === 'duplicated' ? seed.records.length + 1 : action === 'dropped' ? seed.records.length - 1 : seed.records.length;
    t.is(records.length, expected, made.detail);
    actions.add(`records ${action}`);
  }
  t.true(actions.size >= 5, [...actions].join(', '));
});

test('a seed with a focus: about half its field mutations are in the focus, other seeds mutate as before', async (t) => {
  const [threads, files] = await fixtureSeeds();
  const inFocus = (record: string, at: FieldAt): boolean => record === 'FILES' && /^files\[\d+\]\.path$/.test(at.path);
  const focusedSeeds = [threads!, { ...files!, focus: inFocus }];
  const fieldKinds = new Set(['varint', 'length', 'content', 'path']);
  let fieldMutants = 0;
  let focusedHits = 0;
  let unfocusedHits = 0;
  for (let index = 0; index < 400; index++) {
    const made = mutant(abi, focusedSeeds, 21, index);
    const plain = mutant(abi, [threads!, files!], 21, index);
    if (index % 2 === 0) {
      t.true(made.bytes.equals(plain.bytes), `mutant ${index} of the seed without a focus: ${made.detail} / ${plain.detail}`);
      continue;
    }
    if (!fieldKinds.has(made.kind)) continue;
    fieldMutants++;
    const hit = (m: Mutant): boolean => m.path !== undefined && m.detail.startsWith('FILES ') && /^files\[\d+\]\.path$/.test(m.path);
    if (hit(made)) focusedHits++;
    if (fieldKinds.has(plain.kind) && hit(plain)) unfocusedHits++;
  }
  t.true(fieldMutants > 100, `${fieldMutants} field mutants of the focused seed`);
  t.true(focusedHits >= fieldMutants * 0.4, `${focusedHits} of ${fieldMutants} in the focus`);
  t.true(focusedHits > 3 * unfocusedHits, `${focusedHits} in the focus with it, ${unfocusedHits} without`);
});
