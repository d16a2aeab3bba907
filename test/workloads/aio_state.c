// SPDX-License-Identifier: GPL-2.0
/*
 * AIO contexts (io_setup()) through checkpoint -> kill -> restart, with raw
 * syscalls: context A holds three completions not yet reaped (a read of a
 * file, a write to a pipe, a read that failed with EFAULT) after one reaped;
 * context B's ring wrapped around, with five unreaped; context C is empty.
 * After the restart each context, by its old id, gives the same completions
 * (data, obj, res), takes new requests, and io_destroy() ends it.
 * Usage: aio_state DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/aio_abi.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

/* fs/aio.c's ring header, which libaio reads too. */
struct ring {
	unsigned int id, nr, head, tail, magic, compat, incompat, header_length;
};

static struct iocb cbs[200];
static char bufs[8][16];

static long submit(aio_context_t ctx, struct iocb *cb, unsigned short op,
		   int fd, void *buf, size_t len, long long off,
		   unsigned long long data)
{
	struct iocb *p = cb;

	memset(cb, 0, sizeof(*cb));
	cb->aio_lio_opcode = op;
	cb->aio_fildes = fd;
	cb->aio_buf = (unsigned long)buf;
	cb->aio_nbytes = len;
	cb->aio_offset = off;
	cb->aio_data = data;
	return syscall(SYS_io_submit, ctx, 1, &p);
}

static long getevents(aio_context_t ctx, long min, long nr, struct io_event *ev)
{
	struct timespec timeout = { 2, 0 };

	return syscall(SYS_io_getevents, ctx, min, nr, ev, &timeout);
}

static int same(const struct io_event *ev, unsigned long long data,
		const struct iocb *cb, long long res)
{
	return ev->data == data && ev->obj == (unsigned long)cb &&
	       ev->res == res && ev->res2 == 0;
}

int main(int argc, char **argv)
{
	aio_context_t a = 0, b = 0, c = 0;
	char path[PATH_MAX + 16], go[PATH_MAX + 8], why[512] = "";
	struct io_event ev[8];
	int pipefd[2], file, i, ok;
	const struct ring *ra;
	long n;

	if (argc != 2)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(path, sizeof(path), "%s/aio.data", argv[1]);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (file < 0 || write(file, "abcdef", 6) != 6 || pipe(pipefd) ||
	    write(pipefd[1], "hello", 5) != 5 ||
	    syscall(SYS_io_setup, 16, &a) || syscall(SYS_io_setup, 1, &b) ||
	    syscall(SYS_io_setup, 4, &c)) {
		check("setup", 0, "setup: %s", strerror(errno));
		return 1;
	}
	/* A: one reaped, three not */
	ok = submit(a, &cbs[0], IOCB_CMD_PREAD, pipefd[0], bufs[0], 2, 0,
		    0x1111) == 1 &&
	     getevents(a, 1, 1, ev) == 1 &&
	     submit(a, &cbs[1], IOCB_CMD_PREAD, file, bufs[1], 3, 2, 0x2222) ==
		     1 &&
	     submit(a, &cbs[2], IOCB_CMD_PWRITE, pipefd[1], "wxyz", 4, 0,
		    0x3333) == 1 &&
	     submit(a, &cbs[3], IOCB_CMD_PREAD, pipefd[0], (void *)8, 4, 0,
		    0x4444) == 1;
	/* B: its ring of 127 events (1 CPU) wrapped: 125 reaped, five not */
	for (i = 0; ok && i < 130; i++) {
		ok = submit(b, &cbs[10 + i % 150], IOCB_CMD_PREAD, pipefd[0],
			    bufs[2], 0, 0, i) == 1;
		if (ok && i < 125)
			ok = getevents(b, 1, 1, ev) == 1;
	}
	if (!ok) {
		check("setup", 0, "submitting: %s", strerror(errno));
		return 1;
	}
	printf("READY %#llx %#llx %#llx\n", (unsigned long long)a,
	       (unsigned long long)b, (unsigned long long)c);
	wait_for_file(go, WAIT_FOREVER);

	ra = (const struct ring *)a;
	check("ring",
	      ra->head == 1 && ra->tail == 4 && ra->magic == 0xa10a10a1 &&
		      ra->header_length == 32,
	      "context A's ring header: head %u, tail %u, magic %#x, header %u",
	      ra->head, ra->tail, ra->magic, ra->header_length);

	n = getevents(a, 3, 8, ev);
	ok = n == 3 && same(&ev[0], 0x2222, &cbs[1], 3) &&
	     same(&ev[1], 0x3333, &cbs[2], 4) &&
	     same(&ev[2], 0x4444, &cbs[3], -EFAULT) &&
	     !memcmp(bufs[1], "cde", 3);
	check("events", ok,
	      "context A gives %ld completions (%#llx res %lld, ...), read %.3s",
	      n, n > 0 ? (unsigned long long)ev[0].data : 0ULL,
	      n > 0 ? (long long)ev[0].res : 0LL, bufs[1]);

	n = getevents(b, 5, 8, ev);
	ok = n == 5;
	for (i = 0; ok && i < 5; i++)
		ok = same(&ev[i], 125 + i, &cbs[10 + (125 + i) % 150], 0);
	check("events-wrapped", ok,
	      "context B, its ring wrapped, gives %ld completions (data %llu...)",
	      n, n > 0 ? (unsigned long long)ev[0].data : 0ULL);

	if (submit(a, &cbs[4], IOCB_CMD_PREAD, file, bufs[3], 2, 4, 0x5555) !=
		    1 ||
	    getevents(a, 1, 1, ev) != 1 || !same(&ev[0], 0x5555, &cbs[4], 2) ||
	    memcmp(bufs[3], "ef", 2))
		note_to(why, sizeof(why), "A: %s", strerror(errno));
	if (submit(b, &cbs[5], IOCB_CMD_PREAD, file, bufs[4], 1, 0, 0x6666) !=
		    1 ||
	    getevents(b, 1, 1, ev) != 1 || !same(&ev[0], 0x6666, &cbs[5], 1))
		note_to(why, sizeof(why), "B: %s", strerror(errno));
	if (submit(c, &cbs[6], IOCB_CMD_PREAD, file, bufs[5], 1, 1, 0x7777) !=
		    1 ||
	    getevents(c, 1, 1, ev) != 1 || !same(&ev[0], 0x7777, &cbs[6], 1))
		note_to(why, sizeof(why), "C: %s", strerror(errno));
	check("submit", !why[0], "new requests on each context complete%s%s",
	      why[0] ? ": " : "", why);

	why[0] = 0;
	if (syscall(SYS_io_destroy, a) || syscall(SYS_io_destroy, b) ||
	    syscall(SYS_io_destroy, c))
		note_to(why, sizeof(why), "io_destroy: %s", strerror(errno));
	if (submit(c, &cbs[7], IOCB_CMD_PREAD, file, bufs[6], 1, 0, 1) != -1 ||
	    errno != EINVAL)
		note_to(why, sizeof(why),
			"a destroyed context still takes requests");
	check("destroy", !why[0], "io_destroy() ends each context%s%s",
	      why[0] ? ": " : "", why);
	return check_exit_status();
}
