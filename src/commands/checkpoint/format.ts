// Rendering of a CheckpointResult: the --stats table for people, the
// --json document for programs (bigints as decimal strings). Pure.
import { formatBytes, formatDuration } from '../../units.js';
import type { CheckpointResult, MemoryStats } from './checkpoint.js';

export function formatCheckpointStats(result: CheckpointResult): string {
  const { stats } = result;
  const rows: [string, string, string][] = [
    ['frozen', formatDuration(stats.frozenNs), ''],
    ['init', formatDuration(stats.initNs), ''],
    ['manifest', '', formatBytes(stats.manifestBytes)],
    ...stats.subsystems.map((subsys): [string, string, string] => [subsys.name, formatDuration(subsys.ns), formatBytes(subsys.bytes)]),
    ['finalize', formatDuration(stats.finalizeNs), ''],
    ['total', formatDuration(stats.totalNs), stats.imageBytes === null ? '' : formatBytes(stats.imageBytes)],
  ];
  const header =
    `checkpoint of pid ${result.pid} to ${result.image === '-' ? 'stdout' : result.image}, ` + `${describeDisposition(result)}`;
  const lines = rows.map(([name, time, bytes]) => `${name.padEnd(9)} ${time.padStart(9)}  ${bytes.padStart(9)}`.trimEnd());
  if (stats.imageBytes !== null) lines.push(`image     ${stats.imageBytes} bytes`);
  lines.push(...formatMemoryStats(stats.memory));
  return `${[header, ...lines].join('\n')}\n`;
}

/** The module's figures: tasks, pages, and where the memory time went. */
export function formatMemoryStats(memory: MemoryStats): string[] {
  const lines = [`tasks     ${memory.tasks}`];
  if (memory.pagesScanned > 0n) {
    lines.push(`pages     ${memory.pagesScanned} scanned, ${memory.pagesWritten} written, ${memory.pagesSkipped} skipped`);
    lines.push(`memory    ${formatDuration(memory.scanNs)} finding pages, ${formatDuration(memory.writeNs)} writing them`);
  } else {
    lines.push(`pages     ${memory.pagesWritten} restored`);
  }
  return lines;
}

/** As the --json documents give them: bigints as decimal strings. */
export function memoryStatsJson(memory: MemoryStats): Record<string, string | number> {
  return {
    tasks: memory.tasks,
    pagesScanned: memory.pagesScanned.toString(),
    pagesWritten: memory.pagesWritten.toString(),
    pagesSkipped: memory.pagesSkipped.toString(),
    memoryScanNs: memory.scanNs.toString(),
    memoryWriteNs: memory.writeNs.toString(),
  };
}

function describeDisposition(result: CheckpointResult): string {
  switch (result.disposition) {
    case 'leave-running':
      return 'left running';
    case 'kill':
      return 'killed';
    case 'stop':
      return 'left stopped';
  }
}

/** The --json document; a stable interface for scripts, so only add to it. */
export interface CheckpointJson {
  readonly pid: number;
  readonly image: string;
  readonly action: CheckpointResult['disposition'];
  readonly argv: readonly string[];
  readonly stats: {
    readonly frozenNs: string;
    readonly totalNs: string;
    readonly initNs: string;
    readonly finalizeNs: string;
    readonly subsystems: readonly { readonly name: string; readonly ns: string; readonly bytes: string }[];
    readonly manifestBytes: number;
    readonly imageBytes: number | null;
  } & Record<string, unknown>;
}

export function checkpointJson(result: CheckpointResult): CheckpointJson {
  const { stats } = result;
  return {
    pid: result.pid,
    image: result.image,
    action: result.disposition,
    argv: result.argv,
    stats: {
      frozenNs: stats.frozenNs.toString(),
      totalNs: stats.totalNs.toString(),
      initNs: stats.initNs.toString(),
      finalizeNs: stats.finalizeNs.toString(),
      subsystems: stats.subsystems.map((subsys) => ({ name: subsys.name, ns: subsys.ns.toString(), bytes: subsys.bytes.toString() })),
      manifestBytes: stats.manifestBytes,
      imageBytes: stats.imageBytes,
      ...memoryStatsJson(stats.memory),
    },
  };
}

export function formatCheckpointJson(result: CheckpointResult): string {
  return `${JSON.stringify(checkpointJson(result), null, 2)}\n`;
}
