// SPDX-License-Identifier: GPL-2.0
/*
 * Sleeps interrupted by the checkpoint go on with the time they had left.
 * One thread per kind blocks in it for DURATION: nanosleep, clock_nanosleep
 * relative (CLOCK_MONOTONIC, CLOCK_REALTIME) and absolute (TIMER_ABSTIME on
 * both), a futex wait with a timeout, poll, select, ppoll and pselect with
 * a timeout on a pipe nobody writes; and, with no timeout, a poll and an epoll_wait on a
 * pipe and a futex wait that main makes ready after the restart, a
 * sigwaitinfo() for SIGUSR2 that main sends after the restart, and a
 * nanosleep that main interrupts with a signal after the restart (its
 * rmtp). Once all are blocked (each shows its syscall in /proc), main waits
 * HEAD_START more and prints READY: the checkpoint follows, the restart a
 * few seconds later, and DIR/go right after the restart.
 *
 * An epoll_wait(), an epoll_pwait() with a mask and an epoll_pwait2() with
 * a timeout on that pipe, and a sigtimedwait() with a timeout for a signal
 * nobody sends, time out after the time they had left too (the kernel
 * keeps no restart for them: cpt's own goes on with them); the
 * epoll_pwait()'s mask is the thread's during the wait (main reads it in
 * /proc after the restart), and not after it. An epoll_wait() and a
 * sigtimedwait() with a timeout return what main makes ready after the
 * restart (the pipe, a signal with its siginfo).
 *
 * CLOCK_MONOTONIC in the restarted process need not go on from the one
 * before, so times are taken in CLOCK_REALTIME. A heartbeat thread tells
 * when the process was frozen (its last beat) and when it resumed (its
 * first beat after a gap: the longest, since a loaded host may stall the
 * guest for a second before the checkpoint too). A relative sleep must end the time it had left
 * at the freeze after the resumption: a little earlier, since the time left
 * is taken when the checkpoint saves it; not the whole DURATION again, and
 * not at once. An absolute sleep ends at its deadline, or at once if that
 * passed meanwhile.
 *
 * With cpu-clock, one thread sleeps on CLOCK_PROCESS_CPUTIME_ID instead,
 * whose restart cpt does not support: the checkpoint must be refused, and
 * the thread, left running, must still be in its sleep at go.
 * With leave, the checkpoint leaves the process running: every sleep ends
 * when it was to end (its deadline), as if nothing had happened, the
 * heartbeat's gap being the freeze if it shows one.
 * Usage: sleeps DIR [cpu-clock|leave]   (the go file is DIR/go)
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define DURATION 10 /* seconds each timed sleep asks for */
#define HEAD_START 4 /* seconds slept before READY */
#define POKE_AFTER 1 /* seconds after go before main wakes the untimed ones */
/* How far (ms) an end may be from the expected one: early, late. */
#define EARLY_MS 1500
#define LATE_MS 1000
#define BEAT_MS 10
/* A gap between beats this long is the checkpoint and restart. */
#define GAP_MS 1000
/* What epoll_pwait() blocks for its wait; what main sends the timed sigtimedwait(). */
#define PWAIT_SIGNAL (SIGRTMIN + 2)
#define TIMED_READY_SIGNAL (SIGRTMIN + 3)

enum kind {
	NANOSLEEP,
	MONOTONIC_RELATIVE,
	REALTIME_RELATIVE,
	MONOTONIC_ABSOLUTE,
	REALTIME_ABSOLUTE,
	FUTEX_TIMEOUT,
	POLL_TIMEOUT,
	SELECT_TIMEOUT,
	PPOLL_TIMEOUT,
	PSELECT_TIMEOUT,
	EPOLL_TIMEOUT,
	EPOLL_PWAIT_TIMEOUT,
	EPOLL_PWAIT2_TIMEOUT,
	SIGTIMEDWAIT_TIMEOUT,
	EPOLL_TIMED_READY,
	SIGTIMEDWAIT_READY,
	POLL_READY,
	EPOLL_READY,
	FUTEX_WOKEN,
	SIGWAIT_READY,
	NANOSLEEP_SIGNALLED,
	NR_KINDS
};

static struct sleeper {
	const char *name;
	long nr[2]; /* the syscall it blocks in (either) */
	pthread_t thread;
	pid_t tid;
	int64_t start_ms, end_ms; /* CLOCK_REALTIME */
	long ret;
	int err;
	short revents;
	struct timespec rem;
	siginfo_t info;
	sigset_t after; /* its mask after the wait */
} sleeper[NR_KINDS] = {
	[NANOSLEEP] = { "nanosleep", { SYS_nanosleep, SYS_clock_nanosleep } },
	[MONOTONIC_RELATIVE] = { "monotonic-relative",
				 { SYS_clock_nanosleep } },
	[REALTIME_RELATIVE] = { "realtime-relative", { SYS_clock_nanosleep } },
	[MONOTONIC_ABSOLUTE] = { "monotonic-absolute",
				 { SYS_clock_nanosleep } },
	[REALTIME_ABSOLUTE] = { "realtime-absolute", { SYS_clock_nanosleep } },
	[FUTEX_TIMEOUT] = { "futex-timeout", { SYS_futex } },
	[POLL_TIMEOUT] = { "poll-timeout", { SYS_poll, SYS_ppoll } },
	[SELECT_TIMEOUT] = { "select-timeout", { SYS_select, SYS_pselect6 } },
	[PPOLL_TIMEOUT] = { "ppoll-timeout", { SYS_ppoll } },
	[PSELECT_TIMEOUT] = { "pselect-timeout", { SYS_pselect6 } },
	[EPOLL_TIMEOUT] = { "epoll-timeout",
			    { SYS_epoll_wait, SYS_epoll_pwait } },
	[EPOLL_PWAIT_TIMEOUT] = { "epoll-pwait-timeout", { SYS_epoll_pwait } },
	[EPOLL_PWAIT2_TIMEOUT] = { "epoll-pwait2-timeout",
				   { SYS_epoll_pwait2 } },
	[SIGTIMEDWAIT_TIMEOUT] = { "sigtimedwait-timeout",
				   { SYS_rt_sigtimedwait } },
	[EPOLL_TIMED_READY] = { "epoll-timed-ready",
				{ SYS_epoll_wait, SYS_epoll_pwait } },
	[SIGTIMEDWAIT_READY] = { "sigtimedwait-timed-ready",
				 { SYS_rt_sigtimedwait } },
	[POLL_READY] = { "poll-ready", { SYS_poll, SYS_ppoll } },
	[EPOLL_READY] = { "epoll-ready", { SYS_epoll_wait, SYS_epoll_pwait } },
	[FUTEX_WOKEN] = { "futex-woken", { SYS_futex } },
	[SIGWAIT_READY] = { "sigwaitinfo-ready", { SYS_rt_sigtimedwait } },
	[NANOSLEEP_SIGNALLED] = { "nanosleep-rmtp",
				  { SYS_nanosleep, SYS_clock_nanosleep } },
};

static int quiet_pipe[2], ready_pipe[2], epfd, quiet_epfd;
static uint32_t timed_word, woken_word;
static volatile int64_t last_beat_ms, frozen_ms, resumed_ms;
static volatile int beating = 1;

static int64_t now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long futex(uint32_t *word, int op, uint32_t val,
		  const struct timespec *timeout)
{
	return syscall(SYS_futex, word, op, val, timeout, NULL, 0);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* An absolute deadline DURATION from now on clock. */
static struct timespec deadline(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += DURATION;
	return ts;
}

static void *sleep_main(void *arg)
{
	struct sleeper *s = arg;
	enum kind kind = s - sleeper;
	struct timespec span = { DURATION, 0 }, at;
	struct timeval tv = { DURATION, 0 };
	struct pollfd pfd = { .events = POLLIN };
	struct epoll_event ev = {};
	sigset_t usr2, rt, during;
	fd_set fds;

	s->tid = gettid();
	s->start_ms = now_ms(CLOCK_REALTIME);
	switch (kind) {
	case NANOSLEEP:
	case NANOSLEEP_SIGNALLED:
		s->ret = nanosleep(&span, &s->rem);
		break;
	case MONOTONIC_RELATIVE:
		s->ret = -clock_nanosleep(CLOCK_MONOTONIC, 0, &span, NULL);
		break;
	case REALTIME_RELATIVE:
		s->ret = -clock_nanosleep(CLOCK_REALTIME, 0, &span, NULL);
		break;
	case MONOTONIC_ABSOLUTE:
		at = deadline(CLOCK_MONOTONIC);
		s->ret = -clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at,
					  NULL);
		break;
	case REALTIME_ABSOLUTE:
		at = deadline(CLOCK_REALTIME);
		s->ret = -clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &at,
					  NULL);
		break;
	case FUTEX_TIMEOUT:
		s->ret = futex(&timed_word, FUTEX_WAIT_PRIVATE, 0, &span);
		break;
	case POLL_TIMEOUT:
		pfd.fd = quiet_pipe[0];
		s->ret = poll(&pfd, 1, DURATION * 1000);
		s->revents = pfd.revents;
		break;
	case SELECT_TIMEOUT:
		FD_ZERO(&fds);
		FD_SET(quiet_pipe[0], &fds);
		s->ret = select(quiet_pipe[0] + 1, &fds, NULL, NULL, &tv);
		break;
	case PPOLL_TIMEOUT:
		pfd.fd = quiet_pipe[0];
		s->ret = ppoll(&pfd, 1, &span, NULL);
		s->revents = pfd.revents;
		break;
	case PSELECT_TIMEOUT:
		FD_ZERO(&fds);
		FD_SET(quiet_pipe[0], &fds);
		s->ret = pselect(quiet_pipe[0] + 1, &fds, NULL, NULL, &span,
				 NULL);
		break;
	case EPOLL_TIMEOUT:
		s->ret = epoll_wait(quiet_epfd, &ev, 1, DURATION * 1000);
		break;
	case EPOLL_PWAIT_TIMEOUT:
		/* Its own mask, and PWAIT_SIGNAL blocked for the wait only. */
		pthread_sigmask(SIG_BLOCK, NULL, &during);
		sigaddset(&during, PWAIT_SIGNAL);
		s->ret = epoll_pwait(quiet_epfd, &ev, 1, DURATION * 1000,
				     &during);
		break;
	case EPOLL_PWAIT2_TIMEOUT:
		s->ret = syscall(SYS_epoll_pwait2, quiet_epfd, &ev, 1, &span,
				 NULL, 0);
		break;
	case EPOLL_TIMED_READY:
		s->ret = epoll_wait(epfd, &ev, 1, DURATION * 1000);
		s->revents = s->ret == 1 && ev.data.fd == ready_pipe[0] ?
				     (short)ev.events :
				     0;
		break;
	case SIGTIMEDWAIT_READY:
		/* Blocked in this thread only: main sends it here. */
		sigemptyset(&rt);
		sigaddset(&rt, TIMED_READY_SIGNAL);
		pthread_sigmask(SIG_BLOCK, &rt, NULL);
		s->ret = sigtimedwait(&rt, &s->info, &span);
		break;
	case SIGTIMEDWAIT_TIMEOUT:
		/* A signal nobody sends, blocked in this thread only. */
		sigemptyset(&rt);
		sigaddset(&rt, SIGRTMIN + 1);
		pthread_sigmask(SIG_BLOCK, &rt, NULL);
		s->ret = sigtimedwait(&rt, NULL, &span);
		break;
	case POLL_READY:
		pfd.fd = ready_pipe[0];
		s->ret = poll(&pfd, 1, -1);
		s->revents = pfd.revents;
		break;
	case EPOLL_READY:
		s->ret = epoll_wait(epfd, &ev, 1, -1);
		s->revents = s->ret == 1 && ev.data.fd == ready_pipe[0] ?
				     (short)ev.events :
				     0;
		break;
	case FUTEX_WOKEN:
		s->ret = futex(&woken_word, FUTEX_WAIT_PRIVATE, 0, NULL);
		break;
	case SIGWAIT_READY:
		/* Blocked in this thread only: main sends it here. */
		sigemptyset(&usr2);
		sigaddset(&usr2, SIGUSR2);
		pthread_sigmask(SIG_BLOCK, &usr2, NULL);
		s->ret = sigwaitinfo(&usr2, NULL);
		break;
	case NR_KINDS:
		break;
	}
	s->err = s->ret < 0 ? errno : 0;
	if (s->ret < -1) { /* clock_nanosleep's error number, made negative */
		s->err = (int)-s->ret;
		s->ret = -1;
	}
	s->end_ms = now_ms(CLOCK_REALTIME);
	pthread_sigmask(SIG_BLOCK, NULL, &s->after);
	return NULL;
}

/* Beats until told to stop; notes the longest gap: the checkpoint and restart. */
static void *beat_main(void *arg)
{
	struct timespec beat = { 0, BEAT_MS * 1000 * 1000 };
	int64_t now;

	(void)arg;
	last_beat_ms = now_ms(CLOCK_REALTIME);
	while (beating) {
		nanosleep(&beat, NULL);
		now = now_ms(CLOCK_REALTIME);
		if (now - last_beat_ms > GAP_MS &&
		    now - last_beat_ms > resumed_ms - frozen_ms) {
			frozen_ms = last_beat_ms;
			resumed_ms = now;
		}
		last_beat_ms = now;
	}
	return NULL;
}

/* Whether the thread is blocked in one of its syscalls (/proc/.../syscall). */
static int blocked_in_syscall(const struct sleeper *s)
{
	long nr = syscall_of_thread(s->tid);

	return nr > 0 && (nr == s->nr[0] || nr == s->nr[1]);
}

/* Whether /proc shows sig blocked in the thread tid (its SigBlk line). */
static int proc_blocks(pid_t tid, int sig)
{
	char path[64], line[256];
	unsigned long long mask = 0;
	FILE *f;
	int found = 0;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "SigBlk: %llx", &mask) == 1;
	fclose(f);
	return found ? (int)(mask >> (sig - 1) & 1) : -1;
}

/* The end against the expected one: ok, and a detail. */
static void check_end(const struct sleeper *s, int64_t expected_ms, int ok_ret,
		      const char *what)
{
	int64_t off = s->end_ms - expected_ms;

	check(s->name, ok_ret && off >= -EARLY_MS && off <= LATE_MS,
	      "%s returned %ld (%s), ended %+lld ms from the expected end (allowed -%d..+%d)",
	      what, s->ret, s->err ? strerror(s->err) : "no error",
	      (long long)off, EARLY_MS, LATE_MS);
}

static void *cpu_clock_main(void *arg)
{
	struct timespec span = { 1000, 0 };
	struct sleeper *s = arg;

	s->tid = gettid();
	s->ret = -clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &span, NULL);
	s->end_ms = now_ms(CLOCK_REALTIME);
	return NULL;
}

/* The refused checkpoint leaves the sleep as it was: blocked, not ended. */
static int cpu_clock(const char *go_path)
{
	/* After the thaw, restart_syscall() goes on with the sleep. */
	struct sleeper s = { .name = "cpu-clock",
			     .nr = { SYS_clock_nanosleep,
				     SYS_restart_syscall } };

	if (pthread_create(&s.thread, NULL, cpu_clock_main, &s))
		return 1;
	while (!s.tid || !blocked_in_syscall(&s))
		nap();
	printf("READY\n");
	wait_for(go_path);
	check("cpu-clock-still-asleep", !s.end_ms && blocked_in_syscall(&s),
	      "the sleep on CLOCK_PROCESS_CPUTIME_ID %s",
	      s.end_ms ? "ended" : "goes on");
	return check_exit_status();
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t beat;
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct timespec head = { HEAD_START, 0 }, poke = { POKE_AFTER, 0 };
	char go_path[PATH_MAX];
	int64_t signal_ms, left_ms, rem_ms, expected, ready_ms;
	int i, all_blocked = 0, leave = 0, during;
	char what[160];

	if (argc == 3 && !strcmp(argv[2], "leave"))
		leave = 1;
	else if (argc != 2 && (argc != 3 || strcmp(argv[2], "cpu-clock")))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go_path, sizeof(go_path), "%s/go", argv[1]);
	if (argc == 3 && !leave)
		return cpu_clock(go_path);
	sigaction(SIGUSR1, &sa, NULL);
	if (pipe(quiet_pipe) || pipe(ready_pipe))
		return 1;
	epfd = epoll_create1(0);
	ev.data.fd = ready_pipe[0];
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, ready_pipe[0], &ev))
		return 1;
	quiet_epfd = epoll_create1(0);
	ev.data.fd = quiet_pipe[0];
	if (quiet_epfd < 0 ||
	    epoll_ctl(quiet_epfd, EPOLL_CTL_ADD, quiet_pipe[0], &ev))
		return 1;
	if (pthread_create(&beat, NULL, beat_main, NULL))
		return 1;

	for (i = 0; i < NR_KINDS; i++)
		if (pthread_create(&sleeper[i].thread, NULL, sleep_main,
				   &sleeper[i]))
			return 1;
	while (!all_blocked) {
		nap();
		for (all_blocked = 1, i = 0; i < NR_KINDS; i++)
			if (!sleeper[i].tid || !blocked_in_syscall(&sleeper[i]))
				all_blocked = 0;
	}
	nanosleep(&head, NULL);
	ready_ms = now_ms(CLOCK_REALTIME);
	printf("READY\n");

	wait_for(go_path);
	/* The wait goes on with the mask epoll_pwait() set for it. */
	during = proc_blocks(sleeper[EPOLL_PWAIT_TIMEOUT].tid, PWAIT_SIGNAL);
	nanosleep(&poke, NULL);
	signal_ms = now_ms(CLOCK_REALTIME);
	pthread_kill(sleeper[NANOSLEEP_SIGNALLED].thread, SIGUSR1);
	if (write(ready_pipe[1], "x", 1) != 1)
		return 1;
	__atomic_store_n(&woken_word, 1, __ATOMIC_SEQ_CST);
	futex(&woken_word, FUTEX_WAKE_PRIVATE, 1, NULL);
	pthread_kill(sleeper[SIGWAIT_READY].thread, SIGUSR2);
	pthread_kill(sleeper[SIGTIMEDWAIT_READY].thread, TIMED_READY_SIGNAL);
	for (i = 0; i < NR_KINDS; i++)
		pthread_join(sleeper[i].thread, NULL);
	beating = 0;
	pthread_join(beat, NULL);
	if (leave) {
		/* Left running: what was to end then ends then. */
		check("heartbeat", 1, "left running, the heartbeat %s",
		      resumed_ms ? "had a gap" : "had no gap");
		frozen_ms = resumed_ms = ready_ms;
	} else {
		check("heartbeat", resumed_ms != 0,
		      "the heartbeat stopped at %lld and went on %lld ms later (a gap of %d ms or more)",
		      (long long)frozen_ms, (long long)(resumed_ms - frozen_ms),
		      GAP_MS);
	}
	check("epoll-pwait-mask", during == 1,
	      "the restarted epoll_pwait()'s thread %s SIGRTMIN+2 during the wait (SigBlk)",
	      during == 1 ? "blocks" :
	      during	  ? "has no SigBlk for" :
			    "does not block");

	for (i = 0; i < NR_KINDS; i++) {
		struct sleeper *s = &sleeper[i];

		left_ms = s->start_ms + DURATION * 1000 - frozen_ms;
		switch ((enum kind)i) {
		case NANOSLEEP:
		case MONOTONIC_RELATIVE:
		case REALTIME_RELATIVE:
			check_end(s, resumed_ms + left_ms, s->ret == 0,
				  "the sleep");
			break;
		case MONOTONIC_ABSOLUTE:
		case REALTIME_ABSOLUTE:
			expected = s->start_ms + DURATION * 1000;
			check_end(s,
				  expected > resumed_ms ? expected : resumed_ms,
				  s->ret == 0, "the absolute sleep");
			break;
		case FUTEX_TIMEOUT:
			check_end(s, resumed_ms + left_ms,
				  s->ret == -1 && s->err == ETIMEDOUT,
				  "FUTEX_WAIT");
			break;
		case POLL_TIMEOUT:
		case SELECT_TIMEOUT:
		case PPOLL_TIMEOUT:
		case PSELECT_TIMEOUT:
			check_end(s, resumed_ms + left_ms, s->ret == 0,
				  "the wait (0: timed out)");
			break;
		case EPOLL_TIMEOUT:
		case EPOLL_PWAIT2_TIMEOUT:
			check_end(s, resumed_ms + left_ms, s->ret == 0,
				  "the wait (0: timed out)");
			break;
		case EPOLL_PWAIT_TIMEOUT:
			check_end(
				s, resumed_ms + left_ms,
				s->ret == 0 &&
					!sigismember(&s->after, PWAIT_SIGNAL),
				"the wait (0: timed out, then its own mask again)");
			break;
		case SIGTIMEDWAIT_TIMEOUT:
			check_end(s, resumed_ms + left_ms,
				  s->ret == -1 && s->err == EAGAIN,
				  "sigtimedwait() (EAGAIN: timed out)");
			break;
		case SIGTIMEDWAIT_READY:
			/* glibc reports tgkill()'s SI_TKILL as SI_USER. */
			snprintf(
				what, sizeof(what),
				"timed sigtimedwait() of the signal sent after the restart (si_signo %d, si_code %d, si_pid %d)",
				s->info.si_signo, s->info.si_code,
				(int)s->info.si_pid);
			check_end(s, signal_ms,
				  s->ret == TIMED_READY_SIGNAL &&
					  s->info.si_signo ==
						  TIMED_READY_SIGNAL &&
					  (s->info.si_code == SI_USER ||
					   s->info.si_code == SI_TKILL) &&
					  s->info.si_pid == getpid(),
				  what);
			break;
		case POLL_READY:
			check_end(s, signal_ms,
				  s->ret == 1 && s->revents == POLLIN,
				  "poll of the pipe written after the restart");
			break;
		case EPOLL_READY: /* timed or not */
		case EPOLL_TIMED_READY:
			check_end(
				s, signal_ms,
				s->ret == 1 && s->revents == EPOLLIN,
				"epoll_wait of the pipe written after the restart");
			break;
		case FUTEX_WOKEN:
			check_end(s, signal_ms, s->ret == 0,
				  "FUTEX_WAIT woken after the restart");
			break;
		case SIGWAIT_READY:
			check_end(
				s, signal_ms, s->ret == SIGUSR2,
				"sigwaitinfo() of SIGUSR2 sent after the restart");
			break;
		case NANOSLEEP_SIGNALLED:
			/* What it had left when the signal came. */
			rem_ms =
				s->rem.tv_sec * 1000 + s->rem.tv_nsec / 1000000;
			expected = resumed_ms + left_ms - signal_ms;
			check(s->name,
			      s->ret == -1 && s->err == EINTR &&
				      rem_ms - expected >= -LATE_MS &&
				      rem_ms - expected <= EARLY_MS,
			      "nanosleep returned %ld (%s) with %lld ms left, %lld expected (allowed -%d..+%d)",
			      s->ret, s->err ? strerror(s->err) : "no error",
			      (long long)rem_ms, (long long)expected, LATE_MS,
			      EARLY_MS);
			break;
		case NR_KINDS:
			break;
		}
	}
	return check_exit_status();
}
