// SPDX-License-Identifier: GPL-2.0
/*
 * A unix listener whose socket file was renamed since it was bound (issue
 * 13, fidelity): its clients reach it by the file's new path, and its name
 * (getsockname()) is still the one it was bound to.
 *
 * Usage: unix_moved DIR. A listener bound to DIR/sock; its socket file
 * made mode 0604, then renamed to DIR/sub/moved. READY; after DIR/go it
 * checks that its name is still DIR/sock, that DIR/sock is still free,
 * that DIR/sub/moved is its socket file (mode 0604), that a client
 * connecting there is the one it accepts, and that DIR/sock reaches no one.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

static int setup_failed(const char *what)
{
	check("setup", 0, "%s: %s", what, strerror(errno));
	return 1;
}

static void set_addr(struct sockaddr_un *addr, const char *dir,
		     const char *name)
{
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	snprintf(addr->sun_path, sizeof(addr->sun_path), "%.60s/%s", dir, name);
}

/* A client connects to addr and writes a byte; the listener accepts and reads it. */
static int round_trip(int listener, const struct sockaddr_un *addr, int *err)
{
	int client = socket(AF_UNIX, SOCK_STREAM, 0), server = -1, ok = 0;
	char byte = 0;

	*err = 0;
	if (client < 0 ||
	    connect(client, (const struct sockaddr *)addr, sizeof(*addr))) {
		*err = errno;
	} else if (write(client, "x", 1) == 1) {
		server = accept(listener, NULL, NULL);
		ok = server >= 0 && read(server, &byte, 1) == 1 && byte == 'x';
	}
	if (server >= 0)
		close(server);
	if (client >= 0)
		close(client);
	return ok;
}

int main(int argc, char **argv)
{
	struct sockaddr_un bound, moved, name;
	socklen_t len = sizeof(name);
	char sub[PATH_MAX], go[PATH_MAX];
	struct stat st;
	int fd, err, ok;

	if (argc != 2 || strlen(argv[1]) > 60)
		return setup_failed("usage: unix_moved DIR (up to 60 bytes)");
	snprintf(sub, sizeof(sub), "%s/sub", argv[1]);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	set_addr(&bound, argv[1], "sock");
	set_addr(&moved, argv[1], "sub/moved");
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	unlink(bound.sun_path);
	if ((mkdir(sub, 0755) && errno != EEXIST) || fd < 0 ||
	    bind(fd, (struct sockaddr *)&bound, sizeof(bound)) || listen(fd, 4))
		return setup_failed("listener");
	if (chmod(bound.sun_path, 0604) ||
	    rename(bound.sun_path, moved.sun_path))
		return setup_failed("rename its socket file");
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	check("name",
	      !getsockname(fd, (struct sockaddr *)&name, &len) &&
		      !strcmp(name.sun_path, bound.sun_path),
	      "its name is still %s (getsockname() says %s)", bound.sun_path,
	      name.sun_path);
	check("name-free", access(bound.sun_path, F_OK) && errno == ENOENT,
	      "%s, the name it was bound to, is still free", bound.sun_path);
	memset(&st, 0, sizeof(st));
	ok = !stat(moved.sun_path, &st);
	check("moved-file",
	      ok && S_ISSOCK(st.st_mode) && (st.st_mode & 07777) == 0604,
	      "%s is a socket file of mode 0604 (0%o)", moved.sun_path,
	      st.st_mode & 07777);
	ok = round_trip(fd, &moved, &err);
	check("connect-moved", ok,
	      "a client connecting to %s is the one it accepts (%s)",
	      moved.sun_path, err ? strerror(err) : "connected");
	ok = round_trip(fd, &bound, &err);
	check("connect-name", !ok && err == ENOENT,
	      "a client connecting to %s finds nothing (%s)", bound.sun_path,
	      err ? strerror(err) : "connected");
	return check_exit_status();
}
