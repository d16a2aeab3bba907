// SPDX-License-Identifier: GPL-2.0
/*
 * A connection of the tree's own whose data still moves at the checkpoint
 * (kmod/cpt_file_inet_tcp.c cpt_inet_hold_tree(): a checkpoint --kill holds
 * it from its first FILES on). Run with a delay on lo (netem): segments are
 * still on their way between the two frozen ends while the tree is saved.
 *
 * tcp_moving DIR 4|6: a connection on the loopback address of that family,
 * buffers of 1 MiB; the parent keeps its client end, its child the
 * accepted one. Each end
 * writes its stream (every byte says its offset, inet_names.h) as fast as
 * the connection takes it and reads its peer's, checking every byte. The
 * parent says READY once each end has read 256 KiB.
 * The listener's port goes into DIR/port. The child also holds a UDP
 * socket with SO_MAX_PACING_RATE, which a checkpoint refuses: a --kill then
 * fails in the child's FILES, after the parent's (after the holds). Once
 * DIR/unrefuse appears, the child closes it and, when its end has read
 * 256 KiB more (the connection still works), creates DIR/unrefused.
 * After DIR/go (the restart), each end writes 256 KiB more, shuts down its
 * writing, writes its stream's length into DIR/sent.N, and reads its peer's
 * stream to its end: RESULT client|server PASS if every byte was right, no
 * error (no reset) came and the length is DIR/sent.N of its peer. The
 * parent exits 0 only if both ends' checks passed.
 *
 * tcp_moving DIR many N: N connections on 127.0.0.1 whose two ends this
 * process holds, quiet (more ends than the 256 holds a user may have: a
 * --kill is refused). After DIR/go each client end sends a byte, which its
 * accepted end sends back: RESULT many PASS if all N came back.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fd_wait.h"
#include "inet_names.h"
#include "sync.h"

/* What each end reads before READY, and after DIR/unrefuse. */
#define SOME (256 * 1024)
/* What each end writes after DIR/go. */
#define EXTRA (256 * 1024)

static const char *dir;

static void path_of(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

static int exists(const char *name)
{
	char path[PATH_MAX];

	path_of(path, name);
	return access(path, F_OK) == 0;
}

static void create(const char *name)
{
	char path[PATH_MAX];

	path_of(path, name);
	if (touch(path)) {
		perror(path);
		exit(2);
	}
}

struct end {
	const char *name;
	int fd;
	int dir; /* of the stream it writes; its peer's is dir ^ 1 */
	uint64_t sent, received;
	int eof; /* its peer's stream ended */
	char why[512];
};

/* Reads what there is of the peer's stream: -1 on a wrong byte or an error. */
static int drain(struct end *e)
{
	unsigned char buf[65536];
	ssize_t n, i;

	for (;;) {
		n = read(e->fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			note_to(e->why, sizeof(e->why), "read at %llu: %s",
				(unsigned long long)e->received,
				strerror(errno));
			return -1;
		}
		if (n == 0) {
			e->eof = 1;
			return 0;
		}
		for (i = 0; i < n; i++)
			if (buf[i] !=
			    stream_byte(e->received + i, e->dir ^ 1)) {
				note_to(e->why, sizeof(e->why),
					"byte %llu is %#x, not %#x",
					(unsigned long long)(e->received + i),
					buf[i],
					stream_byte(e->received + i,
						    e->dir ^ 1));
				return -1;
			}
		e->received += n;
	}
}

/*
 * Until DIR/go: writes and reads, the markers looked at every 20 ms, the
 * child's also for DIR/unrefuse.
 */
static int stream_until_go(struct end *e, int refused, pid_t child)
{
	uint64_t unrefused_at = 0;
	struct timespec last;
	int said_ready = 0;

	clock_gettime(CLOCK_MONOTONIC, &last);
	for (;;) {
		struct pollfd p = { .fd = e->fd, .events = POLLIN | POLLOUT };

		if (poll(&p, 1, 20) < 0 && errno != EINTR)
			die("poll");
		stream_fill(e->fd, e->dir, &e->sent, UINT64_MAX);
		if (drain(e))
			return -1;
		/* Its peer saw DIR/go first: it may have ended its stream already. */
		if (e->eof && !exists("go")) {
			note_to(e->why, sizeof(e->why), "%s",
				"its peer's stream ended before DIR/go");
			return -1;
		}
		if (e->eof)
			return 0;
		if (ms_since(&last) < 20)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &last);
		if (!child && e->received >= SOME && !exists("flowing"))
			create("flowing");
		if (child && !said_ready && e->received >= SOME &&
		    exists("flowing")) {
			printf("READY %d\n", child);
			fflush(stdout);
			said_ready = 1;
		}
		if (refused >= 0 && exists("unrefuse")) {
			close(refused);
			refused = -1;
			unrefused_at = e->received + SOME;
		}
		if (unrefused_at && e->received >= unrefused_at) {
			create("unrefused");
			unrefused_at = 0;
		}
		if (exists("go"))
			return 0;
	}
}

/* Writes the length of e's stream into DIR/sent.N. */
static void say_sent(const struct end *e)
{
	char path[PATH_MAX], name[32];
	FILE *f;

	snprintf(name, sizeof(name), "sent.%d", e->dir);
	path_of(path, name);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%llu\n", (unsigned long long)e->sent) < 0 ||
	    fclose(f))
		die(path);
}

/* After DIR/go: EXTRA more, the end of the stream, the peer's to its end. */
static int finish(struct end *e)
{
	uint64_t limit = e->sent + EXTRA;
	char path[PATH_MAX], name[32];
	unsigned long long peer_sent;
	int shut = 0;
	FILE *f;

	while (!shut || !e->eof) {
		struct pollfd p = { .fd = e->fd,
				    .events = POLLIN | (shut ? 0 : POLLOUT) };

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll");
		if (!shut) {
			stream_fill(e->fd, e->dir, &e->sent, limit);
			if (e->sent == limit) {
				if (shutdown(e->fd, SHUT_WR)) {
					note_to(e->why, sizeof(e->why),
						"shutdown: %s",
						strerror(errno));
					return -1;
				}
				say_sent(e);
				shut = 1;
			}
		}
		if (drain(e))
			return -1;
	}
	snprintf(name, sizeof(name), "sent.%d", e->dir ^ 1);
	path_of(path, name);
	wait_for(path);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%llu", &peer_sent) != 1)
		die(path);
	fclose(f);
	if (peer_sent != e->received) {
		note_to(e->why, sizeof(e->why),
			"read %llu bytes of a stream of %llu",
			(unsigned long long)e->received, peer_sent);
		return -1;
	}
	return 0;
}

/*
 * Buffers of 1 MiB (the kernel doubles what is set): each queue stays
 * under the 4 MiB a checkpoint saves, which autotuning would pass.
 */
static int bounded(int fd)
{
	int size = 512 * 1024;

	return setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size)) ||
	       setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

static void run(struct end *e, int refused, pid_t child)
{
	int ret = stream_until_go(e, refused, child);

	if (!ret)
		ret = finish(e);
	check(e->name, !ret, "%s%sreceived %llu bytes", e->why,
	      e->why[0] ? "; " : "", (unsigned long long)e->received);
}

static int many(int n)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_address(&ss, AF_INET, 0);
	int lfd = socket(AF_INET, SOCK_STREAM, 0), *fds, i, echoed = 0;
	char path[PATH_MAX], b;

	fds = calloc(2 * n, sizeof(*fds));
	if (!fds || lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) ||
	    listen(lfd, n) || getsockname(lfd, (struct sockaddr *)&ss, &len))
		die("listener");
	for (i = 0; i < n; i++) {
		fds[2 * i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[2 * i] < 0 ||
		    connect(fds[2 * i], (struct sockaddr *)&ss, len))
			die("connect");
		fds[2 * i + 1] = accept(lfd, NULL, NULL);
		if (fds[2 * i + 1] < 0)
			die("accept");
	}
	close(lfd);
	printf("READY\n");
	fflush(stdout);
	path_of(path, "go");
	wait_for(path);
	for (i = 0; i < n; i++)
		echoed += write(fds[2 * i], "x", 1) == 1 &&
			  read(fds[2 * i + 1], &b, 1) == 1 &&
			  write(fds[2 * i + 1], &b, 1) == 1 &&
			  read(fds[2 * i], &b, 1) == 1 && b == 'x';
	check("many", echoed == n, "%d of %d connections echoed a byte", echoed,
	      n);
	return echoed == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int family, lfd, cfd, sfd, refused, status;
	char path[PATH_MAX];
	FILE *f;
	unsigned long rate = 1000000;
	struct end e = { 0 };
	pid_t child;

	if (argc == 4 && !strcmp(argv[2], "many")) {
		dir = argv[1];
		return many(atoi(argv[3]));
	}
	if (argc != 3 || (strcmp(argv[2], "4") && strcmp(argv[2], "6"))) {
		fprintf(stderr, "usage: tcp_moving DIR 4|6, or DIR many N\n");
		return 2;
	}
	dir = argv[1];
	family = argv[2][0] == '4' ? AF_INET : AF_INET6;
	len = loopback_address(&ss, family, 0);
	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0 || bounded(lfd) || bind(lfd, (struct sockaddr *)&ss, len) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&ss, &len))
		die("listener");
	cfd = socket(family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (cfd < 0 || bounded(cfd) ||
	    (connect(cfd, (struct sockaddr *)&ss, len) && errno != EINPROGRESS))
		die("connect");
	sfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
	if (sfd < 0)
		die("accept");
	path_of(path, "port");
	f = fopen(path, "w");
	if (!f ||
	    fprintf(f, "%u\n",
		    ntohs(family == AF_INET ?
				  ((struct sockaddr_in *)&ss)->sin_port :
				  ((struct sockaddr_in6 *)&ss)->sin6_port)) <
		    0 ||
	    fclose(f))
		die(path);
	close(lfd);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(cfd);
		refused = socket(AF_INET, SOCK_DGRAM, 0);
		if (refused < 0 ||
		    setsockopt(refused, SOL_SOCKET, SO_MAX_PACING_RATE, &rate,
			       sizeof(rate)))
			die("SO_MAX_PACING_RATE");
		e = (struct end){ .name = "server", .fd = sfd, .dir = 1 };
		run(&e, refused, 0);
		return check_failures ? 1 : 0;
	}
	close(sfd);
	e = (struct end){ .name = "client", .fd = cfd, .dir = 0 };
	run(&e, -1, child);
	/* The tree's exit status says both ends' checks. */
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		check_failures++;
	return check_failures ? 1 : 0;
}
