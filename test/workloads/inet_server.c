// SPDX-License-Identifier: GPL-2.0
/*
 * TCP and UDP sockets across checkpoint/restart.
 *
 * inet_server serve DIR: a server's sockets, each on a port the kernel
 * chose: a TCP listener on 127.0.0.1 and one on [::1] (v6 only), each with
 * options set; a v6 listener on the v4-mapped ::ffff:127.0.0.1; a TCP
 * socket bound and not listening, an unbound one; two UDP sockets bound on
 * 127.0.0.1 and connected to each other, an unbound UDP v6 one, a bound
 * UDP-Lite one. After DIR/go each keeps its name and options
 * (getsockname, getsockopt), each listener accepts a new client and they
 * exchange data, the bound socket listens on its port, and the UDP pair
 * exchanges datagrams from the right sources.
 *
 * inet_server mark DIR: a listener with SO_MARK, in a process that then
 * drops CAP_NET_ADMIN and CAP_NET_RAW (a restart must not set the mark for
 * a caller without them).
 *
 * inet_server refused KIND DIR: what a checkpoint refuses, the tree left
 * running: "backlog", a listener with a connection not accepted yet;
 * "established", a TCP
 * connection closed by both ends (its socket in CLOSE, the connection in
 * TIME_WAIT; a half-closed one is saved: tcp_states.c); "option", a
 * listener with TCP_FASTOPEN. After DIR/go it
 * checks the state is still there ("kept-running").
 *
 * inet_server ports DIR: a v4 listener (fd 3) and a v6 one (fd 4); their
 * ports in DIR/ports ("V4 V6"). After DIR/go both accept.
 * inet_server squat v4|v6 PORT DIR: listens on that port of 127.0.0.1 or
 * [::1] until DIR/unsquat appears (DIR/squatting once it listens).
 * inet_server bindable v4|v6 PORT: exits 0 if that port can be bound.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif
#define TIMEOUT_MS 10000

static char go[PATH_MAX];

static void set_int(int fd, int level, int name, int val, const char *what)
{
	if (setsockopt(fd, level, name, &val, sizeof(val)))
		die(what);
}

static int get_int(int fd, int level, int name)
{
	int val = -12345;
	socklen_t len = sizeof(val);

	if (getsockopt(fd, level, name, &val, &len))
		return -12345;
	return val;
}

static struct sockaddr_in v4(const char *addr, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons(port) };

	inet_pton(AF_INET, addr, &sin.sin_addr);
	return sin;
}

static struct sockaddr_in6 v6(const char *addr, int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
				     .sin6_port = htons(port) };

	inet_pton(AF_INET6, addr, &sin6.sin6_addr);
	return sin6;
}

static int make(int family, int type, int protocol)
{
	int fd = socket(family, type, protocol);

	if (fd < 0)
		die("socket");
	return fd;
}

static void bind_to(int fd, const void *addr, socklen_t len)
{
	if (bind(fd, addr, len))
		die("bind");
}

/* Its bound port. */
static int port_of(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return -1;
	return ntohs(ss.ss_family == AF_INET ?
			     ((struct sockaddr_in *)&ss)->sin_port :
			     ((struct sockaddr_in6 *)&ss)->sin6_port);
}

/* getsockname() (or getpeername()) as text: "family address port". */
static void name_of(int fd, int peer, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char addr[INET6_ADDRSTRLEN] = "?";
	int ret;

	memset(&ss, 0, sizeof(ss));
	ret = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) :
		     getsockname(fd, (struct sockaddr *)&ss, &len);
	if (ret) {
		snprintf(buf, size, "error %d", errno);
		return;
	}
	inet_ntop(ss.ss_family,
		  ss.ss_family == AF_INET ?
			  (void *)&((struct sockaddr_in *)&ss)->sin_addr :
			  (void *)&((struct sockaddr_in6 *)&ss)->sin6_addr,
		  addr, sizeof(addr));
	snprintf(buf, size, "%d %s %d len %u", ss.ss_family, addr, port_of(fd),
		 len);
	if (peer)
		snprintf(buf + strlen(buf), size - strlen(buf), " peer %d",
			 ntohs(((struct sockaddr_in *)&ss)->sin_port));
}

/* A client of addr: connects, sends ping, reads pong; 0 if all went well. */
static int client_of(const void *addr, socklen_t len)
{
	int fd = make(((const struct sockaddr *)addr)->sa_family, SOCK_STREAM,
		      0);
	char buf[8];

	if (connect(fd, addr, len) || write(fd, "ping", 4) != 4 ||
	    !fd_readable(fd, TIMEOUT_MS) || read(fd, buf, sizeof(buf)) != 4 ||
	    memcmp(buf, "pong", 4))
		return 1;
	close(fd);
	return 0;
}

/* A new client connects to the listener at addr; it is accepted, and they exchange data. */
static int serves(int listener, const void *addr, socklen_t len, char *why,
		  size_t size)
{
	pid_t pid = fork();
	char buf[8];
	int fd, code;

	if (pid == 0)
		_exit(client_of(addr, len));
	if (!fd_readable(listener, TIMEOUT_MS)) {
		snprintf(why, size, "no connection to accept");
		kill(pid, SIGKILL);
		exit_code(pid);
		return 0;
	}
	fd = accept(listener, NULL, NULL);
	if (fd < 0 || !fd_readable(fd, TIMEOUT_MS) ||
	    read(fd, buf, sizeof(buf)) != 4 || memcmp(buf, "ping", 4) ||
	    write(fd, "pong", 4) != 4) {
		snprintf(why, size, "accept or exchange failed: %d", errno);
		kill(pid, SIGKILL);
		exit_code(pid);
		return 0;
	}
	code = exit_code(pid);
	close(fd);
	snprintf(why, size, "client exited %d", code);
	return code == 0;
}

/* The options each socket of serve has, read back with getsockopt(). */
struct opts {
	int reuseaddr, reuseport, keepalive, keepidle, keepintvl, keepcnt,
		nodelay, cork;
	int rcvbuf, sndbuf, priority, mark, tos, ttl, rcvlowat, oobinline,
		freebind;
	int v6only, tclass, hops, broadcast;
	struct linger linger;
	char device[IFNAMSIZ];
};

static void read_opts(int fd, int family, int tcp, struct opts *o)
{
	socklen_t len = sizeof(o->linger);

	memset(o, 0, sizeof(*o));
	o->reuseaddr = get_int(fd, SOL_SOCKET, SO_REUSEADDR);
	o->reuseport = get_int(fd, SOL_SOCKET, SO_REUSEPORT);
	o->keepalive = get_int(fd, SOL_SOCKET, SO_KEEPALIVE);
	if (tcp) {
		o->keepidle = get_int(fd, SOL_TCP, TCP_KEEPIDLE);
		o->keepintvl = get_int(fd, SOL_TCP, TCP_KEEPINTVL);
		o->keepcnt = get_int(fd, SOL_TCP, TCP_KEEPCNT);
		o->nodelay = get_int(fd, SOL_TCP, TCP_NODELAY);
		o->cork = get_int(fd, SOL_TCP, TCP_CORK);
	}
	o->rcvbuf = get_int(fd, SOL_SOCKET, SO_RCVBUF);
	o->sndbuf = get_int(fd, SOL_SOCKET, SO_SNDBUF);
	o->priority = get_int(fd, SOL_SOCKET, SO_PRIORITY);
	o->mark = get_int(fd, SOL_SOCKET, SO_MARK);
	o->tos = get_int(fd, SOL_IP, IP_TOS);
	o->ttl = get_int(fd, SOL_IP, IP_TTL);
	o->rcvlowat = get_int(fd, SOL_SOCKET, SO_RCVLOWAT);
	o->oobinline = get_int(fd, SOL_SOCKET, SO_OOBINLINE);
	o->freebind = get_int(fd, SOL_IP, IP_FREEBIND);
	o->broadcast = get_int(fd, SOL_SOCKET, SO_BROADCAST);
	if (family == AF_INET6) {
		o->v6only = get_int(fd, SOL_IPV6, IPV6_V6ONLY);
		o->tclass = get_int(fd, SOL_IPV6, IPV6_TCLASS);
		o->hops = get_int(fd, SOL_IPV6, IPV6_UNICAST_HOPS);
	}
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &o->linger, &len);
	len = sizeof(o->device);
	getsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, o->device, &len);
}

/* What differs, as text ("" if nothing). */
static void diff_opts(const struct opts *a, const struct opts *b, char *buf,
		      size_t size)
{
#define CMP(f)                                                          \
	do {                                                            \
		if (a->f != b->f)                                       \
			note_to(buf, size, #f " %d -> %d", a->f, b->f); \
	} while (0)
	*buf = 0;
	CMP(reuseaddr);
	CMP(reuseport);
	CMP(keepalive);
	CMP(keepidle);
	CMP(keepintvl);
	CMP(keepcnt);
	CMP(nodelay);
	CMP(cork);
	CMP(rcvbuf);
	CMP(sndbuf);
	CMP(priority);
	CMP(mark);
	CMP(tos);
	CMP(ttl);
	CMP(rcvlowat);
	CMP(oobinline);
	CMP(freebind);
	CMP(v6only);
	CMP(tclass);
	CMP(hops);
	CMP(broadcast);
	CMP(linger.l_onoff);
	CMP(linger.l_linger);
#undef CMP
	if (strcmp(a->device, b->device))
		note_to(buf, size, "device %s -> %s", a->device, b->device);
}

enum { L4, L6, LMAPPED, BOUND, UNBOUND, UDP_A, UDP_B, UDP6, UDPLITE, NR_SOCKS };

static const struct {
	const char *name;
	int family, tcp;
} socks[NR_SOCKS] = {
	[L4] = { "listener-v4", AF_INET, 1 },
	[L6] = { "listener-v6", AF_INET6, 1 },
	[LMAPPED] = { "listener-mapped", AF_INET6, 1 },
	[BOUND] = { "tcp-bound", AF_INET, 1 },
	[UNBOUND] = { "tcp-unbound", AF_INET6, 1 },
	[UDP_A] = { "udp-a", AF_INET, 0 },
	[UDP_B] = { "udp-b", AF_INET, 0 },
	[UDP6] = { "udp6-unbound", AF_INET6, 0 },
	[UDPLITE] = { "udplite", AF_INET, 0 },
};

/* A UDP datagram from one of the pair to the other, seen from the right source. */
static int datagram(int from, int to, char *why, size_t size)
{
	struct sockaddr_storage src, want;
	socklen_t len = sizeof(src), want_len = sizeof(want);
	char buf[16];
	ssize_t n;

	if (send(from, "dgram", 5, 0) != 5 || !fd_readable(to, TIMEOUT_MS)) {
		note_to(why, size, "send or wait failed: %d", errno);
		return 0;
	}
	n = recvfrom(to, buf, sizeof(buf), 0, (struct sockaddr *)&src, &len);
	getsockname(from, (struct sockaddr *)&want, &want_len);
	if (n != 5 || memcmp(buf, "dgram", 5) || len != want_len ||
	    memcmp(&src, &want, len)) {
		note_to(why, size,
			"got %zd bytes from port %d, want 5 from port %d", n,
			ntohs(((struct sockaddr_in *)&src)->sin_port),
			ntohs(((struct sockaddr_in *)&want)->sin_port));
		return 0;
	}
	return 1;
}

static int serve(void)
{
	struct sockaddr_in any4 = v4("127.0.0.1", 0), addr4;
	struct sockaddr_in6 any6 = v6("::1", 0),
			    mapped = v6("::ffff:127.0.0.1", 0), addr6;
	struct linger ling = { 1, 3 };
	char before[NR_SOCKS][96], after[96], why[512];
	struct opts opts[NR_SOCKS], now;
	int fd[NR_SOCKS], i, marked, ok;

	fd[L4] = make(AF_INET, SOCK_STREAM, 0);
	set_int(fd[L4], SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	set_int(fd[L4], SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	set_int(fd[L4], SOL_TCP, TCP_KEEPIDLE, 77, "TCP_KEEPIDLE");
	set_int(fd[L4], SOL_TCP, TCP_KEEPINTVL, 11, "TCP_KEEPINTVL");
	set_int(fd[L4], SOL_TCP, TCP_KEEPCNT, 5, "TCP_KEEPCNT");
	set_int(fd[L4], SOL_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	set_int(fd[L4], SOL_SOCKET, SO_RCVBUF, 65536, "SO_RCVBUF");
	/* IP_TOS sets the priority too (6 for 0x10): the later SO_PRIORITY wins. */
	set_int(fd[L4], SOL_IP, IP_TOS, 0x10, "IP_TOS");
	set_int(fd[L4], SOL_SOCKET, SO_PRIORITY, 4, "SO_PRIORITY");
	set_int(fd[L4], SOL_IP, IP_TTL, 33, "IP_TTL");
	set_int(fd[L4], SOL_SOCKET, SO_RCVLOWAT, 2, "SO_RCVLOWAT");
	set_int(fd[L4], SOL_SOCKET, SO_OOBINLINE, 1, "SO_OOBINLINE");
	set_int(fd[L4], SOL_IP, IP_FREEBIND, 1, "IP_FREEBIND");
	if (setsockopt(fd[L4], SOL_SOCKET, SO_LINGER, &ling, sizeof(ling)) ||
	    setsockopt(fd[L4], SOL_SOCKET, SO_BINDTODEVICE, "lo", 3))
		die("SO_LINGER, SO_BINDTODEVICE");
	/* Only with CAP_NET_ADMIN or CAP_NET_RAW: as root. */
	marked = !setsockopt(fd[L4], SOL_SOCKET, SO_MARK, &(int){ 42 },
			     sizeof(int));
	bind_to(fd[L4], &any4, sizeof(any4));
	if (listen(fd[L4], 7))
		die("listen");

	fd[L6] = make(AF_INET6, SOCK_STREAM, 0);
	set_int(fd[L6], SOL_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
	set_int(fd[L6], SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
	set_int(fd[L6], SOL_SOCKET, SO_SNDBUF, 32768, "SO_SNDBUF");
	set_int(fd[L6], SOL_TCP, TCP_CORK, 1, "TCP_CORK");
	set_int(fd[L6], SOL_IPV6, IPV6_TCLASS, 0x20, "IPV6_TCLASS");
	set_int(fd[L6], SOL_IPV6, IPV6_UNICAST_HOPS, 17, "IPV6_UNICAST_HOPS");
	bind_to(fd[L6], &any6, sizeof(any6));
	if (listen(fd[L6], 3))
		die("listen");

	fd[LMAPPED] = make(AF_INET6, SOCK_STREAM, 0);
	set_int(fd[LMAPPED], SOL_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY");
	bind_to(fd[LMAPPED], &mapped, sizeof(mapped));
	if (listen(fd[LMAPPED], 2))
		die("listen");

	fd[BOUND] = make(AF_INET, SOCK_STREAM, 0);
	set_int(fd[BOUND], SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	bind_to(fd[BOUND], &any4, sizeof(any4));
	fd[UNBOUND] = make(AF_INET6, SOCK_STREAM, 0);
	set_int(fd[UNBOUND], SOL_TCP, TCP_NODELAY, 1, "TCP_NODELAY");

	fd[UDP_A] = make(AF_INET, SOCK_DGRAM, 0);
	fd[UDP_B] = make(AF_INET, SOCK_DGRAM, 0);
	set_int(fd[UDP_A], SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
	bind_to(fd[UDP_A], &any4, sizeof(any4));
	bind_to(fd[UDP_B], &any4, sizeof(any4));
	addr4 = v4("127.0.0.1", port_of(fd[UDP_B]));
	if (connect(fd[UDP_A], (struct sockaddr *)&addr4, sizeof(addr4)))
		die("connect");
	addr4 = v4("127.0.0.1", port_of(fd[UDP_A]));
	if (connect(fd[UDP_B], (struct sockaddr *)&addr4, sizeof(addr4)))
		die("connect");
	fd[UDP6] = make(AF_INET6, SOCK_DGRAM, 0);
	fd[UDPLITE] = make(AF_INET, SOCK_DGRAM, IPPROTO_UDPLITE);
	bind_to(fd[UDPLITE], &any4, sizeof(any4));

	for (i = 0; i < NR_SOCKS; i++) {
		name_of(fd[i], 0, before[i], sizeof(before[i]));
		read_opts(fd[i], socks[i].family, socks[i].tcp, &opts[i]);
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	for (i = 0; i < NR_SOCKS; i++) {
		name_of(fd[i], 0, after, sizeof(after));
		read_opts(fd[i], socks[i].family, socks[i].tcp, &now);
		diff_opts(&opts[i], &now, why, sizeof(why));
		check(socks[i].name, !strcmp(before[i], after) && !*why,
		      "name %s (was %s)%s%s", after, before[i],
		      *why ? ", options: " : "", why);
	}
	check("mark", !marked || opts[L4].mark == 42, "SO_MARK %s, now %d",
	      marked ? "set to 42" : "not settable here", opts[L4].mark);
	addr4 = v4("127.0.0.1", port_of(fd[L4]));
	ok = serves(fd[L4], &addr4, sizeof(addr4), why, sizeof(why));
	check("accept-v4", ok, "127.0.0.1:%d: %s", port_of(fd[L4]), why);
	addr6 = v6("::1", port_of(fd[L6]));
	ok = serves(fd[L6], &addr6, sizeof(addr6), why, sizeof(why));
	check("accept-v6", ok, "[::1]:%d: %s", port_of(fd[L6]), why);
	addr4 = v4("127.0.0.1", port_of(fd[LMAPPED]));
	ok = serves(fd[LMAPPED], &addr4, sizeof(addr4), why, sizeof(why));
	check("accept-mapped", ok, "127.0.0.1:%d to [::ffff:127.0.0.1]: %s",
	      port_of(fd[LMAPPED]), why);
	addr4 = v4("127.0.0.1", port_of(fd[BOUND]));
	ok = !listen(fd[BOUND], 1) &&
	     serves(fd[BOUND], &addr4, sizeof(addr4), why, sizeof(why));
	check("bound-listens", ok,
	      "the bound socket listens on its port %d: %s", port_of(fd[BOUND]),
	      why);
	*why = 0;
	name_of(fd[UDP_A], 1, after, sizeof(after));
	ok = datagram(fd[UDP_A], fd[UDP_B], why, sizeof(why)) &&
	     datagram(fd[UDP_B], fd[UDP_A], why, sizeof(why));
	check("udp-pair", ok, "a's peer %s; %s", after, why);
	return check_exit_status();
}

/* Drops CAP_NET_ADMIN and CAP_NET_RAW for good: from every set. */
static void drop_net_caps(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];
	unsigned int bits = 1U << CAP_NET_ADMIN | 1U << CAP_NET_RAW;

	if (syscall(SYS_capget, &h, d) ||
	    prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN) ||
	    prctl(PR_CAPBSET_DROP, CAP_NET_RAW))
		die("capget");
	d[0].effective &= ~bits;
	d[0].permitted &= ~bits;
	d[0].inheritable &= ~bits;
	if (syscall(SYS_capset, &h, d))
		die("capset");
}

static int mark(void)
{
	struct sockaddr_in any4 = v4("127.0.0.1", 0);
	int fd = make(AF_INET, SOCK_STREAM, 0);

	set_int(fd, SOL_SOCKET, SO_MARK, 42, "SO_MARK");
	bind_to(fd, &any4, sizeof(any4));
	if (listen(fd, 1))
		die("listen");
	drop_net_caps();
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	check("mark", get_int(fd, SOL_SOCKET, SO_MARK) == 42, "SO_MARK %d",
	      get_int(fd, SOL_SOCKET, SO_MARK));
	return check_exit_status();
}

static int refused(const char *kind)
{
	struct sockaddr_in any4 = v4("127.0.0.1", 0), addr4;
	int l = make(AF_INET, SOCK_STREAM, 0), c = -1, a = -1, ok = 1;

	bind_to(l, &any4, sizeof(any4));
	if (listen(l, 4))
		die("listen");
	addr4 = v4("127.0.0.1", port_of(l));
	if (!strcmp(kind, "backlog") || !strcmp(kind, "established")) {
		c = make(AF_INET, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&addr4, sizeof(addr4)))
			die("connect");
		if (!strcmp(kind, "established") &&
		    ((a = accept(l, NULL, NULL)) < 0 || shutdown(c, SHUT_WR) ||
		     !fd_readable(a, TIMEOUT_MS) ||
		     read(a, &(char){ 0 }, 1) != 0 || close(a) ||
		     !fd_readable(c, TIMEOUT_MS)))
			die("accept");
	} else if (!strcmp(kind, "option")) {
		set_int(l, SOL_TCP, TCP_FASTOPEN, 5, "TCP_FASTOPEN");
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	if (!strcmp(kind, "backlog"))
		ok = (a = accept(l, NULL, NULL)) >= 0 &&
		     write(c, "x", 1) == 1 && fd_readable(a, TIMEOUT_MS);
	else if (!strcmp(kind, "established"))
		ok = fd_readable(c, TIMEOUT_MS) &&
		     read(c, &(char){ 0 }, 1) == 0;
	else if (!strcmp(kind, "option"))
		ok = get_int(l, SOL_TCP, TCP_FASTOPEN) == 5;
	check("kept-running", ok, "the %s state is still there", kind);
	return check_exit_status();
}

static int ports(const char *dir)
{
	struct sockaddr_in any4 = v4("127.0.0.1", 0), addr4;
	struct sockaddr_in6 any6 = v6("::1", 0), addr6;
	int l4 = make(AF_INET, SOCK_STREAM, 0),
	    l6 = make(AF_INET6, SOCK_STREAM, 0), ok;
	char path[PATH_MAX], why[128];
	FILE *f;

	if (l4 != 3 || l6 != 4)
		die("fds 3 and 4");
	bind_to(l4, &any4, sizeof(any4));
	bind_to(l6, &any6, sizeof(any6));
	if (listen(l4, 2) || listen(l6, 2))
		die("listen");
	snprintf(path, sizeof(path), "%s/ports", dir);
	f = fopen(path, "w");
	if (!f || fprintf(f, "%d %d\n", port_of(l4), port_of(l6)) < 0 ||
	    fclose(f))
		die(path);
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	addr4 = v4("127.0.0.1", port_of(l4));
	ok = serves(l4, &addr4, sizeof(addr4), why, sizeof(why));
	check("accept-v4", ok, "%s", why);
	addr6 = v6("::1", port_of(l6));
	ok = serves(l6, &addr6, sizeof(addr6), why, sizeof(why));
	check("accept-v6", ok, "%s", why);
	return check_exit_status();
}

/* A socket of that family bound to that port of the loopback address; -1 if it cannot be. */
static int bound(const char *family, int port)
{
	struct sockaddr_in addr4 = v4("127.0.0.1", port);
	struct sockaddr_in6 addr6 = v6("::1", port);
	int v6only = !strcmp(family, "v6");
	int fd = make(v6only ? AF_INET6 : AF_INET, SOCK_STREAM, 0);

	if (v6only ? bind(fd, (struct sockaddr *)&addr6, sizeof(addr6)) :
		     bind(fd, (struct sockaddr *)&addr4, sizeof(addr4))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	const char *dir = argv[argc - 1];
	char path[PATH_MAX];
	int fd;

	if (argc < 3) {
		fprintf(stderr,
			"usage: inet_server serve|mark|ports DIR | refused KIND DIR | "
			"squat v4|v6 PORT DIR | bindable v4|v6 PORT\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", dir);
	if (!strcmp(argv[1], "serve"))
		return serve();
	if (!strcmp(argv[1], "mark"))
		return mark();
	if (!strcmp(argv[1], "ports"))
		return ports(dir);
	if (!strcmp(argv[1], "refused") && argc == 4)
		return refused(argv[2]);
	if (!strcmp(argv[1], "bindable") && argc == 4) {
		fd = bound(argv[2], atoi(argv[3]));
		return fd < 0;
	}
	if (!strcmp(argv[1], "squat") && argc == 5) {
		fd = bound(argv[2], atoi(argv[3]));
		if (fd < 0 || listen(fd, 1))
			die("squat");
		snprintf(path, sizeof(path), "%s/squatting", dir);
		touch(path);
		snprintf(path, sizeof(path), "%s/unsquat", dir);
		wait_for(path);
		return 0;
	}
	fprintf(stderr, "inet_server: unknown mode %s\n", argv[1]);
	return 2;
}
