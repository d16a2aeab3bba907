// SPDX-License-Identifier: GPL-2.0
/*
 * The shell scenarios' waits (test/guest/shell/lib.sh), each in one exec:
 *   waitfor line FILE BRE    a line of FILE matches BRE, as grep -q BRE FILE
 *   waitfor gone PID         /proc/PID is gone (the process killed and reaped)
 *   waitfor pid PID          /proc/PID exists (a restart made it again)
 *   waitfor exe PID PROGRAM  /proc/PID/exe is PROGRAM, its links resolved
 *                            (its exec done)
 *   waitfor cwd PID DIR      /proc/PID/cwd is DIR
 *   waitfor nap SECONDS      nothing: a pause, for lib.sh's wait_until
 * Exit status 0 once it holds, 1 when it still does not after 90 s
 * (CPT_GUEST_TIME_SCALE times as long), 2 on bad arguments. A poll every
 * 10 ms within one process, where the shell's loop of a test and a
 * `sleep 0.1` cost two execs a try, 0.2 s or more under emulation, which
 * the one vCPU took from the process waited for. Linked statically (the
 * Makefile): no dynamic loading at each start.
 */
#include <limits.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sync.h"

/* 300 polls of the loop this replaces took about 90 s under emulation. */
#define WAIT_MS 90000L

/* Whether a line of path matches re; an unreadable file matches nothing. */
static int has_line(const char *path, const regex_t *re)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int found = 0;

	if (!f)
		return 0;
	while (!found && (len = getline(&line, &size, f)) >= 0) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		found = regexec(re, line, 0, NULL, 0) == 0;
	}
	free(line);
	fclose(f);
	return found;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Whether the link /proc/pid/name reads target. */
static int link_is(const char *pid, const char *name, const char *target)
{
	char path[64], buf[PATH_MAX];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, name);
	len = readlink(path, buf, sizeof(buf) - 1);
	if (len < 0)
		return 0;
	buf[len] = '\0';
	return strcmp(buf, target) == 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: waitfor line FILE BRE | gone PID | pid PID | exe PID PROGRAM | cwd PID DIR | nap SECONDS\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	const char *scale = getenv("CPT_GUEST_TIME_SCALE");
	long timeout_ms =
		WAIT_MS * (scale && atol(scale) > 0 ? atol(scale) : 1);
	char proc[64] = "", resolved[PATH_MAX];
	const char *target = NULL;
	struct timespec start;
	regex_t re;
	int ret;

	if (!strcmp(what, "nap") && argc == 3) {
		double s = atof(argv[2]);
		struct timespec pause = { (time_t)s,
					  (long)((s - (time_t)s) * 1e9) };

		nanosleep(&pause, NULL);
		return 0;
	}
	if (!strcmp(what, "line") && argc == 4) {
		ret = regcomp(&re, argv[3], REG_NOSUB);
		if (ret) {
			char msg[256];

			regerror(ret, &re, msg, sizeof(msg));
			fprintf(stderr, "waitfor: %s: %s\n", argv[3], msg);
			return 2;
		}
	} else if ((!strcmp(what, "gone") || !strcmp(what, "pid")) &&
		   argc == 3) {
		snprintf(proc, sizeof(proc), "/proc/%s", argv[2]);
	} else if (!strcmp(what, "exe") && argc == 4) {
		/* As readlink -f: the program's own path, its links resolved. */
		if (!realpath(argv[3], resolved))
			snprintf(resolved, sizeof(resolved), "%s", argv[3]);
		target = resolved;
	} else if (!strcmp(what, "cwd") && argc == 4) {
		target = argv[3];
	} else {
		return usage();
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int holds;

		if (!strcmp(what, "line"))
			holds = has_line(argv[2], &re);
		else if (!strcmp(what, "gone"))
			holds = !exists(proc);
		else if (!strcmp(what, "pid"))
			holds = exists(proc);
		else
			holds = link_is(argv[2], what, target);
		if (holds)
			return 0;
		if (ms_since(&start) > timeout_ms)
			return 1;
		nap();
	}
}
