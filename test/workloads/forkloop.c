// SPDX-License-Identifier: GPL-2.0
/*
 * Pids a restart holds must not be handed out again: forks children (each
 * _exit(0)s at once and is reaped) for SECONDS seconds and checks none got
 * one of the given pids. fork() failing with EAGAIN is counted and retried.
 * Prints READY after its first fork. Usage: forkloop SECONDS PID...
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MAX_HITS_LISTED 16

int main(int argc, char **argv)
{
	unsigned long forked = 0, eagain = 0, hits = 0;
	struct timespec start, now, pause = { 0, 1000 * 1000 };
	pid_t *reserved, pid;
	char list[MAX_HITS_LISTED * 12 + 1] = "", other[128] = "";
	int nr_reserved, nr_hit = 0, i, status;
	size_t used = 0;
	double seconds;
	char *end;

	if (argc < 3)
		return 2;
	seconds = strtod(argv[1], &end);
	if (*end || seconds <= 0)
		return 2;
	nr_reserved = argc - 2;
	reserved = calloc(nr_reserved, sizeof(*reserved));
	if (!reserved)
		return 2;
	for (i = 0; i < nr_reserved; i++) {
		reserved[i] = strtol(argv[i + 2], &end, 10);
		if (*end || reserved[i] <= 0)
			return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec +
			    (now.tv_nsec - start.tv_nsec) / 1e9 >=
		    seconds)
			break;
		pid = fork();
		if (pid == 0)
			_exit(0);
		if (pid < 0) {
			if (errno == EAGAIN) {
				eagain++;
				nanosleep(&pause, NULL);
				continue;
			}
			snprintf(other, sizeof(other), ", stopped by fork: %s",
				 strerror(errno));
			break;
		}
		if (!forked++)
			printf("READY\n");
		for (i = 0; i < nr_reserved; i++) {
			if (pid != reserved[i])
				continue;
			hits++;
			if (nr_hit++ < MAX_HITS_LISTED)
				used += snprintf(list + used,
						 sizeof(list) - used, "%s%d",
						 used ? " " : "", (int)pid);
		}
		if (waitpid(pid, &status, 0) != pid) {
			snprintf(other, sizeof(other),
				 ", stopped by waitpid %d: %s", (int)pid,
				 strerror(errno));
			break;
		}
	}
	if (!forked)
		printf("READY\n"); /* nothing to wait for */
	check("forkloop-no-reserved", hits == 0,
	      "forked %lu children, %lu got a reserved pid (%s); %lu EAGAIN%s",
	      forked, hits, list, eagain, other);
	check("forkloop-forked", forked > 0 && !other[0],
	      "forked %lu children in %g s, %lu fork() EAGAIN retried%s",
	      forked, seconds, eagain, other);
	free(reserved);
	return check_exit_status();
}
