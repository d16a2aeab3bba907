// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections a checkpoint --kill must not end (kmod/cpt_file_inet_tcp.c,
 * cpt_compat_holders.c): ones the tree shares with a process outside it.
 *
 * tcp_shared outside DIR: this process (outside the tree) forks the tree,
 * a child whose pid goes to DIR/pid and which holds both ends of three
 * loopback connections: "fork", made before the fork, whose client end
 * this process keeps too; "scm", whose client end the child sends here
 * with SCM_RIGHTS and this process receives; "inflight", whose client end
 * the child sends too but this process receives only after DIR/go, the fd
 * in flight until then. The child's fds of the three client ends go to
 * DIR/fds ("fork N scm N inflight N"). After DIR/go, over each connection,
 * this process writes a byte and the child answers one ("kept").
 *
 * tcp_shared threads DIR: one process with a connection of its own (both
 * ends) and a second thread blocked in recv() on one end (its fdget()
 * holding a reference, the fd table being shared by two threads) at the
 * checkpoint. After the restart and DIR/go, the main thread writes a byte
 * on the other end, the thread receives it and answers ("recv-thread").
 */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"

static char go[PATH_MAX];

/* A connection on 127.0.0.1: its client and server ends, its listener closed. */
static void connected(int *client, int *server)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);
	int l;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sin, len) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&sin, &len))
		die("listener");
	*client = socket(AF_INET, SOCK_STREAM, 0);
	if (*client < 0 || connect(*client, (struct sockaddr *)&sin, len))
		die("connect");
	*server = accept(l, NULL, NULL);
	if (*server < 0)
		die("accept");
	close(l);
}

/* Whether fd has something to read within 3 s. */
/* Writes c, then reads one byte that must be want; 0 if so. */
static int exchange(int fd, char c, char want)
{
	char got = 0;

	if (send(fd, &c, 1, MSG_NOSIGNAL) != 1)
		return -1;
	return fd_readable(fd, 3000) && recv(fd, &got, 1, 0) == 1 &&
			       got == want ?
		       0 :
		       -1;
}

/* Reads one byte that must be want, then writes c; 0 if so. */
static int answer(int fd, char want, char c)
{
	char got = 0;

	if (!fd_readable(fd, 3000) || recv(fd, &got, 1, 0) != 1 || got != want)
		return -1;
	return send(fd, &c, 1, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

static void send_fd(int sock, int fd)
{
	char byte = 'f', buf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = buf,
		.msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	if (sendmsg(sock, &msg, 0) != 1)
		die("sendmsg");
}

static int recv_fd(int sock)
{
	char byte, buf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = buf,
		.msg_controllen = sizeof(buf),
	};
	struct cmsghdr *cmsg;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		die("recvmsg");
	cmsg = CMSG_FIRSTHDR(&msg);
	if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS)
		die("recvmsg: no fd");
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f))
		die(path);
}

enum { FORK, SCM, INFLIGHT, NR };

static int outside(const char *dir)
{
	static const char *const names[NR] = { "fork", "scm", "inflight" };
	int client[NR], server[NR], mine[NR], sp[2], done[2], i, ok, status;
	char text[128], why[256] = "";
	pid_t child;

	connected(&client[FORK], &server[FORK]);
	/*
	 * done: the child closes its end once DIR/fds is written and sp[1]
	 * closed, so that READY means the tree is as the checks expect.
	 */
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) || pipe(done))
		die("socketpair or pipe");
	child = fork();
	if (child < 0)
		die("fork");
	if (!child) {
		close(sp[0]);
		close(done[0]);
		connected(&client[SCM], &server[SCM]);
		connected(&client[INFLIGHT], &server[INFLIGHT]);
		send_fd(sp[1], client[SCM]);
		send_fd(sp[1], client[INFLIGHT]);
		/* A unix socket connected outside the tree is refused on its own. */
		close(sp[1]);
		snprintf(text, sizeof(text), "fork %d scm %d inflight %d\n",
			 client[FORK], client[SCM], client[INFLIGHT]);
		write_file(dir, "fds", text);
		close(done[1]);
		wait_for(go);
		for (i = 0; i < NR; i++)
			if (answer(server[i], 'o', 't'))
				return 1;
		return 0;
	}
	close(sp[1]);
	close(done[1]);
	close(server[FORK]);
	mine[FORK] = client[FORK];
	mine[SCM] = recv_fd(sp[0]);
	if (read(done[0], text, 1) != 0)
		die("the child's fds");
	close(done[0]);
	snprintf(text, sizeof(text), "%d\n", child);
	write_file(dir, "pid", text);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	mine[INFLIGHT] = recv_fd(sp[0]);
	for (i = 0; i < NR; i++)
		if (exchange(mine[i], 'o', 't'))
			note_to(why, sizeof(why), "%s: no byte back", names[i]);
	status = -1;
	ok = waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	if (!ok)
		note_to(why, sizeof(why), "the tree ended with status %#x",
			status);
	check("kept", !*why,
	      "each connection the tree shares with this process (%s) %s%s%s",
	      "through fork, SCM_RIGHTS received, SCM_RIGHTS in flight",
	      "exchanges a byte each way", *why ? ": " : "", why);
	return check_exit_status();
}

struct receiver {
	int fd;
	pid_t tid;
	char got;
	int ok;
};

static void *receive(void *arg)
{
	struct receiver *r = arg;

	__atomic_store_n(&r->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	/* Blocks until after the restart: nothing is sent before. */
	r->ok = recv(r->fd, &r->got, 1, 0) == 1 &&
		send(r->fd, "r", 1, MSG_NOSIGNAL) == 1;
	return NULL;
}

/* Whether thread tid is blocked in recvfrom() (what recv() calls). */
static int in_recv(pid_t tid)
{
	char path[64], line[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	return atoi(line) == SYS_recvfrom;
}

static int threads(void)
{
	struct receiver r = { 0 };
	struct timespec start;
	pthread_t thread;
	int client, ok, blocked = 0;
	char c = 0;
	pid_t tid;

	connected(&client, &r.fd);
	if (pthread_create(&thread, NULL, receive, &r))
		die("pthread_create");
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!blocked && ms_since(&start) < 5000) {
		tid = __atomic_load_n(&r.tid, __ATOMIC_ACQUIRE);
		blocked = tid && in_recv(tid);
		if (!blocked)
			nap();
	}
	check("blocked", blocked,
	      "a second thread is blocked in recv() on the connection");
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	ok = send(client, "w", 1, MSG_NOSIGNAL) == 1 &&
	     fd_readable(client, 3000) && recv(client, &c, 1, 0) == 1 &&
	     c == 'r';
	pthread_join(thread, NULL);
	check("recv-thread", ok && r.ok && r.got == 'w', "%s",
	      "the thread blocked in recv() at the checkpoint receives the byte written after the restart, and answers");
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: tcp_shared outside|threads DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	if (!strcmp(argv[1], "outside"))
		return outside(argv[2]);
	if (!strcmp(argv[1], "threads"))
		return threads();
	fprintf(stderr, "tcp_shared: unknown mode %s\n", argv[1]);
	return 2;
}
