// Prints how long each guest test file took, from the notes runInGuest
// left in .cache/guest-times (`npm test` clears them first and runs this
// last): from its first boot's start to its last boot's end, and of that
// the time its scenarios took (their SCENARIO-END lines) and the rest (the
// wait for a slot, the kernel's boot, the driver's start, the round trips
// on the host: what each boot costs besides its rows). Then the
// scenarios whose time (their SCENARIO-END line in the boots' logs) is far
// from their costSeconds, by which planBoots() fills the boots: a wrong cost
// leaves one boot running long after the others.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { SCENARIOS } from '../guest/scenarios/table.js';
import { GUEST_TIMES_DIR } from './guest.js';

/** A cost is off when the time differs from it by more than this many seconds and this share of it. */
const OFF_BY_SECONDS = 5;
const OFF_BY_SHARE = 0.3;

const notes = join(GUEST_TIMES_DIR, 'runs.tsv');
const spans = new Map<string, { from: number; to: number; boots: number }>();
for (const line of existsSync(notes) ? readFileSync(notes, 'utf8').split('\n') : []) {
  const [file, from, to] = line.split('\t');
  if (file === undefined || from === undefined || to === undefined) continue;
  const span = spans.get(file) ?? { from: Number(from), to: Number(to), boots: 0 };
  spans.set(file, { from: Math.min(span.from, Number(from)), to: Math.max(span.to, Number(to)), boots: span.boots + 1 });
}
/** Each scenario's seconds, and each test file's sum of them, from the boots' logs. */
const measured = new Map<string, number>();
const rowSeconds = new Map<string, number>();
for (const log of existsSync(GUEST_TIMES_DIR) ? readdirSync(GUEST_TIMES_DIR).filter((f) => f.endsWith('.test.log')) : []) {
  for (const line of readFileSync(join(GUEST_TIMES_DIR, log), 'utf8').split('\n')) {
    const end = /^SCENARIO-END (\S+) \S+ (\S+)/.exec(line);
    if (end === null) continue;
    if (line.includes(' done ')) measured.set(end[1]!, Number(end[2]));
    const file = log.replace(/\.log$/, '.ts');
    rowSeconds.set(file, (rowSeconds.get(file) ?? 0) + Number(end[2]));
  }
}
if (spans.size > 0) {
  process.stdout.write('\nguest test files (first boot start to last boot end; of it, the scenarios and the rest):\n');
  for (const [file, span] of [...spans].sort(([a], [b]) => a.localeCompare(b))) {
    const seconds = (span.to - span.from) / 1000;
    const rows = rowSeconds.get(file);
    const split =
      rows === undefined ? '' : `  scenarios ${rows.toFixed(1).padStart(6)} s, rest ${(seconds - rows).toFixed(1).padStart(5)} s`;
    process.stdout.write(
      `  ${file.padEnd(20)} ${seconds.toFixed(1).padStart(7)} s  (${span.boots} boot${span.boots === 1 ? '' : 's'})${split}\n`,
    );
  }
}

const off = SCENARIOS.filter((s) => {
  const seconds = measured.get(s.name);
  if (seconds === undefined) return false;
  const by = Math.abs(seconds - s.costSeconds);
  return by > OFF_BY_SECONDS && by > OFF_BY_SHARE * s.costSeconds;
});
if (off.length > 0) {
  process.stdout.write('\nscenarios whose costSeconds is off (cost -> seconds taken here):\n');
  for (const s of off)
    process.stdout.write(`  ${s.name.padEnd(24)} ${String(s.costSeconds).padStart(4)} -> ${measured.get(s.name)!.toFixed(1)}\n`);
}
