// Gathering what `cptctl check` evaluates: the only part of the check that
// touches the machine (os, /sys, /dev, the addon). Every fact is plain data
// so that evaluate.ts can be tested on any host.
import { open, readFile, stat } from 'node:fs/promises';
import { machine, release } from 'node:os';
import { join } from 'node:path';

import type { ApiReply, CptAddon } from '../../native.js';
import { isSystemError } from '../../native.js';
import { KMOD_NAME } from '../../target.js';

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

export type OpenFact =
  | { readonly kind: 'not-attempted' }
  | { readonly kind: 'opened' }
  | ({ readonly kind: 'failed' } & Failure);

export type HandshakeFact =
  | { readonly kind: 'not-attempted' }
  | { readonly kind: 'answered'; readonly reply: ApiReply }
  | ({ readonly kind: 'failed' } & Failure);

/** The ABI tables of the addon, needed to put names on the module's bits. */
export interface AbiCatalog {
  readonly cptApi: bigint;
  readonly featureBits: Readonly<Record<string, number>>;
  readonly ioctlBits: Readonly<Record<string, number>>;
}

export interface CheckFacts {
  readonly kernel: KernelFacts;
  readonly module: ModuleFacts;
  readonly devicePath: string;
  readonly device: DeviceNodeFact;
  readonly open: OpenFact;
  readonly handshake: HandshakeFact;
  readonly catalog: AbiCatalog;
}

export interface FactSources {
  /** Where the kernel lists loaded modules; tests point it elsewhere. */
  readonly sysModuleDir: string;
}

const SYSTEM: FactSources = { sysModuleDir: '/sys/module' };

export async function gatherCheckFacts(addon: CptAddon, sources: FactSources = SYSTEM): Promise<CheckFacts> {
  const devicePath = `/dev/${addon.DEVICE_NAME}`;
  const device = await statDevice(devicePath);
  const { open, handshake } = device.kind === 'char-device'
    ? await openAndHandshake(devicePath, addon)
    : { open: { kind: 'not-attempted' } as const, handshake: { kind: 'not-attempted' } as const };

  return {
    kernel: { release: release(), arch: machine() },
    module: await moduleFacts(join(sources.sysModuleDir, KMOD_NAME)),
    devicePath,
    device,
    open,
    handshake,
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
  const loaded = await stat(sysfsDir).then((stats) => stats.isDirectory(), () => false);
  if (!loaded) return { loaded, version: null };
  const version = await readFile(join(sysfsDir, 'version'), 'utf8').then((text) => text.trim(), () => null);
  return { loaded, version: version === '' ? null : version };
}

async function openAndHandshake(
  path: string,
  addon: CptAddon,
): Promise<{ open: OpenFact; handshake: HandshakeFact }> {
  let handle;
  try {
    handle = await open(path, 'r+'); // O_RDWR, which every cpt ioctl needs
  } catch (error: unknown) {
    return { open: { kind: 'failed', ...asFailure(error) }, handshake: { kind: 'not-attempted' } };
  }
  try {
    // Ask for no features: check wants to see everything the module offers,
    // and decides itself what is missing.
    const reply = addon.api(handle.fd, {});
    return { open: { kind: 'opened' }, handshake: { kind: 'answered', reply } };
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    return { open: { kind: 'opened' }, handshake: { kind: 'failed', ...asFailure(error) } };
  } finally {
    await handle.close();
  }
}

/** fs and addon failures carry an errno symbol in `code`; anything else is a bug. */
function asFailure(error: unknown): Failure {
  if (error instanceof Error && typeof (error as { code?: unknown }).code === 'string') {
    return { code: (error as Error & { code: string }).code, message: error.message };
  }
  throw error;
}
