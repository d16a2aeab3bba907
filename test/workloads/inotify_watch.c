// SPDX-License-Identifier: GPL-2.0
/*
 * An inotify instance across checkpoint/restart: its watches must come
 * back with their watch descriptors and masks, and report what happens
 * after the restart. The root watches DIR/sub for creations (wd 2: a first
 * watch was added and removed, so that a new instance would give 1) and
 * DIR/file for writes (wd 3), then prints READY. After DIR/go it creates
 * DIR/sub/new and writes to DIR/file: the events must name wds 2 and 3,
 * and a new watch must get wd 4.
 * Usage: inotify_watch DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "check.h"
#include "sync.h"

#define TIMEOUT_MS 10000
/*
 * How long no other event must come (as fanotify_state.c's): an event is
 * queued by the syscall that causes it before that returns, so any stray
 * one of this process is there already; this is for one from elsewhere.
 * It was TIMEOUT_MS, the row's 10 s of an idle guest.
 */
#define QUIET_MS 500

/* Reads the next event; returns its wd and mask, and its name if any. */
static int next_event(int fd, int ms, int *wd, unsigned int *mask, char *name,
		      size_t size)
{
	char buf[sizeof(struct inotify_event) + NAME_MAX + 1]
		__attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev = (const void *)buf;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1 ||
	    read(fd, buf, sizeof(buf)) < (ssize_t)sizeof(*ev))
		return 0;
	*wd = ev->wd;
	*mask = ev->mask;
	snprintf(name, size, "%s", ev->len ? ev->name : "");
	return 1;
}

int main(int argc, char **argv)
{
	char sub[PATH_MAX], file[PATH_MAX], path[PATH_MAX + 8],
		name[NAME_MAX + 1];
	int fd, first, wd_sub, wd_file, wd, wd_new, f, ok;
	unsigned int mask;

	if (argc != 2) {
		fprintf(stderr, "usage: inotify_watch DIR\n");
		return 2;
	}
	snprintf(sub, sizeof(sub), "%s/sub", argv[1]);
	snprintf(file, sizeof(file), "%s/file", argv[1]);
	mkdir(sub, 0755);
	close(open(file, O_WRONLY | O_CREAT, 0644));
	fd = inotify_init1(IN_NONBLOCK);
	first = inotify_add_watch(fd, argv[1], IN_ALL_EVENTS);
	inotify_rm_watch(fd, first);
	/* The removal's IN_IGNORED is read now: unread events are not saved. */
	next_event(fd, TIMEOUT_MS, &wd, &mask, name, sizeof(name));
	wd_sub = inotify_add_watch(fd, sub, IN_CREATE | IN_ONLYDIR);
	wd_file = inotify_add_watch(fd, file, IN_MODIFY);
	if (fd < 0 || wd_sub != 2 || wd_file != 3) {
		fprintf(stderr,
			"inotify_watch: watches %d and %d, not 2 and 3\n",
			wd_sub, wd_file);
		return 2;
	}
	printf("READY\n");
	fflush(stdout);
	snprintf(path, sizeof(path), "%s/go", argv[1]);
	wait_for_file(path, WAIT_FOREVER);

	snprintf(path, sizeof(path), "%s/new", sub);
	close(open(path, O_WRONLY | O_CREAT, 0644));
	ok = next_event(fd, TIMEOUT_MS, &wd, &mask, name, sizeof(name));
	check("create-event",
	      ok && wd == wd_sub && (mask & IN_CREATE) && !strcmp(name, "new"),
	      "creating sub/new: wd %d, mask %#x, name \"%s\" (want wd %d, IN_CREATE, \"new\")",
	      ok ? wd : -1, ok ? mask : 0, ok ? name : "", wd_sub);
	f = open(file, O_WRONLY);
	ok = f >= 0 && write(f, "x", 1) == 1;
	close(f);
	ok = ok && next_event(fd, TIMEOUT_MS, &wd, &mask, name, sizeof(name));
	check("modify-event", ok && wd == wd_file && (mask & IN_MODIFY),
	      "writing to file: wd %d, mask %#x (want wd %d, IN_MODIFY)",
	      ok ? wd : -1, ok ? mask : 0, wd_file);
	ok = next_event(fd, QUIET_MS, &wd, &mask, name, sizeof(name));
	check("no-other-event", !ok, "no other event (%s)",
	      ok ? "got one" : "none");
	wd_new = inotify_add_watch(fd, argv[1], IN_DELETE);
	check("next-wd", wd_new == wd_file + 1,
	      "a new watch gets wd %d (want %d)", wd_new, wd_file + 1);
	check("nonblock", (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
	      "the instance is still O_NONBLOCK");
	return check_exit_status();
}
