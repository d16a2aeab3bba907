// The checkpoint sequence against a fake module (test/host/helpers/fake-module.ts):
// the order of the calls, the image they make together, and the cleanup
// after a failure at each step.
import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import type { CheckpointRequest, CheckpointResult } from '../../src/commands/checkpoint/checkpoint.js';
import { checkpoint } from '../../src/commands/checkpoint/checkpoint.js';
import { dispositionOf } from '../../src/commands/checkpoint/cli.js';
import { inspectSource } from '../../src/commands/inspect/inspect.js';
import { CheckpointError, EnvironmentError, UsageError } from '../../src/errors.js';
import { BufferSource } from '../../src/image/io.js';
import { packageVersion } from '../../src/package.js';
import type { FakeOptions } from './helpers/fake-module.js';
import { fakeModule, systemError } from './helpers/fake-module.js';
import { isClosedFd } from './helpers/fds.js';

let target: ChildProcess;
let dir: string;

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cptctl-checkpoint-'));
  // stdin a pipe: a "shell job". (Node's own 'pipe' stdio is a socket pair.)
  const fifo = join(dir, 'stdin');
  execFileSync('mkfifo', [fifo]);
  const stdin = openSync(fifo, 'r+');
  target = spawn('sleep', ['300'], { stdio: [stdin, 'ignore', 'ignore'] });
  await new Promise((resolve) => target.once('spawn', resolve));
  closeSync(stdin);
});

test.after.always(async () => {
  target.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
function imagePath(): string {
  counter++;
  return join(dir, `image-${counter}.img`);
}

function request(overrides: Partial<CheckpointRequest> = {}): CheckpointRequest {
  return { pid: target.pid!, output: imagePath(), disposition: 'leave-running', ...overrides };
}

async function run(options: FakeOptions = {}, overrides: Partial<CheckpointRequest> = {}) {
  const fake = fakeModule(options);
  const req = request(overrides);
  const outcome = await checkpoint(req, { addon: fake.addon, devicePath: '/dev/null' }).then(
    (result) => ({ result, error: undefined }),
    (error: unknown) => ({ result: undefined as CheckpointResult | undefined, error }),
  );
  return { fake, req, ...outcome };
}

test('the calls come in protocol order: INIT, the manifest, SAVE of each subsystem, FINALIZE', async (t) => {
  const { fake, result } = await run();
  t.truthy(result);
  t.deepEqual(fake.calls, [
    `INIT(CHECKPOINT ${target.pid})`,
    'USER_RECORD(MANIFEST)',
    'SAVE(TASK)',
    'SAVE(SIGNALS)',
    'SAVE(FILES)',
    'SAVE(CPU)',
    'SAVE(MM)',
    'FINALIZE(RESUME)',
  ]);
  t.is(fake.deviceFds.size, 1);
});

test("the image holds the module's records and cptctl's manifest right after the header", async (t) => {
  const { req } = await run();
  const summary = await inspectSource(new BufferSource(await readFile(req.output)), req.output);
  t.deepEqual(summary.manifest, {
    tool: `cptctl ${packageVersion()}`,
    rootPid: target.pid,
    argv: ['sleep', '300'],
    hostname: hostname(),
    shellJob: true,
  });
  t.is(summary.task?.comm, 'sleep');
  t.is(summary.pages.pages, 6n);
  t.deepEqual(summary.notes, []);
});

test('the image is created mode 0600', async (t) => {
  const { req } = await run();
  t.is((await stat(req.output)).mode & 0o777, 0o600);
});

test('an existing image is truncated, not appended to', async (t) => {
  const output = imagePath();
  await writeFile(output, Buffer.alloc(1024 * 1024, 0xaa));
  const { result } = await run({}, { output });
  t.is((await stat(output)).size, result?.stats.imageBytes ?? -1);
  t.true((result?.stats.imageBytes ?? 0) < 1024 * 1024);
});

test('stats: frozen time from the module, each subsystem with its bytes, the image size', async (t) => {
  const { req, result } = await run();
  const stats = result!.stats;
  t.is(stats.frozenNs, 1234n);
  t.deepEqual(
    stats.subsystems.map((subsys) => subsys.name),
    ['TASK', 'SIGNALS', 'FILES', 'CPU', 'MM'],
  );
  t.true(stats.subsystems.every((subsys) => subsys.bytes > 0n && subsys.ns >= 0n));
  t.is(stats.imageBytes, (await stat(req.output)).size);
  t.true(stats.manifestBytes > 20);
  t.true(stats.totalNs >= stats.initNs + stats.finalizeNs);
  t.deepEqual(result!.argv, ['sleep', '300']);
});

for (const [disposition, action] of [
  ['kill', 'KILL'],
  ['stop', 'STOP'],
  ['leave-running', 'RESUME'],
] as const) {
  test(`--${disposition} finalizes with ${action}`, async (t) => {
    const { fake, result } = await run({}, { disposition });
    t.is(fake.calls.at(-1), `FINALIZE(${action})`);
    t.is(result?.disposition, disposition);
  });
}

for (const [disposition, flags] of [
  ['kill', ['KILL']],
  ['stop', []],
  ['leave-running', []],
] as const) {
  test(`--${disposition} passes INIT flags [${flags.join(', ')}]: the module holds the tree's own connections for a kill only`, async (t) => {
    const { fake, error } = await run({}, { disposition });
    t.is(error, undefined);
    t.deepEqual(fake.initFlags, [flags]);
  });
}

test('--kill --tcp-established passes both flags', async (t) => {
  const { fake } = await run(
    { features: ['SESSION', 'USER_RECORDS', 'INIT_KILL', 'TCP_HOLD'] },
    { disposition: 'kill', tcpEstablished: true },
  );
  t.deepEqual(fake.initFlags, [['TCP_ESTABLISHED', 'KILL']]);
});

test('--tcp-established without --kill passes no flag: nothing would be ended, only held while saved', async (t) => {
  const { fake, error } = await run({ features: ['SESSION', 'USER_RECORDS'] }, { disposition: 'leave-running', tcpEstablished: true });
  t.is(error, undefined);
  t.deepEqual(fake.initFlags, [[]]);
});

test('--kill needs a module that offers INIT_KILL, asked for before anything is created', async (t) => {
  const { req, error, fake } = await run({ features: ['SESSION', 'USER_RECORDS'] }, { disposition: 'kill' });
  t.true(error instanceof EnvironmentError);
  t.regex((error as Error).message, /lacks INIT_KILL/);
  t.deepEqual(fake.calls, []);
  await t.throwsAsync(stat(req.output), { code: 'ENOENT' });
});

test('dispositionOf: leave-running unless --kill or --stop', (t) => {
  t.is(dispositionOf({}), 'leave-running');
  t.is(dispositionOf({ kill: false, stop: false }), 'leave-running');
  t.is(dispositionOf({ kill: true }), 'kill');
  t.is(dispositionOf({ stop: true }), 'stop');
});

// A failure at each step: the session fd is closed (the module aborts and
// the target resumes), the partial image removed, and the error says which
// step and errno. Serial: the closed fds must not be reused before they are checked.
const failures: readonly [string, Error, RegExp, RegExp | undefined][] = [
  [
    'INIT',
    systemError('EBUSY', 16, 'CPT_IOC_INIT', 'Device or resource busy'),
    /^checkpoint of pid \d+ failed at CPT_IOC_INIT: EBUSY \(Device or resource busy\)$/,
    /cannot freeze.*dmesg/,
  ],
  [
    'SAVE(TASK)',
    systemError('EPERM', 1, 'CPT_IOC_SAVE(TASK)', 'Operation not permitted'),
    /failed at CPT_IOC_SAVE\(TASK\): EPERM \(Operation not permitted\)$/,
    /root/,
  ],
  [
    'SAVE(MM)',
    systemError('EOPNOTSUPP', 95, 'CPT_IOC_SAVE(MM)', 'Operation not supported'),
    /^checkpoint of pid \d+ failed at CPT_IOC_SAVE\(MM\): EOPNOTSUPP \(Operation not supported\)$/,
    /cannot checkpoint yet.*dmesg/,
  ],
  [
    'FINALIZE',
    systemError('ENOSPC', 28, 'CPT_IOC_FINALIZE', 'No space left on device'),
    /failed at CPT_IOC_FINALIZE writing \S+\.img: ENOSPC \(No space left on device\)$/,
    /does not fit.*partial image was removed.*runs on.*free space there, or write the image to another place/,
  ],
  ['SAVE(FILES)', new Error('something odd'), /failed at CPT_IOC_SAVE\(FILES\): something odd$/, undefined],
];

for (const [call, error, message, hint] of failures) {
  test.serial(`a failure at ${call} closes the session, removes the image and exits 4`, async (t) => {
    const { fake, req, error: thrown } = await run({ fail: { call, error } });
    t.true(thrown instanceof CheckpointError, String(thrown));
    const checkpointError = thrown as CheckpointError;
    t.is(checkpointError.exitCode, 4);
    t.regex(checkpointError.message, message);
    if (hint === undefined) t.is(checkpointError.hint, undefined);
    else t.regex(checkpointError.hint ?? '', hint);
    t.is(checkpointError.cause, error);
    await t.throwsAsync(stat(req.output), { code: 'ENOENT' });
    for (const fd of fake.deviceFds) t.true(isClosedFd(fd, '/dev/null'));
    t.false(fake.calls.includes('FINALIZE(RESUME)') && call !== 'FINALIZE');
  });
}

test('a module without sessions is an EnvironmentError before any file is created', async (t) => {
  const { req, error, fake } = await run({ features: ['NEXT_PID', 'USER_RECORDS'] });
  t.true(error instanceof EnvironmentError);
  t.regex((error as Error).message, /^the loaded cpt module lacks SESSION \(it offers: NEXT_PID, USER_RECORDS\)$/);
  t.deepEqual(fake.calls, []);
  await t.throwsAsync(stat(req.output), { code: 'ENOENT' });
});

test('no /dev/cpt is an EnvironmentError pointing at cptctl check', async (t) => {
  const fake = fakeModule();
  const error = await t.throwsAsync(checkpoint(request(), { addon: fake.addon, devicePath: join(dir, 'no-cpt') }), {
    instanceOf: EnvironmentError,
  });
  t.regex(error?.message ?? '', /no-cpt does not exist: is the cpt module loaded\?/);
  t.regex(error?.hint ?? '', /cptctl check/);
});

test('a process that does not exist is a CheckpointError, and nothing is created', async (t) => {
  const output = imagePath();
  const { error, fake } = await run({}, { pid: 2 ** 22 + 1, output });
  t.true(error instanceof CheckpointError);
  t.is((error as Error).message, `no process ${2 ** 22 + 1}`);
  t.deepEqual(fake.calls, []);
  await t.throwsAsync(stat(output), { code: 'ENOENT' });
});

test.serial('an image that cannot be created is a CheckpointError, and the session fd is closed', async (t) => {
  const output = join(dir, 'missing-dir', 'x.img');
  const fake = fakeModule();
  let deviceFd = -1;
  const api = fake.addon.api;
  fake.addon.api = (fd, req) => {
    deviceFd = fd;
    return api(fd, req);
  };
  const error = await t.throwsAsync(checkpoint(request({ output }), { addon: fake.addon, devicePath: '/dev/null' }), {
    instanceOf: CheckpointError,
  });
  t.is(error?.message, `cannot create image ${output}: ENOENT (no such file or directory)`);
  t.true(isClosedFd(deviceFd, '/dev/null'));
  t.deepEqual(fake.calls, []);
});

test('cptctl refuses to checkpoint itself', async (t) => {
  await t.throwsAsync(checkpoint(request({ pid: process.pid }), { addon: fakeModule().addon, devicePath: '/dev/null' }), {
    instanceOf: UsageError,
    message: 'cptctl cannot checkpoint itself',
  });
});

test('progress: the phases in order, then stop', async (t) => {
  const fake = fakeModule();
  const seen: string[] = [];
  await checkpoint(request(), {
    addon: fake.addon,
    devicePath: '/dev/null',
    progress: () => ({ phase: (phase) => seen.push(phase), stop: () => seen.push('stop') }),
  });
  t.deepEqual(seen, ['freezing', 'saving TASK', 'saving SIGNALS', 'saving FILES', 'saving CPU', 'saving MM', 'finishing', 'stop']);
});

test('progress: the bytes known so far grow with each subsystem', async (t) => {
  const fake = fakeModule();
  const known: number[] = [];
  let read: () => number = () => 0;
  await checkpoint(request(), {
    addon: fake.addon,
    devicePath: '/dev/null',
    progress: (_image, knownBytes) => {
      read = knownBytes;
      return { phase: () => known.push(read()), stop: () => undefined };
    },
  });
  t.is(known[0], 0);
  t.true(known.every((value, i) => i === 0 || value >= (known[i - 1] ?? 0)));
  t.true((known.at(-1) ?? 0) > 0);
});
