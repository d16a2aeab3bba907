import test from 'ava';

import { Crc32c, crc32c } from '../../src/image/crc32c.js';

test('the standard check value: CRC32C("123456789") is 0xE3069283', (t) => {
  t.is(crc32c(Buffer.from('123456789')), 0xe3069283);
});

// RFC 3720 (iSCSI), appendix B.4.
const rfc3720: readonly [string, Buffer, number][] = [
  ['32 bytes of zeros', Buffer.alloc(32, 0), 0x8a9136aa],
  ['32 bytes of 0xff', Buffer.alloc(32, 0xff), 0x62a8ab43],
  ['32 incrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
  ['32 decrementing bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)), 0x113fdb5c],
];

for (const [name, data, expected] of rfc3720) {
  test(`RFC 3720 vector: ${name}`, (t) => {
    t.is(crc32c(data), expected);
  });
}

test('the CRC of nothing is 0', (t) => {
  t.is(crc32c(new Uint8Array(0)), 0);
});

test('incremental updates equal one pass, however the data is split', (t) => {
  const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 31) & 0xff));
  const whole = crc32c(data);
  for (const split of [0, 1, 7, 500, 999, 1000]) {
    t.is(new Crc32c().update(data.subarray(0, split)).update(data.subarray(split)).digest(), whole);
  }
});

test('digest() is unsigned and does not end the CRC', (t) => {
  const crc = new Crc32c().update(Buffer.from('1234'));
  t.true(crc.digest() >= 0);
  t.is(crc.update(Buffer.from('56789')).digest(), 0xe3069283);
});
