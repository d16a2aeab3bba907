// SPDX-License-Identifier: GPL-2.0
/*
 * Trees the freeze must give up on, cleanly: the checkpoint fails with an
 * errno and a message naming the task, and the tree runs on as if nothing
 * happened. The root R starts, then prints READY PID (the pid the message
 * must name) and waits for the go.
 *   freeze_refused DIR vfork    R forks P, which vfork()s C; C waits for
 *                               the go. P sleeps in the kernel until C
 *                               exits, where the freeze's work cannot
 *                               reach it: the checkpoint gives up on P
 *                               (EBUSY). READY names P.
 * After the go, R checks that P ends well, once its vfork returned C's pid.
 * Usage: freeze_refused DIR vfork
 */
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

static char go[PATH_MAX];

static int vfork_child(void *arg)
{
	(void)arg;
	wait_for(go);
	_exit(0);
}

/* P: vforks C and checks the vfork returned it, once C is gone. */
static int vfork_parent(void)
{
	static char stack[64 * 1024];
	pid_t c;

	c = clone(vfork_child, stack + sizeof(stack),
		  CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (c < 0)
		return 1;
	return exit_code(c) == 0 ? 0 : 1;
}

static int run_vfork(void)
{
	char state[64] = "";
	int code, tries;
	pid_t p;

	p = fork();
	if (p == 0)
		_exit(vfork_parent());
	/* P is in its vfork once it sleeps with a child. */
	for (tries = 0; tries < 500 && strcmp(state, "D"); tries++) {
		char path[64], buf[4096], *line;

		nap();
		snprintf(path, sizeof(path), "/proc/%d/task/%d/children", p, p);
		if (slurp(path, buf, sizeof(buf)) || atoi(buf) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", p);
		if (slurp(path, buf, sizeof(buf)))
			continue;
		line = strstr(buf, "State:");
		if (line)
			sscanf(line, "State: %63s", state);
	}
	check("setup", !strcmp(state, "D"),
	      "P %d waits for its vfork child (state %s)", p, state);
	printf("READY %d\n", p);
	wait_for(go);
	code = exit_code(p);
	check("ran-on", code == 0, "P exited %d once its vfork child let it go",
	      code);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc != 3 || !workload_dir(2, argv, go))
		return 2;
	if (!strcmp(argv[2], "vfork"))
		return run_vfork();
	return 2;
}
