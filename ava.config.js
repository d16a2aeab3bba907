// ava's configuration: a file of its own, since the order of the test files
// is a function. The guest boots share the host's cores through one slot
// per core (test/helpers/guest.ts). The two-CPU boot needs two slots at
// once, which are free together only at the start: it goes first. The
// tests that need no guest (the host's, the plan's) run beside it, on the
// ava worker that no guest can use meanwhile; then the boots, then the
// harness's own guests.
const TWO_CPU_BOOT = 'test/guest/two-cpus.test.ts';
const NO_GUEST = ['test/host/', 'test/guest/plan.test.ts'];

/** Where a file goes: the two-CPU boot, the files that need no guest, the boots, the rest. */
function rank(file) {
  if (file.endsWith(TWO_CPU_BOOT)) return 0;
  if (NO_GUEST.some((part) => file.includes(part))) return 1;
  return /test\/guest\/boot-\d+\.test\.ts$/.test(file) ? 2 : 3;
}

export default {
  files: ['test/**/*.test.ts'],
  typescript: { rewritePaths: { 'test/': 'dist/test/' }, compile: false },
  timeout: '240m',
  concurrency: 2,
  workerThreads: false,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b, [], { numeric: true }),
};
