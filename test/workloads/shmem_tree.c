// SPDX-License-Identifier: GPL-2.0
/*
 * Shared anonymous memory shared through fork() by a parent and two
 * children (postgres or nginx style), across checkpoint/restart: it must
 * stay one object. The parent maps NR_PAGES pages MAP_SHARED|MAP_ANONYMOUS
 * and forks:
 * - child A, which maps pages 4-5 a second time elsewhere (mremap() with
 *   old_size 0: one object mapped twice in one process, at pgoff 4);
 * - child B, which unmaps pages 0-1 (its VMA starts at pgoff 2).
 * Before READY each writes its page: the parent 0, A 1 and 4 (through its
 * second mapping), B 2. After DIR/go, each checks the pages written before,
 * then A writes page 5 through its second mapping, B page 7, and a child
 * that B forks writes page 3 and execs /bin/true; the parent writes page 6
 * once it saw A's and B's pages. Everyone must see everyone's writes.
 * Usage: shmem_tree DIR   (DIR empty; the go file is DIR/go)
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"
#include "sync.h"

#define NR_PAGES 8
#define TIMEOUT_MS 30000

/* The children exit with these bits set for what failed. */
#define BAD_BEFORE 1 /* a page written before the checkpoint */
#define BAD_PEER 2 /* a page another process wrote after the restart */
#define BAD_ALIAS 4 /* the second mapping shows other memory */
#define BAD_SYNC 8
#define BAD_EXEC 16 /* the child forked after the restart */

static const char *dir;
static long page;

/* Fills a page with its tag, repeated. */
static void stamp(char *p, const char *tag)
{
	size_t len = strlen(tag), i;

	for (i = 0; i + len <= (size_t)page; i += len)
		memcpy(p + i, tag, len);
}

static int has(const char *p, const char *tag)
{
	size_t len = strlen(tag), i;

	for (i = 0; i + len <= (size_t)page; i += len)
		if (memcmp(p + i, tag, len))
			return 0;
	return 1;
}

static int child_a(char *region)
{
	char *alias;
	int bad = 0;

	alias = mremap(region + 4 * page, 0, 2 * page, MREMAP_MAYMOVE);
	if (alias == MAP_FAILED)
		return BAD_ALIAS;
	stamp(region + page, "A-before");
	stamp(alias, "A-alias-before");
	touch_in(dir, "a-ready");
	if (!wait_in(dir, "go", WAIT_FOREVER))
		return BAD_SYNC;

	if (!has(region, "P-before") || !has(region + page, "A-before") ||
	    !has(region + 2 * page, "B-before") ||
	    !has(region + 4 * page, "A-alias-before"))
		bad |= BAD_BEFORE;
	stamp(alias + page, "A-after");
	if (!has(region + 5 * page, "A-after"))
		bad |= BAD_ALIAS;
	touch_in(dir, "a-after");
	if (!wait_in(dir, "p-after", TIMEOUT_MS))
		return bad | BAD_SYNC;
	if (!has(region + 6 * page, "P-after") ||
	    !has(region + 7 * page, "B-after") ||
	    !has(region + 3 * page, "G-after"))
		bad |= BAD_PEER;
	return bad;
}

/* A child forked after the restart writes the memory it inherits, then execs. */
static int fork_exec(char *region)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		stamp(region + 3 * page, "G-after");
		execl("/bin/true", "true", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return BAD_EXEC;
	return has(region + 3 * page, "G-after") ? 0 : BAD_EXEC;
}

static int child_b(char *region)
{
	int bad = 0;

	if (munmap(region, 2 * page))
		return BAD_SYNC;
	stamp(region + 2 * page, "B-before");
	touch_in(dir, "b-ready");
	if (!wait_in(dir, "go", WAIT_FOREVER))
		return BAD_SYNC;

	if (!has(region + 2 * page, "B-before") ||
	    !has(region + 4 * page, "A-alias-before"))
		bad |= BAD_BEFORE;
	stamp(region + 7 * page, "B-after");
	bad |= fork_exec(region);
	touch_in(dir, "b-after");
	if (!wait_in(dir, "p-after", TIMEOUT_MS))
		return bad | BAD_SYNC;
	if (!has(region + 6 * page, "P-after") ||
	    !has(region + 5 * page, "A-after"))
		bad |= BAD_PEER;
	return bad;
}

int main(int argc, char **argv)
{
	int code_a, code_b, seen;
	pid_t a, b;
	char *region;

	if (argc != 2) {
		fprintf(stderr, "usage: shmem_tree DIR\n");
		return 2;
	}
	dir = argv[1];
	page = sysconf(_SC_PAGESIZE);
	region = mmap(NULL, NR_PAGES * page, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	stamp(region, "P-before");
	fflush(stdout);
	a = fork();
	if (a == 0)
		_exit(child_a(region));
	b = fork();
	if (b == 0)
		_exit(child_b(region));
	if (a < 0 || b < 0 || !wait_in(dir, "a-ready", TIMEOUT_MS) ||
	    !wait_in(dir, "b-ready", TIMEOUT_MS)) {
		fprintf(stderr, "shmem_tree: setup failed\n");
		return 2;
	}
	printf("READY %d\n", getpid());
	fflush(stdout);

	wait_in(dir, "go", WAIT_FOREVER);
	check("before",
	      has(region, "P-before") && has(region + page, "A-before") &&
		      has(region + 2 * page, "B-before") &&
		      has(region + 4 * page, "A-alias-before"),
	      "the pages written before the checkpoint by the parent and both children");
	seen = wait_in(dir, "a-after", TIMEOUT_MS) &&
	       wait_in(dir, "b-after", TIMEOUT_MS);
	check("children-to-parent",
	      seen && has(region + 5 * page, "A-after") &&
		      has(region + 7 * page, "B-after"),
	      "the parent sees what both children wrote after the restart%s",
	      seen ? "" : " (they never said they wrote)");
	check("fork-exec", seen && has(region + 3 * page, "G-after"),
	      "the parent sees what a child forked after the restart wrote before its exec");
	stamp(region + 6 * page, "P-after");
	touch_in(dir, "p-after");

	code_a = exit_code(a);
	code_b = exit_code(b);
	check("parent-to-children",
	      !((code_a | code_b) & BAD_PEER) && code_a >= 0 && code_b >= 0,
	      "the children see the parent's and each other's writes (exit codes %d, %d)",
	      code_a, code_b);
	check("children-before", !((code_a | code_b) & BAD_BEFORE),
	      "the children see the pages written before the checkpoint");
	check("mapped-twice", !(code_a & BAD_ALIAS),
	      "one object mapped twice by a child (pgoff 4) is still one object");
	check("children", code_a == 0 && code_b == 0,
	      "the children exited %d, %d (bits: 1 before, 2 peer, 4 alias, 8 sync, 16 exec)",
	      code_a, code_b);
	return check_exit_status();
}
