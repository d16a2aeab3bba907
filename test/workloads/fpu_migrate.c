// SPDX-License-Identifier: GPL-2.0
/*
 * The FPU registers of a restored task, when it restores on one CPU and
 * returns to user mode on another that still holds its old registers.
 *
 * The kernel loads a task's FPU registers lazily: switched out, the task
 * leaves them in the CPU, which stays their owner; back on that CPU with
 * nothing run there since, it returns to user mode without reloading them.
 * The restoring task here enters its final step on CPU 0 (whose registers
 * are then its builder's), is moved to CPU 1 while parked, loads the saved
 * registers there, is stopped on its way out and moved back to CPU 0. If
 * the restore forgot to mark CPU 0's copy stale, the restored cpu_state
 * finds its builder's registers instead of its own and fails its
 * avx-registers check. The image is cpu_state's (it waits for GO_FILE),
 * restarted ROUNDS times (a round may pass by luck: anything that runs on
 * CPU 0 meanwhile takes the registers over).
 * Usage: fpu_migrate IMAGE PID GO_FILE ROUNDS
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
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

static int pin(pid_t pid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(pid, sizeof(set), &set);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/*
 * Whether pid sleeps parked in its final step, waiting for FINALIZE: it
 * took cpu_state's name, the last thing it does before it parks, and
 * sleeps (killable, which shows as D).
 */
static int parked(pid_t pid)
{
	char path[64], comm[32], state = proc_state(pid);

	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	return !slurp(path, comm, sizeof(comm)) &&
	       !strcmp(comm, "cpu_state\n") && (state == 'D' || state == 'S');
}

/* The restoring task: its builder's code runs on CPU 0 only. */
static void restore_child(int dev)
{
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (pin(0, 0))
		_exit(126);
	restart_steps(dev);
	_exit(127);
}

/* One restart; 0 when the restored cpu_state ended well, else a note in why. */
static int round_trip(const char *image, pid_t pid, const char *go, char *why,
		      size_t size)
{
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	int img, dev, status, waited, ret = -1;
	pid_t child;

	unlink(go);
	img = open(image, O_RDONLY | O_CLOEXEC);
	dev = img < 0 ? -1 : restart_begin(img);
	if (dev < 0 || restart_next_pid(dev, pid)) {
		note_to(why, size, "restart session: %s", strerror(errno));
		goto out;
	}
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		restore_child(dev);
	if (child != pid) {
		note_to(why, size, "clone gave %d, not %d", child, pid);
		goto out;
	}
	for (waited = 0; !parked(pid) && waited < restart_wait_ms(10000);
	     waited += 10)
		sleep_ms(10);
	if (!parked(pid)) {
		char path[64], comm[32] = "";

		snprintf(path, sizeof(path), "/proc/%d/comm", pid);
		slurp(path, comm, sizeof(comm));
		note_to(why, size, "pid %d never parked (state %c, comm %s)",
			pid, proc_state(pid), comm);
		goto kill;
	}
	/* Pending until it leaves the kernel: it stops on its way to user mode. */
	if (kill(pid, SIGSTOP) || pin(pid, 1) ||
	    ioctl(dev, CPT_IOC_FINALIZE, &fin)) {
		note_to(why, size, "stop, move to CPU 1 or FINALIZE: %s",
			strerror(errno));
		goto kill;
	}
	if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
		note_to(why, size, "pid %d did not stop (status %#x)", pid,
			status);
		goto out;
	}
	if (pin(pid, 0) || kill(pid, SIGCONT) ||
	    close(open(go, O_CREAT | O_WRONLY, 0644))) {
		note_to(why, size, "move to CPU 0, continue or go: %s",
			strerror(errno));
		goto kill;
	}
	if (waitpid(pid, &status, 0) != pid)
		note_to(why, size, "lost pid %d", pid);
	else if (!WIFEXITED(status) || WEXITSTATUS(status))
		note_to(why, size,
			"cpu_state ended with status %#x (its checks failed)",
			status);
	else
		ret = 0;
	goto out;
kill:
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
out:
	if (dev >= 0)
		close(dev);
	if (img >= 0)
		close(img);
	return ret;
}

int main(int argc, char **argv)
{
	int rounds, i, failed = 0;
	char why[512] = "";
	pid_t pid;

	if (argc != 5)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	pid = atoi(argv[2]);
	rounds = atoi(argv[4]);
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		check("registers-after-migration", 0, "needs 2 CPUs, has %ld",
		      sysconf(_SC_NPROCESSORS_ONLN));
		return check_exit_status();
	}
	/* Everything but the restoring task's builder stays off CPU 0. */
	if (pin(0, 1))
		return 2;
	for (i = 0; i < rounds; i++)
		if (round_trip(argv[1], pid, argv[3], why, sizeof(why)))
			failed++;
	check("registers-after-migration", !failed,
	      "%d of %d restarts, moved between CPUs in their final step, came back with other registers or failed: %s",
	      failed, rounds, failed ? why : "none");
	return check_exit_status();
}
