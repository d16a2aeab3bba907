/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the workloads that write or edit images themselves share (cpt_race,
 * mutate): the records' CRC32C, as cptctl and the module compute it, and the
 * pseudo-random source of their choices, seeded by each (rng), so that a run
 * can be repeated from its seed.
 */
#ifndef CPT_TEST_IMAGE_H
#define CPT_TEST_IMAGE_H

#include <stddef.h>
#include <stdint.h>

static uint64_t rng = 88172645463325252ULL;

/* xorshift64: the next of rng's sequence. */
static inline uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* CRC32C (Castagnoli, reflected), continued from crc. */
static inline uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	int k;

	while (n--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78 & -(crc & 1));
	}
	return crc;
}

#endif
