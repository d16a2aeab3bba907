// SPDX-License-Identifier: GPL-2.0
/*
 * A tree whose tasks come and go all the time, for checkpoints that race
 * with them: the root keeps 8 short-lived threads at a time (created, then
 * joined, in a loop) and a child that execs itself in a loop. A checkpoint
 * must either fail cleanly or give an image that restarts; after a restart
 * the tree goes on churning.
 * Usage: churn (prints READY PID-OF-THE-EXEC-CHILD); churn --exec (the child)
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define THREADS 8

static void *short_lived(void *arg)
{
	volatile unsigned long spin;

	for (spin = 0; spin < 1000; spin++)
		;
	return arg;
}

static int exec_forever(char *self)
{
	char *argv[] = { self, "--exec", NULL };

	/* Each incarnation does a little work, then becomes the next one. */
	short_lived(NULL);
	execv("/proc/self/exe", argv);
	return 1;
}

int main(int argc, char **argv)
{
	pthread_t threads[THREADS];
	pid_t child;
	int i;

	if (argc == 2 && !strcmp(argv[1], "--exec"))
		return exec_forever(argv[0]);
	child = fork();
	if (child < 0)
		return 1;
	if (child == 0)
		return exec_forever(argv[0]);
	printf("READY %d\n", child);
	fflush(stdout);
	for (;;) {
		for (i = 0; i < THREADS; i++)
			if (pthread_create(&threads[i], NULL, short_lived,
					   NULL))
				threads[i] = 0;
		for (i = 0; i < THREADS; i++)
			if (threads[i])
				pthread_join(threads[i], NULL);
	}
}
