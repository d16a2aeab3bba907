// The image round trip (inspect --json, then encode) and `cptctl encode` on
// synthetic images: byte for byte, records the JSON cannot say kept as
// bytes, edits taken, invalid JSON refused with the field's path.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { assertJsonable, roundTrip, roundTripBytes } from '../../src/commands/encode/round-trip.js';
import { encodeJsonText } from '../../src/commands/encode/encode.js';
import { formatInspectJson, formatRecordListJson } from '../../src/commands/inspect/format.js';
import { inspectSource, inspectSourceWith } from '../../src/commands/inspect/inspect.js';
import { ExitCode, ImageError } from '../../src/errors.js';
import { BufferSource } from '../../src/image/io.js';
import { messageFromJson, messageToJson } from '../../src/image/message-json.js';
import { encodeMessage } from '../../src/image/schema.js';
import { bodyRecords, buildImage, encode, files, message, pages, trailerFor, treeRecords } from './helpers/image-builder.js';
import type { RecordSpec } from './helpers/image-builder.js';
import { runCptctl } from './helpers/run-cptctl.js';

interface Doc {
  recordList: { type: string | number; message?: Record<string, unknown>; payload?: string; [key: string]: unknown }[];
}

async function jsonOf(image: Buffer): Promise<Doc> {
  const { summary, records } = await inspectSourceWith(new BufferSource(image), 'x.img', { records: true });
  return JSON.parse(formatInspectJson(summary, 'x.img', records)) as Doc;
}

async function encodeDoc(doc: unknown): Promise<Buffer> {
  return (await encodeJsonText(JSON.stringify(doc), 'x.json')).bytes;
}

async function encodeError(doc: unknown): Promise<ImageError> {
  const error = await encodeDoc(doc).then(
    () => new Error('encode succeeded'),
    (e: unknown) => e,
  );
  if (!(error instanceof ImageError)) throw error;
  return error;
}

test('a whole image, and a tree, come back byte for byte', async (t) => {
  for (const image of [buildImage(), buildImage(treeRecords())]) {
    const result = await roundTripBytes(image, 'x.img');
    t.is(result.bytes, image.length);
  }
});

test('a socket with SocketOptions (its uint64 timeouts, its filter) comes back byte for byte', async (t) => {
  const socket = { id: 4, kind: 'INET' as const, socketOptions: { rcvtimeoUs: 1_500_000n, filter: Buffer.alloc(8, 6), peek: true } };
  const image = buildImage(
    bodyRecords().map((spec) =>
      spec.type === 'FILES' ? message('FILES', 'Files', { ...files, files: [...(files.files ?? []), socket] }) : spec,
    ),
  );
  t.is((await roundTripBytes(image, 'x.img')).bytes, image.length);
});

test('the round trip refuses a summary JSON cannot hold, where JSON.stringify would, naming the value', (t) => {
  const fine = { a: [1, 'x', null, { b: true }], buffer: Buffer.from('ab'), gone: undefined };
  t.notThrows(() => assertJsonable(fine, 's'));
  t.notThrows(() => JSON.stringify(fine));
  const big = { files: [{ fd: 3 }, { fd: 4, pos: 5n }] };
  t.throws(() => JSON.stringify(big), { instanceOf: TypeError });
  t.throws(() => assertJsonable(big, 's'), { instanceOf: ImageError, message: 's: .files[1].pos is a bigint, which JSON cannot hold' });
  const cyclic: Record<string, unknown> = { a: {} };
  (cyclic['a'] as Record<string, unknown>)['up'] = cyclic;
  t.throws(() => JSON.stringify(cyclic), { instanceOf: TypeError });
  t.throws(() => assertJsonable(cyclic, 's'), { instanceOf: ImageError, message: 's: .a.up refers back to itself' });
  // The same object twice, not inside itself, is no cycle.
  const shared = { x: 1 };
  t.notThrows(() => assertJsonable({ a: shared, b: [shared] }, 's'));
});

test("the round trip's record list alone is inspect --json's, text and all", async (t) => {
  for (const image of [buildImage(), buildImage(treeRecords())]) {
    const { summary, records = [] } = await inspectSourceWith(new BufferSource(image), 'x.img', { records: true });
    const whole = formatInspectJson(summary, 'x.img', records);
    const alone = formatRecordListJson(records);
    // The same lines: the list's member, from its key to its closing bracket, then the document's closing brace.
    t.true(whole.endsWith(alone.slice('{\n'.length)));
    t.deepEqual((JSON.parse(alone) as Doc).recordList, (JSON.parse(whole) as Doc).recordList);
  }
});

test("fields in the writer's order (not by number), zeros written out, come back as they were", async (t) => {
  // The module writes Task's rseq fields before comm, and gpregs' zeros.
  const task = messageFromJson('Task', { rseq: '4096', pid: 7, comm: 'x', tgid: 0, groups: [0, 0] }, 'task');
  const records: RecordSpec[] = bodyRecords().map((spec) => (spec.type === 'TASK' ? { type: 'TASK', payload: task } : spec));
  const doc = await jsonOf(buildImage(records));
  t.deepEqual(Object.keys(doc.recordList[4]?.message ?? {}), ['rseq', 'pid', 'comm', 'tgid', 'groups']);
  t.is(doc.recordList[4]?.payload, undefined);
  t.deepEqual(await encodeDoc(doc), buildImage(records));
});

test('what the JSON cannot say is kept as bytes: an unknown record type, an unknown field', async (t) => {
  // Field 99 of Task, which this schema does not have: varint 5.
  const unknownField = Buffer.concat([Buffer.from(messageFromJson('Task', { pid: 7 }, 'task')), Buffer.from([0x98, 0x06, 0x05])]);
  const records: RecordSpec[] = [
    ...bodyRecords().map((spec) => (spec.type === 'TASK' ? { type: 'TASK' as const, payload: unknownField } : spec)),
    { type: 77, payload: Buffer.from('from a newer module') },
  ];
  const image = buildImage(records);
  const doc = await jsonOf(image);
  t.deepEqual(doc.recordList[4]?.message, { pid: 7 });
  t.is(doc.recordList[4]?.payload, unknownField.toString('base64'));
  t.deepEqual(doc.recordList[12], { type: 77, payload: Buffer.from('from a newer module').toString('base64') });
  t.deepEqual(await encodeDoc(doc), image);
  // An edited message wins over the bytes kept.
  doc.recordList[4]!.message = { pid: 8 };
  const edited = await inspectSource(new BufferSource(await encodeDoc(doc)), 'y');
  t.is(edited.task?.pid, 8);
});

test('an edited field encodes to a valid image, CRCs and trailer recomputed', async (t) => {
  const doc = await jsonOf(buildImage());
  const task = doc.recordList[4]!;
  t.is(task.type, 'TASK');
  task.message = { ...task.message, comm: 'a much longer name' };
  const summary = await inspectSource(new BufferSource(await encodeDoc(doc)), 'edited');
  t.is(summary.task?.comm, 'a much longer name');
  t.deepEqual(summary.notes, []);
});

test('the trailer is counted again: every record, as the module counts, or without the manifest if it counted so', async (t) => {
  const records = bodyRecords();
  const countingAll = Buffer.concat([...records, trailerFor(records, true)].map(encode));
  const doc = await jsonOf(countingAll);
  const trailer = doc.recordList.at(-1)!;
  t.is(trailer.type, 'TRAILER');
  delete trailer.message;
  t.deepEqual(await encodeDoc(doc), countingAll);
  trailer.message = { records: '3' };
  t.deepEqual(await encodeDoc(doc), countingAll);
  // An older module's trailer, which left cptctl's manifest out.
  t.deepEqual(await encodeDoc(await jsonOf(buildImage())), buildImage());
});

test('an image that is not valid is refused, with the record', async (t) => {
  const doc = await jsonOf(buildImage());
  doc.recordList.splice(8, 1); // the MM record: its pages follow nothing
  t.regex(
    (await encodeError(doc)).message,
    /^x\.json does not make a valid image: record 8 at offset \d+: a PAGES record before the MM record/,
  );
});

test('invalid JSON is refused with the path of the field', async (t) => {
  const doc = await jsonOf(buildImage());
  const cases: [(d: Doc) => void, RegExp][] = [
    [
      (d) => {
        d.recordList[4]!.message!['pid'] = 'seven';
      },
      /^x\.json: recordList\[4\]\.message\.pid: the string "seven" is not a uint32/,
    ],
    [
      (d) => {
        d.recordList[4]!.message!['pidd'] = 1;
      },
      /^x\.json: recordList\[4\]\.message\.pidd: Task has no field "pidd"/,
    ],
    [
      (d) => {
        d.recordList[6]!.message!['files'] = [{ id: 1, kind: 'SOCKET' }];
      },
      /^x\.json: recordList\[6\]\.message\.files\[0\]\.kind: the string "SOCKET" is not a File\.Kind \(one of UNKNOWN, REGULAR/,
    ],
    [
      (d) => {
        d.recordList[8]!.message!['startCode'] = '-1';
      },
      /^x\.json: recordList\[8\]\.message\.startCode: .* is not a uint64/,
    ],
    [
      (d) => {
        d.recordList[9]!['data'] = 'not base64!';
      },
      /^x\.json: recordList\[9\]\.data: .* is not bytes \(a base64 string\)/,
    ],
    [
      (d) => {
        d.recordList[2]!.type = 'IPCS';
      },
      /^x\.json: recordList\[2\]\.type: "IPCS" is not a record type/,
    ],
    [
      (d) => {
        d.recordList[2]!['extra'] = 1;
      },
      /^x\.json: recordList\[2\]\.extra: a IPC record has no "extra"/,
    ],
    [
      (d) => {
        delete d.recordList[5]!.message;
      },
      /^x\.json: recordList\[5\]: a SIGNALS record needs its message/,
    ],
  ];
  for (const [edit, expected] of cases) {
    const broken = structuredClone(doc);
    edit(broken);
    t.regex((await encodeError(broken)).message, expected);
  }
  t.regex((await encodeError({ image: 'x', records: 13 })).message, /recordList: the JSON has no recordList array/);
  const notJson = await encodeJsonText('{"records": [', 'x.json').catch((e: unknown) => e);
  t.true(notJson instanceof ImageError && notJson.message.startsWith('x.json is not JSON: '));
});

test('roundTrip() names the first differing byte and its record', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cpt-encode-'));
  const path = join(dir, 'x.img');
  await writeFile(path, buildImage());
  t.like(await roundTrip(path), { records: 13 });
  // A TASK record whose uint32 pid is written with a needlessly long varint:
  // valid protobuf, which no encoder gives back.
  const longVarint = Buffer.from([0x08, 0x87, 0x80, 0x00]);
  const odd = buildImage(bodyRecords().map((spec) => (spec.type === 'TASK' ? { type: 'TASK', payload: longVarint } : spec)));
  // Kept as bytes, so still identical.
  await writeFile(path, odd);
  t.like(await roundTrip(path), { records: 13 });
  await t.throwsAsync(roundTrip(join(dir, 'missing.img')), { instanceOf: ImageError, message: /cannot read image/ });
});

test('cptctl encode: inspect --json then encode gives the same file; exit codes', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cpt-encode-'));
  const image = join(dir, 'x.img');
  const json = join(dir, 'x.json');
  const copy = join(dir, 'copy.img');
  await writeFile(image, buildImage(treeRecords()));
  const inspected = await runCptctl('inspect', image, '--json');
  t.is(inspected.code, 0);
  await writeFile(json, inspected.stdout);
  const encoded = await runCptctl('encode', json, '-o', copy);
  t.is(encoded.code, 0, encoded.stderr);
  t.regex(encoded.stdout, /copy\.img: 26 records, \d+ bytes/);
  t.deepEqual(await readFile(copy), await readFile(image));

  const noOutput = await runCptctl('encode', json);
  t.is(noOutput.code, ExitCode.Usage);
  t.regex(noOutput.stderr, /no image to write/);
  await writeFile(json, inspected.stdout.replaceAll('"comm": "task0"', '"comm": 0'));
  const invalid = await runCptctl('encode', json, '-o', copy);
  t.is(invalid.code, ExitCode.Image);
  t.regex(invalid.stderr, /recordList\[4\]\.message\.comm: number 0 is not a string/);
  t.regex(invalid.stderr, /hint: /);

  const summaryOnly = JSON.parse((await runCptctl('inspect', image, '--json', '--no-record-list')).stdout) as object;
  t.false('recordList' in summaryOnly);
  t.like(summaryOnly, { records: 26 });
});

test('megabytes of pages come back too (base64 checked in linear time)', async (t) => {
  const records = [...bodyRecords(), pages(0x10000000n, 2048)];
  const image = buildImage(records);
  t.like(await roundTripBytes(image, 'big.img'), { bytes: image.length });
});

test('an int32 comes back byte for byte, a negative one as its 10-byte varint; one out of range is refused', async (t) => {
  const attrs = { attrs: { nice: -4, policy: 1 }, processAttrs: { oomScoreAdj: -1000, oomScoreAdjMin: 500 } };
  const task = messageFromJson('Task', { pid: 7, ...attrs }, 'task');
  // nice -4: tag, then 0xfc 0xff... 0x01 (ten bytes).
  t.true(Buffer.from(task).includes(Buffer.from([0x18, 0xfc, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])));
  const records: RecordSpec[] = bodyRecords().map((spec) => (spec.type === 'TASK' ? { type: 'TASK', payload: task } : spec));
  const doc = await jsonOf(buildImage(records));
  t.like(doc.recordList[4]?.message, attrs);
  t.deepEqual(await encodeDoc(doc), buildImage(records));
  const message = doc.recordList[4]?.message as { attrs: { nice: number } };
  message.attrs.nice = 2 ** 31;
  t.regex((await encodeError(doc)).message, /recordList\[4\]\.message\.attrs\.nice: number 2147483648 is not an int32/);
});

test('a uint64 comes back byte for byte on both sides of 2^49 and 2^53 (numbers below, bigints above)', (t) => {
  // (Not 0: protobufjs leaves a zero out, where the JSON keeps it.)
  for (const rseq of ['1', '127', '128', String(2 ** 49 - 1), String(2 ** 49), '9007199254740993', '18446744073709551615']) {
    const payload = messageFromJson('Task', { pid: 7, rseq }, 'task');
    t.deepEqual(Buffer.from(payload), Buffer.from(encodeMessage('Task', { pid: 7, rseq: BigInt(rseq) })), rseq);
    t.deepEqual(messageToJson('Task', payload), { message: { pid: 7, rseq }, exact: true }, rseq);
  }
});
