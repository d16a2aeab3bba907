// SPDX-License-Identifier: GPL-2.0
/*
 * Zombies that lead their own process groups, each of whose child was made
 * its sibling (CLONE_PARENT) before it exited. The root R forks three such
 * zombies Zi (exit status 10 + i); each makes its own group and clones Ci
 * with CLONE_PARENT, so that Ci's parent is R:
 *   C0  stays in Z0's group and runs on;
 *   C1  stays in Z1's group and exits too (status 21): a group of zombies;
 *   C2  makes a group of its own and runs on: Z2's group holds only Z2;
 *   C3  stays in the session and group of Z3, which led a session of its
 *       own (setsid()), and runs on: only Z3 could have made it there.
 * After the restart each Zi must still be a zombie leading its group, each
 * Ci in its group as R's child, and all reaped with their statuses.
 * Usage: zombie_pgrp DIR   (goes on once DIR/go exists)
 */
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#define NR 4
#define C1_STATUS 21

/* Ci after its restart: still R's child, in the group and session it had. */
static int member(const char *go, pid_t root, pid_t group, pid_t session)
{
	wait_for(go);
	return getppid() == root && getpgid(0) == group &&
			       getsid(0) == session ?
		       0 :
		       1;
}

static pid_t parent_of(pid_t pid)
{
	char buf[512];
	const char *fields = proc_stat_fields(pid, buf, sizeof(buf));
	int ppid = -1;

	if (fields)
		sscanf(fields, "%*c %d", &ppid);
	return ppid;
}

/* Zi: its own group, Ci by CLONE_PARENT, then exits with 10 + i. */
static void zombie(int i, const char *go, pid_t root, int fd)
{
	pid_t c;

	if (i == 3)
		setsid();
	else
		setpgid(0, 0);
	/* A raw clone: glibc's fork() wrapper takes no flags. */
	c = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
	if (c == 0) {
		if (i == 1)
			_exit(C1_STATUS);
		if (i == 2)
			setpgid(0, 0);
		_exit(member(go, root, getpgid(0), getsid(0)));
	}
	if (c < 0 || write(fd, &c, sizeof(c)) != sizeof(c))
		_exit(1);
	_exit(10 + i);
}

int main(int argc, char **argv)
{
	pid_t root = getpid(), z[NR], c[NR], want[NR];
	char go[PATH_MAX], setup[512] = "", detail[512] = "";
	int pfd[2], status[NR], c_status, i, ok;

	if (!workload_dir(argc, argv, go))
		return 2;
	for (i = 0; i < NR; i++) {
		if (pipe(pfd))
			return 2;
		fflush(stdout);
		z[i] = fork();
		if (z[i] == 0) {
			close(pfd[0]);
			zombie(i, go, root, pfd[1]);
		}
		close(pfd[1]);
		if (z[i] < 0 ||
		    read(pfd[0], &c[i], sizeof(c[i])) != sizeof(c[i]))
			return 2;
		close(pfd[0]);
		want[i] = i == 2 ? c[i] : z[i];
		while (proc_state(z[i]) != 'Z' ||
		       (i == 1 && proc_state(c[i]) != 'Z') ||
		       (i == 2 && getpgid(c[i]) != c[i]))
			nap();
		note_to(setup, sizeof(setup),
			"Z%d %d group %d, C%d %d group %d parent %d", i, z[i],
			getpgid(z[i]), i, c[i], getpgid(c[i]), parent_of(c[i]));
	}
	check("setup", 1, "%s", setup);
	printf("READY\n");
	wait_for(go);
	ok = 1;
	for (i = 0; i < NR; i++) {
		note_to(detail, sizeof(detail),
			"Z%d %c group %d, C%d %c group %d", i, proc_state(z[i]),
			getpgid(z[i]), i, proc_state(c[i]), getpgid(c[i]));
		ok &= proc_state(z[i]) == 'Z' && getpgid(z[i]) == z[i] &&
		      getpgid(c[i]) == want[i] &&
		      (i != 3 || getsid(c[i]) == z[i]);
	}
	check("groups", ok, "%s", detail);
	detail[0] = 0;
	ok = 1;
	for (i = 0; i < NR; i++) {
		status[i] = -1;
		waitpid(z[i], &status[i], 0);
		c_status = exit_code(c[i]);
		note_to(detail, sizeof(detail), "Z%d status %#x, C%d exited %d",
			i, status[i], i, c_status);
		ok &= WIFEXITED(status[i]) &&
		      WEXITSTATUS(status[i]) == 10 + i &&
		      c_status == (i == 1 ? C1_STATUS : 0);
	}
	check("statuses", ok, "%s", detail);
	return check_exit_status();
}
