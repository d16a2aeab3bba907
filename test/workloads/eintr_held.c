// SPDX-License-Identifier: GPL-2.0
/*
 * Calls the freeze must not wake (issue 13, fidelity; kmod/cpt_eintr.c and
 * cpt_freeze.c): it waits for them to end by themselves, up to its 10 s,
 * then fails naming the task, the tree running on. The waits here end
 * when a helper outside the tree (a double fork, reparented away) lets
 * them, once it has seen the main thread parked by the freeze (its wchan
 * is cpt_park) and then 1 s more: the freeze takes the main thread first,
 * then the others, so by then it has looked at them for longer than the
 * 500 ms after which it once woke a task still running in the kernel.
 * Nothing here waits for time alone: every step waits for /proc or files.
 *
 * eintr_held DIR cork: thread T's sendto() of "cork-a" with MSG_MORE, the
 *   first of a corked datagram on a UDP socket with SO_SNDTIMEO 60 s,
 *   waits for send buffer: the socket's buffer (its minimum) is full of
 *   datagrams queued behind an ARP request nobody answers (a dummy device
 *   with ARP on, cptbh0). Woken, the send would end with EINTR (and with
 *   data corked, any error drops it), so the freeze holds it; the helper
 *   deletes the device, which frees the buffer, and the send returns 6.
 *   At DIR/go main sends "cork-b" without MSG_MORE: the receiver must get
 *   "cork-acork-b" once, and nothing more.
 * eintr_held DIR cork-stuck: the same without the helper: the checkpoint
 *   fails after 10 s naming T (its tid follows READY) and leaves it in its
 *   send; at DIR/go main deletes the device, and the send ends as above,
 *   never with EINTR.
 * eintr_held DIR epoll-mutex: thread B's epoll_wait() (30 s) copies an
 *   event into a page registered with userfaultfd (missing mode), holding
 *   the epoll's mutex while the fault waits; thread A's epoll_wait() (30 s)
 *   on the same epoll waits for that mutex. A is in a timed wait but not
 *   asleep in it: woken there, it would return EINTR with its deadline read
 *   nowhere, so the freeze must wait (B too, for the same reason). The
 *   helper unregisters the page, which ends B's fault: B returns its event
 *   (edge-triggered: A gets none), A sleeps in its wait and is frozen
 *   there. At DIR/go main writes the pipe again: A must return that event.
 *
 * Prints "READY <tid of T, or of A>" once the threads are where they should.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define DEV "cptbh0"
#define BLACKHOLE "10.213.0.2"
#define LONG_MS 30000
#define SNDTIMEO_S 60
#define PART_A "cork-a"
#define PART_B "cork-b"
#define COOKIE 0x5eedf00dULL

static const char *dir;
static pid_t main_pid;

/* The corked send's. */
static int udp, receiver;
static struct sockaddr_in receiver_addr;

/* The epoll's. */
static int ep, pipefd[2];
static struct epoll_event *fault_page; /* registered with userfaultfd */

struct waiter {
	const char *name;
	volatile pid_t tid;
	volatile int returned;
	long ret;
	int err;
};

static struct waiter t_send = { .name = "cork-send" };
static struct waiter t_a = { .name = "epoll-waiter" };
static struct waiter t_b = { .name = "epoll-holder" };

static int run(const char *cmd)
{
	int status = system(cmd);

	return status == -1 || !WIFEXITED(status) ? -1 : WEXITSTATUS(status);
}

/* A dummy device with ARP on, whose neighbours never answer: what is sent there waits. */
static int blackhole_up(void)
{
	return run("ip link del " DEV " 2>/dev/null;"
		   " ip link add " DEV " type dummy &&"
		   " ip link set " DEV " arp on &&"
		   " sysctl -qw net.ipv4.neigh." DEV ".mcast_solicit=100000"
		   " net.ipv4.neigh." DEV ".app_solicit=0 &&"
		   " ip addr add 10.213.0.1/24 dev " DEV " &&"
		   " ip link set " DEV " up");
}

/* Deleting the device drops what waits behind its ARP request, freeing the buffer. */
static void blackhole_down(void)
{
	run("ip link del " DEV " 2>/dev/null");
}

/* A field of /proc/MAIN/task/TID/FILE, its first line, in buf. */
static int proc_line(pid_t tid, const char *file, char *buf, size_t size)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/%s", (int)main_pid,
		 (int)tid, file);
	f = fopen(path, "r");
	if (!f)
		return 0;
	ok = fgets(buf, size, f) != NULL;
	fclose(f);
	return ok;
}

static int wchan_is(pid_t tid, const char *name)
{
	char buf[128];

	return proc_line(tid, "wchan", buf, sizeof(buf)) &&
	       !strncmp(buf, name, strlen(name));
}

/* The state letter of /proc/.../stat, after the name in parentheses. */
static char state_of(pid_t tid)
{
	char buf[512], *p;

	if (!proc_line(tid, "stat", buf, sizeof(buf)))
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/*
 * The helper, outside the tree: waits until the freeze has parked the
 * main thread and 1 s more, or until DIR/go or the end of main, then
 * runs release() and exits.
 */
static void helper(void (*release)(void))
{
	struct timespec second = { 1, 0 };
	pid_t child = fork();

	if (child < 0)
		return;
	if (child) {
		waitpid(child, NULL, 0);
		return;
	}
	if (fork())
		_exit(0);
	for (;;) {
		char path[4096];

		if (wchan_is(main_pid, "cpt_park")) {
			nanosleep(&second, NULL);
			break;
		}
		snprintf(path, sizeof(path), "%s/go", dir);
		if (!access(path, F_OK) || kill(main_pid, 0))
			break;
		nap();
	}
	release();
	_exit(0);
}

static void *cork_send(void *arg)
{
	(void)arg;
	t_send.tid = gettid();
	t_send.ret = sendto(udp, PART_A, strlen(PART_A), MSG_MORE,
			    (struct sockaddr *)&receiver_addr,
			    sizeof(receiver_addr));
	t_send.err = t_send.ret < 0 ? errno : 0;
	t_send.returned = 1;
	return NULL;
}

/* udp's send buffer full of datagrams to the black hole, so that the next send waits. */
static int setup_cork(void)
{
	struct sockaddr_in hole = { .sin_family = AF_INET,
				    .sin_port = htons(9) };
	struct timeval tv = { SNDTIMEO_S, 0 };
	socklen_t len = sizeof(receiver_addr);
	static const char junk[1000];
	int one = 1;

	if (blackhole_up())
		return -1;
	inet_pton(AF_INET, BLACKHOLE, &hole.sin_addr);
	receiver = socket(AF_INET, SOCK_DGRAM, 0);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	receiver_addr.sin_family = AF_INET;
	receiver_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (receiver < 0 || udp < 0 ||
	    bind(receiver, (struct sockaddr *)&receiver_addr,
		 sizeof(receiver_addr)) ||
	    getsockname(receiver, (struct sockaddr *)&receiver_addr, &len) ||
	    setsockopt(udp, SOL_SOCKET, SO_SNDBUF, &one, sizeof(one)) ||
	    setsockopt(udp, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -1;
	while (sendto(udp, junk, sizeof(junk), MSG_DONTWAIT,
		      (struct sockaddr *)&hole, sizeof(hole)) == sizeof(junk))
		;
	return errno == EAGAIN ? 0 : -1;
}

static void *epoll_holder(void *arg)
{
	(void)arg;
	t_b.tid = gettid();
	t_b.ret = epoll_wait(ep, fault_page, 1, LONG_MS);
	t_b.err = t_b.ret < 0 ? errno : 0;
	t_b.returned = 1;
	wait_in(dir, "go", WAIT_FOREVER);
	return NULL;
}

static void *epoll_waiter(void *arg)
{
	struct epoll_event ev;

	(void)arg;
	t_a.tid = gettid();
	t_a.ret = epoll_wait(ep, &ev, 1, LONG_MS);
	t_a.err = t_a.ret < 0 ? errno : 0;
	t_a.returned = 1;
	return NULL;
}

static int uffd = -1;
static struct uffdio_range fault_range;

/* The helper's release: unregistering the range wakes the fault, which then maps a page. */
static void unregister_page(void)
{
	if (ioctl(uffd, UFFDIO_UNREGISTER, &fault_range))
		perror("eintr_held: UFFDIO_UNREGISTER");
}

static int setup_epoll(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET,
				  .data.u64 = COOKIE };

	fault_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (fault_page == MAP_FAILED || uffd < 0 ||
	    ioctl(uffd, UFFDIO_API, &api))
		return -1;
	fault_range = (struct uffdio_range){ (unsigned long)fault_page, 4096 };
	reg.range = fault_range;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -1;
	/* Forked with no other fd of ours: it keeps the only userfaultfd, the tree none. */
	helper(unregister_page);
	close(uffd);
	ep = epoll_create1(0);
	if (ep < 0 || pipe(pipefd) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev) ||
	    write(pipefd[1], "x", 1) != 1)
		return -1;
	return 0;
}

static int blocked_in(const struct waiter *x, long nr)
{
	return x->tid && syscall_of_thread(x->tid) == nr;
}

static int fail_early(const struct waiter *x)
{
	if (!x->returned)
		return 0;
	check(x->name, 0, "returned %ld (%s) before the checkpoint", x->ret,
	      strerror(x->err));
	return 1;
}

/* What the receiver got, once: "cork-acork-b" and nothing after it. */
static void judge_cork(void)
{
	struct timeval tv = { 10, 0 };
	char buf[64] = "";
	ssize_t n, more;

	check("cork-send", t_send.ret == (long)strlen(PART_A),
	      "the held sendto() of %zu bytes with MSG_MORE returned %ld (%s)",
	      strlen(PART_A), t_send.ret, strerror(t_send.err));
	if (sendto(udp, PART_B, strlen(PART_B), 0,
		   (struct sockaddr *)&receiver_addr,
		   sizeof(receiver_addr)) < 0)
		check("cork-data", 0, "send of the rest: %s", strerror(errno));
	setsockopt(receiver, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	n = recv(receiver, buf, sizeof(buf) - 1, 0);
	more = recv(receiver, buf + sizeof(buf) / 2, sizeof(buf) / 2,
		    MSG_DONTWAIT);
	check("cork-data",
	      n == 12 && !memcmp(buf, PART_A PART_B, 12) &&
			      more<0,
				   "received %zd bytes \"%.*s\", then %zd: want \"" PART_A
					   PART_B "\" once",
				   n, n> 0 ?
		      (int)n :
		      0,
	      buf, more);
}

static void judge_epoll(void)
{
	check("epoll-holder", t_b.ret == 1 && fault_page[0].data.u64 == COOKIE,
	      "the epoll_wait() copying into the faulting page returned %ld (%s), data %#llx",
	      t_b.ret, strerror(t_b.err),
	      (unsigned long long)fault_page[0].data.u64);
	check("epoll-waiter", t_a.ret == 1,
	      "the epoll_wait() waiting for the epoll's mutex returned %ld (%s): want the event written at go",
	      t_a.ret, strerror(t_a.err));
}

int main(int argc, char **argv)
{
	pthread_t a, b;
	const char *mode = argc == 3 ? argv[2] : "";
	int cork = !strcmp(mode, "cork") || !strcmp(mode, "cork-stuck");

	dir = argv[1];
	main_pid = getpid();
	if (cork) {
		/* Forked first, with none of the sockets. */
		if (!strcmp(mode, "cork"))
			helper(blackhole_down);
		if (setup_cork())
			return check("setup", 0, "the corked send's socket: %s",
				     strerror(errno)),
			       1;
		if (pthread_create(&a, NULL, cork_send, NULL))
			return check("setup", 0, "pthread_create"), 1;
		while (!blocked_in(&t_send, SYS_sendto)) {
			if (fail_early(&t_send))
				return blackhole_down(), 1;
			nap();
		}
		printf("READY %d\n", (int)t_send.tid);
	} else if (!strcmp(mode, "epoll-mutex")) {
		if (setup_epoll())
			return check("setup", 0, "epoll and userfaultfd: %s",
				     strerror(errno)),
			       1;
		if (pthread_create(&b, NULL, epoll_holder, NULL))
			return check("setup", 0, "pthread_create"), 1;
		while (!(blocked_in(&t_b, SYS_epoll_wait) &&
			 wchan_is(t_b.tid, "handle_userfault"))) {
			if (fail_early(&t_b))
				return 1;
			nap();
		}
		if (pthread_create(&a, NULL, epoll_waiter, NULL))
			return check("setup", 0, "pthread_create"), 1;
		while (!(blocked_in(&t_a, SYS_epoll_wait) &&
			 state_of(t_a.tid) == 'D')) {
			if (fail_early(&t_a) || fail_early(&t_b))
				return 1;
			nap();
		}
		printf("READY %d\n", (int)t_a.tid);
	} else {
		check("setup", 0, "eintr_held DIR cork|cork-stuck|epoll-mutex");
		return 1;
	}
	fflush(stdout);
	wait_in(dir, "go", WAIT_FOREVER);
	if (cork) {
		blackhole_down();
		pthread_join(a, NULL);
		judge_cork();
	} else {
		if (write(pipefd[1], "y", 1) != 1)
			check("epoll-waiter", 0, "write the pipe: %s",
			      strerror(errno));
		pthread_join(a, NULL);
		pthread_join(b, NULL);
		judge_epoll();
	}
	return check_exit_status();
}
