import test from 'ava';

import { ImageError } from '../../src/errors.js';
import { imageAbi } from '../../src/image/abi.js';
import {
  CRC_SIZE,
  decodePagesHeader,
  decodeRecordHeader,
  encodePagesHeader,
  encodeRecord,
  encodeRecordHeader,
  RECORD_HEADER_SIZE,
} from '../../src/image/framing.js';
import { BufferSink, BufferSource } from '../../src/image/io.js';
import { readRecord, writeRecord } from '../../src/image/record-io.js';
import { loadAddon } from '../../src/native.js';

const abi = imageAbi();

test('the framing matches the header: 16-byte record and pages headers, the CPTR magic', (t) => {
  const addon = loadAddon();
  t.is(addon.RECORD_HEADER_SIZE, RECORD_HEADER_SIZE);
  t.is(addon.PAGES_HEADER_SIZE, 16);
  t.is(abi.magic, 0x52545043);
  t.is(Buffer.from('CPTR').readUInt32LE(0), abi.magic);
});

test('a record header round-trips, little-endian', (t) => {
  const header = { magic: abi.magic, type: 0x1234, flags: 0, length: 0x0102030405060708n };
  const bytes = encodeRecordHeader(header);
  t.is(bytes.toString('hex'), '43505452' + '3412' + '0000' + '0807060504030201');
  t.deepEqual(decodeRecordHeader(bytes), header);
});

test('a pages header round-trips', (t) => {
  const pages = { start: 0x7fff12345000n, nrPages: 1024n };
  const bytes = encodePagesHeader(pages);
  t.is(bytes.length, 16);
  t.deepEqual(decodePagesHeader(bytes), pages);
});

test('a record is header, payload, then the CRC32C of both', (t) => {
  const payload = Buffer.from('hello');
  const record = encodeRecord(abi, abi.types.TASK, payload);
  t.is(record.length, RECORD_HEADER_SIZE + payload.length + CRC_SIZE);
  t.deepEqual(decodeRecordHeader(record), { magic: abi.magic, type: abi.types.TASK, flags: 0, length: 5n });
  t.deepEqual(record.subarray(16, 21), payload);
});

test('writeRecord and readRecord round-trip, and readRecord takes exactly one record', async (t) => {
  const sink = new BufferSink();
  const written = await writeRecord(abi, sink, 'CPU', Buffer.from([1, 2, 3]));
  t.is(written, 16 + 3 + 4);
  const trailing = Buffer.from('the module reads this');
  const source = new BufferSource(Buffer.concat([sink.bytes(), trailing]), 1); // one byte per read
  t.deepEqual(await readRecord(abi, source, 'CPU', 'here'), Buffer.from([1, 2, 3]));
  t.is(source.position, written);
});

test('an empty payload is a valid record', async (t) => {
  const source = new BufferSource(encodeRecord(abi, abi.types.TRAILER, new Uint8Array(0)));
  t.is((await readRecord(abi, source, 'TRAILER', 'here')).length, 0);
});

async function readError(bytes: Buffer, expected: 'CPU' | 'MANIFEST' = 'CPU'): Promise<ImageError> {
  const error = await readRecord(abi, new BufferSource(bytes), expected, 'the record').then(
    () => {
      throw new Error('read succeeded');
    },
    (e: unknown) => e,
  );
  if (!(error instanceof ImageError)) throw error;
  return error;
}

const good = encodeRecord(abi, abi.types.CPU, Buffer.from('payload'));

test('readRecord: a bit flip in the payload is a CRC mismatch', async (t) => {
  const bad = Buffer.from(good);
  bad.writeUInt8(bad.readUInt8(18) ^ 0x10, 18);
  t.regex((await readError(bad)).message, /^the record: CRC mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/);
});

test('readRecord: a bit flip in the CRC is a CRC mismatch', async (t) => {
  const bad = Buffer.from(good);
  bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 1, bad.length - 1);
  t.regex((await readError(bad)).message, /CRC mismatch/);
});

test('readRecord: a bad magic says it is not an image', async (t) => {
  const bad = Buffer.from(good);
  bad.write('ELF!', 0);
  const error = await readError(bad);
  t.regex(error.message, /^the record: bad record magic 0x21464c45 \(expected 0x52545043\): not a cpt image, or corrupt$/);
  t.is(error.exitCode, 6);
});

test('readRecord: another record type is refused before its payload is read', async (t) => {
  const source = new BufferSource(encodeRecord(abi, abi.types.TASK, Buffer.alloc(100)));
  await t.throwsAsync(readRecord(abi, source, 'MANIFEST', 'the manifest'), {
    instanceOf: ImageError,
    message: 'the manifest: a TASK record where a MANIFEST record must be',
  });
  t.is(source.position, RECORD_HEADER_SIZE);
});

test('readRecord: unknown flags are refused', async (t) => {
  const bad = Buffer.from(good);
  bad.writeUInt16LE(0x8000, 6);
  t.regex((await readError(bad)).message, /CPU record with unknown flags 0x8000/);
});

test('readRecord: a huge length is refused before anything is read or allocated', async (t) => {
  const header = encodeRecordHeader({ magic: abi.magic, type: abi.types.MANIFEST, flags: 0, length: 1n << 62n });
  const source = new BufferSource(header);
  await t.throwsAsync(readRecord(abi, source, 'MANIFEST', 'the manifest'), {
    instanceOf: ImageError,
    message: 'the manifest: MANIFEST record claims 4611686018427387904 bytes, more than a MANIFEST record may have (1 MiB): corrupt',
  });
  t.is(source.position, RECORD_HEADER_SIZE);
});

test('readRecord: a manifest just over 1 MiB is corrupt, one of 1 MiB is not', async (t) => {
  const over = encodeRecordHeader({ magic: abi.magic, type: abi.types.MANIFEST, flags: 0, length: 1024n * 1024n + 1n });
  t.regex((await readError(over, 'MANIFEST')).message, /more than a MANIFEST record may have \(1 MiB\)/);
  const max = encodeRecord(abi, abi.types.MANIFEST, Buffer.alloc(1024 * 1024));
  t.is((await readRecord(abi, new BufferSource(max), 'MANIFEST', 'm')).length, 1024 * 1024);
});

test('readRecord: truncation anywhere says so', async (t) => {
  t.regex((await readError(Buffer.alloc(0))).message, /^the record: the image ends where a CPU record must be$/);
  for (const cut of [1, 15]) {
    t.regex((await readError(good.subarray(0, cut))).message, new RegExp(`truncated record header \\(${cut} of 16 bytes\\)`));
  }
  for (const cut of [16, 20, good.length - 1]) {
    t.regex(
      (await readError(good.subarray(0, cut))).message,
      new RegExp(`^the record: truncated: the image ends after ${cut - 16} of the record's 11 bytes of payload and CRC$`),
    );
  }
});
