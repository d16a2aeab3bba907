// The compat layer: the module checks its assumptions about the running
// kernel when it loads, lists them in sysfs, and refuses the load, naming
// the check, when one fails (forced with compat_fail=NAME[,NAME...]: the
// first and the last check alone, then every check in loads of up to 20,
// each named in its own line). Through insmod and cptctl check's command line.
import type { Scenario } from './scenario.js';
import { checkJsonReport, shell } from './rows.js';

/** Every check of the compat layer, in the order kmod/cpt_compat.c runs them (its header names the file of each). */
export const COMPAT_CHECKS = [
  'release',
  'symbols',
  'syscalls',
  'kretprobes',
  'alloc_pid_args',
  'task_exit',
  'pidmap_lock',
  'pts_fs_info',
  'shm_file_data',
  'shmem_zero',
  'sem_undo_list',
  'restart_block',
  'x32_syscall',
  // the restoring task's fd table, which others may share (issue 12); the checks' own after it
  'own_fd_table',
  'recvmmsg_err',
  'timed_sleeper',
  'fdinfo_eventfd',
  'fdinfo_signalfd',
  'fdinfo_timerfd',
  'fdinfo_epoll',
  'fdinfo_inotify',
  'mqueue_text',
  'task_attrs',
  'file_locks',
  'seccomp_filter',
  'epoll_tfile',
  'posix_timers',
  'membarrier',
  'pidfd',
  // file owners, O_ASYNC and leases
  'file_fasync',
  'eventfd_ctx',
  // fanotify instances and their marks
  'fdinfo_fanotify',
  // established TCP connections (TCP repair mode)
  'tcp_repair',
  // hugetlb memory
  'hugetlb_anon',
  // AIO contexts and their rings
  'aio_ctx',
  // TCP connections shared outside the tree (checkpoint --kill)
  'file_refs',
  // ICMP ping and raw sockets
  'raw_ra_chain',
  // SHM_NORESERVE segments (issue 13)
  'hugetlb_resv',
  // unix connections not accepted yet
  'unix_embryo',
  // fds in flight in unix messages (SCM_RIGHTS)
  'scm_rights',
  // UDP datagrams queued
  'udp_queue',
  // UDP data corked (issue 14)
  'udp_cork',
  // netlink sockets (issue 14)
  'netlink_sock',
  // memory shared copy-on-write: huge pages, VMAs a restart merged (issue 13)
  'thp_pmd',
  'vma_cut',
] as const;

interface CompatReport {
  ok: boolean;
  kernel: { release: string };
  compat: { builtFor: string; checks: { name: string; outcome: string }[]; refusal: string | null };
  checks: { name: string; ok: boolean }[];
}

export const compatScenarios: readonly Scenario[] = [
  {
    name: 'compat',
    run: shell('compat', 'compat_checks'),
    cli: true,
    timeoutSeconds: 150,
    costSeconds: 10,
    checks: {
      'compat.load': 'the module loads when every compat check passes',
      'compat.all-ok': 'compat_checks lists every check as ok',
      'compat.built-for': 'compat_built_for is the running release',
      'compat.alone-first': `compat_fail=${COMPAT_CHECKS[0]} alone refuses the load, naming it`,
      'compat.alone-last': `compat_fail=${COMPAT_CHECKS[COMPAT_CHECKS.length - 1]} alone refuses the load, naming it`,
      ...Object.fromEntries(
        COMPAT_CHECKS.map((name) => [
          `compat.forced-${name}`,
          `compat_fail naming ${name} among others refuses the load, naming ${name} and counting it`,
        ]),
      ),
      'compat.unknown-name-refused': 'compat_fail with an unknown name in its list refuses the load, naming it',
      'compat.check-shows-refusal': 'after a refused load cptctl check fails, shows the reason and points at dmesg',
      'compat.reload-after-refusals': 'the module loads normally after the refusals',
    },
    outputChecks: [
      {
        title: 'the module lists exactly the known compat checks, all passed',
        assert: (t, output) => {
          const listed = output
            .split('\n')
            .filter((line) => line.startsWith('COMPAT-CHECK '))
            .map((line) => line.split(' ').slice(1).join(' '));
          t.deepEqual(
            listed,
            COMPAT_CHECKS.map((name) => `${name} ok`),
            output,
          );
        },
      },
      {
        title: 'cptctl check --json reports the compat checks and the release the module was built for',
        assert: (t, output) => {
          const report = checkJsonReport<CompatReport>(t, output);
          if (report === undefined) return;
          t.true(report.ok);
          t.is(report.compat.builtFor, report.kernel.release);
          t.deepEqual(
            report.compat.checks.map((check) => check.name),
            [...COMPAT_CHECKS],
          );
          t.is(report.compat.refusal, null);
          t.true(report.checks.some((check) => check.name === 'compat' && check.ok));
        },
      },
    ],
  },
];
