// pidfds (kmod/cpt_file_pidfd.c) and O_PATH fds (kmod/cpt_file_opath.c)
// through checkpoint -> kill -> restart, what inspect shows of them, hostile
// images, and what a checkpoint refuses of them, naming the fd.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

export const pidfdScenarios: readonly Scenario[] = [
  {
    name: 'pidfd-state',
    run: cycle('pidfd_state', inDir, { after: shellHook('pidfd', 'after_pidfd_state') }),
    // inspect, inspect --json, encode and a refused restart after the cycle: node is slow in the guest
    timeoutSeconds: 60,
    costSeconds: 2.5,
    checks: {
      'pidfd-state.checkpoint': 'a process holding pidfds of its children, of a reaped child and of itself is checkpointed and killed',
      'pidfd-state.exit-status': 'the restarted process checks its pidfds and ends well',
      'pidfd-state.pidfd-flags': 'each pidfd keeps O_NONBLOCK (PIDFD_NONBLOCK) and FD_CLOEXEC as they were',
      'pidfd-state.pidfd-fdinfo': "each pidfd's fdinfo names the same pid, and -1 for the reaped child",
      'pidfd-state.pidfd-alive-quiet': 'the pidfds of live processes do not poll readable; pidfd_send_signal(0) to itself works',
      'pidfd-state.pidfd-nonblock': 'waitid(P_PIDFD) on the PIDFD_NONBLOCK pidfd of a live child says EAGAIN',
      'pidfd-state.pidfd-signal': 'pidfd_send_signal() kills the child; its pidfd polls readable and waitid(P_PIDFD) reaps it',
      'pidfd-state.pidfd-exit': "the clone3(CLONE_PIDFD) pidfd polls readable at the child's exit and waitid(P_PIDFD) gets its status",
      'pidfd-state.pidfd-epoll': 'an epoll instance watching a pidfd is quiet while its child lives and ready once it exited',
      'pidfd-state.pidfd-zombie': "a zombie child's pidfd polls readable, names it, and waitid(P_PIDFD) reaps it with its status",
      'pidfd-state.pidfd-reaped': 'the pidfd of a child reaped before the checkpoint polls readable, signals ESRCH, waitid ECHILD',
      'pidfd-state.pidfd-parent': "a child's pidfd of its parent still names it and signals it",
      'pidfd-state.pidfd-checker': 'the child holding its parent pidfd ends well',
      'pidfd-state.inspect': 'inspect shows each pidfd with its pid, the reaped one as exited',
      'pidfd-state.hostile-pid': 'an image whose pidfd names a pid no process of the tree has is refused at restart, naming it',
    },
  },
  {
    name: 'opath-state',
    run: cycle('opath_state', inDir, { after: shellHook('pidfd', 'after_opath_state') }),
    // its hostile image takes inspect --json, encode and a restart: node is slow in the guest
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: {
      'opath-state.checkpoint': 'a process holding O_PATH fds of a file, a directory, a symlink and a FIFO is checkpointed and killed',
      'opath-state.exit-status': 'the restarted process checks its O_PATH fds and ends well',
      'opath-state.opath-flags': 'each O_PATH fd is O_PATH again with its O_DIRECTORY, O_NOFOLLOW and FD_CLOEXEC',
      'opath-state.opath-same-file': 'each O_PATH fd is on the same file (st_dev, st_ino, st_mode), the symlink itself included',
      'opath-state.opath-no-read': 'read() of an O_PATH fd still fails with EBADF',
      'opath-state.opath-dirfd': "the directory's O_PATH fd serves as openat()'s dirfd",
      'opath-state.opath-symlink': 'readlinkat(the symlink\'s O_PATH fd, "") reads the link',
      'opath-state.opath-reopen': "the file's O_PATH fd reopens through /proc/self/fd",
      'opath-state.inspect': 'inspect shows each O_PATH fd with its flags, path and type',
      'opath-state.hostile-type': 'an image whose O_PATH file was of another type than the path now names is refused at restart',
    },
  },
  {
    name: 'pidfd-refused',
    run: shell('pidfd', 'pidfd_refused'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: Object.fromEntries(
      (
        [
          ['outside', 'a pidfd of a process outside the tree'],
          ['deleted', 'an O_PATH fd of a deleted file'],
        ] as const
      ).flatMap(([kind, what]) => [
        [`pidfd-refused.${kind}`, `a checkpoint refuses ${what}, naming the fd`],
        [`pidfd-refused.${kind}-alive`, `the process refused for ${what} runs on`],
        [`pidfd-refused.${kind}-kept`, `the process refused for ${what} still has it`],
      ]),
    ),
  },
];
