// Kernel objects other than plain files: one boot runs test/guest/objects.sh.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/objects.sh'], { timeoutSeconds: 900 });
  results = parseResults(run.stdout);
});

test('the guest run itself succeeds, with no kernel warning', (t) => {
  t.is(run.status, 0, describeRun(run));
});

test('every check the workloads reported passed', (t) => {
  const failed = [...results.entries()].filter(([, result]) => !result.passed);
  t.deepEqual(failed.map(([name, result]) => `${name}: ${result.detail}`), []);
});

const expected: Record<string, string> = {
  'semundo.refused': 'semaphore adjustments to undo at exit (SEM_UNDO) are refused, naming the pid',
  'semundo.alive': 'the refused process is still running',
  'semundo.kept-running': 'the refused process runs on unharmed',
  'ipc.checkpoint': 'SysV shm, semaphores and message queues are checkpointed',
  'ipc.ipcrm': 'the workload\'s SysV objects are gone after ipcrm',
  'ipc.exit-status': 'the SysV workload restarts and ends well',
  'ipc.shm-id': 'a SysV segment comes back with its id and key',
  'ipc.shm-perm': 'a SysV segment keeps its mode and size',
  'ipc.shm-content': 'a SysV segment keeps its content',
  'ipc.shm-partial-readonly': 'a read-only attachment of part of a segment comes back as it was',
  'ipc.shm-removed': 'a segment removed while attached comes back attached, still removed',
  'ipc.shm-shared-with-child': 'a segment attached by two processes is one segment again',
  'ipc.sem-values': 'a semaphore set comes back with its id and values',
  'ipc.msq-messages': 'a message queue comes back with its id and messages, in order',
  'inspect.sysv': 'inspect shows the SysV objects of an image',
  'mq.unlinked': 'the POSIX message queue is gone before the restart',
  'mq.exit-status': 'the POSIX message queue workload restarts and ends well',
  'mq.attributes': 'a POSIX message queue comes back with its attributes and its fd\'s flags',
  'mq.by-name': 'a POSIX message queue comes back by its name, with its mode',
  'mq.second-fd': 'a second fd on the queue keeps its access mode and O_NONBLOCK',
  'mq.messages': 'a POSIX message queue comes back with its messages, priorities and order',
  'inspect.mqueue': 'inspect shows a POSIX message queue and what it holds',
  'pty.exit-status': 'a pty session restarts and ends well',
  'pty.unread-output': 'what the slave wrote and the master had not read comes back',
  'pty.typed-ahead': 'half a line typed ahead, which the slave had not read, comes back as the start of its line',
  'pty.index': 'the pty comes back with its index',
  'pty.session': 'the slave\'s termios, window size, session, controlling terminal and foreground group come back',
  'pty.child-exit': 'the shell-like child on the slave ends well',
  'inspect.pty': 'inspect shows a pty, its size, unread output and session',
  'inotify.exit-status': 'an inotify instance restarts and ends well',
  'inotify.create-event': 'a directory watch reports a creation after the restart, under its wd',
  'inotify.modify-event': 'a file watch reports a write after the restart, under its wd',
  'inotify.no-other-event': 'nothing else is reported',
  'inotify.next-wd': 'the next watch gets the next wd, as before',
  'inotify.nonblock': 'the instance keeps O_NONBLOCK',
  'inspect.inotify': 'inspect shows an inotify instance\'s watches',
  'listener.exit-status': 'listening unix sockets and an accepted connection restart and end well',
  'listener.accepted-data': 'an accepted connection keeps what the client sent',
  'listener.accepted-name': 'an accepted end keeps its listener\'s name',
  'listener.client': 'the client keeps its data and its peer\'s name',
  'listener.listener-path': 'a listener comes back on its path, over the file its killed self left',
  'listener.listener-abstract': 'a listener comes back on its abstract name',
  'inspect.unix-listener': 'inspect shows listeners and named connections',
};

for (const [name, title] of Object.entries(expected)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}
