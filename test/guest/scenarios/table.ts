// The whole scenario table, and how it is shared out among boots: by cost,
// not by theme, so that boots end at about the same time.
import { abortScenarios } from './abort.js';
import { authimgScenarios } from './authimg.js';
import { authrecScenarios } from './authrec.js';
import { compatScenarios } from './compat.js';
import { cowScenarios } from './cow.js';
import { deletedScenarios } from './deleted.js';
import { deletedNodesScenarios } from './deleted-nodes.js';
import { faultScenarios } from './faults.js';
import { flocksScenarios } from './flocks.js';
import { fownScenarios } from './fown.js';
import { freezeRefusedScenarios } from './freeze-refused.js';
import { foundationScenarios } from './foundation.js';
import { inetScenarios } from './inet.js';
import { udprawScenarios } from './udpraw.js';
import { netlinkScenarios } from './netlink.js';
import { packetScenarios } from './packet.js';
import { sockoptsScenarios } from './sockopts.js';
import { udpQueueScenarios } from './udpqueue.js';
import { tcpEstablishedScenarios } from './tcp-established.js';
import { tcpSharedScenarios } from './tcp-shared.js';
import { hugetlbScenarios } from './hugetlb.js';
import { hugetlbHostileScenarios } from './hugetlb-hostile.js';
import { fuzzScenarios } from './fuzz.js';
import { mmAttrsScenarios } from './mmattrs.js';
import { mutateScenarios } from './mutate.js';
import { objectScenarios } from './objects.js';
import { fanotifyAioScenarios } from './fanotify-aio.js';
import { aioScenarios } from './aio.js';
import { pidfdScenarios } from './pidfd.js';
import { kernelFsScenarios } from './kernel-fs.js';
import { privmodelScenarios } from './privmodel.js';
import { userRecordScenarios } from './user-record.js';
import { usernsScenarios } from './userns.js';
import { privgapsScenarios } from './privgaps.js';
import { ptimerScenarios } from './ptimers.js';
import { raceScenarios, raceTwoCpuScenarios } from './race.js';
import { restoreCheckScenarios } from './restore-check.js';
import type { Scenario } from './scenario.js';
import { X32_KERNEL_ARG } from './scenario.js';
import { seccompScenarios } from './seccomp.js';
import { securityCredsScenarios } from './security-creds.js';
import { securityFilesScenarios } from './security-files.js';
import { securityLeftoverScenarios, twoCpuScenarios } from './security-leftovers.js';
import { securityNextidScenarios } from './security-nextid.js';
import { sharedScenarios } from './shared.js';
import { shellTtyScenarios } from './shell-tty.js';
import { singleScenarios } from './single.js';
import { sleepScenarios } from './sleeps.js';
import { eintrScenarios } from './eintr.js';
import { kindsScenarios } from './kinds.js';
import { alarmTimerScenarios } from './alarm-timers.js';
import { taskAttrsScenarios } from './task-attrs.js';
import { procStateScenarios } from './procstate.js';
import { tcpHoldScenarios } from './tcp-hold.js';
import { tcpHoldTreeScenarios } from './tcp-hold-tree.js';
import { tcpStatesScenarios } from './tcpstates.js';
import { treeScenarios } from './tree.js';
import { unixUnpairedScenarios } from './unix-unpaired.js';
import { unixCredsScenarios } from './unix-creds.js';
import { unixext2Scenarios } from './unixext2.js';
import { unixRightsScenarios } from './unix-rights.js';
import { fidelScenarios } from './fidel.js';
import { unixextScenarios } from './unixext.js';
import { freezehangScenarios } from './freezehang.js';
import { exitDeadScenarios } from './exit-dead.js';

export const SCENARIOS: readonly Scenario[] = [
  ...foundationScenarios,
  ...compatScenarios,
  ...singleScenarios,
  ...treeScenarios,
  ...sharedScenarios,
  ...cowScenarios,
  ...objectScenarios,
  ...taskAttrsScenarios,
  ...ptimerScenarios,
  ...mmAttrsScenarios,
  ...abortScenarios,
  ...securityCredsScenarios,
  ...seccompScenarios,
  ...mutateScenarios,
  ...raceScenarios,
  ...securityFilesScenarios,
  ...securityNextidScenarios,
  ...sleepScenarios,
  ...eintrScenarios,
  ...fuzzScenarios,
  ...faultScenarios,
  ...deletedScenarios,
  ...deletedNodesScenarios,
  ...flocksScenarios,
  ...fownScenarios,
  ...kindsScenarios,
  ...alarmTimerScenarios,
  ...pidfdScenarios,
  ...kernelFsScenarios,
  ...procStateScenarios,
  ...authimgScenarios,
  ...authrecScenarios,
  ...hugetlbScenarios,
  ...hugetlbHostileScenarios,
  ...privmodelScenarios,
  ...usernsScenarios,
  ...userRecordScenarios,
  ...privgapsScenarios,
  ...inetScenarios,
  ...udprawScenarios,
  ...netlinkScenarios,
  ...packetScenarios,
  ...sockoptsScenarios,
  ...udpQueueScenarios,
  ...unixUnpairedScenarios,
  ...unixCredsScenarios,
  ...unixextScenarios,
  ...tcpEstablishedScenarios,
  ...tcpSharedScenarios,
  ...tcpHoldScenarios,
  ...tcpHoldTreeScenarios,
  ...tcpStatesScenarios,
  ...securityLeftoverScenarios,
  ...fanotifyAioScenarios,
  ...aioScenarios,
  ...restoreCheckScenarios,
  ...shellTtyScenarios,
  ...freezeRefusedScenarios,
  ...fidelScenarios,
  ...freezehangScenarios,
  ...exitDeadScenarios,
  ...unixext2Scenarios,
  ...unixRightsScenarios,
];

/** Scenarios that need a guest with two CPUs: a boot of their own (test/guest/two-cpus.test.ts). */
export const TWO_CPU_SCENARIOS: readonly Scenario[] = [...twoCpuScenarios, ...raceTwoCpuScenarios];

/**
 * Not a test of cptctl: a scenario that never ends, so that boot 1
 * (test/helpers/guest-boot.ts), which begins with it, sees the driver
 * give up on it, show why, clean up and go on with the next. Never
 * planned into a boot.
 */
export const HANGING_SCENARIO: Scenario = {
  name: 'hangs',
  run: { kind: 'shell', file: 'driver', fn: 'hangs' },
  timeoutSeconds: 5,
  costSeconds: 0,
  checks: {},
};

/**
 * How many boots the guest tests take: one ava file each
 * (test/guest/boot-N.test.ts). Two, one per host core: each boot more
 * cost a slot some 13 s (in the whole run of 2026-12-07 23:44, 8.7 s of
 * kernel, node and module, and 4 s between the files, the slot idle while
 * ava started the next), and a scenario that hangs costs only itself.
 */
export const BOOT_COUNT = 2;

/** Seconds a boot costs besides its scenarios: the kernel, node's start, the module. */
export const BOOT_OVERHEAD_SECONDS = 15;

/**
 * Seconds of npm test's plan given to each boot before its scenarios. ava
 * runs the two boots at once (ava.config.js), and the harness's own
 * guests (test/guest/harness.test.ts: 3, 5 and 8 s) after the first of
 * them to end: boot 2 gets 17 s less, so that they run on its slot beside
 * boot 1's end rather than after it. Boot 1 begins with the driver's own
 * test (HANGING_SCENARIO, 5.5 s in the whole run of 2026-12-07 23:44; its
 * time besides its scenarios was the others' once its wait for the
 * two-CPU boot is left out): it gets 6 s.
 */
export const SUITE_HEAD_START_SECONDS: readonly number[] = [6, 17];

export function scenarioNamed(name: string): Scenario {
  const scenario = [...SCENARIOS, ...TWO_CPU_SCENARIOS, HANGING_SCENARIO].find((s) => s.name === name);
  if (scenario === undefined) throw new Error(`no guest scenario named ${name}`);
  return scenario;
}

/**
 * The scenarios of each boot: the costliest first, each into the boot with
 * the least cost so far (longest processing time first), boot i starting
 * from headStart[i] seconds (npm test's plan: SUITE_HEAD_START_SECONDS).
 * Within a boot, they run in table order, except those that change the
 * guest for good, which run last.
 */
export function planBoots(
  scenarios: readonly Scenario[] = SCENARIOS,
  boots: number = BOOT_COUNT,
  headStart: readonly number[] = scenarios === SCENARIOS && boots === BOOT_COUNT ? SUITE_HEAD_START_SECONDS : [],
): Scenario[][] {
  const plan: Scenario[][] = Array.from({ length: boots }, () => []);
  const cost = (i: number): number => (headStart[i] ?? 0) + plan[i]!.reduce((sum, s) => sum + s.costSeconds, 0);
  const byCost = [...scenarios].sort((a, b) => b.costSeconds - a.costSeconds);
  for (const scenario of byCost) {
    const cheapest = plan.reduce((best, _, i) => (cost(i) < cost(best) ? i : best), 0);
    plan[cheapest]!.push(scenario);
  }
  const order = (s: Scenario): number => (s.last === true ? scenarios.length : 0) + scenarios.indexOf(s);
  return plan.map((boot) => boot.sort((a, b) => order(a) - order(b)));
}

/**
 * The guest kernel's arguments that a boot of these scenarios needs:
 * X32_KERNEL_ARG if one of them makes x32 syscalls, so that all of the
 * boot's rows run with x32 on.
 */
export function kernelArgsFor(boot: readonly Scenario[]): string[] {
  return boot.some((s) => s.x32 === true) ? [X32_KERNEL_ARG] : [];
}

/** The guest's timeout for a boot: each scenario's own, and the boot's overhead. */
export function bootTimeoutSeconds(boot: readonly Scenario[]): number {
  return BOOT_OVERHEAD_SECONDS * 4 + boot.reduce((sum, s) => sum + s.timeoutSeconds, 0);
}
