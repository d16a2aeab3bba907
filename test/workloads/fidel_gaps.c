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
 *   hardlink DIR: DIR/a open, linked as DIR/b, then DIR/a removed (the fd
 *     is still the inode DIR/b names);
 *   thread-fs DIR: a thread with a working directory and umask of its own
 *     (unshare(CLONE_FS)) in DIR/sub, umask 077 (the main thread's are not);
 *   chroot DIR: chrooted into DIR/jail (its root is still DIR/jail);
 *   tmpfile DIR: an O_TMPFILE file in DIR, written (F_GETFL still says
 *     O_TMPFILE, its content is there);
 *   tmpfile-linked DIR: the same, then given the name DIR/named by
 *     linkat() (still the inode that name reaches).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (at < 0 || chroot(in_dir("jail")) || chdir("/"))
		return setup_failed("chroot");
	/* Its directory is out of reach now: the go file through the fd. */
	printf("READY\n");
	while (faccessat(at, "go", F_OK, 0))
		nap();
	check("kept-running",
	      !stat("/", &root) && root.st_ino == jail.st_ino &&
		      root.st_dev == jail.st_dev,
	      "its root is still its jail");
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

static const struct {
	const char *name;
	int (*run)(void);
} modes[] = {
	{ "proc", proc_mode },
	{ "proc-cwd", proc_cwd_mode },
	{ "unix-deleted", unix_deleted_mode },
	{ "hardlink", hardlink_mode },
	{ "thread-fs", thread_fs_mode },
	{ "chroot", chroot_mode },
	{ "tmpfile", tmpfile_unlinked_mode },
	{ "tmpfile-linked", tmpfile_linked_mode },
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
