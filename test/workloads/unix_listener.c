// SPDX-License-Identifier: GPL-2.0
/*
 * Listening unix sockets across checkpoint/restart, and a connection one
 * of them accepted. The root listens on DIR/sock (stream) and on the
 * abstract name @cpt-test-PID (seqpacket). A child connects to DIR/sock and
 * sends "hello"; the root accepts and sends "world"; neither reads. After
 * DIR/go (the killed root's DIR/sock is still on disk): each end reads
 * what the other sent, the accepted end is still named DIR/sock and the
 * child's peer too, and new clients connect to both listeners.
 * Usage: unix_listener DIR
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"

#define TIMEOUT_MS 10000

static struct sockaddr_un path_addr, abstract_addr;
static socklen_t path_len, abstract_len;
static char go[PATH_MAX];

/* Whether fd reads exactly want. */
static int reads(int fd, const char *want)
{
	char buf[64];
	ssize_t n;

	if (!fd_readable(fd, TIMEOUT_MS))
		return 0;
	n = read(fd, buf, sizeof(buf));
	return n == (ssize_t)strlen(want) && !memcmp(buf, want, n);
}

static int connect_to(int type, const struct sockaddr_un *addr, socklen_t len)
{
	int fd = socket(AF_UNIX, type, 0);

	if (fd < 0 || connect(fd, (const struct sockaddr *)addr, len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* The client made before the checkpoint: exits with what failed. */
static int client(void)
{
	struct sockaddr_un peer;
	socklen_t len = sizeof(peer);
	int fd = connect_to(SOCK_STREAM, &path_addr, path_len), bad = 0;

	/*
	 * Sends only once the root accepted (it writes first): data sent to a
	 * connection not accepted yet carries its sender's credentials, a
	 * case of its own, not this one's.
	 */
	if (fd < 0 || !fd_readable(fd, TIMEOUT_MS) ||
	    write(fd, "hello", 5) != 5)
		return 100;
	wait_for(go);
	if (!reads(fd, "world"))
		bad |= 1;
	if (getpeername(fd, (struct sockaddr *)&peer, &len) ||
	    len != path_len || strcmp(peer.sun_path, path_addr.sun_path))
		bad |= 2;
	return bad;
}

/* A client made after the restart: connects, sends text, exits. */
static pid_t new_client(int type, const struct sockaddr_un *addr, socklen_t len,
			const char *text)
{
	pid_t pid = fork();
	int fd;

	if (pid)
		return pid;
	fd = connect_to(type, addr, len);
	_exit(fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text));
}

/* Accepts a connection and reads text from it. */
static int accepts(int listener, const char *text)
{
	int fd, ok;

	if (!fd_readable(listener, TIMEOUT_MS))
		return 0;
	fd = accept(listener, NULL, NULL);
	ok = fd >= 0 && reads(fd, text);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int lpath, labstract, accepted, code;
	struct sockaddr_un name;
	socklen_t len = sizeof(name);
	pid_t child, late;

	if (argc != 2) {
		fprintf(stderr, "usage: unix_listener DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	path_addr.sun_family = AF_UNIX;
	snprintf(path_addr.sun_path, sizeof(path_addr.sun_path), "%s/sock",
		 argv[1]);
	path_len = offsetof(struct sockaddr_un, sun_path) +
		   strlen(path_addr.sun_path) + 1;
	abstract_addr.sun_family = AF_UNIX;
	abstract_len = offsetof(struct sockaddr_un, sun_path) + 1 +
		       snprintf(abstract_addr.sun_path + 1,
				sizeof(abstract_addr.sun_path) - 1,
				"cpt-test-%d", (int)getpid());
	lpath = socket(AF_UNIX, SOCK_STREAM, 0);
	labstract = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	if (lpath < 0 || labstract < 0 ||
	    bind(lpath, (struct sockaddr *)&path_addr, path_len) ||
	    listen(lpath, 8) ||
	    bind(labstract, (struct sockaddr *)&abstract_addr, abstract_len) ||
	    listen(labstract, 4)) {
		perror("unix_listener: listen");
		return 2;
	}
	fflush(stdout);
	child = fork();
	if (child == 0)
		_exit(client());
	accepted = accept(lpath, NULL, NULL);
	if (accepted < 0 || write(accepted, "world", 5) != 5 ||
	    !fd_readable(accepted, TIMEOUT_MS)) {
		perror("unix_listener: accept");
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	check("accepted-data", reads(accepted, "hello"),
	      "the accepted end reads what the client sent before the checkpoint");
	memset(&name, 0, sizeof(name));
	check("accepted-name",
	      getsockname(accepted, (struct sockaddr *)&name, &len) == 0 &&
		      !strcmp(name.sun_path, path_addr.sun_path),
	      "the accepted end is named \"%s\" (want \"%s\")", name.sun_path,
	      path_addr.sun_path);
	code = exit_code(child);
	check("client", code == 0,
	      "the client read \"world\" and its peer's name: exit %d (1 data, 2 name)",
	      code);
	late = new_client(SOCK_STREAM, &path_addr, path_len, "again");
	check("listener-path", accepts(lpath, "again") && exit_code(late) == 0,
	      "a new client connects to %s", path_addr.sun_path);
	late = new_client(SOCK_SEQPACKET, &abstract_addr, abstract_len,
			  "abstract");
	check("listener-abstract",
	      accepts(labstract, "abstract") && exit_code(late) == 0,
	      "a new client connects to @%s", abstract_addr.sun_path + 1);
	unlink(path_addr.sun_path);
	return check_exit_status();
}
