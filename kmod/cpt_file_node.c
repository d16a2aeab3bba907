// SPDX-License-Identifier: GPL-2.0
/*
 * The owner, group, permission bits and times of what a restart creates
 * anew in a file system: a deleted file, a listener's socket file, a pty's
 * slave node. A restart creates them as the restarting caller (root's
 * socket file of a service that ran as a user would stay root's, 0755 by
 * root's umask), then gives them their saved attributes back through
 * notify_change(), as chown(), chmod() and utimensat() would: with the
 * file system's own checks of the caller (chown_ok(),
 * inode_owner_or_capable()), so that a caller gets no owner it could not
 * give itself.
 */
#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/mount.h>
#include <linux/time64.h>

#include "cpt_files.h"
#include "cpt_pb_fields.h"

/* Checkpoint: inode's owner and group, as the checkpointer's user namespace sees them. */
int cpt_node_ids(const struct inode *inode, u32 *uid, u32 *gid, const char *what)
{
	uid_t u = from_kuid(current_user_ns(), inode->i_uid);
	gid_t g = from_kgid(current_user_ns(), inode->i_gid);

	if (u == (uid_t)-1 || g == (gid_t)-1) {
		cpt_note("%s: its owner or group has no id in the checkpointer's user namespace\n",
			 what);
		return -EOVERFLOW;
	}
	*uid = u;
	*gid = g;
	return 0;
}

static int cpt_node_change(const struct path *path, struct iattr *ia)
{
	return notify_change(mnt_user_ns(path->mnt), path->dentry, ia, NULL);
}

/* Whether the node has what a says: a file system may drop a set-id bit silently. */
static bool cpt_node_matches(const struct inode *inode, const struct cpt_node_attrs *a,
			     kuid_t uid, kgid_t gid)
{
	if (a->owned && (!uid_eq(inode->i_uid, uid) || !gid_eq(inode->i_gid, gid)))
		return false;
	return !a->has_mode || (inode->i_mode & S_IALLUGO) == a->mode;
}

/*
 * Restart: gives the node at path the saved owner and group, then mode
 * (chown() may clear set-id bits), then times (a write of its content
 * set them), as the restarting caller. Whatever it cannot set as saved
 * fails the restart, naming what.
 */
int cpt_set_node_attrs(const struct path *path, const struct cpt_node_attrs *a, const char *what)
{
	struct inode *inode = d_inode(path->dentry);
	kuid_t uid = make_kuid(current_user_ns(), a->uid);
	kgid_t gid = make_kgid(current_user_ns(), a->gid);
	struct iattr ia;
	int ret;

	if (a->owned && (!uid_valid(uid) || !gid_valid(gid))) {
		cpt_note("%s: owner %u:%u has no id in the restarting caller's user namespace\n",
			 what, a->uid, a->gid);
		return -EINVAL;
	}
	ret = mnt_want_write(path->mnt);
	if (ret) {
		cpt_note("%s: cannot give it its owner and mode back: %d\n", what, ret);
		return ret;
	}
	inode_lock(inode);
	if (a->owned && (!uid_eq(inode->i_uid, uid) || !gid_eq(inode->i_gid, gid))) {
		ia = (struct iattr) { .ia_valid = ATTR_UID | ATTR_GID | ATTR_CTIME,
				      .ia_vfsuid = VFSUIDT_INIT(uid),
				      .ia_vfsgid = VFSGIDT_INIT(gid) };
		ret = cpt_node_change(path, &ia);
	}
	if (!ret && a->has_mode && (inode->i_mode & S_IALLUGO) != a->mode) {
		ia = (struct iattr) { .ia_valid = ATTR_MODE | ATTR_CTIME,
				      .ia_mode = a->mode | (inode->i_mode & ~S_IALLUGO) };
		ret = cpt_node_change(path, &ia);
	}
	if (!ret && a->timed) {
		ia = (struct iattr) { .ia_valid = ATTR_ATIME | ATTR_MTIME | ATTR_ATIME_SET |
						  ATTR_MTIME_SET | ATTR_CTIME,
				      .ia_atime = ns_to_timespec64(a->atime_ns),
				      .ia_mtime = ns_to_timespec64(a->mtime_ns) };
		ret = cpt_node_change(path, &ia);
	}
	if (!ret && !cpt_node_matches(inode, a, uid, gid))
		ret = -EPERM;
	inode_unlock(inode);
	mnt_drop_write(path->mnt);
	if (ret)
		cpt_note("%s: the restarting caller cannot give it owner %u:%u, mode %#o%s: %d\n",
			 what, a->uid, a->gid, a->mode, a->timed ? " and times" : "", ret);
	return ret;
}

/* Checkpoint: the times of inode, in ns since the epoch. */
void cpt_node_times(const struct inode *inode, s64 *atime_ns, s64 *mtime_ns)
{
	*atime_ns = timespec64_to_ns(&inode->i_atime);
	*mtime_ns = timespec64_to_ns(&inode->i_mtime);
}

/*
 * Checkpoint: what a restart gives back to a node it creates anew, as
 * File's node_uid, node_gid, node_atime_ns and node_mtime_ns. The times
 * are read first: nothing of ours touches them.
 */
int cpt_save_node_attrs(struct cpt_pb_buf *one, const struct inode *inode, const char *what)
{
	s64 atime_ns, mtime_ns;
	u32 uid, gid;
	int ret;

	cpt_node_times(inode, &atime_ns, &mtime_ns);
	ret = cpt_node_ids(inode, &uid, &gid, what);
	if (ret)
		return ret;
	cpt_pb_varint(one, CPT_PB_FILE_NODE_UID, uid);
	cpt_pb_varint(one, CPT_PB_FILE_NODE_GID, gid);
	cpt_pb_varint(one, CPT_PB_FILE_NODE_ATIME_NS, atime_ns);
	cpt_pb_varint(one, CPT_PB_FILE_NODE_MTIME_NS, mtime_ns);
	return one->err;
}

/* Restart: a field cpt_save_node_attrs() wrote, into a; CPT_FILE_FOREIGN for another. */
int cpt_decode_node_attr(const struct cpt_pb_field *f, struct cpt_node_attrs *a)
{
	u64 value;
	int ret;

	switch (f->num) {
	case CPT_PB_FILE_NODE_UID:
		a->owned = true;
		return cpt_pb_get_u32(f, &a->uid);
	case CPT_PB_FILE_NODE_GID:
		a->owned = true;
		return cpt_pb_get_u32(f, &a->gid);
	case CPT_PB_FILE_NODE_ATIME_NS:
	case CPT_PB_FILE_NODE_MTIME_NS:
		a->timed = true;
		ret = cpt_pb_get_u64(f, &value);
		if (f->num == CPT_PB_FILE_NODE_ATIME_NS)
			a->atime_ns = value;
		else
			a->mtime_ns = value;
		return ret;
	}
	return CPT_FILE_FOREIGN;
}
