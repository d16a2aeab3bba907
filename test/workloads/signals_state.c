// SPDX-License-Identifier: GPL-2.0
/*
 * Signal state across checkpoint/restart: handlers with their flags and
 * masks, SIG_IGN, a default action with SA_NOCLDSTOP, the blocked mask, the
 * alternate stack, and blocked signals pending in both queues (thread-
 * directed and process-wide) with their siginfo, realtime ones queued twice.
 * After the restart it checks the state, then unblocks: each pending signal
 * must reach its restored handler with its siginfo, USR1 on the altstack.
 * It sets up, prints READY, waits for GO_FILE to appear (after the restart),
 * then checks. Usage: signals_state GO_FILE
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#define RT1 (SIGRTMIN + 1)
#define RT2 (SIGRTMIN + 2)

static char altstack[64 * 1024] __attribute__((aligned(64)));
static pid_t saved_pid;

static volatile int usr1_runs, usr1_code, usr1_value, usr1_onstack,
	usr1_term_blocked;
static volatile int usr2_runs, usr2_code, usr2_pid;
static volatile int rt1_values[4], rt1_runs, rt2_value, rt2_code;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	uintptr_t sp = (uintptr_t)&sig;
	sigset_t cur;

	(void)uc;
	usr1_runs++;
	usr1_code = si->si_code;
	usr1_value = si->si_value.sival_int;
	usr1_onstack = sp >= (uintptr_t)altstack &&
		       sp < (uintptr_t)altstack + sizeof(altstack);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	usr1_term_blocked = sigismember(&cur, SIGTERM);
}

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	usr2_runs++;
	usr2_code = si->si_code;
	usr2_pid = si->si_pid;
}

static void on_rt(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sig == RT1 && rt1_runs < 4)
		rt1_values[rt1_runs++] = si->si_value.sival_int;
	if (sig == RT2) {
		rt2_value = si->si_value.sival_int;
		rt2_code = si->si_code;
	}
}

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
		       int masked)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	if (masked)
		sigaddset(&sa.sa_mask, masked);
	sigaction(sig, &sa, NULL);
}

static sigset_t saved_blocked(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigaddset(&set, RT1);
	sigaddset(&set, RT2);
	sigaddset(&set, SIGINT);
	return set;
}

/* Queues sig with value to this thread only, as sigqueue() would to the process. */
static void queue_to_thread(int sig, int value)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = getpid();
	si.si_uid = getuid();
	si.si_value.sival_int = value;
	syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), sig, &si);
}

static void set_up(void)
{
	stack_t ss = { .ss_sp = altstack,
		       .ss_size = sizeof(altstack),
		       .ss_flags = SS_AUTODISARM };
	sigset_t blocked = saved_blocked();
	struct sigaction sa;

	set_action(SIGUSR1, on_usr1, SA_RESTART | SA_ONSTACK, SIGTERM);
	set_action(SIGUSR2, on_usr2, 0, 0);
	set_action(RT1, on_rt, 0, 0);
	set_action(RT2, on_rt, SA_NODEFER, 0);
	signal(SIGPIPE, SIG_IGN);
	/* A shell starts background jobs with SIGINT ignored. */
	signal(SIGINT, SIG_DFL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	if (sigaltstack(&ss, NULL))
		check("setup", 0, "sigaltstack failed");
	sigprocmask(SIG_SETMASK, &blocked, NULL);

	/* Thread-directed: USR1 and RT2. Process-wide: USR2 and RT1 twice. */
	queue_to_thread(SIGUSR1, 42);
	kill(getpid(), SIGUSR2);
	sigqueue(getpid(), RT1, (union sigval){ .sival_int = 1 });
	sigqueue(getpid(), RT1, (union sigval){ .sival_int = 2 });
	queue_to_thread(RT2, 7);
	saved_pid = getpid();
}

static void wait_for(const char *go_file)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	while (access(go_file, F_OK) != 0)
		nanosleep(&tick, NULL);
}

static unsigned long long sigbit(int sig)
{
	return 1ULL << (sig - 1);
}

/* The pending sets of /proc/self/status: SigPnd (thread), ShdPnd (process). */
static void read_pending(unsigned long long *own, unsigned long long *shared)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	*own = *shared = ~0ULL;
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "SigPnd: %llx", own);
		sscanf(line, "ShdPnd: %llx", shared);
	}
	if (f)
		fclose(f);
}

static void check_actions(void)
{
	struct sigaction sa;
	int want = SA_SIGINFO | SA_RESTART | SA_ONSTACK;

	sigaction(SIGUSR1, NULL, &sa);
	check("usr1-action",
	      sa.sa_sigaction == on_usr1 && (sa.sa_flags & want) == want &&
		      sigismember(&sa.sa_mask, SIGTERM) &&
		      !sigismember(&sa.sa_mask, SIGINT),
	      "handler %p, flags %#x", (void *)sa.sa_sigaction, sa.sa_flags);
	sigaction(RT2, NULL, &sa);
	check("rt2-action",
	      sa.sa_sigaction == on_rt && (sa.sa_flags & SA_NODEFER) &&
		      !(sa.sa_flags & SA_ONSTACK),
	      "handler %p, flags %#x", (void *)sa.sa_sigaction, sa.sa_flags);
	sigaction(SIGPIPE, NULL, &sa);
	check("pipe-ignored", sa.sa_handler == SIG_IGN, "SIGPIPE handler %p",
	      (void *)sa.sa_handler);
	sigaction(SIGCHLD, NULL, &sa);
	check("chld-default-nocldstop",
	      sa.sa_handler == SIG_DFL && (sa.sa_flags & SA_NOCLDSTOP),
	      "SIGCHLD handler %p, flags %#x", (void *)sa.sa_handler,
	      sa.sa_flags);
	/* The restarting cptctl (node) has handlers of its own: none may remain. */
	sigaction(SIGINT, NULL, &sa);
	check("int-default", sa.sa_handler == SIG_DFL, "SIGINT handler %p",
	      (void *)sa.sa_handler);
	sigaction(SIGTERM, NULL, &sa);
	check("term-default", sa.sa_handler == SIG_DFL, "SIGTERM handler %p",
	      (void *)sa.sa_handler);
}

int main(int argc, char **argv)
{
	sigset_t cur, want = saved_blocked(), none, pend;
	unsigned long long own, shared;
	stack_t ss;
	int i, same = 1;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	set_up();
	printf("READY\n");
	wait_for(argv[1]);

	check_actions();
	sigprocmask(SIG_SETMASK, NULL, &cur);
	for (i = 1; i < 65; i++)
		same &= sigismember(&cur, i) == sigismember(&want, i);
	check("blocked-mask", same, "the saved blocked mask");
	read_pending(&own, &shared);
	check("pending-queues",
	      own == (sigbit(SIGUSR1) | sigbit(RT2)) &&
		      shared == (sigbit(SIGUSR2) | sigbit(RT1)),
	      "SigPnd %#llx, ShdPnd %#llx", own, shared);
	sigaltstack(NULL, &ss);
	check("altstack",
	      ss.ss_sp == altstack && ss.ss_size == sizeof(altstack) &&
		      ss.ss_flags == (int)SS_AUTODISARM,
	      "sp %p, size %zu, flags %#x", ss.ss_sp, ss.ss_size, ss.ss_flags);
	check("pid", getpid() == saved_pid, "pid %d, was %d", getpid(),
	      saved_pid);

	/*
	 * Thread-directed ones are taken first, so USR1's frame is the first,
	 * on the altstack, which SS_AUTODISARM then disarms for the others.
	 */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	check("usr1-delivered",
	      usr1_runs == 1 && usr1_code == SI_QUEUE && usr1_value == 42,
	      "%d runs, si_code %d, value %d", usr1_runs, usr1_code,
	      usr1_value);
	check("usr1-on-altstack", usr1_onstack,
	      "SA_ONSTACK handler on the restored altstack");
	check("usr1-sa-mask", usr1_term_blocked,
	      "SIGTERM blocked in the handler");
	check("usr2-delivered",
	      usr2_runs == 1 && usr2_code == SI_USER && usr2_pid == saved_pid,
	      "%d runs, si_code %d, si_pid %d", usr2_runs, usr2_code, usr2_pid);
	check("rt1-queued-twice-in-order",
	      rt1_runs == 2 && rt1_values[0] == 1 && rt1_values[1] == 2,
	      "%d runs: values %d, %d", rt1_runs, rt1_values[0], rt1_values[1]);
	check("rt2-siginfo", rt2_code == SI_QUEUE && rt2_value == 7,
	      "si_code %d, value %d", rt2_code, rt2_value);
	sigpending(&pend);
	check("nothing-left-pending", sigisemptyset(&pend),
	      "after unblocking all");
	raise(SIGUSR1);
	check("handler-works-after", usr1_runs == 2, "a new SIGUSR1: %d runs",
	      usr1_runs);
	return check_exit_status();
}
