// The progress line a checkpoint or a restart shows on a terminal's stderr:
// what runs now, for how long, how many image bytes so far. Redrawn in
// place, erased at the end.
import { formatBytes, formatDuration } from './units.js';

export interface ProgressState {
  /** Whose progress: 'checkpoint 1234', 'restart 1234'. */
  readonly label: string;
  /** What runs now: 'freezing', 'saving MM', 'restoring', 'finishing'. */
  readonly phase: string;
  readonly elapsedNs: bigint;
  /** Image bytes written or read so far, when known. */
  readonly bytes: number | null;
  /** The image's whole size, when known (a restart's). */
  readonly totalBytes?: number | undefined;
}

/** "checkpoint 1234: saving MM, 1.25 s, 45.6 MiB", "restart 1234: restoring, 2.00 s, 12 MiB of 256 MiB (4%)". Pure. */
export function formatProgress(state: ProgressState): string {
  let bytes = '';
  if (state.bytes !== null) {
    bytes = `, ${formatBytes(state.bytes)}`;
    if (state.totalBytes) {
      bytes += ` of ${formatBytes(state.totalBytes)} (${Math.floor((100 * state.bytes) / state.totalBytes)}%)`;
    }
  }
  return `${state.label}: ${state.phase}, ${formatDuration(state.elapsedNs)}${bytes}`;
}

export interface ProgressReporter {
  phase(phase: string): void;
  stop(): void;
}

/** Reports nothing: stderr is not a terminal. */
export const silentProgress: ProgressReporter = { phase: () => undefined, stop: () => undefined };

export interface TerminalLike {
  write(text: string): unknown;
}

/** Redraws the line every `intervalMs` until stop(). */
export function terminalProgress(
  terminal: TerminalLike,
  label: string,
  bytesSoFar: () => number | null,
  intervalMs = 100,
  totalBytes?: number,
): ProgressReporter {
  const started = process.hrtime.bigint();
  let phase = 'starting';
  let width = 0;
  const draw = (): void => {
    const line = formatProgress({ label, phase, elapsedNs: process.hrtime.bigint() - started, bytes: bytesSoFar(), totalBytes });
    terminal.write(`\r${line.padEnd(width)}`);
    width = line.length;
  };
  const timer = setInterval(draw, intervalMs);
  timer.unref();
  return {
    phase(next) {
      phase = next;
      draw();
    },
    stop() {
      clearInterval(timer);
      terminal.write(`\r${' '.repeat(width)}\r`);
    },
  };
}
