// Socket options every socket kind saves (kmod/cpt_sock.c, SocketOptions):
// SO_RCVTIMEO, SO_SNDTIMEO, SO_TIMESTAMP* (old and new), SO_TIMESTAMPING,
// a classic filter and SO_LOCK_FILTER on TCP, UDP, ICMP ping, raw, unix (pairs, a
// listener, a bound datagram socket), netlink and packet sockets, a unix
// pair's and listener's buffer sizes (also lowered below what a pair's end
// queued: set once both queues are back), SO_PEEK_OFF, TCP_DEFER_ACCEPT and
// TCP_CONGESTION, through checkpoint -> kill ->
// restart and a leave-running checkpoint: each read back equal, and
// working (a filter filters, a timestamp arrives, a timeout times out);
// what inspect shows; hostile images; what a checkpoint refuses by name.
// No thread waits in a timed socket call at the checkpoint: that case is
// the freeze's (issue 13).
import type { Scenario } from './scenario.js';
import { cycle, leaveRunning, shell, shellHook } from './rows.js';

const SOCKETS = {
  'tcp-listener': 'a TCP listener with both timeouts, SO_TIMESTAMPNS_NEW and a locked filter',
  udp: 'a bound UDP socket with SO_RCVTIMEO, SO_TIMESTAMP and a filter',
  raw: 'a raw socket with SO_SNDTIMEO and SO_TIMESTAMPING',
  'unix-stream-pair': 'a unix stream pair’s end with SO_RCVTIMEO, both buffer sizes and SO_PEEK_OFF, data queued',
  'unix-stream-peer': 'its peer with SO_SNDTIMEO and SO_SNDBUF',
  'unix-dgram-pair': 'a unix datagram pair’s end with SO_TIMESTAMPNS and a locked filter',
  'unix-dgram-peer': 'its peer with SO_TIMESTAMPING_NEW',
  'unix-listener': 'a unix listener with SO_RCVTIMEO and both buffer sizes',
  'unix-dgram-bound': 'a bound unix datagram socket with SO_RCVTIMEO and SO_TIMESTAMP_NEW',
  netlink: 'a netlink route socket with SO_RCVTIMEO, SO_TIMESTAMP and a filter',
  packet: 'a packet socket with SO_SNDTIMEO, SO_TIMESTAMPNS and a locked filter',
  'unix-lowered-stream': 'a unix stream pair’s end with SO_SNDBUF and SO_RCVBUF lowered below the 100000 bytes it queued',
  'unix-lowered-stream-peer': 'its peer, lowered likewise below what it queued',
  'unix-lowered-seqpacket': 'a unix seqpacket pair’s end with SO_SNDBUF lowered below each of the three messages it queued',
  'unix-lowered-seqpacket-peer': 'its peer',
  ping: 'an ICMP ping socket with SO_RCVTIMEO, SO_TIMESTAMPNS and a filter',
};

/** The workload's checks, as PREFIX's; `how` says how it was checkpointed. */
function workloadChecks(prefix: string, how: string): Record<string, string> {
  return {
    ...Object.fromEntries(
      Object.entries(SOCKETS).map(([name, what]) => [`${prefix}.${name}`, `${what} reads every option back equal ${how}`]),
    ),
    [`${prefix}.udp-filter-timestamp`]: `the UDP socket’s filter drops an 'x' datagram and passes one with its SCM_TIMESTAMP ${how}`,
    [`${prefix}.udp-rcvtimeo`]: `a recv() on the UDP socket with nothing queued fails with EAGAIN after its SO_RCVTIMEO ${how}`,
    [`${prefix}.tcp-listener-tcp-options`]: `the TCP listener reads its TCP_DEFER_ACCEPT and TCP_CONGESTION (reno) back equal ${how}`,
    [`${prefix}.unix-stream-peek-off`]: `a MSG_PEEK on the unix stream pair’s end reads from its SO_PEEK_OFF ${how}`,
    [`${prefix}.unix-stream-queue`]: `the unix stream pair’s queued data is read ${how}`,
    [`${prefix}.unix-stream-rcvtimeo`]: `a recv() on the unix stream pair’s end fails with EAGAIN after its SO_RCVTIMEO ${how}`,
    [`${prefix}.unix-dgram-filter-timestampns`]: `the unix datagram pair’s filter drops an 'x' datagram and passes one with SCM_TIMESTAMPNS ${how}`,
    [`${prefix}.unix-listener-rcvtimeo`]: `an accept() on the unix listener with nobody connecting fails with EAGAIN after its SO_RCVTIMEO ${how}`,
    [`${prefix}.unix-dgram-bound-timestamp-new`]: `a datagram to the bound unix socket comes with SO_TIMESTAMP_NEW’s cmsg ${how}`,
    [`${prefix}.netlink-rcvtimeo`]: `a recv() on the netlink socket fails with EAGAIN after its SO_RCVTIMEO ${how}`,
    [`${prefix}.tcp-accepts`]: `the TCP listener with its filter accepts a connection ${how}`,
    [`${prefix}.ping-rcvtimeo`]: `a recv() on the ICMP ping socket with nothing queued fails with EAGAIN after its SO_RCVTIMEO ${how}`,
    [`${prefix}.ping-echo-timestampns`]: `the ICMP ping socket’s echo reply from 127.0.0.1 comes with SCM_TIMESTAMPNS ${how}`,
    [`${prefix}.unix-lowered-queues`]: `the unix pairs with SO_SNDBUF lowered below what they queued read every byte back in order, and still hold more than their SO_SNDBUF ${how}`,
  };
}

const REFUSED = [
  ['ebpf', 'a UDP socket with an eBPF filter (SO_ATTACH_BPF)'],
  ['opt-id', 'a UDP socket with SO_TIMESTAMPING’s SOF_TIMESTAMPING_OPT_ID, whose counter is not saved'],
  ['unix-queued', 'a unix datagram socket with SO_TIMESTAMP and a datagram queued (the time it was sent)'],
  ['tcp-unread', 'a TCP connection with SO_TIMESTAMP and data unread (a restart refills its queue without stamps)'],
  ['errqueue', 'a UDP socket with a transmit timestamp waiting in its error queue (MSG_ERRQUEUE), which no image holds'],
  [
    'unix-sndbuf',
    'a unix stream pair’s end with SO_SNDBUF raised and more queued than a new socket’s SO_SNDBUF, within which a restart sends it again',
  ],
] as const;

export const sockoptsScenarios: readonly Scenario[] = [
  {
    name: 'sockopts',
    run: cycle('sockopts', (dir) => ['serve', dir], { after: shellHook('sockopts', 'after_sockopts') }),
    timeoutSeconds: 150,
    costSeconds: 6.5,
    checks: {
      'sockopts.checkpoint': 'a process holding sockets of every kind with timeouts, timestamps and filters is checkpointed and killed',
      'sockopts.exit-status': 'the restarted process checks its socket options and ends well',
      ...workloadChecks('sockopts', 'after a restart'),
      'sockopts.inspect': 'inspect shows each socket’s timeouts, timestamps, filter and buffer sizes',
      'sockopts.hostile-filter': 'an image with a filter the kernel’s checker refuses fails the restart, naming the fd and the errno',
      'sockopts.hostile-filter-length': 'an image with a filter not of whole instructions is refused at restart',
      'sockopts.hostile-congestion': 'an image with a TCP_CONGESTION this kernel lacks fails the restart, naming the fd and the algorithm',
      'sockopts.hostile-opt-id': 'an image with SOF_TIMESTAMPING_OPT_ID is refused at restart',
      'sockopts.hostile-odd-sndbuf':
        'an image with an SO_SNDBUF no setsockopt() sets (odd) is refused at restart, naming the fd and the size it would get',
    },
  },
  {
    name: 'sockopts-leave',
    run: { kind: 'custom', run: leaveRunning('sockopts', 'sockopts-leave') },
    timeoutSeconds: 90,
    costSeconds: 2,
    checks: {
      'sockopts-leave.checkpoint': 'a process holding sockets with timeouts, timestamps and filters is checkpointed and left running',
      'sockopts-leave.exit-status': 'the process left running checks its socket options and ends well',
      ...workloadChecks('sockopts-leave', 'after a leave-running checkpoint'),
    },
  },
  {
    name: 'sockopts-refused',
    run: shell('sockopts', 'sockopts_refused'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1.5,
    checks: Object.fromEntries(
      REFUSED.flatMap(([kind, what]) => [
        [`sockopts-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd and the option`],
        [`sockopts-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`sockopts-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
