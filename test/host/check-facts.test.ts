// gatherCheckFacts against real files of this host: the addon's device name
// is swapped for other nodes, since this host has no /dev/cpt.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { machine, release, tmpdir } from 'node:os';
import { join, relative } from 'node:path';

import test from 'ava';

import { gatherCheckFacts } from '../../src/commands/check/facts.js';
import type { ApiReply, CptAddon } from '../../src/native.js';
import { loadAddon } from '../../src/native.js';

function addonWithDevice(devicePath: string, overrides: Partial<CptAddon> = {}): CptAddon {
  return { ...loadAddon(), DEVICE_NAME: relative('/dev', devicePath), ...overrides };
}

test('kernel facts are those of the running kernel', async (t) => {
  const facts = await gatherCheckFacts(addonWithDevice('/dev/null'));
  t.deepEqual(facts.kernel, { release: release(), arch: machine() });
});

test('the catalog comes from the addon', async (t) => {
  const addon = loadAddon();
  const facts = await gatherCheckFacts(addon);
  t.is(facts.devicePath, `/dev/${addon.DEVICE_NAME}`);
  t.deepEqual(facts.catalog, { cptApi: addon.CPT_API, featureBits: addon.FEATURE_BITS, ioctlBits: addon.IOCTL_BITS });
});

test('a character device that is not cpt opens, and fails the handshake with ENOTTY', async (t) => {
  const facts = await gatherCheckFacts(addonWithDevice('/dev/null'));
  t.deepEqual(facts.device, { kind: 'char-device' });
  t.deepEqual(facts.open, { kind: 'opened' });
  t.like(facts.handshake, { kind: 'failed', code: 'ENOTTY' });
});

// Serial: ava runs serial tests before the concurrent ones, so no other test
// can reuse the closed fd number before it is checked.
test.serial('a handshake answer is passed through, and the fd it used is closed after', async (t) => {
  const reply: ApiReply = { api: 1n, features: 2n, ioctls: 3n };
  let usedFd = -1;
  const facts = await gatherCheckFacts(
    addonWithDevice('/dev/null', {
      api: (fd) => {
        usedFd = fd;
        return reply;
      },
    }),
  );
  t.deepEqual(facts.handshake, { kind: 'answered', reply });
  t.true(usedFd > 2);
  t.throws(() => loadAddon().api(usedFd, {}), { code: 'EBADF' });
});

test('a bug in the addon call is not mistaken for a failed handshake', async (t) => {
  await t.throwsAsync(
    gatherCheckFacts(
      addonWithDevice('/dev/null', {
        api: () => {
          throw new TypeError('bug');
        },
      }),
    ),
    { instanceOf: TypeError },
  );
});

test('a missing node is "missing", and nothing is opened', async (t) => {
  const facts = await gatherCheckFacts(addonWithDevice('/dev/cptctl-test-no-such-device'));
  t.deepEqual(facts.device, { kind: 'missing' });
  t.deepEqual(facts.open, { kind: 'not-attempted' });
  t.deepEqual(facts.handshake, { kind: 'not-attempted' });
});

test('a regular file is "not-char-device"', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-facts-'));
  try {
    const file = join(dir, 'cpt');
    await writeFile(file, '');
    const facts = await gatherCheckFacts(addonWithDevice(file));
    t.deepEqual(facts.device, { kind: 'not-char-device', fileType: 'regular file' });
    t.deepEqual(facts.open, { kind: 'not-attempted' });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a stat failure other than ENOENT keeps its code', async (t) => {
  const facts = await gatherCheckFacts(addonWithDevice('/dev/null/child'));
  t.like(facts.device, { kind: 'stat-failed', code: 'ENOTDIR' });
});

async function withModuleDir(files: Record<string, string>, use: (sysModuleDir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'cptctl-sysmodule-'));
  try {
    for (const [name, content] of Object.entries(files)) {
      await mkdir(join(dir, name, '..'), { recursive: true });
      await writeFile(join(dir, name), content);
    }
    await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('a loaded module reports its MODULE_VERSION, without the newline', async (t) => {
  await withModuleDir({ 'cpt/version': '0.1.0\n' }, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir });
    t.deepEqual(facts.module, { loaded: true, version: '0.1.0' });
  });
});

test('a loaded module without a version file has version null', async (t) => {
  await withModuleDir({ 'cpt/initstate': 'live\n' }, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir });
    t.deepEqual(facts.module, { loaded: true, version: null });
  });
});

test('an empty version file counts as no version', async (t) => {
  await withModuleDir({ 'cpt/version': '\n' }, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir });
    t.deepEqual(facts.module, { loaded: true, version: null });
  });
});

test('no module directory means not loaded', async (t) => {
  await withModuleDir({ 'other/version': '1\n' }, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir });
    t.deepEqual(facts.module, { loaded: false, version: null });
  });
});

const noLog = (): Promise<string> => Promise.reject(new Error('the test reads no kernel log'));

test('a loaded module lists its compat checks and the release it was built for', async (t) => {
  await withModuleDir(
    {
      'cpt/version': '0.1.0\n',
      'cpt/parameters/compat_checks': 'release ok\nsymbols ok\npts_fs_info untested\n',
      'cpt/parameters/compat_built_for': '6.1.0-56-amd64\n',
    },
    async (sysModuleDir) => {
      const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir, readKernelLog: noLog });
      t.deepEqual(facts.compat, {
        kind: 'reported',
        builtFor: '6.1.0-56-amd64',
        checks: [
          { name: 'release', outcome: 'ok' },
          { name: 'symbols', outcome: 'ok' },
          { name: 'pts_fs_info', outcome: 'untested' },
        ],
      });
    },
  );
});

test('a loaded module without compat_checks has no compat layer', async (t) => {
  await withModuleDir({ 'cpt/version': '0.1.0\n' }, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir, readKernelLog: noLog });
    t.deepEqual(facts.compat, { kind: 'absent' });
  });
});

test("no module: the kernel log's last compat refusal, without its timestamp", async (t) => {
  const log = [
    '[    5.1] cpt: compat check release failed: built for 6.1.0-55-amd64, running 6.1.0-56-amd64',
    '[    6.2] other: compat check x failed: not ours',
    '[    7.3] cpt: compat check syscalls failed: forced by compat_fail=syscalls',
    '[    8.4] eth0: link up',
  ].join('\n');
  await withModuleDir({}, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), { sysModuleDir, readKernelLog: () => Promise.resolve(log) });
    t.deepEqual(facts.compat, { kind: 'refused', message: 'cpt: compat check syscalls failed: forced by compat_fail=syscalls' });
  });
});

test('no module and no refusal in the kernel log', async (t) => {
  await withModuleDir({}, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), {
      sysModuleDir,
      readKernelLog: () => Promise.resolve('[ 1.0] cpt: loading out-of-tree module taints kernel.\n'),
    });
    t.deepEqual(facts.compat, { kind: 'no-refusal' });
  });
});

test('no module and an unreadable kernel log keeps the reason', async (t) => {
  await withModuleDir({}, async (sysModuleDir) => {
    const facts = await gatherCheckFacts(addonWithDevice('/dev/null'), {
      sysModuleDir,
      readKernelLog: () => Promise.reject(new Error('dmesg: read kernel buffer failed: Operation not permitted')),
    });
    t.deepEqual(facts.compat, { kind: 'log-unreadable', reason: 'dmesg: read kernel buffer failed: Operation not permitted' });
  });
});
