/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the socket workloads share around their checks: a setup step that
 * fails ends the workload with 2 (not a check that failed, which is 1), and
 * a wait for data bounded in time, so that a lost byte fails a check
 * instead of hanging the scenario until its timeout.
 */
#ifndef CPT_TEST_FD_WAIT_H
#define CPT_TEST_FD_WAIT_H

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

static inline void die(const char *what)
{
	perror(what);
	exit(2);
}

/* Whether fd has something to read within timeout_ms. */
static inline int fd_readable(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

#endif
