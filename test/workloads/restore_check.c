// SPDX-License-Identifier: GPL-2.0
/*
 * A restoring task whose RESTORE fails its entry check (a step out of
 * turn: FILES before SIGNALS) cannot go on: the restart must fail with
 * that error, and FINALIZE say so at once instead of waiting for a task
 * that will never park. The task here lingers after its failed step, as a
 * builder may. Usage: restore_check IMAGE PID (a single process's image,
 * its pid free).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "restart.h"

static pid_t child;
static long grace_ms;
static volatile int finalized;

/* Kills the restoring task if FINALIZE is still waiting after grace_ms. */
static void *watchdog(void *arg)
{
	long waited;

	(void)arg;
	for (waited = 0; !finalized && waited < grace_ms; waited += 20)
		usleep(20 * 1000);
	if (!finalized)
		kill(child, SIGKILL);
	return NULL;
}

int main(int argc, char **argv)
{
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	struct cpt_subsys task = { .subsys = CPT_SUBSYS_TASK };
	struct cpt_subsys files = { .subsys = CPT_SUBSYS_FILES };
	struct pollfd reported = { .events = POLLIN };
	int img, dev, report[2], err = 0, fin_ret, fin_err, status;
	pthread_t thread;

	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	img = open(argv[1], O_RDONLY | O_CLOEXEC);
	dev = img < 0 ? -1 : restart_begin(img);
	if (dev < 0 || pipe2(report, O_CLOEXEC) ||
	    restart_next_pid(dev, atoi(argv[2]))) {
		check("step-refused", 0, "restart session: %s",
		      strerror(errno));
		return check_exit_status();
	}
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0) {
		sigset_t all;

		sigfillset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		err = ioctl(dev, CPT_IOC_RESTORE, &task)  ? -errno :
		      ioctl(dev, CPT_IOC_RESTORE, &files) ? errno :
							    0;
		if (write(report[1], &err, sizeof(err)) < 0)
			_exit(126);
		for (;;)
			pause();
	}
	reported.fd = report[0];
	if (child < 0 || poll(&reported, 1, restart_wait_ms(10000)) != 1 ||
	    read(report[0], &err, sizeof(err)) != sizeof(err))
		err = -EPIPE;
	check("step-refused", err == EALREADY,
	      "RESTORE(FILES) before RESTORE(SIGNALS): %s (%s)",
	      err > 0 ? strerror(err) : "not so far", strerror(abs(err)));
	grace_ms = restart_wait_ms(5000);
	pthread_create(&thread, NULL, watchdog, NULL);
	fin_ret = ioctl(dev, CPT_IOC_FINALIZE, &fin);
	fin_err = errno;
	finalized = 1;
	pthread_join(thread, NULL);
	check("finalize-fails", fin_ret < 0 && fin_err == EALREADY,
	      "FINALIZE returned %d (%s), the step's error is EALREADY; after %ld ms it kills the lingering task (ECHILD)",
	      fin_ret, fin_ret ? strerror(fin_err) : "success", grace_ms);
	close(dev); /* the session's end kills what is left */
	kill(child, SIGKILL);
	check("nothing-left", waitpid(child, &status, 0) == child,
	      "pid %d reaped", child);
	return check_exit_status();
}
