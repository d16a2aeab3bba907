// Builds synthetic images with the TypeScript encoder: every record type,
// PAGES with a cpt_pages_header and raw pages, and a trailer that counts
// what the module would (its own records: not the manifest). Tests take the
// records apart and break them one way at a time.
import { imageAbi } from '../../../src/image/abi.js';
import { encodePagesHeader, encodeRecord } from '../../../src/image/framing.js';
import type { MessageInit, MessageName } from '../../../src/image/schema.js';
import { encodeMessage } from '../../../src/image/schema.js';
import type { RecordTypeName } from '../../../src/native.js';

export const PAGE_SIZE = 4096;

/** A record to be: its type, and its payload. */
export interface RecordSpec {
  readonly type: RecordTypeName | number;
  readonly payload: Uint8Array;
}

export function message<N extends MessageName>(type: RecordTypeName, name: N, value: MessageInit<N>): RecordSpec {
  return { type, payload: encodeMessage(name, value) };
}

/** A PAGES record of `nrPages` pages from `start`, each filled with its page index. */
export function pages(start: bigint, nrPages: number, pageSize = PAGE_SIZE): RecordSpec {
  const data = Buffer.alloc(nrPages * pageSize);
  for (let i = 0; i < nrPages; i++) data.fill(i & 0xff, i * pageSize, (i + 1) * pageSize);
  return { type: 'PAGES', payload: Buffer.concat([encodePagesHeader({ start, nrPages: BigInt(nrPages) }), data]) };
}

export const header: MessageInit<'ImageHeader'> = {
  formatVersion: 1,
  kernelRelease: '6.1.0-18-amd64',
  arch: 'x86_64',
  xfeatures: 0x2e7n,
  xstateSize: 2696,
  pageSize: PAGE_SIZE,
  createdNs: 1_700_000_000_123_456_789n,
};

export const manifest: MessageInit<'Manifest'> = {
  tool: 'cptctl 0.1.0',
  rootPid: 1234,
  argv: ['sleep', '1000'],
  hostname: 'guest',
  shellJob: true,
};

export const tree: MessageInit<'Tree'> = {
  tasks: [{ pid: 1234, tgid: 1234, ppid: 1, pgid: 1234, sid: 1000 }],
};

export const ipc: MessageInit<'SysvIpc'> = {
  shms: [{ perm: { id: 32768, key: 0x43505401, uid: 0, gid: 0, mode: 0o640 }, size: 65536n, content: Buffer.from('abc') }],
  sems: [{ perm: { id: 1, key: 0, mode: 0o600 }, values: [1, 5, 42] }],
  msqs: [{ perm: { id: 2, key: 7, mode: 0o620 }, qbytes: 16384n, messages: [{ type: 1n, text: Buffer.from('hi') }] }],
};

export const task: MessageInit<'Task'> = {
  pid: 1234,
  tgid: 1234,
  ppid: 1,
  pgid: 1234,
  sid: 1000,
  comm: 'sleep',
  umask: 0o22,
  personality: 0,
  uid: 0,
  euid: 0,
  suid: 0,
  fsuid: 0,
  gid: 0,
  egid: 0,
  sgid: 0,
  fsgid: 0,
  groups: [0, 4],
  rlimits: [
    { resource: 7, cur: 1024n, max: 524288n },
    { resource: 3, cur: 8388608n, max: (1n << 64n) - 1n },
  ],
  cwd: '/root',
  root: '/',
};

export const signals: MessageInit<'Signals'> = {
  actions: [
    { signo: 15, handler: 0x401136n, flags: 0x4000000n, restorer: 0x7f0000001000n, mask: 0n },
    { signo: 13, handler: 1n },
  ],
  blocked: 1n << 9n, // SIGUSR1
  pending: [{ signo: 10, siginfo: Buffer.alloc(128, 7), shared: true }],
  altstackSp: 0n,
  altstackSize: 0n,
  altstackFlags: 2,
};

export const files: MessageInit<'Files'> = {
  files: [
    { id: 1, kind: 'INHERITED', inheritFd: 0 },
    { id: 2, kind: 'REGULAR', path: '/tmp/log', flags: 0o2001, pos: 42n, mode: 0o100644, size: 42n },
    { id: 3, kind: 'CHAR_DEVICE', path: '/dev/null', flags: 2, mode: 0o20666, rdev: 0x103 },
  ],
  fds: [
    { fd: 0, fileId: 1 },
    { fd: 1, fileId: 2 },
    { fd: 2, fileId: 2 },
    { fd: 5, fileId: 3, cloexec: true },
  ],
};

const xsave = Buffer.alloc(2696);
xsave.writeBigUInt64LE(0x7n, 512);
export const cpu: MessageInit<'Cpu'> = {
  gpregs: Array.from({ length: 27 }, (_, i) => BigInt(i) * 0x1111n),
  xsave,
  fsBase: 0x7f00deadb000n,
  gsBase: 0n,
};

export const VMA_TEXT = 0x400000n;
export const VMA_HEAP = 0x1000000n;
export const VMA_STACK = 0x7ffff0000000n;

export const mm: MessageInit<'Mm'> = {
  vmas: [
    { start: VMA_TEXT, end: VMA_TEXT + 0x2000n, prot: 5, flags: 2, pgoff: 0n, path: '/usr/bin/sleep', kind: 'FILE', vmFlags: 0x875n },
    { start: VMA_HEAP, end: VMA_HEAP + 0x4000n, prot: 3, flags: 2, kind: 'HEAP', vmFlags: 0x100073n },
    { start: VMA_STACK, end: VMA_STACK + 0x21000n, prot: 3, flags: 0x102, kind: 'STACK', vmFlags: 0x100173n },
  ],
  startCode: VMA_TEXT,
  endCode: VMA_TEXT + 0x1800n,
  startBrk: VMA_HEAP,
  brk: VMA_HEAP + 0x4000n,
  startStack: VMA_STACK + 0x20000n,
  auxv: [6n, 4096n, 0n, 0n],
  exe: '/usr/bin/sleep',
  nrPages: 6n,
};

/** The records of a complete image, but the trailer. */
export function bodyRecords(): RecordSpec[] {
  return [
    message('HEADER', 'ImageHeader', header),
    message('TREE', 'Tree', tree),
    message('IPC', 'SysvIpc', ipc),
    message('MANIFEST', 'Manifest', manifest),
    message('TASK', 'Task', task),
    message('SIGNALS', 'Signals', signals),
    message('FILES', 'Files', files),
    message('CPU', 'Cpu', cpu),
    message('MM', 'Mm', mm),
    pages(VMA_TEXT, 2),
    pages(VMA_HEAP, 3),
    pages(VMA_STACK + 0x20000n, 1),
  ];
}

export function encode(spec: RecordSpec): Buffer {
  const abi = imageAbi();
  return encodeRecord(abi, typeof spec.type === 'number' ? spec.type : abi.types[spec.type], spec.payload);
}

/**
 * The trailer the module writes after `records`: it counts the records and
 * bytes it wrote itself, which are all but cptctl's manifest.
 */
export function trailerFor(records: readonly RecordSpec[], countManifest = false): RecordSpec {
  const counted = records.filter((spec) => countManifest || spec.type !== 'MANIFEST');
  const bytes = counted.reduce((sum, spec) => sum + encode(spec).length, 0);
  return message('TRAILER', 'Trailer', { records: BigInt(counted.length), bytes: BigInt(bytes) });
}

/** The encoded records of an image; a trailer is added unless `trailer` is false. */
export function buildImage(records: readonly RecordSpec[] = bodyRecords(), trailer = true): Buffer {
  const all = trailer ? [...records, trailerFor(records)] : records;
  return Buffer.concat(all.map(encode));
}

/** Offsets of each record in buildImage(records). */
export function recordOffsets(records: readonly RecordSpec[] = bodyRecords()): number[] {
  const all = [...records, trailerFor(records)];
  const offsets: number[] = [];
  let offset = 0;
  for (const spec of all) {
    offsets.push(offset);
    offset += encode(spec).length;
  }
  return offsets;
}

/** The second process of treeRecords(): its memory, one VMA, one page. */
export const CHILD_HEAP = 0x2000000n;

/**
 * A tree as the module writes it: the root (1234) with a second thread
 * (1235), a child process 1240 with its own fd table and memory, a child
 * 1241 sharing the root's fd table (CLONE_FILES) and a zombie 1242. Records
 * come subsystem by subsystem, in tree order.
 */
export function treeRecords(): RecordSpec[] {
  const tasks = [
    { pid: 1234, tgid: 1234, ppid: 1, pgid: 1234, sid: 1000 },
    { pid: 1235, tgid: 1234, ppid: 1, pgid: 1234, sid: 1000 },
    { pid: 1240, tgid: 1240, ppid: 1234, pgid: 1234, sid: 1000 },
    { pid: 1241, tgid: 1241, ppid: 1234, pgid: 1234, sid: 1000, fdTableOf: 1234 },
    { pid: 1242, tgid: 1242, ppid: 1234, pgid: 1234, sid: 1000, zombie: true, exitStatus: 0x100 },
  ];
  const live = tasks.filter((t) => !t.zombie);
  const childMm: MessageInit<'Mm'> = {
    vmas: [{ start: CHILD_HEAP, end: CHILD_HEAP + 0x1000n, prot: 3, flags: 2, kind: 'HEAP' }],
    exe: '/usr/bin/child',
    nrPages: 1n,
  };
  const sharerMm: MessageInit<'Mm'> = { exe: '/usr/bin/sharer' };
  return [
    message('HEADER', 'ImageHeader', header),
    message('TREE', 'Tree', { tasks }),
    message('IPC', 'SysvIpc', {}),
    message('MANIFEST', 'Manifest', manifest),
    ...live.map((t, i) => message('TASK', 'Task', { ...task, pid: t.pid, tgid: t.tgid, ppid: t.ppid, comm: `task${i}` })),
    ...live.map((t) => message('SIGNALS', 'Signals', { blocked: BigInt(t.pid) })),
    message('FILES', 'Files', files),
    message('FILES', 'Files', {
      files: [{ id: 9, kind: 'PIPE', pipeId: 1 }],
      fds: [
        { fd: 3, fileId: 9 },
        { fd: 4, fileId: 2 },
      ],
    }),
    ...live.map((t) => message('CPU', 'Cpu', { ...cpu, fsBase: BigInt(t.pid) })),
    message('MM', 'Mm', mm),
    pages(VMA_TEXT, 2),
    pages(VMA_HEAP, 3),
    pages(VMA_STACK + 0x20000n, 1),
    message('MM', 'Mm', childMm),
    pages(CHILD_HEAP, 1),
    message('MM', 'Mm', sharerMm),
  ];
}
