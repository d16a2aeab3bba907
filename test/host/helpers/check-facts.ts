// Facts of a machine where cptctl works, for tests to break one at a time.
// The catalog is made up on purpose: evaluation must take every ABI value
// from it, never from anywhere else.
import type { AbiCatalog, CheckFacts } from '../../../src/commands/check/facts.js';

export const catalog: AbiCatalog = {
  cptApi: 0xabc1n,
  featureBits: { LAZY_PAGES: 0, SECCOMP: 5 },
  ioctlBits: { API: 0, INIT: 1, SAVE: 2, RESTORE: 3, FINALIZE: 4, SET_NEXT_ID: 5, DUMP: 9 },
};

export const healthyFacts: CheckFacts = {
  kernel: { release: '6.1.0-18-amd64', arch: 'x86_64' },
  module: { loaded: true, version: '0.1.0' },
  compat: {
    kind: 'reported',
    builtFor: '6.1.0-18-amd64',
    checks: [
      { name: 'release', outcome: 'ok' },
      { name: 'symbols', outcome: 'ok' },
    ],
  },
  devicePath: '/dev/cpt',
  device: { kind: 'char-device' },
  open: { kind: 'opened' },
  handshake: { kind: 'answered', reply: { api: catalog.cptApi, features: 0b100001n, ioctls: 0b1000111111n } },
  catalog,
};

export function factsWith(overrides: Partial<CheckFacts>): CheckFacts {
  return { ...healthyFacts, ...overrides };
}
