// The kernel log, for why the kernel refused the cpt module: the module
// checks its assumptions about the running kernel when it loads and, if one
// fails, says which in one line ("cpt: compat check NAME failed: WHY")
// instead of loading. That line is all a refused load leaves behind.
import { execFile } from 'node:child_process';

import { KMOD_NAME } from '../../target.js';

/** The kernel log as dmesg prints it; rejects if it cannot be read (dmesg_restrict). */
export function readKernelLog(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dmesg', [], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) {
        resolve(stdout);
        return;
      }
      const why = stderr.trim();
      reject(new Error(why === '' ? error.message : why));
    });
  });
}

const TIMESTAMP = /^\[[^\]]*\]\s*/;
const REFUSAL = new RegExp(`^${KMOD_NAME}: (compat check \\S+ failed: |compat_fail=)`);

/** The last refusal by the compat layer in a kernel log, without its timestamp; null if none. */
export function lastCompatRefusal(log: string): string | null {
  const refusals = log
    .split('\n')
    .map((line) => line.replace(TIMESTAMP, '').trimEnd())
    .filter((line) => REFUSAL.test(line));
  return refusals.at(-1) ?? null;
}
