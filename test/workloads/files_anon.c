// SPDX-License-Identifier: GPL-2.0
/*
 * Files no path reaches: a regular file deleted while open (read-write,
 * with an offset), a second one open write-only, a memfd, two eventfds
 * (a counter and a semaphore), a signalfd, two timerfds (one armed far
 * ahead, one periodic with expirations not read yet), an epoll instance
 * watching two of them; and a named FIFO with data in it. After the
 * restart each must hold its content, offset and access mode, and still
 * be nameless (a deleted file in the same directory: its old name is not
 * kept; a memfd with its name); the two fds on the first deleted file
 * share one offset.
 * Usage: files_anon DIR   (goes on once DIR/go exists)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define DELETED_SIZE (100 * 1024)
#define MEMFD_SIZE (50 * 1024)

static unsigned char expect[DELETED_SIZE];

static void fill(unsigned char *p, size_t n, unsigned int seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (unsigned char)((i * 131 + seed) ^ (i >> 7));
}

static int content_is(int fd, size_t n, unsigned int seed)
{
	unsigned char *got = malloc(n);
	int ok;

	fill(expect, n, seed);
	ok = got && pread(fd, got, n, 0) == (ssize_t)n &&
	     !memcmp(got, expect, n);
	free(got);
	return ok;
}

static int nameless(int fd, const char *want)
{
	char link[64], target[4096];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return 0;
	target[n] = 0;
	return strstr(target, want) && strstr(target, "(deleted)");
}

int main(int argc, char **argv)
{
	char path[4096], go[4096];
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int del, del2, wonly, mfd, counter, sem, sem_reads = 0, got, fifo_r,
						 fifo_w, sfd, far, periodic;
	struct itimerspec far_in = { .it_value = { 1000, 0 } };
	struct itimerspec tick_in = { .it_value = { 0, 10000000 },
				      .it_interval = { 0, 10000000 } };
	struct itimerspec now;
	struct signalfd_siginfo si;
	struct epoll_event ev[4];
	int ep, n;
	sigset_t usr;
	char fifo_buf[64] = "";
	uint64_t value = 0;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, sizeof(go), "%s/go", argv[1]);

	snprintf(path, sizeof(path), "%s/deleted-rw", argv[1]);
	del = open(path, O_RDWR | O_CREAT | O_TRUNC, 0640);
	fill(expect, DELETED_SIZE, 1);
	if (del < 0 || write(del, expect, DELETED_SIZE) != DELETED_SIZE ||
	    unlink(path) || lseek(del, 1234, SEEK_SET) != 1234 ||
	    (del2 = dup(del)) < 0) {
		check("setup", 0, "deleted file: %s", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/deleted-wo", argv[1]);
	wonly = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
	fill(expect, 4096, 2);
	if (wonly < 0 || write(wonly, expect, 4096) != 4096 || unlink(path)) {
		check("setup", 0, "write-only deleted file: %s",
		      strerror(errno));
		return 1;
	}
	mfd = memfd_create("cpt-anon", 0);
	fill(expect, MEMFD_SIZE, 3);
	if (mfd < 0 || write(mfd, expect, MEMFD_SIZE) != MEMFD_SIZE ||
	    lseek(mfd, 77, SEEK_SET) != 77) {
		check("setup", 0, "memfd: %s", strerror(errno));
		return 1;
	}

	counter = eventfd(5, EFD_NONBLOCK);
	sem = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
	if (counter < 0 || sem < 0) {
		check("setup", 0, "eventfd: %s", strerror(errno));
		return 1;
	}

	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR1);
	sigaddset(&usr, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr, NULL);
	sfd = signalfd(-1, &usr, SFD_NONBLOCK);
	far = timerfd_create(CLOCK_MONOTONIC, 0);
	periodic = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
	if (sfd < 0 || far < 0 || periodic < 0 ||
	    timerfd_settime(far, 0, &far_in, NULL) ||
	    timerfd_settime(periodic, 0, &tick_in, NULL)) {
		check("setup", 0, "signalfd/timerfd: %s", strerror(errno));
		return 1;
	}
	/* Expirations pile up unread from here on. */
	nanosleep(&(struct timespec){ 0, 50000000 }, NULL);

	snprintf(path, sizeof(path), "%s/fifo", argv[1]);
	unlink(path);
	if (mkfifo(path, 0600) ||
	    (fifo_r = open(path, O_RDONLY | O_NONBLOCK)) < 0 ||
	    (fifo_w = open(path, O_WRONLY)) < 0 ||
	    write(fifo_w, "hello fifo", 10) != 10) {
		check("setup", 0, "fifo: %s", strerror(errno));
		return 1;
	}

	ep = epoll_create1(0);
	ev[0] = (struct epoll_event){ .events = EPOLLIN, .data.u64 = 0x1234 };
	ev[1] = (struct epoll_event){ .events = EPOLLIN | EPOLLET,
				      .data.u64 = 7 };
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, counter, &ev[0]) ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fifo_r, &ev[1])) {
		check("setup", 0, "epoll: %s", strerror(errno));
		return 1;
	}

	printf("READY\n");
	while (access(go, F_OK))
		nanosleep(&tick, NULL);

	n = epoll_wait(ep, ev, 4, 0);
	got = n == 2 && ev[0].events == EPOLLIN && ev[1].events == EPOLLIN &&
	      ev[0].data.u64 + ev[1].data.u64 == 0x1234 + 7;
	got = got && !epoll_ctl(ep, EPOLL_CTL_DEL, counter, NULL) &&
	      epoll_wait(ep, ev, 4, 0) == 0;
	check("epoll", got,
	      "%d ready with their data; the counter's watch removed by its fd",
	      n);
	check("deleted-content", content_is(del, DELETED_SIZE, 1),
	      "100 KiB read back");
	check("deleted-offset",
	      lseek(del2, 0, SEEK_CUR) == 1234 &&
		      lseek(del, 10, SEEK_CUR) == 1244 &&
		      lseek(del2, 0, SEEK_CUR) == 1244,
	      "offset 1234, shared by both fds");
	check("deleted-access",
	      (fcntl(del, F_GETFL) & O_ACCMODE) == O_RDWR &&
		      (fcntl(wonly, F_GETFL) & (O_ACCMODE | O_APPEND)) ==
			      (O_WRONLY | O_APPEND),
	      "O_RDWR, and O_WRONLY|O_APPEND");
	check("deleted-nameless",
	      nameless(del, argv[1]) && nameless(wonly, argv[1]),
	      "both still deleted, in their directory");
	check("write-only-appends",
	      write(wonly, "x", 1) == 1 && lseek(wonly, 0, SEEK_CUR) == 4097,
	      "an O_APPEND write lands at the end of 4096 bytes");
	check("memfd-content", content_is(mfd, MEMFD_SIZE, 3),
	      "50 KiB read back");
	check("memfd-offset", lseek(mfd, 0, SEEK_CUR) == 77, "offset 77");
	check("memfd-name", nameless(mfd, "memfd:cpt-anon"),
	      "still memfd:cpt-anon");
	got = read(counter, &value, 8) == 8 && value == 5;
	got = got && read(counter, &value, 8) < 0 && errno == EAGAIN;
	check("eventfd-counter", got, "read 5 then EAGAIN (first read %llu)",
	      (unsigned long long)value);
	while (sem_reads < 10 && read(sem, &value, 8) == 8 && value == 1)
		sem_reads++;
	check("eventfd-semaphore", sem_reads == 3 && errno == EAGAIN,
	      "%d reads of 1 before EAGAIN, want 3", sem_reads);
	got = read(fifo_r, fifo_buf, sizeof(fifo_buf) - 1) == 10 &&
	      !memcmp(fifo_buf, "hello fifo", 10);
	got = got && write(fifo_w, "more", 4) == 4 &&
	      read(fifo_r, fifo_buf, 4) == 4 && !memcmp(fifo_buf, "more", 4) &&
	      (fcntl(fifo_r, F_GETFL) & O_NONBLOCK) &&
	      !(fcntl(fifo_w, F_GETFL) & O_NONBLOCK);
	check("fifo-data", got,
	      "the FIFO held \"%.10s\", and still carries data", fifo_buf);
	got = read(sfd, &si, sizeof(si)) < 0 && errno == EAGAIN;
	got = got && !kill(getpid(), SIGUSR2) &&
	      read(sfd, &si, sizeof(si)) == sizeof(si) &&
	      si.ssi_signo == SIGUSR2;
	check("signalfd", got,
	      "nothing pending, then SIGUSR2 read through it (got %u)",
	      si.ssi_signo);
	got = !timerfd_gettime(far, &now) && now.it_value.tv_sec > 500 &&
	      now.it_value.tv_sec < 1000 && !now.it_interval.tv_sec &&
	      !now.it_interval.tv_nsec;
	check("timerfd-armed", got, "%ld s left of 1000, one-shot",
	      (long)now.it_value.tv_sec);
	value = 0;
	/* Expired and unread at the checkpoint: it counts on from the restart. */
	got = read(periodic, &value, 8) == 8 && value >= 1 &&
	      !timerfd_gettime(periodic, &now) &&
	      now.it_interval.tv_nsec == 10000000;
	check("timerfd-ticks", got, "%llu expirations read, period %ld ns",
	      (unsigned long long)value, now.it_interval.tv_nsec);
	return check_exit_status();
}
