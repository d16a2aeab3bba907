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
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/uidgid.h>

#include "cpt_symbols.h"

struct pt_regs;
struct super_block;
struct ipc_namespace;
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

int cpt_check_fdinfo_eventfd(void);
int cpt_check_fdinfo_signalfd(void);
int cpt_check_fdinfo_timerfd(void);
int cpt_check_fdinfo_epoll(void);
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

#endif /* CPT_COMPAT_H */
