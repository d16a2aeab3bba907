// Hostile restarts aimed at the module's files (security review, issue 12:
// F1, F10, F11, F12, F13): each is refused with a clean errno and a message
// naming what it refused, or restored as it should be; the guest kernel never
// warns or oopses.
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

export const securityFilesScenarios: readonly Scenario[] = [
  {
    name: 'fd-race',
    run: shell('security_files', 'fd_race'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 14,
    checks: {
      'fd-race-inotify.attempts':
        'restarts of an inotify instance run while another thread of the restoring process swaps fds (dup2), every one ending in an errno',
      'fd-race-inotify.clean': 'no restart of the inotify instance under the fd-swapping thread ends in an unexpected errno',
      'fd-race-inotify.threads-refused':
        'a FILES restore is refused (EBUSY) while the restoring process has a thread that is no task of the tree, naming it',
      'fd-race-timerfd.attempts':
        'restarts of a timerfd with unread ticks run while another thread of the restoring process swaps fds, every one ending in an errno',
      'fd-race-timerfd.clean': 'no restart of the timerfd under the fd-swapping thread ends in an unexpected errno',
      'fd-race-timerfd.threads-refused': "a timerfd's FILES restore is refused while a stray thread shares the fd table",
    },
  },
  {
    name: 'pty-fifo',
    run: shell('security_files', 'pty_fifo'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 8,
    checks: {
      'pty-fifo.image': 'an image of a pty session is edited so that its pty slave is a FIFO, opened read-only',
      'pty-fifo.refused': 'a restart whose pty slave path is a FIFO fails at once (no open waits for a writer), naming the FIFO',
      'pty-fifo.nothing-left': 'a restart refused for its pty slave path leaves no task behind',
    },
  },
];
