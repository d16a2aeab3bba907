// Opening /dev/cpt for a session: the open, and a handshake that checks the
// module offers the features the command needs. Every failure here means
// cptctl cannot work on this machine (exit 3), with what to do about it.
import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';

import { decodeBits, hex } from './bits.js';
import { EnvironmentError } from './errors.js';
import type { ApiReply, CptAddon, FeatureName } from './native.js';
import { isSystemError } from './native.js';
import { describeSystemError, errnoCode } from './system-error.js';
import { KMOD_NAME } from './target.js';

const CHECK_HINT = 'run `cptctl check` to see what is missing';
const RELOAD_HINT = `the loaded ${KMOD_NAME} module does not match this cptctl: rebuild kmod/ from this checkout and reload it`;

export interface Device {
  readonly path: string;
  readonly fd: number;
  /** Closing ends the session: before CPT_IOC_FINALIZE, that aborts it. */
  close(): Promise<void>;
}

/** Opens the cpt device read-write and checks that the module offers `features`. */
export async function openDevice(
  addon: Pick<CptAddon, 'api' | 'CPT_API' | 'DEVICE_NAME' | 'FEATURE_BITS'>,
  features: readonly FeatureName[],
  path = `/dev/${addon.DEVICE_NAME}`,
): Promise<Device> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (error: unknown) {
    const code = errnoCode(error);
    if (code === 'ENOENT') {
      throw new EnvironmentError(`${path} does not exist: is the ${KMOD_NAME} module loaded?`, { hint: CHECK_HINT, cause: error });
    }
    const denied = code === 'EACCES' || code === 'EPERM';
    throw new EnvironmentError(`cannot open ${path}: ${describeSystemError(error)}`, {
      hint: denied ? 'run cptctl as root' : CHECK_HINT,
      cause: error,
    });
  }

  try {
    checkFeatures(addon, handshake(addon, handle.fd, path), features);
  } catch (error: unknown) {
    await handle.close();
    throw error;
  }
  return { path, fd: handle.fd, close: () => handle.close() };
}

/**
 * Checks that the module of an open device offers `features` too, which
 * `what` needs ("this image"): for what a command learns after the open.
 */
export function requireFeatures(
  addon: Pick<CptAddon, 'api' | 'CPT_API' | 'FEATURE_BITS'>,
  device: Device,
  features: readonly FeatureName[],
  what: string,
): void {
  if (features.length > 0) checkFeatures(addon, handshake(addon, device.fd, device.path), features, what);
}

/** The module's answer to a handshake that asks for nothing, of the API cptctl speaks. */
function handshake(addon: Pick<CptAddon, 'api' | 'CPT_API'>, fd: number, path: string): ApiReply {
  let reply;
  try {
    // Ask for nothing, so that the reply lists everything the module offers
    // and the message can say what is missing.
    reply = addon.api(fd, {});
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    throw new EnvironmentError(`the handshake with ${path} failed: ${describeSystemError(error)}`, {
      hint: error.code === 'ENOTTY' ? `is ${path} really the ${KMOD_NAME} device? ${CHECK_HINT}` : RELOAD_HINT,
      cause: error,
    });
  }
  if (reply.api !== addon.CPT_API) {
    throw new EnvironmentError(`the ${KMOD_NAME} module speaks API ${hex(reply.api)}, cptctl speaks ${hex(addon.CPT_API)}`, {
      hint: RELOAD_HINT,
    });
  }
  return reply;
}

/** Throws unless the handshake's reply offers every one of `features`, which `what` needs (if said). */
function checkFeatures(addon: Pick<CptAddon, 'FEATURE_BITS'>, reply: ApiReply, features: readonly FeatureName[], what?: string): void {
  const missing = features.filter((name) => ((reply.features >> BigInt(addon.FEATURE_BITS[name])) & 1n) === 0n);
  if (missing.length > 0) {
    const offered = decodeBits(reply.features, addon.FEATURE_BITS);
    throw new EnvironmentError(
      `the loaded ${KMOD_NAME} module lacks ${missing.join(', ')}${what === undefined ? '' : `, which ${what} needs,`} ` +
        `(it offers: ${offered.length === 0 ? 'nothing' : offered.join(', ')})`,
      { hint: RELOAD_HINT },
    );
  }
}
