/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the UDP workloads share: sockets made, named and bound on the
 * loopback (or the wildcard address), v6-only unless bound to "::".
 */
#ifndef CPT_TEST_UDP_SOCKS_H
#define CPT_TEST_UDP_SOCKS_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "fd_wait.h"

static inline int make(int family, int protocol)
{
	int fd = socket(family, SOCK_DGRAM, protocol);

	if (fd < 0)
		die("socket");
	return fd;
}

static inline socklen_t addr(int family, const char *text, int port,
			     struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		inet_pton(AF_INET, text, &sin->sin_addr);
		return sizeof(*sin);
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	inet_pton(AF_INET6, text, &sin6->sin6_addr);
	return sizeof(*sin6);
}

static inline int bound(int family, int protocol, const char *text)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(family, text, 0, &ss);
	int fd = make(family, protocol);

	if (family == AF_INET6 &&
	    setsockopt(fd, SOL_IPV6, IPV6_V6ONLY,
		       &(int){ strcmp(text, "::") != 0 }, sizeof(int)))
		die("IPV6_V6ONLY");
	if (bind(fd, (struct sockaddr *)&ss, len))
		die("bind");
	return fd;
}

static inline socklen_t name_of(int fd, struct sockaddr_storage *ss)
{
	socklen_t len = sizeof(*ss);

	memset(ss, 0, sizeof(*ss));
	if (getsockname(fd, (struct sockaddr *)ss, &len))
		die("getsockname");
	return len;
}

static inline int port_of(const struct sockaddr_storage *ss)
{
	return ntohs(ss->ss_family == AF_INET ?
			     ((const struct sockaddr_in *)ss)->sin_port :
			     ((const struct sockaddr_in6 *)ss)->sin6_port);
}

#endif
