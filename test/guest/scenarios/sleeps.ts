// Sleeps and waits interrupted by the checkpoint: after the restart each
// goes on with the time it had left (the kernel's restart block, or the
// timeout select() updated), an absolute one keeps its deadline, and an
// untimed one (epoll_wait() too) still wakes when made ready.
import { setTimeout as sleep } from 'node:timers/promises';

import type { Scenario } from './scenario.js';
import { cycle, inDir, shell } from './rows.js';

/** The restart comes this long after the checkpoint: a relative sleep must not count it. */
const PAUSE_MS = 3000;

export const sleepScenarios: readonly Scenario[] = [
  {
    name: 'sleeps',
    run: cycle('sleeps', inDir, { between: () => sleep(PAUSE_MS) }),
    timeoutSeconds: 90,
    costSeconds: 27,
    checks: {
      'sleeps.heartbeat': 'the sleeps workload sees when it was frozen and when it resumed',
      'sleeps.exit-status': 'a process with threads blocked in every kind of sleep and wait restarts and ends well',
      'sleeps.nanosleep': 'an interrupted nanosleep goes on with the time it had left',
      'sleeps.monotonic-relative': 'an interrupted relative clock_nanosleep on CLOCK_MONOTONIC goes on with the time it had left',
      'sleeps.realtime-relative': 'an interrupted relative clock_nanosleep on CLOCK_REALTIME goes on with the time it had left',
      'sleeps.monotonic-absolute': 'an interrupted TIMER_ABSTIME clock_nanosleep on CLOCK_MONOTONIC keeps its deadline',
      'sleeps.realtime-absolute': 'an interrupted TIMER_ABSTIME clock_nanosleep on CLOCK_REALTIME keeps its deadline',
      'sleeps.futex-timeout': 'an interrupted FUTEX_WAIT with a timeout times out after the time it had left',
      'sleeps.poll-timeout': 'an interrupted poll() with a timeout returns 0 after the time it had left',
      'sleeps.select-timeout': 'an interrupted select() with a timeout returns 0 after the time it had left',
      'sleeps.poll-ready': 'an interrupted untimed poll() returns its pipe when written after the restart',
      'sleeps.epoll-ready': 'an interrupted untimed epoll_wait() returns its pipe when written after the restart, not EINTR',
      'sleeps.futex-woken': 'an interrupted untimed FUTEX_WAIT returns when woken after the restart',
      'sleeps.nanosleep-rmtp': 'a restarted nanosleep interrupted by a signal writes the time it had left to rmtp',
    },
  },
  {
    name: 'sleep-refusals',
    run: shell('sleeps', 'sleep_refusals'),
    cli: true,
    timeoutSeconds: 240,
    costSeconds: 75,
    checks: {
      'sleeps.cpu-clock-refused': 'a checkpoint of a sleep on a CPU-time clock is refused, naming its restart',
      'sleeps.cpu-clock-still-asleep': 'a refused checkpoint leaves the sleep on a CPU-time clock as it was',
      'sleeps.image-has-restart-block': "an interrupted sleep's image holds its restart block with the time left",
      'sleeps.bad-clock-refused': 'an image whose restart block names a clock no sleep has is refused',
      'sleeps.kernel-rmtp-refused': 'an image whose nanosleep would write its time left to a kernel address is refused',
      'sleeps.futex-unaligned-refused': 'an image whose futex wait is on an unaligned address is refused',
      'sleeps.restarted-asleep': 'the unedited image of the sleep restarts and sleeps on',
    },
  },
];
