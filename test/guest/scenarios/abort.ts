// Sessions that end early end cleanly, and restart refuses what it cannot
// run: all through cptctl's command line (its exit statuses and messages,
// a SIGKILL in the middle, unprivileged callers, a terminal).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const abortScenarios: readonly Scenario[] = [
  {
    name: 'killed-mid-save',
    run: shell('abort', 'killed_mid_save'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 5,
    checks: {
      'abort.killed-mid-save': 'cptctl is SIGKILLed while it saves 256 MiB',
      'abort.target-alive': 'cptctl killed mid-checkpoint leaves the target alive',
      'abort.target-not-frozen': 'cptctl killed mid-checkpoint leaves the target running, not frozen',
      'abort.target-intact': 'the target of an aborted checkpoint has its memory intact',
      'abort.module-unloads': 'the module unloads after an aborted session',
    },
  },
  {
    name: 'refused-images',
    run: shell('abort', 'refused_images'),
    cli: true,
    timeoutSeconds: 240,
    costSeconds: 6.5,
    checks: {
      'abort.other-kernel-refused': 'an image from another kernel release is refused, naming it',
      'abort.pid-taken-refused': 'a restart whose pid is in use fails, naming the pid',
      'abort.pid-taken-nothing-left': 'a restart whose pid is in use leaves no stray task',
      'abort.other-cpu-refused': 'an image needing an xstate feature this CPU lacks is refused',
    },
  },
  {
    name: 'unprivileged',
    run: shell('abort', 'unprivileged'),
    cli: true,
    timeoutSeconds: 210,
    costSeconds: 7.5,
    checks: {
      'abort.unprivileged-checkpoint': 'an unprivileged caller checkpoints its own process',
      'abort.unprivileged-restart-needs-cap':
        "an unprivileged restart without CAP_CHECKPOINT_RESTORE is refused (the kernel's pid rule), leaving nothing",
      'abort.unprivileged-restart': 'an unprivileged caller with CAP_CHECKPOINT_RESTORE restarts its own process with its pid',
      'abort.unprivileged-restart-no-caps': 'a process restarted by an unprivileged caller has no capabilities',
      'abort.root-image-refused': "an unprivileged caller cannot restart a root process's image: the credentials are refused by name",
      'abort.unprivileged-checkpoint-of-root-refused': 'an unprivileged caller cannot checkpoint a root process',
    },
  },
  {
    name: 'nproc-user',
    run: shell('abort', 'nproc_user'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 1,
    checks: {
      'nproc.checkpoint': 'root checkpoints a service running as nobody',
      'nproc.exit-status': 'a nobody service restarted by root forks, execs, reaps and ends well, with no kernel warning',
      'nproc.counted-as-user': "a nobody service restarted by root counts as nobody's process (RLIMIT_NPROC)",
      'nproc.fork-exec': 'a nobody service restarted by root runs a program in a child and reaps it',
      'nproc.count-after-exec': "nobody's process count is unchanged after the restored service's children exec and exit",
      'nproc.count-after-exit': "nobody's process count is back to where it was once the restored service exits",
    },
  },
  {
    name: 'tty-progress',
    run: shell('abort', 'tty_progress'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 8.5,
    checks: {
      'abort.tty-checkpoint-progress': 'a 256 MiB checkpoint shows its progress on a terminal',
      'abort.tty-restart-progress': 'a 256 MiB restart shows its progress on a terminal',
      'abort.tty-restart-intact': 'the 256 MiB process restarted from a terminal has its memory intact',
    },
  },
  {
    name: 'ptrace-access',
    run: shell('abort', 'ptrace_access'),
    cli: true,
    last: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'abort.ptrace-access-required': "checkpoint needs the kernel's ptrace access (Yama scope 3 refuses even root)",
      'abort.ptrace-refused-target-alive': 'a target refused for access keeps running',
    },
  },
];
