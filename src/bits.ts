// Rendering of the 64-bit masks the module reports (cpt_api.features and
// cpt_api.ioctls), which are BigInts on the JS side.

/** Names of the bits set in `mask`, by increasing bit; bits the table does not know are `bit N`. */
export function decodeBits(mask: bigint, bitsByName: Readonly<Record<string, number>>): string[] {
  const nameByBit = new Map<number, string>();
  for (const [name, bit] of Object.entries(bitsByName)) nameByBit.set(bit, name);

  const names: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((mask >> BigInt(bit)) & 1n) names.push(nameByBit.get(bit) ?? `bit ${bit}`);
  }
  return names;
}

/** Whether bit `bit` is set in `mask`. */
export function hasBit(mask: bigint, bit: number): boolean {
  return ((mask >> BigInt(bit)) & 1n) === 1n;
}

/** `0x`-prefixed lowercase hex, the form bigints take in JSON output. */
export function hex(value: bigint): string {
  return `0x${value.toString(16)}`;
}
