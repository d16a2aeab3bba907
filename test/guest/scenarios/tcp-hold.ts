// TCP holds (kmod/cpt_tcp_hold.c): a connection whose peer is outside the
// tree survives checkpoint --kill --tcp-established -> restart, the peer
// seeing no reset meanwhile; cptctl release drops a hold (the peer then
// sees a reset); holds are bounded, root's, and go with the module.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

function cycleChecks(check: string, family: string): Record<string, string> {
  return {
    [`${check}.checkpoint`]: `a server whose ${family} loopback client is outside the tree is checkpointed --kill --tcp-established`,
    [`${check}.held`]: `${family}: cptctl release --list shows its connection held`,
    [`${check}.gap`]: `${family}: while the tree is down, the client, sending on, sees its connection ESTABLISHED, retransmitting, no error`,
    [`${check}.hold-dropped`]: `${family}: the restart drops the hold`,
    [`${check}.exit-status`]: `${family}: the restarted server ends well`,
    [`${check}.no-reset`]: `${family}: no TCP reset was sent (OutRsts of /proc/net/snmp) from the checkpoint to the end`,
    [`${check}.client-gap`]: `${family}: the client never saw a reset, an EOF, an error from poll or a state but ESTABLISHED`,
    [`${check}.client-data`]: `${family}: the client got the server’s whole stream in order, and the end mark`,
    [`${check}.server`]: `${family}: the restarted server got the client’s whole stream in order, that sent during the gap too`,
  };
}

export const tcpHoldScenarios: readonly Scenario[] = [
  {
    name: 'tcp-hold-v4',
    run: shell('tcp-hold', 'tcp_hold_v4'),
    cli: true,
    timeoutSeconds: 300,
    costSeconds: 8,
    checks: cycleChecks('tcp-hold-v4', 'IPv4'),
  },
  {
    name: 'tcp-hold-v6',
    run: shell('tcp-hold', 'tcp_hold_v6'),
    cli: true,
    timeoutSeconds: 300,
    costSeconds: 8.5,
    checks: cycleChecks('tcp-hold-v6', 'IPv6'),
  },
  {
    name: 'tcp-syn-sent',
    run: shell('tcp-hold', 'tcp_syn_sent'),
    cli: true,
    timeoutSeconds: 150,
    // Was 23: 11.6 s in the whole run of 2026-12-07 11:03 (a loaded host), 10.1 s in that of 10:12 (idle).
    costSeconds: 8.5,
    checks: {
      'tcp-syn-sent.checkpoint':
        'a tree with two connections still connecting (SYN_SENT) to listeners outside it that drop SYNs is checkpointed --kill --tcp-established',
      'tcp-syn-sent.inspect':
        'inspect shows each connecting, SYN_SENT, with the initial sequence number the client read before the checkpoint',
      'tcp-syn-sent.held': 'both connections are held while the tree is down',
      'tcp-syn-sent.exit-status': 'the listeners take connections again; the restarted tree ends well',
      'tcp-syn-sent.same-isn': 'the peer saw each connection’s SYN carry the initial sequence number it had before the checkpoint',
      'tcp-syn-sent.hold-dropped': 'the restart drops the holds',
      'tcp-syn-sent.no-reset': 'no TCP reset was sent (OutRsts of /proc/net/snmp) from the checkpoint to the end',
      'tcp-syn-sent.nonblocking': 'the non-blocking connect()’s end is seen by poll() (POLLOUT), SO_ERROR 0, ESTABLISHED',
      'tcp-syn-sent.nonblocking-echo': 'a line sent over the connection connect() did not wait for comes back',
      'tcp-syn-sent.blocking': 'the blocking connect() the checkpoint interrupted goes on waiting and returns 0, ESTABLISHED',
      'tcp-syn-sent.blocking-echo': 'a line sent over the connection connect() waited for comes back',
      'tcp-syn-sent.hostile-no-seq':
        'an image of a SYN_SENT connection without its SYN’s sequence number is refused (bad TCP connection state)',
      'tcp-syn-sent.hostile-established': 'one made ESTABLISHED without a connection’s fields is refused (bad socket state)',
      'tcp-syn-sent.hostile-with-mss': 'one still SYN_SENT with a connection’s field (its MSS) is refused (bad socket state)',
    },
  },
  {
    name: 'tcp-syn-timeout',
    run: shell('tcp-hold', 'tcp_syn_timeout'),
    cli: true,
    timeoutSeconds: 150,
    // Was 20: 12.2 s in the whole run of 2026-12-07 11:03 (a loaded host), 8.9 s in that of 10:12 (idle).
    costSeconds: 9,
    checks: {
      'tcp-syn-timeout.checkpoint': 'a tree with two connections still connecting (SYN_SENT) is checkpointed --kill --tcp-established',
      'tcp-syn-timeout.timed-out':
        'restarted with net.ipv4.tcp_syn_retries 1 and cptctl stopped before its final step, both connections run out of SYN retries and close, still held',
      'tcp-syn-timeout.hold-dropped': 'the restart’s final step drops the holds of the connections that closed before it',
    },
  },
  {
    name: 'tcp-hold-release',
    run: shell('tcp-hold', 'tcp_hold_release'),
    cli: true,
    timeoutSeconds: 150,
    // Was 10: 16.1 s in the whole run of 2026-12-07 11:03 (a loaded host); 20.8 s with restart-busy and given-back (00:38 UTC, 2026-12-08).
    costSeconds: 16,
    checks: {
      'tcp-hold-release.refused-without': 'checkpoint --kill without --tcp-established is refused as before, the tree running on',
      'tcp-hold-release.checkpoint': 'with --tcp-established, the tree is checkpointed and killed',
      'tcp-hold-release.held': 'the client, sending on, retransmits into the hold and sees no reset while it is there',
      'tcp-hold-release.check-counts': 'cptctl check reports the held connection (tcpHolds: 1 in --json)',
      'tcp-hold-release.unprivileged': 'nobody cannot release holds (CAP_NET_ADMIN named), which stay',
      'tcp-hold-release.restart-busy':
        'a restart, stopped once it made the connection again (taking the hold over), makes cptctl release IMAGE fail (EBUSY) naming the connection',
      'tcp-hold-release.given-back':
        'that restart killed (its session aborted), its restored process gone, the hold is the checkpoint’s again: still listed, the client not reset',
      'tcp-hold-release.released': 'cptctl release IMAGE drops the image’s connection’s hold',
      'tcp-hold-release.reset': 'then, and only then, the client’s connection is reset',
    },
  },
  {
    name: 'tcp-hold-limit',
    run: shell('tcp-hold', 'tcp_hold_limit'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 1.5,
    checks: {
      'tcp-hold-limit.refused':
        'a tree with 257 connections to peers outside it exceeds the 256 holds a user may have: refused (EUSERS) by count at the 257th',
      'tcp-hold-limit.none-left': 'the refused checkpoint leaves no hold',
      'tcp-hold-limit.many': 'the tree runs on with its connections',
    },
  },
  {
    name: 'tcp-hold-limit-restart',
    run: shell('tcp-hold', 'tcp_hold_limit_restart'),
    cli: true,
    timeoutSeconds: 120,
    // 1.9 s and 1.5 s in its first boots.
    costSeconds: 3,
    checks: {
      'tcp-hold-limit-restart.checkpoint':
        'a tree holding both ends of a connection is checkpointed --kill; another, with 256 connections to peers outside it, --kill --tcp-established: 256 held',
      'tcp-hold-limit-restart.refused':
        'the first image’s restart, which would hold its connection too, is refused (EUSERS) naming the counts, adding no hold and leaving no process',
      'tcp-hold-limit-restart.released': 'cptctl release --all then drops the 256 holds',
    },
  },
  {
    name: 'tcp-hold-rmmod',
    run: shell('tcp-hold', 'tcp_hold_rmmod'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 1,
    checks: {
      'tcp-hold-rmmod.unloaded': 'the module unloads cleanly with a hold in place',
      'tcp-hold-rmmod.reset': 'its hooks gone, the client’s connection is reset',
    },
  },
];
