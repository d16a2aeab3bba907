// The protobuf wire format of record payloads, as a tree the fuzzer can
// edit field by field and write back: each field in the order the payload
// has it, a varint as a bigint (any value up to 2^64 - 1, whatever the
// schema's type), a length-delimited field as its bytes or, when
// cpt.proto says it is a message, as that message's own tree. Unlike
// src/image/message-json.ts, nothing here is checked against the schema's
// ranges: a mutant must be able to say what a valid message cannot.
import type protobufjs from 'protobufjs';

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LENGTH = 2;
export const WIRE_FIXED32 = 5;

export interface WireField {
  readonly number: number;
  readonly wire: number;
  /** What cpt.proto says the field is; undefined for a number it does not know. */
  readonly field: protobufjs.Field | undefined;
  /** A varint's value, or a fixed field's bytes, or a length-delimited field's bytes. */
  value: bigint | Buffer;
  /** A length-delimited field that is a message of the schema, parsed. */
  message?: WireMessage;
  /** Added to the length prefix written for it: a length that lies. */
  lengthDelta?: number;
}

export interface WireMessage {
  readonly type: protobufjs.Type;
  fields: WireField[];
}

export function readVarint(bytes: Buffer, at: { offset: number }): bigint {
  let value = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    const byte = bytes[at.offset++];
    if (byte === undefined) throw new Error('truncated varint');
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return value & ((1n << 64n) - 1n);
  }
  throw new Error('varint too long');
}

export function encodeVarint(value: bigint): Buffer {
  const bytes: number[] = [];
  let rest = BigInt.asUintN(64, value);
  do {
    const low = Number(rest & 0x7fn);
    rest >>= 7n;
    bytes.push(rest === 0n ? low : low | 0x80);
  } while (rest !== 0n);
  return Buffer.from(bytes);
}

/** Whether a field of the schema holds a message (else bytes, a string, a scalar). */
export function isMessageField(field: protobufjs.Field | undefined): boolean {
  const resolved = field?.resolve().resolvedType;
  return resolved !== null && resolved !== undefined && 'fields' in resolved;
}

/** Parses `bytes` as a message of `type`; throws on malformed wire data. */
export function parseMessage(type: protobufjs.Type, bytes: Buffer): WireMessage {
  const fields: WireField[] = [];
  const at = { offset: 0 };
  while (at.offset < bytes.length) {
    const key = readVarint(bytes, at);
    const number = Number(key >> 3n);
    const wire = Number(key & 7n);
    const field = type.fieldsById[number];
    let value: bigint | Buffer;
    switch (wire) {
      case WIRE_VARINT:
        value = readVarint(bytes, at);
        break;
      case WIRE_FIXED64:
      case WIRE_FIXED32: {
        const size = wire === WIRE_FIXED64 ? 8 : 4;
        if (at.offset + size > bytes.length) throw new Error('truncated fixed field');
        value = bytes.subarray(at.offset, at.offset + size);
        at.offset += size;
        break;
      }
      case WIRE_LENGTH: {
        const length = Number(readVarint(bytes, at));
        if (at.offset + length > bytes.length) throw new Error('truncated field');
        value = bytes.subarray(at.offset, at.offset + length);
        at.offset += length;
        break;
      }
      default:
        throw new Error(`wire type ${wire}`);
    }
    const parsed: WireField = { number, wire, field, value };
    if (wire === WIRE_LENGTH && isMessageField(field)) {
      parsed.message = parseMessage(field!.resolvedType as protobufjs.Type, value as Buffer);
    }
    fields.push(parsed);
  }
  return { type, fields };
}

/** The payload of a message tree, edits included. */
export function writeMessage(message: WireMessage): Buffer {
  const chunks: Buffer[] = [];
  for (const field of message.fields) {
    chunks.push(encodeVarint((BigInt(field.number) << 3n) | BigInt(field.wire)));
    if (field.wire === WIRE_VARINT) {
      chunks.push(encodeVarint(field.value as bigint));
    } else if (field.wire === WIRE_LENGTH) {
      const body = field.message === undefined ? (field.value as Buffer) : writeMessage(field.message);
      chunks.push(encodeVarint(BigInt(Math.max(0, body.length + (field.lengthDelta ?? 0)))), body);
    } else {
      chunks.push(field.value as Buffer);
    }
  }
  return Buffer.concat(chunks);
}

/** A field and where it is, for the mutations and for saying what they changed. */
export interface FieldAt {
  readonly owner: WireMessage;
  readonly field: WireField;
  /** "files[2].path" */
  readonly path: string;
}

/** Every field of a message tree, depth first, each with its path (repeated ones indexed). */
export function allFields(message: WireMessage, prefix = ''): FieldAt[] {
  const found: FieldAt[] = [];
  const seen = new Map<number, number>();
  for (const field of message.fields) {
    const nth = seen.get(field.number) ?? 0;
    seen.set(field.number, nth + 1);
    const name = field.field?.name ?? `#${field.number}`;
    const path = `${prefix}${prefix === '' ? '' : '.'}${name}${field.field?.repeated === true ? `[${nth}]` : ''}`;
    found.push({ owner: message, field, path });
    if (field.message !== undefined) found.push(...allFields(field.message, path));
  }
  return found;
}

/** Every message of a tree (itself first), each with its path. */
export function allMessages(message: WireMessage, path = ''): { message: WireMessage; path: string }[] {
  return [
    { message, path },
    ...allFields(message, path)
      .filter((at) => at.field.message !== undefined && at.owner === message)
      .flatMap((at) => allMessages(at.field.message!, at.path)),
  ];
}
