/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pidfds through checkpoint -> kill -> restart. The process holds:
 *  - a pidfd (pidfd_open()) of a child that sleeps until signalled: after
 *    the restart, pidfd_send_signal() through it kills that child, whose
 *    exit the pidfd then polls readable for, and waitid(P_PIDFD) reaps;
 *  - the pidfd clone3(CLONE_PIDFD) gave for a child that exits with status
 *    5 once it reads a byte from a pipe (written after the live checks), and a PIDFD_NONBLOCK one of the same child, with
 *    which waitid(P_PIDFD) says EAGAIN while the child lives;
 *  - a pidfd of a child that exited and was reaped before the checkpoint:
 *    readable, pidfd_send_signal() ESRCH, waitid() ECHILD, fdinfo Pid -1;
 *  - a pidfd of itself, without FD_CLOEXEC.
 * Each keeps its flags (F_GETFL, F_GETFD), and its fdinfo names the same
 * pid. A pidfd of a child that exited and is not reaped yet (a zombie of
 * the tree) polls readable, names it, and waitid(P_PIDFD) reaps it with
 * its status. An epoll instance watches the clone3() pidfd: quiet while the child
 * lives, ready once it exited. A last child, forked after all these (it shares them), holds a
 * pidfd of its parent and checks it itself (RESULT pidfd-parent).
 * Usage: pidfd_state DIR   (goes on once DIR/go exists)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"

#ifndef P_PIDFD
#define P_PIDFD 3
#endif
#ifndef PIDFD_NONBLOCK
#define PIDFD_NONBLOCK O_NONBLOCK
#endif

static int pidfd_open(pid_t pid, unsigned int flags)
{
	return syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig)
{
	return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

static void wait_go(const char *go)
{
	const struct timespec tick = { 0, 10000000 };

	while (access(go, F_OK))
		nanosleep(&tick, NULL);
}

/* The pid a pidfd's fdinfo names (-1 for a pid no task has), or -2. */
static int fdinfo_pid(int fd)
{
	return fdinfo_number(fd, "Pid: %d", -2);
}

/* Whether fd polls readable within ms milliseconds. */
static int readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

/* The last child: a pidfd of its parent, which must still name it after the restart. */
static int parent_checker(const char *go, int ready)
{
	pid_t parent = getppid();
	int fd = pidfd_open(parent, 0), got;
	char byte = 'r';

	if (fd < 0 || write(ready, &byte, 1) != 1)
		return 1;
	wait_go(go);
	got = fdinfo_pid(fd);
	check("pidfd-parent",
	      got == getppid() && got == parent && !readable(fd, 0) &&
		      pidfd_send_signal(fd, 0) == 0,
	      "a pidfd of the parent names pid %d (fdinfo %d), not exited, signal 0 %s",
	      parent, got,
	      pidfd_send_signal(fd, 0) ? strerror(errno) : "delivered");
	return check_exit_status();
}

struct pidfds {
	pid_t sleeper, exiter, reaped, checker, zombie;
	int zombie_fd;
	int sleeper_fd, exiter_fd, exiter_nb, reaped_fd, self_fd;
	int exit_now; /* a byte written there lets the exiter exit */
	int ep; /* watches exiter_fd */
};

static int make_pidfds(struct pidfds *p)
{
	struct clone_args args = { .exit_signal = SIGCHLD,
				   .flags = CLONE_PIDFD };
	struct epoll_event ev = { .events = EPOLLIN };
	siginfo_t zinfo = { 0 };
	int gate[2], status, told[2];
	char byte;
	long pid;

	p->sleeper = fork();
	if (p->sleeper == 0) {
		for (;;)
			pause();
	}
	args.pidfd = (uintptr_t)&p->exiter_fd;
	if (pipe(told))
		return -1;
	pid = syscall(SYS_clone3, &args, sizeof(args));
	if (pid == 0)
		_exit(read(told[0], &byte, 1) == 1 ? 5 : 1);
	close(told[0]);
	p->exit_now = told[1];
	p->exiter = pid;
	/* Exits once its pidfd is open, and is reaped: a pidfd of a pid nobody has. */
	if (pipe(gate))
		return -1;
	p->reaped = fork();
	if (p->reaped == 0) {
		close(gate[1]);
		_exit(read(gate[0], &byte, 1) == 0 ? 0 : 1);
	}
	close(gate[0]);
	p->reaped_fd = pidfd_open(p->reaped, 0);
	close(gate[1]);
	if (p->sleeper < 0 || pid < 0 || p->reaped < 0 || p->reaped_fd < 0 ||
	    waitpid(p->reaped, &status, 0) != p->reaped)
		return -1;
	/* Exits with status 3, and stays a zombie: waited for without reaping. */
	p->zombie = fork();
	if (p->zombie == 0)
		_exit(3);
	if (p->zombie < 0 ||
	    waitid(P_PID, p->zombie, &zinfo, WEXITED | WNOWAIT))
		return -1;
	p->zombie_fd = pidfd_open(p->zombie, 0);
	p->sleeper_fd = pidfd_open(p->sleeper, 0);
	p->exiter_nb = pidfd_open(p->exiter, PIDFD_NONBLOCK);
	p->self_fd = pidfd_open(getpid(), 0);
	if (p->zombie_fd < 0 || p->sleeper_fd < 0 || p->exiter_nb < 0 ||
	    p->self_fd < 0 || fcntl(p->self_fd, F_SETFD, 0))
		return -1;
	p->ep = epoll_create1(0);
	ev.data.u64 = 5;
	return p->ep < 0 ? -1 :
			   epoll_ctl(p->ep, EPOLL_CTL_ADD, p->exiter_fd, &ev);
}

static void check_flags(const struct pidfds *p)
{
	int fl[4] = { fcntl(p->sleeper_fd, F_GETFL),
		      fcntl(p->exiter_fd, F_GETFL),
		      fcntl(p->exiter_nb, F_GETFL),
		      fcntl(p->reaped_fd, F_GETFL) };
	int fd[4] = { fcntl(p->sleeper_fd, F_GETFD),
		      fcntl(p->exiter_fd, F_GETFD),
		      fcntl(p->exiter_nb, F_GETFD),
		      fcntl(p->self_fd, F_GETFD) };

	check("pidfd-flags",
	      fl[0] == O_RDWR && fl[1] == O_RDWR &&
		      fl[2] == (O_RDWR | O_NONBLOCK) && fl[3] == O_RDWR &&
		      fd[0] == FD_CLOEXEC && fd[1] == FD_CLOEXEC &&
		      fd[2] == FD_CLOEXEC && fd[3] == 0,
	      "F_GETFL %#o %#o %#o %#o (O_NONBLOCK on the third only), F_GETFD %d %d %d %d",
	      fl[0], fl[1], fl[2], fl[3], fd[0], fd[1], fd[2], fd[3]);
}

static void check_pids(const struct pidfds *p)
{
	int got[5] = { fdinfo_pid(p->sleeper_fd), fdinfo_pid(p->exiter_fd),
		       fdinfo_pid(p->exiter_nb), fdinfo_pid(p->reaped_fd),
		       fdinfo_pid(p->self_fd) };

	check("pidfd-fdinfo",
	      got[0] == p->sleeper && got[1] == p->exiter &&
		      got[2] == p->exiter && got[3] == -1 && got[4] == getpid(),
	      "fdinfo Pid %d %d %d %d %d, want %d %d %d -1 %d", got[0], got[1],
	      got[2], got[3], got[4], p->sleeper, p->exiter, p->exiter,
	      getpid());
}

static void check_live(const struct pidfds *p)
{
	siginfo_t info = { 0 };
	int waited, err;

	check("pidfd-alive-quiet",
	      !readable(p->sleeper_fd, 0) && !readable(p->exiter_fd, 0) &&
		      !readable(p->self_fd, 0) &&
		      pidfd_send_signal(p->self_fd, 0) == 0,
	      "the pidfds of live processes do not poll readable");
	waited = syscall(SYS_waitid, P_PIDFD, p->exiter_nb, &info, WEXITED,
			 NULL);
	err = errno;
	check("pidfd-nonblock", waited == -1 && err == EAGAIN,
	      "waitid(P_PIDFD) on the PIDFD_NONBLOCK pidfd of a live child: %d (%s)",
	      waited, waited ? strerror(err) : "reaped");
}

static void check_signal(const struct pidfds *p)
{
	siginfo_t info = { 0 };
	int sent = pidfd_send_signal(p->sleeper_fd, SIGTERM), ready, waited;

	ready = readable(p->sleeper_fd, 5000);
	waited = syscall(SYS_waitid, P_PIDFD, p->sleeper_fd, &info, WEXITED,
			 NULL);
	check("pidfd-signal",
	      !sent && ready && !waited && info.si_pid == p->sleeper &&
		      info.si_code == CLD_KILLED && info.si_status == SIGTERM,
	      "pidfd_send_signal %d, readable %d, waitid %d: pid %d code %d status %d",
	      sent, ready, waited, info.si_pid, info.si_code, info.si_status);
}

static void check_exit(const struct pidfds *p)
{
	struct epoll_event ev = { 0 };
	siginfo_t info = { 0 };
	int ready, waited, quiet, events;

	quiet = epoll_wait(p->ep, &ev, 1, 0);
	ready = write(p->exit_now, "x", 1) == 1 && readable(p->exiter_fd, 5000);
	events = epoll_wait(p->ep, &ev, 1, 0);
	check("pidfd-epoll",
	      quiet == 0 && events == 1 && ev.data.u64 == 5 &&
		      (ev.events & EPOLLIN),
	      "an epoll instance watching the clone3() pidfd: %d ready before the exit, %d after (data %llu)",
	      quiet, events, (unsigned long long)ev.data.u64);
	waited = syscall(SYS_waitid, P_PIDFD, p->exiter_fd, &info, WEXITED,
			 NULL);
	check("pidfd-exit",
	      ready && !waited && info.si_pid == p->exiter &&
		      info.si_code == CLD_EXITED && info.si_status == 5,
	      "the clone3() pidfd: readable %d, waitid %d: pid %d code %d status %d",
	      ready, waited, info.si_pid, info.si_code, info.si_status);
}

static void check_zombie(const struct pidfds *p)
{
	int ready = readable(p->zombie_fd, 0), named = fdinfo_pid(p->zombie_fd),
	    waited;
	siginfo_t info = { 0 };

	waited = syscall(SYS_waitid, P_PIDFD, p->zombie_fd, &info, WEXITED,
			 NULL);
	check("pidfd-zombie",
	      ready && named == p->zombie && !waited &&
		      info.si_pid == p->zombie && info.si_code == CLD_EXITED &&
		      info.si_status == 3,
	      "a zombie child's pidfd: readable %d, fdinfo %d, waitid %d: pid %d code %d status %d",
	      ready, named, waited, info.si_pid, info.si_code, info.si_status);
}

static void check_reaped(const struct pidfds *p)
{
	siginfo_t info = { 0 };
	int sent, sent_err, waited, wait_err;

	sent = pidfd_send_signal(p->reaped_fd, 0);
	sent_err = errno;
	waited = syscall(SYS_waitid, P_PIDFD, p->reaped_fd, &info,
			 WEXITED | WNOHANG, NULL);
	wait_err = errno;
	check("pidfd-reaped",
	      readable(p->reaped_fd, 0) && sent == -1 && sent_err == ESRCH &&
		      waited == -1 && wait_err == ECHILD,
	      "a pidfd of a reaped child: readable %d, signal %d (%s), waitid %d (%s)",
	      readable(p->reaped_fd, 0), sent, strerror(sent_err), waited,
	      strerror(wait_err));
}

int main(int argc, char **argv)
{
	struct pidfds p = { 0 };
	char go[4096], byte;
	int sync[2], status = -1, ok;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	if (make_pidfds(&p) || pipe(sync)) {
		check("setup", 0, "%s", strerror(errno));
		return 1;
	}
	p.checker = fork();
	if (p.checker == 0) {
		close(sync[0]);
		_exit(parent_checker(go, sync[1]));
	}
	close(sync[1]);
	if (p.checker < 0 || read(sync[0], &byte, 1) != 1) {
		check("setup", 0, "the checker: %s", strerror(errno));
		return 1;
	}
	close(sync[0]);

	printf("READY\n");
	wait_go(go);

	check_flags(&p);
	check_pids(&p);
	check_live(&p);
	check_signal(&p);
	check_exit(&p);
	check_reaped(&p);
	check_zombie(&p);
	ok = waitpid(p.checker, &status, 0) == p.checker;
	check("pidfd-checker", ok && WIFEXITED(status) && !WEXITSTATUS(status),
	      "the child holding its parent's pidfd: status %#x", status);
	kill(p.sleeper, SIGKILL);
	return check_exit_status();
}
