// SPDX-License-Identifier: GPL-2.0
/*
 * A process under seccomp, which must come back from a restart under the
 * same filters, shared as they were.
 *
 * Usage: seccomp_state MODE DIR  READY, wait for DIR/go, check
 *   filter    two filters: uname() fails with ENOKEY (SECCOMP_FILTER_FLAG_LOG),
 *             mincore() kills; a child forked after the restart has both
 *   strict    a child in strict mode, blocked in read(): after the restart
 *             its next other syscall kills it
 *   tsync     three threads share a filter installed with TSYNC; after the
 *             restart a second TSYNC filter reaches them all
 *   fork      a filter, then a child: each adds its own over the shared one
 *   listener  a filter with a user-notification listener (not restorable)
 */
#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "seccomp_filter.h"
#include "sync.h"

/* errno of a syscall that a filter fails (0: it succeeded). */
static int uname_errno(void)
{
	struct utsname u;

	return uname(&u) ? errno : 0;
}

static int getcpu_errno(void)
{
	unsigned int cpu;

	return syscall(SYS_getcpu, &cpu, NULL, NULL) ? errno : 0;
}

/* "Seccomp: M Seccomp_filters: N" of a task's status file. */
static void seccomp_status(const char *path, char *buf, size_t size)
{
	FILE *status = fopen(path, "r");
	char line[256];

	buf[0] = 0;
	while (status && fgets(line, sizeof(line), status))
		if (!strncmp(line, "Seccomp", 7)) {
			line[strcspn(line, "\n")] = 0;
			note_to(buf, size, "%s", line);
		}
	if (status)
		fclose(status);
}

static int run_filter(const char *go)
{
	char before[128], after[128];
	int status;
	pid_t pid;

	if (seccomp_filter_one(SYS_uname, SECCOMP_RET_ERRNO | ENOKEY,
			       SECCOMP_FILTER_FLAG_LOG) ||
	    seccomp_filter_one(SYS_mincore, SECCOMP_RET_KILL, 0)) {
		perror("seccomp");
		return 1;
	}
	seccomp_status("/proc/self/status", before, sizeof(before));
	printf("READY %s\n", before);
	wait_for(go);
	check("errno", uname_errno() == ENOKEY,
	      "uname() after the restart: errno %d", uname_errno());
	seccomp_status("/proc/self/status", after, sizeof(after));
	check("status", !strcmp(before, after) && strstr(after, "Seccomp:\t2"),
	      "after the restart: %s; before: %s", after, before);
	pid = fork();
	if (pid == 0) {
		if (uname_errno() != ENOKEY)
			_exit(3);
		syscall(SYS_mincore, 0, 0, 0);
		_exit(4);
	}
	waitpid(pid, &status, 0);
	check("forked-child", WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS,
	      "a child forked after the restart ended with status %#x (SIGSYS %d expected)",
	      status, SIGSYS);
	return check_exit_status();
}

static int run_strict(const char *go)
{
	int to_child[2], from_child[2], status;
	char path[64], before[128], after[128], c;
	pid_t pid;

	if (pipe(to_child) || pipe(from_child))
		return 1;
	pid = fork();
	if (pid == 0) {
		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
			_exit(2);
		if (write(from_child[1], "S", 1) != 1 ||
		    read(to_child[0], &c, 1) != 1)
			syscall(SYS_exit, 3);
		/* Anything but read, write, exit and sigreturn: killed. */
		syscall(SYS_getppid);
		syscall(SYS_exit, 5);
	}
	if (read(from_child[0], &c, 1) != 1)
		return 1;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	seccomp_status(path, before, sizeof(before));
	printf("READY %s\n", before);
	wait_for(go);
	seccomp_status(path, after, sizeof(after));
	check("status", !strcmp(before, after) && strstr(after, "Seccomp:\t1"),
	      "the child after the restart: %s; before: %s", after, before);
	if (write(to_child[1], "G", 1) != 1)
		return 1;
	waitpid(pid, &status, 0);
	check("killed", WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the strict child's getppid() ended it with status %#x (SIGKILL expected)",
	      status);
	return check_exit_status();
}

static volatile int tsync_stage;

struct thread_result {
	pid_t tid;
	int uname_errno, getcpu_errno;
	char status[128];
};

static void *tsync_thread(void *arg)
{
	struct thread_result *r = arg;

	r->tid = gettid();
	while (tsync_stage == 0)
		nap();
	r->uname_errno = uname_errno();
	r->getcpu_errno = getcpu_errno();
	seccomp_status("/proc/thread-self/status", r->status,
		       sizeof(r->status));
	return NULL;
}

static int run_tsync(const char *go)
{
	struct thread_result results[2] = {};
	char all[512] = "";
	pthread_t threads[2];
	int i, ok = 1;
	long ret;

	for (i = 0; i < 2; i++)
		pthread_create(&threads[i], NULL, tsync_thread, &results[i]);
	while (!results[0].tid || !results[1].tid)
		nap();
	if (seccomp_filter_one(SYS_uname, SECCOMP_RET_ERRNO | ENOKEY,
			       SECCOMP_FILTER_FLAG_TSYNC)) {
		perror("seccomp");
		return 1;
	}
	printf("READY\n");
	wait_for(go);
	/* Only threads whose filters are this one's ancestors can be synced. */
	ret = seccomp_filter_one(SYS_getcpu, SECCOMP_RET_ERRNO | EDOM,
				 SECCOMP_FILTER_FLAG_TSYNC);
	check("tsync-again", ret == 0,
	      "a second TSYNC filter after the restart: %ld (errno %d)", ret,
	      ret < 0 ? errno : 0);
	tsync_stage = 1;
	for (i = 0; i < 2; i++) {
		pthread_join(threads[i], NULL);
		note_to(all, sizeof(all),
			"thread %d: uname errno %d, getcpu errno %d, %s",
			results[i].tid, results[i].uname_errno,
			results[i].getcpu_errno, results[i].status);
		ok &= results[i].uname_errno == ENOKEY &&
		      results[i].getcpu_errno == EDOM &&
		      strstr(results[i].status, "Seccomp_filters:\t2") != NULL;
	}
	check("threads", ok, "%s", all);
	return check_exit_status();
}

static int run_fork(const char *go)
{
	int sync_pipe[2], status;
	pid_t pid;
	char c;

	if (seccomp_filter_one(SYS_uname, SECCOMP_RET_ERRNO | ENOKEY, 0) ||
	    pipe(sync_pipe))
		return 1;
	pid = fork();
	if (pid == 0) {
		if (seccomp_filter_one(SYS_getcpu, SECCOMP_RET_ERRNO | ERANGE,
				       0))
			_exit(2);
		if (write(sync_pipe[1], "C", 1) != 1)
			_exit(2);
		wait_for(go);
		_exit(uname_errno() == ENOKEY && getcpu_errno() == ERANGE ? 0 :
									    3);
	}
	if (read(sync_pipe[0], &c, 1) != 1 ||
	    seccomp_filter_one(SYS_getcpu, SECCOMP_RET_ERRNO | EDOM, 0))
		return 1;
	printf("READY\n");
	wait_for(go);
	check("parent", uname_errno() == ENOKEY && getcpu_errno() == EDOM,
	      "the parent after the restart: uname errno %d (ENOKEY), getcpu errno %d (EDOM)",
	      uname_errno(), getcpu_errno());
	waitpid(pid, &status, 0);
	check("child", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child's own checks (uname ENOKEY, getcpu ERANGE) ended with status %#x",
	      status);
	return check_exit_status();
}

static int run_listener(const char *go)
{
	long fd = seccomp_filter_one(SYS_uname, SECCOMP_RET_USER_NOTIF,
				     SECCOMP_FILTER_FLAG_NEW_LISTENER);

	if (fd < 0) {
		perror("seccomp");
		return 1;
	}
	printf("READY listener fd %ld\n", fd);
	wait_for(go);
	return 0;
}

int main(int argc, char **argv)
{
	char go[4096];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 3) {
		fprintf(stderr,
			"usage: seccomp_state filter|strict|tsync|fork|listener DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	if (!strcmp(argv[1], "filter"))
		return run_filter(go);
	if (!strcmp(argv[1], "strict"))
		return run_strict(go);
	if (!strcmp(argv[1], "tsync"))
		return run_tsync(go);
	if (!strcmp(argv[1], "fork"))
		return run_fork(go);
	if (!strcmp(argv[1], "listener"))
		return run_listener(go);
	fprintf(stderr, "seccomp_state: no mode %s\n", argv[1]);
	return 2;
}
