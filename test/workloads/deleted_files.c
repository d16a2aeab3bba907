// SPDX-License-Identifier: GPL-2.0
/*
 * What a restart re-creates, and what it reopens, must come back as it was.
 * In DIR, before the checkpoint:
 *  - "owned": a file of uid 1234, gid 2345, mode 0666 (more than the
 *    restarter's umask lets through), with its times set in the past,
 *    deleted while open;
 *  - "sparse": 3 MiB with data at 0 and at 2 MiB only, deleted;
 *  - "shared": one deleted file opened three times, read-write, write-only
 *    and read-only (the last through /proc/self/fd, as a reopen does);
 *  - "kept": a file that stays, open read-write, write-only and read-only,
 *    with its times set in the past.
 * After DIR/go, before any other access: each deleted file has its owner,
 * mode and times, the sparse one its holes, the three opens one inode
 * (a write through the write-only one is read through the read-only one),
 * and the kept file its times; and no name can be given to the deleted
 * file (linkat() of /proc/self/fd/N: ENOENT, as before, not a name made).
 * Usage: deleted_files DIR
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define OWNER_UID 1234
#define OWNER_GID 2345
#define OWNER_MODE 0666
#define MIB (1024 * 1024)
#define SPARSE_SIZE (3 * MIB)
#define SPARSE_DATA2 (2 * MIB)

/* Times in the past, with nanoseconds: what no restart would set by chance. */
static const struct timespec past[2] = {
	{ .tv_sec = 1000000000, .tv_nsec = 123456789 }, /* atime */
	{ .tv_sec = 1200000000, .tv_nsec = 987654321 }, /* mtime */
};

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static int has_past_times(const struct stat *st, char *why, size_t size)
{
	int ok = same_time(&st->st_atim, &past[0]) &&
		 same_time(&st->st_mtim, &past[1]);

	if (!ok)
		note_to(why, size, "atime %lld.%09ld mtime %lld.%09ld",
			(long long)st->st_atim.tv_sec, st->st_atim.tv_nsec,
			(long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
	return ok;
}

static int open_in(const char *dir, const char *name, int flags)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	unlink(path);
	return open(path, flags | O_CREAT, 0600);
}

static int unlink_in(const char *dir, const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return unlink(path);
}

static int reopen(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags);
}

int main(int argc, char **argv)
{
	int owned, sparse, shared_rw, shared_wo, shared_ro, kept_rw, kept_wo,
		kept_ro;
	char go[PATH_MAX], why[512] = "", buf[16] = "", fdpath[64],
			   path[PATH_MAX];
	struct stat st, st2, st3;
	off_t hole, data;
	int ok;

	if (argc != 2) {
		fprintf(stderr, "usage: deleted_files DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[1]);

	owned = open_in(argv[1], "owned", O_RDWR);
	if (owned < 0 || write(owned, "owned", 5) != 5 ||
	    fchown(owned, OWNER_UID, OWNER_GID) || fchmod(owned, OWNER_MODE) ||
	    futimens(owned, past) || unlink_in(argv[1], "owned")) {
		check("setup", 0, "owned: %s", strerror(errno));
		return 1;
	}
	sparse = open_in(argv[1], "sparse", O_RDWR);
	if (sparse < 0 || pwrite(sparse, "first", 5, 0) != 5 ||
	    pwrite(sparse, "second", 6, SPARSE_DATA2) != 6 ||
	    ftruncate(sparse, SPARSE_SIZE) || unlink_in(argv[1], "sparse")) {
		check("setup", 0, "sparse: %s", strerror(errno));
		return 1;
	}
	if (lseek(sparse, 0, SEEK_HOLE) >= SPARSE_SIZE) {
		check("setup", 0, "%s makes no holes", argv[1]);
		return 1;
	}
	shared_rw = open_in(argv[1], "shared", O_RDWR);
	shared_wo = shared_rw < 0 ? -1 : reopen(shared_rw, O_WRONLY);
	shared_ro = shared_rw < 0 ? -1 : reopen(shared_rw, O_RDONLY);
	if (shared_ro < 0 || shared_wo < 0 ||
	    write(shared_rw, "before", 6) != 6 ||
	    unlink_in(argv[1], "shared")) {
		check("setup", 0, "shared: %s", strerror(errno));
		return 1;
	}
	kept_rw = open_in(argv[1], "kept", O_RDWR);
	kept_wo = kept_rw < 0 ? -1 : reopen(kept_rw, O_WRONLY | O_APPEND);
	kept_ro = kept_rw < 0 ? -1 : reopen(kept_rw, O_RDONLY);
	if (kept_ro < 0 || kept_wo < 0 || write(kept_rw, "kept", 4) != 4 ||
	    lseek(kept_ro, 2, SEEK_SET) != 2 || futimens(kept_rw, past)) {
		check("setup", 0, "kept: %s", strerror(errno));
		return 1;
	}

	printf("READY\n");
	wait_for(go);

	/* Times first: any read or write of ours would move them. */
	ok = !fstat(owned, &st) && has_past_times(&st, why, sizeof(why));
	check("deleted-times", ok,
	      "a deleted file keeps its atime and mtime: %s", why);
	check("deleted-owner", st.st_uid == OWNER_UID && st.st_gid == OWNER_GID,
	      "a deleted file keeps its owner %u:%u (has %u:%u)", OWNER_UID,
	      OWNER_GID, st.st_uid, st.st_gid);
	check("deleted-mode", (st.st_mode & 07777) == OWNER_MODE,
	      "a deleted file keeps its mode %#o (has %#o)", OWNER_MODE,
	      st.st_mode & 07777);
	check("deleted-content",
	      pread(owned, buf, 5, 0) == 5 && !memcmp(buf, "owned", 5),
	      "and its content");
	why[0] = 0;
	ok = !fstat(kept_rw, &st) && has_past_times(&st, why, sizeof(why));
	check("reopened-times", ok,
	      "a file reopened by path keeps its atime and mtime: %s", why);

	hole = lseek(sparse, 0, SEEK_HOLE);
	data = lseek(sparse, hole < 0 ? 0 : hole, SEEK_DATA);
	ok = !fstat(sparse, &st) && st.st_size == SPARSE_SIZE && hole > 0 &&
	     hole < MIB && data >= MIB && data <= SPARSE_DATA2 &&
	     lseek(sparse, SPARSE_DATA2 + 4096, SEEK_DATA) < 0 &&
	     errno == ENXIO;
	check("sparse-holes", ok,
	      "a sparse deleted file keeps its holes: size %lld, first hole at %lld, next data at %lld, %lld blocks",
	      (long long)st.st_size, (long long)hole, (long long)data,
	      (long long)st.st_blocks);
	memset(buf, 0, sizeof(buf));
	ok = pread(sparse, buf, 5, 0) == 5 && !memcmp(buf, "first", 5) &&
	     pread(sparse, buf, 6, SPARSE_DATA2) == 6 &&
	     !memcmp(buf, "second", 6) && pread(sparse, buf, 4, MIB) == 4 &&
	     !memcmp(buf, "\0\0\0\0", 4);
	check("sparse-content", ok, "its data at 0 and 2 MiB, zeros between");

	ok = !fstat(shared_rw, &st) && !fstat(shared_wo, &st2) &&
	     !fstat(shared_ro, &st3) && st.st_ino == st2.st_ino &&
	     st.st_ino == st3.st_ino && st.st_dev == st2.st_dev &&
	     st.st_dev == st3.st_dev;
	check("shared-inode", ok,
	      "three opens of one deleted file are one file: inodes %lu %lu %lu",
	      (unsigned long)st.st_ino, (unsigned long)st2.st_ino,
	      (unsigned long)st3.st_ino);
	memset(buf, 0, sizeof(buf));
	ok = pwrite(shared_wo, "after", 5, 6) == 5 &&
	     pread(shared_ro, buf, 11, 0) == 11 &&
	     !memcmp(buf, "beforeafter", 11);
	check("shared-write-seen", ok,
	      "a write through the write-only open is read through the read-only one: '%s'",
	      buf);

	memset(buf, 0, sizeof(buf));
	ok = write(kept_wo, "+", 1) == 1 && read(kept_ro, buf, 3) == 3 &&
	     !memcmp(buf, "pt+", 3);
	check("reopened-shared", ok,
	      "a write through the write-only open of a kept file is read through another: '%s'",
	      buf);

	/* Last: a link made would change its ctime. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", owned);
	snprintf(path, sizeof(path), "%s/relinked", argv[1]);
	unlink(path);
	errno = 0;
	ok = linkat(AT_FDCWD, fdpath, AT_FDCWD, path, AT_SYMLINK_FOLLOW) &&
	     errno == ENOENT;
	check("deleted-unlinkable", ok,
	      "a deleted file cannot be given a name again (linkat(): %s)",
	      errno ? strerror(errno) : "a name made");
	return check_exit_status();
}
