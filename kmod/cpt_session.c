// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: init, save or restore one subsystem at a time, finalize. A
 * session that ends any other way (its file closed, its caller killed, an
 * error) is aborted: a checkpoint target resumes untouched, a half-restored
 * task is killed.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/pid.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/utsname.h>

#include "cpt_pb_fields.h"
#include "cpt_session.h"

static const struct cpt_subsys_ops *const cpt_subsystems[] = {
	[CPT_SUBSYS_TASK] = &cpt_task_ops,
	[CPT_SUBSYS_SIGNALS] = &cpt_signals_ops,
	[CPT_SUBSYS_FILES] = &cpt_files_ops,
	[CPT_SUBSYS_CPU] = &cpt_cpu_ops,
};

static void cpt_session_release(struct kref *ref)
{
	struct cpt_session *s = container_of(ref, struct cpt_session, ref);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cpt_subsystems); i++)
		if (cpt_subsystems[i] && cpt_subsystems[i]->free)
			cpt_subsystems[i]->free(s);
	if (s->restorer)
		put_task_struct(s->restorer);
	if (s->target)
		put_task_struct(s->target);
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

static void cpt_set_restore_state(struct cpt_session *s, enum cpt_restore_state state)
{
	s->state = state;
	wake_up_all(&s->wq);
}

/* Ends a session that did not finalize. Called with s->lock held. */
static void cpt_session_abort_locked(struct cpt_session *s)
{
	if (s->freezer) {
		cpt_thaw(s->freezer);
		s->freezer = NULL;
	}
	if (s->mode == CPT_MODE_RESTART && s->state != CPT_RESTORE_RELEASED)
		cpt_set_restore_state(s, CPT_RESTORE_ABORTED);
}

void cpt_session_abort(struct cpt_session *s)
{
	mutex_lock(&s->lock);
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

/*
 * A close() of the file: by the session's own process, or the file's last
 * one, ends an unfinished session. Other processes sharing the file (a
 * restoring child) may close their copies freely.
 */
void cpt_session_close(struct cpt_file *cf, bool last)
{
	struct cpt_session *s;

	mutex_lock(&cf->lock);
	s = cf->session;
	if (s && (last || current->tgid == s->coordinator))
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

	cpt_pb_reader_init(&r, data, len);
	while ((ret = cpt_pb_next(&r, &f)) > 0) {
		switch (f.num) {
		case CPT_PB_IMAGE_HEADER_FORMAT_VERSION:
			ret = cpt_pb_get_u32(&f, &version);
			break;
		case CPT_PB_IMAGE_HEADER_KERNEL_RELEASE:
			ret = cpt_pb_get_string(&f, release, sizeof(release));
			break;
		case CPT_PB_IMAGE_HEADER_ARCH:
			ret = cpt_pb_get_string(&f, arch, sizeof(arch));
			break;
		case CPT_PB_IMAGE_HEADER_XFEATURES:
			ret = cpt_pb_get_u64(&f, &xfeatures);
			break;
		case CPT_PB_IMAGE_HEADER_XSTATE_SIZE:
			ret = cpt_pb_get_u32(&f, &xstate_size);
			break;
		case CPT_PB_IMAGE_HEADER_PAGE_SIZE:
			ret = cpt_pb_get_u32(&f, &page_size);
			break;
		default:	/* a field for display only, or a newer one */
			ret = 0;
		}
		if (ret)
			return ret;
	}
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

/* What one process checkpoint can take: a live, single-threaded, childless user process, not us. */
static int cpt_check_target(struct task_struct *task)
{
	if (task->flags & (PF_KTHREAD | PF_EXITING) || task->exit_state)
		return -ESRCH;
	if (same_thread_group(task, current))
		return -EINVAL;
	if (!cpt_may_checkpoint(task))
		return -EPERM;
	if (!thread_group_leader(task) || get_nr_threads(task) != 1 ||
	    !list_empty(&task->children)) {
		cpt_note("pid %d: threads and children are not supported yet\n",
			 task_pid_nr(task));
		return -EOPNOTSUPP;
	}
	return 0;
}

static int cpt_start_checkpoint(struct cpt_session *s, u32 target)
{
	struct cpt_freezer *fz;
	int ret;

	s->target = cpt_find_target(target);
	if (!s->target)
		return -ESRCH;
	ret = cpt_check_target(s->target);
	if (ret)
		return ret;
	fz = cpt_freeze(s->target);
	if (IS_ERR(fz))
		return PTR_ERR(fz);
	s->freezer = fz;
	s->frozen_at = ktime_get();
	s->xfeatures = cpt_cpu_user_xfeatures();
	return cpt_write_header(s);
}

static int cpt_start_restart(struct cpt_session *s)
{
	return cpt_read_message(s, CPT_REC_HEADER, cpt_check_header);
}

long cpt_ioctl_init(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_init *req = &arg->init;
	struct cpt_session *s;
	fmode_t need;
	bool busy;
	int ret;

	if (req->flags || req->reserved0 || req->reserved[0] || req->reserved[1])
		return -EINVAL;
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
	s->img.file = fget(req->image_fd);
	if (!s->img.file || !(s->img.file->f_mode & need)) {
		ret = -EBADF;
		goto out_put;
	}

	mutex_lock(&s->lock);
	ret = s->mode == CPT_MODE_CHECKPOINT ? cpt_start_checkpoint(s, req->target) :
					       cpt_start_restart(s);
	if (ret)
		cpt_session_abort_locked(s);
	mutex_unlock(&s->lock);
	if (ret)
		goto out_put;
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

static int cpt_save_subsys(struct cpt_session *s, u32 subsys)
{
	const struct cpt_subsys_ops *ops = cpt_subsystems[subsys];
	struct cpt_pb_buf msg;
	int ret;

	if (s->target->exit_state || (s->target->flags & PF_EXITING))
		return -ESRCH;
	if (subsys == CPT_SUBSYS_MM)
		return cpt_mm_save(s);
	cpt_pb_init(&msg);
	ret = ops->save(s, &msg);
	if (ret) {
		cpt_pb_free(&msg);
		return ret;
	}
	return cpt_write_message(s, ops->record, &msg);
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
	mutex_lock(&s->lock);
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

static int cpt_restore_subsys(struct cpt_session *s, u32 subsys)
{
	const struct cpt_subsys_ops *ops = cpt_subsystems[subsys];

	return cpt_read_message(s, ops->record, ops->restore);
}

/*
 * The last restore step, in the restoring task: replace its memory, files,
 * signal state and credentials with the saved ones, wait for FINALIZE, then
 * leave the kernel with the saved registers. Past cpt_mm_restore()'s point of
 * no return, any failure kills the task: it has nothing left to return to.
 */
static int cpt_restore_final(struct cpt_session *s, struct file *pin)
{
	int ret;

	ret = cpt_mm_restore(s);
	if (!ret)
		ret = cpt_files_apply(s);
	if (!ret)
		ret = cpt_signals_apply(s);
	if (!ret)
		ret = cpt_task_apply(s);
	if (ret) {
		cpt_set_restore_state(s, CPT_RESTORE_FAILED);
		return ret;
	}

	cpt_set_restore_state(s, CPT_RESTORE_PARKED);
	mutex_unlock(&s->lock);
	wait_event_killable(s->wq, READ_ONCE(s->state) != CPT_RESTORE_PARKED);
	mutex_lock(&s->lock);
	if (s->state != CPT_RESTORE_RELEASED) {
		cpt_set_restore_state(s, CPT_RESTORE_ABORTED);
		return -EINTR;
	}
	return cpt_cpu_apply(s, pin);
}

long cpt_ioctl_restore(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_subsys *req = &arg->subsys;
	struct cpt_session *s;
	int ret;

	if (req->reserved[0] || req->reserved[1] || req->bytes)
		return -EINVAL;
	s = cpt_session_of(cf);
	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	/* The task the TASK record made the restorer restores the rest, itself. */
	if (s->restorer ? s->restorer != current : req->subsys != CPT_SUBSYS_TASK) {
		ret = s->restorer ? -EPERM : -EINVAL;
		goto out_unlock;
	}
	ret = cpt_next_subsys(s, CPT_MODE_RESTART, req->subsys, req->flags);
	if (ret)
		goto out_unlock;
	if (req->subsys == CPT_SUBSYS_MM && !(s->signals && s->files && s->cpu)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (req->subsys == CPT_SUBSYS_MM) {
		/* The final step drops its file reference only once its work is done. */
		get_file(cf->file);
		ret = cpt_restore_final(s, cf->file);
		if (!ret) {
			ret = CPT_RET_RESTORED;
		} else {
			fput(cf->file);
			/* The caller's memory is gone: it can only die. */
			if (s->state != CPT_RESTORE_RUNNING)
				force_sig(SIGKILL);
		}
	} else {
		ret = cpt_restore_subsys(s, req->subsys);
	}
	if (ret < 0)
		s->error = ret;
out_unlock:
	mutex_unlock(&s->lock);
	cpt_session_put(s);
	return ret;
}

static int cpt_finish_checkpoint(struct cpt_session *s, u32 action, u64 *frozen_ns)
{
	struct cpt_pb_buf msg;
	int ret = 0;

	if (!s->error && s->last_subsys == CPT_SUBSYS_MAX) {
		cpt_pb_init(&msg);
		cpt_pb_u64(&msg, CPT_PB_TRAILER_RECORDS, s->img.records);
		cpt_pb_u64(&msg, CPT_PB_TRAILER_BYTES, s->img.bytes);
		ret = cpt_write_message(s, CPT_REC_TRAILER, &msg);
	} else {
		ret = s->error ?: -EINVAL;
	}
	/* Only a complete image may cost the target its life. */
	if (!ret && action == CPT_FINALIZE_KILL)
		send_sig(SIGKILL, s->target, 1);
	else if (!ret && action == CPT_FINALIZE_STOP)
		send_sig(SIGSTOP, s->target, 1);
	*frozen_ns = ktime_to_ns(ktime_sub(ktime_get(), s->frozen_at));
	cpt_thaw(s->freezer);
	s->freezer = NULL;
	return ret;
}

/*
 * Waits until the restoring task parks or fails. A task that dies on the
 * way (killed before it could report) never says so: look for that too.
 */
static int cpt_wait_restorer(struct cpt_session *s)
{
	struct task_struct *restorer;
	long left;

	for (;;) {
		left = wait_event_killable_timeout(s->wq,
						   READ_ONCE(s->state) != CPT_RESTORE_RUNNING,
						   HZ / 10);
		if (left < 0)
			return left;
		if (left > 0)
			return 0;
		mutex_lock(&s->lock);
		restorer = s->restorer;
		if (restorer && (restorer->flags & PF_EXITING) &&
		    s->state == CPT_RESTORE_RUNNING) {
			cpt_note("the restoring task %d died before it was restored\n",
				 task_pid_vnr(restorer));
			cpt_set_restore_state(s, CPT_RESTORE_FAILED);
		}
		mutex_unlock(&s->lock);
	}
}

static int cpt_finish_restart(struct cpt_session *s, u32 action)
{
	int ret;

	if (action != CPT_FINALIZE_RESUME) {
		cpt_set_restore_state(s, CPT_RESTORE_ABORTED);
		return 0;
	}
	mutex_unlock(&s->lock);
	ret = cpt_wait_restorer(s);
	mutex_lock(&s->lock);
	if (ret) {
		cpt_set_restore_state(s, CPT_RESTORE_ABORTED);
		return ret;
	}
	if (s->state != CPT_RESTORE_PARKED)
		return s->error ?: -ECHILD;
	cpt_set_restore_state(s, CPT_RESTORE_RELEASED);
	return 0;
}

long cpt_ioctl_finalize(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_finalize *req = &arg->finalize;
	struct cpt_session *s;
	int ret;

	if (req->flags || req->frozen_ns || req->reserved[0] || req->reserved[1])
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
	else
		ret = 0;
	cpt_session_put(s);
	if (ret)
		return ret;
	/* The file's reference now belongs to us; a racing finalize finds none. */
	s = cpt_session_take(cf);
	if (!s)
		return -EINVAL;
	mutex_lock(&s->lock);
	if (s->mode == CPT_MODE_CHECKPOINT)
		ret = cpt_finish_checkpoint(s, req->action, &req->frozen_ns);
	else
		ret = cpt_finish_restart(s, req->action);
	mutex_unlock(&s->lock);
	cpt_session_put(s);
	return ret;
}
