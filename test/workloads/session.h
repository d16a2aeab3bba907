/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the workloads that drive /dev/cpt themselves need on the checkpoint
 * side, as cptctl does it: its manifest record after INIT, and the
 * module's words for a failed ioctl.
 */
#ifndef CPT_TEST_SESSION_H
#define CPT_TEST_SESSION_H

#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>

#include <linux/cpt.h>

#include "files.h"
#include "image.h"

/* cptctl's manifest record with the root's pid, all a restart needs of it. */
static inline int session_write_manifest(int img, pid_t root)
{
	uint8_t rec[sizeof(struct cpt_record_header) + 8 + 4];
	struct cpt_record_header hdr = { .magic = CPT_RECORD_MAGIC,
					 .type = CPT_REC_MANIFEST };
	uint8_t *p = rec + sizeof(hdr);
	uint32_t v = root, crc;

	*p++ = 2 << 3; /* Manifest.root_pid, a varint */
	for (; v >= 0x80; v >>= 7)
		*p++ = (v & 0x7f) | 0x80;
	*p++ = v;
	hdr.length = p - (rec + sizeof(hdr));
	memcpy(rec, &hdr, sizeof(hdr));
	crc = ~crc32c(~0U, rec, p - rec);
	memcpy(p, &crc, 4);
	p += 4;
	return write_all(img, rec, p - rec);
}

/* Why the last ioctl of dev failed, in the module's words ("" if none). */
static inline void session_message(int dev, char *msg, size_t size)
{
	struct cpt_message m = { .buf = (uintptr_t)msg, .size = size };

	msg[0] = 0;
	if (ioctl(dev, CPT_IOC_MESSAGE, &m) < 0)
		msg[0] = 0;
}

#endif /* CPT_TEST_SESSION_H */
