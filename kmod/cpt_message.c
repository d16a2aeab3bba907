// SPDX-License-Identifier: GPL-2.0
/*
 * Words for failures. An errno says little ("EOPNOTSUPP"); cpt_note() says
 * what ("fd 5: socket is not supported"). The note goes to the kernel log,
 * and the first note of an ioctl that fails is kept in its file, for the
 * task that made the call to read with CPT_IOC_MESSAGE. Notes find their
 * ioctl through the calling task, so deep code needs no session to report.
 */
#include <linux/hashtable.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/ratelimit.h>
#include <linux/sched.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "cpt_internal.h"

static DEFINE_HASHTABLE(cpt_note_slots, 6);
static DEFINE_SPINLOCK(cpt_note_slots_lock);

void cpt_note_begin(struct cpt_note_slot *slot)
{
	slot->task = current;
	slot->text[0] = 0;
	spin_lock(&cpt_note_slots_lock);
	hash_add(cpt_note_slots, &slot->node, (unsigned long)current);
	spin_unlock(&cpt_note_slots_lock);
}

/*
 * Keeps a failed ioctl's note for its task. A failure without a note only
 * forgets the task's older one: tasks cancelled by another's failure must
 * not take the file's one message from that task before it reads it.
 */
void cpt_note_end(struct cpt_note_slot *slot, struct cpt_file *cf, long ret)
{
	pid_t self = task_pid_vnr(current);

	spin_lock(&cpt_note_slots_lock);
	hash_del(&slot->node);
	spin_unlock(&cpt_note_slots_lock);
	if (ret >= 0)
		return;
	mutex_lock(&cf->lock);
	if (slot->text[0]) {
		strscpy(cf->message, slot->text, sizeof(cf->message));
		cf->message_owner = self;
	} else if (cf->message_owner == self) {
		cf->message[0] = 0;
	}
	mutex_unlock(&cf->lock);
}

/* The note the calling task's ioctl has so far, or "". */
void cpt_note_pending(char *buf, size_t size)
{
	struct cpt_note_slot *slot;

	buf[0] = 0;
	spin_lock(&cpt_note_slots_lock);
	hash_for_each_possible(cpt_note_slots, slot, node, (unsigned long)current)
		if (slot->task == current)
			strscpy(buf, slot->text, size);
	spin_unlock(&cpt_note_slots_lock);
}

void cpt_note(const char *fmt, ...)
{
	static DEFINE_RATELIMIT_STATE(limit, DEFAULT_RATELIMIT_INTERVAL,
				      DEFAULT_RATELIMIT_BURST);
	struct cpt_note_slot *slot;
	struct va_format vaf;
	va_list args;
	size_t len;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	if (__ratelimit(&limit))
		pr_info("%pV", &vaf);
	va_end(args);

	spin_lock(&cpt_note_slots_lock);
	hash_for_each_possible(cpt_note_slots, slot, node, (unsigned long)current) {
		if (slot->task != current || slot->text[0])
			continue;
		va_start(args, fmt);
		vsnprintf(slot->text, sizeof(slot->text), fmt, args);
		va_end(args);
		len = strlen(slot->text);
		if (len && slot->text[len - 1] == '\n')
			slot->text[len - 1] = 0;
	}
	spin_unlock(&cpt_note_slots_lock);
}

long cpt_ioctl_message(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_message *req = &arg->message;
	char text[CPT_MESSAGE_MAX] = "";
	size_t len;

	if (req->reserved0 || req->reserved[0] || req->reserved[1] || !req->size)
		return -EINVAL;
	mutex_lock(&cf->lock);
	if (cf->message_owner == task_pid_vnr(current))
		strscpy(text, cf->message, sizeof(text));
	mutex_unlock(&cf->lock);
	/* A restart's coordinator, whose own call failed for another's failure. */
	if (!text[0])
		cpt_session_failure(cf, text, sizeof(text));
	len = min_t(size_t, strlen(text), req->size - 1);
	text[len] = 0;
	if (copy_to_user(u64_to_user_ptr(req->buf), text, len + 1))
		return -EFAULT;
	return len;
}
