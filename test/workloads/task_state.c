// SPDX-License-Identifier: GPL-2.0
/*
 * The task's own state across checkpoint/restart: comm, umask, cwd,
 * rlimits, personality, credentials. (What /proc shows of the mm is
 * mm_layout's to check.)
 * Usage: task_state DIR GO_FILE   (DIR becomes the working directory)
 */
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	struct rlimit nofile = { 200, 300 }, got;
	char cwd[4096], comm[16];
	mode_t mask;
	int pers;

	if (argc != 3 || chdir(argv[1]))
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	umask(027);
	setrlimit(RLIMIT_NOFILE, &nofile);
	prctl(PR_SET_NAME, "cpt-task-state");
	personality(ADDR_NO_RANDOMIZE);
	printf("READY\n");
	while (access(argv[2], F_OK) != 0)
		nanosleep(&tick, NULL);

	prctl(PR_GET_NAME, comm);
	check("comm", !strcmp(comm, "cpt-task-state"), "comm %s", comm);
	mask = umask(0);
	check("umask", mask == 027, "umask %03o", mask);
	check("cwd", getcwd(cwd, sizeof(cwd)) && !strcmp(cwd, argv[1]),
	      "cwd %s", cwd);
	getrlimit(RLIMIT_NOFILE, &got);
	check("rlimit", got.rlim_cur == 200 && got.rlim_max == 300,
	      "RLIMIT_NOFILE %lu/%lu", (unsigned long)got.rlim_cur,
	      (unsigned long)got.rlim_max);
	pers = personality(0xffffffff);
	check("personality", pers == ADDR_NO_RANDOMIZE, "personality %#x",
	      pers);
	check("creds", getuid() == 0 && geteuid() == 0 && getgid() == 0,
	      "uid %d euid %d gid %d", getuid(), geteuid(), getgid());
	return check_exit_status();
}
