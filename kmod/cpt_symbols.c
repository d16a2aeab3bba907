// SPDX-License-Identifier: GPL-2.0
/*
 * The few kernel functions cpt needs that 6.1 does not export. They are
 * looked up once, at load, through kallsyms_lookup_name (itself found with a
 * kprobe); if any is missing the module refuses to load and says which.
 * Keep every such use here: this is the part that breaks across kernels.
 */
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/ptrace.h>
#include <linux/sched.h>

#include "cpt_internal.h"
#include "cpt_symbols.h"

struct cpt_kernel_symbols cpt_sym;

static unsigned long (*cpt_kallsyms_lookup_name)(const char *name);

static int cpt_find_kallsyms(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	int ret;

	ret = register_kprobe(&kp);
	if (ret) {
		pr_err("cannot find kallsyms_lookup_name (register_kprobe: %d)\n", ret);
		return ret;
	}
	cpt_kallsyms_lookup_name = (void *)kp.addr;
	unregister_kprobe(&kp);
	return 0;
}

static int cpt_resolve(void **field, const char *name)
{
	*field = (void *)cpt_kallsyms_lookup_name(name);
	if (*field)
		return 0;
	pr_err("this kernel lacks %s, which cpt needs\n", name);
	return -ENOENT;
}

int cpt_symbols_init(void)
{
	int ret;

	ret = cpt_find_kallsyms();
	if (ret)
		return ret;
	return cpt_resolve((void **)&cpt_sym.ptrace_may_access, "ptrace_may_access") ?:
	       cpt_resolve((void **)&cpt_sym.set_fs_pwd, "set_fs_pwd") ?:
	       cpt_resolve((void **)&cpt_sym.replace_mm_exe_file, "replace_mm_exe_file") ?:
	       cpt_resolve((void **)&cpt_sym.sys_mremap, "__x64_sys_mremap") ?:
	       cpt_resolve((void **)&cpt_sym.create_pipe_files, "create_pipe_files") ?:
	       cpt_resolve((void **)&cpt_sym.pipe_fcntl, "pipe_fcntl") ?:
	       cpt_resolve((void **)&cpt_sym.sys_eventfd2, "__x64_sys_eventfd2") ?:
	       cpt_resolve((void **)&cpt_sym.sys_signalfd4, "__x64_sys_signalfd4") ?:
	       cpt_resolve((void **)&cpt_sym.sys_timerfd_create, "__x64_sys_timerfd_create") ?:
	       cpt_resolve((void **)&cpt_sym.sys_timerfd_settime, "__x64_sys_timerfd_settime") ?:
	       cpt_resolve((void **)&cpt_sym.sys_epoll_create1, "__x64_sys_epoll_create1") ?:
	       cpt_resolve((void **)&cpt_sym.sys_epoll_ctl, "__x64_sys_epoll_ctl") ?:
	       cpt_resolve((void **)&cpt_sym.put_files_struct, "put_files_struct") ?:
	       cpt_resolve((void **)&cpt_sym.sys_shmget, "__x64_sys_shmget") ?:
	       cpt_resolve((void **)&cpt_sym.sys_shmctl, "__x64_sys_shmctl") ?:
	       cpt_resolve((void **)&cpt_sym.sys_shmat, "__x64_sys_shmat") ?:
	       cpt_resolve((void **)&cpt_sym.sys_shmdt, "__x64_sys_shmdt") ?:
	       cpt_resolve((void **)&cpt_sym.sys_semget, "__x64_sys_semget") ?:
	       cpt_resolve((void **)&cpt_sym.sys_semctl, "__x64_sys_semctl") ?:
	       cpt_resolve((void **)&cpt_sym.sys_msgget, "__x64_sys_msgget") ?:
	       cpt_resolve((void **)&cpt_sym.sys_msgctl, "__x64_sys_msgctl") ?:
	       cpt_resolve((void **)&cpt_sym.sys_msgsnd, "__x64_sys_msgsnd") ?:
	       cpt_resolve((void **)&cpt_sym.sys_msgrcv, "__x64_sys_msgrcv") ?:
	       cpt_resolve((void **)&cpt_sym.sys_mprotect, "__x64_sys_mprotect") ?:
	       cpt_resolve((void **)&cpt_sym.sys_mq_open, "__x64_sys_mq_open") ?:
	       cpt_resolve((void **)&cpt_sym.sys_unlink, "__x64_sys_unlink") ?:
	       cpt_resolve((void **)&cpt_sym.sys_inotify_init1, "__x64_sys_inotify_init1") ?:
	       cpt_resolve((void **)&cpt_sym.sys_inotify_add_watch,
			   "__x64_sys_inotify_add_watch") ?:
	       cpt_resolve((void **)&cpt_sym.sys_mq_getsetattr, "__x64_sys_mq_getsetattr") ?:
	       cpt_resolve((void **)&cpt_sym.sys_mq_timedsend, "__x64_sys_mq_timedsend") ?:
	       cpt_resolve((void **)&cpt_sym.sys_mq_timedreceive, "__x64_sys_mq_timedreceive") ?:
	       cpt_resolve((void **)&cpt_sym.alloc_uid, "alloc_uid") ?:
	       cpt_resolve((void **)&cpt_sym.set_cred_ucounts, "set_cred_ucounts") ?:
	       cpt_resolve((void **)&cpt_sym.shm_file_operations, "shm_file_operations") ?:
	       cpt_resolve((void **)&cpt_sym.shm_file_operations_huge, "shm_file_operations_huge");
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
