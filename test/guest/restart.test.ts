// Single-process checkpoint -> kill -> restart in the guest: one boot runs
// every workload (test/guest/restart.sh); each workload checks its own state
// after the restart, and each of its checks is a test here.
import test from 'ava';

import { describeRun, parseResults, runInGuest, type GuestRun } from '../helpers/guest.js';

let run: GuestRun;
let results: ReturnType<typeof parseResults>;

test.before(async () => {
  run = await runInGuest(['test/guest/restart.sh'], { timeoutSeconds: 600 });
  results = parseResults(run.stdout);
});

test('the guest run itself succeeds, with no kernel warning', (t) => {
  t.is(run.status, 0, describeRun(run));
});

// One test per feature the issue names; a result the guest never reported
// fails its test. Workloads report more checks than these: the last test
// requires every one of them to pass too.
const expected: Record<string, string> = {
  'cpu.checkpoint': 'a process is checkpointed and killed',
  'cpu.exit-status': 'a waited restart exits with the restored process\'s status',
  'cpu.avx-registers': 'AVX registers held in registers survive',
  'cpu.gp-registers': 'general registers held in registers survive',
  'cpu.tls': 'TLS and the FS base survive',
  'cpu.pid': 'the restarted process has its old pid',
  'pause.exit-status': 'a restarted process\'s own exit status (42) comes back through restart',
  'pause.pause-woken-by-signal': 'a process blocked in pause() is woken by a signal after restart',
  'sleep.nanosleep-completes': 'an interrupted nanosleep() goes on sleeping, without EINTR',
  'twice.exit-status': 'the first restart from an image works',
  'twice.exit-status-again': 'a second restart from the same image works',
  'twice.avx-registers': 'the second restart has the registers too',
  'piped.exit-status': 'checkpoint -o - --kill | restart - works',
  'piped.pid': 'a piped restart has the old pid',
  'invisible.checkpoint': 'a leave-running checkpoint succeeds',
  'invisible.target-sees-no-eintr': 'the target of a checkpoint sees no EINTR',
  'invisible.parent-sees-no-stop': 'the target\'s parent sees no stop',
  'invisible.target-ran-to-end': 'the target runs on to its end',
  'mm.exit-status': 'a process with every kind of mapping restarts and exits cleanly',
  'mm.mm_anon': 'private anonymous memory keeps its checksum',
  'mm.mm_heap': 'the heap keeps its checksum',
  'mm.mm_stack': 'the stack keeps its checksum',
  'mm.mm_private_file': 'modified pages of a private file mapping come back',
  'mm.mm_shared_file': 'a shared file mapping shows the file',
  'mm.mm_shared_anon': 'shared anonymous memory keeps its checksum',
  'mm.mm_mprotect': 'mprotect\'ed ranges keep their protection and data',
  'mm.mm_big_sparse': 'a sparse 256 MiB mapping comes back with its touched pages',
  'mm.mm_brk': 'brk bounds come back',
  'mm.mm_vdso': 'the vDSO works at its old address',
  'mm.mm_maps': '/proc/PID/maps reads the same',
  'mm.mm_exe': '/proc/PID/exe reads the same',
  'mm.mm_cmdline': '/proc/PID/cmdline reads the same',
  'mm.mm_environ': '/proc/PID/environ reads the same',
  'mm.mm_auxv': 'auxv reads the same',
  'task.comm': 'comm comes back',
  'task.umask': 'umask comes back',
  'task.cwd': 'the working directory comes back',
  'task.rlimit': 'rlimits come back',
  'task.personality': 'the personality comes back',
  'task.creds': 'credentials come back',
  'inspect.decodes': 'inspect --json decodes an image the module wrote',
  'files.regular-offset': 'a regular file keeps its offset',
  'files.dup-shares-offset': 'two fds sharing an open file description still share it',
  'files.append-writes-at-end': 'O_APPEND is kept',
  'files.append-cloexec': 'FD_CLOEXEC is kept',
  'files.directory': 'a directory fd comes back',
  'files.dev-null': '/dev/null comes back',
  'files.dev-zero': '/dev/zero comes back',
  'files.dev-urandom-nonblock': '/dev/urandom comes back with its flags',
  'files.exact-fd-table': 'the fd table has exactly the saved numbers',
  'signals.usr1-action': 'a handler comes back with its flags and mask',
  'signals.blocked-mask': 'the blocked mask comes back',
  'signals.pending-queues': 'pending signals come back in their queues',
  'signals.usr2-delivered': 'a blocked pending signal is delivered after restart, once unblocked',
  'signals.rt2-siginfo': 'a pending signal keeps its siginfo',
  'signals.altstack': 'the sigaltstack comes back',
  'signals.usr1-on-altstack': 'a handler runs on the restored altstack',
  'sigsuspend.sigsuspend-returns': 'a task checkpointed in sigsuspend() returns from it after a signal',
  'refused-socket.refused': 'a socket is refused, naming the fd',
  'refused-socket.kept-running': 'a refused checkpoint leaves the target running unharmed',
  'refused-pipe.refused': 'a pipe to a process outside the tree is refused',
  'refused-inotify.refused': 'an inotify instance with events not read yet is refused',
  'job.output-reattached': 'a shell job\'s pipe stdio is re-attached to the restarting cptctl\'s',
  'job.exit-status': 'a shell job restarts and exits cleanly',
};

for (const [name, title] of Object.entries(expected)) {
  test(title, (t) => {
    const result = results.get(name);
    t.truthy(result, `no result for ${name}\n${describeRun(run)}`);
    t.true(result!.passed, result!.detail);
  });
}

test('every other check the workloads reported passed', (t) => {
  const failed = [...results].filter(([, result]) => !result.passed).map(([name, r]) => `${name}: ${r.detail}`);
  t.deepEqual(failed, []);
});
