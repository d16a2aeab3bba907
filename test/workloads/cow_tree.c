// SPDX-License-Identifier: GPL-2.0
/*
 * Private anonymous memory a parent shares copy-on-write with its forked
 * children (a preforked server), across checkpoint/restart. The parent
 * fills three regions of NR_PAGES pages each, one with MADV_HUGEPAGE (huge
 * pages where the kernel gives them; a child's write splits its mapping of
 * one), one with MADV_NOHUGEPAGE and one it locks (mlock(): a child's copy
 * is not locked, as after any fork), every page with its own words; then
 * forks NR_CHILDREN children. Child k writes OWN_PAGES pages of each region
 * from page k * STRIDE with its own words; the last child then forks a
 * grandchild, which writes OWN_PAGES pages from NR_CHILDREN * STRIDE. The
 * other pages stay shared with the parent (the grandchild's: with its
 * parent), which the checkpoint records (inspect checks it).
 *
 * After DIR/go every process checks every page of every region: its own
 * words where it wrote, its parent's (and so the root's) elsewhere; and,
 * from its smaps figures (INFO lines), that the pages it shared with its
 * parent at the checkpoint are shared again (Shared_Clean + Shared_Dirty):
 * the parent's all NR_PAGES of each region, a child's at least all but its
 * OWN_PAGES. Then child 0 writes a page still shared (AFTER_PAGE of region
 * 1): the parent and child 1 must not see it; and the parent writes
 * AFTER_PAGE of region 0: child 2 must not see it.
 * Usage: cow_tree DIR   (DIR empty; the go file is DIR/go)
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "check.h"
#include "sync.h"

#define NR_PAGES 1024 /* per region: 4 MiB of 4 KiB pages */
#define NR_REGIONS 3
#define NR_CHILDREN 4
#define STRIDE 128
#define OWN_PAGES 32
#define GRANDCHILD NR_CHILDREN /* its owner number */
#define AFTER_PAGE 1000
#define TIMEOUT_MS 30000

/* The children exit with these bits set for what failed. */
#define BAD_CONTENT 1 /* a page of other content than what the process had */
#define BAD_SYNC 2
#define BAD_ISOLATION 4 /* child 0's write after the restart seen by another */
#define BAD_GRANDCHILD 8
#define BAD_SHARING 16 /* pages shared at checkpoint now private */
#define BAD_PARENT_WRITE 32 /* the parent's later write seen by child 2 */

#define ROOT_OWNER 0xff
#define ROOT_AFTER 0xfe /* the root's words written after the restart */

#include "cow_pages.h"

static const char *dir;

static void write_own(unsigned int owner)
{
	unsigned int r;
	unsigned long pg;

	for (r = 0; r < NR_REGIONS; r++)
		for (pg = owner * STRIDE; pg < owner * STRIDE + OWN_PAGES; pg++)
			fill(owner, r, pg);
}

/* Which process's words page pg should hold, for process owner whose parent is parent_owner. */
static unsigned int expected(unsigned int owner, unsigned int parent_owner,
			     unsigned long pg)
{
	if (pg >= owner * STRIDE && pg < owner * STRIDE + OWN_PAGES)
		return owner;
	if (parent_owner != ROOT_OWNER && pg >= parent_owner * STRIDE &&
	    pg < parent_owner * STRIDE + OWN_PAGES)
		return parent_owner;
	return ROOT_OWNER;
}

/* Every page of every region; the first wrong one described in why. */
static int content_ok(unsigned int owner, unsigned int parent_owner, char *why,
		      size_t size)
{
	unsigned int r, want;
	unsigned long pg;

	for (r = 0; r < NR_REGIONS; r++) {
		for (pg = 0; pg < NR_PAGES; pg++) {
			want = expected(owner, parent_owner, pg);
			if (!holds(want, r, pg)) {
				snprintf(
					why, size,
					"region %u page %lu is not process %#x's",
					r, pg, want);
				return 0;
			}
		}
	}
	return 1;
}

/*
 * The smaps figures of the mapping at addr: Rss, Pss, Shared_Dirty,
 * Private_Dirty in KiB, printed; its pages shared with another process
 * (Shared_Clean + Shared_Dirty) returned.
 */
static unsigned long print_sharing(const char *who, unsigned int region)
{
	unsigned long rss = 0, pss = 0, shared = 0, priv = 0, clean = 0, start,
		      end, v;
	char *addr = regions[region];
	char line[512];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start == (unsigned long)addr;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Rss: %lu", &v) == 1)
			rss = v;
		else if (sscanf(line, "Pss: %lu", &v) == 1)
			pss = v;
		else if (sscanf(line, "Shared_Dirty: %lu", &v) == 1)
			shared = v;
		else if (sscanf(line, "Shared_Clean: %lu", &v) == 1)
			clean = v;
		else if (sscanf(line, "Private_Dirty: %lu", &v) == 1)
			priv = v;
	}
	fclose(f);
	printf("INFO cow_tree %s: region %u Rss %lu KiB, Pss %lu KiB, Shared_Clean %lu KiB, Shared_Dirty %lu KiB, Private_Dirty %lu KiB\n",
	       who, region, rss, pss, clean, shared, priv);
	fflush(stdout);
	return (clean + shared) / (page / 1024);
}

/* Whether at least want pages of each region are shared with another process. */
static int shares(const char *who, unsigned long want)
{
	unsigned int r;
	int ok = 1;

	for (r = 0; r < NR_REGIONS; r++)
		if (print_sharing(who, r) < want)
			ok = 0;
	return ok;
}

static int grandchild(void)
{
	char why[128];
	int bad;

	write_own(GRANDCHILD);
	touch_in(dir, "g-ready");
	if (!wait_in(dir, "go", WAIT_FOREVER))
		return BAD_SYNC;
	bad = shares("grandchild", NR_PAGES - OWN_PAGES) ? 0 : BAD_SHARING;
	if (!content_ok(GRANDCHILD, NR_CHILDREN - 1, why, sizeof(why)))
		bad |= BAD_CONTENT;
	return bad;
}

static int child(unsigned int k)
{
	char name[32], why[128];
	int bad = 0, code;
	pid_t g = 0;

	write_own(k);
	if (k == NR_CHILDREN - 1) {
		g = fork();
		if (g == 0)
			_exit(grandchild());
		if (g < 0 || !wait_in(dir, "g-ready", TIMEOUT_MS))
			return BAD_GRANDCHILD;
	}
	snprintf(name, sizeof(name), "c%u-ready", k);
	touch_in(dir, name);
	if (!wait_in(dir, "go", WAIT_FOREVER))
		return BAD_SYNC;

	snprintf(name, sizeof(name), "child %u", k);
	if (!shares(name, NR_PAGES - OWN_PAGES))
		bad |= BAD_SHARING;
	if (!content_ok(k, ROOT_OWNER, why, sizeof(why))) {
		fprintf(stderr, "cow_tree child %u: %s\n", k, why);
		bad |= BAD_CONTENT;
	}
	if (k == 0) {
		fill(0, 1, AFTER_PAGE);
		touch_in(dir, "c0-after");
	} else if (k == 1) {
		if (!wait_in(dir, "c0-after", TIMEOUT_MS))
			bad |= BAD_SYNC;
		else if (!holds(ROOT_OWNER, 1, AFTER_PAGE))
			bad |= BAD_ISOLATION;
	} else if (k == 2) {
		if (!wait_in(dir, "p-after", TIMEOUT_MS))
			bad |= BAD_SYNC;
		else if (!holds(ROOT_OWNER, 0, AFTER_PAGE))
			bad |= BAD_PARENT_WRITE;
	}
	if (g > 0) {
		code = exit_code(g);
		/* Its memory shared again or not is the shared check's. */
		if (code > 0 && (code & BAD_SHARING)) {
			bad |= BAD_SHARING;
			code &= ~BAD_SHARING;
		}
		if (code != 0) {
			fprintf(stderr, "cow_tree: the grandchild exited %d\n",
				code);
			bad |= BAD_GRANDCHILD;
		}
	}
	return bad;
}

/* A region aligned to huge pages, with advice. */
static char *map_region(int advice)
{
	size_t len = NR_PAGES * page;
	char *aligned = map_huge_aligned(len);

	/* Advice other than huge pages' is not essential: the test is about sharing. */
	if (aligned)
		madvise(aligned, len, advice);
	return aligned;
}

int main(int argc, char **argv)
{
	int codes[NR_CHILDREN], all_ok = 1, content = 1, seen;
	int shared, bad_sharing = 0;
	pid_t pids[NR_CHILDREN];
	char name[32], why[128] = "";
	unsigned int k, r;
	unsigned long pg;

	if (argc != 2) {
		fprintf(stderr, "usage: cow_tree DIR\n");
		return 2;
	}
	dir = argv[1];
	page = sysconf(_SC_PAGESIZE);
	regions[0] = map_region(MADV_HUGEPAGE);
	regions[1] = map_region(MADV_NOHUGEPAGE);
	regions[2] = map_region(MADV_NOHUGEPAGE);
	if (!regions[0] || !regions[1] || !regions[2] ||
	    mlock(regions[2], NR_PAGES * page)) {
		perror("mmap or mlock");
		return 2;
	}
	for (r = 0; r < NR_REGIONS; r++)
		for (pg = 0; pg < NR_PAGES; pg++)
			fill(ROOT_OWNER, r, pg);
	fflush(stdout);
	for (k = 0; k < NR_CHILDREN; k++) {
		pids[k] = fork();
		if (pids[k] == 0)
			_exit(child(k));
		snprintf(name, sizeof(name), "c%u-ready", k);
		if (pids[k] < 0 || !wait_in(dir, name, TIMEOUT_MS)) {
			fprintf(stderr, "cow_tree: setup failed\n");
			return 2;
		}
	}
	printf("READY %d\n", getpid());
	fflush(stdout);

	wait_in(dir, "go", WAIT_FOREVER);
	shared = shares("parent", NR_PAGES);
	for (r = 0; r < NR_REGIONS && content; r++)
		for (pg = 0; pg < NR_PAGES && content; pg++)
			if (!holds(ROOT_OWNER, r, pg)) {
				snprintf(why, sizeof(why),
					 " (region %u page %lu)", r, pg);
				content = 0;
			}
	check("parent-content", content,
	      "the parent's pages all hold its words%s", why);
	fill(ROOT_AFTER, 0, AFTER_PAGE);
	touch_in(dir, "p-after");
	seen = wait_in(dir, "c0-after", TIMEOUT_MS);
	check("parent-isolated", seen && holds(ROOT_OWNER, 1, AFTER_PAGE),
	      "child 0 wrote a shared page after the restart: the parent still has its own%s",
	      seen ? "" : " (child 0 never said it wrote)");
	for (k = 0; k < NR_CHILDREN; k++) {
		codes[k] = exit_code(pids[k]);
		all_ok &= codes[k] == 0;
		bad_sharing |= codes[k] < 0 || (codes[k] & BAD_SHARING);
	}
	check("shared", shared && !bad_sharing,
	      "the pages each process shared with its parent at the checkpoint are shared again: the parent's %s, the children's%s (exit codes %d %d %d %d; INFO lines: smaps)",
	      shared ? "all" : "NOT all", bad_sharing ? " NOT all" : " all",
	      codes[0], codes[1], codes[2], codes[3]);
	check("parent-write-isolated",
	      codes[2] >= 0 && !(codes[2] & BAD_PARENT_WRITE),
	      "the parent's write after the restart is not seen by child 2 (exit code %d)",
	      codes[2]);
	check("children-content",
	      codes[0] >= 0 && codes[1] >= 0 && codes[2] >= 0 &&
		      codes[3] >= 0 &&
		      !((codes[0] | codes[1] | codes[2] | codes[3]) &
			BAD_CONTENT),
	      "each child holds its own pages and the parent's elsewhere (exit codes %d %d %d %d)",
	      codes[0], codes[1], codes[2], codes[3]);
	check("child-isolated", codes[1] >= 0 && !(codes[1] & BAD_ISOLATION),
	      "child 0's write after the restart is not seen by child 1 (exit code %d)",
	      codes[1]);
	check("grandchild", codes[3] >= 0 && !(codes[3] & BAD_GRANDCHILD),
	      "the grandchild holds its pages, its parent's and the root's (exit code %d)",
	      codes[3]);
	check("children", all_ok,
	      "the children exited %d %d %d %d (bits: 1 content, 2 sync, 4 isolation, 8 grandchild, 16 sharing, 32 parent's write)",
	      codes[0], codes[1], codes[2], codes[3]);
	return check_exit_status();
}
