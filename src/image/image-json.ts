// A whole image as JSON, record by record, losslessly: what `inspect --json`
// gives as `recordList` and `encode` turns back into the same bytes. A message
// record carries its message (message-json.ts); PAGES its header and its
// pages in base64; a record of a type this cptctl does not know, its payload
// in base64. Framing is not in the JSON: lengths and CRCs are recomputed,
// and so are the trailer's counts, which an edit would make wrong.
import type { RecordTypeName } from '../native.js';
import type { ImageAbi } from './abi.js';
import { encodePagesHeader, encodeRecord } from './framing.js';
import type { ImageRecord } from './reader.js';
import type { JsonObject } from './message-json.js';
import {
  canonicalMessage,
  canonicalPayload,
  checkBase64,
  checkUint64,
  invalidJson,
  isPlainObject,
  messageFromJson,
  messageToJson,
} from './message-json.js';
import { RECORD_MESSAGES } from './schema.js';

export type RecordJson =
  /** payload: the record's bytes, when the message alone would not give them back (see PayloadJson.exact). */
  | { readonly type: RecordTypeName; readonly message: JsonObject; readonly payload?: string }
  /** A payload that does not decode: kept as it is. */
  | { readonly type: RecordTypeName; readonly payload: string }
  | { readonly type: 'PAGES'; readonly start: string; readonly nrPages: string; readonly data: string }
  /** A type <linux/cpt.h> does not define: its number. */
  | { readonly type: number; readonly payload: string };

/** A record as JSON; needs the payloads of PAGES and unknown records (readRecords' keepData). */
export function recordToJson(record: ImageRecord): RecordJson {
  switch (record.kind) {
    case 'pages':
      if (record.data === undefined) throw new Error('recordToJson: the PAGES record was read without its data');
      return {
        type: 'PAGES',
        start: `0x${record.pages.start.toString(16)}`,
        nrPages: record.pages.nrPages.toString(),
        data: record.data.toString('base64'),
      };
    case 'unknown':
      if (record.payload === undefined) throw new Error('recordToJson: the unknown record was read without its payload');
      return { type: record.type, payload: record.payload.toString('base64') };
    case 'message': {
      const type = record.typeName!; // a message record's type is a known one
      const name = RECORD_MESSAGES[type];
      if (name === undefined) throw new Error(`no message for record type ${type}`);
      let decoded;
      try {
        decoded = messageToJson(name, record.payload);
      } catch {
        // inspect reports it as corrupt; the JSON keeps it all the same.
        return { type, payload: record.payload.toString('base64') };
      }
      return decoded.exact
        ? { type, message: decoded.message }
        : { type, message: decoded.message, payload: record.payload.toString('base64') };
    }
  }
}

export interface EncodedImage {
  readonly bytes: Buffer;
  readonly records: number;
}

const RECORD_KEYS: Readonly<Record<'message' | 'pages' | 'raw', readonly string[]>> = {
  message: ['type', 'message', 'payload'],
  pages: ['type', 'start', 'nrPages', 'data'],
  raw: ['type', 'payload'],
};

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const key of Object.keys(record)) {
    if (!allowed.includes(key))
      throw invalidJson(
        `${path}.${key}`,
        `a ${String(record['type'])} record has no ${JSON.stringify(key)} (it has ${allowed.join(', ')})`,
      );
  }
}

/** The type of a record: a name, or the number of one this cptctl does not know. */
function recordType(abi: ImageAbi, value: unknown, path: string): RecordTypeName | number {
  if (typeof value === 'string' && value in abi.types) return value as RecordTypeName;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffff) return abi.typeName(value) ?? value;
  throw invalidJson(
    path,
    `${JSON.stringify(value)} is not a record type (one of ${Object.keys(abi.types).join(', ')}, ` + 'or the number of another)',
  );
}

/** The payload of one record of the JSON; undefined for the trailer, which the caller counts. */
function recordPayload(abi: ImageAbi, record: Record<string, unknown>, path: string): Buffer | undefined {
  const type = recordType(abi, record['type'], `${path}.type`);
  if (typeof type === 'number') {
    checkKeys(record, RECORD_KEYS.raw, path);
    return checkBase64(record['payload'], `${path}.payload`);
  }
  if (type === 'PAGES') {
    checkKeys(record, RECORD_KEYS.pages, path);
    const header = encodePagesHeader({
      start: BigInt(checkUint64(record['start'], `${path}.start`)),
      nrPages: BigInt(checkUint64(record['nrPages'], `${path}.nrPages`)),
    });
    return Buffer.concat([header, checkBase64(record['data'], `${path}.data`)]);
  }
  const name = RECORD_MESSAGES[type];
  if (name === undefined) throw new Error(`no message for record type ${type}`);
  checkKeys(record, RECORD_KEYS.message, path);
  const hasMessage = 'message' in record;
  if (type === 'TRAILER') {
    // Checked, then counted again by the caller.
    if (hasMessage) messageFromJson(name, record['message'], `${path}.message`);
    if ('payload' in record) checkBase64(record['payload'], `${path}.payload`);
    return undefined;
  }
  if (!('payload' in record)) {
    if (hasMessage) return Buffer.from(messageFromJson(name, record['message'], `${path}.message`));
    throw invalidJson(path, `a ${type} record needs its message (or its payload, in base64)`);
  }
  const payload = checkBase64(record['payload'], `${path}.payload`);
  if (!hasMessage) return payload;
  // Both: the payload holds what the message cannot say, unless the message
  // was edited since, which then wins.
  const edited = Buffer.from(canonicalMessage(name, record['message'], `${path}.message`));
  let same: boolean;
  try {
    same = edited.equals(canonicalPayload(name, payload));
  } catch {
    same = false; // an undecodable payload: the message is what there is
  }
  return same ? payload : Buffer.from(messageFromJson(name, record['message'], `${path}.message`));
}

/**
 * A trailer as the module writes it: its counts, each left out when 0, and
 * the given trailer's authentication fields as they were (an edited image
 * keeps its tags, which then no longer match: the module names the record).
 */
function trailerPayload(records: number, bytes: number, given: unknown): Buffer {
  const fields: Record<string, unknown> = {};
  if (records !== 0) fields['records'] = String(records);
  if (bytes !== 0) fields['bytes'] = String(bytes);
  if (isPlainObject(given)) {
    for (const key of AUTHENTICATION_KEYS) if (key in given) fields[key] = given[key];
  }
  return Buffer.from(messageFromJson('Trailer', fields, 'trailer'));
}

const AUTHENTICATION_KEYS = ['hmac', 'keyId', 'recordTags'] as const;

/**
 * Encodes a document with a `recordList` array (inspect --json's) into image
 * bytes; other keys are ignored. The TRAILER's counts are those of the image
 * encoded: every record and byte before it, as the module counts, or all
 * but cptctl's manifest if the given trailer counted so (an older module).
 * Throws an ImageError naming the JSON path of what is wrong. The result is
 * framed, not checked: inspect it to know it is valid.
 */
export function encodeImageJson(abi: ImageAbi, document: unknown): EncodedImage {
  if (!isPlainObject(document) || !Array.isArray(document['recordList'])) {
    throw invalidJson('recordList', 'the JSON has no recordList array: make it with `cptctl inspect IMAGE --json`');
  }
  const chunks: Buffer[] = [];
  let moduleRecords = 0;
  let moduleBytes = 0;
  let allBytes = 0;
  document['recordList'].forEach((value: unknown, i: number) => {
    const path = `recordList[${i}]`;
    if (!isPlainObject(value)) throw invalidJson(path, 'a record must be an object');
    const type = recordType(abi, value['type'], `${path}.type`);
    const given = value['message'];
    const countsModuleOnly =
      isPlainObject(given) &&
      given['records'] === String(moduleRecords) &&
      given['bytes'] === String(moduleBytes) &&
      chunks.length !== moduleRecords;
    const payload =
      recordPayload(abi, value, path) ??
      (countsModuleOnly ? trailerPayload(moduleRecords, moduleBytes, given) : trailerPayload(chunks.length, allBytes, given));
    const bytes = encodeRecord(abi, typeof type === 'number' ? type : abi.types[type], payload);
    chunks.push(bytes);
    allBytes += bytes.length;
    // An older module's trailer counted its own records only: all but cptctl's manifest.
    if (type !== 'MANIFEST') {
      moduleRecords++;
      moduleBytes += bytes.length;
    }
  });
  return { bytes: Buffer.concat(chunks), records: chunks.length };
}
