// SPDX-License-Identifier: GPL-2.0
/*
 * A restart whose non-leader thread fails half-way through its final step.
 *
 * "thread_half hold" is the process to checkpoint: a main thread and one
 * other, both asleep; it prints "READY <tid of the other>".
 *
 * "thread_half restore IMAGE PID TID" restarts an image of it, edited so
 * that the thread's final step fails after it began to change the thread
 * (its RLIMIT_NOFILE beyond fs.nr_open: prlimit() refuses it once the
 * thread's user pointers are forgotten and its signal state is applied),
 * through the module's ioctls as cptctl drives them, but with tasks that
 * report a failed step and then wait, instead of exiting as cptctl's do:
 * the thread must never come back to user space half its old self, half
 * the saved one; it and its process must die, and the restart fail.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "restart.h"

static void *sleeper(void *arg)
{
	(void)arg;
	printf("READY %ld\n", (long)syscall(SYS_gettid));
	for (;;)
		pause();
	return NULL;
}

static int hold(void)
{
	pthread_t thread;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (pthread_create(&thread, NULL, sleeper, NULL))
		return 2;
	for (;;)
		pause();
}

struct report {
	pid_t tid;
	int subsys;
	int err;
};

static int dev, report_fd;
static pid_t thread_tid;

/*
 * A task whose step failed says so and waits, as it came back: a builder
 * that lingers. The main thread stops short of its final step (last), in
 * user space, as cptctl's may be between two steps when the thread fails:
 * killed there, it dies before it could report.
 */
static void restore_task(int last)
{
	struct report rep;

	rep.subsys = restart_steps_to(dev, last);
	if (!rep.subsys && last < CPT_SUBSYS_MAX)
		for (;;)
			pause();
	if (!rep.subsys) {
		rep.subsys = CPT_SUBSYS_MAX;
		errno = EPROTO; /* the final step returned success */
	}
	rep.err = errno;
	rep.tid = syscall(SYS_gettid);
	if (write(report_fd, &rep, sizeof(rep)) < 0)
		_exit(126);
	for (;;)
		pause();
}

static int thread_entry(void *arg)
{
	(void)arg;
	restore_task(CPT_SUBSYS_MAX);
	return 0;
}

/* The process's main thread: makes the thread with its saved id, then restores itself. */
static void restore_process(void)
{
	const size_t stack_size = 256 * 1024;
	sigset_t all;
	char *stack;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED || restart_next_pid(dev, thread_tid) ||
	    clone(thread_entry, stack + stack_size,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			  CLONE_THREAD | CLONE_SYSVSEM,
		  NULL) != thread_tid)
		_exit(125);
	restore_task(CPT_SUBSYS_MM - 1);
}

static int restore(const char *image, pid_t pid)
{
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	struct pollfd reported = { .events = POLLIN };
	int img, pipefd[2], status = 0, waited, fin_ret, fin_err, reports = 0;
	char why[256] = "";
	struct report rep;
	pid_t child, gone = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	img = open(image, O_RDONLY | O_CLOEXEC);
	dev = img < 0 ? -1 : restart_begin(img);
	if (dev < 0 || pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) ||
	    restart_next_pid(dev, pid)) {
		check("thread-half.refused", 0, "restart session: %s",
		      strerror(errno));
		return check_exit_status();
	}
	report_fd = pipefd[1];
	reported.fd = pipefd[0];
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		restore_process();
	/*
	 * Killed, the process goes at once; alive, a task of it came back
	 * (and waits). FINALIZE, which waits for every task to park or fail,
	 * comes after either.
	 */
	for (waited = 0; child > 0 && !gone && waited < restart_wait_ms(10000);
	     waited += 20) {
		gone = waitpid(child, &status, WNOHANG);
		if (!gone && poll(&reported, 1, 20) > 0)
			break;
	}
	fin_ret = ioctl(dev, CPT_IOC_FINALIZE, &fin);
	fin_err = errno;
	check("thread-half.refused", child == pid && fin_ret < 0,
	      "FINALIZE returned %d (%s) for pid %d", fin_ret,
	      fin_ret ? strerror(fin_err) : "success", child);
	/* The thread's own failure, not the death of its process it caused. */
	check("thread-half.failure-named", fin_ret < 0 && fin_err == EPERM,
	      "FINALIZE failed with %s, the failed thread's is EPERM",
	      fin_ret ? strerror(fin_err) : "success");
	for (waited = 0; child > 0 && !gone && waited < restart_wait_ms(1000);
	     waited += 20) {
		gone = waitpid(child, &status, WNOHANG);
		if (!gone)
			usleep(20 * 1000);
	}
	while (read(pipefd[0], &rep, sizeof(rep)) == sizeof(rep)) {
		note_to(why, sizeof(why),
			"%s %d came back from step %d with %s",
			rep.tid == thread_tid ? "the thread" : "task", rep.tid,
			rep.subsys, strerror(rep.err));
		reports++;
	}
	check("thread-half.thread-never-returns", reports == 0, "%s",
	      reports ? why : "no task came back to user space");
	check("thread-half.process-killed",
	      gone == child && WIFSIGNALED(status) &&
		      WTERMSIG(status) == SIGKILL,
	      "pid %d %s, status %#x", child,
	      gone == child ? "ended" : "still lives", status);
	if (gone != child) {
		close(dev); /* the abort kills what is left */
		kill(child, SIGKILL);
		waitpid(child, &status, 0);
	}
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "hold"))
		return hold();
	if (argc == 5 && !strcmp(argv[1], "restore")) {
		thread_tid = atoi(argv[4]);
		return restore(argv[2], atoi(argv[3]));
	}
	return 2;
}
