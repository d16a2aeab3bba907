// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) as the image format
// uses it: seed ~0, result inverted, the iSCSI convention (the kernel's
// crc32c(~0, data, len) ^ ~0). Table-driven, one byte at a time, and
// incremental so that multi-gigabyte PAGES records can be checked in chunks.

const POLYNOMIAL = 0x82f63b78;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    table[byte] = crc >>> 0;
  }
  return table;
})();

/** An incremental CRC32C: update() with each chunk, then digest(). */
export class Crc32c {
  #state = 0xffffffff;

  update(data: Uint8Array): this {
    let crc = this.#state;
    for (const byte of data) {
      // The index is in range by construction; `!` for noUncheckedIndexedAccess.
      crc = TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
    }
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
