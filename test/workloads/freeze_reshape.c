// SPDX-License-Identifier: GPL-2.0
/*
 * A tree reshaped from outside during every freeze attempt: the freeze
 * must give up (EAGAIN, "kept changing shape") within its attempts, not
 * hang. The root R forks S (a sentinel) and CHAINS children C, each with
 * GRANDCHILDREN children G. A killer outside the tree (orphaned at once:
 * init's child) watches S: each time S is parked anew (state 'I', with
 * voluntary switches it had not had at the last kill: S ran between two
 * attempts), it SIGKILLs the next C, whose G then go to init. S is parked
 * second (after R), and the freeze then has some 160 tasks to park: the
 * killer's window, some milliseconds, in each attempt. It is a race all
 * the same: a killer too slow lets an attempt succeed, and the checkpoint
 * then fails in SAVE ("was killed during the checkpoint"). Each kill is
 * logged to DIR/kills ("MS PID", MS since the killer started). R prints
 * READY with its pid and waits for the go; then it checks that its
 * children end well (S and the spared C with 0, the killed C by SIGKILL,
 * as many as the killer says).
 * Usage: freeze_reshape DIR
 */
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

/* More than the freeze's attempts (CPT_FREEZE_ATTEMPTS, 20), one C each. */
#define CHAINS 32
#define GRANDCHILDREN 4

static char go[PATH_MAX];
/*
 * The tree's processes but R wait for the go in a read() of this pipe, not
 * in naps: 65 processes each waking 100 times a second, beside the
 * killer's polling, starved a one-CPU guest on a busy host for minutes, so
 * that cptctl did not even reach its INIT (issue 12). R closes its end at
 * the go: end of file.
 */
static int gate[2];

static void wait_gate(void)
{
	char byte;

	while (read(gate[0], &byte, 1) != 0)
		;
}

/* Task pid's state letter and voluntary switches; 0 if it is gone. */
static char task_state(pid_t pid, long *switches)
{
	char path[64], buf[4096], *line;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if (slurp(path, buf, sizeof(buf)))
		return 0;
	line = strstr(buf, "State:");
	if (line)
		sscanf(line, "State: %c", &state);
	line = strstr(buf, "\nvoluntary_ctxt_switches:");
	if (line)
		sscanf(line, "\nvoluntary_ctxt_switches: %ld", switches);
	return state;
}

/* One C killed per attempt that parks S; ends at the go. */
static int killer(pid_t s, const pid_t *c, int kills_fd, int log_fd)
{
	struct timespec tick = { 0, 100 * 1000 }, start;
	long switches = 0, last = -1;
	int kills = 0;
	char line[64];

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (access(go, F_OK) != 0) {
		if (kills < CHAINS - 1 && task_state(s, &switches) == 'I' &&
		    switches != last) {
			kill(c[kills], SIGKILL);
			snprintf(line, sizeof(line), "%ld %d\n",
				 ms_since(&start), c[kills]);
			if (write(log_fd, line, strlen(line)) < 0)
				return 1;
			kills++;
			last = switches;
		}
		nanosleep(&tick, NULL);
	}
	return write(kills_fd, &kills, sizeof(kills)) == sizeof(kills) ? 0 : 1;
}

/*
 * C and its GRANDCHILDREN children G: what the freeze parks after S, in
 * each attempt, is the window in which the killer must strike.
 */
static int chain(void)
{
	pid_t g[GRANDCHILDREN];
	int i, bad = 0;

	close(gate[1]);
	for (i = 0; i < GRANDCHILDREN; i++) {
		g[i] = fork();
		if (g[i] == 0) {
			wait_gate();
			_exit(0);
		}
	}
	wait_gate();
	for (i = 0; i < GRANDCHILDREN; i++)
		bad |= g[i] < 0 || exit_code(g[i]) != 0;
	return bad;
}

int main(int argc, char **argv)
{
	int pfd[2], i, code, log_fd, kills = -1, killed = 0, others = 0;
	char log[PATH_MAX];
	pid_t s, c[CHAINS], m;

	if (!workload_dir(argc, argv, go))
		return 2;
	snprintf(log, sizeof(log), "%s/kills", argv[1]);
	log_fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
	if (log_fd < 0 || pipe(pfd) || pipe(gate))
		return 2;
	s = fork();
	if (s == 0) {
		close(gate[1]);
		wait_gate();
		_exit(0);
	}
	for (i = 0; i < CHAINS; i++) {
		c[i] = fork();
		if (c[i] == 0)
			_exit(chain());
	}
	/* The killer, orphaned at once: no descendant of R, never frozen. */
	m = fork();
	if (m == 0) {
		close(pfd[0]);
		close(gate[0]);
		close(gate[1]);
		if (fork() == 0)
			_exit(killer(s, c, pfd[1], log_fd));
		_exit(0);
	}
	close(pfd[1]);
	close(log_fd);
	exit_code(m);
	printf("READY %d\n", getpid());
	fflush(stdout);
	wait_for(go);
	close(gate[1]);
	code = exit_code(s);
	if (read(pfd[0], &kills, sizeof(kills)) != sizeof(kills))
		kills = -1;
	for (i = 0; i < CHAINS; i++) {
		int status = exit_code(c[i]);

		if (status == 128 + SIGKILL)
			killed++;
		else if (status != 0)
			others++;
	}
	check("ran-on", code == 0 && others == 0 && killed == kills,
	      "S exited %d; of %d C, %d killed (the killer says %d), %d ended otherwise than with 0",
	      code, CHAINS, killed, kills, others);
	return check_exit_status();
}
