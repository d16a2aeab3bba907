// SPDX-License-Identifier: GPL-2.0
/*
 * Unix connections not accepted yet across checkpoint/restart: after
 * DIR/go the server accepts them and each must come back in its queue's
 * order, with what its client wrote before the accept and its writer's
 * credentials, and carry data both ways.
 * - stream: a listener on an abstract name with SO_PASSCRED (the sockets
 *   it accepts inherit it); three clients of this process connect in turn
 *   and write "first", "second", "third", then a child connects and writes
 *   "child" (its credentials are its own).
 * - seqpacket: a listener on DIR/seq with one client of this process that
 *   sent the packets "p1" and "p2", which come back apart.
 * Usage: unix_pending DIR
 *        unix_pending refused-outside|refused-order DIR: at fd 3, a listener
 *        whose connection not accepted yet comes from a process outside the
 *        tree, or a client (fd 3) of a listener at a higher fd (4); prints
 *        READY, then after DIR/go checks the connection is still pending.
 */
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "check.h"
#include "sync.h"
#include "unix_names.h"

#define TIMEOUT_MS 10000
#define CLIENTS 3

static char dir[PATH_MAX / 2];

static void marker(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static socklen_t path_addr(struct sockaddr_un *addr, const char *name)
{
	char path[PATH_MAX];

	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	marker(path, sizeof(path), name);
	/* Cut short, bind() fails: the workload says so. */
	memcpy(addr->sun_path, path, strnlen(path, sizeof(addr->sun_path) - 1));
	return sizeof(*addr);
}

static int connect_to(int type, const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd >= 0 && connect(fd, (const struct sockaddr *)addr, len)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int listen_on(int type, const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd >= 0 &&
	    (bind(fd, (const struct sockaddr *)addr, len) || listen(fd, 8))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one message on fd: whether it is want (with credentials c if c), detail otherwise. */
static int reads(int fd, const char *want, const struct ucred *c, char *detail,
		 size_t size)
{
	struct ucred got = { .pid = -1 };
	char data[64];
	ssize_t n = recv_with_creds(fd, data, sizeof(data), &got, TIMEOUT_MS);

	if (n == (ssize_t)strlen(want) && !strcmp(data, want) &&
	    (!c ||
	     (got.pid == c->pid && got.uid == c->uid && got.gid == c->gid)))
		return 1;
	note_to(detail, size, "read \"%s\" (%zd) pid %d, want \"%s\" pid %d",
		data, n, got.pid, want, c ? c->pid : 0);
	return 0;
}

/* text from one end is read at the other. */
static int carries(int from, int to, const char *text, char *detail,
		   size_t size)
{
	if (write(from, text, strlen(text)) != (ssize_t)strlen(text)) {
		note_to(detail, size, "cannot write \"%s\"", text);
		return 0;
	}
	return reads(to, text, NULL, detail, size);
}

static int passcred_of(int fd)
{
	int on = -1;
	socklen_t len = sizeof(on);

	return getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, &len) ? -1 : on;
}

/* The child client: connects, writes "child", then after go answers "to-child" with "from-child". */
static pid_t child_client(const struct sockaddr_un *addr, socklen_t len)
{
	char sent[PATH_MAX], go[PATH_MAX], detail[128];
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	marker(sent, sizeof(sent), "child-sent");
	marker(go, sizeof(go), "go");
	fd = connect_to(SOCK_STREAM, addr, len);
	if (fd < 0 || write(fd, "child", 5) != 5 || touch(sent))
		_exit(1);
	wait_for(go);
	if (!reads(fd, "to-child", NULL, detail, sizeof(detail)) ||
	    write(fd, "from-child", 10) != 10)
		_exit(2);
	_exit(0);
}

/* refused-*: the listener (or client) at fd 3 as the kind says; after go, the connection still pending. */
static int refused(const char *kind)
{
	char ready[PATH_MAX], go[PATH_MAX], detail[256] = "";
	struct sockaddr_un addr;
	socklen_t len = abstract_name(&addr, "pending", kind);
	int lfd, cfd = -1, afd, ok;

	marker(ready, sizeof(ready), "outside-ready");
	marker(go, sizeof(go), "go");
	if (!strcmp(kind, "refused-outside")) {
		lfd = listen_on(SOCK_STREAM, &addr, len);
		if (lfd != 3)
			return 2;
		/* A client its parent left to init, living until go. */
		if (fork() == 0) {
			if (fork() == 0) {
				close(lfd);
				cfd = connect_to(SOCK_STREAM, &addr, len);
				if (cfd < 0 || write(cfd, "out", 3) != 3 ||
				    touch(ready))
					_exit(1);
				wait_for(go);
				_exit(0);
			}
			_exit(0);
		}
		if (!wait_for_file(ready, TIMEOUT_MS))
			return 2;
	} else if (!strcmp(kind, "refused-order")) {
		cfd = socket(AF_UNIX, SOCK_STREAM, 0);
		lfd = listen_on(SOCK_STREAM, &addr, len);
		if (cfd != 3 || lfd != 4 ||
		    connect(cfd, (struct sockaddr *)&addr, len) ||
		    write(cfd, "out", 3) != 3)
			return 2;
	} else {
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	afd = accept(lfd, NULL, NULL);
	ok = afd >= 0 && reads(afd, "out", NULL, detail, sizeof(detail));
	check("kept-running", ok,
	      "the listener's connection not accepted yet is still there%s%s",
	      *detail ? ": " : "", detail);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	static const char *const sent[CLIENTS] = { "first", "second", "third" };
	struct sockaddr_un addr, seq_addr;
	socklen_t len, seq_len;
	int lfd, sfd, c[CLIENTS], a[CLIENTS + 1], sc, sa, i, ok, on = 1;
	struct ucred self = { getpid(), getuid(), getgid() }, kid;
	char path[PATH_MAX], detail[512];
	pid_t child;

	if (argc == 3) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		return refused(argv[1]);
	}
	if (argc != 2) {
		fprintf(stderr, "usage: unix_pending [KIND] DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);

	len = abstract_name(&addr, "pending", "stream");
	lfd = listen_on(SOCK_STREAM, &addr, len);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)))
		return 2;
	for (i = 0; i < CLIENTS; i++) {
		c[i] = connect_to(SOCK_STREAM, &addr, len);
		if (c[i] < 0 || write(c[i], sent[i], strlen(sent[i])) !=
					(ssize_t)strlen(sent[i]))
			return 2;
	}
	child = child_client(&addr, len);
	marker(path, sizeof(path), "child-sent");
	if (child < 0 || !wait_for_file(path, TIMEOUT_MS))
		return 2;
	kid = (struct ucred){ child, getuid(), getgid() };

	seq_len = path_addr(&seq_addr, "seq");
	sfd = listen_on(SOCK_SEQPACKET, &seq_addr, seq_len);
	sc = connect_to(SOCK_SEQPACKET, &seq_addr, seq_len);
	if (sfd < 0 || sc < 0 || send(sc, "p1", 2, 0) != 2 ||
	    send(sc, "p2", 2, 0) != 2)
		return 2;

	printf("READY\n");
	fflush(stdout);
	marker(path, sizeof(path), "go");
	wait_for(path);

	/* The accepted sockets have the listener's SO_PASSCRED: each message its writer's credentials. */
	detail[0] = 0;
	ok = 1;
	for (i = 0; ok && i <= CLIENTS; i++) {
		a[i] = accept(lfd, NULL, NULL);
		ok = a[i] >= 0 &&
		     reads(a[i], i < CLIENTS ? sent[i] : "child",
			   i < CLIENTS ? &self : &kid, detail, sizeof(detail));
	}
	check("order", ok,
	      "accept() returns the connections in the order they were made, each with what its client wrote and its pid%s%s",
	      *detail ? ": " : "", detail);

	check("passcred", passcred_of(lfd) == 1 && ok && passcred_of(a[0]) == 1,
	      "the listener has SO_PASSCRED again (%d), and what it accepts inherits it (%d)",
	      passcred_of(lfd), ok ? passcred_of(a[0]) : -1);

	detail[0] = 0;
	for (i = 0; ok && i < CLIENTS; i++)
		ok = carries(a[i], c[i], "reply", detail, sizeof(detail)) &&
		     carries(c[i], a[i], "again", detail, sizeof(detail));
	ok = ok && write(a[CLIENTS], "to-child", 8) == 8 &&
	     reads(a[CLIENTS], "from-child", NULL, detail, sizeof(detail));
	check("both-ways", ok,
	      "each accepted connection carries data both ways with its client%s%s",
	      *detail ? ": " : "", detail);

	detail[0] = 0;
	sa = accept(sfd, NULL, NULL);
	ok = sa >= 0 && reads(sa, "p1", NULL, detail, sizeof(detail)) &&
	     reads(sa, "p2", NULL, detail, sizeof(detail)) &&
	     carries(sa, sc, "back", detail, sizeof(detail));
	check("seqpacket", ok,
	      "a seqpacket listener on a path gives back its pending connection, its packets apart%s%s",
	      *detail ? ": " : "", detail);

	check("child", exit_code(child) == 0,
	      "the child client reads and writes on its connection once accepted");
	unlink(seq_addr.sun_path);
	return check_exit_status();
}
