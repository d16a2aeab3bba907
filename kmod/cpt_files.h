/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kinds of open file a File of the image may be. Each kind has a table
 * of ops in a file of its own, as the SysV kinds of cpt_ipc.c and CRIU's
 * file kinds do; cpt_files.c keeps the table of kinds, the session's
 * registry of open file descriptions, and dispatches to a File's kind
 * through its table; the fd table is saved (cpt_files_save.c), restored
 * (cpt_files_restore.c) and installed (cpt_files_install.c) apart.
 */
#ifndef CPT_FILES_H
#define CPT_FILES_H

#include <linux/cache.h>
#include <linux/netdevice.h>
#include <linux/path.h>
#include <linux/un.h>
#include <linux/in6.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

#include "cpt_session.h"
#include "cpt_sock.h"

struct cpt_tcp_made;
struct file;
struct pid_namespace;
struct pt_regs;
struct task_struct;
struct tty_struct;

/* The most Files an image may hold, and thus their highest id. */
#define CPT_MAX_FILES BIT(20)

/* The open(2) flags a File keeps, and a restart opens it with. */
#define CPT_FILE_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | __O_SYNC | \
			O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME)
/* What f_flags may also hold that is no state of the open file. */
#define CPT_FILE_FLAGS_IGNORED (O_CLOEXEC | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | \
				__FMODE_EXEC | __FMODE_NONOTIFY)

/* Checkpoint: a pipe some process of the tree holds. */
struct cpt_saved_pipe {
	struct pipe_inode_info *pipe;
	u32 readers;		/* files of the tree open for reading it */
	u32 writers;
	bool saved;		/* its data went with its first end's File */
};

/* Checkpoint: an open file the tree holds. */
struct cpt_saved_file {
	struct file *file;	/* a reference: the registry's only one */
	u32 tree_fds;		/* the fds of the tree's fd tables that hold it */
	u32 in_flight;		/* the messages queued in the tree's unix sockets that carry it */
	u32 id;			/* its File's, once saved; 0 before */
	u32 kind;
	int pipe;		/* index in pipes, or -1 */
	u32 pair;		/* a unix socket pair's id, once its first end is saved */
	bool pty_saved;		/* a pty master: its pty's state went with a File */
	bool tcp_connected;	/* a TCP connection before the first FILES of a --kill */
	bool tcp_saved;		/* a TCP connection, saved ... */
	u32 tcp_rcv_nxt;	/* ... having received up to this sequence number */
	u8 tcp_state;		/* ... in this state (TCP_ESTABLISHED, TCP_CLOSE_WAIT, ...) */
	u32 tcp_pid, tcp_fd;	/* ... with this fd of this process (before: the scan's first) */
	bool unix_pending;	/* a connecting end a saved listener has not accepted */
	u64 tcp_hold;		/* a TCP socket held by this checkpoint (a kill's), or 0 */
	bool tcp_outside;	/* ... to a peer outside the tree (a --kill keeps its hold) */
};

/*
 * The session's open files. At checkpoint, every file of the tree's fd
 * tables and the pipes among them; at restart, the files restored so far
 * by id, and the ends of the pipes created but not yet claimed by pipe id.
 */
struct cpt_file_registry {
	struct cpt_saved_file *saved;
	unsigned int nr_saved, cap_saved;
	struct cpt_saved_pipe *pipes;
	unsigned int nr_pipes, cap_pipes;
	bool scanned;			/* every fd table of the tree was seen */
	/* checkpoint: files in flight given an id, to be saved after their carrier's File */
	u32 *in_flight_todo;		/* by index in saved */
	unsigned int nr_in_flight_todo, cap_in_flight_todo;
	u32 next_id;
	u32 next_pair;
	struct pid_namespace *pid_ns;	/* checkpoint: the root's */
	struct cpt_session *session;	/* whose: its tree, for the kinds that refer to its tasks */
	struct path root_fs[2];		/* checkpoint: the root's root and working directory */
	struct xarray restored;		/* id -> struct file * (a reference) */
	struct xarray pipe_ends;	/* pipe id -> the other end's struct file * */
	struct xarray pair_ends;	/* pair id -> the other socket's struct file * */
	/*
	 * pair id -> a connecting end a listener made again, marked
	 * CPT_PENDING_UNSENT while its queue (carrying files) is to be sent
	 */
	struct xarray pending_ends;
	struct xarray pair_fills;	/* pair id -> a struct cpt_unix_fill * (cpt_unix_pair.c) */
	struct xarray fd_carriers;	/* File id -> a value: its queued messages carry files */
	struct xarray ptys;		/* pty index -> struct cpt_restored_pty * */
	struct xarray listener_names;	/* jhash of a restored listener's name -> the name */
	struct xarray deleted_files;	/* a DELETED File's id -> its struct file * (a reference) */
	struct xarray tcp_made;		/* restart: its held connections (cpt_file_inet_tcp.c) */
	/* checkpoint: by cpt_ptr_key(), in O(1) whatever the tree's fd count */
	struct xarray saved_of_file;	/* file -> its index in saved (xa_mk_value) */
	struct xarray pipe_of_pipe;	/* pipe_inode_info -> its index in pipes */
	struct xarray tree_ptys;	/* a pty's master tty -> struct cpt_tree_pty * */
	bool ptys_indexed;		/* tree_ptys holds every pty end of saved */
	/* shell jobs (cpt_shell_tty.c) */
	bool cttys_checked;		/* checkpoint: every process's controlling terminal */
	struct tty_struct *shell_tty;	/* checkpoint: the shell's, the tree's from outside */
	u32 shell_foreground;		/* its foreground group, one the tree leads, or 0 */
};

/*
 * An xarray index for a kernel object of at least L1_CACHE_BYTES (a file,
 * a pipe, a tty): two live objects never share one.
 */
static inline unsigned long cpt_ptr_key(const void *object)
{
	return (unsigned long)object / L1_CACHE_BYTES;
}

/* Checkpoint: one fd of the target. */
struct cpt_fd_entry {
	struct file *file;	/* a reference */
	unsigned int fd;
	unsigned int owner;	/* the entry of the lowest fd on the same file */
	u32 id;			/* the File the fd names */
	u32 kind;
	bool cloexec;
};

/* Checkpoint: a File being encoded, as its kind's save() sees it. */
struct cpt_file_save {
	struct cpt_pb_buf *one;		/* the File message, common fields in */
	const struct cpt_fd_entry *e;
	struct cpt_saved_file *sf;	/* NULL for an INHERITED File */
	struct cpt_file_registry *reg;
	const struct cpt_fd_entry *fds;	/* the process's, in increasing fd order */
	unsigned int nr_fds;
	const char *path;		/* as saved, perhaps in buf */
	char *buf;			/* PATH_MAX bytes of scratch */
};

/* A timerfd's clock, time left, period and unread expirations. */
struct cpt_timer_state {
	u32 clock;
	u64 ticks;
	u64 value_ns;
	u64 interval_ns;
	u32 flags;		/* timerfd_settime()'s: TFD_TIMER_ABSTIME, CANCEL_ON_SET */
	u64 absolute_ns;	/* with TFD_TIMER_ABSTIME: the next expiry on its clock */
};

/* What a restart gives a file system object it creates anew (cpt_file_node.c). */
struct cpt_node_attrs {
	u32 uid, gid;
	u32 mode;		/* permission bits: S_IALLUGO */
	s64 atime_ns, mtime_ns;
	bool owned;		/* uid and gid are the saved ones */
	bool has_mode;
	bool timed;		/* atime_ns and mtime_ns are */
};

/* A Pty message, decoded; pointers are into the record. */
struct cpt_pty_image {
	bool present;
	bool locked;
	u32 iflag, oflag, cflag, lflag, line, ispeed, ospeed;
	u32 rows, cols, xpixel, ypixel;
	u32 session, foreground;
	const u8 *cc;
	size_t cc_len;
	const u8 *input;	/* the master's to read */
	size_t input_len;
	const u8 *typed;	/* the slave's to read */
	size_t typed_len;
	struct cpt_node_attrs slave;	/* the slave's device node */
};

/* Restart: each kind's part of a File; pointers are into the record, during restore(). */
struct cpt_rfile_pipe {
	u32 id;
	u32 size;
	const void *data;
	u32 data_len;
};

struct cpt_rfile_content {
	const void *data;
	u32 len;
	u64 size;		/* DELETED: the file's, extents beyond data are holes */
	u32 nr_extents;		/* DELETED: content_extents values, offset and length pairs */
	u32 same_inode_as;	/* DELETED: an earlier File on the same file, or 0 */
	struct cpt_node_attrs attrs;	/* DELETED */
	u32 seals;		/* MEMFD: F_GET_SEALS */
};

struct cpt_rfile_eventfd {
	u64 count;
	bool semaphore;
};

struct cpt_rfile_unix {
	u32 type;
	u32 pair_id;
	const u8 *addr;
	u32 addr_len;
	u32 backlog;
	struct cpt_node_attrs node;	/* bound to a path (not a pair): its socket file */
	/* its socket file renamed since it was bound: where it is (in the record) */
	const char *file_path;
	u32 file_path_len;
	/* UNIX_STREAM, UNIX_DGRAM: the UnixSocket's state */
	u32 shutdown;
	u32 rcvbuf, sndbuf;
	bool passcred;
	/*
	 * UNIX_DGRAM, or UNIX_STREAM outside: connected to this name; copied,
	 * for the final step outlives the record. peer_outside: a socket's
	 * outside the tree (not restored, connected to anew).
	 */
	u8 peer[sizeof(struct sockaddr_un) + 1];
	u32 peer_len;
	bool peer_outside;
	u32 nr_queued;			/* UNIX_DGRAM: its datagrams, walked again in sock_msg */
	struct cpt_pb_field sock_msg;
	/* UNIX_PAIR: its peer's SO_PASSCRED; its messages and their credentials, counted */
	bool peer_passcred;
	u32 nr_messages, nr_creds;
	/*
	 * UNIX_PAIR: its messages' UnixInflightFds, counted; whether any names
	 * a file (UNIX_DGRAM: a datagram's; UNIX_LISTENER: a pending connection's)
	 */
	u32 nr_message_fds;
	bool carries_files;
	/* UNIX_PAIR: a listener's connection not accepted yet; UNIX_LISTENER: how many */
	bool pending_connection;
	u32 nr_pending;
	/* UNIX_PAIR, UNIX_LISTENER: buffer sizes too; UNIX_STREAM, UNIX_DGRAM: not */
	struct cpt_sock_opts sock_opts;
};

/* The InetSocket option fields a restart sets again, by field number from reuseaddr's. */
#define CPT_INET_NR_OPTS 24

struct cpt_rfile_inet {
	u32 family, type, protocol, state, backlog;
	/* a struct sockaddr_in or sockaddr_in6, as the family says */
	struct sockaddr_in6 local, peer;
	u32 local_len, peer_len;	/* 0: none */
	bool local_addr_bound;
	u32 present;			/* the option fields present, by bit */
	u32 opt[CPT_INET_NR_OPTS];
	char bind_device[IFNAMSIZ];	/* "": none */
	/* a raw socket's: IP_HDRINCL, ICMP_FILTER, ICMPV6_FILTER (a struct icmp6_filter) */
	bool hdrincl, icmp6_filter_set;
	u32 icmp_filter, icmp6_filter[8];
	u32 syn_seq;			/* TCP_SYN_SENT: its SYN's sequence number; 0: none */
	u32 defer_accept;		/* TCP_DEFER_ACCEPT, seconds; 0: off */
	char congestion[16];		/* TCP_CONGESTION (TCP_CA_NAME_MAX); "": not set */
	struct cpt_rfile_tcp {		/* a TCP connection (CPT_TCPF_CONNECTED) */
		bool present;		/* any of its fields is */
		u32 send_seq, recv_seq, unsent;
		u32 shutdown;		/* RCV_SHUTDOWN, SEND_SHUTDOWN */
		u32 mss, snd_wscale, rcv_wscale, tsval;
		bool wscale_ok, sack_ok, tstamp_ok;
		u32 snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;
		u32 rcvbuf, sndbuf;
		const u8 *send_queue, *recv_queue;
		size_t send_len, recv_len;
		struct cpt_tcp_made *made;	/* its hold while the restart makes it */
	} tcp;
	/* UDP: its datagrams, walked again in sock_msg; their families, payload */
	struct cpt_pb_field sock_msg;
	u32 nr_queued;
	bool queue_v4, queue_v6;
	size_t queue_bytes;
	struct cpt_rfile_udp_cork {	/* UDP: data corked, sent again corked */
		bool corkflag;		/* UDP_CORK */
		const u8 *data;
		size_t len;
		struct sockaddr_in6 dest, source;
		u32 dest_len, source_len;	/* 0: nothing corked */
	} cork;
	struct cpt_sock_opts sock_opts;	/* timeouts, timestamps, a filter */
};

/* The highest netlink group a NETLINK File may listen to. */
#define CPT_NETLINK_MAX_GROUPS 1024

struct cpt_rfile_netlink {
	bool present;
	u32 protocol, type, portid;
	DECLARE_BITMAP(groups, CPT_NETLINK_MAX_GROUPS);	/* group n is bit n - 1 */
	u32 last_group;
	bool connected;
	u32 dst_portid, dst_group;
	u32 opts;			/* by index in cpt_file_netlink.c's options */
	struct cpt_sock_opts sock_opts;
};

struct cpt_rfile_packet {
	bool present;
	u32 type, protocol, ifindex;
	char ifname[IFNAMSIZ];
	u32 version, reserve, timestamp, copy_thresh;
	u32 flags;			/* BIT() of the boolean PacketSocket fields set */
	u32 nr_mships;			/* its memberships, walked again in msg */
	struct cpt_pb_field msg;
	struct cpt_sock_opts sock_opts;
};

struct cpt_epoll_target;

struct cpt_epoll_watch;

struct cpt_rfile_epoll {
	struct cpt_epoll_target *targets;	/* added in the final step */
	unsigned int nr;
	struct cpt_epoll_watch *watches;	/* targets whose fd names another file */
	unsigned int nr_watches;
};

struct cpt_rfile_mqueue {
	u64 maxmsg;
	u64 msgsize;
};

struct cpt_rfile_pty {
	u32 index;
	struct cpt_pty_image image;
};

struct cpt_rfile_pidfd {
	u32 pid;
	bool exited;
};

/* Restart: who a File signals, and how (cpt_file_owner.c). */
struct cpt_rfile_fown {
	u32 owner_kind;
	u32 owner_pid;
	u32 signal;
	bool async;
	u32 async_fd;
	u32 lease;
	u32 lease_fd;
};

/* Restart: a SHELL_TTY File (cpt_shell_tty.c). */
struct cpt_rfile_shell_tty {
	bool dev_tty;
	bool controlling;
	u32 foreground;
};

/* Restart: a deleted FIFO's or device node's part of a File (cpt_file_delnode.c). */
struct cpt_rfile_node {
	bool deleted;
	u32 same_inode_as;	/* CHAR_DEVICE: an earlier File on the same node, or 0 */
	struct cpt_node_attrs attrs;	/* with the node's first File */
};

/* Restart: one File of the record. */
struct cpt_rfile {
	u32 id;
	u32 kind;
	u32 flags;
	u32 mode;
	u64 pos;
	const struct cpt_file_ops *ops;	/* its kind's, NULL if none is known */
	const void *record;	/* the File's own message, for the kinds that walk it again */
	size_t record_len;
	bool used;
	bool in_flight;		/* a queued unix message carries it: it may have no fd */
	bool carried;		/* a message of its record carries it */
	unsigned int fd;	/* its lowest fd in the record, for messages */
	bool installed;		/* its kind's installed() ran */
	unsigned int nr_locks;	/* its flock() and OFD locks (cpt_file_lock.c) */
	struct cpt_rfile_fown fown;
	struct cpt_rfile_node node;	/* FIFO, CHAR_DEVICE */
	struct {			/* DIRECTORY, O_PATH (cpt_file_kernel_fs.c) */
		u32 magic;
		u64 ino;
		u8 saved;		/* CPT_KERNEL_FS_SAVED_*: which of the two the image had */
	} kernel_fs;
	u32 setfl;		/* the flags F_SETFL sets in the final step (cpt_file_flags.c) */
	char *path;
	struct file *file;
	union {			/* by kind */
		u32 rdev;			/* CHAR_DEVICE */
		u32 inherit_fd;			/* INHERITED */
		struct cpt_rfile_pipe pipe;	/* PIPE, FIFO */
		struct cpt_rfile_content content; /* DELETED, MEMFD */
		struct cpt_rfile_eventfd eventfd;
		struct cpt_rfile_unix unix_sk;	/* UNIX_* */
		u64 signalfd_mask;
		struct cpt_timer_state timer;
		struct cpt_rfile_epoll epoll;
		struct cpt_rfile_mqueue mq;
		struct cpt_rfile_pty pty;	/* PTY_MASTER, PTY_SLAVE */
		struct cpt_rfile_pidfd pidfd;
		struct cpt_rfile_inet inet;
		struct cpt_rfile_netlink netlink;
		struct cpt_rfile_packet packet;
		struct cpt_rfile_shell_tty shell_tty;
	};
};

/* Restart: one fd of the record. */
struct cpt_rfd {
	unsigned int fd;
	bool cloexec;
	u32 id;
	struct cpt_rfile *file;	/* this record's File, or NULL: an earlier process's */
};

/*
 * The files the final step closed, whose last references a worker drops.
 * A user task's last fput() waits for its return to user mode, and the
 * restored task first parks in the kernel, while its coordinator may wait
 * for the close of a pipe end it inherited.
 */
struct cpt_file_putter {
	struct work_struct work;
	unsigned int nr;
	struct file *files[];
};

/* A FileLock of the image, checked. */
struct cpt_lock_image {
	u32 kind;
	u32 type;
	u32 file_id;
	u64 start;
	u64 end;
};

/* Restart: a process's fd table, as its record says. */
struct cpt_restore_files {
	unsigned int nr_files;
	unsigned int nr_fds;
	struct cpt_rfile *files;	/* by id, once decoded */
	struct cpt_rfd *fds;		/* by fd, once decoded */
	struct cpt_file_putter *putter;
	struct cpt_lock_image *posix;	/* its POSIX locks, taken in the final step */
	unsigned int nr_posix;
};

/* What path a File carries. */
enum cpt_file_path {
	CPT_FILE_PATH_OPENED,	/* the absolute path a restart opens */
	CPT_FILE_PATH_SHOWN,	/* d_path()'s, only shown (or "") */
	CPT_FILE_PATH_NAME,	/* its dentry's name, which a restart gives it again */
};

/* A decode()'s answer for a field of the File message that is not its kind's. */
#define CPT_FILE_FOREIGN 1

/*
 * One kind of open file (or a few that share their code).
 *
 * claim(): checkpoint, the kind number the file is saved as, 0 if it is
 * not of this kind, or why it is refused (noted, with its errno). Kinds
 * are tried in cpt_file_claimers' order.
 * save(): encodes the kind's own fields of the File.
 * decode(): restart, one field of the File message into the kind's part;
 * CPT_FILE_FOREIGN if the field is not the kind's.
 * check(): validates the decoded File; 0, or -EBADMSG with what is bad
 * in *bad, or another errno, noted.
 * open(): makes the File's file again, in rfile->file.
 * installed(): in the final step, once every fd is at its number; fd is
 * the File's lowest, rf the process's fd table as its record says.
 * files_made(): once every File of the record is made (open()), what
 * needs other Files: a unix message's files in flight, sent again.
 * free(): releases what decode() allocated.
 */
struct cpt_file_ops {
	enum cpt_file_path path;
	int (*claim)(unsigned int fd, struct file *file);
	int (*save)(struct cpt_file_save *fs);
	int (*decode)(struct cpt_rfile *rfile, const struct cpt_pb_field *f);
	int (*check)(const struct cpt_rfile *rfile, const char *path, const char **bad);
	int (*open)(struct cpt_file_registry *reg, struct cpt_rfile *rfile);
	int (*installed)(const struct cpt_restore_files *rf, struct cpt_file_registry *reg,
			 struct cpt_rfile *rfile, unsigned int fd);
	int (*files_made)(struct cpt_file_registry *reg, const struct cpt_restore_files *rf,
			  struct cpt_rfile *rfile);
	void (*free)(struct cpt_rfile *rfile);
};

/* cpt_file_reg.c: regular files, directories and the memory devices, by path. */
extern const struct cpt_file_ops cpt_file_reg_ops;
/*
 * cpt_file_kernel_fs.c: claims none; refuses files of /proc, and open files
 * of the file systems of kernel objects (sysfs, cgroup2...), whose
 * directories and O_PATH fds it names for a restart to find again.
 */
extern const struct cpt_file_ops cpt_file_kernel_fs_ops;
void cpt_kernel_fs_save(struct cpt_file_save *fs);
const char *cpt_kernel_fs_dir_refused(const struct super_block *sb, const char **fs);
const char *cpt_kernel_fs_mark_refused(const struct super_block *sb, const char **fs);
#define CPT_KERNEL_FS_SAVED_MAGIC	1
#define CPT_KERNEL_FS_SAVED_INO		2
bool cpt_kernel_fs_is_field(u32 num);
int cpt_kernel_fs_decode_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f);
const char *cpt_kernel_fs_bad(const struct cpt_rfile *rfile);
int cpt_kernel_fs_check_inode(const struct cpt_rfile *rfile, const struct inode *inode);
int cpt_kernel_fs_check(const struct cpt_rfile *rfile, struct file *file);
/* cpt_file_anon.c: memfds and deleted files, with their content. */
extern const struct cpt_file_ops cpt_file_memfd_ops;
extern const struct cpt_file_ops cpt_file_deleted_ops;
/* cpt_file_pipe.c: pipes and FIFOs the tree holds whole. */
extern const struct cpt_file_ops cpt_file_pipe_ops;
extern const struct cpt_file_ops cpt_file_fifo_ops;
/* cpt_file_eventfd.c */
extern const struct cpt_file_ops cpt_file_eventfd_ops;
/* cpt_file_timers.c: signalfds and timerfds. */
extern const struct cpt_file_ops cpt_file_signalfd_ops;
extern const struct cpt_file_ops cpt_file_timerfd_ops;
/* cpt_file_epoll.c */
extern const struct cpt_file_ops cpt_file_epoll_ops;
/* cpt_unix_pair.c, cpt_unix_listener.c, cpt_unix_unpaired.c: unix sockets (cpt_unix.h). */
extern const struct cpt_file_ops cpt_unix_pair_ops;
extern const struct cpt_file_ops cpt_unix_listener_ops;
extern const struct cpt_file_ops cpt_unix_sk_ops;	/* UNIX_STREAM, UNIX_DGRAM */
/* cpt_pty.c: ptys whose master the tree holds. */
extern const struct cpt_file_ops cpt_pty_ops;
/* cpt_inotify.c */
extern const struct cpt_file_ops cpt_inotify_ops;
/* cpt_inotify.c: for inotify's and fanotify's marks. */
struct fsnotify_group;
struct inode *cpt_notify_inode(struct fsnotify_group *group, unsigned long ino, dev_t dev);
char *cpt_notify_path(struct inode *inode, const struct path *mounts, unsigned int nr_mounts,
		      char *buf);
struct path *cpt_notify_mounts(struct cpt_file_registry *reg, unsigned int *nr);
/* cpt_fanotify.c */
extern const struct cpt_file_ops cpt_fanotify_ops;
/* cpt_mqueue.c: POSIX message queues. */
extern const struct cpt_file_ops cpt_mqueue_ops;
/* cpt_file_pidfd.c: pidfds of the tree's processes, and of exited ones. */
extern const struct cpt_file_ops cpt_file_pidfd_ops;
struct file *cpt_pidfd_of_gone_pid(unsigned int flags);
/* cpt_file_opath.c: O_PATH fds, by path. */
extern const struct cpt_file_ops cpt_file_opath_ops;
/* cpt_file_netlink.c: netlink sockets. */
extern const struct cpt_file_ops cpt_file_netlink_ops;
/* cpt_file_packet.c: packet sockets. */
extern const struct cpt_file_ops cpt_file_packet_ops;
/* cpt_file_inet.c: TCP, UDP, ping and raw sockets (cpt_file_inet.h). */
extern const struct cpt_file_ops cpt_file_inet_ops;
/*
 * cpt_file_inet_tcp.c: a checkpoint --kill of a tree holding established
 * TCP connections: whether it may end them (before the trailer), then their
 * silent end (after it).
 */
int cpt_inet_may_end_connections(struct cpt_session *s);
/*
 * A restart: before a process makes its files, its TCP connections held
 * until the final step, which refuses one no longer as made, then takes
 * them out of repair mode; the holds of a restart that failed go with it.
 */
int cpt_inet_hold_made(struct cpt_file_registry *reg, struct cpt_restore_files *rf);
int cpt_inet_resume_connections(struct cpt_session *s);
void cpt_inet_made_unhold(struct cpt_file_registry *reg);
void cpt_inet_made_release(struct cpt_file_registry *reg);
/* cpt_unix_pair.c: a restart's final step: refused if a pair lacks an end. */
int cpt_unix_pairs_complete(struct cpt_session *s);
void cpt_unix_pair_fills_free(struct cpt_file_registry *reg);
void cpt_inet_end_connections(struct cpt_session *s);
void cpt_inet_cancel_holds(struct cpt_session *s);
/* Before the first process's FILES of a checkpoint CPT_INIT_KILL: its own connections held. */
int cpt_inet_hold_tree(struct cpt_session *s);

/* cpt_files.c: helpers the kinds share. */
struct cpt_saved_file *cpt_find_saved(struct cpt_file_registry *reg, struct file *file);
int cpt_long_loop_check(void);
int cpt_refuse(unsigned int fd, const char *what);
int cpt_refuse_device(unsigned int fd, struct file *file, const char *what, const char *why);
bool cpt_is_tty(const struct inode *inode);
int cpt_grow(void **array, unsigned int *cap, unsigned int nr, size_t size);
int cpt_fdinfo(struct file *file, char *buf, size_t size);
bool cpt_is_anon(struct file *file, const char *name);
/* cpt_file_reg.c: a file opened again by path, as its opener may. */
struct file *cpt_rfile_open(struct cpt_file_registry *reg, const struct cpt_rfile *rfile,
			    const char *what, int flags);
/* cpt_files_restore.c: helpers the kinds share at a restart. */
void cpt_set_nonblock(struct file *file, bool nonblock);
unsigned int cpt_fd_table_holders(struct task_struct *p, const struct files_struct *files,
				  unsigned int *threads);
bool cpt_fd_table_alone(void);
int cpt_seek_saved(struct cpt_rfile *rfile);
int cpt_claim_file(struct cpt_rfile *rfile, struct file *file);
const struct cpt_rfd *cpt_rfd_at(const struct cpt_restore_files *rf, unsigned int fd);
struct file *cpt_rfd_file(struct cpt_file_registry *reg, const struct cpt_rfd *rfd);
struct file *cpt_fget_made(long fd, const struct file_operations *fops, const char *what);
struct file *cpt_file_from_syscall(long (*call)(const struct pt_regs *regs),
				   struct pt_regs *regs, const struct file_operations *fops,
				   const char *what);
long cpt_file_ioctl(struct file *file, unsigned int cmd, unsigned long arg);
long cpt_fcntl_own(struct file *file, unsigned int fd, unsigned int cmd, unsigned long arg);
unsigned long cpt_user_scratch(void);
/* cpt_files_install.c: the current task's fds, walked upward. */
struct file *cpt_next_own_file(unsigned int *fd);

/* cpt_files.c: the kinds' table and the registry, for the fd table's save and restore. */
const struct cpt_file_ops *cpt_file_ops_of(u32 kind);
int cpt_file_kind(unsigned int fd, struct file *file, char *buf, u32 *kind);
int cpt_decode_kind_field(struct cpt_rfile *rfile, const struct cpt_pb_field *g);
struct cpt_file_registry *cpt_files_registry(struct cpt_session *s);
/* cpt_files_save.c: the FILES record saved, for cpt_files_ops (cpt_files_restore.c). */
int cpt_files_save(struct cpt_session *s, struct cpt_pb_buf *msg);

/* cpt_file_node.c */
int cpt_node_ids(const struct inode *inode, u32 *uid, u32 *gid, const char *what);
void cpt_node_times(const struct inode *inode, s64 *atime_ns, s64 *mtime_ns);
int cpt_set_node_attrs(const struct path *path, const struct cpt_node_attrs *a, const char *what);
int cpt_save_node_attrs(struct cpt_pb_buf *one, const struct inode *inode, const char *what);
int cpt_decode_node_attr(const struct cpt_pb_field *f, struct cpt_node_attrs *a);

/* cpt_file_delnode.c: deleted FIFOs and device nodes, made again with mknod(). */
int cpt_delnode_save(struct cpt_file_save *fs, bool first);
int cpt_delnode_decode(struct cpt_rfile *rfile, const struct cpt_pb_field *f);
const char *cpt_delnode_bad(const struct cpt_rfile *rfile, const char *path);
struct file *cpt_delnode_make(const struct cpt_rfile *rfile, umode_t type, dev_t rdev, int flags);
int cpt_delnode_set_attrs(const struct cpt_rfile *rfile, struct file *file);
int cpt_delnode_open_device(struct cpt_file_registry *reg, struct cpt_rfile *rfile);

/* cpt_file_flags.c: status flags, restored through F_SETFL in the final step. */
void cpt_flags_defer(struct cpt_rfile *rfile);
int cpt_flags_opened(const struct cpt_rfile *rfile);
int cpt_flags_apply(const struct cpt_restore_files *rf);

/* cpt_file_pipe.c: the pipe of a pipe or FIFO file, and whether the tree holds it whole. */
struct pipe_inode_info *cpt_pipe_of(struct file *file);
bool cpt_is_anon_pipe(struct file *file);
bool cpt_pipe_in_tree(const struct cpt_saved_pipe *sp);

/* cpt_unix_pair.c: the tree's entry for the other end of a connected pair, if it is one. */
struct cpt_saved_file *cpt_unix_pair_peer(struct cpt_file_registry *reg, struct file *file);
/*
 * cpt_unix_rights.c: the files the messages queued in a unix socket (or in
 * a listener's connections not accepted yet) carry (SCM_RIGHTS), each with
 * a reference, in *files (kvfree() it); or none.
 */
int cpt_unix_files_in_flight(struct file *file, struct file ***files, unsigned int *nr);
/* cpt_unix_rights.c: restart, the Files a record's queued messages carry, checked. */
int cpt_unix_check_carried(struct cpt_file_registry *reg, struct cpt_restore_files *rf);
/*
 * cpt_files_save.c: the id of the File of a file in flight that a File being
 * saved (fs) carries: given now if it has none, and the file saved after
 * fs's File, in the same record.
 */
int cpt_save_in_flight(struct cpt_file_save *fs, struct file *file, u32 *id);
/* cpt_files_restore.c: restart, this record's File of that id, or NULL. */
struct cpt_rfile *cpt_rfile_by_id(const struct cpt_restore_files *rf, u32 id);

/* cpt_file_lock.c: the flock(), OFD and POSIX locks the tree holds. */
int cpt_lock_save_file(struct cpt_pb_buf *one, unsigned int fd, struct file *file,
		       bool inherited);
int cpt_lock_save_posix(struct cpt_pb_buf *msg, struct task_struct *task,
			const struct cpt_fd_entry *ent, unsigned int nr);
int cpt_lock_decode_file_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f);
int cpt_lock_restore_file(struct cpt_rfile *rfile);
int cpt_lock_decode_posix(struct cpt_restore_files *rf, const void *data, size_t len);
int cpt_lock_check_posix(struct cpt_restore_files *rf, struct cpt_file_registry *reg);
int cpt_lock_apply_posix(struct cpt_restore_files *rf, struct cpt_file_registry *reg);

/* cpt_file_owner.c: a file's owner for SIGIO, F_SETSIG signal, O_ASYNC and lease. */
int cpt_fown_save(struct cpt_file_save *fs, const struct cpt_session *s);
bool cpt_fown_is_field(u32 num);
int cpt_fown_decode_field(struct cpt_rfile *rfile, const struct cpt_pb_field *f);
int cpt_fown_check(const struct cpt_session *s, const struct cpt_restore_files *rf);
int cpt_fown_apply(struct cpt_session *s, const struct cpt_restore_files *rf);

/* cpt_pty.c */
int cpt_pty_in_tree(struct cpt_file_registry *reg, struct file *file,
		    struct cpt_saved_file **master, struct file **slave);
int cpt_pty_apply_ctty(struct cpt_file_registry *reg);
void cpt_pty_release(struct cpt_file_registry *reg);
int cpt_pty_tty_in_tree(struct cpt_file_registry *reg, struct tty_struct *tty);
struct file *cpt_pty_open_path(const char *path, u32 flags, dev_t rdev, const char *what);

/* cpt_shell_tty.c: a shell job's terminal, the restarting caller's at restart. */
extern const struct cpt_file_ops cpt_shell_tty_ops;
int cpt_shell_tty_check_tree(struct cpt_session *s, struct cpt_file_registry *reg);
int cpt_shell_tty_save_ctty(struct cpt_session *s, struct cpt_pb_buf *msg,
			    struct cpt_file_registry *reg);
int cpt_shell_tty_kind(const struct cpt_session *s, const struct cpt_file_registry *reg,
		       unsigned int fd, struct file *file);
bool cpt_shell_tty_is_ctty(const struct cpt_rfile *rfile);
int cpt_shell_tty_finish(struct cpt_session *s);
void cpt_shell_tty_release(struct cpt_file_registry *reg);

#endif /* CPT_FILES_H */
