// SPDX-License-Identifier: GPL-2.0
/*
 * A service as a user runs it (started through setpriv as nobody), which
 * root checkpoints and restarts: what the restart creates anew must be the
 * user's again, as it was.
 * "serve DIR": with umask 077, listens on DIR/sock (a socket file of the
 * user's, mode 0700) and holds a pty, master and slave. After DIR/go: the
 * socket file and the pty's slave node have the owner, group and mode they
 * had, and the service answers one client with "pong".
 * "connect DIR": a client, run as the same user: connects to DIR/sock and
 * reads "pong"; exits 0 if it did, else prints why.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "check.h"
#include "sync.h"

#define TIMEOUT_MS 10000

static int same_node(const char *what, const struct stat *was, const char *path)
{
	struct stat now;

	if (stat(path, &now)) {
		check(what, 0, "stat %s: %s", path, strerror(errno));
		return 0;
	}
	check(what,
	      now.st_uid == was->st_uid && now.st_gid == was->st_gid &&
		      now.st_mode == was->st_mode,
	      "%s is %u:%u mode %#o, as before (%u:%u mode %#o)", path,
	      now.st_uid, now.st_gid, now.st_mode, was->st_uid, was->st_gid,
	      was->st_mode);
	return 1;
}

static int serve(const char *dir)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat sock_was, slave_was;
	char go[PATH_MAX], slave_path[PATH_MAX];
	struct pollfd p;
	int listener, master, slave, conn;

	umask(077);
	snprintf(go, sizeof(go), "%s/go", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", dir);
	listener = socket(AF_UNIX, SOCK_STREAM, 0);
	if (listener < 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listener, 4) || stat(addr.sun_path, &sock_was)) {
		check("setup", 0, "listen on %s: %s", addr.sun_path,
		      strerror(errno));
		return 1;
	}
	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    ptsname_r(master, slave_path, sizeof(slave_path)) ||
	    (slave = open(slave_path, O_RDWR | O_NOCTTY)) < 0 ||
	    stat(slave_path, &slave_was)) {
		check("setup", 0, "pty: %s", strerror(errno));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	same_node("socket-file", &sock_was, addr.sun_path);
	same_node("pty-slave", &slave_was, slave_path);
	p = (struct pollfd){ .fd = listener, .events = POLLIN };
	conn = poll(&p, 1, TIMEOUT_MS) == 1 ? accept(listener, NULL, NULL) : -1;
	check("served", conn >= 0 && write(conn, "pong", 4) == 4,
	      "a client of the service's user connected after the restart");
	close(slave);
	return check_exit_status();
}

static int client(const char *dir)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char buf[8] = "";
	int fd;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		printf("connect to %s: %s\n", addr.sun_path, strerror(errno));
		return 1;
	}
	if (read(fd, buf, 4) != 4 || strcmp(buf, "pong")) {
		printf("read '%s': %s\n", buf, strerror(errno));
		return 1;
	}
	printf("pong\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "connect"))
		return client(argv[2]);
	fprintf(stderr, "usage: user_service serve|connect DIR\n");
	return 2;
}
