// Kernel objects shared between processes: one boot runs test/guest/shared.sh.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/shared.sh'], { timeoutSeconds: 900 });
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
