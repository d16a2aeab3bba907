// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP ping sockets and raw sockets across checkpoint/restart.
 *
 * icmp_raw serve DIR: an ICMP ping socket unbound, one bound to 127.0.0.1
 * (the kernel chose its echo id), one connected to 127.0.0.1 with IP_TTL;
 * ICMPv6 ping sockets bound to ::1 and connected to ::1; a raw ICMP socket
 * whose ICMP_FILTER drops echo requests; a raw ICMPv6 socket whose
 * ICMPV6_FILTER passes echo replies alone; a raw IPPROTO_RAW socket
 * (IP_HDRINCL by default), a raw UDP one with IP_HDRINCL set, bound to
 * 127.0.0.1 and connected, a raw v6 one with IPV6_HDRINCL, a raw TCP one
 * connected (no TCP connection for all its protocol). After DIR/go
 * each keeps its name (getsockname, getpeername) and options; each ping
 * socket pings 127.0.0.1 or ::1 and gets the echo reply with its own id
 * (the unbound one with the id its first send chose); the raw ICMP sockets
 * see the replies to those pings, and their filters keep the requests out.
 *
 * icmp_raw nocap DIR: an ICMP ping socket bound to 127.0.0.1 (fd 3) and a
 * raw ICMP socket with ICMP_FILTER (fd 4), in a process that then drops
 * CAP_NET_RAW (a restart must not make a raw socket for a caller without
 * it). After DIR/go the ping socket still pings and the filter is there.
 *
 * The workload opens net.ipv4.ping_group_range to every group first: the
 * kernel lets no group make ping sockets by default, root's neither.
 */
#include <errno.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>

/* linux/icmp.h's, whose struct icmphdr netinet/ip_icmp.h defines again */
#ifndef ICMP_FILTER
#define ICMP_FILTER 1
#endif

#include "check.h"
#include "sync.h"
#include "fd_wait.h"

#define TIMEOUT_MS 5000

enum {
	PING4_UNBOUND,
	PING4_BOUND,
	PING4_CONNECTED,
	PING6_BOUND,
	PING6_CONNECTED,
	RAW_ICMP,
	RAW_ICMP6,
	RAW_RAW,
	RAW_UDP,
	RAW6_HDRINCL,
	RAW_TCP,
	NR_SOCKS
};

static const char *const names[NR_SOCKS] = {
	"ping4-unbound",   "ping4-bound",  "ping4-connected", "ping6-bound",
	"ping6-connected", "raw-icmp",	   "raw-icmp6",	      "raw-raw",
	"raw-udp",	   "raw6-hdrincl", "raw-tcp",
};

static int make(int family, int type, int protocol)
{
	int fd = socket(family, type, protocol);

	if (fd < 0)
		die("socket");
	return fd;
}

static struct sockaddr_in v4(const char *addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

static struct sockaddr_in6 v6(const char *addr)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };

	inet_pton(AF_INET6, addr, &sin6.sin6_addr);
	return sin6;
}

/* getsockname() or getpeername() as text; its port (a ping socket's echo id) in *port. */
static void name_of(int fd, int peer, char *buf, size_t size, int *port)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	int p;

	memset(&ss, 0, sizeof(ss));
	if (peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		   getsockname(fd, (struct sockaddr *)&ss, &len)) {
		snprintf(buf, size, "error %d", errno);
		return;
	}
	p = ntohs(ss.ss_family == AF_INET ?
			  ((struct sockaddr_in *)&ss)->sin_port :
			  ((struct sockaddr_in6 *)&ss)->sin6_port);
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET ?
			  (void *)&((struct sockaddr_in *)&ss)->sin_addr :
			  (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  addr, sizeof(addr));
	snprintf(buf, size, "%d %s %d", ss.ss_family, addr, p);
	if (port)
		*port = p;
}

/* The socket's state as text: its names and the options it has. */
static void state_of(int fd, char *buf, size_t size)
{
	char local[80], peer[80];
	unsigned char opt[64];
	socklen_t len;
	int val, i, n;

	name_of(fd, 0, local, sizeof(local), NULL);
	name_of(fd, 1, peer, sizeof(peer), NULL);
	n = snprintf(buf, size, "name %s peer %s", local, peer);
	len = sizeof(val);
	if (!getsockopt(fd, SOL_IP, IP_TTL, &val, &len))
		n += snprintf(buf + n, size - n, " ttl %d", val);
	len = sizeof(val);
	if (!getsockopt(fd, SOL_IP, IP_HDRINCL, &val, &len))
		n += snprintf(buf + n, size - n, " hdrincl %d", val);
	len = sizeof(val);
	if (!getsockopt(fd, SOL_IPV6, IPV6_HDRINCL, &val, &len))
		n += snprintf(buf + n, size - n, " hdrincl6 %d", val);
	len = sizeof(opt);
	if (!getsockopt(fd, SOL_RAW, ICMP_FILTER, opt, &len) ||
	    (len = sizeof(opt),
	     !getsockopt(fd, SOL_ICMPV6, ICMP6_FILTER, opt, &len))) {
		n += snprintf(buf + n, size - n, " filter ");
		for (i = 0; i < (int)len && n < (int)size - 3; i++)
			n += snprintf(buf + n, size - n, "%02x", opt[i]);
	}
}

/* Sends an echo request of sequence seq from a ping socket: to dest, or its peer. */
static int ping(int fd, int family, const void *dest, socklen_t dest_len,
		int seq)
{
	unsigned char packet[16] = { 0 };
	struct icmphdr *h4 = (struct icmphdr *)packet;
	struct icmp6_hdr *h6 = (struct icmp6_hdr *)packet;

	if (family == AF_INET) {
		h4->type = ICMP_ECHO;
		h4->un.echo.sequence = htons(seq);
	} else {
		h6->icmp6_type = ICMP6_ECHO_REQUEST;
		h6->icmp6_seq = htons(seq);
	}
	memcpy(packet + 8, "cptping", 8);
	return sendto(fd, packet, sizeof(packet), 0, dest, dest_len) ==
	       sizeof(packet);
}

/*
 * The ICMP message next received on fd (past the IPv4 header a raw ICMP
 * socket gets): its type, id and sequence; 0 if none came.
 */
static int next_icmp(int fd, int raw4, int timeout_ms, int *type, int *id,
		     int *seq)
{
	unsigned char buf[1500];
	const struct iphdr *ip = (const struct iphdr *)buf;
	const unsigned char *icmp = buf;
	ssize_t n;

	if (!fd_readable(fd, timeout_ms))
		return 0;
	n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (raw4 && n >= (ssize_t)sizeof(*ip)) {
		icmp = buf + ip->ihl * 4;
		n -= ip->ihl * 4;
	}
	if (n < 8)
		return 0;
	*type = icmp[0];
	*id = icmp[4] << 8 | icmp[5];
	*seq = icmp[6] << 8 | icmp[7];
	return 1;
}

/* A ping from fd: the reply comes back to fd with its echo id (want_id, or its port). */
static void pings(const char *name, int fd, int family, const void *dest,
		  socklen_t dest_len, int want_id, int seq)
{
	int type, id = -1, got_seq = -1, port = -1, got;
	int reply = family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	char local[80];

	if (!ping(fd, family, dest, dest_len, seq)) {
		check(name, 0, "sendto failed: %d", errno);
		return;
	}
	got = next_icmp(fd, 0, TIMEOUT_MS, &type, &id, &got_seq);
	name_of(fd, 0, local, sizeof(local), &port);
	if (want_id < 0)
		want_id = port;
	check(name, got && type == reply && id == want_id && got_seq == seq,
	      "%s: type %d id %d (want %d) seq %d (want %d), now bound to %s",
	      got ? "reply" : "no reply", got ? type : -1, id, want_id, got_seq,
	      seq, local);
}

/*
 * What a raw ICMP socket saw of the pings: the echo reply of id and seq,
 * and no echo request (its filter drops those).
 */
static void raw_sees(const char *name, int fd, int raw4, int id, int seq)
{
	int reply = raw4 ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	int request = raw4 ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	int type, got_id, got_seq, replies = 0, requests = 0, others = 0;

	while (next_icmp(fd, raw4, replies ? 200 : TIMEOUT_MS, &type, &got_id,
			 &got_seq)) {
		if (type == request)
			requests++;
		else if (type == reply && got_id == id && got_seq == seq)
			replies++;
		else
			others++;
	}
	check(name, replies == 1 && !requests,
	      "saw %d echo replies of id %d seq %d, %d echo requests (filtered out), %d other",
	      replies, id, seq, requests, others);
}

static int serve(const char *go)
{
	struct sockaddr_in lo4 = v4("127.0.0.1");
	struct sockaddr_in6 lo6 = v6("::1");
	struct icmp6_filter filter6;
	char before[NR_SOCKS][256], after[256];
	int fd[NR_SOCKS], i, id4, id6;

	open_ping_range();
	fd[PING4_UNBOUND] = make(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	fd[PING4_BOUND] = make(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (bind(fd[PING4_BOUND], (struct sockaddr *)&lo4, sizeof(lo4)))
		die("bind ping4");
	fd[PING4_CONNECTED] = make(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (setsockopt(fd[PING4_CONNECTED], SOL_IP, IP_TTL, &(int){ 33 },
		       sizeof(int)) ||
	    connect(fd[PING4_CONNECTED], (struct sockaddr *)&lo4, sizeof(lo4)))
		die("connect ping4");
	fd[PING6_BOUND] = make(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (bind(fd[PING6_BOUND], (struct sockaddr *)&lo6, sizeof(lo6)))
		die("bind ping6");
	fd[PING6_CONNECTED] = make(AF_INET6, SOCK_DGRAM, IPPROTO_ICMPV6);
	if (connect(fd[PING6_CONNECTED], (struct sockaddr *)&lo6, sizeof(lo6)))
		die("connect ping6");

	fd[RAW_ICMP] = make(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (setsockopt(fd[RAW_ICMP], SOL_RAW, ICMP_FILTER,
		       &(unsigned int){ 1U << ICMP_ECHO },
		       sizeof(unsigned int)))
		die("ICMP_FILTER");
	fd[RAW_ICMP6] = make(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
	ICMP6_FILTER_SETBLOCKALL(&filter6);
	ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filter6);
	if (setsockopt(fd[RAW_ICMP6], SOL_ICMPV6, ICMP6_FILTER, &filter6,
		       sizeof(filter6)))
		die("ICMP6_FILTER");
	fd[RAW_RAW] = make(AF_INET, SOCK_RAW, IPPROTO_RAW);
	fd[RAW_UDP] = make(AF_INET, SOCK_RAW, IPPROTO_UDP);
	if (setsockopt(fd[RAW_UDP], SOL_IP, IP_HDRINCL, &(int){ 1 },
		       sizeof(int)) ||
	    bind(fd[RAW_UDP], (struct sockaddr *)&lo4, sizeof(lo4)) ||
	    connect(fd[RAW_UDP], (struct sockaddr *)&lo4, sizeof(lo4)))
		die("raw UDP");
	fd[RAW6_HDRINCL] = make(AF_INET6, SOCK_RAW, IPPROTO_UDP);
	if (setsockopt(fd[RAW6_HDRINCL], SOL_IPV6, IPV6_HDRINCL, &(int){ 1 },
		       sizeof(int)))
		die("IPV6_HDRINCL");
	/* Of IPPROTO_TCP and connected, as a TCP connection is: a raw socket all the same. */
	fd[RAW_TCP] = make(AF_INET, SOCK_RAW, IPPROTO_TCP);
	if (connect(fd[RAW_TCP], (struct sockaddr *)&lo4, sizeof(lo4)))
		die("raw TCP");

	for (i = 0; i < NR_SOCKS; i++)
		state_of(fd[i], before[i], sizeof(before[i]));
	name_of(fd[PING4_BOUND], 0, after, sizeof(after), &id4);
	name_of(fd[PING6_BOUND], 0, after, sizeof(after), &id6);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	for (i = 0; i < NR_SOCKS; i++) {
		state_of(fd[i], after, sizeof(after));
		check(names[i], !strcmp(before[i], after), "%s (was %s)", after,
		      before[i]);
	}
	pings("ping4-unbound-echo", fd[PING4_UNBOUND], AF_INET, &lo4,
	      sizeof(lo4), -1, 1);
	pings("ping4-bound-echo", fd[PING4_BOUND], AF_INET, &lo4, sizeof(lo4),
	      id4, 2);
	raw_sees("raw-icmp-filter", fd[RAW_ICMP], 1, id4, 2);
	pings("ping4-connected-echo", fd[PING4_CONNECTED], AF_INET, NULL, 0, -1,
	      3);
	pings("ping6-bound-echo", fd[PING6_BOUND], AF_INET6, &lo6, sizeof(lo6),
	      id6, 4);
	raw_sees("raw-icmp6-filter", fd[RAW_ICMP6], 0, id6, 4);
	pings("ping6-connected-echo", fd[PING6_CONNECTED], AF_INET6, NULL, 0,
	      -1, 5);
	return check_exit_status();
}

static int nocap(const char *go)
{
	struct sockaddr_in lo4 = v4("127.0.0.1");
	char before[256], after[256];
	int ping4, raw, id;

	open_ping_range();
	ping4 = make(AF_INET, SOCK_DGRAM, IPPROTO_ICMP);
	if (bind(ping4, (struct sockaddr *)&lo4, sizeof(lo4)))
		die("bind ping4");
	raw = make(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (setsockopt(raw, SOL_RAW, ICMP_FILTER,
		       &(unsigned int){ 1U << ICMP_ECHO },
		       sizeof(unsigned int)))
		die("ICMP_FILTER");
	drop_net_raw();
	state_of(raw, before, sizeof(before));
	name_of(ping4, 0, after, sizeof(after), &id);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	state_of(raw, after, sizeof(after));
	check("raw-icmp", !strcmp(before, after), "%s (was %s)", after, before);
	pings("ping4-bound-echo", ping4, AF_INET, &lo4, sizeof(lo4), id, 1);
	raw_sees("raw-icmp-filter", raw, 1, id, 1);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	char go[PATH_MAX];

	if (argc != 3 ||
	    (strcmp(argv[1], "serve") && strcmp(argv[1], "nocap"))) {
		fprintf(stderr, "usage: icmp_raw serve|nocap DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	return strcmp(argv[1], "serve") ? nocap(go) : serve(go);
}
