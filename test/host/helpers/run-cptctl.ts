// Runs bin/cptctl as a user would: a child process, through its shebang.
import { execFile } from 'node:child_process';
import { join } from 'node:path';

import { packageRoot } from '../../../src/package.js';

export const CPTCTL = join(packageRoot, 'bin', 'cptctl');

export interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** What the command reads on stdin; nothing (an empty pipe) by default. */
  readonly input?: Uint8Array | string;
  readonly cwd?: string;
}

export function runBin(bin: string, args: readonly string[], options: RunOptions = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      bin,
      [...args],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...(options.cwd === undefined ? {} : { cwd: options.cwd }) },
      (error, stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number') {
          const failure: Error = error; // an ExecFileException, whose type (an Omit<>) hides that it is an Error
          reject(failure);
          return;
        }
        resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
      },
    );
    child.stdin?.on('error', () => undefined); // a command that does not read its input
    child.stdin?.end(options.input ?? '');
  });
}

export function runCptctl(...args: string[]): Promise<Outcome> {
  return runBin(CPTCTL, args);
}

export function runCptctlWith(options: RunOptions, ...args: string[]): Promise<Outcome> {
  return runBin(CPTCTL, args, options);
}
