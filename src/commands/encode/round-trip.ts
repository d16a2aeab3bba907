// The image round trip, in process: inspect --json, then encode, must give
// the image back byte for byte. For tests and the guest suite, which run it
// on every image they make.
import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { ImageError } from '../../errors.js';
import { CRC_SIZE, RECORD_HEADER_SIZE } from '../../image/framing.js';
import { BufferSource } from '../../image/io.js';
import { formatRecordListJson, inspectJson } from '../inspect/format.js';
import { inspectSourceWith } from '../inspect/inspect.js';
import { encodeJsonText } from './encode.js';

export interface RoundTripResult {
  readonly records: number;
  readonly bytes: number;
  /** Characters of the JSON in between. */
  readonly jsonLength: number;
}

/** Where byte `offset` of `image` is: "record 5 (TASK) at offset 4120, byte 17 of it". */
function locate(image: Buffer, offset: number, types: readonly (string | number)[]): string {
  let start = 0;
  for (let index = 0; start + RECORD_HEADER_SIZE <= image.length; index++) {
    const size = RECORD_HEADER_SIZE + Number(image.readBigUInt64LE(start + 8)) + CRC_SIZE;
    if (offset < start + size) return `record ${index} (${types[index] ?? '?'}) at offset ${start}, byte ${offset - start} of it`;
    start += size;
  }
  return 'past the last record';
}

/**
 * Throws where JSON.stringify(value) would: at a bigint (the one value of
 * the summary it refuses) or a cycle, naming its path. What JSON.stringify
 * takes as it is (a Buffer's toJSON, functions and undefined it leaves out)
 * is not walked into.
 */
export function assertJsonable(value: unknown, name: string): void {
  // Most values pass: checked first without the path's bookkeeping (a
  // summary of 21,000 files has millions of values), walked again with it
  // only to name what fails.
  if (isJsonable(value, [])) return;
  // The keys and objects down to the value being visited: the path is made
  // of the keys only for the error, and a cycle is an object among its own
  // ancestors (a few levels: no set of every object seen).
  const keys: (string | number)[] = [];
  const ancestors: object[] = [];
  const fail = (why: string): never => {
    throw new ImageError(`${name}: ${keys.map((key) => (typeof key === 'number' ? `[${key}]` : `.${key}`)).join('')} ${why}`);
  };
  const walk = (v: unknown): void => {
    if (typeof v === 'bigint') fail('is a bigint, which JSON cannot hold');
    if (typeof v !== 'object' || v === null || ArrayBuffer.isView(v)) return;
    if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return;
    if (ancestors.includes(v)) fail('refers back to itself');
    ancestors.push(v);
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        keys.push(i);
        walk(v[i]);
        keys.pop();
      }
    } else {
      const record = v as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        keys.push(key);
        walk(record[key]);
        keys.pop();
      }
    }
    ancestors.pop();
  };
  walk(value);
}

/**
 * Whether assertJsonable(value) passes; `ancestors`: the objects down to
 * `value`. Primitives are looked at in the loops, not in a call each.
 */
function isJsonable(value: unknown, ancestors: object[]): boolean {
  if (typeof value === 'bigint') return false;
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return true;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (ancestors.includes(value)) return false;
  ancestors.push(value);
  const values = Array.isArray(value) ? (value as unknown[]) : Object.values(value);
  for (const v of values) {
    const type = typeof v;
    if (type === 'bigint' || (type === 'object' && v !== null && !isJsonable(v, ancestors))) return false;
  }
  ancestors.pop();
  return true;
}

/** Round-trips the image `bytes` (named `name` in errors); throws an ImageError at the first difference. */
export async function roundTripBytes(bytes: Buffer, name: string): Promise<RoundTripResult> {
  const { summary, records } = await inspectSourceWith(new BufferSource(bytes), name, { records: true });
  // The summary part of inspect --json must be JSON (every bigint made a
  // string), but encode does not read it: each of its values visited once,
  // as JSON.stringify would, without the text (a process of 21,000 fds makes
  // it 130 MB, which was most of the round trip's time).
  assertJsonable(inspectJson(summary, name), `${name}'s inspect --json summary`);
  // The record list through its text, as inspect --json writes it.
  const json = formatRecordListJson(records ?? []);
  const encoded = (await encodeJsonText(json, `${name}'s JSON`)).bytes;
  if (!encoded.equals(bytes)) {
    let at = 0;
    while (at < bytes.length && at < encoded.length && bytes[at] === encoded[at]) at++;
    const types = (records ?? []).map((record) => record.type);
    const where = at < bytes.length ? locate(bytes, at, types) : 'after its end';
    throw new ImageError(
      `${name}: the round trip (inspect --json, encode) differs at byte ${at}, ${where}: ` +
        `${bytes.length} bytes in, ${encoded.length} out`,
    );
  }
  return { records: summary.records, bytes: bytes.length, jsonLength: json.length };
}

/** Round-trips the image file at `imagePath`. */
export async function roundTrip(imagePath: string): Promise<RoundTripResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(imagePath);
  } catch (error: unknown) {
    throw new ImageError(`cannot read image ${imagePath}: ${(error as Error).message}`, { cause: error });
  }
  return roundTripBytes(bytes, imagePath);
}

/** The `*.img` files under `path`, in name order (`path` itself when it is not a directory). */
export function imagesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((entry) => {
      const child = join(path, entry.name);
      if (entry.isDirectory()) return imagesUnder(child);
      return entry.isFile() && entry.name.endsWith('.img') ? [child] : [];
    })
    .sort();
}
