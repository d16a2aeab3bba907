// Queued unix messages that carry their senders' credentials
// (SCM_CREDENTIALS; kmod/cpt_unix.c): data written to a connection before
// it was accepted, pairs and datagram sockets with SO_PASSCRED, datagrams
// sent with SCM_CREDENTIALS, through checkpoint -> kill -> restart; what
// inspect shows; hostile images. What a checkpoint refuses (a sender that
// exited) is the unix-refused scenario's `creds` kind.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shellHook } from './rows.js';

export const unixCredsScenarios: readonly Scenario[] = [
  {
    name: 'unix-creds',
    run: cycle('unix_creds', inDir, { after: shellHook('unix-creds', 'inspect_unix_creds') }),
    timeoutSeconds: 100,
    costSeconds: 3,
    checks: {
      'unix-creds.checkpoint': "a tree with unix messages queued with their senders' credentials is checkpointed and killed",
      'unix-creds.exit-status': 'the restarted tree reads each queued message with its credentials and ends well',
      'unix-creds.listener':
        "data written before the server accepted comes back with its writer's pid, uid and gid, apart from what was written after",
      'unix-creds.pair': "a stream pair with SO_PASSCRED keeps each writer's credentials on its message, and SO_PASSCRED on its end only",
      'unix-creds.dgram': "a bound datagram socket with SO_PASSCRED keeps its datagrams' credentials, given with SCM_CREDENTIALS too",
      'unix-creds.dgram-pair': 'a datagram pair keeps the credentials one datagram was sent with, and none on another',
      'unix-creds.children': 'the senders, as other users, run on after the restart',
      'unix-creds.inspect': 'inspect shows how many queued messages have credentials, and which',
      'unix-creds.hostile-count': 'an image with fewer credentials than queued messages is refused at restart',
      'unix-creds.hostile-pid': 'an image whose message credentials name a pid that does not exist is refused at restart, naming them',
    },
  },
];
