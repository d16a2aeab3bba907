// SPDX-License-Identifier: GPL-2.0
/*
 * A task's scheduling and prctl attributes across checkpoint/restart, per
 * thread where the kernel keeps them per thread. Before READY the main
 * thread ("attrs-main") and a worker ("attrs-worker") each take their own
 * name, nice value, policy, CPU affinity, I/O priority, timer slack and
 * parent-death signal; the process its oom_score_adj, dumpable and
 * THP-disable flags, the three interval timers (real: an hour left) and the
 * child subreaper flag, after forking a child that forked a grandchild.
 * After the restart each thread checks its own, the timers their time left
 * against what was left at READY, the grandchild is reparented to the
 * process once its parent exits, and a child runs /bin/true.
 *
 * As root the worker is SCHED_FIFO (reset on fork) with I/O class RT and
 * the process's oom_score_adj is lowered and dumpable 0, and a third thread
 * ("attrs-rr") is SCHED_RR, with capability sets of its own (capset() in
 * it alone: CAP_NET_RAW dropped from its effective set, CAP_NET_BIND_SERVICE
 * inheritable and ambient), which it and the main thread check apart after
 * the restart, with the SCHED_RR time slice; as another user,
 * what such a user may do: SCHED_IDLE, I/O class idle, oom_score_adj
 * raised (its floor unchanged: a write of 0 works and -1 does not).
 *
 * Usage: task_attrs DIR   (the go file is DIR/go)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/ioprio.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#define MAIN_SLACK 77777UL
#define WORKER_SLACK 654321UL
#define RR_SLACK 111111UL
/* Seconds a real timer may lose between READY and the check after the restart. */
#define REAL_TOLERANCE_S 60
/* CPU seconds the process may use meanwhile. */
#define CPU_TOLERANCE_S 5

/* sched_setattr()'s argument, which glibc does not declare. */
struct sched_attr {
	unsigned int size;
	unsigned int sched_policy;
	unsigned long long sched_flags;
	int sched_nice;
	unsigned int sched_priority;
	unsigned long long sched_runtime, sched_deadline, sched_period;
};

#define SCHED_FLAG_RESET_ON_FORK 0x01

struct attrs {
	const char *name;
	int policy; /* with SCHED_RESET_ON_FORK */
	int rt_priority;
	int nice;
	int ioprio;
	int cpu;
	unsigned long slack;
	unsigned long default_slack;
	int pdeath_signal;
};

static char go[PATH_MAX];
static int as_root;
static int one_cpu;
static pthread_barrier_t ready;

static int set_oom_adj(int adj)
{
	char buf[16];
	int fd = open("/proc/self/oom_score_adj", O_WRONLY), len, ok;

	if (fd < 0)
		return -1;
	len = snprintf(buf, sizeof(buf), "%d", adj);
	ok = write(fd, buf, len) == len;
	close(fd);
	return ok ? 0 : -1;
}

static int oom_adj(void)
{
	char buf[16] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '?';
	if (fd >= 0)
		close(fd);
	return atoi(buf);
}

static int sched_setattr_self(int policy, int prio, int nice, int flags)
{
	struct sched_attr attr = {
		.size = sizeof(attr),
		.sched_policy = policy,
		.sched_flags = flags,
		.sched_nice = nice,
		.sched_priority = prio,
	};

	return syscall(SYS_sched_setattr, 0, &attr, 0);
}

/* The timer slack, and what PR_SET_TIMERSLACK 0 sets it to (the default, unless RT). */
static void timer_slack(unsigned long *slack, unsigned long *reset)
{
	*slack = prctl(PR_GET_TIMERSLACK);
	prctl(PR_SET_TIMERSLACK, 0);
	*reset = prctl(PR_GET_TIMERSLACK);
	prctl(PR_SET_TIMERSLACK, *slack);
}

/*
 * The calling thread takes a. Its timer slack is then read back: under an
 * RT policy the kernel keeps none.
 */
static int take(struct attrs *a)
{
	int flags = a->policy & SCHED_RESET_ON_FORK ? SCHED_FLAG_RESET_ON_FORK :
						      0;
	cpu_set_t cpus;

	CPU_ZERO(&cpus);
	CPU_SET(a->cpu, &cpus);
	if (prctl(PR_SET_NAME, a->name) ||
	    setpriority(PRIO_PROCESS, 0, a->nice) ||
	    sched_setattr_self(a->policy & ~SCHED_RESET_ON_FORK, a->rt_priority,
			       a->nice, flags) ||
	    sched_setaffinity(0, sizeof(cpus), &cpus) ||
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, a->ioprio) ||
	    prctl(PR_SET_TIMERSLACK, a->slack) ||
	    prctl(PR_SET_PDEATHSIG, a->pdeath_signal)) {
		check("setup", 0, "%s: cannot take its attributes: %s", a->name,
		      strerror(errno));
		return -1;
	}
	timer_slack(&a->slack, &a->default_slack);
	return 0;
}

/* Each of the calling thread's attributes against a, one check each (prefix: the thread's). */
static void check_thread(const char *who, const struct attrs *a)
{
	struct sched_param param = {};
	char name[64], comm[17] = "";
	unsigned long slack, reset;
	int policy, nice, ioprio, sig = -1;
	cpu_set_t cpus;

	prctl(PR_GET_NAME, comm);
	snprintf(name, sizeof(name), "%s-comm", who);
	check(name, !strcmp(comm, a->name), "thread name \"%s\", \"%s\" before",
	      comm, a->name);

	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	snprintf(name, sizeof(name), "%s-nice", who);
	check(name, nice == a->nice && !errno, "nice %d, %d before", nice,
	      a->nice);

	policy = sched_getscheduler(0);
	sched_getparam(0, &param);
	snprintf(name, sizeof(name), "%s-policy", who);
	check(name,
	      policy == a->policy && param.sched_priority == a->rt_priority,
	      "policy %#x priority %d, %#x %d before", policy,
	      param.sched_priority, a->policy, a->rt_priority);

	CPU_ZERO(&cpus);
	sched_getaffinity(0, sizeof(cpus), &cpus);
	snprintf(name, sizeof(name), "%s-affinity", who);
	check(name, CPU_COUNT(&cpus) == 1 && CPU_ISSET(a->cpu, &cpus),
	      "%d CPUs allowed, CPU %d %s; only CPU %d before%s",
	      CPU_COUNT(&cpus), a->cpu,
	      CPU_ISSET(a->cpu, &cpus) ? "among them" : "not", a->cpu,
	      one_cpu ? " (one CPU online: nothing else to pin to)" : "");

	ioprio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	snprintf(name, sizeof(name), "%s-ioprio", who);
	check(name, ioprio == a->ioprio, "I/O priority %#x, %#x before", ioprio,
	      a->ioprio);

	timer_slack(&slack, &reset);
	snprintf(name, sizeof(name), "%s-timer-slack", who);
	check(name, slack == a->slack && reset == a->default_slack,
	      "timer slack %lu ns, %lu after PR_SET_TIMERSLACK 0; %lu and %lu before",
	      slack, reset, a->slack, a->default_slack);

	prctl(PR_GET_PDEATHSIG, &sig);
	snprintf(name, sizeof(name), "%s-pdeath-signal", who);
	check(name, sig == a->pdeath_signal,
	      "parent-death signal %d, %d before", sig, a->pdeath_signal);
}

static struct attrs worker_attrs;

static void *worker(void *arg)
{
	(void)arg;
	if (take(&worker_attrs))
		exit(1);
	pthread_barrier_wait(&ready);
	wait_for(go);
	check_thread("worker", &worker_attrs);
	return NULL;
}

/* A thread's capability sets, as capget() and PR_CAP_AMBIENT show them (the low 32). */
struct caps {
	unsigned int effective, permitted, inheritable, ambient;
};

static int get_caps(struct caps *c)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };
	struct __user_cap_data_struct data[2];
	int i;

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	c->effective = data[0].effective;
	c->permitted = data[0].permitted;
	c->inheritable = data[0].inheritable;
	c->ambient = 0;
	for (i = 0; i < 32; i++)
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0) == 1)
			c->ambient |= 1U << i;
	return 0;
}

/* The calling thread alone: CAP_NET_RAW not effective, CAP_NET_BIND_SERVICE ambient. */
static int own_caps(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(1U << CAP_NET_RAW);
	data[0].inheritable |= 1U << CAP_NET_BIND_SERVICE;
	if (syscall(SYS_capset, &hdr, data))
		return -1;
	return prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE,
		     0, 0);
}

static void check_caps(const char *who, const struct caps *was)
{
	struct caps now = {};
	char name[64];

	get_caps(&now);
	snprintf(name, sizeof(name), "%s-caps", who);
	check(name,
	      now.effective == was->effective &&
		      now.permitted == was->permitted &&
		      now.inheritable == was->inheritable &&
		      now.ambient == was->ambient,
	      "effective %#x permitted %#x inheritable %#x ambient %#x; %#x %#x %#x %#x before",
	      now.effective, now.permitted, now.inheritable, now.ambient,
	      was->effective, was->permitted, was->inheritable, was->ambient);
}

static struct attrs rr_attrs;
static struct caps rr_caps;
static struct timespec rr_slice;

static void *rr_thread(void *arg)
{
	struct timespec slice = {};

	(void)arg;
	if (take(&rr_attrs) || own_caps() || get_caps(&rr_caps) ||
	    sched_rr_get_interval(0, &rr_slice)) {
		check("setup", 0, "attrs-rr: %s", strerror(errno));
		exit(1);
	}
	pthread_barrier_wait(&ready);
	wait_for(go);
	check_thread("rr", &rr_attrs);
	check_caps("rr", &rr_caps);
	sched_rr_get_interval(0, &slice);
	check("rr-interval",
	      slice.tv_sec == rr_slice.tv_sec &&
		      slice.tv_nsec == rr_slice.tv_nsec,
	      "SCHED_RR time slice %ld.%09ld s, %ld.%09ld s before",
	      (long)slice.tv_sec, slice.tv_nsec, (long)rr_slice.tv_sec,
	      rr_slice.tv_nsec);
	return NULL;
}

/* A child that forks a grandchild (its pid in DIR/grandchild), exits on DIR/child-exit. */
static pid_t fork_family(const char *dir)
{
	char exit_child[PATH_MAX], exit_grandchild[PATH_MAX], pidfile[PATH_MAX];
	char tmp[PATH_MAX + 8];
	pid_t child, grandchild;
	FILE *f;

	snprintf(exit_child, sizeof(exit_child), "%s/child-exit", dir);
	snprintf(exit_grandchild, sizeof(exit_grandchild), "%s/grandchild-exit",
		 dir);
	snprintf(pidfile, sizeof(pidfile), "%s/grandchild", dir);
	child = fork();
	if (child)
		return child;
	grandchild = fork();
	if (grandchild == 0) {
		wait_for(exit_grandchild);
		_exit(0);
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", pidfile);
	f = fopen(tmp, "w");
	if (!f || fprintf(f, "%d\n", (int)grandchild) < 0 || fclose(f) ||
	    rename(tmp, pidfile))
		_exit(1);
	wait_for(exit_child);
	_exit(0);
}

static pid_t read_grandchild(const char *dir)
{
	char path[PATH_MAX], buf[32] = "";

	snprintf(path, sizeof(path), "%s/grandchild", dir);
	wait_for(path);
	if (slurp(path, buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

static void check_timers(const struct itimerval *before)
{
	static const char *const names[] = { "real", "virtual", "prof" };
	static const int tolerance[] = { REAL_TOLERANCE_S, CPU_TOLERANCE_S,
					 CPU_TOLERANCE_S };
	char name[64];
	int i;

	for (i = 0; i < 3; i++) {
		struct itimerval now;
		long long left, was, interval, was_interval;

		getitimer(i, &now);
		left = now.it_value.tv_sec * 1000000LL + now.it_value.tv_usec;
		was = before[i].it_value.tv_sec * 1000000LL +
		      before[i].it_value.tv_usec;
		interval = now.it_interval.tv_sec * 1000000LL +
			   now.it_interval.tv_usec;
		was_interval = before[i].it_interval.tv_sec * 1000000LL +
			       before[i].it_interval.tv_usec;
		snprintf(name, sizeof(name), "itimer-%s", names[i]);
		check(name,
		      left <= was && left >= was - tolerance[i] * 1000000LL &&
			      interval == was_interval,
		      "%lld us left every %lld us; %lld us left at READY, every %lld us",
		      left, interval, was, was_interval);
	}
}

static void check_family(const char *dir, pid_t child, pid_t grandchild)
{
	char path[PATH_MAX];
	int subreaper = -1, status = -1;
	pid_t reaped;

	prctl(PR_GET_CHILD_SUBREAPER, &subreaper);
	snprintf(path, sizeof(path), "%s/child-exit", dir);
	touch(path);
	waitpid(child, NULL, 0);
	snprintf(path, sizeof(path), "%s/grandchild-exit", dir);
	touch(path);
	reaped = waitpid(grandchild, &status, 0);
	check("child-subreaper", subreaper == 1 && reaped == grandchild,
	      "PR_GET_CHILD_SUBREAPER %d; the orphaned grandchild %d %s",
	      subreaper, grandchild,
	      reaped == grandchild ? "was reaped by the process" :
				     strerror(errno));
}

static void check_fork_exec(void)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	check("fork-exec",
	      pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a child ran /bin/true: status %#x", status);
}

int main(int argc, char **argv)
{
	const struct itimerval timers[3] = {
		{ .it_value = { 3600, 0 }, .it_interval = { 7200, 0 } },
		{ .it_value = { 1000, 0 }, .it_interval = { 10, 0 } },
		{ .it_value = { 2000, 0 }, .it_interval = { 20, 0 } },
	};
	struct attrs main_attrs = { .name = "attrs-main",
				    .policy = SCHED_BATCH,
				    .nice = 5,
				    .slack = MAIN_SLACK,
				    .pdeath_signal = SIGUSR2 };
	int adj, dumpable, thp, below_floor_refused, dumpable_set, oom_set;
	struct itimerval left[3];
	pid_t child, grandchild;
	pthread_t thread, rr;
	struct caps main_caps;
	const char *dir;
	int i;

	dir = workload_dir(argc, argv, go);
	if (!dir)
		return 2;
	as_root = geteuid() == 0;
	one_cpu = sysconf(_SC_NPROCESSORS_ONLN) < 2;
	main_attrs.ioprio = as_root ? IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0) :
				      IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 7);
	worker_attrs = (struct attrs){
		.name = "attrs-worker",
		.policy = as_root ? SCHED_FIFO | SCHED_RESET_ON_FORK :
				    SCHED_IDLE,
		.rt_priority = as_root ? 7 : 0,
		.nice = as_root ? -4 : 10,
		.ioprio = as_root ? IOPRIO_PRIO_VALUE(IOPRIO_CLASS_RT, 2) :
				    IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0),
		.cpu = one_cpu ? 0 : 1,
		.slack = WORKER_SLACK,
		.pdeath_signal = SIGUSR1,
	};
	rr_attrs = (struct attrs){
		.name = "attrs-rr",
		.policy = SCHED_RR,
		.rt_priority = 3,
		.nice = 3,
		.ioprio = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 3),
		.cpu = 0,
		.slack = RR_SLACK,
		.pdeath_signal = SIGWINCH,
	};
	signal(SIGALRM, SIG_IGN);
	signal(SIGVTALRM, SIG_IGN);
	signal(SIGPROF, SIG_IGN);

	child = fork_family(dir);
	grandchild = read_grandchild(dir);
	if (take(&main_attrs))
		return 1;
	pthread_barrier_init(&ready, NULL, as_root ? 3 : 2);
	if (pthread_create(&thread, NULL, worker, NULL) ||
	    (as_root && pthread_create(&rr, NULL, rr_thread, NULL)))
		return 1;
	pthread_barrier_wait(&ready);
	get_caps(&main_caps);

	/* The floor (oom_score_adj_min) of a user without CAP_SYS_RESOURCE stays put. */
	below_floor_refused = as_root ? 0 : set_oom_adj(-1) != 0;
	oom_set = as_root ? -300 : 500;
	dumpable_set = as_root ? 0 : 1;
	if (set_oom_adj(oom_set) || prctl(PR_SET_DUMPABLE, dumpable_set) ||
	    prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) ||
	    prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		check("setup", 0, "cannot set the process's attributes: %s",
		      strerror(errno));
		return 1;
	}
	for (i = 0; i < 3; i++)
		setitimer(i, &timers[i], NULL);
	for (i = 0; i < 3; i++)
		getitimer(i, &left[i]);
	printf("READY %s\n", as_root ? "root" : "user");
	wait_for(go);

	/* The threads' lines first, not mixed with the main thread's. */
	pthread_join(thread, NULL);
	if (as_root) {
		pthread_join(rr, NULL);
		check_caps("main", &main_caps);
	}
	check_timers(left);
	check_thread("main", &main_attrs);
	adj = oom_adj();
	check("oom-score-adj", adj == oom_set, "oom_score_adj %d, %d before",
	      adj, oom_set);
	if (!as_root) {
		int zero_ok = set_oom_adj(0) == 0, below = set_oom_adj(-1) != 0;

		check("oom-score-adj-min",
		      zero_ok && below == below_floor_refused,
		      "oom_score_adj 0 %s, -1 %s; -1 was %s before",
		      zero_ok ? "taken" : "refused",
		      below ? "refused" : "taken",
		      below_floor_refused ? "refused" : "taken");
		set_oom_adj(oom_set);
	}
	dumpable = prctl(PR_GET_DUMPABLE);
	check("dumpable", dumpable == dumpable_set, "dumpable %d, %d before",
	      dumpable, dumpable_set);
	thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
	check("thp-disable", thp == 1, "THP disabled: %d, 1 before", thp);
	check_family(dir, child, grandchild);
	check_fork_exec();
	return check_exit_status();
}
