/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the TCP workloads share: the loopback address of either family,
 * which each binds its listener to or connects its client to.
 */
#ifndef CPT_TEST_INET_NAMES_H
#define CPT_TEST_INET_NAMES_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

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

#endif
