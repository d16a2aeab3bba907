// The attributes of an address space and of a process that a restart gives
// back, with what they do (test/workloads/mm_attrs.c): locked memory
// (mlock, mlock2 MLOCK_ONFAULT, mlockall MCL_FUTURE | MCL_ONFAULT, and
// MCL_FUTURE alone in a child), KSM's MADV_MERGEABLE, MADV_SEQUENTIAL and
// MADV_RANDOM, MADV_DONTFORK and MADV_WIPEONFORK seen by a child forked
// after the restart, membarrier registrations, the loginuid, and a child
// subreaper whose child predates its becoming one. Once as root (a cycle),
// once as a nobody service under a low RLIMIT_MEMLOCK that root restarts.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

function workloadChecks(prefix: string, who: string): Record<string, string> {
  return {
    [`${prefix}.mlock`]: `${who}: mlock()ed memory comes back locked and resident (VmLck as before)`,
    [`${prefix}.mlock-onfault`]: `${who}: mlock2(MLOCK_ONFAULT) memory comes back locked, only its touched page resident`,
    [`${prefix}.mlockall-future`]: `${who}: mlockall(MCL_FUTURE | MCL_ONFAULT) locks memory mapped after the restart too`,
    [`${prefix}.mlockall-future-plain`]: `${who}: a child's mlockall(MCL_FUTURE) alone locks and populates memory mapped after the restart too`,
    [`${prefix}.madvise-mergeable`]: `${who}: MADV_MERGEABLE (KSM) comes back`,
    [`${prefix}.madvise-sequential-random`]: `${who}: MADV_SEQUENTIAL and MADV_RANDOM come back, each on its own mapping`,
    [`${prefix}.fork-dontfork-wipeonfork`]: `${who}: a child forked after the restart lacks the MADV_DONTFORK mapping and sees MADV_WIPEONFORK memory zeroed`,
    [`${prefix}.membarrier`]: `${who}: the private expedited membarrier registrations (plain, SYNC_CORE, RSEQ) come back`,
    [`${prefix}.subreaper-sigterm`]: `${who}: a child subreaper's child with a child older than its subreaping, and that child, die of SIGTERM`,
  };
}

export const mmAttrsScenarios: readonly Scenario[] = [
  {
    name: 'mm-attrs',
    run: cycle('mm_attrs', inDir),
    timeoutSeconds: 90,
    costSeconds: 0.5,
    checks: {
      'mm-attrs.checkpoint': 'a root process with locked, advised memory and membarrier registrations is checkpointed and killed',
      'mm-attrs.exit-status': 'the restarted process checks its memory and process attributes and ends well',
      ...workloadChecks('mm-attrs', 'root'),
      'mm-attrs.loginuid': 'root: the audit loginuid comes back',
    },
  },
  {
    name: 'mm-attrs-user',
    run: shell('mmattrs', 'user'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 3,
    checks: {
      'mm-attrs-user.checkpoint': 'root checkpoints a nobody service with memory locked under RLIMIT_MEMLOCK',
      'mm-attrs-user.exit-status': 'the nobody service restarted by root checks its memory and ends well',
      ...workloadChecks('mm-attrs-user', 'nobody restarted by root'),
      'mm-attrs-user.memlock-refused':
        "a restart by a caller without CAP_IPC_LOCK whose RLIMIT_MEMLOCK is below the image's locked memory is refused before the memory goes, naming the task",
    },
  },
  {
    name: 'mm-attrs-subreaper',
    run: shell('mmattrs', 'subreaper_root'),
    cli: true,
    timeoutSeconds: 120,
    costSeconds: 2.5,
    checks: {
      'mm-attrs-subreaper.checkpoint': 'root checkpoints a child subreaper whose child predates its becoming one',
      'mm-attrs-subreaper.sigterm': 'that subreaper, restarted and left waiting, dies of SIGTERM',
    },
  },
];
