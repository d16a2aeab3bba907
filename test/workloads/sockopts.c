// SPDX-License-Identifier: GPL-2.0
/*
 * Socket options every socket kind saves (SocketOptions, kmod/cpt_sock.c):
 * SO_RCVTIMEO, SO_SNDTIMEO, SO_TIMESTAMP* (old and new), SO_TIMESTAMPING,
 * a classic filter (SO_ATTACH_FILTER) and SO_LOCK_FILTER; a unix pair's
 * and listener's buffer sizes.
 *
 * sockopts serve DIR (root): sets them to values other than the default on
 *   fd 3  a TCP listener on 127.0.0.1: timeouts, SO_TIMESTAMPNS_NEW, a
 *         filter that passes everything, locked; TCP_DEFER_ACCEPT 7 (a
 *         retransmission period, as getsockopt() reads it),
 *         TCP_CONGESTION reno;
 *   fd 4  a UDP socket bound to 127.0.0.1: SO_RCVTIMEO of 300 ms,
 *         SO_TIMESTAMP, a filter that drops a datagram starting with 'x';
 *   fd 5  a raw IPv4 socket of protocol 253: SO_SNDTIMEO, SO_TIMESTAMPING;
 *   fd 6  a unix stream pair's end holding "hello": SO_RCVTIMEO of 200 ms,
 *         SO_SNDBUF, SO_RCVBUF, SO_PEEK_OFF 2;
 *   fd 7  its peer: SO_SNDTIMEO, SO_SNDBUF;
 *   fd 8  a unix datagram pair's end: SO_TIMESTAMPNS, a filter that drops
 *         a datagram starting with 'x', locked;
 *   fd 9  its peer: SO_TIMESTAMPING_NEW;
 *   fd 10 a unix listener on an abstract name: SO_RCVTIMEO of 248 ms,
 *         SO_RCVBUF, SO_SNDBUF;
 *   fd 11 a unix datagram socket bound to an abstract name: SO_RCVTIMEO,
 *         SO_TIMESTAMP_NEW;
 *   fd 12 a NETLINK_ROUTE socket: SO_RCVTIMEO of 160 ms, SO_TIMESTAMP, a
 *         filter that passes everything;
 *   fd 13 a packet socket of no protocol: SO_SNDTIMEO, SO_TIMESTAMPNS, a
 *         filter that drops everything, locked;
 *   fd 14 a unix stream pair's end and fd 15 its peer, each with 100000
 *         bytes queued to the other, then SO_SNDBUF (4000) and SO_RCVBUF
 *         (3000) lowered below what it queued (SIOCOUTQ): a restart sends
 *         each queue again from its sender, so it must not lower them
 *         before both queues are back;
 *   fd 16 a unix seqpacket pair's end with three messages of 20000 bytes
 *         queued to fd 17, its peer, then SO_SNDBUF lowered to 4000 (a
 *         message larger than it could not be sent again within it);
 *   fd 18 an ICMP ping socket: SO_RCVTIMEO of 120 ms, SO_TIMESTAMPNS, a
 *         filter that passes everything (the workload opens
 *         net.ipv4.ping_group_range to every group first: by default no
 *         group may make one, root's neither).
 * Prints READY; after DIR/go each reads every option back as it was
 * (getsockopt(), SO_GET_FILTER), and they still work: the UDP socket's and
 * the unix datagram pair's filters drop an 'x' datagram and pass another,
 * which comes with its SCM_TIMESTAMP (SCM_TIMESTAMPNS); the bound unix
 * socket's datagram with SO_TIMESTAMP_NEW's; a recv() (accept()) with
 * nothing to read times out after about its SO_RCVTIMEO with EAGAIN, not
 * EINTR; a MSG_PEEK on the unix stream pair's end reads from its peek
 * offset; the TCP listener accepts a connection once its client wrote;
 * fds 14 to 17 read their queues back whole, in order, and still have
 * more queued than their lowered SO_SNDBUF (SIOCOUTQ); the ping socket's
 * recv() times out, and its echo reply to 127.0.0.1 comes with
 * SCM_TIMESTAMPNS.
 *
 * sockopts refused KIND DIR: fd 3 with what a checkpoint refuses by name:
 * "ebpf", a UDP socket with an eBPF filter (SO_ATTACH_BPF); "opt-id", a UDP
 * socket with SO_TIMESTAMPING's SOF_TIMESTAMPING_OPT_ID; "unix-queued", a
 * unix datagram pair's end with SO_TIMESTAMP and a datagram queued;
 * "tcp-unread", a TCP connection's end with SO_TIMESTAMP and data unread
 * (a restart refills its queue unstamped); "unix-sndbuf", a unix stream
 * pair's end with SO_SNDBUF raised to 1 MiB (net.core.wmem_max's) and
 * 300000 bytes queued to its peer: more than a new socket's SO_SNDBUF
 * (net.core.wmem_default), which a restart sends them again within before
 * it sets the saved one; "errqueue", a UDP socket with SO_TIMESTAMPING's
 * software transmit stamps and the stamp of a datagram it sent waiting in
 * its error queue (MSG_ERRQUEUE). Prints
 * READY; after DIR/go checks fd 3 still has it ("kept-running").
 *
 * sockopts probe-bpf: exits 0 if this kernel loads an eBPF socket filter,
 * 3 if not (no bpf(): the debug kernel's CONFIG_BPF_SYSCALL is off).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/net_tstamp.h>
#include <linux/netlink.h>
#include <linux/sockios.h>

#include "check.h"
#include "fd_wait.h"
#include "sync.h"

#define FIRST_FD 3
#define NR_FDS 16
#define MAX_INSNS 8

static const char *const names[NR_FDS] = {
	"tcp-listener",
	"udp",
	"raw",
	"unix-stream-pair",
	"unix-stream-peer",
	"unix-dgram-pair",
	"unix-dgram-peer",
	"unix-listener",
	"unix-dgram-bound",
	"netlink",
	"packet",
	"unix-lowered-stream",
	"unix-lowered-stream-peer",
	"unix-lowered-seqpacket",
	"unix-lowered-seqpacket-peer",
	"ping",
};

/* fds 14 and 15's queues; fd 16's messages to fd 17 */
#define LOWERED_STREAM_BYTES 100000
#define LOWERED_MSG_BYTES 20000
#define LOWERED_MSGS 3
#define LOWERED_SNDBUF 4000
#define LOWERED_RCVBUF 3000

/* Every option a SocketOptions holds, as getsockopt() reads it. */
struct opts {
	struct timeval rcvtimeo, sndtimeo;
	int timestamp, timestampns, timestamp_new, timestampns_new;
	int timestamping, lock_filter, rcvbuf, sndbuf, peek_off;
	int filter_len;
	struct sock_filter filter[MAX_INSNS];
};

/* Passes everything, drops everything; drops what starts with 'x' at offset 8 (UDP) or 0 (unix). */
static struct sock_filter pass_all[] = { BPF_STMT(BPF_RET | BPF_K, 0xffff) };
static struct sock_filter drop_all[] = { BPF_STMT(BPF_RET | BPF_K, 0) };
#define DROP_X(offset)                                                  \
	{                                                               \
		BPF_STMT(BPF_LD | BPF_B | BPF_ABS, offset),             \
			BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 'x', 0, 1), \
			BPF_STMT(BPF_RET | BPF_K, 0),                   \
			BPF_STMT(BPF_RET | BPF_K, 0xffff)               \
	}
static struct sock_filter drop_x_udp[] = DROP_X(8);
static struct sock_filter drop_x_unix[] = DROP_X(0);

static void set_timeo(int fd, int name, long usec)
{
	struct timeval tv = { .tv_sec = usec / 1000000,
			      .tv_usec = usec % 1000000 };

	if (setsockopt(fd, SOL_SOCKET, name, &tv, sizeof(tv)))
		die("setsockopt timeout");
}

static void attach(int fd, struct sock_filter *insns, unsigned short len,
		   int lock)
{
	struct sock_fprog prog = { .len = len, .filter = insns };

	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)))
		die("SO_ATTACH_FILTER");
	if (lock)
		set_int_opt(fd, SOL_SOCKET, SO_LOCK_FILTER, 1);
}

static int get_int(int fd, int name)
{
	socklen_t len = sizeof(int);
	int val = -1;

	if (getsockopt(fd, SOL_SOCKET, name, &val, &len))
		return -errno;
	return val;
}

static void read_opts(int fd, struct opts *o)
{
	socklen_t len = sizeof(o->rcvtimeo);

	memset(o, 0, sizeof(*o));
	getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &o->rcvtimeo, &len);
	len = sizeof(o->sndtimeo);
	getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &o->sndtimeo, &len);
	o->timestamp = get_int(fd, SO_TIMESTAMP_OLD);
	o->timestampns = get_int(fd, SO_TIMESTAMPNS_OLD);
	o->timestamp_new = get_int(fd, SO_TIMESTAMP_NEW);
	o->timestampns_new = get_int(fd, SO_TIMESTAMPNS_NEW);
	o->timestamping = get_int(fd, SO_TIMESTAMPING_OLD);
	o->lock_filter = get_int(fd, SO_LOCK_FILTER);
	o->rcvbuf = get_int(fd, SO_RCVBUF);
	o->sndbuf = get_int(fd, SO_SNDBUF);
	o->peek_off = get_int(fd, SO_PEEK_OFF);
	len = MAX_INSNS; /* SO_GET_FILTER counts instructions */
	if (getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, o->filter, &len))
		o->filter_len = -errno;
	else
		o->filter_len = len;
}

static void show_opts(char *buf, size_t size, const struct opts *o)
{
	snprintf(
		buf, size,
		"rcvtimeo %ld.%06ld sndtimeo %ld.%06ld ts %d tsns %d ts_new %d tsns_new %d "
		"tsing %#x lock %d rcvbuf %d sndbuf %d peek_off %d filter %d insns (first k %u)",
		(long)o->rcvtimeo.tv_sec, (long)o->rcvtimeo.tv_usec,
		(long)o->sndtimeo.tv_sec, (long)o->sndtimeo.tv_usec,
		o->timestamp, o->timestampns, o->timestamp_new,
		o->timestampns_new, o->timestamping, o->lock_filter, o->rcvbuf,
		o->sndbuf, o->peek_off, o->filter_len,
		o->filter_len > 0 ? o->filter[0].k : 0);
}

static struct sockaddr_in loopback(int fd)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);

	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(fd, (struct sockaddr *)&a, &len))
		die("bind");
	return a;
}

static struct sockaddr_un abstract(const char *what, socklen_t *len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	*len = offsetof(struct sockaddr_un, sun_path) + 1 +
	       snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1,
			"cpt-sockopts-%s-%d", what, getpid());
	return a;
}

/* Byte i of what fd from queued (the seqpacket's message m: from + m). */
static unsigned char pattern(int from, size_t i)
{
	return (unsigned char)(i * 7 + (size_t)from * 31 + i / 251);
}

/* What a unix socket has queued to its peer and not read there yet (SIOCOUTQ). */
static int outq(int fd)
{
	int n = -1;

	if (ioctl(fd, SIOCOUTQ, &n))
		return -errno;
	return n;
}

/*
 * fds 14 to 17: queued with the default buffers, then lowered below what
 * each queued; dies unless each really holds more than its SO_SNDBUF now.
 */
static void make_lowered(void)
{
	static unsigned char buf[LOWERED_STREAM_BYTES];
	int sv[2], fd, m;
	size_t i;

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	fd_at(sv[0], 14);
	fd_at(sv[1], 15);
	for (fd = 14; fd <= 15; fd++) {
		for (i = 0; i < sizeof(buf); i++)
			buf[i] = pattern(fd, i);
		if (send(fd, buf, sizeof(buf), MSG_DONTWAIT) != sizeof(buf))
			die("send lowered stream");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv))
		die("socketpair");
	fd_at(sv[0], 16);
	fd_at(sv[1], 17);
	for (m = 0; m < LOWERED_MSGS; m++) {
		for (i = 0; i < LOWERED_MSG_BYTES; i++)
			buf[i] = pattern(16 + m, i);
		if (send(16, buf, LOWERED_MSG_BYTES, MSG_DONTWAIT) !=
		    LOWERED_MSG_BYTES)
			die("send lowered seqpacket");
	}
	for (fd = 14; fd <= 16; fd++) {
		set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, LOWERED_SNDBUF);
		set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, LOWERED_RCVBUF);
		if (outq(fd) <= get_int(fd, SO_SNDBUF)) {
			fprintf(stderr, "fd %d: %d queued, SO_SNDBUF %d\n", fd,
				outq(fd), get_int(fd, SO_SNDBUF));
			die("lowered SO_SNDBUF above what is queued");
		}
	}
}

/* Reads fd's queue with MSG_DONTWAIT: len bytes of from's pattern (one message of a seqpacket). */
static int read_queued(int fd, int from, size_t len, int seqpacket, char *why,
		       size_t why_size)
{
	static unsigned char buf[LOWERED_STREAM_BYTES + 1];
	size_t got = 0, i;
	ssize_t n;

	while (got < len) {
		n = recv(fd, buf + got, seqpacket ? sizeof(buf) : len - got,
			 MSG_DONTWAIT);
		if (n <= 0) {
			note_to(why, why_size,
				"fd %d: %zu of %zu bytes, then %s", fd, got,
				len, n ? strerror(errno) : "end");
			return 0;
		}
		got += (size_t)n;
		if (seqpacket)
			break;
	}
	if (got != len) {
		note_to(why, why_size,
			"fd %d: a message of %zu bytes, want %zu", fd, got,
			len);
		return 0;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] != pattern(from, i)) {
			note_to(why, why_size, "fd %d: byte %zu differs", fd,
				i);
			return 0;
		}
	}
	return 1;
}

/*
 * fds 14 to 17's queues, whole and in order, and each sender still holds
 * more than its SO_SNDBUF (as before the checkpoint).
 */
static void check_lowered(void)
{
	int sndbuf[3], queued[3], fd, m, ok = 1;
	char why[256] = "";

	for (fd = 14; fd <= 16; fd++) {
		sndbuf[fd - 14] = get_int(fd, SO_SNDBUF);
		queued[fd - 14] = outq(fd);
		if (queued[fd - 14] <= sndbuf[fd - 14]) {
			note_to(why, sizeof(why),
				"fd %d: %d queued, SO_SNDBUF %d", fd,
				queued[fd - 14], sndbuf[fd - 14]);
			ok = 0;
		}
	}
	ok &= read_queued(15, 14, LOWERED_STREAM_BYTES, 0, why, sizeof(why));
	ok &= read_queued(14, 15, LOWERED_STREAM_BYTES, 0, why, sizeof(why));
	for (m = 0; m < LOWERED_MSGS; m++)
		ok &= read_queued(17, 16 + m, LOWERED_MSG_BYTES, 1, why,
				  sizeof(why));
	check("unix-lowered-queues", ok,
	      "%s (queued %d, %d, %d; SO_SNDBUF %d, %d, %d)",
	      ok ? "every byte back in order" : why, queued[0], queued[1],
	      queued[2], sndbuf[0], sndbuf[1], sndbuf[2]);
}

/* The sockets of serve(), at fds 3 to 18. */
static void make_sockets(void)
{
	struct sockaddr_un un;
	socklen_t un_len;
	int sv[2], fd;

	fd = fd_at(socket(AF_INET, SOCK_STREAM, 0), 3);
	loopback(fd);
	if (listen(fd, 4))
		die("listen");
	set_timeo(fd, SO_RCVTIMEO, 1500000);
	set_timeo(fd, SO_SNDTIMEO, 2000000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS_NEW, 1);
	attach(fd, pass_all, 1, 1);
	set_int_opt(fd, SOL_TCP, TCP_DEFER_ACCEPT, 7);
	if (setsockopt(fd, SOL_TCP, TCP_CONGESTION, "reno", 4))
		die("TCP_CONGESTION");

	fd = fd_at(socket(AF_INET, SOCK_DGRAM, 0), 4);
	loopback(fd);
	set_timeo(fd, SO_RCVTIMEO, 300000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
	attach(fd, drop_x_udp, 4, 0);

	fd = fd_at(socket(AF_INET, SOCK_RAW, 253), 5);
	set_timeo(fd, SO_SNDTIMEO, 40000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
		    SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE);

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	fd_at(sv[0], 6);
	fd_at(sv[1], 7);
	set_timeo(6, SO_RCVTIMEO, 200000);
	set_int_opt(6, SOL_SOCKET, SO_SNDBUF, 40000);
	set_int_opt(6, SOL_SOCKET, SO_RCVBUF, 50000);
	set_int_opt(6, SOL_SOCKET, SO_PEEK_OFF, 2);
	set_timeo(7, SO_SNDTIMEO, 700000);
	set_int_opt(7, SOL_SOCKET, SO_SNDBUF, 60000);
	if (write(7, "hello", 5) != 5)
		die("write");

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
		die("socketpair");
	fd_at(sv[0], 8);
	fd_at(sv[1], 9);
	set_int_opt(8, SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1);
	attach(8, drop_x_unix, 4, 1);
	set_int_opt(9, SOL_SOCKET, SO_TIMESTAMPING_NEW,
		    SOF_TIMESTAMPING_RX_SOFTWARE);

	fd = fd_at(socket(AF_UNIX, SOCK_STREAM, 0), 10);
	un = abstract("listener", &un_len);
	if (bind(fd, (struct sockaddr *)&un, un_len) || listen(fd, 4))
		die("unix listener");
	set_timeo(fd, SO_RCVTIMEO, 248000);
	set_int_opt(fd, SOL_SOCKET, SO_RCVBUF, 70000);
	set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 80000);

	fd = fd_at(socket(AF_UNIX, SOCK_DGRAM, 0), 11);
	un = abstract("dgram", &un_len);
	if (bind(fd, (struct sockaddr *)&un, un_len))
		die("unix bind");
	set_timeo(fd, SO_RCVTIMEO, 3000000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMP_NEW, 1);

	fd = fd_at(socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE), 12);
	set_timeo(fd, SO_RCVTIMEO, 160000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
	attach(fd, pass_all, 1, 0);

	fd = fd_at(socket(AF_PACKET, SOCK_DGRAM, 0), 13);
	set_timeo(fd, SO_SNDTIMEO, 124000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1);
	attach(fd, drop_all, 1, 1);

	make_lowered();

	open_ping_range();
	fd = fd_at(socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), 18);
	set_timeo(fd, SO_RCVTIMEO, 120000);
	set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPNS_OLD, 1);
	attach(fd, pass_all, 1, 0);
}

/* recv() on fd (accept() if listener) with nothing there: fails with EAGAIN after about ms. */
static void check_times_out(const char *name, int fd, int listener, long ms)
{
	struct timespec start;
	char buf[16];
	long took;
	int ret, err;

	clock_gettime(CLOCK_MONOTONIC, &start);
	ret = listener ? accept(fd, NULL, NULL) :
			 (int)recv(fd, buf, sizeof(buf), 0);
	err = errno;
	took = ms_since(&start);
	/* TCG is slow: late is fine within seconds, early is not. */
	check(name,
	      ret < 0 && err == EAGAIN && took >= ms * 9 / 10 &&
		      took < ms + 5000,
	      "returned %d (%s) after %ld ms, SO_RCVTIMEO %ld ms", ret,
	      ret < 0 ? strerror(err) : "data", took, ms);
}

/* Receives one datagram: its payload in buf, the type of its SOL_SOCKET cmsg in *cmsg_type. */
static ssize_t recv_stamped(int fd, char *buf, size_t size, int *cmsg_type)
{
	union {
		char b[CMSG_SPACE(64)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = u.b,
			      .msg_controllen = sizeof(u.b) };
	struct cmsghdr *c;
	ssize_t n;

	*cmsg_type = 0;
	n = fd_readable(fd, 5000) ? recvmsg(fd, &msg, MSG_DONTWAIT) : -1;
	if (n < 0)
		return n;
	buf[n] = '\0';
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET)
			*cmsg_type = c->cmsg_type;
	return n;
}

/* 'x' then "ok" sent to fd from from: the filter drops the first, "ok" comes with cmsg type want. */
static void check_filtered(const char *name, int fd, int from,
			   const struct sockaddr *to, socklen_t to_len,
			   int want)
{
	char buf[32];
	int type;
	ssize_t n;

	if (sendto(from, "xdrop", 5, 0, to, to_len) != 5 ||
	    sendto(from, "ok", 2, 0, to, to_len) != 2)
		die("sendto");
	n = recv_stamped(fd, buf, sizeof(buf), &type);
	check(name, n == 2 && !strcmp(buf, "ok") && type == want,
	      "received %zd bytes \"%s\", cmsg type %d (want \"ok\" with %d)",
	      n, n >= 0 ? buf : "", type, want);
}

/* An echo request from the ping socket to 127.0.0.1: its reply comes with SCM_TIMESTAMPNS. */
static void check_ping(void)
{
	struct sockaddr_in lo = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct icmphdr req = { .type = ICMP_ECHO,
			       .un.echo.sequence = htons(1) };
	char buf[64];
	int type;
	ssize_t n;

	if (sendto(18, &req, sizeof(req), 0, (struct sockaddr *)&lo,
		   sizeof(lo)) != sizeof(req))
		die("ping sendto");
	n = recv_stamped(18, buf, sizeof(buf), &type);
	check("ping-echo-timestampns",
	      n >= (ssize_t)sizeof(req) && buf[0] == ICMP_ECHOREPLY &&
		      type == SCM_TIMESTAMPNS,
	      "received %zd bytes of ICMP type %d, cmsg type %d (want an echo reply with %d)",
	      n, n > 0 ? buf[0] : -1, type, SCM_TIMESTAMPNS);
}

/* TCP_DEFER_ACCEPT and TCP_CONGESTION of fd, as text. */
static void tcp_opts(int fd, char *buf, size_t size)
{
	char cc[16] = "";
	socklen_t len = sizeof(cc) - 1;
	int defer = -1;
	socklen_t dlen = sizeof(defer);

	getsockopt(fd, SOL_TCP, TCP_DEFER_ACCEPT, &defer, &dlen);
	getsockopt(fd, SOL_TCP, TCP_CONGESTION, cc, &len);
	snprintf(buf, size, "TCP_DEFER_ACCEPT %d TCP_CONGESTION %s", defer, cc);
}

static int serve(const char *go)
{
	struct opts before[NR_FDS], after;
	char was[256], now[256], tcp_was[64], tcp_now[64];
	struct sockaddr_in udp;
	struct sockaddr_un un;
	socklen_t len;
	char buf[16];
	int i, s, type;
	ssize_t n;

	make_sockets();
	for (i = 0; i < NR_FDS; i++)
		read_opts(FIRST_FD + i, &before[i]);
	tcp_opts(3, tcp_was, sizeof(tcp_was));
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	for (i = 0; i < NR_FDS; i++) {
		read_opts(FIRST_FD + i, &after);
		show_opts(was, sizeof(was), &before[i]);
		show_opts(now, sizeof(now), &after);
		check(names[i], !memcmp(&before[i], &after, sizeof(after)),
		      "%s (was %s)", now, was);
	}

	tcp_opts(3, tcp_now, sizeof(tcp_now));
	check("tcp-listener-tcp-options",
	      !strcmp(tcp_was, tcp_now) && strstr(tcp_now, " 7 ") &&
		      strstr(tcp_now, "reno"),
	      "%s (was %s)", tcp_now, tcp_was);

	len = sizeof(udp);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || getsockname(4, (struct sockaddr *)&udp, &len))
		die("udp");
	check_filtered("udp-filter-timestamp", 4, s, (struct sockaddr *)&udp,
		       len, SCM_TIMESTAMP);
	close(s);
	check_times_out("udp-rcvtimeo", 4, 0, 300);

	n = recv(6, buf, sizeof(buf), MSG_PEEK);
	check("unix-stream-peek-off", n == 3 && !memcmp(buf, "llo", 3),
	      "peeked %zd bytes \"%.*s\"", n, n > 0 ? (int)n : 0, buf);
	n = recv(6, buf, sizeof(buf), 0);
	check("unix-stream-queue", n == 5 && !memcmp(buf, "hello", 5),
	      "read %zd bytes", n);
	check_times_out("unix-stream-rcvtimeo", 6, 0, 200);

	check_filtered("unix-dgram-filter-timestampns", 8, 9, NULL, 0,
		       SCM_TIMESTAMPNS);
	check_times_out("unix-listener-rcvtimeo", 10, 1, 248);

	un = abstract("dgram", &len);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || sendto(s, "new", 3, 0, (struct sockaddr *)&un, len) != 3)
		die("unix sendto");
	close(s);
	n = recv_stamped(11, buf, sizeof(buf), &type);
	check("unix-dgram-bound-timestamp-new",
	      n == 3 && type == SO_TIMESTAMP_NEW,
	      "received %zd bytes, cmsg type %d (want %d)", n, type,
	      SO_TIMESTAMP_NEW);

	check_times_out("netlink-rcvtimeo", 12, 0, 160);

	len = sizeof(udp);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || getsockname(3, (struct sockaddr *)&udp, &len) ||
	    connect(s, (struct sockaddr *)&udp, len) || write(s, "x", 1) != 1)
		die("tcp connect");
	/* TCP_DEFER_ACCEPT: the connection is there once its data is. */
	i = fd_readable(3, 5000) ? accept(3, NULL, NULL) : -1;
	check("tcp-accepts", i >= 0,
	      "accept() on the filtered listener: %d (%s)", i,
	      i < 0 ? strerror(errno) : "ok");
	close(s);
	check_lowered();
	check_times_out("ping-rcvtimeo", 18, 0, 120);
	check_ping();
	return check_exit_status();
}

/* An eBPF socket filter program that passes everything, loaded with bpf(). */
static int ebpf_pass_all(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K,
		  .dst_reg = BPF_REG_0,
		  .imm = 0xffff },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr attr = {
		.prog_type = BPF_PROG_TYPE_SOCKET_FILTER,
		.insns = (uintptr_t)insns,
		.insn_cnt = 2,
		.license = (uintptr_t) "GPL",
	};

	return (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
}

static int refused(const char *kind, const char *go)
{
	static char big[300000];
	int fd, sv[2], ok, prog;

	if (!strcmp(kind, "ebpf")) {
		fd = fd_at(socket(AF_INET, SOCK_DGRAM, 0), 3);
		prog = ebpf_pass_all();
		if (prog < 0)
			die("bpf");
		set_int_opt(fd, SOL_SOCKET, SO_ATTACH_BPF, prog);
		/* The filter holds the program: no bpf fd for a checkpoint to refuse first. */
		close(prog);
	} else if (!strcmp(kind, "opt-id")) {
		fd = fd_at(socket(AF_INET, SOCK_DGRAM, 0), 3);
		set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
			    SOF_TIMESTAMPING_OPT_ID |
				    SOF_TIMESTAMPING_TX_SOFTWARE |
				    SOF_TIMESTAMPING_SOFTWARE);
	} else if (!strcmp(kind, "unix-queued")) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv))
			die("socketpair");
		fd = fd_at(sv[0], 3);
		fd_at(sv[1], 4);
		set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
		if (write(4, "q", 1) != 1)
			die("write");
	} else if (!strcmp(kind, "unix-sndbuf")) {
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
			die("socketpair");
		fd = fd_at(sv[0], 3);
		fd_at(sv[1], 4);
		set_int_opt(fd, SOL_SOCKET, SO_SNDBUF, 1 << 20);
		if (write(fd, big, sizeof(big)) != sizeof(big))
			die("write");
	} else if (!strcmp(kind, "errqueue")) {
		int to = fd_at(socket(AF_INET, SOCK_DGRAM, 0), 4);
		struct sockaddr_in sin = loopback(to);
		struct pollfd p = { .fd = -1 };

		fd = fd_at(socket(AF_INET, SOCK_DGRAM, 0), 3);
		set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMPING_OLD,
			    SOF_TIMESTAMPING_TX_SOFTWARE |
				    SOF_TIMESTAMPING_SOFTWARE);
		if (sendto(fd, "q", 1, 0, (struct sockaddr *)&sin,
			   sizeof(sin)) != 1)
			die("sendto");
		/* Its transmit stamp waits in the error queue: POLLERR. */
		p.fd = fd;
		if (poll(&p, 1, 5000) != 1 || !(p.revents & POLLERR))
			die("no transmit timestamp in the error queue");
	} else if (!strcmp(kind, "tcp-unread")) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr.s_addr =
						   htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof(sin);
		int l = fd_at(socket(AF_INET, SOCK_STREAM, 0), 5);

		if (bind(l, (struct sockaddr *)&sin, len) || listen(l, 1) ||
		    getsockname(l, (struct sockaddr *)&sin, &len))
			die("tcp listener");
		fd_at(socket(AF_INET, SOCK_STREAM, 0), 4);
		if (connect(4, (struct sockaddr *)&sin, len))
			die("connect");
		fd = fd_at(accept(l, NULL, NULL), 3);
		close(l);
		set_int_opt(fd, SOL_SOCKET, SO_TIMESTAMP_OLD, 1);
		if (write(4, "q", 1) != 1 || !fd_readable(fd, 5000))
			die("write");
	} else {
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	if (!strcmp(kind, "ebpf")) {
		socklen_t len = 0;

		/* An eBPF filter has no classic program to give back: EACCES. */
		ok = getsockopt(fd, SOL_SOCKET, SO_GET_FILTER, NULL, &len) &&
		     errno == EACCES;
	} else if (!strcmp(kind, "opt-id")) {
		ok = get_int(fd, SO_TIMESTAMPING_OLD) & SOF_TIMESTAMPING_OPT_ID;
	} else if (!strcmp(kind, "errqueue")) {
		struct pollfd p = { .fd = fd };

		ok = poll(&p, 1, 0) == 1 && (p.revents & POLLERR);
	} else if (!strcmp(kind, "unix-sndbuf")) {
		/* Raised as far as net.core.wmem_max lets it (twice, as set). */
		ok = get_int(fd, SO_SNDBUF) > (int)sizeof(big) &&
		     fd_readable(4, 0);
	} else {
		ok = get_int(fd, SO_TIMESTAMP_OLD) == 1 && fd_readable(fd, 0);
	}
	check("kept-running", ok, "fd 3 still has its %s", kind);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	char go[PATH_MAX];

	if (argc == 3 && !strcmp(argv[1], "serve")) {
		snprintf(go, sizeof(go), "%s/go", argv[2]);
		return serve(go);
	}
	/* Whether this kernel loads an eBPF socket filter (CONFIG_BPF_SYSCALL): 0, or 3. */
	if (argc == 2 && !strcmp(argv[1], "probe-bpf")) {
		if (ebpf_pass_all() >= 0)
			return 0;
		perror("bpf(BPF_PROG_LOAD)");
		return 3;
	}
	if (argc == 4 && !strcmp(argv[1], "refused")) {
		snprintf(go, sizeof(go), "%s/go", argv[3]);
		return refused(argv[2], go);
	}
	fprintf(stderr, "usage: sockopts serve DIR | refused KIND DIR\n");
	return 2;
}
