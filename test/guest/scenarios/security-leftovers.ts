// The review's last findings (issue 12): a checkpoint reads eventfds shared
// with processes outside the tree without a probe
// (test/guest/shell/security-leftovers.sh).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const securityLeftoverScenarios: readonly Scenario[] = [
  {
    name: 'eventfd-outside',
    run: shell('security-leftovers', 'eventfd_outside'),
    cli: true,
    timeoutSeconds: 30,
    costSeconds: 4,
    checks: {
      'eventfd-outside.checkpoint': 'a tree sharing eventfds with processes outside it is checkpointed',
      'eventfd-outside.no-wakeup': 'the checkpoint wakes no reader blocked on a shared eventfd outside the tree',
      'eventfd-outside.counters-unchanged': "the checkpoint leaves shared eventfds' counters as they were",
      'eventfd-outside.semaphore-saved': 'the image tells the semaphore eventfd from the plain one, read without a probe',
    },
  },
];
