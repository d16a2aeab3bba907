// Rendering of an ImageSummary for people (one block per section) and for
// programs (JSON: every decoded field; 64-bit values as strings, addresses
// and masks in hex). Pure.
import { describeAuthentication } from '../../image/auth.js';
import { hex } from '../../bits.js';
import type { RecordJson } from '../../image/image-json.js';
import type {
  Cpu,
  FanotifyMark,
  File,
  FileLock,
  Files,
  ImageHeader,
  IpcPerm,
  Mm,
  PosixTimer,
  ProcessAttrs,
  Pty,
  RestartBlock,
  Seccomp,
  Signals,
  SysvIpc,
  Task,
  TaskAttrs,
  UnixCredentials,
  UnixInflightFds,
  UnixPendingConnection,
  Vma,
} from '../../image/schema.js';
import { signalName } from '../../signals.js';
import { describeInet, inetAddress } from './inet.js';
import { describeNetlink } from './netlink.js';
import { describePacket } from './packet.js';
import { socketOptions, withSocketOptions } from './sockopts.js';
import { formatBytes, formatDuration } from '../../units.js';
import type { ImageSummary, PagesSummary, ProcessSummary, ThreadSummary } from './decode.js';
import {
  deviceNumber,
  GPREG_NAMES,
  handlerName,
  ioprioName,
  itimerName,
  octal,
  openFlagsName,
  posixClockName,
  rlimitName,
  rlimitValue,
  schedPolicyName,
  sigevName,
  signalsInMask,
  vmaPerms,
  xsaveXstateBv,
} from './names.js';

const INDENT = ' '.repeat(11);

/** A block titled name; a name too long for the margin gets a line of its own. */
function section(name: string, lines: readonly string[]): string[] {
  if (name.length >= INDENT.length) return [name, ...lines.map((line) => INDENT + line)];
  return lines.map((line, i) => (i === 0 ? name.padEnd(INDENT.length) : INDENT) + line);
}

function created(header: ImageHeader): string {
  if (header.createdNs === 0n) return 'unknown';
  return new Date(Number(header.createdNs / 1_000_000n)).toISOString();
}

function signalList(mask: bigint): string {
  const names = signalsInMask(mask);
  return names.length === 0 ? hex(mask) : `${hex(mask)} (${names.join(' ')})`;
}

const UNIX_TYPES: Readonly<Record<number, string>> = { 1: 'stream', 2: 'datagram', 5: 'seqpacket' };

function fileKind(kind: File['kind']): string {
  return typeof kind === 'number' ? `kind ${kind}` : kind.toLowerCase().replace('_', '-');
}

function vmaKind(kind: Vma['kind']): string {
  return typeof kind === 'number' ? `kind ${kind}` : kind.toLowerCase();
}

function ipcPerm(perm: IpcPerm | null): string {
  if (perm === null) return 'id ?';
  const key = perm.key === 0 ? 'IPC_PRIVATE' : `key ${hex(BigInt(perm.key))}`;
  return `id ${perm.id}, ${key}, owner ${perm.uid}:${perm.gid}, mode ${(perm.mode & 0o777).toString(8).padStart(4, '0')}`;
}

/** ipc/shm.c's mode bit of a segment removed while still attached. */
const SHM_DEST = 0o1000;

function ipcLines(ipc: SysvIpc): string[] {
  const lines = [
    ...ipc.shms.map(
      (shm) =>
        `shm ${ipcPerm(shm.perm)}, ${shm.size} bytes (${shm.content.length} saved)` +
        (shm.hugePageSize ? `, ${hugePages(shm.hugePageSize)}` : '') +
        ((shm.perm?.mode ?? 0) & SHM_DEST ? ', removed while attached' : ''),
    ),
    ...ipc.sems.map((sem) => `sem ${ipcPerm(sem.perm)}, ${sem.values.length} semaphores: ${sem.values.join(' ')}`),
    ...ipc.msqs.map(
      (msq) =>
        `msq ${ipcPerm(msq.perm)}, ${msq.messages.length} messages ` +
        `(${msq.messages.reduce((sum, m) => sum + m.text.length, 0)} bytes), limit ${msq.qbytes} bytes`,
    ),
  ];
  return lines.length === 0 ? ['no SysV objects'] : lines;
}

/** A struct sockaddr_un: its path, or @name for an abstract one. */
function unixName(addr: Buffer): string {
  const path = addr.subarray(2);
  if (path.length === 0) return '(unnamed)';
  if (path[0] === 0) return `@${path.subarray(1).toString('latin1')}`;
  const end = path.indexOf(0);
  return path.subarray(0, end < 0 ? path.length : end).toString();
}

/** memfd seals (F_GET_SEALS) by name, as fcntl(2) names them. */
const SEAL_NAMES: readonly [number, string][] = [
  [0x1, 'F_SEAL_SEAL'],
  [0x2, 'F_SEAL_SHRINK'],
  [0x4, 'F_SEAL_GROW'],
  [0x8, 'F_SEAL_WRITE'],
  [0x10, 'F_SEAL_FUTURE_WRITE'],
];

function sealsName(seals: number): string {
  const names = SEAL_NAMES.filter(([bit]) => seals & bit).map(([, name]) => name);
  const rest = SEAL_NAMES.reduce((left, [bit]) => left & ~bit, seals);
  if (rest !== 0) names.push(hex(BigInt(rest)));
  return names.length === 0 ? 'none' : names.join('|');
}

/** A file lock: its kind, type and range (and for a POSIX one, the fd it is taken through). */
function lockName(lock: FileLock, fdOf?: (fileId: number) => string): string {
  const kind = typeof lock.kind === 'number' ? `kind ${lock.kind}` : lock.kind === 'FLOCK' ? 'flock' : lock.kind;
  const type = typeof lock.type === 'number' ? `type ${lock.type}` : lock.type.toLowerCase();
  const range = lock.kind === 'FLOCK' ? '' : ` bytes ${lock.start}-${lock.end === 0x7fffffffffffffffn ? 'EOF' : lock.end}`;
  return `${kind} ${type}${range}${fdOf === undefined ? '' : ` through ${fdOf(lock.fileId)}`}`;
}

const OWNER_KINDS: Readonly<Record<string, string>> = { THREAD: 'thread', PROCESS: 'process', PROCESS_GROUP: 'process group' };

/** Who the file signals (F_SETOWN_EX, F_SETSIG, O_ASYNC) and its lease, if any: "; SIGIO to ...". */
function signalsOf(file: File): string {
  const parts: string[] = [];
  if (file.ownerKind !== 'NO_OWNER') {
    const kind = typeof file.ownerKind === 'number' ? `owner kind ${file.ownerKind}` : OWNER_KINDS[file.ownerKind];
    parts.push(`${file.ownerSignal === 0 ? 'SIGIO' : signalName(file.ownerSignal)} to ${kind} ${file.ownerPid}`);
  } else if (file.ownerSignal !== 0) {
    parts.push(`signal ${signalName(file.ownerSignal)}, no owner`);
  }
  if (file.async) parts.push(`O_ASYNC through fd ${file.asyncFd}`);
  if (file.lease !== 'NO_LEASE') {
    const type = typeof file.lease === 'number' ? `type ${file.lease}` : file.lease === 'READ_LEASE' ? 'read' : 'write';
    parts.push(`${type} lease through fd ${file.leaseFd}`);
  }
  return parts.length === 0 ? '' : `; ${parts.join(', ')}`;
}

/** What an fd's file is, past its kind: the one line inspect gives it. */
function describeFile(file: File): string {
  switch (file.kind) {
    case 'INHERITED':
      return `(the restarting caller's fd ${file.inheritFd})`;
    case 'SHELL_TTY':
      return `${file.path} (the shell's terminal: the restarting caller's, opened ${file.shellTtyDevTty ? 'through /dev/tty' : 'anew'})`;
    case 'CHAR_DEVICE':
      return `${file.path} (${deviceNumber(file.rdev)})`;
    case 'PIPE':
    case 'FIFO':
      return (
        `${file.kind === 'FIFO' ? `${file.path}: ` : ''}pipe ${file.pipeId}` +
        (file.pipeSize ? `, ${file.pipeSize} bytes, holding ${file.pipeData.length}` : '')
      );
    case 'DELETED':
      return file.sameInodeAs !== 0 ? `${file.path}, the same file as file ${file.sameInodeAs}` : `${file.path}, ${deletedState(file)}`;
    case 'MEMFD':
      return `${file.path}, ${file.content.length} bytes saved, seals ${sealsName(file.seals)}`;
    case 'EVENTFD':
      return `counter ${file.eventfdCount}${file.eventfdSemaphore ? ', semaphore' : ''}`;
    case 'UNIX_PAIR':
      return withSocketOptions(
        `${UNIX_TYPES[file.unixType] ?? `type ${file.unixType}`} pair ${file.pairId}, ` +
          `${file.unixMessages.length} queued (${file.unixMessages.reduce((n, m) => n + m.length, 0)} bytes` +
          `${describeCredentials(file.unixMessageCredentials)}${describeInflight(file.unixMessageFds)})` +
          (file.unixAddr.length > 0 ? `, named ${unixName(file.unixAddr)}` : '') +
          (file.unixPasscred ? ', SO_PASSCRED' : '') +
          (file.unixPeerPasscred ? ', peer SO_PASSCRED' : '') +
          (file.unixPendingConnection ? ', connecting end of a connection not accepted yet' : ''),
        file.socketOptions,
      );
    case 'UNIX_LISTENER':
      return (
        withSocketOptions(
          `${UNIX_TYPES[file.unixType] ?? `type ${file.unixType}`} listening on ${unixName(file.unixAddr)}, ` +
            `backlog ${file.unixBacklog}` +
            (file.unixPasscred ? ', SO_PASSCRED' : ''),
          file.socketOptions,
        ) +
        (file.nodeMode === 0 ? '' : `, socket file ${socketFile(file)}`) +
        describePending(file.unixPending)
      );
    case 'UNIX_STREAM':
    case 'UNIX_DGRAM':
      return describeUnixSocket(file);
    case 'INET':
      return describeInet(file.inet, file.socketOptions);
    case 'NETLINK':
      return describeNetlink(file.netlink, file.socketOptions);
    case 'PACKET':
      return describePacket(file.packet, file.socketOptions);
    case 'SIGNALFD':
      return `signals ${hex(file.signalfdMask)}`;
    case 'TIMERFD':
      return (
        `clock ${posixClockName(file.timerClock, 0)}, ${
          file.timerValueNs === 0n ? 'disarmed' : `next in ${formatDuration(file.timerValueNs)}`
        }, period ${formatDuration(file.timerIntervalNs)}, ` +
        `${file.timerTicks} unread${timerfdSettime(file.timerSettimeFlags, file.timerAbsoluteNs)}`
      );
    case 'EPOLL':
      return `watching ${file.epollTargets.length === 0 ? 'nothing' : file.epollTargets.map((t, i) => epollTarget(file, t, i)).join(', ')}`;
    case 'MQUEUE':
      return (
        `/${file.path}, ${file.mqMessages.length} messages ` +
        `(${file.mqMessages.reduce((n, m) => n + m.data.length, 0)} bytes), at most ${file.mqMaxmsg} of ${file.mqMsgsize}`
      );
    case 'INOTIFY':
      return `watching ${
        file.inotifyWatches.length === 0
          ? 'nothing'
          : file.inotifyWatches.map((w) => `${w.path} (wd ${w.wd}, ${hex(BigInt(w.mask))})`).join(', ')
      }`;
    case 'FANOTIFY':
      return (
        `flags ${hex(BigInt(file.fanotifyFlags))}, event flags ${hex(BigInt(file.fanotifyEventFlags))}` +
        `${file.fanotifyUnprivileged ? ', unprivileged' : ''}, marking ` +
        (file.fanotifyMarks.length === 0 ? 'nothing' : file.fanotifyMarks.map(fanotifyMark).join(', '))
      );
    case 'PTY_MASTER':
    case 'PTY_SLAVE':
      return `${file.path}, pty ${file.ptyIndex}${file.pty === null ? '' : `: ${ptyState(file.pty)}`}`;
    case 'PIDFD':
      return file.pidfdExited ? `pid ${file.pidfdPid}, which had exited and been reaped` : `pid ${file.pidfdPid}`;
    case 'O_PATH':
      return `${file.path} (${fileTypeName(file.mode)}${kernelObject(file)})`;
    case 'DIRECTORY':
      return file.kernelFsMagic === 0 ? file.path : `${file.path} (${kernelObject(file).slice(2)})`;
    default:
      return file.path;
  }
}

/** The object a path of a kernel file system named at checkpoint, which a restart must find again. */
function kernelObject(file: File): string {
  return file.kernelFsMagic === 0 ? '' : `, inode ${file.kernelFsIno} of file system ${hex(BigInt(file.kernelFsMagic))}`;
}

/** A fanotify mark: "/dir (inode, mask 0x1, ignoring 0x10, mark flags 0x400)". */
function fanotifyMark(m: FanotifyMark): string {
  const type = m.type === 'FILESYSTEM' ? 'filesystem' : m.type === 'INODE' ? 'inode' : `type ${m.type}`;
  return (
    `${m.path} (${type}, mask ${hex(BigInt(m.mask))}` +
    (m.ignoredMask === 0 ? '' : `, ignoring ${hex(BigInt(m.ignoredMask))}`) +
    (m.flags === 0 ? '' : `, mark flags ${hex(BigInt(m.flags))}`) +
    ')'
  );
}

/** What st_mode's type bits say a file is. */
function fileTypeName(mode: number): string {
  const types: Record<number, string> = {
    0o100000: 'regular file',
    0o040000: 'directory',
    0o120000: 'symlink',
    0o010000: 'FIFO',
    0o140000: 'socket',
    0o020000: 'character device',
    0o060000: 'block device',
  };
  const type = mode & 0o170000;
  return types[type] ?? `type ${octal(type)}`;
}

/** An O_PATH file's flags, which hold no access mode: 'O_PATH|O_NOFOLLOW'. */
function pathFlagsName(flags: number): string {
  return ['O_PATH', ...openFlagsName(flags).split('|').slice(1)].join('|');
}

/** A re-created node's owner and permission bits, as ls shows them: "1000:1000 0640". */
/** A unix socket that is neither a listener nor an end of a pair of the tree. */
/** ", 2 with credentials pid 123 uid 1000 gid 1000" for the queued messages that have them (pid 0: none). */
function describeCredentials(credentials: readonly (UnixCredentials | null)[]): string {
  const held = credentials.filter((c): c is UnixCredentials => c !== null && c.pid !== 0);
  if (held.length === 0) return '';
  const distinct = [...new Set(held.map((c) => `pid ${c.pid} uid ${c.uid} gid ${c.gid}`))];
  return `, ${held.length} with credentials ${distinct.join('; ')}`;
}

/** The files queued messages carry (SCM_RIGHTS): ", 2 carrying files (7, 8; 9)", each message's ids, or nothing. */
function describeInflight(messages: readonly UnixInflightFds[]): string {
  const carrying = messages.filter((m) => m.fileIds.length > 0);
  if (carrying.length === 0) return '';
  return `, ${carrying.length} carrying files (${carrying.map((m) => m.fileIds.join(', ')).join('; ')})`;
}

/**
 * A listener's connections not accepted yet, in its queue's order, with
 * their messages' credentials and files: "; not accepted yet: pair 3 (2
 * queued (9 bytes, ..., 1 carrying files (7, 8))), ...".
 */
function describePending(pending: readonly UnixPendingConnection[]): string {
  if (pending.length === 0) return '';
  const each = pending.map(
    (p) =>
      `pair ${p.pairId} (${p.messages.length} queued (${p.messages.reduce((n, m) => n + m.length, 0)} bytes` +
      `${describeCredentials(p.credentials)}${describeInflight(p.rights)}))`,
  );
  return `; not accepted yet: ${each.join(', ')}`;
}

function describeUnixSocket(file: File): string {
  const u = file.unixSocket;
  if (u === null) return '(no socket state)';
  const shut = ['', 'shut down for reading', 'shut down for writing', 'shut down'][u.shutdown] ?? `shutdown ${u.shutdown}`;
  const options = [
    ...(u.passcred ? ['SO_PASSCRED'] : []),
    ...(u.rcvbuf ? [`SO_RCVBUF=${u.rcvbuf}`] : []),
    ...(u.sndbuf ? [`SO_SNDBUF=${u.sndbuf}`] : []),
    ...socketOptions(file.socketOptions),
  ];
  return [
    `${UNIX_TYPES[u.type] ?? `type ${u.type}`} ${u.addr.length > 0 ? `bound to ${unixName(u.addr)}` : 'unbound'}`,
    ...(u.peer.length > 0 ? [`connected to ${unixName(u.peer)}${u.peerOutside ? ' outside the tree' : ''}`] : []),
    ...(u.queue.length > 0
      ? [
          `${u.queue.length} queued (${u.queue.reduce((n, d) => n + d.data.length, 0)} bytes, from ` +
            `${[...new Set(u.queue.map((d) => (d.sender.length > 0 ? unixName(d.sender) : '(unnamed)')))].join(', ')}` +
            `${describeCredentials(u.queue.map((d) => d.credentials))}` +
            `${describeInflight(u.queue.map((d) => d.fds ?? { fileIds: [] }))})`,
        ]
      : []),
    ...(shut ? [shut] : []),
    ...(options.length > 0 ? [`options ${options.join(', ')}`] : []),
    ...(file.nodeMode === 0 ? [] : [`socket file ${socketFile(file)}`]),
  ].join(', ');
}

/** A socket file's owner and mode, and where it was renamed to since its bind. */
function socketFile(file: File): string {
  const owner = nodeOwner(file.nodeUid, file.nodeGid, file.nodeMode);
  return file.unixFilePath === '' ? owner : `${owner} renamed to ${file.unixFilePath}`;
}

function nodeOwner(uid: number, gid: number, mode: number): string {
  return `${uid}:${gid} ${(mode & 0o7777).toString(8).padStart(4, '0')}`;
}

/** A deleted file's size, data, owner and mode (an older image has only its content). */
function deletedState(file: File): string {
  const extents = file.contentExtents.length / 2;
  const data =
    extents > 0 || file.size > BigInt(file.content.length)
      ? `${file.size} bytes, ${file.content.length} of data in ${extents} extent${extents === 1 ? '' : 's'}`
      : `${file.content.length} bytes saved`;
  return `${data}, owner ${nodeOwner(file.nodeUid, file.nodeGid, file.mode)}`;
}

function ptyState(pty: Pty): string {
  return (
    `${pty.cols}x${pty.rows}, lflag ${hex(BigInt(pty.lflag))}, ${pty.masterInput.length} bytes unread by the master, ` +
    `${pty.slaveInput.length} by the slave` +
    (pty.session === 0 ? '' : `, controlling terminal of session ${pty.session} (foreground ${pty.foreground})`) +
    (pty.locked ? ', locked' : '') +
    (pty.slaveMode === 0 ? '' : `, slave ${nodeOwner(pty.slaveUid, pty.slaveGid, pty.slaveMode)}`)
  );
}

/** Columns padded to their widest cell; the last one is not padded. */
function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows)
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** include/uapi/linux/seccomp.h's SECCOMP_MODE_*. */
const SECCOMP_MODES = ['disabled', 'strict', 'filter'];

function seccompModeName(mode: number): string {
  return SECCOMP_MODES[mode] ?? `mode ${mode}`;
}

/** include/uapi/linux/seccomp.h's SECCOMP_FILTER_FLAG_LOG, the one flag a saved filter has. */
const SECCOMP_FILTER_FLAG_LOG = 2;

/** One line per filter: what it was installed over, its size and flags. */
function seccompLines(seccomp: Seccomp): string[] {
  return seccomp.filters.map(
    (filter) =>
      `filter ${filter.id} over ${filter.parent === 0 ? 'none' : `filter ${filter.parent}`}, ` +
      `${filter.program.length / 8} instructions` +
      (filter.flags === 0 ? '' : `, flags ${filter.flags === SECCOMP_FILTER_FLAG_LOG ? 'LOG' : hex(BigInt(filter.flags))}`),
  );
}

/** The saved supplementary groups, and whether the restarting caller's own unmapped ones join them. */
function groupsText(task: Task): string {
  const named = task.groups.join(',');
  if (!task.callerUnmappedGroups) return named || '(none)';
  return `${named ? `${named} and ` : ''}the caller's own unmapped groups`;
}

function taskLines(task: Task): string[] {
  const limits = task.rlimits.map((limit) => [rlimitName(limit.resource), rlimitValue(limit.cur), rlimitValue(limit.max)]);
  return section('task', [
    `pid ${task.pid}, tgid ${task.tgid}, ppid ${task.ppid}, pgid ${task.pgid}, sid ${task.sid}, comm ${JSON.stringify(task.comm)}`,
    `uid ${task.uid}/${task.euid}/${task.suid}/${task.fsuid}, gid ${task.gid}/${task.egid}/${task.sgid}/${task.fsgid} ` +
      '(real/effective/saved/fs)',
    `groups ${groupsText(task)}, umask ${octal(task.umask)}, ` + `personality ${hex(BigInt(task.personality))}`,
    `cwd ${task.cwd || '?'}, root ${task.root || '?'}`,
    `capabilities: inheritable ${hex(task.capInheritable)}, permitted ${hex(task.capPermitted)}, ` +
      `effective ${hex(task.capEffective)}, bounding ${hex(task.capBset)}, ambient ${hex(task.capAmbient)}`,
    `securebits ${hex(BigInt(task.securebits))}, no_new_privs ${task.noNewPrivs ? 'yes' : 'no'}, ` +
      `seccomp ${seccompModeName(task.seccompMode)}${task.seccompFilter === 0 ? '' : ` (filter ${task.seccompFilter} last)`}`,
    ...(limits.length === 0 ? ['rlimits: (none)'] : ['rlimits (soft, hard):', ...table(limits).map((row) => `  ${row}`)]),
    ...(task.attrs === null ? [] : threadAttrsLines(task.attrs)),
    ...(task.processAttrs === null ? [] : processAttrsLines(task.processAttrs)),
    ...jobControlLines(task),
  ]);
}

/** include/uapi/asm-generic/siginfo.h's si_codes of a SIGCHLD that tells of a stop or a continue. */
const CLD_STOPPED = 5;

/** A thread's part in a group stop, and its process's stop and the reports its parent has yet to take. */
function jobControlLines(task: Task): string[] {
  const lines: string[] = [];
  if (task.stopSignal !== 0) {
    lines.push(`job control: ${task.stopPending ? 'to stop' : 'stopped'} by ${signalName(task.stopSignal)}`);
  }
  const job = task.jobControl;
  if (job !== null) {
    const state = job.stopped ? 'process stopped' : job.continued ? 'process continued' : 'process running';
    const reports = [
      ...(job.stopReport === 0 ? [] : [`stop by ${signalName(job.stopReport)} not yet reported to waitpid()`]),
      ...(job.continued ? ['continue not yet reported to waitpid()'] : []),
      ...(job.notifyParent === 0 ? [] : [`SIGCHLD (${job.notifyParent === CLD_STOPPED ? 'stopped' : 'continued'}) not yet sent`]),
    ];
    lines.push(`job control: ${[state, ...reports].join(', ')}`);
  }
  return lines;
}

/** A timerfd's settime flags: ', TFD_TIMER_ABSTIME at 1796000000.000 s, TFD_TIMER_CANCEL_ON_SET'. */
function timerfdSettime(flags: number, absoluteNs: bigint): string {
  const at = absoluteNs === 0n ? '' : ` at ${seconds(absoluteNs)} s`;
  return (
    ((flags & 1) === 0 ? '' : `, TFD_TIMER_ABSTIME${at}`) +
    ((flags & 2) === 0 ? '' : ', TFD_TIMER_CANCEL_ON_SET') +
    ((flags & ~3) === 0 ? '' : `, settime flags ${hex(BigInt(flags))}`)
  );
}

/** Nanoseconds as seconds with their milliseconds: '3599.512'. */
function seconds(ns: bigint): string {
  return (Number(ns) / 1e9).toFixed(3);
}

function threadAttrsLines(attrs: TaskAttrs): string[] {
  const priority = attrs.rtPriority === 0 ? '' : ` priority ${attrs.rtPriority}`;
  return [
    `sched ${schedPolicyName(attrs.policy)}${priority}${attrs.resetOnFork ? ' (reset on fork)' : ''}, nice ${attrs.nice}, ` +
      `CPUs ${attrs.cpus === '' ? 'all' : attrs.cpus}, ioprio ${ioprioName(attrs.ioprio)}`,
    `timer slack ${attrs.timerSlackNs} ns (default ${attrs.defaultTimerSlackNs} ns), ` +
      `parent-death signal ${attrs.pdeathSignal === 0 ? 'none' : signalName(attrs.pdeathSignal)}`,
    ...(attrs.hasLoginuid ? [`loginuid ${attrs.loginuid === 0xffffffff ? 'unset' : attrs.loginuid}`] : []),
  ];
}

function processAttrsLines(attrs: ProcessAttrs): string[] {
  const timers = attrs.itimers.map(
    (timer) => `${itimerName(timer.which)} ${seconds(timer.valueNs)} s left, every ${seconds(timer.intervalNs)} s`,
  );
  return [
    `oom_score_adj ${attrs.oomScoreAdj} (min ${attrs.oomScoreAdjMin}), dumpable ${attrs.dumpable}, ` +
      `THP ${attrs.thpDisable ? 'disabled' : 'allowed'}`,
    `interval timers: ${timers.length === 0 ? 'none' : timers.join('; ')}`,
    `POSIX timers: ${attrs.posixTimers.length === 0 ? 'none' : attrs.posixTimers.length}, next id ${attrs.nextPosixTimerId}`,
    ...attrs.posixTimers.map((timer) => `  ${posixTimerLine(timer)}`),
  ];
}

/** One POSIX timer: 'timer 6 CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRTMIN+1 value 0x1234, 0.100 s left, every 0.100 s, overrun 0'. */
function posixTimerLine(timer: PosixTimer): string {
  const target = timer.notifyThread === 0 ? '' : ` to thread ${timer.notifyThread}`;
  const signal = timer.notify === 1 ? '' : ` ${signalName(timer.signo)} value ${hex(timer.sigevValue)}`;
  const armed = timer.valueNs === 0n ? 'disarmed' : `${seconds(timer.valueNs)} s left`;
  const every = timer.intervalNs === 0n ? '' : `, every ${seconds(timer.intervalNs)} s`;
  const pending = timer.signalPending ? `, signal pending (overrun ${timer.pendingOverrun})` : '';
  const absolute = timer.absoluteNs === 0n ? '' : ` (at ${seconds(timer.absoluteNs)} s on its clock)`;
  return (
    `timer ${timer.id} ${posixClockName(timer.clock, timer.clockThread)}, ${sigevName(timer.notify)}${target}${signal}, ` +
    `${armed}${absolute}${every}, overrun ${timer.overrun}${pending}`
  );
}

function signalsLines(signals: Signals): string[] {
  const altstack =
    signals.altstackSize === 0n
      ? 'none'
      : `${hex(signals.altstackSp)}, ${signals.altstackSize} bytes, flags ${hex(BigInt(signals.altstackFlags))}`;
  const handlers = signals.actions.map((action) => [
    signalName(action.signo),
    handlerName(action.handler),
    `flags ${hex(action.flags)}`,
    `restorer ${hex(action.restorer)}`,
    `mask ${hex(action.mask)}`,
  ]);
  const pending = signals.pending.map((signal) => `${signalName(signal.signo)} (${signal.shared ? 'process' : 'thread'})`);
  return section('signals', [
    `blocked ${signalList(signals.blocked)}`,
    `pending ${pending.length === 0 ? 'none' : pending.join(', ')}`,
    `altstack ${altstack}`,
    ...(handlers.length === 0 ? ['handlers: all default'] : ['handlers:', ...table(handlers).map((row) => `  ${row}`)]),
  ]);
}

/** A process's fd table; `all` is every FILES record, since fds may name an earlier process's files. */
function filesLines(files: Files, all: readonly Files[]): string[] {
  const byId = new Map(all.flatMap((record) => record.files).map((file) => [file.id, file]));
  const rows = files.fds.map((fd) => {
    const file = byId.get(fd.fileId);
    if (file === undefined) return [String(fd.fd), `file ${fd.fileId}?`, '', '', ''];
    const shared = files.files.includes(file) ? '' : ' (shared with an earlier process)';
    const locks = file.locks.length === 0 ? '' : `; locked: ${file.locks.map((lock) => lockName(lock)).join(', ')}`;
    const path = describeFile(file) + locks + signalsOf(file);
    return [
      String(fd.fd),
      fileKind(file.kind),
      (file.kind === 'O_PATH' ? pathFlagsName(file.flags) : openFlagsName(file.flags)) + (fd.cloexec ? ' cloexec' : ''),
      `pos ${file.pos}`,
      path + shared,
    ];
  });
  const fdOf = (fileId: number): string => {
    const fd = files.fds.find((f) => f.fileId === fileId);
    return fd === undefined ? `file ${fileId}?` : `fd ${fd.fd}`;
  };
  const posix = files.posixLocks.map((lock) => `POSIX lock: ${lockName(lock, fdOf)}`);
  // Files only in flight in a queued unix message (SCM_RIGHTS): no fd of this process names them.
  const inFlight = files.files
    .filter((file) => file.inFlight && !files.fds.some((fd) => fd.fileId === file.id))
    .map((file) => `in flight: file ${file.id} ${fileKind(file.kind)} ${openFlagsName(file.flags)} pos ${file.pos} ${describeFile(file)}`);
  // A controlling terminal no fd names: the shell's, the restarting caller's at restart.
  const ctty = files.files
    .filter((file) => file.kind === 'SHELL_TTY' && file.shellTtyControlling)
    .map(
      (file) =>
        "controlling terminal: the shell's (the restarting caller's)" +
        (file.shellTtyForeground === 0 ? '' : `, foreground group ${file.shellTtyForeground}`),
    );
  return section('files', [
    ...(rows.length === 0 ? ['no open fds'] : table(rows).map((row) => `fd ${row}`)),
    ...posix,
    ...inFlight,
    ...ctty,
  ]);
}

/** The sleep a restart block goes on with: what, and its time left or deadline. */
export function restartBlockLine(rb: RestartBlock): string {
  const left = rb.absolute ? `deadline ${rb.deadlineNs} ns on clock ${rb.clockid}` : `${formatDuration(rb.leftNs)} left`;
  switch (rb.kind) {
    case 'NANOSLEEP':
      return `restart nanosleep on clock ${rb.clockid}, ${left}, ${rb.rmtp === 0n ? 'no rmtp' : `rmtp ${hex(rb.rmtp)}`}`;
    case 'FUTEX_WAIT':
      return (
        `restart futex wait on ${hex(rb.uaddr)} (${rb.shared ? 'shared' : 'private'}, val ${rb.val}, ` +
        `bitset ${hex(BigInt(rb.bitset))}), ${left}`
      );
    case 'POLL':
      return `restart poll of ${rb.nfds} fds at ${hex(rb.ufds)}, ${rb.hasTimeout ? left : 'no timeout'}`;
    case 'EPOLL_WAIT':
      return (
        `restart epoll_wait on fd ${rb.fd} (${rb.maxevents} events at ${hex(rb.uaddr)}` +
        `${rb.hasSigset ? `, mask ${hex(rb.sigset)}` : ''}), ${left}`
      );
    case 'SIGTIMEDWAIT':
      return `restart sigtimedwait for ${hex(rb.sigset)} (siginfo ${rb.uaddr === 0n ? 'none' : hex(rb.uaddr)}), ${left}`;
    default:
      return `restart of kind ${rb.kind}`;
  }
}

function cpuLines(cpu: Cpu): string[] {
  const regs = cpu.gpregs.map((value, i) => `${(GPREG_NAMES[i] ?? `reg${i}`).padStart(8)} ${value.toString(16).padStart(16, '0')}`);
  const rows: string[] = [];
  for (let i = 0; i < regs.length; i += 3) rows.push(regs.slice(i, i + 3).join('  '));
  const xstateBv = xsaveXstateBv(cpu.xsave);
  return section('cpu', [
    `fs_base ${hex(cpu.fsBase)}, gs_base ${hex(cpu.gsBase)}`,
    `xsave ${cpu.xsave.length} bytes, xfeatures ${xstateBv === null ? 'n/a' : hex(xstateBv)}`,
    ...(cpu.restartBlock === null ? [] : [restartBlockLine(cpu.restartBlock)]),
    ...rows,
  ]);
}

/** SHM_HUGETLB's or MAP_HUGETLB's page size, e.g. "hugetlb 2048 KiB pages". */
function hugePages(size: bigint): string {
  return `hugetlb ${size / 1024n} KiB pages`;
}

/** The pages of a VMA that were its parent process's very pages at checkpoint (shared copy-on-write). */
function inParentPages(vma: Mm['vmas'][number]): bigint {
  return vma.inParent.reduce((sum, run) => sum + run.nrPages, 0n);
}

/** What a VMA maps: its file, SysV segment or shared anonymous object; and its huge pages. */
function vmaObject(vma: Mm['vmas'][number]): string {
  const huge = vma.hugePageSize ? hugePages(vma.hugePageSize) : '';
  const object =
    vma.kind === 'SYSV_SHM'
      ? `shm id ${vma.sysvShmId}`
      : vma.kind === 'SHMEM'
        ? `shared memory ${vma.shmemId} of ${vma.shmemSize} bytes`
        : vma.path;
  return [object, huge].filter((s) => s !== '').join(', ');
}

/** mlockall()'s flags as saved: MCL_FUTURE (2), MCL_ONFAULT (4). */
function mlockallName(flags: number): string {
  const names = [flags & 2 ? 'MCL_FUTURE' : '', flags & 4 ? 'MCL_ONFAULT' : ''].filter((n) => n !== '');
  const unknown = flags & ~6;
  return [...names, ...(unknown ? [hex(BigInt(unknown))] : [])].join('|');
}

/** The MEMBARRIER_CMD_REGISTER_* bits of membarrier(), by name. */
function membarrierNames(cmds: number): string {
  const known: [number, string][] = [
    [1 << 2, 'GLOBAL_EXPEDITED'],
    [1 << 4, 'PRIVATE_EXPEDITED'],
    [1 << 6, 'PRIVATE_EXPEDITED_SYNC_CORE'],
    [1 << 8, 'PRIVATE_EXPEDITED_RSEQ'],
  ];
  const names = known.filter(([bit]) => cmds & bit).map(([, name]) => name);
  const unknown = known.reduce((rest, [bit]) => rest & ~bit, cmds);
  return [...names, ...(unknown ? [hex(BigInt(unknown))] : [])].join(', ');
}

/** An AIO context's ring: its address (the context's id), size, head and tail, unreaped completions. */
function aioRingLine(ring: Mm['aioRings'][number]): string {
  const events = ring.eventData.map((data, i) => `data ${hex(data)} res ${BigInt.asIntN(64, ring.eventRes[i] ?? 0n)}`);
  return (
    `aio ring ${hex(ring.start)}: ${ring.nrEvents} events (io_setup(${ring.maxReqs})), ` +
    `head ${ring.head}, tail ${ring.tail}, ${events.length} unreaped${events.length ? `: ${events.join(', ')}` : ''}`
  );
}

function mmLines(mm: Mm, pages: PagesSummary, pageSize: bigint): string[] {
  const rows = mm.vmas.map((vma, i) => [
    `${vma.start.toString(16).padStart(12, '0')}-${vma.end.toString(16).padStart(12, '0')}`,
    vmaPerms(vma.prot, vma.flags),
    (vma.pgoff * pageSize).toString(16).padStart(8, '0'),
    vmaKind(vma.kind),
    `${pages.perVma[i] ?? 0n}/${(vma.end - vma.start) / pageSize} pages` + (vma.inParent.length ? `, ${inParentPages(vma)} in parent` : ''),
    vmaObject(vma),
  ]);
  return section('mm', [
    `exe ${mm.exe || '?'}, ${mm.vmas.length} VMAs, ${mm.nrPages} pages saved` +
      (mm.nrInParentPages ? `, ${mm.nrInParentPages} of them the parent's too (copy-on-write)` : ''),
    `code ${hex(mm.startCode)}-${hex(mm.endCode)}, data ${hex(mm.startData)}-${hex(mm.endData)}, ` +
      `brk ${hex(mm.startBrk)}-${hex(mm.brk)}, stack ${hex(mm.startStack)}`,
    ...(mm.mlockall === 0 ? [] : [`mlockall ${mlockallName(mm.mlockall)}: memory mapped later is locked`]),
    ...(mm.membarrier === 0 ? [] : [`membarrier registrations ${membarrierNames(mm.membarrier)}`]),
    ...mm.aioRings.map(aioRingLine),
    ...table(rows),
  ]);
}

/** One task's sections: those it has. */
function threadLines(thread: ThreadSummary): string[] {
  return [
    ...(thread.task === null ? [] : taskLines(thread.task)),
    ...(thread.signals === null ? [] : signalsLines(thread.signals)),
    ...(thread.cpu === null ? [] : cpuLines(thread.cpu)),
  ];
}

/** A process's sections in image order: task, signals, files, cpu, mm; then its other threads'. */
function processLines(process: ProcessSummary, summary: ImageSummary, pageSize: bigint): string[] {
  return [
    ...(process.task === null ? [] : taskLines(process.task)),
    ...(process.signals === null ? [] : signalsLines(process.signals)),
    ...(process.files !== null
      ? filesLines(process.files, summary.processFiles)
      : process.fdTableOf !== 0
        ? section('files', [`the fd table of process ${process.fdTableOf} (CLONE_FILES)`])
        : []),
    ...(process.cpu === null ? [] : cpuLines(process.cpu)),
    ...(process.mm === null ? [] : mmLines(process.mm, process.pages, pageSize)),
    ...process.threads.flatMap((thread) => [...section('thread', [`pid ${thread.pid} of process ${process.pid}`]), ...threadLines(thread)]),
  ];
}

/** One line that tells a process from the others. */
function processTitle(process: ProcessSummary, index: number, count: number): string {
  const threads = process.threads.length === 0 ? '' : `, ${process.threads.length + 1} threads`;
  const comm = process.task === null ? '' : `, comm ${JSON.stringify(process.task.comm)}`;
  return `pid ${process.pid} (${index + 1} of ${count})${comm}${threads}`;
}

export function formatInspectText(summary: ImageSummary, image: string): string {
  const { header, manifest, pages, trailer, processes } = summary;
  const pageSize = BigInt(header.pageSize);
  const lines: string[] = [];

  lines.push(...section('image', [`${image}: ${summary.size} bytes (${formatBytes(summary.size)}), ${summary.records} records`]));
  lines.push(
    ...section('header', [
      `format ${header.formatVersion}, Linux ${header.kernelRelease} ${header.arch}, page size ${header.pageSize}`,
      `xfeatures ${hex(header.xfeatures)}, xstate ${header.xstateSize} bytes, created ${created(header)}`,
    ]),
  );

  if (summary.tree !== null) {
    const count = summary.tree.tasks.length;
    lines.push(
      ...section('tree', [
        `${count} ${count === 1 ? 'task' : 'tasks'}${processes.length > 1 ? `, ${processes.length} processes, each below` : ''}`,
        ...table([
          ['PID', 'TGID', 'PPID', 'PGID', 'SID', 'STATE'],
          ...summary.tree.tasks.map((t) => [
            String(t.pid),
            String(t.tgid),
            String(t.ppid),
            String(t.pgid),
            String(t.sid),
            t.zombie
              ? `zombie, status ${hex(BigInt(t.exitStatus))}`
              : t.pid !== t.tgid
                ? 'thread'
                : t.fdTableOf !== 0
                  ? `process, fd table of ${t.fdTableOf}`
                  : 'process',
          ]),
        ]),
      ]),
    );
  }

  if (summary.ipc !== null) lines.push(...section('sysv ipc', ipcLines(summary.ipc)));
  if (summary.seccomp !== null && summary.seccomp.filters.length > 0) {
    lines.push(...section('seccomp filters', seccompLines(summary.seccomp)));
  }

  if (manifest !== null) {
    lines.push(
      ...section('manifest', [
        `${manifest.tool || 'unknown tool'} on ${manifest.hostname || 'unknown host'}, root pid ${manifest.rootPid}, ` +
          `shell job: ${manifest.shellJob ? 'yes' : 'no'}`,
        `argv: ${manifest.argv.length === 0 ? '(none)' : manifest.argv.map((arg) => JSON.stringify(arg)).join(' ')}`,
      ]),
    );
  }

  // A single process's sections stand alone; a tree's come process by process, each under its title.
  if (processes.length === 1 && processes[0] !== undefined) {
    lines.push(...processLines(processes[0], summary, pageSize));
  } else {
    processes.forEach((process, i) => {
      lines.push(...section('process', [processTitle(process, i, processes.length)]));
      lines.push(...processLines(process, summary, pageSize));
    });
  }

  lines.push(
    ...section('pages', [
      `${pages.records} records, ${pages.pages} pages, ${pages.bytes} bytes (${formatBytes(pages.bytes)})` +
        (pages.outsideVmas > 0n ? `, ${pages.outsideVmas} pages outside every VMA` : '') +
        (processes.length > 1 ? `, for ${processes.length} processes` : ''),
    ]),
  );
  lines.push(...section('trailer', [`ok: ${trailer.records} records and ${trailer.bytes} bytes before it`]));
  lines.push(...section('auth', [describeAuthentication(summary.authentication)]));
  if (summary.notes.length > 0) lines.push('', ...summary.notes.map((note) => `note: ${note}`));
  return `${lines.join('\n')}\n`;
}

/** A File in --json: bigints as strings or hex, bytes in base64. */
function lockJson(lock: FileLock): Record<string, unknown> {
  return { ...lock, start: lock.start.toString(), end: lock.end.toString() };
}

function fileJson(file: File): Record<string, unknown> {
  return {
    ...file,
    locks: file.locks.map(lockJson),
    flagNames: openFlagsName(file.flags),
    pos: file.pos.toString(),
    size: file.size.toString(),
    pipeData: file.pipeData.toString('base64'),
    content: file.content.toString('base64'),
    eventfdCount: file.eventfdCount.toString(),
    unixMessages: file.unixMessages.map((m) => m.toString('base64')),
    unixAddr: file.unixAddr.toString('base64'),
    unixPending: file.unixPending.map((p) => ({ ...p, messages: p.messages.map((m) => m.toString('base64')) })),
    signalfdMask: hex(file.signalfdMask),
    timerTicks: file.timerTicks.toString(),
    timerValueNs: file.timerValueNs.toString(),
    timerAbsoluteNs: file.timerAbsoluteNs.toString(),
    timerIntervalNs: file.timerIntervalNs.toString(),
    epollTargets: file.epollTargets.map((t) => ({ ...t, data: hex(t.data) })),
    mqMaxmsg: file.mqMaxmsg.toString(),
    mqMsgsize: file.mqMsgsize.toString(),
    mqMessages: file.mqMessages.map((m) => ({ priority: m.priority, data: m.data.toString('base64') })),
    nodeAtimeNs: file.nodeAtimeNs.toString(),
    nodeMtimeNs: file.nodeMtimeNs.toString(),
    contentExtents: file.contentExtents.map((value) => value.toString()),
    kernelFsIno: file.kernelFsIno.toString(),
    inet:
      file.inet === null
        ? null
        : {
            ...file.inet,
            local: file.inet.local.toString('base64'),
            peer: file.inet.peer.toString('base64'),
            localAddress: file.inet.local.length === 0 ? '' : inetAddress(file.inet.local),
            peerAddress: file.inet.peer.length === 0 ? '' : inetAddress(file.inet.peer),
            udpQueue: file.inet.udpQueue.map((d) => ({
              ...d,
              data: d.data.toString('base64'),
              source: d.source.toString('base64'),
              sourceAddress: inetAddress(d.source),
              timestamp: d.timestamp.toString(),
            })),
          },
    packet:
      file.packet === null
        ? null
        : { ...file.packet, memberships: file.packet.memberships.map((m) => ({ ...m, address: m.address.toString('base64') })) },
    socketOptions:
      file.socketOptions === null
        ? null
        : {
            ...file.socketOptions,
            rcvtimeoUs: file.socketOptions.rcvtimeoUs.toString(),
            sndtimeoUs: file.socketOptions.sndtimeoUs.toString(),
            filter: file.socketOptions.filter.toString('base64'),
          },
    unixSocket:
      file.unixSocket === null
        ? null
        : {
            ...file.unixSocket,
            addr: file.unixSocket.addr.toString('base64'),
            peer: file.unixSocket.peer.toString('base64'),
            queue: file.unixSocket.queue.map((d) => ({
              ...d,
              data: d.data.toString('base64'),
              sender: d.sender.toString('base64'),
            })),
            addrName: file.unixSocket.addr.length === 0 ? '' : unixName(file.unixSocket.addr),
            peerName: file.unixSocket.peer.length === 0 ? '' : unixName(file.unixSocket.peer),
          },
    pty:
      file.pty === null
        ? null
        : {
            ...file.pty,
            cc: file.pty.cc.toString('hex'),
            masterInput: file.pty.masterInput.toString('base64'),
            slaveInput: file.pty.slaveInput.toString('base64'),
          },
  };
}

/** The --json document; a stable interface for scripts, so only add to it. */

function taskJson(task: Task): Record<string, unknown> {
  return {
    ...task,
    clearChildTid: hex(task.clearChildTid),
    robustList: hex(task.robustList),
    robustListLen: task.robustListLen.toString(),
    rseq: hex(task.rseq),
    capInheritable: hex(task.capInheritable),
    capPermitted: hex(task.capPermitted),
    capEffective: hex(task.capEffective),
    capBset: hex(task.capBset),
    capAmbient: hex(task.capAmbient),
    attrs:
      task.attrs === null
        ? null
        : {
            ...task.attrs,
            policyName: schedPolicyName(task.attrs.policy),
            ioprioName: ioprioName(task.attrs.ioprio),
            timerSlackNs: task.attrs.timerSlackNs.toString(),
            defaultTimerSlackNs: task.attrs.defaultTimerSlackNs.toString(),
          },
    processAttrs:
      task.processAttrs === null
        ? null
        : {
            ...task.processAttrs,
            itimers: task.processAttrs.itimers.map((timer) => ({
              which: timer.which,
              name: itimerName(timer.which),
              valueNs: timer.valueNs.toString(),
              intervalNs: timer.intervalNs.toString(),
            })),
            posixTimers: task.processAttrs.posixTimers.map((timer) => ({
              ...timer,
              clockName: posixClockName(timer.clock, timer.clockThread),
              notifyName: sigevName(timer.notify),
              sigevValue: hex(timer.sigevValue),
              valueNs: timer.valueNs.toString(),
              intervalNs: timer.intervalNs.toString(),
              absoluteNs: timer.absoluteNs.toString(),
            })),
          },
    rlimits: task.rlimits.map((limit) => ({
      resource: limit.resource,
      name: rlimitName(limit.resource),
      cur: limit.cur.toString(),
      max: limit.max.toString(),
    })),
  };
}

function signalsJson(signals: Signals): Record<string, unknown> {
  return {
    actions: signals.actions.map((action) => ({
      signo: action.signo,
      name: signalName(action.signo),
      handler: hex(action.handler),
      flags: hex(action.flags),
      restorer: hex(action.restorer),
      mask: hex(action.mask),
    })),
    blocked: hex(signals.blocked),
    pending: signals.pending.map((signal) => ({
      signo: signal.signo,
      name: signalName(signal.signo),
      shared: signal.shared,
      siginfo: signal.siginfo.toString('hex'),
    })),
    altstackSp: hex(signals.altstackSp),
    altstackSize: signals.altstackSize.toString(),
    altstackFlags: signals.altstackFlags,
  };
}

/**
 * Each Files record's JSON, made once: the root's appears three times in the
 * document (files, processFiles, processes[0].files), and a process of
 * thousands of fds makes it the bulk of the work.
 */
const filesJsonMade = new WeakMap<Files, Record<string, unknown>>();

function filesJson(files: Files): Record<string, unknown> {
  let json = filesJsonMade.get(files);
  if (json === undefined) {
    json = { files: files.files.map(fileJson), fds: files.fds, posixLocks: files.posixLocks.map(lockJson) };
    filesJsonMade.set(files, json);
  }
  return json;
}

function cpuJson(cpu: Cpu): Record<string, unknown> {
  const bv = xsaveXstateBv(cpu.xsave);
  return {
    registers: Object.fromEntries(cpu.gpregs.map((value, i) => [GPREG_NAMES[i] ?? `reg${i}`, hex(value)])),
    fsBase: hex(cpu.fsBase),
    gsBase: hex(cpu.gsBase),
    xsaveSize: cpu.xsave.length,
    xsaveXfeatures: bv === null ? null : hex(bv),
    xsave: cpu.xsave.toString('hex'),
  };
}

function mmJson(mm: Mm, pages: PagesSummary, pageSize: bigint): Record<string, unknown> {
  return {
    vmas: mm.vmas.map((vma, i) => ({
      start: hex(vma.start),
      end: hex(vma.end),
      perms: vmaPerms(vma.prot, vma.flags),
      prot: vma.prot,
      flags: vma.flags,
      pgoff: vma.pgoff.toString(),
      offset: hex(vma.pgoff * pageSize),
      kind: vma.kind,
      path: vma.path,
      vmFlags: hex(vma.vmFlags),
      ...(vma.hugePageSize ? { hugePageSize: vma.hugePageSize.toString() } : {}),
      pages: (pages.perVma[i] ?? 0n).toString(),
      ...(vma.inParent.length ? { inParentPages: inParentPages(vma).toString() } : {}),
    })),
    startCode: hex(mm.startCode),
    endCode: hex(mm.endCode),
    startData: hex(mm.startData),
    endData: hex(mm.endData),
    startBrk: hex(mm.startBrk),
    brk: hex(mm.brk),
    startStack: hex(mm.startStack),
    argStart: hex(mm.argStart),
    argEnd: hex(mm.argEnd),
    envStart: hex(mm.envStart),
    envEnd: hex(mm.envEnd),
    auxv: mm.auxv.map(hex),
    exe: mm.exe,
    nrPages: mm.nrPages.toString(),
    ...(mm.nrInParentPages ? { nrInParentPages: mm.nrInParentPages.toString() } : {}),
    mlockall: mm.mlockall,
    membarrier: mm.membarrier,
    aioRings: mm.aioRings.map((ring) => ({
      start: hex(ring.start),
      length: ring.length.toString(),
      maxReqs: ring.maxReqs,
      nrEvents: ring.nrEvents,
      head: ring.head,
      tail: ring.tail,
      unreaped: ring.eventData.map((data, i) => ({
        data: hex(data),
        obj: hex(ring.eventObj[i] ?? 0n),
        res: BigInt.asIntN(64, ring.eventRes[i] ?? 0n).toString(),
        res2: BigInt.asIntN(64, ring.eventRes2[i] ?? 0n).toString(),
      })),
    })),
  };
}

function pagesJson(pages: PagesSummary): Record<string, unknown> {
  return {
    records: pages.records,
    pages: pages.pages.toString(),
    bytes: pages.bytes.toString(),
    outsideVmas: pages.outsideVmas.toString(),
  };
}

function threadJson(thread: ThreadSummary): Record<string, unknown> {
  return {
    pid: thread.pid,
    task: thread.task === null ? null : taskJson(thread.task),
    signals: thread.signals === null ? null : signalsJson(thread.signals),
    cpu: thread.cpu === null ? null : cpuJson(thread.cpu),
  };
}

function processJson(process: ProcessSummary, pageSize: bigint): Record<string, unknown> {
  return {
    ...threadJson(process),
    files: process.files === null ? null : filesJson(process.files),
    fdTableOf: process.fdTableOf,
    mm: process.mm === null ? null : mmJson(process.mm, process.pages, pageSize),
    pages: pagesJson(process.pages),
    threads: process.threads.map(threadJson),
  };
}

/**
 * The --json document; a stable interface for scripts, so only add to it.
 * task, signals, files, cpu and mm are the root's (as before trees); processes
 * has every process; recordList (when given) every record, losslessly.
 */
export function inspectJson(summary: ImageSummary, image: string, records?: readonly RecordJson[]): Record<string, unknown> {
  const { header, manifest, task, signals, files, cpu, mm, pages, trailer } = summary;
  const pageSize = BigInt(header.pageSize);
  return {
    image,
    size: summary.size,
    records: summary.records,
    header: {
      formatVersion: header.formatVersion,
      kernelRelease: header.kernelRelease,
      arch: header.arch,
      xfeatures: hex(header.xfeatures),
      xstateSize: header.xstateSize,
      pageSize: header.pageSize,
      createdNs: header.createdNs.toString(),
    },
    manifest,
    tree: summary.tree,
    ipc:
      summary.ipc === null
        ? null
        : {
            shms: summary.ipc.shms.map((shm) => ({
              ...shm,
              size: shm.size.toString(),
              hugePageSize: shm.hugePageSize.toString(),
              content: shm.content.toString('base64'),
            })),
            sems: summary.ipc.sems,
            msqs: summary.ipc.msqs.map((msq) => ({
              ...msq,
              qbytes: msq.qbytes.toString(),
              messages: msq.messages.map((m) => ({ type: m.type.toString(), text: m.text.toString('base64') })),
            })),
          },
    seccomp:
      summary.seccomp === null
        ? null
        : { filters: summary.seccomp.filters.map((filter) => ({ ...filter, program: filter.program.toString('base64') })) },
    task: task === null ? null : taskJson(task),
    signals: signals === null ? null : signalsJson(signals),
    files: files === null ? null : filesJson(files),
    processFiles: summary.processFiles.map(filesJson),
    cpu: cpu === null ? null : cpuJson(cpu),
    mm: mm === null ? null : mmJson(mm, pages, pageSize),
    pages: pagesJson(pages),
    processes: summary.processes.map((process) => processJson(process, pageSize)),
    trailer: { records: trailer.records.toString(), bytes: trailer.bytes.toString(), ok: true },
    authentication: summary.authentication,
    unknownRecords: summary.unknownRecords,
    notes: summary.notes,
    // Last, being the bulk: every record, for `cptctl encode` (docs/image-format.md).
    ...(records === undefined ? {} : { recordList: records }),
  };
}

/**
 * The --json document in pieces, for writing as it goes: the record list
 * (page data) can exceed what one string may hold, each record cannot (a
 * PAGES record is bounded).
 */
export function* inspectJsonChunks(summary: ImageSummary, image: string, records?: readonly RecordJson[]): Generator<string> {
  const head = JSON.stringify(inspectJson(summary, image), null, 2);
  if (records === undefined) {
    yield `${head}\n`;
    return;
  }
  // The summary's closing brace makes way for the list, as JSON.stringify would have put it.
  yield `${head.slice(0, head.lastIndexOf('}')).trimEnd()},\n`;
  yield* recordListChunks(records);
  yield '\n}\n';
}

/** The document's `"recordList": [...]` member in pieces, indented as JSON.stringify would. */
function* recordListChunks(records: readonly RecordJson[]): Generator<string> {
  yield '  "recordList": [';
  for (const [i, record] of records.entries()) {
    yield `${i === 0 ? '' : ','}\n    ${JSON.stringify(record, null, 2).replace(/\n/g, '\n    ')}`;
  }
  yield records.length === 0 ? ']' : '\n  ]';
}

/**
 * The --json document's record list alone, `{ "recordList": [...] }` with
 * the text inspect --json gives it: all that `cptctl encode` reads.
 */
export function formatRecordListJson(records: readonly RecordJson[]): string {
  return ['{\n', ...recordListChunks(records), '\n}\n'].join('');
}

export function formatInspectJson(summary: ImageSummary, image: string, records?: readonly RecordJson[]): string {
  return [...inspectJsonChunks(summary, image, records)].join('');
}

/** One epoll target; one whose fd no longer names its file says which file it watches. */
function epollTarget(file: File, target: File['epollTargets'][number], index: number): string {
  const watch = file.epollWatches.find((w) => w.target === index);
  const events = hex(BigInt(target.events));
  if (watch === undefined) return `fd ${target.fd} (${events})`;
  const watched = watch.fileId === 0 ? `the file at fd ${watch.fd}` : `file ${watch.fileId}`;
  return `fd ${target.fd} (${events}; its fd since closed or reused: ${watched})`;
}
