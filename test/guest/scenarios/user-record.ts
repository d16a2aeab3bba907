// CPT_IOC_USER_RECORD's rules (kmod/uapi/linux/cpt.h, cpt_session.c
// cpt_ioctl_user_record()), one case per rule, through the native addon
// against the real module: only a MANIFEST, without flags or reserved bits,
// only in a session, right after INIT's records and once (EINVAL), at most
// CPT_USER_RECORD_MAX bytes (EFBIG). So no caller has the module write, and
// tag under a key, a record of a type the module reads itself. Each case
// asserts the errno and the module's words (CPT_IOC_MESSAGE); each session
// is closed unfinished, which aborts it: the tree runs on.
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';

import type { Device } from '../../../src/device.js';
import { openDevice } from '../../../src/device.js';
import type { CptAddon, UserRecordRaw } from '../../../src/native.js';
import { loadAddon } from '../../../src/native.js';
import type { Scenario, ScenarioContext } from './scenario.js';

/** CPT_USER_RECORD_MAX: the payload bytes a record may hold. */
const USER_RECORD_MAX = 16 << 20;

type Before = 'nothing' | 'init' | 'init, the manifest' | 'init, SAVE(TASK)';

interface Case {
  readonly name: string;
  readonly mode: 'checkpoint' | 'restart';
  /** What the session does first; each step must succeed. */
  readonly before: Before;
  /** The record type asked for: a key of RECORD_TYPES. */
  readonly type: 'MANIFEST' | 'TASK';
  /** Checkpoint: the payload's size. */
  readonly bytes?: number;
  readonly raw?: UserRecordRaw;
  readonly errno: string;
  readonly detail: RegExp;
}

const ONCE = /the caller's record comes right after the image's tree, once/;
const TYPE = /the caller's record may be a MANIFEST \(\d+\) only, not type \d+/;

const CASES: readonly Case[] = [
  {
    name: 'no-session',
    mode: 'checkpoint',
    before: 'nothing',
    type: 'MANIFEST',
    errno: 'EINVAL',
    detail: /needs a session: CPT_IOC_INIT first/,
  },
  { name: 'type-checkpoint', mode: 'checkpoint', before: 'init', type: 'TASK', errno: 'EINVAL', detail: TYPE },
  { name: 'type-restart', mode: 'restart', before: 'init', type: 'TASK', errno: 'EINVAL', detail: TYPE },
  { name: 'flags', mode: 'checkpoint', before: 'init', type: 'MANIFEST', raw: { flags: 1 }, errno: 'EINVAL', detail: /flags 0x1 unknown/ },
  {
    name: 'reserved',
    mode: 'restart',
    before: 'init',
    type: 'MANIFEST',
    raw: { reserved: 1n },
    errno: 'EINVAL',
    detail: /reserved fields not zero/,
  },
  {
    name: 'too-large',
    mode: 'checkpoint',
    before: 'init',
    type: 'MANIFEST',
    bytes: USER_RECORD_MAX + 1,
    errno: 'EFBIG',
    detail: new RegExp(`record of ${USER_RECORD_MAX + 1} bytes exceeds its ${USER_RECORD_MAX}`),
  },
  { name: 'twice-checkpoint', mode: 'checkpoint', before: 'init, the manifest', type: 'MANIFEST', errno: 'EINVAL', detail: ONCE },
  { name: 'twice-restart', mode: 'restart', before: 'init, the manifest', type: 'MANIFEST', errno: 'EINVAL', detail: ONCE },
  { name: 'after-save', mode: 'checkpoint', before: 'init, SAVE(TASK)', type: 'MANIFEST', errno: 'EINVAL', detail: ONCE },
];

/** A manifest's payload (root_pid 1): what the module takes without reading. */
const MANIFEST = Buffer.from([0x10, 0x01]);

function userRecord(addon: CptAddon, fd: number, mode: Case['mode'], type: number, bytes = MANIFEST.length, raw?: UserRecordRaw) {
  if (mode === 'restart') return addon.userRecord(fd, type, undefined, raw);
  const payload = bytes === MANIFEST.length ? MANIFEST : Buffer.alloc(bytes);
  return addon.userRecord(fd, type, payload, raw);
}

/** Runs one case in a session of its own: 'PASS' or 'FAIL', and what the module said. */
async function runCase(addon: CptAddon, context: ScenarioContext, index: number, target: number, c: Case): Promise<string> {
  const restart = c.mode === 'restart';
  const device: Device = await openDevice(addon, restart ? ['SESSION', 'USER_RECORDS', 'NEW_PIDNS'] : ['SESSION', 'USER_RECORDS']);
  // Not *.img: the driver round-trips those, and an aborted checkpoint's is cut short.
  const imageFd = restart ? openSync(context.image, 'r') : openSync(join(context.dir, `aborted-${index}.part`), 'w');
  try {
    if (c.before !== 'nothing') {
      await addon.init(device.fd, {
        imageFd,
        mode: restart ? addon.MODES.RESTART : addon.MODES.CHECKPOINT,
        // A restart's pids wait for a new pid namespace: the tree keeps its own.
        ...(restart ? { flags: addon.INIT_FLAGS.NEW_PIDNS } : { target }),
      });
    }
    if (c.before === 'init, the manifest') await userRecord(addon, device.fd, c.mode, addon.RECORD_TYPES.MANIFEST);
    if (c.before === 'init, SAVE(TASK)') await addon.save(device.fd, addon.SUBSYS.TASK);
  } catch (error: unknown) {
    await device.close();
    closeSync(imageFd);
    return `FAIL: the session's first steps (${c.before}) failed: ${String(error)}`;
  }
  try {
    await userRecord(addon, device.fd, c.mode, addon.RECORD_TYPES[c.type], c.bytes, c.raw);
    return `FAIL: accepted (after ${c.before})`;
  } catch (error: unknown) {
    const { code, detail } = error as { code?: unknown; detail?: unknown };
    const words = `${String(code)}: ${String(detail)}`;
    return code === c.errno && typeof detail === 'string' && c.detail.test(detail)
      ? `PASS ${words}`
      : `FAIL ${words} (want ${c.errno}: ${c.detail.source})`;
  } finally {
    await device.close();
    closeSync(imageFd);
  }
}

async function userRecordRules(context: ScenarioContext): Promise<void> {
  const addon = loadAddon();
  const workload = await context.startWorkload('task_state', [context.dir, join(context.dir, 'go')]);
  // The image the restart cases read; the tree is left running.
  const failure = await context.checkpoint(workload.pid, 'leave-running');
  context.result('user-record.image', failure === null, failure ?? `pid ${workload.pid} checkpointed, left running`);
  for (const [index, c] of CASES.entries()) {
    const outcome = await runCase(addon, context, index, workload.pid, c);
    context.result(`user-record.${c.name}`, outcome.startsWith('PASS'), `${c.mode}, after ${c.before}: ${outcome}`);
  }
  context.go();
  const status = await workload.exited;
  context.result('user-record.tree-runs-on', status === 0, `the tree, after ${CASES.length} aborted sessions, exited ${status}`);
}

export const userRecordScenarios: readonly Scenario[] = [
  {
    name: 'user-record',
    run: { kind: 'custom', run: userRecordRules },
    timeoutSeconds: 90,
    costSeconds: 1,
    checks: {
      'user-record.image': 'a checkpoint of the tree, left running, gives the restart cases their image',
      'user-record.no-session': 'CPT_IOC_USER_RECORD before CPT_IOC_INIT is EINVAL, "needs a session: CPT_IOC_INIT first"',
      'user-record.type-checkpoint': 'a checkpoint may write no record type but MANIFEST (a TASK record: EINVAL, naming the type)',
      'user-record.type-restart': 'a restart may read no record type but MANIFEST (a TASK record: EINVAL, naming the type)',
      'user-record.flags': 'an unknown flag is EINVAL, naming the flags',
      'user-record.reserved': 'a reserved field not zero is EINVAL, saying so',
      'user-record.too-large': 'a record above CPT_USER_RECORD_MAX (16 MiB) is EFBIG, naming both sizes',
      'user-record.twice-checkpoint': 'a second manifest at checkpoint is EINVAL: right after the tree, once',
      'user-record.twice-restart': 'a second manifest read at restart is EINVAL: right after the tree, once',
      'user-record.after-save': 'a manifest after SAVE(TASK) (the wrong stage) is EINVAL: right after the tree, once',
      'user-record.tree-runs-on': 'the tree runs on after every refused session, and ends well',
    },
  },
];
