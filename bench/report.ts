// What `npm run bench` reports: medians of the samples of each workload and
// tool, cptctl/CRIU ratios, and the tables of docs/benchmarks.md. Pure.

export type Tool = 'cptctl' | 'criu';

/** One checkpoint and restart of one workload by one tool. Times in ns. */
export interface Sample {
  readonly tool: Tool;
  readonly workload: string;
  readonly round: number;
  /** As the tool measures it: cptctl from INIT to FINALIZE; CRIU freezing + frozen time. */
  readonly checkpointNs: number;
  /** How long the tasks were frozen (the downtime of a leave-running checkpoint). */
  readonly frozenNs: number;
  /** Finding the pages and copying them into the image. */
  readonly memoryScanNs: number;
  readonly memoryWriteNs: number;
  /** As the tool measures it: cptctl from INIT to FINALIZE; CRIU's restore time. */
  readonly restartNs: number;
  /** The whole command, process start included (cptctl: the call, node being already up). */
  readonly checkpointWallNs: number;
  readonly restartWallNs: number;
  readonly imageBytes: number;
  readonly pagesScanned: number;
  readonly pagesWritten: number;
}

export interface Workload {
  readonly name: string;
  readonly description: string;
  /** For the scaling tables: MiB of touched memory, or tasks. */
  readonly touchedMiB?: number;
  readonly tasks?: number;
  /**
   * How the checkpoint ends the tree: leave-running (undefined), or 'kill'
   * with --tcp-established, for a server whose connections to clients
   * outside the tree must go on after the restart.
   */
  readonly checkpoint?: 'kill';
}

export interface Medians {
  readonly checkpointNs: number;
  readonly frozenNs: number;
  readonly restartNs: number;
  readonly checkpointWallNs: number;
  readonly restartWallNs: number;
  readonly imageBytes: number;
  readonly memoryScanNs: number;
  readonly memoryWriteNs: number;
  readonly pagesWritten: number;
  readonly runs: number;
}

export interface WorkloadReport {
  readonly workload: Workload;
  readonly cptctl: Medians;
  readonly criu: Medians;
  /** cptctl / CRIU: below 1, cptctl is faster or smaller. */
  readonly ratio: { readonly checkpoint: number; readonly restart: number; readonly frozen: number; readonly image: number };
  /** Image bytes per second of cptctl's checkpoint, as a share of the tmpfs bandwidth. */
  readonly cptctlShareOfBandwidth: number;
}

export interface BenchReport {
  readonly kernel: string;
  readonly criuVersion: string;
  readonly rounds: number;
  /** Bytes per second a plain write from memory into tmpfs reaches in the same boot. */
  readonly tmpfsBytesPerSecond: number;
  /** `cptctl --version` in the guest: what starting node costs each command. */
  readonly cptctlStartNs: number;
  readonly workloads: readonly WorkloadReport[];
  readonly samples: readonly Sample[];
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function mediansOf(samples: readonly Sample[]): Medians {
  const of = (pick: (sample: Sample) => number): number => median(samples.map(pick));
  return {
    checkpointNs: of((s) => s.checkpointNs),
    frozenNs: of((s) => s.frozenNs),
    restartNs: of((s) => s.restartNs),
    checkpointWallNs: of((s) => s.checkpointWallNs),
    restartWallNs: of((s) => s.restartWallNs),
    imageBytes: of((s) => s.imageBytes),
    memoryScanNs: of((s) => s.memoryScanNs),
    memoryWriteNs: of((s) => s.memoryWriteNs),
    pagesWritten: of((s) => s.pagesWritten),
    runs: samples.length,
  };
}

export function reportWorkload(workload: Workload, samples: readonly Sample[], tmpfsBytesPerSecond: number): WorkloadReport {
  const mine = samples.filter((s) => s.workload === workload.name);
  const cptctl = mediansOf(mine.filter((s) => s.tool === 'cptctl'));
  const criu = mediansOf(mine.filter((s) => s.tool === 'criu'));
  return {
    workload,
    cptctl,
    criu,
    ratio: {
      checkpoint: cptctl.checkpointNs / criu.checkpointNs,
      restart: cptctl.restartNs / criu.restartNs,
      frozen: cptctl.frozenNs / criu.frozenNs,
      image: cptctl.imageBytes / criu.imageBytes,
    },
    cptctlShareOfBandwidth: cptctl.imageBytes / (cptctl.checkpointNs / 1e9) / tmpfsBytesPerSecond,
  };
}

const ms = (ns: number): string => (ns / 1e6).toFixed(ns < 1e7 ? 2 : 1);
const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(bytes < 10 * 2 ** 20 ? 2 : 1);
const x = (ratio: number): string => (Number.isFinite(ratio) ? ratio.toFixed(2) : 'n/a');
const pct = (share: number): string => `${(share * 100).toFixed(0)}%`;

function table(head: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${head.join(' | ')} |`,
    `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ];
}

/** How the main table's title says which checkpoints were leave-running and which --kill. */
function checkpointKinds(workloads: readonly WorkloadReport[]): string {
  const killed = workloads.filter((w) => w.workload.checkpoint === 'kill').map((w) => w.workload.name);
  if (killed.length === 0) return 'leave-running';
  if (killed.length === workloads.length) return '--kill --tcp-established';
  return `leave-running; ${killed.join(', ')}: --kill --tcp-established`;
}

/** The markdown of docs/benchmarks.md's results section. */
export function renderMarkdown(report: BenchReport): string {
  const lines: string[] = [
    `Kernel ${report.kernel}, CRIU ${report.criuVersion}, ${report.rounds} rounds (medians), ` +
      `tmpfs write bandwidth ${mib(report.tmpfsBytesPerSecond)} MiB/s, ` +
      `cptctl start-up (node) ${ms(report.cptctlStartNs)} ms per command (not in the figures below).`,
    '',
    `### Checkpoint (${checkpointKinds(report.workloads)}), restart, downtime, image size`,
    '',
    ...table(
      [
        'workload',
        'checkpoint ms cptctl / CRIU',
        'ratio',
        'restart ms cptctl / CRIU',
        'ratio',
        'frozen ms cptctl / CRIU',
        'ratio',
        'image MiB cptctl / CRIU',
        'ratio',
        'cptctl share of tmpfs bw',
      ],
      report.workloads.map((w) => [
        w.workload.name,
        `${ms(w.cptctl.checkpointNs)} / ${ms(w.criu.checkpointNs)}`,
        x(w.ratio.checkpoint),
        `${ms(w.cptctl.restartNs)} / ${ms(w.criu.restartNs)}`,
        x(w.ratio.restart),
        `${ms(w.cptctl.frozenNs)} / ${ms(w.criu.frozenNs)}`,
        x(w.ratio.frozen),
        `${mib(w.cptctl.imageBytes)} / ${mib(w.criu.imageBytes)}`,
        x(w.ratio.image),
        pct(w.cptctlShareOfBandwidth),
      ]),
    ),
    '',
    '### Whole commands (process start included; cptctl without node start-up)',
    '',
    ...table(
      ['workload', 'checkpoint ms cptctl / CRIU', 'restart ms cptctl / CRIU'],
      report.workloads.map((w) => [
        w.workload.name,
        `${ms(w.cptctl.checkpointWallNs)} / ${ms(w.criu.checkpointWallNs)}`,
        `${ms(w.cptctl.restartWallNs)} / ${ms(w.criu.restartWallNs)}`,
      ]),
    ),
    '',
    "### Where a checkpoint's memory time goes (ms: finding pages / writing them)",
    '',
    ...table(
      ['workload', 'cptctl', 'CRIU (memdump / memwrite)', 'pages written cptctl / CRIU'],
      report.workloads.map((w) => [
        w.workload.name,
        `${ms(w.cptctl.memoryScanNs)} / ${ms(w.cptctl.memoryWriteNs)}`,
        `${ms(w.criu.memoryScanNs)} / ${ms(w.criu.memoryWriteNs)}`,
        `${w.cptctl.pagesWritten} / ${w.criu.pagesWritten}`,
      ]),
    ),
  ];
  const scaling = (title: string, pick: (w: Workload) => number | undefined, unit: string): void => {
    const rows = report.workloads.filter((w) => pick(w.workload) !== undefined);
    if (rows.length === 0) return;
    lines.push(
      '',
      `### Scaling with ${title}`,
      '',
      ...table(
        [unit, 'checkpoint ms cptctl', 'CRIU', 'restart ms cptctl', 'CRIU'],
        rows.map((w) => [
          String(pick(w.workload)),
          ms(w.cptctl.checkpointNs),
          ms(w.criu.checkpointNs),
          ms(w.cptctl.restartNs),
          ms(w.criu.restartNs),
        ]),
      ),
    );
  };
  scaling('touched memory', (w) => w.touchedMiB, 'MiB touched');
  scaling('task count', (w) => w.tasks, 'tasks');
  return `${lines.join('\n')}\n`;
}
