// The inspect decoder on synthetic images built with the TypeScript encoder,
// whole and broken one way at a time.
import test from 'ava';

import { ImageError } from '../../src/errors.js';
import { inspectSource } from '../../src/commands/inspect/inspect.js';
import type { ImageSummary } from '../../src/commands/inspect/decode.js';
import { BufferSource } from '../../src/image/io.js';
import {
  bodyRecords,
  buildImage,
  encode,
  message,
  pages,
  recordOffsets,
  trailerFor,
  treeRecords,
  VMA_HEAP,
  VMA_TEXT,
} from './helpers/image-builder.js';
import type { RecordSpec } from './helpers/image-builder.js';

function inspectBytes(bytes: Buffer, chunk?: number): Promise<ImageSummary> {
  return inspectSource(new BufferSource(bytes, chunk), 'test.img');
}

async function inspectError(bytes: Buffer): Promise<ImageError> {
  const error = await inspectBytes(bytes).then(
    () => new Error('inspect succeeded'),
    (e: unknown) => e,
  );
  if (!(error instanceof ImageError)) throw error;
  return error;
}

test('a complete image decodes into every section', async (t) => {
  const image = buildImage();
  const summary = await inspectBytes(image);
  t.is(summary.size, image.length);
  t.is(summary.records, 13);
  t.like(summary.header, { formatVersion: 1, kernelRelease: '6.1.0-18-amd64', arch: 'x86_64', xfeatures: 0x2e7n, pageSize: 4096 });
  t.deepEqual(summary.manifest, { tool: 'cptctl 0.1.0', rootPid: 1234, argv: ['sleep', '1000'], hostname: 'guest', shellJob: true });
  t.like(summary.task, { pid: 1234, comm: 'sleep', umask: 0o22, groups: [0, 4], cwd: '/root' });
  t.is(summary.task?.rlimits[1]?.max, (1n << 64n) - 1n);
  t.is(summary.signals?.actions.length, 2);
  t.is(summary.signals?.pending[0]?.siginfo.length, 128);
  t.is(summary.files?.files[2]?.kind, 'CHAR_DEVICE');
  t.is(summary.files?.files[2]?.rdev, 0x103);
  t.is(summary.cpu?.gpregs.length, 27);
  t.is(summary.mm?.vmas.length, 3);
  // As the module counts: its own records, not the manifest.
  t.like(summary.trailer, { records: 11n, bytes: BigInt(recordOffsets()[12]! - encode(bodyRecords()[3]!).length) });
  t.deepEqual(summary.authentication, { kind: 'none' });
  t.deepEqual(summary.ipc?.sems[0]?.values, [1, 5, 42]);
  t.deepEqual(summary.unknownRecords, []);
  t.deepEqual(summary.notes, []);
});

test('pages are counted in total and per VMA', async (t) => {
  const { pages: summary } = await inspectBytes(buildImage());
  t.is(summary.records, 3);
  t.is(summary.pages, 6n);
  t.is(summary.bytes, 6n * 4096n);
  t.deepEqual(summary.perVma, [2n, 3n, 1n]);
  t.is(summary.outsideVmas, 0n);
});

test('the same image read one byte at a time decodes the same', async (t) => {
  t.deepEqual(await inspectBytes(buildImage(), 1), await inspectBytes(buildImage()));
});

test('a PAGES record spanning two VMAs is split between them', async (t) => {
  const records = bodyRecords().filter((spec) => spec.type !== 'PAGES');
  const mm = message('MM', 'Mm', {
    vmas: [
      { start: 0x10000n, end: 0x12000n, prot: 3, flags: 2 },
      { start: 0x12000n, end: 0x15000n, prot: 1, flags: 2 },
    ],
    nrPages: 4n,
  });
  const image = [...records.filter((spec) => spec.type !== 'MM'), mm, pages(0x11000n, 4)];
  const summary = await inspectBytes(buildImage(image));
  t.deepEqual(summary.pages.perVma, [1n, 3n]);
});

test('pages outside every VMA, and an MM record that miscounts, are notes', async (t) => {
  const records = [...bodyRecords(), pages(0x900000n, 2)];
  const summary = await inspectBytes(buildImage(records));
  t.is(summary.pages.outsideVmas, 2n);
  t.true(summary.notes.some((note) => note.includes('2 of its pages (from 0x900000) lie in no VMA')));
  t.true(summary.notes.some((note) => note === 'the MM record of process 1234 announces 6 pages, the PAGES records after it hold 8'));
});

test('an unknown record type is reported and skipped, not fatal', async (t) => {
  const records = [...bodyRecords().slice(0, 7), { type: 99, payload: Buffer.alloc(300, 1) }, ...bodyRecords().slice(7)];
  const summary = await inspectBytes(buildImage(records));
  t.is(summary.unknownRecords.length, 1);
  t.like(summary.unknownRecords[0], { index: 7, type: 99, length: 300 });
  t.regex(summary.notes[0] ?? '', /^record 7 at offset \d+: skipped a record of unknown type 99 \(300 bytes\)/);
  t.is(summary.pages.pages, 6n);
});

test('a trailer that counts every record, the manifest included, is as good', async (t) => {
  const records = bodyRecords();
  const image = Buffer.concat([...records, trailerFor(records, true)].map(encode));
  t.is((await inspectBytes(image)).trailer.records, 13n - 1n);
});

test('missing sections are notes', async (t) => {
  const records = bodyRecords().filter((spec) => spec.type !== 'SIGNALS' && spec.type !== 'MANIFEST');
  const summary = await inspectBytes(buildImage(records));
  t.is(summary.signals, null);
  t.is(summary.manifest, null);
  t.true(summary.notes.includes('the image has no SIGNALS record'));
  t.true(summary.notes.includes('the image has no MANIFEST record'));
});

// Corruption: each is an ImageError (exit 6) saying where and what.

const offsets = recordOffsets();

test('a bit flip anywhere in a record is a CRC mismatch at that record', async (t) => {
  const image = buildImage();
  for (const index of [0, 2, 5, 8, 10]) {
    const at = offsets[index]! + 17; // the payload's second byte
    const bad = Buffer.from(image);
    bad.writeUInt8(bad.readUInt8(at) ^ 0x04, at);
    const error = await inspectError(bad);
    t.regex(error.message, new RegExp(`^record ${index} at offset ${offsets[index]}: CRC mismatch`), `record ${index}`);
    t.is(error.exitCode, 6);
  }
});

test('the example of the brief: "record 3 at offset N: CRC mismatch"', async (t) => {
  const bad = buildImage();
  bad.writeUInt8(bad.readUInt8(offsets[3]! + 20) ^ 1, offsets[3]! + 20);
  t.regex((await inspectError(bad)).message, new RegExp(`^record 3 at offset ${offsets[3]}: CRC mismatch \\(stored 0x`));
});

test('truncation at any point is reported as such', async (t) => {
  const image = buildImage();
  const cuts = [1, 15, 16, 40, offsets[7]! + 100, offsets[8]! - 2, offsets[10]!, image.length - 1];
  for (const cut of cuts) {
    const error = await inspectError(image.subarray(0, cut));
    t.regex(error.message, /truncated/, `cut at ${cut}: ${error.message}`);
  }
  t.is(
    (await inspectError(image.subarray(0, offsets[10]))).message,
    `the image ends after 10 records (${offsets[10]} bytes) without a trailer: it is truncated`,
  );
  t.regex(
    (await inspectError(image.subarray(0, offsets[9]! + 100))).message,
    new RegExp(`^record 9 at offset ${offsets[9]}: truncated: the image ends after 84 of the PAGES record's \\d+ payload bytes$`),
  );
});

test('an empty image is an error', async (t) => {
  t.is((await inspectError(Buffer.alloc(0))).message, 'the image is empty');
});

test('a bad magic: not a cpt image', async (t) => {
  const bad = buildImage();
  bad.write('\x7fELF', 0, 'latin1');
  t.regex(
    (await inspectError(bad)).message,
    /^record 0 at offset 0: bad record magic 0x464c457f \(expected 0x52545043\): not a cpt image, or corrupt$/,
  );
  const later = buildImage();
  later.writeUInt32LE(0, offsets[4]);
  t.regex((await inspectError(later)).message, new RegExp(`^record 4 at offset ${offsets[4]}: bad record magic 0x00000000`));
});

test('a huge length is refused without reading on', async (t) => {
  const bad = buildImage();
  bad.writeBigUInt64LE(1n << 40n, offsets[4]! + 8);
  t.is(
    (await inspectError(bad)).message,
    `record 4 at offset ${offsets[4]}: TASK record claims 1099511627776 bytes, more than a TASK record may have (16 MiB): corrupt`,
  );
  const pagesBad = buildImage();
  pagesBad.writeBigUInt64LE(0xffffffffffffffffn, offsets[9]! + 8);
  t.regex(
    (await inspectError(pagesBad)).message,
    /PAGES record claims 18446744073709551615 bytes, more than a PAGES record may have \(1 GiB\)/,
  );
});

test('the image must start with its header', async (t) => {
  const records = bodyRecords().slice(1);
  t.is(
    (await inspectError(buildImage(records))).message,
    'record 0 at offset 0: the image starts with a TREE record, not the image header',
  );
});

test('an image of another format version is refused', async (t) => {
  const records = bodyRecords();
  records[0] = message('HEADER', 'ImageHeader', { formatVersion: 2, pageSize: 4096 });
  t.is((await inspectError(buildImage(records))).message, 'record 0 at offset 0: image format version 2, this cptctl reads version 1');
});

test('a trailer with the wrong counts means records are missing or extra', async (t) => {
  const records = bodyRecords();
  const image = Buffer.concat([...records.filter((_, i) => i !== 9), trailerFor(records)].map(encode));
  t.regex(
    (await inspectError(image)).message,
    /^record 11 at offset \d+: the trailer counts 11 records and \d+ bytes before it, but the image has 11 records/,
  );
});

test('records after the trailer are refused', async (t) => {
  const records = bodyRecords();
  const image = Buffer.concat([...records, trailerFor(records), records[4]!].map(encode));
  t.regex((await inspectError(image)).message, /^record 13 at offset \d+: a TASK record after the trailer$/);
});

test('pages before the MM record are refused', async (t) => {
  const records: RecordSpec[] = [...bodyRecords().slice(0, 6), pages(VMA_TEXT, 1), ...bodyRecords().slice(6)];
  t.regex((await inspectError(buildImage(records))).message, /^record 6 at offset \d+: a PAGES record before the MM record/);
});

test('a PAGES record whose size does not match its page count is refused', async (t) => {
  const spec = pages(VMA_HEAP, 2);
  const shortened: RecordSpec = { type: 'PAGES', payload: spec.payload.subarray(0, spec.payload.length - 100) };
  const records = [...bodyRecords().slice(0, 9), shortened];
  t.regex(
    (await inspectError(buildImage(records))).message,
    /^record 9 at offset \d+: the PAGES record holds 8092 bytes for 2 pages of 4096 bytes$/,
  );
  const tiny: RecordSpec = { type: 'PAGES', payload: Buffer.alloc(8) };
  t.regex(
    (await inspectError(buildImage([...bodyRecords().slice(0, 9), tiny]))).message,
    /PAGES record of 8 bytes, shorter than its 16-byte pages header/,
  );
});

test('an undecodable payload names the record and the message', async (t) => {
  const records = bodyRecords();
  records[2] = { type: 'TASK', payload: Buffer.from([0x0a, 0xff, 0xff]) };
  t.regex((await inspectError(buildImage(records))).message, /^record 2 at offset \d+: undecodable Task payload \(/);
});

test('a second header is refused', async (t) => {
  const records = [...bodyRecords(), bodyRecords()[0]!];
  t.regex((await inspectError(buildImage(records))).message, /^record 12 at offset \d+: a second image header$/);
});

test('unknown record flags are refused', async (t) => {
  const bad = buildImage();
  bad.writeUInt16LE(1, offsets[7]! + 6);
  t.regex((await inspectError(bad)).message, /^record 7 at offset \d+: CPU record with unknown flags 0x1$/);
});

test('a tree: every process with its own records, threads under their process', async (t) => {
  const summary = await inspectBytes(buildImage(treeRecords()));
  t.deepEqual(summary.notes, []);
  t.deepEqual(
    summary.processes.map((p) => p.pid),
    [1234, 1240, 1241],
  );
  const [root, child, sharer] = summary.processes;
  t.is(root?.task?.comm, 'task0');
  t.deepEqual(
    root?.threads.map((thread) => [thread.pid, thread.task?.comm, thread.signals?.blocked, thread.cpu?.fsBase]),
    [[1235, 'task1', 1235n, 1235n]],
  );
  t.is(child?.task?.comm, 'task2');
  t.is(child?.signals?.blocked, 1240n);
  t.is(child?.cpu?.fsBase, 1240n);
  t.is(child?.files?.files[0]?.kind, 'PIPE');
  t.is(child?.mm?.exe, '/usr/bin/child');
  t.like(child?.pages, { records: 1, pages: 1n, perVma: [1n], outsideVmas: 0n });
  t.is(sharer?.files, null);
  t.is(sharer?.fdTableOf, 1234);
  t.is(sharer?.mm?.exe, '/usr/bin/sharer');
  t.is(sharer?.pages.pages, 0n);
  // The root's sections, as before, and the image's totals.
  t.is(summary.task, root?.task ?? null);
  t.deepEqual(summary.pages.perVma, [2n, 3n, 1n]);
  t.is(summary.pages.pages, 7n);
});

test('a tree whose records fall short of its tasks gets notes, not misattributed records', async (t) => {
  const records = treeRecords();
  const lastCpu = records.map((spec) => spec.type).lastIndexOf('CPU');
  records.splice(lastCpu, 1);
  const summary = await inspectBytes(buildImage(records));
  t.deepEqual(summary.notes, ['the image has 3 CPU records for 4 tasks']);
  t.is(summary.processes[2]?.cpu, null);
});
