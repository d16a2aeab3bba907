// When `cptctl restart --pidns` makes a user namespace for the tree, with
// which mapping, and what it says when it cannot (src/commands/restart/userns.ts).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { restartFailure } from '../../src/commands/restart/failure.js';
import { planTree } from '../../src/commands/restart/plan.js';
import { callerFacts, usernsDisabledBy, usernsFor, usernsForRestart, usernsNote } from '../../src/commands/restart/userns.js';
import { RestartError } from '../../src/errors.js';

const status = (capEff: string, uid = '65534\t65534\t65534\t65534', gid = '65534\t65534\t65534\t65534'): string =>
  `Name:\tnode\nUid:\t${uid}\nGid:\t${gid}\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`;

test('callerFacts reads the effective capabilities and the effective uid and gid', (t) => {
  t.deepEqual(callerFacts(status('0000000000200000', '1000\t1001\t1000\t1001', '100\t101\t100\t101')), {
    capEffective: 0x200000n,
    euid: 1001,
    egid: 101,
  });
  t.is(callerFacts('Name:\tnode\n'), null);
});

const facts = [
  ['a plain user (no capability)', 0n, { uid: 65534, gid: 65534 }],
  ['a user with CAP_CHECKPOINT_RESTORE only', 1n << 40n, { uid: 65534, gid: 65534 }],
  ['root without CAP_SYS_ADMIN', 0x1ffffdfffffn, { uid: 65534, gid: 65534 }],
  ['a caller with CAP_SYS_ADMIN', 1n << 21n, null],
  ['root', 0x1ffffffffffn, null],
] as const;

for (const [who, capEffective, expected] of facts) {
  test(`usernsFor: ${who} gets ${expected === null ? 'no user namespace' : 'one mapping its own ids to themselves'}`, (t) => {
    t.deepEqual(usernsFor({ capEffective, euid: 65534, egid: 65534 }), expected);
  });
}

test('usernsDisabledBy names the sysctl that forbids user namespaces', (t) => {
  t.is(usernsDisabledBy({ maxUserNamespaces: '15000\n', unprivilegedUsernsClone: null }), null);
  t.is(usernsDisabledBy({ maxUserNamespaces: '15000\n', unprivilegedUsernsClone: '1\n' }), null);
  t.regex(usernsDisabledBy({ maxUserNamespaces: '0\n', unprivilegedUsernsClone: null }) ?? '', /sysctl user\.max_user_namespaces is 0/);
  t.regex(usernsDisabledBy({ maxUserNamespaces: '9\n', unprivilegedUsernsClone: '0\n' }) ?? '', /kernel\.unprivileged_userns_clone is 0/);
});

let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cptctl-userns-'));
});
test.after.always(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function procRoot(name: string, capEff: string, maxUserNamespaces: string | null): Promise<string> {
  const root = join(dir, name);
  await mkdir(join(root, 'self'), { recursive: true });
  await mkdir(join(root, 'sys', 'user'), { recursive: true });
  await writeFile(join(root, 'self', 'status'), status(capEff));
  if (maxUserNamespaces !== null) await writeFile(join(root, 'sys', 'user', 'max_user_namespaces'), maxUserNamespaces);
  return root;
}

test('usernsForRestart: a plain user gets its ids mapped; root none; disabled namespaces are exit 5 naming the sysctl', async (t) => {
  t.deepEqual(await usernsForRestart(await procRoot('plain', '0000000000000000', '100\n')), { uid: 65534, gid: 65534 });
  t.is(await usernsForRestart(await procRoot('root', '000001ffffffffff', '0\n')), null);
  const error = await t.throwsAsync(usernsForRestart(await procRoot('disabled', '0000000000000000', '0\n')));
  t.true(error instanceof RestartError);
  t.is((error as RestartError).exitCode, 5);
  t.is(
    error.message,
    'restart --pidns without CAP_SYS_ADMIN makes a user namespace for the tree, and user namespaces are disabled (sysctl user.max_user_namespaces is 0)',
  );
  await t.throwsAsync(usernsForRestart(join(dir, 'nowhere')), {
    instanceOf: RestartError,
    message: /cannot read the caller's capabilities/,
  });
});

test('the plan carries the mapping to the addon, only with a pid namespace', (t) => {
  const tree = {
    tasks: [{ pid: 10, tgid: 10, ppid: 1, pgid: 10, sid: 10, zombie: false, exitStatus: 0, childSubreaper: false, fdTableOf: 0 }],
  };
  t.deepEqual(planTree(tree, { pidns: true, userns: { uid: 7, gid: 8 } }).userns, { uid: 7, gid: 8 });
  t.false('userns' in planTree(tree, { pidns: true, userns: null }));
  t.throws(() => planTree(tree, { pidns: false, userns: { uid: 7, gid: 8 } }));
});

test('the note on stderr says the tree is in a new user namespace, and what it maps', (t) => {
  t.is(
    usernsNote({ uid: 65534, gid: 65534 }),
    'cptctl: the tree runs in a new user namespace (the caller lacks CAP_SYS_ADMIN for --pidns), which maps uid 65534 and gid 65534 to themselves\n',
  );
});

test("the pidns init's clone or maps failing is the namespace's failure, not root's pids", (t) => {
  const clone = Object.assign(new Error('clone CLONE_NEWUSER failed: ENOSPC (No space left on device)'), {
    code: 'ENOSPC',
    errno: -28,
    syscall: 'clone',
    pid: 0,
  });
  const failure = restartFailure('building the tree', 10, clone);
  t.true(failure instanceof RestartError);
  t.is(
    failure.message,
    'restart of pid 10 failed: the new pid namespace (--pidns) could not be made: clone CLONE_NEWUSER: ENOSPC (No space left on device)',
  );
  t.regex(failure.hint ?? '', /user\.max_user_namespaces/);
  const maps = Object.assign(new Error('write /proc/77/uid_map failed: EPERM (Operation not permitted)'), {
    code: 'EPERM',
    errno: -1,
    syscall: 'write',
    pid: 0,
  });
  t.regex(restartFailure('building the tree', 10, maps).message, /could not be made: write \/proc\/77\/uid_map: EPERM/);
});
