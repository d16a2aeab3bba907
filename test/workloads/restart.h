/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A restart driven through the module's ioctls as cptctl drives it, for the
 * workloads that must act between its steps (mutate, fpu_migrate,
 * thread_half): the session's start, the next pid, and a task's RESTORE
 * steps.
 */
#ifndef CPT_TEST_RESTART_H
#define CPT_TEST_RESTART_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "files.h"

/* Skips cptctl's manifest record, as cptctl reads it. */
static inline int restart_skip_manifest(int img)
{
	struct cpt_record_header hdr;
	static uint8_t payload[1 << 20];

	if (read_all(img, &hdr, sizeof(hdr)) || hdr.magic != CPT_RECORD_MAGIC ||
	    hdr.type != CPT_REC_MANIFEST || hdr.length > sizeof(payload) - 4)
		return -1;
	return read_all(img, payload, hdr.length + 4);
}

/*
 * A restart session of the image open at img (at its start): the /dev/cpt
 * fd, or -1 with errno set (EBADMSG for a bad manifest), and when INIT
 * refused the image, the module's words for why in why (size bytes).
 */
static inline int restart_begin_why(int img, char *why, size_t size)
{
	struct cpt_init init = { .mode = CPT_MODE_RESTART, .image_fd = img };
	int dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	int err;

	if (why)
		why[0] = 0;
	if (dev < 0)
		return -1;
	if (ioctl(dev, CPT_IOC_INIT, &init)) {
		err = errno;
		if (why) {
			struct cpt_message m = { .buf = (uintptr_t)why,
						 .size = size };

			if (ioctl(dev, CPT_IOC_MESSAGE, &m) < 0)
				why[0] = 0;
		}
		errno = err;
		goto fail;
	}
	if (restart_skip_manifest(img)) {
		errno = EBADMSG;
		goto fail;
	}
	return dev;
fail:
	err = errno;
	close(dev);
	errno = err;
	return -1;
}

static inline int restart_begin(int img)
{
	return restart_begin_why(img, NULL, 0);
}

/* The pid (or thread id) the caller's next clone takes. */
static inline int restart_next_pid(int dev, pid_t pid)
{
	struct cpt_next_id next = { .kind = CPT_ID_PID, .id = pid };

	return ioctl(dev, CPT_IOC_SET_NEXT_ID, &next);
}

/*
 * The calling task's RESTORE steps, every subsystem up to last in turn.
 * Returns the subsystem that failed, with errno set, or 0.
 */
static inline int restart_steps_to(int dev, int last)
{
	int subsys;

	for (subsys = CPT_SUBSYS_TASK; subsys <= last; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_RESTORE, &req))
			return subsys;
	}
	return 0;
}

/*
 * The calling task's RESTORE steps, every subsystem in turn; the final one
 * does not return when it succeeds. Returns the subsystem that failed, with
 * errno set.
 */
static inline int restart_steps(int dev)
{
	int failed = restart_steps_to(dev, CPT_SUBSYS_MAX);

	if (failed)
		return failed;
	errno = EPROTO; /* the final step returned success: it never should */
	return CPT_SUBSYS_MAX;
}

/* Milliseconds a wait allows, times CPT_GUEST_TIME_SCALE (vm/run --debug-kernel sets it). */
static inline long restart_wait_ms(long ms)
{
	const char *scale = getenv("CPT_GUEST_TIME_SCALE");

	return scale && atol(scale) > 1 ? ms * atol(scale) : ms;
}

#endif
