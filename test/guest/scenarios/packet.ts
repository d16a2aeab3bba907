// Packet sockets (kmod/cpt_file_packet.c, packet_diag) through checkpoint ->
// kill -> restart: raw and datagram sockets bound to lo keep their
// ethertype, interface, memberships and options and still get their own
// frames; what inspect shows; hostile images and an interface renamed
// since; a restart without CAP_NET_RAW; what a checkpoint refuses by name
// (a mapped ring, a fanout group, packets queued).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

export const packetScenarios: readonly Scenario[] = [
  {
    name: 'packet',
    run: cycle('packet_sockets', (dir) => ['serve', ...inDir(dir)], { after: shellHook('packet', 'after_packet') }),
    timeoutSeconds: 150,
    costSeconds: 5,
    checks: {
      'packet.checkpoint': 'a process holding packet sockets is checkpointed and killed',
      'packet.exit-status': 'the restarted process checks its packet sockets and ends well',
      'packet.raw-bound':
        'a raw packet socket bound to lo keeps its ethertype, PACKET_VERSION, PACKET_AUXDATA, PACKET_ORIGDEV and PACKET_RESERVE',
      'packet.dgram-bound': 'a datagram packet socket bound to lo keeps its ethertype and SO_RCVBUF',
      'packet.raw-unbound': 'an unbound raw packet socket keeps PACKET_LOSS',
      'packet.memberships': 'their memberships come back: lo is promiscuous and all-multicast again',
      'packet.raw-loops-back': 'the raw socket sends a frame of its ethertype on lo and receives it with its auxdata',
      'packet.dgram-loops-back': 'the datagram socket sends a datagram on lo and receives it',
      'packet.inspect': 'inspect shows each packet socket with its ethertype, interface, memberships and options',
      'packet.renamed': 'an image whose interface has another name now is refused at restart, naming the fd and the interface',
      'packet.hostile-type': 'an image with a packet socket of another type is refused at restart',
      'packet.hostile-version': 'an image with an unknown PACKET_VERSION is refused at restart',
      'packet.hostile-membership': 'an image with a membership added more than 64 times is refused at restart',
    },
  },
  {
    name: 'packet-nocap',
    run: shell('packet', 'packet_nocap'),
    cli: true,
    timeoutSeconds: 120,
    // Was 6: 14.4 s in the whole run of 2026-12-07 11:03 (a loaded host).
    costSeconds: 4,
    checks: {
      'packet-nocap.refused': 'a restart by a caller without CAP_NET_RAW is refused, naming the packet socket, nothing left running',
      'packet-nocap.exit-status': 'the packet socket image refused without CAP_NET_RAW, restarted by root, ends well',
      'packet-nocap.raw-loops-back': 'the restarted process, without CAP_NET_RAW, still gets its own frame',
    },
  },
  {
    name: 'packet-refused',
    run: shell('packet', 'packet_refused'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1,
    checks: Object.fromEntries(
      (
        [
          ['ring', 'a packet socket with a mapped ring (PACKET_RX_RING)'],
          ['fanout', 'a packet socket in a fanout group (PACKET_FANOUT)'],
          ['queued', 'a packet socket with a frame not read yet'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`packet-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd and why`],
        [`packet-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`packet-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
