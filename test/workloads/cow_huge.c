// SPDX-License-Identifier: GPL-2.0
/*
 * Copy-on-write sharing after a fork, across checkpoint/restart, of the
 * memory cow_tree does not cover: transparent huge pages still mapped huge
 * by parent and children, and two adjacent mappings that a restart would
 * make one.
 *
 * The root maps and fills:
 * - THP: 2 huge pages (MADV_HUGEPAGE, 2 MiB aligned), each page with its
 *   words; the root checks from its smaps that it really holds them huge
 *   (AnonHugePages), else the THP checks fail;
 * - PAIR: two adjacent private anonymous mappings A and B of PAIR_PAGES
 *   each, filled apart and moved next to each other (mremap), so that each
 *   has its own anon_vma and the kernel keeps them two; a restart maps them
 *   afresh, side by side, with nothing to keep them apart. PROT_NONE guards
 *   around them keep other neighbours off.
 * Then it forks two children. Child 0 writes nothing: its memory is all its
 * parent's, mapped huge. Child 1 writes page C1_THP_PAGE of THP (splitting
 * its mapping of the second huge page: fork leaves it the other 511 pages
 * shared, mapped by small pages) and page C1_B_PAGE of B.
 *
 * Before the checkpoint each process notes its smaps figures (INFO lines
 * "before"); after the restart (DIR/go) each checks, from its smaps
 * again ("after"): its pages hold what they held; the pages of THP and of
 * the pair it shared with another process are shared again (Shared_Clean +
 * Shared_Dirty at least as before); THP's AnonHugePages as before. Then
 * the root writes page ROOT_AFTER_PAGE of THP and child 0 page 5 of A: no
 * other process may see either write.
 * Usage: cow_huge DIR   (DIR empty; the go file is DIR/go)
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "sync.h"

#define THP_SIZE (2 * HUGE_SIZE)
#define PAIR_PAGES 64
#define C1_THP_PAGE 600 /* in the second huge page */
#define C1_B_PAGE 10
#define ROOT_AFTER_PAGE 100
#define C0_AFTER_A_PAGE 5
#define NR_CHILDREN 2
#define TIMEOUT_MS 30000

/* What a process checks, in the order of its exit code's bits. */
#define BAD_CONTENT 1
#define BAD_SYNC 2
#define BAD_THP_SHARED 4
#define BAD_THP_HUGE 8
#define BAD_PAIR_SHARED 16
#define BAD_ISOLATION 32

enum { R_THP, R_A, R_B, NR_REGIONS };

#define ROOT 0xff
#define ROOT_AFTER 0xfe
#define C0_AFTER 0xfd

#include "cow_pages.h"

static const char *dir;
static unsigned long region_pages[NR_REGIONS];

/* One process's smaps figures of a range, in KiB, and its mappings there. */
struct figures {
	unsigned long rss, shared, priv, huge, vmas;
};

/* The figures of each process at the checkpoint: THP, then the pair. */
static struct figures before_thp, before_pair;

/* Whose words page pg of region r holds for process who (-1: the root). */
static unsigned int owner_of(int who, unsigned int r, unsigned long pg)
{
	if (who == 1 && ((r == R_THP && pg == C1_THP_PAGE) ||
			 (r == R_B && pg == C1_B_PAGE)))
		return 1;
	return ROOT;
}

static int content_ok(int who, char *why, size_t size)
{
	unsigned int r, want;
	unsigned long pg;

	for (r = 0; r < NR_REGIONS; r++)
		for (pg = 0; pg < region_pages[r]; pg++) {
			want = owner_of(who, r, pg);
			if (!holds(want, r, pg)) {
				snprintf(why, size,
					 "region %u page %lu is not %#x's", r,
					 pg, want);
				return 0;
			}
		}
	return 1;
}

/* The smaps figures of the mappings that start in [lo, hi), summed. */
static struct figures figures_of(unsigned long lo, unsigned long hi)
{
	struct figures fg = { 0 };
	unsigned long start, end, v;
	char line[512];
	int in = 0;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return fg;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			in = start >= lo && start < hi;
			fg.vmas += in;
			continue;
		}
		if (!in)
			continue;
		if (sscanf(line, "Rss: %lu", &v) == 1)
			fg.rss += v;
		else if (sscanf(line, "Shared_Clean: %lu", &v) == 1 ||
			 sscanf(line, "Shared_Dirty: %lu", &v) == 1)
			fg.shared += v;
		else if (sscanf(line, "Private_Clean: %lu", &v) == 1 ||
			 sscanf(line, "Private_Dirty: %lu", &v) == 1)
			fg.priv += v;
		else if (sscanf(line, "AnonHugePages: %lu", &v) == 1)
			fg.huge += v;
	}
	fclose(f);
	return fg;
}

static struct figures thp_figures(void)
{
	unsigned long lo = (unsigned long)regions[R_THP];

	return figures_of(lo, lo + THP_SIZE);
}

static struct figures pair_figures(void)
{
	unsigned long lo = (unsigned long)regions[R_A];

	return figures_of(lo, lo + 2 * PAIR_PAGES * page);
}

static void print_figures(const char *who, const char *when, const char *what,
			  const struct figures *fg)
{
	printf("INFO cow_huge %s %s: %s in %lu mapping(s): Rss %lu KiB, Shared %lu KiB, Private %lu KiB, AnonHugePages %lu KiB\n",
	       who, when, what, fg->vmas, fg->rss, fg->shared, fg->priv,
	       fg->huge);
	fflush(stdout);
}

static void note_before(const char *who)
{
	before_thp = thp_figures();
	before_pair = pair_figures();
	print_figures(who, "before", "THP", &before_thp);
	print_figures(who, "before", "pair", &before_pair);
}

/* The sharing checks after the restart: the bits of what failed. */
static int compare_after(const char *who)
{
	struct figures thp = thp_figures(), pair = pair_figures();
	int bad = 0;

	print_figures(who, "after", "THP", &thp);
	print_figures(who, "after", "pair", &pair);
	if (thp.shared < before_thp.shared)
		bad |= BAD_THP_SHARED;
	if (thp.huge != before_thp.huge)
		bad |= BAD_THP_HUGE;
	if (pair.shared < before_pair.shared)
		bad |= BAD_PAIR_SHARED;
	return bad;
}

static int child(int k)
{
	char name[32], who[32], why[128];
	int bad;

	if (k == 1) {
		fill(1, R_THP, C1_THP_PAGE);
		fill(1, R_B, C1_B_PAGE);
	}
	snprintf(who, sizeof(who), "child %d", k);
	snprintf(name, sizeof(name), "c%d-noted", k);
	note_before(who);
	touch_in(dir, name);
	if (!wait_in(dir, "go", WAIT_FOREVER))
		return BAD_SYNC;

	bad = compare_after(who);
	if (!content_ok(k, why, sizeof(why))) {
		fprintf(stderr, "cow_huge %s: %s\n", who, why);
		bad |= BAD_CONTENT;
	}
	touch_in(dir, k ? "c1-checked" : "c0-checked");
	if (k == 0) {
		fill(C0_AFTER, R_A, C0_AFTER_A_PAGE);
		touch_in(dir, "c0-after");
		if (!wait_in(dir, "root-after", TIMEOUT_MS))
			bad |= BAD_SYNC;
		else if (!holds(ROOT, R_THP, ROOT_AFTER_PAGE))
			bad |= BAD_ISOLATION;
	} else {
		if (!wait_in(dir, "c0-after", TIMEOUT_MS) ||
		    !wait_in(dir, "root-after", TIMEOUT_MS))
			bad |= BAD_SYNC;
		else if (!holds(ROOT, R_A, C0_AFTER_A_PAGE) ||
			 !holds(ROOT, R_THP, ROOT_AFTER_PAGE))
			bad |= BAD_ISOLATION;
	}
	return bad;
}

static char *map_thp(void)
{
	char *aligned = map_huge_aligned(THP_SIZE);

	if (!aligned || madvise(aligned, THP_SIZE, MADV_HUGEPAGE))
		return NULL;
	return aligned;
}

/*
 * A and B, filled where the kernel put them (each gets its own anon_vma),
 * then moved side by side between two PROT_NONE guard pages.
 */
static int map_pair(void)
{
	size_t len = PAIR_PAGES * page;
	char *guard, *a, *b;
	unsigned long pg;

	guard = mmap(NULL, 2 * len + 2 * page, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	a = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	b = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		 -1, 0);
	if (guard == MAP_FAILED || a == MAP_FAILED || b == MAP_FAILED)
		return -1;
	regions[R_A] = a;
	regions[R_B] = b;
	for (pg = 0; pg < PAIR_PAGES; pg++) {
		fill(ROOT, R_A, pg);
		fill(ROOT, R_B, pg);
	}
	regions[R_A] = mremap(a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			      guard + page);
	regions[R_B] = mremap(b, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			      guard + page + len);
	if (regions[R_A] == MAP_FAILED || regions[R_B] == MAP_FAILED)
		return -1;
	return 0;
}

static void thp_setting(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	snprintf(buf, size, "unknown");
	if (f) {
		if (fgets(buf, size, f))
			buf[strcspn(buf, "\n")] = 0;
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	int codes[NR_CHILDREN], k, bad, all = 0, content;
	char name[32], why[128] = "", setting[128];
	struct figures fg;
	pid_t pids[NR_CHILDREN];
	unsigned long pg;

	if (argc != 2) {
		fprintf(stderr, "usage: cow_huge DIR\n");
		return 2;
	}
	dir = argv[1];
	page = sysconf(_SC_PAGESIZE);
	region_pages[R_THP] = THP_SIZE / page;
	region_pages[R_A] = PAIR_PAGES;
	region_pages[R_B] = PAIR_PAGES;
	regions[R_THP] = map_thp();
	if (!regions[R_THP] || map_pair()) {
		perror("cow_huge: mmap, madvise or mremap");
		return 2;
	}
	for (pg = 0; pg < region_pages[R_THP]; pg++)
		fill(ROOT, R_THP, pg);
	thp_setting(setting, sizeof(setting));
	fg = thp_figures();
	check("thp-in-guest", fg.huge == THP_SIZE / 1024,
	      "the root's 4 MiB with MADV_HUGEPAGE hold %lu KiB of huge pages before the fork (transparent_hugepage/enabled: %s)",
	      fg.huge, setting);
	fg = pair_figures();
	check("pair-apart", fg.vmas == 2,
	      "the two adjacent mappings are %lu mapping(s) before the checkpoint (want 2)",
	      fg.vmas);

	for (k = 0; k < NR_CHILDREN; k++) {
		pids[k] = fork();
		if (pids[k] == 0)
			_exit(child(k));
		snprintf(name, sizeof(name), "c%d-noted", k);
		if (pids[k] < 0 || !wait_in(dir, name, TIMEOUT_MS)) {
			fprintf(stderr, "cow_huge: setup failed\n");
			return 2;
		}
	}
	note_before("root");
	printf("INFO cow_huge map THP %p A %p B %p\n", (void *)regions[R_THP],
	       (void *)regions[R_A], (void *)regions[R_B]);
	printf("INFO cow_huge map in decimal THP %lu A %lu B %lu\n",
	       (unsigned long)regions[R_THP], (unsigned long)regions[R_A],
	       (unsigned long)regions[R_B]);
	printf("READY %d\n", getpid());
	fflush(stdout);

	wait_in(dir, "go", WAIT_FOREVER);
	bad = compare_after("root");
	content = content_ok(-1, why, sizeof(why));
	/* Written once the children looked at their sharing. */
	if (!wait_in(dir, "c0-checked", TIMEOUT_MS) ||
	    !wait_in(dir, "c1-checked", TIMEOUT_MS))
		bad |= BAD_SYNC;
	fill(ROOT_AFTER, R_THP, ROOT_AFTER_PAGE);
	touch_in(dir, "root-after");
	if (!wait_in(dir, "c0-after", TIMEOUT_MS))
		bad |= BAD_SYNC;
	else if (!holds(ROOT, R_A, C0_AFTER_A_PAGE))
		bad |= BAD_ISOLATION;
	for (k = 0; k < NR_CHILDREN; k++) {
		codes[k] = exit_code(pids[k]);
		all |= codes[k] < 0 ? 0xff : codes[k];
	}
	check("content", content && !(all & BAD_CONTENT),
	      "every process's pages hold its words after the restart%s%s (exit codes %d %d)",
	      why[0] ? ": root: " : "", why, codes[0], codes[1]);
	check("thp-shared", !((bad | all) & BAD_THP_SHARED),
	      "each process's pages of THP shared at the checkpoint are shared again (exit codes %d %d; INFO lines: smaps)",
	      codes[0], codes[1]);
	check("thp-huge", !((bad | all) & BAD_THP_HUGE),
	      "each process maps as much of THP by huge pages as at the checkpoint (AnonHugePages; exit codes %d %d)",
	      codes[0], codes[1]);
	check("pair-shared", !((bad | all) & BAD_PAIR_SHARED),
	      "each process's pages of the two adjacent mappings shared at the checkpoint are shared again (exit codes %d %d)",
	      codes[0], codes[1]);
	check("isolated", !((bad | all) & (BAD_ISOLATION | BAD_SYNC)),
	      "a write after the restart (the root's to THP, child 0's to A) is its writer's only (exit codes %d %d)",
	      codes[0], codes[1]);
	check("children", !all,
	      "the children exited %d %d (bits: 1 content, 2 sync, 4 THP shared, 8 THP huge, 16 pair shared, 32 isolation)",
	      codes[0], codes[1]);
	return check_exit_status();
}
