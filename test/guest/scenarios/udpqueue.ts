// UDP and UDP-Lite datagrams queued and not read yet (kmod/cpt_file_inet_udp.c,
// cpt_compat_udp.c): through checkpoint -> kill -> restart, each comes back
// with its bytes, boundary and sender, in order, on IPv4, IPv6, v4-mapped,
// UDP-Lite and connected sockets, and the sockets go on both ways; data
// corked (MSG_MORE, UDP_CORK; cpt_compat_udp_cork.c) is still corked, and
// goes out as one datagram when sent on (udp-cork); a checkpoint that
// leaves the tree running leaves the queues and corks to it; what a
// checkpoint refuses by name (data corked with a control message, a receive buffer lowered below
// its queue); what inspect shows; hostile images.
import type { Scenario } from './scenario.js';
import { cycle, inDir, leaveRunning, shell, shellHook } from './rows.js';

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

const CORKED = {
  more4: 'an IPv4 UDP socket that sent 0, 100, 5000 and 20000 bytes with MSG_MORE',
  cork4: 'an IPv4 UDP socket with UDP_CORK set that sent three pieces',
  more6: 'a v6-only UDP socket on ::1 with MSG_MORE',
  mapped: 'a dual-stack IPv6 UDP socket that corked data to a v4-mapped address',
  udplite: 'a UDP-Lite socket with MSG_MORE',
  connected: 'a connected UDP socket that corked data with send() and MSG_MORE',
  idle: 'a UDP socket with UDP_CORK set and nothing corked',
};

/** udp_cork's own checks, each sender's three, as PREFIX's; `when` says after what. */
function corkChecks(prefix: string, when: string): Record<string, string> {
  return Object.fromEntries(
    Object.entries(CORKED).flatMap(([name, what]) => [
      [`${prefix}.${name}-held`, `${when}, what ${what} corked has not reached its receiver`],
      [
        `${prefix}.${name}`,
        `${when}, ${what} sends it on (a send without MSG_MORE, UDP_CORK off), and its receiver reads one datagram of all the bytes, in order, from the sender`,
      ],
      [`${prefix}.${name}-works`, `${when}, ${what} then sends a datagram on its own`],
    ]),
  );
}

export const udpQueueScenarios: readonly Scenario[] = [
  {
    name: 'udp-queue',
    run: cycle('udp_queue', (dir) => ['serve', ...inDir(dir)], { after: shellHook('udpqueue', 'after_udp_queue') }),
    timeoutSeconds: 150,
    costSeconds: 5.5,
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
    run: { kind: 'custom', run: leaveRunning('udp_queue', 'udp-queue-leave') },
    timeoutSeconds: 120,
    costSeconds: 0.5,
    checks: {
      'udp-queue-leave.checkpoint': 'a checkpoint leaving the tree running saves its queued datagrams',
      'udp-queue-leave.exit-status': 'the tree left running ends well',
      ...queueChecks('udp-queue-leave', 'left running'),
      'udp-queue-leave.connected-peer': 'left running, the connected socket’s datagram reaches its peer',
    },
  },
  {
    name: 'udp-cork',
    run: cycle('udp_cork', (dir) => ['serve', ...inDir(dir)], { after: shellHook('udpqueue', 'after_udp_cork') }),
    timeoutSeconds: 150,
    // 14.9 s of the guest's CPU with a jq for each of its 4 edited images, 6.7 s with one jq for them
    // all (one boot, 2026-12-07 15:08; 21.8 s in the whole run of 14:20, a loaded host).
    costSeconds: 4.5,
    checks: {
      'udp-cork.checkpoint': 'a process holding UDP and UDP-Lite sockets with data corked is checkpointed and killed',
      'udp-cork.exit-status': 'the restarted process finds its corked data still corked, sends it on and ends well',
      ...corkChecks('udp-cork', 'restarted'),
      'udp-cork.inspect': 'inspect shows each corked socket’s bytes, destination and source, and UDP_CORK',
      'udp-cork.hostile-port': 'an image with data corked from another port than the socket’s is refused at restart',
      'udp-cork.hostile-family': 'an image with data corked to an IPv6 address on an IPv4 socket is refused at restart',
      'udp-cork.hostile-unbound': 'an image with data corked on an unbound socket is refused at restart',
      'udp-cork.hostile-source': 'an image with data corked from an address the restart would not send from fails the restart, naming it',
    },
  },
  {
    name: 'udp-cork-leave',
    run: { kind: 'custom', run: leaveRunning('udp_cork', 'udp-cork-leave') },
    timeoutSeconds: 120,
    costSeconds: 2,
    checks: {
      'udp-cork-leave.checkpoint': 'a checkpoint leaving the tree running saves its corked data',
      'udp-cork-leave.exit-status': 'the tree left running with its corked data ends well',
      ...corkChecks('udp-cork-leave', 'left running'),
    },
  },
  {
    name: 'udp-queue-refused',
    run: shell('udpqueue', 'udp_queue_refused'),
    cli: true,
    timeoutSeconds: 70,
    costSeconds: 2,
    checks: Object.fromEntries(
      (
        [
          ['corked', 'a UDP socket with data sent with MSG_MORE and an IP_TTL control message, not pushed yet'],
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
