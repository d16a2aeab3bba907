import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import type { CptAddon, FeatureName, IoctlName, NativeSystemError, RecordTypeName, SubsysName } from '../../src/native.js';
import { ADDON_PATH, AddonUnavailableError, isSystemError, loadAddon, loadAddonFrom } from '../../src/native.js';
import { packageRoot } from '../../src/package.js';

// Exhaustive by construction: the compiler rejects these objects as soon as
// the unions in src/native.ts gain or lose a name, and the tests below
// reject an addon whose tables disagree with the unions.
const IOCTL_NAMES: Record<IoctlName, true> = {
  API: true,
  INIT: true,
  SAVE: true,
  RESTORE: true,
  FINALIZE: true,
  SET_NEXT_ID: true,
  MESSAGE: true,
  KEY: true,
  HOLD: true,
  USER_RECORD: true,
};
const FEATURE_NAMES: Record<FeatureName, true> = {
  SESSION: true,
  NEXT_PID: true,
  MESSAGES: true,
  TREE: true,
  STATS: true,
  SYSV_IPC: true,
  PTY: true,
  AUTH: true,
  NEW_PIDNS: true,
  TCP_HOLD: true,
  EXT_UNIX_SK: true,
  USER_RECORDS: true,
  INIT_NS_GROUPS: true,
  NETLINK: true,
  PACKET: true,
  TIMED_WAITS: true,
  TCP_SYN_SENT: true,
  UNIX_PENDING_RIGHTS: true,
  SOCKET_OPTIONS: true,
  INIT_KILL: true,
};

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

test('the key operations and init flags are exported, and key() on a non-cpt fd fails with ENOTTY', (t) => {
  const addon = loadAddon();
  t.deepEqual(Object.keys(addon.KEY_OPS).sort(), ['LOAD', 'STATUS', 'UNLOAD']);
  t.deepEqual(Object.keys(addon.INIT_FLAGS), ['ALLOW_UNAUTHENTICATED', 'NEW_PIDNS', 'TCP_ESTABLISHED', 'EXT_UNIX_SK', 'KILL']);
  t.true(addon.KEY_MIN_LEN >= 32 && addon.KEY_MAX_LEN >= addon.KEY_MIN_LEN);
  const error = withDevNull((fd) => t.throws(() => addon.key(fd, addon.KEY_OPS.STATUS)));
  t.like(error, { code: 'ENOTTY', syscall: 'ioctl' });
  t.throws(() => withDevNull((fd) => addon.key(fd, addon.KEY_OPS.LOAD, 'not a buffer' as unknown as Buffer)), { instanceOf: TypeError });
});

test('api() on a non-cpt fd fails with a SystemError-shaped ENOTTY', (t) => {
  const error = withDevNull((fd) => t.throws(() => loadAddon().api(fd, {})));
  t.true(isSystemError(error));
  t.like(error, { code: 'ENOTTY', errno: -25, syscall: 'ioctl' });
  t.is(error?.message, 'ioctl CPT_IOC_API failed: ENOTTY (Inappropriate ioctl for device)');
});

// Serial, as every closed-fd test here: ava runs serial tests before the
// concurrent ones, so no other test can reuse the closed fd number meanwhile.
test.serial('api() on a closed fd fails with EBADF', (t) => {
  const fd = openSync('/dev/null', 'r');
  closeSync(fd);
  const error = t.throws(() => loadAddon().api(fd, { features: 0n }));
  t.like(error, { code: 'EBADF', errno: -9, syscall: 'ioctl' });
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

// The session API. There is no /dev/cpt on this host: every call is made on
// /dev/null, which answers each ioctl with ENOTTY, to check how failures are
// reported; the guest tests cover the calls that succeed.

const SUBSYS_NAMES: Record<SubsysName, true> = { TASK: true, SIGNALS: true, FILES: true, CPU: true, MM: true };
const RECORD_TYPE_NAMES: Record<RecordTypeName, true> = {
  HEADER: true,
  MANIFEST: true,
  TREE: true,
  IPC: true,
  SECCOMP: true,
  TASK: true,
  SIGNALS: true,
  FILES: true,
  CPU: true,
  MM: true,
  PAGES: true,
  TRAILER: true,
};

test('the value tables of the header are exported, frozen, and match the unions', (t) => {
  const addon = loadAddon();
  t.deepEqual(Object.keys(addon.SUBSYS), Object.keys(SUBSYS_NAMES));
  t.deepEqual(Object.values(addon.SUBSYS), [1, 2, 3, 4, 5]); // CPT_SUBSYS_MAX subsystems, in order
  t.deepEqual(Object.keys(addon.RECORD_TYPES).sort(), Object.keys(RECORD_TYPE_NAMES).sort());
  t.deepEqual(Object.keys(addon.MODES).sort(), ['CHECKPOINT', 'RESTART']);
  t.deepEqual(Object.keys(addon.FINALIZE_ACTIONS).sort(), ['KILL', 'RESUME', 'STOP']);
  t.deepEqual(Object.keys(addon.ID_KINDS), ['PID', 'SYSV_SHM', 'SYSV_SEM', 'SYSV_MSG', 'PTY']);
  for (const table of [addon.SUBSYS, addon.RECORD_TYPES, addon.MODES, addon.FINALIZE_ACTIONS, addon.ID_KINDS]) {
    t.true(Object.isFrozen(table));
  }
  const types = Object.values<number>(addon.RECORD_TYPES);
  t.is(new Set(types).size, types.length);
  t.true(types.every((type) => Number.isInteger(type) && type > 0 && type < 0x10000));
});

test('the image constants: magic "CPTR", version, struct sizes', (t) => {
  const addon = loadAddon();
  t.is(addon.RECORD_MAGIC, 0x52545043);
  t.is(addon.IMAGE_VERSION, 1);
  t.is(addon.RECORD_HEADER_SIZE, 16);
  t.is(addon.PAGES_HEADER_SIZE, 16);
});

test('the session ioctls bits follow _CPT_x', (t) => {
  const addon = loadAddon();
  t.deepEqual(addon.IOCTL_BITS, {
    API: 0,
    INIT: 1,
    SAVE: 2,
    RESTORE: 3,
    FINALIZE: 4,
    SET_NEXT_ID: 5,
    MESSAGE: 6,
    KEY: 7,
    HOLD: 8,
    USER_RECORD: 9,
  });
  t.deepEqual(addon.FEATURE_BITS, {
    SESSION: 0,
    NEXT_PID: 1,
    MESSAGES: 2,
    TREE: 3,
    STATS: 4,
    SYSV_IPC: 5,
    PTY: 6,
    AUTH: 7,
    NEW_PIDNS: 8,
    TCP_HOLD: 9,
    EXT_UNIX_SK: 11,
    USER_RECORDS: 12,
    INIT_NS_GROUPS: 13,
    NETLINK: 14,
    PACKET: 15,
    TIMED_WAITS: 16,
    TCP_SYN_SENT: 19,
    UNIX_PENDING_RIGHTS: 20,
    SOCKET_OPTIONS: 21,
    INIT_KILL: 22,
  });
});

async function rejection(promise: Promise<unknown>): Promise<NativeSystemError> {
  const error = await promise.then(
    () => new Error('resolved'),
    (e: unknown) => e,
  );
  if (!isSystemError(error)) throw error;
  return error;
}

test('init() rejects with a SystemError naming CPT_IOC_INIT', async (t) => {
  const addon = loadAddon();
  const fd = openSync('/dev/null', 'r+');
  try {
    const error = await rejection(addon.init(fd, { imageFd: fd, mode: addon.MODES.CHECKPOINT, target: 1 }));
    t.like(error, { code: 'ENOTTY', errno: -25, syscall: 'ioctl' });
    t.is(error.message, 'ioctl CPT_IOC_INIT failed: ENOTTY (Inappropriate ioctl for device)');
  } finally {
    closeSync(fd);
  }
});

test('save() rejects with a SystemError naming the subsystem', async (t) => {
  const addon = loadAddon();
  const fd = openSync('/dev/null', 'r+');
  try {
    const error = await rejection(addon.save(fd, addon.SUBSYS.MM));
    t.is(error.message, 'ioctl CPT_IOC_SAVE(MM) failed: ENOTTY (Inappropriate ioctl for device)');
    t.regex((await rejection(addon.save(fd, 77))).message, /CPT_IOC_SAVE\(UNKNOWN\)/);
  } finally {
    closeSync(fd);
  }
});

test('finalize() and setNextId() report their ioctls', async (t) => {
  const addon = loadAddon();
  const fd = openSync('/dev/null', 'r+');
  try {
    t.is(
      (await rejection(addon.finalize(fd, addon.FINALIZE_ACTIONS.RESUME))).message,
      'ioctl CPT_IOC_FINALIZE failed: ENOTTY (Inappropriate ioctl for device)',
    );
    const error = t.throws(() => addon.setNextId(fd, { kind: addon.ID_KINDS.PID, id: 300n }));
    t.like(error, {
      code: 'ENOTTY',
      syscall: 'ioctl',
      message: 'ioctl CPT_IOC_SET_NEXT_ID failed: ENOTTY (Inappropriate ioctl for device)',
    });
  } finally {
    closeSync(fd);
  }
});

// Beyond any process's fd limit (fs.nr_open): never open, whatever else runs.
const NEVER_OPEN_FD = 2 ** 30;

test('save() on an fd that is not open rejects with EBADF', async (t) => {
  t.like(await rejection(loadAddon().save(NEVER_OPEN_FD, 1)), { code: 'EBADF' });
});

const onePlan = {
  tasks: [{ pid: 4242, kind: 'restore' as const, thread: false, role: 'process 4242' }],
  steps: [],
  launch: 0,
  root: 0,
};

test('restoreTree() rejects at CPT_IOC_SET_NEXT_ID, before any clone', async (t) => {
  const addon = loadAddon();
  const fd = openSync('/dev/null', 'r+');
  try {
    const error = await rejection(addon.restoreTree(fd, onePlan));
    t.like(error, {
      code: 'ENOTTY',
      syscall: 'ioctl',
      message: 'ioctl CPT_IOC_SET_NEXT_ID failed: ENOTTY (Inappropriate ioctl for device)',
    });
    // No child was created: there is nothing to wait for.
    t.like(await rejection(addon.waitForExit(4242)), { code: 'ECHILD', syscall: 'waitpid' });
  } finally {
    closeSync(fd);
  }
});

test('waitForExit() of a process that is not our child rejects with ECHILD', async (t) => {
  const error = await rejection(loadAddon().waitForExit(1));
  t.like(error, { code: 'ECHILD', errno: -10, syscall: 'waitpid' });
  t.is(error.message, 'waitpid failed: ECHILD (No child processes)');
});

type Loose = (...args: unknown[]) => unknown;

const badSessionArguments: readonly [string, keyof CptAddon, unknown[], 'TypeError' | 'RangeError'][] = [
  ['init without imageFd', 'init', [0, { mode: 1 }], 'TypeError'],
  ['init with a negative mode', 'init', [0, { imageFd: 1, mode: -1 }], 'RangeError'],
  ['init with a fractional target', 'init', [0, { imageFd: 1, mode: 1, target: 1.5 }], 'RangeError'],
  ['save with a string subsys', 'save', [0, 'MM'], 'TypeError'],
  ['save with a subsys beyond 32 bits', 'save', [0, 2 ** 32], 'RangeError'],
  ['finalize without an action', 'finalize', [0], 'TypeError'],
  ['setNextId with a Number id', 'setNextId', [0, { kind: 1, id: 5 }], 'TypeError'],
  ['restoreTree without tasks', 'restoreTree', [0, { steps: [], launch: 0, root: 0 }], 'TypeError'],
  ['restoreTree with a step of an unknown task', 'restoreTree', [0, { ...onePlan, steps: [{ op: 1, actor: 0, target: 7 }] }], 'RangeError'],
  ['restoreTree with an unknown op', 'restoreTree', [0, { ...onePlan, steps: [{ op: 9, actor: 0 }] }], 'RangeError'],
  ['restoreTree with a user namespace but no pidns init', 'restoreTree', [0, { ...onePlan, userns: { uid: 0, gid: 0 } }], 'RangeError'],
  ['restoreTree with a user namespace that is no object', 'restoreTree', [0, { ...onePlan, userns: 5 }], 'TypeError'],
  ['waitForExit with pid -1', 'waitForExit', [-1], 'RangeError'],
];

for (const [what, name, args, kind] of badSessionArguments) {
  test(`${String(name)}() throws a ${kind} for ${what}, before any system call`, (t) => {
    const fn = loadAddon()[name] as unknown as Loose;
    const error = t.throws(() => fn(...args));
    t.is(error?.constructor.name, kind);
    t.false(isSystemError(error));
  });
}

test('setBlocking() clears O_NONBLOCK and says whether it was set', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-fd-'));
  try {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const addon = loadAddon();
      t.true(addon.setBlocking(fd));
      t.false(addon.setBlocking(fd));
    } finally {
      closeSync(fd);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('setBlocking() on an fd that is not open throws EBADF', (t) => {
  t.throws(() => loadAddon().setBlocking(NEVER_OPEN_FD), { code: 'EBADF', message: 'fcntl F_GETFL failed: EBADF (Bad file descriptor)' });
});
