// SPDX-License-Identifier: GPL-2.0
/*
 * The few kernel functions cpt needs that 6.1 does not export. They are
 * looked up once, at load, through kallsyms_lookup_name (itself found with a
 * kprobe); if any is missing the module refuses to load and says which.
 * Keep every such use here: this is the part that breaks across kernels.
 */
#include <linux/kprobes.h>
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
	       cpt_resolve((void **)&cpt_sym.shm_file_operations, "shm_file_operations") ?:
	       cpt_resolve((void **)&cpt_sym.shm_file_operations_huge, "shm_file_operations_huge");
}

/* The kernel's own rule for attaching a debugger, LSMs (Yama...) included. */
bool cpt_may_checkpoint(struct task_struct *task)
{
	return cpt_sym.ptrace_may_access(task, PTRACE_MODE_ATTACH_REALCREDS);
}
