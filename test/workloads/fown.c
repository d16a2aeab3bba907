// SPDX-License-Identifier: GPL-2.0
/*
 * Who a file signals, across checkpoint --kill and restart: F_SETOWN_EX
 * owners (a thread, the process, a process group), F_SETSIG signals,
 * O_ASYNC armed through a chosen fd (si_fd), leases; and memfds opened
 * read-only and write-only. Each mode sets its state up, prints READY,
 * waits for DIR/go, then checks it is all back and works.
 *
 * fown sigio DIR: a pipe's read end (fd 5) signals SIGRTMIN+1 to a thread;
 *   a socket (fd 7, O_ASYNC armed through its dup fd 9) signals SIGRTMIN+2
 *   to the process; another pipe (fd 10) plain SIGIO to the process; a
 *   pipe (fd 13) SIGIO to the process group of a child, which exits 42 on
 *   it; a pty master (fd 15, slave fd 16) SIGRTMIN+4 to the process; an
 *   eventfd (fd 17) and a regular file (fd 18) an owner only (F_SETFL
 *   O_ASYNC leaves them as they are: they send no signal). The restart
 *   itself must signal nothing.
 * fown lease DIR: a read lease at fd 5 (plain SIGIO), a write lease taken
 *   through fd 8 (a dup of fd 6, F_SETSIG SIGRTMIN+3); a process forked
 *   after the restart opens both files: the holder gets its break signals.
 * fown memfd DIR: a memfd (fd 5) reopened read-only (fd 6) and write-only
 *   (fd 7) through /proc/self/fd; another read-only at fd 8 whose
 *   read-write fd was closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

static char dir[4096];

/* What a signal's handler saw last. */
struct seen {
	volatile sig_atomic_t count;
	volatile int fd;
	volatile int code;
	volatile pid_t tid;
};

static struct seen seen[_NSIG];

static void on_signal(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	seen[sig].count++;
	seen[sig].fd = si->si_fd;
	seen[sig].code = si->si_code;
	seen[sig].tid = gettid();
}

static void handle(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_signal,
				.sa_flags = SA_SIGINFO | SA_RESTART };

	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void nap_ms(long ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000 }, NULL);
}

/* Waits up to 5 s for signal sig to have come n times. */
static int wait_seen(int sig, int n)
{
	int i;

	for (i = 0; i < 500 && seen[sig].count < n; i++)
		nap_ms(10);
	return seen[sig].count >= n;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/*
 * After a mode's setup (ok: it went well, else errno says why): READY, then
 * the wait for the go, which comes after the restart. Nonzero if the setup
 * failed: the mode ends there.
 */
static int ready_then_go(int ok)
{
	char go[4200];

	if (!ok) {
		check("setup", 0, "%s", strerror(errno));
		return 1;
	}
	printf("READY %d\n", getpid());
	path_of(go, sizeof(go), "go");
	wait_for(go);
	return 0;
}

static int move_fd(int fd, int to)
{
	if (fd < 0 || fd == to)
		return fd;
	if (dup2(fd, to) != to)
		return -1;
	close(fd);
	return to;
}

static int set_owner(int fd, int type, pid_t pid)
{
	struct f_owner_ex owner = { .type = type, .pid = pid };

	return fcntl(fd, F_SETOWN_EX, &owner);
}

static int owner_is(int fd, int type, pid_t pid)
{
	struct f_owner_ex owner;

	return !fcntl(fd, F_GETOWN_EX, &owner) && (int)owner.type == type &&
	       owner.pid == pid;
}

static int arm_async(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	return flags >= 0 && !fcntl(fd, F_SETFL, flags | O_ASYNC);
}

static int is_async(int fd)
{
	return fcntl(fd, F_GETFL) & O_ASYNC;
}

/* ---- sigio ---- */

static pid_t target_tid;

static void *sleeper(void *arg)
{
	(void)arg;
	target_tid = gettid();
	for (;;)
		pause();
	return NULL;
}

static void on_group_sigio(int sig)
{
	(void)sig;
	_exit(42);
}

/* The setup of a child leading its own process group, which exits 42 on SIGIO. */
static int group_leader(void)
{
	signal(SIGIO, on_group_sigio);
	return setpgid(0, 0);
}

/* A pty master at fd 15 and its slave at fd 16 (raw: data passes as written). */
static int open_pty(void)
{
	int master = move_fd(posix_openpt(O_RDWR | O_NOCTTY), 15);

	return master == 15 && !grantpt(15) && !unlockpt(15) &&
	       move_fd(open(ptsname(15), O_RDWR | O_NOCTTY), 16) == 16;
}

/* An eventfd at fd 17 and a regular file at fd 18: an owner, and O_ASYNC asked for in vain. */
static int owner_only(void)
{
	char path[4200];

	path_of(path, sizeof(path), "plain");
	return move_fd(eventfd(0, 0), 17) == 17 &&
	       move_fd(open(path, O_RDWR | O_CREAT, 0644), 18) == 18 &&
	       !fcntl(17, F_SETOWN, getpid()) && arm_async(17) &&
	       !fcntl(18, F_SETOWN, getpid()) && arm_async(18);
}

static int sigio(void)
{
	int p[2], s[2], q[2], g[2], ok, status = -1, i;
	pthread_t thread;
	pid_t child;
	char c;

	handle(SIGRTMIN + 1);
	handle(SIGRTMIN + 2);
	handle(SIGRTMIN + 4);
	handle(SIGIO);
	if (pthread_create(&thread, NULL, sleeper, NULL))
		return 1;
	while (!target_tid)
		nap_ms(1);
	child = fork_ready(group_leader);
	ok = child > 0 && !pipe(p) && move_fd(p[0], 5) == 5 &&
	     move_fd(p[1], 6) == 6 && !socketpair(AF_UNIX, SOCK_STREAM, 0, s) &&
	     move_fd(s[0], 7) == 7 && move_fd(s[1], 8) == 8 &&
	     dup2(7, 9) == 9 && !pipe(q) && move_fd(q[0], 10) == 10 &&
	     move_fd(q[1], 11) == 11 && !pipe(g) && move_fd(g[0], 13) == 13 &&
	     move_fd(g[1], 14) == 14;
	/* fd 5: SIGRTMIN+1 to the thread; fd 7, armed through fd 9: SIGRTMIN+2 to the process */
	ok = ok && !set_owner(5, F_OWNER_TID, target_tid) &&
	     !fcntl(5, F_SETSIG, SIGRTMIN + 1) && arm_async(5);
	ok = ok && !set_owner(7, F_OWNER_PID, getpid()) &&
	     !fcntl(7, F_SETSIG, SIGRTMIN + 2) && arm_async(9);
	/* fd 10: plain SIGIO (F_SETOWN); fd 13: SIGIO to the child's group */
	ok = ok && !fcntl(10, F_SETOWN, getpid()) && arm_async(10);
	ok = ok && !fcntl(13, F_SETOWN, -child) && arm_async(13);
	/* fd 15, a pty master: SIGRTMIN+4 to the process */
	ok = ok && open_pty() && !set_owner(15, F_OWNER_PID, getpid()) &&
	     !fcntl(15, F_SETSIG, SIGRTMIN + 4) && arm_async(15) &&
	     owner_only() && !is_async(17) && !is_async(18);
	/* Data in the pipe and socket at the checkpoint: their restore must signal nothing. */
	ok = ok && write(6, "a", 1) == 1 && write(8, "b", 1) == 1 &&
	     wait_seen(SIGRTMIN + 1, 1) && wait_seen(SIGRTMIN + 2, 1);
	/* Only the signals of the restart and after count. */
	memset(seen, 0, sizeof(seen));
	if (ready_then_go(ok))
		return 1;

	check("no-spurious",
	      !seen[SIGRTMIN + 1].count && !seen[SIGRTMIN + 2].count &&
		      !seen[SIGRTMIN + 4].count && !seen[SIGIO].count,
	      "signals during the restart: %d %d %d %d",
	      seen[SIGRTMIN + 1].count, seen[SIGRTMIN + 2].count,
	      seen[SIGRTMIN + 4].count, seen[SIGIO].count);
	check("owners",
	      owner_is(5, F_OWNER_TID, target_tid) &&
		      owner_is(7, F_OWNER_PID, getpid()) &&
		      owner_is(9, F_OWNER_PID, getpid()) &&
		      fcntl(10, F_GETOWN) == getpid() &&
		      owner_is(13, F_OWNER_PGRP, child),
	      "F_GETOWN_EX gives each owner back (thread %d, process %d, group %d)",
	      target_tid, getpid(), child);
	check("signals",
	      fcntl(5, F_GETSIG) == SIGRTMIN + 1 &&
		      fcntl(7, F_GETSIG) == SIGRTMIN + 2 &&
		      fcntl(10, F_GETSIG) == 0,
	      "F_GETSIG: %d %d %d", fcntl(5, F_GETSIG), fcntl(7, F_GETSIG),
	      fcntl(10, F_GETSIG));
	check("async",
	      is_async(5) && is_async(7) && is_async(10) && is_async(13) &&
		      !is_async(6) && !is_async(8),
	      "O_ASYNC where it was set, only there");

	ok = read(5, &c, 1) == 1 && c == 'a' && write(6, "c", 1) == 1 &&
	     wait_seen(SIGRTMIN + 1, 1);
	check("thread-target",
	      ok && seen[SIGRTMIN + 1].tid == target_tid &&
		      seen[SIGRTMIN + 1].fd == 5 &&
		      seen[SIGRTMIN + 1].code == POLL_IN,
	      "pipe: SIGRTMIN+1 %d time(s), at tid %d (want %d), si_fd %d, si_code %d",
	      seen[SIGRTMIN + 1].count, seen[SIGRTMIN + 1].tid, target_tid,
	      seen[SIGRTMIN + 1].fd, seen[SIGRTMIN + 1].code);
	ok = read(7, &c, 1) == 1 && c == 'b' && write(8, "d", 1) == 1 &&
	     wait_seen(SIGRTMIN + 2, 1);
	check("socket-si-fd",
	      ok && seen[SIGRTMIN + 2].fd == 9 &&
		      seen[SIGRTMIN + 2].code == POLL_IN,
	      "socket: SIGRTMIN+2 %d time(s), si_fd %d (armed through 9), si_code %d",
	      seen[SIGRTMIN + 2].count, seen[SIGRTMIN + 2].fd,
	      seen[SIGRTMIN + 2].code);
	ok = write(11, "e", 1) == 1 && wait_seen(SIGIO, 1);
	check("plain-sigio", ok, "pipe with F_SETOWN only: SIGIO %d time(s)",
	      seen[SIGIO].count);
	ok = write(14, "f", 1) == 1;
	for (i = 0; ok && i < 500 && waitpid(child, &status, WNOHANG) == 0; i++)
		nap_ms(10);
	ok = write(16, "g", 1) == 1 && wait_seen(SIGRTMIN + 4, 1);
	check("pty-si-fd",
	      ok && seen[SIGRTMIN + 4].fd == 15 &&
		      seen[SIGRTMIN + 4].code == POLL_IN,
	      "pty master: SIGRTMIN+4 %d time(s), si_fd %d, si_code %d",
	      seen[SIGRTMIN + 4].count, seen[SIGRTMIN + 4].fd,
	      seen[SIGRTMIN + 4].code);
	check("owner-only",
	      !is_async(17) && !is_async(18) &&
		      fcntl(17, F_GETOWN) == getpid() &&
		      fcntl(18, F_GETOWN) == getpid(),
	      "an eventfd and a regular file keep their owner, without O_ASYNC as before");
	check("group-target",
	      ok && WIFEXITED(status) && WEXITSTATUS(status) == 42,
	      "the child's process group got SIGIO: status %#x", status);
	if (!WIFEXITED(status)) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	return check_exit_status();
}

/* ---- lease ---- */

static int open_at(const char *name, int flags, int fd)
{
	char path[4200];

	path_of(path, sizeof(path), name);
	return move_fd(open(path, flags | O_CREAT, 0644), fd);
}

/* In a process forked after the restart: opening each file must break its lease. */
static int breaker(void)
{
	char a[4200], b[4200];
	int wr, rd;

	path_of(a, sizeof(a), "read-leased");
	path_of(b, sizeof(b), "write-leased");
	wr = open(a, O_WRONLY | O_NONBLOCK);
	rd = open(b, O_RDONLY | O_NONBLOCK);
	return wr < 0 && rd < 0 && errno == EWOULDBLOCK ? 0 : 1;
}

static int lease(void)
{
	int ok, status = -1;
	pid_t child;

	handle(SIGIO);
	handle(SIGRTMIN + 3);
	ok = open_at("read-leased", O_RDONLY, 5) == 5 &&
	     !fcntl(5, F_SETLEASE, F_RDLCK) &&
	     open_at("write-leased", O_RDONLY, 6) == 6 && dup2(6, 8) == 8 &&
	     !fcntl(8, F_SETLEASE, F_WRLCK) &&
	     !fcntl(6, F_SETSIG, SIGRTMIN + 3);
	if (ready_then_go(ok))
		return 1;

	check("lease-kept",
	      fcntl(5, F_GETLEASE) == F_RDLCK &&
		      fcntl(6, F_GETLEASE) == F_WRLCK &&
		      fcntl(5, F_GETOWN) == getpid() &&
		      fcntl(6, F_GETOWN) == getpid() &&
		      fcntl(6, F_GETSIG) == SIGRTMIN + 3,
	      "F_GETLEASE %d %d, F_GETOWN %d %d, F_GETSIG %d",
	      fcntl(5, F_GETLEASE), fcntl(6, F_GETLEASE), fcntl(5, F_GETOWN),
	      fcntl(6, F_GETOWN), fcntl(6, F_GETSIG));
	child = fork();
	if (child == 0)
		_exit(breaker());
	ok = child > 0 && waitpid(child, &status, 0) == child;
	check("lease-breaker", ok && WIFEXITED(status) && !WEXITSTATUS(status),
	      "another process's opens found the leases (EWOULDBLOCK): status %#x",
	      status);
	ok = wait_seen(SIGIO, 1);
	check("lease-break-sigio", ok && fcntl(5, F_GETLEASE) == F_UNLCK,
	      "the read lease's holder got SIGIO (%d time(s)); F_GETLEASE now %d",
	      seen[SIGIO].count, fcntl(5, F_GETLEASE));
	ok = wait_seen(SIGRTMIN + 3, 1);
	check("lease-break-si-fd",
	      ok && seen[SIGRTMIN + 3].fd == 8 &&
		      fcntl(6, F_GETLEASE) == F_RDLCK,
	      "the write lease's holder got SIGRTMIN+3 %d time(s), si_fd %d (taken through 8); F_GETLEASE now %d",
	      seen[SIGRTMIN + 3].count, seen[SIGRTMIN + 3].fd,
	      fcntl(6, F_GETLEASE));
	fcntl(5, F_SETLEASE, F_UNLCK);
	fcntl(6, F_SETLEASE, F_UNLCK);
	return check_exit_status();
}

/* ---- memfd ---- */

static int reopen(int fd, int flags, int to)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return move_fd(open(path, flags), to);
}

static int access_is(int fd, int mode)
{
	return (fcntl(fd, F_GETFL) & O_ACCMODE) == mode;
}

static int same_inode(int a, int b)
{
	struct stat x, y;

	return !fstat(a, &x) && !fstat(b, &y) && x.st_ino == y.st_ino &&
	       x.st_dev == y.st_dev;
}

static int memfd(void)
{
	char buf[16] = "";
	int ok;

	ok = move_fd(memfd_create("cpt-rw", 0), 5) == 5 &&
	     write(5, "shared", 6) == 6 && reopen(5, O_RDONLY, 6) == 6 &&
	     reopen(5, O_WRONLY, 7) == 7 &&
	     move_fd(memfd_create("cpt-ro", 0), 9) == 9 &&
	     write(9, "alone", 5) == 5 && reopen(9, O_RDONLY, 8) == 8 &&
	     !close(9);
	if (ready_then_go(ok))
		return 1;

	check("memfd-access",
	      access_is(5, O_RDWR) && access_is(6, O_RDONLY) &&
		      access_is(7, O_WRONLY) && access_is(8, O_RDONLY),
	      "access modes %#o %#o %#o %#o", fcntl(5, F_GETFL) & O_ACCMODE,
	      fcntl(6, F_GETFL) & O_ACCMODE, fcntl(7, F_GETFL) & O_ACCMODE,
	      fcntl(8, F_GETFL) & O_ACCMODE);
	ok = same_inode(5, 6) && same_inode(5, 7) && !same_inode(5, 8) &&
	     pwrite(7, "SH", 2, 0) == 2 && pread(6, buf, 6, 0) == 6 &&
	     !strcmp(buf, "SHared");
	check("memfd-shared", ok,
	      "fds 5-7 on one memfd, writes through 7 read through 6: \"%s\"",
	      buf);
	memset(buf, 0, sizeof(buf));
	ok = pread(8, buf, 5, 0) == 5 && !strcmp(buf, "alone") &&
	     write(6, "x", 1) < 0 && errno == EBADF && read(7, buf, 1) < 0 &&
	     errno == EBADF && write(8, "x", 1) < 0;
	check("memfd-enforced", ok,
	      "read-only memfds keep their content and refuse writes; a write-only one, reads");
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	if (!strcmp(argv[1], "sigio"))
		return sigio();
	if (!strcmp(argv[1], "lease"))
		return lease();
	if (!strcmp(argv[1], "memfd"))
		return memfd();
	return 2;
}
