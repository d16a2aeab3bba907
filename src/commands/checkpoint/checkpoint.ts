// `cptctl checkpoint`: sequences one checkpoint session of /dev/cpt.
//   INIT (the module freezes the target, writes the image header)
//   the manifest record (cptctl's own, written by the session: USER_RECORD)
//   SAVE of each subsystem, in header order (TASK ... MM)
//   FINALIZE (the module writes the trailer; resumes, kills or stops)
// Any failure closes /dev/cpt first (the module aborts: the target resumes
// untouched), then removes the partial image, and is a CheckpointError.
import { fstat } from 'node:fs';
import { hostname } from 'node:os';
import { promisify } from 'node:util';

import { openDevice } from '../../device.js';
import { CheckpointError, CptError, UsageError } from '../../errors.js';
import type { ImageFile } from '../../image/files.js';
import { openImageForWriting, removeImage } from '../../image/files.js';
import { CRC_SIZE, RECORD_HEADER_SIZE } from '../../image/framing.js';
import { encodeManifest } from '../../image/manifest.js';
import type { CptAddon, FinalizeActionName, FinalizeReply, SubsysName } from '../../native.js';
import { packageVersion } from '../../package.js';
import { step, StepFailure } from '../../step.js';
import { describeCheckpointFailure } from './failure.js';
import type { ProgressReporter } from '../../progress.js';
import { silentProgress } from '../../progress.js';
import type { TargetFacts } from './target.js';
import { gatherTargetFacts } from './target.js';

/** What becomes of the target after its checkpoint. */
export type Disposition = 'leave-running' | 'kill' | 'stop';

export const FINALIZE_ACTION_OF: Readonly<Record<Disposition, FinalizeActionName>> = {
  'leave-running': 'RESUME',
  kill: 'KILL',
  stop: 'STOP',
};

export interface CheckpointRequest {
  readonly pid: number;
  /** A path, or '-' for stdout. */
  readonly output: string;
  readonly disposition: Disposition;
  /** --tcp-established: --kill holds the connections whose peer is outside the tree (CPT_INIT_TCP_ESTABLISHED); nothing without --kill. */
  readonly tcpEstablished?: boolean;
  /** --ext-unix-sk: unix stream sockets connected to a server outside the tree are saved, to connect again at restart (CPT_INIT_EXT_UNIX_SK). */
  readonly extUnixSk?: boolean;
}

export interface SubsysStats {
  readonly name: SubsysName;
  readonly ns: bigint;
  /** Image bytes this subsystem's records took. */
  readonly bytes: bigint;
}

export interface CheckpointStats {
  /** How long the target was frozen, as the module measured it. */
  readonly frozenNs: bigint;
  /** From INIT to the end of FINALIZE, as cptctl measured it. */
  readonly totalNs: bigint;
  readonly initNs: bigint;
  readonly finalizeNs: bigint;
  readonly subsystems: readonly SubsysStats[];
  readonly manifestBytes: number;
  /** The image's size; null when it went to a pipe. */
  readonly imageBytes: number | null;
  /** What the module reports (CPT_FEATURE_STATS; 0 from an older module). */
  readonly memory: MemoryStats;
}

/** The module's figures of a session, as CRIU's stats files give them. */
export interface MemoryStats {
  /** Tasks saved or restored, threads included. */
  readonly tasks: number;
  /** Checkpoint: pages of the saved mappings looked at. */
  readonly pagesScanned: bigint;
  /** Checkpoint: pages saved; restart: pages restored. */
  readonly pagesWritten: bigint;
  /** Checkpoint: pages looked at and not saved (never touched, or the file has them). */
  readonly pagesSkipped: bigint;
  /** Checkpoint: finding the pages, and copying them into the image (both while frozen). */
  readonly scanNs: bigint;
  readonly writeNs: bigint;
}

export function memoryStatsOf(reply: FinalizeReply): MemoryStats {
  return {
    tasks: Number(reply.tasks),
    pagesScanned: reply.pagesScanned,
    pagesWritten: reply.pagesWritten,
    pagesSkipped: reply.pagesScanned > reply.pagesWritten ? reply.pagesScanned - reply.pagesWritten : 0n,
    scanNs: reply.mmScanNs,
    writeNs: reply.mmWriteNs,
  };
}

export interface CheckpointResult {
  readonly pid: number;
  readonly image: string;
  readonly disposition: Disposition;
  readonly argv: readonly string[];
  readonly stats: CheckpointStats;
}

export interface CheckpointEnvironment {
  /** The addon; tests replace its session calls with a fake module. */
  readonly addon: CptAddon;
  /** Defaults to /dev/<DEVICE_NAME>. */
  readonly devicePath?: string;
  readonly procRoot?: string;
  /** Called with the image once it is open, to show progress; silent by default. */
  readonly progress?: (image: ImageFile, knownBytes: () => number) => ProgressReporter;
}

/** CPT_SUBSYS_* names in value order: the order of the header, and of the saves. */
export function subsystemOrder(subsys: Readonly<Record<SubsysName, number>>): SubsysName[] {
  return (Object.keys(subsys) as SubsysName[]).sort((a, b) => subsys[a] - subsys[b]);
}

const fstatAsync = promisify(fstat);

async function imageSize(image: ImageFile): Promise<number | null> {
  if (!image.isPath) return null;
  return (await fstatAsync(image.fd)).size;
}

export async function checkpoint(request: CheckpointRequest, environment: CheckpointEnvironment): Promise<CheckpointResult> {
  const { addon } = environment;
  const { pid } = request;
  if (pid === process.pid) throw new UsageError('cptctl cannot checkpoint itself');
  // Everything cptctl adds is gathered and encoded before the freeze: the
  // module's frozen window must not include cptctl's own bookkeeping.
  const facts: TargetFacts = await gatherTargetFacts(pid, environment.procRoot);
  const kill = request.disposition === 'kill';
  // Only a kill ends connections: without it, --tcp-established would only
  // have the module hold them (their peers' segments dropped) while it saves.
  const tcpEstablished = kill && request.tcpEstablished === true;
  const manifest = encodeManifest({
    tool: `cptctl ${packageVersion()}`,
    rootPid: pid,
    argv: facts.argv,
    hostname: hostname(),
    shellJob: facts.shellJob,
  });
  const device = await openDevice(
    addon,
    [
      'SESSION',
      'USER_RECORDS',
      ...(kill ? (['INIT_KILL'] as const) : []),
      ...(tcpEstablished ? (['TCP_HOLD'] as const) : []),
      ...(request.extUnixSk === true ? (['EXT_UNIX_SK'] as const) : []),
    ],
    environment.devicePath,
  );
  let image: ImageFile;
  try {
    image = await openImageForWriting(request.output, (message, cause) => new CheckpointError(message, { cause }));
  } catch (error: unknown) {
    await device.close();
    throw error;
  }

  let knownBytes = 0;
  const progress = environment.progress?.(image, () => knownBytes) ?? silentProgress;
  try {
    // stdout may be a pipe Node made non-blocking: the module would get EAGAIN.
    if (!image.isPath) addon.setBlocking(image.fd);
    const started = process.hrtime.bigint();
    progress.phase('freezing');
    await step('CPT_IOC_INIT', () =>
      addon.init(device.fd, {
        imageFd: image.fd,
        mode: addon.MODES.CHECKPOINT,
        target: pid,
        // The module holds the tree's own connections for a kill only (CPT_INIT_KILL).
        flags:
          (kill ? addon.INIT_FLAGS.KILL : 0) |
          (tcpEstablished ? addon.INIT_FLAGS.TCP_ESTABLISHED : 0) |
          (request.extUnixSk === true ? addon.INIT_FLAGS.EXT_UNIX_SK : 0),
      }),
    );
    const initNs = process.hrtime.bigint() - started;

    // Through the session, which tags it with its own records while an image key is loaded.
    await step('CPT_IOC_USER_RECORD(MANIFEST)', () => addon.userRecord(device.fd, addon.RECORD_TYPES.MANIFEST, manifest));
    const manifestBytes = RECORD_HEADER_SIZE + manifest.length + CRC_SIZE;
    knownBytes += manifestBytes;

    const subsystems: SubsysStats[] = [];
    for (const name of subsystemOrder(addon.SUBSYS)) {
      progress.phase(`saving ${name}`);
      const from = process.hrtime.bigint();
      const { bytes } = await step(`CPT_IOC_SAVE(${name})`, () => addon.save(device.fd, addon.SUBSYS[name]));
      subsystems.push({ name, ns: process.hrtime.bigint() - from, bytes });
      knownBytes += Number(bytes);
    }

    progress.phase('finishing');
    const action = addon.FINALIZE_ACTIONS[FINALIZE_ACTION_OF[request.disposition]];
    const finalizeFrom = process.hrtime.bigint();
    const reply = await step('CPT_IOC_FINALIZE', () => addon.finalize(device.fd, action));
    const ended = process.hrtime.bigint();
    progress.stop();

    // The session is over: nothing can abort it any more.
    await device.close();
    const imageBytes = await imageSize(image);
    await image.close();
    return {
      pid,
      image: request.output,
      disposition: request.disposition,
      argv: facts.argv,
      stats: {
        frozenNs: reply.frozenNs,
        totalNs: ended - started,
        initNs,
        finalizeNs: ended - finalizeFrom,
        subsystems,
        manifestBytes,
        imageBytes,
        memory: memoryStatsOf(reply),
      },
    };
  } catch (error: unknown) {
    progress.stop();
    // First let the target go (closing the session aborts it), then clean up.
    await device.close().catch(() => undefined);
    await image.close().catch(() => undefined);
    await removeImage(image);
    if (error instanceof StepFailure) {
      if (error.cause instanceof CptError) throw error.cause;
      const { message, hint } = describeCheckpointFailure(pid, error.step, error.cause, request.output);
      throw new CheckpointError(message, hint === undefined ? { cause: error.cause } : { hint, cause: error.cause });
    }
    throw error;
  }
}
