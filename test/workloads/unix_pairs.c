// SPDX-License-Identifier: GPL-2.0
/*
 * Unix socket pairs between a parent and its child, of each type (stream,
 * datagram, seqpacket), with data queued both ways at checkpoint time and
 * a stream message already half read. After the restart the child reads
 * the rest, with message boundaries where there were some, and the pairs
 * still carry data both ways.
 * Usage: unix_pairs DIR   (goes on once DIR/go exists)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static const char *dir;

static void wait_for(const char *name)
{
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	while (access(path, F_OK))
		nanosleep(&tick, NULL);
}

static void create(const char *name)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	close(open(path, O_WRONLY | O_CREAT, 0600));
}

/*
 * The next message is want: exactly its length is read, so that a stream,
 * which may hold the next message behind it already, is read message by
 * message; a datagram or packet of another length shows as MSG_TRUNC.
 */
static int got(int fd, const char *want)
{
	size_t len = strlen(want);
	char buf[256];
	struct iovec iov = { buf, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n = recvmsg(fd, &msg, MSG_WAITALL);

	return n == (ssize_t)len && !(msg.msg_flags & MSG_TRUNC) &&
	       !memcmp(buf, want, len);
}

/* The child: reads what was queued for it, checks, answers. Exit 0 if all is well. */
static int child(int s, int d, int q)
{
	char buf[16];
	int ok = 1;

	/* Half of the parent's stream message before the checkpoint. */
	ok &= recv(s, buf, 7, 0) == 7 && !memcmp(buf, "stream-", 7);
	ok &= send(s, "stream-to-parent", 16, 0) == 16;
	create("child-ready");
	wait_for("go");
	ok &= got(s, "to-child");
	ok &= got(d, "d1") && got(d, "d22") && got(d, "d333");
	ok &= got(q, "q-first") && got(q, "q-second");
	ok &= send(s, "pong", 4, 0) == 4 &&
	      send(d, "dgram-back", 10, 0) == 10 &&
	      send(q, "seq-back", 8, 0) == 8;
	return ok ? 0 : 1;
}

int main(int argc, char **argv)
{
	int sp[2], dp[2], qp[2], status = -1, ok;
	pid_t pid;

	if (argc != 2)
		return 2;
	dir = argv[1];
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, dp) ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, qp)) {
		check("setup", 0, "socketpair: %s", strerror(errno));
		return 1;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sp[0]);
		close(dp[0]);
		close(qp[0]);
		_exit(child(sp[1], dp[1], qp[1]));
	}
	close(sp[1]);
	close(dp[1]);
	close(qp[1]);
	ok = send(sp[0], "stream-to-child", 15, 0) == 15 &&
	     send(dp[0], "d1", 2, 0) == 2 && send(dp[0], "d22", 3, 0) == 3 &&
	     send(dp[0], "d333", 4, 0) == 4 &&
	     send(qp[0], "q-first", 7, 0) == 7 &&
	     send(qp[0], "q-second", 8, 0) == 8;
	wait_for("child-ready");
	check("setup", ok, "data queued both ways, a stream message half read");
	printf("READY\n");
	wait_for("go");

	check("stream-to-parent", got(sp[0], "stream-to-parent"),
	      "the child's stream bytes, queued at checkpoint, arrive");
	check("stream-back", got(sp[0], "pong"),
	      "the stream still carries data after the restart");
	check("dgram-back", got(dp[0], "dgram-back"),
	      "the datagram pair still carries data");
	check("seqpacket-back", got(qp[0], "seq-back"),
	      "the seqpacket pair still carries data");
	waitpid(pid, &status, 0);
	check("child-reads", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child read the rest of the stream, 3 datagrams and 2 packets whole (status %#x)",
	      status);
	return check_exit_status();
}
