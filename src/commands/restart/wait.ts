// Waiting for a restored process in the foreground, as a shell waits for a
// job: the terminal's SIGINT and SIGQUIT reach the whole process group, the
// restored process included, so cptctl ignores them itself and reports how
// the process took them; SIGTERM and SIGHUP sent to cptctl are passed on.
import type { CptAddon, ExitInfo } from '../../native.js';

const IGNORED: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];
const FORWARDED: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

export async function waitForRestored(addon: Pick<CptAddon, 'waitForExit'>, pid: number): Promise<ExitInfo> {
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const signal of IGNORED) handlers.set(signal, () => undefined);
  for (const signal of FORWARDED) {
    handlers.set(signal, () => {
      try {
        process.kill(pid, signal);
      } catch {
        // Already gone: waitForExit is about to say how.
      }
    });
  }
  for (const [signal, handler] of handlers) process.on(signal, handler);
  try {
    return await addon.waitForExit(pid);
  } finally {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  }
}
