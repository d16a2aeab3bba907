// SPDX-License-Identifier: GPL-2.0
/*
 * A POSIX message queue across checkpoint/restart, removed in between (the
 * test unlinks it, as another machine would lack it): it must come back by
 * name with its attributes, mode and messages, in the order it gives them,
 * behind two fds of their own flags.
 * The root makes /NAME (mode 0640, at most 8 messages of 128 bytes) through
 * fd A (read-write, blocking), opens it again through fd B (read-only,
 * O_NONBLOCK), queues four messages of priorities 1, 5, 1, 3 and prints
 * READY. After DIR/go: the checks, then it unlinks the queue.
 * Usage: posix_mq NAME DIR   (NAME without its /)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "sync.h"

#define MAXMSG 8
#define MSGSIZE 128
#define TIMEOUT_MS 30000

static const struct {
	unsigned int priority;
	const char *text;
} sent[] = { { 1, "low, first" },
	     { 5, "high" },
	     { 1, "low, second" },
	     { 3, "" } };
#define NR_SENT 4

/* The order mq_receive() gives them: by priority, then as they came. */
static const int received_order[] = { 1, 3, 0, 2 };

int main(int argc, char **argv)
{
	char name[NAME_MAX + 2], path[PATH_MAX], buf[MSGSIZE];
	struct mq_attr attr = { .mq_maxmsg = MAXMSG, .mq_msgsize = MSGSIZE };
	unsigned int priority;
	struct stat st;
	mqd_t a, b;
	ssize_t n;
	int i, ok;

	if (argc != 3) {
		fprintf(stderr, "usage: posix_mq NAME DIR\n");
		return 2;
	}
	snprintf(name, sizeof(name), "/%s", argv[1]);
	a = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0640, &attr);
	b = mq_open(name, O_RDONLY | O_NONBLOCK);
	if (a == (mqd_t)-1 || b == (mqd_t)-1) {
		perror("posix_mq: mq_open (left over from an earlier run? rm /dev/mqueue/NAME)");
		return 2;
	}
	for (i = 0; i < NR_SENT; i++) {
		if (mq_send(a, sent[i].text, strlen(sent[i].text),
			    sent[i].priority)) {
			perror("mq_send");
			return 2;
		}
	}
	printf("READY\n");
	fflush(stdout);
	snprintf(path, sizeof(path), "%s/go", argv[2]);
	if (!wait_for_file(path, WAIT_FOREVER)) {
		check("go", 0, "no go");
		return check_exit_status();
	}

	ok = mq_getattr(a, &attr) == 0;
	check("attributes",
	      ok && attr.mq_maxmsg == MAXMSG && attr.mq_msgsize == MSGSIZE &&
		      attr.mq_curmsgs == NR_SENT &&
		      !(attr.mq_flags & O_NONBLOCK),
	      "fd A: at most %ld messages of %ld bytes, %ld queued, flags %#lx",
	      attr.mq_maxmsg, attr.mq_msgsize, attr.mq_curmsgs, attr.mq_flags);
	snprintf(path, sizeof(path), "/dev/mqueue/%s", argv[1]);
	ok = stat(path, &st) == 0;
	check("by-name", ok && (st.st_mode & 0777) == 0640,
	      "%s exists again, mode %#o", path, ok ? st.st_mode & 0777 : 0);
	ok = mq_getattr(b, &attr) == 0;
	check("second-fd",
	      ok && (attr.mq_flags & O_NONBLOCK) &&
		      (fcntl(b, F_GETFL) & O_ACCMODE) == O_RDONLY,
	      "fd B: read-only and O_NONBLOCK (flags %#lx, fcntl %#x)",
	      attr.mq_flags, fcntl(b, F_GETFL));
	ok = 1;
	for (i = 0; ok && i < NR_SENT; i++) {
		int want = received_order[i];

		n = mq_receive(b, buf, sizeof(buf), &priority);
		ok = n == (ssize_t)strlen(sent[want].text) &&
		     priority == sent[want].priority &&
		     !memcmp(buf, sent[want].text, n);
	}
	ok = ok && mq_receive(b, buf, sizeof(buf), &priority) < 0 &&
	     errno == EAGAIN;
	check("messages", ok,
	      "the four messages come in priority order, then as sent, and no more");
	mq_unlink(name);
	return check_exit_status();
}
