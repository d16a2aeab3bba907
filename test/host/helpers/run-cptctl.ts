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

export function runBin(bin: string, args: readonly string[]): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    execFile(bin, [...args], { encoding: 'utf8' }, (error, stdout, stderr) => {
      if (error !== null && typeof error.code !== 'number') {
        reject(error);
        return;
      }
      resolve({ code: error === null ? 0 : (error.code as number), stdout, stderr });
    });
  });
}

export function runCptctl(...args: string[]): Promise<Outcome> {
  return runBin(CPTCTL, args);
}
