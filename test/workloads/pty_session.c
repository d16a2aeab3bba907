// SPDX-License-Identifier: GPL-2.0
/*
 * A pty session across checkpoint/restart. The root, like a terminal,
 * holds the master of a pty whose window size it set to 100x30. A
 * shell-like child made a session of its own on the slave: its controlling
 * terminal and its stdin, stdout and stderr, with termios of its own (ECHO
 * off, VINTR ^X). Before the checkpoint the child writes a greeting that
 * the root leaves unread, then waits in read() for a line; the root prints
 * READY, having typed "pi", half a line the child has not got yet. After
 * DIR/go the root reads the greeting (unread output comes back), checks
 * the pty's index and types "ng" and a newline; the child, which must read
 * "ping" (typed-ahead input comes back, line editing and all), checks its
 * termios, window size, session, controlling terminal, foreground group and
 * tty name, and answers "pong BITS" (BITS: what failed, 0 for nothing).
 * Usage: pty_session DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>

#include "check.h"
#include "sync.h"

#define GREETING "hello from the slave\n"
#define TIMEOUT_MS 30000
#define ROWS 30
#define COLS 100
#define VINTR_CHAR 0x18

/* What the child found wrong after the restart. */
#define BAD_TERMIOS 1
#define BAD_WINSIZE 2
#define BAD_SESSION 4
#define BAD_CTTY 8
#define BAD_FOREGROUND 16
#define BAD_NAME 32
#define BAD_LINE 64

static int child(const char *slave_name)
{
	char line[64], name[PATH_MAX];
	struct termios t;
	struct winsize ws;
	int fd, bad = 0;
	ssize_t n;

	if (setsid() < 0)
		return 100;
	fd = open(slave_name, O_RDWR); /* the session's controlling terminal */
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		return 101;
	if (fd > 2)
		close(fd);
	tcgetattr(0, &t);
	t.c_lflag &= ~ECHO;
	t.c_cc[VINTR] = VINTR_CHAR;
	tcsetattr(0, TCSANOW, &t);
	if (write(1, GREETING, strlen(GREETING)) != (ssize_t)strlen(GREETING))
		return 102;
	n = read(0, line, sizeof(line) - 1); /* checkpointed in here */
	line[n > 0 ? n : 0] = 0;
	if (strcmp(line, "ping\n"))
		bad |= BAD_LINE;
	if (tcgetattr(0, &t) || (t.c_lflag & ECHO) || !(t.c_lflag & ICANON) ||
	    t.c_cc[VINTR] != VINTR_CHAR)
		bad |= BAD_TERMIOS;
	if (ioctl(0, TIOCGWINSZ, &ws) || ws.ws_row != ROWS || ws.ws_col != COLS)
		bad |= BAD_WINSIZE;
	if (getsid(0) != getpid() || getpgrp() != getpid())
		bad |= BAD_SESSION;
	if (tcgetsid(0) != getpid() || open("/dev/tty", O_RDWR) < 0)
		bad |= BAD_CTTY;
	if (tcgetpgrp(0) != getpgrp())
		bad |= BAD_FOREGROUND;
	if (ttyname_r(0, name, sizeof(name)) || strcmp(name, slave_name))
		bad |= BAD_NAME;
	dprintf(1, "pong %d\n", bad);
	return bad;
}

/* buf with its line ends shown as \r and \n, for a RESULT line. */
static const char *printable(const char *buf)
{
	static char out[512];
	size_t j = 0;

	for (; *buf && j + 3 < sizeof(out); buf++) {
		if (*buf == '\r' || *buf == '\n') {
			out[j++] = '\\';
			out[j++] = *buf == '\r' ? 'r' : 'n';
		} else {
			out[j++] = *buf;
		}
	}
	out[j] = 0;
	return out;
}

/* Reads from the master until want has come, or the time is up. */
static int read_until(int m, char *buf, size_t size, const char *want)
{
	size_t len = 0;
	struct pollfd p = { .fd = m, .events = POLLIN };
	ssize_t n;

	buf[0] = 0;
	while (!strstr(buf, want) && len + 1 < size) {
		if (poll(&p, 1, TIMEOUT_MS) != 1)
			return 0;
		n = read(m, buf + len, size - 1 - len);
		if (n <= 0)
			return 0;
		len += n;
		buf[len] = 0;
	}
	return strstr(buf, want) != NULL;
}

int main(int argc, char **argv)
{
	struct winsize ws = { .ws_row = ROWS, .ws_col = COLS };
	char slave_name[PATH_MAX], buf[256], go[PATH_MAX];
	unsigned int index = ~0U, index_after = ~0U;
	int m, status, bits = -1, ok, spare[2];
	long waited;
	const char *pong;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: pty_session DIR\n");
		return 2;
	}
	/* Two ptys taken and given back: this one's index is 2, where a new pty would get 0. */
	spare[0] = posix_openpt(O_RDWR | O_NOCTTY);
	spare[1] = posix_openpt(O_RDWR | O_NOCTTY);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	close(spare[0]);
	close(spare[1]);
	if (m < 0 || grantpt(m) || unlockpt(m) ||
	    ptsname_r(m, slave_name, sizeof(slave_name)) ||
	    ioctl(m, TIOCGPTN, &index) || ioctl(m, TIOCSWINSZ, &ws)) {
		perror("pty_session: a pty");
		return 2;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(m);
		_exit(child(slave_name));
	}
	/* The greeting has come when the master has input to read. */
	{
		struct pollfd p = { .fd = m, .events = POLLIN };

		if (poll(&p, 1, TIMEOUT_MS) != 1) {
			fprintf(stderr, "pty_session: no greeting\n");
			return 2;
		}
	}
	/* Half a line typed ahead: the child, in a canonical read(), does not get it yet. */
	if (write(m, "pi", 2) != 2) {
		perror("pty_session: typing");
		return 2;
	}
	/* READY once the child waits in its read(), the half line typed. */
	for (waited = 0; syscall_of_process(pid) != SYS_read; waited += 10) {
		if (waited > TIMEOUT_MS) {
			fprintf(stderr, "pty_session: the child never read\n");
			return 2;
		}
		nap();
	}
	printf("READY\n");
	fflush(stdout);
	snprintf(go, sizeof(go), "%s/go", argv[1]);
	wait_for_file(go, WAIT_FOREVER);

	ok = read_until(m, buf, sizeof(buf), "slave\r\n") &&
	     !strcmp(buf, "hello from the slave\r\n");
	check("unread-output", ok,
	      "the greeting the master had not read comes back: \"%s\"",
	      printable(buf));
	ok = ioctl(m, TIOCGPTN, &index_after) == 0 && index_after == index;
	check("index", ok,
	      "the pty has index %u, as before (%u; a new pty would get 0)",
	      index_after, index);
	if (write(m, "ng\n", 3) != 3)
		check("ping", 0, "cannot write to the master: %s",
		      strerror(errno));
	read_until(m, buf, sizeof(buf), "\n");
	pong = strstr(buf, "pong ");
	if (pong)
		bits = atoi(pong + 5);
	check("typed-ahead", bits >= 0 && !(bits & BAD_LINE),
	      "the child read \"pi\" typed before the checkpoint and \"ng\" after as one line (bits %d)",
	      bits);
	check("session", bits >= 0 && !(bits & ~BAD_LINE),
	      "the child answered \"%s\": bits 1 termios, 2 size, 4 session, 8 ctty, 16 foreground, 32 name, 64 line",
	      printable(buf));
	status = -1;
	waitpid(pid, &status, 0);
	check("child-exit", WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child's status %#x", status);
	return check_exit_status();
}
