// Authenticated images as cptctl sees them (docs/security.md): the trailer's
// HMAC fields, which only the module can check, since only the module holds
// the key. Pure.
import { createHash } from 'node:crypto';

import type { Trailer } from './schema.js';

/** Bytes of one record's tag in Trailer.record_tags (kmod/cpt_auth.c). */
export const RECORD_TAG_BYTES = 16;
/** Bytes of a key id: the start of the key's SHA-256 (CPT_KEY_ID_LEN). */
export const KEY_ID_BYTES = 8;
/** Bytes of a new key (`cptctl key generate`): HMAC-SHA256's block is 64. */
export const KEY_BYTES = 32;

export type ImageAuthentication =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'authenticated';
      /** The key's id in hex. */
      readonly keyId: string;
      /** The records the tags cover: every record before the trailer (or, from an older module, all but cptctl's manifest). */
      readonly taggedRecords: number;
      /** Whether cptctl's manifest is among them (written through the session, CPT_IOC_USER_RECORD). */
      readonly manifestTagged: boolean;
    }
  | { readonly kind: 'malformed'; readonly reason: string };

/** A key's id, as the module computes it: the first 8 bytes of its SHA-256, in hex. */
export function keyIdOf(key: Buffer): string {
  return createHash('sha256').update(key).digest().subarray(0, KEY_ID_BYTES).toString('hex');
}

/**
 * What the trailer says about authentication. `records`: the records before
 * the trailer, which an authenticated trailer tags; `moduleRecords`: those
 * of them but cptctl's manifest, which an older module's trailer tagged.
 */
export function imageAuthentication(trailer: Trailer, records: number, moduleRecords = records): ImageAuthentication {
  const { hmac, keyId, recordTags } = trailer;
  if (hmac.length === 0 && keyId.length === 0 && recordTags.length === 0) return { kind: 'none' };
  if (hmac.length !== 32) return { kind: 'malformed', reason: `its HMAC has ${hmac.length} bytes, not 32` };
  if (keyId.length !== KEY_ID_BYTES) return { kind: 'malformed', reason: `its key id has ${keyId.length} bytes, not ${KEY_ID_BYTES}` };
  if (recordTags.length % RECORD_TAG_BYTES !== 0) {
    return { kind: 'malformed', reason: `its record tags are ${recordTags.length} bytes, not a multiple of ${RECORD_TAG_BYTES}` };
  }
  const tagged = recordTags.length / RECORD_TAG_BYTES;
  if (tagged !== records && tagged !== moduleRecords) {
    return { kind: 'malformed', reason: `it tags ${tagged} records, the image has ${records} before its trailer` };
  }
  return { kind: 'authenticated', keyId: keyId.toString('hex'), taggedRecords: tagged, manifestTagged: tagged === records };
}

/** One line for `cptctl inspect`. */
export function describeAuthentication(auth: ImageAuthentication): string {
  switch (auth.kind) {
    case 'none':
      return 'not authenticated (made while no image key was loaded)';
    case 'authenticated':
      return auth.manifestTagged
        ? `authenticated (key id ${auth.keyId}): HMAC-SHA256 tags of its ${auth.taggedRecords} records, ` +
            "cptctl's manifest included; only the module, holding the key, can verify them, at restart"
        : `authenticated (key id ${auth.keyId}) by an older module: HMAC-SHA256 tags of its ${auth.taggedRecords} module records, ` +
            "cptctl's manifest outside them, which a restart under a key refuses";
    case 'malformed':
      return `authentication fields malformed: ${auth.reason} (a restart under a key refuses it)`;
  }
}
