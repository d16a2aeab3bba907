// SPDX-License-Identifier: GPL-2.0
/*
 * A plain user's process tree, restarted by that user with `cptctl restart
 * --pidns` alone, which makes it a user and a pid namespace (issue 15):
 *
 *   R      the root
 *   |-- A
 *   |   `-- A1
 *   `-- B
 *
 * Each process, once set up, notes who it is (pid, ppid, real/effective/
 * saved uids and gids, supplementary groups, its user namespace), writes
 * "before NAME" to its own file DIR/file.NAME and keeps it open, then
 * creates DIR/ready.NAME; the root prints READY when all four are there.
 * Everything waits until DIR/go appears. Then each process checks:
 *
 *   pids       its pid as before; its parent's too (not the root's: its
 *              parent is the new pid namespace's init)
 *   ids        its uids and gids, as it sees them, as before; as many
 *              supplementary groups, each as before or, unmapped in a
 *              user namespace, the overflow gid; and, if DIR/group-only
 *              (a file only its group may read) was readable before, it
 *              still is: the group itself came back
 *   files      its file's offset as before; it writes "after NAME" and
 *              reads the file back whole
 *   fork-exec  it forks a child that execs this program (exec-check UID
 *              GID DIR NAME): the child finds the same ids, creates
 *              DIR/exec.NAME and exits 0
 *   userns     it is in another user namespace than before, whose uid_map
 *              maps its uid, and only it, to itself
 *
 * and writes the checks it failed (a bit each) to DIR/mask.NAME and why to
 * DIR/why.NAME, reaps its children and exits 0. The root prints a RESULT
 * per check from every process's files, and all-exited: every process
 * exited 0. Usage: userns_tree DIR (DIR empty, the user's).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define NR_PROCS 4
#define NR_CHECKS 5
#define SETUP_TIMEOUT_MS 30000
#define MAX_GROUPS 64

static const char *const check_names[NR_CHECKS] = { "pids", "ids", "files",
						    "fork-exec", "userns" };
static const char *const proc_names[NR_PROCS] = { "R", "A", "A1", "B" };

static const char *dir;

/* Who the calling process was before the checkpoint. */
static struct {
	const char *name;
	pid_t pid, ppid;
	uid_t uid[3];
	gid_t gid[3];
	int ngroups;
	gid_t groups[MAX_GROUPS];
	ino_t userns;
	int group_only; /* DIR/group-only was readable: 1, not: 0, absent: -1 */
	int fd;
	off_t offset;
} me;

static char why[1024];

/* Whether DIR/group-only can be read: 1, 0, or -1 if there is none. */
static int group_only_readable(void)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/group-only", dir);
	if (access(path, F_OK))
		return -1;
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

static gid_t overflow_gid(void)
{
	FILE *f = fopen("/proc/sys/kernel/overflowgid", "r");
	unsigned int gid = 65534;

	if (f) {
		if (fscanf(f, "%u", &gid) != 1)
			gid = 65534;
		fclose(f);
	}
	return gid;
}

static ino_t userns_ino(void)
{
	struct stat st;

	return stat("/proc/self/ns/user", &st) ? 0 : st.st_ino;
}

static void path_of(char *buf, size_t size, const char *what, const char *name)
{
	snprintf(buf, size, "%s/%s.%s", dir, what, name);
}

/* Sets up the calling process as `name`, then says it is ready. */
static void set_up(const char *name)
{
	char path[PATH_MAX], line[128];
	int len;

	me.name = name;
	me.pid = getpid();
	me.ppid = getppid();
	getresuid(&me.uid[0], &me.uid[1], &me.uid[2]);
	getresgid(&me.gid[0], &me.gid[1], &me.gid[2]);
	me.ngroups = getgroups(MAX_GROUPS, me.groups);
	me.userns = userns_ino();
	me.group_only = group_only_readable();
	path_of(path, sizeof(path), "file", name);
	me.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	len = snprintf(line, sizeof(line), "before %s\n", name);
	if (me.fd < 0 || write(me.fd, line, len) != len)
		_exit(3);
	me.offset = lseek(me.fd, 0, SEEK_CUR);
	path_of(path, sizeof(path), "ready", name);
	if (touch(path))
		_exit(3);
}

static int check_pids(void)
{
	if (getpid() != me.pid)
		note_to(why, sizeof(why), "%s: pid %d, was %d", me.name,
			getpid(), me.pid);
	else if (strcmp(me.name, "R") && getppid() != me.ppid)
		note_to(why, sizeof(why), "%s: ppid %d, was %d", me.name,
			getppid(), me.ppid);
	else
		return 0;
	return 1;
}

static int check_ids(void)
{
	gid_t groups[MAX_GROUPS];
	uid_t uid[3];
	gid_t gid[3];
	int n, i;

	getresuid(&uid[0], &uid[1], &uid[2]);
	getresgid(&gid[0], &gid[1], &gid[2]);
	n = getgroups(MAX_GROUPS, groups);
	if (memcmp(uid, me.uid, sizeof(uid)) ||
	    memcmp(gid, me.gid, sizeof(gid))) {
		note_to(why, sizeof(why),
			"%s: uids %u/%u/%u gids %u/%u/%u, were %u/%u/%u %u/%u/%u",
			me.name, uid[0], uid[1], uid[2], gid[0], gid[1], gid[2],
			me.uid[0], me.uid[1], me.uid[2], me.gid[0], me.gid[1],
			me.gid[2]);
		return 1;
	}
	if (n != me.ngroups) {
		note_to(why, sizeof(why), "%s: %d groups, were %d", me.name, n,
			me.ngroups);
		return 1;
	}
	for (i = 0; i < n; i++)
		if (groups[i] != me.groups[i] && groups[i] != overflow_gid()) {
			note_to(why, sizeof(why), "%s: group %u, was %u",
				me.name, groups[i], me.groups[i]);
			return 1;
		}
	if (me.group_only == 1 && group_only_readable() != 1) {
		note_to(why, sizeof(why),
			"%s: group-only file readable before, not now",
			me.name);
		return 1;
	}
	return 0;
}

static int check_file(void)
{
	char line[128], want[256], got[256];
	off_t at = lseek(me.fd, 0, SEEK_CUR);
	int len;
	ssize_t n;

	if (at != me.offset) {
		note_to(why, sizeof(why), "%s: offset %lld, was %lld", me.name,
			(long long)at, (long long)me.offset);
		return 1;
	}
	len = snprintf(line, sizeof(line), "after %s\n", me.name);
	snprintf(want, sizeof(want), "before %s\nafter %s\n", me.name, me.name);
	if (write(me.fd, line, len) != len) {
		note_to(why, sizeof(why), "%s: write: %s", me.name,
			strerror(errno));
		return 1;
	}
	n = pread(me.fd, got, sizeof(got) - 1, 0);
	got[n < 0 ? 0 : n] = 0;
	if (strcmp(got, want)) {
		note_to(why, sizeof(why), "%s: file holds '%s'", me.name, got);
		return 1;
	}
	return 0;
}

static int check_fork_exec(void)
{
	char uid[16], gid[16], path[PATH_MAX];
	pid_t child;
	int code;

	snprintf(uid, sizeof(uid), "%u", me.uid[1]);
	snprintf(gid, sizeof(gid), "%u", me.gid[1]);
	child = fork();
	if (child == 0) {
		execl("/proc/self/exe", "userns_tree", "exec-check", uid, gid,
		      dir, me.name, (char *)NULL);
		_exit(126);
	}
	if (child < 0) {
		note_to(why, sizeof(why), "%s: fork: %s", me.name,
			strerror(errno));
		return 1;
	}
	code = exit_code(child);
	path_of(path, sizeof(path), "exec", me.name);
	if (code != 0 || access(path, F_OK)) {
		note_to(why, sizeof(why),
			"%s: its exec'd child (pid %d) exited %d, %s", me.name,
			child, code,
			access(path, F_OK) ? "made no file" : "made its file");
		return 1;
	}
	return 0;
}

static int check_userns(void)
{
	char map[128] = "", want[128];
	unsigned int in, out, count;
	ino_t now = userns_ino();
	FILE *f = fopen("/proc/self/uid_map", "r");
	int lines = 0;

	while (f && fgets(map, sizeof(map), f)) {
		lines++;
		if (sscanf(map, "%u %u %u", &in, &out, &count) != 3 ||
		    in != me.uid[1] || out != me.uid[1] || count != 1)
			lines = -100;
	}
	if (f)
		fclose(f);
	map[strcspn(map, "\n")] = 0;
	snprintf(want, sizeof(want), "%u %u 1", me.uid[1], me.uid[1]);
	if (now == me.userns || lines != 1) {
		note_to(why, sizeof(why),
			"%s: user namespace %lu (was %lu), uid_map '%s', not '%s'",
			me.name, (unsigned long)now, (unsigned long)me.userns,
			map, want);
		return 1;
	}
	return 0;
}

/*
 * After the go file: every check, then the children reaped. A child exits
 * 0 if its report was written and its own children exited 0; the root
 * gets whether all its children did.
 */
static int run_checks(const pid_t *kids, int nkids)
{
	int (*const checks[NR_CHECKS])(void) = { check_pids, check_ids,
						 check_file, check_fork_exec,
						 check_userns };
	char path[PATH_MAX];
	int mask = 0, i, failed = 0;
	FILE *f;

	for (i = 0; i < NR_CHECKS; i++)
		if (checks[i]())
			mask |= 1 << i;
	path_of(path, sizeof(path), "why", me.name);
	f = fopen(path, "w");
	if (f) {
		fputs(why, f);
		fclose(f);
	}
	path_of(path, sizeof(path), "mask", me.name);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "%d\n", mask);
		fclose(f);
	}
	for (i = 0; i < nkids; i++)
		if (exit_code(kids[i]) != 0)
			failed = 1;
	if (strcmp(me.name, "R"))
		_exit(failed || !f ? 1 : 0);
	return !failed;
}

static pid_t spawn(const char *name, const char *child_name)
{
	pid_t pid = fork();
	pid_t kid = 0;

	if (pid)
		return pid;
	set_up(name);
	if (child_name)
		kid = spawn(child_name, NULL);
	wait_in(dir, "go", WAIT_FOREVER);
	run_checks(&kid, child_name ? 1 : 0);
	_exit(1);
}

/* The exec'd child: the ids it was given, and a file made in dir. */
static int exec_check(char **argv)
{
	char path[PATH_MAX];

	if (getuid() != strtoul(argv[2], NULL, 10) ||
	    getgid() != strtoul(argv[3], NULL, 10))
		return 2;
	snprintf(path, sizeof(path), "%s/exec.%s", argv[4], argv[5]);
	return touch(path) ? 3 : 0;
}

static void report(int all_exited)
{
	char path[PATH_MAX], buf[1024];
	int masks[NR_PROCS], c, p;

	for (p = 0; p < NR_PROCS; p++) {
		FILE *f;

		path_of(path, sizeof(path), "mask", proc_names[p]);
		f = fopen(path, "r");
		if (!f || fscanf(f, "%d", &masks[p]) != 1)
			masks[p] = -1;
		if (f)
			fclose(f);
	}
	for (c = 0; c < NR_CHECKS; c++) {
		char detail[2048] = "";
		int ok = 1;

		for (p = 0; p < NR_PROCS; p++) {
			FILE *f;
			size_t n;

			if (masks[p] >= 0 && !(masks[p] & (1 << c)))
				continue;
			ok = 0;
			path_of(path, sizeof(path), "why", proc_names[p]);
			f = fopen(path, "r");
			n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
			buf[n] = 0;
			if (f)
				fclose(f);
			note_to(detail, sizeof(detail), "%s failed (%s)",
				proc_names[p],
				masks[p] < 0 ? "no report" : buf);
		}
		check(check_names[c], ok, "%s",
		      ok ? "in all 4 processes" : detail);
	}
	check("all-exited", all_exited,
	      "every process exited 0 after its checks");
}

int main(int argc, char **argv)
{
	pid_t kids[2];

	if (argc == 6 && !strcmp(argv[1], "exec-check"))
		return exec_check(argv);
	if (argc != 2) {
		fprintf(stderr, "usage: userns_tree DIR\n");
		return 2;
	}
	dir = argv[1];
	set_up("R");
	kids[0] = spawn("A", "A1");
	kids[1] = spawn("B", NULL);
	if (!wait_in(dir, "ready.A", SETUP_TIMEOUT_MS) ||
	    !wait_in(dir, "ready.A1", SETUP_TIMEOUT_MS) ||
	    !wait_in(dir, "ready.B", SETUP_TIMEOUT_MS)) {
		fprintf(stderr, "userns_tree: not set up in time\n");
		return 1;
	}
	printf("READY %d\n", getpid());
	fflush(stdout);
	wait_in(dir, "go", WAIT_FOREVER);
	report(run_checks(kids, 2));
	return check_exit_status();
}
