// The errors cptctl reports to its user, and the exit code of each. Anything
// that is not a CptError is a bug in cptctl and is reported with its stack.

export const ExitCode = {
  Ok: 0,
  Unexpected: 1,
  Usage: 2,
  Environment: 3,
  Checkpoint: 4,
  Restart: 5,
  Image: 6,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface CptErrorOptions {
  /** One line telling the user what to do about it. */
  readonly hint?: string;
  readonly cause?: unknown;
}

/** An expected failure: printed as `cptctl: <message>` (and a hint), no stack. */
export abstract class CptError extends Error {
  abstract readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(message: string, options: CptErrorOptions = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = new.target.name;
    this.hint = options.hint;
  }
}

/** The command line is wrong. */
export class UsageError extends CptError {
  readonly exitCode = ExitCode.Usage;
}

/** cptctl cannot work here: module not loaded, no device, wrong kernel, addon not built. */
export class EnvironmentError extends CptError {
  readonly exitCode = ExitCode.Environment;
}

/** Checkpointing a process tree failed. */
export class CheckpointError extends CptError {
  readonly exitCode = ExitCode.Checkpoint;
}

/** Restarting a process tree from an image failed. */
export class RestartError extends CptError {
  readonly exitCode = ExitCode.Restart;
}

/** A checkpoint image is unreadable, corrupt or of an unknown version. */
export class ImageError extends CptError {
  readonly exitCode = ExitCode.Image;
}

/**
 * Not a failure: the command ends with exit status `status` and has nothing
 * more to say (restart passes on the restored process's status). Thrown so
 * that it reaches run() the way errors do.
 */
export class ExitStatus extends Error {
  constructor(readonly status: number) {
    super(`exit status ${status}`);
    this.name = 'ExitStatus';
  }
}

export function exitCodeFor(error: unknown): ExitCode {
  return error instanceof CptError ? error.exitCode : ExitCode.Unexpected;
}

/** What to print on stderr for `error`, newline-terminated. */
export function formatError(error: unknown): string {
  if (error instanceof CptError) {
    const hint = error.hint === undefined ? '' : `hint: ${error.hint}\n`;
    return `cptctl: ${error.message}\n${hint}`;
  }
  const detail = error instanceof Error ? (error.stack ?? String(error)) : String(error);
  return `cptctl: unexpected error (a bug in cptctl)\n${detail}\n`;
}
