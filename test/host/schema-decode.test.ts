// decodeMessage() gives what protobufjs's own toObject() gives with the
// same options (TO_OBJECT), key for key in the same order and value for
// value: on every message of cpt.proto with each of its fields set, on the
// records of real and synthetic images, and on thousands of their byte
// mutants that protobufjs still decodes (unknown enum numbers, uint64s
// above 2^63, negative int32s, fields repeated).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import test from 'ava';
import type protobufjs from 'protobufjs';

import { imageAbi } from '../../src/image/abi.js';
import { CRC_SIZE, decodeRecordHeader, RECORD_HEADER_SIZE } from '../../src/image/framing.js';
import type { MessageName } from '../../src/image/schema.js';
import { decodeMessage, messageType, RECORD_MESSAGES, TO_OBJECT } from '../../src/image/schema.js';
import { packageRoot } from '../../src/package.js';
import { bodyRecords, buildImage, treeRecords } from './helpers/image-builder.js';

/** A value with its keys' order made part of it, for deepEqual. */
function ordered(value: unknown): unknown {
  if (typeof value === 'bigint') return { bigint: value.toString() };
  if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') };
  if (Array.isArray(value)) return value.map(ordered);
  if (typeof value === 'object' && value !== null) return Object.entries(value).map(([key, v]) => [key, ordered(v)]);
  return value;
}

function protobufjsObject(name: MessageName, payload: Uint8Array): unknown {
  const type = messageType(name);
  return type.toObject(type.decode(payload), TO_OBJECT);
}

/** Every field of `type` set (messages down to `depth` levels), repeated ones twice. */
function everyField(type: protobufjs.Type, depth: number): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const resolved = field.resolvedType;
    let one: unknown;
    if (resolved !== null && 'valuesById' in resolved) one = Object.keys(resolved.values).at(-1);
    else if (resolved !== null) {
      if (depth === 0) continue;
      one = everyField(resolved, depth - 1);
    } else if (field.type === 'uint64') one = '18446744073709551615';
    else if (field.type === 'int32') one = -5;
    else if (field.type === 'uint32') one = 0xfffffffe;
    else if (field.type === 'bool') one = true;
    else if (field.type === 'string') one = 'é';
    else if (field.type === 'bytes') one = Buffer.from([1, 2, 3]);
    else throw new Error(`${field.fullName}: a field type this test does not fill (${field.type})`);
    value[field.name] = field.repeated ? [one, one] : one;
  }
  return value;
}

/** The payloads of an image's message records. */
function messagePayloads(image: Buffer): [MessageName, Buffer][] {
  const abi = imageAbi();
  const found: [MessageName, Buffer][] = [];
  for (let at = 0; at + RECORD_HEADER_SIZE <= image.length;) {
    const header = decodeRecordHeader(image.subarray(at, at + RECORD_HEADER_SIZE));
    const length = Number(header.length);
    const typeName = abi.typeName(header.type);
    const name = typeName === undefined ? undefined : RECORD_MESSAGES[typeName];
    if (name !== undefined) found.push([name, image.subarray(at + RECORD_HEADER_SIZE, at + RECORD_HEADER_SIZE + length)]);
    at += RECORD_HEADER_SIZE + length + CRC_SIZE;
  }
  return found;
}

const NAMES = [...new Set(Object.values(RECORD_MESSAGES))];

test('every message with every field set decodes as protobufjs converts it', (t) => {
  for (const name of NAMES) {
    const type = messageType(name);
    const payload = type.encode(type.fromObject(everyField(type, 3))).finish();
    t.deepEqual(ordered(decodeMessage(name, payload)), ordered(protobufjsObject(name, payload)), name);
    const empty = new Uint8Array();
    t.deepEqual(ordered(decodeMessage(name, empty)), ordered(protobufjsObject(name, empty)), `${name}, empty`);
  }
});

test('the records of real and synthetic images, and their byte mutants, decode as protobufjs converts them', (t) => {
  const fixtures = ['threads_token.img', 'files_state.img'].map((f) => readFileSync(join(packageRoot, 'test', 'host', 'fixtures', f)));
  const payloads = [buildImage(bodyRecords()), buildImage(treeRecords()), ...fixtures].flatMap(messagePayloads);
  for (const name of NAMES) {
    const type = messageType(name);
    payloads.push([name, Buffer.from(type.encode(type.fromObject(everyField(type, 2))).finish())]);
  }
  let seed = 0x5eed;
  const random = (below: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % below;
  };
  let compared = 0;
  for (const [name, payload] of payloads) {
    t.deepEqual(ordered(decodeMessage(name, payload)), ordered(protobufjsObject(name, payload)), name);
    for (let i = 0; i < 40 && payload.length > 0; i++) {
      const mutant = Buffer.from(payload);
      for (let n = 1 + random(3); n > 0; n--) mutant[random(mutant.length)] = random(256);
      let expected: unknown;
      try {
        expected = protobufjsObject(name, mutant);
      } catch {
        t.throws(() => decodeMessage(name, mutant), undefined, `${name} mutant ${i}: protobufjs refuses it`);
        continue;
      }
      t.deepEqual(ordered(decodeMessage(name, mutant)), ordered(expected), `${name} mutant ${i}`);
      compared++;
    }
  }
  t.true(compared > 500, `${compared} mutants compared`);
});
