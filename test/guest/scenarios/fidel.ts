// Fidelity (issue 13): /dev/full comes back at its path, checked to be the
// same device; devices, hugetlb memfds and SHM_NORESERVE segments whose
// state a restart cannot bring back exactly are refused by name at
// checkpoint, the process running on, and so are files of /proc, a removed
// listener's socket file, a deleted name with another link left, a thread's
// own fs_struct, a chroot, O_TMPFILE files, a removed directory, an inotify
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
  ['hardlink', 'a deleted name of a file with another hard link left, which a restart would copy apart'],
  ['thread-fs', 'a thread with a working directory and umask of its own (unshare(CLONE_FS))'],
  ['chroot', 'a chrooted process, naming its root'],
  ['tmpfile', 'an O_TMPFILE file, naming O_TMPFILE'],
  ['tmpfile-linked', 'an O_TMPFILE file given a name by linkat(), naming O_TMPFILE'],
  ['deleted-dir', 'an fd of a removed directory, naming its path'],
  ['inotify-deleted', 'an inotify watch on a removed file, which no path reaches, naming the watch'],
  ['memfd-big', 'a memfd of 9 MiB of data (over 8 MiB), naming its size'],
  ['tty', "an fd of a pty whose master is outside the tree (neither the tree's nor the shell's terminal), naming its path"],
] as const;

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
    name: 'fidel-full',
    run: cycle('fidel', (dir) => ['full', ...inDir(dir)], { after: shellHook('fidel', 'after_fidel_full') }),
    timeoutSeconds: 120,
    costSeconds: 10,
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
    costSeconds: 12,
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
    costSeconds: 30,
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
    costSeconds: 18,
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
