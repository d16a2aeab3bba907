/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * cpt: kernel-assisted checkpoint/restart of process trees.
 *
 * The user ABI of /dev/cpt, shared by the module and every user-space
 * caller. Rules that keep it stable without version bumps:
 *  - CPT_IOC_API is the handshake and is never renumbered. CPT_API never
 *    changes; new abilities appear as CPT_FEATURE_* bits and as bits in
 *    cpt_api.ioctls.
 *  - Every struct grows at its end only. The size the caller passes is the
 *    one encoded in the ioctl number: a shorter struct is zero-extended, a
 *    longer one is accepted only if its unknown tail is zero.
 *  - Reserved fields and unknown flags must be zero, or the call fails with
 *    EINVAL. Unknown ioctls fail with ENOTTY.
 *  - Only fixed-width types; pointers travel as __u64.
 */
#ifndef _UAPI_LINUX_CPT_H
#define _UAPI_LINUX_CPT_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define CPT_DEVICE_NAME "cpt"

#define CPT_IOC_MAGIC 0xCF

/* The value the caller puts in cpt_api.api. Never changes. */
#define CPT_API ((__u64)0xC0DE0001)

/* Ioctl numbers; (1ULL << _CPT_x) is the bit of CPT_IOC_x in cpt_api.ioctls. */
#define _CPT_API 0x00

/*
 * Handshake. In: api = CPT_API, flags = 0, features = the features the
 * caller requires (a subset of what the module offers, or the call fails
 * with EINVAL and features = 0). Out: every feature the module offers and
 * the ioctls it accepts.
 */
struct cpt_api {
	__u64 api;
	__u64 flags;
	__u64 features;
	__u64 ioctls;
	__u64 reserved[2];
};

#define CPT_API_SIZE_VER0 48 /* sizeof the first published struct cpt_api */

#define CPT_IOC_API _IOWR(CPT_IOC_MAGIC, _CPT_API, struct cpt_api)

/* Feature bits, reported by CPT_IOC_API. None are defined yet. */
#define CPT_FEATURES_KNOWN 0ULL

#endif /* _UAPI_LINUX_CPT_H */
