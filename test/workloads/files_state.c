// SPDX-License-Identifier: GPL-2.0
/*
 * The fd table across checkpoint/restart: offsets, O_APPEND, a description
 * shared by two fds (dup), FD_CLOEXEC, a directory stream's position, the
 * memory devices, a gap in the numbers, and nothing else. stdout and stderr
 * are expected to share one description (cr_cycle's >out 2>&1). It sets its
 * fds up in a fresh directory GO_FILE.d, prints READY, waits for GO_FILE to
 * appear (after the restart), then checks. Usage: files_state GO_FILE
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define NR_DIR_ENTRIES 40

static char dir[4096], path_a[4200], path_log[4200], path_b[4200];
static ino_t ino_a, ino_log, ino_b, ino_dir;
static off_t dir_pos;
/* Names the directory stream returned before the checkpoint. */
static char seen[NR_DIR_ENTRIES + 2][64];
static int nr_seen;

/* Puts an open fd at number want. */
static void place(int fd, int want, int flags)
{
	if (fd < 0) {
		check("setup", 0, "open for fd %d: %s", want, strerror(errno));
		exit(1);
	}
	if (fd != want) {
		if (dup3(fd, want, flags) != want) {
			check("setup", 0, "dup3 to %d: %s", want,
			      strerror(errno));
			exit(1);
		}
		close(fd);
	} else if (flags & O_CLOEXEC) {
		fcntl(want, F_SETFD, FD_CLOEXEC);
	}
}

static ino_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/* Reads dirents from fd into names, returning how many (at most max). */
static int read_names(int fd, char names[][64], int max, size_t bufsize)
{
	char buf[4096];
	long n, off;
	int count = 0;

	n = syscall(SYS_getdents64, fd, buf, bufsize);
	for (off = 0; off < n && count < max;) {
		struct dirent64 *d = (struct dirent64 *)(buf + off);

		/* The names are short: entry-NN, a, b, log. */
		snprintf(names[count++], 64, "%.63s", d->d_name);
		off += d->d_reclen;
	}
	return count;
}

static void set_up(const char *go_file)
{
	char name[4200];
	int i;

	snprintf(dir, sizeof(dir), "%s.d", go_file);
	snprintf(path_a, sizeof(path_a), "%s/a", dir);
	snprintf(path_log, sizeof(path_log), "%s/log", dir);
	snprintf(path_b, sizeof(path_b), "%s/b", dir);
	if (mkdir(dir, 0755) && errno != EEXIST) {
		check("setup", 0, "mkdir %s: %s", dir, strerror(errno));
		exit(1);
	}
	for (i = 0; i < NR_DIR_ENTRIES; i++) {
		snprintf(name, sizeof(name), "%s/entry-%02d", dir, i);
		close(open(name, O_WRONLY | O_CREAT, 0644));
	}

	place(open(path_a, O_RDWR | O_CREAT | O_TRUNC, 0644), 3, 0);
	if (write(3, "0123456789abcdef", 16) != 16)
		exit(1);
	lseek(3, 5, SEEK_SET);
	dup2(3, 4);
	place(open(path_log, O_WRONLY | O_APPEND | O_CREAT | O_TRUNC, 0644), 5,
	      O_CLOEXEC);
	if (write(5, "log\n", 4) != 4)
		exit(1);
	place(open(path_b, O_RDONLY | O_CREAT | O_NONBLOCK, 0644), 10, 0);
	/*
	 * Read once the directory holds all it will: on tmpfs a position is a
	 * count of entries, and a new one would land ahead and shift it.
	 */
	place(open(dir, O_RDONLY | O_DIRECTORY), 6, 0);
	/* A small buffer: the stream stops part of the way through. */
	nr_seen = read_names(6, seen, NR_DIR_ENTRIES + 2, 256);
	dir_pos = lseek(6, 0, SEEK_CUR);
	place(open("/dev/null", O_RDWR), 7, 0);
	place(open("/dev/zero", O_RDONLY), 8, O_CLOEXEC);
	place(open("/dev/urandom", O_RDONLY | O_NONBLOCK), 9, 0);
	place(open("/dev/null", O_RDONLY), 12, 0);
	ino_a = ino_of(3);
	ino_log = ino_of(5);
	ino_dir = ino_of(6);
	ino_b = ino_of(10);
}

static void wait_for(const char *go_file)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };

	while (access(go_file, F_OK) != 0)
		nanosleep(&tick, NULL);
}

static int is_dev(int fd, unsigned int major, unsigned int minor)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) &&
	       st.st_rdev == makedev(major, minor);
}

static void check_directory(void)
{
	char rest[NR_DIR_ENTRIES + 2][64];
	int nr_rest = 0, n, i, j, entries = 0, dups = 0;

	check("directory",
	      ino_of(6) == ino_dir && lseek(6, 0, SEEK_CUR) == dir_pos &&
		      nr_seen > 0 && nr_seen < NR_DIR_ENTRIES,
	      "position %ld, saved %ld, %d names read before",
	      (long)lseek(6, 0, SEEK_CUR), (long)dir_pos, nr_seen);
	/* The stream goes on where it stopped: every name once, in all. */
	while ((n = read_names(6, rest + nr_rest, NR_DIR_ENTRIES + 2 - nr_rest,
			       4096)) > 0)
		nr_rest += n;
	for (i = 0; i < nr_seen; i++)
		for (j = 0; j < nr_rest; j++)
			dups += !strcmp(seen[i], rest[j]);
	for (i = 0; i < nr_seen; i++)
		entries += !strncmp(seen[i], "entry-", 6);
	for (i = 0; i < nr_rest; i++)
		entries += !strncmp(rest[i], "entry-", 6);
	check("directory-stream-continues", !dups && entries == NR_DIR_ENTRIES,
	      "%d names before, %d after, %d repeated, %d of %d entries",
	      nr_seen, nr_rest, dups, entries, NR_DIR_ENTRIES);
}

static void check_table(void)
{
	static const int want[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12 };
	int found[64], nfound = 0, i, j, ok;
	struct dirent *de;
	DIR *d = opendir("/proc/self/fd");

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
			continue;
		if (nfound < 64)
			found[nfound++] = atoi(de->d_name);
	}
	if (d)
		closedir(d);
	ok = nfound == (int)(sizeof(want) / sizeof(want[0]));
	for (i = 0; ok && i < nfound; i++) {
		for (j = 0; j < nfound && found[j] != want[i]; j++)
			;
		ok = j < nfound;
	}
	check("exact-fd-table", ok, "%d fds open, %zu expected", nfound,
	      sizeof(want) / sizeof(want[0]));
}

int main(int argc, char **argv)
{
	struct stat st;
	char buf[8];
	off_t out_pos;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	set_up(argv[1]);
	printf("READY\n");
	wait_for(argv[1]);

	check("regular-offset",
	      ino_of(3) == ino_a && lseek(3, 0, SEEK_CUR) == 5 &&
		      (fcntl(3, F_GETFL) & O_ACCMODE) == O_RDWR &&
		      fcntl(3, F_GETFD) == 0,
	      "fd 3 at %ld, flags %#x", (long)lseek(3, 0, SEEK_CUR),
	      fcntl(3, F_GETFL));
	check("regular-content",
	      pread(3, buf, 4, 10) == 4 && !memcmp(buf, "abcd", 4),
	      "bytes 10..13 of %s", path_a);
	lseek(3, 11, SEEK_SET);
	check("dup-shares-offset",
	      ino_of(4) == ino_a && lseek(4, 0, SEEK_CUR) == 11,
	      "fd 4 at %ld after fd 3 moved to 11",
	      (long)lseek(4, 0, SEEK_CUR));
	check("append-cloexec",
	      ino_of(5) == ino_log && (fcntl(5, F_GETFL) & O_APPEND) &&
		      (fcntl(5, F_GETFL) & O_ACCMODE) == O_WRONLY &&
		      fcntl(5, F_GETFD) == FD_CLOEXEC,
	      "flags %#x, fd flags %#x", fcntl(5, F_GETFL), fcntl(5, F_GETFD));
	lseek(5, 0, SEEK_SET);
	check("append-writes-at-end",
	      write(5, "more\n", 5) == 5 && !stat(path_log, &st) &&
		      st.st_size == 9,
	      "%s is %ld bytes", path_log, (long)st.st_size);
	check_directory();
	check("dev-null",
	      is_dev(7, 1, 3) && (fcntl(7, F_GETFL) & O_ACCMODE) == O_RDWR &&
		      write(7, "x", 1) == 1,
	      "fd 7 flags %#x", fcntl(7, F_GETFL));
	check("dev-zero",
	      is_dev(8, 1, 5) && fcntl(8, F_GETFD) == FD_CLOEXEC &&
		      read(8, buf, 4) == 4 && !buf[0] && !buf[3],
	      "fd 8");
	check("dev-urandom-nonblock",
	      is_dev(9, 1, 9) && (fcntl(9, F_GETFL) & O_NONBLOCK),
	      "fd 9 flags %#x", fcntl(9, F_GETFL));
	check("nonblock-regular",
	      ino_of(10) == ino_b && (fcntl(10, F_GETFL) & O_NONBLOCK),
	      "fd 10 flags %#x", fcntl(10, F_GETFL));
	check("gap-stays-closed", fcntl(11, F_GETFD) < 0 && errno == EBADF,
	      "fd 11");
	check("dev-null-stdin", is_dev(0, 1, 3), "fd 0");
	/* stdout and stderr: one description, at the saved end of the output. */
	fflush(stdout);
	out_pos = lseek(1, 0, SEEK_CUR);
	if (write(2, "", 0) == 0 && dprintf(2, "(stderr)\n") > 0)
		check("stdout-stderr-shared",
		      lseek(1, 0, SEEK_CUR) == out_pos + 9,
		      "stdout moved from %ld to %ld with a write to stderr",
		      (long)out_pos, (long)lseek(1, 0, SEEK_CUR));
	check_table();
	return check_exit_status();
}
