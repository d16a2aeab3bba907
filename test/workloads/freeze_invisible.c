// SPDX-License-Identifier: GPL-2.0
/*
 * A checkpoint that leaves the target running must go unnoticed: the child
 * sleeps in nanosleep() and poll() over and over and must see no EINTR; its
 * parent, waiting with WUNTRACED | WCONTINUED, must see no stop. The child is
 * what gets checkpointed. Usage: freeze_invisible GO_FILE
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static int child_main(const char *go_file)
{
	struct timespec nap = { 0, 20 * 1000 * 1000 };
	unsigned long rounds = 0, interrupted = 0;

	while (access(go_file, F_OK) != 0) {
		if (nanosleep(&nap, NULL) && errno == EINTR)
			interrupted++;
		if (poll(NULL, 0, 20) < 0 && errno == EINTR)
			interrupted++;
		rounds++;
	}
	check("target-sees-no-eintr", interrupted == 0,
	      "%lu of %lu sleeps interrupted", interrupted, rounds);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	int status, stops = 0;
	pid_t child, got;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	child = fork();
	if (child == 0)
		return child_main(argv[1]);
	printf("READY %d\n", child);
	while ((got = waitpid(child, &status, WUNTRACED | WCONTINUED)) ==
	       child) {
		if (WIFEXITED(status) || WIFSIGNALED(status))
			break;
		stops++;
	}
	check("parent-sees-no-stop", stops == 0, "%d stop/continue reports",
	      stops);
	check("target-ran-to-end",
	      got == child && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child status %#x", status);
	return check_exit_status();
}
