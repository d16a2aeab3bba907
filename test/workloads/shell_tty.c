// SPDX-License-Identifier: GPL-2.0
/*
 * A shell job on a terminal, across checkpoint/restart (README "Shell
 * jobs"). The guest has no terminal: `term` makes one.
 *
 *   shell_tty term OUT CMD...  a terminal: a pty whose master it holds; CMD
 *       runs as the leader of a new session on the slave (its controlling
 *       terminal, its stdio). What CMD's side writes goes to OUT (without
 *       the \r the line discipline adds); each WANT-LINE line it writes is
 *       answered with "hello" typed on the terminal. Exits with CMD's status.
 *   shell_tty shell DIR  the shell, in term: runs `job DIR` in a process
 *       group of its own, in the foreground, and waits for it.
 *   shell_tty job DIR  the job: opens /dev/tty at fd 10, dups stdin to fd
 *       11, opens the terminal's own device at fd 12 (O_NONBLOCK) and dups
 *       it to fd 13, writes its pid to DIR/job.pid and READY, and once
 *       DIR/go exists (after a restart) checks what it has: the same kinds
 *       of file on the restarting caller's terminal, with their flags, its
 *       controlling terminal, session and foreground group, and that it
 *       reads a line typed on the terminal.
 *   shell_tty hold PATHFILE  holds the master of a pty no session has,
 *       whose slave's path it writes to PATHFILE, until killed.
 *   shell_tty leader DIR PTS  a process of the tree that leads a session
 *       of its own whose controlling terminal is PTS, outside the tree (no
 *       fd on it): writes its pid to DIR/job.pid and READY, exits at DIR/go.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"
#include "fd_wait.h"

#define WANT_LINE "WANT-LINE\n"
#define LINE_TIMEOUT_MS 20000

static int write_pid(const char *dir)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/job.pid", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", getpid());
	return fclose(f);
}

static int open_master(char *slave, size_t size)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	if (m < 0 || grantpt(m) || unlockpt(m) || ptsname_r(m, slave, size))
		die("pty");
	return m;
}

/* Copies what the terminal shows to out, \r dropped; types "hello" on WANT-LINE. */
static void relay(int m, FILE *out)
{
	char buf[4096], line[256];
	size_t len = 0;
	ssize_t n, i;

	for (;;) {
		n = read(m, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* EIO: no slave open any more */
		for (i = 0; i < n; i++) {
			if (buf[i] == '\r')
				continue;
			fputc(buf[i], out);
			if (len < sizeof(line) - 1)
				line[len++] = buf[i];
			if (buf[i] != '\n')
				continue;
			line[len] = 0;
			if (!strcmp(line, WANT_LINE) &&
			    write(m, "hello\n", 6) != 6)
				die("typing");
			len = 0;
		}
		fflush(out);
	}
}

static int term(const char *out_path, char **argv)
{
	char slave[PATH_MAX];
	int m, s, status;
	FILE *out;
	pid_t pid;

	out = fopen(out_path, "w");
	if (!out)
		die(out_path);
	m = open_master(slave, sizeof(slave));
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		/* The session's leader opens the slave: its controlling terminal. */
		if (setsid() < 0)
			die("setsid");
		s = open(slave, O_RDWR);
		if (s < 0 || ioctl(s, TIOCSCTTY, 0))
			die(slave);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		if (s > 2)
			close(s);
		close(m);
		execvp(argv[0], argv);
		die(argv[0]);
	}
	relay(m, out);
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	fclose(out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int shell(const char *self, const char *dir)
{
	int status;
	pid_t pid;

	signal(SIGTTOU, SIG_IGN);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid) {
		setpgid(0, 0);
		tcsetpgrp(0, getpid());
		signal(SIGTTOU, SIG_DFL);
		execl(self, self, "job", dir, (char *)NULL);
		die(self);
	}
	setpgid(pid, pid);
	tcsetpgrp(0, pid);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* The job was checkpointed and killed: the terminal is the shell's again. */
	tcsetpgrp(0, getpgrp());
	return 0;
}

/* fd's open flags and device. */
static int flags_of(int fd, dev_t *rdev)
{
	struct stat st;

	if (fstat(fd, &st))
		return -1;
	*rdev = st.st_rdev;
	return fcntl(fd, F_GETFL);
}

/* Reads a line typed on the terminal: the job must be in its foreground. */
static void read_typed_line(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char line[64] = "";
	ssize_t n = -1;

	printf(WANT_LINE);
	fflush(stdout);
	if (poll(&p, 1, LINE_TIMEOUT_MS) == 1)
		n = read(fd, line, sizeof(line) - 1);
	if (n >= 0)
		line[n] = 0;
	check("shell-tty.reads-terminal", n == 6 && !strcmp(line, "hello\n"),
	      "read %zd bytes from /dev/tty: %.*s", n, n > 0 ? (int)n - 1 : 0,
	      line);
}

static int job(const char *dir)
{
	char go[PATH_MAX], tty0[PATH_MAX], bad[512] = "";
	int f10, f12, f13, fd;
	dev_t r0, r10, r12;
	pid_t sid;

	if (dup2(open("/dev/tty", O_RDWR), 10) != 10 || dup2(0, 11) != 11 ||
	    ttyname_r(0, tty0, sizeof(tty0)) ||
	    dup2(open(tty0, O_RDWR | O_NONBLOCK | O_NOCTTY), 12) != 12 ||
	    dup2(12, 13) != 13)
		die("the job's fds");
	if (tcgetpgrp(10) != getpgrp() || getsid(0) == getpid())
		die("the job is not in the foreground of its shell's session");
	snprintf(go, sizeof(go), "%s/go", dir);
	if (write_pid(dir))
		die("job.pid");
	printf("READY %s\n", tty0);
	fflush(stdout);
	wait_for(go);

	/* The files: on the restarting caller's terminal, each as it was opened. */
	f10 = flags_of(10, &r10);
	f12 = flags_of(12, &r12);
	f13 = fcntl(13, F_GETFL);
	if (flags_of(0, &r0) < 0 || !isatty(0))
		note_to(bad, sizeof(bad), "fd 0 is no terminal");
	if (!isatty(10) || r10 != makedev(5, 0))
		note_to(bad, sizeof(bad), "fd 10 is not /dev/tty (%u:%u)",
			major(r10), minor(r10));
	if (f10 < 0 || (f10 & (O_ACCMODE | O_NONBLOCK)) != O_RDWR)
		note_to(bad, sizeof(bad), "fd 10 has flags %#o", f10);
	if (!isatty(12) || r12 != r0 || r12 == makedev(5, 0))
		note_to(bad, sizeof(bad),
			"fd 12 is not the terminal's device (%u:%u, fd 0 %u:%u)",
			major(r12), minor(r12), major(r0), minor(r0));
	if (f12 < 0 ||
	    (f12 & (O_ACCMODE | O_NONBLOCK)) != (O_RDWR | O_NONBLOCK) ||
	    f13 != f12)
		note_to(bad, sizeof(bad),
			"fds 12 and 13 have flags %#o and %#o", f12, f13);
	/* 12 and 13 share one open file again, apart from 10. */
	fcntl(13, F_SETFL, f13 & ~O_NONBLOCK);
	if (fcntl(12, F_GETFL) & O_NONBLOCK || fcntl(10, F_GETFL) & O_NONBLOCK)
		note_to(bad, sizeof(bad),
			"fds 12 and 13 share no open file (or 10 shares it)");
	if (!isatty(11))
		note_to(bad, sizeof(bad),
			"fd 11 (a dup of stdin) is no terminal");
	check("shell-tty.fds", !bad[0], "%s",
	      bad[0] ? bad : "fds 10-13 on the caller's terminal");

	/* The caller's terminal controls the job's session, with the job in front. */
	bad[0] = 0;
	sid = getsid(0);
	fd = open("/dev/tty", O_RDONLY);
	if (fd < 0)
		note_to(bad, sizeof(bad), "/dev/tty: %s", strerror(errno));
	else
		close(fd);
	if (sid == getpid() || tcgetsid(10) != sid || tcgetsid(0) != sid)
		note_to(bad, sizeof(bad), "session %d, the terminal's %d", sid,
			tcgetsid(10));
	check("shell-tty.controlling", !bad[0], "%s",
	      bad[0] ? bad :
		       "the caller's terminal controls the job's session");
	check("shell-tty.foreground",
	      tcgetpgrp(10) == getpgrp() && getpgrp() == getpid(),
	      "foreground group %d, the job's group %d", tcgetpgrp(10),
	      getpgrp());
	read_typed_line(10);
	return check_exit_status();
}

static int hold(const char *path_file)
{
	char slave[PATH_MAX];
	FILE *f;
	int m = open_master(slave, sizeof(slave));

	f = fopen(path_file, "w");
	if (!f || fprintf(f, "%s\n", slave) < 0 || fclose(f))
		die(path_file);
	for (;;)
		pause();
	return m;
}

static int leader(const char *dir, const char *pts)
{
	char go[PATH_MAX];
	int fd;

	if (setsid() < 0)
		die("setsid");
	fd = open(
		pts,
		O_RDWR); /* the session leader's first tty: its controlling one */
	if (fd < 0 || tcgetsid(fd) != getpid())
		die(pts);
	close(fd);
	snprintf(go, sizeof(go), "%s/go", dir);
	if (write_pid(dir))
		die("job.pid");
	printf("READY\n");
	fflush(stdout);
	wait_for(go);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "term"))
		return term(argv[2], argv + 3);
	if (argc == 3 && !strcmp(argv[1], "shell"))
		return shell(argv[0], argv[2]);
	if (argc == 3 && !strcmp(argv[1], "job"))
		return job(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return hold(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "leader"))
		return leader(argv[2], argv[3]);
	fprintf(stderr,
		"usage: shell_tty term OUT CMD... | shell DIR | job DIR | hold FILE | leader DIR PTS\n");
	return 2;
}
