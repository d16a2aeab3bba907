// The structured fuzzer's short fixed-seed batches (test/fuzz/, `npm run
// fuzz` for long runs): mutants of a single process's, a 14-process tree's,
// a threaded process's and a tree nobody owns's images (fuzz), and of images
// each made for one kind of object: established TCP connections, closing
// and half-closed ones, unix datagram sockets, fanotify groups, netlink and
// packet sockets, hugetlb memory (fuzz-kinds); each changed where
// the format has meaning (varints to 0, 1, -1, maxima and the module's
// bounds, lengths one off, repeated fields and records emptied, duplicated,
// dropped or swapped, paths to FIFOs, devices, symlinks and /proc), fed to
// restart by root and, for nobody's images, by nobody. Every mutant ends in
// a clean error or a restored tree (killed at once), none hangs, none leaves
// a task behind; a kernel warning panics the guest and fails the boot.
import { join } from 'node:path';

import { loadAddon } from '../../../src/native.js';
import { packageRoot } from '../../../src/package.js';
import type { User } from '../../fuzz/feed.js';
import { KIND_SEEDS, QUICK_SEEDS } from '../../fuzz/feed.js';
import { formatSummary, runFuzz } from '../../fuzz/guest.js';
import { MUTATION_KINDS } from '../../fuzz/mutations.js';
import { depth } from './depth.js';
import type { Scenario } from './scenario.js';

/** The batch: fixed, so that CI sees the same mutants every time it runs on the same seed images. */
const SEED = 0xc1;
/**
 * fuzz's mutants: a short batch in the default suite, in which every kind
 * of mutation and every seed image still come up (the every-kind check;
 * with this seed, each kind is first picked by mutant 18), twice as many
 * under `npm run test:deep` (`npm run fuzz` for long runs). The seeds are
 * taken in turn, so nobody gets every 8th mutant, 4 of the 32. In one boot
 * each on a busy host: 45.5 s with 64, 37.0 s with 32 (making the seed
 * images takes most of the rest).
 */
const FUZZ_COUNT = depth(32, 64);
/**
 * fuzz-kinds' are not cut: its ten seed images take most of its time, and
 * 40 mutants fewer would save some 5 s (80 mutants took 14 s of its 23.7).
 */
const FUZZ_KINDS_COUNT = 80;

interface Batch {
  readonly name: string;
  readonly images: readonly string[];
  readonly count: number;
  readonly users: readonly User[];
  /** Where its failing mutants are kept after the boot (under .cache/fuzz, where `npm run fuzz` saves its own). */
  readonly failures: string;
  /**
   * A second batch of these images' mutants, by root, resumed in the same
   * boot where the first ended (as a long run's batches may be): what the
   * first run's end undid (the hugetlbfs mount) is made again.
   */
  readonly resume?: { readonly images: readonly string[]; readonly count: number };
}

/** A fixed-seed batch of mutants of `images`, and its checks (named after the row). */
function fuzzRun(batch: Batch): Scenario['run'] {
  const { name, images, count, users, failures: failuresDir, resume } = batch;
  const options = {
    // Outside the scenario's directory, whose images the driver round-trips: these are big.
    seedsDir: '/tmp/cpt-fuzz-ci-seeds',
    outDir: join(packageRoot, '.cache', 'fuzz', failuresDir),
    images,
    seed: SEED,
    start: 0,
    count,
    timeoutMs: 20_000,
    users,
    keepGoing: true,
  };
  return {
    kind: 'custom',
    run: async (context) => {
      const summaries = await runFuzz(loadAddon(), options);
      const all = summaries.map(formatSummary).join(' | ');
      const failures = summaries.flatMap((s) => s.failures);
      const listed = (what: string): string =>
        failures
          .filter((f) => f.what === what)
          .map((f) => `mutant ${f.index}: ${f.detail} (saved as ${f.saved})`)
          .join('; ');
      const fed = (user: string): number => summaries.find((s) => s.user === user)?.mutants ?? 0;
      const everyUser = summaries.length === users.length;
      context.result(
        `${name}.seeds-restore`,
        !failures.some((f) => f.what === 'seed-does-not-restore'),
        listed('seed-does-not-restore') || all,
      );
      context.result(`${name}.mutants`, users.reduce((n, user) => n + fed(user), 0) === count && users.every((user) => fed(user) > 0), all);
      // Root's share: nobody's few mutants (4 of fuzz's 32, 8 of the deep run's 64) may all be refused; its seed restoring shows nobody gets that far.
      context.result(`${name}.restored-some`, (summaries.find((s) => s.user === 'root')?.restored ?? 0) > 0, all);
      // The short batch of the default suite must still reach every kind of mutation and every seed image.
      const fedBy = (key: 'kinds' | 'seeds', wanted: readonly string[]): string[] =>
        wanted.filter((item) => !summaries.some((s) => (s[key][item] ?? 0) > 0));
      const missed = [...fedBy('kinds', MUTATION_KINDS), ...fedBy('seeds', images)];
      context.result(`${name}.every-kind`, everyUser && missed.length === 0, missed.length > 0 ? `none of: ${missed.join(', ')}` : all);
      context.result(`${name}.no-hang`, everyUser && summaries.every((s) => s.hangs === 0), listed('hang') || all);
      context.result(`${name}.clean-errors`, everyUser && summaries.every((s) => s.unclean === 0), listed('unclean-error') || all);
      context.result(`${name}.no-stray-task`, everyUser && summaries.every((s) => s.leaked === 0), listed('leaked-task') || all);
      if (resume !== undefined) {
        const [again] = await runFuzz(loadAddon(), { ...options, ...resume, start: count, users: ['root'] });
        const clean = again?.mutants === resume.count && again.failures.length === 0 && again.hangs + again.leaked + again.unclean === 0;
        const what =
          again === undefined ? 'no summary' : `${formatSummary(again)}; ${again.failures.map((f) => `${f.what}: ${f.detail}`).join('; ')}`;
        context.result(`${name}.same-boot-resume`, clean, what);
      }
      await context.shell('fuzz', 'module_unloads');
    },
  };
}

/** The checks of a batch's row; `seeds` says what they are. */
function fuzzChecks(name: string, seeds: string, resume?: string): Scenario['checks'] {
  return {
    [`${name}.seeds-restore`]: `the seed images (${seeds}) restore unmutated`,
    [`${name}.mutants`]: `the fixed-seed batch of structured mutants of ${seeds} is fed`,
    [`${name}.every-kind`]: `the batch of mutants of ${seeds} holds every kind of mutation and mutants of every seed image`,
    [`${name}.restored-some`]: `some of root's mutants of ${seeds} restore (and are killed): the mutations reach past the first checks`,
    [`${name}.no-hang`]: `no structured mutant of ${seeds} makes restart hang`,
    [`${name}.clean-errors`]: `every structured mutant of ${seeds} ends in an errno, a refusal of the image or a restored tree`,
    [`${name}.no-stray-task`]: `no structured mutant of ${seeds} leaves a task behind`,
    ...(resume === undefined
      ? {}
      : {
          [`${name}.same-boot-resume`]: `a second batch of mutants of ${resume}, resumed in the same boot, restores its seeds and feeds every mutant cleanly`,
        }),
    [`${name}.module-unloads`]: `the module unloads after the structured mutants of ${seeds}`,
  };
}

export const fuzzScenarios: readonly Scenario[] = [
  {
    name: 'fuzz',
    run: fuzzRun({ name: 'fuzz', images: QUICK_SEEDS, count: FUZZ_COUNT, users: ['root', 'nobody'], failures: 'ci-failures' }),
    timeoutSeconds: 300,
    costSeconds: depth(21, 26.5),
    checks: fuzzChecks('fuzz', 'a process, a tree, threads, a tree of nobody, by root and nobody'),
  },
  {
    // Mutants of images each made for one kind of object, half of their
    // field mutations in that object's fields (test/fuzz/feed.ts's focus).
    name: 'fuzz-kinds',
    run: fuzzRun({
      name: 'fuzz-kinds',
      images: KIND_SEEDS,
      count: FUZZ_KINDS_COUNT,
      users: ['root'],
      failures: 'ci-kinds-failures',
      resume: { images: ['hugetlb'], count: 4 },
    }),
    timeoutSeconds: 230,
    // 23.8 s in the whole run of 2026-12-07 11:03 (a loaded host), 21.2 s in that of 10:12 (idle), then 4 hugetlb mutants resumed in the same boot (about 3 s).
    costSeconds: 25,
    checks: fuzzChecks(
      'fuzz-kinds',
      'established TCP connections, closing and half-closed ones, unix datagram sockets (with files in flight), files in flight in unix connections not accepted yet, fanotify groups, UDP data corked, hugetlb memory and a SHM_HUGETLB segment',
      'hugetlb memory (whose file the first batch unmounted)',
    ),
  },
];
