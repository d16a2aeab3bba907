// SPDX-License-Identifier: GPL-2.0
/*
 * A process with some 21,000 fds, of the kinds whose lookups a checkpoint
 * or restart once made in time quadratic in the fd count (security review
 * F12): 6,000 epoll instances each watching an eventfd of its own (6,000
 * more), 2,000 unix socket pairs, 2,000 pipes, and a pty whose slave is open
 * at 1,000 fds. It prints READY; after DIR/go it checks that every fd is
 * back, that each epoll instance reports its own eventfd and no other, and
 * that pairs, pipes and the pty still carry data.
 * Usage: many_fds DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "check.h"
#include "sync.h"

#define EPOLLS 6000
#define PAIRS 2000
#define PIPES 2000
#define SLAVE_DUPS 1000
#define FDS (2 * EPOLLS + 2 * PAIRS + 2 * PIPES + 1 + SLAVE_DUPS)

static int epolls[EPOLLS], eventfds[EPOLLS], pairs[PAIRS][2], pipes[PIPES][2];
static int master, slaves[SLAVE_DUPS];

static int make_all(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int i;

	for (i = 0; i < EPOLLS; i++) {
		eventfds[i] = eventfd(0, EFD_NONBLOCK);
		epolls[i] = epoll_create1(0);
		ev.data.u32 = i;
		if (eventfds[i] < 0 || epolls[i] < 0 ||
		    epoll_ctl(epolls[i], EPOLL_CTL_ADD, eventfds[i], &ev))
			return -1;
	}
	for (i = 0; i < PAIRS; i++)
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[i]))
			return -1;
	for (i = 0; i < PIPES; i++)
		if (pipe(pipes[i]))
			return -1;
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master))
		return -1;
	slaves[0] = open(ptsname(master), O_RDWR | O_NOCTTY);
	for (i = 1; i < SLAVE_DUPS && slaves[0] >= 0; i++)
		slaves[i] = dup(slaves[0]);
	return slaves[SLAVE_DUPS - 1] < 0 ? -1 : 0;
}

/* Each epoll instance reports its own eventfd, once written, and only it. */
static int check_epolls(void)
{
	struct epoll_event ev;
	uint64_t one = 1;
	int i, bad = 0;

	for (i = 0; i < EPOLLS; i++) {
		if (write(eventfds[i], &one, sizeof(one)) != sizeof(one) ||
		    epoll_wait(epolls[i], &ev, 1, 0) != 1 ||
		    ev.data.u32 != (uint32_t)i)
			bad++;
		if (i + 1 < EPOLLS && epoll_wait(epolls[i + 1], &ev, 1, 0) != 0)
			bad++;
		if (read(eventfds[i], &one, sizeof(one)) != sizeof(one))
			bad++;
	}
	return bad;
}

static int check_streams(void)
{
	char c;
	int i, bad = 0;

	for (i = 0; i < PAIRS; i++)
		if (write(pairs[i][0], "p", 1) != 1 ||
		    read(pairs[i][1], &c, 1) != 1 || c != 'p')
			bad++;
	for (i = 0; i < PIPES; i++)
		if (write(pipes[i][1], "q", 1) != 1 ||
		    read(pipes[i][0], &c, 1) != 1 || c != 'q')
			bad++;
	if (write(master, "x\n", 2) != 2 ||
	    read(slaves[SLAVE_DUPS - 1], &c, 1) != 1 || c != 'x')
		bad++;
	return bad;
}

static int count_fds(void)
{
	int fd, n = 0;

	for (fd = 0; fd < FDS + 64; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

int main(int argc, char **argv)
{
	struct rlimit lim = { FDS + 64, FDS + 64 };
	char go[4096];
	int before, after, bad;

	if (argc != 2)
		return 2;
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	if (setrlimit(RLIMIT_NOFILE, &lim) || make_all()) {
		printf("cannot make %d fds: %s\n", FDS, strerror(errno));
		return 2;
	}
	before = count_fds();
	printf("READY %d fds\n", before);
	fflush(stdout);
	wait_for(go);
	after = count_fds();
	check("fds", after == before, "%d fds after the restart, %d before",
	      after, before);
	bad = check_epolls();
	check("epolls", !bad, "%d wrong answers of %d epoll instances", bad,
	      EPOLLS);
	bad = check_streams();
	check("streams", !bad,
	      "%d of %d pairs, pipes and the pty carry no data", bad,
	      PAIRS + PIPES + 1);
	return check_exit_status();
}
