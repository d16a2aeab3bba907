// SPDX-License-Identifier: GPL-2.0
/*
 * The task itself: its ids, name, umask, personality, credentials, resource
 * limits and working directory. A restart never grants more than the
 * restarting caller has: credentials other than the caller's need its
 * CAP_SETUID/CAP_SETGID, raised hard limits its CAP_SYS_RESOURCE.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/personality.h>
#include <linux/pid_namespace.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

#define CPT_MAX_GROUPS 65536
/* The kernel's default fs.nr_open, which is not exported. */
#define CPT_NR_OPEN_MAX (1024 * 1024)

struct cpt_restore_task {
	u32 pid;
	char comm[TASK_COMM_LEN];
	u32 umask;
	u32 personality;
	u32 ids[8];		/* uid, euid, suid, fsuid, gid, egid, sgid, fsgid */
	struct group_info *groups;
	struct rlimit rlim[RLIM_NLIMITS];
	bool rlim_set[RLIM_NLIMITS];
	struct path cwd;
	bool has_cwd;
};

static const u32 cpt_id_fields[8] = {
	CPT_PB_TASK_UID, CPT_PB_TASK_EUID, CPT_PB_TASK_SUID, CPT_PB_TASK_FSUID,
	CPT_PB_TASK_GID, CPT_PB_TASK_EGID, CPT_PB_TASK_SGID, CPT_PB_TASK_FSGID,
};

static int cpt_save_path(struct cpt_pb_buf *msg, u32 field, const struct path *path)
{
	char *buf, *name;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	name = d_path(path, buf, PATH_MAX);
	if (!IS_ERR(name))
		cpt_pb_string(msg, field, name);
	kfree(buf);
	return PTR_ERR_OR_ZERO(name);
}

static void cpt_save_creds(struct task_struct *t, struct cpt_pb_buf *msg)
{
	struct user_namespace *ns = current_user_ns();
	const struct cred *cred = get_task_cred(t);
	u32 ids[8] = {
		from_kuid_munged(ns, cred->uid), from_kuid_munged(ns, cred->euid),
		from_kuid_munged(ns, cred->suid), from_kuid_munged(ns, cred->fsuid),
		from_kgid_munged(ns, cred->gid), from_kgid_munged(ns, cred->egid),
		from_kgid_munged(ns, cred->sgid), from_kgid_munged(ns, cred->fsgid),
	};
	int i;

	for (i = 0; i < 8; i++)
		cpt_pb_u64(msg, cpt_id_fields[i], ids[i]);
	for (i = 0; i < cred->group_info->ngroups; i++)
		cpt_pb_varint(msg, CPT_PB_TASK_GROUPS,
			      from_kgid_munged(ns, cred->group_info->gid[i]));
	put_cred(cred);
}

static void cpt_save_rlimits(struct task_struct *t, struct cpt_pb_buf *msg)
{
	struct rlimit rlim[RLIM_NLIMITS];
	struct cpt_pb_buf one;
	int i;

	task_lock(t->group_leader);
	memcpy(rlim, t->signal->rlim, sizeof(rlim));
	task_unlock(t->group_leader);
	for (i = 0; i < RLIM_NLIMITS; i++) {
		cpt_pb_init(&one);
		cpt_pb_varint(&one, CPT_PB_RLIMIT_RESOURCE, i);
		cpt_pb_varint(&one, CPT_PB_RLIMIT_CUR, rlim[i].rlim_cur);
		cpt_pb_varint(&one, CPT_PB_RLIMIT_MAX, rlim[i].rlim_max);
		cpt_pb_message(msg, CPT_PB_TASK_RLIMITS, &one);
	}
}

static int cpt_task_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	struct pid_namespace *ns = task_active_pid_ns(current);
	struct task_struct *t = s->target;
	char comm[TASK_COMM_LEN];
	struct path cwd, root;
	u32 umask;
	int ret;

	cpt_pb_u64(msg, CPT_PB_TASK_PID, task_pid_nr_ns(t, ns));
	cpt_pb_u64(msg, CPT_PB_TASK_TGID, task_tgid_nr_ns(t, ns));
	rcu_read_lock();
	cpt_pb_u64(msg, CPT_PB_TASK_PPID, task_tgid_nr_ns(rcu_dereference(t->real_parent), ns));
	rcu_read_unlock();
	cpt_pb_u64(msg, CPT_PB_TASK_PGID, task_pgrp_nr_ns(t, ns));
	cpt_pb_u64(msg, CPT_PB_TASK_SID, task_session_nr_ns(t, ns));
	cpt_pb_string(msg, CPT_PB_TASK_COMM, __get_task_comm(comm, sizeof(comm), t));
	cpt_pb_u64(msg, CPT_PB_TASK_PERSONALITY, t->personality);
	cpt_save_creds(t, msg);
	cpt_save_rlimits(t, msg);

	task_lock(t);
	if (!t->fs) {
		task_unlock(t);
		return -ESRCH;
	}
	umask = t->fs->umask;
	get_fs_pwd(t->fs, &cwd);
	get_fs_root(t->fs, &root);
	task_unlock(t);
	cpt_pb_u64(msg, CPT_PB_TASK_UMASK, umask);
	ret = cpt_save_path(msg, CPT_PB_TASK_CWD, &cwd);
	if (!ret)
		ret = cpt_save_path(msg, CPT_PB_TASK_ROOT, &root);
	path_put(&cwd);
	path_put(&root);
	return ret;
}

static int cpt_decode_rlimit(struct cpt_restore_task *rt, const struct cpt_pb_field *f)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field g;
	u32 resource = RLIM_NLIMITS;
	u64 cur = 0, max = 0;
	int ret;

	cpt_pb_get_message(f, &r);
	while ((ret = cpt_pb_next(&r, &g)) > 0) {
		if (g.num == CPT_PB_RLIMIT_RESOURCE)
			ret = cpt_pb_get_u32(&g, &resource);
		else if (g.num == CPT_PB_RLIMIT_CUR)
			ret = cpt_pb_get_u64(&g, &cur);
		else if (g.num == CPT_PB_RLIMIT_MAX)
			ret = cpt_pb_get_u64(&g, &max);
		else
			ret = 0;
		if (ret)
			return ret;
	}
	if (ret || resource >= RLIM_NLIMITS || cur > max || rt->rlim_set[resource])
		return -EBADMSG;
	rt->rlim[resource].rlim_cur = cur;
	rt->rlim[resource].rlim_max = max;
	rt->rlim_set[resource] = true;
	return 0;
}

static int cpt_decode_groups(struct cpt_restore_task *rt, const u32 *gids, int n)
{
	struct user_namespace *ns = current_user_ns();
	int i;

	rt->groups = groups_alloc(n);
	if (!rt->groups)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rt->groups->gid[i] = make_kgid(ns, gids[i]);
		if (!gid_valid(rt->groups->gid[i]))
			return -EINVAL;
	}
	groups_sort(rt->groups);
	return 0;
}

static int cpt_decode_task(struct cpt_restore_task *rt, const void *data, size_t len,
			   char *cwd, char *root)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 *gids;
	int ngroups = 0, ret, i;

	gids = kvmalloc_array(CPT_MAX_GROUPS, sizeof(*gids), GFP_KERNEL);
	if (!gids)
		return -ENOMEM;
	cpt_pb_reader_init(&r, data, len);
	while ((ret = cpt_pb_next(&r, &f)) > 0) {
		ret = 0;	/* fields for display only (ppid, sid...) are skipped */
		for (i = 0; i < 8; i++)
			if (f.num == cpt_id_fields[i])
				ret = cpt_pb_get_u32(&f, &rt->ids[i]);
		switch (f.num) {
		case CPT_PB_TASK_PID:
			ret = cpt_pb_get_u32(&f, &rt->pid);
			break;
		case CPT_PB_TASK_COMM:
			ret = cpt_pb_get_string(&f, rt->comm, sizeof(rt->comm));
			break;
		case CPT_PB_TASK_UMASK:
			ret = cpt_pb_get_u32(&f, &rt->umask);
			break;
		case CPT_PB_TASK_PERSONALITY:
			ret = cpt_pb_get_u32(&f, &rt->personality);
			break;
		case CPT_PB_TASK_GROUPS:
			if (ngroups == CPT_MAX_GROUPS)
				ret = -EBADMSG;
			else
				ret = cpt_pb_get_u32(&f, &gids[ngroups++]);
			break;
		case CPT_PB_TASK_RLIMITS:
			ret = f.wire == CPT_PB_BYTES ? cpt_decode_rlimit(rt, &f) : -EBADMSG;
			break;
		case CPT_PB_TASK_CWD:
			ret = cpt_pb_get_string(&f, cwd, PATH_MAX);
			break;
		case CPT_PB_TASK_ROOT:
			ret = cpt_pb_get_string(&f, root, PATH_MAX);
			break;
		}
		if (ret)
			break;
	}
	if (!ret)
		ret = cpt_decode_groups(rt, gids, ngroups);
	kvfree(gids);
	if (!ret && (rt->umask & ~0777 || rt->personality == PER_LINUX32))
		ret = -EBADMSG;
	return ret;
}

/* The restarting caller's root must be the saved one: a restart does not chroot. */
static int cpt_check_root(const char *saved)
{
	struct path root;
	char *buf, *name;
	int ret;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	get_fs_root(current->fs, &root);
	name = d_path(&root, buf, PATH_MAX);
	ret = IS_ERR(name) ? PTR_ERR(name) : strcmp(name, saved) ? -EOPNOTSUPP : 0;
	if (ret == -EOPNOTSUPP)
		cpt_note("image was taken under root %s, not %s\n", saved, name);
	path_put(&root);
	kfree(buf);
	return ret;
}

static void cpt_task_free(struct cpt_session *s)
{
	struct cpt_restore_task *rt = s->task;

	if (!rt)
		return;
	if (rt->groups)
		put_group_info(rt->groups);
	if (rt->has_cwd)
		path_put(&rt->cwd);
	kfree(rt);
	s->task = NULL;
}

static int cpt_task_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_restore_task *rt;
	char *cwd, *root;
	int ret;

	rt = kzalloc(sizeof(*rt), GFP_KERNEL);
	cwd = kzalloc(PATH_MAX, GFP_KERNEL);
	root = kzalloc(PATH_MAX, GFP_KERNEL);
	s->task = rt;
	ret = rt && cwd && root ? 0 : -ENOMEM;
	if (!ret)
		ret = cpt_decode_task(rt, data, len, cwd, root);
	/* The user-space builder must have cloned us with the saved pid. */
	if (!ret && rt->pid != task_pid_vnr(current)) {
		cpt_note("restoring task has pid %d, the image says %u\n",
			 task_pid_vnr(current), rt->pid);
		ret = -EINVAL;
	}
	if (!ret)
		ret = cpt_check_root(root);
	if (!ret && *cwd) {
		ret = kern_path(cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &rt->cwd);
		rt->has_cwd = !ret;
	}
	if (!ret) {
		s->restorer = get_task_struct(current);
		s->state = CPT_RESTORE_RUNNING;
	}
	kfree(cwd);
	kfree(root);
	return ret;
}

static int cpt_apply_rlimits(struct cpt_restore_task *rt)
{
	struct rlimit *cur = current->signal->rlim;
	int i;

	for (i = 0; i < RLIM_NLIMITS; i++) {
		if (!rt->rlim_set[i])
			continue;
		if (rt->rlim[i].rlim_max > READ_ONCE(cur[i].rlim_max) &&
		    !capable(CAP_SYS_RESOURCE))
			return -EPERM;
		if (i == RLIMIT_NOFILE && rt->rlim[i].rlim_max > CPT_NR_OPEN_MAX)
			return -EPERM;
	}
	task_lock(current->group_leader);
	for (i = 0; i < RLIM_NLIMITS; i++)
		if (rt->rlim_set[i])
			cur[i] = rt->rlim[i];
	task_unlock(current->group_leader);
	return 0;
}

/*
 * Takes the saved ids if the caller could set them itself (setresuid and
 * setgroups rules), dropping capabilities as setresuid() would.
 */
static int cpt_apply_creds(struct cpt_restore_task *rt)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t uid[4];
	kgid_t gid[4];
	struct cred *new;
	int i;

	for (i = 0; i < 4; i++) {
		uid[i] = make_kuid(ns, rt->ids[i]);
		gid[i] = make_kgid(ns, rt->ids[4 + i]);
		if (!uid_valid(uid[i]) || !gid_valid(gid[i]))
			return -EINVAL;
	}
	new = prepare_creds();
	if (!new)
		return -ENOMEM;
	if ((!uid_eq(uid[0], new->uid) || !uid_eq(uid[1], new->euid) ||
	     !uid_eq(uid[2], new->suid) || !uid_eq(uid[3], new->fsuid)) &&
	    !ns_capable(ns, CAP_SETUID))
		goto out_perm;
	if ((!gid_eq(gid[0], new->gid) || !gid_eq(gid[1], new->egid) ||
	     !gid_eq(gid[2], new->sgid) || !gid_eq(gid[3], new->fsgid)) &&
	    !ns_capable(ns, CAP_SETGID))
		goto out_perm;
	new->uid = uid[0];
	new->euid = uid[1];
	new->suid = uid[2];
	new->fsuid = uid[3];
	new->gid = gid[0];
	new->egid = gid[1];
	new->sgid = gid[2];
	new->fsgid = gid[3];
	if (!uid_eq(new->euid, GLOBAL_ROOT_UID))
		cap_clear(new->cap_effective);
	if (!uid_eq(new->uid, GLOBAL_ROOT_UID) && !uid_eq(new->euid, GLOBAL_ROOT_UID) &&
	    !uid_eq(new->suid, GLOBAL_ROOT_UID)) {
		cap_clear(new->cap_permitted);
		cap_clear(new->cap_effective);
		cap_clear(new->cap_ambient);
	}
	if (!ns_capable(ns, CAP_SETGID) && rt->groups->ngroups) {
		/* Without CAP_SETGID only the current groups can stay. */
		if (rt->groups->ngroups != new->group_info->ngroups ||
		    memcmp(rt->groups->gid, new->group_info->gid,
			   rt->groups->ngroups * sizeof(kgid_t)))
			goto out_perm;
	}
	set_groups(new, rt->groups);
	return commit_creds(new);

out_perm:
	abort_creds(new);
	return -EPERM;
}

/* Applied to the restoring task last before it parks: credentials go last of all. */
int cpt_task_apply(struct cpt_session *s)
{
	struct cpt_restore_task *rt = s->task;
	int ret;

	if (!rt)
		return -EINVAL;
	ret = cpt_apply_rlimits(rt);
	if (ret)
		return ret;
	task_lock(current);
	strscpy_pad(current->comm, rt->comm, sizeof(current->comm));
	task_unlock(current);
	current->fs->umask = rt->umask;
	current->personality = rt->personality;
	if (rt->has_cwd)
		cpt_sym.set_fs_pwd(current->fs, &rt->cwd);
	return cpt_apply_creds(rt);
}

const struct cpt_subsys_ops cpt_task_ops = {
	.name = "task",
	.record = CPT_REC_TASK,
	.save = cpt_task_save,
	.restore = cpt_task_restore,
	.free = cpt_task_free,
};
