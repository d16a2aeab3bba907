// SPDX-License-Identifier: GPL-2.0
/*
 * Holds one mapping a checkpoint must refuse, and checks afterwards that the
 * refused checkpoint left it and the rest of its memory as they were.
 *
 * Usage: mm_refused KIND GO
 *   KIND: memfd (a memfd mapping), deleted (a mapping of a deleted file),
 *   sysv (a SysV shared memory segment), uffd (memory registered with
 *   userfaultfd, whose fd stays open). Prints READY when set up, waits for SIGUSR1 or for the
 *   file GO, then reports RESULT lines.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define SIZE (16 * 4096UL)

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

static unsigned char *refused_mapping(const char *kind)
{
	unsigned char *p = MAP_FAILED;
	char path[] = "/tmp/mm_refused.XXXXXX";
	int fd = -1;

	if (!strcmp(kind, "memfd")) {
		fd = memfd_create("mm_refused", 0);
		if (fd >= 0 && ftruncate(fd, SIZE) == 0)
			p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
	} else if (!strcmp(kind, "deleted")) {
		fd = mkstemp(path);
		if (fd >= 0 && ftruncate(fd, SIZE) == 0 && unlink(path) == 0)
			p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
				 fd, 0);
	} else if (!strcmp(kind, "sysv")) {
		int id = shmget(IPC_PRIVATE, SIZE, IPC_CREAT | 0600);

		if (id >= 0) {
			p = shmat(id, NULL, 0);
			shmctl(id, IPC_RMID, NULL);
			if (p == (void *)-1)
				p = MAP_FAILED;
		}
	} else if (!strcmp(kind, "uffd")) {
		struct uffdio_api api = { .api = UFFD_API };
		struct uffdio_register reg = {
			.mode = UFFDIO_REGISTER_MODE_MISSING
		};

		fd = syscall(SYS_userfaultfd, O_CLOEXEC);
		p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		reg.range.start = (unsigned long)p;
		reg.range.len = SIZE;
		if (fd < 0 || ioctl(fd, UFFDIO_API, &api) ||
		    ioctl(fd, UFFDIO_REGISTER, &reg))
			return MAP_FAILED;
		/* Its pages are not touched: a missing page would wait for a handler. */
		return p;
	}
	/* Only the mapping is left for the checkpoint to see, not the fd. */
	if (fd >= 0)
		close(fd);
	if (p != MAP_FAILED)
		memset(p, 0x3c, SIZE);
	return p;
}

int main(int argc, char **argv)
{
	unsigned char *refused, *mine;
	size_t i;
	int ok;

	if (argc != 3) {
		fprintf(stderr, "usage: %s memfd|deleted|sysv|uffd GO\n",
			argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);
	refused = refused_mapping(argv[1]);
	if (refused == MAP_FAILED) {
		perror(argv[1]);
		return 2;
	}
	mine = mmap(NULL, SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	for (i = 0; i < SIZE; i++)
		mine[i] = (unsigned char)(i * 7);
	printf("READY %d\n", getpid());

	while (!go && access(argv[2], F_OK)) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}

	for (ok = 1, i = 0; i < SIZE; i++)
		ok &= mine[i] == (unsigned char)(i * 7);
	if (strcmp(argv[1], "uffd"))
		for (i = 0; i < SIZE; i++)
			ok &= refused[i] == 0x3c;
	check("mm_refused_intact", ok,
	      "%s: memory unchanged after the refused checkpoint", argv[1]);
	return check_exit_status();
}
