// The only module that loads native/build/Release/cpt.node, and the typed
// view of what it exports (see native/src/). Every ABI constant reaches
// TypeScript through here, read from <linux/cpt.h> by the addon.
import type { BuildPlan } from './commands/restart/plan.js';
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { EnvironmentError } from './errors.js';
import { packageRoot } from './package.js';

/** Ioctls by the suffix of their CPT_IOC_* name; keys of IOCTL_BITS. */
export type IoctlName = 'API' | 'INIT' | 'SAVE' | 'RESTORE' | 'FINALIZE' | 'SET_NEXT_ID' | 'MESSAGE' | 'KEY' | 'HOLD' | 'USER_RECORD';

/** Features by the suffix of their CPT_FEATURE_* name; keys of FEATURE_BITS. */
export type FeatureName =
  | 'SESSION'
  | 'NEXT_PID'
  | 'MESSAGES'
  | 'TREE'
  | 'STATS'
  | 'SYSV_IPC'
  | 'PTY'
  | 'AUTH'
  | 'NEW_PIDNS'
  | 'TCP_HOLD'
  | 'EXT_UNIX_SK'
  | 'USER_RECORDS'
  | 'INIT_NS_GROUPS'
  | 'NETLINK'
  | 'PACKET'
  | 'TIMED_WAITS'
  | 'TCP_SYN_SENT'
  | 'UNIX_PENDING_RIGHTS'
  | 'SOCKET_OPTIONS'
  | 'INIT_KILL';

/** Subsystems by the suffix of their CPT_SUBSYS_* name; keys of SUBSYS. */
export type SubsysName = 'TASK' | 'SIGNALS' | 'FILES' | 'CPU' | 'MM';

/** Image record types by the suffix of their CPT_REC_* name; keys of RECORD_TYPES. */
export type RecordTypeName =
  'HEADER' | 'MANIFEST' | 'TREE' | 'IPC' | 'SECCOMP' | 'TASK' | 'SIGNALS' | 'FILES' | 'CPU' | 'MM' | 'PAGES' | 'TRAILER';

/** Session modes, CPT_MODE_*; keys of MODES. */
export type ModeName = 'CHECKPOINT' | 'RESTART';

/** What CPT_IOC_FINALIZE does with the task, CPT_FINALIZE_*; keys of FINALIZE_ACTIONS. */
export type FinalizeActionName = 'RESUME' | 'KILL' | 'STOP';

/** Flags of CPT_IOC_INIT, CPT_INIT_*; keys of INIT_FLAGS. */
export type InitFlagName = 'ALLOW_UNAUTHENTICATED' | 'NEW_PIDNS' | 'TCP_ESTABLISHED' | 'EXT_UNIX_SK' | 'KILL';

/** Operations of CPT_IOC_HOLD, CPT_HOLD_*; keys of HOLD_OPS. */
export type HoldOpName = 'LIST' | 'RELEASE';

/** A TCP hold (struct cpt_hold_tuple): a connection whose segments the module drops. */
export interface HoldTuple {
  /** 16 bytes: IPv6, or v4-mapped. */
  readonly local: Buffer;
  readonly peer: Buffer;
  readonly localPort: number;
  readonly peerPort: number;
  /** AF_INET or AF_INET6: the socket's. */
  readonly family: number;
  /** LIST: who installed it; 0 on RELEASE. */
  readonly uid: number;
}

/** Operations of CPT_IOC_KEY, CPT_KEY_*; keys of KEY_OPS. */
export type KeyOpName = 'LOAD' | 'UNLOAD' | 'STATUS';

/** Kinds of CPT_IOC_SET_NEXT_ID, CPT_ID_*; keys of ID_KINDS. */
export type IdKindName = 'PID' | 'SYSV_SHM' | 'SYSV_SEM' | 'SYSV_MSG' | 'PTY';

export interface ApiRequest {
  /** Features the caller requires; the handshake fails with EINVAL unless the module offers all of them. */
  readonly features?: bigint;
}

export interface ApiReply {
  /** The API the module speaks; CPT_API. */
  readonly api: bigint;
  /** Every feature the module offers (bits of FEATURE_BITS). */
  readonly features: bigint;
  /** Every ioctl the module accepts (bits of IOCTL_BITS). */
  readonly ioctls: bigint;
}

export interface InitRequest {
  /** The image: written by a checkpoint, read by a restart. A stream the caller shares with the module. */
  readonly imageFd: number;
  /** A value of MODES. */
  readonly mode: number;
  /** Checkpoint: the pid of the process; restart: absent (0). */
  readonly target?: number;
  /** Bits of INIT_FLAGS; 0 by default. */
  readonly flags?: number;
}

export interface KeyReply {
  /** Whether a key is loaded (after the operation). */
  readonly loaded: boolean;
  /** Its id, CPT_KEY_ID_LEN bytes (zeros when none is loaded): never the key itself. */
  readonly keyId: Buffer;
}

export interface SaveReply {
  /** Image bytes the call wrote. */
  readonly bytes: bigint;
}

export interface FinalizeReply {
  /** Checkpoint: how long the target was frozen. */
  readonly frozenNs: bigint;
  /** The rest needs CPT_FEATURE_STATS (0n otherwise). Tasks saved or restored, threads included. */
  readonly tasks: bigint;
  /** Checkpoint: pages of the saved mappings looked at. */
  readonly pagesScanned: bigint;
  /** Checkpoint: pages saved; restart: pages restored. */
  readonly pagesWritten: bigint;
  /** Checkpoint: time finding the pages, and copying them into the image. */
  readonly mmScanNs: bigint;
  readonly mmWriteNs: bigint;
}

export interface NextIdRequest {
  /** A value of ID_KINDS. */
  readonly kind: number;
  /** The id; 0n clears it. */
  readonly id: bigint;
}

/** How a child ended: exactly one of code and signal is a number. */
export interface ExitInfo {
  readonly code: number | null;
  /** The number of the signal that killed it. */
  readonly signal: number | null;
  readonly coreDumped: boolean;
}

/**
 * How the addon reports what is not a failed system call: restoreTree()'s
 * restored task died during restore without reporting a failed ioctl
 * (code ERR_CPT_TASK_EXITED); the module broke the protocol: an ioctl
 * returned a positive value (ERR_CPT_PROTOCOL, from any call),
 * RESTORE(MM) returned (ERR_CPT_RESTORE_RETURNED), the clone got another
 * pid (ERR_CPT_WRONG_PID).
 */
export interface RestoreTaskError extends Error {
  readonly code: 'ERR_CPT_TASK_EXITED' | 'ERR_CPT_PROTOCOL' | 'ERR_CPT_RESTORE_RETURNED' | 'ERR_CPT_WRONG_PID';
  readonly pid?: number;
  readonly exitCode?: number | null;
  readonly signal?: number | null;
}

/**
 * struct cpt_user_record's fields cptctl leaves zero (none is defined): what
 * a test of the module's refusals sets. `reserved` is reserved[0].
 */
export interface UserRecordRaw {
  readonly flags?: number;
  readonly reserved?: bigint;
}

export interface CptAddon {
  /** The value of cpt_api.api in every handshake. */
  readonly CPT_API: bigint;
  /** Name of the misc device: /dev/<DEVICE_NAME>. */
  readonly DEVICE_NAME: string;
  /** Bit position of each CPT_FEATURE_* in cpt_api.features. */
  readonly FEATURE_BITS: Readonly<Record<FeatureName, number>>;
  /** Bit position of each CPT_IOC_* in cpt_api.ioctls. */
  readonly IOCTL_BITS: Readonly<Record<IoctlName, number>>;
  /** Value of each CPT_SUBSYS_*: the order in which they are saved and restored. */
  readonly SUBSYS: Readonly<Record<SubsysName, number>>;
  /** Value of each CPT_REC_*. */
  readonly RECORD_TYPES: Readonly<Record<RecordTypeName, number>>;
  readonly MODES: Readonly<Record<ModeName, number>>;
  readonly FINALIZE_ACTIONS: Readonly<Record<FinalizeActionName, number>>;
  readonly ID_KINDS: Readonly<Record<IdKindName, number>>;
  readonly INIT_FLAGS: Readonly<Record<InitFlagName, number>>;
  readonly KEY_OPS: Readonly<Record<KeyOpName, number>>;
  readonly HOLD_OPS: Readonly<Record<HoldOpName, number>>;
  /** CPT_HOLD_ALL: RELEASE every hold of the caller's network namespace. */
  readonly HOLD_ALL: number;
  /** The lengths of key CPT_KEY_LOAD accepts, CPT_KEY_MIN_LEN..CPT_KEY_MAX_LEN. */
  readonly KEY_MIN_LEN: number;
  readonly KEY_MAX_LEN: number;
  /** cpt_record_header.magic, CPT_RECORD_MAGIC. */
  readonly RECORD_MAGIC: number;
  /** ImageHeader.format_version this build reads and writes, CPT_IMAGE_VERSION. */
  readonly IMAGE_VERSION: number;
  /** sizeof(struct cpt_record_header). */
  readonly RECORD_HEADER_SIZE: number;
  /** sizeof(struct cpt_pages_header). */
  readonly PAGES_HEADER_SIZE: number;

  // Every call below throws a TypeError/RangeError on bad arguments, and
  // reports a failed system call with a NativeSystemError (thrown, or
  // rejected for the Promise-returning ones). They are plain functions
  // (`this: void`): a reference to one may be kept and called alone.

  /** CPT_IOC_API on `fd`. */
  api(this: void, fd: number, request: ApiRequest): ApiReply;
  /** CPT_IOC_INIT, off the main thread (it freezes a task or reads the image header). */
  init(this: void, fd: number, request: InitRequest): Promise<void>;
  /** CPT_IOC_SAVE of one subsystem (a value of SUBSYS), off the main thread. */
  save(this: void, fd: number, subsys: number): Promise<SaveReply>;
  /** CPT_IOC_FINALIZE with an action of FINALIZE_ACTIONS, off the main thread. */
  finalize(this: void, fd: number, action: number): Promise<FinalizeReply>;
  /**
   * CPT_IOC_KEY with an op of KEY_OPS; `key` only for LOAD (the module
   * reads it from the Buffer's own memory, which the caller then wipes).
   */
  key(this: void, fd: number, op: number, key?: Buffer): KeyReply;
  /** CPT_IOC_HOLD LIST: the holds of the caller's network namespace. */
  hold(this: void, fd: number, op: number): HoldTuple[];
  /** CPT_IOC_HOLD RELEASE of `tuples`, or with HOLD_ALL of all: how many were dropped. */
  hold(this: void, fd: number, op: number, tuples: readonly HoldTuple[] | undefined, flags: number): number;
  /**
   * CPT_IOC_USER_RECORD, off the main thread: a checkpoint's record of
   * cptctl's own (a type of RECORD_TYPES: MANIFEST), which the session
   * writes around `payload`.
   */
  userRecord(this: void, fd: number, type: number, payload: Buffer, raw?: UserRecordRaw): Promise<void>;
  /** CPT_IOC_USER_RECORD, off the main thread: a restart's record of cptctl's own, read by the session: its payload. */
  userRecord(this: void, fd: number, type: number, payload?: undefined, raw?: UserRecordRaw): Promise<Buffer>;
  /** CPT_IOC_SET_NEXT_ID for the calling (main) thread. */
  setNextId(this: void, fd: number, request: NextIdRequest): void;
  /**
   * Builds the plan's tasks (native/src/build.h) from a child of this
   * process, each restoring itself from the session on `sessionFd` (see
   * native/src/restore.h). Resolves with the launched child's pid once all
   * are parked in the module, waiting for CPT_IOC_FINALIZE. Rejects with a
   * NativeSystemError (syscall 'clone', e.g. EEXIST; or 'ioctl' with
   * `subsys` set, for the RESTORE that failed; `pid` the task's) or a
   * RestoreTaskError; what was built is then killed and reaped.
   */
  restoreTree(this: void, sessionFd: number, plan: BuildPlan): Promise<{ pid: number }>;
  /** Reaps every child (and adopted orphan) until none is left, off the main thread. */
  reapChildren(this: void): Promise<void>;
  /** prctl(PR_SET_CHILD_SUBREAPER, on). */
  setChildSubreaper(this: void, on: boolean): void;
  /** Waits for the child `pid` to exit (waitpid, off the main thread), reaping it. */
  waitForExit(this: void, pid: number): Promise<ExitInfo>;
  /**
   * Clears O_NONBLOCK on `fd`'s open file description; true if it was set.
   * The module does blocking I/O on the image fd, which a pipe Node has
   * touched may not allow (EAGAIN).
   */
  setBlocking(this: void, fd: number): boolean;
}

/** How the addon reports a failed system call: the shape of Node's SystemError. */
export interface NativeSystemError extends Error {
  /** errno symbol, e.g. 'ENOTTY'. */
  readonly code: string;
  /** Negated errno value, as Node reports it: -25 for ENOTTY. */
  readonly errno: number;
  readonly syscall: string;
  /** restoreTree(): the subsystem whose CPT_IOC_RESTORE failed. */
  readonly subsys?: SubsysName;
  /** restoreTree(): the pid it was creating, or the task's that failed. */
  readonly pid?: number;
}

export function isSystemError(error: unknown): error is NativeSystemError {
  return (
    error instanceof Error &&
    typeof (error as Partial<NativeSystemError>).code === 'string' &&
    typeof (error as Partial<NativeSystemError>).errno === 'number' &&
    typeof (error as Partial<NativeSystemError>).syscall === 'string'
  );
}

export const ADDON_PATH: string = join(packageRoot, 'native', 'build', 'Release', 'cpt.node');

/** The addon is not built, or was built for another Node.js. */
export class AddonUnavailableError extends EnvironmentError {}

let addon: CptAddon | undefined;

/** Loads the addon on first use, so that `--help` and friends work without it. */
export function loadAddon(): CptAddon {
  addon ??= loadAddonFrom(ADDON_PATH);
  return addon;
}

/** Loads the addon at `path`; exported for tests of the failure modes. */
export function loadAddonFrom(path: string): CptAddon {
  const require = createRequire(import.meta.url);
  try {
    return require(path) as CptAddon;
  } catch (error: unknown) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'MODULE_NOT_FOUND') {
      throw new AddonUnavailableError(`the native addon is not built (${path} is missing)`, {
        hint: 'run `npm install` in the cptctl checkout to build it',
        cause: error,
      });
    }
    if (code === 'ERR_DLOPEN_FAILED') {
      throw new AddonUnavailableError(`the native addon cannot be loaded: ${(error as Error).message}`, {
        hint: 'run `npm install` in the cptctl checkout to rebuild it for this Node.js',
        cause: error,
      });
    }
    throw error;
  }
}
