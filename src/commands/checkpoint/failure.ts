// What to tell the user when a checkpoint fails at some step: the message
// (which step, which errno) and a hint chosen by errno. Pure.
import { errnoCode, describeSystemError } from '../../system-error.js';

export interface FailureText {
  readonly message: string;
  readonly hint?: string;
}

const DMESG = 'the kernel log (dmesg) says why';

/** The addon's code for an ioctl that returned what the ABI does not define. */
const PROTOCOL = 'ERR_CPT_PROTOCOL';

const NO_ROOM =
  'the image does not fit where it is written; the partial image was removed and the process runs on as it was: ' +
  'free space there, or write the image to another place';

const HINTS: Readonly<Record<string, string>> = {
  EBUSY: `the module cannot freeze the process now (already being checkpointed, or a task of it asleep in the kernel, e.g. a vfork() parent?); ${DMESG}`,
  EOPNOTSUPP: `the process uses something the module cannot checkpoint yet; ${DMESG}`,
  ESRCH: 'the process exited',
  EPERM: 'checkpointing needs root (CAP_CHECKPOINT_RESTORE and ptrace access to the process)',
  EACCES: 'checkpointing needs root (CAP_CHECKPOINT_RESTORE and ptrace access to the process)',
  ENOSPC: NO_ROOM,
  EDQUOT: NO_ROOM,
  EFBIG: NO_ROOM,
  EPIPE:
    'whatever read the image from stdout went away before its end; the process runs on as it was: ' +
    'checkpoint again with a reader that stays until cptctl ends',
  EINVAL: 'the module did not accept the request: rebuild kmod/ from this checkout and reload it',
  ENOTTY: 'the module lacks this ioctl: rebuild kmod/ from this checkout and reload it',
  [PROTOCOL]: 'the module does not follow the ABI this cptctl was built with: rebuild kmod/ from this checkout and reload it',
};

/** Errnos of writing the image: the message names where it went. */
const WRITE_ERRORS: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EPIPE', 'EIO']);

/**
 * `step` names what failed, e.g. "CPT_IOC_SAVE(MM)" or "writing the
 * manifest"; `image`, where the image went ('-': stdout).
 */
export function describeCheckpointFailure(pid: number, step: string, error: unknown, image?: string): FailureText {
  const code = errnoCode(error) ?? ((error as { code?: unknown } | null)?.code === PROTOCOL ? PROTOCOL : undefined);
  const target = image === undefined || code === undefined || !WRITE_ERRORS.has(code) ? '' : ` writing ${image === '-' ? 'stdout' : image}`;
  const message = `checkpoint of pid ${pid} failed at ${step}${target}: ${describeSystemError(error)}`;
  const hint = code === undefined ? undefined : HINTS[code];
  return hint === undefined ? { message } : { message, hint };
}
