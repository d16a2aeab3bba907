// SPDX-License-Identifier: GPL-2.0
/*
 * A service-like process of a non-root user, restarted by root: its
 * processes must be counted as that user's (the count RLIMIT_NPROC limits),
 * before and after the restart, and it must be able to fork and exec, then
 * reap, as such a service does. The kernel keeps that count in the ucounts
 * of the credentials; if a restart leaves them behind, an exec'd child's
 * exit makes it underflow, with a kernel warning.
 *
 * The count is measured as how many more processes the user may fork under
 * a soft RLIMIT_NPROC of PROBE_LIMIT.
 *
 * Usage: nproc_user DIR   run as the user: READY, wait for DIR/go, check
 *        nproc_user probe print how many processes the caller may fork
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define PROBE_LIMIT 48

/* Forks children that wait on a pipe until the next fork fails; reaps them. */
static int forks_allowed(void)
{
	struct rlimit lim, probe;
	pid_t kids[PROBE_LIMIT];
	int n = 0, gate[2], i;
	char c;

	if (pipe(gate) || getrlimit(RLIMIT_NPROC, &lim))
		return -1;
	probe = lim;
	probe.rlim_cur = PROBE_LIMIT;
	if (setrlimit(RLIMIT_NPROC, &probe))
		return -1;
	while (n < PROBE_LIMIT) {
		pid_t pid = fork();

		if (pid == 0) {
			close(gate[1]);
			_exit(read(gate[0], &c, 1) == 0 ? 0 : 1);
		}
		if (pid < 0)
			break;
		kids[n++] = pid;
	}
	close(gate[1]);
	close(gate[0]);
	for (i = 0; i < n; i++)
		waitpid(kids[i], NULL, 0);
	setrlimit(RLIMIT_NPROC, &lim);
	return n;
}

/* Runs /bin/true in a child and reaps it, as a service runs a helper. */
static int fork_exec_reap(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	char go[4096];
	int before, after, after_exec, i, status = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "probe") == 0) {
		printf("%d\n", forks_allowed());
		return 0;
	}
	if (argc != 2) {
		fprintf(stderr, "usage: nproc_user DIR | nproc_user probe\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	before = forks_allowed();
	printf("READY uid %d may fork %d\n", (int)getuid(), before);
	wait_for(go);

	after = forks_allowed();
	check("counted-as-user", after == before && before > 0,
	      "uid %d may fork %d processes after the restart, %d before",
	      (int)getuid(), after, before);
	for (i = 0; i < 3 && status == 0; i++)
		status = fork_exec_reap();
	check("fork-exec", status == 0,
	      "a child ran /bin/true and was reaped: status %d", status);
	after_exec = forks_allowed();
	check("count-after-exec", after_exec == before,
	      "uid %d may fork %d processes after its children exec'd and exited, %d before",
	      (int)getuid(), after_exec, before);
	return check_exit_status();
}
