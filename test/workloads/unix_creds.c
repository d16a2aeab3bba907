// SPDX-License-Identifier: GPL-2.0
/*
 * Queued unix messages that carry their sender's credentials, across
 * checkpoint/restart: after DIR/go each is read with SO_PASSCRED and must
 * give exactly the pid, uid and gid it would have given without the
 * checkpoint (worked out before it).
 * - listener: a child (uid and gid 1000) connects to a stream listener on
 *   an abstract name and writes "hello" before the root accepts (af_unix
 *   gives it its sender's credentials), then " world" once accepted (none).
 *   The root reads neither: each comes back alone, the first with the
 *   child's pid and ids (as SO_PEERCRED named them), the second with none.
 * - pair: a stream pair whose reading end has SO_PASSCRED; the root writes
 *   "one", a child (uid and gid 2000) writes "two": each comes back with
 *   its writer's credentials, and only the reading end has SO_PASSCRED.
 * - dgram: a bound datagram socket with SO_PASSCRED gets a datagram from a
 *   child (uid and gid 3000), and one from the root with SCM_CREDENTIALS
 *   naming that child's pid and uid and gid 4000.
 * - dgram-pair: a datagram pair, neither end with SO_PASSCRED, holds a
 *   datagram sent with SCM_CREDENTIALS (the first child's pid, ids 5000)
 *   and one without.
 * Usage: unix_creds DIR
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "check.h"
#include "sync.h"
#include "unix_names.h"

#define TIMEOUT_MS 10000
/* What a receiver reads for a message without credentials: pid 0, the overflow ids. */
#define NO_ID 65534

static char dir[PATH_MAX / 2];

static void marker(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* Sends text on fd (to addr if given), with credentials c if given. */
static int send_creds(int fd, const struct sockaddr_un *addr, socklen_t len,
		      const char *text, const struct ucred *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct ucred))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)text,
			     .iov_len = strlen(text) };
	struct msghdr msg = { .msg_name = (void *)addr,
			      .msg_namelen = addr ? len : 0,
			      .msg_iov = &iov,
			      .msg_iovlen = 1 };
	struct cmsghdr *cm = (struct cmsghdr *)u.buf;

	if (c) {
		memset(&u, 0, sizeof(u));
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(*c));
		memcpy(CMSG_DATA(cm), c, sizeof(*c));
		msg.msg_control = u.buf;
		msg.msg_controllen = sizeof(u.buf);
	}
	return sendmsg(fd, &msg, 0) == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Reads one message from fd (SO_PASSCRED set first): whether it is want,
 * with credentials c; what it got, in detail, otherwise.
 */
static int reads_with(int fd, const char *want, const struct ucred *c,
		      char *detail, size_t size)
{
	struct ucred got = { .pid = -1 };
	char data[64];
	ssize_t n;
	int one = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)))
		n = -1;
	else
		n = recv_with_creds(fd, data, sizeof(data), &got, TIMEOUT_MS);
	if (n < 0) {
		note_to(detail, size, "nothing to read for \"%s\"", want);
		return 0;
	}
	if (n == (ssize_t)strlen(want) && !strcmp(data, want) &&
	    got.pid == c->pid && got.uid == c->uid && got.gid == c->gid)
		return 1;
	note_to(detail, size,
		"read \"%s\" pid %d uid %u gid %u, want \"%s\" pid %d uid %u gid %u",
		data, got.pid, got.uid, got.gid, want, c->pid, c->uid, c->gid);
	return 0;
}

/* A child as uid and gid id: runs fn, tells it is done (DIR/NAME), lives until go. */
static pid_t child_as(unsigned int id, const char *name, int (*fn)(void *),
		      void *arg)
{
	char done[PATH_MAX], go[PATH_MAX];
	pid_t pid = fork();

	if (pid)
		return pid;
	marker(done, sizeof(done), name);
	marker(go, sizeof(go), "go");
	if (setgid(id) || setuid(id) || fn(arg) || touch(done))
		_exit(1);
	wait_for(go);
	_exit(0);
}

static int wait_done(const char *name)
{
	char path[PATH_MAX];

	marker(path, sizeof(path), name);
	return wait_for_file(path, TIMEOUT_MS);
}

/* listener: connects and writes "hello" before the accept, " world" after (DIR/accepted). */
static struct sockaddr_un listen_addr;
static socklen_t listen_len;

static int listener_client(void *unused)
{
	char accepted[PATH_MAX], first[PATH_MAX];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	(void)unused;
	marker(accepted, sizeof(accepted), "accepted");
	marker(first, sizeof(first), "hello-sent");
	if (fd < 0 ||
	    connect(fd, (struct sockaddr *)&listen_addr, listen_len) ||
	    write(fd, "hello", 5) != 5 || touch(first) ||
	    !wait_for_file(accepted, TIMEOUT_MS) || write(fd, " world", 6) != 6)
		return -1;
	return 0;
}

static int pair_writer(void *fd)
{
	return write(*(int *)fd, "two", 3) == 3 ? 0 : -1;
}

static struct sockaddr_un dgram_addr;
static socklen_t dgram_len;

static int dgram_sender(void *unused)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	(void)unused;
	return fd < 0 ? -1 :
			send_creds(fd, &dgram_addr, dgram_len, "dgram", NULL);
}

int main(int argc, char **argv)
{
	struct ucred hello, world = { 0, NO_ID, NO_ID }, one, two, dgram,
			    claimed, dpair, none = { 0, NO_ID, NO_ID };
	int lfd, accepted, pair[2], dpairs[2], dfd, on = 1, passcred;
	socklen_t len = sizeof(hello);
	pid_t c1, c2, c3;
	char path[PATH_MAX], detail[512];

	if (argc != 2) {
		fprintf(stderr, "usage: unix_creds DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	/* The children, as other users, leave their markers there. */
	if (chmod(dir, 0777))
		return 2;

	/* listener */
	listen_len = abstract_name(&listen_addr, "creds", "listen");
	lfd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&listen_addr, listen_len) ||
	    listen(lfd, 4))
		return 2;
	c1 = child_as(1000, "listener-done", listener_client, NULL);
	if (!wait_done("hello-sent"))
		return 2;
	accepted = accept(lfd, NULL, NULL);
	marker(path, sizeof(path), "accepted");
	if (accepted < 0 ||
	    getsockopt(accepted, SOL_SOCKET, SO_PEERCRED, &hello, &len) ||
	    touch(path) || !wait_done("listener-done"))
		return 2;

	/* pair */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) ||
	    setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) ||
	    write(pair[1], "one", 3) != 3)
		return 2;
	one = (struct ucred){ getpid(), getuid(), getgid() };
	c2 = child_as(2000, "pair-done", pair_writer, &pair[1]);
	if (!wait_done("pair-done"))
		return 2;
	two = (struct ucred){ c2, 2000, 2000 };

	/* dgram */
	dgram_len = abstract_name(&dgram_addr, "creds", "dgram");
	dfd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (dfd < 0 || bind(dfd, (struct sockaddr *)&dgram_addr, dgram_len) ||
	    setsockopt(dfd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)))
		return 2;
	c3 = child_as(3000, "dgram-done", dgram_sender, NULL);
	if (!wait_done("dgram-done"))
		return 2;
	dgram = (struct ucred){ c3, 3000, 3000 };
	claimed = (struct ucred){ c3, 4000, 4000 };
	{
		int from = socket(AF_UNIX, SOCK_DGRAM, 0);

		if (from < 0 || send_creds(from, &dgram_addr, dgram_len,
					   "claimed", &claimed))
			return 2;
		close(from);
	}

	/* dgram-pair */
	dpair = (struct ucred){ c1, 5000, 5000 };
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, dpairs) ||
	    send_creds(dpairs[1], NULL, 0, "with", &dpair) ||
	    send_creds(dpairs[1], NULL, 0, "without", NULL))
		return 2;

	printf("READY\n");
	fflush(stdout);
	marker(path, sizeof(path), "go");
	wait_for(path);

	detail[0] = 0;
	check("listener",
	      reads_with(accepted, "hello", &hello, detail, sizeof(detail)) &&
		      reads_with(accepted, " world", &world, detail,
				 sizeof(detail)),
	      "written before the accept, \"hello\" reads alone with its writer's pid %d uid %u gid %u (SO_PEERCRED), \" world\" with none%s%s",
	      hello.pid, hello.uid, hello.gid, *detail ? ": " : "", detail);

	detail[0] = 0;
	len = sizeof(passcred);
	passcred = -1;
	getsockopt(pair[1], SOL_SOCKET, SO_PASSCRED, &passcred, &len);
	check("pair",
	      reads_with(pair[0], "one", &one, detail, sizeof(detail)) &&
		      reads_with(pair[0], "two", &two, detail,
				 sizeof(detail)) &&
		      passcred == 0,
	      "a stream pair's reading end with SO_PASSCRED reads each writer's message alone, with its credentials; the other end has no SO_PASSCRED (%d)%s%s",
	      passcred, *detail ? ": " : "", detail);

	detail[0] = 0;
	len = sizeof(passcred);
	passcred = -1;
	getsockopt(dfd, SOL_SOCKET, SO_PASSCRED, &passcred, &len);
	check("dgram",
	      passcred == 1 &&
		      reads_with(dfd, "dgram", &dgram, detail,
				 sizeof(detail)) &&
		      reads_with(dfd, "claimed", &claimed, detail,
				 sizeof(detail)),
	      "a bound datagram socket with SO_PASSCRED (%d) reads its sender's credentials and ones given with SCM_CREDENTIALS%s%s",
	      passcred, *detail ? ": " : "", detail);

	detail[0] = 0;
	check("dgram-pair",
	      reads_with(dpairs[0], "with", &dpair, detail, sizeof(detail)) &&
		      reads_with(dpairs[0], "without", &none, detail,
				 sizeof(detail)),
	      "a datagram pair keeps a datagram's SCM_CREDENTIALS, and none on the one sent without%s%s",
	      *detail ? ": " : "", detail);

	check("children",
	      exit_code(c1) == 0 && exit_code(c2) == 0 && exit_code(c3) == 0,
	      "the senders run on and end well");
	return check_exit_status();
}
