// The fuzzer's guest side: seed images made from real workloads (single
// processes, a 14-process tree, threads, every rebuilt kind of file, SysV
// and POSIX IPC, and a tree owned by nobody), then mutants of them fed to
// cptctl's own restart, in this one node process (its startup is seconds
// under emulation). Every mutant must end in a clean error (an errno, or an
// image cptctl refuses) or in a restored tree, which is then killed; after
// each, every task it made must be gone. A mutant that does not settle
// within the timeout is a hang. A kernel warning panics the guest: the host
// side (cli.ts) then makes the in-flight mutant again from the seed.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { checkpoint } from '../../src/commands/checkpoint/checkpoint.js';
import { restart } from '../../src/commands/restart/restart.js';
import { CptError } from '../../src/errors.js';
import type { ImageAbi } from '../../src/image/abi.js';
import type { CptAddon } from '../../src/native.js';
import { packageRoot } from '../../src/package.js';
import { errnoCode } from '../../src/system-error.js';
import { messageType } from '../../src/image/schema.js';
import type { Focus, Mutant, SeedImage } from './mutations.js';
import { encodeSeed, mutant, seedFromImage } from './mutations.js';
import { parseMessage } from './wire.js';

export type User = 'root' | 'nobody';

export interface SeedSpec {
  readonly name: string;
  readonly workload: string;
  readonly args: (dir: string) => readonly string[];
  /** Who runs the workload: nobody's images are also restarted by nobody. */
  readonly owner: User;
  /** It calls setsid() itself (else it is started in a session of its own). */
  readonly setsid?: boolean;
  /** Half of its mutants' fields are picked among these (SeedImage.focus). */
  readonly focus?: Focus;
  /** It maps huge pages of the hugetlbfs mount HUGETLB_MOUNT (prepareHugePages()). */
  readonly hugePages?: boolean;
}

/** The hugetlbfs mount whose file the hugetlb seed maps: its image names the file there. */
export const HUGETLB_MOUNT = '/tmp/cpt-fuzz-hugetlb';
/**
 * Huge pages the hugetlb seed needs, restored with a few to spare: its
 * workload has 7 (4 of MAP_HUGETLB memory, a file's, a private copy of it,
 * a segment), a restart as many again while the file and segment stay.
 */
const HUGETLB_PAGES = 16;

/** A File's own fields under `field` (a message of it: inet, unixSocket) or starting with it (fanotify...). */
const fileFields =
  (field: string): Focus =>
  (record, at) =>
    record === 'FILES' && new RegExp(`^files\\[\\d+\\]\\.${field}`).test(at.path);

/** The fields of a VMA with huge pages, and the SysV segments (of which SHM_HUGETLB ones). */
const hugetlbFields: Focus = (record, at) =>
  (record === 'MM' &&
    at.owner.type.name === 'Vma' &&
    at.owner.fields.some((f) => f.field?.name === 'hugePageSize' && typeof f.value === 'bigint' && f.value !== 0n)) ||
  (record === 'IPC' && at.path.startsWith('shms['));

export const SEED_SPECS: readonly SeedSpec[] = [
  { name: 'cpu', workload: 'cpu_state', args: (dir) => [join(dir, 'never')], owner: 'root' },
  { name: 'tree', workload: 'tree_state', args: (dir) => [dir], owner: 'root', setsid: true },
  { name: 'threads', workload: 'threads_token', args: (dir) => [dir], owner: 'root' },
  { name: 'files', workload: 'files_anon', args: (dir) => [dir], owner: 'root' },
  { name: 'nobody-tree', workload: 'tree_state', args: (dir) => [dir], owner: 'nobody', setsid: true },
  // Last: an image holds every SysV object of the namespace its maker may
  // read, not only its tree's; made earlier, those would be in every later
  // seed too, and nobody's restart of them would collide with root's.
  { name: 'ipc', workload: 'ipc_objects', args: () => ['cpt-fuzz-mq'], owner: 'root' },
  // Each made for one kind of object, which half of its field mutations pick.
  // Established TCP connections (v4 and v6, both ends in the tree, data queued both ways).
  { name: 'tcp', workload: 'tcp_established', args: (dir) => ['pairs', dir], owner: 'root', focus: fileFields('inet\\.') },
  // TCP connections closing and half closed (CLOSE_WAIT, FIN_WAIT1, FIN_WAIT2, LAST_ACK, CLOSING, shut down for reading):
  // their states and shutdowns, which a restart checks against each other.
  { name: 'tcp-states', workload: 'tcp_states', args: (dir) => [dir], owner: 'root', focus: fileFields('inet\\.') },
  // Unix datagram sockets (bound, abstract, unbound, connected, queues with senders), stream and seqpacket ones.
  { name: 'unix-dgram', workload: 'unix_sockets', args: (dir) => [dir], owner: 'root', focus: fileFields('unixSocket\\.') },
  // Files in flight in a bound unix datagram socket's queue, from named and unnamed senders of the tree.
  { name: 'unix-dgram-rights', workload: 'unix_dgram_rights', args: (dir) => [dir], owner: 'root', focus: fileFields('unixSocket\\.') },
  // Files in flight in the messages of a unix listener's connections not accepted yet (a pipe, a file, a memfd).
  {
    name: 'unix-pending-rights',
    workload: 'unix_pending_rights',
    args: (dir) => [dir],
    owner: 'root',
    focus: fileFields('unixPending'),
  },
  // fanotify groups, privileged and not, with inode, directory, evictable and filesystem marks.
  { name: 'fanotify', workload: 'fanotify_state', args: (dir) => [dir], owner: 'root', focus: fileFields('fanotify') },
  // Netlink sockets: route and generic, bound by the kernel and to a chosen port id, groups above 32, connected, with options.
  {
    name: 'netlink',
    workload: 'netlink_sockets',
    args: (dir) => ['serve', dir],
    owner: 'root',
    focus: fileFields('(netlink|socketOptions)\\.'),
  },
  // Packet sockets: raw and datagram, bound to lo with memberships and options, and unbound.
  {
    name: 'packet',
    workload: 'packet_sockets',
    args: (dir) => ['serve', dir],
    owner: 'root',
    focus: fileFields('(packet|socketOptions)\\.'),
  },
  // UDP and UDP-Lite data corked (MSG_MORE, UDP_CORK; v4, v6, v4-mapped, connected), with the receivers.
  { name: 'udp-cork', workload: 'udp_cork', args: (dir) => ['serve', dir], owner: 'root', focus: fileFields('inet\\.udpCork') },
  // MAP_HUGETLB memory private and shared with a child, a hugetlbfs file, a SHM_HUGETLB segment:
  // after ipc, whose objects its image holds too (its own segment would be in ipc's otherwise).
  {
    name: 'hugetlb',
    workload: 'hugetlb_state',
    args: (dir) => [HUGETLB_MOUNT, dir],
    owner: 'root',
    focus: hugetlbFields,
    hugePages: true,
  },
];

/** The seeds a short run (the CI scenario) makes: one process, a tree, threads, nobody's. */
export const QUICK_SEEDS: readonly string[] = ['cpu', 'tree', 'threads', 'nobody-tree'];

/** The CI's second short run: the seeds made each for one kind of object. */
export const KIND_SEEDS: readonly string[] = [
  'tcp',
  'tcp-states',
  'unix-dgram',
  'unix-dgram-rights',
  'unix-pending-rights',
  'fanotify',
  'netlink',
  'packet',
  'udp-cork',
  'hugetlb',
];

/** Where the hostile paths of mutations.ts point (a FIFO, symlinks, a socket). */
export const FIXTURE_DIR = '/tmp/cpt-fuzz';
const WORKLOADS = join(packageRoot, 'test', 'workloads', 'build');
const NOBODY = ['--reuid=nobody', '--regid=nogroup', '--clear-groups'];
/** Seed workloads get pids from here up, a range per seed: free in any fresh boot, so that saved seeds restart there too. */
const SEED_PID_BASE = 20000;
/** Each seed's range of pids, half of it for a rerun: all of them below the guest's pid_max (32768). */
const SEED_PID_STRIDE = 800;

export function log(line: string): void {
  process.stderr.write(`fuzz: ${line}\n`);
}

/**
 * Where the seed workloads run: on the guest's tmpfs, since some make FIFOs
 * (which 9p, the repository's file system in the guest, cannot open).
 */
export const SEED_WORK_DIR = '/tmp/cpt-fuzz-seeds';

/** A seed's work directory: while it is there, what the seed's image names on the guest's tmpfs is there too. */
function seedWorkDir(spec: SeedSpec): string {
  return join(SEED_WORK_DIR, `${spec.name}.d`);
}

/**
 * Makes the images of `specs` missing from `seedsDir` (as root), each
 * NAME.img: checkpoint --kill of the workload once READY. Images kept from
 * an earlier boot are reused, for mutants that are the same from one boot to
 * the next; their workloads run again all the same, killed the same way, to
 * make again what the images name on the guest's tmpfs (directories, FIFOs).
 */
export async function makeSeeds(addon: CptAddon, seedsDir: string, specs: readonly SeedSpec[]): Promise<void> {
  const dir = resolve(seedsDir);
  mkdirSync(dir, { recursive: true });
  mkdirSync(SEED_WORK_DIR, { recursive: true, mode: 0o755 });
  for (const spec of specs) {
    const image = join(dir, `${spec.name}.img`);
    const work = seedWorkDir(spec);
    const kept = existsSync(image);
    if (kept && existsSync(work)) continue;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true, mode: 0o755 });
    if (spec.owner === 'nobody') chownSync(work, 65534, 65534);
    const out = join(SEED_WORK_DIR, `${spec.name}.out`); // not in work: tree_state wants it empty
    const fd = openSync(out, 'w');
    // What the workload has open is reopened by its restarts as its opener
    // opened it: nobody's output must be nobody's, and opened by nobody.
    if (spec.owner === 'nobody') chownSync(out, 65534, 65534);
    // The saved seed's pids are free in any fresh boot: a range per seed, another one for a rerun.
    const seedIndex = SEED_SPECS.indexOf(spec);
    writeFileSync('/proc/sys/kernel/ns_last_pid', String(SEED_PID_BASE + SEED_PID_STRIDE * seedIndex + (kept ? SEED_PID_STRIDE / 2 : 0)));
    if (spec.hugePages === true) prepareHugePages();
    const program = join(WORKLOADS, spec.workload);
    const nobody = spec.owner === 'nobody';
    const [file, args] = nobody
      ? ['setpriv', [...NOBODY, 'sh', '-c', 'exec "$0" "$@" >"$CPT_SEED_OUT" 2>&1 </dev/null', program, ...spec.args(work)]]
      : [program, spec.args(work)];
    // A session of its own, so that the image names none outside its tree.
    const child = spawn(file, args, {
      cwd: work,
      detached: spec.setsid !== true,
      stdio: nobody ? 'ignore' : ['ignore', fd, fd],
      env: { ...process.env, CPT_SEED_OUT: out },
    });
    closeSync(fd);
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const deadline = Date.now() + 60_000;
    while (!/^READY/m.test(readFileSync(out, 'utf8'))) {
      if (Date.now() > deadline || child.exitCode !== null) {
        child.kill('SIGKILL');
        throw new Error(`seed ${spec.name}: ${spec.workload} never got ready: ${readFileSync(out, 'utf8').slice(-300)}`);
      }
      await sleep(50);
    }
    const partial = `${image}.${kept ? 'rerun' : 'partial'}`;
    await checkpoint({ pid: child.pid!, output: partial, disposition: 'kill' }, { addon });
    await exited;
    if (kept) {
      rmSync(partial);
      log(`seed ${spec.name}: kept from an earlier run (${image}), its files made again`);
    } else {
      renameSync(partial, image);
      chmodSync(image, 0o644);
      log(`seed ${spec.name}: ${spec.workload} (pid ${child.pid}) saved to ${image}`);
    }
  }
}

/** The FIFO, symlinks and socket that HOSTILE_PATHS name. */
export function makeFixtures(): void {
  rmSync(FIXTURE_DIR, { recursive: true, force: true });
  mkdirSync(FIXTURE_DIR, { recursive: true });
  chmodSync(FIXTURE_DIR, 0o755);
  spawnSync('mkfifo', ['-m', '0666', join(FIXTURE_DIR, 'fifo')]);
  symlinkSync('/etc/shadow', join(FIXTURE_DIR, 'link-shadow'));
  symlinkSync(join(FIXTURE_DIR, 'link-loop'), join(FIXTURE_DIR, 'link-loop'));
  spawnSync('python3', ['-c', 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])', join(FIXTURE_DIR, 'socket')]);
  for (const user of ['root', 'nobody'] as const) mkdirSync(join(FIXTURE_DIR, user));
  chownSync(join(FIXTURE_DIR, 'nobody'), 65534, 65534);
}

export async function loadSeeds(abi: ImageAbi, dir: string, names: readonly string[]): Promise<SeedImage[]> {
  const seeds: SeedImage[] = [];
  for (const name of names) {
    const image = await seedFromImage(abi, name, readFileSync(join(dir, `${name}.img`)));
    const focus = SEED_SPECS.find((spec) => spec.name === name)?.focus;
    seeds.push(focus === undefined ? image : { ...image, focus });
  }
  return seeds;
}

/**
 * Huge pages for the hugetlb seed, and its hugetlbfs mount: the pool grown
 * to HUGETLB_PAGES free at least. What it was, to give back (releaseHugePages).
 */
export function prepareHugePages(): number {
  const was = Number(readFileSync('/proc/sys/vm/nr_hugepages', 'utf8'));
  const free = Number(/^HugePages_Free:\s*(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  if (free < HUGETLB_PAGES) writeFileSync('/proc/sys/vm/nr_hugepages', String(was + HUGETLB_PAGES - free));
  mkdirSync(HUGETLB_MOUNT, { recursive: true });
  if (!readFileSync('/proc/mounts', 'utf8').includes(` ${HUGETLB_MOUNT} hugetlbfs `)) {
    const mounted = spawnSync('mount', ['-t', 'hugetlbfs', 'none', HUGETLB_MOUNT], { encoding: 'utf8' });
    if (mounted.status !== 0) throw new Error(`cannot mount hugetlbfs on ${HUGETLB_MOUNT}: ${mounted.stderr}`);
  }
  return was;
}

/**
 * Gives the huge pages back when nothing holds them any more: the mount
 * (its file's pages), the segments, and the pool as it was. The unmount
 * takes the file the hugetlb seed's image names with it, so its work
 * directory goes too: the next run of the boot (makeSeeds()) runs its
 * workload again to make the file, where it would otherwise find the work
 * directory, think the seed's files there, and fail to restart the seed.
 */
export function releaseHugePages(was: number): void {
  spawnSync('umount', [HUGETLB_MOUNT]);
  for (const spec of SEED_SPECS) if (spec.hugePages === true) rmSync(seedWorkDir(spec), { recursive: true, force: true });
  spawnSync('ipcrm', ['--all=shm']);
  writeFileSync('/proc/sys/vm/nr_hugepages', String(was));
}

export function ownerOf(name: string): User {
  return SEED_SPECS.find((spec) => spec.name === name)?.owner ?? 'root';
}

/**
 * Who restarts mutant `index`: root, except that every other mutant of a
 * seed nobody owns is restarted by nobody (with CAP_CHECKPOINT_RESTORE,
 * which choosing a pid needs), as an unprivileged user would.
 */
export function userOf(seeds: readonly SeedImage[], index: number): User {
  const seed = seeds[index % seeds.length]!;
  return ownerOf(seed.name) === 'nobody' && Math.floor(index / seeds.length) % 2 === 1 ? 'nobody' : 'root';
}

export interface FeedOptions {
  readonly abi: ImageAbi;
  readonly addon: CptAddon;
  readonly seeds: readonly SeedImage[];
  /** Where the seeds were read from, for the in-flight note. */
  readonly seedsDir: string;
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  /** Only the mutants this user restarts (userOf) are fed; the caller runs as that user. */
  readonly user: User;
  readonly timeoutMs: number;
  /** Where the mutant in flight is written first (it survives a panic), and a failing one saved. */
  readonly outDir: string;
  /** Go on after a failing mutant (not after a hang: the session is stuck). */
  readonly keepGoing?: boolean;
}

export interface Failure {
  readonly index: number;
  readonly what: 'hang' | 'leaked-task' | 'unclean-error' | 'seed-does-not-restore';
  readonly detail: string;
  readonly saved: string;
}

export interface FeedSummary {
  user: User;
  mutants: number;
  restored: number;
  /** How the others ended: errno (or cptctl's error class) -> count. */
  outcomes: Record<string, number>;
  hangs: number;
  leaked: number;
  unclean: number;
  failures: Failure[];
  /** Mutants fed by their kind of mutation, and by the seed image they came from. */
  kinds: Record<string, number>;
  seeds: Record<string, number>;
  seconds: number;
  /** Where the time went, in ms: making mutants, restarting them, killing and checking what they left. */
  generateMs: number;
  restartMs: number;
  cleanupMs: number;
}

export const INFLIGHT = 'inflight.json';

/** The image restarted, on tmpfs, in a directory of the user's. */
function mutantPath(user: User): string {
  return join(FIXTURE_DIR, user, 'mutant.img');
}

export function savedName(seed: number, index: number): string {
  return `seed-${seed}-mutant-${index}.img`;
}

/** Saves a failing mutant under outDir, with what happened beside it; returns the image's path. */
export function saveFailure(outDir: string, seed: number, found: Mutant, user: User, what: string, detail: string): string {
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, savedName(seed, found.index));
  writeFileSync(path, found.bytes);
  writeFileSync(
    path.replace(/\.img$/, '.txt'),
    `${what}: ${detail}\nseed ${seed}, mutant ${found.index} of seed image ${found.seed}, restarted by ${user}\n` +
      `mutation (${found.kind}): ${found.detail}\nreproduce: npm run fuzz -- --seed ${seed} --start ${found.index} --count 1\n`,
  );
  return path;
}

/** The pids of every process under ours (its children, theirs, ...). */
function descendants(): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  for (const pid of parentOf.keys()) {
    for (let p = parentOf.get(pid); p !== undefined && p > 1; p = parentOf.get(p)) {
      if (p === process.pid) {
        found.push(pid);
        break;
      }
    }
  }
  return found;
}

/** "S (sleeping), ppid 1": what /proc says of a task that should be gone. */
function taskState(pid: number): string {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): string => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '?';
    return `${field('State')}, ppid ${field('PPid')}, ${field('Name')}`;
  } catch {
    return 'gone';
  }
}

/** Kills everything under us and reaps it; the pids still there after `ms`. */
async function killAll(addon: CptAddon, ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = descendants();
    if (left.length === 0) return [];
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const reaped = await Promise.race([addon.reapChildren().then(() => true), sleep(Math.max(0, deadline - Date.now())).then(() => false)]);
    if (!reaped || Date.now() > deadline) return descendants();
  }
}

type Outcome = { kind: 'restored' } | { kind: 'error'; name: string; clean: boolean; message: string } | { kind: 'hang' };

async function restartOnce(addon: CptAddon, user: User, timeoutMs: number): Promise<Outcome> {
  const attempt = restart({ image: mutantPath(user) }, { addon, pidGraceMs: 0 }).then(
    (): Outcome => ({ kind: 'restored' }),
    (error: unknown): Outcome => {
      const message = error instanceof Error ? error.message : String(error);
      if (!(error instanceof CptError))
        return { kind: 'error', name: 'unexpected', clean: false, message: String((error as Error).stack ?? message) };
      const cause = (error as { cause?: unknown }).cause;
      const code =
        errnoCode(cause) ?? errnoCode((cause as { cause?: unknown } | undefined)?.cause) ?? /\b(E[A-Z0-9]{2,})\b/.exec(message)?.[1];
      return { kind: 'error', name: code ?? error.constructor.name, clean: true, message };
    },
  );
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    attempt,
    new Promise<Outcome>((resolve) => {
      timer = setTimeout(() => resolve({ kind: 'hang' }), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  return outcome;
}

/**
 * One image through restart, and whatever it made killed: the outcome,
 * and the pids left behind (which the tree's own pids, `expectedGone`,
 * must not be either: a task the module made might not be our descendant).
 */
async function feedOne(
  options: FeedOptions,
  bytes: Buffer,
  expectedGone: readonly number[],
  times?: FeedSummary,
): Promise<{ outcome: Outcome; leaked: (number | string)[] }> {
  writeFileSync(mutantPath(options.user), bytes);
  options.addon.setChildSubreaper(true);
  const from = Date.now();
  const outcome = await restartOnce(options.addon, options.user, options.timeoutMs);
  const restarted = Date.now();
  if (times !== undefined) times.restartMs += restarted - from;
  if (outcome.kind === 'hang') {
    options.addon.setChildSubreaper(false);
    return { outcome, leaked: [] };
  }
  // restart() stops being a subreaper when it ends: anything it leaves
  // behind must still come to us.
  options.addon.setChildSubreaper(true);
  const killed: (number | string)[] = await killAll(options.addon, 5000);
  // Between the end of restart() and the line above, a restored task whose
  // parent died (bad registers) was orphaned to init, not to us: kill the
  // tree's pids by number, and count what survives a SIGKILL and 5 s.
  let stillThere = expectedGone.filter((pid) => existsSync(`/proc/${pid}`));
  for (const deadline = Date.now() + 5000; stillThere.length > 0 && Date.now() < deadline;) {
    for (const pid of stillThere) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await sleep(50);
    stillThere = expectedGone.filter((pid) => existsSync(`/proc/${pid}`));
  }
  const leaked = [...new Set([...killed, ...stillThere.map((pid) => `${pid} (${taskState(pid)})`)])];
  if (times !== undefined) times.cleanupMs += Date.now() - restarted;
  // Not a subreaper past this mutant: the fuzz scenario runs in the guest
  // driver's node, which would adopt later scenarios' orphans and never
  // reap them (their zombies keep pids a later restart needs).
  options.addon.setChildSubreaper(false);
  return { outcome, leaked };
}

/** The pids of a seed's tree, which must be free after each of its mutants. */
function treePids(seed: SeedImage, abi: ImageAbi): number[] {
  const tree = seed.records.find((record) => record.type === abi.types.TREE);
  if (tree === undefined) return [];
  const pids: number[] = [];
  // Tree.tasks[].pid: field 1 of field 1, read with the wire walker.
  const message = parseMessage(messageType('Tree'), tree.payload);
  for (const task of message.fields) {
    const pid = task.message?.fields.find((field) => field.field?.name === 'pid')?.value;
    if (typeof pid === 'bigint') pids.push(Number(pid));
  }
  return pids;
}

function describeOutcome(outcome: Outcome): string {
  return outcome.kind === 'error' ? `${outcome.name}: ${outcome.message}` : outcome.kind;
}

/** Feeds this user's mutants of [start, start + count); stops at the first failure unless keepGoing. */
export async function feed(options: FeedOptions): Promise<FeedSummary> {
  const { abi, seeds, seed, user, outDir } = options;
  const began = Date.now();
  const summary: FeedSummary = {
    user,
    mutants: 0,
    restored: 0,
    outcomes: {},
    hangs: 0,
    leaked: 0,
    unclean: 0,
    failures: [],
    kinds: {},
    seeds: {},
    seconds: 0,
    generateMs: 0,
    restartMs: 0,
    cleanupMs: 0,
  };
  const pidsOf = new Map(seeds.map((s) => [s.name, treePids(s, abi)]));
  mkdirSync(outDir, { recursive: true });
  // The seeds themselves first: one that does not restore would make its mutants pointless.
  for (const image of seeds) {
    if (user === 'nobody' && ownerOf(image.name) !== 'nobody') continue;
    const { outcome, leaked } = await feedOne(options, encodeSeed(abi, image.records), pidsOf.get(image.name) ?? []);
    if (outcome.kind !== 'restored' || leaked.length > 0) {
      const detail = `seed image ${image.name} restarted by ${user}: ${describeOutcome(outcome)}${leaked.length > 0 ? `, left ${leaked.join(' ')}` : ''}`;
      log(detail);
      summary.failures.push({ index: -1, what: 'seed-does-not-restore', detail, saved: '' });
      summary.seconds = (Date.now() - began) / 1000;
      return summary;
    }
  }
  let lastReport = Date.now();
  for (let index = options.start; index < options.start + options.count; index++) {
    if (userOf(seeds, index) !== user) continue;
    const generating = Date.now();
    const found = mutant(abi, seeds, seed, index);
    summary.generateMs += Date.now() - generating;
    summary.kinds[found.kind] = (summary.kinds[found.kind] ?? 0) + 1;
    summary.seeds[found.seed] = (summary.seeds[found.seed] ?? 0) + 1;
    // Where the host finds it if the guest panics on it (cli.ts).
    writeFileSync(
      join(outDir, INFLIGHT),
      JSON.stringify({
        seed,
        index,
        user,
        seedsDir: options.seedsDir,
        images: seeds.map((s) => s.name),
        kind: found.kind,
        detail: found.detail,
      }),
    );
    const { outcome, leaked } = await feedOne(options, found.bytes, pidsOf.get(found.seed) ?? [], summary);
    summary.mutants++;
    let failure: Failure['what'] | null = null;
    if (outcome.kind === 'hang') {
      summary.hangs++;
      failure = 'hang';
    } else if (outcome.kind === 'restored') {
      summary.restored++;
    } else {
      summary.outcomes[outcome.name] = (summary.outcomes[outcome.name] ?? 0) + 1;
      if (!outcome.clean) {
        summary.unclean++;
        failure = 'unclean-error';
      }
    }
    if (leaked.length > 0) {
      summary.leaked++;
      failure ??= 'leaked-task';
    }
    if (failure !== null) {
      const detail =
        failure === 'hang'
          ? `restart did not end within ${options.timeoutMs} ms`
          : `${describeOutcome(outcome)}${leaked.length > 0 ? `; tasks left behind: ${leaked.join(' ')}` : ''}`;
      const saved = saveFailure(outDir, seed, found, user, failure, detail);
      summary.failures.push({ index, what: failure, detail, saved });
      log(`FAILING MUTANT ${index} (${failure}, restarted by ${user}): ${found.detail}: ${detail}; saved as ${saved}`);
      if (failure === 'hang' || options.keepGoing !== true) break;
    }
    if (Date.now() - lastReport > 5000) {
      lastReport = Date.now();
      const rate = summary.mutants / ((Date.now() - began) / 1000);
      log(
        `${user}: mutant ${index} of [${options.start}, ${options.start + options.count}), ${summary.mutants} fed, ${summary.restored} restored, ${rate.toFixed(1)}/s`,
      );
    }
  }
  rmSync(join(outDir, INFLIGHT), { force: true });
  summary.seconds = (Date.now() - began) / 1000;
  return summary;
}
