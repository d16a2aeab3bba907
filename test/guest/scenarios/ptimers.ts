// POSIX timers (timer_create, kmod/cpt_posix_timers.c): each timer of a
// process with its id, clock, notification, time left, interval, overrun
// count and pending signal. Once as root (a cycle), once as a nobody
// process that root checkpoints and restarts through cptctl's command line,
// with what a checkpoint refuses.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

/** The workload's checks (test/workloads/ptimers.c). */
function workloadChecks(prefix: string, who: string): Record<string, string> {
  return {
    [`${prefix}.ids`]: `${who}: each timer keeps its id (timer_gettime on the old timer_t works)`,
    [`${prefix}.time-left`]: `${who}: each armed timer keeps the time it had left, real and CPU time, and a disarmed one stays so`,
    [`${prefix}.interval`]: `${who}: each timer keeps its interval`,
    [`${prefix}.next-id`]: `${who}: a new timer gets the id the process's next one would have had`,
    [`${prefix}.signal-value`]: `${who}: a periodic SIGEV_SIGNAL timer's signals go on arriving with its sigev_value and timer id`,
    [`${prefix}.thread-target`]: `${who}: a SIGEV_THREAD_ID timer's signals go on arriving at its thread`,
    [`${prefix}.overrun`]: `${who}: timer_getoverrun gives the overrun count the timer had`,
    [`${prefix}.pending-signal`]: `${who}: a timer's pending signal is still pending, is delivered with its value, and the timer goes on`,
  };
}

export const ptimerScenarios: readonly Scenario[] = [
  {
    name: 'ptimers',
    run: cycle('ptimers', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'ptimers.checkpoint': 'a root process with seven POSIX timers on five clocks is checkpointed and killed',
      'ptimers.exit-status': 'the restarted process checks its timers and ends well',
      ...workloadChecks('ptimers', 'root'),
    },
  },
  {
    name: 'ptimers-user',
    run: shell('ptimers', 'user_service'),
    cli: true,
    timeoutSeconds: 210,
    costSeconds: 6.5,
    checks: {
      'ptimers-user.checkpoint': 'root checkpoints a nobody process with seven POSIX timers',
      'ptimers-user.exit-status': 'the nobody process restarted by root checks its timers and ends well',
      ...workloadChecks('ptimers-user', 'nobody restarted by root'),
      'ptimers-user.inspect': 'cptctl inspect shows each POSIX timer: clock, notification, time left, interval, pending signal',
      'ptimers-user.foreign-thread-refused':
        'a restart whose image has a timer signal a thread outside the process is refused, naming the timer',
      'ptimers-user.foreign-clock-refused': "a restart whose image has a timer on another process's CPU clock is refused, naming the timer",
      'ptimers-user.other-cpu-clock-refused':
        "a checkpoint of a process with a timer on another process's CPU clock is refused, naming the timer",
    },
  },
];
