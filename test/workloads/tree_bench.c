// SPDX-License-Identifier: GPL-2.0
/*
 * A tree of N processes for benchmarks: the root and N-1 children, each
 * with a little memory of its own, all sleeping.
 *
 * Usage: tree_bench DIR N
 *   Writes DIR/ready (the root's pid) once all N exist. The root should be
 *   a process group leader (setsid), so that killing the group ends all.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

static char scratch[64 * 1024];

static void sleep_forever(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	long n, i;

	if (argc != 3 || (n = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: %s DIR N\n", argv[0]);
		return 2;
	}
	for (i = 1; i < n; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			memset(scratch, (int)i, sizeof(scratch));
			sleep_forever();
		}
	}
	if (publish_ready(argv[1]))
		return 2;
	sleep_forever();
}
