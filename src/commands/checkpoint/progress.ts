// The progress line a checkpoint shows on a terminal's stderr while the
// target is frozen: what is being saved, for how long, how many bytes so
// far. Redrawn in place, erased at the end.
import { formatBytes, formatDuration } from '../../units.js';

export interface ProgressState {
  readonly pid: number;
  /** What runs now: 'freezing', 'saving MM', 'finishing'. */
  readonly phase: string;
  readonly elapsedNs: bigint;
  /** Image bytes written so far, when known. */
  readonly bytes: number | null;
}

/** "checkpoint 1234: saving MM, 1.25 s, 45.6 MiB". Pure. */
export function formatProgress(state: ProgressState): string {
  const bytes = state.bytes === null ? '' : `, ${formatBytes(state.bytes)}`;
  return `checkpoint ${state.pid}: ${state.phase}, ${formatDuration(state.elapsedNs)}${bytes}`;
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
  pid: number,
  bytesSoFar: () => number | null,
  intervalMs = 100,
): ProgressReporter {
  const started = process.hrtime.bigint();
  let phase = 'starting';
  let width = 0;
  const draw = (): void => {
    const line = formatProgress({ pid, phase, elapsedNs: process.hrtime.bigint() - started, bytes: bytesSoFar() });
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
