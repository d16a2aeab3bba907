// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets a checkpoint must refuse by name, the process left running
 * with its socket as it was. At fd 3, by KIND: creds, a datagram socket
 * bound to DIR/sock holding a datagram with the credentials (SCM_CREDENTIALS) of a child
 * that sent it and exited (its pid reads the same, but a restart could not
 * give it back); outside, a datagram socket connected to an unnamed one a
 * process outside the tree holds (the other end of its pair); option, an
 * unbound stream socket with SO_KEEPALIVE; listener-option, a listener on
 * DIR/sock with SO_RCVLOWAT set, which a restart does not set again on a
 * unix socket. Prints READY,
 * then after DIR/go checks fd 3 still is what it was.
 * Usage: unix_refused KIND DIR
 */
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "check.h"
#include "sync.h"

static struct sockaddr_un addr;
static socklen_t addr_len;

/* Sends "x" to addr from a new socket, with this process's credentials (SCM_CREDENTIALS). */
static int send_with_creds(void)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = { .msg_name = &addr,
			      .msg_namelen = addr_len,
			      .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf };
	struct cmsghdr *c = (struct cmsghdr *)u.buf;
	struct ucred cred = { .pid = getpid(),
			      .uid = getuid(),
			      .gid = getgid() };
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	memset(&u, 0, sizeof(u));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(c), &cred, sizeof(cred));
	msg.msg_controllen = CMSG_SPACE(sizeof(cred));
	if (fd < 0 || sendmsg(fd, &msg, 0) != 1)
		return -1;
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	char go[PATH_MAX], ready[PATH_MAX], done[PATH_MAX], buf[8];
	const char *kind;
	int fd, ok = 0, keepalive = 1, rcvlowat = 7;
	socklen_t len;

	if (argc != 3) {
		fprintf(stderr, "usage: unix_refused KIND DIR\n");
		return 2;
	}
	kind = argv[1];
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	snprintf(ready, sizeof(ready), "%s/outside-ready", argv[2]);
	snprintf(done, sizeof(done), "%s/outside-done", argv[2]);
	addr.sun_family = AF_UNIX;
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", argv[2]);
	addr_len = offsetof(struct sockaddr_un, sun_path) +
		   strlen(addr.sun_path) + 1;
	for (fd = 3; fd < 64; fd++)
		close(fd);
	if (!strcmp(kind, "creds")) {
		pid_t sender;

		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (fd != 3 || bind(fd, (struct sockaddr *)&addr, addr_len))
			return 2;
		sender = fork();
		if (sender == 0)
			_exit(send_with_creds() ? 2 : 0);
		if (sender < 0 || exit_code(sender) != 0)
			return 2;
	} else if (!strcmp(kind, "outside")) {
		int sv[2];

		/*
		 * A datagram socket pair whose other end a process outside
		 * the tree (its parent left it to init) holds until done: an
		 * unnamed peer, which no restart could connect to again.
		 */
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) || sv[0] != 3)
			return 2;
		fd = sv[0];
		if (fork() == 0) {
			if (fork() == 0) {
				if (touch(ready))
					_exit(1);
				wait_for_file(done, 30000);
				_exit(0);
			}
			_exit(0);
		}
		close(sv[1]);
		if (!wait_for_file(ready, 10000))
			return 2;
	} else if (!strcmp(kind, "option")) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd != 3 || setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE,
					  &keepalive, sizeof(keepalive)))
			return 2;
	} else if (!strcmp(kind, "listener-option")) {
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd != 3 ||
		    setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &rcvlowat,
			       sizeof(rcvlowat)) ||
		    bind(fd, (struct sockaddr *)&addr, addr_len) ||
		    listen(fd, 4))
			return 2;
	} else {
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	if (!strcmp(kind, "outside")) {
		struct sockaddr_un peer;

		len = sizeof(peer);
		ok = !getpeername(fd, (struct sockaddr *)&peer, &len) &&
		     len == offsetof(struct sockaddr_un, sun_path);
		touch(done);
	} else if (!strcmp(kind, "option")) {
		int now = 0;

		len = sizeof(now);
		ok = !getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &now, &len) &&
		     now == keepalive;
	} else if (!strcmp(kind, "listener-option")) {
		int now = 0;

		len = sizeof(now);
		ok = !getsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &now, &len) &&
		     now == rcvlowat;
	} else {
		ok = recv(fd, buf, sizeof(buf), MSG_DONTWAIT) == 1;
	}
	check("kept-running", ok, "fd 3 is still the %s socket", kind);
	unlink(addr.sun_path);
	return check_exit_status();
}
