// Whether `cptctl restart --pidns` builds the tree in a user namespace of its
// own, and what that namespace maps.
//
// A new pid namespace takes CAP_SYS_ADMIN in the caller's user namespace
// (clone(CLONE_NEWPID)), and the pids in it CAP_CHECKPOINT_RESTORE over its
// owner. A caller without CAP_SYS_ADMIN (a plain user) therefore gets a new
// user namespace too, made by the same clone(), which owns the new pid
// namespace: there the tree's builder has every capability, and none outside
// (node's threads forbid unshare(CLONE_NEWUSER), not clone()).
//
// The namespace maps the caller's effective uid and gid, each to itself,
// and nothing else, with setgroups denied: what the kernel lets a user write
// without privilege (user_namespaces(7)). So the restored tasks keep the ids
// they saw (a user's own process, checkpointed where the user is its uid,
// sees that uid again) and hold nothing but the caller's own ids: an image
// whose tasks had any other uid or gid is refused by the module ("not mapped
// in the caller's user namespace"). Supplementary groups cannot be mapped:
// the tree keeps the caller's, which the namespace shows as the overflow
// gid, and the module (CPT_FEATURE_INIT_NS_GROUPS) reads the groups an image
// names where cptctl runs, taking only those the caller holds.
//
// The IPC namespace stays the caller's: the module makes an image's SysV
// objects at INIT, in cptctl's own IPC namespace, where a plain user may not
// choose their ids (the refusal names CAP_CHECKPOINT_RESTORE). An image with
// SysV objects needs `unshare --user --map-root-user --ipc` around cptctl.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { RestartError } from '../../errors.js';

/** A user namespace made for the restart: these ids of the caller, each mapped to itself. */
export interface UsernsMapping {
  readonly uid: number;
  readonly gid: number;
}

/** What decides it, read from /proc/self/status. */
export interface CallerFacts {
  /** The effective capabilities, in the caller's own user namespace. */
  readonly capEffective: bigint;
  readonly euid: number;
  readonly egid: number;
}

const CAP_SYS_ADMIN = 21n;

/** The caller's facts from a /proc/PID/status text; null if a line is missing. */
export function callerFacts(status: string): CallerFacts | null {
  const caps = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  const uids = /^Uid:\s*(\d+)\s+(\d+)/m.exec(status);
  const gids = /^Gid:\s*(\d+)\s+(\d+)/m.exec(status);
  if (!caps || !uids || !gids) return null;
  return { capEffective: BigInt(`0x${caps[1]!}`), euid: Number(uids[2]), egid: Number(gids[2]) };
}

/** The namespace a --pidns restart by this caller makes, or null: it may make the pid namespace itself. */
export function usernsFor(caller: CallerFacts): UsernsMapping | null {
  if ((caller.capEffective >> CAP_SYS_ADMIN) & 1n) return null;
  return { uid: caller.euid, gid: caller.egid };
}

/** The sysctls that forbid a plain user a user namespace; null where the kernel has none. */
export interface UsernsSysctls {
  /** user.max_user_namespaces */
  readonly maxUserNamespaces: string | null;
  /** kernel.unprivileged_userns_clone (Debian's and Ubuntu's kernels) */
  readonly unprivilegedUsernsClone: string | null;
}

/** Why these sysctls refuse the caller a user namespace, or null. */
export function usernsDisabledBy(sysctls: UsernsSysctls): string | null {
  if (sysctls.maxUserNamespaces?.trim() === '0') return 'user namespaces are disabled (sysctl user.max_user_namespaces is 0)';
  if (sysctls.unprivilegedUsernsClone?.trim() === '0') {
    return 'user namespaces are disabled for users without CAP_SYS_ADMIN (sysctl kernel.unprivileged_userns_clone is 0)';
  }
  return null;
}

async function readOrNull(path: string): Promise<string | null> {
  return readFile(path, 'utf8').catch(() => null);
}

/**
 * The user namespace a --pidns restart must make for its caller, or null;
 * a RestartError (exit 5) when it needs one and the system forbids it.
 */
export async function usernsForRestart(procRoot = '/proc'): Promise<UsernsMapping | null> {
  const status = await readOrNull(join(procRoot, 'self', 'status'));
  const caller = status === null ? null : callerFacts(status);
  if (caller === null) throw new RestartError(`cannot read the caller's capabilities from ${join(procRoot, 'self', 'status')}`);
  const mapping = usernsFor(caller);
  if (mapping === null) return null;
  const disabled = usernsDisabledBy({
    maxUserNamespaces: await readOrNull(join(procRoot, 'sys', 'user', 'max_user_namespaces')),
    unprivilegedUsernsClone: await readOrNull(join(procRoot, 'sys', 'kernel', 'unprivileged_userns_clone')),
  });
  if (disabled !== null) {
    throw new RestartError(`restart --pidns without CAP_SYS_ADMIN makes a user namespace for the tree, and ${disabled}`, {
      hint: 'an administrator may allow user namespaces again, or restart as a user with CAP_SYS_ADMIN',
    });
  }
  return mapping;
}

/** What cptctl says on stderr when it made a user namespace for the tree. */
export function usernsNote(mapping: UsernsMapping): string {
  return (
    `cptctl: the tree runs in a new user namespace (the caller lacks CAP_SYS_ADMIN for --pidns), ` +
    `which maps uid ${mapping.uid} and gid ${mapping.gid} to themselves\n`
  );
}
