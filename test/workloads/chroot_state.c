// SPDX-License-Identifier: GPL-2.0
/*
 * A chrooted tree (issue 13, fidelity): a restart chroots each process into
 * its saved root again and gives it back its working directory, inside its
 * root or outside it.
 *
 * Usage: chroot_state DIR, as root. DIR/jail holds a file "marker" and a
 * directory "sub". The root process chroots into DIR/jail and keeps DIR as
 * its working directory (outside its root: it finds the go file through
 * it). It then forks a service, which changes into /sub and drops to nobody
 * (chroot, then drop privileges, as a DNS or mail daemon does), having
 * bound a unix listener to /sub/svc.sock of its root first (mode 0666;
 * /sub is nobody's: a restart checks that the task could bind there too), and
 * waits on a pipe from its parent. READY; after DIR/go each checks its root (the
 * jail, whose ".." is itself: a root, not a mere directory), its working
 * directory and the marker; the root process also forks a child after the
 * restart, which must find the same root and working directory.
 *
 * DIR (root's) is made 0700: nobody may not search it, and the service's
 * restart must not ask it to (its chroot was root's).
 *
 * chroot_state DIR user: the same, DIR left as it is, the root process
 * dropping to nobody right after its chroot, so that nobody may checkpoint
 * the tree (a restart by nobody must be refused: it may not chroot).
 *
 * chroot_state DIR private: as user, with DIR (root's) made 0700, and the
 * root process's working directory its root (it waits for /go of its jail):
 * a tree of nobody's in a jail below a directory nobody may not search.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define NOBODY 65534
#define MARKER "jail\n"

static struct stat jail;

static int same_inode(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

/* Whether "/" is the jail, and a root: its ".." is itself. */
static int rooted_in_jail(void)
{
	struct stat root, up;

	return !stat("/", &root) && !stat("/..", &up) &&
	       same_inode(&root, &jail) && same_inode(&up, &jail);
}

static int marker_readable(void)
{
	char buf[16] = "";
	int fd = open("/marker", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(MARKER) && !strcmp(buf, MARKER);
}

/*
 * The kernel's getcwd(): "(unreachable)/..." for a directory outside the
 * root, where glibc's says ENOENT.
 */
static int raw_getcwd(char *buf, size_t size)
{
	return syscall(SYS_getcwd, buf, size) > 0;
}

/* Whether the working directory is still want, and getcwd() says what it said. */
static int cwd_kept(const struct stat *want, const char *said)
{
	char now[PATH_MAX];
	struct stat st;

	return !stat(".", &st) && same_inode(&st, want) &&
	       raw_getcwd(now, sizeof(now)) && !strcmp(now, said);
}

static int drop_to_nobody(void)
{
	if (getuid() == NOBODY)
		return 0;
	return setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	       setresuid(NOBODY, NOBODY, NOBODY);
}

static int setup_failed(const char *what)
{
	check("setup", 0, "%s: %s", what, strerror(errno));
	fflush(stdout);
	return 1;
}

/* Whether a client connecting to the listener's /sub/svc.sock is the one it accepts. */
static int listener_reached(int listener)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX,
				    .sun_path = "/sub/svc.sock" },
			   name;
	int client = socket(AF_UNIX, SOCK_STREAM, 0), server = -1, ok;
	socklen_t len = sizeof(name);

	ok = client >= 0 &&
	     !connect(client, (struct sockaddr *)&addr, sizeof(addr)) &&
	     (server = accept(listener, NULL, NULL)) >= 0 &&
	     !getsockname(listener, (struct sockaddr *)&name, &len) &&
	     !strcmp(name.sun_path, "/sub/svc.sock");
	if (server >= 0)
		close(server);
	if (client >= 0)
		close(client);
	return ok;
}

/* The service: in /sub, as nobody; says so on ready, goes on when its parent writes to fd. */
static int service(int ready, int fd)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX,
				    .sun_path = "/sub/svc.sock" };
	int listener = socket(AF_UNIX, SOCK_STREAM, 0);
	char cwd[PATH_MAX], byte;
	struct stat sub;

	if (chdir("/sub") || stat(".", &sub) || !raw_getcwd(cwd, sizeof(cwd)))
		return setup_failed("service: chdir /sub");
	unlink(addr.sun_path);
	if (listener < 0 ||
	    bind(listener, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(listener, 4) || chmod(addr.sun_path, 0666))
		return setup_failed("service: listener on /sub/svc.sock");
	if (drop_to_nobody())
		return setup_failed("service: dropping to nobody");
	if (write(ready, "r", 1) != 1)
		return setup_failed("service: ready");
	if (read(fd, &byte, 1) != 1)
		return setup_failed("service: read its go");
	check("service-root", rooted_in_jail(),
	      "the service's root is its jail");
	check("service-cwd", cwd_kept(&sub, cwd) && !strcmp(cwd, "/sub"),
	      "the service's working directory is /sub of its root");
	check("service-marker", marker_readable(),
	      "the service reads /marker of its root");
	check("service-listener", listener_reached(listener),
	      "a client connecting to /sub/svc.sock of its root reaches the service's listener, named so");
	check("service-user",
	      getuid() == NOBODY && geteuid() == NOBODY && chroot("/") < 0 &&
		      errno == EPERM,
	      "the service is still nobody (uid %d), which may not chroot",
	      (int)getuid());
	return check_exit_status();
}

/* A child forked after the restart inherits its parent's root and working directory. */
static int forked_after(const struct stat *cwd, const char *said)
{
	int ok = rooted_in_jail() && cwd_kept(cwd, said) && marker_readable();

	_exit(ok ? 0 : 1);
}

static int exit_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], cwd[PATH_MAX];
	struct stat dir;
	int go[2], ready[2], fd, status;
	int user = argc == 3, private = user && !strcmp(argv[2], "private");
	char byte;
	pid_t svc, child;

	if (argc < 2 || argc > 3 ||
	    (user && !private && strcmp(argv[2], "user")) || chdir(argv[1]))
		return setup_failed("usage: chroot_state DIR [user|private]");
	/* Above the jail, a directory only root may search. */
	if ((!user || private) &&
	    (stat(".", &dir) || dir.st_uid != 0 || chmod(".", 0700)))
		return setup_failed("DIR is not root's to make 0700");
	if ((mkdir("jail", 0755) && errno != EEXIST) ||
	    (mkdir("jail/sub", 0755) && errno != EEXIST))
		return setup_failed("jail");
	fd = open("jail/marker", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 ||
	    write(fd, MARKER, strlen(MARKER)) != (ssize_t)strlen(MARKER) ||
	    close(fd))
		return setup_failed("jail/marker");
	/* The service's directory, where it binds its socket: nobody's. */
	if (chown("jail/sub", NOBODY, NOBODY))
		return setup_failed("chown jail/sub");
	snprintf(path, sizeof(path), "%s/jail", argv[1]);
	if (stat(path, &jail) || stat(".", &dir) || pipe(go) || pipe(ready))
		return setup_failed("stat");
	if (chroot(path))
		return setup_failed("chroot");
	/* Dumpable again after the change of ids: nobody may checkpoint it. */
	if (user && (drop_to_nobody() || prctl(PR_SET_DUMPABLE, 1)))
		return setup_failed("dropping to nobody");
	if (private && (chdir("/") || stat(".", &dir)))
		return setup_failed("chdir /");
	/* Outside its root now, but in private: getcwd() says "(unreachable)/...". */
	if (!raw_getcwd(cwd, sizeof(cwd)))
		return setup_failed("getcwd");
	fflush(stdout);
	svc = fork();
	if (svc < 0)
		return setup_failed("fork");
	if (!svc) {
		close(go[1]);
		close(ready[0]);
		return service(ready[1], go[0]);
	}
	close(go[0]);
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1)
		return setup_failed("the service never got ready");
	printf("READY\n");
	fflush(stdout);
	while (access("go", F_OK))
		nap();

	check("root", rooted_in_jail(), "its root is its jail");
	check(private ? "cwd-root" : "cwd-outside", cwd_kept(&dir, cwd),
	      "its working directory is still %s", cwd);
	check("marker", marker_readable(), "it reads /marker of its root");
	fflush(stdout);
	child = fork();
	if (!child)
		forked_after(&dir, cwd);
	status = child < 0 ? -1 : exit_status(child);
	check("forked-after", status == 0,
	      "a child forked after the restart has its root and working directory (status %d)",
	      status);
	if (write(go[1], "g", 1) != 1)
		return setup_failed("write the service's go");
	status = exit_status(svc);
	check("service-exit", status == 0, "the service ended well (status %d)",
	      status);
	return check_exit_status();
}
