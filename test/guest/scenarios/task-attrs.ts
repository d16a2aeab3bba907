// A task's scheduling and prctl attributes (kmod/cpt_task_attrs.c): each
// thread's name, nice value, policy, affinity, I/O priority, timer slack
// and parent-death signal (as root, a SCHED_RR thread's too, with its time
// slice and capability sets of its own); the process's oom_score_adj,
// dumpable and THP-disable flags, interval timers and child subreaper flag. Once as
// root (a cycle), once as a nobody service that root checkpoints and
// restarts, through cptctl's command line; and what a checkpoint refuses.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

/** The workload's checks (test/workloads/task_attrs.c), each thread's and the process's. */
/** One thread's checks (test/workloads/task_attrs.c's check_thread()). */
function thread(prefix: string, who: string, name: string): Record<string, string> {
  return {
    [`${prefix}.${name}-comm`]: `${who}: the ${name} thread keeps its own name`,
    [`${prefix}.${name}-nice`]: `${who}: the ${name} thread keeps its nice value`,
    [`${prefix}.${name}-policy`]: `${who}: the ${name} thread keeps its scheduling policy and rt priority`,
    [`${prefix}.${name}-affinity`]: `${who}: the ${name} thread keeps its CPU affinity`,
    [`${prefix}.${name}-ioprio`]: `${who}: the ${name} thread keeps its I/O priority`,
    [`${prefix}.${name}-timer-slack`]: `${who}: the ${name} thread keeps its timer slack and default slack`,
    [`${prefix}.${name}-pdeath-signal`]: `${who}: the ${name} thread keeps its parent-death signal`,
  };
}

function workloadChecks(prefix: string, who: string): Record<string, string> {
  return {
    ...thread(prefix, who, 'main'),
    ...thread(prefix, who, 'worker'),
    [`${prefix}.itimer-real`]: `${who}: ITIMER_REAL keeps the time it had left and its interval`,
    [`${prefix}.itimer-virtual`]: `${who}: ITIMER_VIRTUAL keeps the CPU time it had left and its interval`,
    [`${prefix}.itimer-prof`]: `${who}: ITIMER_PROF keeps the CPU time it had left and its interval`,
    [`${prefix}.oom-score-adj`]: `${who}: oom_score_adj comes back`,
    [`${prefix}.dumpable`]: `${who}: the dumpable flag comes back`,
    [`${prefix}.thp-disable`]: `${who}: PR_SET_THP_DISABLE comes back`,
    [`${prefix}.child-subreaper`]: `${who}: a child subreaper gets the orphaned grandchild of a child it had before it became one`,
    [`${prefix}.fork-exec`]: `${who}: the restored process runs a program in a child and reaps it`,
  };
}

export const taskAttrsScenarios: readonly Scenario[] = [
  {
    name: 'task-attrs',
    run: cycle('task_attrs', inDir),
    timeoutSeconds: 90,
    costSeconds: 0.5,
    checks: {
      'task-attrs.checkpoint': 'a root process with SCHED_FIFO, SCHED_RR and SCHED_BATCH threads is checkpointed and killed',
      'task-attrs.exit-status': 'the restarted process with its attributes checks them and ends well',
      ...workloadChecks('task-attrs', 'root'),
      ...thread('task-attrs', 'root', 'rr'),
      'task-attrs.rr-interval': 'root: the SCHED_RR thread keeps its time slice (sched_rr_get_interval)',
      'task-attrs.rr-caps':
        'root: the SCHED_RR thread keeps capability sets of its own (capset() in it alone: an effective capability dropped, an inheritable and ambient one added)',
      'task-attrs.main-caps': "root: the main thread keeps its own capability sets, not the SCHED_RR thread's",
    },
  },
  {
    name: 'task-attrs-user',
    run: shell('task_attrs', 'user_service'),
    cli: true,
    timeoutSeconds: 240,
    costSeconds: 2,
    checks: {
      'task-attrs-user.checkpoint': 'root checkpoints a nobody service with SCHED_IDLE and SCHED_BATCH threads',
      'task-attrs-user.exit-status': 'the nobody service restarted by root checks its attributes and ends well',
      ...workloadChecks('task-attrs-user', 'nobody restarted by root'),
      'task-attrs-user.oom-score-adj-min': "nobody restarted by root: the service's oom_score_adj floor stays where it was",
      'task-attrs-user.missing-cpus-refused': 'a restart whose CPU affinity names only CPUs this machine lacks is refused, naming the task',
      'task-attrs-user.missing-cpus-restricted':
        'a restart whose CPU affinity names CPUs this machine has and some it lacks keeps those it has',
    },
  },
];
