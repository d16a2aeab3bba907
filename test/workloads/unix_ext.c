// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets connected to a server outside the tree
 * (kmod/cpt_unix_unpaired.c): the servers, which the guest test runs outside
 * the tree, and the clients it checkpoints.
 *
 * unix_ext dgram-server PATH LOG: a syslog-like server, a datagram socket
 *   bound to PATH that appends each datagram it reads to LOG, a line each.
 * unix_ext stream-server PATH LOG: a listener on PATH that serves each
 *   connection it accepts (the Nth) in a child of its own: each message it
 *   reads is appended to LOG as "conn N: MESSAGE" and answered "ack N",
 *   but "push", answered "pushed" and "ack N".
 *   Both print READY once bound, and serve until killed.
 * unix_ext client KIND PATH DIR: a client connected to the server on PATH:
 *   dgram sends "before" and READY; after DIR/go, "after" (checks
 *   dgram-peer, dgram-send-after). stream sends "before" and reads its ack
 *   before READY; after DIR/go, sends "after" and checks that a new
 *   connection answers it (stream-new-connection, stream-peer). stream-kept
 *   is stream, refused at checkpoint: after DIR/go, its connection answers
 *   (kept-running). stream-queued is stream-kept with the answer to its
 *   "push" left unread. pair-rights (PATH unused) holds a stream socket
 *   pair, at fds 3 and 4, with a NETLINK_FIB_LOOKUP socket (no kind a checkpoint
 *   saves) only in flight to fd 3 (SCM_RIGHTS); after DIR/go, fd 3
 *   receives it (kept-running).
 */
#include <errno.h>
#include <limits.h>
#include <linux/netlink.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "check.h"
#include "sync.h"

static struct sockaddr_un addr;
static socklen_t addr_len;

static void log_line(const char *log, const char *line)
{
	FILE *f = fopen(log, "a");

	if (!f)
		exit(1);
	fprintf(f, "%s\n", line);
	fclose(f);
}

static int dgram_server(const char *log)
{
	char buf[256];
	ssize_t n;
	int s = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (s < 0 || bind(s, (struct sockaddr *)&addr, addr_len))
		return 1;
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		n = recv(s, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			return 1;
		buf[n] = 0;
		log_line(log, buf);
	}
}

static void serve(int c, int nr, const char *log)
{
	char buf[256], line[300];
	ssize_t n;
	int len;

	while ((n = read(c, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = 0;
		snprintf(line, sizeof(line), "conn %d: %s", nr, buf);
		log_line(log, line);
		len = snprintf(line, sizeof(line), "%sack %d",
			       strcmp(buf, "push") ? "" : "pushed", nr);
		if (write(c, line, len) != len)
			break;
	}
	_exit(0);
}

static int stream_server(const char *log)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0), c, nr = 0;

	signal(SIGCHLD, SIG_IGN);
	if (s < 0 || bind(s, (struct sockaddr *)&addr, addr_len) ||
	    listen(s, 8))
		return 1;
	printf("READY\n");
	fflush(stdout);
	for (;;) {
		c = accept(s, NULL, NULL);
		if (c < 0)
			return 1;
		nr++;
		if (fork() == 0) {
			close(s);
			serve(c, nr, log);
		}
		close(c);
	}
}

/* Sends msg and reads the server's answer "ack N": N, or -1. */
static int ask(int fd, const char *msg)
{
	char buf[64];
	ssize_t n;

	if (send(fd, msg, strlen(msg), 0) != (ssize_t)strlen(msg))
		return -1;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strncmp(buf, "ack ", 4) ? -1 : atoi(buf + 4);
}

/* Whether fd's peer is named PATH. */
static int peer_is_path(int fd)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);

	return !getpeername(fd, (struct sockaddr *)&peer, &len) &&
	       !strcmp(peer.sun_path, addr.sun_path);
}

/* Sends fd over sock (SCM_RIGHTS) with a byte; or receives it: the fd, or -1. */
static int pass_fd(int sock, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
	char byte;

	if (fd >= 0) {
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
		return sendmsg(sock, &msg, 0) == 1 ? 0 : -1;
	}
	iov.iov_base = &byte;
	if (recvmsg(sock, &msg, MSG_DONTWAIT) != 1)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

/* The pair-rights client: refused at checkpoint, fd 3's queue as it was. */
static int pair_rights(const char *dir)
{
	int sv[2], nl = socket(AF_NETLINK, SOCK_RAW, NETLINK_FIB_LOOKUP);

	if (nl < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv) || sv[0] != 4 ||
	    pass_fd(sv[1], nl) || close(nl) || dup2(sv[0], 3) != 3 ||
	    close(sv[0]))
		return 2;
	printf("READY\n");
	fflush(stdout);
	wait_in(dir, "go", WAIT_FOREVER);
	check("kept-running", pass_fd(3, -1) >= 0,
	      "fd 3 receives the fd in flight");
	return check_exit_status();
}

static int client(const char *kind, const char *dir)
{
	int dgram = !strcmp(kind, "dgram"), fd, before = -1, after;
	char buf[64];

	/* The checkpoint's refusals name fd 3. */
	for (fd = 3; fd < 64; fd++)
		close(fd);
	if (!strcmp(kind, "pair-rights"))
		return pair_rights(dir);
	fd = socket(AF_UNIX, dgram ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, addr_len))
		return 2;
	if (dgram) {
		if (send(fd, "before", 6, 0) != 6)
			return 2;
	} else if (!strcmp(kind, "stream-queued")) {
		/* Its answer stays queued, unread, until the check below. */
		if (send(fd, "push", 4, 0) != 4 ||
		    recv(fd, buf, 6, MSG_PEEK) != 6)
			return 2;
	} else {
		before = ask(fd, "before");
		if (before < 0)
			return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_in(dir, "go", WAIT_FOREVER);
	if (dgram) {
		check("dgram-peer", peer_is_path(fd), "connected to %s",
		      addr.sun_path);
		errno = 0;
		check("dgram-send-after", send(fd, "after", 5, 0) == 5,
		      "sent \"after\" to %s: %s", addr.sun_path,
		      strerror(errno));
	} else if (!strcmp(kind, "stream")) {
		check("stream-peer", peer_is_path(fd), "connected to %s",
		      addr.sun_path);
		after = ask(fd, "after");
		check("stream-new-connection", after > 0 && after != before,
		      "\"before\" was answered by connection %d, \"after\" by %d",
		      before, after);
	} else {
		if (!strcmp(kind, "stream-queued"))
			before = recv(fd, buf, sizeof(buf), MSG_DONTWAIT) >=
							 6 &&
						 !memcmp(buf, "pushed", 6) ?
					 0 :
					 -1;
		after = ask(fd, "kept");
		check("kept-running", before >= 0 && after > 0,
		      "its connection still answers (%d, %d)", before, after);
	}
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr,
			"usage: unix_ext dgram-server|stream-server PATH LOG | client KIND PATH DIR\n");
		return 2;
	}
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s",
		 argv[strcmp(argv[1], "client") ? 2 : 3]);
	addr_len = offsetof(struct sockaddr_un, sun_path) +
		   strlen(addr.sun_path) + 1;
	if (!strcmp(argv[1], "dgram-server") && argc == 4)
		return dgram_server(argv[3]);
	if (!strcmp(argv[1], "stream-server") && argc == 4)
		return stream_server(argv[3]);
	if (!strcmp(argv[1], "client") && argc == 5)
		return client(argv[2], argv[4]);
	return 2;
}
