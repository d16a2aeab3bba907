import test from 'ava';

import type { CheckName, CheckReport, CheckResult } from '../../src/commands/check/evaluate.js';
import { evaluateCheck, isTargetKernel, tcpHoldsVerdict } from '../../src/commands/check/evaluate.js';
import { catalog, factsWith, healthyFacts } from './helpers/check-facts.js';

/** No module loaded, so no device to open and no handshake. */
const moduleAbsent = {
  module: { loaded: false, version: null },
  device: { kind: 'missing' },
  open: { kind: 'not-attempted' },
  handshake: { kind: 'not-attempted' },
} as const;

function result(report: CheckReport, name: CheckName): CheckResult {
  const found = report.checks.find((check) => check.name === name);
  if (found === undefined) throw new Error(`no check named ${name}`);
  return found;
}

test('a healthy machine passes every check, in a fixed order, with no hints', (t) => {
  const report = evaluateCheck(healthyFacts);
  t.true(report.ok);
  t.deepEqual(
    report.checks.map((check) => check.name),
    ['kernel', 'module', 'compat', 'device', 'open', 'handshake', 'ioctls'],
  );
  t.true(report.checks.every((check) => check.status === 'ok'));
  t.deepEqual(report.hints, []);
});

test('a healthy report describes the kernel and the module', (t) => {
  const report = evaluateCheck(healthyFacts);
  t.deepEqual(report.kernel, {
    release: '6.1.0-18-amd64',
    arch: 'x86_64',
    supported: true,
    target: 'Linux 6.1.x on x86_64',
  });
  t.deepEqual(report.module, {
    loaded: true,
    version: '0.1.0',
    features: ['LAZY_PAGES', 'SECCOMP'],
    featureBits: 0b100001n,
    ioctls: ['API', 'INIT', 'SAVE', 'RESTORE', 'FINALIZE', 'SET_NEXT_ID', 'DUMP'],
    ioctlBits: 0x23fn,
  });
  t.is(result(report, 'kernel').detail, 'Linux 6.1.0-18-amd64 x86_64');
  t.regex(
    result(report, 'handshake').detail,
    /module 0\.1\.0; API 0xabc1; features: LAZY_PAGES, SECCOMP \(0x21\); ioctls: API, INIT, SAVE, RESTORE, FINALIZE, SET_NEXT_ID, DUMP \(0x23f\)/,
  );
});

for (const release of ['6.1', '6.1.0-18-amd64', '6.1.55', '6.1.0+']) {
  test(`kernel ${release} on x86_64 is the target`, (t) => {
    t.true(isTargetKernel({ release, arch: 'x86_64' }));
  });
}

for (const release of ['6.10.2', '6.18.44-fc-v657', '6.0.9', '5.1.0', '16.1.0', 'garbage']) {
  test(`kernel ${release} is not the target`, (t) => {
    const report = evaluateCheck(factsWith({ kernel: { release, arch: 'x86_64' } }));
    const kernel = result(report, 'kernel');
    t.false(report.ok);
    t.false(report.kernel.supported);
    t.is(kernel.status, 'fail');
    t.true(kernel.detail.includes(release));
    t.true(kernel.detail.includes('Linux 6.1.x on x86_64'));
    t.true(report.hints.some((hint) => hint.includes('vm/run -- bin/cptctl check')));
  });
}

test('another architecture is not the target', (t) => {
  const report = evaluateCheck(factsWith({ kernel: { release: '6.1.0', arch: 'aarch64' } }));
  t.is(result(report, 'kernel').status, 'fail');
  t.regex(result(report, 'kernel').detail, /aarch64.*x86_64/);
});

test('module not loaded on the target kernel: fail, with the insmod hint', (t) => {
  const report = evaluateCheck(factsWith(moduleAbsent));
  t.false(report.ok);
  t.is(result(report, 'module').status, 'fail');
  t.regex(result(report, 'module').detail, /\/sys\/module\/cpt/);
  t.is(report.module.version, null);
  t.is(report.hints.length, 1);
  t.regex(report.hints[0] ?? '', /insmod kmod\/cpt\.ko.*vm\/run -- bin\/cptctl check/);
});

test('module not loaded on another kernel: only the guest hint, since insmod cannot work', (t) => {
  const report = evaluateCheck(
    factsWith({
      kernel: { release: '6.18.44', arch: 'x86_64' },
      ...moduleAbsent,
    }),
  );
  t.is(report.hints.length, 1);
  t.false(report.hints.some((hint) => hint.includes('insmod')));
  t.true(report.hints.some((hint) => hint.includes('vm/run')));
});

test('a module without MODULE_VERSION reports version "unknown"', (t) => {
  const report = evaluateCheck(factsWith({ module: { loaded: true, version: null } }));
  t.true(report.ok);
  t.is(report.module.version, 'unknown');
  t.regex(result(report, 'module').detail, /version unknown/);
});

test('missing /dev/cpt while the module is not loaded blames the module', (t) => {
  const report = evaluateCheck(factsWith(moduleAbsent));
  const device = result(report, 'device');
  t.is(device.status, 'fail');
  t.is(device.detail, '/dev/cpt does not exist because the cpt module is not loaded');
});

test('missing /dev/cpt while the module is loaded points at devtmpfs', (t) => {
  const report = evaluateCheck(
    factsWith({
      device: { kind: 'missing' },
      open: { kind: 'not-attempted' },
      handshake: { kind: 'not-attempted' },
    }),
  );
  t.is(result(report, 'device').status, 'fail');
  t.true(report.hints.some((hint) => hint.includes('devtmpfs')));
});

test('/dev/cpt that is not a character device fails', (t) => {
  const report = evaluateCheck(
    factsWith({
      device: { kind: 'not-char-device', fileType: 'regular file' },
      open: { kind: 'not-attempted' },
      handshake: { kind: 'not-attempted' },
    }),
  );
  t.is(result(report, 'device').detail, '/dev/cpt is a regular file, not a character device');
  t.is(result(report, 'open').status, 'skip');
});

test('a stat failure other than ENOENT is reported with its code', (t) => {
  const report = evaluateCheck(
    factsWith({
      device: { kind: 'stat-failed', code: 'ELOOP', message: 'too many symbolic links' },
      open: { kind: 'not-attempted' },
      handshake: { kind: 'not-attempted' },
    }),
  );
  t.regex(result(report, 'device').detail, /ELOOP/);
});

test('without a device, open, handshake and ioctls are skipped, not failed', (t) => {
  const report = evaluateCheck(
    factsWith({
      device: { kind: 'missing' },
      open: { kind: 'not-attempted' },
      handshake: { kind: 'not-attempted' },
    }),
  );
  t.deepEqual(
    report.checks.slice(4).map((check) => check.status),
    ['skip', 'skip', 'skip'],
  );
  t.false(report.ok);
  t.deepEqual(report.module.features, []);
  t.is(report.module.featureBits, null);
  t.is(report.module.ioctlBits, null);
});

for (const code of ['EACCES', 'EPERM']) {
  test(`open failing with ${code} hints at root`, (t) => {
    const report = evaluateCheck(
      factsWith({
        open: { kind: 'failed', code, message: 'permission denied' },
        handshake: { kind: 'not-attempted' },
      }),
    );
    t.is(result(report, 'open').status, 'fail');
    t.regex(result(report, 'open').detail, new RegExp(`/dev/cpt read-write: ${code}`));
    t.true(report.hints.some((hint) => hint.includes('root')));
    t.is(result(report, 'handshake').status, 'skip');
  });
}

test('open failing otherwise has no root hint', (t) => {
  const report = evaluateCheck(
    factsWith({
      open: { kind: 'failed', code: 'ENXIO', message: 'no such device' },
      handshake: { kind: 'not-attempted' },
    }),
  );
  t.is(result(report, 'open').status, 'fail');
  t.false(report.hints.some((hint) => hint.includes('root')));
});

test('ENOTTY from the handshake means the device is not cpt', (t) => {
  const report = evaluateCheck(
    factsWith({
      handshake: { kind: 'failed', code: 'ENOTTY', message: 'ioctl CPT_IOC_API failed: ENOTTY' },
    }),
  );
  const handshake = result(report, 'handshake');
  t.is(handshake.status, 'fail');
  t.regex(handshake.detail, /ENOTTY.*not.*cpt device|ENOTTY.*really the cpt device/);
  t.is(result(report, 'ioctls').status, 'skip');
  t.true(report.hints.some((hint) => hint.includes('rebuild kmod/')));
});

test('other handshake failures keep the system message', (t) => {
  const message = 'ioctl CPT_IOC_API failed: EINVAL (Invalid argument)';
  const report = evaluateCheck(factsWith({ handshake: { kind: 'failed', code: 'EINVAL', message } }));
  t.true(result(report, 'handshake').detail.includes(message));
});

test('a module speaking another API fails the handshake and skips ioctls', (t) => {
  const report = evaluateCheck(
    factsWith({
      handshake: { kind: 'answered', reply: { api: 0xdeadn, features: 0n, ioctls: 1n } },
    }),
  );
  t.is(result(report, 'handshake').status, 'fail');
  t.regex(result(report, 'handshake').detail, /0xdead.*0xabc1/);
  t.is(result(report, 'ioctls').status, 'skip');
  t.false(report.ok);
});

test('a module without a needed ioctl fails the ioctls check', (t) => {
  const report = evaluateCheck(
    factsWith({
      handshake: { kind: 'answered', reply: { api: catalog.cptApi, features: 0n, ioctls: 1n << 9n } },
    }),
  );
  t.is(result(report, 'handshake').status, 'ok');
  t.is(result(report, 'ioctls').status, 'fail');
  t.regex(result(report, 'ioctls').detail, /lacks .*API/);
  t.deepEqual(report.module.ioctls, ['DUMP']);
  t.false(report.ok);
});

test('a needed ioctl the addon has no bit for counts as missing', (t) => {
  const report = evaluateCheck(factsWith({ catalog: { ...catalog, ioctlBits: { DUMP: 1 } } }));
  t.is(result(report, 'ioctls').status, 'fail');
});

test('bits the addon does not know are shown as "bit N"', (t) => {
  const report = evaluateCheck(
    factsWith({
      handshake: {
        kind: 'answered',
        reply: { api: catalog.cptApi, features: (1n << 63n) | (1n << 5n) | (1n << 2n), ioctls: (1n << 40n) | 0b111111n },
      },
    }),
  );
  t.true(report.ok);
  t.deepEqual(report.module.features, ['bit 2', 'SECCOMP', 'bit 63']);
  t.deepEqual(report.module.ioctls, ['API', 'INIT', 'SAVE', 'RESTORE', 'FINALIZE', 'SET_NEXT_ID', 'bit 40']);
  t.regex(result(report, 'handshake').detail, /features: bit 2, SECCOMP, bit 63 \(0x8000000000000024\)/);
});

test('a module with no features says "none"', (t) => {
  const report = evaluateCheck(
    factsWith({
      handshake: { kind: 'answered', reply: { api: catalog.cptApi, features: 0n, ioctls: 1n } },
    }),
  );
  t.regex(result(report, 'handshake').detail, /features: none \(0x0\)/);
});

test('hints come in check order', (t) => {
  const report = evaluateCheck(
    factsWith({
      kernel: { release: '6.6.0', arch: 'x86_64' },
      open: { kind: 'failed', code: 'EACCES', message: 'permission denied' },
      handshake: { kind: 'not-attempted' },
    }),
  );
  t.is(report.hints.length, 2);
  t.regex(report.hints[0] ?? '', /vm\/run/);
  t.regex(report.hints[1] ?? '', /root/);
});

test('compat: the checks the module passed at load, and those it could not test here', (t) => {
  const report = evaluateCheck(
    factsWith({
      compat: {
        kind: 'reported',
        builtFor: '6.1.0-18-amd64',
        checks: [
          { name: 'release', outcome: 'ok' },
          { name: 'pts_fs_info', outcome: 'untested' },
        ],
      },
    }),
  );
  t.true(report.ok);
  t.is(result(report, 'compat').detail, 'built for 6.1.0-18-amd64; passed at load: release; untested here: pts_fs_info');
  t.is(report.compat.builtFor, '6.1.0-18-amd64');
  t.is(report.compat.refusal, null);
});

test('compat: a loaded module without the layer fails, with the reload hint', (t) => {
  const report = evaluateCheck(factsWith({ compat: { kind: 'absent' } }));
  t.is(result(report, 'compat').status, 'fail');
  t.regex(result(report, 'compat').detail, /no compat layer/);
  t.true(report.hints.some((hint) => hint.includes('rebuild kmod/')));
});

test('compat: a check in another state than ok or untested fails', (t) => {
  const report = evaluateCheck(
    factsWith({
      compat: { kind: 'reported', builtFor: null, checks: [{ name: 'release', outcome: 'not-run' }] },
    }),
  );
  t.is(result(report, 'compat').status, 'fail');
  t.regex(result(report, 'compat').detail, /release not-run/);
});

test("compat: a refused load shows the kernel log's reason and points at dmesg", (t) => {
  const message = 'cpt: compat check syscalls failed: forced by compat_fail=syscalls';
  const report = evaluateCheck(factsWith({ ...moduleAbsent, compat: { kind: 'refused', message } }));
  const compat = result(report, 'compat');
  t.is(compat.status, 'fail');
  t.true(compat.detail.endsWith(message));
  t.is(report.compat.refusal, message);
  t.true(report.hints.some((hint) => hint.includes("dmesg | grep 'cpt: compat'")));
});

test('compat: not loaded, no refusal logged: skipped', (t) => {
  const report = evaluateCheck(factsWith({ ...moduleAbsent, compat: { kind: 'no-refusal' } }));
  t.is(result(report, 'compat').status, 'skip');
  t.regex(result(report, 'compat').detail, /no compat refusal/);
});

test('compat: not loaded, the kernel log unreadable: skipped, pointing at dmesg', (t) => {
  const report = evaluateCheck(
    factsWith({
      ...moduleAbsent,
      compat: { kind: 'log-unreadable', reason: 'Operation not permitted' },
    }),
  );
  const compat = result(report, 'compat');
  t.is(compat.status, 'skip');
  t.regex(compat.detail, /dmesg \| grep 'cpt: compat'.*Operation not permitted/);
});

test('compat: facts of a loaded module while the module is not loaded are not trusted', (t) => {
  const report = evaluateCheck(factsWith({ module: { loaded: false, version: null } }));
  t.is(result(report, 'compat').status, 'skip');
});

test('holds: the TCP connections held in the namespace are counted, and none is said so', (t) => {
  const none = tcpHoldsVerdict({ kind: 'listed', count: 0 }).result;
  t.is(none.status, 'ok');
  t.regex(none.detail, /no TCP connection held/);
  const two = tcpHoldsVerdict({ kind: 'listed', count: 2 }).result;
  t.is(two.status, 'ok');
  t.regex(two.detail, /^2 TCP connections .* held .*cptctl release --list/);
  t.regex(tcpHoldsVerdict({ kind: 'listed', count: 1 }).result.detail, /^1 TCP connection of/);
});

test('holds: a module without TCP holds skips the check; a failed list fails it with the reload hint', (t) => {
  t.is(tcpHoldsVerdict({ kind: 'unsupported' }).result.status, 'skip');
  t.is(tcpHoldsVerdict({ kind: 'not-attempted' }).result.status, 'skip');
  const failed = tcpHoldsVerdict({ kind: 'failed', code: 'EFAULT', message: 'Bad address' });
  t.is(failed.result.status, 'fail');
  t.regex(failed.result.detail, /CPT_IOC_HOLD \(list\) failed with EFAULT/);
  t.regex(failed.hint ?? '', /rebuild kmod/);
});

test('holds: the report carries the count, after the key check', (t) => {
  const report = evaluateCheck(factsWith({ imageKey: { kind: 'none' }, tcpHolds: { kind: 'listed', count: 3 } }));
  t.is(report.tcpHolds, 3);
  t.deepEqual(
    report.checks.slice(-2).map((check) => check.name),
    ['key', 'holds'],
  );
  t.is(evaluateCheck(healthyFacts).tcpHolds, null);
});
