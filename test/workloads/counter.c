// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's program: counts, twice a second, and shows that its memory
 * survives a restart: each line carries the pid and a checksum of a buffer
 * that the count keeps changing. Usage: counter [LIMIT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static unsigned char history[1 << 20];

static unsigned int checksum(const unsigned char *p, size_t n)
{
	unsigned int sum = 0;

	while (n--)
		sum = sum * 31 + *p++;
	return sum;
}

int main(int argc, char **argv)
{
	long limit = argc > 1 ? atol(argv[1]) : 0;
	struct timespec half = { 0, 500 * 1000 * 1000 };
	long count;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (count = 1; !limit || count <= limit; count++) {
		history[(count * 4099) % sizeof(history)] =
			(unsigned char)count;
		printf("counter pid %d: %ld (memory checksum %08x)\n", getpid(),
		       count, checksum(history, sizeof(history)));
		nanosleep(&half, NULL);
	}
	return 0;
}
