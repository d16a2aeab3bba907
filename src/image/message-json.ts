// Record payloads as JSON a person can read and edit, and back, byte for
// byte: the protobuf JSON conventions (fields by their camelCase names,
// 64-bit numbers as decimal strings, enums by name, bytes in base64), and
// each message's fields exactly as the payload has them: in the order the
// writer put them (the module's is not field-number order), a field present
// with its default value kept, an absent one left out. protobufjs encodes
// in its own order, so the wire format is walked here, with protobufjs's
// reflection of cpt.proto for the field types. Going back is strict: a field
// the message does not have, or a value of the wrong kind, is refused with
// its path ("recordList[7].message.files[2].kind").
import type protobufjs from 'protobufjs';

import { ImageError } from '../errors.js';
import type { MessageName } from './schema.js';
import { messageType } from './schema.js';

/** A decoded message as JSON values only. */
export interface JsonObject {
  [key: string]: JsonValue;
}
export type JsonValue = string | number | boolean | null | JsonValue[] | JsonObject;

const TO_JSON: protobufjs.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: String,
  defaults: false,
};

export interface PayloadJson {
  readonly message: JsonObject;
  /**
   * Whether messageFromJson(message) gives the payload back. Not when the
   * payload has what JSON cannot say: a field this schema does not know,
   * packed or interleaved repeated values, invalid UTF-8, a bool other than 0
   * or 1. The message is then protobufjs's reading of it.
   */
  readonly exact: boolean;
}

/** The payload of a record as JSON; protobufjs's own Error when it is malformed. */
export function messageToJson(name: MessageName, payload: Uint8Array): PayloadJson {
  const type = messageType(name);
  let message: JsonObject | undefined;
  try {
    message = readMessage(type, Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength));
  } catch {
    message = undefined;
  }
  if (message !== undefined && Buffer.from(messageFromJson(name, message, 'message')).equals(payload)) {
    return { message, exact: true };
  }
  return { message: type.toObject(type.decode(payload), TO_JSON), exact: false };
}

/** Encodes a message given as JSON, its fields in the order given. Throws an ImageError naming the bad field. */
export function messageFromJson(name: MessageName, value: unknown, path: string): Uint8Array {
  const writer = new WireWriter();
  writeMessage(writer, messageType(name), value, path);
  return writer.finish();
}

/** What protobufjs encodes for the payload's content: equal for two payloads that say the same. */
export function canonicalPayload(name: MessageName, payload: Uint8Array): Uint8Array {
  const type = messageType(name);
  return type.encode(type.decode(payload)).finish();
}

/** What protobufjs encodes for a message given as JSON (checked first). */
export function canonicalMessage(name: MessageName, value: unknown, path: string): Uint8Array {
  const type = messageType(name);
  messageFromJson(name, value, path);
  return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
}

const WIRE_VARINT = 0;
const WIRE_LENGTH = 2;
const UINT32_MAX = 0xffff_ffff;
const INT32_MIN = -0x8000_0000;
const INT32_MAX = 0x7fff_ffff;
const UINT64_MAX = (1n << 64n) - 1n;
// With the length a multiple of 4; one class, no group: linear on megabytes of pages.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isBase64(value: unknown): value is string {
  return typeof value === 'string' && value.length % 4 === 0 && BASE64.test(value);
}

/** Whether a field is a varint on the wire (else it is length-delimited). */
function isVarint(field: protobufjs.Field): boolean {
  const resolved = field.resolvedType;
  if (resolved !== null) return 'values' in resolved;
  return field.type === 'uint32' || field.type === 'int32' || field.type === 'uint64' || field.type === 'bool';
}

// Varints are read and written as numbers while they fit one exactly, and
// as bigints above: a round trip of an image of 21,000 files spent most of
// its time making bigints and one-varint Buffers, seconds under emulation.

class WireReader {
  offset = 0;
  constructor(readonly bytes: Buffer) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  /** The next varint: a number when it has up to 7 bytes (below 2^49), else a bigint. */
  varint(): number | bigint {
    const start = this.offset;
    let value = 0;
    for (let i = 0, scale = 1; i < 7; i++, scale *= 0x80) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw new Error('truncated varint');
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
    }
    this.offset = start;
    return this.bigVarint();
  }

  private bigVarint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw new Error('truncated varint');
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return value;
    }
    throw new Error('varint too long');
  }

  lengthDelimited(): Buffer {
    const length = Number(this.varint());
    if (this.offset + length > this.bytes.length) throw new Error('truncated field');
    const bytes = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return bytes;
  }
}

class WireWriter {
  #bytes = Buffer.allocUnsafe(64);
  #length = 0;

  #reserve(more: number): void {
    if (this.#length + more <= this.#bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(2 * this.#bytes.length, this.#length + more));
    this.#bytes.copy(grown, 0, 0, this.#length);
    this.#bytes = grown;
  }

  /** A number must be a non-negative safe integer; a bigint, below 2^70 (10 bytes). */
  varint(value: number | bigint): void {
    this.#reserve(10);
    if (typeof value === 'number') {
      let rest = value;
      while (rest >= 0x80) {
        this.#bytes[this.#length++] = (rest % 0x80) | 0x80;
        rest = Math.floor(rest / 0x80);
      }
      this.#bytes[this.#length++] = rest;
      return;
    }
    let rest = value;
    while (rest >= 0x80n) {
      this.#bytes[this.#length++] = Number(rest & 0x7fn) | 0x80;
      rest >>= 7n;
    }
    this.#bytes[this.#length++] = Number(rest);
  }

  bytes(data: Uint8Array): void {
    this.varint(data.length);
    this.#reserve(data.length);
    this.#bytes.set(data, this.#length);
    this.#length += data.length;
  }

  /** What was written: a view of the writer's buffer, which it no longer changes. */
  finish(): Buffer {
    return this.#bytes.subarray(0, this.#length);
  }
}

/**
 * The fields of a message as JSON, keys in the order the fields first come.
 * Throws (a plain Error) on anything JSON could not give back the same way.
 */
function readMessage(type: protobufjs.Type, bytes: Buffer): JsonObject {
  const reader = new WireReader(bytes);
  const message: JsonObject = {};
  let last: string | undefined;
  while (!reader.done) {
    const key = reader.varint();
    // No field number is that large (it would be 2^46 or more).
    if (typeof key !== 'number') throw new Error('unknown field');
    const field = type.fieldsById[Math.floor(key / 8)];
    if (field === undefined) throw new Error('unknown field');
    const wire = key % 8;
    if (wire !== (isVarint(field) ? WIRE_VARINT : WIRE_LENGTH)) throw new Error('unexpected wire type');
    const value = readValue(field, reader);
    if (field.repeated) {
      const values = message[field.name];
      if (values === undefined) message[field.name] = [value];
      // Elements apart from each other would come back together.
      else if (Array.isArray(values) && last === field.name) values.push(value);
      else throw new Error('interleaved repeated field');
    } else {
      if (field.name in message) throw new Error('a field given twice');
      message[field.name] = value;
    }
    last = field.name;
  }
  return message;
}

function readValue(field: protobufjs.Field, reader: WireReader): JsonValue {
  const resolved = field.resolvedType;
  if (resolved !== null && 'values' in resolved) {
    const number = Number(reader.varint());
    return resolved.valuesById[number] ?? number;
  }
  if (resolved !== null) return readMessage(resolved, reader.lengthDelimited());
  switch (field.type) {
    case 'uint32': {
      const value = reader.varint();
      if (typeof value !== 'number' || value > UINT32_MAX) throw new Error('uint32 out of range');
      return value;
    }
    case 'int32': {
      // A negative int32 is its 64-bit two's complement on the wire (10 bytes: a bigint).
      const raw = reader.varint();
      const value = typeof raw === 'number' ? raw : Number(BigInt.asIntN(64, raw));
      if (value < INT32_MIN || value > INT32_MAX) throw new Error('int32 out of range');
      return value;
    }
    case 'uint64':
      return reader.varint().toString();
    case 'bool': {
      const value = Number(reader.varint());
      if (value > 1) throw new Error('bool other than 0 or 1');
      return value === 1;
    }
    case 'string':
      return new TextDecoder('utf-8', { fatal: true }).decode(reader.lengthDelimited());
    case 'bytes':
      return reader.lengthDelimited().toString('base64');
    default:
      throw new Error(`no JSON for ${field.type}`);
  }
}

/** File.Kind, as cpt.proto spells it. */
function enumName(e: protobufjs.ReflectionObject): string {
  return e.parent !== null && e.parent.name !== 'cpt' ? `${e.parent.name}.${e.name}` : e.name;
}

/** Writes the message's fields in the order the JSON gives them, each checked. */
function writeMessage(writer: WireWriter, type: protobufjs.Type, value: unknown, path: string): void {
  if (!isPlainObject(value)) throw invalidJson(path, `a ${type.name} message must be an object, not ${describe(value)}`);
  for (const [key, fieldValue] of Object.entries(value)) {
    const field = type.fields[key];
    const at = `${path}.${key}`;
    if (field === undefined) {
      throw invalidJson(at, `${type.name} has no field ${JSON.stringify(key)} (it has ${Object.keys(type.fields).join(', ')})`);
    }
    if (field.repeated) {
      if (!Array.isArray(fieldValue)) throw invalidJson(at, `a repeated field must be an array, not ${describe(fieldValue)}`);
      fieldValue.forEach((element, i) => writeField(writer, field, element, `${at}[${i}]`));
    } else {
      writeField(writer, field, fieldValue, at);
    }
  }
}

function writeField(writer: WireWriter, field: protobufjs.Field, value: unknown, path: string): void {
  const varint = isVarint(field);
  writer.varint(field.id * 8 + (varint ? WIRE_VARINT : WIRE_LENGTH));
  const resolved = field.resolvedType;
  if (resolved !== null && 'values' in resolved) {
    const names = Object.keys(resolved.values);
    const number = typeof value === 'string' ? resolved.values[value] : undefined;
    if (number !== undefined) return writer.varint(number);
    // A number the schema does not name is kept: a newer module's value.
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0x7fff_ffff) return writer.varint(value);
    throw invalidJson(path, `${describe(value)} is not a ${enumName(resolved)} (one of ${names.join(', ')}, or a number)`);
  }
  if (resolved !== null) {
    const inner = new WireWriter();
    writeMessage(inner, resolved, value, path);
    return writer.bytes(inner.finish());
  }
  switch (field.type) {
    case 'uint32':
      if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= UINT32_MAX) return writer.varint(value);
      throw invalidJson(path, `${describe(value)} is not a uint32 (an integer from 0 to ${UINT32_MAX})`);
    case 'int32':
      if (typeof value === 'number' && Number.isInteger(value) && value >= INT32_MIN && value <= INT32_MAX) {
        return writer.varint(value >= 0 ? value : BigInt.asUintN(64, BigInt(value)));
      }
      throw invalidJson(path, `${describe(value)} is not an int32 (an integer from ${INT32_MIN} to ${INT32_MAX})`);
    case 'uint64': {
      const decimal = checkUint64(value, path);
      const number = Number(decimal);
      return writer.varint(Number.isSafeInteger(number) ? number : BigInt(decimal));
    }
    case 'bool':
      if (typeof value === 'boolean') return writer.varint(value ? 1 : 0);
      throw invalidJson(path, `${describe(value)} is not a bool (true or false)`);
    case 'string':
      if (typeof value === 'string') return writer.bytes(Buffer.from(value, 'utf8'));
      throw invalidJson(path, `${describe(value)} is not a string`);
    case 'bytes':
      return writer.bytes(checkBase64(value, path));
    default:
      // cpt.proto uses no other scalar: a new one needs its case here and in readValue.
      throw new Error(`${field.fullName}: no JSON encoding for ${field.type}`);
  }
}

/** The error for a JSON value that cannot be encoded: its path, what is wrong. */
export function invalidJson(path: string, what: string): ImageError {
  return new ImageError(`${path}: ${what}`, {
    hint: 'fix that field of the JSON (`cptctl inspect IMAGE --json` shows the form encode takes)',
  });
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)}`;
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint' || value === undefined) {
    return `${typeof value} ${String(value)}`;
  }
  return typeof value; // a function or a symbol, which JSON does not hold
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A uint64: a decimal string (as inspect writes it), a 0x hex string, or a safe integer. Returns a decimal string. */
export function checkUint64(value: unknown, path: string): string {
  let parsed: bigint | undefined;
  if (typeof value === 'string' && /^(?:0|[1-9][0-9]*|0x[0-9a-fA-F]+)$/.test(value)) parsed = BigInt(value);
  else if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) parsed = BigInt(value);
  if (parsed === undefined || parsed > UINT64_MAX) {
    throw invalidJson(path, `${describe(value)} is not a uint64 (a decimal or 0x-hex string from 0 to ${UINT64_MAX})`);
  }
  return parsed.toString();
}

/** Bytes given in base64 (strictly: padded, no whitespace). */
export function checkBase64(value: unknown, path: string): Buffer {
  if (!isBase64(value)) throw invalidJson(path, `${describe(value)} is not bytes (a base64 string)`);
  return Buffer.from(value, 'base64');
}
