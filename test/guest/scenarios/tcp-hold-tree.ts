// The tree's own TCP connections held for a --kill (CPT_INIT_KILL,
// kmod/cpt_file_inet_tcp.c cpt_inet_hold_tree()): a connection whose data
// still moves at the checkpoint (netem on lo: 50 ms at 4 Mbit/s) no longer makes
// --kill fail with "try again"; a leave-running checkpoint holds nothing; a
// --kill refused after the holds leaves none.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

function movingChecks(row: string, family: string): Record<string, string> {
  return {
    [`${row}.leave-running`]: `${family}: a tree streaming both ways over its own loopback connection, 50 ms of delay each way at 4 Mbit/s, is checkpointed, left running`,
    [`${row}.leave-running-unheld`]: `${family}: that checkpoint held nothing: no hold listed after it (release --list, check --json tcpHolds 0), no segment dropped meanwhile (its ends’ retransmissions as before)`,
    [`${row}.refused`]: `${family}: checkpoint --kill is refused for the child’s socket with SO_MAX_PACING_RATE, after the parent’s FILES took the holds; both processes run on`,
    [`${row}.refused-unheld`]: `${family}: the refused --kill left no hold`,
    [`${row}.refused-kept`]: `${family}: the connection of the refused tree moves 256 KiB more`,
    [`${row}.checkpoint`]: `${family}: checkpoint --kill succeeds at the first try, data in flight between the two frozen ends`,
    [`${row}.killed-unheld`]: `${family}: once the tree is killed, no hold is left (its connection’s ends were both the tree’s)`,
    [`${row}.exit-status`]: `${family}: the restarted tree ends well: both ends’ checks passed`,
    [`${row}.no-reset`]: `${family}: no TCP reset was sent (OutRsts of /proc/net/snmp) from the restart to the end`,
    [`${row}.client`]: `${family}: the client end got the server’s whole stream, every byte in order, and its end, no error`,
    [`${row}.server`]: `${family}: the server end got the client’s whole stream, every byte in order, and its end, no error`,
  };
}

export const tcpHoldTreeScenarios: readonly Scenario[] = [
  {
    name: 'tcp-hold-tree-v4',
    run: shell('tcp-hold-tree', 'tcp_hold_tree_v4'),
    cli: true,
    timeoutSeconds: 100,
    // 22 to 24.5 s in its first boots (00:05 to 00:20 UTC, the stock kernel), the boot's first row.
    costSeconds: 22,
    checks: movingChecks('tcp-hold-tree-v4', 'IPv4'),
  },
  {
    name: 'tcp-hold-tree-v6',
    run: shell('tcp-hold-tree', 'tcp_hold_tree_v6'),
    cli: true,
    timeoutSeconds: 100,
    // 16 to 18 s in its first boots (17: a cost that keeps every planned boot within ava's timeout).
    costSeconds: 17,
    checks: movingChecks('tcp-hold-tree-v6', 'IPv6'),
  },
  {
    name: 'tcp-hold-tree-limit',
    run: shell('tcp-hold-tree', 'tcp_hold_tree_limit'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 3,
    checks: {
      'tcp-hold-tree-limit.refused':
        'a tree with 129 connections of its own (258 ends) exceeds the 256 holds a user may have: its --kill is refused (EUSERS), naming the counts, the tree running on',
      'tcp-hold-tree-limit.none-left': 'the refused --kill leaves no hold',
      'tcp-hold-tree-limit.many': 'each of the 129 connections then echoes a byte',
    },
  },
];
