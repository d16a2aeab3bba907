/* SPDX-License-Identifier: GPL-2.0 */
/*
 * O_PATH fds through checkpoint -> kill -> restart: of a regular file
 * (without FD_CLOEXEC), of a directory (O_DIRECTORY, FD_CLOEXEC), of a
 * symlink (O_NOFOLLOW: the link itself) and of a FIFO, in DIR. After the
 * restart each must be O_PATH again with its flags (F_GETFL, F_GETFD), on
 * the same file (st_dev, st_ino, type), and behave as one: read() fails
 * with EBADF, the directory's serves as a dirfd for openat(), the link's
 * reads with readlinkat(fd, ""), the file's reopens through /proc/self/fd.
 * Usage: opath_state DIR   (goes on once DIR/go exists)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

enum { FILE_FD, DIR_FD, LINK_FD, FIFO_FD, NR };

static const char *const names[NR] = { "file", "dir", "link", "fifo" };
static const int open_flags[NR] = { O_PATH, O_PATH | O_DIRECTORY | O_CLOEXEC,
				    O_PATH | O_NOFOLLOW, O_PATH };

struct opened {
	int fd;
	int fl, fdfl;
	struct stat st;
	char path[4096];
};

static void wait_go(const char *go)
{
	const struct timespec tick = { 0, 10000000 };

	while (access(go, F_OK))
		nanosleep(&tick, NULL);
}

static int make(const char *dir, struct opened *o)
{
	char path[4096];
	unsigned int i;
	int fd;

	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0 || write(fd, "file data", 9) != 9 || close(fd))
		return -1;
	snprintf(path, sizeof(path), "%s/dir", dir);
	if (mkdir(path, 0750))
		return -1;
	snprintf(path, sizeof(path), "%s/dir/inside", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	if (fd < 0 || write(fd, "inside", 6) != 6 || close(fd))
		return -1;
	snprintf(path, sizeof(path), "%s/link", dir);
	if (symlink("file", path))
		return -1;
	snprintf(path, sizeof(path), "%s/fifo", dir);
	if (mkfifo(path, 0600))
		return -1;
	for (i = 0; i < NR; i++) {
		snprintf(o[i].path, sizeof(o[i].path), "%s/%s", dir, names[i]);
		o[i].fd = open(o[i].path, open_flags[i]);
		if (o[i].fd < 0 || fstat(o[i].fd, &o[i].st))
			return -1;
		o[i].fl = fcntl(o[i].fd, F_GETFL);
		o[i].fdfl = fcntl(o[i].fd, F_GETFD);
	}
	return 0;
}

static void check_kept(const struct opened *o)
{
	char bad[512] = "";
	struct stat st;
	unsigned int i;
	int fl, fdfl;

	for (i = 0; i < NR; i++) {
		fl = fcntl(o[i].fd, F_GETFL);
		fdfl = fcntl(o[i].fd, F_GETFD);
		if (fl != o[i].fl || fdfl != o[i].fdfl || !(fl & O_PATH))
			note_to(bad, sizeof(bad),
				"%s: F_GETFL %#o F_GETFD %d, was %#o %d",
				names[i], fl, fdfl, o[i].fl, o[i].fdfl);
	}
	check("opath-flags", !*bad, "O_PATH and the flags kept: %s",
	      *bad ? bad : "all");
	*bad = 0;
	for (i = 0; i < NR; i++) {
		if (fstat(o[i].fd, &st))
			note_to(bad, sizeof(bad), "%s: fstat: %s", names[i],
				strerror(errno));
		else if (st.st_dev != o[i].st.st_dev ||
			 st.st_ino != o[i].st.st_ino ||
			 st.st_mode != o[i].st.st_mode)
			note_to(bad, sizeof(bad),
				"%s: inode %lu mode %#o, was %lu %#o", names[i],
				(unsigned long)st.st_ino, st.st_mode,
				(unsigned long)o[i].st.st_ino, o[i].st.st_mode);
	}
	check("opath-same-file", !*bad, "each on its own file again: %s",
	      *bad ? bad : "all");
}

static void check_use(const struct opened *o)
{
	char buf[64] = "", proc[64];
	ssize_t n;
	int fd, err;

	n = read(o[FILE_FD].fd, buf, sizeof(buf));
	err = errno;
	check("opath-no-read", n == -1 && err == EBADF,
	      "read() of the O_PATH file: %zd (%s)", n, strerror(err));
	fd = openat(o[DIR_FD].fd, "inside", O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	check("opath-dirfd", n == 6 && !memcmp(buf, "inside", 6),
	      "openat(the directory's fd, \"inside\") read %zd bytes", n);
	if (fd >= 0)
		close(fd);
	memset(buf, 0, sizeof(buf));
	n = readlinkat(o[LINK_FD].fd, "", buf, sizeof(buf) - 1);
	check("opath-symlink", n == 4 && !strcmp(buf, "file"),
	      "readlinkat(the link's fd, \"\"): %zd \"%s\"", n, buf);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o[FILE_FD].fd);
	fd = open(proc, O_RDONLY);
	memset(buf, 0, sizeof(buf));
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	check("opath-reopen", n == 9 && !strcmp(buf, "file data"),
	      "the file reopened through %s: %zd \"%s\"", proc, n, buf);
	if (fd >= 0)
		close(fd);
}

int main(int argc, char **argv)
{
	struct opened o[NR];
	char go[4096];

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	if (make(argv[1], o)) {
		check("setup", 0, "%s", strerror(errno));
		return 1;
	}
	printf("READY\n");
	wait_go(go);
	check_kept(o);
	check_use(o);
	return check_exit_status();
}
