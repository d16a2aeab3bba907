// File locks (flock(), POSIX record locks, OFD locks) and memfd state
// (seals, status flags) through checkpoint -> kill -> restart, as root and
// as an unprivileged user; leases being broken, SIGIO owners outside the
// tree and O_ASYNC on devices refused by name.
import type { Scenario } from './scenario.js';
import { cycle, shell, shellHook } from './rows.js';

const LOCK_CHECKS = {
  'posix-parent':
    "a process's POSIX locks come back with their ranges, types and pid, seen with F_GETLK from a process forked after the restart",
  'posix-child': "another process's POSIX lock on the same file comes back as that process's",
  ofd: 'an OFD lock comes back on its range, owned by its open file (F_OFD_GETLK)',
  'flock-exclusive': 'an exclusive flock() lock still excludes (LOCK_NB gets EWOULDBLOCK)',
  'flock-shared': 'a shared flock() lock admits LOCK_SH and refuses LOCK_EX',
  'proc-locks': '/proc/locks lists each lock with its kind, type, owner and range',
  checker: 'the checking process forked after the restart ran and passed',
  'memfd-seals-flags': 'memfds keep their seals (F_GET_SEALS) and status flags (F_GETFL)',
  'memfd-sealed': 'a sealed memfd keeps its content and refuses writes; sealing stays allowed or refused as it was',
  waiter: 'a process asleep in F_SETLKW at the checkpoint sleeps on after the restart and gets the lock once it is let go',
};

/** The same checks for another scenario: its name prefixes each check, and `who` each title. */
const prefixed = (prefix: string, checks: Record<string, string>, who = ''): Record<string, string> =>
  Object.fromEntries(Object.entries(checks).map(([name, title]) => [`${prefix}.${name}`, who ? `${who}: ${title}` : title]));

export const flocksScenarios: readonly Scenario[] = [
  {
    name: 'flocks',
    run: cycle('flocks', (dir) => ['tree', dir], { after: shellHook('flocks', 'inspect_locks') }),
    timeoutSeconds: 120,
    costSeconds: 5,
    checks: {
      'flocks.exit-status': 'a tree holding flock(), POSIX and OFD locks and sealed memfds restarts and checks out',
      ...prefixed('flocks', LOCK_CHECKS),
      'flocks.inspect': 'inspect shows the locks, with their owners and ranges, and the memfd seals',
      'flocks.hostile-write-lock-on-read-only': 'an image asking for a POSIX write lock through a read-only file is refused at restart',
      'flocks.hostile-lock-range': 'an image with a lock ending past the largest offset is refused at restart',
    },
  },
  {
    name: 'flocks-user',
    run: shell('flocks', 'flocks_user'),
    cli: true,
    timeoutSeconds: 180,
    // Was 6: 14.1 s in the whole run of 2026-12-07 11:03 (a loaded host).
    costSeconds: 1,
    checks: {
      'flocks-user.checkpoint': 'nobody checkpoints its own tree holding locks and memfds',
      'flocks-user.exit-status': 'the tree restarted by nobody (with CAP_CHECKPOINT_RESTORE) exits well',
      ...prefixed('flocks-user', LOCK_CHECKS, 'restarted by nobody'),
    },
  },
  {
    name: 'flocks-refused',
    run: shell('flocks', 'flocks_refused'),
    cli: true,
    timeoutSeconds: 180,
    costSeconds: 1,
    checks: Object.fromEntries(
      (
        [
          ['lease-breaking', 'a lease (F_SETLEASE) being broken, whose time to answer a restart cannot set back'],
          ['owner-outside', 'an owner for SIGIO (F_SETOWN) outside the tree'],
          ['async-device', 'O_ASYNC on a device whose signals are not saved (/dev/urandom)'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`flocks-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`flocks-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`flocks-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
