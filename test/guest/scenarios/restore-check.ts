// A RESTORE step refused at its entry check fails the restart at once
// (test/guest/shell/restore-check.sh, test/workloads/restore_check.c).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const restoreCheckScenarios: readonly Scenario[] = [
  {
    name: 'restore-check',
    run: shell('restore-check', 'restore_check'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'restore-check.step-refused': 'a RESTORE step out of turn is refused (EALREADY)',
      'restore-check.finalize-fails':
        'FINALIZE fails at once with the error of a restoring task whose step was refused, instead of waiting for it to park',
      'restore-check.nothing-left': 'the refused restart leaves its lingering task to the session, which kills it',
      'restore-check.pid-free': 'a restart whose step was refused leaves no task behind',
    },
  },
];
