// SPDX-License-Identifier: GPL-2.0
/*
 * cpt: kernel-assisted checkpoint/restart of process trees.
 *
 * The misc device /dev/cpt and its ioctl plumbing: each ioctl is described
 * once in cpt_ioctls[], and the generic code here copies its argument in and
 * out by the size the caller's ioctl number carries, so that structs can grow.
 */
#include <linux/fs.h>
#include <linux/file.h>
#include <linux/kernel.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "cpt_auth.h"
#include "cpt_compat.h"
#include "cpt_internal.h"
#include "cpt_tcp_hold.h"
#include "cpt_timed_wait.h"

struct cpt_ioctl_desc {
	unsigned int cmd;
	size_t min_size; /* the struct as first published */
	long (*handler)(struct cpt_file *cf, union cpt_ioctl_arg *arg);
};

static const struct cpt_ioctl_desc cpt_ioctls[] = {
	[_CPT_API] = { CPT_IOC_API, CPT_API_SIZE_VER0, cpt_ioctl_api },
	[_CPT_INIT] = { CPT_IOC_INIT, CPT_INIT_SIZE_VER0, cpt_ioctl_init },
	[_CPT_SAVE] = { CPT_IOC_SAVE, CPT_SUBSYS_SIZE_VER0, cpt_ioctl_save },
	[_CPT_RESTORE] = { CPT_IOC_RESTORE, CPT_SUBSYS_SIZE_VER0, cpt_ioctl_restore },
	[_CPT_FINALIZE] = { CPT_IOC_FINALIZE, CPT_FINALIZE_SIZE_VER0, cpt_ioctl_finalize },
	[_CPT_SET_NEXT_ID] = { CPT_IOC_SET_NEXT_ID, CPT_NEXT_ID_SIZE_VER0, cpt_ioctl_set_next_id },
	[_CPT_MESSAGE] = { CPT_IOC_MESSAGE, CPT_MESSAGE_SIZE_VER0, cpt_ioctl_message },
	[_CPT_KEY] = { CPT_IOC_KEY, CPT_KEY_SIZE_VER0, cpt_ioctl_key },
	[_CPT_HOLD] = { CPT_IOC_HOLD, CPT_HOLD_SIZE_VER0, cpt_ioctl_hold },
	[_CPT_USER_RECORD] = { CPT_IOC_USER_RECORD, CPT_USER_RECORD_SIZE_VER0,
			       cpt_ioctl_user_record },
};

u64 cpt_supported_ioctls(void)
{
	u64 mask = 0;
	unsigned int nr;

	for (nr = 0; nr < ARRAY_SIZE(cpt_ioctls); nr++)
		if (cpt_ioctls[nr].handler)
			mask |= BIT_ULL(nr);
	return mask;
}

static const struct cpt_ioctl_desc *cpt_ioctl_lookup(unsigned int cmd)
{
	unsigned int nr = _IOC_NR(cmd);
	const struct cpt_ioctl_desc *desc;

	if (_IOC_TYPE(cmd) != CPT_IOC_MAGIC || nr >= ARRAY_SIZE(cpt_ioctls))
		return NULL;
	desc = &cpt_ioctls[nr];
	if (!desc->handler || _IOC_DIR(cmd) != _IOC_DIR(desc->cmd))
		return NULL;
	return desc;
}

static long cpt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct cpt_file *cf = file->private_data;
	void __user *uarg = (void __user *)arg;
	const struct cpt_ioctl_desc *desc;
	size_t usize = _IOC_SIZE(cmd);
	size_t ksize;
	union cpt_ioctl_arg karg;
	struct cpt_note_slot note;
	long ret;

	desc = cpt_ioctl_lookup(cmd);
	if (!desc)
		return -ENOTTY;
	ksize = _IOC_SIZE(desc->cmd);
	if (usize < desc->min_size)
		return -EINVAL;

	memset(&karg, 0, sizeof(karg));
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		/* A longer struct from newer user space must end in zeros. */
		ret = copy_struct_from_user(&karg, ksize, uarg, usize);
		if (ret)
			return ret == -E2BIG ? -EINVAL : ret;
	}

	/*
	 * Handlers lock what they need: a restoring task blocks in one.
	 * A restore gives the task its image's fd table, closing its fd of
	 * this file, and fdget() took no reference for a task whose table is
	 * not shared: once the other tasks close theirs, cf would be freed
	 * under the note below (KASAN, on the debug kernel). Hold our own;
	 * a last fput() here is deferred to the return to user space.
	 */
	get_file(file);
	if (desc->handler == cpt_ioctl_message) {
		ret = desc->handler(cf, &karg);
	} else {
		cpt_note_begin(&note);
		ret = desc->handler(cf, &karg);
		cpt_note_end(&note, cf, ret);
	}
	fput(file);
	if (ret < 0)
		return ret;
	if (ret == CPT_RET_RESTORED)
		return 0;

	if ((_IOC_DIR(cmd) & _IOC_READ) &&
	    copy_to_user(uarg, &karg, min(usize, ksize)))
		return -EFAULT;
	return ret;
}

static int cpt_open(struct inode *inode, struct file *file)
{
	struct cpt_file *cf;

	cf = kzalloc(sizeof(*cf), GFP_KERNEL);
	if (!cf)
		return -ENOMEM;
	mutex_init(&cf->lock);
	cf->file = file;
	file->private_data = cf;
	return 0;
}

/* Every close(), in fd table id: the session's process closing its last fd ends the session. */
static int cpt_flush(struct file *file, fl_owner_t id)
{
	cpt_session_close(file->private_data, id);
	return 0;
}

static int cpt_release(struct inode *inode, struct file *file)
{
	struct cpt_file *cf = file->private_data;

	cpt_session_close(cf, NULL);
	mutex_destroy(&cf->lock);
	kfree(cf);
	return 0;
}

static const struct file_operations cpt_fops = {
	.owner = THIS_MODULE,
	.open = cpt_open,
	.flush = cpt_flush,
	.release = cpt_release,
	.unlocked_ioctl = cpt_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice cpt_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = CPT_DEVICE_NAME,
	.fops = &cpt_fops,
	.mode = 0600,
};

/*
 * Init's unwind and cpt_exit() undo the same steps in the same order. A key
 * or a timed wait's pin needs the device, so none can exist if init fails;
 * their exits run anyway, so that both paths stay the same list.
 */
static int __init cpt_init(void)
{
	int ret;

	/* The kernel's internals as cpt uses them, checked; the probes set. */
	ret = cpt_compat_init();
	if (ret)
		return ret;
	ret = cpt_tcp_hold_init();
	if (ret) {
		pr_err("cannot register the TCP holds' network namespace part: %d\n", ret);
		goto out_compat;
	}
	ret = misc_register(&cpt_miscdev);
	if (ret) {
		pr_err("cannot register /dev/%s: %d\n", CPT_DEVICE_NAME, ret);
		goto out_tcp_hold;
	}
	return 0;

out_tcp_hold:
	cpt_timed_wait_exit();
	cpt_tcp_hold_exit();
out_compat:
	cpt_auth_exit();
	cpt_compat_exit();
	return ret;
}

static void __exit cpt_exit(void)
{
	misc_deregister(&cpt_miscdev);
	cpt_timed_wait_exit();
	cpt_tcp_hold_exit();
	cpt_auth_exit();
	cpt_compat_exit();
}

module_init(cpt_init);
module_exit(cpt_exit);

MODULE_DESCRIPTION("Kernel-assisted checkpoint/restart of process trees");
MODULE_LICENSE("GPL");
MODULE_VERSION(CPT_MODULE_VERSION);
