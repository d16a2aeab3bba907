// SPDX-License-Identifier: GPL-2.0
/*
 * The task's credentials: its ids, supplementary groups, capability sets
 * and securebits, saved in the checkpointer's user namespace; at a restart,
 * the image's checked against the restarting caller's own by the rules of
 * setresuid(), setgroups() and capset() (the caller may take them itself),
 * made into the credentials the task's paths are opened with meanwhile
 * (cpt_task_open.c), and taken last of all.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/sched.h>
#include <linux/sched/user.h>
#include <linux/securebits.h>
#include <linux/slab.h>
#include <linux/uidgid.h>
#include <linux/user_namespace.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"
#include "cpt_task.h"

const u32 cpt_id_fields[8] = {
	CPT_PB_TASK_UID, CPT_PB_TASK_EUID, CPT_PB_TASK_SUID, CPT_PB_TASK_FSUID,
	CPT_PB_TASK_GID, CPT_PB_TASK_EGID, CPT_PB_TASK_SGID, CPT_PB_TASK_FSGID,
};

const u32 cpt_cap_fields[CPT_NR_CAP_SETS] = {
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

/*
 * Capabilities mean something only in their user namespace: those of a task
 * in another one than the checkpointer's would come back as the caller's.
 */
int cpt_save_creds(struct task_struct *t, struct cpt_pb_buf *msg)
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

/*
 * The caller's own groups that its user namespace does not map, after the
 * n groups of the image in groups (of room for n + their number). A user
 * in a namespace whose setgroups is "deny" keeps them and may not drop
 * them; the image can only ask for them as a whole, never name one, so it
 * gives the task no group the caller does not hold.
 */
int cpt_add_unmapped_groups(struct group_info *groups, int n, const struct cred *cred)
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
kgid_t cpt_image_group(const struct cpt_session *s, u32 gid)
{
	struct user_namespace *ns = current_user_ns();
	kgid_t kgid = make_kgid(ns, gid);

	if (gid_valid(kgid) || !s->init_user_ns || s->init_user_ns == ns)
		return kgid;
	kgid = make_kgid(s->init_user_ns, gid);
	return gid_valid(kgid) && in_group_p(kgid) ? kgid : INVALID_GID;
}

int cpt_decode_groups(const struct cpt_session *s, struct cpt_restore_task *rt,
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
int cpt_check_creds(const struct cpt_restore_task *rt, const struct cred *cred)
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
int cpt_apply_creds(struct cpt_restore_task *rt)
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
int cpt_make_image_cred(struct cpt_restore_task *rt)
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
