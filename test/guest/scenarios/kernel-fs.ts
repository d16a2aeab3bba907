// Files of the kernel's file systems (kmod/cpt_file_kernel_fs.c): the
// directories and O_PATH fds of sysfs and cgroup2 kept through checkpoint
// -> kill -> restart as the same objects, and what is refused by name: an
// open file of theirs (its per-open state), and a restart whose path now
// names another cgroup.
import type { Scenario } from './scenario.js';
import { cycle, shell } from './rows.js';

export const kernelFsScenarios: readonly Scenario[] = [
  {
    name: 'kernel-fs-kept',
    run: cycle('kernel_fs', (dir) => ['kept', dir]),
    timeoutSeconds: 60,
    costSeconds: 3,
    checks: {
      'kernel-fs-kept.checkpoint': 'a process holding directory and O_PATH fds of sysfs and of a cgroup2 cgroup is checkpointed and killed',
      'kernel-fs-kept.exit-status': 'the restarted process checks its fds and ends well',
      'kernel-fs-kept.cgroup-dir': "the cgroup's directory fd is the same inode of cgroup2 (st_dev, st_ino, f_type) with its flags",
      'kernel-fs-kept.sysfs-dir': 'the sysfs directory fd is the same inode of sysfs, FD_CLOEXEC kept',
      'kernel-fs-kept.sysfs-opath': "a sysfs attribute's O_PATH fd is the same inode",
      'kernel-fs-kept.sysfs-symlink': "a sysfs symlink's O_PATH|O_NOFOLLOW fd is the link itself again",
      'kernel-fs-kept.cgroup-opath': "a cgroup file's O_PATH fd is the same inode",
      'kernel-fs-kept.cgroup-readdir': "the cgroup directory's readdir goes on where it was: every name once",
      'kernel-fs-kept.cgroup-dirfd': "openat() of the cgroup's directory fd reads its cgroup.type",
      'kernel-fs-kept.sysfs-dirfd': 'openat() of the sysfs directory fd reads an attribute',
      'kernel-fs-kept.sysfs-readlink': "readlinkat() of the symlink's fd reads where it points",
      'kernel-fs-kept.cgroup-removed': 'the cgroup, empty, is removed',
    },
  },
  {
    name: 'kernel-fs-refused',
    run: shell('kernel-fs', 'kernel_fs_refused'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 8,
    checks: {
      ...Object.fromEntries(
        (
          [
            ['sysfs', 'an open sysfs attribute read in part'],
            ['psi', "a cgroup's cpu.pressure holding a pressure trigger"],
            ['tracefs', "tracefs's trace_pipe"],
            ['cwd', 'a working directory in a cgroup'],
            ['nsfs', 'a namespace file opened through a bind mount (as ip netns add makes)'],
            ['nsfs-path', 'an O_PATH fd of a namespace file through a bind mount'],
            ['inotify', "an inotify watch on a cgroup's cgroup.events"],
            ['fanotify', "a fanotify inode mark on a cgroup's cgroup.events"],
          ] as const
        ).flatMap(([kind, what]) => [
          [`kernel-fs-refused.${kind}`, `a checkpoint refuses ${what}, naming it (its fd, or as a directory), its path and file system`],
          [`kernel-fs-refused.${kind}-alive`, `the process refused for ${what} runs on`],
          [`kernel-fs-refused.${kind}-kept`, `the process refused for ${what} still has it as it was`],
        ]),
      ),
      'kernel-fs-refused.moved-checkpoint': "a process holding a cgroup's directory fd is checkpointed and killed",
      'kernel-fs-refused.moved-cgroup':
        'once the cgroup was removed and made again, the restart fails naming the fd: another inode than at the checkpoint',
      'kernel-fs-refused.hostile-half': 'an image whose directory has field 140 without 141 is malformed (EBADMSG)',
      'kernel-fs-refused.hostile-magic': 'an image whose field 140 names no file system whose directories are kept is malformed (EBADMSG)',
      'kernel-fs-refused.predates':
        'an image without fields 140 and 141 (as from before them) whose path is in cgroup2 is refused saying the image may predate them',
    },
  },
];
