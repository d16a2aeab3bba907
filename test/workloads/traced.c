// SPDX-License-Identifier: GPL-2.0
/*
 * A process of the tree traced by ptrace, which a checkpoint must refuse
 * by name and leave running. The root R forks C, which waits for the go;
 *   traced DIR inner   R itself attaches to C (PTRACE_ATTACH: C sits in
 *                      a ptrace stop, as under a debugger);
 *   traced DIR outer   a process outside the tree (R's grandchild, orphaned
 *                      at once so that it is not R's descendant) seizes C
 *                      (PTRACE_SEIZE: C runs on, traced).
 * READY prints "C-PID TRACER-PID". After the go the tracer detaches, C
 * checks it was never stopped by anything but the tracer, and R checks C
 * ends well.
 * Usage: traced DIR inner|outer
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

/* The TracerPid line of /proc/PID/status; -1 if none. */
static pid_t tracer_of(pid_t pid)
{
	char path[64], buf[4096], *p;
	int tracer = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (slurp(path, buf, sizeof(buf)))
		return -1;
	p = strstr(buf, "TracerPid:");
	if (p)
		sscanf(p, "TracerPid: %d", &tracer);
	return tracer;
}

/* The outer tracer: seizes C, then waits for the go and lets C go. */
static int outer_tracer(pid_t c, const char *go, int ready_fd)
{
	pid_t self = getpid();
	int ok = ptrace(PTRACE_SEIZE, c, 0, 0) == 0;

	if (write(ready_fd, &self, sizeof(self)) != sizeof(self))
		return 1;
	close(ready_fd);
	if (!ok)
		return 1;
	wait_for(go);
	/* A seized tracee must be stopped to be detached; any stop will do. */
	ptrace(PTRACE_INTERRUPT, c, 0, 0);
	waitpid(c, NULL, __WALL);
	return ptrace(PTRACE_DETACH, c, 0, 0) ? 1 : 0;
}

int main(int argc, char **argv)
{
	char go[PATH_MAX];
	pid_t c, tracer = 0, m;
	int pfd[2], inner, status, code;

	if (argc != 3 || !workload_dir(2, argv, go) || pipe(pfd))
		return 2;
	inner = !strcmp(argv[2], "inner");
	fflush(stdout);
	c = fork();
	if (c == 0) {
		close(pfd[0]);
		close(pfd[1]);
		wait_for(go);
		/* Detached by now: nobody traces it any more. */
		while (tracer_of(getpid()) > 0)
			nap();
		_exit(0);
	}
	if (inner) {
		if (ptrace(PTRACE_ATTACH, c, 0, 0) ||
		    waitpid(c, &status, __WALL) != c)
			return 2;
		tracer = getpid();
	} else {
		m = fork();
		if (m == 0) {
			close(pfd[0]);
			if (fork() == 0)
				_exit(outer_tracer(c, go, pfd[1]));
			_exit(0);
		}
		close(pfd[1]);
		waitpid(m, NULL, 0);
		if (read(pfd[0], &tracer, sizeof(tracer)) != sizeof(tracer))
			return 2;
	}
	check("setup", tracer_of(c) == tracer, "C %d traced by %d (want %d)", c,
	      tracer_of(c), tracer);
	printf("READY %d %d\n", c, tracer);
	wait_for(go);
	if (inner)
		ptrace(PTRACE_DETACH, c, 0, 0);
	code = exit_code(c);
	check("ran-on", code == 0, "C exited %d once its tracer let it go",
	      code);
	return check_exit_status();
}
