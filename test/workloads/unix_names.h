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

/* A unix socket's name and its length, as bind() and sendto() take them. */
struct unix_name {
	struct sockaddr_un sun;
	socklen_t len;
};

/* Sets n to the path DIR/FILE. */
static inline void unix_path_name(struct unix_name *n, const char *dir,
				  const char *file)
{
	memset(n, 0, sizeof(*n));
	n->sun.sun_family = AF_UNIX;
	snprintf(n->sun.sun_path, sizeof(n->sun.sun_path), "%s/%s", dir, file);
	n->len = offsetof(struct sockaddr_un, sun_path) +
		 strlen(n->sun.sun_path) + 1;
}

/* Sets n to the abstract name "cpt-PREFIX-WHAT-PID". */
static inline void unix_abstract_name(struct unix_name *n, const char *prefix,
				      const char *what)
{
	n->len = abstract_name(&n->sun, prefix, what);
}

/* Room for the SCM_RIGHTS control message of up to UNIX_MAX_FDS fds. */
#define UNIX_MAX_FDS 4
union unix_fds_control {
	char buf[CMSG_SPACE(UNIX_MAX_FDS * sizeof(int))];
	struct cmsghdr align;
};

/* Puts the nr fds in fds into msg as SCM_RIGHTS, held in u (nothing if nr is 0). */
static inline void unix_put_fds(struct msghdr *msg, union unix_fds_control *u,
				const int *fds, int nr)
{
	struct cmsghdr *cm;

	if (!nr)
		return;
	memset(u, 0, sizeof(*u));
	msg->msg_control = u->buf;
	msg->msg_controllen = CMSG_SPACE(nr * sizeof(int));
	cm = CMSG_FIRSTHDR(msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nr * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nr * sizeof(int));
}

/*
 * The fds a received msg carries (SCM_RIGHTS), into fds; how many, or -1
 * with another control message (its type in *other).
 */
static inline int unix_take_fds(struct msghdr *msg, int *fds, int *other)
{
	struct cmsghdr *cm;
	int nr = 0;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS) {
			*other = cm->cmsg_type;
			return -1;
		}
		nr = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		memcpy(fds, CMSG_DATA(cm), nr * sizeof(int));
	}
	return nr;
}

/* Whether fd has something to read within timeout_ms. */
static inline int readable_within(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, timeout_ms) == 1;
}

/*
 * Receives one message from fd, if one comes within timeout_ms: its data
 * into data (size bytes, NUL-terminated) and its SCM_CREDENTIALS into got
 * (pid -1 if it carries none). recvmsg()'s result, or -1 if none came.
 */
static inline ssize_t recv_with_creds(int fd, char *data, size_t size,
				      struct ucred *got, int timeout_ms)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = data, .iov_len = size - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cm;
	ssize_t n = -1;

	memset(&u, 0, sizeof(u));
	got->pid = -1;
	if (readable_within(fd, timeout_ms))
		n = recvmsg(fd, &msg, MSG_DONTWAIT);
	data[n > 0 ? n : 0] = 0;
	for (cm = CMSG_FIRSTHDR(&msg); n >= 0 && cm; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS)
			memcpy(got, CMSG_DATA(cm), sizeof(*got));
	return n;
}

#endif
