// SPDX-License-Identifier: GPL-2.0
/*
 * The task itself: its ids, name, umask, personality, credentials, resource
 * limits, working and root directory, and its sandbox: capability sets,
 * securebits and no_new_privs. A restart never grants more than the
 * restarting caller has: credentials other than the caller's need its
 * CAP_SETUID/CAP_SETGID (cpt_task_creds.c), raised hard limits its
 * CAP_SYS_RESOURCE, and capabilities and securebits follow capset() and
 * prctl()'s rules. Its seccomp mode and filters (cpt_seccomp.c) go back on
 * last, following seccomp()'s rules. The paths a restart opens or looks up
 * for the task are checked for both the caller and the task
 * (cpt_task_open.c).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/futex.h>
#include <linux/rseq.h>
#include <linux/securebits.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/personality.h>
#include <linux/resource.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"
#include "cpt_task.h"

static int cpt_save_path(struct cpt_pb_buf *msg, u32 field, const struct path *path)
{
	const char *why, *fs;
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
	/*
	 * /proc/PID is another process's after a restart with other pids, a
	 * cgroup's path maybe another cgroup's (cpt_file_kernel_fs.c).
	 */
	why = IS_ERR(name) ? NULL : cpt_kernel_fs_dir_refused(path->dentry->d_sb, &fs);
	if (why) {
		cpt_note("%s directory %s is in %s: not supported (%s)\n",
			 field == CPT_PB_TASK_CWD ? "working" : "root", name, fs, why);
		name = ERR_PTR(-EOPNOTSUPP);
	}
	if (!IS_ERR(name))
		cpt_pb_string(msg, field, name);
	kfree(buf);
	return PTR_ERR_OR_ZERO(name);
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
 * A chrooted task's root is saved as the path the checkpointer reaches it
 * by from its own root, as CRIU does, and a restart chroots the task into
 * what that path reaches (cpt_lookup_root()): only a root that path still
 * reaches exactly. One it does not (removed, outside the checkpointer's
 * root, covered by a mount) has no path to restart into: refused.
 */
static int cpt_check_chroot(const struct cpt_task *ct, const struct path *root)
{
	struct path mine, found;
	bool same;
	char *buf;
	const char *name;
	int ret;

	get_fs_root(current->fs, &mine);
	same = path_equal(&mine, root);
	path_put(&mine);
	if (same)
		return 0;
	buf = __getname();
	if (!buf)
		return -ENOMEM;
	name = d_path(root, buf, PATH_MAX);
	if (IS_ERR(name)) {
		ret = PTR_ERR(name);
		name = "(too long)";
	} else {
		ret = kern_path(name, LOOKUP_DIRECTORY, &found);
		if (!ret) {
			same = path_equal(&found, root) && !d_unlinked(root->dentry);
			path_put(&found);
		}
	}
	if (ret || !same)
		cpt_note("pid %u: its root directory %s (chroot) is not supported: %s\n",
			 ct->pid, name, "no path from the checkpointer's root reaches it");
	__putname(buf);
	return ret || !same ? -EOPNOTSUPP : 0;
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
 * The saved root (a path from the checkpointer's root). The caller's own:
 * nothing to do. Another: the task is chrooted into it (cpt_task_apply())
 * if the caller could chroot() there itself: its own lookup (its search
 * rights on the way), CAP_SYS_CHROOT in its user namespace, chroot()'s
 * MAY_EXEC | MAY_CHDIR and the LSM's hook. The task's credentials are not
 * asked: a root other than the caller's was made by a chroot(), which only
 * CAP_SYS_CHROOT makes, so by a privileged step of the task's history (a
 * daemon's chroot() as root before it dropped to a user, who may not search
 * the directories above its jail), which the restart makes again as the
 * caller. A root confines the task; what it reaches below it, its own
 * credentials still decide, walking from that root (cpt_below_task_root()).
 */
static int cpt_lookup_root(struct cpt_session *s, struct cpt_restore_task *rt, const char *root)
{
	const char *what = "root directory";
	struct path mine;
	bool same;
	int ret;

	ret = kern_path(root, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &rt->root);
	if (ret) {
		cpt_note("pid %u: its %s %s (chroot) %s: %d\n", rt->pid, what, root,
			 "cannot be found by the restarting caller", ret);
		return ret;
	}
	get_fs_root(current->fs, &mine);
	same = path_equal(&mine, &rt->root);
	path_put(&mine);
	if (same) {
		path_put(&rt->root);
		return 0;
	}
	rt->has_root = true;
	rt->root_name = kstrdup(root, GFP_KERNEL);
	if (!rt->root_name)
		return -ENOMEM;
	if (!ns_capable(current_user_ns(), CAP_SYS_CHROOT)) {
		cpt_note("pid %u: its %s is %s (chroot): %s\n", rt->pid, what, root,
			 "the restarting caller may not chroot (CAP_SYS_CHROOT)");
		return -EPERM;
	}
	ret = path_permission(&rt->root, MAY_EXEC | MAY_CHDIR);
	if (ret) {
		cpt_note("pid %u: its %s is %s (chroot): %s (%d)\n", rt->pid, what, root,
			 "the restarting caller may not enter it", ret);
		return ret;
	}
#ifdef CONFIG_SECURITY_PATH
	ret = cpt_sym.security_path_chroot(&rt->root);
	if (ret)
		cpt_note("pid %u: its %s is %s (chroot): %s (%d)\n", rt->pid, what, root,
			 "the LSM refused the chroot", ret);
#endif
	return ret;
}

/*
 * The saved cwd, looked up as the caller and as the task's credentials
 * (cpt_task_lookup(): each with search rights on the way, as the task's
 * own chdir() would walk it), with chdir()'s MAY_EXEC | MAY_CHDIR check
 * for both, as for its files (cpt_task_may()): a cwd opens what is below
 * it to relative paths. (A task that changed its ids after its chdir(), or
 * whose cwd, or a directory above it, was made private since, is refused.)
 * A chrooted task's credentials walk a cwd inside its root from that root.
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

/*
 * Until cpt_task_apply(), the restoring task looks up paths from the
 * caller's root and working directory: the image's are paths from the
 * checkpointer's root. A name the task gave itself (a unix socket's) is
 * bound again as the task would resolve it, from its saved root and
 * working directory: cpt_task_fs_enter() switches to those (looked up and
 * checked by then: a TASK record comes first), cpt_task_fs_leave() back.
 * A restoring process's threads wait their turns: nothing else uses its
 * fs_struct meanwhile.
 */
void cpt_task_fs_enter(struct cpt_session *s, struct cpt_task_fs *was)
{
	const struct cpt_restore_task *rt = s->cur ? s->cur->rtask : NULL;

	get_fs_root(current->fs, &was->root);
	get_fs_pwd(current->fs, &was->pwd);
	if (rt && rt->has_root)
		cpt_sym.set_fs_root(current->fs, &rt->root);
	if (rt && rt->has_cwd)
		cpt_sym.set_fs_pwd(current->fs, &rt->cwd);
}

void cpt_task_fs_leave(struct cpt_task_fs *was)
{
	cpt_sym.set_fs_root(current->fs, &was->root);
	cpt_sym.set_fs_pwd(current->fs, &was->pwd);
	path_put(&was->root);
	path_put(&was->pwd);
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
	if (rt->has_root)
		path_put(&rt->root);
	kfree(rt->root_name);
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
	if (!ret)
		ret = cpt_lookup_root(s, rt, root);
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
	/* After every path of the restore was looked up from the caller's root. */
	if (rt->has_root)
		cpt_sym.set_fs_root(current->fs, &rt->root);
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
