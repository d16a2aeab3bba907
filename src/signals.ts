// Names of signal numbers, as Linux numbers them on x86-64. Pure.
import { constants as osConstants } from 'node:os';

// os.constants.signals has aliases (SIGABRT/SIGIOT, SIGIO/SIGPOLL): the first listed wins.
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(osConstants.signals)) {
  if (!SIGNAL_NAMES.has(number)) SIGNAL_NAMES.set(number, name);
}

/** The kernel's first real-time signal; glibc's SIGRTMIN is 34, after two it keeps. */
const KERNEL_SIGRTMIN = 32;

/** "SIGTERM"; "SIGRT3" for real-time ones; "signal 99" for the unknown. */
export function signalName(signo: number): string {
  const name = SIGNAL_NAMES.get(signo);
  if (name !== undefined) return name;
  if (signo >= KERNEL_SIGRTMIN && signo <= 64) return `SIGRT${signo - KERNEL_SIGRTMIN}`;
  return `signal ${signo}`;
}
