// What a checkpoint may read and a restart may grant: no more than the
// caller could read or get itself (security review, issue 12: F4, F6, F13).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const securityCredsScenarios: readonly Scenario[] = [
  {
    name: 'deleted-unreadable',
    run: shell('security-creds', 'deleted_unreadable'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 12,
    checks: {
      'creds.deleted-unreadable-refused': 'a checkpoint of a deleted file its caller may not read is refused, naming the fd',
      'creds.deleted-unreadable-not-saved': 'the refused checkpoint wrote the content nowhere and left the target running',
      'creds.deleted-root-saved': 'root, who may read it, checkpoints the same deleted file with its content',
    },
  },
];
