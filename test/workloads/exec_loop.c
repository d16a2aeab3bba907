// SPDX-License-Identifier: GPL-2.0
/*
 * A process whose children exec a setuid-root program over and over, each
 * with a huge argv, so that a good part of their time is spent inside
 * execve(): a checkpoint by the children's unprivileged owner must never
 * save one of them once it runs with the program's credentials.
 * Usage: exec_loop PROGRAM (prints READY)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* 1.5 MiB of arguments: below ARG_MAX (a quarter of the 8 MiB stack). */
#define ARGS 1536
#define ARG_LEN 1023

int main(int argc, char **argv)
{
	static char arg[ARG_LEN + 1];
	char **args;
	pid_t child;
	int i;

	if (argc != 2)
		return 2;
	args = calloc(ARGS + 2, sizeof(*args));
	if (!args)
		return 1;
	memset(arg, 'x', ARG_LEN);
	args[0] = argv[1];
	for (i = 1; i <= ARGS; i++)
		args[i] = arg;
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		child = fork();
		if (child == 0) {
			/* Not a word from the program: it is called all the time. */
			freopen("/dev/null", "w", stdout);
			freopen("/dev/null", "w", stderr);
			execv(argv[1], args);
			_exit(127);
		}
		if (child > 0)
			waitpid(child, NULL, 0);
	}
}
