// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as the image format
// uses it: seed ~0, result inverted, the iSCSI convention (the kernel's
// crc32c(~0, data, len) ^ ~0). Incremental, so that multi-gigabyte PAGES
// records can be checked in chunks. Every checkpoint, restart, inspect and
// encode runs it over the whole image: slicing-by-8 (eight bytes per step
// through eight tables) takes about a tenth of the time of one byte at a
// time, which under the guest suite's emulation was seconds per image.

const POLYNOMIAL = 0x82f63b78;

/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. */
const TABLES: readonly Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const [first] = tables as [Uint32Array];
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[byte] = crc >>> 0;
  }
  for (let k = 1; k < 8; k++) {
    const previous = tables[k - 1]!;
    for (let byte = 0; byte < 256; byte++) tables[k]![byte] = (previous[byte]! >>> 8) ^ first[previous[byte]! & 0xff]!;
  }
  return tables;
})();
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
  Uint32Array,
];

/** An incremental CRC32C: update() with each chunk, then digest(). */
export class Crc32c {
  #state = 0xffffffff;

  update(data: Uint8Array): this {
    let crc = this.#state;
    const end = data.length;
    const eights = end - (end % 8);
    const words = new DataView(data.buffer, data.byteOffset, data.byteLength);
    // The indices are in range by construction; `!` for noUncheckedIndexedAccess.
    let i = 0;
    for (; i < eights; i += 8) {
      const low = (words.getUint32(i, true) ^ crc) >>> 0;
      const high = words.getUint32(i + 4, true);
      crc =
        T7[low & 0xff]! ^
        T6[(low >>> 8) & 0xff]! ^
        T5[(low >>> 16) & 0xff]! ^
        T4[low >>> 24]! ^
        T3[high & 0xff]! ^
        T2[(high >>> 8) & 0xff]! ^
        T1[(high >>> 16) & 0xff]! ^
        T0[high >>> 24]!;
    }
    for (; i < end; i++) crc = T0[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
    this.#state = crc;
    return this;
  }

  /** The CRC of everything given so far, as an unsigned 32-bit number. */
  digest(): number {
    return (this.#state ^ 0xffffffff) >>> 0;
  }
}

/** CRC32C of `data` in one go. */
export function crc32c(data: Uint8Array): number {
  return new Crc32c().update(data).digest();
}
