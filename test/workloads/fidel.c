// SPDX-License-Identifier: GPL-2.0
/*
 * What a process observes about itself comes back, or the checkpoint
 * refuses it by name and the process runs on (issue 13, fidelity).
 * Usage:
 *   fidel full DIR: DIR/full, a node of /dev/full (1:7) made here, open
 *     read-write non-blocking, and /dev/full itself open write-only with
 *     O_APPEND; after DIR/go: each is 1:7 at its path (/proc/self/fd),
 *     with its flags, a write fails with ENOSPC and a read gives zeros.
 *   fidel dev PATH DIR: PATH (a device node) open read-only, non-blocking;
 *     after DIR/go, RESULT kept-running if it still is.
 *   fidel hugememfd DIR: a memfd_create(MFD_HUGETLB) of one huge page;
 *     after DIR/go, RESULT kept-running if it is still hugetlbfs's.
 *   fidel noreserve DIR: a SysV SHM_HUGETLB | SHM_NORESERVE segment of two
 *     huge pages, removed (IPC_RMID) and attached, its first page written;
 *     after DIR/go, RESULT kept-running if the page still reads so.
 *   fidel direct DIR: the program itself (on the repository's 9p mount,
 *     which has direct I/O) open with O_DIRECT; after DIR/go, RESULT
 *     kept-running if it still has O_DIRECT.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define HUGETLBFS_MAGIC 0x958458f6
#define HUGE (2UL << 20)

static char dir[PATH_MAX - 32];

static const char *in_dir(const char *name)
{
	static char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static void go(void)
{
	printf("READY\n");
	wait_for(in_dir("go"));
}

/* Whether fd is /dev/full at path with flags, and behaves so; why not in why. */
static int is_full(int fd, const char *path, int flags, char *why, size_t size)
{
	char link[64], at[PATH_MAX] = "", buf[8] = "xxxxxxx";
	struct stat st;
	ssize_t len;
	int has = fcntl(fd, F_GETFL), ok = 1;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	len = readlink(link, at, sizeof(at) - 1);
	if (len > 0)
		at[len] = 0;
	if (fstat(fd, &st) || !S_ISCHR(st.st_mode) ||
	    st.st_rdev != makedev(1, 7)) {
		note_to(why, size, "fd %d: mode %#o rdev %u:%u", fd, st.st_mode,
			major(st.st_rdev), minor(st.st_rdev));
		ok = 0;
	}
	if (strcmp(at, path)) {
		note_to(why, size, "fd %d at %s, not %s", fd, at, path);
		ok = 0;
	}
	if (has < 0 || (has & (O_ACCMODE | O_NONBLOCK | O_APPEND)) != flags) {
		note_to(why, size, "fd %d: flags %#x, not %#x", fd, has, flags);
		ok = 0;
	}
	errno = 0;
	if (write(fd, "x", 1) != -1 || errno != ENOSPC) {
		note_to(why, size, "fd %d: write: %s", fd, strerror(errno));
		ok = 0;
	}
	if ((flags & O_ACCMODE) == O_RDWR &&
	    (read(fd, buf, sizeof(buf)) != sizeof(buf) ||
	     memcmp(buf, "\0\0\0\0\0\0\0\0", 8))) {
		note_to(why, size, "fd %d: read no zeros", fd);
		ok = 0;
	}
	return ok;
}

static int full_mode(void)
{
	char why[512] = "";
	int rw, wo, ok;

	unlink(in_dir("full"));
	rw = mknod(in_dir("full"), S_IFCHR | 0600, makedev(1, 7)) ?
		     -1 :
		     open(in_dir("full"), O_RDWR | O_NONBLOCK);
	wo = open("/dev/full", O_WRONLY | O_APPEND);
	if (rw < 0 || wo < 0) {
		check("setup", 0, "/dev/full: %s", strerror(errno));
		return 1;
	}
	go();
	ok = is_full(rw, in_dir("full"), O_RDWR | O_NONBLOCK, why, sizeof(why));
	ok &= is_full(wo, "/dev/full", O_WRONLY | O_APPEND, why, sizeof(why));
	check("full", ok,
	      "/dev/full at its two paths, with its flags, full: %s",
	      ok ? "yes" : why);
	return check_exit_status();
}

static int dev_mode(const char *path)
{
	struct stat before, after;
	int fd = open(path, O_RDONLY | O_NONBLOCK);

	if (fd < 0 || fstat(fd, &before)) {
		check("setup", 0, "%s: %s", path, strerror(errno));
		return 1;
	}
	go();
	check("kept-running",
	      !fstat(fd, &after) && after.st_rdev == before.st_rdev,
	      "%s still open", path);
	return check_exit_status();
}

static int hugememfd_mode(void)
{
	struct statfs fs;
	int fd = memfd_create("huge", MFD_HUGETLB);

	if (fd < 0 || ftruncate(fd, HUGE)) {
		check("setup", 0, "memfd_create(MFD_HUGETLB): %s",
		      strerror(errno));
		return 1;
	}
	go();
	check("kept-running", !fstatfs(fd, &fs) && fs.f_type == HUGETLBFS_MAGIC,
	      "the hugetlb memfd is still hugetlbfs's");
	return check_exit_status();
}

static int noreserve_mode(void)
{
	int id = shmget(IPC_PRIVATE, 2 * HUGE,
			SHM_HUGETLB | SHM_NORESERVE | IPC_CREAT | 0600);
	char *mem = id < 0 ? (char *)-1 : shmat(id, NULL, 0);

	if (mem == (char *)-1) {
		check("setup", 0, "SHM_HUGETLB | SHM_NORESERVE: %s",
		      strerror(errno));
		return 1;
	}
	shmctl(id, IPC_RMID, NULL);
	mem[0] = 'n';
	go();
	check("kept-running", mem[0] == 'n',
	      "its segment's first page reads as written");
	return check_exit_status();
}

static int direct_mode(void)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_DIRECT);

	if (fd < 0) {
		check("setup", 0, "O_DIRECT: %s", strerror(errno));
		return 1;
	}
	go();
	check("kept-running", (fcntl(fd, F_GETFL) & O_DIRECT) != 0,
	      "O_DIRECT kept");
	return check_exit_status();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 3) {
		fprintf(stderr,
			"usage: fidel full|dev PATH|hugememfd|noreserve|direct DIR\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[argc - 1]);
	if (!strcmp(argv[1], "full"))
		return full_mode();
	if (!strcmp(argv[1], "dev") && argc == 4)
		return dev_mode(argv[2]);
	if (!strcmp(argv[1], "hugememfd"))
		return hugememfd_mode();
	if (!strcmp(argv[1], "noreserve"))
		return noreserve_mode();
	if (!strcmp(argv[1], "direct"))
		return direct_mode();
	return 2;
}
