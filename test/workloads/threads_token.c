// SPDX-License-Identifier: GPL-2.0
/*
 * Threads across checkpoint/restart: a ring of 7 threads (main is number 0,
 * six pthreads 1..6) hands a token around under a mutex and a condvar;
 * thread i waits until token % 7 == i, increments it and broadcasts. After
 * 3 laps main prints READY and the ring slows down: each holder sleeps 20 ms
 * (not holding the mutex) before passing the token on, so at the checkpoint
 * every thread is in pthread_cond_wait() (a futex) or in nanosleep(). Once
 * DIR/go appears main lets the ring run 20 more laps at full speed, then the
 * threads check their __thread value and their tid and exit; main joins
 * them (the kernel must clear each tid at exit) and checks the count. An
 * eighth thread locks a robust mutex before READY and exits holding it
 * after go: main must then get EOWNERDEAD (the robust list survived).
 * Usage: threads_token DIR   (the go file is DIR/go)
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NR_RING 7 /* main is 0 */
#define ROBUST NR_RING /* the robust mutex holder's index */
#define NR_ALL (NR_RING + 1)
#define FAST_HOPS (NR_RING * 3)
#define GO_HOPS (NR_RING * 20)
#define JOIN_TIMEOUT_S 10

static char go_path[PATH_MAX];

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn = PTHREAD_COND_INITIALIZER;
static unsigned long token, limit = ULONG_MAX, token_at_go;
static unsigned long hops[NR_RING];
static int slow, robust_locked;

static pthread_mutex_t robust;

static __thread unsigned long tls_value;
static __thread int tls_index = -1;

/* Per thread: its tid at start, and what it found at the end. */
static pid_t tid_start[NR_ALL], tid_end[NR_ALL];
static unsigned long tls_end[NR_ALL];
static int tls_index_end[NR_ALL];

static unsigned long tls_expected(int i)
{
	return 0x5eed0000UL + 0x1111UL * (i + 1);
}

static void thread_start(int i)
{
	tls_value = tls_expected(i);
	tls_index = i;
	tid_start[i] = gettid();
}

static void thread_end(int i)
{
	tls_end[i] = tls_value;
	tls_index_end[i] = tls_index;
	tid_end[i] = gettid();
}

static void nap_ms(long ms)
{
	struct timespec t = { 0, ms * 1000 * 1000 };

	nanosleep(&t, NULL);
}

/* Thread i's part in the ring; returns once token reaches limit. */
static void ring(int i)
{
	int ready = 0, go;

	pthread_mutex_lock(&lock);
	for (;;) {
		while (token % NR_RING != (unsigned long)i && token < limit)
			pthread_cond_wait(&turn, &lock);
		if (token >= limit)
			break;
		if (slow) {
			/* Our turn: nobody else touches token meanwhile. */
			pthread_mutex_unlock(&lock);
			nap_ms(20);
			go = i == 0 && access(go_path, F_OK) == 0;
			pthread_mutex_lock(&lock);
			if (go) {
				token_at_go = token;
				limit = token + GO_HOPS;
				slow = 0;
			}
		}
		if (i == 0 && !ready && token >= FAST_HOPS) {
			ready = 1;
			slow = 1;
			printf("READY\n");
		}
		token++;
		hops[i]++;
		pthread_cond_broadcast(&turn);
	}
	pthread_mutex_unlock(&lock);
}

static void *ring_thread(void *arg)
{
	int i = (int)(long)arg;

	thread_start(i);
	ring(i);
	thread_end(i);
	return NULL;
}

/* Locks the robust mutex, waits for go, exits still holding it. */
static void *robust_thread(void *arg)
{
	(void)arg;
	thread_start(ROBUST);
	pthread_mutex_lock(&robust);
	pthread_mutex_lock(&lock);
	robust_locked = 1;
	pthread_cond_broadcast(&turn);
	pthread_mutex_unlock(&lock);
	while (access(go_path, F_OK) != 0)
		nap_ms(10);
	thread_end(ROBUST);
	return NULL;
}

int main(int argc, char **argv)
{
	char tls_off[512] = "", tid_list[256] = "", join_off[256] = "",
	     hop_list[128] = "";
	size_t tls_used = 0, tid_used = 0, join_used = 0, hop_used = 0;
	pthread_t thread[NR_ALL];
	pthread_mutexattr_t attr;
	unsigned long sum = 0;
	struct timespec deadline;
	int i, err, tls_ok = 1, tids_ok = 1, joins_ok = 1;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go_path, sizeof(go_path), "%s/go", argv[1]);

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&robust, &attr);
	thread_start(0);

	err = pthread_create(&thread[ROBUST], NULL, robust_thread, NULL);
	if (err) {
		check("setup", 0, "pthread_create: %s", strerror(err));
		return 1;
	}
	pthread_mutex_lock(&lock);
	while (!robust_locked)
		pthread_cond_wait(&turn, &lock);
	pthread_mutex_unlock(&lock);
	for (i = 1; i < NR_RING; i++) {
		err = pthread_create(&thread[i], NULL, ring_thread,
				     (void *)(long)i);
		if (err) {
			check("setup", 0, "pthread_create: %s", strerror(err));
			return 1;
		}
	}

	ring(0);
	thread_end(0);

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_TIMEOUT_S;
	for (i = 1; i < NR_ALL; i++) {
		err = pthread_timedjoin_np(thread[i], NULL, &deadline);
		if (err) {
			joins_ok = 0;
			join_used += snprintf(join_off + join_used,
					      sizeof(join_off) - join_used,
					      " thread %d: %s;", i,
					      strerror(err));
			if (join_used >= sizeof(join_off))
				join_used = sizeof(join_off) - 1;
		}
	}
	check("join", joins_ok, "%s",
	      joins_ok ? "all 7 threads joined" : join_off);

	for (i = 0; i < NR_ALL; i++) {
		if (tls_end[i] != tls_expected(i) || tls_index_end[i] != i) {
			tls_ok = 0;
			if (tls_used < sizeof(tls_off))
				tls_used += snprintf(
					tls_off + tls_used,
					sizeof(tls_off) - tls_used,
					" thread %d: %#lx/%d, want %#lx/%d;", i,
					tls_end[i], tls_index_end[i],
					tls_expected(i), i);
		}
		if (tid_end[i] != tid_start[i])
			tids_ok = 0;
		if (tid_used < sizeof(tid_list))
			tid_used += snprintf(tid_list + tid_used,
					     sizeof(tid_list) - tid_used,
					     " %d%s%d", (int)tid_start[i],
					     tid_end[i] == tid_start[i] ? "=" :
									  "!=",
					     (int)tid_end[i]);
	}
	check("tls", tls_ok, "%s",
	      tls_ok ? "8 threads see their own __thread values" : tls_off);
	check("tids", tids_ok, "gettid() before and after:%s", tid_list);

	for (i = 0; i < NR_RING; i++) {
		sum += hops[i];
		if (hop_used < sizeof(hop_list))
			hop_used += snprintf(hop_list + hop_used,
					     sizeof(hop_list) - hop_used,
					     " %lu", hops[i]);
	}
	check("token-count",
	      token == limit && token - token_at_go == GO_HOPS &&
		      token_at_go >= FAST_HOPS && sum == token,
	      "token %lu, %lu at go (+%lu, want +%d), hops per thread:%s",
	      token, token_at_go, token - token_at_go, GO_HOPS, hop_list);

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += JOIN_TIMEOUT_S;
	err = pthread_mutex_timedlock(&robust, &deadline);
	check("robust-owner-dead", err == EOWNERDEAD,
	      "locking the dead owner's mutex: %s",
	      err ? strerror(err) : "0 (no owner died)");
	if (err == EOWNERDEAD)
		pthread_mutex_consistent(&robust);
	if (err == 0 || err == EOWNERDEAD)
		pthread_mutex_unlock(&robust);
	return check_exit_status();
}
