// SPDX-License-Identifier: GPL-2.0
/*
 * An AIO context (io_setup()) with a request in flight (a poll of an empty
 * pipe), which a checkpoint refuses by name. It prints READY and the ring's
 * address (the context's id), and once DIR/go exists checks that the
 * context still works: the poll completes once the pipe has data, and a
 * read submitted on it completes (RESULT kept-running).
 * Usage: aio_refused DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <linux/aio_abi.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

int main(int argc, char **argv)
{
	char go[PATH_MAX + 8], buf[8];
	struct timespec timeout = { 5, 0 };
	struct io_event ev = { 0 }, polled = { 0 };
	struct iocb cb = { 0 }, poll = { 0 }, *cbs[1] = { &cb },
		    *polls[1] = { &poll };
	aio_context_t ctx = 0;
	int fd, pipefd[2], ok;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	fd = open("/dev/zero", O_RDONLY);
	poll.aio_lio_opcode = IOCB_CMD_POLL;
	poll.aio_buf = POLLIN;
	poll.aio_data = 42;
	if (fd < 0 || pipe(pipefd) || syscall(SYS_io_setup, 8, &ctx) ||
	    (poll.aio_fildes = pipefd[0],
	     syscall(SYS_io_submit, ctx, 1, polls) != 1)) {
		check("setup", 0, "io_setup: %s", strerror(errno));
		return 1;
	}
	printf("READY %#llx\n", (unsigned long long)ctx);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	wait_for_file(go, WAIT_FOREVER);
	cb.aio_fildes = fd;
	cb.aio_lio_opcode = IOCB_CMD_PREAD;
	cb.aio_buf = (unsigned long)buf;
	cb.aio_nbytes = sizeof(buf);
	ok = write(pipefd[1], "x", 1) == 1 &&
	     syscall(SYS_io_getevents, ctx, 1, 1, &polled, &timeout) == 1 &&
	     polled.data == 42 && syscall(SYS_io_submit, ctx, 1, cbs) == 1 &&
	     syscall(SYS_io_getevents, ctx, 1, 1, &ev, &timeout) == 1 &&
	     ev.res == sizeof(buf);
	check("kept-running", ok, "its AIO context still reads (%s)",
	      ok ? "it does" : strerror(errno));
	return check_exit_status();
}
