/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pidfd_refused KIND DIR: holds at fd 3 what a checkpoint refuses, prints
 * READY, and once DIR/go exists checks that it still holds it (RESULT
 * kept-running): the refused checkpoint must leave it running, untouched.
 *  outside  a pidfd of init, a process outside the tree
 *  deleted  an O_PATH fd of a file deleted since
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

static void wait_go(const char *go)
{
	const struct timespec tick = { 0, 10000000 };

	while (access(go, F_OK))
		nanosleep(&tick, NULL);
}

int main(int argc, char **argv)
{
	char path[4096];
	struct stat st;
	int fd = -1, ok;

	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(argv[1], "outside")) {
		fd = syscall(SYS_pidfd_open, 1, 0);
	} else if (!strcmp(argv[1], "deleted")) {
		snprintf(path, sizeof(path), "%s/gone", argv[2]);
		close(open(path, O_WRONLY | O_CREAT, 0600));
		fd = open(path, O_PATH);
		if (unlink(path))
			fd = -1;
	}
	if (fd != 3) {
		check("setup", 0, "%s at fd %d: %s", argv[1], fd,
		      strerror(errno));
		return 1;
	}
	printf("READY\n");
	snprintf(path, sizeof(path), "%s/go", argv[2]);
	wait_go(path);
	if (!strcmp(argv[1], "outside"))
		ok = syscall(SYS_pidfd_send_signal, fd, 0, NULL, 0) == 0;
	else
		ok = !fstat(fd, &st) && st.st_nlink == 0 &&
		     (fcntl(fd, F_GETFL) & O_PATH);
	check("kept-running", ok, "it still has its %s fd", argv[1]);
	return check_exit_status();
}
