// Human renderings of sizes and durations. Pure.

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** 512 bytes, 1.5 KiB, 12.3 MiB. */
export function formatBytes(bytes: number | bigint): string {
  let value = Number(bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} ${value === 1 ? 'byte' : 'bytes'}`;
  return `${value < 10 ? value.toFixed(1) : value.toFixed(value < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

/** 850 µs, 12.3 ms, 1.25 s, 2 min 5 s. */
export function formatDuration(ns: bigint | number): string {
  const n = Number(ns);
  if (n < 1e3) return `${n} ns`;
  if (n < 1e6) return `${(n / 1e3).toFixed(n < 1e4 ? 1 : 0)} µs`;
  if (n < 1e9) return `${(n / 1e6).toFixed(n < 1e7 ? 2 : 1)} ms`;
  if (n < 60e9) return `${(n / 1e9).toFixed(2)} s`;
  const seconds = Math.round(n / 1e9);
  return `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
}
