/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An epoll instance whose interest list outlives some of its fds: a pipe
 * watched at fd 999 which was closed since (its file held at another fd),
 * a pipe watched at a number that now names another file, two fds of one
 * pipe watched each with its own data, and a nested epoll instance that
 * watches a pipe of its own. After the restart, each entry must still
 * report its own file's events with its data, and the nested instance its
 * pipe's. A child with an epoll instance of its own, and a grandchild,
 * make a tree whose later processes a hostile image can fail.
 * Usage: epoll_kept DIR   (goes on once DIR/go exists)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CLOSED_FD 999

/* Each entry's data, a multiple of 11: bit data / 11 of a ready set. */
enum {
	DATA_CLOSED = 11,
	DATA_REUSED = 22,
	DATA_DUP_A = 33,
	DATA_DUP_B = 44,
	DATA_NESTED = 55,
	DATA_INNER = 66,
	DATA_REUSER = 77,
};

#define BIT(d) (1U << ((d) / 11))

static int add(int ep, int fd, uint64_t data)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The ready entries, as a set of their data's bits. */
static unsigned int ready_set(int ep)
{
	struct epoll_event ev[16];
	unsigned int set = 0;
	int n, i;

	n = epoll_wait(ep, ev, 16, 0);
	for (i = 0; i < n; i++)
		set |= 1U << (ev[i].data.u64 / 11);
	return n < 0 ? ~0U : set;
}

static void wait_go(const char *go)
{
	const struct timespec tick = { 0, 10000000 };

	while (access(go, F_OK))
		nanosleep(&tick, NULL);
}

/* The child: an epoll instance watching a pipe, and a grandchild. */
static int child(const char *go, int ready)
{
	int ep = epoll_create1(0), p[2], status = -1;
	char byte = 'c';
	pid_t grandchild;
	unsigned int got;

	if (ep < 0 || pipe(p) || add(ep, p[0], DATA_INNER))
		return 1;
	grandchild = fork();
	if (grandchild == 0) {
		wait_go(go);
		_exit(0);
	}
	if (grandchild < 0 || write(ready, &byte, 1) != 1)
		return 1;
	wait_go(go);
	if (write(p[1], &byte, 1) != 1)
		return 1;
	got = ready_set(ep);
	if (waitpid(grandchild, &status, 0) != grandchild)
		return 1;
	return got == BIT(DATA_INNER) && status == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	int closed[2], reused[2], dup_pipe[2], inner_pipe[2], sync[2];
	int ep, inner, reused_fd, reuser, dup_b, status = -1;
	char go[4096], byte = 'x';
	unsigned int got, want;
	pid_t kid;
	int ok;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	if (pipe(sync))
		return 1;
	kid = fork();
	if (kid == 0) {
		close(sync[0]);
		_exit(child(go, sync[1]));
	}
	close(sync[1]);
	if (kid < 0 || read(sync[0], &byte, 1) != 1) {
		check("setup", 0, "child: %s", strerror(errno));
		return 1;
	}
	close(sync[0]);

	ep = epoll_create1(0);
	inner = epoll_create1(0);
	if (ep < 0 || inner < 0 || pipe(closed) || pipe(reused) ||
	    pipe(dup_pipe) || pipe(inner_pipe)) {
		check("setup", 0, "%s", strerror(errno));
		return 1;
	}
	/* Watched at fd 999, which is then closed: the file stays at closed[0]. */
	ok = dup2(closed[0], CLOSED_FD) == CLOSED_FD &&
	     !add(ep, CLOSED_FD, DATA_CLOSED) && !close(CLOSED_FD);
	/* Watched at a number that then names an eventfd, watched too. */
	reused_fd = reused[0];
	reused[0] = dup(reused_fd);
	ok = ok && reused[0] >= 0 && !add(ep, reused_fd, DATA_REUSED) &&
	     !close(reused_fd);
	reuser = eventfd(0, 0);
	ok = ok && reuser == reused_fd && !add(ep, reuser, DATA_REUSER);
	/* Two fds of one pipe, each its own entry. */
	dup_b = dup(dup_pipe[0]);
	ok = ok && dup_b >= 0 && !add(ep, dup_pipe[0], DATA_DUP_A) &&
	     !add(ep, dup_b, DATA_DUP_B);
	/* A nested instance. */
	ok = ok && !add(inner, inner_pipe[0], DATA_INNER) &&
	     !add(ep, inner, DATA_NESTED);
	if (!ok) {
		check("setup", 0, "%s", strerror(errno));
		return 1;
	}

	printf("READY\n");
	wait_go(go);

	got = ready_set(ep);
	check("epoll-quiet", got == 0, "nothing ready before any write: %#x",
	      got);
	ok = write(closed[1], &byte, 1) == 1;
	got = ready_set(ep);
	check("epoll-closed-fd", ok && got == BIT(DATA_CLOSED),
	      "the entry of closed fd %d reports its pipe: %#x", CLOSED_FD,
	      got);
	ok = write(reused[1], &byte, 1) == 1;
	got = ready_set(ep);
	want = BIT(DATA_CLOSED) | BIT(DATA_REUSED);
	check("epoll-reused-fd", ok && got == want,
	      "the entry of fd %d, now another file's, reports its own pipe: %#x",
	      reused_fd, got);
	ok = eventfd_write(reuser, 1) == 0;
	got = ready_set(ep);
	want |= BIT(DATA_REUSER);
	check("epoll-reuser", ok && got == want,
	      "the file now at fd %d has its own entry: %#x", reused_fd, got);
	ok = write(dup_pipe[1], &byte, 1) == 1;
	got = ready_set(ep);
	want |= BIT(DATA_DUP_A) | BIT(DATA_DUP_B);
	check("epoll-dup-fds", ok && got == want,
	      "both fds of one pipe report it: %#x", got);
	ok = write(inner_pipe[1], &byte, 1) == 1;
	got = ready_set(ep);
	want |= BIT(DATA_NESTED);
	check("epoll-nested",
	      ok && got == want && ready_set(inner) == BIT(DATA_INNER),
	      "the nested instance reports its pipe, and is reported: %#x",
	      got);
	ok = waitpid(kid, &status, 0) == kid && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	check("epoll-child", ok,
	      "the child's epoll instance reports its pipe; status %#x",
	      status);
	return check_exit_status();
}
