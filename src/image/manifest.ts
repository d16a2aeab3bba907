// cptctl's own section of an image, the CPT_REC_MANIFEST record: written by
// checkpoint right after the module's header, read back by restart before
// the module restores anything.
import { ImageError } from '../errors.js';
import type { ImageAbi } from './abi.js';
import type { ByteSink, ByteSource } from './io.js';
import { encodeRecord } from './framing.js';
import { decodePayload, readRecord } from './record-io.js';
import type { Manifest, MessageInit } from './schema.js';
import { encodeMessage } from './schema.js';

const WHERE = 'the manifest record (after the image header)';

/**
 * The whole manifest record. A checkpoint encodes it before the target is
 * frozen (the schema's first load alone takes a while), and only writes it
 * while the target is.
 */
export function encodeManifestRecord(abi: ImageAbi, manifest: MessageInit<'Manifest'>): Buffer {
  return encodeRecord(abi, abi.types.MANIFEST, encodeMessage('Manifest', manifest));
}

/** Writes the manifest record; returns its size in bytes. */
export async function writeManifest(abi: ImageAbi, sink: ByteSink, manifest: MessageInit<'Manifest'>): Promise<number> {
  const record = encodeManifestRecord(abi, manifest);
  await sink.write(record);
  return record.length;
}

/** Reads exactly the manifest record from where the stream is, and checks it. */
export async function readManifest(abi: ImageAbi, source: ByteSource): Promise<Manifest> {
  const manifest = decodePayload('Manifest', await readRecord(abi, source, 'MANIFEST', WHERE), WHERE);
  checkManifest(manifest, WHERE);
  return manifest;
}

/** What every manifest must have for a restart. */
export function checkManifest(manifest: Manifest, where: string): void {
  if (manifest.rootPid <= 0) throw new ImageError(`${where}: no root pid`);
}
