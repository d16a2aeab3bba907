// The benchmark report: medians, ratios, the markdown tables.
import test from 'ava';

import type { Sample } from '../../bench/report.js';
import { median, renderMarkdown, reportWorkload } from '../../bench/report.js';

const sample = (tool: 'cptctl' | 'criu', round: number, scale: number): Sample => ({
  tool,
  workload: 'mm-256',
  round,
  checkpointNs: 1e9 * scale,
  frozenNs: 0.9e9 * scale,
  memoryScanNs: 1e8,
  memoryWriteNs: 8e8,
  restartNs: 2e9 * scale,
  checkpointWallNs: 1.1e9 * scale,
  restartWallNs: 2.1e9 * scale,
  imageBytes: 256 * 2 ** 20,
  pagesScanned: 65536,
  pagesWritten: 65536,
});

test('median of odd and even counts, NaN of none', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.true(Number.isNaN(median([])));
});

test("ratios are cptctl over CRIU, of medians; the bandwidth share uses cptctl's image rate", (t) => {
  const samples = [1, 2, 3].flatMap((round) => [sample('cptctl', round, 0.5 + round / 100), sample('criu', round, 1)]);
  const report = reportWorkload({ name: 'mm-256', description: '', touchedMiB: 256 }, samples, 512 * 2 ** 20);
  t.is(report.cptctl.runs, 3);
  t.is(report.cptctl.checkpointNs, 0.52e9);
  t.is(report.ratio.checkpoint, 0.52);
  t.is(report.ratio.image, 1);
  // 256 MiB in 0.52 s is 492 MiB/s, of 512 MiB/s.
  t.is(Math.round(report.cptctlShareOfBandwidth * 100), 96);
  const markdown = renderMarkdown({
    kernel: '6.1.0-56-amd64',
    criuVersion: '3.17.1',
    rounds: 3,
    tmpfsBytesPerSecond: 512 * 2 ** 20,
    cptctlStartNs: 6e9,
    workloads: [report],
    samples,
  });
  t.regex(markdown, /\| mm-256 \| 520\.0 \/ 1000\.0 \| 0\.52 \|/);
  t.regex(markdown, /### Scaling with touched memory/);
  t.notRegex(markdown, /### Scaling with task count/);
});

test("the main table's title says which workloads were checkpointed --kill --tcp-established", (t) => {
  const samples = [1, 2].flatMap((round) => [sample('cptctl', round, 0.5), sample('criu', round, 1)]);
  const render = (kinds: readonly ('kill' | undefined)[]): string =>
    renderMarkdown({
      kernel: '6.1.0-56-amd64',
      criuVersion: '3.17.1',
      rounds: 2,
      tmpfsBytesPerSecond: 512 * 2 ** 20,
      cptctlStartNs: 6e9,
      workloads: kinds.map((checkpoint, i) =>
        reportWorkload(
          { name: i ? `tcp-${i}` : 'mm-256', description: '', ...(checkpoint ? { checkpoint } : {}) },
          samples.map((s) => ({ ...s, workload: i ? `tcp-${i}` : 'mm-256' })),
          512 * 2 ** 20,
        ),
      ),
      samples,
    });
  t.regex(render([undefined]), /### Checkpoint \(leave-running\), restart/);
  t.regex(render([undefined, 'kill']), /### Checkpoint \(leave-running; tcp-1: --kill --tcp-established\), restart/);
  t.regex(render(['kill']), /### Checkpoint \(--kill --tcp-established\), restart/);
});
