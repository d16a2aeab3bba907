// Who a file signals (kmod/cpt_file_owner.c): F_SETOWN_EX owners (a
// thread, the process, a process group), F_SETSIG signals, O_ASYNC with
// the fd its signals name, leases; and memfds opened read- or write-only.
// Each through checkpoint --kill and restart, checked by the restarted
// workload (test/workloads/fown.c) by making the I/O that signals.
import type { Scenario } from './scenario.js';
import { cycle, shellHook } from './rows.js';

export const fownScenarios: readonly Scenario[] = [
  {
    name: 'fown-sigio',
    run: cycle('fown', (dir) => ['sigio', dir], { after: shellHook('fown', 'after_sigio') }),
    timeoutSeconds: 150,
    costSeconds: 2.5,
    checks: {
      'fown-sigio.checkpoint': 'a process with O_ASYNC pipes and a socket pair, owners and F_SETSIG signals is checkpointed',
      'fown-sigio.exit-status': 'the restarted process gets its SIGIO signals and ends well',
      'fown-sigio.no-spurious': 'restoring the pipe and socket data, and their owners, signals nothing',
      'fown-sigio.owners': 'F_GETOWN_EX gives each owner back: a thread, the process, a process group',
      'fown-sigio.signals': 'F_GETSIG gives each F_SETSIG signal back, and 0 where none was set',
      'fown-sigio.async': 'O_ASYNC is set where it was, and only there',
      'fown-sigio.thread-target': 'a pipe owned by a thread (F_OWNER_TID) signals that thread, with its F_SETSIG signal and si_fd',
      'fown-sigio.socket-si-fd': 'a socket armed through a dup of its fd signals the process with that fd as si_fd',
      'fown-sigio.plain-sigio': 'a pipe with F_SETOWN only sends SIGIO to its process',
      'fown-sigio.pty-si-fd': 'a pty master signals its F_SETSIG signal with its si_fd when the slave writes',
      'fown-sigio.owner-only':
        'an eventfd and a regular file keep their SIGIO owner (F_SETFL sets no O_ASYNC on them, nor does the restart)',
      'fown-sigio.group-target': 'a pipe owned by a process group signals the group (a child that exits on SIGIO)',
      'fown-sigio.inspect': 'cptctl inspect shows each owner, signal, O_ASYNC fd',
      'fown-sigio.hostile-owner': 'an image whose owner for SIGIO is a pid outside the tree is refused at restart, naming it',
      'fown-sigio.hostile-async-fd': 'an image whose O_ASYNC fd names another file is refused at restart',
    },
  },
  {
    name: 'fown-lease',
    run: cycle('fown', (dir) => ['lease', dir]),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'fown-lease.checkpoint': 'a process holding a read lease and a write lease is checkpointed',
      'fown-lease.exit-status': 'the restarted lease holder gets its lease-break signals and ends well',
      'fown-lease.lease-kept': 'F_GETLEASE, F_GETOWN and F_GETSIG give each lease, its holder and signal back',
      'fown-lease.lease-breaker': 'a process forked after the restart finds the leases: its non-blocking opens get EWOULDBLOCK',
      'fown-lease.lease-break-sigio': 'the read lease holder gets SIGIO when another process opens the file for writing',
      'fown-lease.lease-break-si-fd': 'the write lease holder gets its F_SETSIG signal with si_fd the fd the lease was taken through',
    },
  },
  {
    name: 'fown-memfd',
    run: cycle('fown', (dir) => ['memfd', dir]),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'fown-memfd.checkpoint': 'a process with memfds reopened read-only and write-only through /proc is checkpointed',
      'fown-memfd.exit-status': 'the restarted process finds its memfds as they were',
      'fown-memfd.memfd-access': 'each memfd fd keeps its access mode (read-write, read-only, write-only)',
      'fown-memfd.memfd-shared': "the read-only and write-only opens share the read-write one's memfd and content",
      'fown-memfd.memfd-enforced': 'the access modes hold: no write through a read-only memfd, no read through a write-only one',
    },
  },
];
