/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_INTERNAL_H
#define CPT_INTERNAL_H

#include <linux/ktime.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/cpt.h>

#define CPT_FEATURES_SUPPORTED (CPT_FEATURE_SESSION | CPT_FEATURE_NEXT_PID | \
				CPT_FEATURE_MESSAGES | CPT_FEATURE_TREE | \
				CPT_FEATURE_STATS | CPT_FEATURE_SYSV_IPC | \
				CPT_FEATURE_PTY | CPT_FEATURE_AUTH | \
				CPT_FEATURE_NEW_PIDNS | CPT_FEATURE_TCP_HOLD | \
				CPT_FEATURE_EXT_UNIX_SK | \
				CPT_FEATURE_USER_RECORDS | \
				CPT_FEATURE_INIT_NS_GROUPS | \
				CPT_FEATURE_NETLINK | CPT_FEATURE_PACKET | \
				CPT_FEATURE_TIMED_WAITS | \
				CPT_FEATURE_TCP_SYN_SENT | \
				CPT_FEATURE_UNIX_PENDING_RIGHTS | \
				CPT_FEATURE_SOCKET_OPTIONS | \
				CPT_FEATURE_INIT_KILL)

struct cpt_session;
struct cpt_restore;
struct files_struct;

/* One open /dev/cpt. A session, when there is one, belongs to it. */
struct cpt_file {
	struct file *file;
	struct mutex lock;		/* guards session */
	struct cpt_session *session;
	/* Why the last failed ioctl failed, for the task that made it. */
	char message[CPT_MESSAGE_MAX];
	pid_t message_owner;
};

/* Every ioctl argument, so that one buffer on the stack fits them all. */
union cpt_ioctl_arg {
	struct cpt_api api;
	struct cpt_init init;
	struct cpt_subsys subsys;
	struct cpt_finalize finalize;
	struct cpt_next_id next_id;
	struct cpt_message message;
	struct cpt_key key;
	struct cpt_hold hold;
	struct cpt_user_record user_record;
};

/*
 * A handler's "success, and copy nothing back": the restored task's final
 * step, whose caller's memory (and the argument in it) was replaced.
 */
#define CPT_RET_RESTORED 1

u64 cpt_supported_ioctls(void);
long cpt_ioctl_api(struct cpt_file *cf, union cpt_ioctl_arg *arg);

/* cpt_session.c */
long cpt_ioctl_init(struct cpt_file *cf, union cpt_ioctl_arg *arg);
long cpt_ioctl_save(struct cpt_file *cf, union cpt_ioctl_arg *arg);
long cpt_ioctl_restore(struct cpt_file *cf, union cpt_ioctl_arg *arg);
long cpt_ioctl_finalize(struct cpt_file *cf, union cpt_ioctl_arg *arg);
long cpt_ioctl_user_record(struct cpt_file *cf, union cpt_ioctl_arg *arg);
void cpt_session_abort(struct cpt_session *s);
void cpt_session_close(struct cpt_file *cf, struct files_struct *closer);

/*
 * cpt_message.c: cpt_note() logs why something failed and keeps the first
 * such note of the calling task's ioctl, for CPT_IOC_MESSAGE.
 */
struct cpt_note_slot {
	struct hlist_node node;
	struct task_struct *task;
	char text[CPT_MESSAGE_MAX];
};

__printf(1, 2) void cpt_note(const char *fmt, ...);
void cpt_note_begin(struct cpt_note_slot *slot);
void cpt_note_end(struct cpt_note_slot *slot, struct cpt_file *cf, long ret);
long cpt_ioctl_message(struct cpt_file *cf, union cpt_ioctl_arg *arg);
void cpt_note_pending(char *buf, size_t size);
/* cpt_session.c: a restart's first failure, for its coordinator, or "". */
void cpt_session_failure(struct cpt_file *cf, char *buf, size_t size);

/* cpt_nextid.c */
long cpt_ioctl_set_next_id(struct cpt_file *cf, union cpt_ioctl_arg *arg);
int cpt_nextid_init(void);
int cpt_set_next_pty(u64 index);
int cpt_nextid_reserve(struct cpt_session *s, bool new_pidns);
void cpt_nextid_unreserve(struct cpt_session *s);
bool cpt_nextid_may_restore(const struct cpt_session *s);
void cpt_nextid_exit(void);

/*
 * cpt_task_attrs.c: a task's scheduling and prctl attributes, saved with
 * its TASK record (the process's with its main thread's), decoded from it
 * and applied to the restoring task before and after its credentials.
 */
struct cpt_pb_buf;
struct cpt_pb_field;
struct cpt_task_attrs;
struct task_struct;
int cpt_task_attrs_save(struct task_struct *t, u32 pid, struct cpt_pb_buf *msg);
int cpt_task_attrs_decode(struct cpt_task_attrs **attrs, const struct cpt_pb_field *f);
int cpt_task_attrs_apply(const struct cpt_task_attrs *attrs);
void cpt_task_attrs_apply_after_creds(const struct cpt_task_attrs *attrs);
void cpt_task_attrs_free(struct cpt_task_attrs *attrs);

/*
 * cpt_posix_timers.c: a process's POSIX timers, saved into its ProcessAttrs
 * message and restored with its attributes.
 */
struct cpt_ptimers;
int cpt_posix_timers_save(struct task_struct *t, struct cpt_pb_buf *p);
int cpt_posix_timers_decode(struct cpt_ptimers **ptimers, const struct cpt_pb_field *f);
int cpt_posix_timers_apply(const struct cpt_ptimers *ptimers, pid_t pid);
void cpt_posix_timers_free(struct cpt_ptimers *ptimers);
int cpt_posix_timers_check_tree(const struct cpt_ptimers *ptimers, struct cpt_session *s);
int cpt_task_attrs_check_tree(const struct cpt_task_attrs *attrs, struct cpt_session *s);
int cpt_task_attrs_check_caller(const struct cpt_task_attrs *attrs, pid_t pid);

/* cpt_compat.c: the kernel's unexported functions we use, found at load. */
bool cpt_may_checkpoint(struct task_struct *task);

/* cpt_freeze.c: parks a task at its next return to user mode. */
struct cpt_freezer;
struct cpt_freezer *cpt_freeze(struct task_struct *task);
void cpt_thaw(struct cpt_freezer *fz);
void cpt_thaw_begin(struct cpt_freezer *fz);
void cpt_thaw_end(struct cpt_freezer *fz);
/* Whether a task frozen in a group stop stayed stopped (issue 13). */
bool cpt_freezer_held(struct cpt_freezer *fz, struct task_struct *task);
bool cpt_freezer_lost_wait(struct cpt_freezer *fz);

#endif /* CPT_INTERNAL_H */
