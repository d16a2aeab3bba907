// Kernel objects other than plain files, shared by the processes of a tree
// or outliving them (SysV IPC, POSIX message queues, ptys, inotify,
// listening unix sockets), through checkpoint -> kill -> restart; and
// through cptctl's command line: what inspect shows, a refusal.
import { existsSync, rmSync } from 'node:fs';

import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

const QUEUE = 'cpt-test-mq';

export const objectScenarios: readonly Scenario[] = [
  {
    name: 'ipc',
    // Its SysV objects are removed with ipcrm between checkpoint and restart,
    // as another machine would lack them.
    run: cycle('sysv_ipc', inDir, { between: shellHook('objects', 'ipc_removed') }),
    timeoutSeconds: 60,
    costSeconds: 1.5,
    checks: {
      'ipc.checkpoint': 'SysV shm, semaphores and message queues are checkpointed',
      'ipc.ipcrm': "the workload's SysV objects are gone after ipcrm",
      'ipc.exit-status': 'the SysV workload restarts and ends well',
      'ipc.shm-id': 'a SysV segment comes back with its id and key',
      'ipc.shm-perm': 'a SysV segment keeps its mode and size',
      'ipc.shm-content': 'a SysV segment keeps its content',
      'ipc.shm-partial-readonly': 'a read-only attachment of part of a segment comes back as it was',
      'ipc.shm-removed': 'a segment removed while attached comes back attached, still removed',
      'ipc.shm-shared-with-child': 'a segment attached by two processes is one segment again',
      'ipc.sem-values': 'a semaphore set comes back with its id and values',
      'ipc.msq-messages': 'a message queue comes back with its id and messages, in order',
      'ipc.others-left-out':
        "another user's queue and segment that the tree neither owns nor attaches are not saved: once removed, they stay removed",
      'inspect.sysv': 'inspect shows the SysV objects of an image',
    },
  },
  {
    name: 'mq',
    run: cycle('posix_mq', (dir) => [QUEUE, dir], {
      // Unlinked between checkpoint and restart.
      between: (context) => {
        rmSync(`/dev/mqueue/${QUEUE}`, { force: true });
        context.result('mq.unlinked', !existsSync(`/dev/mqueue/${QUEUE}`), 'the queue is gone');
      },
      after: shellHook('objects', 'inspect_mqueue'),
    }),
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: {
      'mq.unlinked': 'the POSIX message queue is gone before the restart',
      'mq.exit-status': 'the POSIX message queue workload restarts and ends well',
      'mq.attributes': "a POSIX message queue comes back with its attributes and its fd's flags",
      'mq.by-name': 'a POSIX message queue comes back by its name, with its mode',
      'mq.second-fd': 'a second fd on the queue keeps its access mode and O_NONBLOCK',
      'mq.messages': 'a POSIX message queue comes back with its messages, priorities and order',
      'inspect.mqueue': 'inspect shows a POSIX message queue and what it holds',
    },
  },
  {
    name: 'pty',
    // A terminal-like root on the master, a shell-like session on the slave.
    run: cycle('pty_session', inDir, { after: shellHook('objects', 'inspect_pty') }),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'pty.exit-status': 'a pty session restarts and ends well',
      'pty.unread-output': 'what the slave wrote and the master had not read comes back',
      'pty.typed-ahead': 'half a line typed ahead, which the slave had not read, comes back as the start of its line',
      'pty.index': 'the pty comes back with its index',
      'pty.session': "the slave's termios, window size, session, controlling terminal and foreground group come back",
      'pty.child-exit': 'the shell-like child on the slave ends well',
      'inspect.pty': 'inspect shows a pty, its size, unread output and session',
    },
  },
  {
    name: 'inotify',
    // An inotify instance with a gap in its watch descriptors.
    run: cycle('inotify_watch', inDir, { after: shellHook('objects', 'inspect_inotify') }),
    timeoutSeconds: 90,
    costSeconds: 5.5,
    checks: {
      'inotify.exit-status': 'an inotify instance restarts and ends well',
      'inotify.create-event': 'a directory watch reports a creation after the restart, under its wd',
      'inotify.modify-event': 'a file watch reports a write after the restart, under its wd',
      'inotify.no-other-event': 'nothing else is reported',
      'inotify.next-wd': 'the next watch gets the next wd, as before',
      'inotify.nonblock': 'the instance keeps O_NONBLOCK',
      'inspect.inotify': "inspect shows an inotify instance's watches",
    },
  },
  {
    name: 'listener',
    // Listening unix sockets, on a path and an abstract name, and a
    // connection one of them accepted.
    run: cycle('unix_listener', inDir, { after: shellHook('objects', 'inspect_unix_listener') }),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'listener.exit-status': 'listening unix sockets and an accepted connection restart and end well',
      'listener.accepted-data': 'an accepted connection keeps what the client sent',
      'listener.accepted-name': "an accepted end keeps its listener's name",
      'listener.client': "the client keeps its data and its peer's name",
      'listener.listener-path': 'a listener comes back on its path, over the file its killed self left',
      'listener.listener-abstract': 'a listener comes back on its abstract name',
      'inspect.unix-listener': 'inspect shows listeners and named connections',
    },
  },
  {
    name: 'semundo',
    run: shell('objects', 'semundo'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'semundo.refused': 'semaphore adjustments to undo at exit (SEM_UNDO) are refused, naming the pid',
      'semundo.alive': 'the refused process is still running',
      'semundo.kept-running': 'the refused process runs on unharmed',
    },
  },
];
