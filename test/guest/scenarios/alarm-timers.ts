// POSIX timers and timerfds on the alarm clocks, and
// absolute ones (TIMER_ABSTIME, TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET)
// that must stay absolute against their clock (test/workloads/alarm_timers.c).
// Once as root (a cycle, which also sets the wall clock after the restart),
// once as a nobody process that made its alarm timers with CAP_WAKE_ALARM
// and dropped it: a caller without CAP_WAKE_ALARM cannot restart it, root can.
import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

/** The workload's checks for both callers. */
function timerChecks(prefix: string, who: string): Record<string, string> {
  return {
    [`${prefix}.absolute`]: `${who}: each absolute timer and timerfd expires at the time it was given, to a few ms`,
    [`${prefix}.alarm`]: `${who}: alarm-clock timers and timerfds keep their clocks, time left and intervals, and still fire`,
    [`${prefix}.flags`]: `${who}: each timerfd keeps its settime flags (TFD_TIMER_ABSTIME, TFD_TIMER_CANCEL_ON_SET)`,
  };
}

export const alarmTimerScenarios: readonly Scenario[] = [
  {
    name: 'alarm-timers',
    run: cycle('alarm_timers', inDir),
    timeoutSeconds: 60,
    costSeconds: 0.5,
    checks: {
      'alarm-timers.checkpoint': 'a root process with absolute and alarm-clock POSIX timers and timerfds is checkpointed and killed',
      'alarm-timers.exit-status': 'the restarted process checks its alarm-clock and absolute timers and ends well',
      ...timerChecks('alarm-timers', 'root'),
      'alarm-timers.clock-set':
        'with the wall clock set 600 s ahead after the restart, the absolute timers have 600 s less left, the relative ones not',
      'alarm-timers.cancel-on-set': 'a TFD_TIMER_CANCEL_ON_SET timerfd reads ECANCELED once the clock is set after the restart',
    },
  },
  {
    name: 'alarm-timers-user',
    run: shell('alarm-timers', 'alarm_user'),
    cli: true,
    // Root's cptctl calls through cptctl_in, nobody's restart through cptctl_as (no node start of
    // its own since da31827): 6.7 s in a boot of the cptctl_as rows (a loaded host).
    timeoutSeconds: 150,
    costSeconds: 3.5,
    checks: {
      'alarm-timers-user.checkpoint': 'root checkpoints a nobody process holding alarm timers it made with CAP_WAKE_ALARM, since dropped',
      'alarm-timers-user.inspect': 'cptctl inspect shows the alarm clocks, absolute expiries and timerfd settime flags',
      'alarm-timers-user.no-wake-alarm-refused':
        'a restart by a caller without CAP_WAKE_ALARM is refused, naming the timer and the capability, and leaves nothing',
      'alarm-timers-user.exit-status': 'the nobody process restarted by root checks its alarm-clock and absolute timers and ends well',
      ...timerChecks('alarm-timers-user', 'nobody restarted by root'),
      'alarm-timers-user.no-wake-alarm': 'the process restarted by root still cannot make an alarm timer itself',
      'alarm-timers-user.bad-absolute-refused': 'a restart whose image gives a CLOCK_BOOTTIME_ALARM timer an absolute expiry is refused',
      'alarm-timers-user.bad-tfd-flags-refused': 'a restart whose image gives a timerfd settime flags the kernel lacks is refused',
      'alarm-timers-user.bad-tfd-absolute-refused': 'a restart whose image gives a relative timerfd an absolute expiry is refused',
    },
  },
];
