// SPDX-License-Identifier: GPL-2.0
/*
 * The task itself: its ids, name, umask, personality, credentials, resource
 * limits and working directory, and its sandbox: capability sets,
 * securebits and no_new_privs. A restart never grants more than the
 * restarting caller has: credentials other than the caller's need its
 * CAP_SETUID/CAP_SETGID, raised hard limits its CAP_SYS_RESOURCE, and
 * capabilities and securebits follow capset() and prctl()'s rules. Its
 * seccomp mode and filters (cpt_seccomp.c) go back on last, following
 * seccomp()'s rules.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/futex.h>
#include <linux/rseq.h>
#include <linux/securebits.h>
#include <linux/fs_struct.h>
#include <linux/magic.h>
#include <linux/namei.h>
#include <linux/personality.h>
#include <linux/pid_namespace.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uidgid.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

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

static const u32 cpt_id_fields[8] = {
	CPT_PB_TASK_UID, CPT_PB_TASK_EUID, CPT_PB_TASK_SUID, CPT_PB_TASK_FSUID,
	CPT_PB_TASK_GID, CPT_PB_TASK_EGID, CPT_PB_TASK_SGID, CPT_PB_TASK_FSGID,
};

static const u32 cpt_cap_fields[CPT_NR_CAP_SETS] = {
	CPT_PB_TASK_CAP_INHERITABLE, CPT_PB_TASK_CAP_PERMITTED, CPT_PB_TASK_CAP_EFFECTIVE,
	CPT_PB_TASK_CAP_BSET, CPT_PB_TASK_CAP_AMBIENT,
};

static const char *const cpt_cap_names[CPT_NR_CAP_SETS] = {
	"inheritable", "permitted", "effective", "bounding", "ambient",
};

/* Bit N is capability N, as /proc/PID/status shows the sets. */
static u64 cpt_cap_bits(kernel_cap_t cap)
{
	return (u64)cap.cap[1] << 32 | cap.cap[0];
}

static kernel_cap_t cpt_bits_cap(u64 bits)
{
	kernel_cap_t cap = { { lower_32_bits(bits), upper_32_bits(bits) } };

	return cap;
}

static void cpt_cred_caps(const struct cred *cred, u64 *caps)
{
	caps[CPT_CAP_INH] = cpt_cap_bits(cred->cap_inheritable);
	caps[CPT_CAP_PRM] = cpt_cap_bits(cred->cap_permitted);
	caps[CPT_CAP_EFF] = cpt_cap_bits(cred->cap_effective);
	caps[CPT_CAP_BSET] = cpt_cap_bits(cred->cap_bset);
	caps[CPT_CAP_AMB] = cpt_cap_bits(cred->cap_ambient);
}

static int cpt_save_path(struct cpt_pb_buf *msg, u32 field, const struct path *path)
{
	char *buf, *name;

	buf = kmalloc(PATH_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	name = d_path(path, buf, PATH_MAX);
	/* A restart changes into it by its path, which a deleted directory lost. */
	if (!IS_ERR(name) && d_unlinked(path->dentry)) {
		cpt_note("%s directory %s is deleted: not supported\n",
			 field == CPT_PB_TASK_CWD ? "working" : "root", name);
		name = ERR_PTR(-EOPNOTSUPP);
	}
	/* /proc/PID is another process's after a restart with other pids (cpt_proc_claim()). */
	if (!IS_ERR(name) && path->dentry->d_sb->s_magic == PROC_SUPER_MAGIC) {
		cpt_note("%s directory %s is in /proc: not supported (%s)\n",
			 field == CPT_PB_TASK_CWD ? "working" : "root", name,
			 "/proc names processes by pid");
		name = ERR_PTR(-EOPNOTSUPP);
	}
	if (!IS_ERR(name))
		cpt_pb_string(msg, field, name);
	kfree(buf);
	return PTR_ERR_OR_ZERO(name);
}

/*
 * Capabilities mean something only in their user namespace: those of a task
 * in another one than the checkpointer's would come back as the caller's.
 */
static int cpt_save_creds(struct task_struct *t, struct cpt_pb_buf *msg)
{
	struct user_namespace *ns = current_user_ns();
	const struct cred *cred = get_task_cred(t);
	u32 ids[8] = {
		from_kuid_munged(ns, cred->uid), from_kuid_munged(ns, cred->euid),
		from_kuid_munged(ns, cred->suid), from_kuid_munged(ns, cred->fsuid),
		from_kgid_munged(ns, cred->gid), from_kgid_munged(ns, cred->egid),
		from_kgid_munged(ns, cred->sgid), from_kgid_munged(ns, cred->fsgid),
	};
	u64 caps[CPT_NR_CAP_SETS];
	bool unmapped = false;
	int i, ret = 0;
	gid_t gid;

	for (i = 0; i < 8; i++)
		cpt_pb_u64(msg, cpt_id_fields[i], ids[i]);
	/* An unmapped group is not an overflow gid: see cpt_add_unmapped_groups(). */
	for (i = 0; i < cred->group_info->ngroups; i++) {
		gid = from_kgid(ns, cred->group_info->gid[i]);
		if (gid == (gid_t)-1)
			unmapped = true;
		else
			cpt_pb_varint(msg, CPT_PB_TASK_GROUPS, gid);
	}
	if (unmapped)
		cpt_pb_u64(msg, CPT_PB_TASK_CALLER_UNMAPPED_GROUPS, 1);
	cpt_cred_caps(cred, caps);
	for (i = 0; i < CPT_NR_CAP_SETS; i++)
		cpt_pb_u64(msg, cpt_cap_fields[i], caps[i]);
	cpt_pb_u64(msg, CPT_PB_TASK_SECUREBITS, cred->securebits);
	if (cred->user_ns != ns) {
		cpt_note("pid %d: capabilities in another user namespace are not supported\n",
			 task_pid_vnr(t));
		ret = -EOPNOTSUPP;
	}
	put_cred(cred);
	return ret;
}

/* no_new_privs, and the seccomp mode and chain INIT saved (cpt_seccomp.c). */
static void cpt_save_sandbox(const struct cpt_task *ct, struct cpt_pb_buf *msg)
{
	cpt_pb_u64(msg, CPT_PB_TASK_NO_NEW_PRIVS, task_no_new_privs(ct->task));
	cpt_pb_u64(msg, CPT_PB_TASK_SECCOMP_MODE, ct->seccomp_mode);
	cpt_pb_u64(msg, CPT_PB_TASK_SECCOMP_FILTER, ct->seccomp_filter);
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

/* The task is parked: these don't change under us. */
static void cpt_save_user_pointers(struct task_struct *t, struct cpt_pb_buf *msg)
{
	cpt_pb_u64(msg, CPT_PB_TASK_CLEAR_CHILD_TID, (unsigned long)t->clear_child_tid);
#ifdef CONFIG_FUTEX
	cpt_pb_u64(msg, CPT_PB_TASK_ROBUST_LIST, (unsigned long)t->robust_list);
	cpt_pb_u64(msg, CPT_PB_TASK_ROBUST_LIST_LEN, sizeof(struct robust_list_head));
#endif
#ifdef CONFIG_RSEQ
	if (t->rseq) {
		cpt_pb_u64(msg, CPT_PB_TASK_RSEQ, (unsigned long)t->rseq);
		cpt_pb_u64(msg, CPT_PB_TASK_RSEQ_LEN, sizeof(struct rseq));
		cpt_pb_u64(msg, CPT_PB_TASK_RSEQ_SIG, t->rseq_sig);
	}
#endif
}

/*
 * A restart gives each process one fs_struct (working directory, root,
 * umask) that all its threads share (native/src/build.cc clones them with
 * CLONE_FS), and each process its own: a thread with one of its own
 * (unshare(CLONE_FS)) or processes sharing one (clone(CLONE_FS)) would be
 * merged or split, silently. Refused, naming the task. The tree is frozen:
 * only a task itself changes its fs pointer; they are only compared.
 */
static int cpt_check_fs_shared(const struct cpt_task *ct, struct fs_struct *fs)
{
	static const char what[] = "working directory, root and umask";
	struct task_struct *t = ct->task, *th;
	struct fs_struct *leader_fs;
	int users, same = 0;
	bool own;

	rcu_read_lock();
	/* A leader gone before its threads has none (exit_fs()): nothing to tell. */
	leader_fs = READ_ONCE(t->group_leader->fs);
	own = leader_fs && leader_fs != fs;
	for_each_thread(t, th)
		same += READ_ONCE(th->fs) == fs;
	rcu_read_unlock();
	spin_lock(&fs->lock);
	users = fs->users;
	spin_unlock(&fs->lock);
	if (own) {
		cpt_note("pid %u: thread %u has a %s of its own (%s): not supported\n",
			 ct->tgid, ct->pid, what, "unshare(CLONE_FS)");
		return -EOPNOTSUPP;
	}
	if (users != same) {
		cpt_note("pid %u: its %s are shared with another process (%s): not supported\n",
			 ct->tgid, what, "clone(CLONE_FS)");
		return -EOPNOTSUPP;
	}
	return 0;
}

/*
 * A restart does not chroot (cpt_check_root()): a task whose root is not
 * the checkpointer's is refused here rather than saved in an image that
 * could never restart.
 */
static int cpt_check_chroot(const struct cpt_task *ct, const struct path *root)
{
	struct path mine;
	bool same;
	char *buf;
	const char *name;

	get_fs_root(current->fs, &mine);
	same = path_equal(&mine, root);
	path_put(&mine);
	if (same)
		return 0;
	buf = __getname();
	name = buf ? d_path(root, buf, PATH_MAX) : ERR_PTR(-ENOMEM);
	cpt_note("pid %u: its root directory is %s (chroot), not the checkpointer's: %s\n",
		 ct->pid, IS_ERR(name) ? "out of the checkpointer's reach" : name,
		 "a restart does not chroot, not supported");
	if (buf)
		__putname(buf);
	return -EOPNOTSUPP;
}

static int cpt_task_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	struct task_struct *t = s->cur->task;
	char comm[TASK_COMM_LEN];
	struct path cwd, root;
	u32 umask;
	int ret;

	/* The ids as the tree gives them, in the root task's pid namespace. */
	cpt_pb_u64(msg, CPT_PB_TASK_PID, s->cur->pid);
	cpt_pb_u64(msg, CPT_PB_TASK_TGID, s->cur->tgid);
	cpt_pb_u64(msg, CPT_PB_TASK_PPID, s->cur->ppid);
	cpt_pb_u64(msg, CPT_PB_TASK_PGID, s->cur->pgid);
	cpt_pb_u64(msg, CPT_PB_TASK_SID, s->cur->sid);
	cpt_save_user_pointers(t, msg);
	cpt_pb_string(msg, CPT_PB_TASK_COMM, __get_task_comm(comm, sizeof(comm), t));
	cpt_pb_u64(msg, CPT_PB_TASK_PERSONALITY, t->personality);
	ret = cpt_save_creds(t, msg);
	if (ret)
		return ret;
	cpt_save_sandbox(s->cur, msg);
	cpt_save_rlimits(t, msg);
	ret = cpt_task_attrs_save(t, s->cur->pid, msg);
	if (!ret)
		ret = cpt_jobctl_save(t, msg);
	if (ret)
		return ret;

	task_lock(t);
	if (!t->fs) {
		task_unlock(t);
		return -ESRCH;
	}
	umask = t->fs->umask;
	get_fs_pwd(t->fs, &cwd);
	get_fs_root(t->fs, &root);
	ret = cpt_check_fs_shared(s->cur, t->fs);
	task_unlock(t);
	if (!ret)
		ret = cpt_check_chroot(s->cur, &root);
	cpt_pb_u64(msg, CPT_PB_TASK_UMASK, umask);
	if (!ret)
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

	cpt_pb_for_each_subfield(&r, f, &g) {
		if (g.num == CPT_PB_RLIMIT_RESOURCE)
			cpt_pb_read_u32(&r, &g, &resource);
		else if (g.num == CPT_PB_RLIMIT_CUR)
			cpt_pb_read_u64(&r, &g, &cur);
		else if (g.num == CPT_PB_RLIMIT_MAX)
			cpt_pb_read_u64(&r, &g, &max);
	}
	if (cpt_pb_end(&r) || resource >= RLIM_NLIMITS || cur > max || rt->rlim_set[resource])
		return -EBADMSG;
	rt->rlim[resource].rlim_cur = cur;
	rt->rlim[resource].rlim_max = max;
	rt->rlim_set[resource] = true;
	return 0;
}

/*
 * The caller's own groups that its user namespace does not map, after the
 * n groups of the image in groups (of room for n + their number). A user
 * in a namespace whose setgroups is "deny" keeps them and may not drop
 * them; the image can only ask for them as a whole, never name one, so it
 * gives the task no group the caller does not hold.
 */
static int cpt_add_unmapped_groups(struct group_info *groups, int n, const struct cred *cred)
{
	struct user_namespace *ns = cred->user_ns;
	int i;

	for (i = 0; i < cred->group_info->ngroups; i++)
		if (from_kgid(ns, cred->group_info->gid[i]) == (gid_t)-1) {
			if (groups)
				groups->gid[n] = cred->group_info->gid[i];
			n++;
		}
	return n;
}

/*
 * An image's supplementary group: as the restoring task's user namespace
 * maps it, or, in a namespace below the INIT caller's that leaves it
 * unmapped (one made for the tree: cptctl restart --pidns without
 * CAP_SYS_ADMIN maps only the caller's uid and gid), as the INIT caller's
 * namespace numbers it, where the ids of an image its user took were
 * saved, and then only if the task holds it already: the caller's own
 * groups, which it keeps (setgroups is denied there) and which that
 * namespace cannot name. An invalid kgid otherwise.
 */
static kgid_t cpt_image_group(const struct cpt_session *s, u32 gid)
{
	struct user_namespace *ns = current_user_ns();
	kgid_t kgid = make_kgid(ns, gid);

	if (gid_valid(kgid) || !s->init_user_ns || s->init_user_ns == ns)
		return kgid;
	kgid = make_kgid(s->init_user_ns, gid);
	return gid_valid(kgid) && in_group_p(kgid) ? kgid : INVALID_GID;
}

static int cpt_decode_groups(const struct cpt_session *s, struct cpt_restore_task *rt,
			     const u32 *gids, int n, bool caller_unmapped)
{
	const struct cred *cred = current_cred();
	int i, all = n;

	if (caller_unmapped)
		all = cpt_add_unmapped_groups(NULL, n, cred);
	if (all > CPT_MAX_GROUPS)
		return -EBADMSG;
	rt->groups = groups_alloc(all);
	if (!rt->groups)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rt->groups->gid[i] = cpt_image_group(s, gids[i]);
		if (!gid_valid(rt->groups->gid[i])) {
			cpt_note("image group %u is not mapped in the caller's user namespace\n",
				 gids[i]);
			return -EINVAL;
		}
	}
	if (caller_unmapped)
		cpt_add_unmapped_groups(rt->groups, n, cred);
	groups_sort(rt->groups);
	return 0;
}

static int cpt_decode_task(const struct cpt_session *s, struct cpt_restore_task *rt,
			   const void *data, size_t len, char *cwd, char *root)
{
	bool caller_unmapped_groups = false;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 *gids;
	int ngroups = 0, ret, i;

	gids = kvmalloc_array(CPT_MAX_GROUPS, sizeof(*gids), GFP_KERNEL);
	if (!gids)
		return -ENOMEM;
	/* Fields for display only (ppid, sid...) are skipped. */
	cpt_pb_for_each_field(&r, data, len, &f) {
		for (i = 0; i < 8; i++)
			if (f.num == cpt_id_fields[i])
				cpt_pb_read_u32(&r, &f, &rt->ids[i]);
		for (i = 0; i < CPT_NR_CAP_SETS; i++)
			if (f.num == cpt_cap_fields[i])
				cpt_pb_read_u64(&r, &f, &rt->caps[i]);
		switch (f.num) {
		case CPT_PB_TASK_PID:
			cpt_pb_read_u32(&r, &f, &rt->pid);
			break;
		case CPT_PB_TASK_COMM:
			cpt_pb_read_string(&r, &f, rt->comm, sizeof(rt->comm));
			break;
		case CPT_PB_TASK_UMASK:
			cpt_pb_read_u32(&r, &f, &rt->umask);
			break;
		case CPT_PB_TASK_PERSONALITY:
			cpt_pb_read_u32(&r, &f, &rt->personality);
			break;
		case CPT_PB_TASK_GROUPS:
			if (ngroups == CPT_MAX_GROUPS)
				cpt_pb_fail(&r, -EBADMSG);
			else if (cpt_pb_read_u32(&r, &f, &gids[ngroups]))
				ngroups++;
			break;
		case CPT_PB_TASK_CALLER_UNMAPPED_GROUPS:
			cpt_pb_read_bool(&r, &f, &caller_unmapped_groups);
			break;
		case CPT_PB_TASK_RLIMITS:
			cpt_pb_fail(&r, cpt_decode_rlimit(rt, &f));
			break;
		case CPT_PB_TASK_CWD:
			cpt_pb_read_string(&r, &f, cwd, PATH_MAX);
			break;
		case CPT_PB_TASK_ROOT:
			cpt_pb_read_string(&r, &f, root, PATH_MAX);
			break;
		case CPT_PB_TASK_CLEAR_CHILD_TID:
			cpt_pb_read_u64(&r, &f, &rt->clear_child_tid);
			break;
		case CPT_PB_TASK_ROBUST_LIST:
			cpt_pb_read_u64(&r, &f, &rt->robust_list);
			break;
		case CPT_PB_TASK_ROBUST_LIST_LEN:
			cpt_pb_read_u64(&r, &f, &rt->robust_list_len);
			break;
		case CPT_PB_TASK_RSEQ:
			cpt_pb_read_u64(&r, &f, &rt->rseq);
			break;
		case CPT_PB_TASK_RSEQ_LEN:
			cpt_pb_read_u32(&r, &f, &rt->rseq_len);
			break;
		case CPT_PB_TASK_RSEQ_SIG:
			cpt_pb_read_u32(&r, &f, &rt->rseq_sig);
			break;
		case CPT_PB_TASK_SECUREBITS:
			cpt_pb_read_u32(&r, &f, &rt->securebits);
			break;
		case CPT_PB_TASK_NO_NEW_PRIVS:
			cpt_pb_read_bool(&r, &f, &rt->no_new_privs);
			break;
		case CPT_PB_TASK_SECCOMP_MODE:
			cpt_pb_read_u32(&r, &f, &rt->seccomp_mode);
			break;
		case CPT_PB_TASK_SECCOMP_FILTER:
			cpt_pb_read_u32(&r, &f, &rt->seccomp_filter);
			break;
		case CPT_PB_TASK_ATTRS:
		case CPT_PB_TASK_PROCESS_ATTRS:
			cpt_pb_fail(&r, cpt_task_attrs_decode(&rt->attrs, &f));
			break;
		case CPT_PB_TASK_STOP_SIGNAL:
		case CPT_PB_TASK_STOP_PENDING:
		case CPT_PB_TASK_JOB_CONTROL:
			cpt_pb_fail(&r, cpt_jobctl_decode(&rt->jobctl, &f));
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (!ret)
		ret = cpt_decode_groups(s, rt, gids, ngroups, caller_unmapped_groups);
	kvfree(gids);
	if (!ret && (rt->umask & ~0777 || rt->personality == PER_LINUX32))
		ret = -EBADMSG;
	/* What set_tid_address(), set_robust_list() and rseq() would accept. */
	if (!ret && (rt->clear_child_tid >= TASK_SIZE_MAX || rt->robust_list >= TASK_SIZE_MAX ||
		     rt->rseq >= TASK_SIZE_MAX || (rt->rseq & (__alignof__(struct rseq) - 1))))
		ret = -EBADMSG;
	if (!ret && rt->robust_list && rt->robust_list_len != sizeof(struct robust_list_head))
		ret = -EBADMSG;
	if (!ret && rt->rseq && rt->rseq_len != sizeof(struct rseq))
		ret = -EBADMSG;
	for (i = 0; !ret && i < CPT_NR_CAP_SETS; i++)
		if (rt->caps[i] & ~GENMASK_ULL(CAP_LAST_CAP, 0))
			ret = -EBADMSG;
	if (!ret && rt->securebits & ~(SECURE_ALL_BITS | SECURE_ALL_LOCKS))
		ret = -EBADMSG;
	return ret;
}

/*
 * The restarting caller's root must be the saved one: a restart does not
 * chroot. A checkpoint refuses a chrooted task (cpt_check_chroot()), so
 * only an image from elsewhere, or edited, names another root.
 */
static int cpt_check_root(const char *saved, u32 pid)
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
		cpt_note("image: pid %u: its root directory is %s: %s (the caller's root is %s)\n",
			 pid, saved, "a restart does not chroot", name);
	path_put(&root);
	kfree(buf);
	return ret;
}

/* The saved ids, in the caller's user namespace: uids, then gids. */
static int cpt_saved_ids(const struct cpt_restore_task *rt, kuid_t *uid, kgid_t *gid)
{
	struct user_namespace *ns = current_user_ns();
	int i;

	for (i = 0; i < 4; i++) {
		uid[i] = make_kuid(ns, rt->ids[i]);
		gid[i] = make_kgid(ns, rt->ids[4 + i]);
		if (!uid_valid(uid[i]) || !gid_valid(gid[i])) {
			cpt_note("image uid/gid %u/%u: not mapped in the caller's user namespace\n",
				 rt->ids[i], rt->ids[4 + i]);
			return -EINVAL;
		}
	}
	return 0;
}

static bool cpt_caps_subset(u64 a, u64 b)
{
	return !(a & ~b);
}

/*
 * The first of the saved capability sets img that a caller with the sets old
 * could not set itself, or -1: capset()'s rules (cap_capset), and prctl()'s
 * for the bounding set (a drop needs CAP_SETPCAP) and the ambient set.
 */
static int cpt_refused_cap_set(const u64 *img, const u64 *old, bool setpcap, bool no_amb_raise)
{
	if (!cpt_caps_subset(img[CPT_CAP_PRM], old[CPT_CAP_PRM]))
		return CPT_CAP_PRM;
	if (!cpt_caps_subset(img[CPT_CAP_EFF], img[CPT_CAP_PRM]))
		return CPT_CAP_EFF;
	if (!cpt_caps_subset(img[CPT_CAP_INH], old[CPT_CAP_INH] | old[CPT_CAP_BSET]) ||
	    (!setpcap && !cpt_caps_subset(img[CPT_CAP_INH], old[CPT_CAP_INH] | old[CPT_CAP_PRM])))
		return CPT_CAP_INH;
	if (!cpt_caps_subset(img[CPT_CAP_BSET], old[CPT_CAP_BSET]) ||
	    (!setpcap && img[CPT_CAP_BSET] != old[CPT_CAP_BSET]))
		return CPT_CAP_BSET;
	if (!cpt_caps_subset(img[CPT_CAP_AMB], img[CPT_CAP_PRM] & img[CPT_CAP_INH]) ||
	    (no_amb_raise && !cpt_caps_subset(img[CPT_CAP_AMB], old[CPT_CAP_AMB])))
		return CPT_CAP_AMB;
	return -1;
}

/*
 * Whether the caller, with its credentials cred, could set the saved
 * capability sets and securebits itself (a securebits change needs
 * CAP_SETPCAP and leaves locked bits alone). A restored sandbox is never
 * looser than the saved one, nor the task more capable than the caller:
 * what the caller may not set is refused, not skipped.
 */
static int cpt_check_caps(const struct cpt_restore_task *rt, const struct cred *cred)
{
	bool setpcap = ns_capable_noaudit(cred->user_ns, CAP_SETPCAP);
	u32 locked = (cred->securebits & SECURE_ALL_LOCKS) >> 1;
	u64 old[CPT_NR_CAP_SETS];
	int bad;

	cpt_cred_caps(cred, old);
	bad = cpt_refused_cap_set(rt->caps, old, setpcap,
				  cred->securebits & issecure_mask(SECURE_NO_CAP_AMBIENT_RAISE));
	if (bad >= 0) {
		cpt_note("image %s capabilities %#llx: the caller's (%#llx) cannot set them\n",
			 cpt_cap_names[bad], rt->caps[bad], old[bad]);
		return -EPERM;
	}
	if (rt->securebits != cred->securebits &&
	    (!setpcap || (locked & (rt->securebits ^ cred->securebits)) ||
	     (cred->securebits & SECURE_ALL_LOCKS & ~rt->securebits))) {
		cpt_note("image securebits %#x: the caller's are %#x, and it may not change them\n",
			 rt->securebits, cred->securebits);
		return -EPERM;
	}
	return 0;
}

/*
 * Whether the caller, with its credentials cred, could take the saved ids
 * itself (the setresuid and setgroups rules). Checked when the TASK record
 * is read, so that a refusal leaves the restoring task as it was, and again
 * when the ids are applied.
 */
static int cpt_check_creds(const struct cpt_restore_task *rt, const struct cred *cred)
{
	struct user_namespace *ns = current_user_ns();
	kuid_t uid[4];
	kgid_t gid[4];
	int ret;

	ret = cpt_saved_ids(rt, uid, gid);
	if (ret)
		return ret;
	if ((!uid_eq(uid[0], cred->uid) || !uid_eq(uid[1], cred->euid) ||
	     !uid_eq(uid[2], cred->suid) || !uid_eq(uid[3], cred->fsuid)) &&
	    !ns_capable(ns, CAP_SETUID)) {
		cpt_note("image uids %u/%u/%u/%u are not the caller's: CAP_SETUID needed\n",
			 rt->ids[0], rt->ids[1], rt->ids[2], rt->ids[3]);
		return -EPERM;
	}
	if ((!gid_eq(gid[0], cred->gid) || !gid_eq(gid[1], cred->egid) ||
	     !gid_eq(gid[2], cred->sgid) || !gid_eq(gid[3], cred->fsgid)) &&
	    !ns_capable(ns, CAP_SETGID)) {
		cpt_note("image gids %u/%u/%u/%u are not the caller's: CAP_SETGID needed\n",
			 rt->ids[4], rt->ids[5], rt->ids[6], rt->ids[7]);
		return -EPERM;
	}
	/*
	 * Other supplementary groups than the caller's own take what
	 * setgroups() takes: CAP_SETGID, and a user namespace whose setgroups
	 * file allows it. A namespace made with "deny" (as an unprivileged
	 * user must, to map its gid) may not drop a group: a file's group
	 * permissions may deny what its other permissions allow.
	 */
	if ((rt->groups->ngroups != cred->group_info->ngroups ||
	     memcmp(rt->groups->gid, cred->group_info->gid,
		    rt->groups->ngroups * sizeof(kgid_t))) &&
	    !cpt_sym.may_setgroups()) {
		cpt_note("image groups (%d) are not the caller's, who may not setgroups()\n",
			 rt->groups->ngroups);
		return -EPERM;
	}
	return cpt_check_caps(rt, cred);
}

static int cpt_make_image_cred(struct cpt_restore_task *rt);

/*
 * The saved cwd, looked up as the caller and as the task's credentials
 * (cpt_task_lookup(): each with search rights on the way, as the task's
 * own chdir() would walk it), with chdir()'s MAY_EXEC | MAY_CHDIR check
 * for both, as for its files (cpt_task_may()): a cwd opens what is below
 * it to relative paths. (A task that changed its ids after its chdir(), or
 * whose cwd, or a directory above it, was made private since, is refused.)
 */
static int cpt_lookup_cwd(struct cpt_session *s, struct cpt_restore_task *rt, const char *cwd)
{
	int ret = cpt_task_lookup(s, "working directory", cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY,
				  &rt->cwd);

	if (ret)
		return ret;
	rt->has_cwd = true;
	return cpt_task_may(s, "working directory", cwd, &rt->cwd, MAY_EXEC | MAY_CHDIR);
}

static void cpt_task_free(struct cpt_session *s)
{
	struct cpt_restore_task *rt = s->cur->rtask;

	if (!rt)
		return;
	if (rt->groups)
		put_group_info(rt->groups);
	if (rt->has_cwd)
		path_put(&rt->cwd);
	if (rt->image_cred)
		put_cred(rt->image_cred);
	cpt_task_attrs_free(rt->attrs);
	kfree(rt);
	s->cur->rtask = NULL;
}

static int cpt_task_restore(struct cpt_session *s, const void *data, size_t len)
{
	struct cpt_restore_task *rt;
	char *cwd, *root;
	int ret;

	rt = kzalloc(sizeof(*rt), GFP_KERNEL);
	cwd = kzalloc(PATH_MAX, GFP_KERNEL);
	root = kzalloc(PATH_MAX, GFP_KERNEL);
	s->cur->rtask = rt;
	ret = rt && cwd && root ? 0 : -ENOMEM;
	if (!ret)
		ret = cpt_decode_task(s, rt, data, len, cwd, root);
	/* The user-space builder must have cloned us with the saved pid. */
	if (!ret && rt->pid != task_pid_vnr(current)) {
		cpt_note("restoring task has pid %d, the image says %u\n",
			 task_pid_vnr(current), rt->pid);
		ret = -EINVAL;
	}
	if (!ret)
		ret = cpt_check_root(root, rt->pid);
	if (!ret)
		ret = cpt_jobctl_check(&rt->jobctl, cpt_task_is_leader(s->cur), rt->pid);
	if (!ret)
		s->cur->jobctl = rt->jobctl;
	if (!ret)
		ret = cpt_task_attrs_check_tree(rt->attrs, s);
	if (!ret)
		ret = cpt_task_attrs_check_caller(rt->attrs, rt->pid);
	if (!ret)
		ret = cpt_check_creds(rt, current_cred());
	if (!ret)
		ret = cpt_seccomp_check(s, rt->pid, rt->seccomp_mode, rt->seccomp_filter,
					rt->no_new_privs);
	if (!ret)
		ret = cpt_make_image_cred(rt);
	if (!ret && *cwd)
		ret = cpt_lookup_cwd(s, rt, cwd);
	kfree(cwd);
	kfree(root);
	return ret;
}

/*
 * Each saved limit goes through prlimit(), as if the task set it itself:
 * the kernel's rules apply (a raised hard limit needs CAP_SYS_RESOURCE,
 * RLIMIT_NOFILE's is at most fs.nr_open, the LSMs' say) and it arms
 * RLIMIT_CPU's timer, against the CPU time used from the restart on.
 */
static int cpt_apply_rlimits(struct cpt_restore_task *rt)
{
	struct cpt_ubuf ub = {};
	struct rlimit64 lim;
	long ret;
	int i;

	ret = cpt_ubuf_get(&ub, sizeof(lim));
	for (i = 0; !ret && i < RLIM_NLIMITS; i++) {
		if (!rt->rlim_set[i])
			continue;
		lim.rlim_cur = rt->rlim[i].rlim_cur;
		lim.rlim_max = rt->rlim[i].rlim_max;
		if (copy_to_user((void __user *)ub.addr, &lim, sizeof(lim)))
			ret = -EFAULT;
		else
			ret = cpt_sys(cpt_sym.sys_prlimit64, 0, i, ub.addr, 0, 0);
		if (ret)
			cpt_note("rlimit %d (soft %llu, hard %llu): prlimit() refused it (%ld)\n",
				 i, lim.rlim_cur, lim.rlim_max, ret);
	}
	cpt_ubuf_put(&ub);
	return ret;
}

/*
 * Moves the per-user accounting of new to its uid, as setresuid() does: the
 * user_struct and the ucounts that RLIMIT_NPROC counts processes in. The
 * restoring task was forked, and counted, as the caller; commit_creds()
 * moves that count to the new ucounts once new->user differs. Without this a
 * restored task's children would be counted as the caller's but uncounted,
 * after an exec, as the saved uid's: the count underflows.
 */
static int cpt_set_user(struct cred *new)
{
	struct user_struct *user;

	if (!uid_eq(new->uid, current_uid())) {
		user = cpt_sym.alloc_uid(new->uid);
		if (!user)
			return -EAGAIN;
		free_uid(new->user);
		new->user = user;
	}
	return cpt_sym.set_cred_ucounts(new);
}

/*
 * Gives new the saved ids, capability sets, securebits and groups, all
 * checked against the caller's by cpt_check_creds().
 */
static int cpt_fill_creds(struct cpt_restore_task *rt, struct cred *new)
{
	kuid_t uid[4];
	kgid_t gid[4];
	int ret;

	ret = cpt_saved_ids(rt, uid, gid);
	if (ret)
		return ret;
	new->uid = uid[0];
	new->euid = uid[1];
	new->suid = uid[2];
	new->fsuid = uid[3];
	new->gid = gid[0];
	new->egid = gid[1];
	new->sgid = gid[2];
	new->fsgid = gid[3];
	new->cap_inheritable = cpt_bits_cap(rt->caps[CPT_CAP_INH]);
	new->cap_permitted = cpt_bits_cap(rt->caps[CPT_CAP_PRM]);
	new->cap_effective = cpt_bits_cap(rt->caps[CPT_CAP_EFF]);
	new->cap_bset = cpt_bits_cap(rt->caps[CPT_CAP_BSET]);
	new->cap_ambient = cpt_bits_cap(rt->caps[CPT_CAP_AMB]);
	new->securebits = rt->securebits;
	set_groups(new, rt->groups);
	ret = cpt_set_user(new);
	if (ret)
		cpt_note("cannot account the restored task to uid %u: %d\n", rt->ids[0], ret);
	return ret;
}

/* Takes the saved credentials, checked against the caller's again. */
static int cpt_apply_creds(struct cpt_restore_task *rt)
{
	struct cred *new;
	int ret;

	new = prepare_creds();
	if (!new)
		return -ENOMEM;
	ret = cpt_check_creds(rt, new) ?: cpt_fill_creds(rt, new);
	if (ret) {
		abort_creds(new);
		return ret;
	}
	return commit_creds(new);
}

/*
 * The credentials the task will have, made once its TASK record passed
 * cpt_check_creds(): the restoring task opens the task's paths with them
 * meanwhile, and takes a copy of them at the end (cpt_apply_creds()).
 */
static int cpt_make_image_cred(struct cpt_restore_task *rt)
{
	struct cred *new = prepare_creds();
	int ret;

	if (!new)
		return -ENOMEM;
	ret = cpt_fill_creds(rt, new);
	if (ret) {
		abort_creds(new);
		return ret;
	}
	rt->image_cred = new;
	return 0;
}

/* The mask inode_permission() takes for an open with flags, as may_open() asks it. */
static int cpt_open_mask(int flags)
{
	int mask = MAY_OPEN;

	if (flags & O_PATH)
		return 0;
	if ((flags & O_ACCMODE) != O_WRONLY)
		mask |= MAY_READ;
	if (flags & O_ACCMODE)
		mask |= MAY_WRITE;
	if (flags & O_APPEND)
		mask |= MAY_APPEND;
	return mask;
}

/*
 * Whom a refusal names: the file's opener from the image, or the task's
 * credentials from the image when it saved no opener.
 */
static void cpt_note_refused(const char *what, const char *name, const struct cred *cred,
			     bool opener, int ret)
{
	struct user_namespace *ns = current_user_ns();

	if (cred)
		cpt_note("pid %d: %s %s: refused to the image's %suid %u, gid %u (%d)\n",
			 task_pid_vnr(current), what, name, opener ? "opener's " : "",
			 from_kuid_munged(ns, cred->fsuid), from_kgid_munged(ns, cred->fsgid), ret);
	else
		cpt_note("pid %d: %s %s: refused to the restarting caller (%d)\n",
			 task_pid_vnr(current), what, name, ret);
}

/* The task's credentials from its TASK record, which must come first. */
static const struct cred *cpt_task_image_cred(struct cpt_session *s, const char *what,
					      const char *name)
{
	struct cpt_restore_task *rt = s->cur ? s->cur->rtask : NULL;

	if (rt && rt->image_cred)
		return rt->image_cred;
	cpt_note("image: %s %s comes before its task's credentials\n", what, name);
	return NULL;
}

/* The capabilities an Opener may name: those that open what DAC would refuse. */
#define CPT_OPENER_CAPS (BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER))

/*
 * Saves into field of msg who opened file (its f_cred), for a restart to
 * open it again as it did (cpt_opener_cred()): its fsuid, fsgid and groups
 * in the checkpointer's user namespace, and which of CPT_OPENER_CAPS it
 * had there. An opener whose fsuid or fsgid that namespace does not map is
 * left out: the restart then opens the file with the task's own
 * credentials, as the image gives them.
 */
void cpt_opener_save(struct cpt_pb_buf *msg, u32 field, struct file *file)
{
	struct user_namespace *ns = current_user_ns();
	const struct cred *cred = file->f_cred;
	uid_t fsuid = from_kuid(ns, cred->fsuid);
	gid_t fsgid = from_kgid(ns, cred->fsgid);
	static const int caps[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER };
	bool unmapped = false;
	struct cpt_pb_buf one;
	u32 file_caps = 0;
	gid_t gid;
	int i;

	if (fsuid == (uid_t)-1 || fsgid == (gid_t)-1)
		return;
	cpt_pb_init(&one);
	cpt_pb_u64(&one, CPT_PB_OPENER_FSUID, fsuid);
	cpt_pb_u64(&one, CPT_PB_OPENER_FSGID, fsgid);
	for (i = 0; i < cred->group_info->ngroups; i++) {
		gid = from_kgid(ns, cred->group_info->gid[i]);
		if (gid == (gid_t)-1)
			unmapped = true;
		else
			cpt_pb_varint(&one, CPT_PB_OPENER_GROUPS, gid);
	}
	if (unmapped)
		cpt_pb_u64(&one, CPT_PB_OPENER_CALLER_UNMAPPED_GROUPS, 1);
	for (i = 0; i < ARRAY_SIZE(caps); i++)
		if (file_ns_capable(file, ns, caps[i]))
			file_caps |= BIT(caps[i]);
	cpt_pb_u64(&one, CPT_PB_OPENER_FILE_CAPS, file_caps);
	cpt_pb_message(msg, field, &one);
}

/* The Opener message in the field f, for cpt_opener_cred(). */
int cpt_opener_decode(struct cpt_opener *o, const struct cpt_pb_field *f)
{
	if (f->wire != CPT_PB_BYTES)
		return -EBADMSG;
	o->data = f->data;
	o->len = f->len;
	o->saved = true;
	return 0;
}

/* The Opener of a File, from its message (the last one, as for any field). */
int cpt_opener_of_file(struct cpt_opener *o, const void *record, size_t len)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;

	*o = (struct cpt_opener) {};
	cpt_pb_for_each_field(&r, record, len, &f)
		if (f.num == CPT_PB_FILE_OPENER)
			cpt_pb_fail(&r, cpt_opener_decode(o, &f));
	return cpt_pb_end(&r);
}

static int cpt_opener_decode_groups(const struct cpt_session *s, const struct cpt_opener *o,
				    struct group_info *groups, bool *caller_unmapped)
{
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	int n = 0;
	u32 gid;

	cpt_pb_for_each_field(&r, o->data, o->len, &f) {
		if (f.num == CPT_PB_OPENER_CALLER_UNMAPPED_GROUPS)
			cpt_pb_read_bool(&r, &f, caller_unmapped);
		if (f.num != CPT_PB_OPENER_GROUPS || !cpt_pb_read_u32(&r, &f, &gid))
			continue;
		if (n == CPT_MAX_GROUPS)
			return -EBADMSG;
		if (groups) {
			groups->gid[n] = cpt_image_group(s, gid);
			if (!gid_valid(groups->gid[n]))
				return -EINVAL;
		}
		n++;
	}
	return cpt_pb_end(&r) ?: n;
}

/*
 * The opener's groups as the image gives them, and the caller's own
 * unmapped ones if it says so (cpt_add_unmapped_groups()); 1 if a group
 * is neither mapped nor the caller's (cpt_image_group()), as for an
 * opener the caller's namespace does not map (cpt_opener_ids()).
 */
static int cpt_opener_groups(const struct cpt_session *s, const struct cpt_opener *o,
			     struct cred *new)
{
	bool caller_unmapped = false;
	struct group_info *groups;
	int n, all, ret;

	n = cpt_opener_decode_groups(s, o, NULL, &caller_unmapped);
	if (n < 0)
		return n;
	all = caller_unmapped ? cpt_add_unmapped_groups(NULL, n, current_cred()) : n;
	if (all > CPT_MAX_GROUPS)
		return -EBADMSG;
	groups = groups_alloc(all);
	if (!groups)
		return -ENOMEM;
	ret = cpt_opener_decode_groups(s, o, groups, &caller_unmapped);
	if (ret >= 0) {
		if (caller_unmapped)
			cpt_add_unmapped_groups(groups, n, current_cred());
		groups_sort(groups);
		set_groups(new, groups);
		ret = 0;
	} else if (ret == -EINVAL) {
		ret = 1;
	}
	put_group_info(groups);
	return ret;
}

static int cpt_opener_ids(const struct cpt_opener *o, struct cred *new)
{
	struct user_namespace *ns = current_user_ns();
	u32 fsuid = 0, fsgid = 0;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u32 file_caps = 0;
	bool lacking = false;
	kernel_cap_t caps;
	kuid_t uid;
	kgid_t gid;
	int i;

	cpt_pb_for_each_field(&r, o->data, o->len, &f) {
		if (f.num == CPT_PB_OPENER_FSUID)
			cpt_pb_read_u32(&r, &f, &fsuid);
		else if (f.num == CPT_PB_OPENER_FSGID)
			cpt_pb_read_u32(&r, &f, &fsgid);
		else if (f.num == CPT_PB_OPENER_FILE_CAPS)
			cpt_pb_read_u32(&r, &f, &file_caps);
	}
	if (cpt_pb_end(&r) || file_caps & ~CPT_OPENER_CAPS)
		return -EBADMSG;
	/*
	 * An opener the caller's namespace does not map (root, for a user's
	 * restart in a user namespace of its own; overlayfs maps a file's
	 * real file, opened with its mounter's credentials) is no opener the
	 * caller could be: 1, as for a capability it lacks.
	 */
	uid = make_kuid(ns, fsuid);
	gid = make_kgid(ns, fsgid);
	if (!uid_valid(uid) || !gid_valid(gid))
		return 1;
	new->uid = uid;
	new->euid = uid;
	new->suid = uid;
	new->fsuid = uid;
	new->gid = gid;
	new->egid = gid;
	new->sgid = gid;
	new->fsgid = gid;
	/*
	 * Of the opener's capabilities, only those the caller has too; 1 if
	 * the caller lacks some, and so cannot open as the opener did.
	 */
	caps = CAP_EMPTY_SET;
	for (i = 0; i < 32; i++) {
		if (!(file_caps & BIT(i)))
			continue;
		if (cap_raised(current_cred()->cap_effective, i))
			cap_raise(caps, i);
		else
			lacking = true;
	}
	new->cap_effective = caps;
	new->cap_permitted = caps;
	new->cap_inheritable = CAP_EMPTY_SET;
	new->cap_ambient = CAP_EMPTY_SET;
	return lacking;
}

/*
 * The credentials a file is opened with again: its opener's from the image
 * (o), made from the caller's, so that they never hold a capability the
 * caller lacks. If the image saved none, or the opener had a capability the
 * caller lacks (a user restarting its own service whose log root opened
 * before it dropped to the user), or ids or groups the caller's namespace
 * does not map (root's, in a user namespace made for the restart), the
 * task's own from the image: the
 * opener's ids without its capabilities would be neither the opener nor the
 * task, and refuse a file both may open; the caller's own check
 * (cpt_task_open()) still bounds what is opened. *as_opener says which.
 * A reference the caller puts.
 */
static const struct cred *cpt_opener_cred(struct cpt_session *s, const struct cpt_opener *o,
					  const char *what, const char *name, bool *as_opener)
{
	const struct cred *image;
	struct cred *new;
	int ret = 1;

	if (o && o->saved) {
		new = prepare_creds();
		if (!new)
			return ERR_PTR(-ENOMEM);
		ret = cpt_opener_ids(o, new);
		if (!ret)
			ret = cpt_opener_groups(s, o, new);
		if (ret < 0) {
			cpt_note("image: pid %d: %s %s: bad opener credentials (%d)\n",
				 task_pid_vnr(current), what, name, ret);
			abort_creds(new);
			return ERR_PTR(ret);
		}
		*as_opener = !ret;
		if (!ret)
			return new;
		abort_creds(new);
	}
	*as_opener = false;
	image = cpt_task_image_cred(s, what, name);
	return image ? get_cred(image) : ERR_PTR(-EBADMSG);
}

/*
 * Whether both the restarting caller and cred may have p with mask (MAY_*
 * bits).
 */
static int cpt_both_may(const struct cred *cred, bool opener, const char *what,
			const char *name, const struct path *p, int mask)
{
	const struct cred *old;
	int ret;

	ret = path_permission(p, mask);
	if (ret) {
		cpt_note_refused(what, name, NULL, false, ret);
		return ret;
	}
	old = override_creds(cred);
	ret = path_permission(p, mask);
	revert_creds(old);
	if (ret)
		cpt_note_refused(what, name, cred, opener, ret);
	return ret;
}

/*
 * Looks name up (kern_path() flags) into *p as the restarting caller, then
 * again with the credentials the image gives the task, which must find the
 * same: each walks the directories on the way with its own search rights,
 * as the task's chdir() or connect() would have. A path the task could not
 * reach itself (below a directory made private since, or in an image root
 * restarts for a user) is refused, naming the task's ids; one that leads
 * elsewhere the second time (a rename in between), -ESTALE. For what the
 * task uses by path without opening it: its working directory, the socket
 * files of its unix sockets. *p is the caller's to put on success only.
 */
int cpt_task_lookup(struct cpt_session *s, const char *what, const char *name,
		    unsigned int flags, struct path *p)
{
	const struct cred *image, *old;
	struct path again;
	int ret;

	ret = kern_path(name, flags, p);
	if (ret) {
		cpt_note("pid %d: %s %s cannot be found: %d\n", task_pid_vnr(current), what,
			 name, ret);
		return ret;
	}
	image = cpt_task_image_cred(s, what, name);
	if (!image) {
		path_put(p);
		return -EBADMSG;
	}
	old = override_creds(image);
	ret = kern_path(name, flags, &again);
	revert_creds(old);
	if (ret) {
		cpt_note_refused(what, name, image, false, ret);
	} else {
		if (again.dentry != p->dentry || again.mnt != p->mnt) {
			cpt_note("pid %d: %s %s changed while it was looked up\n",
				 task_pid_vnr(current), what, name);
			ret = -ESTALE;
		}
		path_put(&again);
	}
	if (ret)
		path_put(p);
	return ret;
}

/*
 * Whether both the restarting caller and the task, with the credentials
 * the image gives it, may have p with mask (MAY_* bits): for what the task
 * itself uses (its working directory, a socket it connects), a restart must
 * not hand the task what its own ids could not reach, nor what the caller
 * could not. The message calls p what and name.
 */
int cpt_task_may(struct cpt_session *s, const char *what, const char *name,
		 const struct path *p, int mask)
{
	const struct cred *image = cpt_task_image_cred(s, what, name);

	if (!image)
		return -EBADMSG;
	return cpt_both_may(image, false, what, name, p, mask);
}

/*
 * Whether both the restarting caller and the file's opener (o, as
 * cpt_task_open() takes it) may open p with flags, as may_open() asks it.
 */
int cpt_task_may_open(struct cpt_session *s, const char *what, const char *name,
		      const struct path *p, int flags, const struct cpt_opener *o)
{
	bool as_opener;
	const struct cred *cred = cpt_opener_cred(s, o, what, name, &as_opener);
	int ret;

	if (IS_ERR(cred))
		return PTR_ERR(cred);
	ret = cpt_both_may(cred, as_opener, what, name, p, cpt_open_mask(flags));
	put_cred(cred);
	return ret;
}

/*
 * Opens name (an absolute path of the image) with flags for the task being
 * restored: only if the caller may open it (its lookup and permission),
 * and then with the credentials the file was opened with at checkpoint (o,
 * cpt_opener_cred(); the task's own if the image saved none), which check
 * the open again, each directory on the way included, and which the file
 * keeps as its opener's (f_cred), as before the checkpoint. So a file a
 * service opened as root before it dropped its privileges comes back for
 * root's restart, and one its opener could not open (an image edited to
 * name another file, a file made private since) does not. A path that
 * leads elsewhere the second time (a rename in between) is refused,
 * -ESTALE.
 */
struct file *cpt_task_open(struct cpt_session *s, const char *what, const char *name,
			   int flags, const struct cpt_opener *o)
{
	int mask = cpt_open_mask(flags);
	const struct cred *cred, *old;
	struct file *file;
	bool as_opener;
	struct path p;
	int ret;

	ret = kern_path(name, flags & O_NOFOLLOW ? 0 : LOOKUP_FOLLOW, &p);
	if (ret) {
		cpt_note("pid %d: %s %s cannot be found: %d\n", task_pid_vnr(current), what,
			 name, ret);
		return ERR_PTR(ret);
	}
	ret = mask ? path_permission(&p, mask) : 0;
	if (ret) {
		cpt_note_refused(what, name, NULL, false, ret);
		path_put(&p);
		return ERR_PTR(ret);
	}
	cred = cpt_opener_cred(s, o, what, name, &as_opener);
	if (IS_ERR(cred)) {
		path_put(&p);
		return ERR_CAST(cred);
	}
	old = override_creds(cred);
	file = filp_open(name, flags, 0);
	revert_creds(old);
	if (IS_ERR(file)) {
		cpt_note_refused(what, name, cred, as_opener, PTR_ERR(file));
	} else if (file_inode(file) != d_inode(p.dentry) || file->f_path.mnt != p.mnt) {
		cpt_note("pid %d: %s %s changed while it was opened\n", task_pid_vnr(current),
			 what, name);
		fput(file);
		file = ERR_PTR(-ESTALE);
	}
	put_cred(cred);
	path_put(&p);
	return file;
}

/* Applied to the restoring task last before it parks: credentials go last of all. */
int cpt_task_apply(struct cpt_session *s)
{
	struct cpt_restore_task *rt = s->cur->rtask;
	int ret;

	if (!rt)
		return -EINVAL;
	ret = cpt_apply_rlimits(rt);
	if (!ret)
		ret = cpt_task_attrs_apply(rt->attrs);
	if (ret)
		return ret;
	task_lock(current);
	strscpy_pad(current->comm, rt->comm, sizeof(current->comm));
	task_unlock(current);
	current->fs->umask = rt->umask;
	current->personality = rt->personality;
	if (rt->has_cwd)
		cpt_sym.set_fs_pwd(current->fs, &rt->cwd);
	/* One-way, and allowed to anyone: the caller's own stays if it has one. */
	if (rt->no_new_privs)
		task_set_no_new_privs(current);
	/*
	 * seccomp goes on after every step that makes syscalls (filters act on
	 * syscalls from user mode only: the module's cpt_sys() calls are not
	 * filtered), and before the saved credentials: seccomp() then checks
	 * the caller's capabilities, as cpt_seccomp_check() did.
	 */
	ret = cpt_seccomp_apply(s, rt->seccomp_mode, rt->seccomp_filter);
	if (!ret)
		ret = cpt_apply_creds(rt);
	if (!ret)
		cpt_task_attrs_apply_after_creds(rt->attrs);
	return ret;
}

/*
 * The kernel writes on its own to a few user addresses of a task: the rseq
 * area on its way to user mode, the robust futex list and the
 * clear_child_tid word at exit. While the task's memory is being replaced
 * they point at nothing of the restored process: forget them.
 */
void cpt_task_forget_user_pointers(void)
{
	current->clear_child_tid = NULL;
#ifdef CONFIG_FUTEX
	current->robust_list = NULL;
#ifdef CONFIG_COMPAT
	current->compat_robust_list = NULL;
#endif
#endif
#ifdef CONFIG_RSEQ
	current->rseq = NULL;
	current->rseq_sig = 0;
	current->rseq_event_mask = 0;
#endif
}

/* Released: the saved user pointers, into the restored memory, are back. */
void cpt_task_apply_user_pointers(struct cpt_session *s)
{
	const struct cpt_restore_task *rt = s->cur->rtask;

	current->clear_child_tid = u64_to_user_ptr(rt->clear_child_tid);
#ifdef CONFIG_FUTEX
	current->robust_list = u64_to_user_ptr(rt->robust_list);
#endif
#ifdef CONFIG_RSEQ
	if (rt->rseq) {
		current->rseq = u64_to_user_ptr(rt->rseq);
		current->rseq_sig = rt->rseq_sig;
		/* The kernel fills in the cpu ids on the way out, as after rseq(). */
		rseq_set_notify_resume(current);
	}
#endif
}

const struct cpt_subsys_ops cpt_task_ops = {
	.name = "task",
	.record = CPT_REC_TASK,
	.save = cpt_task_save,
	.restore = cpt_task_restore,
	.free = cpt_task_free,
};
