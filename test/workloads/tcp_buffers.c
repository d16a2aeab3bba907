// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections whose queues are as full as their buffers let them be
 * (kmod/cpt_file_inet_tcp.c, cpt_compat_tcp.c).
 *
 * tcp_buffers full DIR: two v4 connections on 127.0.0.1, all four ends in
 * this process.
 *   send    its client sets SO_SNDBUF 64 KiB and writes until its send
 *           queue is really full (an EAGAIN once tcp_quiet()): the peer's
 *           window closed, the rest unsent; its server reads nothing
 *   receive its server (SO_RCVBUF 64 KiB, from its listener) lets its
 *           client fill its receive queue until the window closes, then
 *           lowers SO_RCVBUF to 4 KiB, below what it holds
 * After DIR/go: SO_SNDBUF and SO_RCVBUF of each end read back as before
 * ("buffers"); each client writes 256 KiB more and shuts down its writing,
 * each server reads its client's stream to the end, every byte as written
 * ("send", "receive").
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/sockios.h>

#include "check.h"
#include "inet_names.h"
#include "sync.h"
#include "fd_wait.h"

/* What each client writes after the restart, then shuts down. */
#define EXTRA (256 * 1024)
#define SNDBUF 65536
#define RCVBUF 65536
#define RCVBUF_LOWERED 4096

static char go[PATH_MAX];

static int get_int(int fd, int level, int name)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, level, name, &val, &len))
		die("getsockopt");
	return val;
}

static void nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die("fcntl");
}

/* A client connected to a listener on 127.0.0.1 with rcvbuf set (0: not), and the server end. */
static void connected(int rcvbuf, int *client, int *server)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_address(&ss, AF_INET, 0);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	if (l < 0 ||
	    (rcvbuf &&
	     setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(int))) ||
	    bind(l, (struct sockaddr *)&ss, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&ss, &len))
		die("listener");
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&ss, len))
		die("connect");
	*server = accept(l, NULL, NULL);
	if (*server < 0)
		die("accept");
	close(l);
}

/*
 * Writes the stream of direction dir on the non-blocking fd until a send
 * would block and go on blocking: on loopback the peer's acks free the send
 * buffer (and autotuning grows an unset one) until the peer's window
 * closes, so only an EAGAIN once tcp_quiet() is full.
 */
static void fill_full(int fd, int dir, uint64_t *sent, char *why, size_t size)
{
	char seen[128] = "";
	struct timespec start;
	uint64_t before;
	int quiet;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ms_since(&start) < 20000) {
		quiet = tcp_quiet(fd, seen, sizeof(seen));
		before = *sent;
		stream_fill(fd, dir, sent, UINT64_MAX);
		if (*sent == before && quiet)
			return;
		if (*sent == before)
			nap();
	}
	note_to(why, size, "stream %d still takes data after 20 s: %s", dir,
		seen);
}

struct end {
	const char *name;
	int fd, dir; /* the stream it writes; it reads dir ^ 1's */
	uint64_t sent, received;
	int sndbuf, rcvbuf;
};

/* Reads what fd has of direction dir's stream; -1 if a byte is wrong, 1 at its end. */
static int take(int fd, int dir, uint64_t *received, char *why, size_t size)
{
	unsigned char buf[16384];
	ssize_t n, i;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			note_to(why, size, "read: %s", strerror(errno));
			return -1;
		}
		if (!n)
			return 1;
		for (i = 0; i < n; i++) {
			if (buf[i] != stream_byte(*received + i, dir)) {
				note_to(why, size, "byte %llu is %#x, not %#x",
					(unsigned long long)(*received + i),
					buf[i],
					stream_byte(*received + i, dir));
				return -1;
			}
		}
		*received += n;
	}
}

/*
 * After go: each client (even index) writes EXTRA more and shuts down,
 * each server (odd) reads its client's stream to the end, within 30 s.
 */
static void finish_full(struct end *e, char why[][512])
{
	uint64_t target[4];
	int i, done[4] = { 0 }, all, r;
	struct pollfd pfd[4];
	struct timespec start;

	for (i = 0; i < 4; i += 2)
		target[i] = e[i].sent + EXTRA;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		for (all = 1, i = 0; i < 4; i++) {
			pfd[i].fd = e[i].fd;
			pfd[i].events = done[i] ? 0 : i % 2 ? POLLIN : POLLOUT;
			all &= done[i];
		}
		if (all || ms_since(&start) > 30000)
			break;
		if (poll(pfd, 4, 1000) < 0)
			die("poll");
		for (i = 0; i < 4; i++) {
			if (done[i] || !pfd[i].revents)
				continue;
			if (i % 2 == 0) {
				stream_fill(e[i].fd, e[i].dir, &e[i].sent,
					    target[i]);
				if (e[i].sent == target[i]) {
					if (shutdown(e[i].fd, SHUT_WR))
						note_to(why[i], sizeof(why[i]),
							"shutdown: %s",
							strerror(errno));
					done[i] = 1;
				}
				continue;
			}
			r = take(e[i].fd, e[i - 1].dir, &e[i].received, why[i],
				 sizeof(why[i]));
			done[i] = r != 0;
		}
	}
	for (i = 0; i < 4; i++)
		if (!done[i])
			note_to(why[i], sizeof(why[i]),
				"%s not done within 30 s", e[i].name);
}

static int full(void)
{
	struct end e[4] = {
		{ .name = "send-client", .dir = 0 },
		{ .name = "send-server", .dir = 1 },
		{ .name = "receive-client", .dir = 2 },
		{ .name = "receive-server", .dir = 3 },
	};
	char why[4][512] = { "", "", "", "" }, setup[512] = "", bufs[512] = "";
	int i, out, unsent, in;

	connected(0, &e[0].fd, &e[1].fd);
	if (setsockopt(e[0].fd, SOL_SOCKET, SO_SNDBUF, &(int){ SNDBUF },
		       sizeof(int)))
		die("SO_SNDBUF");
	connected(RCVBUF, &e[2].fd, &e[3].fd);
	/* Its client's queue kept small: after go it drains through the server's window. */
	if (setsockopt(e[2].fd, SOL_SOCKET, SO_SNDBUF, &(int){ SNDBUF },
		       sizeof(int)))
		die("SO_SNDBUF");
	for (i = 0; i < 4; i++)
		nonblock(e[i].fd);
	fill_full(e[0].fd, e[0].dir, &e[0].sent, setup, sizeof(setup));
	fill_full(e[2].fd, e[2].dir, &e[2].sent, setup, sizeof(setup));
	if (setsockopt(e[3].fd, SOL_SOCKET, SO_RCVBUF, &(int){ RCVBUF_LOWERED },
		       sizeof(int)))
		die("SO_RCVBUF");
	for (i = 0; i < 4; i++) {
		e[i].sndbuf = get_int(e[i].fd, SOL_SOCKET, SO_SNDBUF);
		e[i].rcvbuf = get_int(e[i].fd, SOL_SOCKET, SO_RCVBUF);
	}
	if (ioctl(e[0].fd, SIOCOUTQ, &out) ||
	    ioctl(e[0].fd, SIOCOUTQNSD, &unsent) ||
	    ioctl(e[3].fd, SIOCINQ, &in))
		die("ioctl");
	/* Full: more queued than SO_SNDBUF's half, some never sent; more received than SO_RCVBUF now. */
	if (out < SNDBUF || !unsent)
		note_to(setup, sizeof(setup), "send queue %d bytes, %d unsent",
			out, unsent);
	if (in <= e[3].rcvbuf)
		note_to(setup, sizeof(setup),
			"receive queue %d bytes, SO_RCVBUF %d", in,
			e[3].rcvbuf);
	check("in-flight", !*setup,
	      "send queue %d bytes (%d unsent, SO_SNDBUF %d), receive queue %d bytes (SO_RCVBUF %d)%s%s",
	      out, unsent, e[0].sndbuf, in, e[3].rcvbuf, *setup ? ": " : "",
	      setup);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	for (i = 0; i < 4; i++) {
		if (get_int(e[i].fd, SOL_SOCKET, SO_SNDBUF) != e[i].sndbuf ||
		    get_int(e[i].fd, SOL_SOCKET, SO_RCVBUF) != e[i].rcvbuf)
			note_to(bufs, sizeof(bufs),
				"%s: SO_SNDBUF %d, SO_RCVBUF %d, were %d, %d",
				e[i].name,
				get_int(e[i].fd, SOL_SOCKET, SO_SNDBUF),
				get_int(e[i].fd, SOL_SOCKET, SO_RCVBUF),
				e[i].sndbuf, e[i].rcvbuf);
	}
	check("buffers", !*bufs,
	      "SO_SNDBUF and SO_RCVBUF of the four ends as before%s%s",
	      *bufs ? ": " : "", bufs);
	/* Checked: the rest would crawl through a window of 4 KiB. */
	if (setsockopt(e[3].fd, SOL_SOCKET, SO_RCVBUF, &(int){ RCVBUF },
		       sizeof(int)))
		die("SO_RCVBUF");
	finish_full(e, why);
	for (i = 1; i < 4; i += 2) {
		if (*why[i])
			note_to(why[i - 1], sizeof(why[i - 1]), "%s", why[i]);
		check(i == 1 ? "send" : "receive",
		      !*why[i - 1] && e[i].received == e[i - 1].sent,
		      "read %llu bytes of %llu written, each as written%s%s",
		      (unsigned long long)e[i].received,
		      (unsigned long long)e[i - 1].sent,
		      *why[i - 1] ? ": " : "", why[i - 1]);
	}
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tcp_buffers full DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	if (!strcmp(argv[1], "full"))
		return full();
	fprintf(stderr, "tcp_buffers: unknown mode %s\n", argv[1]);
	return 2;
}
