// The pure parts of checkpoint: target facts, failure messages, progress, stats.
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import type { CheckpointResult } from '../../src/commands/checkpoint/checkpoint.js';
import { subsystemOrder } from '../../src/commands/checkpoint/checkpoint.js';
import { describeCheckpointFailure } from '../../src/commands/checkpoint/failure.js';
import { checkpointJson, formatCheckpointJson, formatCheckpointStats } from '../../src/commands/checkpoint/format.js';
import { formatProgress, terminalProgress } from '../../src/progress.js';
import { gatherTargetFacts, isShellStdio, parseCmdline } from '../../src/commands/checkpoint/target.js';
import { CheckpointError } from '../../src/errors.js';
import { loadAddon } from '../../src/native.js';
import { systemError } from './helpers/fake-module.js';

test('parseCmdline splits at NULs, with or without the last one', (t) => {
  t.deepEqual(parseCmdline(Buffer.from('sleep\x001000\x00')), ['sleep', '1000']);
  t.deepEqual(parseCmdline(Buffer.from('sleep\x00\x00x\x00')), ['sleep', '', 'x']);
  t.deepEqual(parseCmdline(Buffer.from('rewritten title')), ['rewritten title']);
  t.deepEqual(parseCmdline(Buffer.alloc(0)), []);
});

test('isShellStdio: terminals and pipes, not files, sockets or /dev/null', (t) => {
  for (const link of ['/dev/pts/0', '/dev/pts/12', '/dev/tty', '/dev/tty1', '/dev/ttyS0', '/dev/console', 'pipe:[12345]']) {
    t.true(isShellStdio({ link, fifo: false }), link);
  }
  for (const link of ['/dev/null', '/tmp/log', 'socket:[1]', '', '/dev/pts/ptmx', 'anon_inode:[eventfd]']) {
    t.false(isShellStdio({ link, fifo: false }), link);
  }
  t.true(isShellStdio({ link: '/tmp/fifo', fifo: true }));
});

test('gatherTargetFacts reads a live process', async (t) => {
  // A command after sleep keeps sh itself alive, with its argv.
  const child = spawn('sh', ['-c', 'sleep 30; exit', 'an argument with spaces'], { stdio: 'ignore' });
  try {
    await new Promise((resolve) => child.once('spawn', resolve));
    const facts = await gatherTargetFacts(child.pid!);
    t.deepEqual(facts, { argv: ['sh', '-c', 'sleep 30; exit', 'an argument with spaces'], shellJob: false });
  } finally {
    child.kill('SIGKILL');
  }
});

test('gatherTargetFacts from a fake /proc: a tty on fd 2 makes a shell job', async (t) => {
  const proc = await mkdtemp(join(tmpdir(), 'cptctl-proc-'));
  try {
    await mkdir(join(proc, '77', 'fd'), { recursive: true });
    await writeFile(join(proc, '77', 'cmdline'), 'vim\0notes.txt\0');
    await symlink('/dev/null', join(proc, '77', 'fd', '0'));
    await symlink('/dev/pts/3', join(proc, '77', 'fd', '2'));
    t.deepEqual(await gatherTargetFacts(77, proc), { argv: ['vim', 'notes.txt'], shellJob: true });
  } finally {
    await rm(proc, { recursive: true, force: true });
  }
});

test('gatherTargetFacts of a missing process: "no process N"', async (t) => {
  await t.throwsAsync(gatherTargetFacts(123, '/nonexistent-proc'), { instanceOf: CheckpointError, message: 'no process 123' });
});

test("subsystemOrder sorts by the header's values", (t) => {
  t.deepEqual(subsystemOrder(loadAddon().SUBSYS), ['TASK', 'SIGNALS', 'FILES', 'CPU', 'MM']);
  t.deepEqual(subsystemOrder({ MM: 1, CPU: 3, TASK: 2, FILES: 5, SIGNALS: 4 }), ['MM', 'TASK', 'CPU', 'SIGNALS', 'FILES']);
});

test('describeCheckpointFailure: step and errno, and a hint for known errnos', (t) => {
  t.deepEqual(describeCheckpointFailure(9, 'CPT_IOC_SAVE(MM)', systemError('EBUSY', 16, 'CPT_IOC_SAVE(MM)', 'Device or resource busy')), {
    message: 'checkpoint of pid 9 failed at CPT_IOC_SAVE(MM): EBUSY (Device or resource busy)',
    hint: 'the module cannot freeze the process now (already being checkpointed, or a task of it asleep in the kernel, e.g. a vfork() parent?); the kernel log (dmesg) says why',
  });
  const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' });
  t.like(describeCheckpointFailure(9, 'writing the manifest', enospc), {
    message: 'checkpoint of pid 9 failed at writing the manifest: ENOSPC (no space left on device)',
  });
  t.like(describeCheckpointFailure(9, 'CPT_IOC_SAVE(MM)', enospc, '/mnt/small/x.img'), {
    message: 'checkpoint of pid 9 failed at CPT_IOC_SAVE(MM) writing /mnt/small/x.img: ENOSPC (no space left on device)',
  });
  const epipe = describeCheckpointFailure(9, 'CPT_IOC_SAVE(MM)', systemError('EPIPE', 32, 'CPT_IOC_SAVE(MM)', 'Broken pipe'), '-');
  t.is(epipe.message, 'checkpoint of pid 9 failed at CPT_IOC_SAVE(MM) writing stdout: EPIPE (Broken pipe)');
  t.regex(epipe.hint ?? '', /went away before its end; the process runs on as it was: checkpoint again with a reader that stays/);
  t.deepEqual(
    describeCheckpointFailure(9, 'CPT_IOC_INIT', systemError('EXDEV', 18, 'CPT_IOC_INIT', 'Invalid cross-device link'), '/x.img'),
    {
      message: 'checkpoint of pid 9 failed at CPT_IOC_INIT: EXDEV (Invalid cross-device link)',
    },
  );
});

test('formatProgress: phase, elapsed time, bytes when known', (t) => {
  t.is(
    formatProgress({ label: 'checkpoint 12', phase: 'saving MM', elapsedNs: 1_250_000_000n, bytes: 47_900_000 }),
    'checkpoint 12: saving MM, 1.25 s, 45.7 MiB',
  );
  t.is(
    formatProgress({ label: 'checkpoint 12', phase: 'freezing', elapsedNs: 3_000_000n, bytes: null }),
    'checkpoint 12: freezing, 3.00 ms',
  );
});

test("formatProgress: a restart's bytes as a share of the image", (t) => {
  t.is(
    formatProgress({ label: 'restart a.img', phase: 'restoring', elapsedNs: 2_000_000_000n, bytes: 64 << 20, totalBytes: 256 << 20 }),
    'restart a.img: restoring, 2.00 s, 64.0 MiB of 256 MiB (25%)',
  );
});

test('terminalProgress redraws in place and erases itself', (t) => {
  const written: string[] = [];
  const progress = terminalProgress({ write: (text) => written.push(text) }, 'checkpoint 5', () => 2048, 1_000_000);
  progress.phase('saving TASK');
  progress.phase('saving MM');
  progress.stop();
  t.regex(written[0] ?? '', /^\rcheckpoint 5: saving TASK, .*, 2\.0 KiB$/);
  t.regex(written[1] ?? '', /^\rcheckpoint 5: saving MM/);
  t.regex(written[2] ?? '', /^\r +\r$/);
  // Enough blanks to cover the last line's text.
  t.true((written[2]?.length ?? 0) - 2 >= (written[1]?.trimEnd().length ?? 0) - 1);
});

const result: CheckpointResult = {
  pid: 1234,
  image: 'sleep.img',
  disposition: 'kill',
  argv: ['sleep', '1000'],
  stats: {
    frozenNs: 12_345_678n,
    totalNs: 13_000_000n,
    initNs: 1_000_000n,
    finalizeNs: 100_000n,
    subsystems: [
      { name: 'TASK', ns: 50_000n, bytes: 300n },
      { name: 'MM', ns: 11_000_000n, bytes: 5_000_000n },
    ],
    manifestBytes: 60,
    imageBytes: 5_000_500,
    memory: { tasks: 1, pagesScanned: 2000n, pagesWritten: 1220n, pagesSkipped: 780n, scanNs: 1_000_000n, writeNs: 9_000_000n },
  },
};

test('--stats: a table of times and sizes', (t) => {
  t.is(
    formatCheckpointStats(result),
    [
      'checkpoint of pid 1234 to sleep.img, killed',
      'frozen      12.3 ms',
      'init        1.00 ms',
      'manifest              60 bytes',
      'TASK          50 µs  300 bytes',
      'MM          11.0 ms    4.8 MiB',
      'finalize     100 µs',
      'total       13.0 ms    4.8 MiB',
      'image     5000500 bytes',
      'tasks     1',
      'pages     2000 scanned, 1220 written, 780 skipped',
      'memory    1.00 ms finding pages, 9.00 ms writing them',
      '',
    ].join('\n'),
  );
});

test('--json: the documented shape, bigints as decimal strings', (t) => {
  t.deepEqual(JSON.parse(formatCheckpointJson(result)), {
    pid: 1234,
    image: 'sleep.img',
    action: 'kill',
    argv: ['sleep', '1000'],
    stats: {
      frozenNs: '12345678',
      totalNs: '13000000',
      initNs: '1000000',
      finalizeNs: '100000',
      subsystems: [
        { name: 'TASK', ns: '50000', bytes: '300' },
        { name: 'MM', ns: '11000000', bytes: '5000000' },
      ],
      manifestBytes: 60,
      imageBytes: 5000500,
      tasks: 1,
      pagesScanned: '2000',
      pagesWritten: '1220',
      pagesSkipped: '780',
      memoryScanNs: '1000000',
      memoryWriteNs: '9000000',
    },
  });
  t.is(checkpointJson({ ...result, stats: { ...result.stats, imageBytes: null } }).stats.imageBytes, null);
});

test('describeCheckpointFailure: a module breaking the ABI is told to be rebuilt', (t) => {
  const broken = Object.assign(new Error('ioctl CPT_IOC_SAVE(TASK) returned 2, where the cpt ABI defines 0 for success'), {
    code: 'ERR_CPT_PROTOCOL',
    syscall: 'ioctl',
  });
  const text = describeCheckpointFailure(3, 'CPT_IOC_SAVE(TASK)', broken);
  t.is(
    text.message,
    'checkpoint of pid 3 failed at CPT_IOC_SAVE(TASK): ioctl CPT_IOC_SAVE(TASK) returned 2, where the cpt ABI defines 0 for success',
  );
  t.regex(text.hint ?? '', /rebuild kmod/);
});
