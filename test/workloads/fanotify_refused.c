// SPDX-License-Identifier: GPL-2.0
/*
 * A fanotify instance at fd 3 that a checkpoint refuses, naming the fd:
 * "queued" has an event not read yet, "mount" a mark on a mount. It prints
 * READY, and once DIR/go exists checks that it still holds the instance
 * as it was (RESULT kept-running): the refused checkpoint must leave
 * it running, untouched.
 * Usage: fanotify_refused queued|mount DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

int main(int argc, char **argv)
{
	char file[PATH_MAX], go[PATH_MAX + 8],
		buf[4096] __attribute__((aligned(8)));
	struct pollfd p = { .events = POLLIN };
	int fd, f, ret = -1, ok;
	ssize_t n;

	if (argc != 3)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(file, sizeof(file), "%s/file", argv[2]);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK, O_RDONLY);
	if (fd >= 0 && !strcmp(argv[1], "queued")) {
		ret = fanotify_mark(fd, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD,
				    file);
		f = open(file, O_WRONLY);
		if (!ret && (f < 0 || write(f, "x", 1) != 1))
			ret = -1;
		if (f >= 0)
			close(f);
	} else if (fd >= 0 && !strcmp(argv[1], "mount")) {
		/* An event nothing makes there: none is queued by the checkpoint. */
		ret = fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_MOUNT,
				    FAN_OPEN_EXEC, AT_FDCWD, argv[2]);
	}
	if (fd != 3 || ret) {
		check("setup", 0, "%s at fd %d, mark %d: %s", argv[1], fd, ret,
		      strerror(errno));
		return 1;
	}
	printf("READY\n");
	snprintf(go, sizeof(go), "%s/go", argv[2]);
	wait_for_file(go, WAIT_FOREVER);
	if (!strcmp(argv[1], "mount")) {
		/* The mount mark is still there. */
		f = open("/proc/self/fdinfo/3", O_RDONLY);
		n = f < 0 ? -1 : read(f, buf, sizeof(buf) - 1);
		if (f >= 0)
			close(f);
		buf[n > 0 ? n : 0] = 0;
		ok = strstr(buf, "fanotify mnt_id:") != NULL;
	} else {
		/* The event not read is still there to read. */
		p.fd = fd;
		n = poll(&p, 1, 5000) == 1 ? read(fd, buf, sizeof(buf)) : -1;
		ok = n >= (ssize_t)FAN_EVENT_METADATA_LEN;
	}
	check("kept-running", ok,
	      "it still has its fanotify instance as it was (%s)", argv[1]);
	return check_exit_status();
}
