// SPDX-License-Identifier: GPL-2.0
/*
 * State a restart could only bring back changed, so a checkpoint refuses
 * it by name and the process runs on (issue 13, fidelity). Each mode sets
 * one up, prints READY, waits for DIR/go, then prints RESULT kept-running
 * if it is still as it was:
 *   proc DIR: /proc/self/status open (its "Pid:" line is this process's);
 *   proc-cwd DIR: its working directory /proc/self;
 *   unix-deleted DIR: a unix listener on DIR/sock, its socket file removed
 *     (still listening, and no socket file made again);
 *   unix-renamed-taken DIR: a unix listener on DIR/sock, its socket file
 *     renamed DIR/moved, then a file made at DIR/sock (still listening,
 *     DIR/moved reaching it);
 *   hardlink DIR: DIR/a open, linked as DIR/b, then DIR/a removed (the fd
 *     is still the inode DIR/b names);
 *   thread-fs DIR: a thread with a working directory and umask of its own
 *     (unshare(CLONE_FS)) in DIR/sub, umask 077 (the main thread's are not);
 *   chroot-deleted DIR: chrooted into DIR/jail, then DIR/jail removed
 *     (its root is still that directory, no name reaches it);
 *   tmpfile DIR: an O_TMPFILE file in DIR, written (F_GETFL still says
 *     O_TMPFILE, its content is there);
 *   tmpfile-linked DIR: the same, then given the name DIR/named by
 *     linkat() (still the inode that name reaches);
 *   tty DIR: the pty slave whose path DIR/pts holds, its master held
 *     outside the tree, open at fd 3 or higher (still that tty);
 *   deleted-dir DIR: the directory DIR/d open, then removed (still a
 *     directory no name reaches: nothing may be made in it);
 *   inotify-deleted DIR: an inotify watch (IN_MODIFY) on DIR/w, open, then
 *     removed (a write to it still gives the watch an event);
 *   memfd-big DIR: a memfd of 9 MiB of data (still 9 MiB, its bytes kept).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

static char dir[PATH_MAX - 32];

/* DIR/name, in one of two buffers: a call may take two of them (link()). */
static const char *in_dir(const char *name)
{
	static char path[2][PATH_MAX];
	static int next;

	next = !next;
	snprintf(path[next], sizeof(path[next]), "%s/%s", dir, name);
	return path[next];
}

static void go(void)
{
	printf("READY\n");
	wait_for(in_dir("go"));
}

static int setup_failed(const char *what)
{
	check("setup", 0, "%s: %s", what, strerror(errno));
	return 1;
}

/* Whether the open /proc status file fd (at its start) is this process's. */
static int status_is_mine(int fd)
{
	char buf[4096], want[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = 0;
	snprintf(want, sizeof(want), "\nPid:\t%d\n", (int)getpid());
	return strstr(buf, want) != NULL;
}

static int proc_mode(void)
{
	int fd = open("/proc/self/status", O_RDONLY);

	if (fd < 0)
		return setup_failed("/proc/self/status");
	go();
	check("kept-running", status_is_mine(fd),
	      "its /proc status file is its own");
	return check_exit_status();
}

static int proc_cwd_mode(void)
{
	int fd;

	if (chdir("/proc/self"))
		return setup_failed("chdir /proc/self");
	go();
	fd = open("status", O_RDONLY);
	check("kept-running", fd >= 0 && status_is_mine(fd),
	      "its working directory is its own /proc entry");
	return check_exit_status();
}

static int unix_deleted_mode(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), listening = 0;
	socklen_t len = sizeof(listening);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%.*s",
		 (int)sizeof(addr.sun_path) - 1, in_dir("sock"));
	unlink(addr.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 4) || unlink(addr.sun_path))
		return setup_failed("unix listener");
	go();
	check("kept-running",
	      !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) &&
		      listening && access(in_dir("sock"), F_OK) &&
		      errno == ENOENT,
	      "still listening, with no socket file");
	return check_exit_status();
}

static int unix_renamed_taken_mode(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX }, moved = addr;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0), client, taken, reached;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%.*s",
		 (int)sizeof(addr.sun_path) - 1, in_dir("sock"));
	snprintf(moved.sun_path, sizeof(moved.sun_path), "%.*s",
		 (int)sizeof(moved.sun_path) - 1, in_dir("moved"));
	unlink(addr.sun_path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(fd, 4) || rename(addr.sun_path, moved.sun_path))
		return setup_failed("unix listener");
	taken = open(addr.sun_path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (taken < 0)
		return setup_failed("a file at its name");
	close(taken);
	go();
	client = socket(AF_UNIX, SOCK_STREAM, 0);
	reached = client >= 0 &&
		  !connect(client, (struct sockaddr *)&moved, sizeof(moved));
	check("kept-running", reached, "still listening, reached at %s",
	      moved.sun_path);
	return check_exit_status();
}

static int hardlink_mode(void)
{
	struct stat st, other;
	int fd;

	unlink(in_dir("a"));
	unlink(in_dir("b"));
	fd = open(in_dir("a"), O_RDWR | O_CREAT, 0600);
	if (fd < 0 || write(fd, "a", 1) != 1 ||
	    link(in_dir("a"), in_dir("b")) || unlink(in_dir("a")))
		return setup_failed("hard link");
	go();
	check("kept-running",
	      !fstat(fd, &st) && !stat(in_dir("b"), &other) &&
		      st.st_ino == other.st_ino && st.st_nlink == 1,
	      "the fd is still the inode the other link names");
	return check_exit_status();
}

static char sub[PATH_MAX];

/* The thread of thread-fs: its own cwd and umask, checked after go. */
static void *own_fs(void *arg)
{
	char cwd[PATH_MAX] = "";
	mode_t mask;
	int *ok = arg;

	if (unshare(CLONE_FS) || chdir(sub)) {
		check("setup", 0, "unshare(CLONE_FS): %s", strerror(errno));
		return NULL;
	}
	umask(077);
	go();
	mask = umask(077);
	*ok = getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, sub) && mask == 077;
	return NULL;
}

static int thread_fs_mode(void)
{
	char cwd[PATH_MAX] = "";
	pthread_t thread;
	mode_t mask;
	int ok = 0;

	snprintf(sub, sizeof(sub), "%s", in_dir("sub"));
	if ((mkdir(sub, 0755) && errno != EEXIST) || chdir(dir))
		return setup_failed("thread-fs directories");
	umask(022);
	if (pthread_create(&thread, NULL, own_fs, &ok))
		return setup_failed("pthread_create");
	pthread_join(thread, NULL);
	mask = umask(022);
	check("kept-running",
	      ok && getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, dir) &&
		      mask == 022,
	      "the thread kept its own working directory and umask, the main thread its");
	return check_exit_status();
}

static int chroot_mode(void)
{
	struct stat jail, root;
	int at = open(dir, O_PATH | O_DIRECTORY);

	if ((mkdir(in_dir("jail"), 0755) && errno != EEXIST) ||
	    stat(in_dir("jail"), &jail))
		return setup_failed("jail");
	if (at < 0 || chroot(in_dir("jail")) || chdir("/") ||
	    unlinkat(at, "jail", AT_REMOVEDIR))
		return setup_failed("chroot");
	/* Its directory is out of reach now: the go file through the fd. */
	printf("READY\n");
	while (faccessat(at, "go", F_OK, 0))
		nap();
	check("kept-running",
	      !stat("/", &root) && root.st_ino == jail.st_ino &&
		      root.st_dev == jail.st_dev,
	      "its root is still its removed jail");
	return check_exit_status();
}

static int tmpfile_mode(int linked)
{
	struct stat st, named;
	char buf[4] = "", fdpath[64];
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600), ok;

	if (fd < 0 || write(fd, "tmp", 3) != 3)
		return setup_failed("O_TMPFILE");
	if (linked) {
		unlink(in_dir("named"));
		snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, fdpath, AT_FDCWD, in_dir("named"),
			   AT_SYMLINK_FOLLOW))
			return setup_failed("linkat");
	}
	go();
	ok = (fcntl(fd, F_GETFL) & O_TMPFILE) == O_TMPFILE &&
	     pread(fd, buf, 3, 0) == 3 && !memcmp(buf, "tmp", 3);
	if (linked)
		ok &= !fstat(fd, &st) && !stat(in_dir("named"), &named) &&
		      st.st_ino == named.st_ino;
	check("kept-running", ok, "still an O_TMPFILE file with its content");
	return check_exit_status();
}

static int tmpfile_unlinked_mode(void)
{
	return tmpfile_mode(0);
}

static int tmpfile_linked_mode(void)
{
	return tmpfile_mode(1);
}

static int tty_mode(void)
{
	char pts[PATH_MAX] = "";
	struct stat st, node;
	FILE *f = fopen(in_dir("pts"), "r");
	int fd;

	if (!f || !fgets(pts, sizeof(pts), f))
		return setup_failed("DIR/pts");
	fclose(f);
	pts[strcspn(pts, "\n")] = 0;
	fd = open(pts, O_RDWR | O_NOCTTY);
	if (fd < 3)
		return setup_failed(pts);
	go();
	check("kept-running",
	      isatty(fd) && !fstat(fd, &st) && !stat(pts, &node) &&
		      st.st_rdev == node.st_rdev,
	      "fd %d is still the tty %s", fd, pts);
	return check_exit_status();
}

static int deleted_dir_mode(void)
{
	struct stat st;
	int fd;

	rmdir(in_dir("d"));
	if (mkdir(in_dir("d"), 0755))
		return setup_failed("mkdir");
	fd = open(in_dir("d"), O_RDONLY | O_DIRECTORY);
	if (fd < 0 || rmdir(in_dir("d")))
		return setup_failed("deleted directory");
	go();
	check("kept-running",
	      !fstat(fd, &st) && S_ISDIR(st.st_mode) && st.st_nlink == 0 &&
		      openat(fd, "f", O_CREAT | O_WRONLY, 0600) < 0 &&
		      errno == ENOENT,
	      "fd %d is still a removed directory", fd);
	return check_exit_status();
}

static int inotify_deleted_mode(void)
{
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev = (const void *)buf;
	int in = inotify_init1(IN_NONBLOCK), fd, wd;
	ssize_t n;

	unlink(in_dir("w"));
	fd = open(in_dir("w"), O_RDWR | O_CREAT, 0600);
	wd = in < 0 || fd < 0 ? -1 :
				inotify_add_watch(in, in_dir("w"), IN_MODIFY);
	if (wd < 0 || unlink(in_dir("w")))
		return setup_failed("inotify watch");
	go();
	n = write(fd, "w", 1) == 1 ? read(in, buf, sizeof(buf)) : -1;
	check("kept-running",
	      n >= (ssize_t)sizeof(*ev) && ev->wd == wd &&
		      (ev->mask & IN_MODIFY),
	      "a write to the removed file gives watch %d an event: read %zd",
	      wd, n);
	return check_exit_status();
}

#define BIG_MEMFD (9UL << 20)

static int memfd_big_mode(void)
{
	int fd = memfd_create("fidel-big", 0);
	char *data = malloc(BIG_MEMFD);
	struct stat st;
	char c = 0;

	if (!data)
		return setup_failed("malloc");
	memset(data, 0x5a, BIG_MEMFD);
	if (fd < 0 || write(fd, data, BIG_MEMFD) != (ssize_t)BIG_MEMFD)
		return setup_failed("memfd");
	free(data);
	go();
	check("kept-running",
	      !fstat(fd, &st) && st.st_size == (off_t)BIG_MEMFD &&
		      pread(fd, &c, 1, BIG_MEMFD - 1) == 1 && c == 0x5a,
	      "the memfd still has its 9 MiB");
	return check_exit_status();
}

static const struct {
	const char *name;
	int (*run)(void);
} modes[] = {
	{ "proc", proc_mode },
	{ "proc-cwd", proc_cwd_mode },
	{ "unix-deleted", unix_deleted_mode },
	{ "unix-renamed-taken", unix_renamed_taken_mode },
	{ "hardlink", hardlink_mode },
	{ "thread-fs", thread_fs_mode },
	{ "chroot-deleted", chroot_mode },
	{ "tmpfile", tmpfile_unlinked_mode },
	{ "tmpfile-linked", tmpfile_linked_mode },
	{ "tty", tty_mode },
	{ "deleted-dir", deleted_dir_mode },
	{ "inotify-deleted", inotify_deleted_mode },
	{ "memfd-big", memfd_big_mode },
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3) {
		snprintf(dir, sizeof(dir), "%s", argv[2]);
		for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (!strcmp(argv[1], modes[i].name))
				return modes[i].run();
	}
	fprintf(stderr, "usage: fidel_gaps MODE DIR, MODE one of:");
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fprintf(stderr, " %s", modes[i].name);
	fprintf(stderr, "\n");
	return 2;
}
