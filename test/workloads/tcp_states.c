// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections closing, or half closed, through a checkpoint
 * (kmod/cpt_file_inet_tcp.c, cpt_compat_tcp.c): both ends of each in this
 * process, over loopback.
 *
 * tcp_states DIR: before READY, six connections are brought to:
 *   close-wait   CLOSE_WAIT, the peer's data and FIN not read, and its peer
 *                in FIN_WAIT2 (shutdown(SHUT_WR), acknowledged);
 *   eof-read     CLOSE_WAIT, the end of stream read already; its peer
 *                FIN_WAIT2 and shut down for reading too (SHUT_RDWR);
 *   shut-rd      ESTABLISHED, shut down for reading (read() gives 0);
 *   fin-wait1    FIN_WAIT1: its peer's window full, its data and FIN unsent;
 *   last-ack     LAST_ACK: its peer (FIN_WAIT2) closed first, its window
 *                full, the data and FIN unsent;
 *   closing      CLOSING: its FIN unsent behind a full window, its peer's
 *                FIN received.
 * After the restart (DIR/go), each end's state (TCP_INFO's tcpi_state) must
 * be as before; then every connection is closed down to its end: each end
 * reads all its peer wrote, then end of stream, where it must; write()
 * fails with EPIPE on an end shut down for writing; no end sees a reset,
 * and the network namespace sent none (/proc/net/snmp's OutRsts unchanged).
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

static const char *const state_names[] = {
	[TCP_ESTABLISHED] = "ESTABLISHED",
	[TCP_SYN_SENT] = "SYN_SENT",
	[TCP_SYN_RECV] = "SYN_RECV",
	[TCP_FIN_WAIT1] = "FIN_WAIT1",
	[TCP_FIN_WAIT2] = "FIN_WAIT2",
	[TCP_TIME_WAIT] = "TIME_WAIT",
	[TCP_CLOSE] = "CLOSE",
	[TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCP_LAST_ACK] = "LAST_ACK",
	[TCP_LISTEN] = "LISTEN",
	[TCP_CLOSING] = "CLOSING",
};

static const char *state_name(int state)
{
	return state >= 0 &&
			       state < (int)(sizeof(state_names) /
					     sizeof(*state_names)) &&
			       state_names[state] ?
		       state_names[state] :
		       "?";
}

struct end {
	int fd;
	int dir; /* of the stream it writes */
	uint64_t sent; /* what it wrote */
	uint64_t received; /* what it read of its peer's */
	int state; /* before the checkpoint */
};

struct conn {
	const char *name;
	struct end e[2]; /* e[0] the end in the state named, e[1] its peer */
};

/* TCP OutRsts of /proc/net/snmp: the resets this network namespace sent. */
static long out_rsts(void)
{
	char names[1024], values[1024], *n, *v, *sn, *sv;
	long found = -1;
	FILE *f = fopen("/proc/net/snmp", "r");

	if (!f)
		die("/proc/net/snmp");
	while (fgets(names, sizeof(names), f) &&
	       fgets(values, sizeof(values), f)) {
		if (strncmp(names, "Tcp:", 4))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v && strcmp(n, "OutRsts")) {
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
		if (n && v)
			found = atol(v);
	}
	fclose(f);
	if (found < 0)
		die("OutRsts");
	return found;
}

/*
 * A connection over loopback of family: e[1] the client, its receive buffer
 * made small (before connect(): the window scale follows it) when small_rcv;
 * e[0] the accepted end, its send buffer small. Both non-blocking.
 */
static void connected(struct conn *c, int family, int small_rcv, int dir)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int l;

	len = loopback_address(&ss, family, 0);
	l = socket(family, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&ss, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&ss, &len))
		die("listener");
	c->e[1].fd = socket(family, SOCK_STREAM, 0);
	if (c->e[1].fd < 0)
		die("socket");
	if (small_rcv && setsockopt(c->e[1].fd, SOL_SOCKET, SO_RCVBUF,
				    &(int){ 4096 }, sizeof(int)))
		die("SO_RCVBUF");
	if (connect(c->e[1].fd, (struct sockaddr *)&ss, len))
		die("connect");
	c->e[0].fd = accept(l, NULL, NULL);
	if (c->e[0].fd < 0)
		die("accept");
	close(l);
	if (setsockopt(c->e[0].fd, SOL_SOCKET, SO_SNDBUF, &(int){ 8192 },
		       sizeof(int)))
		die("SO_SNDBUF");
	c->e[0].dir = dir;
	c->e[1].dir = dir + 1;
	fcntl(c->e[0].fd, F_SETFL, O_NONBLOCK);
	fcntl(c->e[1].fd, F_SETFL, O_NONBLOCK);
}

/* Writes e's stream up to limit, until the connection takes no more. */
static void fill(struct end *e, uint64_t limit)
{
	stream_fill(e->fd, e->dir, &e->sent, limit);
}

/*
 * Reads what e's peer wrote: 1 at the end of its stream, 0 for more to
 * come, -1 with why on a wrong byte or an error.
 */
static int drain(struct end *e, int peer_dir, char *why, size_t size)
{
	unsigned char buf[4096];
	ssize_t n, i;

	for (;;) {
		n = read(e->fd, buf, sizeof(buf));
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0) {
			note_to(why, size, "read: %s", strerror(errno));
			return -1;
		}
		if (n == 0)
			return 1;
		for (i = 0; i < n; i++)
			if (buf[i] != stream_byte(e->received + i, peer_dir)) {
				note_to(why, size, "byte %llu is %#x, not %#x",
					(unsigned long long)(e->received + i),
					buf[i],
					stream_byte(e->received + i, peer_dir));
				return -1;
			}
		e->received += n;
	}
}

/* Waits (up to 5 s) until fd's connection is in state. */
static int wait_state(int fd, int state)
{
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (tcp_state(fd) != state && ms_since(&start) < 5000)
		usleep(10 * 1000);
	return tcp_state(fd) == state;
}

/*
 * Waits (up to 10 s) until the kernel moves none of the ends' data any
 * more (tcp_quiet()): the checkpoint must find it still. why names an end
 * that never settled.
 */
static void settle(struct conn *c, int nr, char *why, size_t size)
{
	char seen[128] = "";
	struct timespec start;
	int i = 0, quiet = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!quiet && ms_since(&start) < 10000) {
		for (quiet = 1, i = 0; quiet && i < 2 * nr; i++)
			quiet = tcp_quiet(c[i / 2].e[i % 2].fd, seen,
					  sizeof(seen));
		if (!quiet)
			nap();
	}
	if (!quiet)
		note_to(why, size, "%s %s still moves data after 10 s: %s",
			c[(i - 1) / 2].name, (i - 1) % 2 ? "peer" : "end",
			seen);
}

enum {
	CLOSE_WAIT_C,
	EOF_READ,
	SHUT_RD_C,
	FIN_WAIT1_C,
	LAST_ACK_C,
	CLOSING_C,
	NR
};

/*
 * The state each connection's end (e[0]) and its peer (e[1]) must reach
 * before the checkpoint, 0 for any. A peer's FIN_WAIT2 comes with an ack of
 * its FIN that its end may delay (up to 200 ms), so it is waited for.
 */
static const int wanted[NR][2] = {
	[CLOSE_WAIT_C] = { TCP_CLOSE_WAIT, TCP_FIN_WAIT2 },
	[EOF_READ] = { TCP_CLOSE_WAIT, TCP_FIN_WAIT2 },
	[SHUT_RD_C] = { TCP_ESTABLISHED, 0 },
	[FIN_WAIT1_C] = { TCP_FIN_WAIT1, 0 },
	[LAST_ACK_C] = { TCP_LAST_ACK, TCP_FIN_WAIT2 },
	[CLOSING_C] = { TCP_CLOSING, TCP_FIN_WAIT2 },
};

/* The peer's data of close-wait (and last-ack's peer's), before its FIN. */
#define SOME 3000

static void setup(struct conn *c)
{
	char why[256] = "";
	int i;

	connected(&c[CLOSE_WAIT_C], AF_INET6, 0, 0);
	fill(&c[CLOSE_WAIT_C].e[1], SOME);
	shutdown(c[CLOSE_WAIT_C].e[1].fd, SHUT_WR);

	connected(&c[EOF_READ], AF_INET, 0, 2);
	shutdown(c[EOF_READ].e[1].fd, SHUT_RDWR);

	connected(&c[SHUT_RD_C], AF_INET, 0, 4);
	shutdown(c[SHUT_RD_C].e[0].fd, SHUT_RD);

	/* Small windows of the peers: each end's data and FIN stay unsent. */
	connected(&c[FIN_WAIT1_C], AF_INET, 1, 6);
	fill(&c[FIN_WAIT1_C].e[0], UINT64_MAX);
	shutdown(c[FIN_WAIT1_C].e[0].fd, SHUT_WR);

	connected(&c[LAST_ACK_C], AF_INET, 1, 8);
	fill(&c[LAST_ACK_C].e[1], SOME);
	shutdown(c[LAST_ACK_C].e[1].fd, SHUT_WR);
	wait_state(c[LAST_ACK_C].e[0].fd, TCP_CLOSE_WAIT);
	fill(&c[LAST_ACK_C].e[0], UINT64_MAX);
	shutdown(c[LAST_ACK_C].e[0].fd, SHUT_WR);

	connected(&c[CLOSING_C], AF_INET6, 1, 10);
	fill(&c[CLOSING_C].e[0], UINT64_MAX);
	shutdown(c[CLOSING_C].e[0].fd, SHUT_WR);
	shutdown(c[CLOSING_C].e[1].fd, SHUT_WR);

	/* eof-read's end reads its end of stream once it is there. */
	wait_state(c[EOF_READ].e[0].fd, TCP_CLOSE_WAIT);
	if (drain(&c[EOF_READ].e[0], 3, why, sizeof(why)) != 1)
		note_to(why, sizeof(why),
			"eof-read: no end of stream before the checkpoint");
	if (drain(&c[SHUT_RD_C].e[0], 5, why, sizeof(why)) != 1)
		note_to(why, sizeof(why),
			"shut-rd: read() does not give 0 before the checkpoint");
	for (i = 0; i < 2 * NR; i++)
		if (wanted[i / 2][i % 2])
			wait_state(c[i / 2].e[i % 2].fd, wanted[i / 2][i % 2]);
	settle(c, NR, why, sizeof(why));
	for (i = 0; i < NR; i++) {
		c[i].e[0].state = tcp_state(c[i].e[0].fd);
		c[i].e[1].state = tcp_state(c[i].e[1].fd);
		if ((wanted[i][0] && c[i].e[0].state != wanted[i][0]) ||
		    (wanted[i][1] && c[i].e[1].state != wanted[i][1]))
			note_to(why, sizeof(why), "%s not %s, peer %s",
				c[i].name, state_name(wanted[i][0]),
				wanted[i][1] ? state_name(wanted[i][1]) :
					       "any");
		printf("%s: %s (wrote %llu), peer %s (wrote %llu)\n", c[i].name,
		       state_name(c[i].e[0].state),
		       (unsigned long long)c[i].e[0].sent,
		       state_name(c[i].e[1].state),
		       (unsigned long long)c[i].e[1].sent);
	}
	check("states-before", !*why,
	      "each connection in its state before the checkpoint%s%s",
	      *why ? ": " : "", why);
}

/* write() on an end shut down for writing fails with EPIPE, sending nothing. */
static void check_epipe(struct end *e, char *why, size_t size, const char *who)
{
	if (send(e->fd, "x", 1, MSG_NOSIGNAL) != -1 || errno != EPIPE)
		note_to(why, size, "%s: write() did not fail with EPIPE (%s)",
			who, strerror(errno));
}

/*
 * After the restart: the states as before, then each connection closed down
 * to its end, both ends reading everything and then end of stream.
 */
static void finish(struct conn *c, long rsts)
{
	char why[NR][512];
	int i, j, eof[NR][2], now;
	struct timespec start;
	struct conn *k;

	memset(why, 0, sizeof(why));
	memset(eof, 0, sizeof(eof));
	for (i = 0; i < NR; i++)
		for (j = 0; j < 2; j++) {
			now = tcp_state(c[i].e[j].fd);
			if (now != c[i].e[j].state)
				note_to(why[i], sizeof(why[i]),
					"%s end in %s, was %s",
					j ? "peer" : "its", state_name(now),
					state_name(c[i].e[j].state));
		}
	k = &c[CLOSE_WAIT_C];
	check_epipe(&k->e[1], why[CLOSE_WAIT_C], sizeof(why[0]),
		    "FIN_WAIT2 peer");
	k = &c[EOF_READ];
	if (drain(&k->e[0], k->e[1].dir, why[EOF_READ], sizeof(why[0])) != 1)
		note_to(why[EOF_READ], sizeof(why[0]),
			"read() does not give 0 at once");
	check_epipe(&k->e[1], why[EOF_READ], sizeof(why[0]), "FIN_WAIT2 peer");
	k = &c[SHUT_RD_C];
	if (drain(&k->e[0], k->e[1].dir, why[SHUT_RD_C], sizeof(why[0])) != 1)
		note_to(why[SHUT_RD_C], sizeof(why[0]),
			"read() does not give 0 at once");
	check_epipe(&c[FIN_WAIT1_C].e[0], why[FIN_WAIT1_C], sizeof(why[0]),
		    "FIN_WAIT1 end");
	check_epipe(&c[LAST_ACK_C].e[0], why[LAST_ACK_C], sizeof(why[0]),
		    "LAST_ACK end");
	check_epipe(&c[CLOSING_C].e[0], why[CLOSING_C], sizeof(why[0]),
		    "CLOSING end");
	/*
	 * Each end still open for writing writes a little more, and shuts
	 * down; not to a peer shut down for reading, which would answer data
	 * with a reset in FIN_WAIT2, or leave it unread.
	 */
	for (i = 0; i < NR; i++)
		for (j = 0; j < 2; j++) {
			now = c[i].e[j].state;
			if (now == TCP_ESTABLISHED || now == TCP_CLOSE_WAIT) {
				if (!(i == EOF_READ && !j) &&
				    !(i == SHUT_RD_C && j))
					fill(&c[i].e[j], c[i].e[j].sent + 1000);
				if (shutdown(c[i].e[j].fd, SHUT_WR))
					note_to(why[i], sizeof(why[i]),
						"shutdown: %s",
						strerror(errno));
			}
		}
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		int done = 1;

		for (i = 0; i < NR; i++)
			for (j = 0; j < 2; j++) {
				/* shut-rd's end was shut down for reading: it reads nothing. */
				if (eof[i][j] || (i == SHUT_RD_C && !j))
					continue;
				eof[i][j] = drain(&c[i].e[j], c[i].e[j ^ 1].dir,
						  why[i], sizeof(why[i]));
				done &= eof[i][j] != 0;
			}
		if (done || ms_since(&start) > 20000)
			break;
		usleep(20 * 1000);
	}
	for (i = 0; i < NR; i++) {
		for (j = 0; j < 2; j++) {
			if (i == SHUT_RD_C && !j)
				continue;
			if (!eof[i][j])
				note_to(why[i], sizeof(why[i]),
					"%s end: no end of stream in 20 s",
					j ? "peer" : "its");
			else if (eof[i][j] == 1 &&
				 c[i].e[j].received != c[i].e[j ^ 1].sent)
				note_to(why[i], sizeof(why[i]),
					"%s end read %llu bytes of %llu",
					j ? "peer" : "its",
					(unsigned long long)c[i].e[j].received,
					(unsigned long long)c[i].e[j ^ 1].sent);
		}
		/* Both ends gone through their close without an error. */
		for (j = 0; j < 2; j++) {
			int err = 0;
			socklen_t len = sizeof(err);

			getsockopt(c[i].e[j].fd, SOL_SOCKET, SO_ERROR, &err,
				   &len);
			if (err)
				note_to(why[i], sizeof(why[i]), "%s end: %s",
					j ? "peer" : "its", strerror(err));
		}
		check(c[i].name, !*why[i],
		      "the states as before, each end read its peer's stream whole and its end, EPIPE where shut down%s%s",
		      *why[i] ? ": " : "", why[i]);
	}
	for (i = 0; i < NR; i++) {
		close(c[i].e[0].fd);
		close(c[i].e[1].fd);
	}
	check("no-reset", out_rsts() == rsts,
	      "TCP OutRsts %ld before the checkpoint, %ld at the end", rsts,
	      out_rsts());
}

int main(int argc, char **argv)
{
	struct conn c[NR] = {
		[CLOSE_WAIT_C] = { .name = "close-wait" },
		[EOF_READ] = { .name = "eof-read" },
		[SHUT_RD_C] = { .name = "shut-rd" },
		[FIN_WAIT1_C] = { .name = "fin-wait1" },
		[LAST_ACK_C] = { .name = "last-ack" },
		[CLOSING_C] = { .name = "closing" },
	};
	char go[PATH_MAX];
	long rsts;

	if (argc != 2) {
		fprintf(stderr, "usage: tcp_states DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	signal(SIGPIPE, SIG_IGN);
	rsts = out_rsts();
	setup(c);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	finish(c, rsts);
	return check_exit_status();
}
