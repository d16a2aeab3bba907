/* SPDX-License-Identifier: GPL-2.0 */
/* A checkpoint or restart session, and the subsystems that work in it. */
#ifndef CPT_SESSION_H
#define CPT_SESSION_H

#include <linux/kref.h>
#include <linux/mutex.h>
#include <linux/path.h>
#include <linux/signal.h>
#include <linux/wait.h>

#include "cpt_compat.h"
#include "cpt_image.h"
#include "cpt_internal.h"
#include "cpt_pb.h"

struct file;
struct pid_namespace;
struct task_struct;
struct cpt_restore_files;
struct cpt_restore_signals;
struct cpt_restore_cpu;
struct cpt_restore_task;
struct cpt_pid_reservation;
struct cpt_file_registry;
struct cpt_ipc_restore;
struct cpt_mm_shmem;

enum cpt_restore_state {
	CPT_RESTORE_RUNNING,	/* the task restores itself */
	CPT_RESTORE_PARKED,	/* restored, waiting for FINALIZE */
	CPT_RESTORE_RELEASED,	/* FINALIZE let it run */
	CPT_RESTORE_FAILED,	/* it failed or died; FINALIZE reports it */
	CPT_RESTORE_ABORTED,	/* the session ended first: the task dies */
};

/* The most tasks one tree may have. */
#define CPT_MAX_TASKS 4096

/* One task of a session's tree, as CPT_REC_TREE describes it. */
struct cpt_task {
	u32 pid;		/* in the root task's pid namespace */
	u32 tgid;
	u32 ppid;
	u32 pgid;
	u32 sid;
	u32 exit_status;	/* a zombie's */
	bool zombie;
	bool subreaper;
	u32 fd_table_of;	/* a process sharing an earlier process's fd table: its pid */
	/* checkpoint: the frozen task; restart: the task restoring itself */
	struct task_struct *task;
	struct cpt_freezer *freezer;
	const void *fd_table;	/* checkpoint: its files_struct, as an identity */
	u32 seccomp_mode;	/* checkpoint: SECCOMP_MODE_*, saved by INIT (cpt_seccomp.c) */
	u32 seccomp_filter;	/* and the id of its chain's last filter */
	struct cpt_jobctl jobctl;	/* restart: its group stop, set up by FINALIZE */

	/* restart: what RESTORE prepared, applied by the task's final step */
	struct cpt_restore_task *rtask;
	struct cpt_restore_signals *signals;
	struct cpt_restore_files *files;
	struct cpt_restore_cpu *cpu;
	struct files_struct *adopted_files; /* the fd table it takes on release */
	enum cpt_restore_state state;
	unsigned int done_subsys;	/* its last record read */
};

static inline bool cpt_task_is_leader(const struct cpt_task *t)
{
	return t->pid == t->tgid;
}

/* What FINALIZE reports (struct cpt_finalize). */
struct cpt_session_stats {
	u64 pages_scanned;
	u64 pages_written;	/* or restored */
	u64 mm_scan_ns;
	u64 mm_write_ns;
};

struct cpt_session {
	struct kref ref;
	struct mutex lock;	/* all below */
	int mode;
	struct cpt_image img;
	unsigned int last_subsys; /* checkpoint: subsystems go in increasing order */
	int error;		/* first failure; only finalize or close remain */
	/* restart: which task failed first, at what, and the module's note */
	char failure[CPT_MESSAGE_MAX];
	pid_t coordinator;	/* the process that started the session */
	struct cpt_task *tasks;	/* the tree, in record order */
	unsigned int nr_tasks;
	struct cpt_task *cur;	/* the task a subsystem's save or restore is about */
	struct cpt_session_stats stats;
	/* the open files of the whole tree, by image id (cpt_files.c) */
	struct cpt_file_registry *files;
	/* restart: the SysV objects INIT made (cpt_ipc.c) */
	struct cpt_ipc_restore *ipc;
	/* the shared anonymous memory of the whole tree (cpt_mm_shmem.c) */
	struct cpt_mm_shmem *shmem;
	/* restart: the image's seccomp filters, made as tasks need them (cpt_seccomp.c) */
	struct cpt_seccomp_restore *seccomp;
	/* the records INIT wrote or read: the caller's own record comes right after them */
	u64 init_records;
	bool user_record_done;
	/* restart: the INIT caller's, where an unmapped image group is read (cpt_image_group()) */
	struct user_namespace *init_user_ns;

	/* checkpoint */
	struct pid_namespace *pid_ns;	/* the root's, pinned at INIT: the ids the image gives */
	ktime_t frozen_at;
	u64 xfeatures;		/* what the saved xstate may hold */
	bool frozen;
	bool tcp_established;	/* CPT_INIT_TCP_ESTABLISHED: --kill holds connections */
	bool ext_unix_sk;	/* CPT_INIT_EXT_UNIX_SK: unix connections outside saved */
	bool kill;		/* CPT_INIT_KILL: the tree's own connections held, FINALIZE kills */

	/* restart: the next record to read is subsystem rec_subsys of tasks[rec_task] */
	unsigned int rec_subsys;
	unsigned int rec_task;
	bool aborted;
	unsigned int events;	/* restore state changes, for FINALIZE's wait */
	struct cpt_pid_reservation *reserved;
	wait_queue_head_t wq;	/* restore states and the record cursor */
};

void cpt_session_get(struct cpt_session *s);
void cpt_session_put(struct cpt_session *s);

/* Checkpoint: the pid namespace the image's ids are in (the root's); lives as long as s. */
static inline struct pid_namespace *cpt_session_pid_ns(const struct cpt_session *s)
{
	return s->pid_ns;
}

/* Whether task t has a record of subsystem subsys (a zombie has none). */
bool cpt_task_has_record(const struct cpt_task *t, unsigned int subsys);

/* cpt_files.c: the session's file registry, freed with the session. */
void cpt_files_release(struct cpt_session *s);

/* cpt_ipc.c: SysV IPC, saved and made again by INIT, after the tree. */
int cpt_ipc_write(struct cpt_session *s);
int cpt_ipc_read(struct cpt_session *s);
void cpt_ipc_finish(struct cpt_session *s);
void cpt_ipc_abort(struct cpt_session *s);
void cpt_ipc_free(struct cpt_session *s);
int cpt_ipc_next_id(u32 id_kind, u64 id);
int cpt_ipc_shm_id(struct file *attachment);
int cpt_ipc_attach(int id, unsigned long start, unsigned long len, unsigned long offset,
		   u32 prot, u64 huge_page_size);

/* cpt_seccomp.c: seccomp filters, saved and read by INIT after the IPC record. */
int cpt_seccomp_write(struct cpt_session *s);
int cpt_seccomp_read(struct cpt_session *s);
void cpt_seccomp_free(struct cpt_session *s);
int cpt_seccomp_check(struct cpt_session *s, u32 pid, u32 mode, u32 filter, bool no_new_privs);
int cpt_seccomp_apply(struct cpt_session *s, u32 mode, u32 filter);

/* cpt_jobctl.c: job control, in the Task record; a restart's set up by FINALIZE. */
int cpt_jobctl_save(struct task_struct *t, struct cpt_pb_buf *msg);
int cpt_jobctl_decode(struct cpt_jobctl *j, const struct cpt_pb_field *f);
int cpt_jobctl_check(const struct cpt_jobctl *j, bool leader, u32 pid);
int cpt_jobctl_apply(struct cpt_session *s);

/* cpt_tree.c */
int cpt_tree_freeze(struct cpt_session *s, struct task_struct *root, pid_t root_nr);
void cpt_tree_thaw(struct cpt_session *s);
int cpt_tree_write(struct cpt_session *s);
int cpt_tree_held(struct cpt_session *s);
int cpt_tree_read(struct cpt_session *s);
void cpt_tree_free(struct cpt_session *s);

/*
 * One subsystem: save() encodes the frozen target's state as the record's
 * message; restore() decodes and checks a message and prepares, in the
 * session, what the final step applies to the restoring task (it must not
 * change the task yet, so that a refusal leaves it as it was); free()
 * releases what restore() prepared. MM is special: it writes and reads its
 * own records, pages included, and is applied by the final step itself.
 */
struct cpt_subsys_ops {
	const char *name;
	u16 record;
	int (*save)(struct cpt_session *s, struct cpt_pb_buf *msg);
	int (*restore)(struct cpt_session *s, const void *msg, size_t len);
	void (*free)(struct cpt_session *s);
};

extern const struct cpt_subsys_ops cpt_task_ops;
extern const struct cpt_subsys_ops cpt_signals_ops;
extern const struct cpt_subsys_ops cpt_files_ops;
extern const struct cpt_subsys_ops cpt_cpu_ops;

/* cpt_mm_save.c, cpt_mm_restore.c */
int cpt_mm_save(struct cpt_session *s);
int cpt_mm_restore(struct cpt_session *s);
void cpt_mm_shmem_release(struct cpt_session *s);

/*
 * cpt_task_open.c: paths of the image opened for the task being restored, with
 * the credentials that opened them (an Opener message; saved false: the
 * task's own from the image). data points into the record being restored.
 */
struct cpt_opener {
	const u8 *data;
	size_t len;
	bool saved;
};

struct path;
void cpt_opener_save(struct cpt_pb_buf *msg, u32 field, struct file *file);
int cpt_opener_decode(struct cpt_opener *o, const struct cpt_pb_field *f);
int cpt_opener_of_file(struct cpt_opener *o, const void *record, size_t len);
int cpt_task_lookup(struct cpt_session *s, const char *what, const char *name,
		    unsigned int flags, struct path *p);
int cpt_task_may(struct cpt_session *s, const char *what, const char *name,
		 const struct path *p, int mask);
int cpt_task_may_open(struct cpt_session *s, const char *what, const char *name,
		      const struct path *p, int flags, const struct cpt_opener *o);
struct file *cpt_task_open(struct cpt_session *s, const char *what, const char *name,
			   int flags, const struct cpt_opener *o);

/* The restoring task's root and working directory, while it looks up as the task (cpt_task.c). */
struct cpt_task_fs {
	struct path root, pwd;
};

void cpt_task_fs_enter(struct cpt_session *s, struct cpt_task_fs *was);
void cpt_task_fs_leave(struct cpt_task_fs *was);

/* The final step's parts, each applied to current, in cpt_session.c's order. */
int cpt_task_apply(struct cpt_session *s);
int cpt_signals_apply(struct cpt_session *s);
int cpt_files_apply(struct cpt_session *s);
void cpt_files_adopt(struct cpt_task *t);
int cpt_cpu_apply(struct cpt_session *s, struct file *pin);
void cpt_signals_blocked(struct cpt_session *s, sigset_t *blocked);
void cpt_task_forget_user_pointers(void);
void cpt_task_apply_user_pointers(struct cpt_session *s);
bool cpt_session_threads_parked(struct cpt_session *s);

/* The xstate features this CPU and kernel give user space. */
u64 cpt_cpu_user_xfeatures(void);
unsigned int cpt_cpu_xstate_size(void);

#endif /* CPT_SESSION_H */
