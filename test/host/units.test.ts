import test from 'ava';

import { formatBytes, formatDuration } from '../../src/units.js';

test('formatBytes', (t) => {
  t.is(formatBytes(0), '0 bytes');
  t.is(formatBytes(1), '1 byte');
  t.is(formatBytes(1023), '1023 bytes');
  t.is(formatBytes(1024), '1.0 KiB');
  t.is(formatBytes(1536), '1.5 KiB');
  t.is(formatBytes(50 * 1024 * 1024), '50.0 MiB');
  t.is(formatBytes(500n * 1024n * 1024n), '500 MiB');
  t.is(formatBytes(3n * 1024n ** 4n), '3.0 TiB');
});

test('formatDuration', (t) => {
  t.is(formatDuration(999), '999 ns');
  t.is(formatDuration(1500), '1.5 µs');
  t.is(formatDuration(250_000), '250 µs');
  t.is(formatDuration(1_234_567n), '1.23 ms');
  t.is(formatDuration(12_345_678n), '12.3 ms');
  t.is(formatDuration(1_250_000_000n), '1.25 s');
  t.is(formatDuration(125_000_000_000n), '2 min 5 s');
});
