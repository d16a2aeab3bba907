// Rendering of a restart's --stats, for people and for --json. Pure.
import { formatBytes, formatDuration } from '../../units.js';
import { formatMemoryStats, memoryStatsJson } from '../checkpoint/format.js';
import type { Restarted } from './restart.js';

export function formatRestartStats(restarted: Restarted): string {
  const { stats } = restarted;
  const rows: [string, string][] = [
    ['init', formatDuration(stats.initNs)],
    ['restore', formatDuration(stats.restoreNs)],
    ['finalize', formatDuration(stats.finalizeNs)],
    ['total', formatDuration(stats.totalNs)],
  ];
  const lines = [
    `restart of pid ${restarted.rootPid} (${restarted.tasks} ${restarted.tasks === 1 ? 'task' : 'tasks'}) ` +
      `from ${formatBytes(stats.imageBytes)}`,
    ...rows.map(([name, time]) => `${name.padEnd(9)} ${time.padStart(9)}`),
    ...formatMemoryStats(stats.memory),
  ];
  return `${lines.join('\n')}\n`;
}

/** The "stats" of restart's --json document; a stable interface, so only add to it. */
export function restartStatsJson(restarted: Restarted): Record<string, string | number> {
  const { stats } = restarted;
  return {
    rootPid: restarted.rootPid,
    totalNs: stats.totalNs.toString(),
    initNs: stats.initNs.toString(),
    restoreNs: stats.restoreNs.toString(),
    finalizeNs: stats.finalizeNs.toString(),
    imageBytes: stats.imageBytes,
    ...memoryStatsJson(stats.memory),
  };
}
