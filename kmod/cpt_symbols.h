/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_SYMBOLS_H
#define CPT_SYMBOLS_H

#include <linux/pid.h>
#include <linux/signal_types.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>
#include <linux/uidgid.h>

struct task_struct;
struct fs_struct;
struct path;
struct mm_struct;
struct file;
struct pt_regs;
struct files_struct;
struct cred;
struct user_struct;
struct restart_block;
struct epoll_event;
struct timespec64;
struct sigqueue;
struct pid_namespace;
struct ip6_ra_chain;
struct vm_area_struct;
struct fd_range;

struct cpt_kernel_symbols {
	bool (*ptrace_may_access)(struct task_struct *task, unsigned int mode);
	void (*set_fs_pwd)(struct fs_struct *fs, const struct path *path);
	/* a chrooted task's root again (cpt_task.c), with chroot()'s LSM hook */
	void (*set_fs_root)(struct fs_struct *fs, const struct path *path);
#ifdef CONFIG_SECURITY_PATH
	int (*security_path_chroot)(const struct path *path);
#endif
	int (*replace_mm_exe_file)(struct mm_struct *mm, struct file *new_exe);
	long (*sys_mremap)(const struct pt_regs *regs);
	int (*create_pipe_files)(struct file **res, int flags);
	long (*pipe_fcntl)(struct file *file, unsigned int cmd, unsigned long arg);
	long (*sys_eventfd2)(const struct pt_regs *regs);
	long (*sys_signalfd4)(const struct pt_regs *regs);
	long (*sys_timerfd_create)(const struct pt_regs *regs);
	long (*sys_timerfd_settime)(const struct pt_regs *regs);
	long (*sys_epoll_create1)(const struct pt_regs *regs);
	long (*sys_epoll_ctl)(const struct pt_regs *regs);
	void (*put_files_struct)(struct files_struct *files);
	long (*sys_shmget)(const struct pt_regs *regs);
	long (*sys_shmctl)(const struct pt_regs *regs);
	long (*sys_shmat)(const struct pt_regs *regs);
	long (*sys_shmdt)(const struct pt_regs *regs);
	long (*sys_semget)(const struct pt_regs *regs);
	long (*sys_semctl)(const struct pt_regs *regs);
	long (*sys_msgget)(const struct pt_regs *regs);
	long (*sys_msgctl)(const struct pt_regs *regs);
	long (*sys_msgsnd)(const struct pt_regs *regs);
	long (*sys_msgrcv)(const struct pt_regs *regs);
	long (*sys_mprotect)(const struct pt_regs *regs);
	long (*sys_mq_open)(const struct pt_regs *regs);
	long (*sys_mq_unlink)(const struct pt_regs *regs);	/* compat checks' */
	long (*sys_unlink)(const struct pt_regs *regs);
	long (*sys_renameat2)(const struct pt_regs *regs);
	long (*sys_inotify_init1)(const struct pt_regs *regs);
	long (*sys_inotify_add_watch)(const struct pt_regs *regs);
	long (*sys_mq_getsetattr)(const struct pt_regs *regs);
	long (*sys_mq_timedsend)(const struct pt_regs *regs);
	long (*sys_mq_timedreceive)(const struct pt_regs *regs);
	long (*sys_prlimit64)(const struct pt_regs *regs);
	/* what a restart asks of the kernel for a task's attributes */
	long (*sys_sched_setattr)(const struct pt_regs *regs);
	long (*sys_sched_setaffinity)(const struct pt_regs *regs);
	long (*sys_ioprio_set)(const struct pt_regs *regs);
	long (*sys_setitimer)(const struct pt_regs *regs);
	long (*sys_getitimer)(const struct pt_regs *regs);	/* compat checks' */
	long (*sys_prctl)(const struct pt_regs *regs);		/* compat checks' */
	/* what setresuid() does to move a task's per-user counts to its new uid */
	struct user_struct *(*alloc_uid)(kuid_t uid);
	int (*set_cred_ucounts)(struct cred *new);
	/* the restarts of interrupted sleeps (cpt_restart_block.c) */
	long (*hrtimer_nanosleep_restart)(struct restart_block *restart);
	long (*futex_wait_restart)(struct restart_block *restart);
	long (*do_restart_poll)(struct restart_block *restart);
	/*
	 * timed epoll_wait() and sigtimedwait() (cpt_timed_wait.c): the
	 * function of the sleeper a blocked one has on its stack, and what
	 * cpt's restart of each calls, as their syscalls do
	 */
	void *hrtimer_wakeup;
	int (*do_epoll_wait)(int epfd, struct epoll_event __user *events, int maxevents,
			     struct timespec64 *to);
	int (*do_sigtimedwait)(const sigset_t *which, kernel_siginfo_t *info,
			       const struct timespec64 *ts);
	int (*copy_siginfo_to_user)(siginfo_t __user *to, const kernel_siginfo_t *from);
	/* what a SysV segment's attachment has as its f_op */
	const struct file_operations *shm_file_operations;
	const struct file_operations *shm_file_operations_huge;
	/* try_get_task_stack()'s other half: a frozen task's stack read while it may die */
	void (*put_task_stack)(struct task_struct *tsk);
	/*
	 * what the files a restart's syscalls make have as their f_op: the
	 * file found at the fd a syscall returned must be the one it made
	 */
	const struct file_operations *eventfd_fops;
	const struct file_operations *signalfd_fops;
	const struct file_operations *timerfd_fops;
	const struct file_operations *eventpoll_fops;
	const struct file_operations *inotify_fops;
	const struct file_operations *mqueue_file_operations;
	/* kernel/pid.c's lock of every namespace's pid idr and cursor, and its limit */
	spinlock_t *pidmap_lock;
	int *pid_max;
	/* what MAP_SHARED | MAP_ANONYMOUS memory is made of (shmem_zero_setup()) */
	struct file *(*shmem_kernel_file_setup)(const char *name, loff_t size,
						unsigned long flags);
	/* file locks and memfd seals (cpt_file_lock.c, cpt_file_anon.c) */
	int (*security_file_lock)(struct file *file, unsigned int cmd);
	long (*memfd_fcntl)(struct file *file, unsigned int cmd, unsigned long arg);
	/*
	 * seccomp: a restart installs the saved filters with seccomp() itself,
	 * and a task taking over another's mitigates speculation as seccomp() would
	 */
	long (*sys_seccomp)(const struct pt_regs *regs);
	void (*arch_seccomp_spec_mitigate)(struct task_struct *task);
	/*
	 * epoll entries whose fd was closed or reused (cpt_file_epoll.c): the
	 * file an entry watches (kcmp()'s lookup), and putting a file at a
	 * chosen fd for epoll_ctl() to find it there
	 */
	struct file *(*get_epoll_tfile_raw_ptr)(struct file *file, int tfd, unsigned long toff);
	int (*replace_fd)(unsigned int fd, struct file *file, unsigned int flags);
	/* POSIX timers (cpt_posix_timers.c): made by the restoring task; its signal queued */
	long (*sys_timer_create)(const struct pt_regs *regs);
	long (*sys_timer_settime)(const struct pt_regs *regs);
	long (*sys_timer_gettime)(const struct pt_regs *regs);		/* compat checks' */
	long (*sys_timer_getoverrun)(const struct pt_regs *regs);	/* compat checks' */
	long (*sys_timer_delete)(const struct pt_regs *regs);		/* compat checks' */
	int (*send_sigqueue)(struct sigqueue *q, struct pid *pid, enum pid_type type);
	/* mm and process attributes: locked and advised memory, membarrier, loginuid */
	long (*sys_madvise)(const struct pt_regs *regs);
	long (*sys_mlockall)(const struct pt_regs *regs);
	long (*sys_membarrier)(const struct pt_regs *regs);
	int (*audit_set_loginuid)(kuid_t loginuid);
	/*
	 * pidfds (cpt_file_pidfd.c): what a pidfd has as its f_op, made by
	 * pidfd_open(); a pid of nobody, allocated and freed as by a failed fork
	 */
	long (*sys_pidfd_open)(const struct pt_regs *regs);
	const struct file_operations *pidfd_fops;
	struct pid *(*alloc_pid)(struct pid_namespace *ns, pid_t *set_tid, size_t set_tid_size);
	void (*free_pid)(struct pid *pid);
	/* file owners, O_ASYNC and leases (F_SETLEASE, F_SETFL, F_SETSIG) */
	long (*sys_fcntl)(const struct pt_regs *regs);
	/* TCP and UDP sockets (cpt_file_inet.c): made again as the restoring task */
	long (*sys_socket)(const struct pt_regs *regs);
	long (*sys_setsockopt)(const struct pt_regs *regs);
	long (*sys_bind)(const struct pt_regs *regs);
	long (*sys_connect)(const struct pt_regs *regs);
	long (*sys_listen)(const struct pt_regs *regs);
	/* fanotify instances and their marks (cpt_fanotify.c) */
	long (*sys_fanotify_init)(const struct pt_regs *regs);
	long (*sys_fanotify_mark)(const struct pt_regs *regs);
	const struct file_operations *fanotify_fops;
	/* restarts in a user namespace: setgroups()'s own check, its setgroups file included */
	bool (*may_setgroups)(void);
	/* hugetlb memory (cpt_mm_*.c): MAP_HUGETLB's object, made as mmap() makes it */
	struct file *(*hugetlb_file_setup)(const char *name, size_t size, vm_flags_t acctflag,
					   int creat_flags, int page_size_log);
	/* AIO contexts and their rings (cpt_mm_aio.c): made again as the restoring task */
	long (*sys_io_setup)(const struct pt_regs *regs);
	long (*sys_io_submit)(const struct pt_regs *regs);
	long (*sys_io_destroy)(const struct pt_regs *regs);
	/* deleted FIFOs and device nodes (cpt_file_delnode.c): mknod(2) as the restoring task */
	long (*sys_mknod)(const struct pt_regs *regs);
	/* ICMP ping and raw sockets (cpt_compat_raw.c): IPv6 router-alert listeners */
	struct ip6_ra_chain **ip6_ra_chain;
	rwlock_t *ip6_ra_lock;
	/*
	 * a child's memory shared copy-on-write with its restored parent again
	 * (cpt_mm_cow_restore.c): what fork()'s dup_mmap() does for one VMA
	 */
	int (*anon_vma_fork)(struct vm_area_struct *vma, struct vm_area_struct *pvma);
	int (*copy_page_range)(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma);
	void (*flush_tlb_mm_range)(struct mm_struct *mm, unsigned long start, unsigned long end,
				   unsigned int stride_shift, bool freed_tables);
	/* and a VMA a restart merged with its neighbour, cut to its saved range */
	int (*split_vma)(struct mm_struct *mm, struct vm_area_struct *vma, unsigned long addr,
			 int new_below);
	/*
	 * the restoring task's fd table, which others may share
	 * (cpt_compat_fdtable.c): a table of cpt's own, made as
	 * unshare(CLONE_FILES) makes one; an fd closed under the table's lock
	 */
	struct files_struct *(*dup_fd)(struct files_struct *oldf, struct fd_range *punch_hole);
	struct file *(*close_fd_get_file_locked)(unsigned int fd);
};

extern struct cpt_kernel_symbols cpt_sym;

/*
 * One of the kernel's syscalls, run by the module in the current task with
 * these arguments, as if the task had made it: its own checks apply.
 */
long cpt_sys(long (*call)(const struct pt_regs *regs), unsigned long a0, unsigned long a1,
	     unsigned long a2, unsigned long a3, unsigned long a4);

/* Memory of the current task, for what those syscalls read and write. */
struct cpt_ubuf {
	unsigned long addr;
	size_t size;
};

int cpt_ubuf_get(struct cpt_ubuf *ub, size_t size);
void cpt_ubuf_put(struct cpt_ubuf *ub);

#endif /* CPT_SYMBOLS_H */
