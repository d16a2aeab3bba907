// SPDX-License-Identifier: GPL-2.0
/* The handshake: the caller states what it needs, the module what it has. */
#include <linux/errno.h>

#include "cpt_internal.h"

long cpt_ioctl_api(struct cpt_file *cf, union cpt_ioctl_arg *arg)
{
	struct cpt_api *api = &arg->api;

	if (api->api != CPT_API || api->flags)
		return -EINVAL;
	if (api->reserved[0] || api->reserved[1])
		return -EINVAL;
	if (api->features & ~CPT_FEATURES_SUPPORTED)
		return -EINVAL;

	api->features = CPT_FEATURES_SUPPORTED;
	api->ioctls = cpt_supported_ioctls();
	return 0;
}
