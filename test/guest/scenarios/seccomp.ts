// seccomp (issue 13, issue 12 F6): a process comes back under the filters or
// strict mode it had, shared as they were; what cannot is refused by name.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const seccompScenarios: readonly Scenario[] = [
  {
    name: 'seccomp-filters',
    run: shell('seccomp', 'seccomp_filters'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 2.5,
    checks: {
      'seccomp-filter.checkpoint': 'a process under two seccomp filters (ERRNO with SECCOMP_FILTER_FLAG_LOG, KILL) is checkpointed',
      'seccomp-filter.inspect':
        'inspect shows each filter once, with what it was installed over, its size and LOG, and the task its last filter',
      'seccomp-filter.loop-refused':
        'an image whose filter is installed over itself is refused as malformed at INIT, and nothing is restored',
      'seccomp-filter.exit-status': 'the restarted filtered process checks itself and ends well',
      'seccomp-filter.errno': 'after the restart the denied syscall still fails with the same errno',
      'seccomp-filter.status': 'after the restart /proc/self/status shows Seccomp 2 and the same Seccomp_filters count',
      'seccomp-filter.forked-child': 'a child forked after the restart inherits the filters: the KILL filter kills it with SIGSYS',
      'seccomp-strict.checkpoint': 'a process with a child in seccomp strict mode is checkpointed',
      'seccomp-strict.exit-status': 'the restarted strict-mode tree checks itself and ends well',
      'seccomp-strict.status': 'after the restart the child is in strict mode (Seccomp 1)',
      'seccomp-strict.killed': 'after the restart a syscall strict mode forbids kills the child',
    },
  },
  {
    name: 'seccomp-tsync',
    run: shell('seccomp', 'seccomp_tsync'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 0.5,
    checks: {
      'seccomp-tsync.checkpoint': 'a process whose three threads share a filter installed with TSYNC is checkpointed',
      'seccomp-tsync.exit-status': 'the restarted threads check themselves and end well',
      'seccomp-tsync.tsync-again': 'after the restart a second TSYNC filter is accepted: the threads share their filter again',
      'seccomp-tsync.threads': 'every thread is under both filters after the restart',
    },
  },
  {
    name: 'seccomp-fork',
    run: shell('seccomp', 'seccomp_fork'),
    cli: true,
    timeoutSeconds: 120,
    // Was 30: 11.5 s in the whole run of 2026-12-07 11:03 (a loaded host), 9.2 s in that of 10:12 (idle).
    costSeconds: 3,
    checks: {
      'seccomp-fork.checkpoint': 'a parent and child sharing a filter, each with its own over it, are checkpointed',
      'seccomp-fork.shared-prefix': 'the image holds the shared filter once, and so does one taken again after a restart',
      'seccomp-fork.exit-status': 'the restarted parent and child check themselves and end well',
      'seccomp-fork.parent': 'after the restart the parent is under the shared filter and its own',
      'seccomp-fork.child': 'after the restart the child is under the shared filter and its own',
    },
  },
  {
    name: 'seccomp-nobody',
    run: shell('seccomp', 'seccomp_nobody'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 2.5,
    checks: {
      'seccomp-nobody.checkpoint': 'a filtered process of nobody with no_new_privs is checkpointed',
      'seccomp-nobody.no-nnp-refused':
        'nobody may not restart that image edited to lack no_new_privs: the refusal names no_new_privs and CAP_SYS_ADMIN',
      'seccomp-nobody.exit-status': 'nobody restarts its filtered process, which checks itself and ends well',
      'seccomp-nobody.errno': "after nobody's restart the denied syscall still fails with the same errno",
      'seccomp-nobody.status': "after nobody's restart Seccomp and Seccomp_filters are as before",
      'seccomp-nobody.forked-child': "a child forked after nobody's restart inherits the filters",
    },
  },
  {
    name: 'seccomp-listener-refused',
    run: shell('seccomp', 'seccomp_listener_refused'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'seccomp.listener-refused':
        'a checkpoint of a process with a user-notification listener filter is refused, naming the pid and the listener',
      'seccomp.listener-refused-alive': 'the process a listener refusal names is left running',
    },
  },
];
