// SPDX-License-Identifier: GPL-2.0
/*
 * Prints the host's TSC rate in kHz, for vm/run: under TCG the guest's TSC
 * is the host's, and the guest kernel's own measurement of its rate at boot
 * goes wrong on a busy host (vm/run says how). TSC ticks against
 * CLOCK_MONOTONIC_RAW over 200 ms, each end taken from the tightest of 50
 * reads of the TSC between two of the clock, so that a preemption in the
 * middle of one read does not count.
 */
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC_RAW, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void sample(double *when, unsigned long long *tsc)
{
	double best = 1e18, before, after;
	unsigned long long ticks;
	int i;

	for (i = 0; i < 50; i++) {
		before = now_ns();
		ticks = __rdtsc();
		after = now_ns();
		if (after - before < best) {
			best = after - before;
			*when = (before + after) / 2;
			*tsc = ticks;
		}
	}
}

int main(void)
{
	struct timespec pause = { 0, 200 * 1000 * 1000 };
	unsigned long long t0, t1;
	double w0, w1;

	sample(&w0, &t0);
	nanosleep(&pause, NULL);
	sample(&w1, &t1);
	printf("%.0f\n", (double)(t1 - t0) / (w1 - w0) * 1e6);
	return 0;
}
