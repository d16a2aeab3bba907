// SPDX-License-Identifier: GPL-2.0
/*
 * A process that holds a file by its path, as a user runs it (started
 * through setpriv as nobody), for root to checkpoint and restart: the
 * restart must open it again only if the user could (docs/security.md,
 * "files reopened by path").
 * "fd FILE DIR": holds FILE open read-only; "map FILE DIR": holds it mapped
 * shared, with no fd. Then READY; after DIR/go, reads FILE's first bytes
 * through what it holds, which must be those it read before.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "sync.h"

#define HELD 16

int main(int argc, char **argv)
{
	char before[HELD + 1] = "", after[HELD + 1] = "", go[PATH_MAX];
	const char *map = NULL;
	int fd, by_map;

	if (argc != 4 || (strcmp(argv[1], "fd") && strcmp(argv[1], "map"))) {
		fprintf(stderr, "usage: held_paths fd|map FILE DIR\n");
		return 2;
	}
	by_map = !strcmp(argv[1], "map");
	snprintf(go, sizeof(go), "%s/go", argv[3]);
	fd = open(argv[2], O_RDONLY);
	if (fd < 0 || pread(fd, before, HELD, 0) < 0) {
		check("setup", 0, "open %s: %s", argv[2], strerror(errno));
		return 1;
	}
	if (by_map) {
		map = mmap(NULL, HELD, PROT_READ, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED) {
			check("setup", 0, "mmap %s: %s", argv[2],
			      strerror(errno));
			return 1;
		}
		close(fd);
	}
	printf("READY\n");
	fflush(stdout);
	wait_for(go);

	if (by_map)
		memcpy(after, map, strnlen(before, HELD));
	else if (pread(fd, after, HELD, 0) < 0)
		snprintf(after, sizeof(after), "%s", strerror(errno));
	check("content", !strcmp(before, after),
	      "read '%s' through its %s, as before ('%s')", after,
	      by_map ? "mapping" : "fd", before);
	return check_exit_status();
}
