// SPDX-License-Identifier: GPL-2.0
/*
 * UDP and UDP-Lite data corked, not sent yet, across checkpoint/restart.
 *
 * udp_cork serve DIR: seven UDP senders, each with a receiver of its own
 * that nothing else sends to, fd 3 first: "more4", an IPv4 socket bound to
 * 127.0.0.1 that sent 0 bytes then three pieces (100, 5000 and 20000
 * bytes) with MSG_MORE; "cork4", an IPv4 one with UDP_CORK set that sent
 * three pieces; "more6", a v6-only socket on ::1 with MSG_MORE; "mapped", a
 * dual-stack IPv6 socket sending to a v4-mapped address (an IPv4
 * datagram corked on an IPv6 socket); "udplite", UDP-Lite with MSG_MORE;
 * "connected", a connected socket that sent with send() and MSG_MORE;
 * "idle", UDP_CORK set with nothing corked. After DIR/go each checks that
 * its receiver still has nothing ("-held": the data is still corked, not
 * sent nor lost), sends it on as a program does (a send without MSG_MORE,
 * or UDP_CORK off; "idle" first sends a piece, which UDP_CORK holds), and
 * its receiver reads one datagram of all the bytes, in order, from the
 * sender's address and port, then none ("NAME"); then a plain datagram
 * goes out on its own ("-works").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"
#include "udp_socks.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

#define TIMEOUT_MS 5000
#define MAX_PIECES 4
#define TAIL 7

enum { MORE4, CORK4, MORE6, MAPPED, LITE, CONNECTED, IDLE, NR_SOCKS };

static const char *const names[NR_SOCKS] = {
	"more4", "cork4", "more6", "mapped", "udplite", "connected", "idle",
};
static const int family[NR_SOCKS] = { AF_INET, AF_INET, AF_INET6, AF_INET6,
				      AF_INET, AF_INET, AF_INET };
static const int protocol[NR_SOCKS] = { IPPROTO_UDP,	 IPPROTO_UDP,
					IPPROTO_UDP,	 IPPROTO_UDP,
					IPPROTO_UDPLITE, IPPROTO_UDP,
					IPPROTO_UDP };
/* Where each sender is bound; its receiver on the loopback of its family. */
static const char *const at[NR_SOCKS] = { "127.0.0.1", "127.0.0.1", "::1",
					  "::",	       "127.0.0.1", "127.0.0.1",
					  "127.0.0.1" };
/* The pieces each sender corks before the checkpoint, in order. */
static const int pieces[NR_SOCKS][MAX_PIECES] = {
	[MORE4] = { 0, 100, 5000, 20000 },
	[CORK4] = { 30, 4000, 9, -1 },
	[MORE6] = { 7, 30000, -1 },
	[MAPPED] = { 12, 1500, -1 },
	[LITE] = { 9, 2000, -1 },
	[CONNECTED] = { 4, 3000, -1 },
	[IDLE] = { -1 },
};

static char go[PATH_MAX];
static unsigned char buf[65536], want[65536];

/* Byte k of sender s's stream: which sender, and where in it. */
static unsigned char byte_of(int s, int k)
{
	return (unsigned char)(s * 31 + k * 13 + (k >> 8));
}

static int udp_cork_of(int fd)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_UDP, UDP_CORK, &val, &len);
	return val;
}

struct sender {
	int fd, rx, len;
	struct sockaddr_storage to,
		from; /* its receiver; itself, as seen there */
	socklen_t to_len, from_len;
};

/* Sends n bytes of s's stream from byte *len on, corked or not. */
static int send_piece(int s, struct sender *x, int n, int flags)
{
	int k;

	for (k = 0; k < n; k++)
		buf[k] = byte_of(s, x->len + k);
	x->len += n;
	if (s == CONNECTED)
		return send(x->fd, buf, n, flags) == n;
	return sendto(x->fd, buf, n, flags, (struct sockaddr *)&x->to,
		      x->to_len) == n;
}

static void make_sender(int s, struct sender *x)
{
	int rx_family = s == MAPPED ? AF_INET : family[s], i;
	const char *lo = rx_family == AF_INET ? "127.0.0.1" : "::1";
	struct sockaddr_storage rx_name;

	memset(x, 0, sizeof(*x));
	x->fd = bound(family[s], protocol[s], at[s]);
	x->rx = bound(rx_family, protocol[s], lo);
	name_of(x->rx, &rx_name);
	x->to_len = addr(family[s], s == MAPPED ? "::ffff:127.0.0.1" : lo,
			 port_of(&rx_name), &x->to);
	if (s == CONNECTED &&
	    connect(x->fd, (struct sockaddr *)&x->to, x->to_len))
		die("connect");
	/* As its receiver reads it: an IPv4 address for the mapped one. */
	x->from_len = name_of(x->fd, &x->from);
	if (s == MAPPED)
		x->from_len =
			addr(AF_INET, "127.0.0.1", port_of(&x->from), &x->from);
	if ((s == CORK4 || s == IDLE) &&
	    setsockopt(x->fd, SOL_UDP, UDP_CORK, &(int){ 1 }, sizeof(int)))
		die("UDP_CORK");
	for (i = 0; i < MAX_PIECES && pieces[s][i] >= 0; i++)
		if (!send_piece(s, x, pieces[s][i], s == CORK4 ? 0 : MSG_MORE))
			die("send corked");
}

/* Its receiver has nothing: what is corked was neither sent nor lost. */
static void held(int s, const struct sender *x)
{
	char name[64];
	int n;

	snprintf(name, sizeof(name), "%s-held", names[s]);
	n = fd_readable(x->rx, 200) ?
		    (int)recv(x->rx, buf, sizeof(buf), MSG_DONTWAIT) :
		    -1;
	check(name, n < 0,
	      n < 0 ? "nothing reached its receiver yet" :
		      "a datagram of %d bytes reached its receiver already",
	      n);
}

/* Sent on as a program does; its receiver reads one datagram of it all. */
static void sent_on(int s, struct sender *x)
{
	struct sockaddr_storage from;
	socklen_t from_len = sizeof(from);
	char why[256] = "";
	int n, k, ok;

	if (s == IDLE && !send_piece(s, x, 40, 0))
		note_to(why, sizeof(why), "the piece UDP_CORK holds: %s",
			strerror(errno));
	if (s == CORK4 || s == IDLE) {
		if (udp_cork_of(x->fd) != 1)
			note_to(why, sizeof(why), "UDP_CORK is %d, not 1",
				udp_cork_of(x->fd));
		if (s == IDLE && fd_readable(x->rx, 200))
			note_to(why, sizeof(why), "UDP_CORK held nothing");
		ok = !setsockopt(x->fd, SOL_UDP, UDP_CORK, &(int){ 0 },
				 sizeof(int));
	} else {
		ok = send_piece(s, x, TAIL, 0);
	}
	if (!ok)
		note_to(why, sizeof(why), "sending it on: %s", strerror(errno));
	for (k = 0; k < x->len; k++)
		want[k] = byte_of(s, k);
	memset(&from, 0, sizeof(from));
	n = fd_readable(x->rx, TIMEOUT_MS) ?
		    (int)recvfrom(x->rx, buf, sizeof(buf), MSG_DONTWAIT,
				  (struct sockaddr *)&from, &from_len) :
		    -1;
	if (n != x->len)
		note_to(why, sizeof(why), "read %d bytes, not %d", n, x->len);
	else if (memcmp(buf, want, n))
		note_to(why, sizeof(why), "other bytes");
	if (n >= 0 &&
	    (from_len != x->from_len || memcmp(&from, &x->from, from_len)))
		note_to(why, sizeof(why), "from port %d, not %d",
			port_of(&from), port_of(&x->from));
	if (recv(x->rx, buf, sizeof(buf), MSG_DONTWAIT) >= 0)
		note_to(why, sizeof(why), "one more datagram");
	check(names[s], !why[0], "%s%s", why[0] ? why : "one datagram of ",
	      why[0] ? "" : "all its bytes, in order, from itself");
}

/* After it, a datagram goes out on its own. */
static void works(int s, struct sender *x)
{
	char name[64];
	int n = -1;

	snprintf(name, sizeof(name), "%s-works", names[s]);
	x->len = 0;
	if (s == CORK4 || s == IDLE)
		setsockopt(x->fd, SOL_UDP, UDP_CORK, &(int){ 0 }, sizeof(int));
	if (send_piece(s, x, 3, 0) && fd_readable(x->rx, TIMEOUT_MS))
		n = recv(x->rx, buf, sizeof(buf), MSG_DONTWAIT);
	check(name, n == 3, "a datagram of %d bytes (3 sent)", n);
}

int main(int argc, char **argv)
{
	struct sender x[NR_SOCKS];
	int s;

	if (argc != 3 || strcmp(argv[1], "serve")) {
		fprintf(stderr, "usage: udp_cork serve DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	/* fd 3 is more4's sender, fd 4 its receiver. */
	for (s = 0; s < NR_SOCKS; s++)
		make_sender(s, &x[s]);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	for (s = 0; s < NR_SOCKS; s++) {
		held(s, &x[s]);
		sent_on(s, &x[s]);
		works(s, &x[s]);
	}
	return check_exit_status();
}
