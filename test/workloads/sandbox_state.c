// SPDX-License-Identifier: GPL-2.0
/*
 * A sandboxed service: started under setpriv with no_new_privs, a reduced
 * capability bounding set, inheritable capabilities and securebits, it must
 * come back from a restart with all of them, and so must a program it runs
 * in a child. With "seccomp" it also installs a seccomp filter (uname()
 * fails with EPERM), which must come back too: the status line Seccomp:
 * is part of the sandbox compared.
 *
 * Usage: sandbox_state DIR [seccomp]  READY, wait for DIR/go, check
 *        sandbox_state probe          print the sandbox state and exit
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "seccomp_filter.h"
#include "sync.h"

/* The sandbox as /proc/self/status and prctl() show it, on one line. */
static void sandbox_state(char *buf, size_t size)
{
	static const char *const keys[] = {
		"CapInh:", "CapPrm:",	  "CapEff:",  "CapBnd:",
		"CapAmb:", "NoNewPrivs:", "Seccomp:",
	};
	FILE *status = fopen("/proc/self/status", "r");
	char line[256];
	size_t i;

	buf[0] = 0;
	while (status && fgets(line, sizeof(line), status))
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i]))) {
				line[strcspn(line, "\n")] = 0;
				note_to(buf, size, "%s", line);
			}
	if (status)
		fclose(status);
	note_to(buf, size, "securebits:\t%#x", prctl(PR_GET_SECUREBITS));
}

/* The state a program run in a child sees: this one, exec'd in probe mode. */
static void child_state(char *buf, size_t size)
{
	int out[2], status;
	ssize_t got = 0, n;
	pid_t pid;

	buf[0] = 0;
	if (pipe(out))
		return;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		execl("/proc/self/exe", "sandbox_state", "probe", (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	while (pid > 0 && (size_t)got < size - 1 &&
	       (n = read(out[0], buf + got, size - 1 - got)) > 0)
		got += n;
	buf[got] = 0;
	buf[strcspn(buf, "\n")] = 0;
	close(out[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
}

int main(int argc, char **argv)
{
	char go[4096], before[512], after[512], child_before[512],
		child_after[512];

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && strcmp(argv[1], "probe") == 0) {
		sandbox_state(before, sizeof(before));
		printf("%s\n", before);
		return 0;
	}
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "seccomp"))) {
		fprintf(stderr,
			"usage: sandbox_state DIR [seccomp] | sandbox_state probe\n");
		return 2;
	}
	if (argc == 3 && deny_uname()) {
		perror("seccomp");
		return 1;
	}
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	sandbox_state(before, sizeof(before));
	child_state(child_before, sizeof(child_before));
	printf("READY %s\n", before);
	wait_for(go);

	sandbox_state(after, sizeof(after));
	check("same-sandbox", strcmp(before, after) == 0,
	      "after the restart: %s; before: %s", after, before);
	child_state(child_after, sizeof(child_after));
	check("child-same-sandbox",
	      child_before[0] && strcmp(child_before, child_after) == 0,
	      "a child program after the restart: %s; before: %s", child_after,
	      child_before);
	check("no-new-privs", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1,
	      "PR_GET_NO_NEW_PRIVS is %d",
	      prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	check("bounding-set",
	      prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0) == 0,
	      "CAP_SYS_BOOT in the bounding set: %d",
	      prctl(PR_CAPBSET_READ, CAP_SYS_BOOT, 0, 0, 0));
	return check_exit_status();
}
