/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a workload's processes meet: marker files in the workload's directory,
 * created by one and polled for by another, since they must work the same
 * before a checkpoint and after a restart.
 */
#ifndef CPT_TEST_SYNC_H
#define CPT_TEST_SYNC_H

#include <fcntl.h>
#include <stdio.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static inline void nap(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	nanosleep(&tick, NULL);
}

static inline long ms_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1000 +
	       (now.tv_nsec - start->tv_nsec) / 1000000;
}

/*
 * Whether path appeared within timeout_ms; WAIT_FOREVER for the go file,
 * which comes after a checkpoint and restart of unknown length, during
 * which CLOCK_MONOTONIC runs on.
 */
#define WAIT_FOREVER (-1L)

static inline int wait_for_file(const char *path, long timeout_ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (access(path, F_OK) != 0) {
		if (timeout_ms != WAIT_FOREVER && ms_since(&start) > timeout_ms)
			return 0;
		nap();
	}
	return 1;
}

static inline void wait_for(const char *path)
{
	wait_for_file(path, WAIT_FOREVER);
}

static inline int touch(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

/* wait_for_file() and touch() of the marker name in directory dir. */
static inline int wait_in(const char *dir, const char *name, long timeout_ms)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return wait_for_file(path, timeout_ms);
}

static inline int touch_in(const char *dir, const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return touch(path);
}

/*
 * The syscall a task is blocked in, as its /proc file path (.../syscall)
 * shows it (its number: a 32-bit one's own); -1 if it is running or none.
 */
static inline long syscall_in(const char *path)
{
	char line[256];
	long nr = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f) || sscanf(line, "%ld", &nr) != 1)
		nr = -1;
	fclose(f);
	return nr;
}

/* syscall_in() of thread tid of this process. */
static inline long syscall_of_thread(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	return syscall_in(path);
}

/* syscall_in() of process pid (its main thread). */
static inline long syscall_of_process(pid_t pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/syscall", (int)pid);
	return syscall_in(path);
}

/* Waits for child pid; its exit status as the shell shows it (128 + a signal), -1 if it can't. */
static inline int exit_code(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * Forks a child that runs setup() (nonzero: it exits 1), says it is ready
 * through a pipe, then runs then() and exits with what it returns: a
 * process that must exist, set up, while the caller goes on. Its pid once
 * it is ready; -1, the child reaped, if it never was.
 */
static inline pid_t fork_ready_then(int (*setup)(void), int (*then)(void))
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		if (setup() || write(ready[1], "r", 1) != 1)
			_exit(1);
		close(ready[1]);
		_exit(then());
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &c, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid < 0 ? -1 : pid;
}

static inline int pause_forever(void)
{
	for (;;)
		pause();
	return 0;
}

/* fork_ready_then(), the child pausing until a signal ends it. */
static inline pid_t fork_ready(int (*setup)(void))
{
	return fork_ready_then(setup, pause_forever);
}

#endif
