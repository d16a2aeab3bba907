// Established TCP connections (kmod/cpt_file_inet_tcp.c, cpt_compat_tcp.c):
// both ends in the tree, v4 and v6, with data queued both ways, through
// checkpoint -> kill -> restart by TCP repair mode; what inspect shows; a
// connection whose peer is outside the tree (--kill refused by name, a
// checkpoint leaving it running keeps it working); connections whose queues
// are as full as their buffers let them be.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const END =
  'after the restart, each end writes more and shuts down, and reads its peer’s stream to the end, every byte as written and the total as sent, with its options and the handshake’s (SACK, timestamps, window scales) as before';

export const tcpEstablishedScenarios: readonly Scenario[] = [
  {
    name: 'tcp-established',
    run: cycle('tcp_established', (dir) => ['pairs', ...inDir(dir)], { after: shellHook('tcp-established', 'after_tcp_established') }),
    timeoutSeconds: 90,
    costSeconds: 4,
    checks: {
      'tcp-established.in-flight': 'before the checkpoint, each end of a v4 and a v6 connection has data unread and data unsent',
      'tcp-established.checkpoint': 'the tree holding both ends of each connection, in two processes, is checkpointed and killed',
      'tcp-established.exit-status': 'the restarted tree checks its connections and ends well',
      'tcp-established.v4-client': `v4 client end (TCP_NODELAY, autotuned buffers): ${END}`,
      'tcp-established.v4-server': `v4 accepted end, on its listener’s port: ${END}`,
      'tcp-established.v6-client': `v6 client end (SO_SNDBUF set): ${END}`,
      'tcp-established.v6-server': `v6 accepted end (SO_KEEPALIVE, TCP_KEEPIDLE): ${END}`,
      'tcp-established.inspect': 'inspect shows a connection with its queues, sequence numbers, handshake options and windows',
    },
  },
  {
    name: 'tcp-established-outside',
    run: shell('tcp-established', 'tcp_established_outside'),
    cli: true,
    timeoutSeconds: 40,
    costSeconds: 1,
    checks: {
      'tcp-established-outside.leave-running': 'a process whose connection’s peer is outside its tree is checkpointed, left running',
      'tcp-established-outside.refused': 'checkpoint --kill refuses it, naming the connection and its peer outside the tree',
      'tcp-established-outside.alive': 'the process refused runs on',
      'tcp-established-outside.kept': 'its connection still exchanges data both ways',
    },
  },
  {
    name: 'tcp-buffers',
    run: cycle('tcp_buffers', (dir) => ['full', ...inDir(dir)]),
    timeoutSeconds: 90,
    costSeconds: 6,
    checks: {
      'tcp-buffers.in-flight':
        'before the checkpoint, a connection with SO_SNDBUF 64 KiB has its send queue full (some never sent) and one has more received than its lowered SO_RCVBUF',
      'tcp-buffers.exit-status': 'the restarted tree checks its full queues and buffer sizes and ends well',
      'tcp-buffers.buffers': 'after the restart, SO_SNDBUF and SO_RCVBUF of the four ends read back as before',
      'tcp-buffers.send': 'the full send queue arrives, then 256 KiB more, every byte as written',
      'tcp-buffers.receive': 'the receive queue over SO_RCVBUF is read, then 256 KiB more, every byte as written',
    },
  },
];
