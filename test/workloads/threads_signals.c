// SPDX-License-Identifier: GPL-2.0
/*
 * Per-thread signal state across checkpoint/restart: blocked masks and
 * thread-directed pending signals. Main blocks SIGUSR1, SIGUSR2 and
 * SIGRTMIN; t1 blocks SIGUSR1, t2 SIGUSR2, t3 all three. Before READY main
 * sends SIGUSR1 to t1 and SIGRTMIN to t3 with pthread_kill(), so each is
 * pending for that thread alone (were it pending for the process, t2 would
 * take it at once). Everyone waits in nanosleep() for DIR/go; then each
 * thread checks its mask, t1 and t3 check their signal is still pending
 * (and main and t2 that nothing is), unblock it, and the handler must run in
 * them, once.
 * Usage: threads_signals DIR   (the go file is DIR/go)
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NR_THREADS 4 /* main, t1, t2, t3 */

static char go_path[PATH_MAX];
static pthread_barrier_t barrier;

/* For each signal: the tid of the thread its handler last ran in. */
static volatile pid_t ran_in[_NSIG];
static volatile int runs[_NSIG];

static struct worker {
	const char *name;
	pthread_t thread;
	sigset_t want; /* the mask it sets */
	int sig; /* the signal left pending for it, or 0 */
	pid_t tid;
	sigset_t mask_before, mask_after;
	int mask_set_ok, mask_same, pending_before, pending_after;
	char pending_list_before[64], pending_list_after[64];
} worker[NR_THREADS];

static void on_signal(int sig)
{
	ran_in[sig] = gettid();
	runs[sig]++;
}

static void nap(void)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };

	nanosleep(&tick, NULL);
}

static int same_set(const sigset_t *a, const sigset_t *b)
{
	int s;

	for (s = 1; s < _NSIG; s++)
		if (sigismember(a, s) != sigismember(b, s))
			return 0;
	return 1;
}

/* Is exactly sig (or nothing, for 0) pending? Lists what is, into list. */
static int pending_is(int sig, char *list, size_t len)
{
	size_t used = 0;
	sigset_t set;
	int s, ok = 1;

	list[0] = '\0';
	if (sigpending(&set))
		return 0;
	for (s = 1; s < _NSIG; s++) {
		if (sigismember(&set, s) != (s == sig))
			ok = 0;
		if (sigismember(&set, s) && used < len)
			used += snprintf(list + used, len - used, " %d", s);
	}
	return ok;
}

/* Everything a thread does around the checkpoint, main included. */
static void live(struct worker *w)
{
	sigset_t one;

	w->tid = gettid();
	pthread_sigmask(SIG_SETMASK, &w->want, NULL);
	pthread_barrier_wait(&barrier); /* masks are set */
	pthread_barrier_wait(&barrier); /* main has sent */
	pthread_sigmask(SIG_BLOCK, NULL, &w->mask_before);
	w->mask_set_ok = same_set(&w->mask_before, &w->want);
	w->pending_before = pending_is(w->sig, w->pending_list_before,
				       sizeof(w->pending_list_before));
	pthread_barrier_wait(&barrier); /* all looked */

	while (access(go_path, F_OK) != 0)
		nap();

	pthread_sigmask(SIG_BLOCK, NULL, &w->mask_after);
	w->mask_same = same_set(&w->mask_before, &w->mask_after);
	w->pending_after = pending_is(w->sig, w->pending_list_after,
				      sizeof(w->pending_list_after));
	if (w->sig) {
		sigemptyset(&one);
		sigaddset(&one, w->sig);
		/* The handler runs before this returns. */
		pthread_sigmask(SIG_UNBLOCK, &one, NULL);
	}
}

static void *thread_main(void *arg)
{
	live(arg);
	return NULL;
}

static void report_pending(const char *name, struct worker *w)
{
	check(name, w->pending_before && w->pending_after,
	      "%s (tid %d) has signal %d pending: before [%s ] after [%s ]",
	      w->name, (int)w->tid, w->sig, w->pending_list_before,
	      w->pending_list_after);
}

static void report_delivered(const char *name, struct worker *w)
{
	check(name, runs[w->sig] == 1 && ran_in[w->sig] == w->tid,
	      "signal %d handled %d time(s), in tid %d; %s is tid %d", w->sig,
	      (int)runs[w->sig], (int)ran_in[w->sig], w->name, (int)w->tid);
}

int main(int argc, char **argv)
{
	char masks_off[512] = "";
	size_t used = 0;
	struct sigaction sa;
	int i, err, masks_ok = 1;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go_path, sizeof(go_path), "%s/go", argv[1]);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	sigaction(SIGRTMIN, &sa, NULL);

	for (i = 0; i < NR_THREADS; i++)
		sigemptyset(&worker[i].want);
	worker[0].name = "main";
	sigaddset(&worker[0].want, SIGUSR1);
	sigaddset(&worker[0].want, SIGUSR2);
	sigaddset(&worker[0].want, SIGRTMIN);
	worker[1].name = "t1";
	sigaddset(&worker[1].want, SIGUSR1);
	worker[1].sig = SIGUSR1;
	worker[2].name = "t2";
	sigaddset(&worker[2].want, SIGUSR2);
	worker[3].name = "t3";
	sigaddset(&worker[3].want, SIGUSR1);
	sigaddset(&worker[3].want, SIGUSR2);
	sigaddset(&worker[3].want, SIGRTMIN);
	worker[3].sig = SIGRTMIN;

	/* Threads start with main's mask, so nothing gets through early. */
	pthread_sigmask(SIG_SETMASK, &worker[0].want, NULL);
	pthread_barrier_init(&barrier, NULL, NR_THREADS);
	worker[0].thread = pthread_self();
	for (i = 1; i < NR_THREADS; i++) {
		err = pthread_create(&worker[i].thread, NULL, thread_main,
				     &worker[i]);
		if (err) {
			check("setup", 0, "pthread_create: %s", strerror(err));
			return 1;
		}
	}

	/* live() for main, with the sending between the first two barriers. */
	worker[0].tid = gettid();
	pthread_barrier_wait(&barrier);
	err = pthread_kill(worker[1].thread, SIGUSR1);
	if (!err)
		err = pthread_kill(worker[3].thread, SIGRTMIN);
	if (err) {
		check("setup", 0, "pthread_kill: %s", strerror(err));
		return 1;
	}
	pthread_barrier_wait(&barrier);
	pthread_sigmask(SIG_BLOCK, NULL, &worker[0].mask_before);
	worker[0].mask_set_ok =
		same_set(&worker[0].mask_before, &worker[0].want);
	worker[0].pending_before =
		pending_is(0, worker[0].pending_list_before,
			   sizeof(worker[0].pending_list_before));
	pthread_barrier_wait(&barrier);
	printf("READY\n");
	while (access(go_path, F_OK) != 0)
		nap();
	pthread_sigmask(SIG_BLOCK, NULL, &worker[0].mask_after);
	worker[0].mask_same =
		same_set(&worker[0].mask_before, &worker[0].mask_after);
	worker[0].pending_after =
		pending_is(0, worker[0].pending_list_after,
			   sizeof(worker[0].pending_list_after));

	for (i = 1; i < NR_THREADS; i++) {
		err = pthread_join(worker[i].thread, NULL);
		if (err) {
			check("setup", 0, "pthread_join %s: %s", worker[i].name,
			      strerror(err));
			return 1;
		}
	}

	for (i = 0; i < NR_THREADS; i++) {
		struct worker *w = &worker[i];

		if (w->mask_set_ok && w->mask_same)
			continue;
		masks_ok = 0;
		if (used < sizeof(masks_off))
			used += snprintf(
				masks_off + used, sizeof(masks_off) - used,
				" %s: %s;", w->name,
				!w->mask_set_ok ?
					"mask not as set before the checkpoint" :
					"mask changed");
	}
	check("masks", masks_ok, "%s",
	      masks_ok ? "main, t1, t2, t3 block what they blocked" :
			 masks_off);
	check("pending-none",
	      worker[0].pending_before && worker[0].pending_after &&
		      worker[2].pending_before && worker[2].pending_after,
	      "nothing pending for main: before [%s ] after [%s ], for t2: before [%s ] after [%s ]",
	      worker[0].pending_list_before, worker[0].pending_list_after,
	      worker[2].pending_list_before, worker[2].pending_list_after);
	report_pending("pending-t1", &worker[1]);
	report_pending("pending-t3", &worker[3]);
	report_delivered("delivered-t1", &worker[1]);
	report_delivered("delivered-t3", &worker[3]);
	return check_exit_status();
}
