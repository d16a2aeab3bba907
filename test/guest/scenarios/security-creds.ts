// What a checkpoint may read and a restart may grant: no more than the
// caller could read or get itself (security review, issue 12: F4, F6, F13).
import type { Scenario } from './scenario.js';
import { cycle, goPath, shell } from './rows.js';

export const securityCredsScenarios: readonly Scenario[] = [
  {
    name: 'deleted-unreadable',
    run: shell('security-creds', 'deleted_unreadable'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 4,
    checks: {
      'creds.deleted-unreadable-refused': 'a checkpoint of a deleted file its caller may not read is refused, naming the fd',
      'creds.deleted-unreadable-not-saved': 'the refused checkpoint wrote the content nowhere and left the target running',
      'creds.deleted-root-saved': 'root, who may read it, checkpoints the same deleted file with its content',
    },
  },
  {
    name: 'sandbox-kept',
    run: shell('security-creds', 'sandbox_kept'),
    cli: true,
    timeoutSeconds: 120,
    // Was 8: 15.7 s in the whole run of 2026-12-07 11:03 (a loaded host).
    costSeconds: 7,
    checks: {
      'sandbox-root.checkpoint': 'root checkpoints a sandboxed root service (no_new_privs, bounding set, inheritable set, securebits)',
      'sandbox-root.exit-status': 'the sandboxed root service restarted by root checks itself and ends well',
      'sandbox-root.same-sandbox': 'a restarted root service has its saved capability sets, securebits, no_new_privs and seccomp mode',
      'sandbox-root.child-same-sandbox': 'a program the restarted root service runs in a child has the sandbox it had before',
      'sandbox-root.no-new-privs': 'a restarted root service still has no_new_privs',
      'sandbox-root.bounding-set': 'a restarted root service still lacks the capability dropped from its bounding set',
      'sandbox-nobody.checkpoint': 'root checkpoints a sandboxed service running as nobody',
      'sandbox-nobody.exit-status': 'the sandboxed nobody service restarted by root checks itself and ends well',
      'sandbox-nobody.same-sandbox': 'a nobody service restarted by root has its saved capability sets, no_new_privs and seccomp mode',
      'sandbox-nobody.child-same-sandbox': 'a program the restarted nobody service runs in a child has the sandbox it had before',
      'sandbox-nobody.no-new-privs': 'a nobody service restarted by root still has no_new_privs',
      'sandbox-nobody.bounding-set': 'a nobody service restarted by root still lacks the capability dropped from its bounding set',
      'creds.sandbox-beyond-caller-refused':
        'an unprivileged restart of a sandbox whose capability sets it may not set (no CAP_SETPCAP) is refused, naming the set',
      'creds.caps-beyond-caller-refused': "an image's permitted capabilities beyond the restarting caller's are refused, naming the set",
      'creds.refused-nothing-left': 'the refused restarts leave no process behind',
    },
  },
  {
    name: 'seccomp-kept',
    run: shell('security-creds', 'seccomp_kept'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'sandbox-seccomp.checkpoint': 'root checkpoints a sandboxed root service under a seccomp filter',
      'sandbox-seccomp.exit-status': 'the sandboxed service under a seccomp filter restarted by root checks itself and ends well',
      'sandbox-seccomp.same-sandbox': 'a restarted service is under seccomp (filter mode) again, in the sandbox it had',
      'sandbox-seccomp.child-same-sandbox': 'a program the restarted service runs in a child is under the seccomp filter too',
      'sandbox-seccomp.no-new-privs': 'a restarted service under a seccomp filter still has no_new_privs',
      'sandbox-seccomp.bounding-set': 'a restarted service under a seccomp filter still lacks the capability dropped from its bounding set',
    },
  },
  {
    name: 'cwd-refused',
    run: shell('security-creds', 'cwd_refused'),
    cli: true,
    timeoutSeconds: 90,
    costSeconds: 1,
    checks: {
      'creds.cwd-needs-chdir-rights': 'a restart into a working directory the caller may not enter (chdir rights) is refused, naming it',
    },
  },
  {
    name: 'paths-task-creds',
    run: shell('security-creds', 'paths_task_creds'),
    cli: true,
    timeoutSeconds: 120,
    // Was 26: 13.4 s in the whole run of 2026-12-07 11:03 (a loaded host), 14.2 s in that of 10:12 (idle);
    // 8.1 s in a boot (a loaded host) once root's four calls went through cptctl_in.
    costSeconds: 1.5,
    checks: {
      'creds.cwd-below-private-refused':
        "root's restart of nobody's process into a working directory below one nobody may not search is refused, naming it and nobody's ids",
      'creds.cwd-searchable-restarts': 'the same restart, with the directory searchable again, restores the working directory',
      'creds.bind-dir-refused':
        "root's restart of nobody's unix listener whose directory nobody may no longer write is refused, naming the directory and nobody's ids",
    },
  },
  {
    name: 'rlimit-cpu',
    run: cycle('rlimit_cpu', goPath),
    timeoutSeconds: 90,
    costSeconds: 1.5,
    checks: {
      'rlimit-cpu.checkpoint': 'a process with a 1 s RLIMIT_CPU is checkpointed and killed',
      'rlimit-cpu.exit-status': 'the restarted process with a 1 s RLIMIT_CPU checks itself and ends well',
      'rlimit-cpu.rlimit-cpu-saved': 'RLIMIT_CPU is restored',
      'rlimit-cpu.rlimit-cpu-enforced': 'a restored RLIMIT_CPU is enforced: the spinning process gets SIGXCPU',
    },
  },
];
