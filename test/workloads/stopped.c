// SPDX-License-Identifier: GPL-2.0
/*
 * Processes stopped by job control across a checkpoint and restart. The
 * root R forks:
 *   S1  stops itself with SIGSTOP; R has taken its stop report
 *       (waitpid(WUNTRACED)) before the checkpoint;
 *   S2  leads its own group and stops itself with SIGTSTP; R has not taken
 *       its report;
 *   S3  has a second thread, and stops itself with SIGSTOP: a group stop
 *       of both threads, its report not taken either;
 *   S4  stopped with SIGSTOP, then continued by R with SIGCONT, which S4
 *       blocks: SIGCONT stays pending, and R has not taken the continued
 *       report (waitpid(WCONTINUED)).
 * After the restart every stopped task must be in state T, R's waitpid()
 * must find the reports it had not taken (and not the one it had); once
 * R sends SIGCONT, each stopped process goes on and checks itself.
 * Usage: stopped DIR   (goes on once DIR/go exists)
 */
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

static char go[PATH_MAX];
/* Made by R once it took its reports: S4 lives on until then. */
static char checked[PATH_MAX];
static volatile sig_atomic_t continued;

static void on_cont(int sig)
{
	(void)sig;
	continued = 1;
}

/* S3's second thread: runs on once the group is continued after the go. */
static void *worker(void *arg)
{
	(void)arg;
	wait_for(go);
	return NULL;
}

/* What each child does once it is running again after the restart. */
static int s1(pid_t root)
{
	raise(SIGSTOP);
	return getppid() == root ? 0 : 1;
}

static int s2(pid_t root)
{
	setpgid(0, 0);
	signal(SIGCONT, on_cont);
	raise(SIGTSTP);
	/* The handler ran when R's SIGCONT continued it, after the go. */
	return getppid() == root && getpgid(0) == getpid() && continued &&
			       access(go, F_OK) == 0 ?
		       0 :
		       1;
}

static int s3(pid_t root)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, worker, NULL))
		return 1;
	raise(SIGSTOP);
	return pthread_join(thread, NULL) || getppid() != root ||
	       access(go, F_OK);
}

static int s4(void)
{
	sigset_t cont, pending;

	sigemptyset(&cont);
	sigaddset(&cont, SIGCONT);
	sigprocmask(SIG_BLOCK, &cont, NULL);
	raise(SIGSTOP);
	wait_for(go);
	sigpending(&pending);
	wait_for(checked);
	return sigismember(&pending, SIGCONT) ? 0 : 1;
}

static pid_t spawn(int (*fn)(pid_t), pid_t root)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(root));
	return pid;
}

static int s4_fn(pid_t root)
{
	(void)root;
	return s4();
}

/* Whether every thread of pid is in state want. */
static int all_threads(pid_t pid, char want, char *seen, size_t len)
{
	char path[PATH_MAX], buf[512], *p;
	struct dirent *de;
	int ok = 1, n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	seen[0] = 0;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid,
			 de->d_name);
		if (slurp(path, buf, sizeof(buf)) || !(p = strrchr(buf, ')')))
			p = ")  ?";
		note_to(seen, len, "%s:%c", de->d_name, p[2]);
		ok &= p[2] == want;
		n++;
	}
	closedir(d);
	return ok && n > 0;
}

static int stopped_all(pid_t *pids, int n, char want)
{
	char seen[256];
	int i;

	for (i = 0; i < n; i++)
		if (!all_threads(pids[i], want, seen, sizeof(seen)))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	pid_t root = getpid(), s[4];
	char seen[4][256], detail[1024] = "";
	int status, i, codes[4];

	if (!workload_dir(argc, argv, go))
		return 2;
	snprintf(checked, sizeof(checked), "%s/checked", argv[1]);
	unlink(checked);
	fflush(stdout);
	s[0] = spawn(s1, root);
	s[1] = spawn(s2, root);
	setpgid(s[1], s[1]);
	s[2] = spawn(s3, root);
	s[3] = spawn(s4_fn, root);
	while (!stopped_all(s, 4, 'T'))
		nap();
	/* Taken: S1's stop. Left: S2's and S3's stops, S4's continue. */
	waitpid(s[0], &status, WUNTRACED);
	waitpid(s[3], &status, WUNTRACED);
	kill(s[3], SIGCONT);
	while (proc_state(s[3]) == 'T')
		nap();
	check("setup", 1, "S1 %d S2 %d S3 %d S4 %d", s[0], s[1], s[2], s[3]);
	printf("READY\n");
	wait_for(go);

	/* The restored children stop as they leave the kernel: wait (up to 10 s). */
	for (i = 0; i < 1000 && !stopped_all(s, 3, 'T'); i++)
		nap();
	check("stopped",
	      all_threads(s[0], 'T', seen[0], sizeof(seen[0])) &&
		      all_threads(s[1], 'T', seen[1], sizeof(seen[1])) &&
		      all_threads(s[2], 'T', seen[2], sizeof(seen[2])),
	      "S1 %s, S2 %s, S3 %s", seen[0], seen[1], seen[2]);
	check("running", proc_state(s[3]) != 'T', "S4 %c", proc_state(s[3]));
	i = waitpid(s[0], &status, WUNTRACED | WCONTINUED | WNOHANG);
	check("report-taken", i == 0, "waitpid(S1) gave %d, status %#x", i,
	      status);
	status = 0;
	i = waitpid(s[1], &status, WUNTRACED | WNOHANG);
	note_to(detail, sizeof(detail), "S2: %d status %#x", i, status);
	codes[0] = i == s[1] && WIFSTOPPED(status) &&
		   WSTOPSIG(status) == SIGTSTP;
	status = 0;
	i = waitpid(s[2], &status, WUNTRACED | WNOHANG);
	note_to(detail, sizeof(detail), "S3: %d status %#x", i, status);
	codes[1] = i == s[2] && WIFSTOPPED(status) &&
		   WSTOPSIG(status) == SIGSTOP;
	check("report-stopped", codes[0] && codes[1], "%s", detail);
	status = 0;
	i = waitpid(s[3], &status, WCONTINUED | WNOHANG);
	check("report-continued", i == s[3] && WIFCONTINUED(status),
	      "waitpid(S4, WCONTINUED) gave %d, status %#x", i, status);
	touch(checked);
	/* Still stopped a while later: nothing but SIGCONT wakes them. */
	usleep(200 * 1000);
	check("still-stopped", stopped_all(s, 3, 'T'), "after 200 ms");

	/* Not S4: its pending SIGCONT must be the one from before. */
	for (i = 0; i < 3; i++)
		kill(s[i], SIGCONT);
	for (i = 0; i < 4; i++)
		codes[i] = exit_code(s[i]);
	check("continued", !codes[0] && !codes[1] && !codes[2] && !codes[3],
	      "S1..S4 exited %d %d %d %d after SIGCONT", codes[0], codes[1],
	      codes[2], codes[3]);
	return check_exit_status();
}
