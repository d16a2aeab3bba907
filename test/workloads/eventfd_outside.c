// SPDX-License-Identifier: GPL-2.0
/*
 * Eventfds shared between the tree a checkpoint takes and processes outside
 * it. The main process makes a semaphore eventfd and a plain one, both at
 * 0, and starts three children: the tree's root, which holds both and
 * sleeps, and two readers outside the tree, each blocked in a read() of
 * one of them. The checkpoint of the root must leave both counters as they
 * are and wake neither reader (the test counts their context switches).
 * Prints "READY <root> <semaphore reader> <plain reader> <semaphore fd>
 * <plain fd>"; sleeps until killed (the test kills its process group).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <unistd.h>

/* A child that does fn(fd) and dies with its parent. */
static pid_t child(void (*fn)(int), int fd)
{
	pid_t pid = fork();

	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fn(fd);
		_exit(0);
	}
	return pid;
}

static void hold(int fd)
{
	(void)fd;
	for (;;)
		pause();
}

static void read_once(int fd)
{
	uint64_t value;

	/* Returns only if someone writes: nobody does. */
	if (read(fd, &value, sizeof(value)) == sizeof(value))
		printf("reader of fd %d woke with %llu\n", fd,
		       (unsigned long long)value);
	hold(fd);
}

int main(void)
{
	int sem = eventfd(0, EFD_SEMAPHORE), plain = eventfd(0, 0);
	pid_t root, sem_reader, plain_reader;

	if (sem < 0 || plain < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	root = child(hold, -1);
	sem_reader = child(read_once, sem);
	plain_reader = child(read_once, plain);
	if (root < 0 || sem_reader < 0 || plain_reader < 0)
		return 2;
	printf("READY %d %d %d %d %d\n", root, sem_reader, plain_reader, sem,
	       plain);
	hold(-1);
	return 0;
}
