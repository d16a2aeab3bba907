// Gathering what `cptctl check` evaluates: the only part of the check that
// touches the machine (os, /sys, /dev, the addon). Every fact is plain data
// so that evaluate.ts can be tested on any host.
import { open, readFile, stat } from 'node:fs/promises';
import { machine, release } from 'node:os';
import { join } from 'node:path';

import type { ApiReply, CptAddon } from '../../native.js';
import { isSystemError } from '../../native.js';
import { KMOD_NAME } from '../../target.js';
import { lastCompatRefusal, readKernelLog } from './kernel-log.js';

export interface KernelFacts {
  /** os.release(), e.g. '6.1.0-18-amd64'. */
  readonly release: string;
  /** os.machine(), e.g. 'x86_64'. */
  readonly arch: string;
}

export interface ModuleFacts {
  /** /sys/module/<KMOD_NAME> exists. */
  readonly loaded: boolean;
  /** MODULE_VERSION of the module, from /sys/module/<KMOD_NAME>/version; null when absent. */
  readonly version: string | null;
}

/** One check of the module's compat layer, as /sys/module/<KMOD_NAME>/parameters/compat_checks lists it. */
export interface CompatCheckFact {
  readonly name: string;
  /** 'ok', or 'untested' when the module could not test the assumption on this machine. */
  readonly outcome: string;
}

/**
 * The module's checks of the running kernel, run when it loads: a loaded
 * module passed them and lists them in sysfs; a refused load leaves only its
 * reason in the kernel log.
 */
export type CompatFact =
  | { readonly kind: 'reported'; readonly builtFor: string | null; readonly checks: readonly CompatCheckFact[] }
  | { readonly kind: 'absent' }
  | { readonly kind: 'refused'; readonly message: string }
  | { readonly kind: 'no-refusal' }
  | { readonly kind: 'log-unreadable'; readonly reason: string };

/** A failed system call, as errno symbol plus message. */
export interface Failure {
  readonly code: string;
  readonly message: string;
}

export type DeviceNodeFact =
  | { readonly kind: 'char-device' }
  | { readonly kind: 'missing' }
  | { readonly kind: 'not-char-device'; readonly fileType: string }
  | ({ readonly kind: 'stat-failed' } & Failure);

export type OpenFact = { readonly kind: 'not-attempted' } | { readonly kind: 'opened' } | ({ readonly kind: 'failed' } & Failure);

/**
 * The module's image key (CPT_IOC_KEY's status, for anyone): its id only,
 * never the key. 'unsupported': a module without CPT_FEATURE_AUTH.
 */
export type ImageKeyFact =
  | { readonly kind: 'not-attempted' }
  | { readonly kind: 'unsupported' }
  | { readonly kind: 'none' }
  | { readonly kind: 'loaded'; readonly keyId: string }
  | ({ readonly kind: 'failed' } & Failure);

/**
 * The TCP holds of the caller's network namespace (CPT_HOLD_LIST, for
 * anyone): connections saved by checkpoint --tcp-established whose packets
 * the module drops until a restart or cptctl release. 'unsupported': a
 * module without CPT_FEATURE_TCP_HOLD.
 */
export type TcpHoldsFact =
  | { readonly kind: 'not-attempted' }
  | { readonly kind: 'unsupported' }
  | ({ readonly kind: 'failed' } & Failure)
  | { readonly kind: 'listed'; readonly count: number };

export type HandshakeFact =
  { readonly kind: 'not-attempted' } | { readonly kind: 'answered'; readonly reply: ApiReply } | ({ readonly kind: 'failed' } & Failure);

/** The ABI tables of the addon, needed to put names on the module's bits. */
export interface AbiCatalog {
  readonly cptApi: bigint;
  readonly featureBits: Readonly<Record<string, number>>;
  readonly ioctlBits: Readonly<Record<string, number>>;
}

export interface CheckFacts {
  readonly kernel: KernelFacts;
  readonly module: ModuleFacts;
  readonly compat: CompatFact;
  readonly devicePath: string;
  readonly device: DeviceNodeFact;
  readonly open: OpenFact;
  readonly handshake: HandshakeFact;
  /** Absent in facts gathered before there were image keys (tests). */
  readonly imageKey?: ImageKeyFact;
  /** Absent in facts gathered before there were TCP holds (tests). */
  readonly tcpHolds?: TcpHoldsFact;
  readonly catalog: AbiCatalog;
}

export interface FactSources {
  /** Where the kernel lists loaded modules; tests point it elsewhere. */
  readonly sysModuleDir: string;
  /** Reads the kernel log (dmesg); tests pass their own. */
  readonly readKernelLog?: () => Promise<string>;
}

const SYSTEM: FactSources = { sysModuleDir: '/sys/module' };

export async function gatherCheckFacts(addon: CptAddon, sources: FactSources = SYSTEM): Promise<CheckFacts> {
  const devicePath = `/dev/${addon.DEVICE_NAME}`;
  const device = await statDevice(devicePath);
  const { open, handshake, imageKey, tcpHolds } = device.kind === 'char-device' ? await openAndHandshake(devicePath, addon) : NOTHING_ASKED;

  const moduleDir = join(sources.sysModuleDir, KMOD_NAME);
  const module = await moduleFacts(moduleDir);
  return {
    kernel: { release: release(), arch: machine() },
    module,
    compat: module.loaded ? await reportedCompat(moduleDir) : await refusedCompat(sources.readKernelLog ?? readKernelLog),
    devicePath,
    device,
    open,
    handshake,
    imageKey,
    tcpHolds,
    catalog: { cptApi: addon.CPT_API, featureBits: addon.FEATURE_BITS, ioctlBits: addon.IOCTL_BITS },
  };
}

async function statDevice(path: string): Promise<DeviceNodeFact> {
  try {
    const stats = await stat(path);
    if (stats.isCharacterDevice()) return { kind: 'char-device' };
    return { kind: 'not-char-device', fileType: describeFileType(stats) };
  } catch (error: unknown) {
    const failure = asFailure(error);
    return failure.code === 'ENOENT' ? { kind: 'missing' } : { kind: 'stat-failed', ...failure };
  }
}

function describeFileType(stats: Awaited<ReturnType<typeof stat>>): string {
  if (stats.isFile()) return 'regular file';
  if (stats.isDirectory()) return 'directory';
  if (stats.isBlockDevice()) return 'block device';
  if (stats.isFIFO()) return 'FIFO';
  if (stats.isSocket()) return 'socket';
  return 'special file';
}

async function moduleFacts(sysfsDir: string): Promise<ModuleFacts> {
  const loaded = await stat(sysfsDir).then(
    (stats) => stats.isDirectory(),
    () => false,
  );
  if (!loaded) return { loaded, version: null };
  const version = await readFile(join(sysfsDir, 'version'), 'utf8').then(
    (text) => text.trim(),
    () => null,
  );
  return { loaded, version: version === '' ? null : version };
}

async function reportedCompat(moduleDir: string): Promise<CompatFact> {
  const read = (name: string): Promise<string | null> =>
    readFile(join(moduleDir, 'parameters', name), 'utf8').then(
      (text) => text,
      () => null,
    );
  const listed = await read('compat_checks');
  if (listed === null) return { kind: 'absent' };
  const builtFor = (await read('compat_built_for'))?.trim() ?? null;
  const checks = listed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line): CompatCheckFact => {
      const [name = '', outcome = ''] = line.trim().split(/\s+/);
      return { name, outcome };
    });
  return { kind: 'reported', builtFor: builtFor === '' ? null : builtFor, checks };
}

async function refusedCompat(readLog: () => Promise<string>): Promise<CompatFact> {
  let log;
  try {
    log = await readLog();
  } catch (error: unknown) {
    return { kind: 'log-unreadable', reason: error instanceof Error ? error.message : String(error) };
  }
  const message = lastCompatRefusal(log);
  return message === null ? { kind: 'no-refusal' } : { kind: 'refused', message };
}

interface DeviceFacts {
  readonly open: OpenFact;
  readonly handshake: HandshakeFact;
  readonly imageKey: ImageKeyFact;
  readonly tcpHolds: TcpHoldsFact;
}

const NOTHING_ASKED = {
  open: { kind: 'not-attempted' },
  handshake: { kind: 'not-attempted' },
  imageKey: { kind: 'not-attempted' },
  tcpHolds: { kind: 'not-attempted' },
} as const satisfies DeviceFacts;

async function openAndHandshake(path: string, addon: CptAddon): Promise<DeviceFacts> {
  let handle;
  try {
    handle = await open(path, 'r+'); // O_RDWR, which every cpt ioctl needs
  } catch (error: unknown) {
    return { ...NOTHING_ASKED, open: { kind: 'failed', ...asFailure(error) } };
  }
  try {
    // Ask for no features: check wants to see everything the module offers,
    // and decides itself what is missing.
    const reply = addon.api(handle.fd, {});
    return {
      open: { kind: 'opened' },
      handshake: { kind: 'answered', reply },
      imageKey: imageKeyFact(handle.fd, addon, reply),
      tcpHolds: tcpHoldsFact(handle.fd, addon, reply),
    };
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    return { ...NOTHING_ASKED, open: { kind: 'opened' }, handshake: { kind: 'failed', ...asFailure(error) } };
  } finally {
    await handle.close();
  }
}

function imageKeyFact(fd: number, addon: CptAddon, reply: ApiReply): ImageKeyFact {
  if (((reply.features >> BigInt(addon.FEATURE_BITS.AUTH)) & 1n) === 0n) return { kind: 'unsupported' };
  try {
    const status = addon.key(fd, addon.KEY_OPS.STATUS);
    return status.loaded ? { kind: 'loaded', keyId: status.keyId.toString('hex') } : { kind: 'none' };
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    return { kind: 'failed', ...asFailure(error) };
  }
}

function tcpHoldsFact(fd: number, addon: CptAddon, reply: ApiReply): TcpHoldsFact {
  if (((reply.features >> BigInt(addon.FEATURE_BITS.TCP_HOLD)) & 1n) === 0n) return { kind: 'unsupported' };
  try {
    return { kind: 'listed', count: addon.hold(fd, addon.HOLD_OPS.LIST).length };
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    return { kind: 'failed', ...asFailure(error) };
  }
}

/** fs and addon failures carry an errno symbol in `code`; anything else is a bug. */
function asFailure(error: unknown): Failure {
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    return { code: (error as Error & { code: string }).code, message: error.message };
  }
  throw error;
}
