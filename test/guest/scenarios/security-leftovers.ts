// The review's last findings (issue 12): a checkpoint reads eventfds shared
// with processes outside the tree without a probe, a restarted thread that
// fails half-way through its final step dies with its process, and the
// saved FPU registers reach user mode on whichever CPU the restored task
// returns (test/guest/shell/security-leftovers.sh).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const securityLeftoverScenarios: readonly Scenario[] = [
  {
    name: 'eventfd-outside',
    run: shell('security-leftovers', 'eventfd_outside'),
    cli: true,
    timeoutSeconds: 30,
    costSeconds: 2,
    checks: {
      'eventfd-outside.checkpoint': 'a tree sharing eventfds with processes outside it is checkpointed',
      'eventfd-outside.no-wakeup': 'the checkpoint wakes no reader blocked on a shared eventfd outside the tree',
      'eventfd-outside.counters-unchanged': "the checkpoint leaves shared eventfds' counters as they were",
      'eventfd-outside.semaphore-saved': 'the image tells the semaphore eventfd from the plain one, read without a probe',
    },
  },
  {
    name: 'thread-half',
    run: shell('security-leftovers', 'thread_half'),
    cli: true,
    timeoutSeconds: 150,
    // Was 11: 2.8 s in the whole run of 2026-12-07 11:03 (a loaded host), 2.3 s in that of 10:12 (idle).
    costSeconds: 3.5,
    checks: {
      'thread-half.cptctl-refused':
        "a restart whose thread fails in its final step after it began to change fails, naming the thread, the rlimit and the thread's kill",
      'thread-half.cptctl-nothing-left': 'a restart whose thread failed half-way leaves no task behind',
      'thread-half.refused': 'FINALIZE fails for a restart whose thread failed half-way',
      'thread-half.failure-named':
        "FINALIZE fails with the failed thread's error, not with the death of its main thread that the failure caused",
      'thread-half.thread-never-returns': 'a thread that failed half-way through its final step never comes back to user space',
      'thread-half.process-killed': 'the process of a thread that failed half-way dies of SIGKILL',
      'thread-half.nothing-left': 'a restart driven through the ioctls whose thread failed half-way leaves no task behind',
      'thread-half.module-unloads': 'the module unloads after restarts whose thread failed half-way',
    },
  },
];

/**
 * Needs a guest with two CPUs: not in the table's boots (one CPU each), but
 * in a boot of its own (test/guest/two-cpus.test.ts).
 */
export const twoCpuScenarios: readonly Scenario[] = [
  {
    name: 'fpu-migrate',
    run: shell('security-leftovers', 'fpu_migrate'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 7,
    checks: {
      'fpu-migrate.registers-after-migration':
        'a restored task moved to another CPU in its final step and back returns to user mode with its saved FPU registers, not stale ones',
      'fpu-migrate.nothing-left': 'the restarts moved between CPUs leave no task behind',
    },
  },
];
