// Restart fed with 3,200 mutants of real images (truncations, bit flips,
// wrong lengths and types, absurd values; half with their CRCs fixed so
// they reach the decoders): every one ends in a clean errno or a restored
// process, the guest kernel never warns, and nothing is left behind. Each
// image's mutants (same count and seed as ever) are a scenario of their
// own, so that boots share them out.
import { join } from 'node:path';

import type { Scenario } from './scenario.js';

interface Victim {
  readonly name: string;
  readonly workload: string;
  readonly args: (dir: string) => readonly string[];
  /** The function of test/guest/shell/mutate.sh with its count and seed. */
  readonly mutants: string;
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
        await context.shell('mutate', victim.mutants);
      },
    },
    // Wider than others: thousands of restarts slow down more on a busy host.
    timeoutSeconds: Math.ceil((costSeconds * 8) / 30) * 30,
    costSeconds,
    checks,
  };
}

export const mutateScenarios: readonly Scenario[] = [
  mutateScenario({ name: 'mutate', workload: 'cpu_state', args: (dir) => [join(dir, 'never')], mutants: 'mutate_cpu' }, 25, {
    'mutate.unmutated-restores': 'the unmutated image restores',
    'mutate.mutants': 'at least 1,000 mutants are tried',
    'mutate.mutants-clean': 'every mutant ends in an errno or a restored process',
    'mutate.no-stray-task': 'no task is left behind',
    'mutate.module-unloads': 'the module unloads afterwards',
  }),
  // Every kind of file the module rebuilds: deleted files, a memfd,
  // eventfds, a signalfd, timerfds, an epoll instance, a FIFO with data.
  mutateScenario({ name: 'mutate-files', workload: 'files_anon', args: (dir) => [dir], mutants: 'mutate_files' }, 34, {
    'mutate-files.unmutated-restores': 'an image with every rebuilt kind of file restores',
    'mutate-files.mutants': 'at least 1,000 mutants of it are tried',
    'mutate-files.mutants-clean': 'every mutant of it ends in an errno or a restored process',
    'mutate-files.no-stray-task': 'no task of those is left behind',
  }),
  // Netlink sockets: route and generic, bound, connected, with groups and options.
  mutateScenario({ name: 'mutate-netlink', workload: 'netlink_sockets', args: (dir) => ['serve', dir], mutants: 'mutate_netlink' }, 20, {
    'mutate-netlink.unmutated-restores': 'an image with netlink sockets restores',
    'mutate-netlink.mutants': 'at least 1,000 mutants of the netlink sockets image are tried',
    'mutate-netlink.mutants-clean': 'every mutant of the netlink sockets image ends in an errno or a restored process',
    'mutate-netlink.no-stray-task': 'no task of the netlink sockets mutants is left behind',
  }),
  // Packet sockets: raw and datagram, bound to lo with memberships and options, and unbound.
  mutateScenario({ name: 'mutate-packet', workload: 'packet_sockets', args: (dir) => ['serve', dir], mutants: 'mutate_packet' }, 20, {
    'mutate-packet.unmutated-restores': 'an image with packet sockets restores',
    'mutate-packet.mutants': 'at least 1,000 mutants of the packet sockets image are tried',
    'mutate-packet.mutants-clean': 'every mutant of the packet sockets image ends in an errno or a restored process',
    'mutate-packet.no-stray-task': 'no task of the packet sockets mutants is left behind',
  }),
  // SysV objects (made again by INIT), a POSIX message queue and a pty.
  mutateScenario({ name: 'mutate-ipc', workload: 'ipc_objects', args: () => ['cpt-mutate-mq'], mutants: 'mutate_ipc' }, 18, {
    'mutate-ipc.unmutated-restores': 'an image with SysV objects, a POSIX message queue and a pty restores',
    'mutate-ipc.mutants': 'at least 1,000 mutants of that image are tried',
    'mutate-ipc.mutants-clean': 'every mutant of that image ends in an errno or a restored process',
    'mutate-ipc.no-stray-task': 'no task of those mutants is left behind',
  }),
];
