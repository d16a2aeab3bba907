// Single processes through checkpoint -> kill -> restart, each workload
// checking its own state after the restart; and what goes through cptctl's
// command line: a piped restart, refusals, a shell job, inspect --json.
import { join } from 'node:path';

import type { Scenario } from './scenario.js';
import { cycle, goFile, goPath, shell, shellHook } from './rows.js';

export const singleScenarios: readonly Scenario[] = [
  {
    name: 'cpu',
    run: cycle('cpu_state', goPath),
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: {
      'cpu.checkpoint': 'a process is checkpointed and killed',
      'cpu.exit-status': "a waited restart exits with the restored process's status",
      'cpu.avx-registers': 'AVX registers held in registers survive',
      'cpu.gp-registers': 'general registers held in registers survive',
      'cpu.tls': 'TLS and the FS base survive',
      'cpu.pkru': 'PKRU, the protection keys rights a process set, survives (where the CPU has protection keys)',
      'cpu.pid': 'the restarted process has its old pid',
    },
  },
  {
    name: 'pause',
    run: cycle('syscalls', () => ['pause'], { poke: { signal: 'SIGUSR1' }, exitStatus: 42 }),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'pause.exit-status': "a restarted process's own exit status (42) comes back through restart",
      'pause.pause-woken-by-signal': 'a process blocked in pause() is woken by a signal after restart',
    },
  },
  {
    name: 'sleep',
    run: cycle('syscalls', () => ['sleep']),
    timeoutSeconds: 150,
    costSeconds: 10.5,
    checks: { 'sleep.nanosleep-completes': 'an interrupted nanosleep() goes on sleeping, without EINTR' },
  },
  {
    name: 'twice',
    run: cycle('cpu_state', goPath, { twice: true }),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'twice.exit-status': 'the first restart from an image works',
      'twice.exit-status-again': 'a second restart from the same image works',
      'twice.avx-registers': 'the second restart has the registers too',
    },
  },
  {
    name: 'piped',
    run: shell('single', 'piped'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 4.5,
    checks: {
      'piped.exit-status': 'checkpoint -o - --kill | restart - works',
      'piped.pid': 'a piped restart has the old pid',
    },
  },
  {
    name: 'invisible',
    run: {
      kind: 'custom',
      // A leave-running checkpoint goes unnoticed by the target and its parent.
      run: async (context) => {
        const parent = await context.startWorkload('freeze_invisible', [goFile(context.dir)]);
        const target = Number(parent.ready);
        const failure = await context.checkpoint(target, 'leave-running');
        context.result('invisible.checkpoint', failure === null, failure ?? `leave-running checkpoint of pid ${target}`);
        context.go();
        await parent.exited;
        context.relayResults('invisible');
      },
    },
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'invisible.checkpoint': 'a leave-running checkpoint succeeds',
      'invisible.target-sees-no-eintr': 'the target of a checkpoint sees no EINTR',
      'invisible.parent-sees-no-stop': "the target's parent sees no stop",
      'invisible.target-ran-to-end': 'the target runs on to its end',
    },
  },
  {
    name: 'mm',
    // Every kind of memory mapping, checksummed, and the mm facts /proc shows.
    run: cycle('mm_layout', (dir) => [join(dir, 'mm.d'), goFile(dir)]),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'mm.exit-status': 'a process with every kind of mapping restarts and exits cleanly',
      'mm.mm_anon': 'private anonymous memory keeps its checksum',
      'mm.mm_heap': 'the heap keeps its checksum',
      'mm.mm_stack': 'the stack keeps its checksum',
      'mm.mm_private_file': 'modified pages of a private file mapping come back',
      'mm.mm_shared_file': 'a shared file mapping shows the file',
      'mm.mm_shared_anon': 'shared anonymous memory keeps its checksum',
      'mm.mm_mprotect': "mprotect'ed ranges keep their protection and data",
      'mm.mm_big_sparse': 'a sparse 256 MiB mapping comes back with its touched pages',
      'mm.mm_brk': 'brk bounds come back',
      'mm.mm_vdso': 'the vDSO works at its old address',
      'mm.mm_maps': '/proc/PID/maps reads the same',
      'mm.mm_exe': '/proc/PID/exe reads the same',
      'mm.mm_cmdline': '/proc/PID/cmdline reads the same',
      'mm.mm_environ': '/proc/PID/environ reads the same',
      'mm.mm_auxv': 'auxv reads the same',
    },
  },
  {
    name: 'task',
    // The task's own state and what /proc shows of it; then inspect decodes
    // its image with the shared schema.
    run: cycle('task_state', (dir) => [dir, goFile(dir)], { after: shellHook('single', 'inspect_decodes') }),
    timeoutSeconds: 60,
    costSeconds: 1,
    checks: {
      'task.comm': 'comm comes back',
      'task.umask': 'umask comes back',
      'task.cwd': 'the working directory comes back',
      'task.rlimit': 'rlimits come back',
      'task.personality': 'the personality comes back',
      'task.creds': 'credentials come back',
      'inspect.decodes': 'inspect --json decodes an image the module wrote',
    },
  },
  {
    name: 'files',
    run: cycle('files_state', goPath),
    timeoutSeconds: 60,
    costSeconds: 1.5,
    checks: {
      'files.regular-offset': 'a regular file keeps its offset',
      'files.dup-shares-offset': 'two fds sharing an open file description still share it',
      'files.append-writes-at-end': 'O_APPEND is kept',
      'files.append-cloexec': 'FD_CLOEXEC is kept',
      'files.directory': 'a directory fd comes back',
      'files.dev-null': '/dev/null comes back',
      'files.dev-zero': '/dev/zero comes back',
      'files.dev-urandom-nonblock': '/dev/urandom comes back with its flags',
      'files.exact-fd-table': 'the fd table has exactly the saved numbers',
    },
  },
  {
    name: 'signals',
    run: cycle('signals_state', goPath),
    timeoutSeconds: 60,
    costSeconds: 4.5,
    checks: {
      'signals.usr1-action': 'a handler comes back with its flags and mask',
      'signals.blocked-mask': 'the blocked mask comes back',
      'signals.pending-queues': 'pending signals come back in their queues',
      'signals.usr2-delivered': 'a blocked pending signal is delivered after restart, once unblocked',
      'signals.rt2-siginfo': 'a pending signal keeps its siginfo',
      'signals.altstack': 'the sigaltstack comes back',
      'signals.usr1-on-altstack': 'a handler runs on the restored altstack',
    },
  },
  {
    name: 'sigsuspend',
    run: cycle('signals_sigsuspend', () => [], { poke: { signal: 'SIGUSR1' } }),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: { 'sigsuspend.sigsuspend-returns': 'a task checkpointed in sigsuspend() returns from it after a signal' },
  },
  {
    name: 'refused',
    // What cannot be checkpointed yet is refused, naming the fd (exit 4 and
    // cptctl's message), and the target runs on unharmed.
    run: shell('single', 'refused'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 3,
    checks: {
      'refused.socket': 'a socket is refused, naming the fd',
      'refused.socket-kept': 'a refused checkpoint leaves the target running unharmed',
      'refused.pipe': 'a pipe to a process outside the tree is refused',
      'refused.inotify': 'an inotify instance with events not read yet is refused',
    },
  },
  {
    name: 'job',
    run: shell('single', 'job'),
    cli: true,
    timeoutSeconds: 60,
    // Was 13: 7.1 s in the whole run of 2026-12-07 11:03 (a loaded host), 5.6 s in that of 10:12 (idle).
    costSeconds: 3.5,
    checks: {
      'job.output-reattached': "a shell job's pipe stdio is re-attached to the restarting cptctl's",
      'job.exit-status': 'a shell job restarts and exits cleanly',
    },
  },
];
