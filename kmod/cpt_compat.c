// SPDX-License-Identifier: GPL-2.0
/*
 * The compat layer: every use of the running kernel's internals that is not
 * its exported interface, and the checks that they still hold. A module
 * built for one kernel and loaded into another that differs in a private
 * struct or in a symbol's meaning would corrupt memory instead of failing,
 * so each assumption cpt can test is tested when it loads, by a named check,
 * and a failed check refuses the load: "cpt: compat check NAME failed: WHY".
 *
 * The few kernel functions cpt needs that 6.1 does not export are looked up
 * here through kallsyms_lookup_name (itself found with a kprobe). The
 * checks, in order:
 *  release        the running kernel is the one the module was built for
 *  symbols        every symbol cpt needs is there
 *  syscalls       each syscall found by name is that syscall's entry in
 *                 sys_call_table
 *  kretprobes     the probes of cpt_nextid.c register on do_exit, alloc_pid
 *                 and devpts_new_index
 *  alloc_pid_args alloc_pid's arguments are in the registers its probe reads
 *  task_exit      do_exit's probe runs in a task that exits (a kernel
 *                 thread made and stopped here)
 *  pidmap_lock    the pid idr's cyclic cursor is moved under the lock found
 *                 as pidmap_lock (held when alloc_pid calls
 *                 idr_alloc_cyclic), and pid_max is a pid limit
 *  pts_fs_info    devpts_new_index's argument is the devpts instance's
 *                 pts_fs_info: the ida of its ptys, its mount options (max
 *                 last), its super block (a ptmx opened here: untested
 *                 without /dev/ptmx)
 *  shm_file_data  a SysV attachment's file has ipc/shm.c's f_op and private
 *                 data (a segment made and attached here)
 *  shmem_zero     shmem_kernel_file_setup("dev/zero") makes what a
 *                 MAP_SHARED | MAP_ANONYMOUS mapping is mapped from (one
 *                 mapped here), which a checkpoint knows as such
 *  sem_undo_list  a task's undo list has ipc/sem.c's layout (a semop() with
 *                 SEM_UNDO here; untested if the task already has one)
 *  restart_block  a nanosleep, futex waits and a poll interrupted here leave
 *                 the restart blocks cpt_restart_block.c saves and remakes,
 *                 with the function where cpt reads it, and the task's
 *                 32-bit mark (TS_COMPAT) in the block (clear from a 64-bit
 *                 loader: the mark set is not tested)
 *  x32_syscall    a syscall number marked with __X32_SYSCALL_BIT is what
 *                 the kernel takes for an x32 syscall (in_x32_syscall()),
 *                 not for a 32-bit one (TS_COMPAT clear): read so on a
 *                 task that is not current (the loader's own number marked
 *                 for the test and put back; untested without x32 built in)
 *  own_fd_table   an eventfd made here is not closed at its fd for another
 *                 file, and is for its own; an fd table of cpt's own starts
 *                 empty, holds none of the loader's files (copied from an
 *                 empty template this check makes) and leaves the
 *                 loader's as it was; dup_fd()'s prototype is checked at
 *                 build time, against fdtable.h's (cpt_compat_fdtable.c).
 *                 The checks after it that make fds make them in such a
 *                 table (own_fds below)
 *  recvmmsg_err   a recvmmsg() of 2 on a unix datagram socket holding one,
 *                 interrupted in its wait for the second, returns 1 and
 *                 leaves the wait's error in sk_err: EINTR with a receive
 *                 timeout, ERESTARTSYS without (what the freeze's work
 *                 takes back, cpt_eintr_batch_parked())
 *  timed_sleeper  a kernel thread's do_sigtimedwait() has its deadline in
 *                 the sleeper cpt_timed_wait.c finds on its stack
 *                 (cpt_compat_sleeper.c)
 *  fdinfo_eventfd, fdinfo_signalfd, fdinfo_timerfd, fdinfo_epoll,
 *  fdinfo_inotify, mqueue_text
 *                 the text a checkpoint reads each kind's state from parses
 *                 back to the state of one made here (cpt_compat_fdinfo.c),
 *                 whose file has the f_op found by name, which a restart
 *                 checks the files its syscalls make against
 *  task_attrs     a CPU-time interval timer's time left and an mm's dumpable
 *                 bits read and set as the kernel's syscalls do
 *                 (cpt_compat_task.c)
 *  file_locks     a flock(), an OFD and a POSIX lock taken here read back from
 *                 the inode's lock lists as taken, and memfd_fcntl adds seals
 *                 to a shmem file made here (cpt_compat_lock.c)
 *  seccomp_filter two filters a kernel thread installs with seccomp() read
 *                 back, through the copy of struct seccomp_filter, as what
 *                 was installed: program, flags, prev, counts
 *                 (cpt_compat_seccomp.c)
 *  epoll_tfile    an epoll entry's file found by its fd and rank, and
 *                 replace_fd() putting a file at a chosen fd (one made here;
 *                 cpt_compat_fdinfo.c)
 *  posix_timers   timers made here with the next id set get it, read back as
 *                 timer_gettime() reads them (real and CPU-time clocks),
 *                 and an overrun count written reads back through
 *                 timer_getoverrun() (cpt_compat_ptimers.c)
 *  membarrier     the registrations membarrier() made here read back from
 *                 mm->membarrier_state (cpt_compat_task.c)
 *  pidfd          a pidfd pidfd_open() made here has the f_op found by name
 *                 and the loading task's pid as its private data; a pid
 *                 alloc_pid() made and free_pid() freed is no task's and
 *                 no longer found by its number, and a pidfd of it polls
 *                 readable (cpt_compat_pidfd.c)
 *  file_fasync    O_ASYNC armed here on a pipe's ends and a unix socket
 *                 through fd numbers, and an owner and F_SETSIG signal set
 *                 here, read back as set (cpt_compat_fown.c)
 *  eventfd_ctx    a semaphore eventfd and a plain one made here read back
 *                 (counter, flags) through cpt's struct eventfd_ctx copy
 *                 (cpt_compat_fdinfo.c)
 *  fdinfo_fanotify a fanotify group made here with an inode mark (mask and
 *                 ignore mask) and a filesystem mark on / reads back from its
 *                 fdinfo as made; one made without CAP_SYS_ADMIN has
 *                 FANOTIFY_UNPRIV, one made with it not (cpt_compat_fanotify.c)
 *  tcp_repair     sequence numbers, windows and a timestamp set through TCP
 *                 repair mode's setsockopt() on a socket made here read back
 *                 from its tcp_sock as a checkpoint reads them
 *                 (cpt_compat_tcp.c)
 *  hugetlb_anon   hugetlb_file_setup(HUGETLB_ANON_FILE), which mmap(MAP_HUGETLB)
 *                 calls and a restart calls for it, makes what
 *                 cpt_mm_is_anon_hugetlb() tells from a hugetlbfs file
 *                 with a name, a SysV segment or a memfd
 *  file_refs      dup() of a file made here adds one to its reference
 *                 count and close() takes it away: one reference per fd,
 *                 which a checkpoint --kill counts a TCP connection's
 *                 holders by (cpt_compat_holders.c)
 *  raw_ra_chain   an IPv6 IPPROTO_RAW socket made here with IPV6_ROUTER_ALERT
 *                 is in ip6_ra_chain, and not once it is unset
 *                 (cpt_compat_raw.c)
 *  hugetlb_resv   a hugetlb file of one huge page made here with
 *                 VM_NORESERVE has no region in its inode's resv_map, one
 *                 made without (given a free huge page) has it covered: what
 *                 tells a SHM_NORESERVE segment's unreserved pages
 *                 (cpt_compat_hugetlb.c)
 *  netlink_sock   a NETLINK_ROUTE socket made here reads back through cpt's
 *                 copy of struct netlink_sock's head as getsockname() and
 *                 setsockopt() made it, and as dumping once an RTM_GETLINK
 *                 dump is asked for and not read (cpt_compat_netlink.c)
 *  thp_pmd        a 2 MiB MADV_HUGEPAGE region written here is mapped by
 *                 a huge PMD that cpt's walk finds, whose frame for a small
 *                 page inside is that page's (untested where no huge page
 *                 is given: THP disabled or none free; or missed three
 *                 times, a migration entry in the PMD maybe)
 *  vma_cut        a 3-page mapping made here cut to its middle page with
 *                 split_vma() is three VMAs, the middle one that page;
 *                 the prototypes of split_vma(), anon_vma_fork() and
 *                 copy_page_range() are checked at build time
 *                 (cpt_compat_cow.c)
 * The module parameter compat_fail=NAME[,NAME...] forces each check named to
 * fail after it ran, to test the refusal: a forced failure leaves the kernel
 * as the passed check did, so the later checks still run and fail on their
 * own if forced, each with its line, and the load is refused at the end
 * (one load tests every refusal; a real failure stops the checks at once,
 * since later ones may rely on what it found). compat_checks lists the
 * checks and their outcome, and compat_built_for the kernel release the
 * module was built for.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <generated/utsrelease.h>
#include <linux/compat.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/ipc_namespace.h>
#include <linux/kprobes.h>
#include <linux/futex.h>
#include <linux/hugetlb.h>
#include <linux/kthread.h>
#include <linux/major.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/moduleparam.h>
#include <linux/net.h>
#include <linux/nsproxy.h>
#include <linux/pid_namespace.h>
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sem.h>
#include <linux/shm.h>
#include <linux/socket.h>
#include <linux/tty.h>
#include <linux/uaccess.h>
#include <linux/utsname.h>
#include <net/sock.h>
#include <asm/syscall.h>
#include <uapi/linux/sem.h>
#include <uapi/linux/shm.h>

#include "cpt_compat.h"
#include "cpt_internal.h"
#include "cpt_mm.h"

struct cpt_kernel_symbols cpt_sym;

static unsigned long (*cpt_kallsyms_lookup_name)(const char *name);

/* Only the sem_undo_list check makes a semop(). */
static long (*cpt_sys_semop)(const struct pt_regs *regs);
/* Only the restart_block check sleeps. */
static long (*cpt_sys_nanosleep)(const struct pt_regs *regs);
static long (*cpt_sys_futex)(const struct pt_regs *regs);
static long (*cpt_sys_poll)(const struct pt_regs *regs);
/* Only the recvmmsg_err check receives a batch. */
static long (*cpt_sys_socketpair)(const struct pt_regs *regs);
static long (*cpt_sys_recvmmsg)(const struct pt_regs *regs);

/* A symbol cpt needs; a syscall's has its number, to check it. */
struct cpt_symbol {
	void **field;
	const char *name;
	int nr;		/* __NR_*, or -1 */
};

#define CPT_SYM(field, name) { (void **)&cpt_sym.field, name, -1 }
#define CPT_SYSCALL(field, call) \
	{ (void **)&cpt_sym.field, "__x64_sys_" #call, __NR_##call }

static const struct cpt_symbol cpt_symbols[] = {
	CPT_SYM(ptrace_may_access, "ptrace_may_access"),
	CPT_SYM(set_fs_pwd, "set_fs_pwd"),
	CPT_SYM(set_fs_root, "set_fs_root"),
#ifdef CONFIG_SECURITY_PATH
	CPT_SYM(security_path_chroot, "security_path_chroot"),
#endif
	CPT_SYM(replace_mm_exe_file, "replace_mm_exe_file"),
	CPT_SYSCALL(sys_mremap, mremap),
	CPT_SYM(create_pipe_files, "create_pipe_files"),
	CPT_SYM(pipe_fcntl, "pipe_fcntl"),
	CPT_SYSCALL(sys_eventfd2, eventfd2),
	CPT_SYSCALL(sys_signalfd4, signalfd4),
	CPT_SYSCALL(sys_timerfd_create, timerfd_create),
	CPT_SYSCALL(sys_timerfd_settime, timerfd_settime),
	CPT_SYSCALL(sys_epoll_create1, epoll_create1),
	CPT_SYSCALL(sys_epoll_ctl, epoll_ctl),
	CPT_SYM(put_files_struct, "put_files_struct"),
	CPT_SYSCALL(sys_shmget, shmget),
	CPT_SYSCALL(sys_shmctl, shmctl),
	CPT_SYSCALL(sys_shmat, shmat),
	CPT_SYSCALL(sys_shmdt, shmdt),
	CPT_SYSCALL(sys_semget, semget),
	CPT_SYSCALL(sys_semctl, semctl),
	CPT_SYSCALL(sys_msgget, msgget),
	CPT_SYSCALL(sys_msgctl, msgctl),
	CPT_SYSCALL(sys_msgsnd, msgsnd),
	CPT_SYSCALL(sys_msgrcv, msgrcv),
	CPT_SYSCALL(sys_mprotect, mprotect),
	CPT_SYSCALL(sys_mq_open, mq_open),
	CPT_SYSCALL(sys_mq_unlink, mq_unlink),
	CPT_SYSCALL(sys_unlink, unlink),
	CPT_SYSCALL(sys_renameat2, renameat2),
	CPT_SYSCALL(sys_inotify_init1, inotify_init1),
	CPT_SYSCALL(sys_inotify_add_watch, inotify_add_watch),
	CPT_SYSCALL(sys_mq_getsetattr, mq_getsetattr),
	CPT_SYSCALL(sys_mq_timedsend, mq_timedsend),
	CPT_SYSCALL(sys_mq_timedreceive, mq_timedreceive),
	CPT_SYSCALL(sys_prlimit64, prlimit64),
	CPT_SYSCALL(sys_sched_setattr, sched_setattr),
	CPT_SYSCALL(sys_sched_setaffinity, sched_setaffinity),
	CPT_SYSCALL(sys_ioprio_set, ioprio_set),
	CPT_SYSCALL(sys_setitimer, setitimer),
	CPT_SYSCALL(sys_getitimer, getitimer),
	CPT_SYSCALL(sys_prctl, prctl),
	CPT_SYM(alloc_uid, "alloc_uid"),
	CPT_SYM(set_cred_ucounts, "set_cred_ucounts"),
	CPT_SYM(hrtimer_nanosleep_restart, "hrtimer_nanosleep_restart"),
	CPT_SYM(futex_wait_restart, "futex_wait_restart"),
	CPT_SYM(do_restart_poll, "do_restart_poll"),
	CPT_SYM(hrtimer_wakeup, "hrtimer_wakeup"),
	CPT_SYM(do_epoll_wait, "do_epoll_wait"),
	CPT_SYM(do_sigtimedwait, "do_sigtimedwait"),
	CPT_SYM(copy_siginfo_to_user, "copy_siginfo_to_user"),
	CPT_SYM(shm_file_operations, "shm_file_operations"),
	CPT_SYM(shm_file_operations_huge, "shm_file_operations_huge"),
	CPT_SYM(put_task_stack, "put_task_stack"),
	CPT_SYM(eventfd_fops, "eventfd_fops"),
	CPT_SYM(signalfd_fops, "signalfd_fops"),
	CPT_SYM(timerfd_fops, "timerfd_fops"),
	CPT_SYM(eventpoll_fops, "eventpoll_fops"),
	CPT_SYM(inotify_fops, "inotify_fops"),
	CPT_SYM(mqueue_file_operations, "mqueue_file_operations"),
	CPT_SYM(pidmap_lock, "pidmap_lock"),
	CPT_SYM(pid_max, "pid_max"),
	CPT_SYM(shmem_kernel_file_setup, "shmem_kernel_file_setup"),
	/* file locks and memfd seals */
	CPT_SYM(security_file_lock, "security_file_lock"),
	CPT_SYM(memfd_fcntl, "memfd_fcntl"),
	/* seccomp */
	CPT_SYSCALL(sys_seccomp, seccomp),
	CPT_SYM(arch_seccomp_spec_mitigate, "arch_seccomp_spec_mitigate"),
	/* epoll entries whose fd was closed or reused */
	CPT_SYM(get_epoll_tfile_raw_ptr, "get_epoll_tfile_raw_ptr"),
	CPT_SYM(replace_fd, "replace_fd"),
	/* POSIX timers */
	CPT_SYSCALL(sys_timer_create, timer_create),
	CPT_SYSCALL(sys_timer_settime, timer_settime),
	CPT_SYSCALL(sys_timer_gettime, timer_gettime),
	CPT_SYSCALL(sys_timer_getoverrun, timer_getoverrun),
	CPT_SYSCALL(sys_timer_delete, timer_delete),
	CPT_SYM(send_sigqueue, "send_sigqueue"),
	/* mm and process attributes: locked and advised memory, membarrier, loginuid */
	CPT_SYSCALL(sys_madvise, madvise),
	CPT_SYSCALL(sys_mlockall, mlockall),
	CPT_SYSCALL(sys_membarrier, membarrier),
	CPT_SYM(audit_set_loginuid, "audit_set_loginuid"),
	/* pidfds */
	CPT_SYSCALL(sys_pidfd_open, pidfd_open),
	CPT_SYM(pidfd_fops, "pidfd_fops"),
	CPT_SYM(alloc_pid, "alloc_pid"),
	CPT_SYM(free_pid, "free_pid"),
	/* file owners, O_ASYNC and leases (F_SETLEASE, F_SETFL, F_SETSIG) */
	CPT_SYSCALL(sys_fcntl, fcntl),
	{ (void **)&cpt_sys_semop, "__x64_sys_semop", __NR_semop },
	{ (void **)&cpt_sys_nanosleep, "__x64_sys_nanosleep", __NR_nanosleep },
	{ (void **)&cpt_sys_futex, "__x64_sys_futex", __NR_futex },
	{ (void **)&cpt_sys_poll, "__x64_sys_poll", __NR_poll },
	{ (void **)&cpt_sys_socketpair, "__x64_sys_socketpair", __NR_socketpair },
	{ (void **)&cpt_sys_recvmmsg, "__x64_sys_recvmmsg", __NR_recvmmsg },
	/* TCP and UDP sockets */
	CPT_SYSCALL(sys_socket, socket),
	CPT_SYSCALL(sys_setsockopt, setsockopt),
	CPT_SYSCALL(sys_bind, bind),
	CPT_SYSCALL(sys_connect, connect),
	CPT_SYSCALL(sys_listen, listen),
	/* fanotify instances and their marks */
	CPT_SYSCALL(sys_fanotify_init, fanotify_init),
	CPT_SYSCALL(sys_fanotify_mark, fanotify_mark),
	CPT_SYM(fanotify_fops, "fanotify_fops"),
	/* restarts in a user namespace */
	CPT_SYM(may_setgroups, "may_setgroups"),
	/* hugetlb memory */
	CPT_SYM(hugetlb_file_setup, "hugetlb_file_setup"),
	/* AIO contexts and their rings */
	CPT_SYSCALL(sys_io_setup, io_setup),
	CPT_SYSCALL(sys_io_submit, io_submit),
	CPT_SYSCALL(sys_io_destroy, io_destroy),
	/* deleted FIFOs and device nodes, made again as the restoring task */
	CPT_SYSCALL(sys_mknod, mknod),
	/* ICMP ping and raw sockets: IPv6 router-alert listeners */
	CPT_SYM(ip6_ra_chain, "ip6_ra_chain"),
	CPT_SYM(ip6_ra_lock, "ip6_ra_lock"),
	/* a child's memory shared copy-on-write with its restored parent again */
	CPT_SYM(anon_vma_fork, "anon_vma_fork"),
	CPT_SYM(copy_page_range, "copy_page_range"),
	CPT_SYM(flush_tlb_mm_range, "flush_tlb_mm_range"),
	CPT_SYM(split_vma, "split_vma"),
	/* the restoring task's fd table, which others may share */
	CPT_SYM(dup_fd, "dup_fd"),
	CPT_SYM(close_fd_get_file_locked, "__close_fd_get_file"),
};

/* Why the last check failed, for the one message that names it. */
static char cpt_compat_why[192];

__printf(1, 2) int cpt_compat_fail(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(cpt_compat_why, sizeof(cpt_compat_why), fmt, args);
	va_end(args);
	return -ENOEXEC;
}

__printf(1, 2) int cpt_compat_untested(const char *fmt, ...)
{
	va_list args;

	va_start(args, fmt);
	vsnprintf(cpt_compat_why, sizeof(cpt_compat_why), fmt, args);
	va_end(args);
	return CPT_COMPAT_UNTESTED;
}

static int cpt_check_release(void)
{
	const char *running = init_utsname()->release;

	if (strcmp(running, UTS_RELEASE))
		return cpt_compat_fail("built for %s, running %s", UTS_RELEASE, running);
	return 0;
}

static int cpt_check_symbols(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	unsigned int i;
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		cpt_compat_fail("cannot find kallsyms_lookup_name (register_kprobe: %d)", ret);
		return ret;
	}
	cpt_kallsyms_lookup_name = (void *)kp.addr;
	unregister_kprobe(&kp);

	for (i = 0; i < ARRAY_SIZE(cpt_symbols); i++) {
		*cpt_symbols[i].field = (void *)cpt_kallsyms_lookup_name(cpt_symbols[i].name);
		if (!*cpt_symbols[i].field) {
			cpt_compat_fail("this kernel lacks %s, which cpt needs",
					cpt_symbols[i].name);
			return -ENOENT;
		}
	}
	return 0;
}

/*
 * A name is only a name: the kernel the table belongs to calls exactly these
 * functions for these syscall numbers, and cpt_sys() passes them the
 * arguments of those syscalls.
 */
static int cpt_check_syscalls(void)
{
	const sys_call_ptr_t *table;
	unsigned int i;

	table = (const sys_call_ptr_t *)cpt_kallsyms_lookup_name("sys_call_table");
	if (!table)
		return cpt_compat_fail("no sys_call_table to compare the syscalls with");
	for (i = 0; i < ARRAY_SIZE(cpt_symbols); i++) {
		const struct cpt_symbol *sym = &cpt_symbols[i];

		if (sym->nr >= 0 && (void *)table[sym->nr] != *sym->field)
			return cpt_compat_fail("%s is not syscall %d's entry in sys_call_table",
					       sym->name, sym->nr);
	}
	return 0;
}

static bool cpt_compat_probes;

static int cpt_check_kretprobes(void)
{
	int ret = cpt_nextid_init();

	if (ret) {
		cpt_compat_fail("cannot probe do_exit, alloc_pid and devpts_new_index (%d)", ret);
		return ret;
	}
	cpt_compat_probes = true;
	return 0;
}

/*
 * The alloc_pid probe reads the pid namespace from di and the set_tid
 * array's size from dx, and writes the array to si: while this check runs,
 * every call it sees is compared with what the calling (forking) task must
 * pass, the pid namespace for its children.
 */
static bool cpt_compat_watch_alloc_pid;
static atomic_t cpt_compat_alloc_pid_seen;

void cpt_compat_saw_alloc_pid(const struct pt_regs *regs)
{
	if (!READ_ONCE(cpt_compat_watch_alloc_pid))
		return;
	if (regs->di == (unsigned long)current->nsproxy->pid_ns_for_children &&
	    regs->dx <= MAX_PID_NS_LEVEL)
		atomic_inc(&cpt_compat_alloc_pid_seen);
}

static int cpt_compat_idle(void *unused)
{
	return 0;
}

/* The end of a check's kernel thread that has done its part: 0 once stopped. */
int cpt_compat_wait_for_stop(void)
{
	while (!kthread_should_stop()) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (!kthread_should_stop())
			schedule();
	}
	__set_current_state(TASK_RUNNING);
	return 0;
}

static int cpt_check_alloc_pid_args(void)
{
	struct task_struct *thread;

	atomic_set(&cpt_compat_alloc_pid_seen, 0);
	WRITE_ONCE(cpt_compat_watch_alloc_pid, true);
	/* kthreadd forks it, in the initial pid namespace, before this returns. */
	thread = kthread_create(cpt_compat_idle, NULL, "cpt-compat");
	WRITE_ONCE(cpt_compat_watch_alloc_pid, false);
	if (IS_ERR(thread))
		return cpt_compat_fail("cannot make a kernel thread to watch alloc_pid (%ld)",
				       PTR_ERR(thread));
	/* Never woken: it ends without running cpt_compat_idle. */
	kthread_stop(thread);
	if (!atomic_read(&cpt_compat_alloc_pid_seen))
		return cpt_compat_fail("alloc_pid's probe saw no (ns, size) in (di, dx)");
	return 0;
}

/* The task whose exit the task_exit check waits to see. */
static struct task_struct *cpt_compat_exiting;
static bool cpt_compat_exit_seen;

void cpt_compat_saw_task_exit(void)
{
	if (READ_ONCE(cpt_compat_exiting) == current)
		WRITE_ONCE(cpt_compat_exit_seen, true);
}

static int cpt_check_task_exit(void)
{
	struct task_struct *thread;

	thread = kthread_create(cpt_compat_idle, NULL, "cpt-compat");
	if (IS_ERR(thread))
		return cpt_compat_fail("cannot make a kernel thread to watch do_exit (%ld)",
				       PTR_ERR(thread));
	WRITE_ONCE(cpt_compat_exit_seen, false);
	WRITE_ONCE(cpt_compat_exiting, thread);
	/* Ends the thread through do_exit, and waits for it. */
	kthread_stop(thread);
	WRITE_ONCE(cpt_compat_exiting, NULL);
	if (!READ_ONCE(cpt_compat_exit_seen))
		return cpt_compat_fail("do_exit's probe did not run in a kernel thread exiting");
	return 0;
}

/* While the pidmap_lock check runs: cursor moves seen, and those locked. */
static bool cpt_compat_watch_pid_cursor;
static atomic_t cpt_compat_pid_cursor_seen;
static atomic_t cpt_compat_pid_cursor_locked;

static int cpt_compat_pid_cursor_move(struct kprobe *p, struct pt_regs *regs)
{
	if (!READ_ONCE(cpt_compat_watch_pid_cursor) || regs->di != (unsigned long)&init_pid_ns.idr)
		return 0;
	atomic_inc(&cpt_compat_pid_cursor_seen);
	/* Held (by this caller) or the try takes it, and it goes back at once. */
	if (spin_trylock(cpt_sym.pidmap_lock))
		spin_unlock(cpt_sym.pidmap_lock);
	else
		atomic_inc(&cpt_compat_pid_cursor_locked);
	return 0;
}

static int cpt_check_pidmap_lock(void)
{
	struct kprobe kp = {
		.symbol_name = "idr_alloc_cyclic",
		.pre_handler = cpt_compat_pid_cursor_move,
	};
	struct task_struct *thread;
	int ret, pid_max = READ_ONCE(*cpt_sym.pid_max);

	if (pid_max <= CPT_RESERVED_PIDS || pid_max > PID_MAX_LIMIT)
		return cpt_compat_fail("pid_max is %d, no pid limit", pid_max);
	ret = register_kprobe(&kp);
	if (ret)
		return cpt_compat_untested("cannot probe idr_alloc_cyclic (%d)", ret);
	atomic_set(&cpt_compat_pid_cursor_seen, 0);
	atomic_set(&cpt_compat_pid_cursor_locked, 0);
	WRITE_ONCE(cpt_compat_watch_pid_cursor, true);
	/* kthreadd allocates its pid in the initial namespace before this returns. */
	thread = kthread_create(cpt_compat_idle, NULL, "cpt-compat");
	WRITE_ONCE(cpt_compat_watch_pid_cursor, false);
	unregister_kprobe(&kp);
	if (IS_ERR(thread))
		return cpt_compat_fail("cannot make a kernel thread to watch its pid (%ld)",
				       PTR_ERR(thread));
	kthread_stop(thread);
	if (!atomic_read(&cpt_compat_pid_cursor_seen))
		return cpt_compat_fail("alloc_pid took no pid with idr_alloc_cyclic");
	if (atomic_read(&cpt_compat_pid_cursor_locked) != atomic_read(&cpt_compat_pid_cursor_seen))
		return cpt_compat_fail("alloc_pid's idr_alloc_cyclic ran without pidmap_lock held");
	return 0;
}

/* The task whose ptmx open the pts_fs_info check watches, and what it saw. */
static struct task_struct *cpt_compat_pty_opener;
static void *cpt_compat_pty_fsi;

void cpt_compat_saw_new_pty_index(const struct pt_regs *regs)
{
	if (READ_ONCE(cpt_compat_pty_opener) == current)
		WRITE_ONCE(cpt_compat_pty_fsi, (void *)regs->di);
}

/*
 * The pty's master keeps the instance's pts_fs_info as its driver_data, and
 * its slave the devpts dentry (drivers/tty/pty.c): the probed argument must
 * be both, and the pty's index taken in the ida the copy puts first.
 */
static int cpt_test_pts_fs_info(struct file *ptmx)
{
	struct tty_struct *tty = ((struct tty_file_private *)ptmx->private_data)->tty;
	struct cpt_pts_fs_info *fsi = READ_ONCE(cpt_compat_pty_fsi);
	struct dentry *slave = tty->link->driver_data;
	int ret;

	if (!fsi || fsi != tty->driver_data || (void *)fsi != slave->d_sb->s_fs_info)
		return cpt_compat_fail("devpts_new_index's argument is no pts_fs_info");
	if (fsi->sb != slave->d_sb)
		return cpt_compat_fail("pts_fs_info's super block is not after its mount options");
	if (fsi->mount_opts.max <= tty->index || fsi->mount_opts.max > NR_UNIX98_PTY_MAX)
		return cpt_compat_fail("pts_fs_info's max %d is no pty limit (pty %d)",
				       fsi->mount_opts.max, tty->index);
	ret = ida_alloc_range(&fsi->allocated_ptys, tty->index, tty->index, GFP_KERNEL);
	if (ret == -ENOSPC)
		return 0;
	if (ret >= 0)
		ida_free(&fsi->allocated_ptys, ret);
	return cpt_compat_fail("pty %d is not taken in the ida at the start of pts_fs_info (%d)",
			       tty->index, ret);
}

static int cpt_check_pts_fs_info(void)
{
	struct inode *inode;
	struct file *ptmx;
	int ret;

	WRITE_ONCE(cpt_compat_pty_fsi, NULL);
	WRITE_ONCE(cpt_compat_pty_opener, current);
	ptmx = filp_open("/dev/ptmx", O_RDWR | O_NOCTTY, 0);
	WRITE_ONCE(cpt_compat_pty_opener, NULL);
	if (IS_ERR(ptmx))
		return cpt_compat_untested("cannot open /dev/ptmx (%ld)", PTR_ERR(ptmx));
	inode = file_inode(ptmx);
	if (!S_ISCHR(inode->i_mode) || imajor(inode) != TTYAUX_MAJOR || iminor(inode) != 2)
		ret = cpt_compat_untested("/dev/ptmx is not the ptmx device");
	else
		ret = cpt_test_pts_fs_info(ptmx);
	filp_close(ptmx, NULL);
	return ret;
}

static int cpt_test_shm_file(struct file *file, long id)
{
	const struct cpt_shm_file_data *sfd = file->private_data;

	if (file->f_op != cpt_sym.shm_file_operations &&
	    file->f_op != cpt_sym.shm_file_operations_huge)
		return cpt_compat_fail("a SysV attachment's f_op is no shm_file_operations");
	if (sfd->id != id || sfd->ns != current->nsproxy->ipc_ns)
		return cpt_compat_fail("a SysV attachment's private data is no {id %ld, ns} (%d)",
				       id, sfd->id);
	return 0;
}

static int cpt_check_shm_file_data(void)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	struct file *file = NULL;
	long id, addr;
	int ret;

	if (!mm)
		return cpt_compat_untested("the loading task has no memory to attach a segment to");
	id = cpt_sys(cpt_sym.sys_shmget, IPC_PRIVATE, PAGE_SIZE, IPC_CREAT | 0600, 0, 0);
	if (id < 0)
		return cpt_compat_untested("cannot make a SysV segment (%ld)", id);
	addr = cpt_sys(cpt_sym.sys_shmat, id, 0, SHM_RDONLY, 0, 0);
	if (IS_ERR_VALUE(addr)) {
		ret = cpt_compat_fail("cannot attach the SysV segment just made (%ld)", addr);
		goto out;
	}
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file)
		file = get_file(vma->vm_file);
	mmap_read_unlock(mm);
	cpt_sys(cpt_sym.sys_shmdt, addr, 0, 0, 0, 0);
	if (file) {
		ret = cpt_test_shm_file(file, id);
		fput(file);
	} else {
		ret = cpt_compat_fail("shmat's address has no file mapped");
	}
out:
	cpt_sys(cpt_sym.sys_shmctl, id, IPC_RMID, 0, 0, 0);
	return ret;
}

/*
 * What the loading task's MAP_SHARED | MAP_ANONYMOUS memory is mapped from,
 * and what shmem_kernel_file_setup() makes: the same kind of file, which a
 * checkpoint knows as shared anonymous memory.
 */
static int cpt_test_shmem_zero(struct file *mapped, struct file *made)
{
	struct inode *inode = file_inode(made);

	if (!cpt_mm_is_shared_anon(mapped))
		return cpt_compat_fail("shared anonymous memory is no private shmem \"dev/zero\"");
	if (!cpt_mm_is_shared_anon(made) || made->f_op != mapped->f_op ||
	    inode->i_sb != file_inode(mapped)->i_sb || !(made->f_mode & FMODE_WRITE))
		return cpt_compat_fail("shmem_kernel_file_setup makes another kind of file");
	if (i_size_read(inode) != PAGE_SIZE || i_size_read(file_inode(mapped)) != PAGE_SIZE)
		return cpt_compat_fail("a shared memory object's size is not its i_size");
	return 0;
}

static int cpt_check_shmem_zero(void)
{
	struct mm_struct *mm = current->mm;
	struct file *mapped = NULL, *made;
	struct vm_area_struct *vma;
	unsigned long addr;
	int ret;

	if (!mm)
		return cpt_compat_untested("the loading task has no memory to map");
	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return cpt_compat_untested("cannot map shared anonymous memory (%ld)", (long)addr);
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma->vm_file)
		mapped = get_file(vma->vm_file);
	mmap_read_unlock(mm);
	vm_munmap(addr, PAGE_SIZE);
	if (!mapped)
		return cpt_compat_fail("shared anonymous memory has no file");
	made = cpt_sym.shmem_kernel_file_setup("dev/zero", PAGE_SIZE, VM_NORESERVE);
	if (IS_ERR(made)) {
		ret = cpt_compat_fail("shmem_kernel_file_setup failed (%ld)", PTR_ERR(made));
	} else {
		ret = cpt_test_shmem_zero(mapped, made);
		fput(made);
	}
	fput(mapped);
	return ret;
}

static bool cpt_sem_undos_empty(struct cpt_sem_undo_list *ulp)
{
	bool empty;

	spin_lock(&ulp->lock);
	empty = list_empty(&ulp->list_proc);
	spin_unlock(&ulp->lock);
	return empty;
}

/*
 * A semop() with SEM_UNDO gives the task an undo list with one entry (one
 * reference: its only task), and removing the set empties it again.
 */
static int cpt_test_sem_undo_list(long id, unsigned long ops)
{
	struct cpt_sem_undo_list *ulp;
	long ret;

	ret = cpt_sys(cpt_sys_semop, id, ops, 1, 0, 0);
	if (ret)
		ret = cpt_compat_fail("semop with SEM_UNDO failed (%ld)", ret);
	ulp = (void *)current->sysvsem.undo_list;
	if (!ret && (!ulp || refcount_read(&ulp->refcnt) != 1 || cpt_sem_undos_empty(ulp)))
		ret = cpt_compat_fail("a semop with SEM_UNDO made no list of one undo, one ref");
	cpt_sys(cpt_sym.sys_semctl, id, 0, IPC_RMID, 0, 0);
	if (!ret && !cpt_sem_undos_empty(ulp))
		ret = cpt_compat_fail("removing the set leaves its undo in list_proc");
	return ret;
}

static int cpt_check_sem_undo_list(void)
{
	struct sembuf op = { .sem_num = 0, .sem_op = 1, .sem_flg = SEM_UNDO };
	struct cpt_ubuf ub = {};
	long id;
	int ret;

	/* A thread of a process with undos (CLONE_SYSVSEM) shares its list. */
	if (!current->mm || current->sysvsem.undo_list)
		return cpt_compat_untested("the loading task already has an undo list");
	ret = cpt_ubuf_get(&ub, sizeof(op));
	if (ret)
		return cpt_compat_untested("no user memory for a semop (%d)", ret);
	id = cpt_sys(cpt_sym.sys_semget, IPC_PRIVATE, 1, IPC_CREAT | 0600, 0, 0);
	if (id < 0) {
		ret = cpt_compat_untested("cannot make a semaphore set (%ld)", id);
	} else if (copy_to_user((void __user *)ub.addr, &op, sizeof(op))) {
		ret = cpt_compat_untested("cannot write the semop's operation");
		cpt_sys(cpt_sym.sys_semctl, id, 0, IPC_RMID, 0, 0);
	} else {
		ret = cpt_test_sem_undo_list(id, ub.addr);	/* removes the set */
	}
	cpt_ubuf_put(&ub);
	return ret;
}

/*
 * A sleep interrupted before it starts (TIF_NOTIFY_SIGNAL set, as the
 * freeze's task work sets it) leaves the restart block that
 * cpt_restart_block.c reads and writes: each kind's function, its arguments
 * and its deadline where the copy of struct restart_block has them, and the
 * futex flags' values. The loading task's own restart block is put back.
 */
#define CPT_CHECK_SLEEP_NS (10 * NSEC_PER_SEC)
#define CPT_CHECK_BITSET 0x5a

struct cpt_check_sleep_mem {
	struct __kernel_timespec req;
	struct __kernel_timespec rem;
	u32 word;
};

/* Whether deadline is the check's sleep from a time between before and after. */
static bool cpt_check_deadline(s64 deadline, ktime_t before, ktime_t after)
{
	return deadline >= before + CPT_CHECK_SLEEP_NS &&
	       deadline <= after + CPT_CHECK_SLEEP_NS + NSEC_PER_SEC;
}

/*
 * Whether t's syscall, the one t is blocked in (or current's), is a 32-bit
 * one: x86's TS_COMPAT, which syscall entry sets or clears, and which
 * set_restart_fn() copies into the restart block's arch_data (the bit
 * in_ia32_syscall() reads). Partly checked (restart_block): the block
 * of the loading task's nanosleep has the task's mark, clear from a
 * 64-bit loader; the mark set, a 32-bit syscall's, is not tested.
 */
/*
 * The number of the syscall regs are in, as the kernel reads it: orig_ax
 * holds all 64 bits of the caller's rax, but the kernel dispatches on its
 * low 32 (entry_64.S's movslq, do_syscall_64()'s and syscall_32_enter()'s
 * int) and restarts on them (syscall_get_nr()): negative when regs are in
 * no syscall.
 */
int cpt_compat_syscall_nr(const struct pt_regs *regs)
{
	return (int)regs->orig_ax;
}

bool cpt_compat_syscall_32bit(struct task_struct *t)
{
	return task_thread_info(t)->status & TS_COMPAT;
}

/*
 * Whether regs, a task's blocked in a syscall, are those of an x32
 * syscall: its number carries __X32_SYSCALL_BIT (in_x32_syscall() reads
 * so, but current's only), its arguments in the 64-bit registers, and
 * TS_COMPAT clear. Checked: x32_syscall.
 */
bool cpt_compat_syscall_x32(const struct pt_regs *regs)
{
#ifdef CONFIG_X86_X32_ABI
	return cpt_compat_syscall_nr(regs) & __X32_SYSCALL_BIT;
#else
	return false;
#endif
}

bool cpt_compat_restart_32bit(const struct restart_block *rb)
{
	return rb->arch_data & TS_COMPAT;
}

/* The function t's restart_syscall() calls. Checked: restart_block. */
cpt_restart_fn_t cpt_compat_restart_fn(struct task_struct *t)
{
	return READ_ONCE(t->restart_block.fn);
}

static int cpt_test_restart_nanosleep(unsigned long mem)
{
	struct cpt_check_sleep_mem __user *m = (void __user *)mem;
	struct restart_block *rb = &current->restart_block;
	struct __kernel_timespec req = { .tv_sec = CPT_CHECK_SLEEP_NS / NSEC_PER_SEC };
	struct __kernel_timespec rem;
	ktime_t before, after;
	long ret;

	if (copy_to_user(&m->req, &req, sizeof(req)))
		return cpt_compat_untested("cannot write nanosleep's argument");
	before = ktime_get();
	ret = cpt_sys(cpt_sys_nanosleep, (unsigned long)&m->req, (unsigned long)&m->rem, 0, 0,
		      0);
	after = ktime_get();
	if (ret != -ERESTART_RESTARTBLOCK ||
	    cpt_compat_restart_fn(current) != cpt_sym.hrtimer_nanosleep_restart)
		return cpt_compat_fail("an interrupted nanosleep returned %ld, restart %ps", ret,
				       rb->fn);
	/* The loader's syscall's mark (clear from a 64-bit insmod), copied by set_restart_fn() */
	if (cpt_compat_restart_32bit(rb) != cpt_compat_syscall_32bit(current))
		return cpt_compat_fail("a nanosleep's restart block has not its task's %s",
				       "TS_COMPAT");
	if (copy_from_user(&rem, &m->rem, sizeof(rem)))
		return cpt_compat_untested("cannot read nanosleep's time left");
	if (rb->nanosleep.clockid != CLOCK_MONOTONIC || rb->nanosleep.type != TT_NATIVE ||
	    rb->nanosleep.rmtp != &m->rem || rem.tv_sec > req.tv_sec ||
	    rem.tv_sec < req.tv_sec - 1 ||
	    !cpt_check_deadline(rb->nanosleep.expires, before, after))
		return cpt_compat_fail("nanosleep's restart block is no {clock, type, rmtp, %s}",
				       "expires");
	return 0;
}

static int cpt_test_restart_futex(unsigned long mem, int op, u32 flags)
{
	struct cpt_check_sleep_mem __user *m = (void __user *)mem;
	struct restart_block *rb = &current->restart_block;
	bool absolute = (op & FUTEX_CMD_MASK) == FUTEX_WAIT_BITSET;
	struct pt_regs regs = {
		.di = (unsigned long)&m->word,
		.si = op,
		.r10 = (unsigned long)&m->req,
		.r9 = CPT_CHECK_BITSET,		/* val3, FUTEX_WAIT_BITSET's bitset */
	};
	struct timespec64 ts;
	struct __kernel_timespec req;
	ktime_t before, after, now;
	long ret;

	now = absolute ? ktime_get_real() : 0;
	ts = ktime_to_timespec64(now + CPT_CHECK_SLEEP_NS);
	req = (struct __kernel_timespec){ .tv_sec = ts.tv_sec, .tv_nsec = ts.tv_nsec };
	if (copy_to_user(&m->req, &req, sizeof(req)) || put_user(0, &m->word))
		return cpt_compat_untested("cannot write the futex and its timeout");
	before = absolute ? now : ktime_get();
	ret = cpt_sys_futex(&regs);
	after = absolute ? now : ktime_get();
	if (ret != -ERESTART_RESTARTBLOCK || rb->fn != cpt_sym.futex_wait_restart)
		return cpt_compat_fail("an interrupted futex op %d returned %ld, restart %ps",
				       op, ret, rb->fn);
	if (rb->futex.uaddr != &m->word || rb->futex.val ||
	    rb->futex.bitset != (absolute ? CPT_CHECK_BITSET : FUTEX_BITSET_MATCH_ANY) ||
	    rb->futex.flags != flags || !cpt_check_deadline(rb->futex.time, before, after))
		return cpt_compat_fail("futex op %d's restart block is no %s %#x, time} (%#x)",
				       op, "{uaddr, val, bitset, flags", flags, rb->futex.flags);
	return 0;
}

static int cpt_test_restart_poll(unsigned long mem)
{
	struct restart_block *rb = &current->restart_block;
	ktime_t before, after;
	struct timespec64 end;
	long ret;

	before = ktime_get();
	ret = cpt_sys(cpt_sys_poll, mem, 0, CPT_CHECK_SLEEP_NS / NSEC_PER_MSEC, 0, 0);
	after = ktime_get();
	if (ret != -ERESTART_RESTARTBLOCK || rb->fn != cpt_sym.do_restart_poll)
		return cpt_compat_fail("an interrupted poll returned %ld, restart %ps", ret,
				       rb->fn);
	end.tv_sec = rb->poll.tv_sec;
	end.tv_nsec = rb->poll.tv_nsec;
	if (rb->poll.ufds != (void __user *)mem || rb->poll.nfds || !rb->poll.has_timeout ||
	    !cpt_check_deadline(timespec64_to_ktime(end), before, after))
		return cpt_compat_fail("poll's restart block is no {ufds, nfds, has_timeout, tv}");
	return 0;
}

static int cpt_check_restart_block(void)
{
	struct restart_block saved = current->restart_block;
	bool notified = test_thread_flag(TIF_NOTIFY_SIGNAL);
	struct cpt_ubuf ub = {};
	int ret;

	if (!current->mm)
		return cpt_compat_untested("the loading task has no memory to sleep with");
	ret = cpt_ubuf_get(&ub, sizeof(struct cpt_check_sleep_mem));
	if (ret)
		return cpt_compat_untested("no user memory to sleep with (%d)", ret);
	set_thread_flag(TIF_NOTIFY_SIGNAL);
	ret = cpt_test_restart_nanosleep(ub.addr);
	if (!ret)
		ret = cpt_test_restart_futex(ub.addr, FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
					     CPT_FUTEX_FLAGS_HAS_TIMEOUT);
	if (!ret)
		ret = cpt_test_restart_futex(ub.addr, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME,
					     CPT_FUTEX_FLAGS_SHARED | CPT_FUTEX_FLAGS_CLOCKRT |
					     CPT_FUTEX_FLAGS_HAS_TIMEOUT);
	if (!ret)
		ret = cpt_test_restart_poll(ub.addr);
	if (!notified)
		clear_notify_signal();
	current->restart_block = saved;
	cpt_ubuf_put(&ub);
	return ret;
}

/* The loader's syscall number marked as an x32 one for a moment, as the kernel reads it. */
static int cpt_check_x32_syscall(void)
{
#ifdef CONFIG_X86_X32_ABI
	struct pt_regs *regs = task_pt_regs(current);
	unsigned long nr = regs->orig_ax;
	bool x32, ia32, ours, compat;

	if (in_32bit_syscall())
		return cpt_compat_untested("the loader's syscall is not a 64-bit one");
	regs->orig_ax = __X32_SYSCALL_BIT | nr;
	x32 = in_x32_syscall();
	ia32 = in_ia32_syscall();
	ours = cpt_compat_syscall_x32(regs);
	compat = cpt_compat_syscall_32bit(current);
	regs->orig_ax = nr;
	if (!x32 || ia32 || !ours || compat || cpt_compat_syscall_x32(regs))
		return cpt_compat_fail("a number marked x32 reads as x32 %d, ia32 %d, %s %d, %s %d",
				       x32, ia32, "cpt's x32", ours, "TS_COMPAT", compat);
	return 0;
#else
	return cpt_compat_untested("this kernel runs no x32 syscalls");
#endif
}

/* The user memory of the recvmmsg_err check. */
struct cpt_check_mmsg_mem {
	struct mmsghdr vec[2];
	struct iovec iov[2];
	char buf[2][8];
	struct __kernel_old_timeval timeo;
	int sv[2];
};

/*
 * One recvmmsg() of 2 on sv[0], with SO_RCVTIMEO timeo_sec (0: none),
 * after one datagram sent, interrupted in its wait for the second: 0 if
 * it returned 1 and left want in sk_err, which it then clears.
 */
static int cpt_test_recvmmsg(struct cpt_check_mmsg_mem __user *m, const int *sv,
			     long timeo_sec, int want)
{
	struct cpt_check_mmsg_mem k = {};
	bool notified = test_thread_flag(TIF_NOTIFY_SIGNAL);
	struct kvec vec = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = {};
	struct socket *rx, *tx;
	struct file *rf, *tf;
	int i, err, ret = 0;
	long n;

	k.timeo.tv_sec = timeo_sec;
	for (i = 0; i < 2; i++) {
		k.iov[i].iov_base = &m->buf[i];
		k.iov[i].iov_len = sizeof(m->buf[i]);
		k.vec[i].msg_hdr.msg_iov = &m->iov[i];
		k.vec[i].msg_hdr.msg_iovlen = 1;
	}
	if (copy_to_user(m, &k, offsetof(struct cpt_check_mmsg_mem, sv)))
		return cpt_compat_untested("cannot write recvmmsg()'s arguments");
	n = cpt_sys(cpt_sym.sys_setsockopt, sv[0], SOL_SOCKET, SO_RCVTIMEO_OLD,
		    (unsigned long)&m->timeo, sizeof(m->timeo));
	rf = fget(sv[0]);
	tf = fget(sv[1]);
	rx = rf ? sock_from_file(rf) : NULL;
	tx = tf ? sock_from_file(tf) : NULL;
	if (n || !rx || !tx || kernel_sendmsg(tx, &msg, &vec, 1, 1) != 1) {
		ret = cpt_compat_untested("cannot set up a unix datagram pair (%ld)", n);
		goto out;
	}
	set_thread_flag(TIF_NOTIFY_SIGNAL);
	n = cpt_sys(cpt_sys_recvmmsg, sv[0], (unsigned long)m->vec, 2, 0, 0);
	if (!notified)
		clear_notify_signal();
	err = xchg(&rx->sk->sk_err, 0);
	if (n != 1 || err != want)
		ret = cpt_compat_fail("an interrupted recvmmsg() of 2 (%s) returned %ld, sk_err %d",
				      timeo_sec ? "SO_RCVTIMEO" : "no timeout", n, err);
out:
	if (tf)
		fput(tf);
	if (rf)
		fput(rf);
	return ret;
}

static int cpt_check_recvmmsg_err(void)
{
	struct cpt_check_mmsg_mem __user *m;
	struct cpt_ubuf ub = {};
	struct file *made[2];
	int sv[2], ret, i;
	long n;

	if (!current->mm)
		return cpt_compat_untested("the loading task has no memory to receive into");
	ret = cpt_ubuf_get(&ub, sizeof(*m));
	if (ret)
		return cpt_compat_untested("no user memory to receive into (%d)", ret);
	m = (void __user *)ub.addr;
	n = cpt_sys(cpt_sys_socketpair, AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0,
		    (unsigned long)m->sv, 0);
	if (n || copy_from_user(sv, m->sv, sizeof(sv))) {
		cpt_ubuf_put(&ub);
		return cpt_compat_untested("no unix datagram pair (%ld)", n);
	}
	/* What each fd holds as made: closed only while it does (else it goes with the table). */
	for (i = 0; i < 2; i++)
		made[i] = fget(sv[i]);
	ret = cpt_test_recvmmsg(m, sv, 60, EINTR);
	if (!ret)
		ret = cpt_test_recvmmsg(m, sv, 0, ERESTARTSYS);
	for (i = 0; i < 2; i++) {
		cpt_compat_own_fd_close(sv[i], made[i]);
		if (made[i])
			fput(made[i]);
	}
	cpt_ubuf_put(&ub);
	return ret;
}

/*
 * own_fds: a check whose system calls make fds (and then name them, close
 * them) runs in an fd table of the module's own (cpt_compat_own_fds_enter(),
 * checked first by own_fd_table): the fds it names are the ones it made,
 * whatever the loader's other threads do to theirs, and any it leaves
 * open go with the table. No such table, no load: the check never runs
 * elsewhere, nor is skipped.
 */
struct cpt_compat_check {
	const char *name;
	int (*run)(void);
	bool own_fds;
};

/*
 * Made with no size, so that no huge page is reserved; a kernel without
 * hugetlbfs's mount for its default page size has no such memory to save.
 */
static int cpt_check_hugetlb_anon(void)
{
	struct file *file;
	int ret = 0;

	file = cpt_sym.hugetlb_file_setup(HUGETLB_ANON_FILE, 0, VM_NORESERVE,
					  HUGETLB_ANONHUGE_INODE, 0);
	if (IS_ERR(file))
		return cpt_compat_untested("no hugetlb memory here (%ld)", PTR_ERR(file));
	if (!cpt_mm_is_anon_hugetlb(file))
		ret = cpt_compat_fail("MAP_HUGETLB's file is not what cpt takes it for");
	fput(file);
	return ret;
}

static const struct cpt_compat_check cpt_compat_checks[] = {
	{ "release", cpt_check_release },
	{ "symbols", cpt_check_symbols },
	{ "syscalls", cpt_check_syscalls },
	{ "kretprobes", cpt_check_kretprobes },
	{ "alloc_pid_args", cpt_check_alloc_pid_args },
	{ "task_exit", cpt_check_task_exit },
	{ "pidmap_lock", cpt_check_pidmap_lock },
	{ "pts_fs_info", cpt_check_pts_fs_info },
	{ "shm_file_data", cpt_check_shm_file_data },
	{ "shmem_zero", cpt_check_shmem_zero },
	{ "sem_undo_list", cpt_check_sem_undo_list },
	{ "restart_block", cpt_check_restart_block },
	{ "x32_syscall", cpt_check_x32_syscall },
	/* the restoring task's fd table, which others may share (issue 12); the checks' own */
	{ "own_fd_table", cpt_check_own_fd_table },
	{ "recvmmsg_err", cpt_check_recvmmsg_err, true },
	{ "timed_sleeper", cpt_check_timed_sleeper },
	{ "fdinfo_eventfd", cpt_check_fdinfo_eventfd, true },
	{ "fdinfo_signalfd", cpt_check_fdinfo_signalfd, true },
	{ "fdinfo_timerfd", cpt_check_fdinfo_timerfd, true },
	{ "fdinfo_epoll", cpt_check_fdinfo_epoll, true },
	{ "fdinfo_inotify", cpt_check_fdinfo_inotify, true },
	{ "mqueue_text", cpt_check_mqueue_text, true },
	{ "task_attrs", cpt_check_task_attrs },
	{ "file_locks", cpt_check_file_locks },
	{ "seccomp_filter", cpt_check_seccomp_filter },
	/* epoll entries whose fd was closed or reused */
	{ "epoll_tfile", cpt_check_epoll_tfile, true },
	/* POSIX timers */
	{ "posix_timers", cpt_check_posix_timers },
	{ "membarrier", cpt_check_membarrier },
	/* pidfds */
	{ "pidfd", cpt_check_pidfd, true },
	/* file owners, O_ASYNC and leases */
	{ "file_fasync", cpt_check_file_fasync },
	/* eventfds read without a probe (issue 12, F13) */
	{ "eventfd_ctx", cpt_check_eventfd_ctx, true },
	/* fanotify instances and their marks */
	{ "fdinfo_fanotify", cpt_check_fdinfo_fanotify, true },
	/* established TCP connections */
	{ "tcp_repair", cpt_check_tcp_repair },
	/* hugetlb memory */
	{ "hugetlb_anon", cpt_check_hugetlb_anon },
	/* AIO contexts and their rings */
	{ "aio_ctx", cpt_check_aio_ctx, true },
	/* TCP connections shared outside the tree (checkpoint --kill) */
	{ "file_refs", cpt_check_file_refs, true },
	/* ICMP ping and raw sockets */
	{ "raw_ra_chain", cpt_check_raw_ra_chain },
	/* SHM_NORESERVE segments (issue 13) */
	{ "hugetlb_resv", cpt_check_hugetlb_resv },
	/* unix connections not accepted yet */
	{ "unix_embryo", cpt_check_unix_embryo },
	/* fds in flight in unix messages (SCM_RIGHTS) */
	{ "scm_rights", cpt_check_scm_rights, true },
	/* UDP datagrams queued */
	{ "udp_queue", cpt_check_udp_queue },
	/* UDP data corked (issue 14) */
	{ "udp_cork", cpt_check_udp_cork },
	/* netlink sockets (issue 14) */
	{ "netlink_sock", cpt_check_netlink_sock },
	/* memory shared copy-on-write: huge pages, VMAs a restart merged (issue 13) */
	{ "thp_pmd", cpt_check_thp_pmd },
	{ "vma_cut", cpt_check_vma_cut },
};

/* Each check's outcome: 0 passed, CPT_COMPAT_UNTESTED, or not run (-1). */
static int cpt_compat_outcome[ARRAY_SIZE(cpt_compat_checks)] = {
	[0 ... ARRAY_SIZE(cpt_compat_checks) - 1] = -1
};

static char *compat_fail;
module_param(compat_fail, charp, 0444);
MODULE_PARM_DESC(compat_fail, "make this compat check fail at load (tests the refusal)");

static int cpt_param_read_only(const char *val, const struct kernel_param *kp)
{
	return -EPERM;
}

/* One line per check: its name and "ok" or "untested". */
static int cpt_param_get_checks(char *buf, const struct kernel_param *kp)
{
	int len = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_compat_checks); i++)
		len += sysfs_emit_at(buf, len, "%s %s\n", cpt_compat_checks[i].name,
				     cpt_compat_outcome[i] == 0 ? "ok" :
				     cpt_compat_outcome[i] > 0 ? "untested" : "not-run");
	return len;
}

static const struct kernel_param_ops cpt_param_checks_ops = {
	.set = cpt_param_read_only,
	.get = cpt_param_get_checks,
};
module_param_cb(compat_checks, &cpt_param_checks_ops, NULL, 0444);
MODULE_PARM_DESC(compat_checks, "the compat checks run at load, each with its outcome");

static int cpt_param_get_built_for(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", UTS_RELEASE);
}

static const struct kernel_param_ops cpt_param_built_for_ops = {
	.set = cpt_param_read_only,
	.get = cpt_param_get_built_for,
};
module_param_cb(compat_built_for, &cpt_param_built_for_ops, NULL, 0444);
MODULE_PARM_DESC(compat_built_for, "the kernel release the module was built for");

void cpt_compat_exit(void)
{
	if (cpt_compat_probes)
		cpt_nextid_exit();
	cpt_compat_probes = false;
	cpt_compat_own_fds_exit();
}

/* Whether the len bytes at name are the name of a compat check. */
static bool cpt_compat_known(const char *name, size_t len)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_compat_checks); i++)
		if (strlen(cpt_compat_checks[i].name) == len &&
		    !strncmp(cpt_compat_checks[i].name, name, len))
			return true;
	return false;
}

/* Whether name is an entry of compat_fail's comma-separated list. */
static bool cpt_compat_forced(const char *name)
{
	const char *entry = compat_fail;
	size_t len;

	while (entry && *entry) {
		len = strchrnul(entry, ',') - entry;
		if (len == strlen(name) && !strncmp(entry, name, len))
			return true;
		entry += len + (entry[len] == ',');
	}
	return false;
}

/* compat_fail's first entry that names no check (or is empty), its length in len; or NULL. */
static const char *cpt_compat_unknown_forced(size_t *len)
{
	const char *entry = compat_fail;

	for (;;) {
		*len = strchrnul(entry, ',') - entry;
		if (!cpt_compat_known(entry, *len))
			return entry;
		if (!entry[*len])
			return NULL;
		entry += *len + 1;
	}
}

static int cpt_compat_run(const struct cpt_compat_check *check)
{
	struct files_struct *shared;
	int ret;

	if (!check->own_fds)
		return check->run();
	/* A check that cannot run where it must refuses the load: never loaded untested. */
	ret = cpt_compat_own_fds_enter(&shared);
	if (ret)
		return cpt_compat_fail("cannot make an fd table of cpt's own (%d)", ret);
	ret = check->run();
	cpt_compat_own_fds_leave(shared);
	return ret;
}

int cpt_compat_init(void)
{
	unsigned int i, forced = 0;
	const char *unknown;
	size_t len;
	int ret;

	if (compat_fail && *compat_fail) {
		unknown = cpt_compat_unknown_forced(&len);
		if (unknown) {
			pr_err("compat_fail=%.*s names no compat check\n", (int)len, unknown);
			return -EINVAL;
		}
	}

	for (i = 0; i < ARRAY_SIZE(cpt_compat_checks); i++) {
		const struct cpt_compat_check *check = &cpt_compat_checks[i];

		ret = cpt_compat_run(check);
		if (ret == CPT_COMPAT_UNTESTED)
			pr_info("compat check %s untested: %s\n", check->name, cpt_compat_why);
		if (ret >= 0 && cpt_compat_forced(check->name)) {
			pr_err("compat check %s failed: forced by compat_fail=%s\n", check->name,
			       check->name);
			forced++;
			continue;
		}
		if (ret < 0) {
			pr_err("compat check %s failed: %s\n", check->name, cpt_compat_why);
			cpt_compat_exit();
			return ret;
		}
		cpt_compat_outcome[i] = ret;
	}
	if (forced) {
		pr_err("load refused: %u compat checks forced to fail\n", forced);
		cpt_compat_exit();
		return -ENOEXEC;
	}
	return 0;
}

/* The kernel's own rule for attaching a debugger, LSMs (Yama...) included. */
bool cpt_may_checkpoint(struct task_struct *task)
{
	return cpt_sym.ptrace_may_access(task, PTRACE_MODE_ATTACH_REALCREDS);
}

long cpt_sys(long (*call)(const struct pt_regs *regs), unsigned long a0, unsigned long a1,
	     unsigned long a2, unsigned long a3, unsigned long a4)
{
	struct pt_regs regs = { .di = a0, .si = a1, .dx = a2, .r10 = a3, .r8 = a4 };

	return call(&regs);
}

void cpt_ubuf_put(struct cpt_ubuf *ub)
{
	if (ub->addr)
		vm_munmap(ub->addr, ub->size);
	ub->addr = 0;
}

/* At least size bytes; a smaller buffer is replaced, its content lost. */
int cpt_ubuf_get(struct cpt_ubuf *ub, size_t size)
{
	unsigned long addr;

	size = PAGE_ALIGN(max_t(size_t, size, PAGE_SIZE));
	if (ub->addr && ub->size >= size)
		return 0;
	cpt_ubuf_put(ub);
	addr = vm_mmap(NULL, 0, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	ub->addr = addr;
	ub->size = size;
	return 0;
}
