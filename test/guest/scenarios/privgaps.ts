// Issue 15, review finding F6: what a restart opens again by path for a
// task, as the file's opener did, root restarting nobody's images
// (test/guest/shell/privgaps.sh).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const privgapsScenarios: readonly Scenario[] = [
  {
    name: 'reopen-creds',
    run: shell('privgaps', 'reopen_creds'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 5,
    checks: {
      'reopen-creds.fd.checkpoint': "root checkpoints nobody's process that holds a file open read-only at fd 3",
      'reopen-creds.unedited.exit-status': "root restarts the unedited image of nobody's process, which runs to its end",
      'reopen-creds.unedited.content': 'the restarted process reads the file it holds at fd 3 as before',
      'reopen-creds.edited-refused':
        "root's restart of nobody's image edited so that fd 3 is a file only root may read is refused, naming the fd, the path and its opener's uid",
      'reopen-creds.chmod-refused':
        "root's restart of nobody's image whose fd 3's file was made root's, mode 0600, since the checkpoint is refused, naming it",
      'reopen-creds.map.checkpoint': "root checkpoints nobody's process that holds a file mapped shared, with no fd",
      'reopen-creds.mapped-refused':
        "root's restart of nobody's image whose mapped file was made mode 0600 since the checkpoint is refused, naming the mapped file",
    },
  },
  {
    name: 'priv-drop',
    run: shell('privgaps', 'priv_drop'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 6,
    checks: {
      'priv-drop.checkpoint':
        'root checkpoints a service whose root process opened its root-only log and whose child dropped to nobody and holds it',
      'priv-drop.exit-status': 'root restarts it, and the service runs to its end',
      'priv-drop.cannot-open': 'the restarted child, nobody, may not open the log itself',
      'priv-drop.write-after': 'the restarted child writes on to the log through the fd root opened',
      'priv-drop.log': 'the log holds what the child wrote before the checkpoint and after the restart',
      'priv-drop.opener-refused':
        "root's restart of the image edited so that the log's opener is nobody is refused, naming the path and the opener's uid",
    },
  },
  {
    name: 'userns-groups',
    run: shell('privgaps', 'userns_groups'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 4.5,
    checks: {
      'userns-groups.checkpoint': 'nobody with supplementary group 100, unmapped in its user namespace, checkpoints its process there',
      'userns-groups.image': "the image says the process had the caller's own unmapped groups, and names no overflow gid",
      'userns-groups.restart': 'nobody restarts it with --pidns in another user namespace of its own, and the process has group 100 again',
      'userns-groups.content': 'the process restarted with its unmapped group reads its file through its fd as before',
    },
  },
];
