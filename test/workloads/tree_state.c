// SPDX-License-Identifier: GPL-2.0
/*
 * The process tree across checkpoint/restart: parents, process groups and
 * the session, three levels deep, with a group joined from another subtree,
 * a group whose leader has exited and been reaped (the restart needs a
 * placeholder for its pid) and a zombie nobody has reaped yet. The root
 * calls setsid() and builds:
 *
 *   R   session and group leader
 *   |-- Z    _exit(42) at once; reaped by R only after the restart
 *   |-- A    own group A
 *   |   |-- A1        group A
 *   |   |   |-- A1a   group A
 *   |   |   `-- A1b   group A
 *   |   `-- A2        group A
 *   |-- B    own group B
 *   |   |-- B1        group B
 *   |   `-- B2        joins group A
 *   |-- C    group R
 *   |   |-- C1, C2    group R
 *   |   `-- C3        own group C3
 *   `-- D    group R
 *       |-- D1        own group D1; exits and is reaped by D before READY
 *       `-- D2        joins group D1, which lives on without its leader
 *
 * Each process, once set up, creates DIR/ready.<pid> holding "name pid ppid
 * pgid sid"; the root prints READY when all 14 are there and Z is a zombie.
 * Everything waits in nanosleep() until DIR/go appears. Then each process
 * checks its pid, ppid, pgid and sid are as before, writes what it found to
 * DIR/log.<pid>, reaps its children and exits 0 only if its checks and its
 * children's all passed. Only the root prints, from what the exit statuses
 * and logs say. Usage: tree_state DIR   (DIR empty; the go file is DIR/go)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#define MAX_KIDS 4
#define NR_READY 14
#define SETUP_TIMEOUT_MS 30000

static const char *dir;
static char go_path[PATH_MAX];
static pid_t pid_a; /* B2 joins A's group */

/* The calling process: who it is, what it expects, whom it must reap. */
static struct {
	const char *name;
	pid_t pid, ppid, pgid, sid;
	int nr_kids;
	pid_t kid[MAX_KIDS];
	const char *kid_name[MAX_KIDS];
	char note[512]; /* what went wrong before the checkpoint */
} me;

/* The ready files, as the root read them. */
static struct record {
	char name[8];
	pid_t pid, ppid, pgid, sid;
} rec[NR_READY + 4];
static int nr_rec;

/* The tree as built: each process's parent and the leader of its group. */
static const struct {
	const char *name, *parent, *leader; /* leader NULL: D1, gone */
} shape[NR_READY] = {
	{ "A", "R", "A" },    { "A1", "A", "A" },  { "A1a", "A1", "A" },
	{ "A1b", "A1", "A" }, { "A2", "A", "A" },  { "B", "R", "B" },
	{ "B1", "B", "B" },   { "B2", "B", "A" },  { "C", "R", "R" },
	{ "C1", "C", "R" },   { "C2", "C", "R" },  { "C3", "C", "C3" },
	{ "D", "R", "R" },    { "D2", "D", NULL },
};

#define note(...) note_to(me.note, sizeof(me.note), __VA_ARGS__)

static void fail_and_exit(void)
{
	_exit(3);
}

/*
 * Forks a child that runs fn, which never returns. group < 0: the child
 * stays in its parent's group; 0: it leads a group of its own; otherwise it
 * joins that group. Parent and child both move it, so the group is settled
 * by the time either goes on.
 */
static pid_t spawn(const char *name, void (*fn)(void), pid_t group)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		note("fork %s: %s", name, strerror(errno));
		return -1;
	}
	if (pid == 0) {
		memset(&me, 0, sizeof(me));
		me.name = name;
		if (group >= 0 && setpgid(0, group))
			note("setpgid(0, %d): %s", (int)group, strerror(errno));
		fn();
		fail_and_exit();
	}
	if (group >= 0 && setpgid(pid, group ? group : pid))
		note("setpgid(%s %d, %d): %s", name, (int)pid,
		     (int)(group ? group : pid), strerror(errno));
	if (me.nr_kids < MAX_KIDS) {
		me.kid[me.nr_kids] = pid;
		me.kid_name[me.nr_kids++] = name;
	}
	return pid;
}

static void forget_kid(pid_t pid)
{
	int i, j;

	for (i = j = 0; i < me.nr_kids; i++) {
		if (me.kid[i] == pid)
			continue;
		me.kid[j] = me.kid[i];
		me.kid_name[j++] = me.kid_name[i];
	}
	me.nr_kids = j;
}

static void record_ids(void)
{
	me.pid = getpid();
	me.ppid = getppid();
	me.pgid = getpgid(0);
	me.sid = getsid(0);
}

/* ready.<pid> appears whole: written under another name, then renamed. */
static void write_ready(void)
{
	char tmp[PATH_MAX], ready[PATH_MAX];
	int fd;

	pid_path(tmp, dir, "tmp", me.pid);
	pid_path(ready, dir, "ready", me.pid);
	fd = open(tmp, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		fail_and_exit();
	dprintf(fd, "%s %d %d %d %d\n", me.name, (int)me.pid, (int)me.ppid,
		(int)me.pgid, (int)me.sid);
	close(fd);
	if (rename(tmp, ready))
		fail_and_exit();
}

/*
 * A child's life once its own children are forked: record, say ready, wait
 * for go, check, log, reap, exit. after() adds checks of its own and returns
 * how many failed.
 */
static void settle(int (*after)(int log))
{
	char path[PATH_MAX];
	pid_t pid, ppid, pgid, sid;
	int log, fails = 0, i, status, ok;

	record_ids();
	write_ready();
	wait_for(go_path);

	pid_path(path, dir, "log", me.pid);
	log = open(path, O_CREAT | O_WRONLY | O_APPEND, 0644);
	if (log < 0)
		log = open("/dev/null", O_WRONLY);
	if (me.note[0]) {
		dprintf(log, "%s %d: FAIL before the checkpoint: %s\n", me.name,
			(int)me.pid, me.note);
		fails++;
	}
	pid = getpid();
	ppid = getppid();
	pgid = getpgid(0);
	sid = getsid(0);
	ok = pid == me.pid && ppid == me.ppid && pgid == me.pgid &&
	     sid == me.sid;
	dprintf(log,
		"%s %d: %s pid %d ppid %d pgid %d sid %d (were %d %d %d %d)\n",
		me.name, (int)me.pid, ok ? "PASS" : "FAIL", (int)pid, (int)ppid,
		(int)pgid, (int)sid, (int)me.pid, (int)me.ppid, (int)me.pgid,
		(int)me.sid);
	fails += !ok;
	if (after)
		fails += after(log);
	for (i = 0; i < me.nr_kids; i++) {
		pid = waitpid(me.kid[i], &status, 0);
		ok = pid == me.kid[i] && WIFEXITED(status) &&
		     WEXITSTATUS(status) == 0;
		if (pid != me.kid[i])
			dprintf(log, "%s %d: FAIL child %s %d: waitpid: %s\n",
				me.name, (int)me.pid, me.kid_name[i],
				(int)me.kid[i], strerror(errno));
		else
			dprintf(log, "%s %d: %s child %s %d status %#x\n",
				me.name, (int)me.pid, ok ? "PASS" : "FAIL",
				me.kid_name[i], (int)me.kid[i], status);
		fails += !ok;
	}
	close(log);
	_exit(fails ? 1 : 0);
}

static void run_leaf(void)
{
	settle(NULL);
}

static void run_a1(void)
{
	spawn("A1a", run_leaf, -1);
	spawn("A1b", run_leaf, -1);
	settle(NULL);
}

static void run_a(void)
{
	spawn("A1", run_a1, -1);
	spawn("A2", run_leaf, -1);
	settle(NULL);
}

static void run_b(void)
{
	spawn("B1", run_leaf, -1);
	spawn("B2", run_leaf, pid_a);
	settle(NULL);
}

static void run_c(void)
{
	spawn("C1", run_leaf, -1);
	spawn("C2", run_leaf, -1);
	spawn("C3", run_leaf, 0);
	settle(NULL);
}

/* D1 waits until D2 has joined its group, then goes. */
static void run_d1(void)
{
	char path[PATH_MAX];

	pid_path(path, dir, "exit", getpid());
	wait_for(path);
	_exit(0);
}

/* D2's group has no leader: its pid must name no process. */
static int leaderless(int log)
{
	int r = kill(me.pgid, 0), err = errno;
	int ok = r < 0 && err == ESRCH;

	dprintf(log, "%s %d: %s group leader %d %s\n", me.name, (int)me.pid,
		ok ? "PASS" : "FAIL", (int)me.pgid,
		ok     ? "is gone" :
		r == 0 ? "is a process again" :
			 strerror(err));
	return !ok;
}

static void run_d2(void)
{
	settle(leaderless);
}

static void run_d(void)
{
	char path[PATH_MAX];
	pid_t d1, d2;
	int status;

	d1 = spawn("D1", run_d1, 0);
	d2 = spawn("D2", run_d2, d1);
	if (d1 > 0 && d2 > 0) {
		pid_path(path, dir, "ready", d2);
		wait_for(path);
	}
	if (d1 > 0) {
		pid_path(path, dir, "exit", d1);
		if (touch(path))
			note("create %s: %s", path, strerror(errno));
		if (waitpid(d1, &status, 0) != d1)
			note("waitpid D1 %d: %s", (int)d1, strerror(errno));
		else if (!WIFEXITED(status) || WEXITSTATUS(status))
			note("D1 %d status %#x", (int)d1, status);
		forget_kid(d1);
		unlink(path);
	}
	settle(NULL);
}

/* Leftovers of an earlier run in DIR would confuse the ready count. */
static void clean_ours(void)
{
	static const char *const ours[] = { "ready.", "tmp.", "log.", "exit." };

	clean_dir(dir, ours, sizeof(ours) / sizeof(ours[0]));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct record *)a)->name,
		      ((const struct record *)b)->name);
}

static int read_ready(void)
{
	char path[PATH_MAX], buf[128];
	struct dirent *de;
	struct record r;
	DIR *d = opendir(dir);

	nr_rec = 0;
	if (!d)
		return 0;
	while ((de = readdir(d)) &&
	       nr_rec < (int)(sizeof(rec) / sizeof(rec[0]))) {
		if (strncmp(de->d_name, "ready.", 6))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (slurp(path, buf, sizeof(buf)) ||
		    sscanf(buf, "%7s %d %d %d %d", r.name, &r.pid, &r.ppid,
			   &r.pgid, &r.sid) != 5)
			continue;
		rec[nr_rec++] = r;
	}
	closedir(d);
	qsort(rec, nr_rec, sizeof(rec[0]), by_name);
	return nr_rec;
}

static struct record *find(const char *name)
{
	int i;

	for (i = 0; i < nr_rec; i++)
		if (!strcmp(rec[i].name, name))
			return &rec[i];
	return NULL;
}

static pid_t pid_named(const char *name)
{
	struct record *r = find(name);

	if (!strcmp(name, "R"))
		return me.pid;
	return r ? r->pid : -1;
}

/* Is the tree the one described above? "" if so, else what is off. */
static void check_shape(char *out, size_t len)
{
	size_t used = 0;
	struct record *r;
	int i, j, r_kill, err;

	out[0] = '\0';
#define OFF(...)                                                               \
	do {                                                                   \
		if (used < len)                                                \
			used += snprintf(out + used, len - used, __VA_ARGS__); \
	} while (0)
	for (i = 0; i < NR_READY; i++) {
		r = find(shape[i].name);
		if (!r) {
			OFF(" %s: not ready;", shape[i].name);
			continue;
		}
		if (r->ppid != pid_named(shape[i].parent))
			OFF(" %s: ppid %d, not %s;", r->name, r->ppid,
			    shape[i].parent);
		if (r->sid != me.pid)
			OFF(" %s: sid %d;", r->name, r->sid);
		if (shape[i].leader) {
			if (r->pgid != pid_named(shape[i].leader))
				OFF(" %s: pgid %d, not %s's;", r->name, r->pgid,
				    shape[i].leader);
			continue;
		}
		for (j = 0; j < nr_rec; j++)
			if (rec[j].pid == r->pgid)
				OFF(" %s: pgid %d is %s;", r->name, r->pgid,
				    rec[j].name);
		r_kill = kill(r->pgid, 0);
		err = errno;
		if (r->pgid == r->pid || r->pgid == me.pid || r_kill == 0 ||
		    err != ESRCH)
			OFF(" %s: pgid %d has a leader;", r->name, r->pgid);
	}
#undef OFF
}

/* How many processes besides the root are in its session. */
static int others_in_session(char *list, size_t len)
{
	char buf[512];
	const char *fields;
	int n = 0, pid, ppid, pgid, sid;
	size_t used = 0;
	struct dirent *de;
	DIR *d = opendir("/proc");
	char state;

	list[0] = '\0';
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		pid = atoi(de->d_name);
		if (pid <= 0 || pid == me.pid)
			continue;
		fields = proc_stat_fields(pid, buf, sizeof(buf));
		if (!fields ||
		    sscanf(fields, "%c %d %d %d", &state, &ppid, &pgid, &sid) !=
			    4 ||
		    sid != me.pid)
			continue;
		n++;
		if (used < len)
			used += snprintf(list + used, len - used, " %d(%c)",
					 pid, state);
	}
	closedir(d);
	return n;
}

/* The logs of subtree X's processes that hold a FAIL, or are missing. */
static void failing_logs(char letter, char *out, size_t len)
{
	char path[PATH_MAX], buf[2048], *p;
	size_t used = 0;
	int i;

	out[0] = '\0';
	for (i = 0; i < nr_rec && used < len; i++) {
		if (rec[i].name[0] != letter)
			continue;
		pid_path(path, dir, "log", rec[i].pid);
		if (slurp(path, buf, sizeof(buf))) {
			used += snprintf(out + used, len - used,
					 " [%s %d: no log]", rec[i].name,
					 rec[i].pid);
			continue;
		}
		if (!strstr(buf, "FAIL"))
			continue;
		for (p = buf; *p; p++)
			if (*p == '\n')
				*p = p[1] ? '|' : '\0';
		used += snprintf(out + used, len - used, " [%s]", buf);
	}
}

static void report_subtree(const char *name, pid_t pid)
{
	char result[32], members[256], logs[4096];
	size_t used = 0;
	int status, i;
	pid_t got;

	members[0] = '\0';
	for (i = 0; i < nr_rec; i++)
		if (rec[i].name[0] == name[0] && used < sizeof(members))
			used += snprintf(members + used, sizeof(members) - used,
					 " %s=%d", rec[i].name, rec[i].pid);
	snprintf(result, sizeof(result), "subtree-%s", name);
	got = waitpid(pid, &status, 0);
	if (got != pid) {
		check(result, 0, "waitpid %s %d: %s;%s", name, (int)pid,
		      strerror(errno), members);
		return;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		check(result, 1, "%s %d exited 0, all checks passed:%s", name,
		      (int)pid, members);
		return;
	}
	failing_logs(name[0], logs, sizeof(logs));
	check(result, 0, "%s %d status %#x;%s; failing:%s", name, (int)pid,
	      status, members, logs);
}

int main(int argc, char **argv)
{
	static const char *const top[] = { "A", "B", "C", "D" };
	char shape_off[1024], list[512];
	pid_t z, pid, ppid, pgid, sid, top_pid[4];
	struct timespec start, now;
	int status, waited, i, n, ready, no_child;
	char z_state, z_state_go;
	long ms;

	dir = workload_dir(argc, argv, go_path);
	if (!dir)
		return 1;
	me.name = "R";
	if (setsid() < 0) {
		check("setup", 0, "setsid: %s", strerror(errno));
		return 1;
	}
	me.pid = getpid();
	me.ppid = getppid();
	me.pgid = getpgid(0);
	me.sid = getsid(0);
	clean_ours();

	fflush(stdout);
	z = fork();
	if (z == 0)
		_exit(42);
	if (z < 0) {
		check("setup", 0, "fork Z: %s", strerror(errno));
		return 1;
	}
	top_pid[0] = pid_a = spawn("A", run_a, 0);
	top_pid[1] = spawn("B", run_b, 0);
	top_pid[2] = spawn("C", run_c, -1);
	top_pid[3] = spawn("D", run_d, -1);

	/* Z must be a zombie and every other process settled before READY. */
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		z_state = proc_state(z);
		ready = read_ready();
		if (z_state == 'Z' && ready >= NR_READY)
			break;
		clock_gettime(CLOCK_MONOTONIC, &now);
		ms = (now.tv_sec - start.tv_sec) * 1000 +
		     (now.tv_nsec - start.tv_nsec) / 1000000;
		if (ms > SETUP_TIMEOUT_MS) {
			note("after %ld ms Z is '%c' and %d of %d are ready",
			     ms, z_state, ready, NR_READY);
			break;
		}
		nap();
	}
	check_shape(shape_off, sizeof(shape_off));
	if (me.note[0]) {
		/* Let everyone go on and report what can be reported. */
		touch(go_path);
	} else {
		printf("READY\n");
	}
	wait_for(go_path);

	check("setup", !me.note[0], "%s",
	      me.note[0] ? me.note : "tree built, Z a zombie");
	check("tree-shape", !shape_off[0] && nr_rec == NR_READY,
	      "%d processes below the root%s%s", nr_rec,
	      shape_off[0] ? ", off:" : " as built", shape_off);
	pid = getpid();
	ppid = getppid();
	pgid = getpgid(0);
	sid = getsid(0);
	check("root-ids", pid == me.pid && pgid == me.pid && sid == me.pid,
	      "pid %d pgid %d sid %d (were %d %d %d), ppid %d (was %d)",
	      (int)pid, (int)pgid, (int)sid, (int)me.pid, (int)me.pgid,
	      (int)me.sid, (int)ppid, (int)me.ppid);

	z_state_go = proc_state(z);
	waited = waitpid(z, &status, 0);
	if (waited != z)
		check("zombie-status", 0, "Z %d state '%c' at go; waitpid: %s",
		      (int)z, z_state_go, strerror(errno));
	else
		check("zombie-status",
		      z_state_go == 'Z' && WIFEXITED(status) &&
			      WEXITSTATUS(status) == 42,
		      "Z %d state '%c' at go, status %#x (exit %d)", (int)z,
		      z_state_go, status,
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);

	for (i = 0; i < 4; i++) {
		if (top_pid[i] > 0)
			report_subtree(top[i], top_pid[i]);
		else
			check("subtree", 0, "%s was never forked", top[i]);
	}

	waited = waitpid(-1, &status, WNOHANG);
	no_child = waited < 0 && errno == ECHILD;
	n = others_in_session(list, sizeof(list));
	check("all-exited", no_child && n == 0,
	      "waitpid(-1) %s, %d other processes in the session%s",
	      no_child ? "finds no child" : "finds a child", n, list);
	return check_exit_status();
}
