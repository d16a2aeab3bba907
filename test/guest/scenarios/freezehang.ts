// The freeze never hangs (issue 12): a tree reshaped from outside in every
// freeze attempt is refused within the freeze's attempts
// (test/workloads/freeze_reshape.c, test/guest/shell/freezehang.sh).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const freezehangScenarios: readonly Scenario[] = [
  {
    name: 'freeze-reshape',
    run: shell('freezehang', 'freeze_reshape'),
    cli: true,
    timeoutSeconds: 200,
    costSeconds: 8,
    checks: {
      'freezehang.refused':
        'a checkpoint of a tree reshaped from outside during every freeze attempt gives up with EAGAIN naming the root (or ESRCH naming a task killed after the last attempt froze), within the 150 s cptctl is given',
      'freezehang.ran-on': 'every process of the reshaped tree but those killed from outside ends well after the refusal',
    },
  },
];
