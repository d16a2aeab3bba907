// TCP connections the tree shares with a process outside it
// (kmod/cpt_file_inet_tcp.c, cpt_compat_holders.c): checkpoint --kill, which
// ends the tree's connections, is refused naming each and its other holder;
// a thread of the tree blocked in recv() on a connection of its own is no
// such holder.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

export const tcpSharedScenarios: readonly Scenario[] = [
  {
    name: 'tcp-shared',
    run: shell('tcp-shared', 'tcp_shared'),
    cli: true,
    timeoutSeconds: 80,
    costSeconds: 1,
    checks: {
      'tcp-shared.refused-fork':
        'checkpoint --kill is refused, naming the fd, the connection and the pid of the parent outside the tree that holds it since the fork',
      'tcp-shared.refused-before-holds':
        'the refusal comes at the first SAVE(FILES), before the tree’s own connections (both ends the child’s) are held: the parent’s connections are never held',
      'tcp-shared.refused-scm': 'the kernel log names a connection whose fd the parent received with SCM_RIGHTS, and the parent',
      'tcp-shared.refused-in-flight': 'the kernel log names a connection whose fd is in flight to the parent (SCM_RIGHTS not received yet)',
      'tcp-shared.alive': 'the tree refused runs on',
      'tcp-shared.leave-running': 'a checkpoint leaving the tree running saves it, shared connections and all',
      'tcp-shared.kept': 'each shared connection still exchanges data both ways between the parent and the tree',
    },
  },
  {
    name: 'tcp-shared-recv-thread',
    run: cycle('tcp_shared', (dir) => ['threads', ...inDir(dir)]),
    timeoutSeconds: 30,
    costSeconds: 0.5,
    checks: {
      'tcp-shared-recv-thread.blocked': 'a second thread of the process is blocked in recv() on its own connection',
      'tcp-shared-recv-thread.checkpoint': 'the process is checkpointed and killed: the blocked thread is no holder outside the tree',
      'tcp-shared-recv-thread.exit-status': 'the restarted process ends well',
      'tcp-shared-recv-thread.recv-thread': 'the thread, back in recv(), receives the byte written after the restart and answers',
    },
  },
];
