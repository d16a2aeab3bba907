// SPDX-License-Identifier: GPL-2.0
/*
 * Sets up one mapping of every kind the MM subsystem saves, records what
 * each holds, waits to be checkpointed and restarted, and checks everything
 * again: contents, protections, sharing, the layout of /proc/self/maps and
 * the mm facts that /proc shows (exe, cmdline, environ, auxv).
 *
 * Usage: mm_layout DIR [GO]
 *   Creates its files in DIR (made if missing), prints READY and writes
 *   DIR/ready when set up, then waits for SIGUSR1 or for the file GO
 *   (default DIR/go) to appear, and reports RESULT lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"

#define PAGE 4096UL
#define MIB (1024UL * 1024)
#define BIG_SIZE (256 * MIB)
#define HUGE_SIZE (4 * MIB)

static volatile sig_atomic_t go;

static void on_usr1(int sig)
{
	(void)sig;
	go = 1;
}

/* FNV-1a over a range. */
static uint64_t sum(const void *p, size_t len)
{
	const unsigned char *c = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (len--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void fill(void *p, size_t len, unsigned int seed)
{
	uint32_t *w = p;
	size_t i;

	for (i = 0; i < len / 4; i++)
		w[i] = seed * 2654435761U + (uint32_t)i * 40503U;
}

#define SNAP_SIZE (256 * 1024)

/* Reads a /proc file into buf without allocating: the heap must not move. */
static size_t read_proc_file(const char *path, char *buf)
{
	size_t n = 0;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		exit(2);
	}
	while (n < SNAP_SIZE - 1 &&
	       (got = read(fd, buf + n, SNAP_SIZE - 1 - n)) > 0)
		n += got;
	close(fd);
	buf[n] = 0;
	return n;
}

static int make_file(const char *dir, const char *name, size_t len,
		     unsigned int seed, char *path, size_t path_size)
{
	void *buf = malloc(len);
	int fd;

	snprintf(path, path_size, "%s/%s", dir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || !buf) {
		perror(path);
		exit(2);
	}
	fill(buf, len, seed);
	if (write(fd, buf, len) != (ssize_t)len) {
		perror("write");
		exit(2);
	}
	free(buf);
	return fd;
}

static void *map(void *addr, size_t len, int prot, int flags, int fd)
{
	void *p = mmap(addr, len, prot, flags, fd, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	return p;
}

/* The line of /proc/self/maps that contains addr, without its newline. */
static int maps_line(unsigned long addr, char *line, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	int found = 0;

	while (f && fgets(line, size, f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo <= addr &&
		    addr < hi) {
			line[strcspn(line, "\n")] = 0;
			found = 1;
			break;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static int perms_are(void *addr, const char *perms)
{
	char line[512], p[8];

	if (!maps_line((unsigned long)addr, line, sizeof(line)))
		return 0;
	if (sscanf(line, "%*x-%*x %7s", p) != 1)
		return 0;
	return !strcmp(p, perms);
}

/* A field in KiB of the VMA at addr, from /proc/self/smaps. */
static long smaps_kib(void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	unsigned long lo, hi;
	char line[512];
	int in = 0;
	long kib = -1;

	/* Only a VMA's first line parses as a range. */
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			in = lo == (unsigned long)addr;
		else if (in && !strncmp(line, field, strlen(field)) &&
			 sscanf(line + strlen(field), " %ld kB", &kib) == 1)
			break;
	}
	if (f)
		fclose(f);
	return kib;
}

static long rss_kib(void *addr)
{
	return smaps_kib(addr, "Rss:");
}

static long swap_kib(void *addr)
{
	return smaps_kib(addr, "Swap:");
}

struct state {
	char maps[SNAP_SIZE], cmdline[SNAP_SIZE], environ[SNAP_SIZE],
		auxv[SNAP_SIZE];
	char exe[4096];
	size_t maps_len, cmdline_len, environ_len, auxv_len;
	void *brk;
};

static struct state before, after;

/*
 * What a restart may legitimately change in /proc/self/maps: shared
 * anonymous memory comes back as new objects (other inode numbers), and
 * adjacent anonymous VMAs that only their anon_vma kept apart may come back
 * merged. Rewrites maps as "start-end perms offset inode name" lines, with
 * the inodes of "/dev/zero (deleted)" dropped and adjacent anonymous VMAs
 * of the same protection and name merged.
 */
static size_t normalize_maps(char *maps, size_t len)
{
	static char out[SNAP_SIZE];
	char perms[8], pend_perms[8] = "", name[4096], pend_name[4096] = "";
	unsigned long lo, hi, off, inode, pend_lo = 0, pend_hi = 0;
	char *line, *end;
	size_t n = 0;
	int name_at;

	for (line = maps; line < maps + len; line = end + 1) {
		end = strchr(line, '\n');
		if (!end)
			break;
		*end = 0;
		name_at = 0;
		if (sscanf(line, "%lx-%lx %7s %lx %*s %lu %n", &lo, &hi, perms,
			   &off, &inode, &name_at) < 5)
			continue;
		snprintf(name, sizeof(name), "%s",
			 name_at ? line + name_at : "");
		if (!strcmp(name, "/dev/zero (deleted)"))
			inode = 0;
		if (!inode && pend_hi == lo && !strcmp(perms, pend_perms) &&
		    !strcmp(name, pend_name) &&
		    strcmp(name, "/dev/zero (deleted)")) {
			pend_hi = hi;
			continue;
		}
		if (pend_hi)
			n += snprintf(out + n, sizeof(out) - n,
				      "%lx-%lx %s anon %s\n", pend_lo, pend_hi,
				      pend_perms, pend_name);
		pend_hi = 0;
		if (inode) {
			n += snprintf(out + n, sizeof(out) - n,
				      "%lx-%lx %s %lx %lu %s\n", lo, hi, perms,
				      off, inode, name);
			continue;
		}
		pend_lo = lo;
		pend_hi = hi;
		strcpy(pend_perms, perms);
		strcpy(pend_name, name);
	}
	if (pend_hi)
		n += snprintf(out + n, sizeof(out) - n, "%lx-%lx %s anon %s\n",
			      pend_lo, pend_hi, pend_perms, pend_name);
	memcpy(maps, out, n + 1);
	return n;
}

static void snapshot(struct state *st)
{
	ssize_t n;

	st->maps_len = normalize_maps(
		st->maps, read_proc_file("/proc/self/maps", st->maps));
	st->cmdline_len = read_proc_file("/proc/self/cmdline", st->cmdline);
	st->environ_len = read_proc_file("/proc/self/environ", st->environ);
	st->auxv_len = read_proc_file("/proc/self/auxv", st->auxv);
	n = readlink("/proc/self/exe", st->exe, sizeof(st->exe) - 1);
	st->exe[n > 0 ? n : 0] = 0;
	st->brk = sbrk(0);
}

static int same(const char *a, size_t a_len, const char *b, size_t b_len)
{
	return a_len == b_len && !memcmp(a, b, a_len);
}

/* Reads a whole small file again, by path: the restored fds are not this test's business. */
static int file_is(const char *path, off_t off, const void *expect, size_t len)
{
	char *buf = malloc(len);
	int fd = open(path, O_RDONLY), ok;

	ok = fd >= 0 && buf && pread(fd, buf, len, off) == (ssize_t)len &&
	     !memcmp(buf, expect, len);
	if (fd >= 0)
		close(fd);
	free(buf);
	return ok;
}

/* Prints the lines of a that b lacks, and the other way round. */
static void diff_lines(const char *a, const char *b)
{
	char *ca = strdup(a), *cb = strdup(b), *line, *save;

	for (line = strtok_r(ca, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strstr(b, line))
			printf("# before only: %s\n", line);
	for (line = strtok_r(cb, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (!strstr(a, line))
			printf("# after only:  %s\n", line);
	free(ca);
	free(cb);
}

int main(int argc, char **argv)
{
	char priv_path[4096], shared_path[4096], trigger[4096];
	char line[512];
	unsigned char stack_buf[64 * 1024];
	uint64_t s_anon, s_heap, s_stack, s_priv, s_shanon, s_ro, s_none,
		s_rosh, s_huge;
	uint64_t s_advised, s_down;
	unsigned char *anon, *heap, *priv, *shared, *shanon, *ro, *none, *rosh,
		*big, *huge;
	unsigned char *advised, *down;
	unsigned char *expect, shanon_byte;
	struct timespec t0, t1;
	int priv_fd, shared_fd, maps_same;
	long big_rss_before;
	void *old_brk, *more;
	pid_t child;
	int status;

	if (argc != 2 && argc != 3) {
		fprintf(stderr, "usage: %s DIR [GO]\n", argv[0]);
		return 2;
	}
	mkdir(argv[1], 0700);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGUSR1, on_usr1);

	/* Private anonymous memory. */
	anon = map(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fill(anon, 4 * MIB, 1);
	s_anon = sum(anon, 4 * MIB);

	/* The heap, through malloc's brk area, and brk itself. */
	heap = malloc(64 * 1024);
	fill(heap, 64 * 1024, 2);
	s_heap = sum(heap, 64 * 1024);

	/* The stack. */
	fill(stack_buf, sizeof(stack_buf), 3);
	s_stack = sum(stack_buf, sizeof(stack_buf));

	/* A private file mapping, its second page written (copied on write). */
	priv_fd = make_file(argv[1], "private", 4 * PAGE, 4, priv_path,
			    sizeof(priv_path));
	priv = map(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE,
		   priv_fd);
	memset(priv + PAGE, 0x5a, PAGE);
	s_priv = sum(priv, 4 * PAGE);

	/* A shared file mapping: the file keeps it. */
	shared_fd = make_file(argv[1], "shared", 4 * PAGE, 5, shared_path,
			      sizeof(shared_path));
	shared = map(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     shared_fd);
	memset(shared + 2 * PAGE, 0xa5, PAGE);
	close(priv_fd);
	close(shared_fd);

	/* Shared anonymous memory. */
	shanon = map(NULL, 1 * MIB, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1);
	fill(shanon, 1 * MIB, 6);
	s_shanon = sum(shanon, 1 * MIB);

	/* Shared anonymous memory split in three VMAs of one object. */
	mprotect(shanon + 512 * 1024, 4 * PAGE, PROT_READ);

	/* madvise() flags and MAP_GROWSDOWN, which only VmFlags show. */
	advised = map(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fill(advised, 16 * PAGE, 11);
	s_advised = sum(advised, 16 * PAGE);
	madvise(advised, 4 * PAGE, MADV_DONTDUMP);
	madvise(advised + 4 * PAGE, 4 * PAGE, MADV_DONTFORK);
	madvise(advised + 8 * PAGE, 4 * PAGE, MADV_WIPEONFORK);
	down = map(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1);
	fill(down, 16 * PAGE, 12);
	s_down = sum(down, 16 * PAGE);

	/* An mprotect'ed range in the middle of anonymous memory: a VMA split. */
	ro = map(NULL, 8 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fill(ro, 8 * PAGE, 7);
	s_ro = sum(ro, 8 * PAGE);
	mprotect(ro + 2 * PAGE, 3 * PAGE, PROT_READ);

	/* Data behind PROT_NONE, and read-only shared anonymous memory. */
	none = map(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1);
	fill(none, 4 * PAGE, 8);
	s_none = sum(none, 4 * PAGE);
	mprotect(none, 4 * PAGE, PROT_NONE);
	rosh = map(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1);
	fill(rosh, 4 * PAGE, 9);
	s_rosh = sum(rosh, 4 * PAGE);
	mprotect(rosh, 4 * PAGE, PROT_READ);

	/* 256 MiB of which 3 pages were touched. */
	big = map(NULL, BIG_SIZE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1);
	madvise(big, BIG_SIZE, MADV_NOHUGEPAGE);
	big[0] = 1;
	big[100 * MIB] = 2;
	big[BIG_SIZE - 1] = 3;
	/* Read faults map the zero page, which is not saved. */
	if (big[50 * MIB] != 0)
		return 2;

	/* Transparent huge pages, where the kernel gives them. */
	huge = map(NULL, 2 * HUGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1);
	huge = (unsigned char *)(((unsigned long)huge + HUGE_SIZE - 1) &
				 ~(HUGE_SIZE - 1));
	madvise(huge, HUGE_SIZE, MADV_HUGEPAGE);
	fill(huge, HUGE_SIZE, 10);
	s_huge = sum(huge, HUGE_SIZE);

	/* With swap on, part of the memory may be checkpointed from swap. */
	if (getenv("MM_PAGEOUT")) {
		madvise(anon, 2 * MIB, MADV_PAGEOUT);
		madvise(shanon, 512 * 1024, MADV_PAGEOUT);
		madvise(priv, 4 * PAGE, MADV_PAGEOUT);
		printf("# paged out: anon swap %ld KiB, shared anon swap %ld KiB\n",
		       swap_kib(anon), swap_kib(shanon));
	}

	/* Anything that allocates runs once before the snapshot, so the heap stays put. */
	expect = malloc(4 * PAGE);
	big_rss_before = rss_kib(big);
	printf("# big mapping rss before: %ld KiB; huge: %s\n", big_rss_before,
	       maps_line((unsigned long)huge, line, sizeof(line)) ? line : "?");
	perms_are(ro, "rw-p");
	vm_flags_have(big, "nh");
	file_is(priv_path, 0, priv, 1);
	old_brk = sbrk(0);
	snapshot(&before);

	if (argc == 3)
		snprintf(trigger, sizeof(trigger), "%s", argv[2]);
	else
		snprintf(trigger, sizeof(trigger), "%s/go", argv[1]);
	if (publish_ready(argv[1]))
		return 2;
	printf("READY %d\n", getpid());

	while (!go && access(trigger, F_OK)) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		nanosleep(&ts, NULL);
	}

	snapshot(&after);
	maps_same =
		same(before.maps, before.maps_len, after.maps, after.maps_len);
	check("mm_maps", maps_same, "/proc/self/maps %s",
	      maps_same ? "unchanged" : "changed");
	if (!maps_same)
		diff_lines(before.maps, after.maps);
	check("mm_exe", !strcmp(before.exe, after.exe), "%s", after.exe);
	check("mm_cmdline",
	      same(before.cmdline, before.cmdline_len, after.cmdline,
		   after.cmdline_len),
	      "%zu bytes", after.cmdline_len);
	check("mm_environ",
	      same(before.environ, before.environ_len, after.environ,
		   after.environ_len),
	      "%zu bytes", after.environ_len);
	check("mm_auxv",
	      same(before.auxv, before.auxv_len, after.auxv, after.auxv_len),
	      "%zu bytes", after.auxv_len);

	check("mm_anon", sum(anon, 4 * MIB) == s_anon,
	      "4 MiB of private anonymous memory");
	check("mm_heap", sum(heap, 64 * 1024) == s_heap, "malloc'ed block");
	check("mm_stack", sum(stack_buf, sizeof(stack_buf)) == s_stack,
	      "64 KiB on the stack");

	fill(expect, 4 * PAGE, 4);
	check("mm_private_file",
	      sum(priv, 4 * PAGE) == s_priv && !memcmp(priv, expect, PAGE) &&
		      !memcmp(priv + 2 * PAGE, expect + 2 * PAGE, 2 * PAGE),
	      "written page kept, others from the file");
	check("mm_private_file_untouched",
	      file_is(priv_path, 0, expect, 4 * PAGE),
	      "the file did not see the private write");

	fill(expect, 4 * PAGE, 5);
	memset(expect + 2 * PAGE, 0xa5, PAGE);
	check("mm_shared_file", !memcmp(shared, expect, 4 * PAGE),
	      "shared mapping shows the file");
	shared[0] = 0x77;
	msync(shared, PAGE, MS_SYNC);
	check("mm_shared_file_write", file_is(shared_path, 0, shared, 1),
	      "a write after the restart reaches the file");

	check("mm_shared_anon",
	      sum(shanon, 1 * MIB) == s_shanon && perms_are(shanon, "rw-s") &&
		      perms_are(shanon + 512 * 1024, "r--s") &&
		      perms_are(shanon + 1 * MIB - PAGE, "rw-s"),
	      "1 MiB of shared anonymous memory, in three VMAs");
	shanon_byte = shanon[12345];
	child = fork();
	if (child == 0) {
		shanon[12345] ^= 0xff;
		_exit(0);
	}
	waitpid(child, &status, 0);
	check("mm_shared_anon_shared",
	      shanon[12345] == (unsigned char)(shanon_byte ^ 0xff),
	      "a child's write shows: still MAP_SHARED");

	check("mm_mprotect",
	      sum(ro, 8 * PAGE) == s_ro && perms_are(ro, "rw-p") &&
		      perms_are(ro + 2 * PAGE, "r--p") &&
		      perms_are(ro + 5 * PAGE, "rw-p"),
	      "contents and rw-/r--/rw- protections");
	check("mm_prot_none",
	      perms_are(none, "---p") &&
		      mprotect(none, 4 * PAGE, PROT_READ) == 0 &&
		      sum(none, 4 * PAGE) == s_none,
	      "data behind PROT_NONE");
	check("mm_readonly_shared_anon",
	      perms_are(rosh, "r--s") && sum(rosh, 4 * PAGE) == s_rosh,
	      "read-only shared anonymous memory");
	check("mm_big_sparse",
	      big[0] == 1 && big[100 * MIB] == 2 && big[BIG_SIZE - 1] == 3 &&
		      rss_kib(big) <= big_rss_before,
	      "3 touched pages of 256 MiB; rss %ld KiB, was %ld", rss_kib(big),
	      big_rss_before);
	check("mm_thp",
	      sum(huge, HUGE_SIZE) == s_huge && vm_flags_have(huge, "hg") &&
		      vm_flags_have(big, "nh"),
	      "4 MiB with MADV_HUGEPAGE; MADV_NOHUGEPAGE kept too");
	check("mm_madvise",
	      sum(advised, 16 * PAGE) == s_advised &&
		      vm_flags_have(advised, "dd") &&
		      vm_flags_have(advised + 4 * PAGE, "dc") &&
		      vm_flags_have(advised + 8 * PAGE, "wf") &&
		      !vm_flags_have(advised + 12 * PAGE, "dd") &&
		      !vm_flags_have(advised + 12 * PAGE, "dc"),
	      "MADV_DONTDUMP, MADV_DONTFORK, MADV_WIPEONFORK kept");
	check("mm_growsdown",
	      sum(down, 16 * PAGE) == s_down && vm_flags_have(down, "gd"),
	      "a MAP_GROWSDOWN mapping");

	more = sbrk(PAGE);
	if (more != (void *)-1)
		memset(more, 1, PAGE);
	check("mm_brk",
	      after.brk == old_brk && more == old_brk &&
		      sbrk(0) == (char *)old_brk + PAGE,
	      "brk %p unchanged and still grows", after.brk);

	check("mm_vdso",
	      getauxval(AT_SYSINFO_EHDR) &&
		      perms_are((void *)getauxval(AT_SYSINFO_EHDR), "r-xp") &&
		      clock_gettime(CLOCK_MONOTONIC, &t0) == 0 &&
		      clock_gettime(CLOCK_MONOTONIC, &t1) == 0 &&
		      (t1.tv_sec > t0.tv_sec ||
		       (t1.tv_sec == t0.tv_sec && t1.tv_nsec >= t0.tv_nsec)),
	      "vDSO where auxv says, clock_gettime works");

	return check_exit_status();
}
