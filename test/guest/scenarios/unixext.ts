// Unix listeners' connections not accepted yet and a listener's SO_PASSCRED
// (kmod/cpt_unix_listener.c), through checkpoint -> kill -> restart: accept()
// returns each in its queue's order, with what its client wrote before and its
// credentials; what inspect shows; hostile images; what a checkpoint refuses by
// name (a client outside the tree, or saved before its listener).
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const REFUSED: readonly (readonly [string, string])[] = [
  ['refused-outside', "a connection not accepted yet by the tree's listener from a process outside the tree"],
  ['refused-order', 'a connecting end saved before the listener that has not accepted it (at a lower fd)'],
];

export const unixextScenarios: readonly Scenario[] = [
  {
    name: 'unix-pending',
    run: cycle('unix_pending', inDir, { after: shellHook('unixext', 'inspect_unix_pending') }),
    timeoutSeconds: 100,
    costSeconds: 3.5,
    checks: {
      'unix-pending.checkpoint': 'a tree with unix connections its listeners have not accepted yet is checkpointed and killed',
      'unix-pending.exit-status': 'the restarted tree accepts them, checks them and ends well',
      'unix-pending.order':
        'accept() returns the pending connections in their order, each with what its client (in the tree) wrote and its credentials',
      'unix-pending.passcred': 'a listener keeps SO_PASSCRED, and the sockets it accepts inherit it',
      'unix-pending.both-ways': 'each connection accepted after the restart carries data both ways with its client',
      'unix-pending.seqpacket': 'a seqpacket listener on a path gives back its pending connection with its packets apart',
      'unix-pending.child': "a child's connection not accepted yet works once accepted",
      'unix-pending.inspect': "inspect shows a listener's pending connections in order, their queues, and the connecting ends",
      'unix-pending.hostile-pair-id': 'an image with a pending connection of pair id 0 is refused at restart',
      'unix-pending.hostile-credentials': "an image with more credentials than a pending connection's messages is refused at restart",
      'unix-pending.hostile-unmatched': 'an image whose pending connection names no connecting end is refused at restart, saying so',
      'unix-pending.hostile-listener-flag': 'an image with a listener marked as a connecting end is refused at restart',
    },
  },
  {
    name: 'unixext-refused',
    run: shell('unixext', 'unixext_refused'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: Object.fromEntries(
      REFUSED.flatMap(([kind, what]) => [
        [`unixext-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`unixext-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`unixext-refused.${kind}-kept`, `the process refused for ${what} still has its connection pending`],
      ]),
    ),
  },
];
