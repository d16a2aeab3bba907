// SPDX-License-Identifier: GPL-2.0
/*
 * RLIMIT_CPU after a restart: the limit is not only the saved number, it is
 * enforced. With a soft limit of 1 s set before the checkpoint, the
 * restarted process spins and must get SIGXCPU (counted against the CPU
 * time used since the restart) long before CPU_BUDGET_S.
 *
 * Usage: rlimit_cpu GOFILE
 */
#include <signal.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "check.h"
#include "sync.h"

#define CPU_BUDGET_S 8

static volatile sig_atomic_t got_sigxcpu;

static void on_sigxcpu(int sig)
{
	(void)sig;
	got_sigxcpu = 1;
}

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	struct rlimit cpu = { 1, RLIM_INFINITY }, got;
	struct sigaction sa = { .sa_handler = on_sigxcpu };
	double start;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: rlimit_cpu GOFILE\n");
		return 2;
	}
	if (sigaction(SIGXCPU, &sa, NULL) || setrlimit(RLIMIT_CPU, &cpu)) {
		perror("rlimit_cpu");
		return 1;
	}
	printf("READY\n");
	wait_for(argv[1]);

	getrlimit(RLIMIT_CPU, &got);
	check("rlimit-cpu-saved",
	      got.rlim_cur == 1 && got.rlim_max == RLIM_INFINITY,
	      "RLIMIT_CPU %lu/%lu", (unsigned long)got.rlim_cur,
	      (unsigned long)got.rlim_max);
	start = cpu_seconds();
	while (!got_sigxcpu && cpu_seconds() - start < CPU_BUDGET_S)
		;
	check("rlimit-cpu-enforced", got_sigxcpu,
	      "SIGXCPU %s after %.1f s of CPU since the restart",
	      got_sigxcpu ? "came" : "did not come", cpu_seconds() - start);
	return check_exit_status();
}
