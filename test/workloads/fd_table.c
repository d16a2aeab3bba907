// SPDX-License-Identifier: GPL-2.0
/*
 * One fd table shared by two processes (clone with CLONE_FILES, no
 * CLONE_VM) across checkpoint/restart, beside a forked child whose table is
 * its own. Before the checkpoint: the root opens DIR/early (fd E) and makes
 * the sharer, which opens DIR/sharer (fd S, seen by the root too), seeks E to
 * EARLY_OFFSET and creates DIR/ready; the private child opens DIR/private and
 * creates DIR/private-ready; then the root prints READY. After DIR/go:
 * - the sharer opens DIR/late and writes its fd number to DIR/late-fd: the
 *   root must find DIR/late at that number;
 * - the root closes fd S and creates DIR/closed: the sharer must find S
 *   gone, and E at EARLY_OFFSET; it exits 0 when all that holds;
 * - the private child opens a file at the same number the sharer got: the
 *   root must not see it, since that table is not its own.
 * Usage: fd_table DIR   (DIR empty; the go file is DIR/go)
 */
#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "check.h"
#include "sync.h"

#define EARLY_OFFSET 1234
#define TIMEOUT_MS 30000

/* Sharer and private child exit with these bits set for what failed. */
#define BAD_EARLY_FD 1
#define BAD_CLOSE 2
#define BAD_LATE 4
#define BAD_SYNC 8

static const char *dir;

static void path_of(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

static int wait_named(const char *name)
{
	char path[PATH_MAX];

	path_of(path, name);
	return wait_for_file(path, TIMEOUT_MS);
}

static int wait_for_go(void)
{
	char path[PATH_MAX];

	path_of(path, "go");
	return wait_for_file(path, WAIT_FOREVER);
}

static int touch_named(const char *name)
{
	char path[PATH_MAX];

	path_of(path, name);
	return touch(path);
}

static int open_named(const char *name, int flags)
{
	char path[PATH_MAX];

	path_of(path, name);
	return open(path, flags | O_CREAT, 0644);
}

/* Whether fd is open on DIR/name: the same inode. */
static int fd_is(int fd, const char *name)
{
	char path[PATH_MAX];
	struct stat a, b;

	path_of(path, name);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Writes DIR/name whole at once: a reader never sees it half written. */
static int publish(const char *name, const char *text)
{
	char tmp[PATH_MAX + 8], path[PATH_MAX];
	int fd, ret = 0;

	path_of(path, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return -1;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		ret = -1;
	close(fd);
	return ret ?: rename(tmp, path);
}

static int sharer(int early)
{
	int bad = 0, own, late;
	char buf[32];

	own = open_named("sharer", O_RDWR);
	if (own < 0 || lseek(early, EARLY_OFFSET, SEEK_SET) != EARLY_OFFSET)
		return BAD_SYNC;
	touch_named("ready");
	if (!wait_for_go())
		return BAD_SYNC;
	late = open_named("late", O_RDWR);
	if (late < 0)
		return BAD_SYNC;
	snprintf(buf, sizeof(buf), "%d %d\n", late, own);
	if (publish("late-fd", buf))
		return BAD_SYNC;
	if (!wait_named("closed"))
		return bad | BAD_SYNC;
	if (fcntl(own, F_GETFD) != -1 || errno != EBADF)
		bad |= BAD_CLOSE;
	if (!fd_is(early, "early") || lseek(early, 0, SEEK_CUR) != EARLY_OFFSET)
		bad |= BAD_EARLY_FD;
	return bad;
}

/* Opens files until one lands at fd number want, after the go. */
static int private_child(void)
{
	char want_path[PATH_MAX];
	int want = -1, fd;
	FILE *f;

	if (open_named("private", O_RDWR) < 0)
		return BAD_SYNC;
	touch_named("private-ready");
	if (!wait_for_go() || !wait_named("late-fd"))
		return BAD_SYNC;
	path_of(want_path, "late-fd");
	f = fopen(want_path, "r");
	if (!f || fscanf(f, "%d", &want) != 1)
		return BAD_SYNC;
	fclose(f);
	fd = open_named("private-at", O_RDWR);
	if (fd < 0)
		return BAD_SYNC;
	if (fd != want && dup2(fd, want) != want)
		return BAD_LATE;
	touch_named("private-done");
	return wait_named("closed") ? 0 : BAD_SYNC;
}

int main(int argc, char **argv)
{
	int early, late = -1, own = -1, code;
	pid_t share_pid, private_pid;
	char path[PATH_MAX];
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: fd_table DIR\n");
		return 2;
	}
	dir = argv[1];
	early = open_named("early", O_RDWR);
	if (early < 0) {
		perror("open");
		return 2;
	}
	fflush(stdout);
	private_pid = fork();
	if (private_pid == 0)
		_exit(private_child());
	share_pid =
		syscall(SYS_clone, CLONE_FILES | SIGCHLD, NULL, NULL, NULL, 0);
	if (share_pid == 0)
		_exit(sharer(early));
	if (private_pid < 0 || share_pid < 0 || !wait_named("ready") ||
	    !wait_named("private-ready")) {
		fprintf(stderr, "fd_table: setup failed\n");
		return 2;
	}
	printf("READY\n");
	fflush(stdout);

	if (!wait_for_go() || !wait_named("late-fd") ||
	    !wait_named("private-done")) {
		check("sync", 0, "the children never got past the go");
		return check_exit_status();
	}
	path_of(path, "late-fd");
	f = fopen(path, "r");
	if (!f || fscanf(f, "%d %d", &late, &own) != 2)
		late = own = -1;
	if (f)
		fclose(f);
	check("sharer-open-seen", late >= 0 && fd_is(late, "late"),
	      "the sharer opened DIR/late at fd %d after the restart: the root %s it there",
	      late, late >= 0 && fd_is(late, "late") ? "sees" : "does not see");
	check("private-open-unseen", late >= 0 && !fd_is(late, "private-at"),
	      "the private child's file at fd %d is %s the root's table", late,
	      late >= 0 && !fd_is(late, "private-at") ? "not in" : "in");
	check("pre-checkpoint-fd-seen", own >= 0 && fd_is(own, "sharer"),
	      "the root sees the sharer's pre-checkpoint fd %d on DIR/sharer",
	      own);
	close(own);
	touch_named("closed");

	code = exit_code(share_pid);
	check("sharer", code == 0,
	      "the sharer exited %d (bits: 1 early fd, 2 close unseen, 8 sync)",
	      code);
	code = exit_code(private_pid);
	check("private", code == 0, "the private child exited %d", code);
	return check_exit_status();
}
