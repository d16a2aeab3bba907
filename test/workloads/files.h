/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files a workload reads and writes about itself and its processes: whole
 * small files, whole reads and writes, /proc states, per-process files in
 * the workload's directory (DIR/WHAT.PID), leftovers of an earlier run, and
 * the ready file that says a workload is set up, with its pid, and an fd
 * limit for many files.
 */
#ifndef CPT_TEST_FILES_H
#define CPT_TEST_FILES_H

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <unistd.h>

#include "check.h"

/*
 * The number a line of the fd's /proc/self/fdinfo gives by format (one
 * "%d" conversion, as "Pid: %d"), or missing when no line does.
 */
static inline int fdinfo_number(int fd, const char *format, int missing)
{
	char path[64], line[128];
	int value = missing;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return missing;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, format, &value) == 1)
			break;
	fclose(f);
	return value;
}

/*
 * The workload's directory, from its command line "PROG DIR"; DIR/go, the
 * file its processes go on at after their restart, into go (PATH_MAX
 * bytes); stdout line-buffered for RESULT lines. NULL on a wrong command
 * line, and with a failed "setup" check where DIR/go exists already: an
 * earlier run's, it would let the restarted workload go on before its poke.
 */
static inline const char *workload_dir(int argc, char **argv, char *go)
{
	if (argc != 2)
		return NULL;
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(go, PATH_MAX, "%s/go", argv[1]);
	if (access(go, F_OK) == 0) {
		check("setup", 0, "%s exists already", go);
		return NULL;
	}
	return argv[1];
}

/* DIR/WHAT.PID into buf, of PATH_MAX bytes. */
static inline void pid_path(char *buf, const char *dir, const char *what,
			    pid_t pid)
{
	snprintf(buf, PATH_MAX, "%s/%s.%d", dir, what, (int)pid);
}

/*
 * Reads a whole small file into buf (NUL-terminated); -1 if it can't. The
 * fd is close-on-exec: a workload that forks and execs in other threads
 * (cpt_race) must not pass it on into what is checkpointed.
 */
static inline int slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got + 1 < len &&
	       (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return 0;
}

/* Reads exactly len bytes into buf; -1 on an error or an early end of file. */
static inline int read_all(int fd, void *buf, size_t len)
{
	while (len) {
		ssize_t n = read(fd, buf, len);

		if (n <= 0)
			return -1;
		buf = (uint8_t *)buf + n;
		len -= n;
	}
	return 0;
}

/* Writes all len bytes of buf; -1 if it can't. */
static inline int write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n <= 0)
			return -1;
		buf = (const uint8_t *)buf + n;
		len -= n;
	}
	return 0;
}

/*
 * The fields of /proc/PID/stat from the state letter on, read into buf (of
 * len bytes): what follows the command name, which is in parentheses and may
 * hold anything, ')' and ' ' included. NULL when the process is gone.
 */
static inline const char *proc_stat_fields(pid_t pid, char *buf, size_t len)
{
	char path[64], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (slurp(path, buf, len) || !(p = strrchr(buf, ')')) || p[1] != ' ')
		return NULL;
	return p + 2;
}

/* The state letter of /proc/PID/stat, or '?' when the process is gone. */
static inline char proc_state(pid_t pid)
{
	char buf[512];
	const char *fields = proc_stat_fields(pid, buf, sizeof(buf));

	return fields ? fields[0] : '?';
}

/* Removes the files of DIR whose names start with one of the n prefixes: an earlier run's. */
static inline void clean_dir(const char *dir, const char *const *prefixes,
			     unsigned int n)
{
	char path[PATH_MAX];
	struct dirent *de;
	unsigned int i;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((de = readdir(d))) {
		for (i = 0; i < n; i++) {
			if (strncmp(de->d_name, prefixes[i],
				    strlen(prefixes[i])))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	closedir(d);
}

/*
 * Raises RLIMIT_NOFILE's soft limit, as far as the hard one allows, to n
 * fds and a few more (stdio, the workload's own): for a workload of n
 * files or connections.
 */
static inline void raise_fd_limit(long n)
{
	struct rlimit lim;

	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur >= (rlim_t)n + 16)
		return;
	lim.rlim_cur = lim.rlim_max < (rlim_t)n + 16 ? lim.rlim_max :
						       (rlim_t)n + 16;
	setrlimit(RLIMIT_NOFILE, &lim);
}

/*
 * Writes this process's pid to DIR/ready, whole or not at all (through
 * DIR/ready.tmp): once the file exists, the workload is set up. -1, said on
 * stderr, if it can't.
 */
static inline int publish_ready(const char *dir)
{
	char ready[PATH_MAX], tmp[PATH_MAX];
	int fd;

	snprintf(ready, sizeof(ready), "%s/ready", dir);
	snprintf(tmp, sizeof(tmp), "%s/ready.tmp", dir);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || dprintf(fd, "%d\n", getpid()) < 0 || close(fd) ||
	    rename(tmp, ready)) {
		perror(ready);
		return -1;
	}
	return 0;
}

/*
 * Whether the VMA holding addr has every VmFlags mnemonic of /proc/self/smaps
 * in flags, space-separated ("hg nh").
 */
static inline int vm_flags_have(const void *addr, const char *flags)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512], want[64], needle[8], *w, *save;
	unsigned long lo, hi;
	int in = 0, ok = 0;

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
			in = lo <= (unsigned long)addr &&
			     (unsigned long)addr < hi;
		} else if (in && !strncmp(line, "VmFlags:", 8)) {
			ok = 1;
			snprintf(want, sizeof(want), "%s", flags);
			for (w = strtok_r(want, " ", &save); w;
			     w = strtok_r(NULL, " ", &save)) {
				snprintf(needle, sizeof(needle), " %s", w);
				if (!strstr(line + 7, needle))
					ok = 0;
			}
			break;
		}
	}
	if (f)
		fclose(f);
	return ok;
}

#endif
