// SPDX-License-Identifier: GPL-2.0
/*
 * hugetlb mappings of every kind with none of their huge pages touched: a
 * small image (no huge page in it) whose hugetlb VMAs and SHM_HUGETLB
 * segment a hostile-image test edits quickly
 * (test/guest/shell/hugetlb-hostile.sh). Private MAP_HUGETLB memory, shared
 * MAP_HUGETLB memory (shared with a forked child), a file of the hugetlbfs
 * mount HUGEDIR mapped shared and private, a SHM_HUGETLB segment attached.
 * After DIR/go: each is mapped again with huge pages where it was, and the
 * child, which checks its shared memory too, ends well.
 * DIR/shm-id gets the segment's id, for a test to remove it.
 * Usage: hugetlb_untouched HUGEDIR DIR
 */
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

static size_t huge;

/* Whether each of the n mappings has huge pages; notes those that have not. */
static int all_huge(void *const *maps, const char *const *names, int n,
		    char *why, size_t why_size)
{
	int i, ok = 1;

	for (i = 0; i < n; i++) {
		size_t size = smaps_mapping(maps[i], NULL, NULL);

		if (size != huge) {
			note_to(why, why_size,
				"%s at %p has pages of %zu bytes", names[i],
				maps[i], size);
			ok = 0;
		}
	}
	return ok;
}

int main(int argc, char **argv)
{
	static const char *const names[] = { "private MAP_HUGETLB",
					     "shared MAP_HUGETLB",
					     "hugetlbfs file shared",
					     "hugetlbfs file private",
					     "SHM_HUGETLB segment" };
	char path[PATH_MAX], go[PATH_MAX], why[512] = "";
	void *maps[5];
	int fd, id, status, i;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: hugetlb_untouched HUGEDIR DIR\n");
		return 2;
	}
	huge = default_huge_page_size();
	snprintf(path, sizeof(path), "%s/untouched", argv[1]);
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (!huge || fd < 0 || ftruncate(fd, huge)) {
		perror("hugetlb_untouched: hugetlbfs file");
		return 2;
	}
	maps[0] = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	maps[1] = mmap(NULL, huge, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	maps[2] = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	maps[3] = mmap(NULL, huge, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	close(fd);
	id = shmget(IPC_PRIVATE, huge, SHM_HUGETLB | IPC_CREAT | 0600);
	maps[4] = id < 0 ? MAP_FAILED : shmat(id, NULL, 0);
	for (i = 0; i < 5; i++) {
		if (maps[i] == MAP_FAILED) {
			perror(names[i]);
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/shm-id", argv[2]);
	{
		FILE *f = fopen(path, "w");

		if (!f || fprintf(f, "%d\n", id) < 0 || fclose(f)) {
			perror(path);
			return 2;
		}
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		wait_for_file(go, WAIT_FOREVER);
		_exit(smaps_mapping(maps[1], NULL, NULL) == huge ? 0 : 1);
	}
	printf("READY\n");
	fflush(stdout);
	wait_for_file(go, WAIT_FOREVER);
	check("mappings", all_huge(maps, names, 5, why, sizeof(why)),
	      "every mapping with huge pages again%s%s", why[0] ? ": " : "",
	      why);
	status = -1;
	waitpid(pid, &status, 0);
	check("child", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child's shared MAP_HUGETLB memory has huge pages again (status %#x)",
	      status);
	shmctl(id, IPC_RMID, NULL);
	return check_exit_status();
}
