import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import type { FeatureName, IoctlName } from '../../src/native.js';
import { ADDON_PATH, AddonUnavailableError, isSystemError, loadAddon, loadAddonFrom } from '../../src/native.js';
import { packageRoot } from '../../src/package.js';

// Exhaustive by construction: the compiler rejects these objects as soon as
// the unions in src/native.ts gain or lose a name, and the tests below
// reject an addon whose tables disagree with the unions.
const IOCTL_NAMES: Record<IoctlName, true> = { API: true };
const FEATURE_NAMES: Record<FeatureName, true> = {};

test('the addon loads once and is cached', (t) => {
  t.is(loadAddon(), loadAddon());
});

test('the addon exports the ABI constants of <linux/cpt.h>', (t) => {
  const addon = loadAddon();
  t.is(typeof addon.CPT_API, 'bigint');
  t.is(addon.DEVICE_NAME, 'cpt');
  t.deepEqual(Object.keys(addon.IOCTL_BITS).sort(), Object.keys(IOCTL_NAMES).sort());
  t.deepEqual(Object.keys(addon.FEATURE_BITS).sort(), Object.keys(FEATURE_NAMES).sort());
  t.is(addon.IOCTL_BITS.API, 0); // the handshake's number is frozen by the ABI rules
});

test('the bit tables are frozen and hold distinct bits below 64', (t) => {
  const addon = loadAddon();
  for (const table of [addon.IOCTL_BITS, addon.FEATURE_BITS]) {
    t.true(Object.isFrozen(table));
    const bits = Object.values<number>(table);
    t.is(new Set(bits).size, bits.length);
    t.true(bits.every((bit) => Number.isInteger(bit) && bit >= 0 && bit < 64));
  }
});

function withDevNull<T>(use: (fd: number) => T): T {
  const fd = openSync('/dev/null', 'r+');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

test('api() on a non-cpt fd fails with a SystemError-shaped ENOTTY', (t) => {
  const error = withDevNull((fd) => t.throws(() => loadAddon().api(fd, {})));
  t.true(isSystemError(error));
  t.like(error as object, { code: 'ENOTTY', errno: -25, syscall: 'ioctl' });
  t.is(error?.message, 'ioctl CPT_IOC_API failed: ENOTTY (Inappropriate ioctl for device)');
});

test('api() on a closed fd fails with EBADF', (t) => {
  const fd = openSync('/dev/null', 'r');
  closeSync(fd);
  const error = t.throws(() => loadAddon().api(fd, { features: 0n }));
  t.like(error as object, { code: 'EBADF', errno: -9, syscall: 'ioctl' });
});

// Casts: these calls are exactly what the typings forbid; the addon must
// refuse them too, since JS callers are not type-checked.
type LooseApi = (...args: unknown[]) => unknown;

const badArguments: readonly [string, unknown[], 'TypeError' | 'RangeError'][] = [
  ['a string fd', ['3', {}], 'TypeError'],
  ['a negative fd', [-1, {}], 'RangeError'],
  ['a fractional fd', [1.5, {}], 'RangeError'],
  ['no request', [0], 'TypeError'],
  ['a null request', [0, null], 'TypeError'],
  ['a Number for features', [0, { features: 1 }], 'TypeError'],
  ['negative features', [0, { features: -1n }], 'RangeError'],
  ['features beyond 64 bits', [0, { features: 1n << 64n }], 'RangeError'],
];

for (const [what, args, kind] of badArguments) {
  test(`api() rejects ${what} with a ${kind}`, (t) => {
    const api = loadAddon().api as unknown as LooseApi;
    const error = t.throws(() => api(...args));
    t.is(error?.constructor.name, kind);
    t.false(isSystemError(error));
  });
}

test('a missing binary becomes an AddonUnavailableError asking for npm install', (t) => {
  const error = t.throws(() => loadAddonFrom('/nonexistent/cpt.node'), { instanceOf: AddonUnavailableError });
  t.is(error?.exitCode, 3);
  t.regex(error?.message ?? '', /not built .*\/nonexistent\/cpt\.node/);
  t.regex(error?.hint ?? '', /npm install/);
});

test('a binary that cannot be loaded becomes an AddonUnavailableError asking for a rebuild', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-addon-'));
  try {
    const path = join(dir, 'cpt.node');
    await writeFile(path, 'not an ELF file');
    const error = t.throws(() => loadAddonFrom(path), { instanceOf: AddonUnavailableError });
    t.regex(error?.hint ?? '', /npm install/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('ADDON_PATH is under the package root, not the working directory', (t) => {
  t.is(ADDON_PATH, join(packageRoot, 'native', 'build', 'Release', 'cpt.node'));
});
