/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the unix socket workloads share: abstract names of their own (the
 * workload's pid in each, so that a leftover of an earlier run never holds
 * one) and a bounded wait for data, so that a lost message fails a check
 * instead of hanging the scenario.
 */
#ifndef CPT_TEST_UNIX_NAMES_H
#define CPT_TEST_UNIX_NAMES_H

#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* Sets addr to the abstract name "cpt-PREFIX-WHAT-PID"; returns its length. */
static inline socklen_t abstract_name(struct sockaddr_un *addr,
				      const char *prefix, const char *what)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	return offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(addr->sun_path + 1, sizeof(addr->sun_path) - 1,
			"cpt-%s-%s-%d", prefix, what, (int)getpid());
}

/* Whether fd has something to read within timeout_ms. */
static inline int readable_within(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

#endif
