// Fidelity (issue 13): a chrooted tree comes back in its roots (chroot);
// /dev/full comes back at its path, checked to be the
// same device; devices, hugetlb memfds and SHM_NORESERVE segments whose
// state a restart cannot bring back exactly are refused by name at
// checkpoint, the process running on, and so are files of /proc, a removed
// listener's socket file, a deleted name with another link left, a thread's
// own fs_struct, a chroot into a removed directory, O_TMPFILE files, a removed directory, an inotify
// watch no path reaches, a memfd over 8 MiB and a tty from outside the tree
// (fidel-gaps); hostile images
// of O_DIRECT fds and AIO rings are refused at restart by name.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const refused = [
  ['kmsg', "a /dev/kmsg node (1:11), whose reader's place is not saved"],
  ['block', 'a block device node (7:0)'],
  ['hugememfd', 'a hugetlb memfd (MFD_HUGETLB), which a restart would make on tmpfs'],
  ['noreserve', 'a SHM_NORESERVE segment with an unreserved page, which a restart would reserve'],
] as const;

// State a restart could only bring back changed (test/workloads/fidel_gaps.c).
const gaps = [
  ['proc', 'a file of /proc (/proc/self/status), which names its process by pid'],
  ['proc-cwd', 'a working directory in /proc (/proc/self)'],
  ['unix-deleted', 'a unix listener whose socket file was removed, which a restart would make again'],
  [
    'unix-renamed-taken',
    'a unix listener whose socket file was renamed and whose name now names another file, which a restart could not bind',
  ],
  ['hardlink', 'a deleted name of a file with another hard link left, which a restart would copy apart'],
  ['thread-fs', 'a thread with a working directory and umask of its own (unshare(CLONE_FS))'],
  ['chroot-deleted', 'a process chrooted into a directory since removed, which no path reaches, naming its root'],
  ['tmpfile', 'an O_TMPFILE file, naming O_TMPFILE'],
  ['tmpfile-linked', 'an O_TMPFILE file given a name by linkat(), naming O_TMPFILE'],
  ['deleted-dir', 'an fd of a removed directory, naming its path'],
  ['inotify-deleted', 'an inotify watch on a removed file, which no path reaches, naming the watch'],
  ['memfd-big', 'a memfd of 9 MiB of data (over 8 MiB), naming its size'],
  ['tty', "an fd of a pty whose master is outside the tree (neither the tree's nor the shell's terminal), naming its path"],
] as const;

// What each process of a restarted chroot_state tree checks of itself.
const chrootState = [
  ['root', "the restarted process's root is its jail again (its '..' is itself)"],
  ['cwd-outside', 'its working directory outside its root comes back, getcwd() saying the same'],
  ['marker', 'it reads a file of its root by its path there'],
  ['forked-after', 'a child forked after the restart inherits its root and working directory'],
  ['service-root', "the service's root (chroot, then setuid nobody) is its jail again"],
  ['service-cwd', "the service's working directory inside its root comes back"],
  ['service-marker', 'the service reads a file of its root by its path there'],
  [
    'service-listener',
    'a unix listener the service bound to /sub/svc.sock of its root is bound there again, reached by that path, named so',
  ],
  ['service-user', 'the service is still nobody, which may not chroot'],
  ['service-exit', 'the service ends well'],
] as const;

// chroot_state DIR private: the root process's working directory is its root.
const cwdRoot = ['cwd-root', 'its working directory, its root, comes back, getcwd() saying the same'] as const;

function chrootChecks(scenario: string, whose: string, cwdInRoot = false): Record<string, string> {
  const checks = cwdInRoot ? chrootState.map((c) => (c[0] === 'cwd-outside' ? cwdRoot : c)) : chrootState;
  return Object.fromEntries(checks.map(([check, what]) => [`${scenario}.${check}`, `${what} (${whose})`]));
}

const aioHostile = [
  ['unaligned', 'a ring address not page-aligned'],
  ['kernel', 'a ring address past the user address space'],
  ['length', 'a ring of length 0'],
  ['max-reqs', 'an io_setup() size of 2^32-1'],
  ['nr-events', 'a ring size io_setup() does not make'],
  ['head', 'a head past the ring'],
  ['tail', 'a tail past the ring'],
  ['field-missing', 'a completion with a field missing'],
  ['extra', 'more completions than from head to tail'],
] as const;

export const fidelScenarios: readonly Scenario[] = [
  {
    name: 'chroot',
    run: cycle('chroot_state', inDir),
    timeoutSeconds: 120,
    costSeconds: 0.5,
    checks: {
      'chroot.checkpoint':
        'a chrooted tree (a root process and a service that dropped to nobody) in a jail below a directory only root may search (0700) is checkpointed and killed',
      'chroot.exit-status': 'the restarted tree checks its roots and working directories and ends well',
      ...chrootChecks('chroot', "root's tree"),
    },
  },
  {
    name: 'chroot-user',
    run: shell('fidel', 'chroot_user'),
    cli: true,
    timeoutSeconds: 240,
    // Was 8: 15.7 s in the whole run of 2026-12-07 11:03 (a loaded host).
    costSeconds: 3.5,
    checks: {
      'chroot-user.checkpoint': 'nobody checkpoints its own chrooted tree (chroot by root, then setuid nobody) and kills it',
      'chroot-user.nocap-refused':
        'a restart by nobody is refused, naming the root and CAP_SYS_CHROOT: a restart never chroots where its caller could not',
      'chroot-user.nocap-nothing-left': 'the refused restart leaves nothing running',
      'chroot-user.exit-status': "root's restart of nobody's chrooted tree brings it back and it ends well",
      ...chrootChecks('chroot-user', "nobody's tree, restarted by root"),
      'chroot-private.checkpoint':
        "root checkpoints and kills nobody's chrooted tree in a jail below a directory only root may search (0700)",
      'chroot-private.unreached-refused':
        'a restart by nobody in a user namespace of its own (where it may chroot) is refused, naming the root it cannot reach',
      'chroot-private.unreached-nothing-left': "the restart refused for a jail out of its caller's reach leaves nothing running",
      'chroot-private.exit-status': "root's restart brings the tree back, though nobody may not search above its jail, and it ends well",
      ...chrootChecks('chroot-private', "nobody's tree below a 0700 directory, restarted by root", true),
    },
  },
  {
    name: 'unix-moved',
    run: cycle('unix_moved', inDir),
    timeoutSeconds: 120,
    costSeconds: 0.5,
    checks: {
      'unix-moved.checkpoint': 'a unix listener whose socket file was renamed into another directory is checkpointed and killed',
      'unix-moved.exit-status': 'the restarted listener checks its name and socket file and ends well',
      'unix-moved.name': 'its name (getsockname()) is still the path it was bound to',
      'unix-moved.name-free': 'the path it was bound to is still free: the restart made no file there',
      'unix-moved.moved-file': 'its socket file is back at its new path, with its mode',
      'unix-moved.connect-moved': 'a client connecting to the new path is the one it accepts',
      'unix-moved.connect-name': 'a client connecting to the path it was bound to finds nothing',
    },
  },
  {
    name: 'fidel-full',
    run: cycle('fidel', (dir) => ['full', ...inDir(dir)], { after: shellHook('fidel', 'after_fidel_full') }),
    timeoutSeconds: 120,
    costSeconds: 3.5,
    checks: {
      'fidel-full.checkpoint': 'a process holding /dev/full at two paths is checkpointed and killed',
      'fidel-full.exit-status': 'the restarted process checks its /dev/full fds and ends well',
      'fidel-full.full': '/dev/full comes back at each path (1:7), with its flags, writes failing with ENOSPC and reads giving zeros',
      'fidel-full.other-device': 'a restart whose device node path is now another device (1:3) is refused, naming the path and 1:7',
      'fidel-full.hostile-rdev': 'an image whose device is edited to tun (10:200) is refused at restart by number',
      'fidel-full.inspect': 'inspect shows /dev/full and its device number',
    },
  },
  {
    name: 'fidel-refused',
    run: shell('fidel', 'fidel_refused'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 1,
    checks: Object.fromEntries(
      refused.flatMap(([kind, what]) => [
        [`fidel-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`fidel-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`fidel-refused.${kind}-kept`, `the process refused for ${what} still has it as it was`],
      ]),
    ),
  },
  {
    name: 'fidel-gaps',
    run: shell('fidel', 'fidel_gaps'),
    cli: true,
    timeoutSeconds: 330,
    costSeconds: 4,
    checks: Object.fromEntries(
      gaps.flatMap(([kind, what]) => [
        [`fidel-gaps.${kind}`, `a checkpoint --kill refuses ${what}, by name`],
        [`fidel-gaps.${kind}-alive`, `the process refused for ${what} runs on`],
        [`fidel-gaps.${kind}-kept`, `the process refused for ${what} still has it as it was`],
      ]),
    ),
  },
  {
    name: 'fidel-hostile',
    run: shell('fidel', 'fidel_hostile'),
    cli: true,
    timeoutSeconds: 150,
    // 14 of its 46 s in a suite (a busy host) were the round trips of its 12 images, now the host's.
    // 10.6 s of the guest's CPU with a jq for each of its 9 edited images, 5.0 s with one jq for each
    // source image (one boot, 2026-12-07 15:08; 13.3 s in the whole run of 14:20, a loaded host).
    costSeconds: 3.5,
    checks: {
      'fidel-hostile.direct-checkpoint': 'a process holding an O_DIRECT fd on 9p is checkpointed',
      'fidel-hostile.direct-tmpfs': 'its image with the file moved to tmpfs (no direct I/O) is refused at restart, naming the fd',
      'fidel-hostile.aio-checkpoint': 'a process holding AIO contexts is checkpointed',
      ...Object.fromEntries(
        aioHostile.map(([edit, what]) => [
          `fidel-hostile.aio-${edit}`,
          `an image of an AIO ring with ${what} is refused at restart, by name`,
        ]),
      ),
    },
  },
];
