// The only module that loads native/build/Release/cpt.node, and the typed
// view of what it exports (see native/src/). Every ABI constant reaches
// TypeScript through here, read from <linux/cpt.h> by the addon.
import { createRequire } from 'node:module';
import { join } from 'node:path';

import { EnvironmentError } from './errors.js';
import { packageRoot } from './package.js';

/** Ioctls by the suffix of their CPT_IOC_* name; keys of IOCTL_BITS. */
export type IoctlName = 'API';

/** Features by the suffix of their CPT_FEATURE_* name; keys of FEATURE_BITS. None exist yet. */
export type FeatureName = never;

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

export interface CptAddon {
  /** The value of cpt_api.api in every handshake. */
  readonly CPT_API: bigint;
  /** Name of the misc device: /dev/<DEVICE_NAME>. */
  readonly DEVICE_NAME: string;
  /** Bit position of each CPT_FEATURE_* in cpt_api.features. */
  readonly FEATURE_BITS: Readonly<Record<FeatureName, number>>;
  /** Bit position of each CPT_IOC_* in cpt_api.ioctls. */
  readonly IOCTL_BITS: Readonly<Record<IoctlName, number>>;
  /** CPT_IOC_API on `fd`. Throws a NativeSystemError when the ioctl fails, TypeError/RangeError on bad arguments. */
  api(fd: number, request: ApiRequest): ApiReply;
}

/** How the addon reports a failed system call: the shape of Node's SystemError. */
export interface NativeSystemError extends Error {
  /** errno symbol, e.g. 'ENOTTY'. */
  readonly code: string;
  /** Negated errno value, as Node reports it: -25 for ENOTTY. */
  readonly errno: number;
  readonly syscall: string;
}

export function isSystemError(error: unknown): error is NativeSystemError {
  return error instanceof Error
    && typeof (error as Partial<NativeSystemError>).code === 'string'
    && typeof (error as Partial<NativeSystemError>).errno === 'number'
    && typeof (error as Partial<NativeSystemError>).syscall === 'string';
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
