// SPDX-License-Identifier: GPL-2.0
/*
 * UDP and UDP-Lite datagrams queued, not read yet, across checkpoint/restart.
 *
 * udp_queue serve DIR: five sockets with datagrams queued, each from
 * several senders of their own source port, of sizes from 0 bytes to near
 * 64 KiB: an IPv4 UDP socket bound to 127.0.0.1 (with SO_RCVBUF set); a
 * v6-only one bound to ::1; a dual-stack IPv6 one bound to [::] whose
 * datagrams came over IPv4 (v4-mapped senders); a UDP-Lite one bound to
 * 127.0.0.1; a UDP socket connected to its peer, which sent it some. After
 * DIR/go each reads its datagrams back, with recvfrom(): the same bytes,
 * lengths (one read short: MSG_TRUNC and the full length, and the next
 * read starts at the next datagram) and senders, in order, then none; its
 * SIOCINQ (the first datagram's length) and SO_RCVBUF as before; then it
 * still works both ways: a new datagram comes in, one it sends goes out.
 *
 * udp_queue refused KIND DIR: what a checkpoint refuses, by name: "corked",
 * a UDP socket with data sent with MSG_MORE and an IP_TTL control message
 * (a restart's plain send could not cork it so again); "rcvbuf",
 * one whose SO_RCVBUF was lowered below what its queue holds. After DIR/go
 * the refused state is still there ("kept-running").
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"
#include "udp_socks.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

#define TIMEOUT_MS 5000
#define MAX_DGRAMS 8
#define BIG 65507 /* the largest IPv4 UDP payload */

enum { UDP4, UDP6, MAPPED, LITE, CONNECTED, NR_SOCKS };

static const char *const names[NR_SOCKS] = {
	"udp4", "udp6", "mapped", "udplite", "connected",
};

/* The sizes each socket is sent, in order. */
static const int sizes[NR_SOCKS][MAX_DGRAMS] = {
	[UDP4] = { 5, 0, 1000, BIG, 3, -1 }, [UDP6] = { 0, 7, 65000, 1, -1 },
	[MAPPED] = { 12, 0, 40000, -1 },     [LITE] = { 9, 0, 2000, -1 },
	[CONNECTED] = { 4, 0, 30000, -1 },
};

/* What a socket should read: each datagram's size and sender. */
struct expected {
	int nr;
	int size[MAX_DGRAMS];
	struct sockaddr_storage from[MAX_DGRAMS];
	socklen_t from_len[MAX_DGRAMS];
};

static char go[PATH_MAX];
static unsigned char buf[BIG + 16];

static void show(const struct sockaddr_storage *ss, char *text, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	inet_ntop(ss->ss_family,
		  ss->ss_family == AF_INET ?
			  (const void *)&((const struct sockaddr_in *)ss)
				  ->sin_addr :
			  (const void *)&((const struct sockaddr_in6 *)ss)
				  ->sin6_addr,
		  a, sizeof(a));
	snprintf(text, size, "%s port %d", a, port_of(ss));
}

/* Datagram i of socket s: bytes that tell which it is and where in it. */
static void fill(int s, int i, unsigned char *p, int size)
{
	int k;

	for (k = 0; k < size; k++)
		p[k] = (unsigned char)(s * 31 + i * 7 + k * 13 + (k >> 8));
}

static int filled(int s, int i, const unsigned char *p, int size)
{
	int k;

	for (k = 0; k < size; k++)
		if (p[k] != (unsigned char)(s * 31 + i * 7 + k * 13 + (k >> 8)))
			return 0;
	return 1;
}

/* The number of datagrams fd has queued, waiting until the last came in. */
static int queued_bytes(int fd)
{
	int n = -1;

	if (ioctl(fd, SIOCINQ, &n))
		return -1;
	return n;
}

/*
 * Sends socket s's datagrams to fd (at to), each from a sender of its
 * own port (the connected socket's from its peer, from), and waits until
 * the last is queued.
 */
static void send_all(int s, int fd, int family, int protocol,
		     const struct sockaddr_storage *to, socklen_t to_len,
		     int peer, struct expected *e)
{
	int i, from, one = family == AF_INET6 && s == MAPPED ? AF_INET : family;

	for (i = 0; sizes[s][i] >= 0; i++) {
		from = peer >= 0 ? peer :
				   bound(one, protocol,
					 one == AF_INET ? "127.0.0.1" : "::1");
		fill(s, i, buf, sizes[s][i]);
		if (sendto(from, buf, sizes[s][i], 0, (struct sockaddr *)to,
			   to_len) != sizes[s][i])
			die("sendto");
		e->size[i] = sizes[s][i];
		e->from_len[i] = name_of(from, &e->from[i]);
		if (s == MAPPED) {
			/* Read on an IPv6 socket: v4-mapped. */
			struct sockaddr_in *sin =
				(struct sockaddr_in *)&e->from[i];
			struct sockaddr_in6 m = { .sin6_family = AF_INET6,
						  .sin6_port = sin->sin_port };

			m.sin6_addr.s6_addr[10] = 0xff;
			m.sin6_addr.s6_addr[11] = 0xff;
			memcpy(&m.sin6_addr.s6_addr[12], &sin->sin_addr, 4);
			memset(&e->from[i], 0, sizeof(e->from[i]));
			memcpy(&e->from[i], &m, sizeof(m));
			e->from_len[i] = sizeof(m);
		}
		if (peer < 0)
			close(from);
	}
	e->nr = i;
	/* Over the loopback, each is queued when sendto() returns; poll all the same. */
	if (!fd_readable(fd, TIMEOUT_MS))
		die("nothing queued");
}

/*
 * Reads fd's datagrams back: each one's bytes, length and sender as
 * expected; the third with a short buffer (MSG_TRUNC). Then none is left.
 */
static void reads_back(const char *name, int s, int fd,
		       const struct expected *e)
{
	char why[512] = "", a[80], b[80];
	struct sockaddr_storage from;
	socklen_t from_len;
	struct iovec iov;
	struct msghdr msg;
	int i, n, want, shortened;

	for (i = 0; i < e->nr; i++) {
		shortened = i == 2;
		iov.iov_base = buf;
		iov.iov_len = shortened ? 10 : sizeof(buf);
		memset(&msg, 0, sizeof(msg));
		memset(&from, 0, sizeof(from));
		msg.msg_name = &from;
		msg.msg_namelen = sizeof(from);
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		n = recvmsg(fd, &msg,
			    MSG_DONTWAIT | (shortened ? MSG_TRUNC : 0));
		from_len = msg.msg_namelen;
		want = e->size[i];
		if (n != want) {
			note_to(why, sizeof(why),
				"datagram %d: %d bytes, not %d (%s)", i, n,
				want, n < 0 ? strerror(errno) : "");
			continue;
		}
		if (shortened && !(msg.msg_flags & MSG_TRUNC))
			note_to(why, sizeof(why), "datagram %d: no MSG_TRUNC",
				i);
		if (!filled(s, i, buf, shortened && n > 10 ? 10 : n))
			note_to(why, sizeof(why), "datagram %d: other bytes",
				i);
		if (from_len != e->from_len[i] ||
		    memcmp(&from, &e->from[i], from_len)) {
			show(&from, a, sizeof(a));
			show(&e->from[i], b, sizeof(b));
			note_to(why, sizeof(why),
				"datagram %d: from %s, not %s", i, a, b);
		}
	}
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n >= 0 || errno != EAGAIN)
		note_to(why, sizeof(why), "one more datagram (%d bytes)", n);
	check(name, !why[0], "%d datagrams%s%s", e->nr, why[0] ? ": " : "",
	      why);
}

/* After its queue: a datagram comes in, and one it sends goes out. */
static void both_ways(const char *name, int s, int fd, int family, int protocol)
{
	int one = s == MAPPED ? AF_INET : family, peer, ok, n = -1, m = -1;
	struct sockaddr_storage to, back, local;
	socklen_t to_len, back_len;
	char why[128] = "";

	name_of(fd, &local);
	to_len = addr(one, one == AF_INET ? "127.0.0.1" : "::1",
		      port_of(&local), &to);
	peer = bound(one, protocol, one == AF_INET ? "127.0.0.1" : "::1");
	back_len = name_of(peer, &back);
	if (s == CONNECTED) {
		/* Its peer: only it may send to it. */
		close(peer);
		peer = -1;
	}
	if (peer >= 0) {
		ok = sendto(peer, "in", 2, 0, (struct sockaddr *)&to, to_len) ==
			     2 &&
		     fd_readable(fd, TIMEOUT_MS) &&
		     (n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) == 2 &&
		     sendto(fd, "out", 3, 0, (struct sockaddr *)&back,
			    back_len) == 3 &&
		     fd_readable(peer, TIMEOUT_MS) &&
		     (m = recv(peer, buf, sizeof(buf), MSG_DONTWAIT)) == 3;
		close(peer);
	} else {
		ok = send(fd, "out", 3, 0) == 3;
	}
	if (!ok)
		snprintf(why, sizeof(why), "in %d, out %d: %s", n, m,
			 strerror(errno));
	check(name, ok, "%s", ok ? "a datagram in and one out" : why);
}

static int rcvbuf_of(int fd)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &val, &len);
	return val;
}

static int serve(void)
{
	static const int family[NR_SOCKS] = { AF_INET, AF_INET6, AF_INET6,
					      AF_INET, AF_INET };
	static const int protocol[NR_SOCKS] = { IPPROTO_UDP, IPPROTO_UDP,
						IPPROTO_UDP, IPPROTO_UDPLITE,
						IPPROTO_UDP };
	static const char *const at[NR_SOCKS] = { "127.0.0.1", "::1",
						  "::", "127.0.0.1",
						  "127.0.0.1" };
	int fd[NR_SOCKS], inq[NR_SOCKS], rcvbuf[NR_SOCKS], s, peer = -1;
	struct expected e[NR_SOCKS];
	struct sockaddr_storage to, p;
	socklen_t to_len, p_len;
	char name[64];

	for (s = 0; s < NR_SOCKS; s++) {
		fd[s] = make(family[s], protocol[s]);
		if (s == UDP4 && setsockopt(fd[s], SOL_SOCKET, SO_RCVBUF,
					    &(int){ 200000 }, sizeof(int)))
			die("SO_RCVBUF");
		if (family[s] == AF_INET6 &&
		    setsockopt(fd[s], SOL_IPV6, IPV6_V6ONLY,
			       &(int){ s == UDP6 }, sizeof(int)))
			die("IPV6_V6ONLY");
		to_len = addr(family[s], at[s], 0, &to);
		if (bind(fd[s], (struct sockaddr *)&to, to_len))
			die("bind");
		name_of(fd[s], &to);
		to_len = addr(s == MAPPED ? AF_INET : family[s],
			      s == MAPPED ? "127.0.0.1" : at[s], port_of(&to),
			      &to);
		if (s == CONNECTED) {
			peer = bound(AF_INET, IPPROTO_UDP, "127.0.0.1");
			p_len = name_of(peer, &p);
			if (connect(fd[s], (struct sockaddr *)&p, p_len) ||
			    connect(peer, (struct sockaddr *)&to, to_len))
				die("connect");
		}
		send_all(s, fd[s], family[s], protocol[s], &to, to_len,
			 s == CONNECTED ? peer : -1, &e[s]);
		inq[s] = queued_bytes(fd[s]);
		rcvbuf[s] = rcvbuf_of(fd[s]);
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	for (s = 0; s < NR_SOCKS; s++) {
		snprintf(name, sizeof(name), "%s-inq", names[s]);
		check(name,
		      queued_bytes(fd[s]) == inq[s] &&
			      rcvbuf_of(fd[s]) == rcvbuf[s],
		      "SIOCINQ %d (was %d), SO_RCVBUF %d (was %d)",
		      queued_bytes(fd[s]), inq[s], rcvbuf_of(fd[s]), rcvbuf[s]);
		reads_back(names[s], s, fd[s], &e[s]);
		snprintf(name, sizeof(name), "%s-works", names[s]);
		both_ways(name, s, fd[s], family[s], protocol[s]);
	}
	if (peer >= 0) {
		check("connected-peer",
		      fd_readable(peer, TIMEOUT_MS) &&
			      recv(peer, buf, sizeof(buf), MSG_DONTWAIT) == 3,
		      "the connected socket's datagram reached its peer");
	}
	return check_exit_status();
}

static int refused(const char *kind)
{
	struct sockaddr_storage to;
	socklen_t to_len;
	int u = bound(AF_INET, IPPROTO_UDP, "127.0.0.1"), ok = 0, n;
	int r = bound(AF_INET, IPPROTO_UDP, "127.0.0.1");

	name_of(r, &to);
	to_len = sizeof(struct sockaddr_in);
	if (!strcmp(kind, "corked")) {
		/* fd 3: data held back for the next send, to r, with its own TTL. */
		union {
			char space[CMSG_SPACE(sizeof(int))];
			struct cmsghdr align;
		} control = { 0 };
		struct iovec iov = { .iov_base = "cork", .iov_len = 4 };
		struct msghdr msg = { .msg_name = &to,
				      .msg_namelen = to_len,
				      .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = control.space,
				      .msg_controllen = sizeof(control.space) };
		struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

		cmsg->cmsg_level = SOL_IP;
		cmsg->cmsg_type = IP_TTL;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &(int){ 9 }, sizeof(int));
		if (sendmsg(u, &msg, MSG_MORE) != 4)
			die("sendmsg MSG_MORE");
	} else if (!strcmp(kind, "rcvbuf")) {
		/* fd 4: three datagrams, then a receive buffer too small for them. */
		for (n = 0; n < 3; n++)
			if (sendto(u, buf, 20000, 0, (struct sockaddr *)&to,
				   to_len) != 20000)
				die("sendto");
		if (!fd_readable(r, TIMEOUT_MS) ||
		    setsockopt(r, SOL_SOCKET, SO_RCVBUF, &(int){ 1024 },
			       sizeof(int)))
			die("SO_RCVBUF");
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	if (!strcmp(kind, "corked")) {
		/* Pushed now: one datagram of both sends. */
		ok = sendto(u, "ed", 2, 0, (struct sockaddr *)&to, to_len) ==
			     2 &&
		     fd_readable(r, TIMEOUT_MS) &&
		     recv(r, buf, sizeof(buf), MSG_DONTWAIT) == 6 &&
		     !memcmp(buf, "corked", 6);
	} else if (!strcmp(kind, "rcvbuf")) {
		for (n = 0; n < 3; n++)
			if (recv(r, buf, sizeof(buf), MSG_DONTWAIT) == 20000)
				ok++;
		ok = ok == 3;
	}
	check("kept-running", ok, "the %s state is still there", kind);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc < 3 ||
	    (strcmp(argv[1], "serve") && strcmp(argv[1], "refused")) ||
	    (!strcmp(argv[1], "refused") && argc != 4)) {
		fprintf(stderr,
			"usage: udp_queue serve DIR | refused corked|rcvbuf DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[argc - 1]);
	return strcmp(argv[1], "serve") ? refused(argv[2]) : serve();
}
