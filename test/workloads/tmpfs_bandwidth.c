// SPDX-License-Identifier: GPL-2.0
/*
 * The write bandwidth from memory into a file (tmpfs, for the benchmarks):
 * a buffer of SIZE MiB, filled beforehand, written in 4 MiB write()s; only
 * the writes are timed.
 *
 * Usage: tmpfs_bandwidth FILE SIZE_MIB    (prints "BYTES_PER_SECOND N")
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	const size_t chunk = 4 << 20;
	struct timespec from, to;
	size_t size, done;
	char *buf;
	double s;
	int fd;

	if (argc != 3 || !(size = strtoul(argv[2], NULL, 0) << 20)) {
		fprintf(stderr, "usage: %s FILE SIZE_MIB\n", argv[0]);
		return 2;
	}
	buf = malloc(size);
	fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (!buf || fd < 0) {
		perror(argv[1]);
		return 2;
	}
	memset(buf, 0x5a, size);
	clock_gettime(CLOCK_MONOTONIC, &from);
	for (done = 0; done < size; done += chunk) {
		if (write(fd, buf + done, chunk) != (ssize_t)chunk) {
			perror("write");
			return 2;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &to);
	close(fd);
	unlink(argv[1]);
	s = (to.tv_sec - from.tv_sec) + (to.tv_nsec - from.tv_nsec) / 1e9;
	printf("BYTES_PER_SECOND %.0f\n", size / s);
	return 0;
}
