// Kernel objects shared between processes (open file descriptions, fd
// tables, pipes with data in flight, unix socket pairs) and files no path
// reaches, through checkpoint -> kill -> restart; and through cptctl's
// command line: a refusal, and what inspect shows.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell, shellHook } from './rows.js';

export const sharedScenarios: readonly Scenario[] = [
  {
    name: 'pipeline',
    run: cycle('pipeline', inDir, { after: shellHook('shared', 'inspect_pipes') }),
    timeoutSeconds: 60,
    costSeconds: 4.5,
    checks: {
      'pipeline.exit-status': 'a 3-process pipeline restarts with data in flight in its pipes and ends well',
      'pipeline.records': 'no record of the pipeline is lost, duplicated or corrupted across the restart',
      'pipeline.checksum': "the pipeline's end-to-end checksum matches",
      'pipeline.pipe-size': 'a pipe keeps its F_SETPIPE_SZ size',
      'inspect.pipes': 'inspect shows the pipes and the data they hold',
    },
  },
  {
    name: 'shared',
    run: cycle('shared_fds', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'shared.exit-status': 'parent and child sharing a file description restart and end well',
      'shared.shared-offset': 'a file description shared through fork keeps one offset',
      'shared.shared-content': 'writes through the shared description do not overwrite each other',
      'shared.separate-offsets': 'separate descriptions of one file keep their own offsets',
    },
  },
  {
    name: 'table',
    run: cycle('fd_table', inDir, { after: shellHook('shared', 'inspect_fd_table') }),
    timeoutSeconds: 60,
    costSeconds: 2,
    checks: {
      'table.exit-status': 'two processes sharing one fd table (CLONE_FILES) restart and end well',
      'table.sharer-open-seen': "an fd one sharer opens after the restart shows in the other's table",
      'table.pre-checkpoint-fd-seen': 'fds opened before the checkpoint by either sharer are in the one table',
      'table.private-open-unseen': "a forked child's table stays its own",
      'table.sharer': "the sharer sees the other's close and the shared offset",
      'inspect.fd-table': 'inspect names the process whose fd table a process shares',
    },
  },
  {
    name: 'outside',
    run: shell('shared', 'outside'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: {
      'outside.refused': 'a process sharing its fd table with one outside the tree is refused, saying so',
      'outside.ran-on': 'the tree refused for an fd table shared outside it runs on and ends well',
    },
  },
  {
    name: 'shmem',
    run: cycle('shmem_tree', inDir, { after: shellHook('shared', 'after_shmem') }),
    // Inspect, a JSON edit, encode and a restart: five node start-ups.
    timeoutSeconds: 60,
    costSeconds: 3,
    checks: {
      'shmem.exit-status': 'a parent and two children sharing anonymous memory through fork restart and end well',
      'shmem.before': 'what each wrote to the shared memory before the checkpoint is there',
      'shmem.children-to-parent': "the parent sees the children's writes after the restart: one object still",
      'shmem.parent-to-children': "the children see the parent's and each other's writes after the restart",
      'shmem.children-before': 'the children see the pages written before the checkpoint',
      'shmem.mapped-twice': 'one object mapped twice by a process, at another offset, is still one object',
      'shmem.fork-exec': 'a child forked after the restart shares the memory, then execs',
      'shmem.children': 'the children exit 0',
      'inspect.shmem': 'inspect shows one object in the four VMAs, its pages saved once',
      'shmem.hostile-size': 'an image whose process maps shared memory with another size than the first is refused, saying so',
      'shmem.hostile-no-task': 'no task of the refused restart is left',
    },
  },
  {
    name: 'shmem-outside',
    run: shell('shared', 'shmem_outside'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: {
      'shmem-outside.refused': 'a process sharing anonymous memory with one outside the tree is refused, naming it',
      'shmem-outside.no-image': 'the refused checkpoint leaves no image',
      'shmem-outside.ran-on': 'the tree refused for memory shared outside it runs on and ends well',
    },
  },
  {
    name: 'anon',
    run: cycle('files_anon', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
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
    },
  },
  {
    name: 'unix',
    run: cycle('unix_pairs', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'unix.exit-status': 'unix socket pairs between two processes restart and end well',
      'unix.stream-to-parent': 'bytes queued in a stream socket pair come back',
      'unix.child-reads': 'a half-read stream message, datagrams and packets come back whole',
      'unix.stream-back': 'a stream socket pair still carries data after the restart',
      'unix.dgram-back': 'a datagram socket pair still carries data after the restart',
      'unix.seqpacket-back': 'a seqpacket socket pair still carries data after the restart',
    },
  },
];
