// Unprivileged checkpoint/restart in a user namespace (issue 15), through
// cptctl's command line as nobody (test/guest/shell/userns.sh); the
// privilege matrix (privmodel.ts) has the same through the ioctls.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const usernsScenarios: readonly Scenario[] = [
  {
    name: 'userns',
    run: shell('userns', 'userns'),
    cli: true,
    timeoutSeconds: 120,
    // Was 24: 15.7 s in the whole run of 2026-12-07 11:03 (a loaded host), 8.8 s in that of 10:12 (idle).
    costSeconds: 7,
    checks: {
      'userns.checkpoint': 'nobody checkpoints its process tree in a user and pid namespace of its own',
      'userns.initial-pidns-refused':
        "nobody, root in its own user namespace, may not restart the tree with the initial pid namespace's pids",
      'userns.restart':
        "nobody restarts its tree with cptctl restart --pidns in a user namespace of its own; the pid namespace's init is nobody's",
      'userns.tree-root-ids': 'the tree restarted by nobody: its root keeps its pid, group and session in its pid namespace',
      'userns.tree-subtree-A': 'the tree restarted by nobody: subtree A keeps pids, parents, groups and session',
      'userns.tree-subtree-B': "the tree restarted by nobody: subtree B (in a sibling's group) keeps its ids",
      'userns.tree-subtree-C': 'the tree restarted by nobody: subtree C keeps its ids',
      'userns.tree-subtree-D': 'the tree restarted by nobody: subtree D keeps a group whose leader is gone',
      'userns.tree-all-exited': 'the tree restarted by nobody: every process of it exits, nothing is left',
    },
  },
  {
    name: 'userns-plain',
    run: shell('userns', 'userns_plain'),
    cli: true,
    timeoutSeconds: 180,
    // Was 21: 11.1 s in the whole run of 2026-12-07 11:03 (a loaded host), 9.8 s in that of 10:12 (idle).
    costSeconds: 5.5,
    checks: {
      'userns-plain.checkpoint': 'nobody, with no capability and a supplementary group, checkpoints its own 4-process tree where it runs',
      'userns-plain.disabled-refused':
        'with user namespaces disabled (user.max_user_namespaces 0), restart --pidns by nobody is refused with exit 5, naming the sysctl, and restores nothing',
      'userns-plain.restart':
        "nobody's plain cptctl restart --pidns makes a user namespace for the tree and says so; the pid namespace's init is nobody's, in that namespace",
      'userns-plain.tree-pids': 'the tree restarted by nobody: every process has its pid, and its parent, again',
      'userns-plain.tree-ids':
        'the tree restarted by nobody: every process sees its uids and gids as before, and still holds group 100 (unmapped in its namespace): it reads a file only that group may',
      'userns-plain.tree-files': 'the tree restarted by nobody: every process has its file at its offset, and writes on',
      'userns-plain.tree-fork-exec': 'the tree restarted by nobody: every process forks a child that execs, with the same ids',
      'userns-plain.tree-userns':
        "the tree restarted by nobody: it is in a new user namespace that maps nobody's uid, and only it, to itself",
      'userns-plain.tree-all-exited': 'the tree restarted by nobody: every process exits 0 after its checks',
    },
  },
];
