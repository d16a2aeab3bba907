// Kernel objects shared between processes: one boot runs test/guest/shared.sh.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/shared.sh'], { timeoutSeconds: 600 });
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
  'pipeline.exit-status': 'a 3-process pipeline restarts with data in flight in its pipes and ends well',
  'shared.exit-status': 'parent and child sharing a file description restart and end well',
  'inspect.pipes': 'inspect shows the pipes and the data they hold',
  'pipeline.records': 'no record of the pipeline is lost, duplicated or corrupted across the restart',
  'pipeline.checksum': 'the pipeline\'s end-to-end checksum matches',
  'pipeline.pipe-size': 'a pipe keeps its F_SETPIPE_SZ size',
  'shared.shared-offset': 'a file description shared through fork keeps one offset',
  'shared.shared-content': 'writes through the shared description do not overwrite each other',
  'shared.separate-offsets': 'separate descriptions of one file keep their own offsets',
  'table.exit-status': 'two processes sharing one fd table (CLONE_FILES) restart and end well',
  'table.sharer-open-seen': 'an fd one sharer opens after the restart shows in the other\'s table',
  'table.pre-checkpoint-fd-seen': 'fds opened before the checkpoint by either sharer are in the one table',
  'table.private-open-unseen': 'a forked child\'s table stays its own',
  'table.sharer': 'the sharer sees the other\'s close and the shared offset',
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
  'outside.refused': 'a process sharing its fd table with one outside the tree is refused, saying so',
  'outside.ran-on': 'the refused tree runs on and ends well',
  'inspect.fd-table': 'inspect names the process whose fd table a process shares',
  'anon.exit-status': 'deleted files and a memfd restart and check out',
  'anon.deleted-content': 'a deleted file comes back with its content',
  'anon.deleted-offset': 'a deleted file keeps its offset, shared by its two fds',
  'anon.deleted-access': 'deleted files keep their access modes and O_APPEND',
  'anon.deleted-nameless': 'a deleted file comes back deleted, in its directory',
  'anon.memfd-content': 'a memfd comes back with its content',
  'anon.memfd-offset': 'a memfd keeps its offset',
  'anon.memfd-name': 'a memfd keeps its name',
  'anon.eventfd-counter': 'an eventfd keeps its counter and O_NONBLOCK',
  'anon.eventfd-semaphore': 'an EFD_SEMAPHORE eventfd still counts as a semaphore',
  'anon.fifo-data': 'a named FIFO comes back by its path with the data it held',
  'anon.signalfd': 'a signalfd comes back with its mask',
  'anon.epoll': 'an epoll instance comes back watching the same fds, with their events and data',
  'anon.timerfd-armed': 'an armed timerfd comes back with the time it had left',
  'anon.timerfd-ticks': 'a periodic timerfd with unread expirations keeps its period and counts on',
  'unix.exit-status': 'unix socket pairs between two processes restart and end well',
  'unix.stream-to-parent': 'bytes queued in a stream socket pair come back',
  'unix.child-reads': 'a half-read stream message, datagrams and packets come back whole',
  'unix.stream-back': 'a stream socket pair still carries data after the restart',
  'unix.dgram-back': 'a datagram socket pair still carries data after the restart',
  'unix.seqpacket-back': 'a seqpacket socket pair still carries data after the restart',
};

for (const [name, title] of Object.entries(expected)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}
