// Rendering of an ImageSummary, and the names of Linux encodings it uses.
import test from 'ava';

import { formatInspectJson, formatInspectText, restartBlockLine } from '../../src/commands/inspect/format.js';
import { inspectSource } from '../../src/commands/inspect/inspect.js';
import {
  deviceNumber,
  handlerName,
  ioprioName,
  itimerName,
  openFlagsName,
  rlimitName,
  rlimitValue,
  schedPolicyName,
  signalsInMask,
  vmaPerms,
  xsaveXstateBv,
} from '../../src/commands/inspect/names.js';
import { BufferSource } from '../../src/image/io.js';
import type { RestartBlock } from '../../src/image/schema.js';
import { signalName } from '../../src/signals.js';
import { bodyRecords, buildImage, message, task, treeRecords } from './helpers/image-builder.js';

const summary = await inspectSource(new BufferSource(buildImage()), 'x');

test('text: one block per section, in image order', (t) => {
  const text = formatInspectText(summary, 'sleep.img');
  const sections = text
    .split('\n')
    .filter((line) => /^\S/.test(line))
    .map((line) => line.split(' ')[0]);
  t.deepEqual(sections, [
    'image',
    'header',
    'tree',
    'sysv',
    'manifest',
    'task',
    'signals',
    'files',
    'cpu',
    'mm',
    'pages',
    'trailer',
    'auth',
  ]);
  t.true(text.endsWith('\n'));
});

test('text: the header, the manifest and the task', (t) => {
  const text = formatInspectText(summary, 'sleep.img');
  t.regex(text, /^image {6}sleep\.img: \d+ bytes \(\d+\.\d KiB\), 13 records$/m);
  t.regex(text, /^header {5}format 1, Linux 6\.1\.0-18-amd64 x86_64, page size 4096$/m);
  t.regex(text, /^ {11}xfeatures 0x2e7, xstate 2696 bytes, created 2023-11-14T22:13:20\.123Z$/m);
  t.regex(text, /^manifest {3}cptctl 0\.1\.0 on guest, root pid 1234, shell job: yes$/m);
  t.regex(text, /^ {11}argv: "sleep" "1000"$/m);
  t.regex(text, /^task {7}pid 1234, tgid 1234, ppid 1, pgid 1234, sid 1000, comm "sleep"$/m);
  t.regex(text, /^ {11}groups 0,4, umask 0022, personality 0x0$/m);
  t.regex(text, /^ {13}RLIMIT_STACK +8388608 +unlimited$/m);
});

test('text: signals, files and registers', (t) => {
  const text = formatInspectText(summary, 'sleep.img');
  t.regex(text, /^signals {4}blocked 0x200 \(SIGUSR1\)$/m);
  t.regex(text, /^ {11}pending SIGUSR1 \(process\)$/m);
  t.regex(text, /^ {13}SIGTERM +0x401136 +flags 0x4000000 +restorer 0x7f0000001000 +mask 0x0$/m);
  t.regex(text, /^ {13}SIGPIPE +SIG_IGN/m);
  t.regex(text, /^files {6}fd 0 +inherited +O_RDONLY +pos 0 +\(the restarting caller's fd 0\)$/m);
  t.regex(text, /^ {11}fd 1 +regular +O_WRONLY\|O_APPEND +pos 42 +\/tmp\/log$/m);
  t.regex(text, /^ {11}fd 5 +char-device +O_RDWR cloexec +pos 0 +\/dev\/null \(1:3\)$/m);
  t.regex(text, /^cpu {8}fs_base 0x7f00deadb000, gs_base 0x0$/m);
  t.regex(text, /^ {11}xsave 2696 bytes, xfeatures 0x7$/m);
  t.regex(text, / rip 0000000000011110 /);
});

test('text: memory as a maps-like table with saved pages, then the totals and the trailer', (t) => {
  const text = formatInspectText(summary, 'sleep.img');
  t.regex(text, /^mm {9}exe \/usr\/bin\/sleep, 3 VMAs, 6 pages saved$/m);
  t.regex(text, /^ {11}000000400000-000000402000 {2}r-xp {2}00000000 {2}file {3}2\/2 pages {3}\/usr\/bin\/sleep$/m);
  t.regex(text, /^ {11}000001000000-000001004000 {2}rw-p {2}00000000 {2}heap {3}3\/4 pages$/m);
  t.regex(text, /^ {11}7ffff0000000-7ffff0021000 {2}rw-p {2}00000000 {2}stack {2}1\/33 pages$/m);
  t.regex(text, /^pages {6}3 records, 6 pages, 24576 bytes \(24\.0 KiB\)$/m);
  t.regex(text, /^trailer {4}ok: 11 records and \d+ bytes before it$/m);
  t.notRegex(text, /^note:/m);
});

test('text: notes come last', async (t) => {
  const partial = await inspectSource(new BufferSource(buildImage(bodyRecords().filter((spec) => spec.type !== 'CPU'))), 'x');
  const text = formatInspectText(partial, 'p.img');
  t.regex(text, /\n\nnote: the image has no CPU record\n$/);
  t.notRegex(text, /^cpu /m);
});

test('JSON: parseable, every section, 64-bit values as strings', (t) => {
  // The parts of the document read below.
  interface Doc {
    [section: string]: unknown;
    manifest: { rootPid: unknown };
    task: { rlimits: unknown[] };
    signals: { actions: unknown[]; pending: { siginfo: unknown }[] };
    files: { files: unknown[]; fds: unknown[] };
    cpu: { registers: Record<string, unknown>; xsaveXfeatures: unknown; xsave: string };
    mm: { vmas: unknown[]; auxv: unknown };
  }
  const json = JSON.parse(formatInspectJson(summary, 'sleep.img')) as Doc;
  t.is(json['image'], 'sleep.img');
  t.is(json['records'], 13);
  t.deepEqual(json['header'], {
    formatVersion: 1,
    kernelRelease: '6.1.0-18-amd64',
    arch: 'x86_64',
    xfeatures: '0x2e7',
    xstateSize: 2696,
    pageSize: 4096,
    createdNs: '1700000000123456789',
  });
  t.is(json.manifest.rootPid, 1234);
  t.deepEqual(json.task.rlimits[1], { resource: 3, name: 'RLIMIT_STACK', cur: '8388608', max: '18446744073709551615' });
  t.deepEqual(json.signals.actions[0], {
    signo: 15,
    name: 'SIGTERM',
    handler: '0x401136',
    flags: '0x4000000',
    restorer: '0x7f0000001000',
    mask: '0x0',
  });
  t.is(json.signals.pending[0]?.siginfo, '07'.repeat(128));
  t.like(json.files.files[1], { kind: 'REGULAR', path: '/tmp/log', flags: 0o2001, flagNames: 'O_WRONLY|O_APPEND', pos: '42' });
  t.deepEqual(json.files.fds[3], { fd: 5, fileId: 3, cloexec: true });
  t.is(json.cpu.registers['rip'], '0x11110');
  t.is(Object.keys(json.cpu.registers).length, 27);
  t.is(json.cpu.xsaveXfeatures, '0x7');
  t.is(json.cpu.xsave.length, 2696 * 2);
  t.deepEqual(json.mm.vmas[0], {
    start: '0x400000',
    end: '0x402000',
    perms: 'r-xp',
    prot: 5,
    flags: 2,
    pgoff: '0',
    offset: '0x0',
    kind: 'FILE',
    path: '/usr/bin/sleep',
    vmFlags: '0x875',
    pages: '2',
  });
  t.deepEqual(json.mm.auxv, ['0x6', '0x1000', '0x0', '0x0']);
  t.deepEqual(json['pages'], { records: 3, pages: '6', bytes: '24576', outsideVmas: '0' });
  t.like(json['trailer'], { records: '11', ok: true });
  t.deepEqual((json['ipc'] as { sems: unknown[] }).sems, [
    { perm: { id: 1, key: 0, uid: 0, gid: 0, cuid: 0, cgid: 0, mode: 0o600 }, values: [1, 5, 42] },
  ]);
  t.deepEqual(json['notes'], []);
});

test('names: signals', (t) => {
  t.is(signalName(9), 'SIGKILL');
  t.is(signalName(6), 'SIGABRT');
  t.is(signalName(29), 'SIGIO');
  t.is(signalName(34), 'SIGRT2');
  t.is(signalName(65), 'signal 65');
  t.deepEqual(signalsInMask((1n << 1n) | (1n << 14n) | (1n << 63n)), ['SIGINT', 'SIGTERM', 'SIGRT32']);
  t.deepEqual(signalsInMask(0n), []);
  t.is(handlerName(0n), 'SIG_DFL');
  t.is(handlerName(1n), 'SIG_IGN');
  t.is(handlerName(0x401000n), '0x401000');
});

test('names: open flags', (t) => {
  t.is(openFlagsName(0), 'O_RDONLY');
  t.is(openFlagsName(0o2), 'O_RDWR');
  t.is(openFlagsName(0o4010001), 'O_WRONLY|O_SYNC');
  t.is(openFlagsName(0o10001), 'O_WRONLY|O_DSYNC');
  t.is(openFlagsName(0o2104002), 'O_RDWR|O_NONBLOCK|O_LARGEFILE|O_CLOEXEC');
  t.is(openFlagsName(0o40000000), 'O_RDONLY|040000000');
});

test('names: rlimits, perms, devices, XSTATE_BV', (t) => {
  t.is(rlimitName(7), 'RLIMIT_NOFILE');
  t.is(rlimitName(99), 'RLIMIT_99');
  t.is(rlimitValue((1n << 64n) - 1n), 'unlimited');
  t.is(rlimitValue(1024n), '1024');
  t.is(vmaPerms(5, 2), 'r-xp');
  t.is(vmaPerms(3, 1), 'rw-s');
  t.is(vmaPerms(0, 2), '---p');
  t.is(deviceNumber(0x103), '1:3');
  t.is(deviceNumber(0x8801), '136:1');
  t.is(deviceNumber(0x1200434), '4:4660'); // minor 0x1234: its high bits above the major
  t.is(xsaveXstateBv(Buffer.alloc(519)), null);
  const area = Buffer.alloc(576);
  area.writeBigUInt64LE(0x2e7n, 512);
  t.is(xsaveXstateBv(area), 0x2e7n);
});

test('a tree: one block of sections per process, its threads after it; JSON has one object per process', async (t) => {
  const tree = await inspectSource(new BufferSource(buildImage(treeRecords())), 'tree.img');
  const text = formatInspectText(tree, 'tree.img');
  t.regex(text, /^tree {7}5 tasks, 3 processes, each below$/m);
  t.regex(text, /^process {4}pid 1234 \(1 of 3\), comm "task0", 2 threads$/m);
  t.regex(text, /^thread {5}pid 1235 of process 1234$/m);
  t.regex(text, /^process {4}pid 1240 \(2 of 3\), comm "task2"$/m);
  t.regex(text, /^files {6}fd 3 +pipe +O_RDONLY +pos 0 +pipe 1$/m);
  t.regex(text, /^ {11}000002000000-000002001000 {2}rw-p {2}00000000 {2}heap {2}1\/1 pages$/m);
  t.regex(text, /^files {6}the fd table of process 1234 \(CLONE_FILES\)$/m);
  t.regex(text, /^pages {6}4 records, 7 pages, 28672 bytes \(28\.0 KiB\), for 3 processes$/m);
  t.notRegex(text, /^note:/m);

  const json = JSON.parse(formatInspectJson(tree, 'tree.img')) as {
    processes: {
      pid: number;
      task: { comm: string };
      threads: { pid: number }[];
      fdTableOf: number;
      files: unknown;
      mm: { exe: string; vmas: { pages: string }[] } | null;
      pages: { pages: string };
    }[];
    task: { comm: string };
  };
  t.deepEqual(
    json.processes.map((p) => [p.pid, p.task.comm, p.threads.map((thread) => thread.pid), p.fdTableOf]),
    [
      [1234, 'task0', [1235], 0],
      [1240, 'task2', [], 0],
      [1241, 'task3', [], 1234],
    ],
  );
  t.is(json.processes[1]?.mm?.vmas[0]?.pages, '1');
  t.is(json.processes[1]?.pages.pages, '1');
  t.is(json.processes[2]?.files, null);
  t.is(json.task.comm, 'task0');
});

const NO_RESTART: RestartBlock = {
  kind: 'NONE',
  clockid: 0,
  leftNs: 0n,
  absolute: false,
  deadlineNs: 0n,
  rmtp: 0n,
  uaddr: 0n,
  val: 0,
  bitset: 0,
  shared: false,
  ufds: 0n,
  nfds: 0,
  hasTimeout: false,
  fd: 0,
  maxevents: 0,
  sigset: 0n,
  hasSigset: false,
};

test('restartBlockLine: each kind with its time left or deadline', (t) => {
  t.is(
    restartBlockLine({ ...NO_RESTART, kind: 'NANOSLEEP', clockid: 1, leftNs: 6_000_000_000n, rmtp: 0x7ffd0010n }),
    'restart nanosleep on clock 1, 6.00 s left, rmtp 0x7ffd0010',
  );
  t.is(restartBlockLine({ ...NO_RESTART, kind: 'NANOSLEEP', leftNs: 1500n }), 'restart nanosleep on clock 0, 1.5 µs left, no rmtp');
  t.is(
    restartBlockLine({
      ...NO_RESTART,
      kind: 'FUTEX_WAIT',
      absolute: true,
      deadlineNs: 1_700_000_000_000_000_000n,
      uaddr: 0x601040n,
      val: 3,
      bitset: 0xffffffff,
      shared: true,
    }),
    'restart futex wait on 0x601040 (shared, val 3, bitset 0xffffffff), deadline 1700000000000000000 ns on clock 0',
  );
  t.is(
    restartBlockLine({ ...NO_RESTART, kind: 'POLL', nfds: 2, ufds: 0x7ffe00n, hasTimeout: true, leftNs: 250_000_000n }),
    'restart poll of 2 fds at 0x7ffe00, 250.0 ms left',
  );
  t.is(restartBlockLine({ ...NO_RESTART, kind: 'POLL', nfds: 1, ufds: 0x10n }), 'restart poll of 1 fds at 0x10, no timeout');
  t.is(
    restartBlockLine({ ...NO_RESTART, kind: 'EPOLL_WAIT', clockid: 1, fd: 5, maxevents: 8, uaddr: 0x7ffc00n, leftNs: 4_000_000_000n }),
    'restart epoll_wait on fd 5 (8 events at 0x7ffc00), 4.00 s left',
  );
  t.is(
    restartBlockLine({
      ...NO_RESTART,
      kind: 'EPOLL_WAIT',
      fd: 3,
      maxevents: 1,
      uaddr: 0x10n,
      hasSigset: true,
      sigset: 0x200n,
      leftNs: 1500n,
    }),
    'restart epoll_wait on fd 3 (1 events at 0x10, mask 0x200), 1.5 µs left',
  );
  t.is(
    restartBlockLine({ ...NO_RESTART, kind: 'SIGTIMEDWAIT', sigset: 0x100000000n, leftNs: 1500n }),
    'restart sigtimedwait for 0x100000000 (siginfo none), 1.5 µs left',
  );
  t.is(restartBlockLine({ ...NO_RESTART, kind: 9 }), 'restart of kind 9');
});

test("text and JSON: a thread's scheduling attributes and its process's", async (t) => {
  const withAttrs = bodyRecords().map((spec) =>
    spec.type === 'TASK'
      ? message('TASK', 'Task', {
          ...task,
          attrs: {
            policy: 1,
            rtPriority: 7,
            nice: -4,
            resetOnFork: true,
            cpus: '0-3,8',
            ioprio: (1 << 13) | 2,
            timerSlackNs: 0n,
            defaultTimerSlackNs: 77777n,
            pdeathSignal: 10,
          },
          processAttrs: {
            oomScoreAdj: -300,
            oomScoreAdjMin: -300,
            dumpable: 0,
            thpDisable: true,
            itimers: [{ which: 0, valueNs: 3_599_512_000_000n, intervalNs: 7_200_000_000_000n }],
          },
        })
      : spec,
  );
  const attrsSummary = await inspectSource(new BufferSource(buildImage(withAttrs)), 'x');
  const text = formatInspectText(attrsSummary, 'a.img');
  t.regex(text, /^ {11}sched SCHED_FIFO priority 7 \(reset on fork\), nice -4, CPUs 0-3,8, ioprio rt\/2$/m);
  t.regex(text, /^ {11}timer slack 0 ns \(default 77777 ns\), parent-death signal SIGUSR1$/m);
  t.regex(text, /^ {11}oom_score_adj -300 \(min -300\), dumpable 0, THP disabled$/m);
  t.regex(text, /^ {11}interval timers: ITIMER_REAL 3599\.512 s left, every 7200\.000 s$/m);
  const json = JSON.parse(formatInspectJson(attrsSummary, 'a.img')) as { task: Record<string, unknown> };
  t.like(json.task, {
    attrs: { policyName: 'SCHED_FIFO', nice: -4, ioprioName: 'rt/2', timerSlackNs: '0', defaultTimerSlackNs: '77777' },
    processAttrs: {
      oomScoreAdj: -300,
      itimers: [{ which: 0, name: 'ITIMER_REAL', valueNs: '3599512000000', intervalNs: '7200000000000' }],
    },
  });
  // An image of a module without them shows neither.
  t.notRegex(formatInspectText(summary, 'sleep.img'), /sched |interval timers/);
});

test('names: scheduling policies, I/O priorities, interval timers', (t) => {
  t.is(schedPolicyName(0), 'SCHED_OTHER');
  t.is(schedPolicyName(5), 'SCHED_IDLE');
  t.is(schedPolicyName(9), 'SCHED_9');
  t.is(ioprioName(0), 'none (follows nice)');
  t.is(ioprioName((2 << 13) | 7), 'be/7');
  t.is(ioprioName(3 << 13), 'idle');
  t.is(itimerName(2), 'ITIMER_PROF');
});
