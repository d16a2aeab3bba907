// SPDX-License-Identifier: GPL-2.0
/*
 * A main thread whose recvmmsg() got part of its batch when a sibling's
 * core dump killed it (issue 13: cpt_eintr_batch_parked() in an exiting
 * task). The main thread calls recvmmsg() of 2 on a unix datagram socket
 * with SO_RCVTIMEO holding one datagram, and waits for the second; a
 * second thread, once the first datagram is taken and the main thread
 * asleep, writes DIR/ready and aborts: the core dump kills the main thread,
 * whose recvmmsg() returns 1 and leaves EINTR in sk_err, and which then
 * sleeps in coredump_task_exit() until the dump is over, PF_EXITING still
 * clear: a checkpoint then judges it in that recvmmsg(). The guest's
 * core_pattern pipes the dump to a helper that reads it only when told.
 *
 * eintr_core DIR: prints READY once started; dies of SIGABRT.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int sp[2];
static const char *dir;

/* The main thread's state letter in /proc, '?' if unread. */
static char main_state(void)
{
	char path[64], buf[256], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", getpid());
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

static void *dumper(void *arg)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	char path[4096];
	int queued = 1;
	int fd;

	(void)arg;
	/* Until the first datagram is taken and the main thread sleeps for the second. */
	while (ioctl(sp[0], FIONREAD, &queued) == 0 &&
	       (queued || main_state() != 'S'))
		nanosleep(&tick, NULL);
	snprintf(path, sizeof(path), "%s/ready", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0)
		close(fd);
	abort();
	return NULL;
}

int main(int argc, char **argv)
{
	struct timeval timeout = { 60, 0 };
	char got[2][8] = { { 0 } };
	struct iovec iov[2] = { { got[0], sizeof(got[0]) },
				{ got[1], sizeof(got[1]) } };
	struct mmsghdr vec[2];
	pthread_attr_t attr;
	pthread_t thread;
	int n;

	if (argc != 2) {
		fprintf(stderr, "usage: eintr_core DIR\n");
		return 2;
	}
	dir = argv[1];
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) ||
	    setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &timeout,
		       sizeof(timeout)) ||
	    send(sp[1], "first", 5, 0) != 5) {
		perror("eintr_core: socket");
		return 1;
	}
	memset(vec, 0, sizeof(vec));
	vec[0].msg_hdr.msg_iov = &iov[0];
	vec[0].msg_hdr.msg_iovlen = 1;
	vec[1].msg_hdr.msg_iov = &iov[1];
	vec[1].msg_hdr.msg_iovlen = 1;
	/*
	 * A small core, the thread's stack 64 KiB, not 8 MiB: more than a
	 * pipe's buffer, for the dump to wait for its reader, but written
	 * within the freeze's 10 s once read.
	 */
	if (pthread_attr_init(&attr) ||
	    pthread_attr_setstacksize(&attr, 64 * 1024) ||
	    pthread_create(&thread, &attr, dumper, NULL)) {
		perror("eintr_core: pthread_create");
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	n = recvmmsg(sp[0], vec, 2, 0, NULL);
	/* Not reached: the dump kills this thread in the call. */
	printf("recvmmsg() returned %d (%s)\n", n,
	       n < 0 ? strerror(errno) : "");
	return 1;
}
