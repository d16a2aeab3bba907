// `cptctl restart`: sequences one restart session of /dev/cpt.
//   (an image from a stream is first copied to a file: see image/spool.ts)
//   INIT (the module reads and checks the image header)
//   the manifest record, read here with exact-length reads
//   restoreTask(): clone with the saved pid (retried for a moment while the
//     pid is still taken); the child restores itself (RESTORE of each
//     subsystem) and parks in the module
//   FINALIZE(RESUME): the module releases the restored process
// The restored process is cptctl's child: without --detach, cptctl waits
// for it and reports how it ended.
import { setTimeout as sleep } from 'node:timers/promises';

import type { Device } from '../../device.js';
import { openDevice } from '../../device.js';
import { ImageError } from '../../errors.js';
import { imageAbiOf } from '../../image/abi.js';
import type { ImageFile } from '../../image/files.js';
import { openImageForReading } from '../../image/files.js';
import { FdSource } from '../../image/io.js';
import { readManifest } from '../../image/manifest.js';
import type { Manifest } from '../../image/schema.js';
import { isRegularFile, spoolImage } from '../../image/spool.js';
import type { CptAddon } from '../../native.js';
import { step, StepFailure } from '../../step.js';
import { describeSystemError } from '../../system-error.js';
import { isPidInUse, restartFailure } from './failure.js';
import { pidHolder } from './holder.js';

export interface RestartRequest {
  /** A path, or '-' for stdin. */
  readonly image: string;
}

export interface Restarted {
  /** The restored process, running, a child of this one. */
  readonly pid: number;
  readonly manifest: Manifest;
}

export interface RestartEnvironment {
  /** The addon; tests replace its session calls with a fake module. */
  readonly addon: CptAddon;
  /** Defaults to /dev/<DEVICE_NAME>. */
  readonly devicePath?: string;
  /** How long to wait for the saved pid to be freed; PID_GRACE_MS by default. */
  readonly pidGraceMs?: number;
  /** Where an image read from a stream is copied first; os.tmpdir() by default. */
  readonly spoolDir?: string;
  readonly procRoot?: string;
}

/**
 * How long a restart waits for the saved pid to be freed. Right after
 * `checkpoint --kill`, the original may still be dying, or not yet reaped:
 * the clone finds its pid taken (EEXIST) for a moment.
 */
export const PID_GRACE_MS = 5000;
const PID_RETRY_MS = 20;

/** Restores the process of the image and lets it run; returns once it does. */
export async function restart(request: RestartRequest, environment: RestartEnvironment): Promise<Restarted> {
  const { addon } = environment;
  const abi = imageAbiOf(addon);
  // The image first: a wrong path is the likeliest mistake, and says so
  // even where there is no module.
  const opened: ImageFile = await openImageForReading(request.image, (message, cause) => new ImageError(message, { cause }));
  let device: Device | undefined;
  let image: ImageFile;
  try {
    device = await openDevice(addon, ['SESSION', 'NEXT_PID'], environment.devicePath);
    image = await fileImage(opened, environment.spoolDir);
  } catch (error: unknown) {
    await device?.close();
    await opened.close();
    throw error;
  }
  if (image !== opened) await opened.close(); // `image` is its copy

  const session = device;
  let pid: number | null = null;
  try {
    await step('CPT_IOC_INIT', () => addon.init(session.fd, { imageFd: image.fd, mode: addon.MODES.RESTART }));
    // Straight from the fd the module reads, and not a byte more: the
    // module goes on reading the subsystem records right after it.
    const manifest = await readManifest(abi, new FdSource(image.fd));
    pid = manifest.rootPid;
    const savedPid = pid;
    await step('restoring the task', () => restoreTask(addon, session.fd, savedPid, environment.pidGraceMs ?? PID_GRACE_MS));
    await step('CPT_IOC_FINALIZE', () => addon.finalize(session.fd, addon.FINALIZE_ACTIONS.RESUME));
    await session.close();
    await image.close();
    return { pid: savedPid, manifest };
  } catch (error: unknown) {
    // Closing the session aborts it: the module kills a half-restored task.
    await session.close().catch(() => undefined);
    await image.close().catch(() => undefined);
    if (error instanceof StepFailure) {
      const holder = pid !== null && isPidInUse(error.cause) ? await pidHolder(pid, environment.procRoot) : null;
      throw restartFailure(error.step, pid, error.cause, holder);
    }
    throw error;
  }
}

/** The image as a file the module can read; a stream is copied to one first (see spool.ts). */
async function fileImage(image: ImageFile, spoolDir: string | undefined): Promise<ImageFile> {
  if (await isRegularFile(image)) return image;
  let copy;
  try {
    copy = await spoolImage(image, spoolDir);
  } catch (error: unknown) {
    throw new ImageError(`cannot read the image from ${image.name === '-' ? 'stdin' : image.name}: `
      + `${describeSystemError(error)}`, { cause: error });
  }
  if (copy.bytes === 0) {
    await copy.close();
    throw new ImageError(`the image ${image.name === '-' ? 'on stdin' : `from ${image.name}`} is empty`);
  }
  return copy;
}

/** restoreTask(), retried while the pid is taken, for up to `graceMs`. */
async function restoreTask(addon: CptAddon, fd: number, pid: number, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    try {
      await addon.restoreTask(fd, { pid });
      return;
    } catch (error: unknown) {
      if (!isPidInUse(error) || Date.now() >= deadline) throw error;
      await sleep(PID_RETRY_MS);
    }
  }
}
