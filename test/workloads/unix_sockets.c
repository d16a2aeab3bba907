// SPDX-License-Identifier: GPL-2.0
/*
 * Unix sockets that are neither listeners nor pairs, across checkpoint
 * --kill and restart. Stream and seqpacket: unbound (O_NONBLOCK,
 * SO_PASSCRED, shut down for reading), bound to DIR/stream (its socket file
 * chowned to 65534:65534, mode 0640, SO_SNDBUF set) and to an abstract name.
 * Datagram: "server" bound to DIR/dgram; "named" bound to an abstract name
 * and connected to the server; "anon" unbound; "anon-conn" unbound and
 * connected to the server; a child's socket connected to the server. The
 * server holds, unread: three datagrams from "named" (one empty), one from
 * "anon", one of 300,000 bytes (over the default buffer's limit) from a
 * socket since closed, one from the child. A datagram socketpair holds an empty datagram
 * and a full one. After DIR/go each checks what it was.
 * Usage: unix_sockets DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "check.h"
#include "sync.h"
#include "unix_names.h"

#define TIMEOUT_MS 10000

static int same_name(const struct sockaddr_un *a, socklen_t len,
		     const struct unix_name *want)
{
	return len == want->len && !memcmp(a, &want->sun, len);
}

static int is_named(int fd, int peer, const struct unix_name *want)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	int ret = peer ? getpeername(fd, (struct sockaddr *)&a, &len) :
			 getsockname(fd, (struct sockaddr *)&a, &len);

	return !ret && same_name(&a, len, want);
}

static int unnamed(int fd)
{
	struct sockaddr_un a;
	socklen_t len = sizeof(a);

	return !getsockname(fd, (struct sockaddr *)&a, &len) &&
	       len == sizeof(sa_family_t);
}

static int sockopt(int fd, int name)
{
	int val = -1;
	socklen_t len = sizeof(val);

	getsockopt(fd, SOL_SOCKET, name, &val, &len);
	return val;
}

static int bind_to(int fd, const struct unix_name *n)
{
	return bind(fd, (const struct sockaddr *)&n->sun, n->len);
}

static int connect_to(int fd, const struct unix_name *n)
{
	return connect(fd, (const struct sockaddr *)&n->sun, n->len);
}

static short poll_events(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT | POLLRDHUP };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

/* Whether fd's next datagram is want, from (NULL: an unnamed sender). */
static int next_datagram(int fd, const char *want, const struct unix_name *from,
			 char *why, size_t size)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct sockaddr_un a;
	socklen_t len = sizeof(a);
	char buf[256];
	ssize_t n;

	if (poll(&p, 1, TIMEOUT_MS) != 1) {
		note_to(why, size, "no datagram \"%s\"", want);
		return 0;
	}
	memset(&a, 0, sizeof(a));
	n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&a,
		     &len);
	if (n != (ssize_t)strlen(want) || memcmp(buf, want, n)) {
		note_to(why, size, "read %zd bytes, want \"%s\"", n, want);
		return 0;
	}
	/* recvfrom() gives no name at all for an unnamed sender. */
	if (from ? !same_name(&a, len, from) : len != 0) {
		note_to(why, size, "\"%s\" from a sender named %u bytes \"%s\"",
			want, len, len > 2 ? a.sun_path + !a.sun_path[0] : "");
		return 0;
	}
	return 1;
}

/*
 * A datagram larger than a socket's default buffer lets it send
 * (net.core.wmem_default less 32 bytes): its sender raised SO_SNDBUF.
 */
#define LARGE 300000

static const char *large_datagram(void)
{
	static char buf[LARGE];
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (char)(i * 7 + i / 251);
	return buf;
}

/*
 * Sends it to server from a socket of its own, closed after: a socket of
 * the tree with SO_SNDBUF raised and more in flight than the default holds
 * is refused at checkpoint (its own queue would come back from a default).
 */
static int send_large(const struct unix_name *server)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	int ok = fd >= 0 &&
		 !setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ LARGE },
			     sizeof(int)) &&
		 sendto(fd, large_datagram(), LARGE, 0,
			(struct sockaddr *)&server->sun, server->len) == LARGE;

	if (fd >= 0)
		close(fd);
	return ok ? 0 : -1;
}

/* The next datagram is the large one, whole, from an unnamed sender. */
static int next_large(int fd, char *why, size_t size)
{
	static char buf[LARGE + 1];
	ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

	if (n != LARGE || memcmp(buf, large_datagram(), LARGE)) {
		note_to(why, size, "read %zd bytes, want the %d-byte datagram",
			n, LARGE);
		return 0;
	}
	return 1;
}

static int child_main(const struct unix_name *server, const char *sent,
		      const char *go, const char *again)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	if (fd < 0 || connect_to(fd, server) || send(fd, "child", 5, 0) != 5 ||
	    touch(sent))
		return 100;
	wait_for(go);
	if (!is_named(fd, 1, server))
		return 1;
	/* Once the parent read the rest: its datagrams keep their order. */
	wait_for(again);
	return send(fd, "child-after", 11, 0) == 11 ? 0 : 2;
}

int main(int argc, char **argv)
{
	struct unix_name s_path, s_abs, d_server, d_named;
	int unb, spath, sabs, server, named, anon, anon_conn, pair[2], sndbuf,
		lfd, cfd, afd;
	char go[PATH_MAX], sent[PATH_MAX], again[PATH_MAX], why[512] = "";
	short unb_events;
	struct stat st;
	pid_t child;
	int ok, one = 1;

	if (argc != 2) {
		fprintf(stderr, "usage: unix_sockets DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	snprintf(sent, sizeof(sent), "%s/child-sent", argv[1]);
	snprintf(again, sizeof(again), "%s/child-again", argv[1]);
	unix_path_name(&s_path, argv[1], "stream");
	unix_abstract_name(&s_abs, "usk", "seqpacket");
	unix_path_name(&d_server, argv[1], "dgram");
	unix_abstract_name(&d_named, "usk", "named");

	unb = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	spath = socket(AF_UNIX, SOCK_STREAM, 0);
	sabs = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	sndbuf = 65536;
	if (unb < 0 || spath < 0 || sabs < 0 ||
	    setsockopt(unb, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) ||
	    shutdown(unb, SHUT_RD) || bind_to(spath, &s_path) ||
	    chown(s_path.sun.sun_path, 65534, 65534) ||
	    chmod(s_path.sun.sun_path, 0640) ||
	    setsockopt(spath, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)) ||
	    bind_to(sabs, &s_abs)) {
		perror("unix_sockets: stream");
		return 2;
	}
	sndbuf = sockopt(spath, SO_SNDBUF);
	unb_events = poll_events(unb);

	server = socket(AF_UNIX, SOCK_DGRAM, 0);
	named = socket(AF_UNIX, SOCK_DGRAM, 0);
	anon = socket(AF_UNIX, SOCK_DGRAM, 0);
	anon_conn = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (server < 0 || named < 0 || anon < 0 || anon_conn < 0 ||
	    socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) ||
	    bind_to(server, &d_server) || bind_to(named, &d_named) ||
	    connect_to(named, &d_server) || connect_to(anon_conn, &d_server) ||
	    send(named, "one", 3, 0) != 3 || send(named, "", 0, 0) != 0 ||
	    send(named, "three", 5, 0) != 5 ||
	    sendto(anon, "anon", 4, 0, (struct sockaddr *)&d_server.sun,
		   d_server.len) != 4 ||
	    send_large(&d_server) || send(pair[0], "", 0, 0) != 0 ||
	    send(pair[0], "pair", 4, 0) != 4) {
		perror("unix_sockets: dgram");
		return 2;
	}
	child = fork();
	if (child == 0)
		_exit(child_main(&d_server, sent, go, again));
	if (!wait_for_file(sent, TIMEOUT_MS)) {
		fprintf(stderr, "unix_sockets: the child did not send\n");
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	check("stream-unbound",
	      sockopt(unb, SO_TYPE) == SOCK_STREAM && unnamed(unb) &&
		      (fcntl(unb, F_GETFL) & O_NONBLOCK) &&
		      sockopt(unb, SO_PASSCRED) == 1 &&
		      poll_events(unb) == unb_events,
	      "an unbound stream socket keeps its type, O_NONBLOCK, SO_PASSCRED and its shutdown "
	      "(poll 0x%x, was 0x%x)",
	      poll_events(unb), unb_events);
	ok = !stat(s_path.sun.sun_path, &st);
	check("stream-path",
	      ok && is_named(spath, 0, &s_path) &&
		      sockopt(spath, SO_SNDBUF) == sndbuf &&
		      !(fcntl(spath, F_GETFL) & O_NONBLOCK) &&
		      S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0640 &&
		      st.st_uid == 65534 && st.st_gid == 65534,
	      "a stream socket bound to %s keeps its name, SO_SNDBUF %d (now %d), its socket file "
	      "0640 65534:65534 (now %o %u:%u)",
	      s_path.sun.sun_path, sndbuf, sockopt(spath, SO_SNDBUF),
	      ok ? st.st_mode & 07777 : 0, ok ? st.st_uid : 0,
	      ok ? st.st_gid : 0);
	/* Still bound: it can listen and be connected to by its name. */
	cfd = socket(AF_UNIX, SOCK_STREAM, 0);
	lfd = listen(spath, 1) ? -1 : spath;
	afd = lfd >= 0 && !connect_to(cfd, &s_path) ? accept(lfd, NULL, NULL) :
						      -1;
	check("stream-path-listens", afd >= 0,
	      "the bound stream socket listens on its name again");
	check("seqpacket-abstract",
	      sockopt(sabs, SO_TYPE) == SOCK_SEQPACKET &&
		      is_named(sabs, 0, &s_abs),
	      "a seqpacket socket keeps its abstract name");

	ok = next_datagram(server, "one", &d_named, why, sizeof(why)) &&
	     next_datagram(server, "", &d_named, why, sizeof(why)) &&
	     next_datagram(server, "three", &d_named, why, sizeof(why)) &&
	     next_datagram(server, "anon", NULL, why, sizeof(why)) &&
	     next_large(server, why, sizeof(why)) &&
	     next_datagram(server, "child", NULL, why, sizeof(why));
	check("dgram-queue", ok,
	      "the bound datagram socket's queue comes back, each datagram whole with its sender: %s",
	      why);
	check("dgram-names",
	      is_named(server, 0, &d_server) && is_named(named, 0, &d_named) &&
		      unnamed(anon),
	      "datagram sockets keep their names");
	check("dgram-connected",
	      is_named(named, 1, &d_server) &&
		      is_named(anon_conn, 1, &d_server) &&
		      send(named, "again", 5, 0) == 5 &&
		      send(anon_conn, "anon-again", 10, 0) == 10 &&
		      next_datagram(server, "again", &d_named, why,
				    sizeof(why)) &&
		      next_datagram(server, "anon-again", NULL, why,
				    sizeof(why)),
	      "connected datagram sockets send to their peer again: %s", why);
	/* Connected to the server: named takes datagrams from it only. */
	errno = 0;
	ok = sendto(anon, "x", 1, MSG_DONTWAIT, (struct sockaddr *)&d_named.sun,
		    d_named.len) < 0 ?
		     errno :
		     0;
	check("dgram-connect-filter", ok == EPERM,
	      "a connected datagram socket refuses others' datagrams (errno %d)",
	      ok);
	why[0] = 0;
	ok = next_datagram(pair[1], "", NULL, why, sizeof(why)) &&
	     next_datagram(pair[1], "pair", NULL, why, sizeof(why));
	check("dgram-pair-empty", ok,
	      "a datagram pair keeps an empty datagram: %s", why);
	touch(again);
	ok = exit_code(child);
	why[0] = 0;
	check("dgram-child",
	      ok == 0 && next_datagram(server, "child-after", NULL, why,
				       sizeof(why)),
	      "a child's socket connected to the server sends again: exit %d %s",
	      ok, why);
	unlink(s_path.sun.sun_path);
	unlink(d_server.sun.sun_path);
	return check_exit_status();
}
