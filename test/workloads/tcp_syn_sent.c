// TCP connections still connecting (SYN_SENT) when the tree is checkpointed
// --kill --tcp-established and restarted (kmod/cpt_file_inet_tcp.c): the
// restart's connect() sends a SYN of the same initial sequence number, the
// handshake ends once the peer outside the tree takes connections again.
//
//   tcp_syn_sent peer DIR     outside the tree: a listener on 127.0.0.1 and
//                             one on ::1, each of backlog 1 and filled by
//                             two connections of its own, so that it drops
//                             every SYN (ports in DIR/ports; SYN cookies or
//                             not); prints READY. Once
//                             DIR/accept exists, it accepts the fillers and
//                             then one connection on each, whose initial
//                             sequence number it prints (ISN4, ISN6: its
//                             rcv_nxt read in TCP repair mode, less the
//                             SYN and the line it read), and echoes the line.
//   tcp_syn_sent client DIR   the tree: a non-blocking connect() to the v4
//                             listener and a blocking one to the v6
//                             listener in a thread, both SYN_SENT; prints
//                             their initial sequence numbers (ISN4, ISN6:
//                             write_seq in repair mode, less the SYN) and
//                             READY. Then poll() sees the first connected,
//                             SO_ERROR 0; the thread's connect() returns 0;
//                             each sends a line and reads it back.
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inet_names.h"

static const char *dir;

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

static int exists(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

/* A sequence number through TCP repair mode: write_seq (TCP_SEND_QUEUE) or rcv_nxt. */
static uint32_t repair_seq(int fd, int queue)
{
	int on = TCP_REPAIR_ON, off = TCP_REPAIR_OFF_NO_WP;
	uint32_t seq;
	socklen_t len = sizeof(seq);

	if (setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &on, sizeof(on)) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR_QUEUE, &queue,
		       sizeof(queue)) ||
	    getsockopt(fd, IPPROTO_TCP, TCP_QUEUE_SEQ, &seq, &len) ||
	    setsockopt(fd, IPPROTO_TCP, TCP_REPAIR, &off, sizeof(off)))
		die("TCP repair mode");
	return seq;
}

static int listener(int family, unsigned short *port)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_address(&ss, family, 0);
	int fd = socket(family, SOCK_STREAM, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 1) ||
	    getsockname(fd, (struct sockaddr *)&ss, &len))
		die("listener");
	*port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

static int connect_to(int family, unsigned short port, int nonblock)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_address(&ss, family, port);
	int fd =
		socket(family, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);

	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&ss, len) &&
	    !(nonblock && errno == EINPROGRESS))
		die("connect");
	return fd;
}

/*
 * A line read byte by byte; on the non-blocking connection, each byte
 * waited for (10 s at most): its reply may not have come yet.
 */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r = read(fd, buf + n, 1);

		if (r < 0 && errno == EAGAIN && poll(&pfd, 1, 10000) == 1)
			continue;
		if (r <= 0)
			return -1;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = 0;
	return (int)n;
}

static void peer(void)
{
	unsigned short port4, port6;
	int l4 = listener(AF_INET, &port4), l6 = listener(AF_INET6, &port6);
	int fill[4] = { connect_to(AF_INET, port4, 0),
			connect_to(AF_INET, port4, 0),
			connect_to(AF_INET6, port6, 0),
			connect_to(AF_INET6, port6, 0) };
	char path[512], line[128];
	int c[2];
	FILE *f;

	snprintf(path, sizeof(path), "%s/ports", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%u %u\n", port4, port6) < 0 || fclose(f))
		die(path);
	printf("READY\n");
	fflush(stdout);
	while (!exists("accept"))
		usleep(50000);
	for (int i = 0; i < 2; i++) {
		int l = i ? l6 : l4, n;

		for (int j = 0; j < 2; j++) {
			int filler = accept(l, NULL, NULL);

			if (filler < 0)
				die("accept a filler");
			close(filler);
			close(fill[2 * i + j]);
		}
		c[i] = accept(l, NULL, NULL);
		if (c[i] < 0)
			die("accept");
		n = read_line(c[i], line, sizeof(line));
		if (n < 0)
			die("read");
		printf("ISN%d %u\n", i ? 6 : 4,
		       repair_seq(c[i], TCP_RECV_QUEUE) - 1 - n);
		if (write(c[i], line, n) != n)
			die("write");
		fflush(stdout);
	}
	for (int i = 0; i < 2; i++) {
		while (read(c[i], line, sizeof(line)) > 0)
			;
		close(c[i]);
	}
}

/* Sends a line and reads it back; "" if it came, else why not. */
static const char *echo(int fd, const char *what)
{
	char line[128], back[128];
	int n = snprintf(line, sizeof(line), "%s\n", what);

	/* MSG_NOSIGNAL: a reset peer must be reported, not kill the client */
	if (send(fd, line, n, MSG_NOSIGNAL) != n)
		return strerror(errno);
	if (read_line(fd, back, sizeof(back)) != n || strcmp(line, back))
		return "the echo differs";
	return "";
}

static int blocking_fd;
static int blocking_ret = -2, blocking_errno;

static void *blocking_connect(void *arg)
{
	struct sockaddr_storage ss;
	socklen_t len = loopback_address(&ss, AF_INET6, *(unsigned short *)arg);

	blocking_ret = connect(blocking_fd, (struct sockaddr *)&ss, len);
	blocking_errno = errno;
	return NULL;
}

static void client(void)
{
	unsigned short port4, port6;
	struct pollfd pfd;
	pthread_t thread;
	int nb, err = -1, polled;
	socklen_t len = sizeof(err);
	char path[512];
	const char *why;
	FILE *f;

	snprintf(path, sizeof(path), "%s/ports", dir);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%hu %hu", &port4, &port6) != 2)
		die(path);
	fclose(f);
	nb = connect_to(AF_INET, port4, 1);
	blocking_fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (blocking_fd < 0 ||
	    pthread_create(&thread, NULL, blocking_connect, &port6))
		die("the blocking connect's thread");
	while (tcp_state(blocking_fd) != TCP_SYN_SENT)
		usleep(10000);
	if (tcp_state(nb) != TCP_SYN_SENT)
		die("the non-blocking connect is not SYN_SENT");
	printf("ISN4 %u\nISN6 %u\nREADY\n", repair_seq(nb, TCP_SEND_QUEUE) - 1,
	       repair_seq(blocking_fd, TCP_SEND_QUEUE) - 1);
	fflush(stdout);
	pfd = (struct pollfd){ .fd = nb, .events = POLLOUT };
	polled = poll(&pfd, 1, -1);
	getsockopt(nb, SOL_SOCKET, SO_ERROR, &err, &len);
	printf("RESULT nonblocking %s poll() gave %d (revents %#x), SO_ERROR %d, state %d\n",
	       polled == 1 && pfd.revents == POLLOUT && !err &&
			       tcp_state(nb) == TCP_ESTABLISHED ?
		       "PASS" :
		       "FAIL",
	       polled, pfd.revents, err, tcp_state(nb));
	why = echo(nb, "over the connection connected without waiting");
	printf("RESULT nonblocking-echo %s %s\n", *why ? "FAIL" : "PASS",
	       *why ? why : "the line came back");
	pthread_join(thread, NULL);
	printf("RESULT blocking %s connect() returned %d (%s), state %d\n",
	       !blocking_ret && tcp_state(blocking_fd) == TCP_ESTABLISHED ?
		       "PASS" :
		       "FAIL",
	       blocking_ret,
	       blocking_ret ? strerror(blocking_errno) : "no error",
	       tcp_state(blocking_fd));
	why = echo(blocking_fd, "over the connection connect() waited for");
	printf("RESULT blocking-echo %s %s\n", *why ? "FAIL" : "PASS",
	       *why ? why : "the line came back");
	close(nb);
	close(blocking_fd);
}

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	dir = argv[2];
	if (!strcmp(argv[1], "peer"))
		peer();
	else if (!strcmp(argv[1], "client"))
		client();
	else
		return 2;
	return 0;
}
