// SPDX-License-Identifier: GPL-2.0
/*
 * Drives CPT_IOC_API with one bad input per rule of the uapi, and a few good
 * ones, against the real module. Run as root in the guest.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "check.h"

/* A cpt_api followed by room for a newer, longer struct. */
struct grown_api {
	struct cpt_api api;
	uint64_t tail[2];
};

static int fd;

static void valid_request(struct grown_api *req)
{
	memset(req, 0, sizeof(*req));
	req->api.api = CPT_API;
}

static unsigned long cmd_of_size(unsigned int size)
{
	return _IOC(_IOC_READ | _IOC_WRITE, CPT_IOC_MAGIC, _CPT_API, size);
}

/* Expects the call to fail with want_errno (0: to succeed). */
static void expect(const char *name, unsigned long cmd, void *arg,
		   int want_errno)
{
	int ret = ioctl(fd, cmd, arg);
	int got = ret < 0 ? errno : 0;

	check(name, got == want_errno, "want %s, got %s (ret %d)",
	      want_errno ? strerrorname_np(want_errno) : "success",
	      got ? strerrorname_np(got) : "success", ret);
}

int main(void)
{
	struct grown_api req;

	fd = open("/dev/" CPT_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		check("open-device", 0, "open /dev/cpt: %s", strerror(errno));
		return 1;
	}

	valid_request(&req);
	expect("valid-request", CPT_IOC_API, &req, 0);
	check("reports-api-ioctl", req.api.ioctls & (1ULL << _CPT_API),
	      "ioctls = %#llx", (unsigned long long)req.api.ioctls);
	check("reports-only-known-features",
	      !(req.api.features & ~CPT_FEATURES_KNOWN), "features = %#llx",
	      (unsigned long long)req.api.features);

	valid_request(&req);
	expect("unknown-ioctl", _IOWR(CPT_IOC_MAGIC, 0x3f, struct cpt_api),
	       &req, ENOTTY);
	expect("foreign-ioctl-type", _IOWR('x', _CPT_API, struct cpt_api), &req,
	       ENOTTY);
	expect("wrong-direction", _IOR(CPT_IOC_MAGIC, _CPT_API, struct cpt_api),
	       &req, ENOTTY);

	valid_request(&req);
	expect("struct-too-short", cmd_of_size(CPT_API_SIZE_VER0 - 8), &req,
	       EINVAL);
	expect("struct-empty", cmd_of_size(0), &req, EINVAL);
	valid_request(&req);
	expect("longer-struct-zero-tail", cmd_of_size(sizeof(req)), &req, 0);
	valid_request(&req);
	req.tail[1] = 1;
	expect("longer-struct-nonzero-tail", cmd_of_size(sizeof(req)), &req,
	       EINVAL);

	valid_request(&req);
	req.api.api = CPT_API + 1;
	expect("wrong-api", CPT_IOC_API, &req, EINVAL);
	valid_request(&req);
	req.api.flags = 1;
	expect("unknown-flag", CPT_IOC_API, &req, EINVAL);
	valid_request(&req);
	req.api.reserved[0] = 1;
	expect("reserved-0-nonzero", CPT_IOC_API, &req, EINVAL);
	valid_request(&req);
	req.api.reserved[1] = 1ULL << 63;
	expect("reserved-1-nonzero", CPT_IOC_API, &req, EINVAL);
	valid_request(&req);
	req.api.features = ~CPT_FEATURES_KNOWN &
			   -~CPT_FEATURES_KNOWN; /* lowest unknown bit */
	expect("unknown-feature", CPT_IOC_API, &req, EINVAL);
	expect("bad-pointer", CPT_IOC_API, (void *)8, EFAULT);

	close(fd);
	return check_exit_status();
}
