// SPDX-License-Identifier: GPL-2.0
/*
 * File locks and memfd state across a restart.
 *
 * flocks tree DIR: a tree of three processes. The parent holds POSIX
 * record locks on DIR/records (a write lock on bytes 0-9, a read lock on
 * 20-29), an OFD write lock on bytes 60-69 of its own open of it, a flock()
 * write lock on DIR/whole and a read lock on DIR/shared; its first child
 * holds a POSIX write lock on bytes 40-49 of the same file; its second
 * child sleeps in F_SETLKW for bytes 0-9, which the parent holds. The
 * parent also holds three memfds: one sealed (F_SEAL_SHRINK, F_SEAL_GROW,
 * F_SEAL_WRITE), one that allows sealing with no seal yet, with O_APPEND
 * and O_NONBLOCK set by F_SETFL, and one made without MFD_ALLOW_SEALING.
 * After the restart (DIR/go), a process the parent forks then, outside
 * every lock, checks each lock with F_GETLK / F_OFD_GETLK and flock(LOCK_NB),
 * and /proc/locks shows them with their owners; then the parent lets go
 * of bytes 0-9 and the waiter must get them.
 *
 * flocks refused KIND DIR: holds at fd 5 what a checkpoint refuses (KIND:
 * lease-breaking, owner-outside, async-device), sleeps until DIR/go exists,
 * and checks it still has it: the refused checkpoint must leave it
 * running, untouched.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define MEMFD_DATA "sealed content"

static char dir[4096];

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static int open_in_dir(const char *name, int flags)
{
	char path[4200];

	path_of(path, sizeof(path), name);
	return open(path, flags | O_CREAT, 0666);
}

static int set_lock(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = { .l_type = type,
			    .l_whence = SEEK_SET,
			    .l_start = start,
			    .l_len = len };

	return fcntl(fd, cmd, &fl);
}

static void wait_for_go(void)
{
	char go[4200];

	path_of(go, sizeof(go), "go");
	while (access(go, F_OK))
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
}

/* What F_GETLK (or F_OFD_GETLK) says of a write lock wanted on bytes start..start+len-1. */
static int lock_is(int fd, int cmd, off_t start, off_t len, short type,
		   pid_t pid, char *why, size_t size)
{
	struct flock fl = { .l_type = F_WRLCK,
			    .l_whence = SEEK_SET,
			    .l_start = start,
			    .l_len = len };

	if (fcntl(fd, cmd, &fl)) {
		note_to(why, size, "getlk %ld: %s", (long)start,
			strerror(errno));
		return 0;
	}
	if (fl.l_type != type ||
	    (type != F_UNLCK &&
	     (fl.l_pid != pid || fl.l_start != start || fl.l_len != len))) {
		note_to(why, size,
			"bytes %ld-%ld: type %d pid %d start %ld len %ld",
			(long)start, (long)(start + len - 1), fl.l_type,
			fl.l_pid, (long)fl.l_start, (long)fl.l_len);
		return 0;
	}
	return 1;
}

/* The /proc/locks lines of the inode of fd, without their ordinal, joined by '|'. */
static void proc_locks_of(int fd, char *out, size_t size)
{
	char line[256], key[64], *p;
	struct stat st;
	FILE *f = fopen("/proc/locks", "r");

	*out = 0;
	if (!f || fstat(fd, &st)) {
		if (f)
			fclose(f);
		return;
	}
	snprintf(key, sizeof(key), ":%lu ", (unsigned long)st.st_ino);
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, key) || strstr(line, "->"))
			continue;
		line[strcspn(line, "\n")] = 0;
		p = strchr(line, ' ');
		/* "POSIX  ADVISORY  WRITE 123 00:1f:456 0 9": kind, type, pid, range */
		note_to(out, size, "%s", p ? p + 1 : line);
	}
	fclose(f);
}

static int count_lines_like(const char *all, const char *kind, const char *type,
			    long pid, const char *range)
{
	char want[128];
	const char *p = all;
	int n = 0;

	for (;;) {
		p = strstr(p, kind);
		if (!p)
			return n;
		snprintf(want, sizeof(want), "%s %ld ", type, pid);
		if (strstr(p, want) &&
		    strstr(p, want) < (strchr(p, ';') ?: p + strlen(p)) &&
		    strstr(p, range) &&
		    strstr(p, range) < (strchr(p, ';') ?: p + strlen(p)))
			n++;
		p += strlen(kind);
	}
}

/* Run in a process forked after the restart: it holds no lock of the tree's. */
static void check_from_outside(pid_t parent, pid_t child)
{
	char why[1024] = "", locks[2048] = "";
	int rec = open_in_dir("records", O_RDWR),
	    whole = open_in_dir("whole", O_RDWR),
	    shared = open_in_dir("shared", O_RDWR);
	int ok;

	ok = lock_is(rec, F_GETLK, 0, 10, F_WRLCK, parent, why, sizeof(why)) &
	     lock_is(rec, F_GETLK, 20, 10, F_RDLCK, parent, why, sizeof(why)) &
	     lock_is(rec, F_GETLK, 10, 10, F_UNLCK, 0, why, sizeof(why));
	check("posix-parent", ok,
	      "the parent's two ranges, each with its type and pid: %s", why);
	*why = 0;
	ok = lock_is(rec, F_GETLK, 40, 10, F_WRLCK, child, why, sizeof(why)) &
	     lock_is(rec, F_GETLK, 30, 10, F_UNLCK, 0, why, sizeof(why));
	check("posix-child", ok, "the child's range, as its own: %s", why);
	*why = 0;
	ok = lock_is(rec, F_OFD_GETLK, 60, 10, F_WRLCK, -1, why, sizeof(why)) &
	     lock_is(rec, F_OFD_GETLK, 70, 10, F_UNLCK, 0, why, sizeof(why));
	check("ofd", ok, "the OFD lock on its range: %s", why);
	ok = flock(whole, LOCK_SH | LOCK_NB) && errno == EWOULDBLOCK;
	check("flock-exclusive", ok,
	      "LOCK_SH|LOCK_NB on the exclusively locked file: %s",
	      ok ? "EWOULDBLOCK" : "got it");
	ok = !flock(shared, LOCK_SH | LOCK_NB) && !flock(shared, LOCK_UN) &&
	     flock(shared, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK;
	check("flock-shared", ok,
	      "the shared lock admits LOCK_SH and refuses LOCK_EX");
	proc_locks_of(rec, locks, sizeof(locks));
	ok = count_lines_like(locks, "POSIX", "WRITE", parent, " 0 9") == 1 &&
	     count_lines_like(locks, "POSIX", "READ", parent, " 20 29") == 1 &&
	     count_lines_like(locks, "POSIX", "WRITE", child, " 40 49") == 1 &&
	     count_lines_like(locks, "OFDLCK", "WRITE", -1, " 60 69") == 1;
	*why = 0;
	proc_locks_of(whole, why, sizeof(why));
	ok = ok &&
	     count_lines_like(why, "FLOCK", "WRITE", parent, " 0 EOF") == 1;
	check("proc-locks", ok, "records: %s; whole: %s", locks, why);
	exit(check_exit_status());
}

static int memfd_state(int fd, int seals, int flags, char *why, size_t size)
{
	int got = fcntl(fd, F_GET_SEALS), fl = fcntl(fd, F_GETFL);

	if (got != seals ||
	    (fl & (O_ACCMODE | O_APPEND | O_NONBLOCK)) != flags) {
		note_to(why, size,
			"fd %d: seals %#x (want %#x), flags %#o (want %#o)", fd,
			got, seals, fl, flags);
		return 0;
	}
	return 1;
}

static int tree(void)
{
	int rec, ofd, whole, shared, sealed, open_memfd, plain, status, ok,
		ready[2];
	char why[512] = "", buf[64] = "";
	pid_t child, waiter, checker;
	struct flock fl;

	rec = open_in_dir("records", O_RDWR);
	ofd = open_in_dir("records", O_RDWR);
	whole = open_in_dir("whole", O_RDWR);
	shared = open_in_dir("shared", O_RDONLY);
	if (rec < 0 || ofd < 0 || whole < 0 || shared < 0 ||
	    ftruncate(rec, 100) || set_lock(rec, F_SETLK, F_WRLCK, 0, 10) ||
	    set_lock(rec, F_SETLK, F_RDLCK, 20, 10) ||
	    set_lock(ofd, F_OFD_SETLK, F_WRLCK, 60, 10) ||
	    flock(whole, LOCK_EX | LOCK_NB) ||
	    flock(shared, LOCK_SH | LOCK_NB)) {
		check("setup", 0, "locks: %s", strerror(errno));
		return 1;
	}
	sealed = memfd_create("cpt-sealed", MFD_ALLOW_SEALING);
	open_memfd = memfd_create("cpt-open", MFD_ALLOW_SEALING);
	plain = memfd_create("cpt-plain", 0);
	if (sealed < 0 || open_memfd < 0 || plain < 0 ||
	    write(sealed, MEMFD_DATA, sizeof(MEMFD_DATA)) !=
		    sizeof(MEMFD_DATA) ||
	    fcntl(sealed, F_ADD_SEALS,
		  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) ||
	    fcntl(open_memfd, F_SETFL, O_APPEND | O_NONBLOCK)) {
		check("setup", 0, "memfds: %s", strerror(errno));
		return 1;
	}
	if (pipe(ready))
		return 1;
	child = fork();
	if (!child) {
		if (set_lock(rec, F_SETLK, F_WRLCK, 40, 10))
			_exit(1);
		if (write(ready[1], "c", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	waiter = fork();
	if (!waiter) {
		if (write(ready[1], "w", 1) != 1)
			_exit(1);
		/* Sleeps here through the checkpoint, until the parent lets go. */
		fl = (struct flock){ .l_type = F_WRLCK,
				     .l_whence = SEEK_SET,
				     .l_len = 10 };
		if (fcntl(rec, F_SETLKW, &fl))
			_exit(3);
		_exit(fl.l_type == F_WRLCK ? 0 : 4);
	}
	/* Both children are set: the child holds its lock, the waiter is about to sleep. */
	for (ok = 0; ok < 2;)
		if (read(ready[0], buf + ok, 1) == 1)
			ok++;
	/* The waiter's F_SETLKW is asleep once its state says so. */
	for (;;) {
		char path[64], state[256];
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", waiter);
		f = fopen(path, "r");
		if (f && fgets(state, sizeof(state), f) &&
		    strstr(state, ") S ")) {
			fclose(f);
			break;
		}
		if (f)
			fclose(f);
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	printf("READY %d\n", getpid());
	wait_for_go();

	checker = fork();
	if (!checker)
		check_from_outside(getppid(), child);
	ok = waitpid(checker, &status, 0) == checker && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	check("checker", ok,
	      "the process forked after the restart checked the locks");

	ok = memfd_state(sealed, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE,
			 O_RDWR, why, sizeof(why)) &
	     memfd_state(open_memfd, 0, O_RDWR | O_APPEND | O_NONBLOCK, why,
			 sizeof(why)) &
	     memfd_state(plain, F_SEAL_SEAL, O_RDWR, why, sizeof(why));
	check("memfd-seals-flags", ok, "F_GET_SEALS and F_GETFL as before: %s",
	      why);
	ok = pwrite(sealed, "x", 1, 0) < 0 && errno == EPERM &&
	     pread(sealed, buf, sizeof(MEMFD_DATA), 0) == sizeof(MEMFD_DATA) &&
	     !memcmp(buf, MEMFD_DATA, sizeof(MEMFD_DATA)) &&
	     fcntl(plain, F_ADD_SEALS, F_SEAL_GROW) && errno == EPERM &&
	     !fcntl(open_memfd, F_ADD_SEALS, F_SEAL_GROW);
	check("memfd-sealed", ok,
	      "the sealed memfd keeps its content and refuses writes; "
	      "sealing is allowed where it was, refused where it was");

	/* The waiter gets bytes 0-9 once the parent lets go of them, and only then. */
	ok = waitpid(waiter, &status, WNOHANG) == 0;
	set_lock(rec, F_SETLK, F_UNLCK, 0, 10);
	ok = ok && waitpid(waiter, &status, 0) == waiter && WIFEXITED(status) &&
	     !WEXITSTATUS(status);
	check("waiter", ok,
	      "the process asleep in F_SETLKW got the lock once it was let go: %#x",
	      status);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return check_exit_status();
}

/* A process that opens the leased file, as a reader: the write lease is being broken. */
static int break_lease(void)
{
	char path[4200];
	pid_t pid;
	int status;

	path_of(path, sizeof(path), "held");
	pid = fork();
	if (pid == 0)
		_exit(open(path, O_RDONLY | O_NONBLOCK) < 0 &&
				      errno == EWOULDBLOCK ?
			      0 :
			      1);
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	       WIFEXITED(status) && !WEXITSTATUS(status);
}

/*
 * What a checkpoint refuses, held at fd 5: a write lease another process's
 * open is breaking (SIGIO ignored), a pipe whose SIGIO owner is a process
 * outside the tree (the parent), O_ASYNC on /dev/urandom (a device whose
 * signals are not saved).
 */
static int refused(const char *kind)
{
	int fd = open_in_dir("held", O_RDONLY), fds[2], ok = 0;

	if (fd < 0 || dup2(fd, 5) != 5 || close(fd))
		return 1;
	if (!strcmp(kind, "lease-breaking"))
		ok = signal(SIGIO, SIG_IGN) != SIG_ERR &&
		     !fcntl(5, F_SETLEASE, F_WRLCK) && break_lease();
	else if (!strcmp(kind, "owner-outside"))
		ok = !pipe(fds) && dup2(fds[0], 5) == 5 && !close(fds[0]) &&
		     !fcntl(5, F_SETOWN, getppid());
	else if (!strcmp(kind, "async-device"))
		ok = (fd = open("/dev/urandom", O_RDONLY)) >= 0 &&
		     dup2(fd, 5) == 5 && !close(fd) &&
		     !fcntl(5, F_SETFL, O_ASYNC);
	if (!ok) {
		check("setup", 0, "%s: %s", kind, strerror(errno));
		return 1;
	}
	printf("READY %d\n", getpid());
	wait_for_go();
	if (!strcmp(kind, "lease-breaking"))
		ok = fcntl(5, F_GETLEASE) == F_RDLCK; /* being downgraded */
	else if (!strcmp(kind, "owner-outside"))
		ok = fcntl(5, F_GETOWN) == getppid();
	else
		ok = fcntl(5, F_GETFL) & O_ASYNC;
	check("kept-running", ok, "it still has its %s", kind);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(dir, sizeof(dir), "%s", argv[argc - 1]);
	if (!strcmp(argv[1], "tree"))
		return tree();
	if (!strcmp(argv[1], "refused") && argc == 4)
		return refused(argv[2]);
	return 2;
}
