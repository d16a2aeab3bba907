// SPDX-License-Identifier: GPL-2.0
/*
 * Pipes with data in flight across checkpoint/restart. The root forks three
 * children joined by two pipes:
 *
 *   producer --pipe 1 (F_SETPIPE_SZ 128 KiB)--> filter --pipe 2--> consumer
 *
 * The producer writes NR_RECORDS 64-byte records (a sequence number, a
 * stage, a checksum and a payload made from the sequence number), the filter
 * checks each, XORs its payload with a key made from the sequence number and
 * recomputes the checksum, and the consumer checks what it gets against what
 * the filter must have made and keeps a running checksum of the stream.
 * Before go the filter passes PASSED_BEFORE records on and the consumer takes
 * CONSUMED_BEFORE, each napping between reads; then both stop and wait for
 * go. Once the filter has stopped, the producer fills pipe 1 (non-blocking
 * writes until EAGAIN) and blocks in write(). So at READY pipe 1 is full and
 * pipe 2 holds PASSED_BEFORE - CONSUMED_BEFORE records. After go the stream
 * runs to the end at full speed and each child checks that no record was
 * lost, duplicated or corrupted, and that pipe 1 still is 128 KiB (and pipe
 * 2 its old size) as seen from each end it holds. The children report
 * through their exit status and DIR/log.<pid> (opened after go); the root,
 * which holds no pipe end, prints the RESULT lines. The readiness: each
 * child creates DIR/ready.<pid>; the root prints READY once all three are
 * there and the producer sleeps in its write.
 * Usage: pipeline DIR   (DIR empty; the go file is DIR/go)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#define NR_RECORDS 20000
#define PASSED_BEFORE 500 /* records the filter passes on before go */
#define CONSUMED_BEFORE 200 /* records the consumer takes before go */
#define PIPE1_SIZE (128 * 1024)
#define PAYLOAD 48
#define NAP_US 500 /* between reads before go */
#define SETUP_TIMEOUT_MS 30000
#define RUN_TIMEOUT_MS 60000

struct record {
	uint64_t seq;
	uint32_t stage; /* 0 as the producer made it, 1 filtered */
	uint32_t csum; /* FNV-1a of all the rest */
	uint8_t payload[PAYLOAD];
};

_Static_assert(sizeof(struct record) == 64, "records are 64 bytes");

#define FNV32_INIT 0x811c9dc5U
#define FNV64_INIT 0xcbf29ce484222325ULL

static const char *dir;
static char go_path[PATH_MAX];
static int p1[2], p2[2]; /* producer -> filter, filter -> consumer */
static int pipe2_size; /* as the root found it */

/* The calling process: who it is and what went wrong so far. */
static struct {
	const char *name;
	pid_t pid;
	char note[1024];
} me;

#define note(...) note_to(me.note, sizeof(me.note), __VA_ARGS__)

static void nap_us(long us)
{
	struct timespec t = { 0, us * 1000 };

	nanosleep(&t, NULL);
}

static uint32_t fnv32(const void *buf, size_t len, uint32_t h)
{
	const uint8_t *p = buf;

	while (len--)
		h = (h ^ *p++) * 0x01000193U;
	return h;
}

static uint64_t fnv64(const void *buf, size_t len, uint64_t h)
{
	const uint8_t *p = buf;

	while (len--)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

static uint32_t record_csum(const struct record *r)
{
	uint32_t h = fnv32(&r->seq, sizeof(r->seq), FNV32_INIT);

	h = fnv32(&r->stage, sizeof(r->stage), h);
	return fnv32(r->payload, sizeof(r->payload), h);
}

/* Record seq as the producer makes it. */
static void make_record(uint64_t seq, struct record *r)
{
	uint64_t x = seq * 0x9e3779b97f4a7c15ULL + 1;
	int i;

	r->seq = seq;
	r->stage = 0;
	for (i = 0; i < PAYLOAD; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		r->payload[i] = (uint8_t)(x >> 24);
	}
	r->csum = record_csum(r);
}

/* What the filter makes of a record. */
static void filter_record(struct record *r)
{
	int i;

	for (i = 0; i < PAYLOAD; i++)
		r->payload[i] ^= (uint8_t)(0xa5 + 7 * i + (r->seq >> (i % 8)));
	r->stage = 1;
	r->csum = record_csum(r);
}

/* One record's worth from fd: 1, 0 at EOF, -1 on an error or a torn one. */
static int get_record(int fd, struct record *r)
{
	size_t got = 0;
	ssize_t n;

	while (got < sizeof(*r)) {
		n = read(fd, (char *)r + got, sizeof(*r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			note("read: %s", strerror(errno));
			return -1;
		}
		if (n == 0) {
			if (got)
				note("EOF %zu bytes into a record", got);
			return got ? -1 : 0;
		}
		got += n;
	}
	return 1;
}

static int put_record(int fd, const struct record *r)
{
	size_t done = 0;
	ssize_t n;

	while (done < sizeof(*r)) {
		n = write(fd, (const char *)r + done, sizeof(*r) - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			note("write of record %llu: %s",
			     (unsigned long long)r->seq, strerror(errno));
			return -1;
		}
		done += n;
	}
	return 0;
}

/* What a reading end has seen: records, the next one due, the bad ones. */
struct stream {
	uint64_t got, next, gaps, dups, corrupt;
	uint64_t sum; /* FNV-1a of the stream as read */
};

/* Checks r against record s->next as the given stage makes it. */
static void verify(struct stream *s, const struct record *r, uint32_t stage)
{
	struct record want;

	s->got++;
	s->sum = fnv64(r, sizeof(*r), s->sum);
	if (r->seq != s->next) {
		if (s->gaps + s->dups < 3)
			note("record %llu where %llu was due",
			     (unsigned long long)r->seq,
			     (unsigned long long)s->next);
		if (r->seq > s->next)
			s->gaps++;
		else
			s->dups++;
		s->next = r->seq;
	}
	make_record(r->seq, &want);
	if (stage)
		filter_record(&want);
	if (r->csum != record_csum(r) || memcmp(r, &want, sizeof(want))) {
		if (s->corrupt < 3)
			note("record %llu corrupt: stage %u csum %#x (own %#x, want %#x)",
			     (unsigned long long)r->seq, r->stage, r->csum,
			     record_csum(r), want.csum);
		s->corrupt++;
	}
	s->next++;
}

static int stream_bad(const struct stream *s)
{
	return s->got != NR_RECORDS || s->next != NR_RECORDS || s->gaps ||
	       s->dups || s->corrupt;
}

/* Keeps the pipe ends named (-1 for none) and closes the other two or three. */
static void keep_ends(int a, int b)
{
	int ends[4] = { p1[0], p1[1], p2[0], p2[1] };
	int i;

	for (i = 0; i < 4; i++)
		if (ends[i] != a && ends[i] != b)
			close(ends[i]);
}

/* ready.<pid> appears whole: written under another name, then renamed. */
static void write_ready(void)
{
	char tmp[PATH_MAX], ready[PATH_MAX];

	pid_path(tmp, dir, "tmp", me.pid);
	pid_path(ready, dir, "ready", me.pid);
	if (touch(tmp) || rename(tmp, ready))
		_exit(3);
}

/* After go: the log, with what went wrong (if anything) and the STATS line. */
static int open_log(void)
{
	char path[PATH_MAX];
	int log;

	pid_path(path, dir, "log", me.pid);
	log = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (log < 0)
		log = open("/dev/null", O_WRONLY);
	return log;
}

static void finish(int log, int fails)
{
	if (me.note[0]) {
		dprintf(log, "%s %d: FAIL %s\n", me.name, (int)me.pid, me.note);
		fails++;
	}
	close(log);
	_exit(fails ? 1 : 0);
}

static void run_producer(pid_t filter)
{
	char path[PATH_MAX];
	uint64_t seq = 0, sum = FNV64_INIT, before;
	int wfd = p1[1], size_before, size_after, flags, log, fails = 0;
	struct record r;
	ssize_t n;

	keep_ends(wfd, -1);
	size_before = fcntl(wfd, F_GETPIPE_SZ);
	for (; seq < PASSED_BEFORE; seq++) {
		make_record(seq, &r);
		if (put_record(wfd, &r))
			break;
		filter_record(&r);
		sum = fnv64(&r, sizeof(r), sum);
	}

	/* The filter has stopped: fill pipe 1 up. */
	pid_path(path, dir, "ready", filter);
	wait_for(path);
	flags = fcntl(wfd, F_GETFL);
	if (flags < 0 || fcntl(wfd, F_SETFL, flags | O_NONBLOCK))
		note("F_SETFL O_NONBLOCK: %s", strerror(errno));
	for (; seq < NR_RECORDS; seq++) {
		make_record(seq, &r);
		n = write(wfd, &r, sizeof(r)); /* <= PIPE_BUF: all or nothing */
		if (n < 0 && errno == EINTR) {
			seq--;
			continue;
		}
		if (n != (ssize_t)sizeof(r)) {
			if (n >= 0 || errno != EAGAIN)
				note("non-blocking write of %llu: %zd, %s",
				     (unsigned long long)seq, n,
				     n < 0 ? strerror(errno) : "torn");
			break;
		}
		filter_record(&r);
		sum = fnv64(&r, sizeof(r), sum);
	}
	if (fcntl(wfd, F_SETFL, flags))
		note("F_SETFL: %s", strerror(errno));
	before = seq;
	write_ready();

	/* The first of these blocks until the filter goes on, after go. */
	for (; seq < NR_RECORDS; seq++) {
		make_record(seq, &r);
		if (put_record(wfd, &r))
			break;
		filter_record(&r);
		sum = fnv64(&r, sizeof(r), sum);
	}
	wait_for(go_path);
	size_after = fcntl(wfd, F_GETPIPE_SZ);
	close(wfd);

	log = open_log();
	fails += seq != NR_RECORDS;
	fails += size_before != PIPE1_SIZE || size_after != PIPE1_SIZE;
	fails += before <= PASSED_BEFORE;
	dprintf(log,
		"%s %d: %s wrote %llu records, %llu before go; pipe 1 size %d, %d after go\n",
		me.name, (int)me.pid, fails ? "FAIL" : "PASS",
		(unsigned long long)seq, (unsigned long long)before,
		size_before, size_after);
	dprintf(log, "STATS written %llu before %llu sum %016llx pipe1 %d %d\n",
		(unsigned long long)seq, (unsigned long long)before,
		(unsigned long long)sum, size_before, size_after);
	finish(log, fails);
}

static void run_filter(void)
{
	struct stream s = { .sum = FNV64_INIT };
	int rfd = p1[0], wfd = p2[1], log, fails = 0, r_ok = 0;
	int size1_before, size2_before, size1_after, size2_after;
	uint64_t before;
	struct record r;

	keep_ends(rfd, wfd);
	size1_before = fcntl(rfd, F_GETPIPE_SZ);
	size2_before = fcntl(wfd, F_GETPIPE_SZ);
	while (s.got < PASSED_BEFORE && (r_ok = get_record(rfd, &r)) > 0) {
		verify(&s, &r, 0);
		filter_record(&r);
		if (put_record(wfd, &r))
			break;
		nap_us(NAP_US);
	}
	before = s.got;
	write_ready();
	wait_for(go_path);

	while (r_ok >= 0 && (r_ok = get_record(rfd, &r)) > 0) {
		verify(&s, &r, 0);
		filter_record(&r);
		if (put_record(wfd, &r))
			break;
	}
	size1_after = fcntl(rfd, F_GETPIPE_SZ);
	size2_after = fcntl(wfd, F_GETPIPE_SZ);
	close(rfd);
	close(wfd);

	log = open_log();
	fails += stream_bad(&s);
	fails += size1_before != PIPE1_SIZE || size1_after != PIPE1_SIZE;
	fails += size2_before != pipe2_size || size2_after != pipe2_size;
	dprintf(log,
		"%s %d: %s passed %llu records (%llu before go), %llu gaps, %llu dups, %llu corrupt; pipe 1 size %d, %d after go; pipe 2 size %d, %d after go\n",
		me.name, (int)me.pid, fails ? "FAIL" : "PASS",
		(unsigned long long)s.got, (unsigned long long)before,
		(unsigned long long)s.gaps, (unsigned long long)s.dups,
		(unsigned long long)s.corrupt, size1_before, size1_after,
		size2_before, size2_after);
	dprintf(log,
		"STATS passed %llu before %llu bad %llu pipe1 %d %d pipe2 %d %d\n",
		(unsigned long long)s.got, (unsigned long long)before,
		(unsigned long long)(s.gaps + s.dups + s.corrupt), size1_before,
		size1_after, size2_before, size2_after);
	finish(log, fails);
}

static void run_consumer(void)
{
	struct stream s = { .sum = FNV64_INIT };
	int rfd = p2[0], log, fails = 0, r_ok = 0, size_before, size_after;
	uint64_t before;
	struct record r;

	keep_ends(rfd, -1);
	size_before = fcntl(rfd, F_GETPIPE_SZ);
	while (s.got < CONSUMED_BEFORE && (r_ok = get_record(rfd, &r)) > 0) {
		verify(&s, &r, 1);
		nap_us(NAP_US);
	}
	before = s.got;
	write_ready();
	wait_for(go_path);

	while (r_ok >= 0 && (r_ok = get_record(rfd, &r)) > 0)
		verify(&s, &r, 1);
	size_after = fcntl(rfd, F_GETPIPE_SZ);
	close(rfd);

	log = open_log();
	fails += stream_bad(&s);
	fails += size_before != pipe2_size || size_after != pipe2_size;
	dprintf(log,
		"%s %d: %s got %llu records (%llu before go), %llu gaps, %llu dups, %llu corrupt, sum %016llx; pipe 2 size %d, %d after go\n",
		me.name, (int)me.pid, fails ? "FAIL" : "PASS",
		(unsigned long long)s.got, (unsigned long long)before,
		(unsigned long long)s.gaps, (unsigned long long)s.dups,
		(unsigned long long)s.corrupt, (unsigned long long)s.sum,
		size_before, size_after);
	dprintf(log,
		"STATS got %llu before %llu bad %llu sum %016llx pipe2 %d %d\n",
		(unsigned long long)s.got, (unsigned long long)before,
		(unsigned long long)(s.gaps + s.dups + s.corrupt),
		(unsigned long long)s.sum, size_before, size_after);
	finish(log, fails);
}

static pid_t spawn(const char *name, void (*fn)(pid_t), pid_t arg)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		memset(&me, 0, sizeof(me));
		me.name = name;
		me.pid = getpid();
		fn(arg);
		_exit(3);
	}
	return pid;
}

static void producer_main(pid_t filter)
{
	run_producer(filter);
}

static void filter_main(pid_t unused)
{
	(void)unused;
	run_filter();
}

static void consumer_main(pid_t unused)
{
	(void)unused;
	run_consumer();
}

/* Leftovers of an earlier run in DIR would confuse the root. */
static void clean_ours(void)
{
	static const char *const ours[] = { "ready.", "tmp.", "log." };

	clean_dir(dir, ours, sizeof(ours) / sizeof(ours[0]));
}

enum { PRODUCER, FILTER, CONSUMER, NR_KIDS };

static struct kid {
	const char *name;
	pid_t pid;
	int status, reaped;
	char log[2048]; /* its log but the STATS line, lines joined by '|' */
	char stats[256]; /* its STATS line, or "" */
} kid[NR_KIDS] = { { .name = "producer" },
		   { .name = "filter" },
		   { .name = "consumer" } };

static int all_ready(void)
{
	char path[PATH_MAX];
	int i;

	for (i = 0; i < NR_KIDS; i++) {
		pid_path(path, dir, "ready", kid[i].pid);
		if (access(path, F_OK))
			return 0;
	}
	return 1;
}

/* Reaps the children, killing what is left at the deadline. */
static void reap_all(void)
{
	struct timespec start;
	int i, left = NR_KIDS;
	pid_t got;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (left && ms_since(&start) < RUN_TIMEOUT_MS) {
		for (i = 0; i < NR_KIDS; i++) {
			if (kid[i].reaped)
				continue;
			got = waitpid(kid[i].pid, &kid[i].status, WNOHANG);
			if (got == kid[i].pid || (got < 0 && errno != EINTR)) {
				kid[i].reaped = got == kid[i].pid ? 1 : -1;
				left--;
			}
		}
		if (left)
			nap_us(10 * 1000);
	}
	for (i = 0; i < NR_KIDS; i++) {
		if (kid[i].reaped)
			continue;
		note("%s %d still running after %d ms, killed", kid[i].name,
		     (int)kid[i].pid, RUN_TIMEOUT_MS);
		kill(kid[i].pid, SIGKILL);
		kid[i].reaped = waitpid(kid[i].pid, &kid[i].status, 0) ==
						kid[i].pid ?
					1 :
					-1;
	}
}

static void read_log(struct kid *k)
{
	char path[PATH_MAX], *p;

	pid_path(path, dir, "log", k->pid);
	if (slurp(path, k->log, sizeof(k->log))) {
		snprintf(k->log, sizeof(k->log), "no log");
		return;
	}
	p = strstr(k->log, "STATS ");
	if (p && (p == k->log || p[-1] == '\n')) {
		snprintf(k->stats, sizeof(k->stats), "%s", p);
		*p = '\0';
	}
	for (p = k->log; *p; p++)
		if (*p == '\n')
			*p = p[1] ? '|' : '\0';
}

int main(int argc, char **argv)
{
	unsigned long long written = 0, prod_before = 0, prod_sum = 0,
			   passed = 0, filt_before = 0, filt_bad = 0, got = 0,
			   cons_before = 0, cons_bad = 0, cons_sum = 0;
	int prod_p1[2] = { -1, -1 }, filt_p1[2] = { -1, -1 },
	    filt_p2[2] = { -1, -1 }, cons_p2[2] = { -1, -1 };
	int have_prod = 0, have_filt = 0, have_cons = 0, ok, i;
	char result[32], setup_state;
	struct timespec start;
	long ms;

	dir = workload_dir(argc, argv, go_path);
	if (!dir)
		return 1;
	me.name = "root";
	me.pid = getpid();
	clean_ours();

	if (pipe(p1) || pipe(p2)) {
		check("setup", 0, "pipe: %s", strerror(errno));
		return 1;
	}
	ok = fcntl(p1[1], F_SETPIPE_SZ, PIPE1_SIZE);
	if (ok != PIPE1_SIZE) {
		check("setup", 0, "F_SETPIPE_SZ %d: %d, %s", PIPE1_SIZE, ok,
		      strerror(errno));
		return 1;
	}
	pipe2_size = fcntl(p2[0], F_GETPIPE_SZ);

	kid[FILTER].pid = spawn("filter", filter_main, 0);
	kid[CONSUMER].pid = spawn("consumer", consumer_main, 0);
	kid[PRODUCER].pid =
		kid[FILTER].pid > 0 ?
			spawn("producer", producer_main, kid[FILTER].pid) :
			-1;
	keep_ends(-1, -1);
	for (i = 0; i < NR_KIDS; i++) {
		if (kid[i].pid > 0)
			continue;
		check("setup", 0, "fork %s: %s", kid[i].name, strerror(errno));
		for (i = 0; i < NR_KIDS; i++)
			if (kid[i].pid > 0)
				kill(kid[i].pid, SIGKILL);
		while (wait(NULL) > 0)
			;
		return 1;
	}

	/* The three stopped, pipe 1 full and the producer asleep in write(). */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		setup_state = proc_state(kid[PRODUCER].pid);
		if (all_ready() && setup_state == 'S')
			break;
		ms = ms_since(&start);
		if (ms > SETUP_TIMEOUT_MS) {
			note("after %ld ms: %s ready, producer state '%c'", ms,
			     all_ready() ? "all" : "not all", setup_state);
			break;
		}
		nap_us(10 * 1000);
	}
	if (me.note[0])
		touch(go_path); /* let everyone go on and report what can be */
	else
		printf("READY\n");
	wait_for(go_path);

	check("setup", !me.note[0], "%s",
	      me.note[0] ?
		      me.note :
		      "3 children ready, pipe 1 full, the producer in write()");
	me.note[0] = '\0';
	reap_all();
	for (i = 0; i < NR_KIDS; i++)
		read_log(&kid[i]);

	if (kid[PRODUCER].stats[0])
		have_prod =
			sscanf(kid[PRODUCER].stats,
			       "STATS written %llu before %llu sum %llx pipe1 %d %d",
			       &written, &prod_before, &prod_sum, &prod_p1[0],
			       &prod_p1[1]) == 5;
	if (kid[FILTER].stats[0])
		have_filt =
			sscanf(kid[FILTER].stats,
			       "STATS passed %llu before %llu bad %llu pipe1 %d %d pipe2 %d %d",
			       &passed, &filt_before, &filt_bad, &filt_p1[0],
			       &filt_p1[1], &filt_p2[0], &filt_p2[1]) == 7;
	if (kid[CONSUMER].stats[0])
		have_cons =
			sscanf(kid[CONSUMER].stats,
			       "STATS got %llu before %llu bad %llu sum %llx pipe2 %d %d",
			       &got, &cons_before, &cons_bad, &cons_sum,
			       &cons_p2[0], &cons_p2[1]) == 6;

	check("records",
	      have_prod && have_filt && have_cons && written == NR_RECORDS &&
		      passed == NR_RECORDS && got == NR_RECORDS && !filt_bad &&
		      !cons_bad && filt_before == PASSED_BEFORE &&
		      cons_before == CONSUMED_BEFORE &&
		      prod_before > filt_before,
	      "%s%s%sproduced %llu, filtered %llu (%llu bad), consumed %llu (%llu bad) of %d; in flight at go: %llu in pipe 1, %llu in pipe 2",
	      have_prod ? "" : "no producer stats; ",
	      have_filt ? "" : "no filter stats; ",
	      have_cons ? "" : "no consumer stats; ", written, passed, filt_bad,
	      got, cons_bad, NR_RECORDS, prod_before - filt_before,
	      filt_before - cons_before);
	check("checksum", have_prod && have_cons && prod_sum == cons_sum,
	      "consumer's running checksum %016llx, producer's %016llx",
	      cons_sum, prod_sum);
	check("pipe-size",
	      have_prod && have_filt && have_cons && prod_p1[0] == PIPE1_SIZE &&
		      prod_p1[1] == PIPE1_SIZE && filt_p1[0] == PIPE1_SIZE &&
		      filt_p1[1] == PIPE1_SIZE && filt_p2[0] == pipe2_size &&
		      filt_p2[1] == pipe2_size && cons_p2[0] == pipe2_size &&
		      cons_p2[1] == pipe2_size,
	      "pipe 1 (set to %d) before/after go: write end %d/%d, read end %d/%d; pipe 2 (%d): write end %d/%d, read end %d/%d",
	      PIPE1_SIZE, prod_p1[0], prod_p1[1], filt_p1[0], filt_p1[1],
	      pipe2_size, filt_p2[0], filt_p2[1], cons_p2[0], cons_p2[1]);
	for (i = 0; i < NR_KIDS; i++) {
		snprintf(result, sizeof(result), "child-%s", kid[i].name);
		ok = kid[i].reaped == 1 && WIFEXITED(kid[i].status) &&
		     WEXITSTATUS(kid[i].status) == 0;
		check(result, ok, "%d %s %#x; log: %s", (int)kid[i].pid,
		      kid[i].reaped == 1 ? "status" : "not reaped, status",
		      kid[i].status, kid[i].log);
	}
	if (me.note[0])
		check("reap", 0, "%s", me.note);
	return check_exit_status();
}
