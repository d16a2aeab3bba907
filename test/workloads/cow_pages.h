/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The pages of the copy-on-write workloads (cow_tree.c, cow_huge.c): each
 * page filled with words of its own, by owner (the process that wrote it),
 * region and page number, so that a page of another process's, or another
 * page's, is told apart. The workload sets page and regions (NR_REGIONS of
 * them, defined before this header) before it fills any.
 */
#ifndef CPT_TEST_COW_PAGES_H
#define CPT_TEST_COW_PAGES_H

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_SIZE (2UL << 20)

static long page;
static char *regions[NR_REGIONS];

static uint64_t word(unsigned int owner, unsigned int region, unsigned long pg,
		     unsigned long i)
{
	return ((uint64_t)owner << 56) ^ ((uint64_t)region << 48) ^
	       ((uint64_t)pg << 20) ^ i ^ 0x5a5a00005a5aULL;
}

static void fill(unsigned int owner, unsigned int region, unsigned long pg)
{
	uint64_t *p = (uint64_t *)(regions[region] + pg * page);
	unsigned long i;

	for (i = 0; i < page / sizeof(*p); i++)
		p[i] = word(owner, region, pg, i);
}

static int holds(unsigned int owner, unsigned int region, unsigned long pg)
{
	const uint64_t *p = (const uint64_t *)(regions[region] + pg * page);
	unsigned long i;

	for (i = 0; i < page / sizeof(*p); i++)
		if (p[i] != word(owner, region, pg, i))
			return 0;
	return 1;
}

/*
 * len bytes of private anonymous memory aligned to huge pages, so that the
 * kernel may give it some, or NULL.
 */
static inline char *map_huge_aligned(size_t len)
{
	char *p, *aligned;

	p = mmap(NULL, len + HUGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	aligned =
		(char *)(((unsigned long)p + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
	if (aligned > p)
		munmap(p, aligned - p);
	munmap(aligned + len, p + len + HUGE_SIZE - (aligned + len));
	return aligned;
}

#endif
