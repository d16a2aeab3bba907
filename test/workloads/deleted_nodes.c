// SPDX-License-Identifier: GPL-2.0
/*
 * Deleted FIFOs and device nodes, and the less common open flags, must
 * come back exactly (issue 13). In DIR, before the checkpoint:
 *  - "fifo": a FIFO holding unread data, open for reading (twice: two open
 *    file descriptions, one of them dup()ed) and writing, given owner
 *    1234:2345, mode 0640 and times in the past, then deleted;
 *  - "null" (1:3) and "zero" (1:5): device nodes made with mknod, null
 *    open write-only and read-write (two descriptions of one inode), given
 *    owner 1234:2345, mode 0604 and times in the past, then deleted;
 *  - "noatime": a file open with O_NOATIME, "sync" and "dsync" with O_SYNC
 *    and O_DSYNC; the workload's own binary (on the repository's 9p mount,
 *    which has direct I/O) open with O_DIRECT; a packet-mode pipe
 *    (pipe2(O_DIRECT)); a pipe whose write end has O_APPEND (F_SETFL).
 * After DIR/go, before any other access: each node's st_mode, st_rdev,
 * owner, times and st_nlink 0 (fstat), the FIFO's data, one inode per node,
 * the devices behave as /dev/null and /dev/zero; each fd's F_GETFL.
 * Usage: deleted_nodes DIR
 *        deleted_nodes user DIR: as nobody, only DIR/null (made by root,
 *        1:3, 0666), opened read-write and deleted; checked after go.
 *        deleted_nodes packet DIR: a packet-mode pipe holding a packet,
 *        whose checkpoint is refused; sleeps.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define OWNER_UID 1234
#define OWNER_GID 2345
#define FIFO_MODE 0640
#define NODE_MODE 0604

static const struct timespec past[2] = {
	{ .tv_sec = 1000000000, .tv_nsec = 123456789 }, /* atime */
	{ .tv_sec = 1200000000, .tv_nsec = 987654321 }, /* mtime */
};

static char dir[PATH_MAX - 32];

static const char *in_dir(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static int same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether fd is a deleted node of that type, rdev, owner, mode and past times; why not in why. */
static int is_node(int fd, mode_t type, dev_t rdev, mode_t mode, char *why,
		   size_t size)
{
	struct stat st;

	if (fstat(fd, &st)) {
		note_to(why, size, "fstat: %s", strerror(errno));
		return 0;
	}
	if ((st.st_mode & S_IFMT) != type || (st.st_mode & 07777) != mode)
		note_to(why, size, "mode %#o, not %#o", st.st_mode,
			type | mode);
	if (type == S_IFCHR && st.st_rdev != rdev)
		note_to(why, size, "rdev %u:%u", major(st.st_rdev),
			minor(st.st_rdev));
	if (st.st_uid != OWNER_UID || st.st_gid != OWNER_GID)
		note_to(why, size, "owner %u:%u", st.st_uid, st.st_gid);
	if (!same_time(&st.st_atim, &past[0]) ||
	    !same_time(&st.st_mtim, &past[1]))
		note_to(why, size, "atime %lld.%09ld mtime %lld.%09ld",
			(long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
			(long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (st.st_nlink)
		note_to(why, size, "%lu links", (unsigned long)st.st_nlink);
	return !*why;
}

static ino_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static int owned_node(int fd, mode_t mode)
{
	return fchown(fd, OWNER_UID, OWNER_GID) || fchmod(fd, mode) ||
	       futimens(fd, past);
}

/* Whether fd's F_GETFL has all of want, and what it has in has. */
static int flags_have(int fd, int want, int *has)
{
	*has = fcntl(fd, F_GETFL);
	return *has >= 0 && (*has & want) == want;
}

static int user_mode(void)
{
	char go[PATH_MAX], why[256] = "";
	struct stat st;
	int null, ok;

	snprintf(go, sizeof(go), "%s/go", dir);
	null = open(in_dir("null"), O_RDWR);
	if (null < 0 || unlink(in_dir("null"))) {
		check("setup", 0, "null: %s", strerror(errno));
		return 1;
	}
	printf("READY\n");
	wait_for(go);
	ok = !fstat(null, &st) && S_ISCHR(st.st_mode) &&
	     st.st_rdev == makedev(1, 3) && !st.st_nlink &&
	     write(null, "x", 1) == 1;
	if (!ok)
		note_to(why, sizeof(why), "mode %#o rdev %u:%u nlink %lu",
			st.st_mode, major(st.st_rdev), minor(st.st_rdev),
			(unsigned long)st.st_nlink);
	check("node", ok, "a deleted /dev/null node held by nobody: %s", why);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	int rd, rd_dup, rd2, wr, null_wo, null_rw, zero, noatime, direct,
		sync_fd, dsync, packet[2], app[2], has, ok, packet_rd;
	char go[PATH_MAX], why[512] = "", buf[64];
	ssize_t got;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "packet")) {
		if (pipe2(packet, O_DIRECT) || write(packet[1], "a", 1) != 1)
			return 1;
		printf("READY\n");
		pause();
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "user")) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		return user_mode();
	}
	if (argc != 2) {
		fprintf(stderr, "usage: deleted_nodes [user] DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[1]);
	snprintf(go, sizeof(go), "%s/go", dir);

	unlink(in_dir("fifo"));
	rd = mkfifo(in_dir("fifo"), 0600) ?
		     -1 :
		     open(in_dir("fifo"), O_RDONLY | O_NONBLOCK);
	wr = rd < 0 ? -1 : open(in_dir("fifo"), O_WRONLY);
	rd2 = wr < 0 ? -1 : open(in_dir("fifo"), O_RDONLY | O_NONBLOCK);
	rd_dup = rd2 < 0 ? -1 : dup(rd);
	if (rd_dup < 0 || write(wr, "unread", 6) != 6 ||
	    owned_node(wr, FIFO_MODE) || unlink(in_dir("fifo"))) {
		check("setup", 0, "fifo: %s", strerror(errno));
		return 1;
	}
	unlink(in_dir("null"));
	unlink(in_dir("zero"));
	null_wo = mknod(in_dir("null"), S_IFCHR | 0600, makedev(1, 3)) ?
			  -1 :
			  open(in_dir("null"), O_WRONLY);
	null_rw = null_wo < 0 ? -1 : open(in_dir("null"), O_RDWR);
	zero = null_rw < 0 || mknod(in_dir("zero"), S_IFCHR | 0600,
				    makedev(1, 5)) ?
		       -1 :
		       open(in_dir("zero"), O_RDONLY);
	if (zero < 0 || owned_node(null_wo, NODE_MODE) ||
	    owned_node(zero, NODE_MODE) || unlink(in_dir("null")) ||
	    unlink(in_dir("zero"))) {
		check("setup", 0, "device nodes: %s", strerror(errno));
		return 1;
	}
	noatime = open(in_dir("noatime"), O_RDWR | O_CREAT | O_NOATIME, 0600);
	sync_fd = open(in_dir("sync"), O_WRONLY | O_CREAT | O_SYNC, 0600);
	dsync = open(in_dir("dsync"), O_WRONLY | O_CREAT | O_DSYNC, 0600);
	direct = open("/proc/self/exe", O_RDONLY | O_DIRECT);
	if (noatime < 0 || sync_fd < 0 || dsync < 0 || direct < 0 ||
	    pipe2(packet, O_DIRECT) ||
	    (packet_rd = fcntl(packet[0], F_GETFL)) < 0 || pipe(app) ||
	    fcntl(app[1], F_SETFL, fcntl(app[1], F_GETFL) | O_APPEND)) {
		check("setup", 0, "flags: %s", strerror(errno));
		return 1;
	}

	printf("READY\n");
	wait_for(go);

	/* fstat first: a read or write would move the times. */
	ok = is_node(rd, S_IFIFO, 0, FIFO_MODE, why, sizeof(why));
	check("fifo-node", ok,
	      "the deleted FIFO keeps its mode, owner, times, no link: %s",
	      why);
	*why = 0;
	if (ino_of(rd) != ino_of(wr) || ino_of(rd2) != ino_of(wr))
		note_to(why, sizeof(why), "inodes %lu %lu %lu",
			(unsigned long)ino_of(rd), (unsigned long)ino_of(wr),
			(unsigned long)ino_of(rd2));
	got = read(rd2, buf, sizeof(buf));
	if (got != 6 || memcmp(buf, "unread", 6))
		note_to(why, sizeof(why), "read %zd bytes", got);
	if (write(wr, "more", 4) != 4 || read(rd_dup, buf, sizeof(buf)) != 4 ||
	    memcmp(buf, "more", 4))
		note_to(why, sizeof(why),
			"written data not read through the dup: %s",
			strerror(errno));
	if ((fcntl(rd, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) !=
		    (O_RDONLY | O_NONBLOCK) ||
	    (fcntl(wr, F_GETFL) & (O_ACCMODE | O_NONBLOCK)) != O_WRONLY)
		note_to(why, sizeof(why), "flags %#x %#x", fcntl(rd, F_GETFL),
			fcntl(wr, F_GETFL));
	check("fifo-data", !*why,
	      "the deleted FIFO keeps its unread data, one pipe for all its fds: %s",
	      why);

	*why = 0;
	ok = is_node(null_wo, S_IFCHR, makedev(1, 3), NODE_MODE, why,
		     sizeof(why));
	ok = is_node(zero, S_IFCHR, makedev(1, 5), NODE_MODE, why,
		     sizeof(why)) &&
	     ok;
	check("node-attrs", ok,
	      "deleted device nodes keep rdev, mode, owner, times, no link: %s",
	      why);
	*why = 0;
	if (ino_of(null_wo) != ino_of(null_rw))
		note_to(why, sizeof(why), "two inodes for the null node");
	if ((fcntl(null_wo, F_GETFL) & O_ACCMODE) != O_WRONLY ||
	    (fcntl(null_rw, F_GETFL) & O_ACCMODE) != O_RDWR)
		note_to(why, sizeof(why), "access modes %#x %#x",
			fcntl(null_wo, F_GETFL), fcntl(null_rw, F_GETFL));
	if (write(null_wo, "gone", 4) != 4 || read(null_rw, buf, 4) != 0)
		note_to(why, sizeof(why), "null does not behave as /dev/null");
	memset(buf, 'x', 8);
	if (read(zero, buf, 8) != 8 || memcmp(buf, "\0\0\0\0\0\0\0\0", 8))
		note_to(why, sizeof(why), "zero does not read zeros");
	check("node-behaves", !*why,
	      "deleted /dev/null and /dev/zero nodes behave as such: %s", why);

	ok = flags_have(noatime, O_NOATIME, &has);
	check("noatime", ok, "O_NOATIME kept: F_GETFL %#x", has);
	ok = flags_have(direct, O_DIRECT, &has);
	check("direct", ok, "O_DIRECT kept on a 9p file: F_GETFL %#x", has);
	ok = flags_have(sync_fd, O_SYNC, &has);
	ok = flags_have(dsync, O_DSYNC, &has) && (has & O_SYNC) != O_SYNC && ok;
	check("sync", ok, "O_SYNC and O_DSYNC kept: F_GETFL %#x", has);
	/* pipe2() gives O_DIRECT to the write end only. */
	ok = fcntl(packet[0], F_GETFL) == packet_rd &&
	     flags_have(packet[1], O_DIRECT, &has);
	/* Packet mode: each write is read alone. */
	ok = ok && write(packet[1], "a", 1) == 1 &&
	     write(packet[1], "bc", 2) == 2 &&
	     read(packet[0], buf, sizeof(buf)) == 1 &&
	     read(packet[0], buf, sizeof(buf)) == 2;
	check("packet-pipe", ok,
	      "a packet-mode pipe (O_DIRECT) stays one: F_GETFL %#x", has);
	ok = flags_have(app[1], O_APPEND, &has);
	check("append-pipe", ok,
	      "a pipe given O_APPEND by F_SETFL keeps it: F_GETFL %#x", has);
	return check_exit_status();
}
