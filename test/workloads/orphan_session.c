// SPDX-License-Identifier: GPL-2.0
/*
 * A session whose leader is gone: the root is a child subreaper; its child
 * S starts a session and forks M and M's child N, then exits; M is handed
 * to the root. After the restart M and N must still be in session S, with
 * the root as M's parent.
 * Usage: orphan_session DIR   (goes on once DIR/go exists)
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void wait_for(const char *dir, const char *name)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (access(path, F_OK))
		nanosleep(&tick, NULL);
}

static void create(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	close(open(path, O_WRONLY | O_CREAT, 0600));
}

/* M and N: they check their session and parent after the restart. */
static int member(const char *dir, pid_t sid, pid_t parent, const char *ready)
{
	create(dir, ready);
	wait_for(dir, "go");
	return getsid(0) == sid && getppid() == parent ? 0 : 1;
}

int main(int argc, char **argv)
{
	pid_t root = getpid(), s, m = 0, sid = 0;
	int status, m_status = -1, pfd[2];

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	if (pipe(pfd))
		return 2;
	fflush(stdout);
	s = fork();
	if (s == 0) {
		pid_t n;

		setsid();
		m = fork();
		if (m == 0) {
			close(pfd[0]);
			close(pfd[1]);
			n = fork();
			if (n == 0)
				_exit(member(argv[1], getsid(0), getppid(),
					     "n-ready"));
			status = member(argv[1], getsid(0), root, "m-ready");
			waitpid(n, &m_status, 0);
			_exit(status || !WIFEXITED(m_status) ||
			      WEXITSTATUS(m_status));
		}
		/* Tell the root who M is, then leave M to it. */
		if (write(pfd[1], &m, sizeof(m)) != sizeof(m))
			_exit(1);
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], &m, sizeof(m)) != sizeof(m))
		return 1;
	close(pfd[0]);
	waitpid(s, &status, 0);
	wait_for(argv[1], "m-ready");
	wait_for(argv[1], "n-ready");
	sid = getsid(m);
	check("setup", sid == s && getsid(0) != s,
	      "M %d in session %d, the leader %d gone", m, sid, s);
	printf("READY\n");
	wait_for(argv[1], "go");
	waitpid(m, &m_status, 0);
	check("members", WIFEXITED(m_status) && WEXITSTATUS(m_status) == 0,
	      "M and N kept session %d and their parents (status %#x)", sid,
	      m_status);
	return check_exit_status();
}
