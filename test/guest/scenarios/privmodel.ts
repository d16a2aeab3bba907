// The privilege model as a matrix (docs/security.md, "Privilege model"):
// six callers, four targets each, a checkpoint left running and a restart
// per cell, each asserted with its errno and the module's words, or with
// the restored target checking itself (test/workloads/privmodel.c).
import type { Scenario } from './scenario.js';
import { shell } from './rows.js';

const callers = {
  root: 'root',
  'root-no-sys-admin': 'root without CAP_SYS_ADMIN',
  'user-cr': 'a user with CAP_CHECKPOINT_RESTORE only',
  user: 'a plain user',
  userns: 'a user in its own user namespace',
  'userns-pidns': 'a user in its own user namespace, restarting in a pid namespace of its own',
} as const;

type Caller = keyof typeof callers;

const targets = {
  'same-uid': 'its own process',
  'other-uid': "another user's process",
  setuid: 'a setuid-root exec (dumpable 0)',
  sandboxed: 'its own process under no_new_privs and a seccomp filter',
} as const;

type Target = keyof typeof targets;

/** What the cell expects, as the model says. */
const checkpointAllowed = (caller: Caller, target: Target): boolean =>
  caller === 'root' || caller === 'root-no-sys-admin' || target === 'same-uid' || target === 'sandboxed';

const restartRefusal: Record<Caller, Partial<Record<Target, string>>> = {
  root: {},
  'root-no-sys-admin': { 'other-uid': 'a bounding set wider than its own', setuid: 'capabilities it lacks' },
  'user-cr': { 'other-uid': 'other uids (CAP_SETUID)', setuid: 'other uids (CAP_SETUID)' },
  user: {
    'same-uid': 'no CAP_CHECKPOINT_RESTORE',
    'other-uid': 'no CAP_CHECKPOINT_RESTORE',
    setuid: 'no CAP_CHECKPOINT_RESTORE',
    sandboxed: 'no CAP_CHECKPOINT_RESTORE',
  },
  userns: {
    'same-uid': 'no CAP_CHECKPOINT_RESTORE over its pid namespace',
    'other-uid': 'no CAP_CHECKPOINT_RESTORE over its pid namespace',
    setuid: 'no CAP_CHECKPOINT_RESTORE over its pid namespace',
    sandboxed: 'no CAP_CHECKPOINT_RESTORE over its pid namespace',
  },
  'userns-pidns': {
    'other-uid': "EINVAL: another user's ids are not mapped in its namespace",
    setuid: 'EINVAL: root is not mapped in its namespace',
  },
};

function matrixChecks(): Record<string, string> {
  const checks: Record<string, string> = {};
  for (const [caller, who] of Object.entries(callers) as [Caller, string][]) {
    for (const [target, what] of Object.entries(targets) as [Target, string][]) {
      const name = `pm.${caller}.${target}`;
      checks[`${name}.checkpoint`] = checkpointAllowed(caller, target)
        ? `privilege matrix: ${who} checkpoints ${what}, which runs on`
        : `privilege matrix: ${who} may not checkpoint ${what} (EPERM, no ptrace access), which runs on`;
      const refusal = restartRefusal[caller][target];
      checks[`${name}.restart`] =
        refusal === undefined
          ? `privilege matrix: ${who} restarts ${what}, which checks its credentials, sandbox and memory`
          : `privilege matrix: ${who} may not restart ${what} (${refusal.startsWith('EINVAL') ? refusal : `EPERM: ${refusal}`}), leaving nothing`;
    }
  }
  return checks;
}

export const privmodelScenarios: readonly Scenario[] = [
  {
    name: 'privmodel',
    run: shell('privmodel', 'privmodel'),
    timeoutSeconds: 60,
    // Most of its 13.6 s in a suite was the round trip of its images, now the host's.
    costSeconds: 1.5,
    checks: {
      'pm.device-mode': 'privilege matrix: /dev/cpt is 0600 as the module makes it, and a plain user may not open it',
      ...matrixChecks(),
      'pm.userns.outside.checkpoint':
        'privilege matrix: a user in its own user namespace may not checkpoint its process outside it (EPERM, no ptrace access), which runs on',
      'pm.root.userns-target.checkpoint':
        'privilege matrix: root may not checkpoint a process whose credentials are in a user namespace (EOPNOTSUPP), which runs on',
      'pm.userns-pidns.initial-pid.restart':
        'privilege matrix: a user in its own user namespace, its pids to be reserved in a new pid namespace, may not choose a pid of the initial one (EPERM)',
      'pm.userns-pidns.unplaced.restart':
        'privilege matrix: a user in its own user namespace, its pids to be reserved in a new pid namespace, may not restore a fork of its own that has the pid in the initial one (EPERM)',
      'pm.userns-group.drop-group.restart':
        'privilege matrix: a user in its own user namespace, whose setgroups is denied, may not restart its process without its supplementary group (EPERM)',
      'pm.dump-root.checkpoint': "privilege matrix: root checkpoints a user's process the kernel made SUID_DUMP_ROOT",
      'pm.dump-root.user-cr-restart':
        'privilege matrix: a user with CAP_CHECKPOINT_RESTORE may not restart its process as SUID_DUMP_ROOT (dumped as root)',
      'pm.dump-root.root-restart': 'privilege matrix: root restarts a SUID_DUMP_ROOT process as it was',
    },
  },
];
