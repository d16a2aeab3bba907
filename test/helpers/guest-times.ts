// Prints how long each guest test file took, from the notes runInGuest
// left in .cache/guest-times (`npm test` clears them first and runs this
// last): from its first boot's start to its last boot's end.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { GUEST_TIMES_DIR } from './guest.js';

const notes = join(GUEST_TIMES_DIR, 'runs.tsv');
const spans = new Map<string, { from: number; to: number; boots: number }>();
for (const line of existsSync(notes) ? readFileSync(notes, 'utf8').split('\n') : []) {
  const [file, from, to] = line.split('\t');
  if (file === undefined || from === undefined || to === undefined) continue;
  const span = spans.get(file) ?? { from: Number(from), to: Number(to), boots: 0 };
  spans.set(file, { from: Math.min(span.from, Number(from)), to: Math.max(span.to, Number(to)), boots: span.boots + 1 });
}
if (spans.size > 0) {
  process.stdout.write('\nguest test files (first boot start to last boot end):\n');
  for (const [file, span] of [...spans].sort(([a], [b]) => a.localeCompare(b))) {
    const seconds = ((span.to - span.from) / 1000).toFixed(1);
    process.stdout.write(`  ${file.padEnd(20)} ${seconds.padStart(7)} s  (${span.boots} boot${span.boots === 1 ? '' : 's'})\n`);
  }
}
