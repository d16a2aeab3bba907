// Reading and writing single records on a stream shared with the module:
// exact lengths, never a byte beyond the record, so that the module finds
// the stream where it expects it (restart reads the manifest between the
// module's header and its subsystem records).
import { ImageError } from '../errors.js';
import type { RecordTypeName } from '../native.js';
import type { ImageAbi } from './abi.js';
import { Crc32c } from './crc32c.js';
import { checkCrc, checkRecordHeader, CRC_SIZE, decodeRecordHeader, describeType, encodeRecord, RECORD_HEADER_SIZE } from './framing.js';
import type { ByteSink, ByteSource } from './io.js';
import { readUpTo } from './io.js';
import type { MessageName, Messages } from './schema.js';
import { decodeMessage } from './schema.js';

/**
 * Reads one whole record, which must be of type `expected`, and returns its
 * CRC-checked payload. `where` names the record in errors ("the manifest
 * record").
 */
export async function readRecord(abi: ImageAbi, source: ByteSource, expected: RecordTypeName, where: string): Promise<Buffer> {
  const headerBytes = await readUpTo(source, RECORD_HEADER_SIZE);
  if (headerBytes.length === 0) throw new ImageError(`${where}: the image ends where a ${expected} record must be`);
  if (headerBytes.length < RECORD_HEADER_SIZE) {
    throw new ImageError(`${where}: truncated record header (${headerBytes.length} of ${RECORD_HEADER_SIZE} bytes)`);
  }
  const header = decodeRecordHeader(headerBytes);
  // The magic first (garbage is "not an image"), then the type, then the
  // bound of the expected type, so that a huge length is never read.
  if (header.magic === abi.magic && header.type !== abi.types[expected]) {
    throw new ImageError(`${where}: a ${describeType(abi, header.type)} record where a ${expected} record must be`);
  }
  const length = checkRecordHeader(abi, header, where);
  const rest = await readUpTo(source, length + CRC_SIZE);
  if (rest.length < length + CRC_SIZE) {
    throw new ImageError(
      `${where}: truncated: the image ends after ${rest.length} of the record's ` + `${length + CRC_SIZE} bytes of payload and CRC`,
    );
  }
  const payload = rest.subarray(0, length);
  checkCrc(rest.subarray(length), new Crc32c().update(headerBytes).update(payload).digest(), where);
  return payload;
}

/** Writes one record of type `type` around `payload`; returns its size in bytes. */
export async function writeRecord(abi: ImageAbi, sink: ByteSink, type: RecordTypeName, payload: Uint8Array): Promise<number> {
  const record = encodeRecord(abi, abi.types[type], payload);
  await sink.write(record);
  return record.length;
}

/** decodeMessage(), with a malformed payload as an ImageError about `where`. */
export function decodePayload<N extends MessageName>(name: N, payload: Uint8Array, where: string): Messages[N] {
  try {
    return decodeMessage(name, payload);
  } catch (error: unknown) {
    throw new ImageError(`${where}: undecodable ${name} payload (${(error as Error).message})`, { cause: error });
  }
}
