// SPDX-License-Identifier: GPL-2.0
/*
 * Files in flight (SCM_RIGHTS) in unix connections a listener has not
 * accepted yet, across a checkpoint: after DIR/go the root accepts them
 * and checks each message and what it carries, as it would have without
 * the checkpoint.
 * Usage: unix_pending_rights DIR
 *   fd 3: a stream listener on DIR/srv with SO_PASSCRED (what it accepts
 *   inherits it, and reads each message's credentials). The root opens
 *   DIR/file (at offset 3, its fd kept), a pipe (it keeps the write end
 *   and wrote "before" into it) and a memfd holding "memfd-data" (closed
 *   after: only in flight). Connections, in order:
 *   - A, the root's client at fd 4: "pipe+file" with the pipe's read end
 *     and the file, then "memfd" with the memfd;
 *   - B, a child's client: "child" with the pipe's read end again, its
 *     credentials given (SCM_CREDENTIALS) with them;
 *   - C, the root's client at a higher fd: "plain", carrying nothing;
 *   - D, the root's client after C: "lowered" with the file, then BULK
 *     bytes, then its SO_SNDBUF lowered below what it has queued.
 *   The root closes the pipe's read end: it is only in flight. After
 *   DIR/go the root accepts A, B, C and D in order and checks each message's
 *   bytes, credentials and files (the same pipe as its write end, the
 *   file's offset shared with its own fd, the memfd's contents), then that
 *   each connection carries data back to its client, and D's SO_SNDBUF.
 * Usage: unix_pending_rights nested DIR
 *   fd 3, the same listener, whose connection not accepted yet (from fd
 *   4) carries one end of a socket pair that itself has a pipe's read end
 *   in flight in its queue: a checkpoint refuses it. After DIR/go the root
 *   accepts it, receives the socket and through it the pipe, which reads
 *   "nested" (RESULT kept-running).
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "fd_wait.h"
#include "sync.h"
#include "unix_names.h"

#define TIMEOUT_MS 10000
/* What D queues after its message with a file: more than SO_SNDBUF's least. */
#define BULK (32 * 1024)

/* Room for DIR/srv in a sockaddr_un's path. */
static char dir[96];
static char go[PATH_MAX];

/* Room for SCM_CREDENTIALS and SCM_RIGHTS of up to UNIX_MAX_FDS fds. */
union control {
	char buf[CMSG_SPACE(sizeof(struct ucred)) +
		 CMSG_SPACE(UNIX_MAX_FDS * sizeof(int))];
	struct cmsghdr align;
};

/* Sends text on sock with the nr fds in fds, and credentials c if c. */
static void send_fds(int sock, const char *text, const int *fds, int nr,
		     const struct ucred *c)
{
	union control u;
	struct iovec iov = { .iov_base = (void *)text,
			     .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf };
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	msg.msg_controllen = (c ? CMSG_SPACE(sizeof(*c)) : 0) +
			     (nr ? CMSG_SPACE(nr * sizeof(int)) : 0);
	if (!msg.msg_controllen)
		msg.msg_control = NULL;
	cm = CMSG_FIRSTHDR(&msg);
	if (c) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_CREDENTIALS;
		cm->cmsg_len = CMSG_LEN(sizeof(*c));
		memcpy(CMSG_DATA(cm), c, sizeof(*c));
		cm = CMSG_NXTHDR(&msg, cm);
	}
	if (nr) {
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(nr * sizeof(int));
		memcpy(CMSG_DATA(cm), fds, nr * sizeof(int));
	}
	if (sendmsg(sock, &msg, 0) != (ssize_t)strlen(text))
		die("sendmsg");
}

/*
 * The next message on sock: text `want` with nr_want fds (into fds) and
 * credentials of pid `pid`; what differs into why.
 */
static void next(int sock, const char *want, int nr_want, pid_t pid, int *fds,
		 char *why, size_t size)
{
	union control u;
	char text[64];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	struct ucred c = { .pid = -1 };
	struct cmsghdr *cm;
	ssize_t got = -1;
	int nr = 0;

	memset(&u, 0, sizeof(u));
	if (readable_within(sock, TIMEOUT_MS))
		got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0 || (msg.msg_flags & MSG_CTRUNC)) {
		note_to(why, size, "%s: no message (%m)", want);
		return;
	}
	text[got] = 0;
	for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
		if (cm->cmsg_type == SCM_CREDENTIALS) {
			memcpy(&c, CMSG_DATA(cm), sizeof(c));
		} else if (cm->cmsg_type == SCM_RIGHTS) {
			nr = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			memcpy(fds, CMSG_DATA(cm), nr * sizeof(int));
		}
	}
	if (strcmp(text, want))
		note_to(why, size, "\"%s\", not \"%s\"", text, want);
	if (nr != nr_want)
		note_to(why, size, "%s: %d fds, not %d", want, nr, nr_want);
	if (c.pid != pid)
		note_to(why, size, "%s: credentials of pid %d, not %d", want,
			(int)c.pid, (int)pid);
}

/* Whether fds a and b are on the same inode (the same pipe). */
static int same_inode(int a, int b)
{
	struct stat sa, sb;

	return !fstat(a, &sa) && !fstat(b, &sb) && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* The pipe's read end `end` reads what the root writes into `w` now. */
static void check_pipe(int end, int w, const char *what, char *why, size_t size)
{
	char text[16] = "";

	if (!same_inode(end, w))
		note_to(why, size, "%s: not the root's pipe", what);
	if (write(w, "x", 1) != 1 || !readable_within(end, TIMEOUT_MS) ||
	    read(end, text, sizeof(text) - 1) < 1)
		note_to(why, size, "%s: the pipe reads nothing", what);
	else if (strcmp(text, "x") && strcmp(text, "beforex"))
		note_to(why, size, "%s: the pipe read \"%s\"", what, text);
}

/* One connection accepted from listener l, in order: its socket. */
static int accept_next(int l, const char *what, char *why, size_t size)
{
	int s = -1;

	if (readable_within(l, TIMEOUT_MS))
		s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		note_to(why, size, "%s: not accepted (%m)", what);
	return s;
}

/* The accepted socket s answers "ack", which its client `client` reads. */
static void check_back(int s, int client, const char *what, char *why,
		       size_t size)
{
	char text[8] = "";

	if (write(s, "ack", 3) != 3 || !readable_within(client, TIMEOUT_MS) ||
	    read(client, text, sizeof(text) - 1) != 3 || strcmp(text, "ack"))
		note_to(why, size, "%s: the client did not read \"ack\"", what);
}

/* The next BULK bytes on s: each byte i is i % 251, as D wrote them. */
static void check_bulk(int s, char *why, size_t size)
{
	static unsigned char buf[BULK];
	size_t got = 0, i;
	ssize_t n = 1;

	while (got < BULK && n > 0 && readable_within(s, TIMEOUT_MS)) {
		n = read(s, buf + got, BULK - got);
		got += n > 0 ? (size_t)n : 0;
	}
	for (i = 0; i < got && buf[i] == i % 251; i++)
		;
	if (got != BULK || i != got)
		note_to(why, size, "D: %zu bytes of %d, the first wrong at %zu",
			got, BULK, i);
}

/* Connection `name`'s check: what went wrong (why), or ok; why cleared. */
static void verdict(const char *name, char *why, const char *ok)
{
	check(name, !why[0], "%s", why[0] ? why : ok);
	why[0] = 0;
}

static int listen_on(const struct unix_name *srv)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), one = 1;

	if (fd != 3 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    bind(fd, (const struct sockaddr *)&srv->sun, srv->len) ||
	    listen(fd, 8))
		die("listener at fd 3");
	return fd;
}

static int connect_to(const struct unix_name *srv)
{
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)&srv->sun, srv->len))
		die("connect");
	return fd;
}

static int nested(const struct unix_name *srv)
{
	int l = listen_on(srv), a = connect_to(srv), pair[2], pipefd[2],
	    fds[UNIX_MAX_FDS], s;
	char why[256] = "", text[16] = "";

	if (a != 4 || socketpair(AF_UNIX, SOCK_STREAM, 0, pair) ||
	    pipe(pipefd) || write(pipefd[1], "nested", 6) != 6)
		die("setup");
	send_fds(pair[0], "pipe", &pipefd[0], 1, NULL);
	send_fds(a, "socket", &pair[1], 1, NULL);
	close(pair[1]);
	close(pipefd[0]);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	s = accept_next(l, "the connection", why, sizeof(why));
	next(s, "socket", 1, getpid(), fds, why, sizeof(why));
	if (!why[0])
		next(fds[0], "pipe", 1, -1, fds + 1, why, sizeof(why));
	if (!why[0] && (read(fds[1], text, sizeof(text) - 1) != 6 ||
			strcmp(text, "nested")))
		note_to(why, sizeof(why), "the pipe read \"%s\"", text);
	check("kept-running", !why[0], "%s",
	      why[0] ?
		      why :
		      "the connection still carries the socket, which carries the pipe");
	return check_exit_status();
}

int main(int argc, char **argv)
{
	struct unix_name srv;
	int l, a, b, c, d, file, mem, pipefd[2], ready[2], fds[UNIX_MAX_FDS], s,
		status = -1, ok, one = 1, sndbuf = 0, now = -1;
	static unsigned char bulk[BULK];
	socklen_t len = sizeof(int);
	size_t i;
	char why[1024] = "", path[PATH_MAX], ch = 0;
	struct ucred mine;
	pid_t child, root = getpid();

	if ((argc != 2 && !(argc == 3 && !strcmp(argv[1], "nested"))) ||
	    strlen(argv[argc - 1]) >= sizeof(dir) - 8) {
		fprintf(stderr,
			"usage: unix_pending_rights [nested] DIR (short)\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[argc - 1]);
	snprintf(go, sizeof(go), "%s/go", dir);
	unix_path_name(&srv, dir, "srv");
	if (argc == 3)
		return nested(&srv);
	l = listen_on(&srv);
	a = connect_to(&srv);
	snprintf(path, sizeof(path), "%s/file", dir);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (a != 4 || file < 0 || write(file, "0123456789", 10) != 10 ||
	    lseek(file, 3, SEEK_SET) != 3)
		die("file");
	mem = memfd_create("cpt-upr", MFD_CLOEXEC);
	if (mem < 0 || write(mem, "memfd-data", 10) != 10)
		die("memfd");
	if (pipe2(pipefd, O_CLOEXEC) || write(pipefd[1], "before", 6) != 6 ||
	    pipe2(ready, O_CLOEXEC))
		die("pipe");
	send_fds(a, "pipe+file", (int[]){ pipefd[0], file }, 2, NULL);
	send_fds(a, "memfd", &mem, 1, NULL);
	close(mem);
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		mine = (struct ucred){ .pid = getpid(),
				       .uid = getuid(),
				       .gid = getgid() };
		b = connect_to(&srv);
		send_fds(b, "child", &pipefd[0], 1, &mine);
		close(pipefd[0]);
		if (write(ready[1], "b", 1) != 1)
			die("ready");
		wait_for(go);
		_exit(0);
	}
	close(pipefd[0]);
	close(ready[1]);
	/* After B is queued: the listener's queue is A, B, C. */
	if (read(ready[0], &ch, 1) != 1)
		die("ready");
	close(ready[0]);
	c = connect_to(&srv);
	send_fds(c, "plain", NULL, 0, NULL);
	d = connect_to(&srv);
	send_fds(d, "lowered", &file, 1, NULL);
	for (i = 0; i < BULK; i++)
		bulk[i] = i % 251;
	if (write(d, bulk, BULK) != BULK ||
	    setsockopt(d, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) ||
	    getsockopt(d, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) ||
	    sndbuf >= BULK)
		die("D's SO_SNDBUF");
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	s = accept_next(l, "A", why, sizeof(why));
	next(s, "pipe+file", 2, root, fds, why, sizeof(why));
	check_pipe(fds[0], pipefd[1], "A's pipe", why, sizeof(why));
	/* The file: the root's own open file description, at offset 3. */
	ch = 0;
	if (read(fds[1], &ch, 1) != 1 || ch != '3' ||
	    lseek(file, 0, SEEK_CUR) != 4)
		note_to(why, sizeof(why),
			"the file read '%c', the root's offset %ld, not 4", ch,
			(long)lseek(file, 0, SEEK_CUR));
	next(s, "memfd", 1, root, fds + 2, why, sizeof(why));
	memset(path, 0, sizeof(path));
	if (pread(fds[2], path, 10, 0) != 10 || strcmp(path, "memfd-data") ||
	    fcntl(fds[2], F_GET_SEALS) < 0)
		note_to(why, sizeof(why), "the memfd holds \"%s\"", path);
	check_back(s, a, "A", why, sizeof(why));
	verdict("connection-a", why,
		"A: \"pipe+file\" with the root's pipe and file (one offset), then \"memfd\" with its memfd");
	s = accept_next(l, "B", why, sizeof(why));
	next(s, "child", 1, child, fds + 3, why, sizeof(why));
	check_pipe(fds[3], pipefd[1], "B's pipe", why, sizeof(why));
	if (!same_inode(fds[3], fds[0]))
		note_to(why, sizeof(why), "B's pipe is not A's");
	verdict("connection-b", why,
		"B: \"child\" with the child's credentials and the root's pipe again");
	s = accept_next(l, "C", why, sizeof(why));
	next(s, "plain", 0, root, fds, why, sizeof(why));
	check_back(s, c, "C", why, sizeof(why));
	verdict("connection-c", why, "C: \"plain\", carrying nothing");
	s = accept_next(l, "D", why, sizeof(why));
	next(s, "lowered", 1, root, fds, why, sizeof(why));
	if (!why[0] && !same_inode(fds[0], file))
		note_to(why, sizeof(why), "D's file is not the root's");
	check_bulk(s, why, sizeof(why));
	if (getsockopt(d, SOL_SOCKET, SO_SNDBUF, &now, &len) || now != sndbuf)
		note_to(why, sizeof(why), "D's SO_SNDBUF is %d, not %d", now,
			sndbuf);
	check_back(s, d, "D", why, sizeof(why));
	if (readable_within(l, 0))
		note_to(why, sizeof(why), "one connection more");
	verdict("connection-d", why,
		"D: \"lowered\" with the file, its bytes after, its SO_SNDBUF as lowered, accepted last");
	ok = waitpid(child, &status, 0) == child && status == 0;
	check("child", ok, "the child ended well (status %#x)", status);
	return check_exit_status();
}
