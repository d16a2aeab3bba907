// The image format's numbers, as the addon reads them from <linux/cpt.h>:
// record magic, record types, the format version. The layout of the two
// image structs is restated in framing.ts (TypeScript must read bytes) and
// checked against the header's sizeof here.
import type { CptAddon, RecordTypeName } from '../native.js';
import { loadAddon } from '../native.js';
import { PAGES_HEADER_SIZE, RECORD_HEADER_SIZE } from './framing.js';

export interface ImageAbi {
  /** cpt_record_header.magic of every record. */
  readonly magic: number;
  /** The ImageHeader.format_version this cptctl reads and writes. */
  readonly version: number;
  /** CPT_REC_* by name. */
  readonly types: Readonly<Record<RecordTypeName, number>>;
  /** The name of a record type, undefined for one the header does not define. */
  typeName(type: number): RecordTypeName | undefined;
}

let cached: ImageAbi | undefined;

/** The image ABI of the loaded addon. */
export function imageAbi(): ImageAbi {
  cached ??= imageAbiOf(loadAddon());
  return cached;
}

/** The addon's constants that describe images. */
export type ImageConstants = Pick<CptAddon, 'RECORD_MAGIC' | 'IMAGE_VERSION' | 'RECORD_TYPES' | 'RECORD_HEADER_SIZE' | 'PAGES_HEADER_SIZE'>;

export function imageAbiOf(addon: ImageConstants): ImageAbi {
  if (addon.RECORD_HEADER_SIZE !== RECORD_HEADER_SIZE || addon.PAGES_HEADER_SIZE !== PAGES_HEADER_SIZE) {
    throw new Error(
      `<linux/cpt.h> image structs are ${addon.RECORD_HEADER_SIZE}/${addon.PAGES_HEADER_SIZE} bytes, ` +
        `src/image/framing.ts reads ${RECORD_HEADER_SIZE}/${PAGES_HEADER_SIZE}: update framing.ts`,
    );
  }
  const names = new Map<number, RecordTypeName>();
  for (const [name, value] of Object.entries(addon.RECORD_TYPES) as [RecordTypeName, number][]) names.set(value, name);
  return {
    magic: addon.RECORD_MAGIC,
    version: addon.IMAGE_VERSION,
    types: addon.RECORD_TYPES,
    typeName: (type) => names.get(type),
  };
}
