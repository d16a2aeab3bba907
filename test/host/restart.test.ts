// The restart sequence against a fake module (test/host/helpers/fake-module.ts),
// and restart's pure parts: the exit status and the failure messages.
import { execFile, execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { restartFailure } from '../../src/commands/restart/failure.js';
import { featuresOfFiles } from '../../src/commands/restart/needs.js';
import { parseStat, pidInUseHint } from '../../src/commands/restart/holder.js';
import type { RestartEnvironment } from '../../src/commands/restart/restart.js';
import { restart } from '../../src/commands/restart/restart.js';
import { describeExit, exitJson, shellExitStatus } from '../../src/commands/restart/status.js';
import { EnvironmentError, ImageError, RestartError } from '../../src/errors.js';
import { decodeMessage, encodeMessage } from '../../src/image/schema.js';
import type { FakeOptions } from './helpers/fake-module.js';
import { fakeModule, systemError } from './helpers/fake-module.js';
import { isClosedFd } from './helpers/fds.js';
import { bodyRecords, buildImage, files, message } from './helpers/image-builder.js';

let dir: string;
let imagePath: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cptctl-restart-'));
  imagePath = join(dir, 'sleep.img');
  await writeFile(imagePath, buildImage());
});

test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(options: FakeOptions = {}, image = imagePath, environment: Partial<RestartEnvironment> = {}) {
  const fake = fakeModule(options);
  const outcome = await restart({ image }, { addon: fake.addon, devicePath: '/dev/null', pidGraceMs: 0, ...environment }).then(
    (restarted) => ({ restarted, error: undefined }),
    (error: unknown) => ({ restarted: undefined, error }),
  );
  return { fake, ...outcome };
}

test('the calls come in protocol order: INIT, the manifest, restoreTree with the saved pid, FINALIZE(RESUME)', async (t) => {
  const { fake, restarted, error } = await run();
  t.is(error, undefined);
  t.is(restarted?.pid, 1234);
  t.is(restarted?.manifest.hostname, 'guest');
  t.deepEqual(fake.calls, ['INIT(RESTART)', 'USER_RECORD(MANIFEST)', 'restoreTree(1234)', 'FINALIZE(RESUME)']);
});

test('the manifest is read exactly: the restoring task finds the stream at the TASK record', async (t) => {
  const { fake } = await run();
  t.deepEqual(fake.restoredRecords, ['TASK', 'SIGNALS', 'FILES', 'CPU', 'MM', 'PAGES', 'PAGES', 'PAGES', 'TRAILER']);
});

test('an image from a pipe is copied to a file first, which the module reads', async (t) => {
  const fifo = join(dir, 'fifo');
  execFileSync('mkfifo', [fifo]);
  const spoolDir = join(dir, 'spool');
  await mkdir(spoolDir);
  const writer = execFile('sh', ['-c', `cat '${imagePath}' > '${fifo}'`]);
  try {
    const { fake, restarted } = await run({}, fifo, { spoolDir });
    t.is(restarted?.pid, 1234);
    t.is(fake.restoredRecords.at(-1), 'TRAILER');
    t.deepEqual(await readdir(spoolDir), []); // nothing left behind
  } finally {
    writer.kill();
  }
});

test('an empty stream is an ImageError', async (t) => {
  const fifo = join(dir, 'empty-fifo');
  execFileSync('mkfifo', [fifo]);
  const writer = execFile('sh', ['-c', `: > '${fifo}'`]);
  try {
    const { error, fake } = await run({}, fifo);
    t.true(error instanceof ImageError);
    t.is((error as Error).message, `the image from ${fifo} is empty`);
    t.deepEqual(fake.calls, []);
  } finally {
    writer.kill();
  }
});

const pidTaken = (): Error =>
  Object.assign(new Error('clone failed: EEXIST (File exists)'), {
    code: 'EEXIST',
    errno: -17,
    syscall: 'clone',
    pid: 1234,
  });

test.serial('a pid in use is "pid 1234 is in use (EEXIST)", exit 5, and the session is closed', async (t) => {
  const { fake, error } = await run({ fail: { call: 'restoreTree', error: pidTaken() } }, imagePath, { procRoot: dir });
  t.true(error instanceof RestartError);
  t.is((error as RestartError).message, 'pid 1234 is in use (EEXIST)');
  t.is((error as RestartError).exitCode, 5);
  t.regex((error as RestartError).hint ?? '', /ran with that pid: restart again, or where the pid is free/);
  t.false(fake.calls.includes('FINALIZE(RESUME)'));
  for (const fd of fake.deviceFds) t.true(isClosedFd(fd, '/dev/null'));
});

test('a pid held by a zombie says whose parent must reap it', async (t) => {
  const proc = join(dir, 'proc');
  await mkdir(join(proc, '1234'), { recursive: true });
  await writeFile(join(proc, '1234', 'stat'), '1234 (cpu state) Z 77 1234 1234 0 -1 4194564 0 0 0 0');
  const { error } = await run({ fail: { call: 'restoreTree', error: pidTaken() } }, imagePath, { procRoot: proc });
  t.is(
    (error as RestartError).hint,
    'pid 1234 is a zombie (cpu state) that its parent, pid 77, has not reaped: make the parent wait for it, or end the parent',
  );
});

test('while the pid is still taken, the clone is retried for a moment', async (t) => {
  const { fake, restarted } = await run({ fail: { call: 'restoreTree', error: pidTaken(), times: 3 } }, imagePath, { pidGraceMs: 5000 });
  t.is(restarted?.pid, 1234);
  t.deepEqual(fake.calls, [
    'INIT(RESTART)',
    'USER_RECORD(MANIFEST)',
    'restoreTree(1234)',
    'restoreTree(1234)',
    'restoreTree(1234)',
    'restoreTree(1234)',
    'FINALIZE(RESUME)',
  ]);
});

test('other restore failures are not retried', async (t) => {
  const restore = Object.assign(systemError('ENOMEM', 12, 'CPT_IOC_RESTORE(MM)', 'Cannot allocate memory'), { subsys: 'MM' });
  const { fake } = await run({ fail: { call: 'restoreTree', error: restore } }, imagePath, { pidGraceMs: 5000 });
  t.deepEqual(fake.calls, ['INIT(RESTART)', 'USER_RECORD(MANIFEST)', 'restoreTree(1234)']);
});

test('a failed RESTORE names its subsystem', async (t) => {
  const restore = Object.assign(systemError('ENOMEM', 12, 'CPT_IOC_RESTORE(MM)', 'Cannot allocate memory'), { subsys: 'MM', pid: 1234 });
  const { error } = await run({ fail: { call: 'restoreTree', error: restore } });
  t.true(error instanceof RestartError);
  t.is((error as Error).message, 'restart of pid 1234 failed at CPT_IOC_RESTORE(MM) in task 1234: ENOMEM (Cannot allocate memory)');
});

test('a restored task that died silently is a RestartError with what happened', async (t) => {
  const died = Object.assign(new Error('the restored task (pid 1234) was killed by signal 9 during restore'), {
    code: 'ERR_CPT_TASK_EXITED',
    pid: 1234,
    exitCode: null,
    signal: 9,
  });
  const { error } = await run({ fail: { call: 'restoreTree', error: died } });
  t.true(error instanceof RestartError);
  t.is((error as Error).message, 'restart of pid 1234 failed at building the tree: the restoring task 1234 died (killed by SIGKILL)');
  t.regex((error as RestartError).hint ?? '', /dmesg/);
});

test("a restoring task that died in its final step: the module's words for it", async (t) => {
  const died = Object.assign(new Error('the restoring task (pid 1234) died during restore, killed by signal 9'), {
    code: 'ERR_CPT_TASK_EXITED',
    pid: 1234,
    signal: 9,
    detail: 'pid 1234 failed at its final step (-EBADF), killed by SIGKILL: epoll fd 3: cannot watch fd 900 again: -9',
  });
  const { error } = await run({ fail: { call: 'restoreTree', error: died } });
  t.is(
    (error as Error).message,
    'restart of pid 1234 failed at building the tree: the restoring task 1234 died (killed by SIGKILL): ' +
      'pid 1234 failed at its final step (-EBADF), killed by SIGKILL: epoll fd 3: cannot watch fd 900 again: -9',
  );
});

test("a task cancelled by another's failure: the failure is shown, not ECANCELED", async (t) => {
  const cancelled = Object.assign(systemError('ECANCELED', 125, 'CPT_IOC_RESTORE(MM)', 'Operation canceled'), {
    subsys: 'MM',
    pid: 1236,
    detail: 'pid 1235 failed at its final step (-EBADF), killed by SIGKILL: epoll fd 3: cannot watch fd 900 again: -9',
  });
  const { error } = await run({ fail: { call: 'restoreTree', error: cancelled } });
  t.true(error instanceof RestartError);
  t.is(
    (error as Error).message,
    'restart of pid 1236 failed: pid 1235 failed at its final step (-EBADF), killed by SIGKILL: epoll fd 3: cannot watch fd 900 again: -9',
  );
});

test('the module refusing the header as malformed is an ImageError (exit 6)', async (t) => {
  const { error, fake } = await run({ fail: { call: 'INIT', error: systemError('EBADMSG', 74, 'CPT_IOC_INIT', 'Bad message') } });
  t.true(error instanceof ImageError);
  t.is((error as ImageError).message, 'restart failed at CPT_IOC_INIT: EBADMSG (Bad message)');
  t.regex((error as ImageError).hint ?? '', /cptctl inspect/);
  t.deepEqual(fake.calls, ['INIT(RESTART)']);
});

test('an image from another kernel is a RestartError explaining what must match', async (t) => {
  const { error } = await run({ fail: { call: 'INIT', error: systemError('EOPNOTSUPP', 95, 'CPT_IOC_INIT', 'Operation not supported') } });
  t.true(error instanceof RestartError);
  t.regex((error as RestartError).hint ?? '', /kernel release.*xstate/);
});

test("EOPNOTSUPP with the module's words is no matter of kernel release: the hint points at those words", async (t) => {
  const detail = 'fd 3: character device 10:200 is not supported';
  const failure = Object.assign(systemError('EOPNOTSUPP', 95, 'CPT_IOC_RESTORE', 'Operation not supported'), { detail });
  const { error } = await run({ fail: { call: 'INIT', error: failure } });
  t.true(error instanceof RestartError);
  t.true((error as RestartError).message.endsWith(detail));
  t.notRegex((error as RestartError).hint ?? '', /kernel release/);
  t.regex((error as RestartError).hint ?? '', /named what it cannot restore/);
});

test("EPERM with the module's words points at those words, not at root", async (t) => {
  const detail = 'pid 1234: its root directory is /srv/jail (chroot): the restarting caller may not chroot (CAP_SYS_CHROOT)';
  const failure = Object.assign(systemError('EPERM', 1, 'CPT_IOC_RESTORE', 'Operation not permitted'), { detail });
  const { error } = await run({ fail: { call: 'INIT', error: failure } });
  t.true((error as RestartError).message.endsWith(detail));
  t.notRegex((error as RestartError).hint ?? '', /needs root/);
  t.regex((error as RestartError).hint ?? '', /may not do/);
});

test('a task that failed before FINALIZE (ECHILD) points at the kernel log', async (t) => {
  const { error } = await run({ fail: { call: 'FINALIZE', error: systemError('ECHILD', 10, 'CPT_IOC_FINALIZE', 'No child processes') } });
  t.regex((error as RestartError).message, /^restart of pid 1234 failed at CPT_IOC_FINALIZE: ECHILD/);
  t.regex((error as RestartError).hint ?? '', /dmesg/);
});

test('a corrupt manifest is an ImageError, and nothing is restored', async (t) => {
  const image = buildImage();
  const manifestOffset = buildImage(bodyRecords().slice(0, 3), false).length;
  image.writeUInt8(image.readUInt8(manifestOffset + 18) ^ 1, manifestOffset + 18);
  const path = join(dir, 'bad-manifest.img');
  await writeFile(path, image);
  const { error, fake } = await run({}, path);
  t.true(error instanceof ImageError);
  // The session reads it, and checks its CRC as the module does.
  t.regex((error as Error).message, /^restart failed at CPT_IOC_USER_RECORD\(MANIFEST\): EBADMSG/);
  t.deepEqual(fake.calls, ['INIT(RESTART)', 'USER_RECORD(MANIFEST)']);
});

test('an image without a manifest after its header is an ImageError', async (t) => {
  const path = join(dir, 'no-manifest.img');
  await writeFile(path, buildImage(bodyRecords().filter((spec) => spec.type !== 'MANIFEST')));
  const { error } = await run({}, path);
  t.true(error instanceof ImageError);
  t.regex((error as Error).message, /^restart failed at CPT_IOC_USER_RECORD\(MANIFEST\): EBADMSG/);
});

test('a missing image is an ImageError before /dev/cpt is even opened', async (t) => {
  const fake = fakeModule();
  const missing = join(dir, 'nope.img');
  const error = await t.throwsAsync(restart({ image: missing }, { addon: fake.addon, devicePath: join(dir, 'no-cpt') }), {
    instanceOf: ImageError,
  });
  t.is(error?.message, `cannot open image ${missing}: ENOENT (no such file or directory)`);
});

test('a module without NEXT_PID is an EnvironmentError', async (t) => {
  const { error, fake } = await run({ features: ['SESSION'] });
  t.true(error instanceof EnvironmentError);
  t.regex((error as Error).message, /lacks NEXT_PID/);
  t.deepEqual(fake.calls, []);
});

/** The image of bodyRecords() whose FILES has one more File, file. */
async function imageWithFile(name: string, file: Record<string, unknown>): Promise<string> {
  const records = bodyRecords().map((spec) =>
    spec.type === 'FILES' ? message('FILES', 'Files', { ...files, files: [...(files.files ?? []), file] }) : spec,
  );
  const path = join(dir, name);
  await writeFile(path, buildImage(records));
  return path;
}

/** The image of bodyRecords() whose FILES has a unix listener with a connection not accepted yet, its messages carrying `rights`. */
async function pendingImage(name: string, rights: readonly (readonly number[])[]): Promise<string> {
  const listener = {
    id: 4,
    kind: 'UNIX_LISTENER' as const,
    unixPending: [
      { pairId: 1, messages: [Buffer.from('a'), Buffer.from('b')], rights: rights.map((fileIds) => ({ fileIds: [...fileIds] })) },
    ],
  };
  return imageWithFile(name, listener);
}

test('an image with files in flight in a connection not accepted yet needs UNIX_PENDING_RIGHTS: refused before INIT without it', async (t) => {
  const image = await pendingImage('pending-rights.img', [[2], []]);
  const { error, fake } = await run({}, image);
  t.true(error instanceof EnvironmentError);
  t.regex((error as Error).message, /^the loaded cpt module lacks UNIX_PENDING_RIGHTS, which this image needs, \(it offers: /);
  t.deepEqual(fake.calls, []);
  const offered = await run({ features: ['SESSION', 'NEXT_PID', 'TREE', 'USER_RECORDS', 'UNIX_PENDING_RIGHTS'] }, image);
  t.is(offered.error, undefined);
});

test('a connection not accepted yet whose messages carry no files needs no feature', async (t) => {
  const { error } = await run({}, await pendingImage('pending-plain.img', [[], []]));
  t.is(error, undefined);
  t.deepEqual(featuresOfFiles(decodeMessage('Files', encodeMessage('Files', files))), []);
});

const socketOptionFiles: [string, Record<string, unknown>][] = [
  ['an inet socket with SO_RCVTIMEO', { id: 4, kind: 'INET', socketOptions: { rcvtimeoUs: 1_500_000n } }],
  ['a packet socket with a filter', { id: 4, kind: 'PACKET', socketOptions: { filter: Buffer.alloc(8) } }],
  ['a unix pair with SO_TIMESTAMPNS', { id: 4, kind: 'UNIX_PAIR', socketOptions: { timestamp: true, timestampns: true } }],
  ['a unix listener with SO_SNDBUF', { id: 4, kind: 'UNIX_LISTENER', socketOptions: { sndbuf: 4608 } }],
  ['a unix socket with SO_PEEK_OFF', { id: 4, kind: 'UNIX_DGRAM', socketOptions: { peek: true } }],
  ['a TCP socket with TCP_CONGESTION', { id: 4, kind: 'INET', inet: { type: 1, protocol: 6, tcpCongestion: 'reno' } }],
  ['a TCP listener with TCP_DEFER_ACCEPT', { id: 4, kind: 'INET', inet: { type: 1, protocol: 6, tcpDeferAccept: 3 } }],
];

for (const [what, file] of socketOptionFiles) {
  test(`${what} needs SOCKET_OPTIONS: refused before INIT without it`, async (t) => {
    const image = await imageWithFile('sockopt.img', file);
    const { error, fake } = await run({}, image);
    t.regex((error as Error).message, /^the loaded cpt module lacks SOCKET_OPTIONS, which this image needs, \(it offers: /);
    t.deepEqual(fake.calls, []);
    const offered = await run({ features: ['SESSION', 'NEXT_PID', 'TREE', 'USER_RECORDS', 'SOCKET_OPTIONS'] }, image);
    t.is(offered.error, undefined);
  });
}

test('a netlink socket with only SO_SNDBUF needs no feature: every module restores it', (t) => {
  const image = { files: [{ id: 4, kind: 'NETLINK' as const, socketOptions: { sndbuf: 4608, priority: 3 } }] };
  t.deepEqual(featuresOfFiles(decodeMessage('Files', encodeMessage('Files', image))), []);
});

// The exit status of a waited restart.

test('an exit code is passed on as is', (t) => {
  t.is(shellExitStatus({ code: 0, signal: null, coreDumped: false }), 0);
  t.is(shellExitStatus({ code: 3, signal: null, coreDumped: false }), 3);
  t.is(shellExitStatus({ code: 255, signal: null, coreDumped: false }), 255);
});

test('death by a signal is 128 + the signal, like a shell', (t) => {
  t.is(shellExitStatus({ code: null, signal: 9, coreDumped: false }), 137);
  t.is(shellExitStatus({ code: null, signal: 15, coreDumped: false }), 143);
  t.is(shellExitStatus({ code: null, signal: 11, coreDumped: true }), 139);
});

test('an exit with neither code nor signal is a bug', (t) => {
  t.throws(() => shellExitStatus({ code: null, signal: null, coreDumped: false }));
});

test('exits in words and in JSON', (t) => {
  t.is(describeExit({ code: 3, signal: null, coreDumped: false }), 'exited with status 3');
  t.is(describeExit({ code: null, signal: 9, coreDumped: false }), 'was killed by SIGKILL');
  t.is(describeExit({ code: null, signal: 11, coreDumped: true }), 'was killed by SIGSEGV (core dumped)');
  t.deepEqual(exitJson({ code: null, signal: 15, coreDumped: false }), { code: null, signal: 'SIGTERM', status: 143 });
  t.deepEqual(exitJson({ code: 0, signal: null, coreDumped: false }), { code: 0, signal: null, status: 0 });
});

test('restartFailure: EPERM asks for root; an error without errno keeps its message', (t) => {
  const eperm = restartFailure(
    'restoring the task',
    7,
    Object.assign(new Error('ioctl CPT_IOC_SET_NEXT_ID failed: EPERM (Operation not permitted)'), {
      code: 'EPERM',
      errno: -1,
      syscall: 'ioctl',
    }),
  );
  t.is(eperm.message, 'restart of pid 7 failed at restoring the task: EPERM (Operation not permitted)');
  t.regex(eperm.hint ?? '', /root/);
  t.is(restartFailure('CPT_IOC_INIT', null, new Error('odd')).message, 'restart failed at CPT_IOC_INIT: odd');
});

test('parseStat reads comm with spaces and parentheses, then state and ppid', (t) => {
  t.deepEqual(parseStat('42 (a (b) c) Z 7 42 42 0'), { comm: 'a (b) c', state: 'Z', ppid: 7 });
  t.deepEqual(parseStat('1 (init) S 0 1 1'), { comm: 'init', state: 'S', ppid: 0 });
  t.is(parseStat('garbage'), null);
});

test('pidInUseHint for a live holder names it', (t) => {
  t.is(pidInUseHint(9, { comm: 'sleep', state: 'S', ppid: 1 }), 'sleep runs with pid 9: end it, or restart where the pid is free');
});

test('an ioctl that returns what the ABI does not define is a RestartError asking for a matching module', async (t) => {
  const broken = Object.assign(new Error('ioctl CPT_IOC_INIT returned 1, where the cpt ABI defines 0 for success'), {
    code: 'ERR_CPT_PROTOCOL',
    syscall: 'ioctl',
  });
  const { error } = await run({ fail: { call: 'INIT', error: broken } });
  t.true(error instanceof RestartError);
  t.is((error as Error).message, 'restart failed at CPT_IOC_INIT: ioctl CPT_IOC_INIT returned 1, where the cpt ABI defines 0 for success');
  t.regex((error as RestartError).hint ?? '', /rebuild kmod/);
});
