// SPDX-License-Identifier: GPL-2.0
/*
 * The module's next ids and pid reservations, driven straight through
 * /dev/cpt (security review F3, F7, F13): what an unprivileged caller is
 * refused, that requests die with their task, that a devpts instance's max
 * holds, and that many restarts' reservations, laid out against the fork
 * path, keep neither forks slow nor users unbounded.
 *
 *   nextid_limits unprivileged      (as a user without CAP_CHECKPOINT_RESTORE)
 *   nextid_limits leak N            N tasks ask for a pid and a pty and exit
 *   nextid_limits pty-max DIR       DIR: a devpts instance mounted with max=4
 *   nextid_limits flood USERS FORKS USERS uids x 16 restarts x 4096 pids
 *   nextid_limits pidns             a restart whose tree is made in a new pid namespace
 *
 * A restart's reservation is made by CPT_IOC_INIT on an image this program
 * writes itself: a header for this kernel, a tree (a process and its
 * threads, at the chosen pids) and no SysV objects; INIT reads no more.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/cpt.h>

#include "check.h"

#define PER_USER 16 /* cpt_nextid.c's CPT_RESERVATIONS_PER_USER */
#define TREE_TASKS 4096 /* CPT_MAX_TASKS */
#define AHEAD 1024 /* CPT_RESERVE_AHEAD */
#define CHAIN 4000 /* chain pids base + AHEAD * k stay below PID_MAX_LIMIT */
#define FILLER 3000000
#define SLOW_FORK_NS 50000000LL

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			exit(2);
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_varint(struct buf *b, uint64_t v)
{
	uint8_t byte;

	do {
		byte = (v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		put(b, &byte, 1);
		v >>= 7;
	} while (v);
}

static void put_uint_field(struct buf *b, unsigned int num, uint64_t v)
{
	put_varint(b, num << 3);
	put_varint(b, v);
}

static void put_bytes_field(struct buf *b, unsigned int num, const void *data,
			    size_t len)
{
	put_varint(b, num << 3 | 2);
	put_varint(b, len);
	put(b, data, len);
}

static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t len)
{
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc >> 1 ^ (0x82f63b78 & -(crc & 1));
	}
	return crc;
}

static void put_record(struct buf *img, unsigned int type,
		       const struct buf *payload)
{
	struct cpt_record_header hdr = {
		.magic = CPT_RECORD_MAGIC,
		.type = type,
		.length = payload->len,
	};
	uint32_t crc;

	crc = crc32c(~0U, (const uint8_t *)&hdr, sizeof(hdr));
	crc = ~crc32c(crc, payload->p, payload->len);
	put(img, &hdr, sizeof(hdr));
	put(img, payload->p, payload->len);
	put(img, &crc, sizeof(crc));
}

/* An image whose tree is a process pids[0] with threads pids[1..nr-1]. */
static int write_image(const pid_t *pids, unsigned int nr)
{
	struct buf img = {}, msg = {}, task = {};
	struct utsname uts;
	unsigned int i;
	int fd;

	uname(&uts);
	put_uint_field(&msg, 1, CPT_IMAGE_VERSION);
	put_bytes_field(&msg, 2, uts.release, strlen(uts.release));
	put_bytes_field(&msg, 3, "x86_64", 6);
	put_uint_field(&msg, 6, sysconf(_SC_PAGESIZE));
	put_record(&img, CPT_REC_HEADER, &msg);
	msg.len = 0;
	for (i = 0; i < nr; i++) {
		task.len = 0;
		put_uint_field(&task, 1, pids[i]);
		put_uint_field(&task, 2, pids[0]);
		put_uint_field(&task, 3, 1);
		put_bytes_field(&msg, 1, task.p, task.len);
	}
	put_record(&img, CPT_REC_TREE, &msg);
	msg.len = 0;
	put_record(&img, CPT_REC_IPC, &msg);
	put_record(&img, CPT_REC_SECCOMP, &msg); /* no filters */
	fd = memfd_create("tree", MFD_CLOEXEC);
	if (fd < 0 || write(fd, img.p, img.len) != (ssize_t)img.len ||
	    lseek(fd, 0, SEEK_SET))
		exit(2);
	free(img.p);
	free(msg.p);
	free(task.p);
	return fd;
}

static int open_dev(void)
{
	int dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);

	if (dev < 0) {
		perror("/dev/cpt");
		exit(2);
	}
	return dev;
}

/* INIT of a restart of image fd img on dev: 0 or an errno. */
static int init_restart(int dev, int img)
{
	struct cpt_init init = { .mode = CPT_MODE_RESTART, .image_fd = img };

	return ioctl(dev, CPT_IOC_INIT, &init) ? errno : 0;
}

static int set_next_id(int dev, unsigned int kind, uint64_t id)
{
	struct cpt_next_id next = { .kind = kind, .id = id };

	return ioctl(dev, CPT_IOC_SET_NEXT_ID, &next) ? errno : 0;
}

static long read_ns_last_pid(void)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_ns_last_pid(long v)
{
	FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld", v) > 0;
	return fclose(f) || !ok ? -1 : 0;
}

/* A value of the module's next_ids parameter, or -1. */
static long next_ids(const char *name)
{
	FILE *f = fopen("/sys/module/cpt/parameters/next_ids", "r");
	char key[64];
	long v, found = -1;

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2)
		if (!strcmp(key, name))
			found = v;
	fclose(f);
	return found;
}

static int unprivileged(void)
{
	pid_t pid = getpid() + 4000;
	int dev = open_dev(), img = write_image(&pid, 1), err;

	err = init_restart(dev, img);
	check("nextid.unprivileged-reserve-refused", err == EPERM,
	      "INIT of a restart (reserving pid %d) without CAP_CHECKPOINT_RESTORE: %s",
	      pid, strerror(err));
	err = set_next_id(dev, CPT_ID_PID, pid);
	check("nextid.unprivileged-pid-refused", err == EPERM,
	      "SET_NEXT_ID of pid %d without CAP_CHECKPOINT_RESTORE: %s", pid,
	      strerror(err));
	err = set_next_id(dev, CPT_ID_PTY, 7);
	check("nextid.unprivileged-pty-refused", err == EPERM,
	      "SET_NEXT_ID of pty 7 without CAP_CHECKPOINT_RESTORE: %s",
	      strerror(err));
	set_next_id(dev, CPT_ID_PID, 0);
	set_next_id(dev, CPT_ID_PTY, CPT_ID_NONE);
	return check_exit_status();
}

static int leak_dev;

static void *ask_and_exit(void *arg __attribute__((unused)))
{
	set_next_id(leak_dev, CPT_ID_PID, 1234567);
	set_next_id(leak_dev, CPT_ID_PTY, 7);
	return NULL;
}

/* Processes and threads that ask for a pid and a pty index, then exit. */
static int leak(unsigned int n)
{
	long before = next_ids("requests"), after;
	unsigned int i, failed = 0;
	pthread_t thread;
	int status;
	pid_t child;

	leak_dev = open_dev();
	for (i = 0; i < n; i++) {
		child = fork();
		if (child == 0) {
			_exit(set_next_id(leak_dev, CPT_ID_PID, 1234567) ||
			      set_next_id(leak_dev, CPT_ID_PTY, 7));
		}
		if (child < 0 || waitpid(child, &status, 0) != child || status)
			failed++;
		if (pthread_create(&thread, NULL, ask_and_exit, NULL) ||
		    pthread_join(thread, NULL))
			failed++;
	}
	after = next_ids("requests");
	check("nextid.requests-freed-at-exit",
	      before == 0 && after == 0 && !failed,
	      "live next-id requests: %ld before, %ld after %u processes and %u threads each asked for a pid and a pty and exited (%u failed)",
	      before, after, n, n, failed);
	return check_exit_status();
}

/* A pty index at or above a devpts instance's max is not given. */
static int pty_max(const char *dir)
{
	char path[4096];
	int dev = open_dev(), ptmx, err;
	unsigned int index = ~0U;

	snprintf(path, sizeof(path), "%s/ptmx", dir);
	err = set_next_id(dev, CPT_ID_PTY, 10);
	ptmx = open(path, O_RDWR | O_NOCTTY);
	if (ptmx >= 0 && ioctl(ptmx, TIOCGPTN, &index))
		index = ~0U;
	set_next_id(dev, CPT_ID_PTY, CPT_ID_NONE);
	check("nextid.pty-max-honoured", !err && ptmx >= 0 && index < 4,
	      "pty 10 asked (%s) in a devpts with max=4: got index %d (open: %s)",
	      strerror(err), (int)index, ptmx >= 0 ? "ok" : strerror(errno));
	return check_exit_status();
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long chain_base;
static unsigned int nr_sessions;

/* Session g's pids: the chain's k with k % K == g, then filler. */
static unsigned int session_pids(unsigned int g, pid_t *pids)
{
	unsigned int nr = 0, k;
	pid_t f;

	for (k = g; k < CHAIN; k += nr_sessions)
		pids[nr++] = chain_base + (long)AHEAD * k;
	for (f = FILLER; nr < TREE_TASKS; f++)
		if ((f - chain_base) % AHEAD)
			pids[nr++] = f;
	return nr;
}

static int is_chain_pid(pid_t pid)
{
	return pid >= chain_base && !((pid - chain_base) % AHEAD) &&
	       (pid - chain_base) / AHEAD < CHAIN;
}

/*
 * Restarts g0.. g0+PER_USER-1 on devs (INIT as the calling uid), then one
 * more, which the per-user limit refuses. Returns that one's errno.
 */
static int reserve_sessions(const int *devs, unsigned int g0, int *failed)
{
	static pid_t pids[TREE_TASKS];
	unsigned int j, nr;
	int img, err;

	for (j = 0; j <= PER_USER; j++) {
		nr = session_pids(g0 + (j < PER_USER ? j : 0), pids);
		img = write_image(pids, nr);
		err = init_restart(devs[j], img);
		close(img);
		if (j == PER_USER)
			return err;
		if (err) {
			fprintf(stderr, "INIT of session %u: %s\n", g0 + j,
				strerror(err));
			(*failed)++;
		}
	}
	return 0;
}

/* Gives up every capability but CAP_CHECKPOINT_RESTORE, as uid. */
static int become(uid_t uid)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3
	};
	struct __user_cap_data_struct data[2] = {};

	data[CAP_CHECKPOINT_RESTORE / 32].effective =
		data[CAP_CHECKPOINT_RESTORE / 32].permitted =
			1U << (CAP_CHECKPOINT_RESTORE % 32);
	if (prctl(PR_SET_KEEPCAPS, 1) || setresuid(uid, uid, uid))
		return -1;
	return syscall(SYS_capset, &hdr, data) ? -1 : 0;
}

/* One user's restarts, held until the parent closes hold. */
static void user_sessions(unsigned int u, int report, int hold)
{
	int devs[PER_USER + 1], failed = 0, err;
	unsigned int j;
	char c;

	for (j = 0; j <= PER_USER; j++)
		devs[j] = open_dev();
	if (become(60000 + u)) {
		perror("setresuid/capset");
		_exit(2);
	}
	err = reserve_sessions(devs, u * PER_USER, &failed);
	if (write(report, &err, sizeof(err)) != sizeof(err) ||
	    write(report, &failed, sizeof(failed)) != sizeof(failed))
		_exit(2);
	if (read(hold, &c, 1) < 0)
		_exit(2);
	_exit(0);
}

static int flood(unsigned int users, unsigned int forks)
{
	int devs[PER_USER + 1], report[2], hold[2], failed = 0, err,
						    over_limit = 0, status;
	long long start, took, slowest = 0;
	unsigned int u, i, j, reserved_hit = 0;
	long reservations, reserved_pids;
	pid_t child, helpers[64];

	nr_sessions = users * PER_USER;
	chain_base = read_ns_last_pid() + 64;
	if (users > 64 || chain_base < 64 || pipe(report) || pipe(hold))
		return 2;
	for (j = 0; j <= PER_USER; j++)
		devs[j] = open_dev();
	if (reserve_sessions(devs, 0, &failed) == EAGAIN)
		over_limit++;
	for (u = 1; u < users; u++) {
		helpers[u] = fork();
		if (helpers[u] == 0) {
			/* The parent's end: its close must be the last, for the EOF. */
			close(hold[1]);
			user_sessions(u, report[1], hold[0]);
		}
		if (read(report[0], &err, sizeof(err)) != sizeof(err) ||
		    read(report[0], &j, sizeof(j)) != sizeof(j))
			return 2;
		failed += j;
		if (err == EAGAIN)
			over_limit++;
	}
	reservations = next_ids("reservations");
	reserved_pids = next_ids("reserved_pids");
	check("nextid.reservations-per-user-limited",
	      over_limit == (int)users && !failed,
	      "%u users each made %d restarts (%d failed), and the next one was refused with EAGAIN for %d of them; the module holds %ld reservations of %ld pids",
	      users, PER_USER, failed, over_limit, reservations, reserved_pids);

	/* Each fork starts below the chain, so it must pass all of it. */
	for (i = 0; i < forks; i++) {
		if (write_ns_last_pid(chain_base - 2))
			return 2;
		start = now_ns();
		child = fork();
		took = now_ns() - start;
		if (child == 0)
			_exit(0);
		if (child < 0)
			return 2;
		if (took > slowest)
			slowest = took;
		if (is_chain_pid(child))
			reserved_hit++;
		waitpid(child, &status, 0);
	}
	check("nextid.fork-fast-under-reservations",
	      slowest < SLOW_FORK_NS && !reserved_hit &&
		      reserved_pids == (long)nr_sessions * TREE_TASKS,
	      "%u forks from below a chain of %d reserved pids %d apart, spread over %u restarts of %d pids: slowest %lld us, %u got a reserved pid",
	      forks, CHAIN, AHEAD, nr_sessions, TREE_TASKS, slowest / 1000,
	      reserved_hit);

	close(hold[1]);
	for (u = 1; u < users; u++)
		waitpid(helpers[u], &status, 0);
	for (j = 0; j <= PER_USER; j++)
		close(devs[j]);
	reservations = next_ids("reservations");
	reserved_pids = next_ids("reserved_pids");
	check("nextid.reservations-released", !reservations && !reserved_pids,
	      "after the restarts ended: %ld reservations, %ld reserved pids",
	      reservations, reserved_pids);
	return check_exit_status();
}

/* What a fork in this process's namespace gets after ns_last_pid = last. */
static pid_t fork_after(long last)
{
	int status;
	pid_t child;

	if (write_ns_last_pid(last))
		return -1;
	child = fork();
	if (child == 0)
		_exit(0);
	if (child > 0)
		waitpid(child, &status, 0);
	return child;
}

/* A helper left in the first namespace forks after ns_last_pid = last, for each last it reads. */
static void fork_probe(int cmd, int answer)
{
	long last;
	pid_t got;

	while (read(cmd, &last, sizeof(last)) == sizeof(last)) {
		got = fork_after(last);
		if (write(answer, &got, sizeof(got)) != sizeof(got))
			break;
	}
	_exit(0);
}

static pid_t probe(int cmd, int answer, long last)
{
	pid_t got = -1;

	if (write(cmd, &last, sizeof(last)) != sizeof(last) ||
	    read(answer, &got, sizeof(got)) != sizeof(got))
		return -1;
	return got;
}

/*
 * cptctl restart --pidns: the coordinator INITs in its namespace, then
 * builds the tree in a new one. The reservation follows the tree there,
 * leaving the coordinator's namespace its pid.
 */
static int pidns(void)
{
	int dev = open_dev(), img, cmd[2], answer[2], err;
	pid_t pid = read_ns_last_pid() + 200, before, after, helper;
	long reserved;

	img = write_image(&pid, 1);
	if (pipe(cmd) || pipe(answer))
		return 2;
	helper = fork();
	if (helper == 0) {
		/* Only the parent's write end, for the EOF that ends the helper. */
		close(cmd[1]);
		fork_probe(cmd[0], answer[1]);
	}
	err = init_restart(dev, img);
	before = probe(cmd[1], answer[0], pid - 1);
	if (!err && unshare(CLONE_NEWPID))
		err = errno;
	if (!err)
		err = set_next_id(dev, CPT_ID_PID, pid);
	after = probe(cmd[1], answer[0], pid - 1);
	reserved = next_ids("reserved_pids");
	check("nextid.pidns-reservation-follows",
	      !err && before != pid && after == pid && reserved == 1,
	      "pid %d reserved (%s): a fork in the first namespace got %d before the tree's first pid was asked for in a new namespace, %d after; %ld pid reserved",
	      pid, strerror(err), before, after, reserved);
	set_next_id(dev, CPT_ID_PID, 0);
	close(cmd[1]);
	waitpid(helper, NULL, 0);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "unprivileged"))
		return unprivileged();
	if (argc == 3 && !strcmp(argv[1], "leak"))
		return leak(atoi(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "pty-max"))
		return pty_max(argv[2]);
	if (argc == 2 && !strcmp(argv[1], "pidns"))
		return pidns();
	if (argc == 4 && !strcmp(argv[1], "flood"))
		return flood(atoi(argv[2]), atoi(argv[3]));
	fprintf(stderr,
		"usage: %s unprivileged | leak N | pty-max DIR | flood USERS FORKS\n",
		argv[0]);
	return 2;
}
