// SPDX-License-Identifier: GPL-2.0
/*
 * A process with N open regular files, for benchmarks.
 *
 * Usage: files_bench DIR N
 *   Creates and keeps open DIR/f.0 ... DIR/f.N-1, writes DIR/ready (its
 *   pid), then sleeps until killed.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "files.h"

int main(int argc, char **argv)
{
	char path[4096];
	long n, i;
	int fd;

	if (argc != 3 || (n = atol(argv[2])) < 1) {
		fprintf(stderr, "usage: %s DIR N\n", argv[0]);
		return 2;
	}
	raise_fd_limit(n);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/f.%ld", argv[1], i);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || dprintf(fd, "file %ld\n", i) < 0) {
			perror(path);
			return 2;
		}
	}
	if (publish_ready(argv[1]))
		return 2;
	for (;;)
		pause();
}
