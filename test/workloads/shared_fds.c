// SPDX-License-Identifier: GPL-2.0
/*
 * Open file descriptions shared between processes across checkpoint/restart,
 * beside ones that are not. The root opens DIR/shared.log write-only
 * (O_TRUNC, no O_APPEND) and writes "root-1\n", makes DIR/own.txt (100
 * bytes) and leaves its own fd on it at offset 40, then forks a child, which
 * inherits the shared.log fd: one description, one offset. The child writes
 * "child-1\n" through it, opens own.txt itself (a description of its own),
 * seeks to 70 and creates DIR/ready.<pid>; the root waits for that, writes
 * "root-2\n" and prints READY. After go the child checks that the shared
 * offset is where root-2 left it, writes "child-2\n", checks its own.txt
 * offset is still 70 and exits; the root reaps it, finds the shared offset
 * moved by the child's write, writes "root-3\n" and checks that shared.log
 * reads "root-1\nchild-1\nroot-2\nchild-2\nroot-3\n" (an offset no longer
 * shared would have overwritten something) and that its own.txt offset is
 * still 40. The child reports through its exit status and DIR/log.<pid>
 * (opened after go); only the root prints.
 * Usage: shared_fds DIR   (DIR empty; the go file is DIR/go)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#define OWN_SIZE 100
#define ROOT_OWN_OFFSET 40
#define CHILD_OWN_OFFSET 70
#define PEEK 10 /* bytes read at each own.txt offset after go */
#define SETUP_TIMEOUT_MS 30000
#define RUN_TIMEOUT_MS 30000

static const char *const lines[] = { "root-1\n", "child-1\n", "root-2\n",
				     "child-2\n", "root-3\n" };
#define NR_LINES ((int)(sizeof(lines) / sizeof(lines[0])))

static const char *dir;
static char go_path[PATH_MAX], shared_path[PATH_MAX], own_path[PATH_MAX];

/* What went wrong so far in the calling process. */
static char notes[1024];

#define note(...) note_to(notes, sizeof(notes), __VA_ARGS__)

/* How far into shared.log the first n lines reach. */
static off_t offset_after(int n)
{
	off_t off = 0;
	int i;

	for (i = 0; i < n; i++)
		off += strlen(lines[i]);
	return off;
}

/* own.txt's byte at offset i. */
static char own_byte(int i)
{
	return 'A' + i % 26;
}

/* Writes line i of shared.log through fd; notes and returns -1 if it can't. */
static int put_line(int fd, int i)
{
	size_t len = strlen(lines[i]);
	ssize_t n = write(fd, lines[i], len);

	if (n == (ssize_t)len)
		return 0;
	note("write of line %d: %zd, %s", i + 1, n,
	     n < 0 ? strerror(errno) : "short");
	return -1;
}

/* Reads PEEK bytes of own.txt at fd's offset: do they match the offset? */
static int peek_own(int fd, off_t off)
{
	char buf[PEEK];
	int i;

	if (read(fd, buf, PEEK) != PEEK)
		return 0;
	for (i = 0; i < PEEK; i++)
		if (buf[i] != own_byte(off + i))
			return 0;
	return 1;
}

static void run_child(int shared, int root_own)
{
	char ready[PATH_MAX], tmp[PATH_MAX];
	off_t shared_off, own_off, want_shared = offset_after(3);
	int own, log, ok, peek_ok, fails = 0;
	pid_t me = getpid();

	close(root_own);
	put_line(shared, 1);
	own = open(own_path, O_RDWR);
	if (own < 0)
		note("open %s: %s", own_path, strerror(errno));
	else if (lseek(own, CHILD_OWN_OFFSET, SEEK_SET) != CHILD_OWN_OFFSET)
		note("lseek own.txt to %d: %s", CHILD_OWN_OFFSET,
		     strerror(errno));
	shared_off = lseek(shared, 0, SEEK_CUR);
	if (shared_off != offset_after(2))
		note("shared offset %lld after child-1, want %lld",
		     (long long)shared_off, (long long)offset_after(2));
	pid_path(tmp, dir, "tmp", me);
	pid_path(ready, dir, "ready", me);
	if (touch(tmp) || rename(tmp, ready))
		_exit(3);
	wait_for(go_path);

	shared_off = lseek(shared, 0, SEEK_CUR);
	fails += put_line(shared, 3) != 0;
	own_off = lseek(own, 0, SEEK_CUR);
	peek_ok = peek_own(own, own_off);

	pid_path(tmp, dir, "log", me);
	log = open(tmp, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (log < 0)
		log = open("/dev/null", O_WRONLY);
	if (notes[0]) {
		dprintf(log, "child %d: FAIL %s\n", (int)me, notes);
		fails++;
	}
	ok = shared_off == want_shared;
	dprintf(log,
		"child %d: %s shared offset %lld before child-2, want %lld\n",
		(int)me, ok ? "PASS" : "FAIL", (long long)shared_off,
		(long long)want_shared);
	fails += !ok;
	ok = own_off == CHILD_OWN_OFFSET && peek_ok;
	dprintf(log,
		"child %d: %s own.txt offset %lld, want %d; the bytes there %s\n",
		(int)me, ok ? "PASS" : "FAIL", (long long)own_off,
		CHILD_OWN_OFFSET, peek_ok ? "match" : "do not match");
	fails += !ok;
	dprintf(log, "STATS shared %lld own %lld peek %d\n",
		(long long)shared_off, (long long)own_off, peek_ok);
	close(log);
	_exit(fails ? 1 : 0);
}

/* Leftovers of an earlier run in DIR would confuse the root. */
static void clean_ours(void)
{
	static const char *const ours[] = { "ready.", "tmp.", "log." };

	clean_dir(dir, ours, sizeof(ours) / sizeof(ours[0]));
}

/* buf with its newlines shown as \n, for a RESULT line. */
static void escape(const char *buf, char *out, size_t len)
{
	size_t used = 0;

	for (; *buf && used + 3 < len; buf++) {
		if (*buf == '\n') {
			out[used++] = '\\';
			out[used++] = 'n';
		} else {
			out[used++] = *buf;
		}
	}
	out[used] = '\0';
}

int main(int argc, char **argv)
{
	char own_buf[OWN_SIZE], path[PATH_MAX], log[1024], *stats, content[256],
		want[256], shown[512], want_shown[512];
	long long child_shared = -1, child_own = -1;
	off_t shared_off, own_off, want_off = offset_after(NR_LINES);
	int shared, own, i, status = 0, reaped = 0, have_stats = 0, peek_ok,
			    child_peek = 0;
	struct timespec start;
	pid_t child, got;

	dir = workload_dir(argc, argv, go_path);
	if (!dir)
		return 1;
	snprintf(shared_path, sizeof(shared_path), "%s/shared.log", dir);
	snprintf(own_path, sizeof(own_path), "%s/own.txt", dir);
	clean_ours();

	shared = open(shared_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	own = open(own_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (shared < 0 || own < 0) {
		check("setup", 0, "open: %s", strerror(errno));
		return 1;
	}
	for (i = 0; i < OWN_SIZE; i++)
		own_buf[i] = own_byte(i);
	if (put_line(shared, 0) || write(own, own_buf, OWN_SIZE) != OWN_SIZE ||
	    lseek(own, ROOT_OWN_OFFSET, SEEK_SET) != ROOT_OWN_OFFSET) {
		check("setup", 0, "writing the files: %s; %s", strerror(errno),
		      notes);
		return 1;
	}

	fflush(stdout);
	child = fork();
	if (child == 0)
		run_child(shared, own);
	if (child < 0) {
		check("setup", 0, "fork: %s", strerror(errno));
		return 1;
	}

	/* The child has written child-1 and set its own.txt offset. */
	pid_path(path, dir, "ready", child);
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (access(path, F_OK) != 0 && ms_since(&start) < SETUP_TIMEOUT_MS)
		nap();
	if (access(path, F_OK) != 0)
		note("the child %d was not ready after %d ms", (int)child,
		     SETUP_TIMEOUT_MS);
	shared_off = lseek(shared, 0, SEEK_CUR);
	if (shared_off != offset_after(2))
		note("shared offset %lld after child-1, want %lld",
		     (long long)shared_off, (long long)offset_after(2));
	put_line(shared, 2);
	if (notes[0])
		touch(go_path); /* let the child go on and report what can be */
	else
		printf("READY\n");
	wait_for(go_path);

	check("setup", !notes[0], "%s",
	      notes[0] ? notes :
			 "root-1, child-1, root-2 written through one offset");
	notes[0] = '\0';

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!reaped && ms_since(&start) < RUN_TIMEOUT_MS) {
		got = waitpid(child, &status, WNOHANG);
		if (got < 0 && errno != EINTR)
			break;
		if (got == child)
			reaped = 1;
		else
			nap();
	}
	if (!reaped) {
		kill(child, SIGKILL);
		reaped = waitpid(child, &status, 0) == child ? -1 : 0;
	}
	pid_path(path, dir, "log", child);
	if (slurp(path, log, sizeof(log)))
		snprintf(log, sizeof(log), "no log");
	stats = strstr(log, "STATS ");
	if (stats && (stats == log || stats[-1] == '\n')) {
		have_stats = sscanf(stats, "STATS shared %lld own %lld peek %d",
				    &child_shared, &child_own,
				    &child_peek) == 3;
		*stats = '\0';
	}
	for (stats = log; *stats; stats++)
		if (*stats == '\n')
			*stats = stats[1] ? '|' : '\0';

	shared_off = lseek(shared, 0, SEEK_CUR);
	check("shared-offset",
	      have_stats && child_shared == offset_after(3) &&
		      shared_off == offset_after(4),
	      "the child found the offset at %lld before child-2 (want %lld), the root at %lld after it (want %lld)",
	      child_shared, (long long)offset_after(3), (long long)shared_off,
	      (long long)offset_after(4));

	put_line(shared, 4);
	want[0] = '\0';
	for (i = 0; i < NR_LINES; i++)
		strcat(want, lines[i]);
	if (slurp(shared_path, content, sizeof(content)))
		snprintf(content, sizeof(content), "(unreadable: %s)",
			 strerror(errno));
	escape(content, shown, sizeof(shown));
	escape(want, want_shown, sizeof(want_shown));
	check("shared-content",
	      !strcmp(content, want) && lseek(shared, 0, SEEK_CUR) == want_off,
	      "%s holds \"%s\"%s%s%s%s", shared_path, shown,
	      strcmp(content, want) ? ", want " : "",
	      strcmp(content, want) ? want_shown : "", notes[0] ? "; " : "",
	      notes);

	own_off = lseek(own, 0, SEEK_CUR);
	peek_ok = peek_own(own, own_off);
	check("separate-offsets",
	      own_off == ROOT_OWN_OFFSET && peek_ok && have_stats &&
		      child_own == CHILD_OWN_OFFSET && child_peek,
	      "own.txt: the root's offset %lld (want %d, bytes there %s), the child's %lld (want %d, bytes there %s)",
	      (long long)own_off, ROOT_OWN_OFFSET,
	      peek_ok ? "match" : "do not match", child_own, CHILD_OWN_OFFSET,
	      child_peek ? "match" : "do not match");

	check("child-status",
	      reaped == 1 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%d %s %#x; log: %s", (int)child,
	      reaped == 1 ? "status" :
	      reaped	  ? "killed after the timeout, status" :
			    "not reaped",
	      status, log);
	return check_exit_status();
}
