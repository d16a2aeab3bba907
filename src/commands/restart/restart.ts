// `cptctl restart`: sequences one restart session of /dev/cpt.
//   (an image from a stream is first copied to a file: see image/spool.ts)
//   INIT (the module reads and checks the image header)
//   the manifest record, read by the session for cptctl (USER_RECORD)
//   the tree record, read ahead from the image file, and the plan (plan.ts)
//   restoreTree(): the addon builds the tree with clone(), every task with
//     its saved pid (retried for a moment while a pid is still taken); each
//     task restores itself (RESTORE of each subsystem) and parks in the module
//   FINALIZE(RESUME): the module releases every task at once
// The restored root (or with --pidns, the namespace's init) is cptctl's
// child: without --detach, cptctl waits for it and reports how it ended.
// cptctl is a child subreaper meanwhile, so that whatever a failed restart
// leaves is reaped.
import { fstat } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';

import type { Device } from '../../device.js';
import { openDevice, requireFeatures } from '../../device.js';
import type { ProgressReporter } from '../../progress.js';
import { silentProgress } from '../../progress.js';
import { ImageError } from '../../errors.js';
import { imageAbiOf } from '../../image/abi.js';
import type { ImageFile } from '../../image/files.js';
import { openImageForReading } from '../../image/files.js';
import { PositionedSource } from '../../image/io.js';
import { decodeManifest } from '../../image/manifest.js';
import type { Manifest } from '../../image/schema.js';
import { isRegularFile, spoolImage } from '../../image/spool.js';
import { readTree } from '../../image/tree.js';
import type { CptAddon, FeatureName } from '../../native.js';
import { step, StepFailure } from '../../step.js';
import { describeSystemError } from '../../system-error.js';
import type { MemoryStats } from '../checkpoint/checkpoint.js';
import { memoryStatsOf } from '../checkpoint/checkpoint.js';
import { isPidInUse, restartFailure } from './failure.js';
import { pidHolder } from './holder.js';
import { imageFeatures } from './needs.js';
import type { BuildPlan } from './plan.js';
import { planTree } from './plan.js';
import type { UsernsMapping } from './userns.js';
import { usernsForRestart } from './userns.js';

export interface RestartRequest {
  /** A path, or '-' for stdin. */
  readonly image: string;
  /** Restore the tree in a new pid namespace. */
  readonly pidns?: boolean;
  /** While an image key is loaded, restart an image not authenticated under it (root only). */
  readonly allowUnauthenticated?: boolean;
}

export interface Restarted {
  /** cptctl's child: the restored root, or with --pidns the namespace's init. */
  readonly pid: number;
  /** The root's saved pid (inside the namespace, with --pidns). */
  readonly rootPid: number;
  /** Tasks restored, threads included. */
  readonly tasks: number;
  /** The user namespace made for the tree (--pidns without CAP_SYS_ADMIN), or null. */
  readonly userns: UsernsMapping | null;
  readonly manifest: Manifest;
  readonly stats: RestartStats;
}

export interface RestartStats {
  /** From INIT to the end of FINALIZE: the restart itself, as cptctl measured it. */
  readonly totalNs: bigint;
  readonly initNs: bigint;
  /** Building the tree and every task restoring itself, until all are parked. */
  readonly restoreNs: bigint;
  readonly finalizeNs: bigint;
  /** The image the module read (a copy, for a stream). */
  readonly imageBytes: number;
  readonly memory: MemoryStats;
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
  /** Called with the image file the module reads, to show progress; silent by default. */
  readonly progress?: (image: ImageFile) => ProgressReporter;
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
  // --pidns by a caller who may not make a pid namespace: a user namespace
  // for it too (userns.ts), or a refusal now, before the session starts.
  let userns: UsernsMapping | null = null;
  try {
    if (request.pidns === true) userns = await usernsForRestart(environment.procRoot);
  } catch (error: unknown) {
    await opened.close();
    throw error;
  }
  let device: Device | undefined;
  let image: ImageFile;
  try {
    // --pidns: the tree's pids are reserved in the new namespace (NEW_PIDNS),
    // whose owner may be a user namespace the caller made, as an
    // unprivileged user's restart needs.
    // A user namespace of the tree's own maps only the caller's ids: the
    // module reads the image's other groups where INIT runs (INIT_NS_GROUPS).
    const features: readonly FeatureName[] = [
      'SESSION',
      'NEXT_PID',
      'TREE',
      'USER_RECORDS',
      ...(request.pidns === true ? (['NEW_PIDNS'] as const) : []),
      ...(userns === null ? [] : (['INIT_NS_GROUPS'] as const)),
    ];
    device = await openDevice(addon, features, environment.devicePath);
    image = await fileImage(opened, environment.spoolDir);
  } catch (error: unknown) {
    await device?.close();
    await opened.close();
    throw error;
  }
  if (image !== opened) await opened.close(); // `image` is its copy
  // What the image holds that a module without a feature would drop
  // silently (needs.ts): refused now, before the session starts.
  try {
    requireFeatures(addon, device, await imageFeatures(abi, image.fd), 'this image');
  } catch (error: unknown) {
    await device.close();
    await image.close();
    throw error;
  }

  const session = device;
  let pid: number | null = null;
  const progress = environment.progress?.(image) ?? silentProgress;
  try {
    progress.phase('reading the header');
    const started = process.hrtime.bigint();
    const flags =
      (request.allowUnauthenticated === true ? addon.INIT_FLAGS.ALLOW_UNAUTHENTICATED : 0) |
      (request.pidns === true ? addon.INIT_FLAGS.NEW_PIDNS : 0);
    await step('CPT_IOC_INIT', () =>
      addon.init(session.fd, { imageFd: image.fd, mode: addon.MODES.RESTART, ...(flags === 0 ? {} : { flags }) }),
    );
    // The module read the header and the tree; the file, read ahead, gives
    // the tree to the plan. The manifest comes next, read by the session
    // (which tags it, under a key, as it tags its own records). Nothing of
    // it is acted on before FINALIZE has checked the image: failures name
    // the tree's root, and the manifest is returned only once it has.
    const initNs = process.hrtime.bigint() - started;
    const tree = await readTree(abi, new PositionedSource(image.fd));
    const manifest = decodeManifest(
      await step('CPT_IOC_USER_RECORD(MANIFEST)', () => addon.userRecord(session.fd, addon.RECORD_TYPES.MANIFEST)),
    );
    const plan = planTree(tree, { pidns: request.pidns ?? false, userns });
    pid = tree.tasks[0]?.pid ?? null;
    progress.phase(`restoring ${tree.tasks.length} ${tree.tasks.length === 1 ? 'task' : 'tasks'}`);
    addon.setChildSubreaper(true);
    const restoreFrom = process.hrtime.bigint();
    const launched = await step('building the tree', () => restoreTree(addon, session.fd, plan, environment.pidGraceMs ?? PID_GRACE_MS));
    progress.phase('finishing');
    const finalizeFrom = process.hrtime.bigint();
    const reply = await step('CPT_IOC_FINALIZE', () => addon.finalize(session.fd, addon.FINALIZE_ACTIONS.RESUME));
    const ended = process.hrtime.bigint();
    addon.setChildSubreaper(false);
    progress.stop();
    await session.close();
    const imageBytes = (await fstatAsync(image.fd)).size;
    await image.close();
    const stats: RestartStats = {
      totalNs: ended - started,
      initNs,
      restoreNs: finalizeFrom - restoreFrom,
      finalizeNs: ended - finalizeFrom,
      imageBytes,
      memory: memoryStatsOf(reply),
    };
    return { pid: launched, rootPid: tree.tasks[0]!.pid, tasks: tree.tasks.length, userns, manifest, stats };
  } catch (error: unknown) {
    progress.stop();
    // Closing the session aborts it: the module kills half-restored tasks;
    // cptctl, their subreaper, reaps them.
    await session.close().catch(() => undefined);
    await image.close().catch(() => undefined);
    await addon.reapChildren().catch(() => undefined);
    addon.setChildSubreaper(false);
    if (error instanceof StepFailure) {
      const failedPid = (error.cause as { pid?: unknown } | null)?.pid;
      const taken = typeof failedPid === 'number' && failedPid > 0 ? failedPid : pid;
      const holder = taken !== null && isPidInUse(error.cause) ? await pidHolder(taken, environment.procRoot) : null;
      throw restartFailure(error.step, taken, error.cause, holder);
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
    throw new ImageError(`cannot read the image from ${image.name === '-' ? 'stdin' : image.name}: ` + `${describeSystemError(error)}`, {
      cause: error,
    });
  }
  if (copy.bytes === 0) {
    await copy.close();
    throw new ImageError(`the image ${image.name === '-' ? 'on stdin' : `from ${image.name}`} is empty`);
  }
  return copy;
}

const fstatAsync = promisify(fstat);

/** restoreTree(), retried while a pid is taken, for up to `graceMs`; the launched pid. */
async function restoreTree(addon: CptAddon, fd: number, plan: BuildPlan, graceMs: number): Promise<number> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    try {
      return (await addon.restoreTree(fd, plan)).pid;
    } catch (error: unknown) {
      if (!isPidInUse(error) || Date.now() >= deadline) throw error;
      await sleep(PID_RETRY_MS);
    }
  }
}
