// Established TCP connections (kmod/cpt_file_inet_tcp.c, cpt_compat_tcp.c):
// both ends in the tree, v4 and v6, with data queued both ways, through
// checkpoint -> kill -> restart by TCP repair mode; what inspect shows; a
// connection whose peer is outside the tree (--kill refused by name, a
// checkpoint leaving it running keeps it working); connections whose queues
// are as full as their buffers let them be; connections held while a
// restart makes them again, and a restart refused for one that timed out
// meanwhile.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const END =
  'after the restart, each end writes more and shuts down, and reads its peer’s stream to the end, every byte as written and the total as sent, with its options and the handshake’s (SACK, timestamps, window scales) as before';

export const tcpEstablishedScenarios: readonly Scenario[] = [
  {
    name: 'tcp-established',
    run: cycle('tcp_established', (dir) => ['pairs', ...inDir(dir)], { after: shellHook('tcp-established', 'after_tcp_established') }),
    timeoutSeconds: 90,
    costSeconds: 2,
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
    // 4.0 s with its refused restart (22:13 UTC, the stock kernel).
    costSeconds: 1.5,
    checks: {
      'tcp-established-outside.leave-running': 'a process whose connection’s peer is outside its tree is checkpointed, left running',
      'tcp-established-outside.refused': 'checkpoint --kill refuses it, naming the connection and its peer outside the tree',
      'tcp-established-outside.alive': 'the process refused runs on',
      'tcp-established-outside.collision':
        'a restart --pidns of the image left running, in the same network namespace, is refused before it holds anything, naming the fd, the pid and the connection whose ends the original’s still has',
      'tcp-established-outside.kept': 'its connection still exchanges data both ways',
    },
  },
  {
    name: 'tcp-established-bound',
    run: shell('tcp-established', 'tcp_established_bound'),
    cli: true,
    timeoutSeconds: 40,
    // 6.1 s, 5.3 s and 1.3 s in its first boots.
    costSeconds: 4,
    checks: {
      'tcp-established-bound.leave-running':
        'a process whose connection’s peer is outside its tree, its end bound to lo (SO_BINDTODEVICE), is checkpointed, left running',
      'tcp-established-bound.refused': 'checkpoint --kill refuses the bound one, naming the connection and its peer outside the tree',
      'tcp-established-bound.alive': 'the process refused, its connection bound to lo, runs on',
      'tcp-established-bound.collision':
        'a restart --pidns of the image left running is refused before it holds anything, naming the connection whose ends the original’s still has, bound to lo (a lookup on no device misses it)',
      'tcp-established-bound.kept': 'its connection bound to lo still exchanges data both ways',
    },
  },
  {
    name: 'tcp-buffers',
    run: cycle('tcp_buffers', (dir) => ['full', ...inDir(dir)]),
    timeoutSeconds: 90,
    costSeconds: 1.5,
    checks: {
      'tcp-buffers.in-flight':
        'before the checkpoint, a connection with SO_SNDBUF 64 KiB has its send queue full (some never sent) and one has more received than its lowered SO_RCVBUF',
      'tcp-buffers.exit-status': 'the restarted tree checks its full queues and buffer sizes and ends well',
      'tcp-buffers.buffers': 'after the restart, SO_SNDBUF and SO_RCVBUF of the four ends read back as before',
      'tcp-buffers.send': 'the full send queue arrives, then 256 KiB more, every byte as written',
      'tcp-buffers.receive': 'the receive queue over SO_RCVBUF is read, then 256 KiB more, every byte as written',
    },
  },
  {
    name: 'tcp-restart-held',
    run: shell('tcp-established', 'tcp_restart_held'),
    cli: true,
    timeoutSeconds: 180,
    // 29.4 and 27.0 s in the whole runs of 2026-12-07 22:51 and 23:44.
    costSeconds: 27,
    checks: {
      'tcp-restart-held.checkpoint':
        'the tree holding both ends of a v4 and a v6 connection, data queued both ways, is checkpointed --kill',
      'tcp-restart-held.in-flight': 'before the checkpoint, each end has data unread and data unsent',
      'tcp-restart-held.dropped':
        'restarted and paused before its final step, every end made again and filled: a reset at exactly its rcv_nxt sent to each v4 end, 4 bytes at its rcv_nxt to each v6 end, are dropped (all four still ESTABLISHED)',
      'tcp-restart-held.exit-status': 'the restart succeeds, and the restarted tree checks its connections and ends well',
      'tcp-restart-held.v4-client': `v4 client end, sent a reset while held: ${END}, no reset`,
      'tcp-restart-held.v4-server': `v4 accepted end, sent a reset while held: ${END}, no reset`,
      'tcp-restart-held.v6-client': `v6 client end, sent 4 bytes while held: ${END}, no byte more`,
      'tcp-restart-held.v6-server': `v6 accepted end, sent 4 bytes while held: ${END}, no byte more`,
      'tcp-restart-held.hold-dropped': 'the restart’s holds are gone once it ends',
    },
  },
  {
    name: 'tcp-restart-refused',
    run: shell('tcp-established', 'tcp_restart_refused'),
    cli: true,
    timeoutSeconds: 150,
    // 11.6 s in its first boot; 12.8 s and 7.1 s with release-busy, release-all-skips and second-busy.
    costSeconds: 12,
    checks: {
      'tcp-restart-refused.checkpoint':
        'a tree holding both ends of a connection whose client end has a keepalive of one probe after 1 s idle is checkpointed --kill',
      'tcp-restart-refused.release-busy':
        'restarted and paused before its final step: cptctl release IMAGE is refused (EBUSY), naming a connection the restart holds, and both holds stay',
      'tcp-restart-refused.release-all-skips': 'cptctl release --all releases 0 holds, the restart’s both staying',
      'tcp-restart-refused.second-busy':
        'once the client end closed, a second restart (--pidns) of the image is refused (EBUSY) naming the connection the first restart holds, which keeps both holds',
      'tcp-restart-refused.timed-out':
        'restarted and paused before its final step, the client end made again times out (its reset counted in OutRsts) and closes, its keepalive unanswered (held)',
      'tcp-restart-refused.refused':
        'the final step refuses the restart, naming the fd, the pid, the connection, the state it was made in (ESTABLISHED) and the one it is in (CLOSE)',
      'tcp-restart-refused.nothing-left': 'the refused restart leaves no process and no hold',
    },
  },
  {
    name: 'tcp-restart-error',
    run: shell('tcp-established', 'tcp_restart_error'),
    cli: true,
    timeoutSeconds: 150,
    // 25.4 s and 18.6 s in its first two boots (00:25 and 00:38 UTC, 2026-12-08).
    costSeconds: 20,
    checks: {
      'tcp-restart-error.checkpoint':
        'the tree holding both ends of a v4 and a v6 connection, data queued both ways, is checkpointed --kill, for a restart to meet an error',
      'tcp-restart-error.error-sent':
        'restarted and paused before its final step, the restored root’s v4 end gets IP_RECVERR (through pidfd_getfd) and an ICMP port unreachable at its snd_una: all four ends still ESTABLISHED',
      'tcp-restart-error.refused':
        'the final step refuses the restart, naming the fd, the pid, the connection, still ESTABLISHED, and its pending error (-111)',
      'tcp-restart-error.nothing-left': 'the restart refused for a pending error leaves no process and no hold',
    },
  },
];
