// Names for the numbers an image stores in Linux's own encodings (x86-64
// registers, signals, open flags, rlimits, mmap bits): Linux/x86-64 ABI
// facts, not <linux/cpt.h> ones. Pure.
import { constants as fsConstants } from 'node:fs';

import { signalName } from '../../signals.js';

/** struct user_regs_struct (x86-64), in the order Cpu.gpregs stores it. */
export const GPREG_NAMES: readonly string[] = [
  'r15',
  'r14',
  'r13',
  'r12',
  'rbp',
  'rbx',
  'r11',
  'r10',
  'r9',
  'r8',
  'rax',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'orig_rax',
  'rip',
  'cs',
  'eflags',
  'rsp',
  'ss',
  'fs_base',
  'gs_base',
  'ds',
  'es',
  'fs',
  'gs',
];

/** RLIMIT_* by resource number (<asm-generic/resource.h>). */
const RLIMIT_NAMES: readonly string[] = [
  'CPU',
  'FSIZE',
  'DATA',
  'STACK',
  'CORE',
  'RSS',
  'NPROC',
  'NOFILE',
  'MEMLOCK',
  'AS',
  'LOCKS',
  'SIGPENDING',
  'MSGQUEUE',
  'NICE',
  'RTPRIO',
  'RTTIME',
];

export const RLIM_INFINITY = (1n << 64n) - 1n;

export function rlimitName(resource: number): string {
  return `RLIMIT_${RLIMIT_NAMES[resource] ?? resource}`;
}

export function rlimitValue(value: bigint): string {
  return value === RLIM_INFINITY ? 'unlimited' : value.toString();
}

const SCHED_POLICY_NAMES: Readonly<Record<number, string>> = { 0: 'OTHER', 1: 'FIFO', 2: 'RR', 3: 'BATCH', 5: 'IDLE', 6: 'DEADLINE' };

/** A scheduling policy as sched_setscheduler() names it: 'SCHED_FIFO'. */
export function schedPolicyName(policy: number): string {
  return `SCHED_${SCHED_POLICY_NAMES[policy] ?? policy}`;
}

const IOPRIO_CLASS_NAMES = ['none', 'rt', 'be', 'idle'];

/** An ioprio_set() value as ionice shows it: 'be/7', 'idle', or 'none' (follows nice). */
export function ioprioName(ioprio: number): string {
  const ioClass = ioprio >>> 13;
  const level = ioprio & 0x1fff;
  const name = IOPRIO_CLASS_NAMES[ioClass] ?? `class ${ioClass}`;
  if (ioClass === 0 && level === 0) return 'none (follows nice)';
  return ioClass === 3 && level === 0 ? name : `${name}/${level}`;
}

const ITIMER_NAMES = ['ITIMER_REAL', 'ITIMER_VIRTUAL', 'ITIMER_PROF'];

export function itimerName(which: number): string {
  return ITIMER_NAMES[which] ?? `itimer ${which}`;
}

const POSIX_CLOCK_NAMES: Record<number, string> = {
  0: 'CLOCK_REALTIME',
  1: 'CLOCK_MONOTONIC',
  7: 'CLOCK_BOOTTIME',
  8: 'CLOCK_REALTIME_ALARM',
  9: 'CLOCK_BOOTTIME_ALARM',
  11: 'CLOCK_TAI',
  [-6]: 'CLOCK_PROCESS_CPUTIME_ID',
  [-2]: 'CLOCK_THREAD_CPUTIME_ID',
};

/**
 * A POSIX timer's clock as the kernel keeps it: a named one, or a CPU-time
 * clock naming its process or thread (the kernel's CPUCLOCK_PID encoding);
 * a thread's CPU clock also says which thread it counts.
 */
export function posixClockName(clock: number, clockThread: number): string {
  const thread = clockThread === 0 ? '' : ` of thread ${clockThread}`;
  const named = POSIX_CLOCK_NAMES[clock];
  if (named !== undefined) return `${named}${thread}`;
  if (clock >= 0) return `clock ${clock}`;
  const pid = ~(clock >> 3);
  const which = ['PROF', 'VIRT', 'SCHED', 'FD'][clock & 3] ?? '?';
  return (clock & 4) === 0 ? `CPU clock ${which} of process ${pid}` : `CPU clock ${which}${thread}`;
}

const SIGEV_NAMES: Record<number, string> = { 0: 'SIGEV_SIGNAL', 1: 'SIGEV_NONE', 2: 'SIGEV_THREAD', 4: 'SIGEV_THREAD_ID' };

/** sigev_notify by name ('SIGEV_THREAD_ID' for the kernel's SIGEV_SIGNAL | SIGEV_THREAD_ID). */
export function sigevName(notify: number): string {
  return SIGEV_NAMES[notify] ?? `sigev_notify ${notify}`;
}

/** Signal numbers in a sigset_t mask (bit signo-1). */
export function signalsInMask(mask: bigint): string[] {
  const names: string[] = [];
  for (let signo = 1; signo <= 64; signo++) {
    if ((mask >> BigInt(signo - 1)) & 1n) names.push(signalName(signo));
  }
  return names;
}

/** sa_handler values with a meaning of their own. */
export function handlerName(handler: bigint): string {
  if (handler === 0n) return 'SIG_DFL';
  if (handler === 1n) return 'SIG_IGN';
  return `0x${handler.toString(16)}`;
}

// x86-64 values Node does not export.
const O_LARGEFILE = 0o100000;
const O_CLOEXEC = 0o2000000;
const O_PATH = 0o10000000;

/** Flag bits after the access mode, composite ones (O_SYNC includes O_DSYNC) first. */
const OPEN_FLAGS: readonly [string, number][] = [
  ['O_SYNC', fsConstants.O_SYNC],
  ['O_DSYNC', fsConstants.O_DSYNC],
  ['O_CREAT', fsConstants.O_CREAT],
  ['O_EXCL', fsConstants.O_EXCL],
  ['O_NOCTTY', fsConstants.O_NOCTTY],
  ['O_TRUNC', fsConstants.O_TRUNC],
  ['O_APPEND', fsConstants.O_APPEND],
  ['O_NONBLOCK', fsConstants.O_NONBLOCK],
  ['O_DIRECT', fsConstants.O_DIRECT],
  ['O_LARGEFILE', O_LARGEFILE],
  ['O_DIRECTORY', fsConstants.O_DIRECTORY],
  ['O_NOFOLLOW', fsConstants.O_NOFOLLOW],
  ['O_NOATIME', fsConstants.O_NOATIME],
  ['O_CLOEXEC', O_CLOEXEC],
  ['O_PATH', O_PATH],
];

/** 'O_RDWR|O_APPEND', with leftover bits in octal: 'O_RDONLY|0100'. */
export function openFlagsName(flags: number): string {
  const access = flags & 3;
  const names = [access === 0 ? 'O_RDONLY' : access === 1 ? 'O_WRONLY' : access === 2 ? 'O_RDWR' : 'O_ACCMODE'];
  let rest = flags & ~3;
  for (const [name, bits] of OPEN_FLAGS) {
    if (bits !== 0 && (rest & bits) === bits) {
      names.push(name);
      rest &= ~bits;
    }
  }
  if (rest !== 0) names.push(`0${(rest >>> 0).toString(8)}`);
  return names.join('|');
}

const PROT_READ = 1;
const PROT_WRITE = 2;
const PROT_EXEC = 4;
const MAP_SHARED = 1;

/** The perms column of /proc/PID/maps: 'r-xp'. */
export function vmaPerms(prot: number, flags: number): string {
  return (
    (prot & PROT_READ ? 'r' : '-') + (prot & PROT_WRITE ? 'w' : '-') + (prot & PROT_EXEC ? 'x' : '-') + (flags & MAP_SHARED ? 's' : 'p')
  );
}

/** File mode bits as /proc shows umask: '0022'. */
export function octal(value: number, width = 4): string {
  return value.toString(8).padStart(width, '0');
}

/** XSTATE_BV, the components present in a standard-format XSAVE area (its header, at byte 512). */
export function xsaveXstateBv(xsave: Uint8Array): bigint | null {
  if (xsave.length < 520) return null;
  return Buffer.from(xsave.buffer, xsave.byteOffset, xsave.byteLength).readBigUInt64LE(512);
}

/** "1:3", from a dev_t as stat's st_rdev gives it (glibc's major()/minor() of a 32-bit value). */
export function deviceNumber(rdev: number): string {
  const major = (rdev >>> 8) & 0xfff;
  const minor = (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}
