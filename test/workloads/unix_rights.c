// SPDX-License-Identifier: GPL-2.0
/*
 * Files in flight in queued unix messages (SCM_RIGHTS), across a
 * checkpoint: after DIR/go the root reads each message and checks what it
 * carries, exactly as it would have without the checkpoint.
 * Usage: unix_rights DIR
 *   A child (the sender) passes to the root (the receiver), whose ends it
 *   holds alone: over a stream pair, "pipe" with a pipe's read end (the
 *   child keeps the write end, and wrote "before" into it), "plain" with
 *   nothing, "file+ev" with a regular file (the child keeps its fd, at
 *   offset 3: one offset) and an eventfd (counter 5); over a datagram pair,
 *   "listener:PORT" with a TCP listener on 127.0.0.1:PORT, "twice" with the
 *   eventfd twice, "none" with nothing. The child closes its copies of the
 *   read end, the eventfd and the listener: those are only in flight. After
 *   DIR/go the root reads them (one message at a time, with its fds) and
 *   checks that they work and share what they shared; the child checks
 *   that its file's offset moved with the root's read.
 * Usage: unix_rights nested DIR
 *   At fd 3, the receiving end of a stream pair whose queue carries the
 *   end of another pair whose own queue carries /dev/null: a checkpoint
 *   refuses it. After DIR/go fd 3 receives it, and it /dev/null
 *   (RESULT kept-running).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"
#include "unix_names.h"

#define TIMEOUT_MS 10000
#define MAX_FDS UNIX_MAX_FDS

static char dir[PATH_MAX / 2];

/* Sends text on sock with the nr fds in fds (SCM_RIGHTS, none if nr is 0). */
static int send_fds(int sock, const char *text, const int *fds, int nr)
{
	union unix_fds_control u;
	struct iovec iov = { .iov_base = (void *)text,
			     .iov_len = strlen(text) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	unix_put_fds(&msg, &u, fds, nr);
	return sendmsg(sock, &msg, 0) == (ssize_t)strlen(text) ? 0 : -1;
}

/*
 * Reads one message of len bytes from sock into text (NUL-ended), its fds
 * into fds; returns how many fds it carried, -1 on an error (detail says).
 */
static int recv_fds(int sock, char *text, size_t len, int *fds, char *detail,
		    size_t size)
{
	union unix_fds_control u;
	struct iovec iov = { .iov_base = text, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.buf,
			      .msg_controllen = sizeof(u.buf) };
	ssize_t got;
	int nr, other = 0;

	got = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (got < 0) {
		note_to(detail, size, "recvmsg: %m");
		return -1;
	}
	text[got] = 0;
	if (msg.msg_flags & (MSG_CTRUNC | MSG_TRUNC))
		note_to(detail, size, "flags %#x", msg.msg_flags);
	nr = unix_take_fds(&msg, fds, &other);
	if (nr < 0)
		note_to(detail, size, "control message %d", other);
	return nr;
}

static void marker(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* "scm_fds: N" of the socket's fdinfo: the fds in flight in its queue. */
static int scm_fds(int sock)
{
	return fdinfo_number(sock, "scm_fds: %d", -1);
}

/* The sender: passes its files, then checks the file's offset moved with the root's read. */
static int sender(int stream, int dgram, int pipe_rd, int pipe_wr, int file,
		  int ev, int lfd, int port)
{
	char path[PATH_MAX], text[64];
	int fds[2];
	off_t at;

	snprintf(text, sizeof(text), "listener:%d", port);
	fds[0] = file;
	fds[1] = ev;
	if (write(pipe_wr, "before", 6) != 6 ||
	    send_fds(stream, "pipe", &pipe_rd, 1) ||
	    send_fds(stream, "plain", NULL, 0) ||
	    send_fds(stream, "file+ev", fds, 2) ||
	    send_fds(dgram, text, &lfd, 1))
		return 2;
	fds[1] = ev;
	fds[0] = ev;
	if (send_fds(dgram, "twice", fds, 2) ||
	    send_fds(dgram, "none", NULL, 0))
		return 2;
	/* Only in flight now: the pipe's read end, the eventfd, the listener. */
	if (close(pipe_rd) || close(ev) || close(lfd))
		return 2;
	marker(path, sizeof(path), "sent");
	if (touch(path))
		return 2;
	marker(path, sizeof(path), "file-read");
	wait_for(path);
	at = lseek(file, 0, SEEK_CUR);
	check("file-offset-shared", at == 5,
	      "the sender's fd on the file passed reads offset %lld after the receiver read 2 bytes from 3 (5)",
	      (long long)at);
	return check_exit_status();
}

/* The listener passed: listening on PORT of 127.0.0.1, and it accepts a connection. */
static int listener_works(int lfd, int port, char *detail, size_t size)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int on = 0, conn, got;

	if (getsockopt(lfd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) || !on)
		note_to(detail, size, "not listening");
	len = sizeof(addr);
	if (getsockname(lfd, (struct sockaddr *)&addr, &len) ||
	    ntohs(addr.sin_port) != port)
		note_to(detail, size, "bound to port %d", ntohs(addr.sin_port));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	conn = socket(AF_INET, SOCK_STREAM, 0);
	if (conn < 0 || connect(conn, (struct sockaddr *)&addr, sizeof(addr))) {
		note_to(detail, size, "connect: %m");
		return 0;
	}
	got = accept(lfd, NULL, NULL);
	if (got < 0)
		note_to(detail, size, "accept: %m");
	/*
	 * The client closes first, and the accepted end only once it read
	 * the client's FIN: closed together, both ends would wait in
	 * TIME_WAIT, the accepted one on PORT, which a listener restarted
	 * from an image of this tree could then not bind for a minute.
	 */
	close(conn);
	if (got >= 0 && read(got, &on, sizeof(on)) != 0)
		note_to(detail, size, "the client's close read as data or %m");
	if (got >= 0)
		close(got);
	return !*detail;
}

/* One message read and checked: text want, nr_want fds in fds. */
static int reads(int sock, const char *want, int *fds, int nr_want,
		 char *detail, size_t size)
{
	char text[64];
	int nr = recv_fds(sock, text, strlen(want), fds, detail, size);

	if (nr >= 0 && (strcmp(text, want) || nr != nr_want))
		note_to(detail, size,
			"read \"%s\" with %d fds, not \"%s\" with %d", text, nr,
			want, nr_want);
	return nr == nr_want && !*detail;
}

static int receiver(int stream, int dgram, int port, pid_t child)
{
	int fds[MAX_FDS], pipe_rd = -1, file = -1, ev = -1, ev2[2] = { -1, -1 },
			  lfd = -1;
	int stream_fds = scm_fds(stream), dgram_fds = scm_fds(dgram), ok;
	char detail[512], buf[16], path[PATH_MAX], text[32];
	struct stat a, b;
	uint64_t count;
	ssize_t n;

	check("scm-fds", stream_fds == 3 && dgram_fds == 3,
	      "the stream pair's end has 3 fds in flight (%d), the datagram pair's 3 (%d), as fdinfo's scm_fds counts them",
	      stream_fds, dgram_fds);

	detail[0] = 0;
	ok = reads(stream, "pipe", fds, 1, detail, sizeof(detail));
	if (ok) {
		pipe_rd = fds[0];
		n = read(pipe_rd, buf, sizeof(buf));
		if (n != 6 || memcmp(buf, "before", 6))
			note_to(detail, sizeof(detail),
				"the pipe reads %zd bytes", n);
	}
	check("stream-pipe", ok && !*detail,
	      "\"pipe\" comes with a pipe's read end, which reads what the sender wrote, \"before\"%s%s",
	      *detail ? ": " : "", detail);

	detail[0] = 0;
	check("stream-plain",
	      reads(stream, "plain", fds, 0, detail, sizeof(detail)),
	      "\"plain\" comes alone, no fds%s%s", *detail ? ": " : "", detail);

	detail[0] = 0;
	ok = reads(stream, "file+ev", fds, 2, detail, sizeof(detail));
	if (ok) {
		file = fds[0];
		ev = fds[1];
		n = read(file, buf, 2);
		if (n != 2 || memcmp(buf, "34", 2))
			note_to(detail, sizeof(detail),
				"the file reads %zd bytes from its offset", n);
		marker(path, sizeof(path), "file-read");
		if (touch(path))
			note_to(detail, sizeof(detail), "cannot touch %s",
				path);
	}
	check("stream-file", ok && !*detail,
	      "\"file+ev\" comes with the regular file, read from the sender's offset 3 (\"34\"), and the eventfd%s%s",
	      *detail ? ": " : "", detail);

	detail[0] = 0;
	snprintf(text, sizeof(text), "listener:%d", port);
	ok = reads(dgram, text, fds, 1, detail, sizeof(detail));
	if (ok) {
		lfd = fds[0];
		ok = listener_works(lfd, port, detail, sizeof(detail));
	}
	check("dgram-listener", ok && !*detail,
	      "\"%s\" comes with the TCP listener, which listens there and accepts%s%s",
	      text, *detail ? ": " : "", detail);

	detail[0] = 0;
	ok = reads(dgram, "twice", fds, 2, detail, sizeof(detail));
	if (ok && ev >= 0) {
		ev2[0] = fds[0];
		ev2[1] = fds[1];
		count = 7;
		if (fstat(ev, &a) || fstat(ev2[0], &b) || a.st_ino != b.st_ino)
			note_to(detail, sizeof(detail), "another inode");
		if (read(ev2[0], &count, 8) != 8 || count != 5)
			note_to(detail, sizeof(detail),
				"the counter reads %llu, not 5",
				(unsigned long long)count);
		count = 7;
		if (write(ev2[1], &count, 8) != 8 || read(ev, &count, 8) != 8 ||
		    count != 7)
			note_to(detail, sizeof(detail),
				"7 written through the second reads %llu through the first message's",
				(unsigned long long)count);
	}
	check("dgram-twice", ok && ev >= 0 && !*detail,
	      "\"twice\" comes with the eventfd twice, the same one as \"file+ev\"'s (counter 5; 7 written through one reads through another)%s%s",
	      *detail ? ": " : "", detail);

	detail[0] = 0;
	check("dgram-none",
	      reads(dgram, "none", fds, 0, detail, sizeof(detail)),
	      "\"none\" comes alone, no fds%s%s", *detail ? ": " : "", detail);

	stream_fds = scm_fds(stream);
	dgram_fds = scm_fds(dgram);
	check("drained", stream_fds == 0 && dgram_fds == 0,
	      "once read, no fd is left in flight (%d, %d)", stream_fds,
	      dgram_fds);
	check("sender", exit_code(child) == 0,
	      "the sender saw its file's offset move");
	return check_exit_status();
}

static int in_flight(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int sp[2], dp[2], p[2], file, ev, lfd, port;
	char path[PATH_MAX];
	pid_t child;

	marker(path, sizeof(path), "file");
	file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ev = eventfd(5, 0);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (file < 0 || ev < 0 || lfd < 0 ||
	    write(file, "0123456789", 10) != 10 ||
	    lseek(file, 3, SEEK_SET) != 3 ||
	    bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, 4) ||
	    getsockname(lfd, (struct sockaddr *)&addr, &len) ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) || pipe(p))
		return 2;
	port = ntohs(addr.sin_port);
	child = fork();
	if (child < 0)
		return 2;
	if (child == 0) {
		close(sp[1]);
		close(dp[1]);
		_exit(sender(sp[0], dp[0], p[0], p[1], file, ev, lfd, port));
	}
	/* The receiver holds none of them: its ends' queues do. */
	close(sp[0]);
	close(dp[0]);
	close(p[0]);
	close(p[1]);
	close(file);
	close(ev);
	close(lfd);
	marker(path, sizeof(path), "sent");
	if (!wait_for_file(path, TIMEOUT_MS))
		return 2;
	printf("READY\n");
	fflush(stdout);
	marker(path, sizeof(path), "go");
	wait_for(path);
	return receiver(sp[1], dp[1], port, child);
}

/* fd 3's queue carries a pair's end whose queue carries /dev/null: refused. */
static int nested(void)
{
	int sp[2], q[2], null, got[2], carried, inner;
	char text[8], detail[256] = "";
	char path[PATH_MAX];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || sp[0] != 3 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, q))
		return 2;
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || send_fds(q[0], "n", &null, 1) ||
	    send_fds(sp[1], "q", &q[1], 1) || close(q[1]) || close(null))
		return 2;
	printf("READY\n");
	fflush(stdout);
	marker(path, sizeof(path), "go");
	wait_for(path);
	carried = recv_fds(3, text, 1, got, detail, sizeof(detail)) == 1 ?
			  got[0] :
			  -1;
	inner = carried >= 0 && recv_fds(carried, text, 1, got, detail,
					 sizeof(detail)) == 1 ?
			got[0] :
			-1;
	check("kept-running", inner >= 0,
	      "fd 3 receives the pair's end, and it /dev/null%s%s",
	      *detail ? ": " : "", detail);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	int fd;

	if (argc != 2 && !(argc == 3 && !strcmp(argv[1], "nested"))) {
		fprintf(stderr, "usage: unix_rights [nested] DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[argc - 1]);
	/* The checkpoint's refusals name fd 3. */
	for (fd = 3; fd < 64; fd++)
		close(fd);
	return argc == 3 ? nested() : in_flight();
}
