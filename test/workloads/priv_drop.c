// SPDX-License-Identifier: GPL-2.0
/*
 * A service that opens its log as root and then drops its privileges, as
 * an nginx or apache master does for its workers: root's process opens
 * FILE (root's, mode 0600) for appending and forks a child that becomes
 * nobody and writes to the fd it inherited; the parent closes its own fd
 * and waits. A restart by root must open the file again as it was opened,
 * by root, for nobody's process (docs/security.md, "files reopened by
 * path").
 *
 * Usage: priv_drop FILE DIR   as root: READY once the child wrote "before";
 *        after DIR/go, the child writes "after" and checks.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define NOBODY 65534

static int worker(int fd, const char *file, const char *go)
{
	ssize_t written;
	int own;

	if (setgroups(0, NULL) || setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY)) {
		check("setup", 0, "dropping to nobody: %s", strerror(errno));
		return 1;
	}
	if (write(fd, "before\n", 7) != 7) {
		check("setup", 0, "write before: %s", strerror(errno));
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	own = open(file, O_WRONLY | O_APPEND);
	check("cannot-open", own < 0 && errno == EACCES && getuid() == NOBODY,
	      "uid %d opening %s itself: %s", (int)getuid(), file,
	      own < 0 ? strerror(errno) : "opened");
	errno = 0;
	written = write(fd, "after\n", 6);
	check("write-after", written == 6,
	      "nobody wrote %zd bytes to root's file through the fd it inherited%s%s",
	      written, errno ? ": " : "", errno ? strerror(errno) : "");
	return check_exit_status();
}

int main(int argc, char **argv)
{
	char go[4096];
	int fd, status;
	pid_t pid;

	if (argc != 3) {
		fprintf(stderr, "usage: priv_drop FILE DIR\n");
		return 2;
	}
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	fd = open(argv[1], O_WRONLY | O_APPEND);
	if (fd < 0) {
		check("setup", 0, "open %s: %s", argv[1], strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0)
		return worker(fd, argv[1], go);
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
