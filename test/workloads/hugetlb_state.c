// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb memory across checkpoint/restart: each mapping must come back with
 * huge pages of its size, its contents, and shared where it was shared.
 * - private MAP_HUGETLB memory, two huge pages, each with a pattern;
 * - shared MAP_HUGETLB memory, two huge pages, the first with a pattern and
 *   the second never touched, shared with a forked child;
 * - a file of the hugetlbfs mount HUGEDIR, one huge page, mapped shared
 *   (a pattern) and mapped private, written there (copied on write);
 * - a SysV SHM_HUGETLB segment (IPC_PRIVATE), one huge page, attached by
 *   the root and by the child.
 * After DIR/go every check runs; the child checks the words the root writes
 * into the shared memory and the segment after the restart. Only the root
 * prints. The huge page size is the kernel's default (Hugepagesize).
 * DIR/shm-id gets the segment's id, for a test to remove it if the
 * workload never ends.
 * Usage: hugetlb_state HUGEDIR DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "hugetlb.h"
#include "sync.h"

#define TIMEOUT_MS 30000
#define AFTER_RESTART 0x52455354 /* what the root writes for the child */

static const char *dir;
static size_t huge;

static int write_file(const char *path, int value)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return 0;
	fprintf(f, "%d\n", value);
	return fclose(f) == 0;
}

static int wait_for_go(void)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/go", dir);
	return wait_for_file(path, WAIT_FOREVER);
}

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 12));
}

static void fill(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = pattern(i, seed);
}

static int pattern_ok(const uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(i, seed))
			return 0;
	return 1;
}

static int zero_ok(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Whether addr is mapped with huge pages, named name; notes what differs. */
static int huge_mapping(const void *addr, const char *name, char *why,
			size_t why_size)
{
	char path[PATH_MAX];
	size_t size = smaps_mapping(addr, NULL, path);

	if (size != huge)
		note_to(why, why_size, "%p has pages of %zu bytes", addr, size);
	if (strcmp(path, name))
		note_to(why, why_size, "%p is \"%s\", not \"%s\"", addr, path,
			name);
	return size == huge && !strcmp(path, name);
}

/* The child: waits for the root's words after the restart, and answers. */
static int child(volatile uint32_t *shared, volatile uint32_t *sysv)
{
	struct timespec start;

	if (!wait_for_go())
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (shared[1] != AFTER_RESTART || sysv[1] != AFTER_RESTART) {
		if (ms_since(&start) > TIMEOUT_MS)
			return 1;
		nap();
	}
	shared[2] = AFTER_RESTART;
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *priv, *shared, *file_shared, *file_priv, *sysv;
	char path[PATH_MAX], name[PATH_MAX + 32], why[512];
	char anon_name[PATH_MAX], sysv_name[PATH_MAX];
	struct timespec start;
	int fd, id, ok, status;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: hugetlb_state HUGEDIR DIR\n");
		return 2;
	}
	dir = argv[2];
	huge = default_huge_page_size();
	if (!huge) {
		fprintf(stderr, "hugetlb_state: no huge pages here\n");
		return 2;
	}
	priv = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	shared = mmap(NULL, 2 * huge, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	snprintf(path, sizeof(path), "%s/file", argv[1]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (priv == MAP_FAILED || shared == MAP_FAILED || fd < 0 ||
	    ftruncate(fd, huge)) {
		perror("hugetlb_state: mmap (vm.nr_hugepages?)");
		return 2;
	}
	file_shared =
		mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	file_priv =
		mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	id = shmget(IPC_PRIVATE, huge, SHM_HUGETLB | IPC_CREAT | 0600);
	sysv = id < 0 ? MAP_FAILED : shmat(id, NULL, 0);
	if (file_shared == MAP_FAILED || file_priv == MAP_FAILED ||
	    sysv == MAP_FAILED) {
		perror("hugetlb_state: file or SHM_HUGETLB");
		return 2;
	}
	snprintf(name, sizeof(name), "%s/shm-id", dir);
	if (!write_file(name, id)) {
		perror(name);
		return 2;
	}
	fill(priv, 2 * huge, 1);
	fill(shared, huge, 2);
	fill(file_shared, huge, 3);
	/* Copied on write from the file's page, which keeps pattern 3. */
	fill(file_priv, huge / 2, 4);
	fill(sysv, huge, 5);
	/* Their names in /proc/self/maps, as the kernel makes them, to find again. */
	smaps_mapping(priv, NULL, anon_name);
	smaps_mapping(sysv, NULL, sysv_name);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child((volatile uint32_t *)shared,
			    (volatile uint32_t *)sysv));
	printf("READY\n");
	fflush(stdout);
	if (!wait_for_go()) {
		check("go", 0, "no go");
		return check_exit_status();
	}

	why[0] = '\0';
	ok = huge_mapping(priv, anon_name, why, sizeof(why));
	check("private-anon", ok && pattern_ok(priv, 2 * huge, 1),
	      "private MAP_HUGETLB memory: %s, pattern %s", ok ? "huge" : why,
	      pattern_ok(priv, 2 * huge, 1) ? "intact" : "differs");
	why[0] = '\0';
	ok = huge_mapping(shared, anon_name, why, sizeof(why));
	check("shared-anon",
	      ok && pattern_ok(shared, huge, 2) && zero_ok(shared + huge, huge),
	      "shared MAP_HUGETLB memory: %s, pattern %s, untouched page %s",
	      ok ? "huge" : why,
	      pattern_ok(shared, huge, 2) ? "intact" : "differs",
	      zero_ok(shared + huge, huge) ? "zero" : "not zero");
	why[0] = '\0';
	snprintf(name, sizeof(name), "%s", path);
	ok = huge_mapping(file_shared, name, why, sizeof(why)) &&
	     huge_mapping(file_priv, name, why, sizeof(why));
	check("file", ok && pattern_ok(file_shared, huge, 3),
	      "%s mapped shared: %s, pattern %s", path, ok ? "huge" : why,
	      pattern_ok(file_shared, huge, 3) ? "intact" : "differs");
	check("file-private",
	      ok && pattern_ok(file_priv, huge / 2, 4) &&
		      !memcmp(file_priv + huge / 2, file_shared + huge / 2,
			      huge / 2),
	      "%s mapped private: its own copy %s, the rest the file's %s",
	      path, pattern_ok(file_priv, huge / 2, 4) ? "intact" : "differs",
	      !memcmp(file_priv + huge / 2, file_shared + huge / 2, huge / 2) ?
		      "too" :
		      "no longer");
	why[0] = '\0';
	ok = huge_mapping(sysv, sysv_name, why, sizeof(why));
	check("sysv", ok && pattern_ok(sysv, huge, 5),
	      "SHM_HUGETLB segment %d: %s, pattern %s", id, ok ? "huge" : why,
	      pattern_ok(sysv, huge, 5) ? "intact" : "differs");

	((volatile uint32_t *)shared)[1] = AFTER_RESTART;
	((volatile uint32_t *)sysv)[1] = AFTER_RESTART;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (((volatile uint32_t *)shared)[2] != AFTER_RESTART &&
	       ms_since(&start) < TIMEOUT_MS)
		nap();
	status = -1;
	waitpid(pid, &status, 0);
	check("shared-with-child",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		      ((volatile uint32_t *)shared)[2] == AFTER_RESTART,
	      "the child saw the root's writes through its MAP_HUGETLB memory and segment, and answered (status %#x)",
	      status);
	shmctl(id, IPC_RMID, NULL);
	unlink(path);
	return check_exit_status();
}
