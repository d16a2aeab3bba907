// cptctl's own section of an image, the CPT_REC_MANIFEST record: right
// after the module's INIT records. A checkpoint hands its payload to the
// session, which writes it (CPT_IOC_USER_RECORD), and a restart has the
// session read it back, before the module restores anything: while an
// image key is loaded, the module tags it as it tags its own records.
import { ImageError } from '../errors.js';
import type { ImageAbi } from './abi.js';
import type { ByteSink, ByteSource } from './io.js';
import { encodeRecord, MAX_PAYLOAD } from './framing.js';
import { decodePayload, readRecord } from './record-io.js';
import type { Manifest, MessageInit } from './schema.js';
import { encodeMessage } from './schema.js';

const WHERE = 'the manifest record (after the image header)';

/**
 * The manifest's payload. A checkpoint encodes it before the target is
 * frozen (the schema's first load alone takes a while), and only hands it
 * to the session while the target is.
 */
export function encodeManifest(manifest: MessageInit<'Manifest'>): Buffer {
  return Buffer.from(encodeMessage('Manifest', manifest));
}

/** Writes the whole manifest record; returns its size in bytes. */
export async function writeManifest(abi: ImageAbi, sink: ByteSink, manifest: MessageInit<'Manifest'>): Promise<number> {
  const record = encodeRecord(abi, abi.types.MANIFEST, encodeManifest(manifest));
  await sink.write(record);
  return record.length;
}

/** Reads exactly the manifest record from where the stream is, and checks it. */
export async function readManifest(abi: ImageAbi, source: ByteSource): Promise<Manifest> {
  return decodeManifest(await readRecord(abi, source, 'MANIFEST', WHERE));
}

/** The manifest of a payload the session read (its CRC checked), checked. */
export function decodeManifest(payload: Uint8Array): Manifest {
  if (payload.length > MAX_PAYLOAD.MANIFEST) {
    throw new ImageError(`${WHERE}: its ${payload.length} bytes are more than a MANIFEST record may have (1 MiB)`);
  }
  const manifest = decodePayload('Manifest', payload, WHERE);
  checkManifest(manifest, WHERE);
  return manifest;
}

/** What every manifest must have for a restart. */
export function checkManifest(manifest: Manifest, where: string): void {
  if (manifest.rootPid <= 0) throw new ImageError(`${where}: no root pid`);
}
