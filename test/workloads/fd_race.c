// SPDX-License-Identifier: GPL-2.0
/*
 * A file made by one of the kernel's syscalls during a restart sits in the
 * restoring task's fd table until the module takes it: another thread of
 * that process, sharing the table, could put another file at its number
 * meanwhile (dup2), and the module would treat that file as the one it
 * made. A restart must refuse such a restoring process.
 *
 *   fd_race hold KIND [DIR] holds one file of KIND (inotify: a watch on /tmp;
 *                           timerfd: armed, periodic, with unread ticks;
 *                           listener: a unix stream socket listening on
 *                           DIR/lll...l, a path of all 108 bytes of
 *                           sun_path; abstract: a unix stream socket
 *                           listening on @DIR; pair: a unix stream socket
 *                           pair), prints READY and sleeps until killed
 *   fd_race race IMAGE PID SECONDS
 *                           restarts IMAGE (of a holder whose pid was PID)
 *                           through the module's ioctls, again and again for
 *                           SECONDS (longer, until MIN_ATTEMPTS are made,
 *                           where restarts are slow), each time up to its
 *                           FILES record, with an extra thread of the
 *                           restoring process looping
 *                           dup2(eventfd, N); close(N) over the numbers the
 *                           module's syscalls take. Every attempt must end in
 *                           a clean errno (the kernel must not warn or oops),
 *                           and the FILES record must be refused, naming the
 *                           thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "check.h"
#include "restart.h"

#define RACER_STACK (64 << 10)
/* How many numbers from the lowest free one the racer swaps. */
#define RACED_FDS 4
/*
 * Fewer attempts than this test too little of the race: SECONDS are
 * stretched, up to restart_wait_ms(MIN_ATTEMPTS_MS), until they are made
 * (a debug kernel's restarts are many times slower).
 */
#define MIN_ATTEMPTS 20
#define MIN_ATTEMPTS_MS 10000

/* A listener on a path as long as sun_path holds (no NUL in it). */
static int listen_long(const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(dir);
	int fd;

	if (len + 2 > sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, dir, len);
	memset(sun.sun_path + len, 'l', sizeof(sun.sun_path) - len);
	sun.sun_path[len] = '/';
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fd, 8))
		return -1;
	return fd;
}

/* A listener on the abstract name @name. */
static int listen_abstract(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd;

	if (len + 1 > sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path + 1, name, len);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sun,
		 offsetof(struct sockaddr_un, sun_path) + 1 + len) ||
	    listen(fd, 8))
		return -1;
	return fd;
}

static int hold(const char *kind, const char *dir)
{
	struct itimerspec its = { .it_value.tv_nsec = 1000000,
				  .it_interval.tv_nsec = 1000000 };
	int fd = -1;

	if (!strcmp(kind, "inotify")) {
		fd = inotify_init1(0);
		if (fd >= 0 && inotify_add_watch(fd, "/tmp", IN_CREATE) < 0)
			fd = -1;
	} else if (!strcmp(kind, "timerfd")) {
		fd = timerfd_create(CLOCK_MONOTONIC, 0);
		if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL))
			fd = -1;
		usleep(20000); /* some ticks, unread */
	} else if (!strcmp(kind, "listener") && dir) {
		fd = listen_long(dir);
	} else if (!strcmp(kind, "abstract") && dir) {
		fd = listen_abstract(dir);
	} else if (!strcmp(kind, "pair")) {
		int pair[2];

		fd = socketpair(AF_UNIX, SOCK_STREAM, 0, pair) ? -1 : pair[0];
	}
	if (fd < 0) {
		printf("cannot make a %s\n", kind);
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	for (;;)
		pause();
}

static int racer_fd, racer_lowest;
static volatile int racer_stop;

static int racer(void *unused)
{
	int k;

	(void)unused;
	while (!racer_stop) {
		for (k = 0; k < RACED_FDS; k++)
			syscall(SYS_dup2, racer_fd, racer_lowest + k);
		for (k = 0; k < RACED_FDS; k++)
			syscall(SYS_close, racer_lowest + k);
	}
	return 0;
}

struct report {
	int subsys; /* the record that failed, 0: FILES restored */
	int err;
	char message[256];
};

/* The restoring child: the racer thread, then TASK, SIGNALS and FILES. */
static void restore_child(int dev, int report_fd)
{
	struct report rep = { 0 };
	struct cpt_message msg = { .buf = (uintptr_t)rep.message,
				   .size = sizeof(rep.message) };
	char *stack;
	sigset_t all;
	int subsys;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	racer_fd = eventfd(0, EFD_CLOEXEC);
	racer_lowest = dup(0);
	close(racer_lowest);
	stack = mmap(NULL, RACER_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (racer_fd < 0 || stack == MAP_FAILED ||
	    clone(racer, stack + RACER_STACK,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			  CLONE_THREAD | CLONE_SYSVSEM,
		  NULL) < 0)
		_exit(126);
	for (subsys = CPT_SUBSYS_TASK; subsys <= CPT_SUBSYS_FILES; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_RESTORE, &req)) {
			rep.subsys = subsys;
			rep.err = errno;
			ioctl(dev, CPT_IOC_MESSAGE, &msg);
			break;
		}
	}
	racer_stop = 1;
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(126);
	_exit(0);
}

/* One restart up to FILES; 0 and the child's report, or -1 for an oddity. */
static int attempt(int img, pid_t pid, struct report *rep)
{
	struct cpt_init init = { .mode = CPT_MODE_RESTART, .image_fd = img };
	struct cpt_next_id next = { .kind = CPT_ID_PID, .id = pid };
	int dev, report[2], status, ret = -1;
	pid_t child;

	if (lseek(img, 0, SEEK_SET))
		return -1;
	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, CPT_IOC_INIT, &init) ||
	    restart_skip_manifest(img) || pipe2(report, O_CLOEXEC)) {
		printf("cannot start a restart: %s\n", strerror(errno));
		goto out;
	}
	if (ioctl(dev, CPT_IOC_SET_NEXT_ID, &next))
		goto out_pipe;
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		restore_child(dev, report[1]);
	if (child < 0)
		goto out_pipe;
	close(report[1]);
	report[1] = -1;
	if (read(report[0], rep, sizeof(*rep)) == sizeof(*rep))
		ret = 0;
	close(dev); /* aborts the session */
	dev = -1;
	if (waitpid(child, &status, 0) != child)
		ret = -1;
out_pipe:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
out:
	if (dev >= 0)
		close(dev);
	return ret;
}

static int race(const char *image, pid_t pid, int seconds)
{
	unsigned int tries = 0, restored = 0, refused = 0, other = 0,
		     oddities = 0;
	char first_other[300] = "", message[256] = "";
	struct timespec start, now;
	long elapsed_ms;
	struct report rep;
	int img;

	img = open(image, O_RDONLY | O_CLOEXEC);
	if (img < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		tries++;
		if (attempt(img, pid, &rep)) {
			oddities++;
		} else if (!rep.subsys) {
			restored++;
		} else if (rep.subsys == CPT_SUBSYS_FILES && rep.err == EBUSY &&
			   strstr(rep.message, "thread")) {
			if (!refused++)
				memcpy(message, rep.message, sizeof(message));
		} else if (!other++) {
			snprintf(first_other, sizeof(first_other),
				 "record %d: %s (%.200s)", rep.subsys,
				 strerror(rep.err), rep.message);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000;
	} while (elapsed_ms < seconds * 1000L ||
		 (tries < MIN_ATTEMPTS &&
		  elapsed_ms < restart_wait_ms(MIN_ATTEMPTS_MS)));
	printf("%u attempts: %u restored FILES, %u refused, %u other errors, %u oddities\n",
	       tries, restored, refused, other, oddities);
	check("attempts", tries >= MIN_ATTEMPTS && !oddities,
	      "%u attempts, %u without an errno or a report", tries, oddities);
	check("clean", !other, "%u ended in another errno; first: %s", other,
	      first_other);
	check("threads-refused", refused == tries,
	      "%u of %u refused; message: %s", refused, tries, message);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3]);
	if (argc == 5 && !strcmp(argv[1], "race"))
		return race(argv[2], atoi(argv[3]), atoi(argv[4]));
	return 2;
}
