// ava's configuration: a file of its own, since the order of the test files
// is a function. The guest boots share the host's cores through one slot
// per core (test/helpers/guest.ts). The two-CPU boot needs two slots at
// once, which are free together only at the start: it goes first, then
// the plan's checks (host only: while they run, that boot takes its slots
// before any one-CPU boot asks), then the boots, then the host's tests,
// which fill a core that the last boot leaves idle.
const FIRST = ['test/guest/two-cpus.test.ts', 'test/guest/plan.test.ts', 'test/host/plan.test.ts'];

/** Where a file goes: those of FIRST in their order, then the guest's, then the host's. */
function rank(file) {
  const first = FIRST.findIndex((name) => file.endsWith(name));
  if (first >= 0) return first;
  return FIRST.length + (file.includes('test/guest/') ? 0 : 1);
}

export default {
  files: ['test/**/*.test.ts'],
  typescript: { rewritePaths: { 'test/': 'dist/test/' }, compile: false },
  timeout: '110m',
  concurrency: 2,
  workerThreads: false,
  sortTestFiles: (a, b) => rank(a) - rank(b) || a.localeCompare(b, [], { numeric: true }),
};
