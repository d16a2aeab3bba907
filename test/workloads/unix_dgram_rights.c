// SPDX-License-Identifier: GPL-2.0
/*
 * Files in flight (SCM_RIGHTS) in a bound unix datagram socket's queue,
 * from senders of the tree named and unnamed, across a checkpoint: after
 * DIR/go the root reads each datagram and checks what it carries, as it
 * would have without the checkpoint.
 * Usage: unix_dgram_rights DIR
 *   The root binds fd 3 to DIR/srv and opens DIR/file (at offset 3) and an
 *   eventfd (counter 5) before it forks two children. "named", bound to an
 *   abstract name, sends "file+ev" with the file (the root's open file
 *   description, shared) and the eventfd, then "twice" with the eventfd
 *   twice. Then "anon", unbound, sends "pipe" with a pipe's read end (it
 *   keeps the write end, and wrote "before" into it; the root has no fd on
 *   the pipe). The root's own unbound socket sends "none", with nothing.
 *   The root closes its eventfd: it is only in flight. After DIR/go the
 *   root reads the four datagrams, in order, each with its sender's name
 *   and fds, and checks that the files work and share what they shared.
 * Usage: unix_dgram_rights refused DIR
 *   At fd 3, a bound datagram socket whose queue holds a message carrying
 *   a pipe's read end with O_ASYNC, which a checkpoint refuses. After
 *   DIR/go fd 3 receives it, still with O_ASYNC (RESULT kept-running).
 */
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"
#include "unix_names.h"

#define MAX_FDS UNIX_MAX_FDS

/* Room for DIR/srv in a sockaddr_un's path. */
static char dir[96];
static char go[PATH_MAX];

static int dgram(const struct unix_name *bound)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (fd < 0)
		die("socket");
	if (bound && bind(fd, (const struct sockaddr *)&bound->sun, bound->len))
		die("bind");
	return fd;
}

/* Sends text from sock to `to` with the nr fds in fds (SCM_RIGHTS, none if nr is 0). */
static void send_fds(int sock, const struct unix_name *to, const char *text,
		     const int *fds, int nr)
{
	union unix_fds_control u;
	struct iovec iov = { .iov_base = (void *)text,
			     .iov_len = strlen(text) };
	struct msghdr msg = { .msg_name = (void *)&to->sun,
			      .msg_namelen = to->len,
			      .msg_iov = &iov,
			      .msg_iovlen = 1 };

	unix_put_fds(&msg, &u, fds, nr);
	if (sendmsg(sock, &msg, 0) != (ssize_t)strlen(text))
		die("sendmsg");
}

/*
 * Reads one datagram from sock: its text (NUL-ended), its sender's name
 * into from, its fds into fds; returns how many fds, -1 on an error.
 */
static int recv_fds(int sock, char *text, size_t len, struct unix_name *from,
		    int *fds)
{
	union unix_fds_control u;
	struct iovec iov = { .iov_base = text, .iov_len = len - 1 };
	struct msghdr msg = { .msg_name = &from->sun,
			      .msg_namelen = sizeof(from->sun),
			      .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t got;
	int other;

	memset(from, 0, sizeof(*from));
	got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0 || (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC)))
		return -1;
	text[got] = 0;
	from->len = msg.msg_namelen;
	return unix_take_fds(&msg, fds, &other);
}

static int same_name(const struct unix_name *a, const struct unix_name *b)
{
	return a->len == b->len && !memcmp(&a->sun, &b->sun, a->len);
}

/*
 * The next datagram: text `want` from `sender` (NULL: unnamed) with nr_want
 * fds, into fds; what differs into why.
 */
static void next(int sock, const char *want, const struct unix_name *sender,
		 int *fds, int nr_want, char *why, size_t size)
{
	struct unix_name from;
	char text[64];
	int nr = recv_fds(sock, text, sizeof(text), &from, fds);

	if (nr < 0) {
		note_to(why, size, "%s: no datagram (%m)", want);
		return;
	}
	if (strcmp(text, want))
		note_to(why, size, "\"%s\", not \"%s\"", text, want);
	if (nr != nr_want)
		note_to(why, size, "%s: %d fds, not %d", want, nr, nr_want);
	/* An unnamed sender's datagram reads with no name at all. */
	if (sender ? !same_name(&from, sender) : from.len != 0)
		note_to(why, size, "%s: another sender (%u bytes of name)",
			want, (unsigned int)from.len);
}

static uint64_t counter(int ev)
{
	uint64_t n = 0;

	return read(ev, &n, sizeof(n)) == sizeof(n) ? n : (uint64_t)-1;
}

static int serve(void)
{
	struct unix_name srv, named_name;
	int sock, file, ev, pipefd[2], ready[2], fds[MAX_FDS], twice[2], status,
		s;
	char why[512] = "", path[PATH_MAX], text[8], c = 0;
	int ok;
	pid_t named, anon;
	uint64_t one = 2;

	unix_path_name(&srv, dir, "srv");
	sock = dgram(&srv);
	if (sock != 3)
		die("fd 3");
	snprintf(path, sizeof(path), "%s/file", dir);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (file < 0 || write(file, "0123456789", 10) != 10 ||
	    lseek(file, 3, SEEK_SET) != 3)
		die("file");
	ev = eventfd(5, 0);
	if (ev < 0)
		die("eventfd");
	/* One child after the other, so that their datagrams queue in order. */
	if (pipe(ready))
		die("pipe");
	named = fork();
	if (named < 0)
		die("fork");
	if (!named) {
		unix_abstract_name(&named_name, "udr", "named");
		s = dgram(&named_name);
		send_fds(s, &srv, "file+ev", (int[]){ file, ev }, 2);
		send_fds(s, &srv, "twice", (int[]){ ev, ev }, 2);
		close(ev);
		close(ready[0]);
		if (write(ready[1], "n", 1) != 1)
			die("ready");
		close(ready[1]);
		wait_for(go);
		_exit(0);
	}
	close(ev);
	if (read(ready[0], &c, 1) != 1)
		die("ready");
	unix_abstract_name(&named_name, "udr", "named");
	snprintf(named_name.sun.sun_path + 1,
		 sizeof(named_name.sun.sun_path) - 1, "cpt-udr-named-%d",
		 (int)named);
	anon = fork();
	if (anon < 0)
		die("fork");
	if (!anon) {
		if (pipe(pipefd) || write(pipefd[1], "before", 6) != 6)
			die("pipe");
		s = dgram(NULL);
		send_fds(s, &srv, "pipe", &pipefd[0], 1);
		close(pipefd[0]);
		close(ready[0]);
		if (write(ready[1], "a", 1) != 1)
			die("ready");
		close(ready[1]);
		wait_for(go);
		_exit(0);
	}
	close(ready[1]);
	if (read(ready[0], &c, 1) != 1)
		die("ready");
	close(ready[0]);
	s = dgram(NULL);
	send_fds(s, &srv, "none", NULL, 0);
	close(s);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	next(sock, "file+ev", &named_name, fds, 2, why, sizeof(why));
	/* The file: the root's own open file description, at offset 3. */
	if (read(fds[0], &c, 1) != 1 || c != '3' ||
	    lseek(file, 0, SEEK_CUR) != 4)
		note_to(why, sizeof(why),
			"the file read '%c', the root's offset %ld, not 4", c,
			(long)lseek(file, 0, SEEK_CUR));
	if (counter(fds[1]) != 5)
		note_to(why, sizeof(why), "the eventfd's counter was not 5");
	next(sock, "twice", &named_name, twice, 2, why, sizeof(why));
	/* Both the eventfd the first datagram carried. */
	if (write(twice[0], &one, sizeof(one)) != sizeof(one) ||
	    counter(twice[1]) != 2 ||
	    write(fds[1], &one, sizeof(one)) != sizeof(one) ||
	    counter(twice[0]) != 2)
		note_to(why, sizeof(why), "the eventfds are not one");
	next(sock, "pipe", NULL, fds + 2, 1, why, sizeof(why));
	if (read(fds[2], text, 6) != 6 || memcmp(text, "before", 6))
		note_to(why, sizeof(why), "the pipe did not read \"before\"");
	next(sock, "none", NULL, fds + 3, 0, why, sizeof(why));
	if (recv(sock, &c, 1, MSG_DONTWAIT) >= 0)
		note_to(why, sizeof(why), "one datagram more");
	check("datagrams", !why[0], "%s",
	      why[0] ? why :
		       "four datagrams, each with its sender and its files");
	ok = waitpid(named, &status, 0) == named && status == 0;
	ok = ok && waitpid(anon, &status, 0) == anon && status == 0;
	check("senders", ok, "the senders ended well (status %#x)", status);
	return check_exit_status();
}

static int refused(void)
{
	struct unix_name srv, from;
	int sock, s, pipefd[2], fds[MAX_FDS], nr;
	char text[16];

	unix_path_name(&srv, dir, "srv");
	sock = dgram(&srv);
	if (sock != 3 || pipe(pipefd) ||
	    fcntl(pipefd[0], F_SETFL, O_ASYNC | O_NONBLOCK))
		die("setup");
	s = dgram(NULL);
	send_fds(s, &srv, "async", &pipefd[0], 1);
	close(s);
	close(pipefd[0]);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	nr = recv_fds(sock, text, sizeof(text), &from, fds);
	check("kept-running",
	      nr == 1 && !strcmp(text, "async") &&
		      (fcntl(fds[0], F_GETFL) & O_ASYNC),
	      "the datagram with its pipe (O_ASYNC) is still queued (%d fds)",
	      nr);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[1], "refused"))) {
		fprintf(stderr, "usage: unix_dgram_rights [refused] DIR\n");
		return 2;
	}
	if (strlen(argv[argc - 1]) >= sizeof(dir) - 8) {
		fprintf(stderr, "unix_dgram_rights: DIR is too long\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[argc - 1]);
	snprintf(go, sizeof(go), "%s/go", dir);
	return argc == 3 ? refused() : serve();
}
