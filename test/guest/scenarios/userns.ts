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
    costSeconds: 16,
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
];
