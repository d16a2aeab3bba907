// The structured fuzzer's short fixed-seed batch (test/fuzz/, `npm run
// fuzz` for long runs): mutants of a single process's, a 14-process tree's,
// a threaded process's and a tree nobody owns's images, each changed where
// the format has meaning (varints to 0, 1, -1, maxima and the module's
// bounds, lengths one off, repeated fields and records emptied, duplicated,
// dropped or swapped, paths to FIFOs, devices, symlinks and /proc), fed to
// restart by root and, for nobody's images, by nobody. Every mutant ends in
// a clean error or a restored tree (killed at once), none hangs, none leaves
// a task behind; a kernel warning panics the guest and fails the boot.
import { join } from 'node:path';

import { loadAddon } from '../../../src/native.js';
import { packageRoot } from '../../../src/package.js';
import { QUICK_SEEDS } from '../../fuzz/feed.js';
import { formatSummary, runFuzz } from '../../fuzz/guest.js';
import type { Scenario } from './scenario.js';

/** The batch: fixed, so that CI sees the same mutants every time it runs on the same seed images. */
const SEED = 0xc1;
const COUNT = 64;

export const fuzzScenarios: readonly Scenario[] = [
  {
    name: 'fuzz',
    run: {
      kind: 'custom',
      run: async (context) => {
        const summaries = await runFuzz(loadAddon(), {
          // Outside the scenario's directory, whose images the driver round-trips: these are big.
          seedsDir: '/tmp/cpt-fuzz-ci-seeds',
          // Kept after the boot, where `npm run fuzz` saves its own.
          outDir: join(packageRoot, '.cache', 'fuzz', 'ci-failures'),
          images: QUICK_SEEDS,
          seed: SEED,
          start: 0,
          count: COUNT,
          timeoutMs: 20_000,
          users: ['root', 'nobody'],
          keepGoing: true,
        });
        const all = summaries.map(formatSummary).join(' | ');
        const failures = summaries.flatMap((s) => s.failures);
        const listed = (what: string): string =>
          failures
            .filter((f) => f.what === what)
            .map((f) => `mutant ${f.index}: ${f.detail} (saved as ${f.saved})`)
            .join('; ');
        const fed = (user: string): number => summaries.find((s) => s.user === user)?.mutants ?? 0;
        context.result(
          'fuzz.seeds-restore',
          !failures.some((f) => f.what === 'seed-does-not-restore'),
          listed('seed-does-not-restore') || all,
        );
        context.result('fuzz.mutants', fed('root') + fed('nobody') === COUNT && fed('nobody') > 0, all);
        // Root's share: nobody's few mutants (about 8) may all be refused; its seed restoring shows nobody gets that far.
        context.result('fuzz.restored-some', (summaries.find((s) => s.user === 'root')?.restored ?? 0) > 0, all);
        context.result('fuzz.no-hang', summaries.length === 2 && summaries.every((s) => s.hangs === 0), listed('hang') || all);
        context.result(
          'fuzz.clean-errors',
          summaries.length === 2 && summaries.every((s) => s.unclean === 0),
          listed('unclean-error') || all,
        );
        context.result(
          'fuzz.no-stray-task',
          summaries.length === 2 && summaries.every((s) => s.leaked === 0),
          listed('leaked-task') || all,
        );
        await context.shell('fuzz', 'module_unloads');
      },
    },
    timeoutSeconds: 300,
    costSeconds: 29,
    checks: {
      'fuzz.seeds-restore': 'the seed images (a process, a tree, threads, a tree of nobody) restore unmutated, by root and nobody',
      'fuzz.mutants': 'the fixed-seed batch of structured mutants is fed, some by nobody',
      'fuzz.restored-some': "some of root's mutants restore (and are killed): the mutations reach past the first checks",
      'fuzz.no-hang': 'no structured mutant makes restart hang',
      'fuzz.clean-errors': 'every structured mutant ends in an errno, a refusal of the image or a restored tree',
      'fuzz.no-stray-task': 'no structured mutant leaves a task behind',
      'fuzz.module-unloads': 'the module unloads after the structured mutants',
    },
  },
];
