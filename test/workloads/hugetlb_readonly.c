// SPDX-License-Identifier: GPL-2.0
/*
 * Private hugetlb memory made read-only after it was written: a
 * MAP_HUGETLB page, and a page of a file of the hugetlbfs mount HUGEDIR
 * copied on write, each then mprotect(PROT_READ). After DIR/go each must
 * hold its pattern, with huge pages, and still be read-only (the restart
 * writes its pages in while the kernel refuses forced writes to hugetlb
 * memory that is not writable).
 * Usage: hugetlb_readonly HUGEDIR DIR
 */
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "hugetlb.h"
#include "sync.h"

static size_t huge;

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 29 + seed + (i >> 12));
}

static int pattern_ok(const uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(i, seed))
			return 0;
	return 1;
}

static void check_mapping(const char *name, const uint8_t *p, unsigned int seed)
{
	char perms[8];
	size_t size = smaps_mapping(p, perms, NULL);

	check(name,
	      size == huge && !strcmp(perms, "r--p") &&
		      pattern_ok(p, huge, seed),
	      "%p: pages of %zu bytes, %s, pattern %s", (const void *)p, size,
	      perms, pattern_ok(p, huge, seed) ? "intact" : "differs");
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], go[PATH_MAX];
	uint8_t *anon, *file;
	size_t i;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: hugetlb_readonly HUGEDIR DIR\n");
		return 2;
	}
	huge = default_huge_page_size();
	snprintf(path, sizeof(path), "%s/readonly", argv[1]);
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!huge || fd < 0 || ftruncate(fd, huge)) {
		perror("hugetlb_readonly: hugetlbfs file");
		return 2;
	}
	anon = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	file = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	if (anon == MAP_FAILED || file == MAP_FAILED) {
		perror("hugetlb_readonly: mmap (vm.nr_hugepages?)");
		return 2;
	}
	for (i = 0; i < huge; i++) {
		anon[i] = pattern(i, 1);
		file[i] = pattern(i, 2);
	}
	if (mprotect(anon, huge, PROT_READ) ||
	    mprotect(file, huge, PROT_READ)) {
		perror("hugetlb_readonly: mprotect");
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for_file(go, WAIT_FOREVER);
	check_mapping("readonly-anon", anon, 1);
	check_mapping("readonly-file", file, 2);
	unlink(path);
	return check_exit_status();
}
