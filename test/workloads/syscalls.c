// SPDX-License-Identifier: GPL-2.0
/*
 * Syscalls the freeze interrupted go on after the restart as if nothing had
 * happened. Usage: syscalls pause   (waits in pause() for SIGUSR1, exits 42)
 *                  syscalls sleep   (a 10 s nanosleep() that must complete)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	got_usr1 = sig == SIGUSR1;
}

static int wait_in_pause(void)
{
	struct sigaction sa;
	int ret, err;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	printf("READY\n");
	ret = pause();
	err = errno;
	check("pause-woken-by-signal", ret == -1 && err == EINTR && got_usr1,
	      "pause() returned %d (%s) after SIGUSR1 reached the handler: %d",
	      ret, strerror(err), (int)got_usr1);
	return 42;
}

/*
 * The checkpoint and the restart come within the nap: it is long enough for
 * them even in a loaded TCG guest (about 1 s each), and short, since the
 * guest idles through it. Were it over first, the checkpoint would find no
 * process and fail, not pass.
 */
static int sleep_through(void)
{
	struct timespec nap = { 10, 0 }, t0, t1;
	double slept;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	printf("READY\n");
	ret = nanosleep(&nap, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	slept = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	check("nanosleep-completes", ret == 0 && slept >= nap.tv_sec,
	      "nanosleep(%ld s) returned %d after %.2f s", (long)nap.tv_sec,
	      ret, slept);
	return 0;
}

int main(int argc, char **argv)
{
	int status;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "pause"))
		status = wait_in_pause();
	else if (argc == 2 && !strcmp(argv[1], "sleep"))
		status = sleep_through();
	else
		return 2;
	return check_exit_status() ? 1 : status;
}
