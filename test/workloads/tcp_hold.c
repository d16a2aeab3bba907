// TCP connections to a peer outside the checkpointed tree, held while the
// tree is down (checkpoint --kill --tcp-established, kmod/cpt_tcp_hold.c).
//
//   tcp_hold server 4|6 N DIR   the tree: listens on 127.0.0.1 or ::1 (its
//                               port in DIR/port), accepts N connections,
//                               prints READY; with N 1 it streams (below),
//                               else it waits for DIR/stop.
//   tcp_hold client DIR         outside the tree: connects, streams.
//   tcp_hold reset DIR          outside the tree: connects, streams until
//                               the connection is reset, which it must be
//                               only once DIR/released exists.
//   tcp_hold many N DIR         outside the tree: N connections, idle until
//                               DIR/stop.
//
// Streaming: each end sends a big-endian counter every 10 ms (non-blocking:
// while the peer is down, the data queues and TCP retransmits it) and reads
// the other's, which must come in order. The client checks at every turn
// that its connection saw no reset, no EOF and stays ESTABLISHED; asked
// (DIR/probe) it writes its TCP_INFO to DIR/probe.out; told (DIR/finish) it
// sends an end mark, which the server answers with its own, and both say
// whether every word came in order.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inet_names.h"

#define END_MARK 0xffffffffu

static const char *dir;

static int exists(const char *name)
{
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &st) == 0;
}

static void write_file(const char *name, const char *text)
{
	char path[512], tmp[520];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		perror(path);
		exit(2);
	}
}

static void die(const char *what)
{
	printf("FAIL %s: %s\n", what, strerror(errno));
	fflush(stdout);
	exit(1);
}

struct stream {
	int fd;
	uint32_t next_out, next_in;
	unsigned char carry[4];
	size_t carried;
	int got_end, sent_end, out_of_order;
	char error[128]; // the first thing a peer should never see
};

static void stream_send(struct stream *s, uint32_t word)
{
	uint32_t be = htonl(word);
	ssize_t n = send(s->fd, &be, sizeof(be), MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n == sizeof(be)) {
		if (word == END_MARK)
			s->sent_end = 1;
		else
			s->next_out++;
		return;
	}
	// A word in part is not resent: the stream would lose its framing.
	if (n > 0) {
		snprintf(s->error, sizeof(s->error), "short send of %zd bytes",
			 n);
		return;
	}
	if (errno != EAGAIN && !s->error[0])
		snprintf(s->error, sizeof(s->error), "send: %s",
			 strerror(errno));
}

static void stream_recv(struct stream *s)
{
	unsigned char buf[4096];
	ssize_t n = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
	ssize_t i;

	if (n == 0) {
		if (!s->got_end && !s->error[0])
			snprintf(s->error, sizeof(s->error),
				 "EOF before the end mark");
		return;
	}
	if (n < 0) {
		if (errno != EAGAIN && !s->error[0])
			snprintf(s->error, sizeof(s->error), "recv: %s",
				 strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		uint32_t word;

		s->carry[s->carried++] = buf[i];
		if (s->carried < 4)
			continue;
		s->carried = 0;
		memcpy(&word, s->carry, 4);
		word = ntohl(word);
		if (word == END_MARK)
			s->got_end = 1;
		else if (word != s->next_in++)
			s->out_of_order++;
	}
}

static void stream_turn(struct stream *s)
{
	struct pollfd p = { .fd = s->fd, .events = POLLIN };

	if (poll(&p, 1, 10) > 0 && (p.revents & (POLLERR | POLLHUP)) &&
	    !s->error[0] && !s->got_end) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		snprintf(s->error, sizeof(s->error), "poll revents %#x: %s",
			 p.revents, strerror(err));
	}
	stream_recv(s);
	if (!s->sent_end)
		stream_send(s, s->next_out);
}

static void server(int family, int nr)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len = sizeof(ss);
	struct stream s = { 0 };
	char text[32];
	int lfd, i;

	lfd = socket(family, SOCK_STREAM, 0);
	if (lfd < 0)
		die("socket");
	len = loopback_address(&ss, family, 0);
	if (bind(lfd, (struct sockaddr *)&ss, len) || listen(lfd, nr + 1) ||
	    getsockname(lfd, (struct sockaddr *)&ss, &len))
		die("listen");
	snprintf(text, sizeof(text), "%d %u\n", family == AF_INET ? 4 : 6,
		 ntohs(((struct sockaddr_in *)&ss)->sin_port));
	write_file("port", text);
	for (i = 0; i < nr; i++) {
		s.fd = accept(lfd, NULL, NULL);
		if (s.fd < 0)
			die("accept");
	}
	printf("READY %d connections\n", nr);
	fflush(stdout);
	if (nr != 1) {
		while (!exists("stop"))
			usleep(50000);
		printf("RESULT many PASS the tree ran on with its %d connections\n",
		       nr);
		return;
	}
	while (!(s.got_end && s.sent_end) && !s.error[0]) {
		stream_turn(&s);
		if (s.got_end && !s.sent_end)
			stream_send(&s, END_MARK);
	}
	if (s.error[0] || s.out_of_order)
		printf("RESULT server FAIL %s; %d words out of order, %u in\n",
		       s.error, s.out_of_order, s.next_in);
	else
		printf("RESULT server PASS the client's %u words came in order, %u sent\n",
		       s.next_in, s.next_out);
}

static int connect_to_server(void)
{
	struct sockaddr_storage ss = { 0 };
	int family, port, fd;
	socklen_t len;
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/port", dir);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d %d", &family, &port) != 2)
		die("port file");
	fclose(f);
	len = loopback_address(&ss, family == 4 ? AF_INET : AF_INET6, port);
	fd = socket(ss.ss_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len))
		die("connect");
	return fd;
}

static void probe(struct stream *s)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);
	char text[256];

	memset(&info, 0, sizeof(info));
	getsockopt(s->fd, IPPROTO_TCP, TCP_INFO, &info, &len);
	snprintf(text, sizeof(text),
		 "state %u total_retrans %u unacked %u sent %u error '%s'\n",
		 info.tcpi_state, info.tcpi_total_retrans, info.tcpi_unacked,
		 s->next_out, s->error);
	write_file("probe.out", text);
}

/*
 * The connection left ESTABLISHED between stream_turn()'s calls: a reset
 * that came after them is still pending as the socket's error, so name it.
 */
static void state_error(struct stream *s, int state)
{
	socklen_t len = sizeof(int);
	int err = 0;

	getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
	if (err)
		snprintf(s->error, sizeof(s->error), "TCP state %d: %s", state,
			 strerror(err));
	else
		snprintf(s->error, sizeof(s->error),
			 "TCP state %d, not ESTABLISHED", state);
}

static void client(int expect_reset)
{
	struct stream s = { .fd = connect_to_server() };
	int state;

	printf("READY connected\n");
	fflush(stdout);
	for (;;) {
		stream_turn(&s);
		state = tcp_state(s.fd);
		if (!s.error[0] && state != 1 && !s.got_end)
			state_error(&s, state);
		if (s.error[0])
			break;
		if (exists("probe") && !exists("probe.out"))
			probe(&s);
		if (expect_reset && exists("giveup"))
			break;
		if (!expect_reset && exists("finish") && !s.sent_end)
			stream_send(&s, END_MARK);
		if (s.sent_end && s.got_end)
			break;
	}
	if (expect_reset) {
		if (!s.error[0])
			printf("RESULT reset FAIL the connection was never reset\n");
		else if (!strstr(s.error, "Connection reset"))
			printf("RESULT reset FAIL %s\n", s.error);
		else
			printf("RESULT reset %s %s (hold released: %s)\n",
			       exists("released") ? "PASS" : "FAIL", s.error,
			       exists("released") ? "yes" : "not yet");
		return;
	}
	printf("RESULT gap %s %s\n", s.error[0] ? "FAIL" : "PASS",
	       s.error[0] ? s.error :
			    "no reset, EOF or state change ever seen");
	printf("RESULT data %s the server's %u words, %d out of order, end mark %s; %u sent\n",
	       !s.error[0] && !s.out_of_order && s.got_end && s.next_in > 0 ?
		       "PASS" :
		       "FAIL",
	       s.next_in, s.out_of_order, s.got_end ? "seen" : "missing",
	       s.next_out);
}

static void many(int nr)
{
	int i;

	for (i = 0; i < nr; i++)
		connect_to_server();
	printf("READY %d connections\n", nr);
	fflush(stdout);
	while (!exists("stop"))
		usleep(50000);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "server")) {
		dir = argv[4];
		server(atoi(argv[2]) == 6 ? AF_INET6 : AF_INET, atoi(argv[3]));
	} else if (argc == 3 &&
		   (!strcmp(argv[1], "client") || !strcmp(argv[1], "reset"))) {
		dir = argv[2];
		client(!strcmp(argv[1], "reset"));
	} else if (argc == 4 && !strcmp(argv[1], "many")) {
		dir = argv[3];
		many(atoi(argv[2]));
	} else {
		fprintf(stderr, "usage: see the head of tcp_hold.c\n");
		return 2;
	}
	return 0;
}
