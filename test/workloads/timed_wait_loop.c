// SPDX-License-Identifier: GPL-2.0
/*
 * Timed waits caught at any point by the checkpoint never return EINTR
 * (issue 13, fidelity): nobody sends a signal, so a wait that returns
 * EINTR, or returns before its timeout, was changed by a checkpoint.
 *
 * timed_wait_loop DIR: two threads of each kind loop timed waits with
 * tiny timeouts (an epoll_wait() of 1 ms, an epoll_pwait() of 1 ms with a
 * mask, an epoll_pwait2() of 20 us, a sigtimedwait() of 20 us), so that
 * most of their time is spent on the way into and out of the wait, where
 * the freeze may find them running, or waiting for the epoll's mutex,
 * which the six epoll threads take in turn. READY once each has looped;
 * at DIR/go each kind checks that every wait timed out (0, or EAGAIN),
 * none early.
 *
 * timed_wait_loop DIR compat-timed: one thread waits 3 s in epoll_wait()
 * as a 32-bit syscall (int $0x80), which a restart cannot resume: the
 * checkpoint must be refused, naming it, and the wait go on to its end.
 *
 * timed_wait_loop DIR compat-untimed: one thread waits in epoll_wait() on
 * a pipe with no timeout, as a 32-bit syscall: the checkpoint restarts it,
 * and it returns the pipe, which main writes at DIR/go.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define IA32_EPOLL_WAIT 256 /* asm/unistd_32.h */
#define COMPAT_TIMEOUT_MS 3000

enum kind { EPOLL_WAIT, EPOLL_PWAIT, EPOLL_PWAIT2, SIGTIMEDWAIT, KINDS };

static const char *const names[KINDS] = { "epoll-wait", "epoll-pwait",
					  "epoll-pwait2", "sigtimedwait" };
/* Each kind's timeout, in ns. */
static const long timeouts[KINDS] = { 1000000, 1000000, 20000, 20000 };

struct loop {
	enum kind kind;
	long loops, eintr, other, early;
	int last_errno;
};

static int epfd;
static volatile int stop;

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* One wait of l's kind: 0 when it timed out, else -1 with errno. */
static int wait_once(const struct loop *l)
{
	struct timespec ts = { .tv_nsec = timeouts[l->kind] };
	struct epoll_event ev;
	sigset_t set;
	int n;

	sigemptyset(&set);
	switch (l->kind) {
	case EPOLL_WAIT:
		n = epoll_wait(epfd, &ev, 1, timeouts[l->kind] / 1000000);
		break;
	case EPOLL_PWAIT:
		sigaddset(&set, SIGUSR2);
		n = epoll_pwait(epfd, &ev, 1, timeouts[l->kind] / 1000000,
				&set);
		break;
	case EPOLL_PWAIT2:
		n = syscall(SYS_epoll_pwait2, epfd, &ev, 1, &ts, NULL, 0);
		break;
	default:
		sigaddset(&set, SIGUSR1);
		n = sigtimedwait(&set, NULL, &ts);
		if (n < 0 && errno == EAGAIN)
			n = 0;
		break;
	}
	if (n > 0)
		errno = 0;
	return n ? -1 : 0;
}

static void *loop_thread(void *arg)
{
	struct loop *l = arg;
	long long start;

	while (!stop) {
		start = now_ns();
		if (wait_once(l)) {
			if (errno == EINTR)
				l->eintr++;
			else
				l->other++;
			l->last_errno = errno;
		} else if (now_ns() - start < timeouts[l->kind]) {
			l->early++;
		}
		__atomic_add_fetch(&l->loops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

#define PER_KIND 2

static int loops(const char *dir)
{
	struct loop l[KINDS * PER_KIND] = {};
	pthread_t threads[KINDS * PER_KIND];
	sigset_t set;
	int i, ready;

	/* SIGUSR1 waited for, never sent; blocked in every thread. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	for (i = 0; i < KINDS * PER_KIND; i++) {
		l[i].kind = i % KINDS;
		if (pthread_create(&threads[i], NULL, loop_thread, &l[i]))
			return check("setup", 0, "pthread_create"), 1;
	}
	do {
		nap();
		for (ready = 1, i = 0; i < KINDS * PER_KIND; i++)
			ready &= __atomic_load_n(&l[i].loops,
						 __ATOMIC_RELAXED) >= 50;
	} while (!ready);
	printf("READY\n");
	fflush(stdout);
	wait_in(dir, "go", WAIT_FOREVER);
	stop = 1;
	for (i = 0; i < KINDS * PER_KIND; i++)
		pthread_join(threads[i], NULL);
	/* Each kind's second thread's counts, added to its first's. */
	for (i = KINDS; i < KINDS * PER_KIND; i++) {
		l[i % KINDS].loops += l[i].loops;
		l[i % KINDS].eintr += l[i].eintr;
		l[i % KINDS].other += l[i].other;
		l[i % KINDS].early += l[i].early;
		if (l[i].last_errno)
			l[i % KINDS].last_errno = l[i].last_errno;
	}
	for (i = 0; i < KINDS; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s-no-eintr", names[i]);
		check(name, l[i].loops > 0 && !l[i].eintr && !l[i].other,
		      "%ld waits of %ld ns: %ld EINTR, %ld other errors (last errno %d)",
		      l[i].loops, timeouts[i], l[i].eintr, l[i].other,
		      l[i].last_errno);
		snprintf(name, sizeof(name), "%s-not-early", names[i]);
		check(name, !l[i].early,
		      "%ld of %ld waits ended before their timeout", l[i].early,
		      l[i].loops);
	}
	return check_exit_status();
}

/* epoll_wait() as a 32-bit syscall: its pointer below 4 GiB. */
static long compat_epoll_wait(int fd, struct epoll_event *events, int max,
			      int timeout)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"((long)IA32_EPOLL_WAIT), "b"((long)fd), "c"(events),
		       "d"((long)max), "S"((long)timeout)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

struct compat_wait {
	struct epoll_event *events;
	int timeout;
	long ret;
	long long took_ms;
	volatile pid_t tid;
};

static void *compat_thread(void *arg)
{
	struct compat_wait *w = arg;
	long long start = now_ns();

	w->tid = gettid();
	w->ret = compat_epoll_wait(epfd, w->events, 1, w->timeout);
	w->took_ms = (now_ns() - start) / 1000000;
	return NULL;
}

static int compat(const char *dir, int timed, int pipe_w)
{
	struct compat_wait w = { .timeout = timed ? COMPAT_TIMEOUT_MS : -1 };
	struct timespec start;
	pthread_t thread;

	w.events = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (w.events == MAP_FAILED ||
	    pthread_create(&thread, NULL, compat_thread, &w))
		return check("setup", 0, "mmap or pthread_create: %s",
			     strerror(errno)),
		       1;
	/* READY once /proc shows it in its 32-bit epoll_wait(). */
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!w.tid || syscall_of_thread(w.tid) != IA32_EPOLL_WAIT) {
		if (ms_since(&start) > 20000)
			return check("setup", 0,
				     "after 20 s the thread is in syscall %ld, not the 32-bit epoll_wait() (%d)",
				     w.tid ? syscall_of_thread(w.tid) : -1L,
				     IA32_EPOLL_WAIT),
			       1;
		nap();
	}
	printf("READY\n");
	fflush(stdout);
	wait_in(dir, "go", WAIT_FOREVER);
	if (!timed && write(pipe_w, "x", 1) != 1)
		return check("setup", 0, "write the pipe"), 1;
	pthread_join(thread, NULL);
	if (timed)
		check("compat-timed",
		      w.ret == 0 && w.took_ms >= COMPAT_TIMEOUT_MS,
		      "the 32-bit epoll_wait() of %d ms returned %ld after %lld ms",
		      COMPAT_TIMEOUT_MS, w.ret, w.took_ms);
	else
		check("compat-untimed", w.ret == 1,
		      "the 32-bit epoll_wait() with no timeout returned %ld (1: the pipe)",
		      w.ret);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fds[2];

	if (argc < 2 || argc > 3 || pipe(fds) ||
	    (epfd = epoll_create1(0)) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, fds[0], &ev)) {
		check("setup", 0,
		      "usage: timed_wait_loop DIR [compat-timed|compat-untimed]");
		return 1;
	}
	if (argc == 2)
		return loops(argv[1]);
	if (!strcmp(argv[2], "compat-timed"))
		return compat(argv[1], 1, fds[1]);
	if (!strcmp(argv[2], "compat-untimed"))
		return compat(argv[1], 0, fds[1]);
	check("setup", 0, "unknown mode %s", argv[2]);
	return 1;
}
