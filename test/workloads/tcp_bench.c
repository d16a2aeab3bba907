// SPDX-License-Identifier: GPL-2.0
/*
 * A TCP echo server with N established connections whose clients are
 * outside its tree, for benchmarks (bench/guest.ts): what checkpoint --kill
 * --tcp-established (and CRIU's dump --tcp-established) is for.
 *
 * Usage: tcp_bench DIR server N
 *   The tree: listens on 127.0.0.1 (its port in DIR/port), accepts N
 *   connections, then writes DIR/ready (its pid) and echoes every byte it
 *   reads, on non-blocking sockets under one epoll instance, until killed.
 * Usage: tcp_bench DIR clients N
 *   Outside the tree: opens the N connections and prints "READY N". Each
 *   line "echo" on stdin is a round: every connection sends the next 256
 *   bytes of its own stream (inet_names.h's stream_byte(), its index the
 *   direction) and must read the same bytes back, in order, within 30 s,
 *   and be ESTABLISHED with no error pending; then it prints "ECHOED ..."
 *   or "FAIL conn I: what went wrong" (a reset, an EOF, a wrong byte, a
 *   timeout). It ends at the end of stdin.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "fd_wait.h"
#include "files.h"
#include "inet_names.h"
#include "sync.h"

#define ROUND_BYTES 256
#define ROUND_TIMEOUT_MS 30000

/* One accepted connection: what it read and could not write back yet. */
struct echo_conn {
	int fd;
	size_t off, len;
	unsigned char pending[4096];
};

static void watch(int ep, int op, int fd, uint32_t events, void *ptr)
{
	struct epoll_event ev = { .events = events, .data.ptr = ptr };

	if (epoll_ctl(ep, op, fd, &ev))
		die("epoll_ctl");
}

/* The client went (or failed): the bench is done with this run. */
static void drop(struct echo_conn *c)
{
	close(c->fd);
	c->fd = -1;
}

/*
 * After a send() or recv() of n bytes: 0 if it moved some; else 1, c then
 * waiting for events (EAGAIN) or dropped (an error, or the client's EOF).
 */
static int stalled(int ep, struct echo_conn *c, ssize_t n, uint32_t events)
{
	if (n > 0)
		return 0;
	if (n < 0 && errno == EAGAIN)
		watch(ep, EPOLL_CTL_MOD, c->fd, events, c);
	else
		drop(c);
	return 1;
}

/*
 * Writes back what c read; reads more once all of it went out. EPOLLOUT
 * instead of EPOLLIN while some waits: the peer's pace is the server's.
 */
static void echo(int ep, struct echo_conn *c)
{
	ssize_t n;

	for (;;) {
		while (c->off < c->len) {
			n = send(c->fd, c->pending + c->off, c->len - c->off,
				 MSG_NOSIGNAL);
			if (stalled(ep, c, n, EPOLLOUT))
				return;
			c->off += n;
		}
		n = recv(c->fd, c->pending, sizeof(c->pending), 0);
		if (stalled(ep, c, n, EPOLLIN))
			return;
		c->off = 0;
		c->len = n;
	}
}

static int server(const char *dir, long n)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct epoll_event events[64];
	struct echo_conn *conns = calloc(n, sizeof(*conns));
	long accepted = 0, i;
	char path[PATH_MAX], tmp[PATH_MAX], text[32];
	int lfd, ep, got, fd;

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	len = loopback_address(&ss, AF_INET, 0);
	if (!conns || lfd < 0 || bind(lfd, (struct sockaddr *)&ss, len) ||
	    listen(lfd, n) || getsockname(lfd, (struct sockaddr *)&ss, &len))
		die("listen");
	ep = epoll_create1(0);
	if (ep < 0)
		die("epoll_create1");
	watch(ep, EPOLL_CTL_ADD, lfd, EPOLLIN, NULL);
	snprintf(text, sizeof(text), "%u\n",
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	/* Whole or not at all: the clients read it once it exists. */
	snprintf(path, sizeof(path), "%s/port", dir);
	snprintf(tmp, sizeof(tmp), "%s/port.tmp", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write_all(fd, text, strlen(text)) || close(fd) ||
	    rename(tmp, path))
		die(path);
	for (;;) {
		got = epoll_wait(ep, events, 64, -1);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			die("epoll_wait");
		for (i = 0; i < got; i++) {
			struct echo_conn *c = events[i].data.ptr;

			if (c) {
				if (c->fd >= 0)
					echo(ep, c);
				continue;
			}
			while (accepted < n &&
			       (fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >=
				       0) {
				conns[accepted].fd = fd;
				watch(ep, EPOLL_CTL_ADD, fd, EPOLLIN,
				      &conns[accepted]);
				accepted++;
			}
			if (accepted < n)
				continue;
			/* The N the bench opens; the listener stays, unwatched. */
			watch(ep, EPOLL_CTL_DEL, lfd, 0, NULL);
			if (publish_ready(dir))
				return 2;
		}
	}
}

/* The client end of connection i, and how far its stream went each way. */
struct client_conn {
	int fd;
	uint64_t sent, echoed;
};

static const char *client_error(struct client_conn *c, int i)
{
	static char why[160];
	int err = 0, state = tcp_state(c->fd);
	socklen_t len = sizeof(err);

	getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		snprintf(why, sizeof(why), "conn %d: %s", i, strerror(err));
	else if (state != TCP_ESTABLISHED)
		snprintf(why, sizeof(why),
			 "conn %d: TCP state %d, not ESTABLISHED", i, state);
	else
		return NULL;
	return why;
}

/* Reads what c has; a note into why (of size bytes) on anything but its own bytes back. */
static void client_read(struct client_conn *c, int i, char *why, size_t size)
{
	unsigned char buf[4096];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT), k;

	if (n < 0 && errno == EAGAIN)
		return;
	if (n < 0) {
		snprintf(why, size, "conn %d: recv: %s", i, strerror(errno));
		return;
	}
	if (n == 0) {
		snprintf(why, size, "conn %d: EOF after %llu bytes echoed", i,
			 (unsigned long long)c->echoed);
		return;
	}
	for (k = 0; k < n; k++, c->echoed++) {
		if (c->echoed >= c->sent ||
		    buf[k] != stream_byte(c->echoed, i)) {
			snprintf(why, size,
				 "conn %d: byte %llu of its stream is wrong", i,
				 (unsigned long long)c->echoed);
			return;
		}
	}
}

/* One round; 0 when every connection echoed its bytes, else why in why. */
static int client_round(struct client_conn *conns, long n, char *why,
			size_t size)
{
	struct pollfd *p = calloc(n, sizeof(*p));
	struct timespec start;
	const char *err;
	long i, waiting;

	if (!p)
		die("calloc");
	why[0] = '\0';
	for (i = 0; i < n && !why[0]; i++) {
		if ((err = client_error(&conns[i], i)))
			snprintf(why, size, "before the round: %s", err);
		else
			stream_fill(conns[i].fd, i, &conns[i].sent,
				    conns[i].sent + ROUND_BYTES);
		if (!why[0] && conns[i].sent != conns[i].echoed + ROUND_BYTES)
			snprintf(why, size, "conn %d: send buffer full",
				 (int)i);
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (waiting = n; waiting && !why[0];) {
		if (ms_since(&start) > ROUND_TIMEOUT_MS) {
			for (i = 0; conns[i].echoed == conns[i].sent; i++)
				;
			snprintf(
				why, size,
				"%ld connections short of their echo after %d s, conn %ld first (%llu of %llu bytes)",
				waiting, ROUND_TIMEOUT_MS / 1000, i,
				(unsigned long long)conns[i].echoed,
				(unsigned long long)conns[i].sent);
			break;
		}
		for (i = 0; i < n; i++)
			p[i] = (struct pollfd){
				.fd = conns[i].echoed < conns[i].sent ?
					      conns[i].fd :
					      -1,
				.events = POLLIN,
			};
		if (poll(p, n, 100) < 0 && errno != EINTR)
			die("poll");
		for (i = 0, waiting = 0; i < n && !why[0]; i++) {
			if (p[i].revents)
				client_read(&conns[i], i, why, size);
			waiting += conns[i].echoed < conns[i].sent;
		}
	}
	/* The echo came: was the connection reset or closed since? */
	for (i = 0; i < n && !why[0]; i++)
		if ((err = client_error(&conns[i], i)))
			snprintf(why, size, "%s", err);
	free(p);
	return why[0] ? -1 : 0;
}

static int clients(const char *dir, long n)
{
	struct client_conn *conns = calloc(n, sizeof(*conns));
	struct sockaddr_storage ss;
	char path[PATH_MAX], text[32], line[64], why[256];
	long i, rounds = 0;
	socklen_t len;

	if (!conns)
		die("calloc");
	snprintf(path, sizeof(path), "%s/port", dir);
	if (!wait_for_file(path, 60000) || slurp(path, text, sizeof(text)))
		die("port file");
	len = loopback_address(&ss, AF_INET, atoi(text));
	for (i = 0; i < n; i++) {
		conns[i].fd = socket(AF_INET, SOCK_STREAM, 0);
		if (conns[i].fd < 0 ||
		    connect(conns[i].fd, (struct sockaddr *)&ss, len) ||
		    fcntl(conns[i].fd, F_SETFL, O_NONBLOCK))
			die("connect");
	}
	printf("READY %ld\n", n);
	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "echo\n")) {
			printf("FAIL unknown command %s", line);
			continue;
		}
		rounds++;
		if (client_round(conns, n, why, sizeof(why)))
			printf("FAIL round %ld: %s\n", rounds, why);
		else
			printf("ECHOED %ld connections, round %ld, %llu bytes each way on each\n",
			       n, rounds, (unsigned long long)conns[0].echoed);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc == 4 ? atol(argv[3]) : 0;

	if (n < 1) {
		fprintf(stderr, "usage: %s DIR server|clients N\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	raise_fd_limit(n);
	if (!strcmp(argv[2], "server"))
		return server(argv[1], n);
	if (!strcmp(argv[2], "clients"))
		return clients(argv[1], n);
	fprintf(stderr, "usage: %s DIR server|clients N\n", argv[0]);
	return 2;
}
