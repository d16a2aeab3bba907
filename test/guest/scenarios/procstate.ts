// Process states a checkpoint meets (issue 13): zombies leading their own
// groups or sessions whose children they made their siblings (CLONE_PARENT).
import type { Scenario } from './scenario.js';
import { cycle, inDir } from './rows.js';

export const procStateScenarios: readonly Scenario[] = [
  {
    name: 'zombie-pgrp',
    run: cycle('zombie_pgrp', inDir),
    timeoutSeconds: 60,
    costSeconds: 2,
    checks: {
      'zombie-pgrp.checkpoint': 'a tree with zombies leading their own groups, their children siblings by CLONE_PARENT, is checkpointed',
      'zombie-pgrp.setup': 'the zombies lead their groups and their CLONE_PARENT children are set up before the checkpoint',
      'zombie-pgrp.exit-status': 'the tree with zombie group leaders restarts and its root ends well',
      'zombie-pgrp.groups':
        'each restored zombie still leads its group, and its CLONE_PARENT child (live or a zombie) is in the group it had',
      'zombie-pgrp.statuses':
        'the zombie group leaders and their CLONE_PARENT children are reaped with their exit statuses, the live ones after checking their parent and group',
    },
  },
];
