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

static char scratch[64 * 1024];

static void sleep_forever(void)
{
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	char ready[4096], tmp[4096];
	long n, i;
	int fd;

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
	snprintf(ready, sizeof(ready), "%s/ready", argv[1]);
	snprintf(tmp, sizeof(tmp), "%s/ready.tmp", argv[1]);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0 || close(fd) || rename(tmp, ready)) {
		perror(ready);
		return 2;
	}
	sleep_forever();
}
