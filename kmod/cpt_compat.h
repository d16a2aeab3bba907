/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cpt assumes about the running kernel's internals, beyond its
 * exported interface: copies of private structs, and the hooks by which the
 * load-time self-tests of cpt_compat.c watch the kretprobes of cpt_nextid.c.
 * Each assumption here is checked when the module loads (cpt_compat_init).
 */
#ifndef CPT_COMPAT_H
#define CPT_COMPAT_H

#include <linux/idr.h>
#include <linux/membarrier.h>
#include <linux/pgtable.h>
#include <linux/refcount.h>
#include <linux/socket.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include "cpt_symbols.h"

struct pt_regs;
struct super_block;
struct ipc_namespace;
struct in6_addr;
struct net;
struct mm_struct;
struct task_struct;
struct cpt_timer_state;

/*
 * kernel/pid.c's RESERVED_PIDS: where alloc_pid() wraps a namespace's pid
 * cursor that passed pid_max. Checked (that pid_max is above it):
 * pidmap_lock.
 */
#define CPT_RESERVED_PIDS 300

/* fs/devpts/inode.c's struct pts_mount_opts: the devpts instance's options. */
struct cpt_pts_mount_opts {
	int setuid;
	int setgid;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;
	umode_t ptmxmode;
	int reserve;
	int max;	/* pty indexes are below it, as devpts_new_index() allocates */
};

/*
 * fs/devpts/inode.c's struct pts_fs_info: the ida of the instance's pty
 * indexes, its mount options, its super block. Checked: pts_fs_info.
 */
struct cpt_pts_fs_info {
	struct ida allocated_ptys;
	struct cpt_pts_mount_opts mount_opts;
	struct super_block *sb;
};

/*
 * ipc/shm.c's private data of an attachment's file (struct shm_file_data),
 * whose first field is the segment's id; ns only for the check. Checked:
 * shm_file_data.
 */
struct cpt_shm_file_data {
	int id;
	struct ipc_namespace *ns;
};

/*
 * ipc/sem.c's struct sem_undo_list: a process's adjustments to undo at
 * exit, one entry per semaphore set. Threads (CLONE_SYSVSEM) share one,
 * empty until a semop() with SEM_UNDO. Checked: sem_undo_list.
 */
struct cpt_sem_undo_list {
	refcount_t refcnt;
	spinlock_t lock;	/* list_proc */
	struct list_head list_proc;
};

/*
 * kernel/futex/futex.h's FLAGS_*, in a futex wait's restart block
 * (restart_block.futex.flags). Checked: restart_block.
 */
#define CPT_FUTEX_FLAGS_SHARED 0x01
#define CPT_FUTEX_FLAGS_CLOCKRT 0x02
#define CPT_FUTEX_FLAGS_HAS_TIMEOUT 0x04

/*
 * cpt_compat.c: the number of the syscall regs are in, as the kernel
 * dispatches it (negative in none); whether t's syscall (t blocked in it,
 * or current's) is a 32-bit one (x86's TS_COMPAT); whether a restart block was left by one;
 * the function t's restart_syscall() calls. Checked: restart_block (the
 * function; the mark only copied, clear from a 64-bit loader).
 */
struct restart_block;
typedef long (*cpt_restart_fn_t)(struct restart_block *rb);
int cpt_compat_syscall_nr(const struct pt_regs *regs);
bool cpt_compat_syscall_32bit(struct task_struct *t);
bool cpt_compat_syscall_x32(const struct pt_regs *regs);
bool cpt_compat_restart_32bit(const struct restart_block *rb);
cpt_restart_fn_t cpt_compat_restart_fn(struct task_struct *t);

/*
 * The text formats of cpt_compat_fdinfo.c: each parses what the kernel
 * shows of a file (its fdinfo, or for a POSIX message queue what its file
 * reads as) into what cpt saves, and returns 0 or a negative errno. The
 * two of many lines give one line each, from *pos on, and move *pos past
 * it: 1, or 0 when no line is left. Checked: fdinfo_eventfd,
 * fdinfo_signalfd, fdinfo_timerfd, fdinfo_epoll, fdinfo_inotify and
 * mqueue_text.
 */
int cpt_fdinfo_eventfd_count(const char *info, u64 *count);
int cpt_fdinfo_signalfd_mask(const char *info, u64 *mask);
int cpt_fdinfo_timerfd(const char *info, struct cpt_timer_state *t);

/* One target of an epoll instance: its fd, events and data. */
struct cpt_epoll_tfd {
	int fd;
	unsigned int events;
	unsigned long long data;
};

int cpt_fdinfo_epoll_next(const char **pos, struct cpt_epoll_tfd *t);

/* One watch of an inotify instance, and the inode it watches. */
struct cpt_inotify_watch {
	u32 wd;
	u32 mask;
	unsigned long ino;
	dev_t dev;
};

int cpt_fdinfo_inotify_next(const char **pos, struct cpt_inotify_watch *w);

/* The pid a queue notifies (mq_notify()), 0 for none. */
int cpt_mq_text_notify_pid(const char *text, int *pid);

/* ipc/mqueue.c's MQUEUE_MAGIC, its filesystem's. Checked: mqueue_text. */
#define CPT_MQUEUE_MAGIC 0x19800202

/* Runs every check; registers the kretprobes. Fails the load if one fails. */
int cpt_compat_init(void);
void cpt_compat_exit(void);

/* Called by the probes' entry handlers; cheap unless a self-test runs. */
void cpt_compat_saw_alloc_pid(const struct pt_regs *regs);
void cpt_compat_saw_new_pty_index(const struct pt_regs *regs);
void cpt_compat_saw_task_exit(void);

/*
 * For the checks of cpt_compat_fdinfo.c: the outcome of one that could not
 * test its assumption here, and the two ways to say why it did not pass.
 */
#define CPT_COMPAT_UNTESTED 1
__printf(1, 2) int cpt_compat_fail(const char *fmt, ...);
__printf(1, 2) int cpt_compat_untested(const char *fmt, ...);
int cpt_compat_wait_for_stop(void);

int cpt_check_fdinfo_eventfd(void);
int cpt_check_fdinfo_signalfd(void);
int cpt_check_fdinfo_timerfd(void);
int cpt_check_fdinfo_epoll(void);
int cpt_check_epoll_tfile(void);
int cpt_check_fdinfo_inotify(void);
int cpt_check_mqueue_text(void);

/*
 * cpt_compat_task.c: a CPU-time interval timer's (CPUCLOCK_VIRT or
 * CPUCLOCK_PROF) time left and interval, as getitimer() gives them, for
 * t with its siglock held; an mm's dumpable value, as set_dumpable() sets
 * it. Checked: task_attrs.
 */
void cpt_compat_itimer_left(struct task_struct *t, unsigned int clock, u64 *value,
			    u64 *interval);
/* What setitimer() must be given for timer which to have left_ns left. */
u64 cpt_compat_itimer_arm_value(unsigned int which, u64 left_ns);
void cpt_compat_set_dumpable(struct mm_struct *mm, u32 value);
int cpt_check_task_attrs(void);

/*
 * cpt_compat_lock.c: a lock on an inode, as fs/locks.c's lists hold it
 * (flags FL_FLOCK, FL_POSIX with FL_OFDLCK or not, FL_LEASE...).
 * Checked: file_locks.
 */
struct cpt_held_lock {
	unsigned int flags;
	unsigned char type;	/* F_RDLCK, F_WRLCK; F_UNLCK: a lease being broken */
	void *owner;		/* the fd table (POSIX) or open file */
	struct file *file;
	unsigned int pid;	/* the global tgid of the process that took it */
	loff_t start, end;
};

struct file_lock;

/* Copies up to max of the inode's locks into out; how many it has. */
unsigned int cpt_compat_inode_locks(struct inode *inode, struct cpt_held_lock *out,
				    unsigned int max);
/* A lock as flock(2) or fcntl(2) would make it for current (fl from locks_alloc_lock()). */
void cpt_compat_init_lock(struct file_lock *fl, struct file *file, unsigned int flags,
			  unsigned char type, loff_t start, loff_t end);
int cpt_check_file_locks(void);

/*
 * cpt_compat_seccomp.c: one seccomp filter of a chain, read with the
 * siglock of a task that holds it; and the chain a restoring task takes
 * over from another that made it. Checked: seccomp_filter.
 */
struct sock_filter;
struct cpt_seccomp_view {
	const void *prev;		/* the filter it was installed over, or NULL */
	bool log;			/* SECCOMP_FILTER_FLAG_LOG */
	bool listener;			/* SECCOMP_FILTER_FLAG_NEW_LISTENER's */
	const struct sock_filter *insns; /* its classic BPF program; NULL: none */
	unsigned int len;
};

void cpt_compat_seccomp_view(const void *filter, struct cpt_seccomp_view *v);
int cpt_compat_with_siglock(struct task_struct *t, int (*fn)(struct task_struct *t, void *arg),
			    void *arg);
int cpt_compat_seccomp_attach(void *filter, struct task_struct *owner);
const void *cpt_compat_seccomp_current(void);
int cpt_check_seccomp_filter(void);

/*
 * cpt_compat_ptimers.c: a process's POSIX timers (struct k_itimer on
 * signal_struct's list, their sigqueues, the next id). Checked:
 * posix_timers.
 */
struct pid_namespace;
struct sigqueue;

/* One timer as cpt_posix_timers.c saves and restores it (proto PosixTimer). */
struct cpt_ptimer {
	u32 id;
	s32 clock;		/* it_clock: a CPU-time one with its pid and flags */
	u32 notify;		/* it_sigev_notify */
	u32 signo;
	u64 sigev_value;
	u32 notify_thread;	/* SIGEV_THREAD_ID's thread */
	u32 clock_thread;	/* a thread CPU-time clock's thread */
	u64 value_ns;		/* time left, 0: disarmed */
	u64 interval_ns;
	u32 overrun;		/* timer_getoverrun() */
	bool signal_pending;	/* its sigqueue is queued */
	u32 pending_overrun;	/* that sigqueue's si_overrun */
	u64 absolute_ns;	/* next expiry on a clock the wall clock moves, 0: none */
};

#define CPT_PTIMER_WHY_LEN 96

int cpt_compat_ptimers_read(struct task_struct *t, struct pid_namespace *ns,
			    struct cpt_ptimer *p, unsigned int max, u32 *next_id, u32 *bad,
			    char *why);
bool cpt_compat_sigqueue_is_timers(const struct sigqueue *q);
bool cpt_compat_ptimers_none(void);
void cpt_compat_ptimer_set_next_id(u32 id);
int cpt_compat_ptimer_finish(const struct cpt_ptimer *p);
int cpt_check_posix_timers(void);

/*
 * cpt_compat_task.c: the membarrier() registrations an mm had made, as
 * MEMBARRIER_CMD_REGISTER_* bits. Checked: membarrier.
 */
#define CPT_MEMBARRIER_REGISTRATIONS					\
	(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED |			\
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED |			\
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE |		\
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ)
u32 cpt_compat_membarrier_registrations(struct mm_struct *mm);
int cpt_check_membarrier(void);

/* cpt_compat_pidfd.c: what a pidfd is made of. Checked: pidfd. */
int cpt_check_pidfd(void);

/*
 * cpt_compat_jobctl.c: a task's part in job control (proto Task's
 * stop_signal and stop_pending, each thread's; JobControl, its process's).
 * Read and set with the task's siglock held. Not checked at load (see
 * there): the guest scenario "stopped" exercises them.
 */
struct cpt_jobctl {
	u32 stop_signal;	/* the group stop the thread is in or will stop in; 0: none */
	bool stop_pending;	/* it has yet to stop, and its stop counts */
	/* its process's, kept in the main thread's */
	bool stopped;		/* the group stop completed */
	u32 stop_report;	/* the stop waitpid(WUNTRACED) has yet to report; 0: none */
	bool continued;		/* the continue waitpid(WCONTINUED) has yet to report */
	u32 notify_parent;	/* CLD_STOPPED or CLD_CONTINUED not sent yet; 0: none */
};

bool cpt_compat_is_stop_signal(u32 sig);
bool cpt_compat_job_stopped(struct task_struct *t);
void cpt_compat_jobctl_read(struct task_struct *t, struct cpt_jobctl *j);
void cpt_compat_thread_stop_set(struct task_struct *t, const struct cpt_jobctl *j);
void cpt_compat_process_stop_set(struct task_struct *leader, const struct cpt_jobctl *j,
				 unsigned int counting);
/*
 * cpt_compat_fown.c: who a file signals. Its owner for SIGIO (a reference,
 * or NULL), with its pid type and F_SETSIG signal; the fd its O_ASYNC
 * entry names, from the list its kind keeps; its lease (F_SETLEASE).
 * Checked: file_fasync.
 */
struct cpt_file_fown {
	struct pid *pid;
	enum pid_type type;
	int signum;
};

enum cpt_fasync_list {
	CPT_FASYNC_PIPE,	/* pipes and FIFOs */
	CPT_FASYNC_SOCKET,
	CPT_FASYNC_TTY,		/* pty masters and slaves */
	CPT_FASYNC_INOTIFY,
};

struct cpt_file_lease {
	unsigned char type;	/* F_RDLCK, F_WRLCK */
	bool lease;		/* F_SETLEASE's (not an NFS delegation or layout) */
	bool breaking;		/* its holder was told to give it up */
	int fd;			/* its break signal's si_fd, or -ENOENT */
};

void cpt_compat_file_fown(struct file *file, struct cpt_file_fown *fo);
/* The fd file's O_ASYNC entry names: -ENOENT if none, -EOPNOTSUPP if where has no list. */
int cpt_compat_fasync_fd(struct file *file, enum cpt_fasync_list where);
/* Whether file holds a lease, then in *lease. */
bool cpt_compat_file_lease(struct file *file, struct cpt_file_lease *lease);
int cpt_check_file_fasync(void);

/*
 * cpt_compat_fdinfo.c: an eventfd's counter and whether it counts as a
 * semaphore, read without changing either or waking anyone. Checked:
 * eventfd_ctx.
 */
struct eventfd_ctx;
void cpt_eventfd_peek(struct eventfd_ctx *ctx, u64 *count, bool *semaphore);
int cpt_check_eventfd_ctx(void);

/*
 * cpt_compat_fanotify.c: a fanotify instance's fdinfo (its first line,
 * then one mark per line from *pos on, as cpt_fdinfo_inotify_next()),
 * whether its group was made without CAP_SYS_ADMIN, and fanotify_init()
 * as such a task. Checked: fdinfo_fanotify.
 */
enum cpt_fanotify_mark_type {
	CPT_FANOTIFY_MARK_INODE,
	CPT_FANOTIFY_MARK_MOUNT,
	CPT_FANOTIFY_MARK_SB,
};

struct cpt_fanotify_mark_info {
	enum cpt_fanotify_mark_type type;
	u32 mflags;		/* FAN_MARK_IGNORED_SURV_MODIFY, _EVICTABLE, _IGNORE */
	u32 mask;
	u32 ignored_mask;
	unsigned long ino;	/* INODE */
	dev_t dev;		/* INODE, SB: the kernel's s_dev */
	u32 mnt_id;		/* MOUNT */
};

struct fsnotify_group;
int cpt_fdinfo_fanotify_group(const char *info, u32 *flags, u32 *event_flags);
int cpt_fdinfo_fanotify_next(const char **pos, struct cpt_fanotify_mark_info *m);
bool cpt_fanotify_unprivileged(const struct fsnotify_group *group);
long cpt_fanotify_init(u32 flags, u32 event_flags, bool unprivileged);
int cpt_check_fdinfo_fanotify(void);

/*
 * cpt_compat_tcp.c: a TCP connection's state as TCP repair mode sets it
 * again, with its queues' data (kvmalloc'ed, freed by
 * cpt_compat_tcp_state_free()); unsaved names what would be lost, the
 * queues then not kept. Its silent end at a checkpoint --kill; its buffers
 * and the FINs it had sent and received at a restart. Checked: tcp_repair.
 *
 * The states a connection is saved in (TCPF_* of net/tcp_states.h): those
 * in which its peer's FIN was received (rcv_nxt counts it), those in which
 * its own was sent (write_seq counts it). A connection's saved queues hold
 * data only: snd_una + send_len (copied_seq + recv_len) is the sequence
 * number of the FIN sent (received), if any, acknowledged or read or not.
 */
#define CPT_TCPF_CONNECTED (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT | TCPF_FIN_WAIT1 | \
			    TCPF_FIN_WAIT2 | TCPF_LAST_ACK | TCPF_CLOSING)
#define CPT_TCPF_FIN_IN (TCPF_CLOSE_WAIT | TCPF_LAST_ACK | TCPF_CLOSING)
#define CPT_TCPF_FIN_OUT (TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 | TCPF_LAST_ACK | TCPF_CLOSING)
/* Those, and one still connecting: the connections saved with their peer (held, ended). */
#define CPT_TCPF_PEER (CPT_TCPF_CONNECTED | TCPF_SYN_SENT)
struct sock;
struct socket;
struct cpt_tcp_state {
	const char *unsaved;
	u8 state, shutdown;	/* sk_state, sk_shutdown (RCV_SHUTDOWN, SEND_SHUTDOWN) */
	u32 snd_una, snd_nxt, write_seq, copied_seq, rcv_nxt;
	u32 send_len, unsent, recv_len;
	u32 mss_clamp, snd_wscale, rcv_wscale;
	bool wscale_ok, sack_ok, tstamp_ok;
	u32 tsval;
	u32 snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;
	u32 rcvbuf, sndbuf;
	u8 *send_queue;		/* send_len bytes from snd_una */
	u8 *recv_queue;		/* recv_len bytes from copied_seq */
};

int cpt_compat_tcp_save(struct sock *sk, struct cpt_tcp_state *st, u32 max_queue);
void cpt_compat_tcp_state_free(struct cpt_tcp_state *st);
/*
 * A connection still connecting (SYN_SENT): st's state, snd_una (its SYN's
 * sequence number) and rcv_nxt; unsaved names what a restart's connect()
 * would not send again. A restart's: the sequence number of the SYN its
 * connect() sent.
 */
void cpt_compat_tcp_save_syn_sent(struct sock *sk, struct cpt_tcp_state *st);
u32 cpt_compat_tcp_syn_seq(struct sock *sk);
/* Still in state, and nothing received since rcv_nxt was saved. */
bool cpt_compat_tcp_unchanged(struct sock *sk, u32 rcv_nxt, int state);
void cpt_compat_tcp_end_silently(struct sock *sk);
void cpt_compat_tcp_grow_buffers(struct sock *sk, u32 rcvbuf, u32 sndbuf);
/* sk_rcvbuf and sk_sndbuf, as a queue's refill lifts them and puts them back. */
struct cpt_tcp_bufs {
	int rcvbuf, sndbuf;
};

void cpt_compat_tcp_lift_buffers(struct sock *sk, struct cpt_tcp_bufs *saved);
void cpt_compat_tcp_put_buffers(struct sock *sk, const struct cpt_tcp_bufs *saved);
/* A restored connection in repair mode, ESTABLISHED, its queues filled: its peer's FIN received. */
int cpt_compat_tcp_fin_received(struct sock *sk);
/*
 * Likewise: its own FIN queued as sent (TCP_SEND_QUEUE selected); or, with
 * nothing left to send, acknowledged.
 */
int cpt_compat_tcp_send_fin(struct socket *sock);
int cpt_compat_tcp_fin_acked(struct sock *sk);
/* A restored connection in repair mode out of it, with its SO_REUSEADDR; 0 if not in it. */
int cpt_compat_tcp_resume(struct sock *sk);
/* Whether a connection is in repair mode, its state, shutdown and error (sk_err), now. */
void cpt_compat_tcp_now(struct sock *sk, bool *repair, u32 *state, u32 *shutdown, int *err);
/* Its rcv_nxt, snd_una and write_seq, now. */
void cpt_compat_tcp_seqs(struct sock *sk, u32 *rcv_nxt, u32 *snd_una, u32 *write_seq);
/*
 * Whether a connection of net, not in TIME_WAIT (a request sock counts),
 * has these ends (v4 as v4-mapped), in TCP's established hash
 * (net->ipv4.tcp_death_row.hashinfo in 6.1), bound to a device of net
 * (SO_BINDTODEVICE) or not.
 */
bool cpt_compat_tcp_in_use(struct net *net, const struct in6_addr *local, __be16 local_port,
			   const struct in6_addr *peer, __be16 peer_port);
/* A send on sk would be a fast open connect()'s, with data in its SYN. Not checked at load. */
bool cpt_compat_tcp_defer_connect(struct sock *sk);
int cpt_check_tcp_repair(void);

/*
 * cpt_compat_aio.c: AIO contexts (fs/aio.c's struct kioctx) and their
 * rings. cpt_compat_aio_ctx(): the live context of mm whose ring is
 * ring_file (-ENOENT: none), in_flight U32_MAX if more than it can count;
 * cpt_compat_aio_nr_ctx(): how many live contexts mm has. The ring's
 * layout: its size in events and bytes for io_setup(max_reqs) on this
 * kernel (0 if io_setup() refuses it), where its head and each event are.
 * Checked: aio_ctx.
 */
struct io_event;
struct cpt_aio_ctx {
	unsigned long id;		/* aio_context_t: the ring's address */
	unsigned long mmap_base;
	unsigned long mmap_size;
	u32 max_reqs;			/* what io_setup() was given */
	u32 nr_events;			/* the ring's size in events */
	u32 head;			/* the next event to reap, modulo nr_events */
	u32 tail;			/* where the next completion goes */
	u32 completed;			/* completions whose slot is not given back yet */
	u32 in_flight;			/* requests not completed */
	u32 ring_nr;			/* the header's nr and id, which the program can write */
	u32 ring_id;
	u32 index;			/* its index in the mm's table */
	struct file *check_file;	/* for the load check */
	unsigned long check_size;
};

int cpt_compat_aio_ctx(struct mm_struct *mm, struct file *ring_file, struct cpt_aio_ctx *ac);
unsigned int cpt_compat_aio_nr_ctx(struct mm_struct *mm);
int cpt_compat_aio_event(struct file *ring_file, u32 index, struct io_event *ev);
u32 cpt_compat_aio_nr_events(u32 max_reqs, unsigned long *size);
unsigned long cpt_compat_aio_event_offset(u32 index);
unsigned long cpt_compat_aio_head_offset(void);
int cpt_check_aio_ctx(void);

/*
 * cpt_compat_holders.c: who holds an open file. Its count of references,
 * one per fd of every fd table and one per other holder (a frozen tree's
 * tasks hold none but their fds); and a walk of every task's fd table but
 * the ones skip() passes, calling found() for each fd's file (under RCU:
 * found() must not sleep). Checked: file_refs.
 */
struct file;
struct files_struct;
struct cpt_fd_walk {
	bool (*skip)(const struct files_struct *files, void *arg);
	void (*found)(struct task_struct *task, struct file *file, void *arg);
	void *arg;
};

long cpt_compat_file_refs(struct file *file);
/* 0, or -EINTR if the caller was killed. */
int cpt_compat_walk_fds(const struct cpt_fd_walk *walk);
int cpt_check_file_refs(void);

/*
 * cpt_compat_raw.c: what a raw socket is to the kernel outside its struct
 * (a router-alert listener, a multicast routing socket), by name, or NULL.
 * Checked: raw_ra_chain.
 */
struct sock;
const char *cpt_compat_raw_unsaved(struct sock *sk);
int cpt_check_raw_ra_chain(void);

/*
 * cpt_compat_hugetlb.c: how many of the first pages huge pages of a
 * hugetlbfs inode are neither reserved nor present (a SHM_NORESERVE
 * segment's), or -EINVAL. Checked: hugetlb_resv.
 */
struct inode;
long cpt_compat_hugetlb_unbacked(struct inode *inode, long pages);
int cpt_check_hugetlb_resv(void);
/*
 * cpt_compat_udp.c: the datagrams a UDP (UDP-Lite) socket has yet to read.
 * cpt_compat_udp_queue() takes a reference to each, oldest first, into
 * skbs (at most max of them; -EAGAIN, with *nr how many there are, if
 * more); cpt_compat_udp_read() reads one (its payload into data, which has
 * room for CPT_UDP_MAX_PAYLOAD bytes); cpt_compat_udp_enqueue() queues one
 * again, addressed to local, charged to sk as the receive path charges it.
 * Checked: udp_queue.
 */
#define CPT_UDP_MAX_PAYLOAD (U16_MAX - 8)	/* an IPv6 datagram's, no jumbogram */
struct sk_buff;
struct cpt_udp_dgram {
	const char *unsaved;		/* why it cannot be saved, or NULL */
	bool csum_bad;			/* a read would drop it */
	u32 len, truesize;
	u64 tstamp;			/* ns of CLOCK_REALTIME; 0: none */
	struct sockaddr_storage source;	/* sockaddr_in (an IPv4 datagram's) or sockaddr_in6 */
	u32 source_len;
};

int cpt_compat_udp_queue(struct sock *sk, struct sk_buff **skbs, unsigned int max,
			 unsigned int *nr);
int cpt_compat_udp_read(struct sk_buff *skb, struct cpt_udp_dgram *d, u8 *data);
int cpt_compat_udp_enqueue(struct sock *sk, const struct cpt_udp_dgram *d, const u8 *data,
			   const struct sockaddr *local);
int cpt_check_udp_queue(void);
/* For the load checks: two UDP sockets bound to the loopback, their names in to and from. */
struct sockaddr_in;
int cpt_udp_check_pair(struct socket **rx, struct socket **tx, struct sockaddr_in *to,
		       struct sockaddr_in *from);
/*
 * cpt_compat_udp_cork.c: the data a UDP (UDP-Lite) socket holds corked,
 * with MSG_MORE or UDP_CORK. cpt_compat_udp_cork() reads it under the
 * socket's lock: its payload into data (room for CPT_UDP_MAX_PAYLOAD
 * bytes), and what a send to dest would have to cork again;
 * cpt_compat_sock_corked(), without the lock, whether a UDP, ping or raw
 * socket holds any. Checked: udp_cork.
 */
struct cpt_udp_cork {
	const char *unsaved;		/* why it cannot be saved, or NULL */
	bool corkflag;			/* UDP_CORK is set */
	int family;			/* the corked datagram's, AF_INET or AF_INET6; 0: none */
	/* in the socket's family (v4-mapped on an IPv6 socket) */
	struct sockaddr_storage dest, source;
	u32 len;			/* payload bytes in data */
};

void cpt_compat_udp_cork(struct sock *sk, struct cpt_udp_cork *c, u8 *data);
bool cpt_compat_sock_corked(struct sock *sk);
int cpt_check_udp_cork(void);
/* unix connections not accepted yet (cpt_unix_listener.c) */
int cpt_check_unix_embryo(void);

/*
 * cpt_compat_scm.c: the files a queued unix message carries (SCM_RIGHTS),
 * in order, without references: up to max of them in files; returns how
 * many it carries. The caller holds the queue's lock. Checked: scm_rights.
 */
struct sk_buff;
unsigned int cpt_compat_skb_files(const struct sk_buff *skb, struct file **files,
				  unsigned int max);
int cpt_check_scm_rights(void);

/*
 * cpt_compat_netlink.c: what a netlink socket's struct says that its
 * system calls do not: the options set (BIT() of each SOL_NETLINK name:
 * NETLINK_PKTINFO, NETLINK_LISTEN_ALL_NSID...), whether it is a kernel
 * socket, whether a dump is in progress (cb_running). Checked:
 * netlink_sock.
 */
struct cpt_netlink_state {
	u32 opts;
	bool kernel;
	bool dumping;
};

void cpt_compat_netlink_state(struct sock *sk, struct cpt_netlink_state *st);
int cpt_check_netlink_sock(void);

/*
 * cpt_compat_sleeper.c: the deadline of a task blocked in
 * schedule_hrtimeout_range() where in_wait() says, from the hrtimer_sleeper
 * on its stack, read while it cannot wake, with its count of voluntary
 * switches then. Checked: timed_sleeper.
 */
bool cpt_compat_timed_sleeper(struct task_struct *t, bool (*in_wait)(struct task_struct *t),
			      ktime_t *deadline, unsigned long *nvcsw);
/* Whether t is asleep (not runnable), read as try_to_wake_up() would. */
bool cpt_compat_task_asleep(struct task_struct *t);
int cpt_check_timed_sleeper(void);

/*
 * cpt_compat_fdtable.c: the restoring task's fd table, which its other
 * threads share. cpt_compat_own_fds_enter() moves the current task to an
 * empty fd table of cpt's own, which no other task shares (*shared: the one
 * it had), until cpt_compat_own_fds_leave(shared) moves it back, closing
 * the fds left in it. cpt_compat_close_fd_holding() closes fd of the
 * current table only if it holds file, as one step under the table's lock.
 * Checked: own_fd_table.
 */
struct files_struct;
/* The empty table the module's own copy, made by own_fd_table; put at exit. */
int cpt_compat_own_fds_init(void);
void cpt_compat_own_fds_exit(void);
int cpt_compat_own_fds_enter(struct files_struct **shared);
void cpt_compat_own_fds_leave(struct files_struct *shared);
/* Takes fd out of the module's own table: its file dropped with fput() alone (no close()). */
void cpt_compat_own_fd_out(unsigned int fd);
bool cpt_compat_close_fd_holding(unsigned int fd, const struct file *file);
/*
 * A load check's fd (an error: none) closed only while it holds file, what
 * the check found there once made (NULL or an error: nothing known, and
 * whatever is there goes with the check's table): never by number alone.
 */
void cpt_compat_own_fd_close(long fd, const struct file *file);
int cpt_check_own_fd_table(void);

/*
 * cpt_compat_cow.c: memory shared copy-on-write after a fork. The PMD of
 * mm that maps addr (cpt_compat_pmd(), under its mmap_lock); the frame of
 * the small page at addr of the anonymous transparent huge page a PMD
 * maps, or CPT_MM_COW_NO_PAGE (cpt_compat_thp_pfn(), of a value read under
 * the PMD's lock); a VMA
 * cut to a range it holds, the rest made VMAs of their own
 * (cpt_compat_vma_cut(), under mm's mmap_lock held for writing).
 * Checked: thp_pmd, vma_cut.
 */
struct mm_struct;
struct vm_area_struct;
pmd_t *cpt_compat_pmd(struct mm_struct *mm, unsigned long addr);
unsigned long cpt_compat_thp_pfn(pmd_t pmd, unsigned long addr);
int cpt_compat_vma_cut(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end);
int cpt_check_thp_pmd(void);
int cpt_check_vma_cut(void);

#endif /* CPT_COMPAT_H */
