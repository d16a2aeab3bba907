/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the socket workloads share around their checks: a setup step that
 * fails ends the workload with 2 (not a check that failed, which is 1), and
 * a wait for data bounded in time, so that a lost byte fails a check
 * instead of hanging the scenario until its timeout; a socket moved to the
 * fd a check names, an int option set, int options as text, CAP_NET_RAW
 * dropped, net.ipv4.ping_group_range opened to every group.
 */
#ifndef CPT_TEST_FD_WAIT_H
#define CPT_TEST_FD_WAIT_H

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/capability.h>

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

/* fd, moved to want (closed where it was). */
static inline int fd_at(int fd, int want)
{
	if (fd != want && (dup2(fd, want) != want || close(fd)))
		die("dup2");
	return want;
}

/*
 * ICMP ping sockets for every group: by default the kernel lets none make
 * them, root's neither (a restart makes them again as the caller too).
 */
static inline void open_ping_range(void)
{
	int fd = open("/proc/sys/net/ipv4/ping_group_range", O_WRONLY);

	if (fd < 0 || write(fd, "0 2147483647", 12) != 12)
		die("net.ipv4.ping_group_range");
	close(fd);
}

/* setsockopt() of an int option, or the workload ends. */
static inline void set_int_opt(int fd, int level, int name, int val)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		die("setsockopt");
}

/*
 * The int options names[0..count) of level at fd, appended to buf as
 * " o<name>=<value>" each (-1 when getsockopt() fails): a part of the line
 * a socket workload compares before and after its restart. Returns the
 * length written, as snprintf() does.
 */
static inline int int_opts_text(int fd, int level, const int *names, int count,
				char *buf, size_t size)
{
	int val, i, n = 0;
	socklen_t len;

	for (i = 0; i < count; i++) {
		len = sizeof(val);
		val = -1;
		getsockopt(fd, level, names[i], &val, &len);
		n += snprintf(buf + n, size - n, " o%d=%d", names[i], val);
	}
	return n;
}

/* The SOL_SOCKET int option name at fd, appended as " <label> <value>". */
static inline int sock_opt_text(int fd, int name, const char *label, char *buf,
				size_t size)
{
	socklen_t len = sizeof(int);
	int val = -1;

	getsockopt(fd, SOL_SOCKET, name, &val, &len);
	return snprintf(buf, size, " %s %d", label, val);
}

/* CAP_NET_RAW out of every set, the bounding set too. */
static inline void drop_net_raw(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) || prctl(PR_CAPBSET_DROP, CAP_NET_RAW))
		die("capget");
	d[0].effective &= ~(1U << CAP_NET_RAW);
	d[0].permitted &= ~(1U << CAP_NET_RAW);
	d[0].inheritable &= ~(1U << CAP_NET_RAW);
	if (syscall(SYS_capset, &h, d))
		die("capset");
}

#endif
