// Restart fed with 5,200 mutants of real images (truncations, bit flips,
// wrong lengths and types, absurd values; half with their CRCs fixed so
// they reach the decoders): every one ends in a clean errno or a restored
// process, the guest kernel never warns, and nothing is left behind. Each
// image's mutants (same count and seed as ever) are a scenario of their
// own, so that boots share them out.
import { join } from 'node:path';

import { countText, depth } from './depth.js';
import type { Scenario } from './scenario.js';

interface Victim {
  readonly name: string;
  readonly workload: string;
  readonly args: (dir: string) => readonly string[];
  /** The function of test/guest/shell/mutate.sh with its seed. */
  readonly mutants: string;
  /** How many mutants it feeds (depth.ts). */
  readonly count: number;
}

function mutateScenario(victim: Victim, costSeconds: number, checks: Scenario['checks']): Scenario {
  return {
    name: victim.name,
    run: {
      kind: 'custom',
      run: async (context) => {
        const workload = await context.startWorkload(victim.workload, victim.args(context.dir));
        const failure = await context.checkpoint(workload.pid, 'kill');
        if (failure !== null) {
          context.result(`${victim.name}.image`, false, `checkpoint failed: ${failure}`);
          return;
        }
        await workload.exited;
        await context.shell('mutate', victim.mutants, { count: String(victim.count) });
      },
    },
    // Wider than others: thousands of restarts slow down more on a busy host.
    timeoutSeconds: Math.max(60, Math.ceil((costSeconds * 8) / 30) * 30),
    costSeconds,
    checks: {
      ...checks,
      [`${victim.name}.every-kind`]: `${victim.name}: each kind of mutation (truncation, bit flips, record lengths and types, absurd values, varints) is tried, with CRCs fixed and not`,
    },
  };
}

/**
 * Mutants per image, each with its fixed seed. The mutants still reach
 * checks of the module that no earlier one reached late in the count
 * (mutate.c's "ended N ways" line: the step, the errno and the module's
 * words, numbers aside). In two boots: mutate's 1,200 ended 41 ways, the
 * last new one at mutant 1,126; mutate-files' 1,000, 34 ways, the last new
 * at 950; mutate-netlink's, 39 ways, at 969; mutate-ipc's, 41 ways, at 933.
 * Those counts are `npm run test:deep`'s, for a change to the image's
 * decoders or the restart; the default suite runs a short batch of the
 * same seeds (the first mutants of the deep run), in which every kind of
 * mutation is still tried with CRCs fixed and not (mutate.c's every-kind
 * check). In one boot each on a busy host (2026-12-07), the rows took
 * 42.8, 38.2, 33.0, 52.7 and 18.4 s with the deep counts, 11.9, 9.6, 6.2,
 * 14.4 and 10.0 s with these; the short batches ended 23, 27, 29, 26 and
 * 28 ways where the deep ones ended 41, 32, 39, 37 and 41.
 */
const MUTATE_CPU = depth(250, 1200);
const MUTATE_FILES = depth(250, 1000);
const MUTATE_NETLINK = depth(250, 1000);
const MUTATE_IPC = depth(250, 1000);
/** Not measured for its ways yet: the same count as netlink's. */
const MUTATE_PACKET = depth(250, 1000);

/** The checks of a row whose image holds one family of sockets (netlink, packet). */
function socketImageChecks(family: string, count: number): Scenario['checks'] {
  const row = `mutate-${family}`;
  const image = `the ${family} sockets image`;
  return {
    [`${row}.unmutated-restores`]: `an image with ${family} sockets restores`,
    [`${row}.mutants`]: `all ${countText(count)} mutants of ${image} are tried`,
    [`${row}.mutants-clean`]: `every mutant of ${image} ends in an errno or a restored process`,
    [`${row}.no-stray-task`]: `no task of the ${family} sockets mutants is left behind`,
  };
}

export const mutateScenarios: readonly Scenario[] = [
  mutateScenario(
    { name: 'mutate', workload: 'cpu_state', args: (dir) => [join(dir, 'never')], mutants: 'mutate_cpu', count: MUTATE_CPU },
    depth(2.5, 8),
    {
      'mutate.unmutated-restores': 'the unmutated image restores',
      'mutate.mutants': `all ${countText(MUTATE_CPU)} mutants are tried`,
      'mutate.mutants-clean': 'every mutant ends in an errno or a restored process',
      'mutate.no-stray-task': 'no task is left behind',
      'mutate.module-unloads': 'the module unloads afterwards',
    },
  ),
  // Every kind of file the module rebuilds: deleted files, a memfd,
  // eventfds, a signalfd, timerfds, an epoll instance, a FIFO with data.
  mutateScenario(
    { name: 'mutate-files', workload: 'files_anon', args: (dir) => [dir], mutants: 'mutate_files', count: MUTATE_FILES },
    depth(5.5, 21),
    {
      'mutate-files.unmutated-restores': 'an image with every rebuilt kind of file restores',
      'mutate-files.mutants': `all ${countText(MUTATE_FILES)} mutants of it are tried`,
      'mutate-files.mutants-clean': 'every mutant of it ends in an errno or a restored process',
      'mutate-files.no-stray-task': 'no task of those is left behind',
    },
  ),
  // Netlink sockets: route and generic, bound, connected, with groups and options.
  mutateScenario(
    {
      name: 'mutate-netlink',
      workload: 'netlink_sockets',
      args: (dir) => ['serve', dir],
      mutants: 'mutate_netlink',
      count: MUTATE_NETLINK,
    },
    depth(5.5, 15),
    socketImageChecks('netlink', MUTATE_NETLINK),
  ),
  // Packet sockets: raw and datagram, bound to lo with memberships and options, and unbound.
  mutateScenario(
    {
      name: 'mutate-packet',
      workload: 'packet_sockets',
      args: (dir) => ['serve', dir],
      mutants: 'mutate_packet',
      count: MUTATE_PACKET,
    },
    depth(10.5, 50),
    socketImageChecks('packet', MUTATE_PACKET),
  ),
  // SysV objects (made again by INIT), a POSIX message queue and a pty.
  mutateScenario(
    { name: 'mutate-ipc', workload: 'ipc_objects', args: () => ['cpt-mutate-mq'], mutants: 'mutate_ipc', count: MUTATE_IPC },
    depth(5.5, 13),
    {
      'mutate-ipc.unmutated-restores': 'an image with SysV objects, a POSIX message queue and a pty restores',
      'mutate-ipc.mutants': `all ${countText(MUTATE_IPC)} mutants of that image are tried`,
      'mutate-ipc.mutants-clean': 'every mutant of that image ends in an errno or a restored process',
      'mutate-ipc.no-stray-task': 'no task of those mutants is left behind',
    },
  ),
];
