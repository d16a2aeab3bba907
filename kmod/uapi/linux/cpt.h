/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cpt: kernel-assisted checkpoint/restart of process trees.
 *
 * The user ABI of /dev/cpt, shared by the module and every user-space
 * caller. Rules that keep it stable without version bumps:
 *  - CPT_IOC_API is the handshake and is never renumbered. CPT_API never
 *    changes; new abilities appear as CPT_FEATURE_* bits and as bits in
 *    cpt_api.ioctls.
 *  - Every struct grows at its end only. The size the caller passes is the
 *    one encoded in the ioctl number: a shorter struct is zero-extended, a
 *    longer one is accepted only if its unknown tail is zero.
 *  - Reserved fields and unknown flags must be zero, or the call fails with
 *    EINVAL. Unknown ioctls fail with ENOTTY.
 *  - Only fixed-width types; pointers travel as __u64.
 */
#ifndef _UAPI_LINUX_CPT_H
#define _UAPI_LINUX_CPT_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define CPT_DEVICE_NAME "cpt"

#define CPT_IOC_MAGIC 0xCF

/* The value the caller puts in cpt_api.api. Never changes. */
#define CPT_API ((__u64)0xC0DE0001)

/* Ioctl numbers; (1ULL << _CPT_x) is the bit of CPT_IOC_x in cpt_api.ioctls. */
#define _CPT_API 0x00
#define _CPT_INIT 0x01
#define _CPT_SAVE 0x02
#define _CPT_RESTORE 0x03
#define _CPT_FINALIZE 0x04
#define _CPT_SET_NEXT_ID 0x05
#define _CPT_MESSAGE 0x06
#define _CPT_KEY 0x07
#define _CPT_HOLD 0x08
#define _CPT_USER_RECORD 0x09

/*
 * Handshake. In: api = CPT_API, flags = 0, features = the features the
 * caller requires (a subset of what the module offers, or the call fails
 * with EINVAL and features = 0). Out: every feature the module offers and
 * the ioctls it accepts.
 */
struct cpt_api {
	__u64 api;
	__u64 flags;
	__u64 features;
	__u64 ioctls;
	__u64 reserved[2];
};

#define CPT_API_SIZE_VER0 48 /* sizeof the first published struct cpt_api */

#define CPT_IOC_API _IOWR(CPT_IOC_MAGIC, _CPT_API, struct cpt_api)

/* Feature bits, reported by CPT_IOC_API. */
/* Sessions: init, save, restore and finalize. */
#define CPT_FEATURE_SESSION _BITULL(0)
/* CPT_IOC_SET_NEXT_ID with CPT_ID_PID. */
#define CPT_FEATURE_NEXT_PID _BITULL(1)
/* CPT_IOC_MESSAGE: why the file's last failed ioctl failed, in words. */
#define CPT_FEATURE_MESSAGES _BITULL(2)
/*
 * Trees: a checkpoint takes the target, all its descendants and every
 * thread of each (CPT_REC_TREE lists them); a restart restores every task
 * of the tree, each task itself; pids of a tree being restored are kept
 * from other forks in the caller's pid namespace until FINALIZE.
 */
#define CPT_FEATURE_TREE _BITULL(3)
/* CPT_IOC_FINALIZE reports the session's statistics (struct cpt_finalize VER1). */
#define CPT_FEATURE_STATS _BITULL(4)
/*
 * SysV IPC: a checkpoint's INIT saves the SysV objects of the tree's IPC
 * namespace that the caller may read (CPT_REC_IPC, after the tree); a
 * restart's INIT makes them again with their ids, keeping an object that
 * still has its id, key and size. A segment's attachments come back with
 * the memory of the tasks (Vma kind SYSV_SHM). CPT_IOC_SET_NEXT_ID takes
 * CPT_ID_SYSV_SHM, CPT_ID_SYSV_SEM and CPT_ID_SYSV_MSG.
 */
#define CPT_FEATURE_SYSV_IPC _BITULL(5)
/*
 * Ptys whose master the tree holds come back with their index (CPT_ID_PTY
 * of CPT_IOC_SET_NEXT_ID), termios, window size, unread output, and as the
 * controlling terminal of their session, with its foreground group.
 */
#define CPT_FEATURE_PTY _BITULL(6)
/*
 * Authenticated images: CPT_IOC_KEY loads an image key; while one is
 * loaded, every image the module writes carries HMAC-SHA256 tags in its
 * trailer and a restart refuses an image that does not verify under it,
 * unless a CAP_SYS_ADMIN caller passes CPT_INIT_ALLOW_UNAUTHENTICATED.
 */
#define CPT_FEATURE_AUTH _BITULL(7)
/*
 * CPT_INIT_NEW_PIDNS: a restart that builds its tree in a new pid namespace
 * reserves its pids there, with the capability over that namespace's owner,
 * so that a user in a user namespace of its own may restart.
 */
#define CPT_FEATURE_NEW_PIDNS _BITULL(8)
/*
 * CPT_INIT_TCP_ESTABLISHED and CPT_IOC_HOLD: a checkpoint --kill holds the
 * connections whose peer is outside the tree (the peer's segments dropped)
 * until a restart makes them again, or CPT_HOLD_RELEASE.
 */
#define CPT_FEATURE_TCP_HOLD _BITULL(9)
/*
 * CPT_INIT_EXT_UNIX_SK: a checkpoint saves a unix stream socket connected
 * to a server outside the tree, which a restart connects again by name.
 */
#define CPT_FEATURE_EXT_UNIX_SK _BITULL(11)
/*
 * CPT_IOC_USER_RECORD: the caller's own records (CPT_REC_MANIFEST) go
 * through the session, which writes and reads them in the image like its
 * own, and tags them like its own while an image key is loaded.
 */
#define CPT_FEATURE_USER_RECORDS _BITULL(12)
/*
 * A restoring task in a user namespace below the one of the restart's
 * CPT_IOC_INIT caller (made for the tree, as cptctl restart --pidns makes
 * one for a caller without CAP_SYS_ADMIN, which maps only the caller's
 * own uid and gid) takes a supplementary group of the image (a task's or
 * an opener's) that its namespace does not map as the INIT caller's
 * namespace numbers it, and only if the task holds it already.
 */
#define CPT_FEATURE_INIT_NS_GROUPS _BITULL(13)
/*
 * A checkpoint saves netlink sockets (NETLINK_ROUTE, NETLINK_GENERIC,
 * NETLINK_SOCK_DIAG, NETLINK_KOBJECT_UEVENT) with their port id, groups,
 * peer and options, and a restart binds them to that port id again.
 */
#define CPT_FEATURE_NETLINK _BITULL(14)
/*
 * A checkpoint saves packet sockets (AF_PACKET, SOCK_RAW and SOCK_DGRAM)
 * with their ethertype, interface, memberships and options; a restart
 * makes them as the restarting caller (CAP_NET_RAW).
 */
#define CPT_FEATURE_PACKET _BITULL(15)
/*
 * A timed epoll_wait(), epoll_pwait(), epoll_pwait2() or rt_sigtimedwait()
 * that the checkpoint interrupts goes on with the time it had left, after a
 * restart (RestartBlock kinds EPOLL_WAIT, SIGTIMEDWAIT) as after a
 * checkpoint that leaves the tree running, instead of failing with EINTR.
 */
#define CPT_FEATURE_TIMED_WAITS _BITULL(16)
/*
 * A checkpoint saves a TCP connection still connecting (SYN_SENT) with its
 * initial sequence number; a restart connects it again through TCP repair
 * mode (CAP_NET_ADMIN), its SYN carrying that same number.
 */
#define CPT_FEATURE_TCP_SYN_SENT _BITULL(19)
/*
 * A checkpoint saves the files in flight (SCM_RIGHTS) in the messages of a
 * unix connection its listener has not accepted yet (UnixPendingConnection
 * rights); a restart sends each message again with its files. A module
 * without this bit would drop them: cptctl restart asks for it when an
 * image has them.
 */
#define CPT_FEATURE_UNIX_PENDING_RIGHTS _BITULL(20)
/*
 * A checkpoint saves a socket's SO_RCVTIMEO, SO_SNDTIMEO, SO_TIMESTAMP*,
 * SO_TIMESTAMPING flags, classic filter, SO_LOCK_FILTER and SO_PEEK_OFF
 * (SocketOptions 6 to 15) on every socket kind, a unix pair's or
 * listener's buffer sizes, a TCP socket's TCP_DEFER_ACCEPT and
 * TCP_CONGESTION (InetSocket 91, 92); a restart sets each again. A
 * module without this bit would drop them: cptctl restart asks for it
 * when an image has them.
 */
#define CPT_FEATURE_SOCKET_OPTIONS _BITULL(21)
/*
 * CPT_INIT_KILL: a checkpoint the caller means to end with
 * CPT_FINALIZE_KILL holds the TCP connections whose both ends are the
 * tree's (CPT_IOC_HOLD's holds, in each socket's network namespace) from
 * its first CPT_SUBSYS_FILES on, so that segments still in flight between
 * them cannot change one after it was saved; dropped once the connections
 * are ended, or before the tree resumes if the checkpoint fails.
 */
#define CPT_FEATURE_INIT_KILL _BITULL(22)
#define CPT_FEATURES_KNOWN (CPT_FEATURE_SESSION | CPT_FEATURE_NEXT_PID | \
			    CPT_FEATURE_MESSAGES | CPT_FEATURE_TREE | \
			    CPT_FEATURE_STATS | CPT_FEATURE_SYSV_IPC | \
			    CPT_FEATURE_PTY | CPT_FEATURE_AUTH | \
			    CPT_FEATURE_NEW_PIDNS | CPT_FEATURE_TCP_HOLD | \
			    CPT_FEATURE_EXT_UNIX_SK | \
			    CPT_FEATURE_USER_RECORDS | \
			    CPT_FEATURE_INIT_NS_GROUPS | \
			    CPT_FEATURE_NETLINK | CPT_FEATURE_PACKET | \
			    CPT_FEATURE_TIMED_WAITS | \
			    CPT_FEATURE_TCP_SYN_SENT | \
			    CPT_FEATURE_UNIX_PENDING_RIGHTS | \
			    CPT_FEATURE_SOCKET_OPTIONS | \
			    CPT_FEATURE_INIT_KILL)

/*
 * A session belongs to the open /dev/cpt file that started it; closing that
 * file before CPT_IOC_FINALIZE aborts it: checkpointed tasks resume
 * untouched, half-restored ones are killed.
 * Checkpoint: CPT_IOC_INIT freezes the target process, its descendants and
 * all their threads together, and writes the image header and the tree
 * (CPT_REC_TREE); CPT_IOC_SAVE writes one subsystem's records, one per task
 * that has state of that kind, in tree order; CPT_IOC_FINALIZE writes the
 * trailer and resumes, kills or stops every process of the tree. The caller
 * may write its own records (CPT_REC_MANIFEST) to the image fd between calls.
 * Restart: the coordinator's CPT_IOC_INIT reads and checks the header and the
 * tree. The caller builds the tree with clone(), giving each task its saved
 * pid with CPT_IOC_SET_NEXT_ID, and the tasks share the open file. Each task
 * then calls CPT_IOC_RESTORE for every subsystem in order; the module takes
 * the calls in image order, so a call may wait for other tasks' turns. A
 * call for a subsystem the task has no record of (a thread's FILES) returns
 * 0 at once. The task's last record (MM for a process, CPU for any other
 * thread) is its final step: it replaces the task's state with the saved
 * one and parks it without returning. The coordinator's CPT_IOC_FINALIZE
 * with CPT_FINALIZE_RESUME waits for every task to park and releases them
 * all at once: they leave the kernel with their saved registers.
 */
#define CPT_MODE_CHECKPOINT 1
#define CPT_MODE_RESTART 2

/*
 * Restart only, for a caller with CAP_SYS_ADMIN in the initial user
 * namespace (else EPERM): restart without checking the image's
 * authentication, even though a key is loaded.
 */
#define CPT_INIT_ALLOW_UNAUTHENTICATED 1
/*
 * Restart only (CPT_FEATURE_NEW_PIDNS): the tree is built in a pid namespace
 * the caller makes after INIT, below its own. INIT then reserves no pid and
 * asks no capability; the tree's pids are reserved in the namespace where
 * the first of them is asked for (CPT_IOC_SET_NEXT_ID), which already takes
 * CAP_CHECKPOINT_RESTORE over that namespace's user namespace; only tasks of
 * that namespace may then CPT_IOC_RESTORE (else EPERM).
 */
#define CPT_INIT_NEW_PIDNS 2
/*
 * Checkpoint only (CPT_FEATURE_TCP_HOLD): CPT_FINALIZE_KILL ends in repair
 * mode also the established TCP connections whose peer is outside the tree,
 * each once a hold (CPT_IOC_HOLD) drops the segments its peer sends it,
 * instead of refusing them (EOPNOTSUPP). Needs CAP_NET_ADMIN over the
 * connections' network namespace. A module with CPT_FEATURE_INIT_KILL takes
 * it only with CPT_INIT_KILL (else EINVAL, noted): each connection is held
 * from its save on, which a checkpoint that leaves the tree running or
 * stops it must not do to its peers.
 */
#define CPT_INIT_TCP_ESTABLISHED 4
/*
 * Checkpoint only (CPT_FEATURE_EXT_UNIX_SK): a unix stream or seqpacket
 * socket connected to a socket outside the tree (a server's) is saved with
 * its peer's name instead of refused (EOPNOTSUPP); a restart connects it
 * again to that name: a new connection, which the server accepts anew.
 */
#define CPT_INIT_EXT_UNIX_SK 8
/*
 * Checkpoint only (CPT_FEATURE_INIT_KILL): the caller will end the session
 * with CPT_FINALIZE_KILL, which FINALIZE then requires (else EINVAL, the
 * session left to abort). The connections whose both ends are the tree's
 * (matched by their ends, each end in its own network namespace) are held
 * from the first CPT_SUBSYS_FILES on (within the holds' bounds, else
 * EUSERS: a restart, which holds every connection it makes, would be
 * refused there too). That first FILES already refuses, with FINALIZE's
 * notes and before any hold, what FINALIZE KILL would: a connection shared
 * with a process outside the tree (EOPNOTSUPP, not held, nor its peer),
 * one without CAP_NET_ADMIN over its namespace (EPERM), one whose peer is
 * outside without CPT_INIT_TCP_ESTABLISHED (EOPNOTSUPP). A kill refused
 * later (a race, another file refused, a full disk) resumes the tree with
 * its connections as the holds left them: segments dropped meanwhile and
 * retransmitted after, a backoff, or a TCP_USER_TIMEOUT or keepalive that
 * fired. Without the flag none of them is held: a checkpoint that leaves
 * the tree running or stops it must not delay their segments (their peers
 * would retransmit, TCP_INFO showing it).
 */
#define CPT_INIT_KILL 16

struct cpt_init {
	__u32 image_fd;
	__u32 mode;	/* CPT_MODE_* */
	__u64 flags;	/* CPT_INIT_* */
	__u32 target;	/* checkpoint: pid of the process; restart: 0 */
	__u32 reserved0;
	__u64 reserved[2];
};

#define CPT_INIT_SIZE_VER0 40

/* Subsystems, in the order a checkpoint saves them and a restart reads them. */
#define CPT_SUBSYS_TASK 1	/* ids, comm, creds, umask, rlimits, fs root/cwd */
#define CPT_SUBSYS_SIGNALS 2	/* handlers, blocked mask, pending, altstack */
#define CPT_SUBSYS_FILES 3	/* fd table and open files */
#define CPT_SUBSYS_CPU 4	/* registers, FPU/xstate, TLS bases */
#define CPT_SUBSYS_MM 5	/* address space and its pages; the last restore step */
#define CPT_SUBSYS_MAX CPT_SUBSYS_MM

struct cpt_subsys {
	__u32 subsys;	/* CPT_SUBSYS_* */
	__u32 flags;	/* none defined: must be 0 */
	__u64 bytes;	/* out: image bytes this call wrote or read */
	__u64 reserved[2];
};

#define CPT_SUBSYS_SIZE_VER0 32

#define CPT_FINALIZE_RESUME 1	/* checkpoint: leave running; restart: run */
#define CPT_FINALIZE_KILL 2	/* checkpoint: SIGKILL the target */
#define CPT_FINALIZE_STOP 3	/* checkpoint: leave it stopped (SIGSTOP) */

struct cpt_finalize {
	__u32 action;	/* CPT_FINALIZE_* */
	__u32 flags;	/* none defined: must be 0 */
	__u64 frozen_ns; /* out (checkpoint): how long the target was frozen */
	__u64 reserved[2];
	/* Since VER1 (CPT_FEATURE_STATS), out: what the session did. */
	__u64 tasks;		/* tasks saved or restored, threads included */
	__u64 pages_scanned;	/* checkpoint: pages of the saved mappings looked at */
	__u64 pages_written;	/* checkpoint: pages saved; restart: pages restored */
	__u64 mm_scan_ns;	/* checkpoint: finding the pages, while frozen */
	__u64 mm_write_ns;	/* checkpoint: copying them into the image, while frozen */
};

#define CPT_FINALIZE_SIZE_VER0 32
#define CPT_FINALIZE_SIZE_VER1 72

/*
 * The id the calling task's next creation of a kind gets: CPT_ID_PID is the
 * pid, in its own pid namespace, of the next task the caller clones. The
 * kernel's own checks apply (CAP_CHECKPOINT_RESTORE over that namespace; a
 * pid in use fails the clone with EEXIST). It is consumed by that one clone,
 * whether it succeeds or not; id 0 clears it. Only the calling task's clone
 * is affected, never another task's.
 */
#define CPT_ID_PID 1
/*
 * The id of the next SysV segment, semaphore set or message queue made in
 * the caller's IPC namespace, by any task (the kernel.{shm,sem,msg}_next_id
 * sysctls' field), with their rule: CAP_CHECKPOINT_RESTORE over the
 * namespace. Consumed by that one creation. 0 is a SysV id (and a pty
 * index): CPT_ID_NONE clears the request instead.
 */
#define CPT_ID_SYSV_SHM 2
#define CPT_ID_SYSV_SEM 3
#define CPT_ID_SYSV_MSG 4
/*
 * The index of the next pty the calling task makes by opening a ptmx. If
 * that index is taken in the devpts instance, the pty gets the lowest free
 * one, as without a request: TIOCGPTN tells which.
 */
#define CPT_ID_PTY 5
#define CPT_ID_NONE (~(__u64)0)

struct cpt_next_id {
	__u32 kind;	/* CPT_ID_* */
	__u32 reserved0;
	__u64 id;
	__u64 reserved[2];
};

#define CPT_NEXT_ID_SIZE_VER0 32

/*
 * The explanation the module gave for the last ioctl of this open file that
 * failed in the calling task (e.g. "fd 5: socket is not supported"), copied
 * NUL-terminated into buf (size bytes at most). Returns its length without
 * the NUL; 0 when there is none.
 */
struct cpt_message {
	__u64 buf;	/* user pointer */
	__u32 size;
	__u32 reserved0;
	__u64 reserved[2];
};

#define CPT_MESSAGE_SIZE_VER0 32
#define CPT_MESSAGE_MAX 256

/*
 * The image key (CPT_FEATURE_AUTH). CPT_KEY_LOAD (CAP_SYS_ADMIN in the
 * initial user namespace) hands the module key_len bytes at key, which it
 * keeps and never gives back, replacing any key loaded before (sessions
 * already started keep the key they started with); CPT_KEY_UNLOAD (the
 * same capability) forgets it, ENOKEY if none was loaded; CPT_KEY_STATUS
 * (anyone) only reports. Every op reports in loaded and key_id whether a
 * key is loaded and its id: the first 8 bytes of the SHA-256 of the key.
 */
#define CPT_KEY_LOAD 1
#define CPT_KEY_UNLOAD 2
#define CPT_KEY_STATUS 3

#define CPT_KEY_MIN_LEN 32
#define CPT_KEY_MAX_LEN 64
#define CPT_KEY_ID_LEN 8

struct cpt_key {
	__u32 op;	/* CPT_KEY_* */
	__u32 flags;	/* none defined: must be 0 */
	__u64 key;	/* LOAD: user pointer to the key; else 0 */
	__u32 key_len;	/* LOAD: CPT_KEY_MIN_LEN..CPT_KEY_MAX_LEN; else 0 */
	__u32 loaded;	/* out: 1 if a key is loaded */
	__u8 key_id[CPT_KEY_ID_LEN]; /* out */
	__u64 reserved[2];
};

#define CPT_KEY_SIZE_VER0 48

/*
 * TCP holds (CPT_FEATURE_TCP_HOLD). A hold drops every TCP segment that
 * arrives for a connection (its local and remote address and port) in a
 * network namespace: the connection of a tree a checkpoint --kill ended,
 * whose peer outside the tree must see nothing (no RST) until a restart
 * makes it again, which drops the hold. Holds outlive the session and the
 * image; they go with the network namespace, or the module.
 * CPT_HOLD_LIST (anyone) copies the holds of the caller's network namespace
 * to tuples, at most count of them, and sets count to how many there are.
 * CPT_HOLD_RELEASE (CAP_NET_ADMIN over that namespace) drops the holds of
 * the count tuples (addresses and ports; family AF_INET or AF_INET6, which
 * a v4-mapped address matches either way), or with CPT_HOLD_ALL (tuples 0,
 * count 0) every hold of the namespace; count is then how many it dropped.
 */
#define CPT_HOLD_LIST 1
#define CPT_HOLD_RELEASE 2

#define CPT_HOLD_ALL 1	/* RELEASE: every hold of the caller's network namespace */

struct cpt_hold_tuple {
	__u8 local_addr[16];	/* IPv6, or v4-mapped for IPv4 */
	__u8 peer_addr[16];
	__u16 local_port;	/* host order */
	__u16 peer_port;
	__u32 family;		/* AF_INET or AF_INET6: the socket's */
	__u32 uid;		/* LIST: who installed it, in the caller's user namespace */
	__u32 reserved;		/* must be 0 */
};

struct cpt_hold {
	__u32 op;		/* CPT_HOLD_* */
	__u32 flags;		/* CPT_HOLD_ALL or 0 */
	__u64 tuples;		/* user pointer to count struct cpt_hold_tuple */
	__u32 count;
	__u32 tuple_size;	/* sizeof(struct cpt_hold_tuple) */
	__u64 reserved[2];
};

#define CPT_HOLD_SIZE_VER0 40

/*
 * A record of the caller's own (CPT_FEATURE_USER_RECORDS), of a type the
 * caller writes (CPT_REC_MANIFEST), once, right after CPT_IOC_INIT's
 * records (else EINVAL), where the image has it. Checkpoint: the session
 * writes a record of that type around the len bytes of payload at buf (at
 * most CPT_USER_RECORD_MAX, else EFBIG). Restart: it reads the next record,
 * which must be of that type (else EBADMSG), copies its payload to buf,
 * len bytes at most (EMSGSIZE if it is longer: the session is then over),
 * and sets len to the payload's length (EFAULT: read all the same). While
 * an image key is loaded, the record is tagged as the session's own are
 * (docs/image-format.md).
 */
struct cpt_user_record {
	__u32 type;	/* CPT_REC_MANIFEST */
	__u32 flags;	/* none defined: must be 0 */
	__u64 buf;	/* user pointer to the payload */
	__u64 len;	/* checkpoint: payload bytes; restart: buf's size in, payload bytes out */
	__u64 reserved[2];
};

#define CPT_USER_RECORD_SIZE_VER0 40
#define CPT_USER_RECORD_MAX (16U << 20)	/* payload bytes */

#define CPT_IOC_INIT _IOW(CPT_IOC_MAGIC, _CPT_INIT, struct cpt_init)
#define CPT_IOC_SAVE _IOWR(CPT_IOC_MAGIC, _CPT_SAVE, struct cpt_subsys)
#define CPT_IOC_RESTORE _IOWR(CPT_IOC_MAGIC, _CPT_RESTORE, struct cpt_subsys)
#define CPT_IOC_FINALIZE _IOWR(CPT_IOC_MAGIC, _CPT_FINALIZE, struct cpt_finalize)
#define CPT_IOC_SET_NEXT_ID _IOW(CPT_IOC_MAGIC, _CPT_SET_NEXT_ID, struct cpt_next_id)
#define CPT_IOC_MESSAGE _IOW(CPT_IOC_MAGIC, _CPT_MESSAGE, struct cpt_message)
#define CPT_IOC_KEY _IOWR(CPT_IOC_MAGIC, _CPT_KEY, struct cpt_key)
#define CPT_IOC_HOLD _IOWR(CPT_IOC_MAGIC, _CPT_HOLD, struct cpt_hold)
#define CPT_IOC_USER_RECORD _IOWR(CPT_IOC_MAGIC, _CPT_USER_RECORD, struct cpt_user_record)

/*
 * The image: a stream of records, each a cpt_record_header, then `length`
 * bytes of payload, then a __u32 CRC32C of header and payload (the CRC's
 * seed is ~0 and its result is inverted, as in iSCSI). Payloads are Protocol
 * Buffers messages of proto/cpt.proto, except CPT_REC_PAGES: a
 * cpt_pages_header, then nr_pages pages of raw memory.
 */
#define CPT_RECORD_MAGIC 0x52545043 /* "CPTR" */
#define CPT_IMAGE_VERSION 1

struct cpt_record_header {
	__u32 magic;
	__u16 type;	/* CPT_REC_* */
	__u16 flags;	/* none defined: must be 0 */
	__u64 length;
};

#define CPT_REC_HEADER 1	/* ImageHeader, first; by the module */
#define CPT_REC_MANIFEST 2	/* Manifest; by user space, its own section */
#define CPT_REC_TREE 3		/* Tree, after the header; by the module */
#define CPT_REC_IPC 4		/* SysvIpc, after the tree; by the module */
#define CPT_REC_SECCOMP 5	/* Seccomp, after the IPC record; by the module */
#define CPT_REC_TASK 16		/* Task */
#define CPT_REC_SIGNALS 17	/* Signals */
#define CPT_REC_FILES 18	/* Files */
#define CPT_REC_CPU 19		/* Cpu */
#define CPT_REC_MM 20		/* Mm: its VMAs; pages follow */
#define CPT_REC_PAGES 21	/* raw pages of the VMAs before */
#define CPT_REC_TRAILER 255	/* Trailer, last; by the module */

struct cpt_pages_header {
	__u64 start;	/* user address of the first page */
	__u64 nr_pages;
};

#endif /* _UAPI_LINUX_CPT_H */
