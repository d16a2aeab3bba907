// The framing of image records (see the comment above CPT_RECORD_MAGIC in
// kmod/uapi/linux/cpt.h): a little-endian struct cpt_record_header
// {u32 magic, u16 type, u16 flags, u64 length}, `length` bytes of payload,
// then the CRC32C of header and payload as a little-endian u32. Pure: the
// numbers (magic, types) come in through an ImageAbi.
import { ImageError } from '../errors.js';
import type { RecordTypeName } from '../native.js';
import type { ImageAbi } from './abi.js';
import { Crc32c } from './crc32c.js';

/** sizeof(struct cpt_record_header); checked against the header in abi.ts. */
export const RECORD_HEADER_SIZE = 16;
/** sizeof(struct cpt_pages_header) {u64 start, u64 nr_pages}; checked in abi.ts. */
export const PAGES_HEADER_SIZE = 16;
/** The CRC32C after each payload. */
export const CRC_SIZE = 4;

const MiB = 1024 * 1024;

/** What the image format allows any protobuf payload (docs/image-format.md). */
export const MAX_MESSAGE = 16 * MiB;

/**
 * The largest payload a record of each type may have; anything longer is
 * corrupt, and is refused before any of it is read. PAGES records are
 * streamed, never held in memory; their bound is only a sanity check.
 */
export const MAX_PAYLOAD: Readonly<Record<RecordTypeName, number>> = {
  HEADER: 64 * 1024,
  MANIFEST: MiB,
  TREE: MAX_MESSAGE,
  IPC: MAX_MESSAGE,
  SECCOMP: MAX_MESSAGE,
  TASK: MAX_MESSAGE,
  SIGNALS: MAX_MESSAGE,
  FILES: MAX_MESSAGE,
  CPU: MAX_MESSAGE,
  MM: MAX_MESSAGE,
  PAGES: 1024 * MiB,
  // An authenticated image's trailer holds a 16-byte tag per record.
  TRAILER: MAX_MESSAGE,
};

/** Records of types the header does not define are skipped, streamed like pages. */
export const MAX_UNKNOWN_PAYLOAD = Number.MAX_SAFE_INTEGER;

export interface RecordHeader {
  readonly magic: number;
  readonly type: number;
  readonly flags: number;
  /** A bigint: a corrupt header can claim up to 2^64 - 1 bytes. */
  readonly length: bigint;
}

export function encodeRecordHeader(header: RecordHeader): Buffer {
  const bytes = Buffer.alloc(RECORD_HEADER_SIZE);
  bytes.writeUInt32LE(header.magic, 0);
  bytes.writeUInt16LE(header.type, 4);
  bytes.writeUInt16LE(header.flags, 6);
  bytes.writeBigUInt64LE(header.length, 8);
  return bytes;
}

export function decodeRecordHeader(bytes: Uint8Array): RecordHeader {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return {
    magic: view.readUInt32LE(0),
    type: view.readUInt16LE(4),
    flags: view.readUInt16LE(6),
    length: view.readBigUInt64LE(8),
  };
}

/** A whole record of `type` (a CPT_REC_* value) around `payload`, CRC included. */
export function encodeRecord(abi: ImageAbi, type: number, payload: Uint8Array): Buffer {
  const header = encodeRecordHeader({ magic: abi.magic, type, flags: 0, length: BigInt(payload.length) });
  const crc = Buffer.alloc(CRC_SIZE);
  crc.writeUInt32LE(new Crc32c().update(header).update(payload).digest(), 0);
  return Buffer.concat([header, payload, crc]);
}

export interface PagesHeader {
  /** User address of the first page. */
  readonly start: bigint;
  readonly nrPages: bigint;
}

export function encodePagesHeader(pages: PagesHeader): Buffer {
  const bytes = Buffer.alloc(PAGES_HEADER_SIZE);
  bytes.writeBigUInt64LE(pages.start, 0);
  bytes.writeBigUInt64LE(pages.nrPages, 8);
  return bytes;
}

export function decodePagesHeader(bytes: Uint8Array): PagesHeader {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { start: view.readBigUInt64LE(0), nrPages: view.readBigUInt64LE(8) };
}

/** Where a record is, for messages: "record 3 at offset 4120". */
export function recordLocation(index: number, offset: number): string {
  return `record ${index} at offset ${offset}`;
}

/** 'TASK', or 'unknown type 77'. */
export function describeType(abi: ImageAbi, type: number): string {
  return abi.typeName(type) ?? `unknown type ${type}`;
}

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

function formatSize(bytes: number): string {
  return bytes >= 1024 * MiB && bytes % (1024 * MiB) === 0
    ? `${bytes / (1024 * MiB)} GiB`
    : bytes >= MiB && bytes % MiB === 0
      ? `${bytes / MiB} MiB`
      : bytes >= 1024 && bytes % 1024 === 0
        ? `${bytes / 1024} KiB`
        : `${bytes} bytes`;
}

/**
 * Checks what a record header alone can tell: magic, flags, and a length
 * within the type's bound. Returns the length as a number. Throws an
 * ImageError prefixed with `where` ("record 3 at offset 4120").
 */
export function checkRecordHeader(abi: ImageAbi, header: RecordHeader, where: string): number {
  if (header.magic !== abi.magic) {
    throw new ImageError(
      `${where}: bad record magic ${hex32(header.magic)} (expected ${hex32(abi.magic)}): ` + 'not a cpt image, or corrupt',
    );
  }
  const name = abi.typeName(header.type);
  if (header.flags !== 0) {
    throw new ImageError(`${where}: ${describeType(abi, header.type)} record with unknown flags 0x${header.flags.toString(16)}`);
  }
  const limit = name === undefined ? MAX_UNKNOWN_PAYLOAD : MAX_PAYLOAD[name];
  if (header.length > BigInt(limit)) {
    throw new ImageError(
      `${where}: ${describeType(abi, header.type)} record claims ${header.length} bytes, ` +
        `more than ${name === undefined ? 'can be read' : `a ${name} record may have (${formatSize(limit)})`}: corrupt`,
    );
  }
  return Number(header.length);
}

/** Reads the CRC after a payload and compares it with the computed one. */
export function checkCrc(stored: Uint8Array, computed: number, where: string): void {
  const expected = Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).readUInt32LE(0);
  if (expected !== computed) {
    throw new ImageError(`${where}: CRC mismatch (stored ${hex32(expected)}, computed ${hex32(computed)})`);
  }
}
