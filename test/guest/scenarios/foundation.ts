// The foundation: the module loads, `cptctl check` succeeds, the handshake
// refuses every bad input, and the module unloads cleanly.
import type { Scenario } from './scenario.js';
import { checkJsonReport, shell } from './rows.js';

interface CheckReport {
  ok: boolean;
  kernel: { release: string };
  module: { loaded: boolean; version: string; ioctls: string[]; features: string[]; featureBits: string };
}

export const foundationScenarios: readonly Scenario[] = [
  {
    name: 'foundation',
    run: shell('foundation', 'foundation'),
    cli: true,
    timeoutSeconds: 60,
    costSeconds: 2.5,
    checks: {
      'cptctl-check-status': 'cptctl check exits 0 in the guest',
      'valid-request': 'a valid handshake succeeds',
      'reports-api-ioctl': 'the handshake reports the API ioctl',
      'reports-only-known-features': 'the handshake reports only features the header knows',
      'unknown-ioctl': 'an unknown ioctl number gets ENOTTY',
      'foreign-ioctl-type': 'an ioctl of another type gets ENOTTY',
      'wrong-direction': 'an ioctl with the wrong direction gets ENOTTY',
      'struct-too-short': 'a struct shorter than the first version gets EINVAL',
      'struct-empty': 'a zero-sized struct gets EINVAL',
      'longer-struct-zero-tail': 'a longer struct with a zero tail is accepted',
      'longer-struct-nonzero-tail': 'a longer struct with a non-zero tail gets EINVAL',
      'wrong-api': 'a wrong api value gets EINVAL',
      'unknown-flag': 'an unknown flag gets EINVAL',
      'reserved-0-nonzero': 'a non-zero reserved[0] gets EINVAL',
      'reserved-1-nonzero': 'a non-zero reserved[1] gets EINVAL',
      'unknown-feature': 'requesting an unknown feature gets EINVAL',
      'bad-pointer': 'a bad argument pointer gets EFAULT',
      'rmmod-refused-while-open': 'the module cannot be unloaded while /dev/cpt is open',
      'rmmod-after-use': 'the module unloads cleanly after use',
      'reload-cycle': 'the module loads, works and unloads a second time',
    },
    outputChecks: [
      {
        title: 'cptctl check --json reports the loaded module and its handshake',
        assert: (t, output) => {
          const report = checkJsonReport<CheckReport>(t, output);
          if (report === undefined) return;
          t.true(report.ok);
          t.regex(report.kernel.release, /^6\.1\./);
          t.true(report.module.loaded);
          t.regex(report.module.version, /^\d+\.\d+\.\d+$/);
          t.deepEqual([...report.module.ioctls].sort(), [
            'API',
            'FINALIZE',
            'HOLD',
            'INIT',
            'KEY',
            'MESSAGE',
            'RESTORE',
            'SAVE',
            'SET_NEXT_ID',
            'USER_RECORD',
          ]);
          t.deepEqual([...report.module.features].sort(), [
            'AUTH',
            'EXT_UNIX_SK',
            'INIT_KILL',
            'INIT_NS_GROUPS',
            'MESSAGES',
            'NETLINK',
            'NEW_PIDNS',
            'NEXT_PID',
            'PACKET',
            'PTY',
            'SESSION',
            'SOCKET_OPTIONS',
            'STATS',
            'SYSV_IPC',
            'TCP_HOLD',
            'TCP_SYN_SENT',
            'TIMED_WAITS',
            'TREE',
            'UNIX_PENDING_RIGHTS',
            'USER_RECORDS',
          ]);
          t.regex(report.module.featureBits, /^0x[0-9a-f]+$/);
        },
      },
    ],
  },
];
