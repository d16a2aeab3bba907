// `cptctl key generate|load|unload`: the image key (docs/security.md,
// authenticated images). The key file is root's alone; the module keeps the
// loaded key and never gives it back: cptctl shows only its id.
import { randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';

import type { Device } from '../../device.js';
import { openDevice } from '../../device.js';
import { EnvironmentError, UsageError } from '../../errors.js';
import { KEY_BYTES, keyIdOf } from '../../image/auth.js';
import type { CptAddon } from '../../native.js';
import { isSystemError } from '../../native.js';
import { describeSystemError, errnoCode } from '../../system-error.js';

/** Where `cptctl key` keeps the key unless told otherwise. */
export const DEFAULT_KEY_FILE = '/etc/cptctl/image.key';

export interface KeyResult {
  readonly file?: string;
  /** The key's id in hex; null when no key is (or was) loaded. */
  readonly keyId: string | null;
}

/**
 * Writes a new random key to `file`, which must not exist: mode 0400 (the
 * directory 0700 if cptctl makes it), so only its owner, root, reads it.
 */
export async function generateKey(file: string): Promise<KeyResult> {
  const key = randomBytes(KEY_BYTES);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const handle = await open(file, 'wx', 0o400);
    try {
      await handle.writeFile(key);
    } finally {
      await handle.close();
    }
    return { file, keyId: keyIdOf(key) };
  } catch (error: unknown) {
    const hint = errnoCode(error) === 'EEXIST' ? 'a key file is never overwritten: remove it first, or name another' : undefined;
    throw new EnvironmentError(
      `cannot write the key to ${file}: ${describeSystemError(error)}`,
      hint === undefined ? { cause: error } : { cause: error, hint },
    );
  } finally {
    key.fill(0);
  }
}

/** Refuses a key file anyone but root could read or change. */
export function checkKeyFileMode(file: string, mode: number, uid: number): void {
  if (uid !== 0 || (mode & 0o077) !== 0) {
    throw new EnvironmentError(
      `${file} is not root's alone (owner uid ${uid}, mode ${(mode & 0o777).toString(8).padStart(4, '0')}): ` +
        'a key others can read authenticates nothing',
      { hint: `chown root ${file} && chmod 0400 ${file}, or make a new one with \`cptctl key generate\`` },
    );
  }
}

/** Reads the key file (root's alone) and hands the key to the module. */
export async function loadKey(addon: CptAddon, file: string, devicePath?: string): Promise<KeyResult> {
  let key: Buffer;
  try {
    const handle = await open(file, 'r');
    try {
      const stats = await handle.stat();
      checkKeyFileMode(file, stats.mode, stats.uid);
      key = await handle.readFile();
    } finally {
      await handle.close();
    }
  } catch (error: unknown) {
    if (error instanceof EnvironmentError) throw error;
    throw new EnvironmentError(`cannot read the key file ${file}: ${describeSystemError(error)}`, { cause: error });
  }
  try {
    if (key.length < addon.KEY_MIN_LEN || key.length > addon.KEY_MAX_LEN) {
      throw new UsageError(`${file} holds ${key.length} bytes: an image key has ${addon.KEY_MIN_LEN} to ${addon.KEY_MAX_LEN}`, {
        hint: 'make one with `cptctl key generate`',
      });
    }
    const reply = await withDevice(addon, devicePath, (fd) => addon.key(fd, addon.KEY_OPS.LOAD, key));
    return { file, keyId: reply.keyId.toString('hex') };
  } finally {
    key.fill(0);
  }
}

/** Makes the module forget its key; keyId is the one it had, null if none. */
export async function unloadKey(addon: CptAddon, devicePath?: string): Promise<KeyResult> {
  return withDevice(addon, devicePath, (fd) => {
    const before = addon.key(fd, addon.KEY_OPS.STATUS);
    try {
      addon.key(fd, addon.KEY_OPS.UNLOAD);
    } catch (error: unknown) {
      if (errnoCode(error) === 'ENOKEY') return { keyId: null };
      throw error;
    }
    return { keyId: before.loaded ? before.keyId.toString('hex') : null };
  });
}

async function withDevice<T>(addon: CptAddon, devicePath: string | undefined, use: (fd: number) => T): Promise<T> {
  const device: Device = await openDevice(addon, ['AUTH'], devicePath);
  try {
    return use(device.fd);
  } catch (error: unknown) {
    if (!isSystemError(error)) throw error;
    const denied = error.code === 'EPERM' || error.code === 'EACCES';
    throw new EnvironmentError(`${error.syscall} CPT_IOC_KEY: ${describeSystemError(error)}`, {
      cause: error,
      ...(denied ? { hint: "the image key is root's (CAP_SYS_ADMIN): run cptctl key as root" } : {}),
    });
  } finally {
    await device.close();
  }
}
