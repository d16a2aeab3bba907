// SPDX-License-Identifier: GPL-2.0
/*
 * A task checkpointed inside sigsuspend() runs with the call's temporary
 * mask; its own mask is the one sigsuspend() gives back. After the restart
 * it must still be waiting there, take SIGUSR1 (sent once it runs again,
 * blocked outside the call) in its handler under the temporary mask, and
 * find its own mask as it was. Usage: signals_sigsuspend   (send SIGUSR1)
 */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include "check.h"

static volatile sig_atomic_t usr1_runs, usr2_blocked_in_handler,
	usr1_blocked_in_handler;

static void on_usr1(int sig)
{
	sigset_t cur;

	(void)sig;
	usr1_runs++;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	usr2_blocked_in_handler = sigismember(&cur, SIGUSR2);
	usr1_blocked_in_handler = sigismember(&cur, SIGUSR1);
}

int main(void)
{
	sigset_t own, during, after;
	struct sigaction sa;
	int ret, err, i, same = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigaction(SIGUSR1, &sa, NULL);
	/* Outside the call USR1 and HUP are blocked; inside, USR2 only. */
	sigemptyset(&own);
	sigaddset(&own, SIGUSR1);
	sigaddset(&own, SIGHUP);
	sigprocmask(SIG_SETMASK, &own, NULL);
	sigemptyset(&during);
	sigaddset(&during, SIGUSR2);

	printf("READY\n");
	ret = sigsuspend(&during);
	err = errno;
	sigprocmask(SIG_SETMASK, NULL, &after);
	for (i = 1; i < 65; i++)
		same &= sigismember(&after, i) == sigismember(&own, i);
	check("sigsuspend-returns", ret == -1 && err == EINTR && usr1_runs == 1,
	      "sigsuspend() returned %d (%s) after %d SIGUSR1", ret,
	      strerror(err), (int)usr1_runs);
	check("temporary-mask-in-handler",
	      usr2_blocked_in_handler && usr1_blocked_in_handler,
	      "USR2 blocked: %d, USR1 blocked: %d",
	      (int)usr2_blocked_in_handler, (int)usr1_blocked_in_handler);
	check("own-mask-back", same, "the mask outside sigsuspend() is back");
	return check_exit_status();
}
