// SPDX-License-Identifier: GPL-2.0
/*
 * fanotify instances across checkpoint/restart: each must come back with
 * its fanotify_init() flags and event flags, its marks with their flags,
 * masks and ignore masks, whether it was made without CAP_SYS_ADMIN, and
 * report what happens after the restart.
 *
 * Instance A (FAN_CLASS_NOTIF, FAN_CLOEXEC | FAN_NONBLOCK, event fds
 * O_RDONLY | O_CLOEXEC) marks DIR/file for writes and closes after
 * writing, DIR/sub and its children for opens with an ignore mask of the
 * FAN_MARK_IGNORE kind, DIR/held (kept open) evictably for writes, and
 * DIR's filesystem with an ignore mask only (the old kind, surviving
 * writes). Instance B is made without CAP_SYS_ADMIN in the effective set
 * (FAN_REPORT_FID: an unprivileged group, which may mark no filesystem),
 * blocking, without close-on-exec. Both fdinfo texts are kept, then READY;
 * after DIR/go they are compared with what the restarted process shows,
 * and events are made and read.
 * Usage: fanotify_state DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define TIMEOUT_MS 5000
/*
 * How long no other event must come: an event is queued by the syscall that
 * causes it before that returns (a close's by its final fput, run before
 * close() returns), so any stray one of this process is there already; this
 * is for one coming from elsewhere, e.g. a file the restart left to be
 * released later.
 */
#define QUIET_MS 500

/* What /proc/self/fdinfo/FD shows from its "fanotify flags:" line on. */
static int fanotify_fdinfo(int fd, char *buf, size_t size)
{
	char path[64], all[8192];
	const char *from;
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = f < 0 ? -1 : read(f, all, sizeof(all) - 1);
	if (f >= 0)
		close(f);
	if (n <= 0)
		return -1;
	all[n] = 0;
	from = strstr(all, "fanotify flags:");
	if (!from)
		return -1;
	snprintf(buf, size, "%s", from);
	return 0;
}

/* CAP_SYS_ADMIN in or out of the effective set (the permitted set keeps it). */
static int set_sys_admin(int on)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	if (on)
		d[0].effective |= 1U << CAP_SYS_ADMIN;
	else
		d[0].effective &= ~(1U << CAP_SYS_ADMIN);
	return syscall(SYS_capset, &h, d);
}

/* The next event of fd within timeout_ms: its mask and the inode of its fd. */
static int next_event(int fd, int timeout_ms, unsigned long long *mask,
		      ino_t *ino)
{
	char buf[4096] __attribute__((aligned(8)));
	const struct fanotify_event_metadata *ev = (const void *)buf;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct stat st;

	if (poll(&p, 1, timeout_ms) != 1 ||
	    read(fd, buf, sizeof(buf)) < (ssize_t)FAN_EVENT_METADATA_LEN ||
	    ev->vers != FANOTIFY_METADATA_VERSION)
		return 0;
	*mask = ev->mask;
	*ino = 0;
	if (ev->fd >= 0) {
		if (!fstat(ev->fd, &st))
			*ino = st.st_ino;
		close(ev->fd);
	}
	return 1;
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

/* Writes a byte to path, and closes it. */
static int poke(const char *path)
{
	int f = open(path, O_WRONLY);
	int ok = f >= 0 && write(f, "x", 1) == 1;

	if (f >= 0)
		close(f);
	return ok;
}

int main(int argc, char **argv)
{
	char file[PATH_MAX], sub[PATH_MAX], child[PATH_MAX], held[PATH_MAX],
		go[PATH_MAX + 8];
	static char info_a[8192], info_b[8192], now[8192];
	unsigned long long mask, seen;
	int a, b, h, f, ok, ret;
	ino_t ino;

	if (argc != 2) {
		fprintf(stderr, "usage: fanotify_state DIR\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(file, sizeof(file), "%s/file", argv[1]);
	snprintf(sub, sizeof(sub), "%s/sub", argv[1]);
	snprintf(child, sizeof(child), "%s/sub/child", argv[1]);
	snprintf(held, sizeof(held), "%s/held", argv[1]);
	mkdir(sub, 0755);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	close(open(child, O_WRONLY | O_CREAT, 0644));
	h = open(held, O_RDWR | O_CREAT, 0644);

	a = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
			  O_RDONLY | O_CLOEXEC);
	ret = a < 0 ? -1 :
	      fanotify_mark(a, FAN_MARK_ADD, FAN_MODIFY | FAN_CLOSE_WRITE, AT_FDCWD, file) ?:
	      fanotify_mark(a, FAN_MARK_ADD, FAN_OPEN | FAN_EVENT_ON_CHILD | FAN_ONDIR, AT_FDCWD, sub) ?:
	      fanotify_mark(a, FAN_MARK_ADD | FAN_MARK_IGNORE_SURV, FAN_CLOSE_NOWRITE | FAN_ONDIR, AT_FDCWD, sub) ?:
	      fanotify_mark(a, FAN_MARK_ADD | FAN_MARK_EVICTABLE, FAN_MODIFY, AT_FDCWD, held) ?:
		      fanotify_mark(a,
				    FAN_MARK_ADD | FAN_MARK_FILESYSTEM |
					    FAN_MARK_IGNORED_MASK |
					    FAN_MARK_IGNORED_SURV_MODIFY,
				    FAN_ACCESS, AT_FDCWD, argv[1]);
	b = set_sys_admin(0) ?
		    -1 :
		    fanotify_init(FAN_CLASS_NOTIF | FAN_REPORT_FID, O_RDONLY);
	if (set_sys_admin(1) || h < 0 || ret || b < 0 ||
	    fanotify_fdinfo(a, info_a, sizeof(info_a)) ||
	    fanotify_fdinfo(b, info_b, sizeof(info_b))) {
		check("setup", 0, "instances %d and %d, held %d, marks %d: %s",
		      a, b, h, ret, strerror(errno));
		return 1;
	}
	printf("READY\n");
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	wait_for_file(go, WAIT_FOREVER);

	ok = !fanotify_fdinfo(a, now, sizeof(now)) && !strcmp(now, info_a);
	check("fdinfo-a", ok, "instance A shows [%s] (was [%s])",
	      ok ? "the same" : now, info_a);
	ok = !fanotify_fdinfo(b, now, sizeof(now)) && !strcmp(now, info_b);
	check("fdinfo-b", ok, "instance B shows [%s] (was [%s])",
	      ok ? "the same" : now, info_b);

	/* A write and a close after writing of DIR/file, reported with its fd. */
	ok = poke(file);
	seen = 0;
	while (ok && seen != (FAN_MODIFY | FAN_CLOSE_WRITE) &&
	       next_event(a, TIMEOUT_MS, &mask, &ino) && ino == ino_of(file))
		seen |= mask;
	check("file-events", seen == (FAN_MODIFY | FAN_CLOSE_WRITE),
	      "writing DIR/file: events %#llx (want FAN_MODIFY | FAN_CLOSE_WRITE)",
	      seen);

	/* An open of a child of DIR/sub; its close is not marked. */
	f = open(child, O_RDONLY);
	if (f >= 0)
		close(f);
	ok = f >= 0 && next_event(a, TIMEOUT_MS, &mask, &ino);
	check("child-open-event",
	      ok && mask == FAN_OPEN && ino == ino_of(child),
	      "opening DIR/sub/child: %s mask %#llx", ok ? "event" : "no event",
	      ok ? mask : 0);

	/* The evictable mark of the file held open. */
	ok = pwrite(h, "y", 1, 0) == 1 &&
	     next_event(a, TIMEOUT_MS, &mask, &ino);
	check("held-event", ok && mask == FAN_MODIFY && ino == ino_of(held),
	      "writing DIR/held: %s mask %#llx", ok ? "event" : "no event",
	      ok ? mask : 0);
	ok = next_event(a, QUIET_MS, &mask, &ino);
	check("no-other-event", !ok, "no other event (%s %#llx)",
	      ok ? "got" : "none", ok ? mask : 0);

	/* B is an unprivileged group: no filesystem marks, even for root. */
	ret = fanotify_mark(b, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_MODIFY,
			    AT_FDCWD, argv[1]);
	check("unprivileged", ret < 0 && errno == EPERM,
	      "a filesystem mark on instance B: %d (%s), want EPERM", ret,
	      ret ? strerror(errno) : "added");
	check("flags",
	      (fcntl(a, F_GETFL) & O_NONBLOCK) &&
		      !(fcntl(b, F_GETFL) & O_NONBLOCK) &&
		      (fcntl(a, F_GETFD) & FD_CLOEXEC) &&
		      !(fcntl(b, F_GETFD) & FD_CLOEXEC),
	      "A is O_NONBLOCK and close-on-exec, B neither");
	return check_exit_status();
}
