// How a restored process ended, as cptctl reports it: the exit status a
// shell would give (its code, or 128 + the signal), and words for it. Pure.
import type { ExitInfo } from '../../native.js';
import { signalName } from '../../signals.js';

/** The exit status a shell reports for `exit`: the code, or 128 + the signal number. */
export function shellExitStatus(exit: ExitInfo): number {
  if (exit.code !== null) return exit.code;
  if (exit.signal !== null) return 128 + exit.signal;
  throw new Error('an exit with neither a code nor a signal');
}

/** "exited with status 3", "was killed by SIGKILL (core dumped)". */
export function describeExit(exit: ExitInfo): string {
  if (exit.code !== null) return `exited with status ${exit.code}`;
  if (exit.signal !== null) return `was killed by ${signalName(exit.signal)}${exit.coreDumped ? ' (core dumped)' : ''}`;
  return 'ended';
}

/** The --json form of an exit. */
export function exitJson(exit: ExitInfo): { code: number | null; signal: string | null; status: number } {
  return {
    code: exit.code,
    signal: exit.signal === null ? null : signalName(exit.signal),
    status: shellExitStatus(exit),
  };
}
