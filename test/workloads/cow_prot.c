// SPDX-License-Identifier: GPL-2.0
/*
 * A forked child's own protection of memory it still shares copy-on-write
 * with its parent, across checkpoint/restart: a restart that shared such
 * pages again would give the child its parent's page table entries, and
 * so its parent's access to them.
 *
 * The root maps three private anonymous regions of NR_PAGES pages, apart
 * (between PROT_NONE MAP_NORESERVE guards, which neither merges with),
 * and fills them: NONE, READ and RW. It forks a child, which writes
 * nothing: it mprotect()s NONE to PROT_NONE (a guard) and READ to
 * PROT_READ, and keeps RW as it is; the root keeps all three read-write.
 * The child checks, before the checkpoint ("before") and after the restart
 * (DIR/go): a read of NONE faults (SIGSEGV), a write to READ faults, READ
 * and RW hold the root's words, NONE too once it makes it readable again.
 * The root checks its own words, after the restart, and that it may still
 * write to all three.
 * Usage: cow_prot DIR   (DIR empty; the go file is DIR/go)
 */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "sync.h"

#define NR_PAGES 16
#define TIMEOUT_MS 30000

/* What the child checks, in the order of its exit code's bits. */
#define BAD_NONE_READABLE 1
#define BAD_READ_WRITABLE 2
#define BAD_CONTENT 4
#define BAD_SYNC 8

enum { R_NONE, R_READ, R_RW, NR_REGIONS };

#define ROOT 0xff
#define ROOT_AFTER 0xfe

#include "cow_pages.h"

static const char *dir;
static sigjmp_buf fault_jmp;

static void on_fault(int sig)
{
	(void)sig;
	siglongjmp(fault_jmp, 1);
}

/* Whether reading (or writing) the first word of region r faults. */
static int faults(unsigned int r, int write)
{
	volatile uint64_t *p = (volatile uint64_t *)regions[r];
	volatile uint64_t sink;

	if (sigsetjmp(fault_jmp, 1))
		return 1;
	if (write)
		*p = 0;
	else
		sink = *p;
	(void)sink;
	return 0;
}

static int holds_all(unsigned int owner, unsigned int r)
{
	unsigned long pg;

	for (pg = 0; pg < NR_PAGES; pg++)
		if (!holds(owner, r, pg))
			return 0;
	return 1;
}

/* The child's checks: the bits of what failed; NONE made readable last. */
static int child_checks(const char *when)
{
	int bad = 0;

	if (!faults(R_NONE, 0))
		bad |= BAD_NONE_READABLE;
	if (!faults(R_READ, 1))
		bad |= BAD_READ_WRITABLE;
	if (!holds_all(ROOT, R_READ) || !holds_all(ROOT, R_RW))
		bad |= BAD_CONTENT;
	if (mprotect(regions[R_NONE], NR_PAGES * page, PROT_READ) ||
	    !holds_all(ROOT, R_NONE))
		bad |= BAD_CONTENT;
	printf("INFO cow_prot child %s: NONE %s, READ %s, content %s\n", when,
	       bad & BAD_NONE_READABLE ? "readable" : "faults on read",
	       bad & BAD_READ_WRITABLE ? "writable" : "faults on write",
	       bad & BAD_CONTENT ? "wrong" : "right");
	fflush(stdout);
	return bad;
}

static int child(void)
{
	int bad;

	if (mprotect(regions[R_NONE], NR_PAGES * page, PROT_NONE) ||
	    mprotect(regions[R_READ], NR_PAGES * page, PROT_READ))
		return BAD_SYNC;
	bad = child_checks("before");
	/* Back to PROT_NONE: child_checks() made it readable. */
	if (mprotect(regions[R_NONE], NR_PAGES * page, PROT_NONE))
		bad |= BAD_SYNC;
	touch_in(dir, "child-noted");
	if (!wait_in(dir, "go", WAIT_FOREVER))
		return bad | BAD_SYNC;
	return bad | child_checks("after");
}

/* The three regions, each between guards of its own. */
static int map_regions(void)
{
	size_t len = NR_PAGES * page, stride = len + page;
	char *guard;
	unsigned int r;
	unsigned long pg;

	guard = mmap(NULL, NR_REGIONS * stride + page, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (guard == MAP_FAILED)
		return -1;
	for (r = 0; r < NR_REGIONS; r++) {
		regions[r] = mmap(guard + page + r * stride, len,
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
				  0);
		if (regions[r] == MAP_FAILED)
			return -1;
		for (pg = 0; pg < NR_PAGES; pg++)
			fill(ROOT, r, pg);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int code, content, writable = 1;
	unsigned int r;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: cow_prot DIR\n");
		return 2;
	}
	dir = argv[1];
	page = sysconf(_SC_PAGESIZE);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	if (sigaction(SIGSEGV, &sa, NULL) || map_regions()) {
		perror("cow_prot: sigaction or mmap");
		return 2;
	}
	pid = fork();
	if (pid == 0)
		_exit(child());
	if (pid < 0 || !wait_in(dir, "child-noted", TIMEOUT_MS)) {
		fprintf(stderr, "cow_prot: setup failed\n");
		return 2;
	}
	printf("INFO cow_prot map NONE %p READ %p RW %p\n",
	       (void *)regions[R_NONE], (void *)regions[R_READ],
	       (void *)regions[R_RW]);
	printf("INFO cow_prot map in decimal NONE %lu READ %lu RW %lu\n",
	       (unsigned long)regions[R_NONE], (unsigned long)regions[R_READ],
	       (unsigned long)regions[R_RW]);
	printf("READY %d\n", getpid());
	fflush(stdout);

	wait_in(dir, "go", WAIT_FOREVER);
	content = 1;
	for (r = 0; r < NR_REGIONS; r++)
		content &= holds_all(ROOT, r);
	for (r = 0; r < NR_REGIONS; r++) {
		if (faults(r, 1))
			writable = 0;
		else
			fill(ROOT_AFTER, r, 1);
	}
	code = exit_code(pid);
	check("child-none", code >= 0 && !(code & BAD_NONE_READABLE),
	      "a read of the region the child made PROT_NONE (its parent's read-write) faults in the child after the restart (exit code %d; INFO lines)",
	      code);
	check("child-read", code >= 0 && !(code & BAD_READ_WRITABLE),
	      "a write to the region the child made PROT_READ faults in the child after the restart (exit code %d)",
	      code);
	check("child-content", code >= 0 && !(code & (BAD_CONTENT | BAD_SYNC)),
	      "the child's three regions hold the root's words after the restart (exit code %d; bits: 1 NONE readable, 2 READ writable, 4 content, 8 sync)",
	      code);
	check("root", content && writable,
	      "the root's three regions hold its words after the restart (%s) and it may still write to them (%s)",
	      content ? "yes" : "no", writable ? "yes" : "no");
	return check_exit_status();
}
