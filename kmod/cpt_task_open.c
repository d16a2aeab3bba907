// SPDX-License-Identifier: GPL-2.0
/*
 * Paths a restart opens or looks up for the task being restored: each
 * checked for the restarting caller and for the credentials the image
 * gives (the file's opener's, saved at checkpoint with the file, or the
 * task's own), so that a restart never hands the task a file that either
 * could not reach.
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/namei.h>
#include <linux/string.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"
#include "cpt_task.h"

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
 * A chrooted task reached what it used from its root: the directories
 * above that root are its chroot()'s, which a restart makes as the caller,
 * with chroot()'s checks for the caller alone (cpt_lookup_root()). So the
 * image's credentials walk a path below the task's saved root from that
 * root, as the task's own lookup would, and a daemon that chrooted as root
 * and dropped to a user is not refused for a directory above its jail that
 * the user may not search: the task could open from its root whatever such
 * a walk reaches. Returns name's part below the saved root ("/" for the root
 * itself), or NULL for a task not chrooted, a path not below its root, or
 * while the restoring task already looks up from that root
 * (cpt_task_fs_enter(): name is then the task's own).
 */
static const char *cpt_below_task_root(struct cpt_session *s, const char *name)
{
	const struct cpt_restore_task *rt = s->cur ? s->cur->rtask : NULL;
	struct path mine;
	bool entered;
	size_t n;

	if (!rt || !rt->has_root || !rt->root_name)
		return NULL;
	get_fs_root(current->fs, &mine);
	entered = path_equal(&mine, &rt->root);
	path_put(&mine);
	n = strlen(rt->root_name);
	if (entered || strncmp(name, rt->root_name, n) || (name[n] && name[n] != '/'))
		return NULL;
	return name[n] ? name + n : "/";
}

/*
 * Opens name with flags for the image's credentials (the current ones),
 * from the task's saved root if name is below it (cpt_below_task_root()).
 */
static struct file *cpt_task_walk(struct cpt_session *s, const char *name, int flags)
{
	const char *below = cpt_below_task_root(s, name);

	if (below)
		return file_open_root(&s->cur->rtask->root, below, flags, 0);
	return filp_open(name, flags, 0);
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
 * as the task's chdir() or connect() would have (the image's from the
 * task's saved root, for a path below it: cpt_below_task_root()). A path the task could not
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
	struct file *again;
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
	again = cpt_task_walk(s, name, O_PATH | (flags & LOOKUP_FOLLOW ? 0 : O_NOFOLLOW) |
			      (flags & LOOKUP_DIRECTORY ? O_DIRECTORY : 0));
	revert_creds(old);
	ret = PTR_ERR_OR_ZERO(again);
	if (ret) {
		cpt_note_refused(what, name, image, false, ret);
	} else {
		if (again->f_path.dentry != p->dentry || again->f_path.mnt != p->mnt) {
			cpt_note("pid %d: %s %s changed while it was looked up\n",
				 task_pid_vnr(current), what, name);
			ret = -ESTALE;
		}
		fput(again);
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
	file = cpt_task_walk(s, name, flags);
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
