/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_SYMBOLS_H
#define CPT_SYMBOLS_H

#include <linux/types.h>

struct task_struct;
struct fs_struct;
struct path;
struct mm_struct;
struct file;
struct pt_regs;
struct files_struct;

struct cpt_kernel_symbols {
	bool (*ptrace_may_access)(struct task_struct *task, unsigned int mode);
	void (*set_fs_pwd)(struct fs_struct *fs, const struct path *path);
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
	/* what a SysV segment's attachment has as its f_op */
	const struct file_operations *shm_file_operations;
	const struct file_operations *shm_file_operations_huge;
};

extern struct cpt_kernel_symbols cpt_sym;

#endif /* CPT_SYMBOLS_H */
