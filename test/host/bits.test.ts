import test from 'ava';

import { decodeBits, hasBit, hex } from '../../src/bits.js';

const table = { API: 0, DUMP: 1, RESTORE: 2 };

test('decodeBits names known bits in bit order', (t) => {
  t.deepEqual(decodeBits(0b101n, table), ['API', 'RESTORE']);
});

test('decodeBits shows unknown bits as "bit N", up to bit 63', (t) => {
  t.deepEqual(decodeBits((1n << 63n) | (1n << 8n) | 0b10n, table), ['DUMP', 'bit 8', 'bit 63']);
});

test('decodeBits of 0 is empty, even with an empty table', (t) => {
  t.deepEqual(decodeBits(0n, table), []);
  t.deepEqual(decodeBits(0n, {}), []);
  t.deepEqual(decodeBits(1n, {}), ['bit 0']);
});

test('decodeBits ignores bits beyond 63', (t) => {
  t.deepEqual(decodeBits(1n << 64n, table), []);
});

test('hasBit', (t) => {
  t.true(hasBit(0b100n, 2));
  t.false(hasBit(0b100n, 1));
  t.true(hasBit(1n << 63n, 63));
});

test('hex is lowercase with 0x', (t) => {
  t.is(hex(0xc0de0001n), '0xc0de0001');
  t.is(hex(0n), '0x0');
  t.is(hex((1n << 64n) - 1n), '0xffffffffffffffff');
});
