/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_INTERNAL_H
#define CPT_INTERNAL_H

#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/cpt.h>

#define CPT_FEATURES_SUPPORTED 0ULL

/* One open /dev/cpt. A session, when there is one, belongs to it. */
struct cpt_file {
	struct mutex lock; /* serialises the ioctls of this file */
};

/* Every ioctl argument, so that one buffer on the stack fits them all. */
union cpt_ioctl_arg {
	struct cpt_api api;
};

u64 cpt_supported_ioctls(void);
long cpt_ioctl_api(struct cpt_file *cf, union cpt_ioctl_arg *arg);

#endif /* CPT_INTERNAL_H */
