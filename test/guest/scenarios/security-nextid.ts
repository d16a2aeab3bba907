// The module's per-task next ids and pid reservations against hostile
// callers (security review F3, F7, F13): the capability they need, that
// they die with their task, a devpts instance's max, per-user limits, and a
// fork path that many restarts' reservations do not slow down.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const securityNextidScenarios: readonly Scenario[] = [
  {
    name: 'nextid-limits',
    run: shell('security-nextid', 'nextid_limits'),
    timeoutSeconds: 180,
    costSeconds: 4,
    checks: {
      'nextid.unprivileged-reserve-refused':
        'a restart without CAP_CHECKPOINT_RESTORE (nobody, /dev/cpt 0666) is refused its pid reservation',
      'nextid.unprivileged-pid-refused': 'SET_NEXT_ID of a pid without CAP_CHECKPOINT_RESTORE is refused',
      'nextid.unprivileged-pty-refused': 'SET_NEXT_ID of a pty index without CAP_CHECKPOINT_RESTORE is refused',
      'nextid.requests-freed-at-exit': 'next-id requests of processes and threads that exit without using them are freed',
      'nextid.pty-max-honoured': "a pty index at or above a devpts instance's max is not given",
      'nextid.pidns-reservation-follows':
        "a restart whose tree is made in a new pid namespace reserves its pids there, not in the coordinator's",
      'nextid.reservations-per-user-limited': 'a user holds at most 16 restarts (pid reservations) at once',
      'nextid.fork-fast-under-reservations':
        "fork stays fast and off reserved pids beside 48 restarts' reservations laid out against the fork path",
      'nextid.reservations-released': 'ended restarts leave no reservation behind',
    },
  },
];
