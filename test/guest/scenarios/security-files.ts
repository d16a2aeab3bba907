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
    timeoutSeconds: 150,
    costSeconds: 6.5,
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
    name: 'fd-race-sharer',
    run: shell('security_files', 'fd_race_sharer'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 3.5,
    checks: {
      'fd-race-sharer.attempts':
        'restarts of a two-thread process with an eventfd in flight in a unix pair, its second thread (a task of the tree) cloning a process that shares the fd table (CLONE_FILES) and swaps fds (dup2) while the FILES restore waits for that thread, every one ending in an errno',
      'fd-race-sharer.clean': 'no restart under the fd-table sharer ends in an unexpected errno',
      'fd-race-sharer.sharer-refused':
        'the FILES restore is refused (EOPNOTSUPP, "shares its fd table") when a process came to share the fd table while it waited for the threads: the table is looked at again once they are held',
      'fd-race-sharer.sharer-late':
        'in every restart the sharer came while the FILES restore waited for the thread (past its first look at the table)',
    },
  },
  {
    name: 'fd-race-sockets',
    run: shell('security_files', 'fd_race_sockets'),
    cli: true,
    timeoutSeconds: 180,
    costSeconds: 4,
    checks: {
      'fd-race-sockets.attempts':
        'restarts of a two-thread process holding sockets (a unix pair, a unix listener, unpaired unix datagram sockets, a TCP listener), its second thread cloning a process that shares the fd table and swaps fds while the FILES restore waits, every one ending in an errno',
      'fd-race-sockets.clean': 'no restart of the sockets under the fd-table sharer ends in an unexpected errno',
      'fd-race-sockets.sharer-refused':
        'the FILES restore of the sockets is refused (EOPNOTSUPP, "shares its fd table") every time: no socket is made while another task can change the fds',
      'fd-race-sockets.sharer-late': 'in every restart the sharer came while the FILES restore waited for the thread',
      'fd-race-sockets.exit-status': 'the image restarted without the sharer runs its checks and exits 0',
      'fd-race-sockets.sockets-pair':
        "after the restart the unix pair's ends are at their fds, each the other's peer, the byte queued before the checkpoint first",
      'fd-race-sockets.sockets-listener':
        'after the restart the unix listener is at its fd, bound to its path, and accepts a new connection',
      'fd-race-sockets.sockets-unpaired':
        'after the restart the unpaired datagram sockets are at their fds, bound to their names, one connected to the other, the datagram queued before the checkpoint first and a new one through',
      'fd-race-sockets.sockets-tcp':
        'after the restart the TCP listener is at its fd, on its address and port, and accepts a new connection',
    },
  },
  {
    name: 'pty-fifo',
    run: shell('security_files', 'pty_fifo'),
    cli: true,
    timeoutSeconds: 180,
    costSeconds: 3,
    checks: {
      'pty-fifo.image': 'an image of a pty session is edited so that its pty slave is a FIFO, opened read-only',
      'pty-fifo.refused': 'a restart whose pty slave path is a FIFO fails at once (no open waits for a writer), naming the FIFO',
      'pty-fifo.nothing-left': 'a restart refused for its pty slave path leaves no task behind',
    },
  },
  {
    name: 'unix-long',
    run: shell('security_files', 'unix_long'),
    cli: true,
    timeoutSeconds: 180,
    costSeconds: 1.5,
    checks: {
      'unix-long.restarted': 'a unix listener on a path of all 108 bytes of sun_path (a 111-byte name) restarts',
      'unix-long.listening': 'the restarted listener listens on that 108-byte path again',
      'unix-long.backlog-clamped': "a listener's backlog of 2^32-1 from an image is clamped to net.core.somaxconn, as listen() clamps it",
    },
  },
  {
    name: 'many-fds',
    run: shell('security_files', 'many_fds'),
    cli: true,
    // The round trip of its image (21,000 files decoded, inspect --json's
    // summary checked, the record list encoded again) was 53 of its 64 s in
    // a suite on a busy host; the host runs it now, in about 1 s.
    timeoutSeconds: 200,
    costSeconds: 7,
    checks: {
      'many-fds.checkpoint':
        'a process with 21,000 fds (6,000 epoll instances, unix pairs, pipes, a pty) is checkpointed in under 40 s (times CPT_GUEST_TIME_SCALE)',
      'many-fds.restart': 'the process with 21,000 fds restarts in under 40 s (times CPT_GUEST_TIME_SCALE)',
      'many-fds.fds': 'the 21,000 fds all come back',
      'many-fds.epolls': 'each of 6,000 epoll instances watches its own eventfd again, and only it',
      'many-fds.streams': 'the 2,000 unix pairs, 2,000 pipes and the pty of 1,000 fds carry data again',
    },
  },
  {
    name: 'unix-names',
    run: shell('security_files', 'unix_names'),
    cli: true,
    timeoutSeconds: 100,
    costSeconds: 5,
    checks: {
      'unix-names.image': 'a process holding a unix socket pair is checkpointed, and its image edited to name an end three ways',
      'unix-names-held.refused': 'a socket pair end named in the image with an abstract name another socket holds is refused, naming it',
      'unix-names-held.nothing-left': 'a restart refused for a held name leaves nothing behind',
      'unix-names-not-socket.refused': 'a socket pair end named in the image with a path that is no socket is refused, naming it',
      'unix-names-not-socket.nothing-left': 'a restart refused for a path name leaves nothing behind',
      'unix-names.free-restored': 'a socket pair end with a free abstract name restarts',
      'unix-names.free-named': 'the restarted socket pair end has its free abstract name again',
    },
  },
];
