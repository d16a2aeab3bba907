// Authenticated images, what cptctl itself does with them: the trailer's
// fields as inspect shows them, encode keeping them, the key id, the key
// file's mode, check's line about the key, and restart's exit status when
// the module rejects an image (EKEYREJECTED: exit 6). The HMAC itself is the
// module's, tested in the guest (test/guest/shell/authimg.sh).
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { imageKeyVerdict } from '../../src/commands/check/evaluate.js';
import { encodeJsonText } from '../../src/commands/encode/encode.js';
import { formatInspectJson, formatInspectText } from '../../src/commands/inspect/format.js';
import { inspectSourceWith } from '../../src/commands/inspect/inspect.js';
import { checkKeyFileMode, generateKey } from '../../src/commands/key/key.js';
import { restartFailure } from '../../src/commands/restart/failure.js';
import { EnvironmentError, ExitCode, ImageError } from '../../src/errors.js';
import { describeAuthentication, imageAuthentication, KEY_BYTES, keyIdOf } from '../../src/image/auth.js';
import { BufferSource } from '../../src/image/io.js';
import type { Trailer } from '../../src/image/schema.js';
import { systemError } from './helpers/fake-module.js';
import { bodyRecords, encode, message } from './helpers/image-builder.js';
import type { RecordSpec } from './helpers/image-builder.js';

const hmac = Buffer.alloc(32, 0xaa);
const keyId = Buffer.from('0123456789abcdef', 'hex');

function trailer(fields: Partial<Trailer>): Trailer {
  return { records: 0n, bytes: 0n, hmac: Buffer.alloc(0), keyId: Buffer.alloc(0), recordTags: Buffer.alloc(0), ...fields };
}

test('a trailer without authentication fields: not authenticated', (t) => {
  t.deepEqual(imageAuthentication(trailer({}), 3), { kind: 'none' });
  t.regex(describeAuthentication({ kind: 'none' }), /^not authenticated/);
});

test('a trailer with an HMAC, a key id and a tag per record: authenticated, with the key id, the manifest included', (t) => {
  const auth = imageAuthentication(trailer({ hmac, keyId, recordTags: Buffer.alloc(4 * 16) }), 4, 3);
  t.deepEqual(auth, { kind: 'authenticated', keyId: '0123456789abcdef', taggedRecords: 4, manifestTagged: true });
  const line = describeAuthentication(auth);
  t.regex(line, /^authenticated \(key id 0123456789abcdef\)/);
  t.regex(line, /manifest included/);
});

test("an older module's trailer, a tag per record but the manifest: authenticated, the manifest outside", (t) => {
  const auth = imageAuthentication(trailer({ hmac, keyId, recordTags: Buffer.alloc(3 * 16) }), 4, 3);
  t.deepEqual(auth, { kind: 'authenticated', keyId: '0123456789abcdef', taggedRecords: 3, manifestTagged: false });
  t.regex(describeAuthentication(auth), /manifest outside them, which a restart under a key refuses/);
});

test('malformed authentication fields are named', (t) => {
  const cases: [Partial<Trailer>, RegExp][] = [
    [{ hmac: Buffer.alloc(31), keyId, recordTags: Buffer.alloc(48) }, /HMAC has 31 bytes/],
    [{ hmac, keyId: Buffer.alloc(4), recordTags: Buffer.alloc(48) }, /key id has 4 bytes/],
    [{ hmac, keyId, recordTags: Buffer.alloc(47) }, /not a multiple of 16/],
    [{ hmac, keyId, recordTags: Buffer.alloc(32) }, /tags 2 records, the image has 3 before its trailer/],
    [{ keyId }, /HMAC has 0 bytes/],
  ];
  for (const [fields, reason] of cases) {
    const auth = imageAuthentication(trailer(fields), 3);
    t.is(auth.kind, 'malformed');
    if (auth.kind === 'malformed') t.regex(auth.reason, reason);
  }
});

test("a key's id is the first 8 bytes of its SHA-256, as the module computes it", (t) => {
  const key = Buffer.alloc(KEY_BYTES, 7);
  t.is(keyIdOf(key), createHash('sha256').update(key).digest('hex').slice(0, 16));
  t.is(keyIdOf(key).length, 16);
});

/** bodyRecords() with an authenticated trailer (a tag for every record, the manifest's too). */
function authenticatedImage(): Buffer {
  const records = bodyRecords();
  const bytes = records.reduce((sum, spec) => sum + encode(spec).length, 0);
  const recordTags = Buffer.alloc(records.length * 16, 0x5c);
  const last: RecordSpec = message('TRAILER', 'Trailer', {
    records: BigInt(records.length),
    bytes: BigInt(bytes),
    hmac,
    keyId,
    recordTags,
  });
  return Buffer.concat([...records, last].map(encode));
}

test('inspect shows an authenticated image, in text and JSON', async (t) => {
  const { summary } = await inspectSourceWith(new BufferSource(authenticatedImage()), 'a.img', { records: false });
  t.like(summary.authentication, { kind: 'authenticated', keyId: '0123456789abcdef', manifestTagged: true });
  t.regex(formatInspectText(summary, 'a.img'), /^auth {7}authenticated \(key id 0123456789abcdef\)/m);
  const json = JSON.parse(formatInspectJson(summary, 'a.img')) as { authentication: unknown };
  t.like(json.authentication, { kind: 'authenticated', keyId: '0123456789abcdef' });
});

test('encode keeps the trailer authentication fields of an edited image, counts made again', async (t) => {
  const image = authenticatedImage();
  const { summary, records } = await inspectSourceWith(new BufferSource(image), 'a.img', { records: true });
  const doc = JSON.parse(formatInspectJson(summary, 'a.img', records)) as {
    recordList: { type: string; message?: Record<string, unknown> }[];
  };
  const task = doc.recordList.find((record) => record.type === 'TASK');
  if (task?.message === undefined) return t.fail('no TASK record in the JSON');
  task.message['comm'] = 'sleeX';
  delete (task as Record<string, unknown>)['payload'];
  const edited = (await encodeJsonText(JSON.stringify(doc), 'a.json')).bytes;
  t.notDeepEqual(edited, image);
  const again = await inspectSourceWith(new BufferSource(edited), 'b.img', { records: false });
  t.is(again.summary.task?.comm, 'sleeX');
  t.deepEqual(again.summary.trailer.hmac, hmac);
  t.deepEqual(again.summary.trailer.keyId, keyId);
  t.like(again.summary.authentication, { kind: 'authenticated', taggedRecords: summary.trailer.recordTags.length / 16 });
});

test('key generate writes 32 random bytes, mode 0400, and never overwrites', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-key-'));
  try {
    const file = join(dir, 'sub', 'image.key');
    const made = await generateKey(file);
    const key = await readFile(file);
    t.is(key.length, KEY_BYTES);
    t.is(made.keyId, keyIdOf(key));
    t.is((await stat(file)).mode & 0o777, 0o400);
    t.is((await stat(join(dir, 'sub'))).mode & 0o777, 0o700);
    const error = await t.throwsAsync(generateKey(file), { instanceOf: EnvironmentError });
    t.regex(error?.message ?? '', /EEXIST/);
    t.deepEqual(await readFile(file), key);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test("key load refuses a key file that is not root's alone", (t) => {
  t.notThrows(() => checkKeyFileMode('k', 0o100400, 0));
  t.notThrows(() => checkKeyFileMode('k', 0o100600, 0));
  t.throws(() => checkKeyFileMode('k', 0o100640, 0), { instanceOf: EnvironmentError, message: /mode 0640/ });
  t.throws(() => checkKeyFileMode('k', 0o100604, 0), { instanceOf: EnvironmentError });
  t.throws(() => checkKeyFileMode('k', 0o100400, 1000), { instanceOf: EnvironmentError, message: /uid 1000/ });
});

test("check's key line: the id when loaded, what no key means, skipped for an older module", (t) => {
  const loaded = imageKeyVerdict({ kind: 'loaded', keyId: '0123456789abcdef' }).result;
  t.like(loaded, { name: 'key', status: 'ok' });
  t.regex(loaded.detail, /image key 0123456789abcdef loaded/);
  t.regex(imageKeyVerdict({ kind: 'none' }).result.detail, /no image key loaded/);
  t.is(imageKeyVerdict({ kind: 'unsupported' }).result.status, 'skip');
  t.is(imageKeyVerdict({ kind: 'failed', code: 'EINVAL', message: 'x' }).result.status, 'fail');
});

test('a restart the module rejects with EKEYREJECTED is an image error (exit 6) with its words', (t) => {
  const error = Object.assign(systemError('EKEYREJECTED', 129, 'CPT_IOC_FINALIZE', 'Key was rejected by service'), {
    detail: 'image record 7 (PAGES) fails authentication',
  });
  const failure = restartFailure('CPT_IOC_FINALIZE', 1234, error);
  t.true(failure instanceof ImageError);
  t.is(failure.exitCode, ExitCode.Image);
  t.regex(failure.message, /image record 7 \(PAGES\) fails authentication/);
  t.regex(failure.hint ?? '', /--allow-unauthenticated/);
});
