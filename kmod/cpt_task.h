/* SPDX-License-Identifier: GPL-2.0 */
/* What the task's files (cpt_task.c, cpt_task_creds.c, cpt_task_open.c) share. */
#ifndef CPT_TASK_H
#define CPT_TASK_H

#include <linux/path.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/types.h>

#include "cpt_compat.h"

struct cpt_pb_buf;
struct cpt_session;
struct cred;
struct group_info;
struct task_struct;

#define CPT_MAX_GROUPS 65536

/* The capability sets of a cred, in the order of cpt_cap_fields. */
enum { CPT_CAP_INH, CPT_CAP_PRM, CPT_CAP_EFF, CPT_CAP_BSET, CPT_CAP_AMB, CPT_NR_CAP_SETS };

struct cpt_restore_task {
	u32 pid;
	char comm[TASK_COMM_LEN];
	u32 umask;
	u32 personality;
	u32 ids[8];		/* uid, euid, suid, fsuid, gid, egid, sgid, fsgid */
	struct group_info *groups;
	u64 caps[CPT_NR_CAP_SETS];
	u32 securebits;
	bool no_new_privs;
	u32 seccomp_mode;
	u32 seccomp_filter;
	struct rlimit rlim[RLIM_NLIMITS];
	bool rlim_set[RLIM_NLIMITS];
	struct path cwd;
	bool has_cwd;
	struct path root;	/* another than the caller's: the task is chrooted into it */
	bool has_root;
	char *root_name;	/* root's path in the image (cpt_below_task_root()) */
	/* user addresses the kernel writes to on the task's behalf */
	u64 clear_child_tid;
	u64 robust_list;
	u64 robust_list_len;
	u64 rseq;
	u32 rseq_len;
	u32 rseq_sig;
	struct cpt_task_attrs *attrs;	/* cpt_task_attrs.c */
	struct cpt_jobctl jobctl;	/* cpt_jobctl.c */
	/* the credentials the task gets last, for its paths meanwhile (cpt_task_open()) */
	const struct cred *image_cred;
};

/* cpt_task_creds.c: the TASK record's fields of the ids and capability sets, in their orders. */
extern const u32 cpt_id_fields[8];
extern const u32 cpt_cap_fields[CPT_NR_CAP_SETS];
int cpt_save_creds(struct task_struct *t, struct cpt_pb_buf *msg);
int cpt_add_unmapped_groups(struct group_info *groups, int n, const struct cred *cred);
kgid_t cpt_image_group(const struct cpt_session *s, u32 gid);
int cpt_decode_groups(const struct cpt_session *s, struct cpt_restore_task *rt,
		      const u32 *gids, int n, bool caller_unmapped);
int cpt_check_creds(const struct cpt_restore_task *rt, const struct cred *cred);
int cpt_apply_creds(struct cpt_restore_task *rt);
int cpt_make_image_cred(struct cpt_restore_task *rt);

#endif /* CPT_TASK_H */
