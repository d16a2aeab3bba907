// SPDX-License-Identifier: GPL-2.0
/*
 * A process with SIZE MiB of written anonymous memory, to time checkpoint
 * and restart of memory (against CRIU, for one). It checks the memory after
 * the restart.
 *
 * Usage: mm_bench DIR SIZE_MIB [TOUCHED_MIB]
 *   Writes DIR/ready when set up, then waits for SIGUSR1 or for DIR/go to
 *   appear, and reports a RESULT line. With TOUCHED_MIB, only that much of
 *   the mapping is written, spread evenly over it page by page.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

int main(int argc, char **argv)
{
	char trigger[4096];
	uint64_t *mem, sum = 0, again = 0;
	size_t size, touched, stride, i;
	const size_t words = 4096 / 8;

	if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: %s DIR SIZE_MIB [TOUCHED_MIB]\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);
	size = strtoul(argv[2], NULL, 0) << 20;
	touched = argc == 4 ? strtoul(argv[3], NULL, 0) << 20 : size;
	if (!touched || touched > size) {
		fprintf(stderr, "TOUCHED_MIB must be between 1 and SIZE_MIB\n");
		return 2;
	}
	/* Every stride-th page is written: all of them when touched == size. */
	stride = size / touched;
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/* Huge pages would make every touched page 2 MiB of memory. */
	if (stride > 1)
		madvise(mem, size, MADV_NOHUGEPAGE);
	for (i = 0; i < size / 8; i++) {
		if ((i / words) % stride)
			continue;
		mem[i] = i * 0x9e3779b97f4a7c15ULL;
		sum += mem[i] ^ (mem[i] >> 29);
	}

	snprintf(trigger, sizeof(trigger), "%s/go", argv[1]);
	if (publish_ready(argv[1]))
		return 2;
	while (!go && access(trigger, F_OK)) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}

	for (i = 0; i < size / 8; i++)
		if (!((i / words) % stride))
			again += mem[i] ^ (mem[i] >> 29);
	check("mm_bench", again == sum,
	      "%zu MiB of anonymous memory, %zu MiB written", size >> 20,
	      touched >> 20);
	return check_exit_status();
}
