// What to tell the user when a restart fails at some step. Pure.
import { ImageError, RestartError } from '../../errors.js';
import type { CptError } from '../../errors.js';
import type { RestoreTaskError } from '../../native.js';
import { signalName } from '../../signals.js';
import { describeSystemError, errnoCode, moduleDetail } from '../../system-error.js';
import type { PidHolder } from './holder.js';
import { pidInUseHint } from './holder.js';

/**
 * The errnos with which the module refuses an image's contents rather than
 * the machine (docs/image-format.md): malformed (EBADMSG), ends early
 * (ENODATA), fails authentication under the loaded key (EKEYREJECTED).
 */
const IMAGE_ERRNOS = new Set(['EBADMSG', 'ENODATA', 'EKEYREJECTED']);

const INSPECT_HINT = 'run `cptctl inspect` on the image to check it';

const AUTH_HINT =
  'an image key is loaded (`cptctl check` shows its id): the image must be authenticated under it; ' +
  'root may restart it anyway with --allow-unauthenticated';

const HINTS: Readonly<Record<string, string>> = {
  EPERM: 'restarting needs root (CAP_CHECKPOINT_RESTORE, to choose pids)',
  EACCES: 'restarting needs root (CAP_CHECKPOINT_RESTORE, to choose pids)',
  EOPNOTSUPP:
    'an image restarts only on the kernel release it was taken on, on a CPU with its xstate features ' +
    '(`cptctl inspect` shows both), and with what the module can restore; the kernel log (dmesg) says which',
  ECHILD: 'the restored task failed or died before it was ready; the kernel log (dmesg) says why',
  EINVAL: 'the module did not accept the request: rebuild kmod/ from this checkout and reload it',
  ENOTTY: 'the module lacks this ioctl: rebuild kmod/ from this checkout and reload it',
  ENOMEM: 'the machine lacks the memory the process had',
};

const NAMESPACE_HINT =
  "a pid namespace takes CAP_SYS_ADMIN, or a user namespace of the caller's own, which cptctl makes when it lacks it; " +
  'the kernel may forbid those to users (sysctl user.max_user_namespaces), and so may a seccomp filter or an LSM';

/**
 * The --pidns init's clone() failed (the only task with no pid of its own:
 * 0), or the write of its user namespace's maps (native/src/restore.h).
 */
function isNamespaceFailure(error: unknown): boolean {
  const { syscall, pid } = (error ?? {}) as { syscall?: unknown; pid?: unknown };
  return pid === 0 && (syscall === 'clone' || syscall === 'write');
}
/**
 * EOPNOTSUPP with the module's words: they name what it cannot restore (a
 * device, a socket option...), which is no matter of kernel release or CPU.
 */
const NAMED_HINT = 'the module named what it cannot restore (above; the kernel log, dmesg, has it too)';

/**
 * EPERM or EACCES with the module's words: a check of what the restarting
 * caller may do refused it (a chroot without CAP_SYS_CHROOT, a path it
 * cannot reach...), which root alone would not always change.
 */
const DENIED_HINT = 'the module named what the restarting caller may not do (above; the kernel log, dmesg, has it too)';

function namedHint(code: string): string | undefined {
  if (code === 'EOPNOTSUPP') return NAMED_HINT;
  return code === 'EPERM' || code === 'EACCES' ? DENIED_HINT : undefined;
}

function isRestoreTaskError(error: unknown): error is RestoreTaskError {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_CPT_');
}

/** Whether a restoreTree() failure is the clone finding the pid taken. */
export function isPidInUse(error: unknown): boolean {
  return (error as { syscall?: unknown } | null)?.syscall === 'clone' && errnoCode(error) === 'EEXIST';
}

/**
 * `step` names what failed ("CPT_IOC_INIT", "restoring the task",
 * "CPT_IOC_FINALIZE"); `pid` is the saved pid, once the manifest gave it;
 * `holder` who has that pid, when the clone found it taken.
 */
export function restartFailure(step: string, pid: number | null, error: unknown, holder: PidHolder | null = null): CptError {
  const options = { cause: error };
  const code = errnoCode(error);
  const subject = pid === null ? 'restart' : `restart of pid ${pid}`;

  if (isRestoreTaskError(error)) {
    if (error.code === 'ERR_CPT_TASK_EXITED') return taskDied(subject, step, error);
    return new RestartError(`${subject} failed at ${step}: ${error.message}`, {
      ...options,
      hint: 'the module does not follow the ABI this cptctl was built with: rebuild kmod/ from this checkout and reload it',
    });
  }

  if (isPidInUse(error) && pid !== null) {
    return new RestartError(`pid ${pid} is in use (EEXIST)`, { ...options, hint: pidInUseHint(pid, holder) });
  }

  if (isNamespaceFailure(error)) {
    // The addon's "clone CLONE_NEWUSER failed: ..." or "write /proc/77/uid_map failed: ...".
    const what = /^(.*) failed: /.exec((error as Error).message)?.[1] ?? 'clone';
    const message = `${subject} failed: the new pid namespace (--pidns) could not be made: ${what}: ${describeSystemError(error)}`;
    return new RestartError(message, { ...options, hint: NAMESPACE_HINT });
  }

  // A task cancelled by another's failure: the module's words say whose and why.
  const detail = moduleDetail(error);
  if (code === 'ECANCELED' && detail !== undefined) {
    const message = `${subject} failed: ${detail}`;
    return new RestartError(message, { ...options, hint: 'the kernel log (dmesg) has the whole story' });
  }

  // The failed RESTORE names its subsystem in the addon's message.
  const { subsys: where, syscall, pid: taskPid } = (error ?? {}) as { subsys?: unknown; syscall?: unknown; pid?: unknown };
  const task = typeof taskPid === 'number' && taskPid > 0 ? ` in task ${taskPid}` : '';
  let at = step;
  if (typeof where === 'string') at = `CPT_IOC_RESTORE(${where})${task}`;
  else if (typeof syscall === 'string' && step === 'building the tree') at = `${step} (${syscall}${task})`;
  const message = `${subject} failed at ${at}: ${describeSystemError(error)}`;
  if (code === 'EKEYREJECTED') return new ImageError(message, { ...options, hint: AUTH_HINT });
  if (code !== undefined && IMAGE_ERRNOS.has(code)) return new ImageError(message, { ...options, hint: INSPECT_HINT });
  const hint = code === undefined ? undefined : ((detail === undefined ? undefined : namedHint(code)) ?? HINTS[code]);
  return new RestartError(message, hint === undefined ? options : { ...options, hint });
}

/**
 * A restoring task that died without reporting a failed step (its final
 * step had closed its fds, or a signal killed it): the signal or status,
 * and the module's note of which task failed at what, if one did.
 */
function taskDied(subject: string, step: string, error: RestoreTaskError): CptError {
  const how =
    typeof error.signal === 'number'
      ? `killed by ${signalName(error.signal)}`
      : typeof error.exitCode === 'number'
        ? `exited with status ${error.exitCode}`
        : 'ended';
  const detail = moduleDetail(error);
  const who = typeof error.pid === 'number' ? `the restoring task ${error.pid}` : 'a restoring task';
  const message = `${subject} failed at ${step}: ${who} died (${how})` + (detail === undefined ? '' : `: ${detail}`);
  return new RestartError(message, { cause: error, hint: 'the kernel log (dmesg) may say more' });
}
