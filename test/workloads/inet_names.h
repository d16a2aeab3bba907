/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the TCP workloads share: the loopback address of either family,
 * which each binds its listener to or connects its client to, a
 * connection's state and whether its data still moves, and the byte streams the two ends of a connection
 * write, each checked by its reader.
 */
#ifndef CPT_TEST_INET_NAMES_H
#define CPT_TEST_INET_NAMES_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

/*
 * Sets ss to the loopback address of family (AF_INET or AF_INET6) with
 * port (0: the kernel picks one at bind()); returns its length.
 */
static inline socklen_t loopback_address(struct sockaddr_storage *ss,
					 int family, unsigned short port)
{
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin->sin_port = htons(port);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_addr = in6addr_loopback;
	sin6->sin6_port = htons(port);
	return sizeof(*sin6);
}

/* The connection's TCP state (TCP_INFO's tcpi_state: TCP_ESTABLISHED...), -1 if it can't tell. */
static inline int tcp_state(int fd)
{
	struct tcp_info info;
	socklen_t len = sizeof(info);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len))
		return -1;
	return info.tcpi_state;
}

/*
 * The kernel's struct tcp_info as far as tcpi_snd_wnd (Linux 5.4), the
 * peer's window, which glibc's netinet/tcp.h stops short of (linux/tcp.h
 * has it, but clashes with netinet/tcp.h); the offset is uapi, fixed.
 */
struct tcp_info_wnd {
	struct tcp_info glibc;
	unsigned char later[228 - sizeof(struct tcp_info)];
	uint32_t tcpi_snd_wnd;
};

_Static_assert(offsetof(struct tcp_info_wnd, tcpi_snd_wnd) == 228,
	       "tcpi_snd_wnd is at offset 228 of the kernel's struct tcp_info");

/*
 * Whether fd's TCP connection moves no more data until its peer reads:
 * nothing it sent is unacknowledged (no ack, delayed ack or retransmission
 * to come), and nothing is left unsent or the peer's window is closed (one
 * left open but too small for the next segment gets it later, from the
 * probe timer). why: what it saw.
 */
static inline int tcp_quiet(int fd, char *why, size_t size)
{
	struct tcp_info_wnd info;
	socklen_t len = sizeof(info);
	int unsent = 0;

	memset(&info, 0, sizeof(info));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) ||
	    len < sizeof(info) || ioctl(fd, SIOCOUTQNSD, &unsent)) {
		snprintf(why, size, "TCP_INFO (%u bytes) or SIOCOUTQNSD: %s",
			 len, strerror(errno));
		return 0;
	}
	snprintf(why, size,
		 "%u segments unacknowledged, %d bytes unsent, window %u",
		 info.glibc.tcpi_unacked, unsent, info.tcpi_snd_wnd);
	return !info.glibc.tcpi_unacked && (!unsent || !info.tcpi_snd_wnd);
}

/* The byte at offset i of the stream of direction d (each end writes its own). */
static inline unsigned char stream_byte(uint64_t i, int d)
{
	return (unsigned char)(i ^ (i >> 8) ^ (i >> 16) ^ (i >> 24) ^
			       (d * 0x5b));
}

/*
 * Writes the stream of direction dir on the non-blocking fd, from offset
 * *sent on, up to limit or until the connection takes no more; exits with
 * 2 on an error.
 */
static inline void stream_fill(int fd, int dir, uint64_t *sent, uint64_t limit)
{
	unsigned char buf[4096];
	ssize_t n;
	size_t i;

	while (*sent < limit) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = stream_byte(*sent + i, dir);
		n = send(fd, buf,
			 limit - *sent < sizeof(buf) ? limit - *sent :
						       sizeof(buf),
			 MSG_NOSIGNAL);
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			perror("write");
			exit(2);
		}
		*sent += n;
	}
}

#endif
