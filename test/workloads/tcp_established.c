// SPDX-License-Identifier: GPL-2.0
/*
 * Established TCP connections through a checkpoint (kmod/cpt_file_inet_tcp.c,
 * TCP repair mode at the restart).
 *
 * tcp_established pairs DIR: a v4 connection on 127.0.0.1 and a v6 one on
 * [::1], their listeners kept. Each end writes a stream whose every byte
 * says its offset until the connection takes no more, the other end having
 * read part of it: at the checkpoint both directions have data received and
 * not read, and data written and not sent. Then the process forks: the
 * child keeps the accepted ends ("servers"), the parent the "clients". After
 * DIR/go each end writes more, shuts down its writing, and reads to the end
 * of its peer's stream, checking every byte and the total; the options
 * agreed at the handshake (SACK, timestamps, window scales) and the ones set
 * (TCP_NODELAY, SO_KEEPALIVE, TCP_KEEPIDLE) are those of before.
 *
 * tcp_established outside DIR: a connection whose server end is held by
 * this process and whose client end by its child, the tree to checkpoint
 * (its pid in DIR/pid): its peer is outside that tree. After DIR/go the two
 * exchange a byte each way ("kept").
 *
 * tcp_established outside-bound DIR: the same, its client end (the tree's)
 * bound to lo (SO_BINDTODEVICE) before it connects.
 *
 * tcp_established keepalive DIR: a v4 connection, nothing in flight, its
 * client end in this process with a keepalive of one probe after 1 s idle,
 * 1 s apart (TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT), its server end in
 * its child; the server's port in DIR/port. After DIR/go the two exchange
 * a byte each way ("kept").
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "check.h"
#include "inet_names.h"
#include "sync.h"
#include "fd_wait.h"

/* What each end writes after the restart, then shuts down. */
#define EXTRA (256 * 1024)
/* What an end writes at most before the checkpoint. */
#define MAX_BEFORE (1024 * 1024)

static char go[PATH_MAX];
/* connected()'s client end bound to lo (SO_BINDTODEVICE) before it connects. */
static int client_on_lo;

struct opts {
	int nodelay, keepalive, keepidle;
	struct tcp_info info;
};

struct end {
	const char *name;
	int fd;
	int dir; /* of the stream it writes; its peer's is dir ^ 1 */
	uint64_t sent; /* offset of the stream it writes */
	uint64_t received; /* of its peer's */
	struct opts before;
};

static void read_opts(int fd, struct opts *o)
{
	socklen_t len = sizeof(int);

	memset(o, 0, sizeof(*o));
	getsockopt(fd, SOL_TCP, TCP_NODELAY, &o->nodelay, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &o->keepalive, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_TCP, TCP_KEEPIDLE, &o->keepidle, &len);
	len = sizeof(o->info);
	getsockopt(fd, SOL_TCP, TCP_INFO, &o->info, &len);
}

static void diff_opts(const struct opts *a, const struct opts *b, char *why,
		      size_t size)
{
	if (a->nodelay != b->nodelay)
		note_to(why, size, "TCP_NODELAY %d, was %d", b->nodelay,
			a->nodelay);
	if (a->keepalive != b->keepalive || a->keepidle != b->keepidle)
		note_to(why, size, "keepalive %d/%d, was %d/%d", b->keepalive,
			b->keepidle, a->keepalive, a->keepidle);
	if (a->info.tcpi_options != b->info.tcpi_options)
		note_to(why, size, "tcpi_options %#x, was %#x",
			b->info.tcpi_options, a->info.tcpi_options);
	if (a->info.tcpi_snd_wscale != b->info.tcpi_snd_wscale ||
	    a->info.tcpi_rcv_wscale != b->info.tcpi_rcv_wscale)
		note_to(why, size, "window scales %u/%u, were %u/%u",
			b->info.tcpi_snd_wscale, b->info.tcpi_rcv_wscale,
			a->info.tcpi_snd_wscale, a->info.tcpi_rcv_wscale);
}

/* Writes e's stream up to limit, until the connection takes no more. */
static void fill(struct end *e, uint64_t limit)
{
	stream_fill(e->fd, e->dir, &e->sent, limit);
}

/* Reads up to max bytes of the peer's stream: -1 if a byte is wrong; *eof at its end. */
static int drain(struct end *e, size_t max, int *eof, char *why, size_t size)
{
	unsigned char buf[4096];
	size_t total = 0;
	ssize_t n, i;

	while (total < max) {
		n = read(e->fd, buf,
			 max - total < sizeof(buf) ? max - total : sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			note_to(why, size, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			*eof = 1;
			return 0;
		}
		for (i = 0; i < n; i++)
			if (buf[i] !=
			    stream_byte(e->received + i, e->dir ^ 1)) {
				note_to(why, size, "byte %llu is %#x, not %#x",
					(unsigned long long)(e->received + i),
					buf[i],
					stream_byte(e->received + i,
						    e->dir ^ 1));
				return -1;
			}
		e->received += n;
		total += n;
	}
	return 0;
}

/*
 * Reads the peer's stream until want bytes came in all, waiting up to 10 s
 * for each part: what the peer sent may still be on its way (a deferred
 * transmit), so what is there now is not all. -1 if a byte is wrong.
 */
static int drain_until(struct end *e, uint64_t want, char *why, size_t size)
{
	struct pollfd p = { .fd = e->fd, .events = POLLIN };
	int eof = 0;

	while (e->received < want && !eof) {
		if (drain(e, want - e->received, &eof, why, size))
			return -1;
		if (e->received < want && !eof && poll(&p, 1, 10000) <= 0)
			break;
	}
	return 0;
}

static void nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die("fcntl");
}

/* A listener on the loopback address of family, a client connected to it, the server end. */
static void connected(int family, int *listener, int *client, int *server)
{
	struct sockaddr_storage ss;
	socklen_t len;

	len = loopback_address(&ss, family, 0);
	*listener = socket(family, SOCK_STREAM, 0);
	if (*listener < 0 ||
	    setsockopt(*listener, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
		       sizeof(int)) ||
	    bind(*listener, (struct sockaddr *)&ss, len) ||
	    listen(*listener, 4) ||
	    getsockname(*listener, (struct sockaddr *)&ss, &len))
		die("listener");
	*client = socket(family, SOCK_STREAM, 0);
	if (*client < 0 ||
	    (client_on_lo && setsockopt(*client, SOL_SOCKET, SO_BINDTODEVICE,
					"lo", sizeof("lo"))) ||
	    connect(*client, (struct sockaddr *)&ss, len))
		die("connect");
	*server = accept(*listener, NULL, NULL);
	if (*server < 0)
		die("accept");
}

/*
 * After go, for the ends of mine (indexes into ends, whose peers are at
 * index ^ 1): each writes EXTRA more and shuts down its writing, and reads
 * its peer's stream to the end, which must be as long as the peer wrote.
 */
static void finish(struct end *ends, const int *mine, int nr)
{
	char why[2][512] = { "", "" };
	uint64_t target[2], expect[2];
	int i, eof[2] = { 0 }, shut[2] = { 0 }, bad[2] = { 0 }, done;
	struct pollfd pfd[2];
	struct timespec start;
	struct opts now;
	struct end *e;

	for (i = 0; i < nr; i++) {
		e = &ends[mine[i]];
		read_opts(e->fd, &now);
		diff_opts(&e->before, &now, why[i], sizeof(why[i]));
		target[i] = e->sent + EXTRA;
		expect[i] = ends[mine[i] ^ 1].sent + EXTRA;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		done = 1;
		for (i = 0; i < nr; i++) {
			pfd[i].fd = ends[mine[i]].fd;
			pfd[i].events = (eof[i] || bad[i] ? 0 : POLLIN) |
					(shut[i] ? 0 : POLLOUT);
			done &= !pfd[i].events;
		}
		if (done || ms_since(&start) > 30000)
			break;
		if (poll(pfd, nr, 1000) < 0)
			die("poll");
		for (i = 0; i < nr; i++) {
			e = &ends[mine[i]];
			if (!shut[i] && pfd[i].revents) {
				fill(e, target[i]);
				if (e->sent == target[i]) {
					if (shutdown(e->fd, SHUT_WR))
						note_to(why[i], sizeof(why[i]),
							"shutdown: %s",
							strerror(errno));
					shut[i] = 1;
				}
			}
			if (!eof[i] && !bad[i] && pfd[i].revents &&
			    drain(e, SIZE_MAX, &eof[i], why[i], sizeof(why[i])))
				bad[i] = 1;
		}
	}
	for (i = 0; i < nr; i++) {
		e = &ends[mine[i]];
		if (!eof[i] && !bad[i])
			note_to(why[i], sizeof(why[i]),
				"no end of stream within 30 s");
		check(e->name, !*why[i] && e->received == expect[i] && shut[i],
		      "received %llu bytes of %llu, each as written, wrote %llu%s%s",
		      (unsigned long long)e->received,
		      (unsigned long long)expect[i],
		      (unsigned long long)e->sent, *why[i] ? ": " : "", why[i]);
	}
}

/*
 * Waits (up to 20 s) until the kernel moves none of the ends' data any
 * more (tcp_quiet()). The module saves a connection whose data still moves
 * between its two ends refused with "try again" (it has no netfilter hold
 * yet to stop it), so the test waits as a user would; why names an end
 * that never settled.
 */
static void settle(struct end *ends, int nr, char *why, size_t size)
{
	char seen[128] = "";
	struct timespec start;
	int i = 0, quiet = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!quiet && ms_since(&start) < 20000) {
		for (quiet = 1, i = 0; quiet && i < nr; i++)
			quiet = tcp_quiet(ends[i].fd, seen, sizeof(seen));
		if (!quiet)
			nap();
	}
	if (!quiet)
		note_to(why, size, "%s still moves data after 20 s: %s",
			ends[i - 1].name, seen);
}

static int pairs(void)
{
	struct end ends[4] = {
		{ .name = "v4-client", .dir = 0 },
		{ .name = "v4-server", .dir = 1 },
		{ .name = "v6-client", .dir = 2 },
		{ .name = "v6-server", .dir = 3 },
	};
	static const int clients[2] = { 0, 2 }, servers[2] = { 1, 3 };
	char why[512] = "";
	int l4, l6, i, in, out, unsent, status;
	pid_t child;

	connected(AF_INET, &l4, &ends[0].fd, &ends[1].fd);
	connected(AF_INET6, &l6, &ends[2].fd, &ends[3].fd);
	setsockopt(ends[0].fd, SOL_TCP, TCP_NODELAY, &(int){ 1 }, sizeof(int));
	setsockopt(ends[3].fd, SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 },
		   sizeof(int));
	setsockopt(ends[3].fd, SOL_TCP, TCP_KEEPIDLE, &(int){ 99 },
		   sizeof(int));
	/* The v6 ends' send buffers set (and locked), the v4 ones' autotuned. */
	setsockopt(ends[2].fd, SOL_SOCKET, SO_SNDBUF, &(int){ 65536 },
		   sizeof(int));
	setsockopt(ends[3].fd, SOL_SOCKET, SO_SNDBUF, &(int){ 65536 },
		   sizeof(int));
	for (i = 0; i < 4; i++) {
		nonblock(ends[i].fd);
		fill(&ends[i], MAX_BEFORE / 2);
	}
	/* Part of what came in read: the rest starts within a segment. */
	for (i = 0; i < 4; i++)
		if (drain_until(&ends[i], 1001, why, sizeof(why)) ||
		    ends[i].received != 1001)
			note_to(why, sizeof(why), "%s read %llu bytes",
				ends[i].name,
				(unsigned long long)ends[i].received);
	for (i = 0; i < 4; i++)
		fill(&ends[i], MAX_BEFORE);
	settle(ends, 4, why, sizeof(why));
	for (i = 0; i < 4; i++) {
		read_opts(ends[i].fd, &ends[i].before);
		if (ioctl(ends[i].fd, SIOCINQ, &in) ||
		    ioctl(ends[i].fd, SIOCOUTQ, &out) ||
		    ioctl(ends[i].fd, SIOCOUTQNSD, &unsent))
			die("ioctl");
		if (!in || !out)
			note_to(why, sizeof(why),
				"%s: %d unread, %d unacknowledged, %d unsent",
				ends[i].name, in, out, unsent);
		printf("%s: wrote %llu, %d unread, %d unacknowledged of which %d unsent\n",
		       ends[i].name, (unsigned long long)ends[i].sent, in, out,
		       unsent);
	}
	check("in-flight", !*why,
	      "both directions of both connections have data queued%s%s",
	      *why ? ": " : "", why);
	fflush(stdout);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(ends[0].fd);
		close(ends[2].fd);
		close(l4);
		close(l6);
		wait_for(go);
		finish(ends, servers, 2);
		return check_exit_status();
	}
	close(ends[1].fd);
	close(ends[3].fd);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	finish(ends, clients, 2);
	if (waitpid(child, &status, 0) != child)
		die("waitpid");
	return check_exit_status() || !WIFEXITED(status) || WEXITSTATUS(status);
}

/* DIR/name holds n, a line. */
static void write_number(const char *dir, const char *name, unsigned int n)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%u\n", n) < 0 || fclose(f))
		die(path);
}

/* Sends byte out, then reads byte in (within 5 s): whether both went so. */
static int exchange(int fd, char out, char in)
{
	char c = 0;

	return write(fd, &out, 1) == 1 && fd_readable(fd, 5000) &&
	       read(fd, &c, 1) == 1 && c == in;
}

/* Reads byte in (within 5 s), then sends byte out: whether both went so. */
static int answer(int fd, char in, char out)
{
	char c = 0;

	return fd_readable(fd, 5000) && read(fd, &c, 1) == 1 && c == in &&
	       write(fd, &out, 1) == 1;
}

/*
 * After go: the parent's end answers (server) or starts (client) a byte
 * each way with the child's, whose status it then takes: "kept".
 */
static int kept(int fd, int server, pid_t child, const char *what)
{
	int status, ok;

	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	ok = server ? answer(fd, 'c', 's') : exchange(fd, 'c', 's');
	ok = ok && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	check("kept", ok, "%s exchanges a byte each way", what);
	return check_exit_status();
}

static int outside(const char *dir)
{
	int l, client, server;
	pid_t child;

	connected(AF_INET, &l, &client, &server);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(server);
		close(l);
		wait_for(go);
		return !exchange(client, 'c', 's');
	}
	close(client);
	write_number(dir, "pid", child);
	return kept(server, 1, child, "the connection to the tree outside");
}

static int keepalive(const char *dir)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int l, client, server;
	pid_t child;

	connected(AF_INET, &l, &client, &server);
	if (setsockopt(client, SOL_SOCKET, SO_KEEPALIVE, &(int){ 1 },
		       sizeof(int)) ||
	    setsockopt(client, SOL_TCP, TCP_KEEPIDLE, &(int){ 1 },
		       sizeof(int)) ||
	    setsockopt(client, SOL_TCP, TCP_KEEPINTVL, &(int){ 1 },
		       sizeof(int)) ||
	    setsockopt(client, SOL_TCP, TCP_KEEPCNT, &(int){ 1 },
		       sizeof(int)) ||
	    getsockname(server, (struct sockaddr *)&sin, &len))
		die("keepalive");
	write_number(dir, "port", ntohs(sin.sin_port));
	close(l);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(client);
		wait_for(go);
		return !answer(server, 'c', 's');
	}
	close(server);
	return kept(client, 0, child, "the connection");
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr,
			"usage: tcp_established pairs|outside|outside-bound|keepalive DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	if (!strcmp(argv[1], "pairs"))
		return pairs();
	if (!strcmp(argv[1], "outside"))
		return outside(argv[2]);
	if (!strcmp(argv[1], "outside-bound")) {
		client_on_lo = 1;
		return outside(argv[2]);
	}
	if (!strcmp(argv[1], "keepalive"))
		return keepalive(argv[2]);
	fprintf(stderr, "tcp_established: unknown mode %s\n", argv[1]);
	return 2;
}
