// SPDX-License-Identifier: GPL-2.0
/*
 * The task's own state across checkpoint/restart: comm, umask, cwd,
 * rlimits, personality, credentials, and the mm facts /proc shows.
 * Usage: task_state DIR GO_FILE   (DIR becomes the working directory)
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

/* The whole of a /proc file, NUL bytes and all. */
static size_t slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return 0;
	while (len < size && (n = read(fd, buf + len, size - len)) > 0)
		len += n;
	close(fd);
	return len;
}

int main(int argc, char **argv)
{
	static char cmdline[4096], cmdline2[4096], environ[65536], environ2[65536];
	static char maps[65536], maps2[65536];
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct rlimit nofile = { 200, 300 }, got;
	char exe[4096] = "", exe2[4096] = "", cwd[4096], comm[16];
	size_t cl, cl2, el, el2, ml, ml2;
	mode_t mask;
	int pers;

	if (argc != 3 || chdir(argv[1]))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(027);
	setrlimit(RLIMIT_NOFILE, &nofile);
	prctl(PR_SET_NAME, "cpt-task-state");
	personality(ADDR_NO_RANDOMIZE);
	if (readlink("/proc/self/exe", exe, sizeof(exe) - 1) < 0)
		return 2;
	cl = slurp("/proc/self/cmdline", cmdline, sizeof(cmdline));
	el = slurp("/proc/self/environ", environ, sizeof(environ));
	ml = slurp("/proc/self/maps", maps, sizeof(maps));
	printf("READY\n");
	while (access(argv[2], F_OK) != 0)
		nanosleep(&tick, NULL);

	prctl(PR_GET_NAME, comm);
	check("comm", !strcmp(comm, "cpt-task-state"), "comm %s", comm);
	mask = umask(0);
	check("umask", mask == 027, "umask %03o", mask);
	check("cwd", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, argv[1]), "cwd %s", cwd);
	getrlimit(RLIMIT_NOFILE, &got);
	check("rlimit", got.rlim_cur == 200 && got.rlim_max == 300, "RLIMIT_NOFILE %lu/%lu",
	      (unsigned long)got.rlim_cur, (unsigned long)got.rlim_max);
	pers = personality(0xffffffff);
	check("personality", pers == ADDR_NO_RANDOMIZE, "personality %#x", pers);
	check("creds", getuid() == 0 && geteuid() == 0 && getgid() == 0, "uid %d euid %d gid %d",
	      getuid(), geteuid(), getgid());
	readlink("/proc/self/exe", exe2, sizeof(exe2) - 1);
	check("proc-exe", !strcmp(exe, exe2), "/proc/self/exe %s, was %s", exe2, exe);
	cl2 = slurp("/proc/self/cmdline", cmdline2, sizeof(cmdline2));
	check("proc-cmdline", cl == cl2 && !memcmp(cmdline, cmdline2, cl), "%zu bytes, was %zu", cl2, cl);
	el2 = slurp("/proc/self/environ", environ2, sizeof(environ2));
	check("proc-environ", el == el2 && !memcmp(environ, environ2, el), "%zu bytes, was %zu", el2, el);
	ml2 = slurp("/proc/self/maps", maps2, sizeof(maps2));
	check("proc-maps", ml == ml2 && !memcmp(maps, maps2, ml), "%zu bytes, was %zu", ml2, ml);
	if (ml != ml2 || memcmp(maps, maps2, ml))
		printf("--- maps before\n%.*s--- maps after\n%.*s", (int)ml, maps, (int)ml2, maps2);
	return check_exit_status();
}
