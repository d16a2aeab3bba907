// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: init, save or restore one subsystem at a time, finalize. A
 * session that ends any other way (its file closed, its caller killed, an
 * error) is aborted: a checkpoint target resumes untouched, a half-restored
 * task is killed.
 */
#include <linux/capability.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/task_stack.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "cpt_auth.h"
#include "cpt_files.h"
#include "cpt_pb_fields.h"
#include "cpt_session.h"
#include "cpt_symbols.h"

static const struct cpt_subsys_ops *const cpt_subsystems[] = {
	[CPT_SUBSYS_TASK] = &cpt_task_ops,
	[CPT_SUBSYS_SIGNALS] = &cpt_signals_ops,
	[CPT_SUBSYS_FILES] = &cpt_files_ops,
	[CPT_SUBSYS_CPU] = &cpt_cpu_ops,
};

static void cpt_session_abort_locked(struct cpt_session *s);

static void cpt_session_release(struct kref *ref)
{
	struct cpt_session *s = container_of(ref, struct cpt_session, ref);
	unsigned int i, t;

	/*
	 * An abort that could not take the lock (its caller was killed while
	 * a restoring task held it) ends here, with nobody left to race; for
	 * a session that ended, this finds nothing to do.
	 */
	cpt_session_abort_locked(s);
	for (t = 0; t < s->nr_tasks; t++) {
		s->cur = &s->tasks[t];
		for (i = 0; i < ARRAY_SIZE(cpt_subsystems); i++)
			if (cpt_subsystems[i] && cpt_subsystems[i]->free)
				cpt_subsystems[i]->free(s);
	}
	s->cur = NULL;
	cpt_files_release(s);
	cpt_mm_shmem_release(s);
	cpt_ipc_free(s);
	cpt_seccomp_free(s);
	cpt_nextid_unreserve(s);
	cpt_tree_free(s);
	cpt_auth_free(s->img.auth);
	if (s->pid_ns)
		put_pid_ns(s->pid_ns);
	if (s->init_user_ns)
		put_user_ns(s->init_user_ns);
	if (s->img.file)
		fput(s->img.file);
	mutex_destroy(&s->lock);
	kfree(s);
}

void cpt_session_get(struct cpt_session *s)
{
	kref_get(&s->ref);
}

void cpt_session_put(struct cpt_session *s)
{
	kref_put(&s->ref, cpt_session_release);
}

static void cpt_set_restore_state(struct cpt_session *s, struct cpt_task *t,
				  enum cpt_restore_state state)
{
	t->state = state;
	s->events++;
	wake_up_all(&s->wq);
}

/*
 * Ends a session that did not finalize: called with s->lock held, or from
 * the session's release. Doing it twice does nothing more.
 */
static void cpt_session_abort_locked(struct cpt_session *s)
{
	unsigned int i;

	/* The holds its connections got go before the tree runs again. */
	if (s->mode == CPT_MODE_CHECKPOINT)
		cpt_inet_cancel_holds(s);
	if (s->frozen)
		cpt_tree_thaw(s);
	if (s->mode != CPT_MODE_RESTART)
		return;
	s->aborted = true;
	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].state != CPT_RESTORE_RELEASED)
			s->tasks[i].state = CPT_RESTORE_ABORTED;
	wake_up_all(&s->wq);
	cpt_nextid_unreserve(s);
	cpt_ipc_abort(s);
	cpt_mm_shmem_release(s);
}

bool cpt_task_has_record(const struct cpt_task *t, unsigned int subsys)
{
	if (t->zombie)
		return false;
	if (subsys == CPT_SUBSYS_FILES)
		return cpt_task_is_leader(t) && !t->fd_table_of;
	if (subsys == CPT_SUBSYS_MM)
		return cpt_task_is_leader(t);
	return true;
}

/* A task's last record, whose restore is its final step. */
static unsigned int cpt_task_last_subsys(const struct cpt_task *t)
{
	return cpt_task_is_leader(t) ? CPT_SUBSYS_MM : CPT_SUBSYS_CPU;
}

/*
 * Restart: the tasks restoring themselves die with their session, first of
 * all. One of them may hold the lock, blocked in something the image chose
 * (an open, a read of a piped image): killed, it lets go.
 */
static void cpt_session_kill_restoring(struct cpt_session *s)
{
	struct task_struct *task;
	unsigned int i;

	if (s->mode != CPT_MODE_RESTART)
		return;
	WRITE_ONCE(s->aborted, true);
	for (i = 0; i < s->nr_tasks; i++) {
		task = READ_ONCE(s->tasks[i].task);
		if (task && READ_ONCE(s->tasks[i].state) != CPT_RESTORE_RELEASED)
			send_sig(SIGKILL, task, 1);
	}
	wake_up_all(&s->wq);
}

/*
 * The lock is taken killable: the coordinator's exit closes its file, and
 * a killed coordinator must not wait for a lock holder. Then the last put
 * of the session, the holder's, ends it (cpt_session_release()).
 */
void cpt_session_abort(struct cpt_session *s)
{
	cpt_session_kill_restoring(s);
	if (mutex_lock_killable(&s->lock))
		return;
	cpt_session_abort_locked(s);
	mutex_unlock(&s->lock);
}

/*
 * The file's session, with a reference, or NULL. Tasks that share the file
 * (a restoring child shares its coordinator's) share the session.
 */
static struct cpt_session *cpt_session_of(struct cpt_file *cf)
{
	struct cpt_session *s;

	mutex_lock(&cf->lock);
	s = cf->session;
	if (s)
		cpt_session_get(s);
	mutex_unlock(&cf->lock);
	return s;
}

/*
 * For the coordinator of the file's restart: which task failed first,
 * where and why, once one has. A task that fails in its final step cannot
 * tell it (its fds are gone), and the others fail then with ECANCELED.
 */
void cpt_session_failure(struct cpt_file *cf, char *buf, size_t size)
{
	struct cpt_session *s = cpt_session_of(cf);

	buf[0] = 0;
	if (!s)
		return;
	if (s->coordinator == current->tgid && !mutex_lock_killable(&s->lock)) {
		strscpy(buf, s->failure, size);
		mutex_unlock(&s->lock);
	}
	cpt_session_put(s);
}

/*
 * Keeps the first failure of a restoring task: its pid, step (a subsystem,
 * or the final step, after which it is killed), errno and note.
 */
static void cpt_note_failure(struct cpt_session *s, struct cpt_task *t, u32 subsys, int ret,
			     bool killed)
{
	const struct cpt_subsys_ops *ops = subsys < ARRAY_SIZE(cpt_subsystems) ?
					   cpt_subsystems[subsys] : NULL;
	const char *step = subsys == cpt_task_last_subsys(t) ? "its final step" :
			   ops ? ops->name : "its task";
	char note[CPT_MESSAGE_MAX];

	if (s->error)
		return;
	cpt_note_pending(note, sizeof(note));
	snprintf(s->failure, sizeof(s->failure), "pid %u failed at %s (%pe)%s%s%s",
		 t->pid, step, ERR_PTR(ret), killed ? ", killed by SIGKILL" : "",
		 note[0] ? ": " : "", note);
}

/* Detaches the session from the file, keeping the file's reference. */
static struct cpt_session *cpt_session_take(struct cpt_file *cf)
{
	struct cpt_session *s;

	mutex_lock(&cf->lock);
	s = cf->session;
	cf->session = NULL;
	mutex_unlock(&cf->lock);
	return s;
}

static int cpt_is_file(const void *file, struct file *f, unsigned int fd)
{
	return f == file;
}

/*
 * A close() of the file (closer: the fd table it was closed in), or its
 * last reference going (closer NULL). An unfinished session ends with the
 * file, or when the session's own process closes its last fd of it: a copy
 * it closes (a dup) is not the end, nor are other processes' copies (a
 * restoring child's).
 */
void cpt_session_close(struct cpt_file *cf, struct files_struct *closer)
{
	struct cpt_session *s;
	bool end;

	mutex_lock(&cf->lock);
	s = cf->session;
	end = s && (!closer || (current->tgid == s->coordinator &&
				!iterate_fd(closer, 0, cpt_is_file, cf->file)));
	if (end)
		cf->session = NULL;
	else
		s = NULL;
	mutex_unlock(&cf->lock);
	if (s) {
		cpt_session_abort(s);
		cpt_session_put(s);
	}
}

/* Writes msg as a record of the given type (unless encoding it failed), and frees it. */
static int cpt_write_message(struct cpt_session *s, u16 type, struct cpt_pb_buf *msg)
{
	int ret = msg->err ?: cpt_record_write(&s->img, type, msg->data, msg->len);

	cpt_pb_free(msg);
	return ret;
}

/* Reads the next record, which must be of the given type, and decodes it. */
static int cpt_read_message(struct cpt_session *s, u16 type,
			    int (*decode)(struct cpt_session *s, const void *msg, size_t len))
{
	size_t len;
	void *msg;
	int ret;

	msg = cpt_record_read(&s->img, type, &len);
	if (IS_ERR(msg))
		return PTR_ERR(msg);
	ret = decode(s, msg, len);
	kvfree(msg);
	return ret;
}

static int cpt_write_header(struct cpt_session *s)
{
	struct cpt_pb_buf msg;

	cpt_pb_init(&msg);
	cpt_pb_varint(&msg, CPT_PB_IMAGE_HEADER_FORMAT_VERSION, CPT_IMAGE_VERSION);
	cpt_pb_string(&msg, CPT_PB_IMAGE_HEADER_KERNEL_RELEASE, utsname()->release);
	cpt_pb_string(&msg, CPT_PB_IMAGE_HEADER_ARCH, "x86_64");
	cpt_pb_u64(&msg, CPT_PB_IMAGE_HEADER_XFEATURES, s->xfeatures);
	cpt_pb_u64(&msg, CPT_PB_IMAGE_HEADER_XSTATE_SIZE, cpt_cpu_xstate_size());
	cpt_pb_u64(&msg, CPT_PB_IMAGE_HEADER_PAGE_SIZE, PAGE_SIZE);
	cpt_pb_u64(&msg, CPT_PB_IMAGE_HEADER_CREATED_NS, ktime_get_real_ns());
	return cpt_write_message(s, CPT_REC_HEADER, &msg);
}

/*
 * A restart needs the same kernel (the vDSO, the syscall ABI) and a CPU
 * with every saved xstate feature.
 */
static int cpt_check_header(struct cpt_session *s, const void *data, size_t len)
{
	char release[__NEW_UTS_LEN + 1] = "", arch[16] = "";
	u32 version = 0, page_size = 0, xstate_size = 0;
	struct cpt_pb_reader r;
	struct cpt_pb_field f;
	u64 xfeatures = 0;
	int ret;

	cpt_pb_for_each_field(&r, data, len, &f) {
		switch (f.num) {
		case CPT_PB_IMAGE_HEADER_FORMAT_VERSION:
			cpt_pb_read_u32(&r, &f, &version);
			break;
		case CPT_PB_IMAGE_HEADER_KERNEL_RELEASE:
			cpt_pb_read_string(&r, &f, release, sizeof(release));
			break;
		case CPT_PB_IMAGE_HEADER_ARCH:
			cpt_pb_read_string(&r, &f, arch, sizeof(arch));
			break;
		case CPT_PB_IMAGE_HEADER_XFEATURES:
			cpt_pb_read_u64(&r, &f, &xfeatures);
			break;
		case CPT_PB_IMAGE_HEADER_XSTATE_SIZE:
			cpt_pb_read_u32(&r, &f, &xstate_size);
			break;
		case CPT_PB_IMAGE_HEADER_PAGE_SIZE:
			cpt_pb_read_u32(&r, &f, &page_size);
			break;
		default:	/* a field for display only, or a newer one */
			break;
		}
	}
	ret = cpt_pb_end(&r);
	if (ret)
		return ret;
	if (version != CPT_IMAGE_VERSION || strcmp(arch, "x86_64") || page_size != PAGE_SIZE) {
		cpt_note("image format %u for %s with %u-byte pages: not readable here\n",
			 version, arch, page_size);
		return -EBADMSG;
	}
	if (strcmp(release, utsname()->release)) {
		cpt_note("image from kernel %s cannot restart on %s\n",
			 release, utsname()->release);
		return -EOPNOTSUPP;
	}
	if (xfeatures & ~cpt_cpu_user_xfeatures() || xstate_size > cpt_cpu_xstate_size()) {
		cpt_note("image needs xstate features %#llx; this CPU has %#llx\n",
			 xfeatures, cpt_cpu_user_xfeatures());
		return -EOPNOTSUPP;
	}
	s->xfeatures = xfeatures;
	return 0;
}

static struct task_struct *cpt_find_target(u32 nr)
{
	struct task_struct *task;
	struct pid *pid;

	pid = find_get_pid(nr);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	return task;
}

/* The root of a checkpoint: a live process, not us. */
static int cpt_check_target(struct task_struct *task)
{
	if (task->flags & (PF_KTHREAD | PF_EXITING) || task->exit_state)
		return -ESRCH;
	if (same_thread_group(task, current))
		return -EINVAL;
	if (!cpt_may_checkpoint(task)) {
		cpt_note("pid %d: the caller may not ptrace it\n", task_pid_vnr(task));
		return -EPERM;
	}
	if (!thread_group_leader(task)) {
		cpt_note("pid %d is a thread: checkpoint its process, %d\n",
			 task_pid_vnr(task), task_tgid_vnr(task));
		return -EINVAL;
	}
	return 0;
}

/*
 * The image's ids are the root's pid namespace's: it is held for the
 * session, since the root may die, and be reaped, at any time.
 */
static int cpt_pin_pid_ns(struct cpt_session *s, struct task_struct *root)
{
	struct pid_namespace *ns;

	rcu_read_lock();
	ns = task_active_pid_ns(root);
	if (ns)
		s->pid_ns = get_pid_ns(ns);
	rcu_read_unlock();
	return ns ? 0 : -ESRCH;
}

static int cpt_start_checkpoint(struct cpt_session *s, u32 target)
{
	struct task_struct *root;
	int ret;

	root = cpt_find_target(target);
	if (!root)
		return -ESRCH;
	ret = cpt_check_target(root);
	if (!ret)
		ret = cpt_pin_pid_ns(s, root);
	if (!ret)
		ret = cpt_tree_freeze(s, root, target);
	put_task_struct(root);
	if (ret)
		return ret;
	s->frozen_at = ktime_get();
	s->xfeatures = cpt_cpu_user_xfeatures();
	ret = cpt_write_header(s);
	if (!ret)
		ret = cpt_tree_write(s);
	if (!ret)
		ret = cpt_ipc_write(s);
	if (!ret)
		ret = cpt_seccomp_write(s);
	return ret;
}

/* Points the record cursor at the first record from (subsys, task) on. */
static void cpt_seek_record(struct cpt_session *s, unsigned int subsys, unsigned int task)
{
	for (; subsys <= CPT_SUBSYS_MAX; subsys++, task = 0)
		for (; task < s->nr_tasks; task++)
			if (cpt_task_has_record(&s->tasks[task], subsys))
				goto found;
found:
	s->rec_subsys = subsys;
	s->rec_task = task;
	wake_up_all(&s->wq);
}

static int cpt_start_restart(struct cpt_session *s, bool new_pidns)
{
	int ret;

	ret = cpt_read_message(s, CPT_REC_HEADER, cpt_check_header);
	if (!ret)
		ret = cpt_tree_read(s);
	if (!ret)
		ret = cpt_ipc_read(s);
	if (!ret)
		ret = cpt_seccomp_read(s);
	if (!ret)
		ret = cpt_nextid_reserve(s, new_pidns);
	if (!ret)
		cpt_seek_record(s, 1, 0);
	return ret;
}

/* The INIT flags a checkpoint takes, and a restart refuses. */
#define CPT_INIT_CHECKPOINT_ONLY (CPT_INIT_TCP_ESTABLISHED | CPT_INIT_EXT_UNIX_SK | CPT_INIT_KILL)

long cpt_ioctl_init(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_init *req = &arg->init;
	struct cpt_session *s;
	fmode_t need;
	bool busy;
	int ret;

	if (req->flags & ~(CPT_INIT_ALLOW_UNAUTHENTICATED | CPT_INIT_NEW_PIDNS |
			   CPT_INIT_CHECKPOINT_ONLY) || req->reserved0 ||
	    req->reserved[0] || req->reserved[1])
		return -EINVAL;
	if (req->flags & ~CPT_INIT_CHECKPOINT_ONLY && req->mode != CPT_MODE_RESTART)
		return -EINVAL;
	if (req->flags & CPT_INIT_CHECKPOINT_ONLY && req->mode != CPT_MODE_CHECKPOINT)
		return -EINVAL;
	/*
	 * Holds (CPT_INIT_TCP_ESTABLISHED) only for a kill: a checkpoint that
	 * leaves the tree running or stops it must not drop its peers' segments.
	 */
	if (req->flags & CPT_INIT_TCP_ESTABLISHED && !(req->flags & CPT_INIT_KILL)) {
		cpt_note("%s needs %s\n", "CPT_INIT_TCP_ESTABLISHED (--tcp-established)",
			 "CPT_INIT_KILL (--kill)");
		return -EINVAL;
	}
	/* Root's alone: anyone else's restart of an unauthenticated image could be forged. */
	if (req->flags & CPT_INIT_ALLOW_UNAUTHENTICATED && !capable(CAP_SYS_ADMIN)) {
		cpt_note("only root (CAP_SYS_ADMIN) may restart an unauthenticated image\n");
		return -EPERM;
	}
	if (req->mode == CPT_MODE_CHECKPOINT && req->target)
		need = FMODE_WRITE;
	else if (req->mode == CPT_MODE_RESTART && !req->target)
		need = FMODE_READ;
	else
		return -EINVAL;
	mutex_lock(&cf->lock);
	busy = cf->session;
	mutex_unlock(&cf->lock);
	if (busy)
		return -EBUSY;

	s = kzalloc(sizeof(*s), GFP_KERNEL);
	if (!s)
		return -ENOMEM;
	kref_init(&s->ref);
	mutex_init(&s->lock);
	init_waitqueue_head(&s->wq);
	s->mode = req->mode;
	s->tcp_established = req->flags & CPT_INIT_TCP_ESTABLISHED;
	s->ext_unix_sk = req->flags & CPT_INIT_EXT_UNIX_SK;
	s->kill = req->flags & CPT_INIT_KILL;
	if (s->mode == CPT_MODE_RESTART)
		s->init_user_ns = get_user_ns(current_user_ns());
	s->img.file = fget(req->image_fd);
	if (!s->img.file || !(s->img.file->f_mode & need)) {
		ret = -EBADF;
		goto out_put;
	}

	ret = cpt_auth_start(s, req->flags & CPT_INIT_ALLOW_UNAUTHENTICATED);
	if (ret)
		goto out_put;
	mutex_lock(&s->lock);
	if (s->mode == CPT_MODE_CHECKPOINT)
		ret = cpt_start_checkpoint(s, req->target);
	else
		ret = cpt_start_restart(s, req->flags & CPT_INIT_NEW_PIDNS);
	if (ret)
		cpt_session_abort_locked(s);
	mutex_unlock(&s->lock);
	if (ret)
		goto out_put;
	s->init_records = s->img.records;
	s->coordinator = current->tgid;
	mutex_lock(&cf->lock);
	busy = cf->session;
	if (!busy)
		cf->session = s;
	mutex_unlock(&cf->lock);
	if (!busy)
		return 0;
	cpt_session_abort(s);
	ret = -EBUSY;

out_put:
	cpt_session_put(s);
	return ret;
}

static int cpt_next_subsys(struct cpt_session *s, int mode, u32 subsys, u32 flags)
{
	if (flags || subsys == 0 || subsys > CPT_SUBSYS_MAX)
		return -EINVAL;
	if (s->mode != mode)
		return -EINVAL;
	if (s->error)
		return -ECANCELED;
	/* The image is a stream: records come in the order they were written. */
	if (subsys <= s->last_subsys)
		return -EALREADY;
	s->last_subsys = subsys;
	return 0;
}

/* Only SIGKILL gets a frozen task out: then it is no use saving the rest. */
static bool cpt_task_killed(const struct cpt_task *t)
{
	return READ_ONCE(t->task->exit_state) || (READ_ONCE(t->task->flags) & PF_EXITING);
}

static int cpt_save_task(struct cpt_session *s, u32 subsys)
{
	const struct cpt_subsys_ops *ops;
	struct cpt_pb_buf msg;
	int ret;

	/* The root too: what the tree's files are relative to is its. */
	if (cpt_task_killed(s->cur) || cpt_task_killed(&s->tasks[0])) {
		cpt_note("pid %d was killed during the checkpoint\n",
			 cpt_task_killed(s->cur) ? s->cur->pid : s->tasks[0].pid);
		return -ESRCH;
	}
	if (subsys == CPT_SUBSYS_MM)
		return cpt_mm_save(s);
	if (subsys >= ARRAY_SIZE(cpt_subsystems) || !cpt_subsystems[subsys])
		return -EINVAL;
	ops = cpt_subsystems[subsys];
	/* Its user registers are on its stack, which a death would free. */
	if (!try_get_task_stack(s->cur->task))
		return -ESRCH;
	cpt_pb_init(&msg);
	ret = ops->save(s, &msg);
	cpt_sym.put_task_stack(s->cur->task);
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	return cpt_write_message(s, ops->record, &msg);
}

/* One record per task that has state of this kind, in tree order. */
static int cpt_save_subsys(struct cpt_session *s, u32 subsys)
{
	unsigned int i;
	int ret = 0;

	for (i = 0; !ret && i < s->nr_tasks; i++) {
		if (!cpt_task_has_record(&s->tasks[i], subsys))
			continue;
		s->cur = &s->tasks[i];
		ret = cpt_save_task(s, subsys);
	}
	s->cur = NULL;
	return ret;
}

/*
 * The caller's own record (CPT_REC_MANIFEST), right after INIT's: written
 * or read by the session, so that while a key is loaded it is tagged as
 * the session's own records are, at its place in the image. Checkpoint:
 * *buf holds the payload; restart: *buf and *len are set to the payload
 * read. The caller's memory is touched only outside s->lock. Called with
 * s->lock held.
 */
static int cpt_user_record(struct cpt_session *s, struct cpt_user_record *req,
			   void **buf, size_t *len)
{
	if (s->user_record_done || s->img.records != s->init_records) {
		cpt_note("the caller's record comes right after the image's tree, once\n");
		return -EINVAL;
	}
	s->user_record_done = true;
	if (s->mode == CPT_MODE_CHECKPOINT)
		return cpt_record_write(&s->img, req->type, *buf, req->len);
	*buf = cpt_record_read(&s->img, req->type, len);
	if (IS_ERR(*buf)) {
		int ret = PTR_ERR(*buf);

		*buf = NULL;
		return ret;
	}
	if (*len > req->len) {
		cpt_note("image record %llu: its %zu bytes exceed the caller's %llu\n",
			 s->img.records - 1, *len, req->len);
		return -EMSGSIZE;
	}
	return 0;
}

long cpt_ioctl_user_record(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_user_record *req = &arg->user_record;
	struct cpt_session *s;
	void *buf = NULL;
	size_t len = 0;
	int ret;

	if (req->type != CPT_REC_MANIFEST) {
		cpt_note("the caller's record may be a MANIFEST (%u) only, not type %u\n",
			 CPT_REC_MANIFEST, req->type);
		return -EINVAL;
	}
	if (req->flags || req->reserved[0] || req->reserved[1]) {
		cpt_note("the caller's record: flags %#x unknown, or reserved fields not zero\n",
			 req->flags);
		return -EINVAL;
	}
	s = cpt_session_of(cf);
	if (!s) {
		cpt_note("the caller's record needs a session: CPT_IOC_INIT first\n");
		return -EINVAL;
	}
	/* The mode is set before the session is published, and never changes. */
	if (s->mode == CPT_MODE_CHECKPOINT) {
		if (req->len > CPT_USER_RECORD_MAX) {
			cpt_note("the caller's record of %llu bytes exceeds its %u\n", req->len,
				 CPT_USER_RECORD_MAX);
			ret = -EFBIG;
			goto out_put;
		}
		buf = vmemdup_user(u64_to_user_ptr(req->buf), req->len);
		if (IS_ERR(buf)) {
			ret = PTR_ERR(buf);
			buf = NULL;
			goto out_put;
		}
	}
	if (mutex_lock_killable(&s->lock)) {
		ret = -EINTR;
		goto out_put;
	}
	if (s->error) {
		ret = -ECANCELED;
	} else {
		ret = cpt_user_record(s, req, &buf, &len);
		/* The image is a stream: a record half written or read leaves it unusable. */
		if (ret && ret != -EINVAL)
			s->error = ret;
	}
	mutex_unlock(&s->lock);
	/* Read (and tagged) whether or not the copy succeeds: the caller's loss. */
	if (!ret && s->mode == CPT_MODE_RESTART) {
		req->len = len;
		if (copy_to_user(u64_to_user_ptr(req->buf), buf, len))
			ret = -EFAULT;
	}
out_put:
	kvfree(buf);
	cpt_session_put(s);
	return ret;
}

long cpt_ioctl_save(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_subsys *req = &arg->subsys;
	struct cpt_session *s;
	u64 before;
	int ret;

	if (req->reserved[0] || req->reserved[1] || req->bytes)
		return -EINVAL;
	s = cpt_session_of(cf);
	if (!s)
		return -EINVAL;
	if (mutex_lock_killable(&s->lock)) {
		cpt_session_put(s);
		return -EINTR;
	}
	ret = cpt_next_subsys(s, CPT_MODE_CHECKPOINT, req->subsys, req->flags);
	if (!ret) {
		before = s->img.bytes;
		ret = cpt_save_subsys(s, req->subsys);
		req->bytes = s->img.bytes - before;
		if (ret)
			s->error = ret;
	}
	mutex_unlock(&s->lock);
	cpt_session_put(s);
	return ret;
}

static struct cpt_task *cpt_restoring_task(struct cpt_session *s)
{
	pid_t self = task_pid_vnr(current);
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (s->tasks[i].pid == self && !s->tasks[i].zombie)
			return &s->tasks[i];
	return NULL;
}

bool cpt_session_threads_parked(struct cpt_session *s)
{
	unsigned int i, parked = 0;

	for (i = 0; i < s->nr_tasks; i++) {
		struct cpt_task *t = &s->tasks[i];

		if (t == s->cur || t->tgid != s->cur->pid)
			continue;
		if (t->state != CPT_RESTORE_PARKED || !t->task ||
		    !same_thread_group(t->task, current))
			return false;
		parked++;
	}
	return get_nr_threads(current) == parked + 1;
}

/*
 * Whether the restored task's ids are the tree's: its parent, and its
 * group and session where those are the tree's own (a root started by a
 * shell keeps the shell's).
 */
static int cpt_check_ids(struct cpt_session *s, struct cpt_task *t)
{
	pid_t ppid, pgid = task_pgrp_vnr(current), sid = task_session_vnr(current);
	/* The root's process: its parent, and maybe its group and session, are cptctl's. */
	bool root = t->tgid == s->tasks[0].pid;

	rcu_read_lock();
	ppid = task_tgid_vnr(rcu_dereference(current->real_parent));
	rcu_read_unlock();
	if ((!root && ppid != t->ppid) ||
	    (pgid != t->pgid && (!root || t->pgid == t->pid)) ||
	    (sid != t->sid && (!root || t->sid == t->pid))) {
		cpt_note("pid %u has parent %d, group %d, session %d; the tree says %u, %u, %u\n",
			 t->pid, ppid, pgid, sid, t->ppid, t->pgid, t->sid);
		return -EINVAL;
	}
	return 0;
}

/*
 * The last restore step, in the restoring task: replace its memory (a
 * process's main thread), files, signal state and credentials with the
 * saved ones, wait for FINALIZE, then leave the kernel with the saved
 * registers. Past cpt_mm_restore()'s point of no return, any failure kills
 * the task: it has nothing left to return to.
 */
static int cpt_restore_final(struct cpt_session *s, struct cpt_task *t, u32 subsys,
			     struct file *pin)
{
	bool leader = cpt_task_is_leader(t);
	int ret;

	ret = cpt_check_ids(s, t);
	if (ret)
		return ret;
	if (leader) {
		ret = cpt_mm_restore(s);
	} else {
		ret = cpt_read_message(s, CPT_REC_CPU, cpt_cpu_ops.restore);
		if (!ret)
			cpt_task_forget_user_pointers();
	}
	if (ret)
		goto fail;
	/* Past here a thread is half its old self, half the saved one: it must die. */
	cpt_seek_record(s, subsys, t - s->tasks + 1);
	if (leader)
		ret = cpt_files_apply(s);
	if (!ret)
		ret = cpt_signals_apply(s);
	if (!ret)
		ret = cpt_task_apply(s);
	if (ret)
		goto fail_changed;

	cpt_set_restore_state(s, t, CPT_RESTORE_PARKED);
	mutex_unlock(&s->lock);
	wait_event_killable(s->wq, READ_ONCE(t->state) != CPT_RESTORE_PARKED);
	mutex_lock(&s->lock);
	if (t->state != CPT_RESTORE_RELEASED) {
		cpt_set_restore_state(s, t, CPT_RESTORE_ABORTED);
		return -EINTR;
	}
	s->cur = t;
	cpt_task_apply_user_pointers(s);
	cpt_files_adopt(t);
	return cpt_cpu_apply(s, pin);

fail_changed:
	force_sig(SIGKILL);
fail:
	cpt_set_restore_state(s, t, CPT_RESTORE_FAILED);
	return ret;
}

/* Waits, without the lock, until it is t's turn to read its record of subsys. */
static int cpt_wait_turn(struct cpt_session *s, struct cpt_task *t, u32 subsys)
{
	unsigned int index = t - s->tasks;
	int ret;

	while (s->rec_subsys != subsys || s->rec_task != index) {
		if (s->error || s->aborted)
			return -ECANCELED;
		mutex_unlock(&s->lock);
		ret = wait_event_killable(s->wq, READ_ONCE(s->error) || READ_ONCE(s->aborted) ||
					  (READ_ONCE(s->rec_subsys) == subsys &&
					   READ_ONCE(s->rec_task) == index));
		mutex_lock(&s->lock);
		if (ret)
			return ret;
	}
	return s->error || s->aborted ? -ECANCELED : 0;
}

/* Checks the request against the calling task's place in the tree, binding it. */
static int cpt_restore_check(struct cpt_session *s, struct cpt_task *t, u32 subsys, u32 flags)
{
	if (flags || subsys == 0 || subsys > CPT_SUBSYS_MAX || s->mode != CPT_MODE_RESTART)
		return -EINVAL;
	if (s->error || s->aborted)
		return -ECANCELED;
	if (!t) {
		cpt_note("pid %d is not a task of the image's tree\n", task_pid_vnr(current));
		return -ESRCH;
	}
	if (t->task ? t->task != current : subsys != CPT_SUBSYS_TASK)
		return t->task ? -EPERM : -EINVAL;
	if (subsys != t->done_subsys + 1)
		return -EALREADY;
	if (!t->task) {
		if (current->tgid == s->coordinator) {
			cpt_note("the coordinator cannot restore itself\n");
			return -EINVAL;
		}
		if (!cpt_nextid_may_restore(s)) {
			cpt_note("pid %d: not in the pid namespace of the tree's pids\n",
				 task_pid_vnr(current));
			return -EPERM;
		}
		/* Read without the lock by an abort, to kill it. */
		WRITE_ONCE(t->task, get_task_struct(current));
	}
	return 0;
}

long cpt_ioctl_restore(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_subsys *req = &arg->subsys;
	const struct cpt_subsys_ops *ops;
	struct cpt_session *s;
	struct cpt_task *t;
	bool killed = false;
	u64 before;
	int ret;

	if (req->reserved[0] || req->reserved[1] || req->bytes)
		return -EINVAL;
	s = cpt_session_of(cf);
	if (!s)
		return -EINVAL;
	if (mutex_lock_killable(&s->lock)) {
		cpt_session_put(s);
		return -EINTR;
	}
	t = cpt_restoring_task(s);
	ret = cpt_restore_check(s, t, req->subsys, req->flags);
	/*
	 * A task of the tree refused a step cannot go on: the restart fails
	 * now, or FINALIZE would wait for it to park. Another caller's
	 * mistake is its own.
	 */
	if (ret && t && t->task == current)
		goto out_fail;
	if (ret)
		goto out_unlock;
	t->done_subsys = req->subsys;
	if (!cpt_task_has_record(t, req->subsys))
		goto out_unlock;
	/* Its leader may wait for it to be back in (cpt_files_restore.c). */
	wake_up_all(&s->wq);
	ret = cpt_wait_turn(s, t, req->subsys);
	if (ret)
		goto out_fail;
	s->cur = t;
	before = s->img.bytes;
	if (req->subsys == cpt_task_last_subsys(t)) {
		/* The final step drops its file reference only once its work is done. */
		get_file(cf->file);
		ret = cpt_restore_final(s, t, req->subsys, cf->file);
		if (!ret) {
			ret = CPT_RET_RESTORED;
		} else {
			fput(cf->file);
			/*
			 * The caller's memory may be gone: it can only die. A
			 * thread that failed half-way was killed already.
			 */
			killed = t->state != CPT_RESTORE_FAILED || cpt_task_is_leader(t) ||
				 fatal_signal_pending(current);
			if (killed)
				force_sig(SIGKILL);
		}
	} else {
		ops = cpt_subsystems[req->subsys];
		ret = cpt_read_message(s, ops->record, ops->restore);
		if (!ret)
			cpt_seek_record(s, req->subsys, t - s->tasks + 1);
		req->bytes = s->img.bytes - before;
	}
	s->cur = NULL;
out_fail:
	if (ret < 0) {
		if (ret != -ECANCELED)
			cpt_note_failure(s, t, req->subsys, ret, killed);
		s->error = s->error ?: ret;
		t->state = CPT_RESTORE_FAILED;
		wake_up_all(&s->wq);
	}
out_unlock:
	mutex_unlock(&s->lock);
	cpt_session_put(s);
	return ret;
}

/* Sends sig to every live process of the tree. */
static void cpt_signal_tree(struct cpt_session *s, int sig)
{
	unsigned int i;

	for (i = 0; i < s->nr_tasks; i++)
		if (cpt_task_is_leader(&s->tasks[i]) && !s->tasks[i].zombie)
			send_sig(sig, s->tasks[i].task, 1);
}

static int cpt_finish_checkpoint(struct cpt_session *s, u32 action, u64 *frozen_ns)
{
	struct cpt_pb_buf msg;
	int ret = 0;

	if (!s->error && s->last_subsys == CPT_SUBSYS_MAX) {
		/* A task stopped by job control may have been continued meanwhile. */
		ret = cpt_tree_held(s);
		if (!ret && action == CPT_FINALIZE_KILL)
			ret = cpt_inet_may_end_connections(s);
		if (!ret) {
			cpt_pb_init(&msg);
			cpt_pb_u64(&msg, CPT_PB_TRAILER_RECORDS, s->img.records);
			cpt_pb_u64(&msg, CPT_PB_TRAILER_BYTES, s->img.bytes);
			ret = cpt_auth_trailer(s->img.auth, &msg);
			if (ret)
				cpt_pb_free(&msg);
			else
				ret = cpt_write_message(s, CPT_REC_TRAILER, &msg);
		}
	} else {
		ret = s->error ?: -EINVAL;
	}
	/* Only a complete image may cost the tree its life. */
	if (!ret && action == CPT_FINALIZE_KILL) {
		/* Before the kill's close() could reset them, or a peer's data be acknowledged. */
		cpt_inet_end_connections(s);
		cpt_signal_tree(s, SIGKILL);
	} else if (!ret && action == CPT_FINALIZE_STOP) {
		cpt_signal_tree(s, SIGSTOP);
	}
	/* The tree runs on: the holds its connections got go. */
	if (ret || action != CPT_FINALIZE_KILL)
		cpt_inet_cancel_holds(s);
	*frozen_ns = ktime_to_ns(ktime_sub(ktime_get(), s->frozen_at));
	cpt_tree_thaw(s);
	return ret;
}

/* How long FINALIZE waits for a task that was never created (in 0.1 s polls). */
#define CPT_UNBORN_POLLS 20

/*
 * Whether every task of the tree parked (0), one failed (its error), or is
 * still on its way (-EAGAIN). A task that died on the way (killed before it
 * could report) never says so, nor does one that was never created: look
 * for both. Called with s->lock held.
 */
static int cpt_tree_parked(struct cpt_session *s, unsigned int polls)
{
	struct cpt_task *t;
	unsigned int i;
	int ret = 0;

	/*
	 * A failure recorded comes first: a thread that fails half-way kills
	 * its process, whose other tasks, dead before they could report,
	 * would otherwise hide why.
	 */
	if (s->error) {
		if (s->failure[0])
			cpt_note("%s\n", s->failure);
		return s->error;
	}
	for (i = 0; i < s->nr_tasks; i++) {
		t = &s->tasks[i];
		if (t->zombie || (t->state == CPT_RESTORE_PARKED && !(t->task->flags & PF_EXITING)))
			continue;
		if (t->state == CPT_RESTORE_PARKED) {
			cpt_note("the restored task %u was killed before it could run\n", t->pid);
			return -ECHILD;
		}
		/* Failed without a failure recorded: aborted. */
		if (t->state != CPT_RESTORE_RUNNING)
			return -ECHILD;
		if (t->task && (t->task->flags & PF_EXITING)) {
			cpt_note("the restoring task %u died before it was restored\n", t->pid);
			cpt_set_restore_state(s, t, CPT_RESTORE_FAILED);
			return -ECHILD;
		}
		if (!t->task && polls >= CPT_UNBORN_POLLS) {
			cpt_note("task %u of the tree never came to restore itself\n", t->pid);
			return -ECHILD;
		}
		ret = -EAGAIN;
	}
	return ret;
}

/*
 * Called with s->lock held. If the coordinator is killed meanwhile, it
 * returns -EINTR with *unlocked set: the session is then aborted as its
 * file's close would abort it (a lock holder killed, the last put ends it).
 */
static int cpt_finish_restart(struct cpt_session *s, u32 action, bool *unlocked)
{
	unsigned int polls, i, seen;
	long left;
	int ret;

	if (action != CPT_FINALIZE_RESUME) {
		cpt_session_abort_locked(s);
		return 0;
	}
	for (polls = 0; (ret = cpt_tree_parked(s, polls)) == -EAGAIN; polls++) {
		seen = s->events;
		mutex_unlock(&s->lock);
		left = wait_event_killable_timeout(s->wq, READ_ONCE(s->events) != seen, HZ / 10);
		if (left < 0 || mutex_lock_killable(&s->lock)) {
			*unlocked = true;
			cpt_session_abort(s);
			return -EINTR;
		}
	}
	/* Nothing restored runs before the image proves itself, when it must. */
	if (!ret)
		ret = cpt_auth_verify(s) ?: cpt_unix_pairs_complete(s);
	if (ret) {
		cpt_session_abort_locked(s);
		return ret;
	}
	/* Stopped processes stop again before any restored task runs. */
	ret = cpt_jobctl_apply(s) ?: cpt_inet_resume_connections(s) ?: cpt_shell_tty_finish(s);
	if (ret) {
		cpt_session_abort_locked(s);
		return ret;
	}
	cpt_nextid_unreserve(s);
	cpt_ipc_finish(s);
	/* The restored processes hold their shared memory now. */
	cpt_mm_shmem_release(s);
	for (i = 0; i < s->nr_tasks; i++)
		if (!s->tasks[i].zombie)
			s->tasks[i].state = CPT_RESTORE_RELEASED;
	wake_up_all(&s->wq);
	return 0;
}

long cpt_ioctl_finalize(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_finalize *req = &arg->finalize;
	bool unlocked = false;
	struct cpt_session *s;
	int ret;

	if (req->flags || req->frozen_ns || req->reserved[0] || req->reserved[1] ||
	    req->tasks || req->pages_scanned || req->pages_written || req->mm_scan_ns ||
	    req->mm_write_ns)
		return -EINVAL;
	if (req->action < CPT_FINALIZE_RESUME || req->action > CPT_FINALIZE_STOP)
		return -EINVAL;
	s = cpt_session_of(cf);
	if (!s)
		return -EINVAL;
	if (current->tgid != s->coordinator)
		ret = -EPERM;
	else if (s->mode == CPT_MODE_RESTART && req->action == CPT_FINALIZE_STOP)
		ret = -EINVAL;
	/* The tree's connections were held for a kill: only a kill may follow. */
	else if (s->kill && req->action != CPT_FINALIZE_KILL)
		ret = -EINVAL;
	else
		ret = 0;
	cpt_session_put(s);
	if (ret)
		return ret;
	/* The file's reference now belongs to us; a racing finalize finds none. */
	s = cpt_session_take(cf);
	if (!s)
		return -EINVAL;
	if (mutex_lock_killable(&s->lock)) {
		cpt_session_abort(s);
		cpt_session_put(s);
		return -EINTR;
	}
	if (s->mode == CPT_MODE_CHECKPOINT)
		ret = cpt_finish_checkpoint(s, req->action, &req->frozen_ns);
	else
		ret = cpt_finish_restart(s, req->action, &unlocked);
	if (unlocked) {
		cpt_session_put(s);
		return ret;
	}
	req->tasks = s->nr_tasks;
	req->pages_scanned = s->stats.pages_scanned;
	req->pages_written = s->stats.pages_written;
	req->mm_scan_ns = s->stats.mm_scan_ns;
	req->mm_write_ns = s->stats.mm_write_ns;
	mutex_unlock(&s->lock);
	cpt_session_put(s);
	return ret;
}
