// The one loader of proto/cpt.proto (protobufjs, at run time) and the typed
// view of its messages. Decoded messages carry every field (proto3
// defaults filled in), uint64 as bigint, enums as their names (a number for
// a value the schema does not know), bytes as Buffers.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import type protobufjs from 'protobufjs';

import { packageRoot } from '../package.js';

export const PROTO_PATH: string = join(packageRoot, 'proto', 'cpt.proto');

export interface ImageHeader {
  formatVersion: number;
  kernelRelease: string;
  arch: string;
  xfeatures: bigint;
  xstateSize: number;
  pageSize: number;
  createdNs: bigint;
}

export interface Manifest {
  tool: string;
  rootPid: number;
  argv: string[];
  hostname: string;
  shellJob: boolean;
}

export interface Rlimit {
  resource: number;
  cur: bigint;
  max: bigint;
}

export interface TreeTask {
  pid: number;
  tgid: number;
  ppid: number;
  pgid: number;
  sid: number;
  zombie: boolean;
  /** A zombie's wait status, as waitpid() gives it. */
  exitStatus: number;
  childSubreaper: boolean;
  /** A process sharing an earlier one's fd table (CLONE_FILES): that one's pid; else 0. */
  fdTableOf: number;
}

export interface Tree {
  tasks: TreeTask[];
}

export interface Task {
  pid: number;
  tgid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  umask: number;
  personality: number;
  uid: number;
  euid: number;
  suid: number;
  fsuid: number;
  gid: number;
  egid: number;
  sgid: number;
  fsgid: number;
  groups: number[];
  rlimits: Rlimit[];
  cwd: string;
  root: string;
  clearChildTid: bigint;
  robustList: bigint;
  robustListLen: bigint;
  rseq: bigint;
  rseqLen: number;
  rseqSig: number;
}

export interface SigAction {
  signo: number;
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

export interface PendingSignal {
  signo: number;
  siginfo: Buffer;
  shared: boolean;
}

export interface Signals {
  actions: SigAction[];
  blocked: bigint;
  pending: PendingSignal[];
  altstackSp: bigint;
  altstackSize: bigint;
  altstackFlags: number;
}

export type FileKind = 'UNKNOWN' | 'REGULAR' | 'DIRECTORY' | 'CHAR_DEVICE' | 'INHERITED' | 'PIPE' | 'DELETED' | 'MEMFD' | 'EVENTFD' | 'FIFO' | 'UNIX_PAIR' | 'SIGNALFD' | 'TIMERFD' | 'EPOLL' | 'MQUEUE' | 'PTY_MASTER' | 'PTY_SLAVE' | 'INOTIFY' | 'UNIX_LISTENER';

export interface MqMessage {
  priority: number;
  data: Buffer;
}

export interface InotifyWatch {
  wd: number;
  mask: number;
  path: string;
}

export interface Pty {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  line: number;
  cc: Buffer;
  ispeed: number;
  ospeed: number;
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
  locked: boolean;
  masterInput: Buffer;
  slaveInput: Buffer;
  session: number;
  foreground: number;
}

export interface File {
  id: number;
  kind: FileKind | number;
  path: string;
  flags: number;
  pos: bigint;
  mode: number;
  size: bigint;
  inheritFd: number;
  /** CHAR_DEVICE: st_rdev. */
  rdev: number;
  /** PIPE: which pipe (both ends have it), its size and data (with its first end). */
  pipeId: number;
  pipeData: Buffer;
  pipeSize: number;
  /** DELETED, MEMFD: the whole file. */
  content: Buffer;
  /** EVENTFD: its counter, and whether it counts as a semaphore. */
  eventfdCount: bigint;
  eventfdSemaphore: boolean;
  /** UNIX_PAIR: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET, the pair, and what this end has yet to read. */
  unixType: number;
  pairId: number;
  unixMessages: Buffer[];
  /** SIGNALFD: the signals it reads. */
  signalfdMask: bigint;
  /** TIMERFD: its clock, unread expirations, time left (0: disarmed) and period, in ns. */
  timerClock: number;
  timerTicks: bigint;
  timerValueNs: bigint;
  timerIntervalNs: bigint;
  /** EPOLL: what it watches. */
  epollTargets: EpollTarget[];
  mqMaxmsg: bigint;
  mqMsgsize: bigint;
  mqMessages: MqMessage[];
  ptyIndex: number;
  /** With the first File of its pty. */
  pty: Pty | null;
  inotifyWatches: InotifyWatch[];
  /** struct sockaddr_un as getsockname() gives it; empty: no name. */
  unixAddr: Buffer;
  unixBacklog: number;
}

export interface EpollTarget {
  fd: number;
  events: number;
  data: bigint;
}

export interface Fd {
  fd: number;
  fileId: number;
  cloexec: boolean;
}

export interface Files {
  files: File[];
  fds: Fd[];
}

export interface Cpu {
  gpregs: bigint[];
  xsave: Buffer;
  fsBase: bigint;
  gsBase: bigint;
}

export type VmaKind = 'ANON' | 'FILE' | 'SHMEM' | 'VDSO' | 'VVAR' | 'HEAP' | 'STACK' | 'SYSV_SHM';

export interface Vma {
  start: bigint;
  end: bigint;
  prot: number;
  flags: number;
  pgoff: bigint;
  path: string;
  kind: VmaKind | number;
  vmFlags: bigint;
  /** SYSV_SHM: the attached segment; pgoff is the offset into it. */
  sysvShmId: number;
}

export interface Mm {
  vmas: Vma[];
  startCode: bigint;
  endCode: bigint;
  startData: bigint;
  endData: bigint;
  startBrk: bigint;
  brk: bigint;
  startStack: bigint;
  argStart: bigint;
  argEnd: bigint;
  envStart: bigint;
  envEnd: bigint;
  auxv: bigint[];
  exe: string;
  nrPages: bigint;
}

export interface IpcPerm {
  id: number;
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
}

export interface SysvShm {
  perm: IpcPerm | null;
  size: bigint;
  /** Without its trailing zeros. */
  content: Buffer;
}

export interface SysvSem {
  perm: IpcPerm | null;
  values: number[];
}

export interface SysvMessage {
  type: bigint;
  text: Buffer;
}

export interface SysvMsq {
  perm: IpcPerm | null;
  qbytes: bigint;
  messages: SysvMessage[];
}

export interface SysvIpc {
  shms: SysvShm[];
  sems: SysvSem[];
  msqs: SysvMsq[];
}

export interface Trailer {
  records: bigint;
  bytes: bigint;
}

/** Every message of cpt.proto that is a record payload, by its name there. */
export interface Messages {
  ImageHeader: ImageHeader;
  Manifest: Manifest;
  Tree: Tree;
  SysvIpc: SysvIpc;
  Task: Task;
  Signals: Signals;
  Files: Files;
  Cpu: Cpu;
  Mm: Mm;
  Trailer: Trailer;
}

export type MessageName = keyof Messages;

type DeepPartial<T> = T extends bigint | string | number | boolean | Buffer ? T
  : T extends readonly (infer E)[] ? readonly DeepPartial<E>[]
    : { readonly [K in keyof T]?: DeepPartial<T[K]> };

/** What encodeMessage() takes: any subset of the fields, absent ones being proto3 defaults. */
export type MessageInit<N extends MessageName> = DeepPartial<Messages[N]>;

let root: protobufjs.Root | undefined;

/**
 * The schema, loaded on first use: protobufjs itself is required only then,
 * so that commands without images (check, --help) start faster.
 */
function schemaRoot(): protobufjs.Root {
  if (root === undefined) {
    const protobuf = createRequire(import.meta.url)('protobufjs') as typeof protobufjs;
    // A missing or unparsable schema is a broken installation, not a bad
    // image: it surfaces as an unexpected error.
    root = protobuf.loadSync(PROTO_PATH);
  }
  return root;
}

function messageType(name: MessageName): protobufjs.Type {
  return schemaRoot().lookupType(`cpt.${name}`);
}

const TO_OBJECT: protobufjs.IConversionOptions = {
  longs: BigInt,
  enums: String,
  defaults: true,
  arrays: true,
};

/** Decodes a payload; throws protobufjs's own Error (e.g. RangeError) when it is malformed. */
export function decodeMessage<N extends MessageName>(name: N, payload: Uint8Array): Messages[N] {
  const type = messageType(name);
  return type.toObject(type.decode(payload), TO_OBJECT) as Messages[N];
}

export function encodeMessage<N extends MessageName>(name: N, value: MessageInit<N>): Uint8Array {
  const type = messageType(name);
  return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
}
