// One wording for failed system calls in cptctl's messages, whether they
// come from Node (fs) or from the addon: "EBUSY (Device or resource busy)".
import { isSystemError } from './native.js';

/** The errno symbol of a Node or addon system error, or undefined. */
export function errnoCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
}

/** The module's own words for a failed ioctl (CPT_IOC_MESSAGE), if it gave any. */
export function moduleDetail(error: unknown): string | undefined {
  const detail = (error as { detail?: unknown } | null)?.detail;
  return typeof detail === 'string' && detail !== '' ? detail : undefined;
}

/**
 * "EBUSY (Device or resource busy)", then the module's explanation when it
 * gave one ("EOPNOTSUPP (Operation not supported): fd 5: socket is not
 * supported"), or the error's message when it has no errno.
 */
export function describeSystemError(error: unknown): string {
  const detail = moduleDetail(error);
  const base = describeErrno(error);
  return detail === undefined ? base : `${base}: ${detail}`;
}

function describeErrno(error: unknown): string {
  const code = errnoCode(error);
  const message = error instanceof Error ? error.message : String(error);
  if (code === undefined) return message;
  // The addon: "ioctl CPT_IOC_SAVE(MM) failed: EBUSY (Device or resource busy)".
  if (isSystemError(error)) {
    const match = /failed: \S+ \((.*)\)$/.exec(message);
    if (match?.[1] !== undefined) return `${code} (${match[1]})`;
  }
  // Node: "ENOENT: no such file or directory, open '/x'".
  const match = /^[A-Z0-9_]+: ([^,]+)/.exec(message);
  return match?.[1] === undefined ? code : `${code} (${match[1]})`;
}
