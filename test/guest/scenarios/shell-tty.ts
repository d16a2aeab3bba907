// Shell jobs on a terminal (README "Shell jobs"): the shell's terminal, at
// any fd and as the controlling terminal, becomes the restarting caller's,
// with the job in the foreground; what cannot come back is refused by name.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const shellTtyScenarios: readonly Scenario[] = [
  {
    name: 'shell-tty',
    run: shell('shell-tty', 'shell_tty'),
    cli: true,
    timeoutSeconds: 100,
    // Was 8: 17.1 s in the whole run of 2026-12-07 11:03 (a loaded host).
    costSeconds: 7.5,
    checks: {
      'shell-tty.checkpoint': "a foreground job with its shell's terminal at fds 10-13 and as its controlling terminal is checkpointed",
      'shell-tty.inspect': "inspect shows the shell's terminal, how each fd opened it, and the foreground group",
      'shell-tty.no-terminal-refused': 'a restart whose caller has no controlling terminal is refused, naming the process',
      'shell-tty.no-terminal-nothing-left': 'a restart refused for want of a terminal leaves nothing behind',
      'shell-tty.exit-status': 'the job restarted on another terminal ends well',
      'shell-tty.fds': "fds 10-13 come back on the caller's terminal: /dev/tty or the device, with their flags and sharing",
      'shell-tty.controlling': "the caller's terminal controls the restarted job's session (/dev/tty, tcgetsid)",
      'shell-tty.foreground': "the job that had the foreground has it on the caller's terminal (tcgetpgrp)",
      'shell-tty.reads-terminal': 'the restarted job reads a line typed on the terminal (no SIGTTIN)',
    },
  },
  {
    name: 'shell-tty-refused',
    run: shell('shell-tty', 'shell_tty_refused'),
    cli: true,
    timeoutSeconds: 30,
    costSeconds: 4,
    checks: {
      'shell-tty.leader-refused': 'a session leader of the tree whose controlling terminal is outside it is refused, naming it',
      'shell-tty.leader-alive': 'the refused session leader runs on',
    },
  },
];
