// The fuzzer in the guest, as root: makes the seed images that are missing,
// the hostile paths' fixtures, then feeds root's share of the mutants in
// this process and nobody's share in a second node run as nobody (with
// CAP_CHECKPOINT_RESTORE, /dev/cpt made 0666 as an unprivileged user's
// machine would have it). Prints one `FUZZ-SUMMARY {json}` line per user on
// stdout; progress and failing mutants on stderr. Exit status 0 when no
// mutant failed, 1 when one did, 2 on a usage or setup error.
//   node dist/test/fuzz/guest.js --seeds DIR --out DIR --seed S --start K --count N
//     [--images a,b,...] [--timeout-ms T] [--user root|nobody|both] [--keep-going]
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, mkdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { imageAbiOf } from '../../src/image/abi.js';
import { PROTO_PATH } from '../../src/image/schema.js';
import type { CptAddon } from '../../src/native.js';
import { loadAddon } from '../../src/native.js';
import type { FeedSummary, User } from './feed.js';
import { feed, loadSeeds, log, makeFixtures, makeSeeds, prepareHugePages, releaseHugePages, SEED_SPECS } from './feed.js';

export interface FuzzOptions {
  readonly seedsDir: string;
  readonly outDir: string;
  readonly images: readonly string[];
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly users: readonly User[];
  readonly keepGoing: boolean;
}

export const DEFAULT_TIMEOUT_MS = 20_000;
const SUMMARY = 'FUZZ-SUMMARY ';

export function parseArgs(argv: readonly string[]): FuzzOptions {
  const value = (name: string): string | undefined => {
    const at = argv.indexOf(`--${name}`);
    return at < 0 ? undefined : argv[at + 1];
  };
  const number = (name: string, fallback: number): number => {
    const given = value(name);
    const parsed = given === undefined ? fallback : Number(given);
    if (!Number.isSafeInteger(parsed) || parsed < 0) throw new Error(`--${name} ${given}: not a count`);
    return parsed;
  };
  const user = value('user') ?? 'both';
  if (!['root', 'nobody', 'both'].includes(user)) throw new Error(`--user ${user}: root, nobody or both`);
  const images = (value('images') ?? SEED_SPECS.map((spec) => spec.name).join(',')).split(',');
  for (const name of images) if (!SEED_SPECS.some((spec) => spec.name === name)) throw new Error(`--images: no seed named ${name}`);
  const seedsDir = value('seeds');
  const outDir = value('out');
  if (seedsDir === undefined || outDir === undefined) throw new Error('--seeds DIR and --out DIR are needed');
  return {
    seedsDir,
    outDir,
    images,
    seed: number('seed', 1),
    start: number('start', 0),
    count: number('count', 1000),
    timeoutMs: number('timeout-ms', DEFAULT_TIMEOUT_MS),
    users: user === 'both' ? ['root', 'nobody'] : [user as User],
    keepGoing: argv.includes('--keep-going'),
  };
}

function argsOf(options: FuzzOptions, user: User, outDir: string): string[] {
  return [
    ...['--seeds', options.seedsDir, '--out', outDir, '--images', options.images.join(',')],
    ...['--seed', String(options.seed), '--start', String(options.start), '--count', String(options.count)],
    ...['--timeout-ms', String(options.timeoutMs), '--user', user, '--feed-only'],
    ...(options.keepGoing ? ['--keep-going'] : []),
  ];
}

/** nobody's share, in a node of its own; its summary, or null when it printed none. */
async function feedAsNobody(options: FuzzOptions): Promise<FeedSummary | null> {
  const outDir = join(options.outDir, 'nobody');
  mkdirSync(outDir, { recursive: true });
  chownSync(outDir, 65534, 65534);
  const child = spawn(
    'setpriv',
    [
      ...['--reuid=nobody', '--regid=nogroup', '--clear-groups'],
      ...['--inh-caps=+checkpoint_restore', '--ambient-caps=+checkpoint_restore'],
      process.execPath,
      fileURLToPath(import.meta.url),
      ...argsOf(options, 'nobody', outDir),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  await new Promise((resolve) => child.once('exit', resolve));
  const line = stdout.split('\n').find((l) => l.startsWith(SUMMARY));
  return line === undefined ? null : (JSON.parse(line.slice(SUMMARY.length)) as FeedSummary);
}

/**
 * Seed images are kept per kernel release and schema: an image restarts only
 * on the release that made it, and a changed schema may change what a
 * mutation picks.
 */
export function seedsDirFor(base: string): string {
  const schema = createHash('sha256').update(readFileSync(PROTO_PATH)).digest('hex').slice(0, 12);
  return resolve(base, `${release()}-${schema}`);
}

/** The whole run as root: seeds, fixtures, root's share here, nobody's in its own process. */
export async function runFuzz(addon: CptAddon, given: FuzzOptions): Promise<FeedSummary[]> {
  const options = { ...given, seedsDir: seedsDirFor(given.seedsDir), outDir: resolve(given.outDir) };
  log(`seed images in ${options.seedsDir}, failing mutants saved in ${options.outDir}`);
  const specs = SEED_SPECS.filter((spec) => options.images.includes(spec.name));
  // An image holds every SysV object of the namespace its maker may read,
  // not only those of its tree (a finding of the security review): objects
  // left by whatever ran before (other scenarios of the boot) would be in
  // every seed, and root's would make nobody's restarts collide (EEXIST).
  spawnSync('ipcrm', ['--all']);
  // The hugetlb seed's pages, given back at the end: later scenarios of the boot count free huge pages.
  const hugePagesWere = specs.some((spec) => spec.hugePages === true) ? prepareHugePages() : undefined;
  const summaries: FeedSummary[] = [];
  try {
    await makeSeeds(addon, options.seedsDir, specs);
    makeFixtures();
    mkdirSync(options.outDir, { recursive: true });
    chmodSync('/dev/cpt', 0o666);
    if (options.users.includes('root')) summaries.push(await feedAs(addon, options, 'root', options.outDir));
    const failed = summaries.some((s) => s.failures.length > 0);
    if (options.users.includes('nobody') && (!failed || options.keepGoing)) {
      const nobody = await feedAsNobody(options);
      if (nobody === null) throw new Error('the fuzzer run as nobody printed no summary');
      summaries.push(nobody);
    }
  } finally {
    chmodSync('/dev/cpt', 0o600);
    if (hugePagesWere !== undefined) releaseHugePages(hugePagesWere);
  }
  return summaries;
}

async function feedAs(addon: CptAddon, options: FuzzOptions, user: User, outDir: string): Promise<FeedSummary> {
  const abi = imageAbiOf(addon);
  const seeds = await loadSeeds(abi, options.seedsDir, options.images);
  return feed({
    abi,
    addon,
    seeds,
    seedsDir: options.seedsDir,
    seed: options.seed,
    start: options.start,
    count: options.count,
    user,
    timeoutMs: options.timeoutMs,
    outDir,
    keepGoing: options.keepGoing,
  });
}

export function formatSummary(summary: FeedSummary): string {
  const outcomes = Object.entries(summary.outcomes)
    .sort((a, b) => b[1] - a[1])
    .map(([name, n]) => `${name} ${n}`)
    .join(', ');
  const kinds = Object.entries(summary.kinds)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(', ');
  return (
    `${summary.user}: ${summary.mutants} mutants (${kinds}) in ${summary.seconds.toFixed(0)} s, ${summary.restored} restored (and killed), ` +
    `${summary.hangs} hangs, ${summary.leaked} with tasks left behind, ${summary.unclean} unclean errors; errors: ${outcomes}; ` +
    `ms making mutants ${summary.generateMs}, restarting ${summary.restartMs}, cleaning up ${summary.cleanupMs}`
  );
}

async function main(): Promise<number> {
  let options: FuzzOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error: unknown) {
    log((error as Error).message);
    return 2;
  }
  const addon = loadAddon();
  let summaries: FeedSummary[];
  if (process.argv.includes('--feed-only')) {
    summaries = [await feedAs(addon, options, options.users[0]!, options.outDir)];
  } else {
    summaries = await runFuzz(addon, options);
  }
  for (const summary of summaries) {
    process.stdout.write(`${SUMMARY}${JSON.stringify(summary)}\n`);
    log(formatSummary(summary));
  }
  return summaries.some((s) => s.failures.length > 0) ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (status) => process.exit(status),
    (error: unknown) => {
      log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(2);
    },
  );
}
