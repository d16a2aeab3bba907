// SPDX-License-Identifier: GPL-2.0
/*
 * Processes that stay on the task list after their exit is over
 * (EXIT_DEAD), while a checkpoint's freeze looks for the tree's processes.
 * W, the workload (outside the tree), forks the tree's root R, a child
 * subreaper that ignores SIGCHLD. R forks M, which forks N children that
 * exit at once and stay its zombies; each one's /proc entry is looked up
 * (so that its release flushes a dentry, where the kernel may schedule).
 * W prints READY R and watches R's heartbeat. When R stands still (the
 * freeze parked it), W kills M: M's exit hands its N zombies to R, which,
 * ignoring SIGCHLD, has them reaped there and then: each is EXIT_DEAD,
 * child of R, still on the task list, until M's exit released it, one
 * after the other. A freeze that took them into the tree again and again
 * would never let M run on one CPU.
 * After the go, W kills M if it has not yet, ends R and checks it exited
 * well; it prints "KILLED stood-still" or "KILLED after-go".
 * Usage: exit_dead DIR N
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

/*
 * R's heartbeat, and how long it stops before W takes R for parked: long
 * enough apart for a debug kernel under emulation (a tighter beat there
 * starves M's forks).
 */
#define BEAT_US 1000
#define STILL_US 10000

struct shared {
	volatile unsigned long beat;
	volatile pid_t m;
	volatile int m_ready;
	volatile int r_done;
};

static struct shared *sh;
static char go[PATH_MAX];

static long us_now(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000000L + now.tv_nsec / 1000;
}

static void run_m(int n)
{
	char path[64];
	struct stat st;
	int i;
	pid_t c;

	for (i = 0; i < n; i++) {
		c = fork();
		if (c < 0)
			_exit(1);
		if (c == 0)
			_exit(0);
		snprintf(path, sizeof(path), "/proc/%d/stat", c);
		stat(path, &st);
	}
	sh->m_ready = 1;
	for (;;)
		pause();
}

static int run_r(int n)
{
	struct timespec tick = { 0, BEAT_US * 1000 };
	pid_t m;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    signal(SIGCHLD, SIG_IGN) == SIG_ERR)
		return 1;
	m = fork();
	if (m < 0)
		return 1;
	if (m == 0)
		run_m(n);
	sh->m = m;
	while (!sh->m_ready && !sh->r_done)
		nap();
	while (!sh->r_done) {
		sh->beat++;
		nanosleep(&tick, NULL);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, BEAT_US * 1000 };
	unsigned long beat = 0;
	const char *killed = NULL;
	long still_since = 0;
	int n, code;
	pid_t r;

	if (argc != 3 || !workload_dir(2, argv, go))
		return 2;
	n = atoi(argv[2]);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		return 2;
	r = fork();
	if (r == 0)
		_exit(run_r(n));
	while (!sh->m_ready && !waitpid(r, NULL, WNOHANG))
		nap();
	check("setup", sh->m_ready, "M %d has %d zombie children", sh->m, n);
	printf("READY %d\n", r);
	while (access(go, F_OK) != 0) {
		if (sh->beat != beat) {
			beat = sh->beat;
			still_since = us_now();
		} else if (!killed && us_now() - still_since > STILL_US) {
			kill(sh->m, SIGKILL);
			killed = "stood-still";
		}
		nanosleep(&tick, NULL);
	}
	if (!killed) {
		kill(sh->m, SIGKILL);
		killed = "after-go";
	}
	printf("KILLED %s\n", killed);
	sh->r_done = 1;
	code = exit_code(r);
	check("exit-status", code == 0, "R exited %d", code);
	return check_exit_status();
}
