// Streaming reader of a whole image, for a reader that owns the stream
// (inspect): every record in order, framing and CRC checked. Protobuf
// payloads are returned, PAGES and unknown records are streamed through the
// CRC without being held in memory, unless the caller keeps them (inspect
// --json, which gives every byte). Decoding payloads is the caller's job.
import { ImageError } from '../errors.js';
import type { RecordTypeName } from '../native.js';
import type { ImageAbi } from './abi.js';
import { Crc32c } from './crc32c.js';
import type { PagesHeader } from './framing.js';
import {
  checkCrc,
  checkRecordHeader,
  CRC_SIZE,
  decodePagesHeader,
  decodeRecordHeader,
  describeType,
  PAGES_HEADER_SIZE,
  RECORD_HEADER_SIZE,
  recordLocation,
} from './framing.js';
import type { ByteSource } from './io.js';
import { readUpTo } from './io.js';

export interface RecordInfo {
  /** 0 for the first record (the header). */
  readonly index: number;
  /** Offset of the record header in the image. */
  readonly offset: number;
  readonly type: number;
  /** undefined for a type <linux/cpt.h> does not define. */
  readonly typeName: RecordTypeName | undefined;
  /** Payload bytes. */
  readonly length: number;
  /** "record 3 at offset 4120", for messages. */
  readonly where: string;
}

export type ImageRecord =
  | (RecordInfo & { readonly kind: 'message'; readonly payload: Buffer })
  | (RecordInfo & {
      readonly kind: 'pages';
      readonly pages: PagesHeader;
      readonly dataBytes: number;
      /** The pages, when kept. */
      readonly data?: Buffer;
    })
  | (RecordInfo & {
      readonly kind: 'unknown';
      /** The payload, when kept. */
      readonly payload?: Buffer;
    });

export interface ReadOptions {
  /** Hold the payloads of PAGES and unknown records in memory and return them too. */
  readonly keepData?: boolean;
}

/** The most bytes held in memory at once while streaming a payload. */
const STREAM_CHUNK = 1024 * 1024;

/**
 * Yields every record of the image; returns the image's size once the
 * stream ends at a record boundary. Throws an ImageError at the first
 * framing problem (bad magic, flags or length, truncation, CRC mismatch).
 */
export async function* readRecords(
  abi: ImageAbi,
  source: ByteSource,
  options: ReadOptions = {},
): AsyncGenerator<ImageRecord, number, void> {
  const kept = options.keepData === true ? ([] as Buffer[]) : undefined;
  let offset = 0;
  for (let index = 0; ; index++) {
    const where = recordLocation(index, offset);
    const headerBytes = await readUpTo(source, RECORD_HEADER_SIZE);
    if (headerBytes.length === 0) return offset;
    if (headerBytes.length < RECORD_HEADER_SIZE) {
      throw new ImageError(`${where}: truncated record header (${headerBytes.length} of ${RECORD_HEADER_SIZE} bytes)`);
    }
    const header = decodeRecordHeader(headerBytes);
    const length = checkRecordHeader(abi, header, where);
    const typeName = abi.typeName(header.type);
    const info: RecordInfo = { index, offset, type: header.type, typeName, length, where };
    const crc = new Crc32c().update(headerBytes);
    const what = `${describeType(abi, header.type)} record`;

    let record: ImageRecord;
    if (typeName === 'PAGES') {
      if (length < PAGES_HEADER_SIZE) {
        throw new ImageError(`${where}: PAGES record of ${length} bytes, shorter than its ${PAGES_HEADER_SIZE}-byte pages header`);
      }
      const pagesBytes = await readPayload(source, PAGES_HEADER_SIZE, 0, length, what, where);
      crc.update(pagesBytes);
      const dataBytes = length - PAGES_HEADER_SIZE;
      await streamPayload(source, dataBytes, PAGES_HEADER_SIZE, length, crc, what, where, kept);
      const pages = decodePagesHeader(pagesBytes);
      record =
        kept === undefined
          ? { ...info, kind: 'pages', pages, dataBytes }
          : { ...info, kind: 'pages', pages, dataBytes, data: Buffer.concat(kept.splice(0)) };
    } else if (typeName !== undefined) {
      const payload = await readPayload(source, length, 0, length, what, where);
      crc.update(payload);
      record = { ...info, kind: 'message', payload };
    } else {
      await streamPayload(source, length, 0, length, crc, what, where, kept);
      record = kept === undefined ? { ...info, kind: 'unknown' } : { ...info, kind: 'unknown', payload: Buffer.concat(kept.splice(0)) };
    }

    const stored = await readUpTo(source, CRC_SIZE);
    if (stored.length < CRC_SIZE) throw new ImageError(`${where}: truncated: the image ends before the ${what}'s CRC`);
    checkCrc(stored, crc.digest(), where);
    yield record;
    offset += RECORD_HEADER_SIZE + length + CRC_SIZE;
  }
}

function truncated(what: string, where: string, got: number, total: number): ImageError {
  return new ImageError(`${where}: truncated: the image ends after ${got} of the ${what}'s ${total} payload bytes`);
}

/** Reads `count` payload bytes, of which `before` were read already, out of `total`. */
async function readPayload(source: ByteSource, count: number, before: number, total: number, what: string, where: string): Promise<Buffer> {
  const bytes = await readUpTo(source, count);
  if (bytes.length < count) throw truncated(what, where, before + bytes.length, total);
  return bytes;
}

async function streamPayload(
  source: ByteSource,
  count: number,
  before: number,
  total: number,
  crc: Crc32c,
  what: string,
  where: string,
  kept: Buffer[] | undefined,
): Promise<void> {
  let done = 0;
  while (done < count) {
    const chunk = await readUpTo(source, Math.min(STREAM_CHUNK, count - done));
    crc.update(chunk);
    kept?.push(chunk);
    done += chunk.length;
    if (chunk.length === 0) throw truncated(what, where, before + done, total);
  }
}
