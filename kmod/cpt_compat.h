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
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/types.h>

#include "cpt_symbols.h"

struct pt_regs;
struct ipc_namespace;

/*
 * fs/devpts/inode.c's struct pts_fs_info, whose first field is the ida of
 * the instance's pty indexes. Checked: pts_fs_info.
 */
struct cpt_pts_fs_info {
	struct ida allocated_ptys;
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

/* Runs every check; registers the kretprobes. Fails the load if one fails. */
int cpt_compat_init(void);
void cpt_compat_exit(void);

/* Called by the probes' entry handlers; cheap unless a self-test runs. */
void cpt_compat_saw_alloc_pid(const struct pt_regs *regs);
void cpt_compat_saw_new_pty_index(const struct pt_regs *regs);

#endif /* CPT_COMPAT_H */
