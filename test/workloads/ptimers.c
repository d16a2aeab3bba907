// SPDX-License-Identifier: GPL-2.0
/*
 * POSIX timers (timer_create) across checkpoint/restart. Before READY the
 * process burns a few timer ids (made and deleted), then makes:
 *  - "signal": CLOCK_MONOTONIC, SIGEV_SIGNAL SIGRTMIN+1 with a sigev_value,
 *    every 100 ms;
 *  - "thread": CLOCK_REALTIME, SIGEV_THREAD_ID to a worker thread,
 *    SIGRTMIN+2 with another value, every 150 ms;
 *  - "none": CLOCK_BOOTTIME, SIGEV_NONE, one-shot with an hour left;
 *  - "overrun": CLOCK_MONOTONIC, SIGRTMIN+3 every ms, blocked: once
 *    delivered with its overruns (timer_getoverrun() > 0), then left with
 *    its signal pending;
 *  - "process-cpu": CLOCK_PROCESS_CPUTIME_ID, SIGEV_NONE, 1000 CPU seconds
 *    left every 10;
 *  - "thread-cpu": CLOCK_THREAD_CPUTIME_ID of the worker (made by it),
 *    SIGEV_NONE, 2000 CPU seconds left;
 *  - "default": CLOCK_REALTIME without a sigevent (SIGALRM), disarmed.
 * After the restart: each timer_t still names its timer (same ids) with its
 * time left and interval, the next timer_create() gets the id the old next
 * one would have, signals keep arriving with their si_value and timer id
 * (the thread's to the worker), the overrun count is the one it had, and
 * the pending overrun signal is still pending, then delivered, the timer
 * going on after it. Raw syscalls: the ids are the kernel's.
 *
 * Usage: ptimers DIR   (the go file is DIR/go)
 *        ptimers DIR other-clock: only a timer on init's CPU-time
 *        clock, which a checkpoint refuses; prints READY and the timer's id.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "restart.h"
#include "sync.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

/* Seconds a timer may lose between READY and the checks after the restart. */
#define REAL_TOLERANCE_S 60
#define CPU_TOLERANCE_S 5
#define BURNT_IDS 5

enum { T_SIGNAL, T_THREAD, T_NONE, T_OVERRUN, T_PCPU, T_TCPU, T_DEFAULT, NR_T };

static const char *const names[NR_T] = { "signal",  "thread",	   "none",
					 "overrun", "process-cpu", "thread-cpu",
					 "default" };
static const long long values[NR_T] = { 0x1234, 0x5678, 0, 0x9abc, 0, 0, 0 };

struct seen {
	volatile int count;
	volatile long long value;
	volatile int timerid;
	volatile int overrun;
	volatile pid_t tid;
};

static struct seen seen[NR_T];
static int ids[NR_T];
static struct itimerspec left[NR_T];
static pthread_barrier_t barrier;
static volatile pid_t worker_tid;
static volatile int stop;
static char go[PATH_MAX];

static int sig_of(int t)
{
	return t == T_SIGNAL  ? SIGRTMIN + 1 :
	       t == T_THREAD  ? SIGRTMIN + 2 :
	       t == T_OVERRUN ? SIGRTMIN + 3 :
				0;
}

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	int t = sig == SIGRTMIN + 1 ? T_SIGNAL :
		sig == SIGRTMIN + 2 ? T_THREAD :
				      T_OVERRUN;

	(void)uc;
	seen[t].value = (long long)(long)si->si_value.sival_ptr;
	seen[t].timerid = si->si_timerid;
	seen[t].overrun = si->si_overrun;
	seen[t].tid = syscall(SYS_gettid);
	seen[t].count++;
}

static int tcreate(clockid_t clock, struct sigevent *sev, int *id)
{
	return syscall(SYS_timer_create, clock, sev, id);
}

static int tset(int id, long long value_ns, long long interval_ns)
{
	struct itimerspec its = {
		.it_value = { value_ns / 1000000000, value_ns % 1000000000 },
		.it_interval = { interval_ns / 1000000000,
				 interval_ns % 1000000000 },
	};

	return syscall(SYS_timer_settime, id, 0, &its, NULL);
}

static int tget(int id, struct itimerspec *its)
{
	return syscall(SYS_timer_gettime, id, its);
}

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void block(int sig, int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	pthread_sigmask(how, &set, NULL);
}

static int pending(int sig)
{
	sigset_t set;

	sigpending(&set);
	return sigismember(&set, sig);
}

static void *worker(void *arg)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };

	(void)arg;
	worker_tid = syscall(SYS_gettid);
	block(SIGRTMIN + 1, SIG_BLOCK);
	block(SIGRTMIN + 2, SIG_UNBLOCK);
	/* Its own CPU clock: the timer follows this thread, not its maker's. */
	if (tcreate(CLOCK_THREAD_CPUTIME_ID, &sev, &ids[T_TCPU]) ||
	    tset(ids[T_TCPU], 2000 * 1000000000LL, 0))
		ids[T_TCPU] = -1;
	pthread_barrier_wait(&barrier);
	while (!stop)
		pause();
	return NULL;
}

/* Sleeps ms whole, whatever signals come meanwhile. */
static void sleep_ms(int ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ms_since(&start) < ms)
		nap();
}

/* Waits up to ms for t's signal count to pass from. */
static int wait_count(int t, int from, int ms)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (seen[t].count <= from && ms_since(&start) < ms)
		nap();
	return seen[t].count > from;
}

static int setup(void)
{
	struct sigaction sa = { .sa_sigaction = on_timer,
				.sa_flags = SA_SIGINFO | SA_RESTART };
	struct sigevent sev;
	pthread_t thread;
	int burnt[BURNT_IDS], i, t, from;

	sigemptyset(&sa.sa_mask);
	for (t = T_SIGNAL; t <= T_OVERRUN; t++)
		if (sig_of(t))
			sigaction(sig_of(t), &sa, NULL);
	signal(SIGALRM, SIG_IGN);
	block(SIGRTMIN + 2, SIG_BLOCK);
	block(SIGRTMIN + 3, SIG_BLOCK);
	pthread_barrier_init(&barrier, NULL, 2);
	if (pthread_create(&thread, NULL, worker, NULL))
		return -1;
	pthread_barrier_wait(&barrier);
	if (ids[T_TCPU] < 0)
		return -1;

	/* Ids that are not the first ones: made and deleted, but not the last. */
	for (i = 0; i < BURNT_IDS; i++)
		if (tcreate(CLOCK_MONOTONIC, NULL, &burnt[i]))
			return -1;
	for (i = 0; i < BURNT_IDS; i++)
		syscall(SYS_timer_delete, burnt[i]);

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig_of(T_SIGNAL);
	sev.sigev_value.sival_ptr = (void *)(long)values[T_SIGNAL];
	if (tcreate(CLOCK_MONOTONIC, &sev, &ids[T_SIGNAL]))
		return -1;
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_notify_thread_id = worker_tid;
	sev.sigev_signo = sig_of(T_THREAD);
	sev.sigev_value.sival_ptr = (void *)(long)values[T_THREAD];
	if (tcreate(CLOCK_REALTIME, &sev, &ids[T_THREAD]))
		return -1;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_NONE;
	if (tcreate(CLOCK_BOOTTIME, &sev, &ids[T_NONE]) ||
	    tcreate(CLOCK_PROCESS_CPUTIME_ID, &sev, &ids[T_PCPU]))
		return -1;
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = sig_of(T_OVERRUN);
	sev.sigev_value.sival_ptr = (void *)(long)values[T_OVERRUN];
	if (tcreate(CLOCK_MONOTONIC, &sev, &ids[T_OVERRUN]) ||
	    tcreate(CLOCK_REALTIME, NULL, &ids[T_DEFAULT]))
		return -1;

	if (tset(ids[T_SIGNAL], 100000000, 100000000) ||
	    tset(ids[T_THREAD], 150000000, 150000000) ||
	    tset(ids[T_NONE], 3600 * 1000000000LL, 0) ||
	    tset(ids[T_PCPU], 1000 * 1000000000LL, 10 * 1000000000LL) ||
	    tset(ids[T_OVERRUN], 1000000, 1000000))
		return -1;
	/* Its signal pends, expiries go by uncounted; delivered, they are its overruns. */
	for (i = 0;
	     i < 10 && syscall(SYS_timer_getoverrun, ids[T_OVERRUN]) <= 0;
	     i++) {
		while (!pending(sig_of(T_OVERRUN)))
			nap();
		sleep_ms(30);
		from = seen[T_OVERRUN].count;
		block(SIGRTMIN + 3, SIG_UNBLOCK);
		block(SIGRTMIN + 3, SIG_BLOCK);
		if (seen[T_OVERRUN].count == from)
			return -1;
	}
	/* Pending again, with the overrun count of the last delivery. */
	while (!pending(sig_of(T_OVERRUN)))
		nap();
	/* Both periodic signals seen once before, so that their arrival after is news. */
	if (!wait_count(T_SIGNAL, 0, 2000) || !wait_count(T_THREAD, 0, 2000))
		return -1;
	return 0;
}

static void check_ids_and_times(void)
{
	const long long tolerance[NR_T] = {
		[T_NONE] = REAL_TOLERANCE_S * 1000000000LL,
		/*
		 * The restart's work in the process counts as its CPU time:
		 * a debug kernel's is several times the stock kernel's.
		 */
		[T_PCPU] = restart_wait_ms(CPU_TOLERANCE_S * 1000) * 1000000LL,
		[T_TCPU] = restart_wait_ms(CPU_TOLERANCE_S * 1000) * 1000000LL,
	};
	char bad_ids[512] = "", bad_left[512] = "", bad_interval[512] = "";
	struct itimerspec now;
	int t;

	for (t = 0; t < NR_T; t++) {
		long long was, is;

		if (tget(ids[t], &now)) {
			note_to(bad_ids, sizeof(bad_ids), "%s (id %d): %s",
				names[t], ids[t], strerror(errno));
			continue;
		}
		if (ns_of(&now.it_interval) != ns_of(&left[t].it_interval))
			note_to(bad_interval, sizeof(bad_interval),
				"%s: every %lld ns, %lld before", names[t],
				ns_of(&now.it_interval),
				ns_of(&left[t].it_interval));
		if (!tolerance[t] && t != T_DEFAULT)
			continue;
		/* Not reset to more than it had, not run out, not lost either. */
		was = ns_of(&left[t].it_value);
		is = ns_of(&now.it_value);
		if (t == T_DEFAULT ? is != 0 :
				     is > was || is < was - tolerance[t] || !is)
			note_to(bad_left, sizeof(bad_left),
				"%s: %lld ns left, %lld at READY", names[t], is,
				was);
	}
	check("ids", !bad_ids[0], "timer_gettime on each old id: %s",
	      bad_ids[0] ? bad_ids : "all there");
	check("time-left", !bad_left[0] && !bad_ids[0], "%s",
	      bad_left[0] ? bad_left : "each within its tolerance");
	check("interval", !bad_interval[0] && !bad_ids[0], "%s",
	      bad_interval[0] ? bad_interval : "each as it was");
}

static void check_next_id(int expected)
{
	int id = -1;

	tcreate(CLOCK_MONOTONIC, NULL, &id);
	check("next-id", id == expected,
	      "a new timer got id %d, the next one was %d", id, expected);
	syscall(SYS_timer_delete, id);
}

static void check_signals(void)
{
	int from_s = seen[T_SIGNAL].count, from_t = seen[T_THREAD].count;
	int got_s = wait_count(T_SIGNAL, from_s + 1, 3000);
	int got_t = wait_count(T_THREAD, from_t + 1, 3000);

	check("signal-value",
	      got_s && seen[T_SIGNAL].value == values[T_SIGNAL] &&
		      seen[T_SIGNAL].timerid == ids[T_SIGNAL],
	      "%d signals since, si_value %#llx timer %d (want %#llx, %d)",
	      seen[T_SIGNAL].count - from_s, seen[T_SIGNAL].value,
	      seen[T_SIGNAL].timerid, values[T_SIGNAL], ids[T_SIGNAL]);
	check("thread-target",
	      got_t && seen[T_THREAD].value == values[T_THREAD] &&
		      seen[T_THREAD].timerid == ids[T_THREAD] &&
		      seen[T_THREAD].tid == worker_tid,
	      "%d signals since, si_value %#llx timer %d to thread %d (want %#llx, %d, %d)",
	      seen[T_THREAD].count - from_t, seen[T_THREAD].value,
	      seen[T_THREAD].timerid, (int)seen[T_THREAD].tid, values[T_THREAD],
	      ids[T_THREAD], (int)worker_tid);
}

static void check_overrun(int overrun)
{
	int now = syscall(SYS_timer_getoverrun, ids[T_OVERRUN]);
	int was_pending = pending(sig_of(T_OVERRUN)), from, more;

	check("overrun", now == overrun && overrun > 0,
	      "timer_getoverrun %d, %d before", now, overrun);
	from = seen[T_OVERRUN].count;
	block(SIGRTMIN + 3, SIG_UNBLOCK);
	more = wait_count(T_OVERRUN, from + 2, 2000);
	check("pending-signal",
	      was_pending && more &&
		      seen[T_OVERRUN].value == values[T_OVERRUN] &&
		      seen[T_OVERRUN].timerid == ids[T_OVERRUN],
	      "pending %d; %d delivered since, si_value %#llx timer %d (want %#llx, %d)",
	      was_pending, seen[T_OVERRUN].count - from, seen[T_OVERRUN].value,
	      seen[T_OVERRUN].timerid, values[T_OVERRUN], ids[T_OVERRUN]);
	block(SIGRTMIN + 3, SIG_BLOCK);
}

/* A timer on init's CPU clock: this process's timer, another's clock. */
static int other_clock(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	clockid_t clock;
	int id;

	if (clock_getcpuclockid(1, &clock) || tcreate(clock, &sev, &id) ||
	    tset(id, 1000 * 1000000000LL, 0)) {
		check("setup", 0, "cannot make the timer: %s", strerror(errno));
		return 1;
	}
	printf("READY %d\n", id);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	int overrun, next, t;

	if (argc == 3 && !strcmp(argv[2], "other-clock")) {
		setvbuf(stdout, NULL, _IOLBF, 0);
		return other_clock();
	}
	if (!workload_dir(argc, argv, go))
		return 2;
	if (setup()) {
		check("setup", 0, "cannot make the timers: %s",
		      strerror(errno));
		return 1;
	}
	overrun = syscall(SYS_timer_getoverrun, ids[T_OVERRUN]);
	for (t = 0, next = 0; t < NR_T; t++) {
		tget(ids[t], &left[t]);
		if (ids[t] >= next)
			next = ids[t] + 1;
	}
	printf("READY %s\n", geteuid() ? "user" : "root");
	wait_for(go);

	check_ids_and_times();
	check_next_id(next);
	check_signals();
	check_overrun(overrun);
	stop = 1;
	return check_exit_status();
}
