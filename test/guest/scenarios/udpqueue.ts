// UDP and UDP-Lite datagrams queued and not read yet (kmod/cpt_file_inet_udp.c,
// cpt_compat_udp.c): through checkpoint -> kill -> restart, each comes back
// with its bytes, boundary and sender, in order, on IPv4, IPv6, v4-mapped,
// UDP-Lite and connected sockets, and the sockets go on both ways; a
// checkpoint that leaves the tree running leaves the queues to it; what a
// checkpoint refuses by name (corked data, a receive buffer lowered below
// its queue); what inspect shows; hostile images.
import type { Scenario, ScenarioContext } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const SOCKETS = {
  udp4: 'an IPv4 UDP socket with SO_RCVBUF set',
  udp6: 'a v6-only UDP socket on ::1',
  mapped: 'a dual-stack IPv6 UDP socket whose datagrams came over IPv4 (v4-mapped senders)',
  udplite: 'a UDP-Lite socket',
  connected: 'a connected UDP socket, with datagrams from its peer',
};

/** The workload's own checks, each socket's three, as PREFIX's; `when` says after what. */
function queueChecks(prefix: string, when: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SOCKETS).flatMap(([name, what]) => [
      [
        `${prefix}.${name}`,
        `${when}, ${what} reads its datagrams (0 bytes to near 64 KiB) with their bytes, boundaries and senders, in order`,
      ],
      [`${prefix}.${name}-inq`, `${when}, ${what} has the same SIOCINQ and SO_RCVBUF`],
      [`${prefix}.${name}-works`, `${when}, ${what} still gets and sends datagrams`],
    ]),
  );
}

/** A checkpoint that leaves the tree running: it reads its queues as they were. */
async function leaveRunning(context: ScenarioContext): Promise<void> {
  const workload = await context.startWorkload('udp_queue', ['serve', context.dir]);
  const failure = await context.checkpoint(workload.pid, 'leave-running');
  context.result('udp-queue-leave.checkpoint', failure === null, failure ?? 'saved, left running');
  context.go();
  const status = await workload.exited;
  context.relayResults('udp-queue-leave');
  context.result('udp-queue-leave.exit-status', status === 0, `exited ${status}`);
}

export const udpQueueScenarios: readonly Scenario[] = [
  {
    name: 'udp-queue',
    run: cycle('udp_queue', (dir) => ['serve', ...inDir(dir)], { after: shellHook('udpqueue', 'after_udp_queue') }),
    timeoutSeconds: 150,
    costSeconds: 23,
    checks: {
      'udp-queue.checkpoint': 'a process holding UDP and UDP-Lite sockets with datagrams queued is checkpointed and killed',
      'udp-queue.exit-status': 'the restarted process reads its queued datagrams back and ends well',
      ...queueChecks('udp-queue', 'restarted'),
      'udp-queue.connected-peer': 'the connected socket’s datagram reaches its peer',
      'udp-queue.inspect': 'inspect shows each UDP socket’s queue: its datagrams’ count, sizes and senders',
      'udp-queue.hostile-source': 'an image with a datagram’s truncated sender is refused at restart',
      'udp-queue.hostile-family': 'an image with an IPv6 sender on an IPv4 socket is refused at restart',
      'udp-queue.hostile-truesize': 'an image with a datagram charged more than any is refused at restart',
      'udp-queue.hostile-unbound': 'an image with datagrams queued on an unbound socket is refused at restart',
    },
  },
  {
    name: 'udp-queue-leave',
    run: { kind: 'custom', run: leaveRunning },
    timeoutSeconds: 120,
    costSeconds: 5,
    checks: {
      'udp-queue-leave.checkpoint': 'a checkpoint leaving the tree running saves its queued datagrams',
      'udp-queue-leave.exit-status': 'the tree left running ends well',
      ...queueChecks('udp-queue-leave', 'left running'),
      'udp-queue-leave.connected-peer': 'left running, the connected socket’s datagram reaches its peer',
    },
  },
  {
    name: 'udp-queue-refused',
    run: shell('udpqueue', 'udp_queue_refused'),
    cli: true,
    timeoutSeconds: 70,
    costSeconds: 9,
    checks: Object.fromEntries(
      (
        [
          ['corked', 'a UDP socket with data sent with MSG_MORE, not pushed yet'],
          ['rcvbuf', 'a UDP socket whose SO_RCVBUF was lowered below what its queue holds'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`udp-queue-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`udp-queue-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`udp-queue-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
