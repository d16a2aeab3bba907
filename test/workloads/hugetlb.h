/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the hugetlb workloads read back about their own mappings: the
 * default huge page size, and a mapping's page size, permissions and name
 * as /proc/self/smaps shows them.
 */
#ifndef CPT_TEST_HUGETLB_H
#define CPT_TEST_HUGETLB_H

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* The default huge page size, from /proc/meminfo; 0 if none. */
static inline size_t default_huge_page_size(void)
{
	char line[256];
	FILE *f = fopen("/proc/meminfo", "r");
	unsigned long kb = 0;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Hugepagesize: %lu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb * 1024;
}

/*
 * The KernelPageSize (bytes) of the mapping that starts at addr, from
 * /proc/self/smaps; 0 if none. Unless NULL, perms gets its permissions
 * ("r--p", 5 bytes) and path its name (PATH_MAX bytes).
 */
static inline size_t smaps_mapping(const void *addr, char *perms, char *path)
{
	char line[PATH_MAX + 256], want[32];
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long kb;
	int in = 0, at;
	size_t size = 0;

	if (perms)
		perms[0] = '\0';
	if (path)
		path[0] = '\0';
	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, want, strlen(want))) {
			in = 1;
			line[strcspn(line, "\n")] = '\0';
			if (perms)
				sscanf(line, "%*s %4s", perms);
			if (path &&
			    sscanf(line, "%*s %*s %*s %*s %*s %n", &at) >= 0 &&
			    at < (int)strlen(line))
				snprintf(path, PATH_MAX, "%s", line + at);
			continue;
		}
		if (in && sscanf(line, "KernelPageSize: %lu kB", &kb) == 1) {
			size = kb * 1024;
			break;
		}
	}
	if (f)
		fclose(f);
	return size;
}

#endif
