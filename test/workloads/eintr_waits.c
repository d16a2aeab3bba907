// SPDX-License-Identifier: GPL-2.0
/*
 * Calls that any interruption ends with EINTR, where the kernel restarts
 * others, never return EINTR because of a checkpoint (issue 13, fidelity):
 * a blocking socket call on a socket with SO_RCVTIMEO or SO_SNDTIMEO,
 * io_getevents() and semop(). Nobody sends a signal, so an EINTR, or a timeout ended
 * early, is the checkpoint's doing. Each call returns its data or its
 * timeout (EAGAIN, or 0 events, after at least the time set). Times are
 * taken on CLOCK_REALTIME, which goes on across a restart.
 *
 * eintr_waits DIR sockets: one thread each blocks in
 *   recv-data        recv() on a unix stream socket, SO_RCVTIMEO 30 s
 *   recv-timeout     recvmsg() on a unix datagram socket, SO_RCVTIMEO 8 s,
 *                    which nobody writes: EAGAIN after 8 s
 *   tcp-recv         recv() on a TCP connection over loopback, 30 s
 *   send-full        send() of 4 KiB on a unix stream socket whose peer
 *                    is full, SO_SNDTIMEO 30 s
 *   tcp-send-full    send() on a TCP connection whose buffers are full,
 *                    SO_SNDTIMEO 30 s
 *   accept           accept() on a unix listener, SO_RCVTIMEO 30 s
 *   compat-recv      recvfrom() as a 32-bit syscall (int $0x80) on a unix
 *                    datagram socket, SO_RCVTIMEO 30 s
 *   unix-connect     connect() with SO_SNDTIMEO 30 s to a unix listener
 *                    of backlog 0 whose queue is full, until main accepts
 *   recvmmsg-part    recvmmsg() of 2 datagrams on a unix datagram socket,
 *                    SO_RCVTIMEO 30 s, with one there: it waits for the
 *                    second. Woken, it returns 1, as for a signal, and
 *                    must then get the second from its next call (the
 *                    kernel leaves the wait's EINTR in sk_err for it)
 *   send-partial     send() of 4 MiB on a unix stream socket, SO_SNDTIMEO
 *                    30 s, that queued part and waits for room: it may
 *                    return a short count (as for a signal), never EINTR,
 *                    and the thread sends the rest
 *   tcp-send-partial the same on TCP
 *   x32-recv         recvfrom() as an x32 syscall on a unix datagram
 *                    socket, SO_RCVTIMEO 30 s; not made if the kernel runs
 *                    no x32 syscalls (Debian's needs syscall.x32=y): the
 *                    check says so, and fails if the kernel was booted
 *                    with syscall.x32=y
 * and at DIR/go main writes, drains, reads (the partial sends' 4 MiB,
 * checked byte by byte) and connects what they wait for.
 *
 * eintr_waits DIR waits: io_getevents() on AIO contexts: aio-data (a 30 s
 * timeout) and aio-untimed (none) get the completion of a read main
 * submits at DIR/go; aio-timeout (8 s) none: 0 events after 8 s. A SysV
 * semaphore of 0: sem-data's semop() of -1 returns once main adds 2 at
 * DIR/go, and so does compat-sem's, made as a 32-bit ipc(SEMOP) (int
 * $0x80); sem-timeout's semtimedop() of -1 (8 s) on another fails with
 * EAGAIN after 8 s.
 *
 * eintr_waits DIR connect: a connect() with SO_SNDTIMEO 4 s to a TCP
 * listener that drops every SYN (backlog 0, filled): made again it would
 * end with EALREADY, so the checkpoint must let it end by itself, with
 * EINPROGRESS after 4 s.
 *
 * eintr_waits DIR x32-wait: an x32 epoll_wait() with a 30 s timeout on a
 * pipe main writes at DIR/go. cpt cannot resume an x32 timed wait: the
 * checkpoint must be refused before it wakes it, and the wait must end
 * with the event. Where the kernel runs no x32 syscalls, READY says
 * x32-off and the check that nothing was made (a failure if the kernel
 * was booted with syscall.x32=y).
 *
 * Prints READY once every thread shows its syscall in /proc.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "inet_names.h"
#include "restart.h"
#include "sync.h"

#define LONG_MS 30000
#define SHORT_MS 8000
#define CONNECT_MS 4000
#define SEND_LEN 4096
#define TCP_SEND_LEN 1000
#define IA32_RECVFROM 371 /* asm/unistd_32.h */
#define IA32_IPC 117
#define IPC_SEMOP 1 /* linux/ipc.h: ipc()'s call */
#define X32_BIT 0x40000000L /* asm/unistd.h: __X32_SYSCALL_BIT */
#define X32_RECVFROM (X32_BIT | 517)
#define X32_GETPID (X32_BIT | 39)
#define X32_EPOLL_WAIT (X32_BIT | 232)
#define PARTIAL_LEN (4 << 20)

enum kind {
	RECV_DATA,
	RECV_TIMEOUT,
	TCP_RECV,
	SEND_FULL,
	TCP_SEND_FULL,
	ACCEPT,
	COMPAT_RECV,
	AIO_DATA,
	AIO_UNTIMED,
	AIO_TIMEOUT,
	SEM_DATA,
	SEM_TIMEOUT,
	COMPAT_SEM,
	CONNECT,
	UNIX_CONNECT,
	RECVMMSG_PART,
	SEND_PARTIAL,
	TCP_SEND_PARTIAL,
	X32_RECV,
	X32_WAIT,
	KINDS
};

static const char *const names[KINDS] = {
	"recv-data",	 "recv-timeout",     "tcp-recv",     "send-full",
	"tcp-send-full", "accept",	     "compat-recv",  "aio-data",
	"aio-untimed",	 "aio-timeout",	     "sem-data",     "sem-timeout",
	"compat-sem",	 "connect",	     "unix-connect", "recvmmsg-part",
	"send-partial",	 "tcp-send-partial", "x32-recv",     "x32-wait",
};

struct waiter {
	enum kind kind;
	int fd; /* the socket it waits on */
	int peer; /* what main writes, drains or connects to */
	aio_context_t ctx;
	int sem; /* a SysV set of one semaphore */
	long nr; /* its syscall, as /proc shows it */
	volatile pid_t tid;
	volatile int returned; /* its call is over */
	long ret;
	int err;
	long long took_ms;
	int used;
	long first; /* recvmmsg-part, send-partial: what the first call returned */
	int first_err;
	char got[2][8]; /* recvmmsg-part's datagrams */
	pthread_t thread;
	int joined;
	char read[128]; /* what its peer read (send-partial) */
	int read_ok;
};

static struct waiter w[KINDS];
static char *low; /* below 4 GiB, for the 32-bit syscall */
static struct sockaddr_un listen_addr;
static struct sockaddr_un full_addr; /* unix-connect's listener */
static struct sockaddr_in connect_addr;
static int aio_file;
static int setup_mode_sockets;

static long long real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int set_timeout(int fd, int opt, long ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };

	return setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static long compat_recvfrom(int fd, void *buf, long len)
{
	long ret;

	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"((long)IA32_RECVFROM), "b"((long)fd), "c"(buf),
		       "d"(len), "S"(0L), "D"(0L)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* ipc(SEMOP, sem, 1, 0, sops) as a 32-bit syscall: -1 on the semaphore, sops below 4 GiB. */
static long compat_semop(int sem, struct sembuf *sops)
{
	long ret;

	*sops = (struct sembuf){ 0, -1, 0 };
	asm volatile("int $0x80"
		     : "=a"(ret)
		     : "a"((long)IA32_IPC), "b"((long)IPC_SEMOP),
		       "c"((long)sem), "d"(1L), "S"(0L), "D"(sops)
		     : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

/* An x32 syscall from this 64-bit process: the same registers, the number marked. */
static long x32_syscall(long nr, long a, long b, long c, long d, long e)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = 0;
	long ret;

	asm volatile("syscall"
		     : "=a"(ret)
		     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
		       "r"(r9)
		     : "rcx", "r11", "memory");
	return ret;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 7 % 251);
}

/* recvmmsg-part: a batch of 2 with one there; then the rest, if it came back short. */
static void recv_batch(struct waiter *x)
{
	struct iovec iov[2] = { { x->got[0], 7 }, { x->got[1], 7 } };
	struct mmsghdr vec[2];
	int i, n;

	memset(vec, 0, sizeof(vec));
	for (i = 0; i < 2; i++) {
		vec[i].msg_hdr.msg_iov = &iov[i];
		vec[i].msg_hdr.msg_iovlen = 1;
	}
	x->first = n = recvmmsg(x->fd, vec, 2, 0, NULL);
	x->first_err = n < 0 ? errno : 0;
	x->ret = n;
	if (n == 1) {
		n = recvmmsg(x->fd, vec + 1, 1, 0, NULL);
		x->ret = n < 0 ? n : 1 + n;
	}
}

/* send-partial: 4 MiB, the rest after a short count. */
static void send_all(struct waiter *x)
{
	static unsigned char data[PARTIAL_LEN];
	size_t sent = 0, i;
	ssize_t n;

	for (i = 0; i < sizeof(data); i++)
		data[i] = pattern(i);
	x->first = n = send(x->fd, data, sizeof(data), 0);
	x->first_err = n < 0 ? errno : 0;
	while (n > 0 && (sent += n) < sizeof(data))
		n = send(x->fd, data + sent, sizeof(data) - sent, 0);
	x->ret = n < 0 ? n : (long)sent;
}

static long getevents(aio_context_t ctx, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };
	struct io_event ev;

	return syscall(SYS_io_getevents, ctx, 1, 1, &ev, ms < 0 ? NULL : &ts);
}

static void *wait_thread(void *arg)
{
	struct waiter *x = arg;
	char buf[SEND_LEN] = "";
	struct msghdr msg = { 0 };
	struct iovec iov = { buf, sizeof(buf) };
	long long start;

	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	x->tid = gettid();
	start = real_ms();
	switch (x->kind) {
	case RECV_DATA:
	case TCP_RECV:
		x->ret = recv(x->fd, buf, sizeof(buf), 0);
		break;
	case RECV_TIMEOUT:
		x->ret = recvmsg(x->fd, &msg, 0);
		break;
	case SEND_FULL:
		x->ret = send(x->fd, buf, SEND_LEN, 0);
		break;
	case TCP_SEND_FULL:
		x->ret = send(x->fd, buf, TCP_SEND_LEN, 0);
		break;
	case ACCEPT:
		x->ret = accept(x->fd, NULL, NULL);
		break;
	case COMPAT_RECV:
		x->ret = compat_recvfrom(x->fd, low, 64);
		if (x->ret < 0) {
			errno = -x->ret;
			x->ret = -1;
		}
		break;
	case AIO_DATA:
		x->ret = getevents(x->ctx, LONG_MS);
		break;
	case AIO_UNTIMED:
		x->ret = getevents(x->ctx, -1);
		break;
	case AIO_TIMEOUT:
		x->ret = getevents(x->ctx, SHORT_MS);
		break;
	case SEM_DATA:
		x->ret = semop(x->sem, &(struct sembuf){ 0, -1, 0 }, 1);
		break;
	case SEM_TIMEOUT:
		x->ret = semtimedop(x->sem, &(struct sembuf){ 0, -1, 0 }, 1,
				    &(struct timespec){ SHORT_MS / 1000, 0 });
		break;
	case COMPAT_SEM:
		x->ret = compat_semop(x->sem, (struct sembuf *)low);
		if (x->ret < 0) {
			errno = -x->ret;
			x->ret = -1;
		}
		break;
	case CONNECT:
		x->ret = connect(x->fd, (struct sockaddr *)&connect_addr,
				 sizeof(connect_addr));
		break;
	case UNIX_CONNECT:
		x->ret = connect(x->fd, (struct sockaddr *)&full_addr,
				 sizeof(full_addr));
		break;
	case RECVMMSG_PART:
		recv_batch(x);
		break;
	case SEND_PARTIAL:
	case TCP_SEND_PARTIAL:
		send_all(x);
		break;
	case X32_RECV:
	case X32_WAIT:
		if (x->kind == X32_RECV)
			x->ret = x32_syscall(X32_RECVFROM, x->fd,
					     (long)low + 2048, 64, 0, 0);
		else
			x->ret = x32_syscall(X32_EPOLL_WAIT, x->fd,
					     (long)low + 2048, 1, LONG_MS, 0);
		if (x->ret < 0) {
			errno = -x->ret;
			x->ret = -1;
		}
		break;
	default:
		break;
	}
	x->err = x->ret < 0 ? errno : 0;
	x->took_ms = real_ms() - start;
	x->returned = 1;
	return NULL;
}

/* A connected TCP pair over loopback: *a connects, *b is accepted. */
static int tcp_pair(int *a, int *b)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 || bind(l, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(l, 1) || getsockname(l, (struct sockaddr *)&addr, &len))
		return -1;
	*a = socket(AF_INET, SOCK_STREAM, 0);
	if (*a < 0 || connect(*a, (struct sockaddr *)&addr, sizeof(addr)))
		return -1;
	*b = accept(l, NULL, NULL);
	close(l);
	return *b < 0 ? -1 : 0;
}

/*
 * Fills fd's way to its peer until a send would block, and would go on
 * blocking: a unix socket's at its first EAGAIN; over TCP, the peer's acks
 * free the send buffer again (and autotuning grows it) until the peer's
 * window closes, so only an EAGAIN once tcp_quiet() is full. -1, named,
 * if it never stops taking data.
 */
static int fill(int fd, int tcp)
{
	static const char junk[4096];
	char why[128] = "it never refused a send";
	struct timespec start;
	int quiet;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (ms_since(&start) < restart_wait_ms(20000)) {
		quiet = !tcp || tcp_quiet(fd, why, sizeof(why));
		if (send(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
			continue;
		if (errno != EAGAIN)
			return -1;
		if (quiet)
			return 0;
		nap();
	}
	check("setup", 0, "the %s connection still takes data after %ld ms: %s",
	      tcp ? "TCP" : "unix", restart_wait_ms(20000), why);
	errno = EBUSY;
	return -1;
}

/* Reads fd until it has no more for 300 ms (non-blocking). */
static void drain(int fd)
{
	char buf[65536];
	int idle = 0;

	while (idle < 30) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
			idle = 0;
		else
			idle++, nap();
	}
}

static int add(enum kind k, int fd, int peer, long nr)
{
	w[k] = (struct waiter){
		.kind = k, .fd = fd, .peer = peer, .nr = nr, .used = 1
	};
	return 0;
}

/* A unix stream listener at DIR/name, its address in *addr; -1 if not. */
static int unix_listener(const char *dir, const char *name, int backlog,
			 struct sockaddr_un *addr)
{
	int l = socket(AF_UNIX, SOCK_STREAM, 0);

	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s", dir, name);
	unlink(addr->sun_path);
	if (l < 0 || bind(l, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(l, backlog))
		return -1;
	return l;
}

static int setup_sockets(const char *dir)
{
	int sp[2], a, b, l;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
	    set_timeout(sp[0], SO_RCVTIMEO, LONG_MS) ||
	    add(RECV_DATA, sp[0], sp[1], SYS_recvfrom))
		return -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) ||
	    set_timeout(sp[0], SO_RCVTIMEO, SHORT_MS) ||
	    add(RECV_TIMEOUT, sp[0], sp[1], SYS_recvmsg))
		return -1;
	if (tcp_pair(&a, &b) || set_timeout(a, SO_RCVTIMEO, LONG_MS) ||
	    add(TCP_RECV, a, b, SYS_recvfrom))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
		return -1;
	if (fill(sp[0], 0) || set_timeout(sp[0], SO_SNDTIMEO, LONG_MS) ||
	    add(SEND_FULL, sp[0], sp[1], SYS_sendto))
		return -1;
	if (tcp_pair(&a, &b) || fill(a, 1) ||
	    set_timeout(a, SO_SNDTIMEO, LONG_MS) ||
	    add(TCP_SEND_FULL, a, b, SYS_sendto))
		return -1;
	l = unix_listener(dir, "eintr.sock", 4, &listen_addr);
	if (l < 0 || set_timeout(l, SO_RCVTIMEO, LONG_MS) ||
	    add(ACCEPT, l, -1, SYS_accept))
		return -1;
	/* backlog 0 and one connection queued: the next connect() waits */
	l = unix_listener(dir, "eintr-full.sock", 0, &full_addr);
	a = socket(AF_UNIX, SOCK_STREAM, 0);
	b = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || a < 0 || b < 0 ||
	    connect(a, (struct sockaddr *)&full_addr, sizeof(full_addr)) ||
	    set_timeout(b, SO_SNDTIMEO, LONG_MS) ||
	    add(UNIX_CONNECT, b, l, SYS_connect))
		return -1;
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED || socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) ||
	    set_timeout(sp[0], SO_RCVTIMEO, LONG_MS) ||
	    add(COMPAT_RECV, sp[0], sp[1], IA32_RECVFROM))
		return -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) ||
	    set_timeout(sp[0], SO_RCVTIMEO, LONG_MS) ||
	    write(sp[1], "one", 4) != 4 ||
	    add(RECVMMSG_PART, sp[0], sp[1], SYS_recvmmsg))
		return -1;
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp) ||
	    set_timeout(sp[0], SO_SNDTIMEO, LONG_MS) ||
	    set_timeout(sp[1], SO_RCVTIMEO, LONG_MS) ||
	    add(SEND_PARTIAL, sp[0], sp[1], SYS_sendto))
		return -1;
	if (tcp_pair(&a, &b) || set_timeout(a, SO_SNDTIMEO, LONG_MS) ||
	    set_timeout(b, SO_RCVTIMEO, LONG_MS) ||
	    add(TCP_SEND_PARTIAL, a, b, SYS_sendto))
		return -1;
	/* x32 off: -ENOSYS at once, nothing to wait in */
	if (x32_syscall(X32_GETPID, 0, 0, 0, 0, 0) == getpid() &&
	    (socketpair(AF_UNIX, SOCK_DGRAM, 0, sp) ||
	     set_timeout(sp[0], SO_RCVTIMEO, LONG_MS) ||
	     add(X32_RECV, sp[0], sp[1], X32_RECVFROM)))
		return -1;
	return 0;
}

static int setup_waits(const char *dir)
{
	char path[4096];
	enum kind k;

	snprintf(path, sizeof(path), "%s/eintr.data", dir);
	aio_file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (aio_file < 0 || write(aio_file, "data", 4) != 4)
		return -1;
	for (k = AIO_DATA; k <= AIO_TIMEOUT; k++) {
		add(k, -1, -1, SYS_io_getevents);
		if (syscall(SYS_io_setup, 4, &w[k].ctx))
			return -1;
	}
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (low == MAP_FAILED)
		return -1;
	add(COMPAT_SEM, -1, -1, IA32_IPC);
	for (k = SEM_DATA; k <= SEM_TIMEOUT; k++) {
		add(k, -1, -1, SYS_semtimedop); /* glibc's semop() too */
		w[k].sem = semget(IPC_PRIVATE, 1, 0600);
		if (w[k].sem < 0)
			return -1;
	}
	w[COMPAT_SEM].sem = w[SEM_DATA].sem;
	return 0;
}

/* x32-wait: an epoll on a pipe, if the kernel runs x32 syscalls. */
static int setup_x32_wait(void)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int ep, p[2];

	if (x32_syscall(X32_GETPID, 0, 0, 0, 0, 0) != getpid())
		return 0;
	low = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ep = epoll_create1(0);
	if (low == MAP_FAILED || ep < 0 || pipe(p) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev))
		return -1;
	return add(X32_WAIT, ep, p[1], X32_EPOLL_WAIT);
}

/* A listener of backlog 0 holding one connection: it drops every SYN. */
static int setup_connect(void)
{
	socklen_t len = sizeof(connect_addr);
	int l = socket(AF_INET, SOCK_STREAM, 0), filler, c;

	connect_addr.sin_family = AF_INET;
	connect_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (l < 0 ||
	    bind(l, (struct sockaddr *)&connect_addr, sizeof(connect_addr)) ||
	    listen(l, 0) ||
	    getsockname(l, (struct sockaddr *)&connect_addr, &len))
		return -1;
	filler = socket(AF_INET, SOCK_STREAM, 0);
	if (filler < 0 || connect(filler, (struct sockaddr *)&connect_addr,
				  sizeof(connect_addr)))
		return -1;
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (c < 0 || set_timeout(c, SO_SNDTIMEO, CONNECT_MS))
		return -1;
	return add(CONNECT, c, l, SYS_connect);
}

/* Whether thread x shows its syscall in /proc: it is blocked in it. */
static int blocked(const struct waiter *x)
{
	return syscall_of_thread(x->tid) == x->nr;
}

/* A partial send's peer: reads its 4 MiB, checked byte by byte, then nothing more. */
static void read_partial_send(enum kind k)
{
	static unsigned char buf[65536];
	struct waiter *x = &w[k];
	size_t got = 0, bad = 0, i;
	ssize_t n = 0;

	if (!x->used)
		return;
	while (got < PARTIAL_LEN) {
		n = recv(x->peer, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		for (i = 0; i < (size_t)n; i++)
			bad += buf[i] != pattern(got + i);
		got += n;
	}
	pthread_join(x->thread, NULL);
	x->joined = 1;
	if (got == PARTIAL_LEN)
		n = recv(x->peer, buf, sizeof(buf), MSG_DONTWAIT);
	snprintf(x->read, sizeof(x->read),
		 "read %zu bytes (%zu wrong), then %zd (%s)", got, bad, n,
		 n < 0 ? strerror(errno) : "more data");
	x->read_ok = got == PARTIAL_LEN && !bad && n < 0 && errno == EAGAIN;
}

/* What main does at go: what each thread waits for. */
static void give(void)
{
	struct iocb cb = { .aio_lio_opcode = IOCB_CMD_PREAD };
	struct iocb *cbs[1] = { &cb };
	static char buf[64];
	int c;

	if (w[RECV_DATA].used && write(w[RECV_DATA].peer, "hello", 5) != 5)
		check("give", 0, "write recv-data's peer: %s", strerror(errno));
	if (w[TCP_RECV].used && write(w[TCP_RECV].peer, "hello", 5) != 5)
		check("give", 0, "write tcp-recv's peer: %s", strerror(errno));
	if (w[COMPAT_RECV].used && write(w[COMPAT_RECV].peer, "hello", 5) != 5)
		check("give", 0, "write compat-recv's peer: %s",
		      strerror(errno));
	if (w[SEND_FULL].used)
		drain(w[SEND_FULL].peer);
	if (w[TCP_SEND_FULL].used)
		drain(w[TCP_SEND_FULL].peer);
	if (w[ACCEPT].used) {
		c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (c < 0 || connect(c, (struct sockaddr *)&listen_addr,
				     sizeof(listen_addr)))
			check("give", 0, "connect to the listener: %s",
			      strerror(errno));
	}
	if (w[X32_WAIT].used && write(w[X32_WAIT].peer, "x", 1) != 1)
		check("give", 0, "write x32-wait's pipe: %s", strerror(errno));
	if (w[X32_RECV].used && write(w[X32_RECV].peer, "hello", 5) != 5)
		check("give", 0, "write x32-recv's peer: %s", strerror(errno));
	if (w[RECVMMSG_PART].used &&
	    write(w[RECVMMSG_PART].peer, "two", 4) != 4)
		check("give", 0, "write recvmmsg-part's peer: %s",
		      strerror(errno));
	read_partial_send(SEND_PARTIAL);
	read_partial_send(TCP_SEND_PARTIAL);
	if (w[UNIX_CONNECT].used &&
	    accept(w[UNIX_CONNECT].peer, NULL, NULL) < 0)
		check("give", 0, "accept on unix-connect's listener: %s",
		      strerror(errno));
	cb.aio_fildes = aio_file;
	cb.aio_buf = (unsigned long)buf;
	cb.aio_nbytes = 4;
	if (w[AIO_DATA].used &&
	    (syscall(SYS_io_submit, w[AIO_DATA].ctx, 1, cbs) != 1 ||
	     syscall(SYS_io_submit, w[AIO_UNTIMED].ctx, 1, cbs) != 1))
		check("give", 0, "io_submit: %s", strerror(errno));
	if (w[SEM_DATA].used &&
	    semop(w[SEM_DATA].sem, &(struct sembuf){ 0, 2, 0 }, 1))
		check("give", 0, "semop +2: %s", strerror(errno));
}

/*
 * Whether the kernel was booted with syscall.x32=y (Debian's switch for
 * x32 syscalls, off by default; the guest tests' x32 rows boot with it):
 * one word of /proc/cmdline.
 */
static int booted_with_x32(void)
{
	char cmdline[4096], *word, *rest;

	if (slurp("/proc/cmdline", cmdline, sizeof(cmdline)))
		return 0;
	for (word = strtok_r(cmdline, " \n", &rest); word;
	     word = strtok_r(NULL, " \n", &rest))
		if (!strcmp(word, "syscall.x32=y"))
			return 1;
	return 0;
}

/*
 * k's call was not made: this kernel runs no x32 syscalls. Right where it
 * was booted without them; a failure where it was booted with them, which
 * would otherwise pass without testing anything.
 */
static void x32_off(enum kind k)
{
	if (booted_with_x32())
		check(names[k], 0,
		      "not made: x32 syscalls fail (ENOSYS) though the kernel was booted with syscall.x32=y");
	else
		check(names[k], 1,
		      "not made: this kernel runs no x32 syscalls (ENOSYS; Debian's needs syscall.x32=y)");
}

/* What x's call must have returned. */
static void judge(const struct waiter *x)
{
	long want = 0;
	int timeout = 0;
	long ms = 0;

	switch (x->kind) {
	case RECV_DATA:
	case TCP_RECV:
	case COMPAT_RECV:
		want = 5;
		break;
	case SEND_FULL:
		want = SEND_LEN;
		break;
	case TCP_SEND_FULL:
		check(names[x->kind], x->ret > 0 && x->ret <= TCP_SEND_LEN,
		      "send() of %d bytes returned %ld (%s) after %lld ms",
		      TCP_SEND_LEN, x->ret, strerror(x->err), x->took_ms);
		return;
	case ACCEPT:
		check(names[x->kind], x->ret >= 0,
		      "accept() returned %ld (%s) after %lld ms", x->ret,
		      strerror(x->err), x->took_ms);
		return;
	case AIO_DATA:
	case AIO_UNTIMED:
		want = 1;
		break;
	case SEM_DATA:
	case COMPAT_SEM:
		break;
	case RECV_TIMEOUT:
	case SEM_TIMEOUT:
		timeout = EAGAIN, ms = SHORT_MS;
		break;
	case AIO_TIMEOUT:
		want = 0, ms = SHORT_MS;
		break;
	case CONNECT:
		timeout = EINPROGRESS, ms = CONNECT_MS;
		break;
	case UNIX_CONNECT:
		break;
	case RECVMMSG_PART:
		check(names[x->kind],
		      x->first == 1 && x->ret == 2 &&
			      !strcmp(x->got[0], "one") &&
			      !strcmp(x->got[1], "two"),
		      "recvmmsg() of 2 returned %ld (%s), then in all %ld (%s): got \"%s\", \"%s\"",
		      x->first, strerror(x->first_err), x->ret,
		      strerror(x->err), x->got[0], x->got[1]);
		return;
	case SEND_PARTIAL:
	case TCP_SEND_PARTIAL:
		check(names[x->kind],
		      x->first > 0 && x->ret == PARTIAL_LEN && x->read_ok,
		      "send() of %d bytes returned %ld (%s) first, then %ld in all (%s); its peer %s",
		      PARTIAL_LEN, x->first, strerror(x->first_err), x->ret,
		      strerror(x->err), x->read);
		return;
	case X32_RECV:
		want = 5;
		break;
	case X32_WAIT:
		want = 1;
		break;
	default:
		return;
	}
	if (timeout)
		check(names[x->kind],
		      x->ret == -1 && x->err == timeout && x->took_ms >= ms,
		      "returned %ld (%s) after %lld ms: want %s after %ld ms",
		      x->ret, strerror(x->err), x->took_ms, strerror(timeout),
		      ms);
	else
		check(names[x->kind], x->ret == want && x->took_ms >= ms,
		      "returned %ld (%s) after %lld ms: want %ld after %ld ms",
		      x->ret, strerror(x->err), x->took_ms, want, ms);
}

int main(int argc, char **argv)
{
	int ready, setup = -1;
	enum kind k;

	setup_mode_sockets = argc == 3 && !strcmp(argv[2], "sockets");
	if (setup_mode_sockets)
		setup = setup_sockets(argv[1]);
	else if (argc == 3 && !strcmp(argv[2], "waits"))
		setup = setup_waits(argv[1]);
	else if (argc == 3 && !strcmp(argv[2], "connect"))
		setup = setup_connect();
	else if (argc == 3 && !strcmp(argv[2], "x32-wait"))
		setup = setup_x32_wait();
	if (setup) {
		check("setup", 0,
		      "eintr_waits DIR sockets|waits|connect|x32-wait: %s",
		      strerror(errno));
		return 1;
	}
	for (k = 0; k < KINDS; k++)
		if (w[k].used &&
		    pthread_create(&w[k].thread, NULL, wait_thread, &w[k]))
			return check("setup", 0, "pthread_create"), 1;
	do {
		nap();
		for (ready = 1, k = 0; k < KINDS; k++) {
			if (w[k].used && w[k].returned)
				return check(names[k], 0,
					     "returned %ld (%s) before the checkpoint, after %lld ms",
					     w[k].ret, strerror(w[k].err),
					     w[k].took_ms),
				       1;
			ready &= !w[k].used || (w[k].tid && blocked(&w[k]));
		}
	} while (!ready);
	printf("READY%s\n", !strcmp(argv[2], "x32-wait") && !w[X32_WAIT].used ?
				    " x32-off" :
				    "");
	fflush(stdout);
	wait_in(argv[1], "go", WAIT_FOREVER);
	give();
	for (k = 0; k < KINDS; k++) {
		if (!w[k].used)
			continue;
		if (!w[k].joined)
			pthread_join(w[k].thread, NULL);
		judge(&w[k]);
	}
	if (setup_mode_sockets && !w[X32_RECV].used)
		x32_off(X32_RECV);
	if (!strcmp(argv[2], "x32-wait") && !w[X32_WAIT].used)
		x32_off(X32_WAIT);
	/* SysV sets outlive the process: the guest's next rows must not see them */
	for (k = SEM_DATA; k <= SEM_TIMEOUT; k++)
		if (w[k].used)
			semctl(w[k].sem, 0, IPC_RMID);
	return check_exit_status();
}
