// Generated from proto/cpt.proto by scripts/gen-pb-fields.mjs: do not edit.
// The decoded messages as schema.ts gives them: every field present (proto3
// defaults filled in, null for an absent message), uint64 as bigint, enums as
// their names (a number for a value the schema does not know), bytes as Buffers.
/* eslint-disable */

/** CPT_REC_HEADER, written first by the module. */
export interface ImageHeader {
  /** CPT_IMAGE_VERSION */
  formatVersion: number;
  /** utsname release of the checkpointing kernel */
  kernelRelease: string;
  /** "x86_64" */
  arch: string;
  /** xstate components the saved registers use */
  xfeatures: bigint;
  /** bytes of the saved XSAVE area */
  xstateSize: number;
  pageSize: number;
  /** CLOCK_REALTIME at checkpoint */
  createdNs: bigint;
}

/** CPT_REC_MANIFEST, cptctl's own section. */
export interface Manifest {
  /** "cptctl 0.1.0" */
  tool: string;
  rootPid: number;
  /** the target's command line, for display */
  argv: string[];
  hostname: string;
  /** stdio came from the checkpointing shell */
  shellJob: boolean;
}

/** One task of CPT_REC_TREE. */
export interface TreeTask {
  /** in the pid namespace of the checkpoint's root task */
  pid: number;
  /** its process; pid == tgid for a process's main thread */
  tgid: number;
  /** the parent process (real_parent's tgid) */
  ppid: number;
  pgid: number;
  sid: number;
  /** exited, not yet reaped: comes back as a zombie */
  zombie: boolean;
  /** a zombie's wait status, as waitpid() gives it */
  exitStatus: number;
  /** prctl(PR_SET_CHILD_SUBREAPER) */
  childSubreaper: boolean;
  /**
   * A process sharing its fd table (clone with CLONE_FILES): the pid of the
   * first process of the tree with that table, whose Files record holds it.
   */
  fdTableOf: number;
}

/**
 * CPT_REC_TREE, written by the module right after the header: every task of
 * the checkpoint, a parent process before its children and a process's
 * threads right after it. The subsystems' records follow this order.
 */
export interface Tree {
  tasks: TreeTask[];
}

export interface Rlimit {
  resource: number;
  cur: bigint;
  max: bigint;
}

/** CPT_REC_TASK */
export interface Task {
  /** in the checkpointing caller's pid namespace */
  pid: number;
  tgid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  umask: number;
  personality: number;
  /** real, effective, saved, fs */
  uid: number;
  euid: number;
  suid: number;
  fsuid: number;
  gid: number;
  egid: number;
  sgid: number;
  fsgid: number;
  groups: number[];
  rlimits: Rlimit[];
  cwd: string;
  root: string;
  /** set_tid_address() */
  clearChildTid: bigint;
  /** set_robust_list() */
  robustList: bigint;
  robustListLen: bigint;
  /** the registered rseq area, 0 if none */
  rseq: bigint;
  rseqLen: number;
  rseqSig: number;
  /** prctl(PR_SET_NO_NEW_PRIVS) */
  noNewPrivs: boolean;
  /** prctl(PR_SET_SECUREBITS), lock bits included */
  securebits: number;
  /** capability sets, bit N = capability N */
  capInheritable: bigint;
  capPermitted: bigint;
  capEffective: bigint;
  capBset: bigint;
  capAmbient: bigint;
  /**
   * seccomp: SECCOMP_MODE_DISABLED 0, STRICT 1 or FILTER 2, and in FILTER
   * mode the id (in CPT_REC_SECCOMP) of the last filter of its chain.
   */
  seccompMode: number;
  seccompFilter: number;
  /**
   * Job control (cpt_jobctl.c). Each thread's part in a group stop: the
   * signal of the stop it is in, or will stop in on its way back to user
   * mode (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU); 0: none.
   */
  stopSignal: number;
  /**
   * The thread has yet to stop, and its stop counts toward its process's:
   * the last such thread to stop completes the group stop and reports it.
   */
  stopPending: boolean;
  /** a process's main thread only */
  jobControl: JobControl | null;
  /** each thread's own */
  attrs: TaskAttrs | null;
  /** a process's main thread only */
  processAttrs: ProcessAttrs | null;
  /**
   * Supplementary groups the checkpointer's user namespace does not map
   * (a user's own groups under unshare --map-root-user) were left out of
   * groups: they are the restarting caller's own unmapped groups, which it
   * holds and may not drop, whatever they are (docs/security.md).
   */
  callerUnmappedGroups: boolean;
}

/**
 * A process's job-control state (cpt_jobctl.c): whether it is stopped, and
 * what its parent has yet to learn of it.
 */
export interface JobControl {
  /** the group stop completed: every thread stopped */
  stopped: boolean;
  /** the stop signal waitpid(WUNTRACED) has yet to report; 0: taken */
  stopReport: number;
  /** continued; waitpid(WCONTINUED) has yet to report it */
  continued: boolean;
  /** the SIGCHLD it has yet to send: CLD_STOPPED 5, CLD_CONTINUED 6; 0: none */
  notifyParent: number;
}

/** A thread's scheduling and prctl attributes (cpt_task_attrs.c). */
export interface TaskAttrs {
  /** SCHED_OTHER 0, FIFO 1, RR 2, BATCH 3, IDLE 5 */
  policy: number;
  /** 1-99 for FIFO and RR, else 0 */
  rtPriority: number;
  /** -20..19, kept under an RT policy too */
  nice: number;
  /** SCHED_RESET_ON_FORK */
  resetOnFork: boolean;
  /** CPU affinity as a list ("0-3,8"); empty: every CPU */
  cpus: string;
  /** as ioprio_set() takes it; 0: none set (follows nice) */
  ioprio: number;
  /** PR_SET_TIMERSLACK */
  timerSlackNs: bigint;
  /** what PR_SET_TIMERSLACK 0 goes back to */
  defaultTimerSlackNs: bigint;
  /** PR_SET_PDEATHSIG, 0 for none */
  pdeathSignal: number;
  /** loginuid below was saved (audit built in) */
  hasLoginuid: boolean;
  /** proc/PID/loginuid; 4294967295: unset */
  loginuid: number;
}

/** An interval timer (setitimer): the time left at the checkpoint. */
export interface Itimer {
  /** ITIMER_REAL 0, VIRTUAL 1, PROF 2 */
  which: number;
  /** time left; 0: disarmed */
  valueNs: bigint;
  intervalNs: bigint;
}

/** A process's attributes, shared by its threads. */
export interface ProcessAttrs {
  /** -1000..1000 */
  oomScoreAdj: number;
  /** the lowest an unprivileged write may set */
  oomScoreAdjMin: number;
  /** PR_GET_DUMPABLE: 0, 1, or 2 (suid_dumpable's root-only) */
  dumpable: number;
  /** PR_SET_THP_DISABLE */
  thpDisable: boolean;
  /** those armed or with an interval */
  itimers: Itimer[];
  /** timer_create()'s, in the order of their ids */
  posixTimers: PosixTimer[];
  /** the id the process's next timer_create() gets */
  nextPosixTimerId: number;
}

/** A POSIX timer (timer_create, cpt_posix_timers.c): the time left at the checkpoint. */
export interface PosixTimer {
  /** the timer_t the program holds, 0..INT_MAX */
  id: number;
  /** clockid_t */
  clock: number;
  /** sigev_notify: SIGNAL 0, NONE 1, THREAD 2, THREAD_ID|SIGNAL 4 */
  notify: number;
  /** sigev_signo */
  signo: number;
  /** sigev_value, as its pointer */
  sigevValue: bigint;
  /** SIGEV_THREAD_ID: the thread signalled */
  notifyThread: number;
  /** a thread's CPU-time clock: the thread whose CPU time it counts */
  clockThread: number;
  /** time left; 0: disarmed */
  valueNs: bigint;
  intervalNs: bigint;
  /** what timer_getoverrun() gives */
  overrun: number;
  /** its signal is queued, not delivered yet */
  signalPending: boolean;
  /** that queued signal's si_overrun */
  pendingOverrun: number;
  /**
   * A timer whose expiry the wall clock moves (CLOCK_REALTIME armed with
   * TIMER_ABSTIME, CLOCK_TAI, CLOCK_REALTIME_ALARM): its next expiry on its
   * clock, re-armed TIMER_ABSTIME; 0: re-armed with the time left
   */
  absoluteNs: bigint;
}

export interface SigAction {
  signo: number;
  handler: bigint;
  flags: bigint;
  restorer: bigint;
  mask: bigint;
}

export interface PendingSignal {
  signo: number;
  /** the kernel's siginfo_t as user space sees it (128 bytes) */
  siginfo: Buffer;
  /** process-wide rather than thread-directed */
  shared: boolean;
}

/** CPT_REC_SIGNALS */
export interface Signals {
  /** those not the default: SIG_DFL, no flags, empty mask */
  actions: SigAction[];
  blocked: bigint;
  pending: PendingSignal[];
  altstackSp: bigint;
  altstackSize: bigint;
  altstackFlags: number;
}

export type FileKind = 'UNKNOWN' | 'REGULAR' | 'DIRECTORY' | 'CHAR_DEVICE' | 'INHERITED' | 'PIPE' | 'DELETED' | 'MEMFD' | 'EVENTFD' | 'FIFO' | 'UNIX_PAIR' | 'SIGNALFD' | 'TIMERFD' | 'EPOLL' | 'MQUEUE' | 'PTY_MASTER' | 'PTY_SLAVE' | 'INOTIFY' | 'UNIX_LISTENER' | 'PIDFD' | 'O_PATH' | 'UNIX_STREAM' | 'UNIX_DGRAM' | 'INET' | 'FANOTIFY' | 'SHELL_TTY' | 'NETLINK' | 'PACKET';

/**
 * Who the file signals (fcntl(2)): its owner for SIGIO (F_SETOWN_EX),
 * a task or process group of the tree; the signal it sends instead
 * (F_SETSIG, 0: SIGIO); O_ASYNC, with the fd its signals name as si_fd
 * (the fd of this process's it was armed through); a lease (F_SETLEASE)
 * held through this open file, with the fd its break signal names
 */
export type FileOwnerKind = 'NO_OWNER' | 'THREAD' | 'PROCESS' | 'PROCESS_GROUP';

export type FileLeaseType = 'NO_LEASE' | 'READ_LEASE' | 'WRITE_LEASE';

/**
 * One open file description, referenced by id from the fd tables. Ids are
 * the image's: a File is saved with the first process whose fds name it,
 * and the fds of later processes may name it again (one description, one
 * offset, shared as before).
 */
export interface File {
  id: number;
  kind: FileKind | number;
  path: string;
  /** open(2) flags: access mode, O_APPEND, O_NONBLOCK... */
  flags: number;
  pos: bigint;
  /** st_mode, to check the file is still the same kind */
  mode: number;
  /** st_size at checkpoint (regular files) */
  size: bigint;
  /** INHERITED: which of the restarting caller's fds (0-2) */
  inheritFd: number;
  /** CHAR_DEVICE: st_rdev; a restart opens the usual /dev node for it */
  rdev: number;
  /** PIPE: which pipe, the same for both ends */
  pipeId: number;
  /** PIPE: what the pipe holds, with the first end saved */
  pipeData: Buffer;
  /** PIPE: its capacity in bytes (F_GETPIPE_SZ), with the first end */
  pipeSize: number;
  /** DELETED, MEMFD: the whole file */
  content: Buffer;
  /** EVENTFD */
  eventfdCount: bigint;
  /** EVENTFD: EFD_SEMAPHORE */
  eventfdSemaphore: boolean;
  /** UNIX_PAIR: SOCK_STREAM, SOCK_DGRAM or SOCK_SEQPACKET */
  unixType: number;
  /** UNIX_PAIR: which pair, the same for both ends */
  pairId: number;
  /** UNIX_PAIR: what this end has yet to read, message by message */
  unixMessages: Buffer[];
  /** SIGNALFD: the signals it reads */
  signalfdMask: bigint;
  /** TIMERFD: its clock id */
  timerClock: number;
  /** TIMERFD: expirations not read yet */
  timerTicks: bigint;
  /** TIMERFD: time to the next expiration; 0: disarmed */
  timerValueNs: bigint;
  /** TIMERFD: its period, 0 for a one-shot timer */
  timerIntervalNs: bigint;
  /** EPOLL: what it watches */
  epollTargets: EpollTarget[];
  /** MQUEUE: the queue's attributes (mq_getattr) */
  mqMaxmsg: bigint;
  mqMsgsize: bigint;
  /** MQUEUE: what it holds, in the order it gives them */
  mqMessages: MqMessage[];
  /**
   * FANOTIFY: fanotify_init()'s flags (FAN_CLASS_*, FAN_REPORT_*,
   * FAN_ENABLE_AUDIT...) and event_f_flags, as the group keeps them
   */
  fanotifyFlags: number;
  fanotifyEventFlags: number;
  /**
   * FANOTIFY: made by a task without CAP_SYS_ADMIN (inode marks only, no
   * pids of other processes in its events): a restart makes it so too
   */
  fanotifyUnprivileged: boolean;
  /** FANOTIFY: newest first, as fdinfo lists them */
  fanotifyMarks: FanotifyMark[];
  /** PTY_*: the pty's index in its devpts instance */
  ptyIndex: number;
  /** PTY_*: the pty's state, with the first of its files saved */
  pty: Pty | null;
  /** INOTIFY: by watch descriptor */
  inotifyWatches: InotifyWatch[];
  /**
   * UNIX_*: the socket's own address (struct sockaddr_un, as getsockname()
   * gives it); an accepted end has its listener's
   */
  unixAddr: Buffer;
  /** UNIX_LISTENER: listen()'s backlog */
  unixBacklog: number;
  /**
   * What a restart re-creates gets its owner, group and permission bits
   * back (as chown() and chmod() would give them, as the restarting
   * caller): DELETED, the file (its permission bits are mode's);
   * UNIX_LISTENER on a path, the socket file (node_mode).
   */
  nodeUid: number;
  nodeGid: number;
  /** UNIX_LISTENER: the socket file's st_mode */
  nodeMode: number;
  /** DELETED: st_atime and st_mtime, in ns since the epoch */
  nodeAtimeNs: bigint;
  nodeMtimeNs: bigint;
  /**
   * DELETED: another open of the same deleted file, saved before this one
   * (its File id): both come back on one new file, content saved once
   */
  sameInodeAs: number;
  /**
   * DELETED: the data extents (SEEK_DATA/SEEK_HOLE) as offset, length
   * pairs, whose bytes content holds back to back; the rest up to size
   * is holes
   */
  contentExtents: bigint[];
  /**
   * flock() and OFD (F_OFD_SETLK) locks held through this open file
   * description; a restart takes them again on its new file
   */
  locks: FileLock[];
  /** MEMFD: F_GET_SEALS (F_SEAL_SEAL: sealing not allowed) */
  seals: number;
  /**
   * EPOLL: the targets whose fd, since they were added, was closed or now
   * names another file: which file each watches (docs/image-format.md)
   */
  epollWatches: EpollWatch[];
  /**
   * PIDFD: the pid of the process it refers to, in the tree's pid namespace:
   * a process of the tree, or with pidfd_exited the pid it had
   */
  pidfdPid: number;
  /**
   * PIDFD: its process had exited and been reaped: a restart makes a pidfd
   * of a pid no task has (pidfd_pid is only shown)
   */
  pidfdExited: boolean;
  ownerKind: FileOwnerKind | number;
  /** in the tree's pid namespace */
  ownerPid: number;
  ownerSignal: number;
  async: boolean;
  asyncFd: number;
  lease: FileLeaseType | number;
  leaseFd: number;
  /** INET */
  inet: InetSocket | null;
  /**
   * TIMERFD: timerfd_settime()'s flags (TFD_TIMER_ABSTIME 1,
   * TFD_TIMER_CANCEL_ON_SET 2) and, with TFD_TIMER_ABSTIME, the next expiry
   * on its clock (0: disarmed)
   */
  timerSettimeFlags: number;
  timerAbsoluteNs: bigint;
  /**
   * UNIX_PAIR: each queued message's credentials (SCM_CREDENTIALS), one per
   * unix_messages entry in its order; none at all when no message has them
   */
  unixMessageCredentials: UnixCredentials[];
  /**
   * UNIX_PAIR: the files each queued message carries (SCM_RIGHTS), one per
   * unix_messages entry in its order (an empty one: none); none at all when
   * no message carries files. A restart sends each message again with them.
   */
  unixMessageFds: UnixInflightFds[];
  /**
   * The file is carried in a queued unix message (SCM_RIGHTS) of the tree: it
   * may have no fd (a file only in flight), and is saved with the first
   * process whose fd or queued message names it
   */
  inFlight: boolean;
  /** NETLINK */
  netlink: NetlinkSocket | null;
  /** NETLINK, PACKET: the socket-level options (SOL_SOCKET) a restart sets again */
  socketOptions: SocketOptions | null;
  /** PACKET */
  packet: PacketSocket | null;
  /** UNIX_PAIR: SO_PASSCRED */
  unixPasscred: boolean;
  /** UNIX_PAIR: its peer's SO_PASSCRED */
  unixPeerPasscred: boolean;
  /** UNIX_STREAM, UNIX_DGRAM */
  unixSocket: UnixSocket | null;
  /** SHELL_TTY: opened through /dev/tty (path), not the terminal's own device */
  shellTtyDevTty: boolean;
  /**
   * SHELL_TTY: no fd names it: the process had the shell's terminal as its
   * controlling terminal (a restart needs one); at most one per Files
   */
  shellTtyControlling: boolean;
  /**
   * SHELL_TTY, controlling: the terminal's foreground process group, one the
   * tree leads, in the tree's pid namespace (0: another group)
   */
  shellTtyForeground: number;
  /**
   * FIFO, CHAR_DEVICE: the node was unlinked while open (path ends in
   * " (deleted)"). A restart makes it again with mknod at a temporary name
   * in its directory, opens it and unlinks it; the first File of the node
   * carries its node_uid, node_gid, node_atime_ns and node_mtime_ns (its
   * permission bits are mode's), a CHAR_DEVICE's other opens same_inode_as.
   */
  nodeDeleted: boolean;
  /**
   * UNIX_LISTENER: its connections not accepted yet, in its queue's order
   * (the next accept() returns the first). A restart connects each again
   * to the listener, from a socket that becomes the UNIX_PAIR File of the
   * same pair_id with unix_pending_connection.
   */
  unixPending: UnixPendingConnection[];
  /**
   * UNIX_PAIR: the connecting end of a connection its listener (an earlier
   * File) has not accepted yet: made by the listener's File, not as a pair
   */
  unixPendingConnection: boolean;
  /**
   * REGULAR, DIRECTORY, CHAR_DEVICE, FIFO, O_PATH: the credentials the file
   * was opened with (f_cred), which a restart opens it with again; absent
   * (an opener the checkpointer's user namespace does not map): the task's
   * own from its Task record (docs/security.md, "files reopened by path")
   */
  opener: Opener | null;
  /**
   * UNIX_LISTENER, UNIX_STREAM, UNIX_DGRAM bound to a path whose name no
   * longer reaches its socket file (renamed since): where that file is, a
   * path from the checkpointer's root. A restart binds unix_addr again, as
   * the task would, then renames the socket file there.
   */
  unixFilePath: string;
  /**
   * DIRECTORY, O_PATH on a file system of kernel objects (sysfs, cgroup2,
   * debugfs...: README "What a restart re-creates"): the file
   * system's magic (statfs()'s f_type) and the inode's number. A path there
   * names a kernel object (a cgroup, a device), which a restart must find
   * again, not another one made since at that path: it opens the path and
   * checks that the file is this inode of this file system.
   */
  kernelFsMagic: number;
  kernelFsIno: bigint;
}

/**
 * Who opened a file that a restart opens again by path, in the
 * checkpointer's user namespace: its fsuid, fsgid and supplementary groups,
 * and which of CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH and CAP_FOWNER (as
 * bits 1 << CAP_*) it had there. A restart opens the file only if both its
 * caller and these credentials, capped by the caller's capabilities, may.
 */
export interface Opener {
  fsuid: number;
  fsgid: number;
  groups: number[];
  /** as Task.caller_unmapped_groups: groups the namespace does not map */
  callerUnmappedGroups: boolean;
  fileCaps: number;
}

/**
 * The files a queued unix message carries (SCM_RIGHTS), in the order
 * recvmsg() installs them: each its File's id, a File of the same Files
 * record or of an earlier process's (at most SCM_MAX_FD, 253). A file
 * passed twice is named twice.
 */
export interface UnixInflightFds {
  fileIds: number[];
}

/**
 * A connection a unix listener has not accepted yet: its connecting end's
 * pair id, and what the connection's end in the listener's queue has yet
 * to read, with each message's credentials (af_unix gives every message
 * written before the accept its sender's): sent again from the connecting
 * end once it is connected.
 */
export interface UnixPendingConnection {
  pairId: number;
  messages: Buffer[];
  /** one per message, in order; or none */
  credentials: UnixCredentials[];
  /**
   * The files each message carries (SCM_RIGHTS): one per message, in order,
   * or none at all; Files of the listener's process, in flight or not.
   * Feature bit 20 (UNIX_PENDING_RIGHTS): a restart refuses it without.
   */
  rights: UnixInflightFds[];
}

/**
 * A unix socket that is neither a listener nor an end of a pair of the tree
 * (File kinds UNIX_STREAM, UNIX_DGRAM). A socket bound to a path has its
 * socket file's owner, group and st_mode in File's node_uid, node_gid and
 * node_mode. A restart makes it with socket(), setsockopt(), bind() and
 * connect() in the restoring task, as the restarting caller.
 */
export interface UnixSocket {
  /** SOCK_STREAM 1, SOCK_DGRAM 2, SOCK_SEQPACKET 5 */
  type: number;
  /** its own name (struct sockaddr_un, as getsockname() gives it) */
  addr: Buffer;
  /** shutdown(): 1 reading, 2 writing, 3 both */
  shutdown: number;
  /** SO_PASSCRED */
  passcred: boolean;
  /** SO_RCVBUF as getsockopt() reads it, if the program set it */
  rcvbuf: number;
  /** SO_SNDBUF as getsockopt() reads it, if the program set it */
  sndbuf: number;
  /** the name of the socket it is connected to: the tree's (UNIX_DGRAM), or see peer_outside */
  peer: Buffer;
  /** UNIX_DGRAM: what it has yet to read, oldest first */
  queue: UnixSocketDatagram[];
  /**
   * peer is a socket outside the tree's, connected to again by its name (an
   * absolute path or an abstract name): UNIX_DGRAM's (a syslog's /dev/log),
   * or UNIX_STREAM's (checkpoint --ext-unix-sk: a new connection the server accepts)
   */
  peerOutside: boolean;
}

/** A datagram a unix socket has yet to read, and its sender's name (empty: unnamed). */
export interface UnixSocketDatagram {
  data: Buffer;
  sender: Buffer;
  /** its sender's credentials (SCM_CREDENTIALS), if it has them */
  credentials: UnixCredentials | null;
  /** the files it carries (SCM_RIGHTS), if any: Files of the tree, in flight or not */
  fds: UnixInflightFds | null;
}

/**
 * The credentials a queued unix message carries, as a receiver with
 * SO_PASSCRED reads them: its sender's pid in the tree's pid namespace (0:
 * none), uid and gid in the checkpointer's user namespace. A restart sends
 * the message again with them (SCM_CREDENTIALS), which the kernel checks.
 */
export interface UnixCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * A TCP (unbound, bound or listening), UDP, UDP-Lite or ICMP ping (unbound,
 * bound or connected) or raw (bound or connected) socket, and its options; each option is saved only when it is
 * not the kernel's default for a new socket, and set again with
 * setsockopt() before bind() (docs/image-format.md).
 */
export interface InetSocket {
  /** AF_INET 2, AF_INET6 10 */
  family: number;
  /** SOCK_STREAM 1, SOCK_DGRAM 2 */
  type: number;
  /** IPPROTO_TCP 6, IPPROTO_UDP 17, IPPROTO_UDPLITE 136 */
  protocol: number;
  /** TCP_CLOSE 7, TCP_LISTEN 10, TCP_ESTABLISHED 1 (a connected UDP socket); a closing TCP connection's (tcp_shutdown) */
  state: number;
  /** its bound address, struct sockaddr_in or sockaddr_in6; empty: unbound */
  local: Buffer;
  /** a connected UDP socket's peer, as local */
  peer: Buffer;
  /** bind() chose the address (SOCK_BINDADDR_LOCK), not connect() */
  localAddrBound: boolean;
  /** TCP_LISTEN: listen()'s backlog */
  backlog: number;
  /** SO_REUSEADDR */
  reuseaddr: boolean;
  /** SO_REUSEPORT */
  reuseport: boolean;
  /** SO_KEEPALIVE */
  keepalive: boolean;
  /** TCP_KEEPIDLE, seconds; 0: the sysctl's */
  keepidle: number;
  /** TCP_KEEPINTVL, seconds; 0: the sysctl's */
  keepintvl: number;
  /** TCP_KEEPCNT; 0: the sysctl's */
  keepcnt: number;
  /** TCP_NODELAY */
  nodelay: boolean;
  /** TCP_CORK */
  cork: boolean;
  /** SO_RCVBUF as getsockopt() gives it, when the user set it (SOCK_RCVBUF_LOCK) */
  rcvbuf: number;
  /** SO_SNDBUF, likewise (SOCK_SNDBUF_LOCK) */
  sndbuf: number;
  /** SO_LINGER's l_onoff */
  linger: boolean;
  /** SO_LINGER's l_linger */
  lingerSeconds: number;
  /** SO_PRIORITY */
  priority: number;
  /** SO_MARK */
  mark: number;
  /** SO_BINDTODEVICE: the interface's name */
  bindDevice: string;
  /** IP_FREEBIND */
  freebind: boolean;
  /** IP_TOS */
  tos: number;
  /** IP_TTL; 0: the sysctl's */
  ttl: number;
  /** IPV6_V6ONLY (AF_INET6) */
  v6only: boolean;
  /** SO_RCVLOWAT; 0: the default (1) */
  rcvlowat: number;
  /** SO_BROADCAST */
  broadcast: boolean;
  /** SO_OOBINLINE */
  oobinline: boolean;
  /** IPV6_TCLASS (AF_INET6) */
  tclass: number;
  /** IPV6_UNICAST_HOPS (AF_INET6); 0: the sysctl's */
  hopLimit: number;
  /** the sequence number of send_queue's first byte (snd_una) */
  tcpSendSeq: number;
  /** the sequence number of recv_queue's first byte (copied_seq) */
  tcpRecvSeq: number;
  /** data written and not acknowledged by the peer */
  tcpSendQueue: Buffer;
  /** of which the last this many bytes were never sent */
  tcpUnsent: number;
  /** data received and not read */
  tcpRecvQueue: Buffer;
  /** the MSS clamp the peer announced (TCPOPT_MSS) */
  tcpMss: number;
  /** window scale the peer announced; with tcp_wscale_ok */
  tcpSndWscale: number;
  /** window scale this end announced */
  tcpRcvWscale: number;
  /** window scaling was agreed */
  tcpWscaleOk: boolean;
  /** SACK was agreed */
  tcpSackOk: boolean;
  /** timestamps were agreed */
  tcpTimestampOk: boolean;
  /** the connection's timestamp clock (TCP_TIMESTAMP) */
  tcpTimestamp: number;
  /** TCP_REPAIR_WINDOW: the segment that last updated the send window */
  tcpSndWl1: number;
  /** the peer's receive window */
  tcpSndWnd: number;
  /** the largest window the peer offered */
  tcpMaxWindow: number;
  /** the window this end offered */
  tcpRcvWnd: number;
  /** rcv_nxt when that window was offered */
  tcpRcvWup: number;
  /** the receive buffer autotuning had grown to (rcvbuf unset) */
  tcpRcvbuf: number;
  /** the send buffer, likewise */
  tcpSndbuf: number;
  /** shutdown()'s: 1 reading (RCV_SHUTDOWN), 2 writing (SEND_SHUTDOWN) */
  tcpShutdown: number;
  /**
   * A TCP connection still connecting (state SYN_SENT 2), with local and
   * peer and none of the fields above: its SYN's initial sequence number
   * (snd_una, never 0), which the restart's connect() sends again.
   */
  tcpSynSeq: number;
  /** SOCK_RAW: IP_HDRINCL (IPV6_HDRINCL), on by default for IPPROTO_RAW 255 */
  hdrincl: boolean;
  /** SOCK_RAW, IPPROTO_ICMP: ICMP_FILTER's mask (bit n drops type n) */
  icmpFilter: number;
  /** SOCK_RAW, IPPROTO_ICMPV6: ICMPV6_FILTER's struct icmp6_filter (32 bytes); empty: passes all */
  icmp6Filter: Buffer;
  /**
   * A UDP or UDP-Lite socket's datagrams not read yet, oldest first; a
   * restart queues them again before bind(), as the kernel's receive path
   * leaves them (docs/image-format.md).
   */
  udpQueue: InetDatagram[];
  /** the corked payload, in order */
  udpCorked: Buffer;
  /** its destination, as local (v4-mapped on an IPv6 socket); empty: nothing corked */
  udpCorkDest: Buffer;
  /** the source address and port it was corked with, as udp_cork_dest */
  udpCorkSource: Buffer;
  /** UDP_CORK is set (with nothing corked too) */
  udpCork: boolean;
  /**
   * TCP: TCP_DEFER_ACCEPT in seconds, as getsockopt() gives it (the
   * retransmission period it rounds up to); 0: off (feature bit 21)
   */
  tcpDeferAccept: number;
  /**
   * TCP: TCP_CONGESTION when the program set it (icsk_ca_setsockopt), the
   * algorithm's name; empty: the sysctl's (feature bit 21)
   */
  tcpCongestion: string;
}

/**
 * A netlink socket (File kind NETLINK): as socket(AF_NETLINK, type,
 * protocol), bind() and connect() make it, with its netlink options
 * (SOL_NETLINK). A restart binds it to its portid again, or fails naming
 * it; it holds no message unread (a checkpoint refuses those).
 */
export interface NetlinkSocket {
  /** NETLINK_ROUTE 0, NETLINK_SOCK_DIAG 4, NETLINK_KOBJECT_UEVENT 15, NETLINK_GENERIC 16 */
  protocol: number;
  /** SOCK_RAW 3 or SOCK_DGRAM 2 */
  type: number;
  /** its bound port id (autobind gives the tgid); 0: unbound */
  portid: number;
  /**
   * the multicast groups it listens to, by number (1 is bit 0 of
   * nl_groups), increasing; groups above 32 too (NETLINK_ADD_MEMBERSHIP)
   */
  groups: number[];
  /** connect(): sends go to dst_portid, dst_group */
  connected: boolean;
  dstPortid: number;
  /** a group number, 0: none (connect()'s nl_groups, its lowest bit) */
  dstGroup: number;
  /** NETLINK_PKTINFO */
  pktinfo: boolean;
  /** NETLINK_BROADCAST_ERROR */
  broadcastError: boolean;
  /** NETLINK_NO_ENOBUFS */
  noEnobufs: boolean;
  /** NETLINK_LISTEN_ALL_NSID */
  listenAllNsid: boolean;
  /** NETLINK_CAP_ACK */
  capAck: boolean;
  /** NETLINK_EXT_ACK */
  extAck: boolean;
  /** NETLINK_GET_STRICT_CHK */
  getStrictChk: boolean;
}

/**
 * A packet socket (File kind PACKET): as socket(AF_PACKET, type, 0),
 * setsockopt(SOL_PACKET) and bind() make it, as packet_diag reports it.
 * A restart needs CAP_NET_RAW, and the interfaces it names under the
 * names they had.
 */
export interface PacketSocket {
  /** SOCK_RAW 3 or SOCK_DGRAM 2 */
  type: number;
  /** the ethertype it receives, in host order (ETH_P_ALL 3); 0: none */
  protocol: number;
  /** the interface it is bound to; 0: every one */
  ifindex: number;
  /** that interface's name */
  ifname: string;
  /** PACKET_VERSION: TPACKET_V1 0, V2 1, V3 2 */
  version: number;
  /** PACKET_AUXDATA */
  auxdata: boolean;
  /** PACKET_ORIGDEV */
  origdev: boolean;
  /** PACKET_VNET_HDR (SOCK_RAW) */
  vnetHdr: boolean;
  /** PACKET_LOSS */
  loss: boolean;
  /** PACKET_RESERVE */
  reserve: number;
  /** PACKET_TIMESTAMP's SOF_TIMESTAMPING_* flags */
  timestamp: number;
  /** PACKET_COPY_THRESH */
  copyThresh: number;
  /** PACKET_ADD_MEMBERSHIP's, newest first */
  memberships: PacketMembership[];
}

/** One PACKET_ADD_MEMBERSHIP of a packet socket. */
export interface PacketMembership {
  ifindex: number;
  /** that interface's name */
  ifname: string;
  /** PACKET_MR_MULTICAST 0, PACKET_MR_PROMISC 1, PACKET_MR_ALLMULTI 2, PACKET_MR_UNICAST 3 */
  type: number;
  /** MULTICAST, UNICAST: the address, up to 32 bytes */
  address: Buffer;
  /** how many times it was added (1 to 64) */
  count: number;
}

/**
 * The socket-level options (SOL_SOCKET) of a NETLINK or PACKET File, each saved
 * only when it is not the default of a new socket.
 */
export interface SocketOptions {
  /** SO_RCVBUF as getsockopt() gives it, when the user set it (SOCK_RCVBUF_LOCK) */
  rcvbuf: number;
  /** SO_SNDBUF, likewise (SOCK_SNDBUF_LOCK) */
  sndbuf: number;
  /** SO_PRIORITY */
  priority: number;
  /** SO_MARK */
  mark: number;
  /** SO_PASSCRED */
  passcred: boolean;
  /** SO_RCVTIMEO as getsockopt() gives it, in microseconds; 0: none */
  rcvtimeoUs: bigint;
  /** SO_SNDTIMEO, likewise */
  sndtimeoUs: bigint;
  /** SO_TIMESTAMP or SO_TIMESTAMPNS is on (SOCK_RCVTSTAMP) */
  timestamp: boolean;
  /** in nanoseconds: SO_TIMESTAMPNS (SOCK_RCVTSTAMPNS); with timestamp */
  timestampns: boolean;
  /** their _NEW variant, and SO_TIMESTAMPING_NEW's (SOCK_TSTAMP_NEW); with timestamp or timestamping */
  timestampNew: boolean;
  /** SO_TIMESTAMPING's SOF_TIMESTAMPING_* flags, never OPT_ID nor BIND_PHC */
  timestamping: number;
  /**
   * A classic socket filter (SO_ATTACH_FILTER): its program as
   * SO_GET_FILTER gives it, struct sock_filter after struct sock_filter
   * (8 bytes each, 1 to 4096); empty: none
   */
  filter: Buffer;
  /** SO_LOCK_FILTER */
  lockFilter: boolean;
  /** SO_PEEK_OFF is on (sk_peek_off not -1: a unix or UDP socket) */
  peek: boolean;
  /** with peek: the offset MSG_PEEK reads at next */
  peekOff: number;
}

/** A datagram a UDP (UDP-Lite) socket has yet to read. */
export interface InetDatagram {
  /** its payload, 0 to 65527 bytes: what recv() gives */
  data: Buffer;
  /** its sender, as recvfrom() gives it on an IPv4 socket (sockaddr_in) or IPv6 (sockaddr_in6); an IPv4 datagram on an IPv6 socket: sockaddr_in */
  source: Buffer;
  /** when it came in (CLOCK_REALTIME, ns), as SIOCGSTAMP reads it; 0: not stamped */
  timestamp: bigint;
  /** the memory it was charged to the socket (sk_rmem_alloc, ss's Recv-Q), bytes */
  truesize: number;
}

export type FileLockKind = 'NONE' | 'FLOCK' | 'POSIX' | 'OFD';

export type FileLockType = 'READ' | 'WRITE';

/** A lock the tree holds on a file (see fcntl(2), flock(2)). */
export interface FileLock {
  kind: FileLockKind | number;
  type: FileLockType | number;
  /** the first byte locked */
  start: bigint;
  /** the last byte locked; 2^63-1: to the end of the file, whatever its size */
  end: bigint;
  /** POSIX: the File of the process it is taken through again */
  fileId: number;
}

export interface InotifyWatch {
  wd: number;
  /** as inotify_add_watch() takes it */
  mask: number;
  /** the watched file or directory */
  path: string;
}

export type FanotifyMarkType = 'INODE' | 'FILESYSTEM';

/** A mark of a fanotify instance: what fanotify_mark() adds it again with. */
export interface FanotifyMark {
  type: FanotifyMarkType | number;
  /** FAN_MARK_IGNORED_SURV_MODIFY, FAN_MARK_EVICTABLE, FAN_MARK_IGNORE */
  flags: number;
  /** the events it reports (FAN_*) */
  mask: number;
  /** the events it ignores */
  ignoredMask: number;
  path: string;
}

/** A pty: its slave's termios and window size, and what each end has to read. */
export interface Pty {
  iflag: number;
  oflag: number;
  cflag: number;
  lflag: number;
  /** c_line: the line discipline */
  line: number;
  /** c_cc */
  cc: Buffer;
  ispeed: number;
  ospeed: number;
  rows: number;
  cols: number;
  xpixel: number;
  ypixel: number;
  /** TIOCSPTLCK: the slave cannot be opened */
  locked: boolean;
  /** written by the slave, not yet read by the master */
  masterInput: Buffer;
  /** the session it is the controlling terminal of, 0: none */
  session: number;
  /** that session's foreground process group */
  foreground: number;
  /** written by the master, not yet read by the slave */
  slaveInput: Buffer;
  /** the slave's device node: owner, group, st_mode */
  slaveUid: number;
  slaveGid: number;
  slaveMode: number;
}

export interface MqMessage {
  priority: number;
  data: Buffer;
}

/** One fd an epoll instance watches, by its number in the process that saved it. */
export interface EpollTarget {
  fd: number;
  events: number;
  data: bigint;
}

/**
 * An epoll target (by its index in epoll_targets) whose fd no longer names
 * the file it watches. The file is the File file_id (an earlier process's,
 * or this one's saved at a lower fd), or with file_id 0 the file at fd in
 * this process.
 */
export interface EpollWatch {
  target: number;
  fd: number;
  fileId: number;
}

export interface Fd {
  fd: number;
  fileId: number;
  cloexec: boolean;
}

/** CPT_REC_FILES */
export interface Files {
  files: File[];
  fds: Fd[];
  /** the process's POSIX record locks (owned by its fd table) */
  posixLocks: FileLock[];
}

/** CPT_REC_CPU */
export interface Cpu {
  /** struct user_regs_struct, in its order (27 values) */
  gpregs: bigint[];
  /** standard-format XSAVE area (user ABI) */
  xsave: Buffer;
  fsBase: bigint;
  gsBase: bigint;
  /** when gpregs' ax is -ERESTART_RESTARTBLOCK */
  restartBlock: RestartBlock | null;
}

export type RestartBlockKind = 'NONE' | 'NANOSLEEP' | 'FUTEX_WAIT' | 'POLL' | 'EPOLL_WAIT' | 'SIGTIMEDWAIT';

/**
 * What the kernel kept to restart an interrupted sleep (restart_syscall):
 * the syscall goes on with the time it had left, not its original argument.
 */
export interface RestartBlock {
  kind: RestartBlockKind | number;
  /** NANOSLEEP, FUTEX_WAIT: the clock of the deadline */
  clockid: number;
  /** a relative timeout: the time it had left at checkpoint (EPOLL_WAIT, SIGTIMEDWAIT: on CLOCK_MONOTONIC) */
  leftNs: bigint;
  /** FUTEX_WAIT_BITSET: the deadline is kept, not left_ns */
  absolute: boolean;
  /** absolute: the deadline on clockid */
  deadlineNs: bigint;
  /** NANOSLEEP: where an interruption writes the time left; 0 for none */
  rmtp: bigint;
  /** FUTEX_WAIT: the futex, its expected value and bitset; EPOLL_WAIT: the events array; SIGTIMEDWAIT: the siginfo, 0 for none */
  uaddr: bigint;
  val: number;
  bitset: number;
  /** FUTEX_WAIT: not FUTEX_PRIVATE_FLAG */
  shared: boolean;
  /** POLL: the pollfd array and its length */
  ufds: bigint;
  nfds: number;
  /** POLL: left_ns applies */
  hasTimeout: boolean;
  /** EPOLL_WAIT: the epoll fd and the events array's length */
  fd: number;
  maxevents: number;
  /** EPOLL_WAIT: the mask epoll_pwait() set for the wait (if has_sigset); SIGTIMEDWAIT: the signals waited for */
  sigset: bigint;
  hasSigset: boolean;
}

export type VmaKind = 'ANON' | 'FILE' | 'SHMEM' | 'VDSO' | 'VVAR' | 'HEAP' | 'STACK' | 'SYSV_SHM';

export interface Vma {
  start: bigint;
  end: bigint;
  /** PROT_* */
  prot: number;
  /** MAP_SHARED / MAP_PRIVATE, MAP_GROWSDOWN... */
  flags: number;
  /** in pages, for file mappings */
  pgoff: bigint;
  /** the mapped file; empty for anonymous memory */
  path: string;
  kind: VmaKind | number;
  /** the kernel's VM_* flags, for display and checks */
  vmFlags: bigint;
  /** SYSV_SHM: the segment; pgoff is the offset into it */
  sysvShmId: number;
  /**
   * SHMEM: the object, one id for every VMA of the tree that maps it (> 0);
   * pgoff is the offset into it. Its pages go with the first VMA, in tree
   * order, that maps them.
   */
  shmemId: number;
  /** SHMEM: the object's size in bytes */
  shmemSize: bigint;
  /**
   * hugetlb memory (MAP_HUGETLB, a hugetlbfs file, a SHM_HUGETLB segment):
   * its page size in bytes; 0 for memory of base pages. Start, end and pgoff
   * are multiples of it. ANON and SHMEM: MAP_HUGETLB anonymous memory;
   * FILE: a file of a hugetlbfs mount; SYSV_SHM: a SHM_HUGETLB segment.
   */
  hugePageSize: bigint;
  /**
   * Private anonymous memory (ANON, HEAP, STACK; small pages or transparent
   * huge pages, not hugetlb memory; not locked) that the
   * parent process maps too, at the same range, with the same access and
   * protection key: the pages that, at
   * checkpoint, were the very pages the parent maps at the same addresses,
   * shared copy-on-write since a fork and written by neither since. Their
   * content is in the CPT_REC_PAGES records all the same (a restart that
   * does not fork this process from its restored parent copies them); the
   * parent's image holds the same bytes at the same addresses.
   */
  inParent: PageRun[];
  /** FILE: the credentials the mapped file was opened with (File.opener) */
  opener: Opener | null;
}

/** A run of pages: nr_pages pages from the address start. */
export interface PageRun {
  start: bigint;
  nrPages: bigint;
}

/** CPT_REC_MM; CPT_REC_PAGES records follow with the VMAs' saved pages. */
export interface Mm {
  vmas: Vma[];
  startCode: bigint;
  endCode: bigint;
  startData: bigint;
  endData: bigint;
  startBrk: bigint;
  brk: bigint;
  startStack: bigint;
  argStart: bigint;
  argEnd: bigint;
  envStart: bigint;
  envEnd: bigint;
  auxv: bigint[];
  exe: string;
  /** pages in the CPT_REC_PAGES records that follow */
  nrPages: bigint;
  /**
   * mlockall(MCL_FUTURE), with MCL_ONFAULT: memory mapped later is locked
   * (mm->def_flags); 0 for none. Locked VMAs have VM_LOCKED in vm_flags.
   */
  mlockall: number;
  /**
   * The membarrier() registrations of the process, as the
   * MEMBARRIER_CMD_REGISTER_* bits that made them.
   */
  membarrier: number;
  /**
   * The AIO contexts (io_setup()) of the process, each with its ring; the
   * rings are not among the VMAs.
   */
  aioRings: AioRing[];
  /** The pages the VMAs' in_parent runs count, all VMAs together. */
  nrInParentPages: bigint;
  /** The credentials the executable was opened with (File.opener) */
  exeOpener: Opener | null;
}

/**
 * An AIO context and the ring it maps (fs/aio.c): its id, the program's
 * aio_context_t, is the ring's address, where a restart moves the ring that
 * io_setup() makes again. Saved only with no request in flight; the
 * completions not yet reaped (io_getevents()) go with it, oldest first.
 */
export interface AioRing {
  /** the ring's address: the context's id */
  start: bigint;
  /** the ring mapping's size in bytes */
  length: bigint;
  /** what io_setup() was given (fs.aio-nr counts it) */
  maxReqs: number;
  /** the ring's size in events, as its header says */
  nrEvents: number;
  /** the next event to reap, < nr_events */
  head: number;
  /** where the next completion goes, < nr_events */
  tail: number;
  /**
   * Each unreaped completion (struct io_event), from head to tail; res and
   * res2 are signed, as their two's complement.
   */
  eventData: bigint[];
  eventObj: bigint[];
  eventRes: bigint[];
  eventRes2: bigint[];
}

/** A SysV object's identity and permissions (struct ipc64_perm). */
export interface IpcPerm {
  /** the id shmget() & co. returned: index and sequence */
  id: number;
  /** 0: IPC_PRIVATE */
  key: number;
  uid: number;
  gid: number;
  /** the creator's; a restart's creator is the restarting caller */
  cuid: number;
  cgid: number;
  /** permission bits, and SHM_DEST for a removed segment */
  mode: number;
}

export interface SysvShm {
  perm: IpcPerm | null;
  size: bigint;
  /** the segment's bytes, without its trailing zeros */
  content: Buffer;
  /** SHM_HUGETLB: its page size in bytes; 0 for base pages */
  hugePageSize: bigint;
}

export interface SysvSem {
  perm: IpcPerm | null;
  /** semval of each semaphore of the set */
  values: number[];
}

export interface SysvMessage {
  /** mtype, > 0 */
  type: bigint;
  text: Buffer;
}

export interface SysvMsq {
  perm: IpcPerm | null;
  /** msg_qbytes: the queue's byte limit */
  qbytes: bigint;
  /** oldest first */
  messages: SysvMessage[];
}

/**
 * CPT_REC_IPC, written by the module after the tree: the SysV IPC objects of
 * the tree's IPC namespace that the checkpointing caller may read.
 */
export interface SysvIpc {
  shms: SysvShm[];
  sems: SysvSem[];
  msqs: SysvMsq[];
}

/**
 * One seccomp filter (a classic BPF program installed with seccomp() or
 * prctl(PR_SET_SECCOMP)). Tasks share filters: threads synced with
 * SECCOMP_FILTER_FLAG_TSYNC, a child and the parent whose filters it inherited.
 */
export interface SeccompFilter {
  /** 1, 2, ...: its place in Seccomp.filters, plus one */
  id: number;
  /** the id of the filter it was installed over; 0: none */
  parent: number;
  /** SECCOMP_FILTER_FLAG_LOG or 0 */
  flags: number;
  /** struct sock_filter[]: 8 bytes each, in the CPU's order */
  program: Buffer;
}

/**
 * CPT_REC_SECCOMP, written by the module after CPT_REC_IPC: every seccomp
 * filter of the tree's tasks, each once, a filter after its parent.
 */
export interface Seccomp {
  filters: SeccompFilter[];
}

/** CPT_REC_TRAILER, written last by the module. */
export interface Trailer {
  /** records before this one */
  records: bigint;
  /** image bytes before this record */
  bytes: bigint;
  /**
   * Authentication, while a key was loaded (see docs/image-format.md):
   * HMAC-SHA256 of the record tags, the id of the key, and one 16-byte tag
   * per record the module wrote (all but cptctl's manifest), in order.
   */
  hmac: Buffer;
  keyId: Buffer;
  recordTags: Buffer;
}
