// SPDX-License-Identifier: GPL-2.0
/*
 * Alarm-clock and absolute timers across checkpoint/restart. Before READY
 * the process makes, all an hour (H) away:
 *  POSIX timers (timer_create, SIGEV_NONE unless said):
 *   - "abs": CLOCK_REALTIME armed TIMER_ABSTIME at now + H;
 *   - "rel": CLOCK_REALTIME armed relative, H (unmoved by clock changes);
 *   - "ralarm": CLOCK_REALTIME_ALARM armed TIMER_ABSTIME at now + H;
 *   - "balarm": CLOCK_BOOTTIME_ALARM, H left, every 5 s;
 *   - "fire": CLOCK_BOOTTIME_ALARM, SIGEV_SIGNAL SIGRTMIN+1 (blocked), every
 *     100 ms;
 *  timerfds:
 *   - "tabs": CLOCK_REALTIME, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET
 *     at now + H;
 *   - "tralarm": CLOCK_REALTIME_ALARM, TFD_TIMER_ABSTIME at now + H;
 *   - "tbalarm": CLOCK_BOOTTIME_ALARM, H left, every 7 s;
 *   - "trel": CLOCK_REALTIME, relative, H.
 * After the restart:
 *  absolute    each absolute one expires at the time it was given (now plus
 *              its time left), to a few milliseconds;
 *  alarm       the alarm ones are still on their clocks, with their time
 *              left and interval; "fire" still signals, with its timer id;
 *  flags       each timerfd shows its settime flags in its fdinfo;
 *  clock-set   (root) with CLOCK_REALTIME set 600 s ahead, the absolute ones
 *              have 600 s less left, the relative and boottime ones not;
 *  cancel-on-set (root) then "tabs" reads as ECANCELED (the clock is set
 *              back after);
 *  no-wake-alarm (user) the process still cannot make an alarm timer.
 *
 * Usage: alarm_timers DIR          as root
 *        alarm_timers user DIR     with CAP_WAKE_ALARM (ambient), which
 *                                      it drops before READY
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#ifndef TFD_TIMER_CANCEL_ON_SET
#define TFD_TIMER_CANCEL_ON_SET (1 << 1)
#endif

#define NS 1000000000LL
#define HOUR_NS (3600 * NS)
#define JUMP_NS (600 * NS)
/* How far apart two reads of one expiry may be, made within microseconds. */
#define EXACT_NS (20 * 1000 * 1000LL)
/* Time a relative timer may lose between READY and the checks. */
#define TOLERANCE_NS (60 * NS)

enum { P_ABS, P_REL, P_RALARM, P_BALARM, P_FIRE, NR_P };
enum { T_ABS, T_RALARM, T_BALARM, T_REL, NR_T };

static const char *const pnames[NR_P] = { "abs", "rel", "ralarm", "balarm",
					  "fire" };
static const char *const tnames[NR_T] = { "tabs", "tralarm", "tbalarm",
					  "trel" };
static int pids[NR_P];
static int tfds[NR_T];
/* The absolute ones: the expiry each was given. */
static long long target[NR_P];
static long long ttarget[NR_T];

static long long now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * NS + ts.tv_nsec;
}

static struct timespec ts_of(long long ns)
{
	struct timespec ts = { ns / NS, ns % NS };

	return ts;
}

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * NS + ts->tv_nsec;
}

static int pmake(clockid_t clock, int signo, int flags, long long value,
		 long long interval, int *id)
{
	struct sigevent sev = { .sigev_notify = signo ? SIGEV_SIGNAL :
							SIGEV_NONE,
				.sigev_signo = signo };
	struct itimerspec its = { .it_value = ts_of(value),
				  .it_interval = ts_of(interval) };

	if (syscall(SYS_timer_create, clock, &sev, id))
		return -1;
	return syscall(SYS_timer_settime, *id, flags, &its, NULL);
}

static int tmake(clockid_t clock, int flags, long long value,
		 long long interval)
{
	struct itimerspec its = { .it_value = ts_of(value),
				  .it_interval = ts_of(interval) };
	int fd = timerfd_create(clock, TFD_NONBLOCK | TFD_CLOEXEC);

	if (fd < 0 || timerfd_settime(fd, flags, &its, NULL))
		return -1;
	return fd;
}

static long long pleft(int t, long long *interval)
{
	struct itimerspec its;

	if (syscall(SYS_timer_gettime, pids[t], &its))
		return -1;
	if (interval)
		*interval = ns_of(&its.it_interval);
	return ns_of(&its.it_value);
}

static long long tleft(int t, long long *interval)
{
	struct itimerspec its;

	if (timerfd_gettime(tfds[t], &its))
		return -1;
	if (interval)
		*interval = ns_of(&its.it_interval);
	return ns_of(&its.it_value);
}

/* A timerfd's fdinfo field ("clockid", "settime flags"), as text. */
static int fdinfo_field(int fd, const char *field, char *val, size_t len)
{
	char path[64], buf[512], *at;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (slurp(path, buf, sizeof(buf)))
		return -1;
	at = strstr(buf, field);
	if (!at)
		return -1;
	at += strlen(field) + 1;
	at += strspn(at, " \t");
	snprintf(val, len, "%.*s", (int)strcspn(at, "\n"), at);
	return 0;
}

static int setup(int user)
{
	long long real = now_ns(CLOCK_REALTIME);
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	target[P_ABS] = real + HOUR_NS;
	target[P_RALARM] = real + HOUR_NS;
	ttarget[T_ABS] = real + HOUR_NS;
	ttarget[T_RALARM] = real + HOUR_NS;
	if (pmake(CLOCK_REALTIME, 0, TIMER_ABSTIME, target[P_ABS], 0,
		  &pids[P_ABS]) ||
	    pmake(CLOCK_REALTIME, 0, 0, HOUR_NS, 0, &pids[P_REL]) ||
	    pmake(CLOCK_REALTIME_ALARM, 0, TIMER_ABSTIME, target[P_RALARM], 0,
		  &pids[P_RALARM]) ||
	    pmake(CLOCK_BOOTTIME_ALARM, 0, 0, HOUR_NS, 5 * NS,
		  &pids[P_BALARM]) ||
	    pmake(CLOCK_BOOTTIME_ALARM, SIGRTMIN + 1, 0, NS / 10, NS / 10,
		  &pids[P_FIRE])) {
		perror("timer_create/settime");
		return -1;
	}
	tfds[T_ABS] = tmake(CLOCK_REALTIME,
			    TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			    ttarget[T_ABS], 0);
	tfds[T_RALARM] = tmake(CLOCK_REALTIME_ALARM, TFD_TIMER_ABSTIME,
			       ttarget[T_RALARM], 0);
	tfds[T_BALARM] = tmake(CLOCK_BOOTTIME_ALARM, 0, HOUR_NS, 7 * NS);
	tfds[T_REL] = tmake(CLOCK_REALTIME, 0, HOUR_NS, 0);
	for (int t = 0; t < NR_T; t++)
		if (tfds[t] < 0) {
			perror(tnames[t]);
			return -1;
		}
	if (user) {
		struct __user_cap_header_struct hdr = {
			_LINUX_CAPABILITY_VERSION_3, 0
		};
		struct __user_cap_data_struct none[2] = {};

		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) ||
		    syscall(SYS_capset, &hdr, none)) {
			perror("dropping CAP_WAKE_ALARM");
			return -1;
		}
	}
	return 0;
}

static void check_absolute(void)
{
	long long real, left;
	char why[512] = "";

	for (int t = 0; t < NR_P; t++) {
		if (t != P_ABS && t != P_RALARM)
			continue;
		left = pleft(t, NULL);
		real = now_ns(CLOCK_REALTIME);
		if (left <= 0 || llabs(real + left - target[t]) > EXACT_NS)
			note_to(why, sizeof(why),
				"%s expires %+lld ns off (left %lld)",
				pnames[t], real + left - target[t], left);
	}
	for (int t = 0; t < NR_T; t++) {
		if (t != T_ABS && t != T_RALARM)
			continue;
		left = tleft(t, NULL);
		real = now_ns(CLOCK_REALTIME);
		if (left <= 0 || llabs(real + left - ttarget[t]) > EXACT_NS)
			note_to(why, sizeof(why),
				"%s expires %+lld ns off (left %lld)",
				tnames[t], real + left - ttarget[t], left);
	}
	check("absolute", !why[0], "%s",
	      why[0] ? why : "each at the time it was given");
}

static void check_alarm(void)
{
	long long left, interval = 0;
	char why[512] = "", val[32];
	struct timespec wait = { 2, 0 };
	siginfo_t si;
	sigset_t set;

	left = pleft(P_BALARM, &interval);
	if (left <= HOUR_NS - TOLERANCE_NS || left > HOUR_NS ||
	    interval != 5 * NS)
		note_to(why, sizeof(why), "balarm: %lld ns left, every %lld",
			left, interval);
	left = tleft(T_BALARM, &interval);
	if (left <= HOUR_NS - TOLERANCE_NS || left > HOUR_NS ||
	    interval != 7 * NS)
		note_to(why, sizeof(why), "tbalarm: %lld ns left, every %lld",
			left, interval);
	if (fdinfo_field(tfds[T_RALARM], "clockid:", val, sizeof(val)) ||
	    strcmp(val, "8"))
		note_to(why, sizeof(why), "tralarm on clock %s", val);
	if (fdinfo_field(tfds[T_BALARM], "clockid:", val, sizeof(val)) ||
	    strcmp(val, "9"))
		note_to(why, sizeof(why), "tbalarm on clock %s", val);
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	/* Drains what was pending, then waits for one more expiry. */
	while (sigtimedwait(&set, &si, &(struct timespec){ 0, 0 }) > 0)
		;
	if (sigtimedwait(&set, &si, &wait) != SIGRTMIN + 1 ||
	    si.si_code != SI_TIMER || si.si_timerid != pids[P_FIRE])
		note_to(why, sizeof(why),
			"fire: no signal from timer %d in 2 s (%s)",
			pids[P_FIRE], strerror(errno));
	check("alarm", !why[0], "%s",
	      why[0] ? why : "alarm timers on their clocks, firing");
}

static void check_flags(void)
{
	static const char *const want[NR_T] = { "03", "01", "00", "00" };
	char why[256] = "", val[32];

	for (int t = 0; t < NR_T; t++)
		if (fdinfo_field(tfds[t], "settime flags:", val, sizeof(val)) ||
		    strtol(val, NULL, 8) != strtol(want[t], NULL, 8))
			note_to(why, sizeof(why),
				"%s: settime flags %s, not %s", tnames[t], val,
				want[t]);
	check("flags", !why[0], "%s",
	      why[0] ? why : "settime flags 03, 01, 0, 0");
}

static int set_real(long long ns)
{
	struct timespec ts = ts_of(ns);

	return clock_settime(CLOCK_REALTIME, &ts);
}

static void check_clock_set(void)
{
	long long pbefore[NR_P], tbefore[NR_T], drop;
	char why[512] = "";
	uint64_t ticks;
	ssize_t got;
	int moved;

	for (int t = 0; t < NR_P; t++)
		pbefore[t] = pleft(t, NULL);
	for (int t = 0; t < NR_T; t++)
		tbefore[t] = tleft(t, NULL);
	if (set_real(now_ns(CLOCK_REALTIME) + JUMP_NS)) {
		check("clock-set", 0, "clock_settime: %s", strerror(errno));
		check("cancel-on-set", 0, "the clock was not set");
		return;
	}
	for (int t = 0; t < NR_P; t++) {
		if (t == P_FIRE)
			continue;
		drop = pbefore[t] - pleft(t, NULL);
		moved = t == P_ABS || t == P_RALARM;
		if (moved ? llabs(drop - JUMP_NS) > NS / 2 :
			    llabs(drop) > NS / 2)
			note_to(why, sizeof(why), "%s: %lld ns less left",
				pnames[t], drop);
	}
	for (int t = 0; t < NR_T; t++) {
		drop = tbefore[t] - tleft(t, NULL);
		moved = t == T_ABS || t == T_RALARM;
		if (moved ? llabs(drop - JUMP_NS) > NS / 2 :
			    llabs(drop) > NS / 2)
			note_to(why, sizeof(why), "%s: %lld ns less left",
				tnames[t], drop);
	}
	check("clock-set", !why[0], "%s",
	      why[0] ? why : "600 s less left for the absolute ones only");
	errno = 0;
	got = read(tfds[T_ABS], &ticks, sizeof(ticks));
	check("cancel-on-set", got < 0 && errno == ECANCELED,
	      "tabs reads %zd: %s", got, strerror(errno));
	set_real(now_ns(CLOCK_REALTIME) - JUMP_NS);
}

static void check_no_wake_alarm(void)
{
	struct sigevent sev = { .sigev_notify = SIGEV_NONE };
	int id, made = syscall(SYS_timer_create, CLOCK_REALTIME_ALARM, &sev,
			       &id);

	check("no-wake-alarm", made < 0 && errno == EPERM, "timer_create: %s",
	      made < 0 ? strerror(errno) : "made one");
}

int main(int argc, char **argv)
{
	int user = argc == 3 && !strcmp(argv[1], "user");
	char go[PATH_MAX];

	if (argc < 2 || argc > 3 || (argc == 3 && !user)) {
		fprintf(stderr, "usage: alarm_timers [user] DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[argc - 1]);
	if (setup(user))
		return 1;
	printf("READY %s\n", user ? "user" : "root");
	wait_for(go);
	check_absolute();
	check_alarm();
	check_flags();
	if (user) {
		check_no_wake_alarm();
	} else {
		check_clock_set();
	}
	return check_exit_status();
}
