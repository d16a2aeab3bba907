// SPDX-License-Identifier: GPL-2.0
/*
 * A checkpoint must refuse a process holding a file it cannot save, and
 * leave it running as if nothing had happened. This one holds one such file
 * at fd 5, prints READY, then sleeps in short steps until DIR/go appears:
 * none of them may be cut short. Usage: files_refused KIND DIR, KIND one
 * of socket, pipe (to a process outside the tree), inotify (with an
 * event not read yet).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/sem.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

/* The semundo kind's set, removed when the workload ends. */
static int kept_sem = -1;

static int open_kind(const char *kind, const char *go_file)
{
	char path[4200];
	int fds[2], fd = -1;

	if (!strcmp(kind, "socket")) {
		/* A netlink socket of a protocol not saved (route and generic ones are). */
		fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_FIB_LOOKUP);
	} else if (!strcmp(kind, "pipe")) {
		/*
		 * A pipe whose write end a process outside the tree holds: a
		 * grandchild that its parent left to init, living until go.
		 */
		if (!pipe(fds)) {
			pid_t child = fork();

			if (child == 0) {
				if (fork() == 0) {
					close(fds[0]);
					while (access(go_file, F_OK) != 0)
						usleep(10000);
					_exit(0);
				}
				_exit(0);
			}
			waitpid(child, NULL, 0);
			fd = fds[0];
			close(fds[1]);
		}
	} else if (!strcmp(kind, "inotify")) {
		/* An inotify instance with an event it has not read. */
		int file;

		snprintf(path, sizeof(path), "%s.watched", go_file);
		file = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		fd = inotify_init1(0);
		if (file < 0 || inotify_add_watch(fd, path, IN_MODIFY) < 0 ||
		    write(file, "x", 1) != 1)
			return -1;
		close(file);
	} else if (!strcmp(kind, "semundo")) {
		/* A semaphore adjustment the kernel undoes at exit. */
		struct sembuf op = { .sem_num = 0,
				     .sem_op = 1,
				     .sem_flg = SEM_UNDO };
		int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);

		/* Kept: removing the set would drop the adjustment too. */
		if (sem < 0 || semop(sem, &op, 1))
			return -1;
		kept_sem = sem;
		fd = open("/dev/null", O_RDONLY);
	} else if (!strcmp(kind, "memfd")) {
		fd = memfd_create("cpt-test", 0);
	} else if (!strcmp(kind, "deleted")) {
		snprintf(path, sizeof(path), "%s.deleted", go_file);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	unsigned long rounds = 0, interrupted = 0;
	char go[4096];
	int fd;

	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	fd = open_kind(argv[1], go);
	if (fd < 0 || dup2(fd, 5) != 5) {
		check("setup", 0, "%s at fd 5: %s", argv[1], strerror(errno));
		return 1;
	}
	if (fd != 5)
		close(fd);
	printf("READY\n");
	while (access(go, F_OK) != 0) {
		if (nanosleep(&tick, NULL) && errno == EINTR)
			interrupted++;
		rounds++;
	}
	check("kept-running", interrupted == 0 && rounds > 0,
	      "%lu of %lu sleeps interrupted, with a %s at fd 5", interrupted,
	      rounds, argv[1]);
	/*
	 * No set left for the scenarios after this one: a checkpoint saves
	 * every SysV object it can read, and another user's restart of that
	 * image would find this one's id taken.
	 */
	if (kept_sem >= 0)
		semctl(kept_sem, 0, IPC_RMID);
	return check_exit_status();
}
