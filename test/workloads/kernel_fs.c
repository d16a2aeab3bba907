/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Files of the kernel's file systems (kmod/cpt_file_kernel_fs.c).
 *
 * kernel_fs kept DIR: through checkpoint -> kill -> restart, what is kept:
 * a cgroup2 directory fd (of a cgroup it makes, its readdir half done), a
 * sysfs directory fd (FD_CLOEXEC), and O_PATH fds of a sysfs attribute, a
 * sysfs symlink (O_NOFOLLOW) and a cgroup2 file. After the restart each
 * must be the same inode of the same file system (st_dev, st_ino, statfs's
 * f_type) with its flags, the cgroup directory's readdir must go on where
 * it was (no name twice, none missed), and the directories serve as
 * openat()'s dirfd.
 *
 * kernel_fs refused KIND DIR: holds at fd 3 what a checkpoint refuses,
 * prints READY, and once DIR/go exists checks that it still holds it as
 * it was (RESULT kept-running):
 *  sysfs    a sysfs attribute read in part (its open holds the read's snapshot)
 *  psi      a cgroup's cpu.pressure with a pressure trigger written to it
 *  tracefs  tracefs's trace_pipe (a reader's state), of a tracefs it mounts in DIR
 *  cwd      a working directory in a cgroup it makes (fd 3: /dev/null)
 *  nsfs     its network namespace's file, opened through a bind mount of
 *           /proc/self/ns/net on DIR/netns (as ip netns add makes one)
 *  nsfs-path the same, O_PATH
 *  inotify  an inotify watch on cgroup.events of a cgroup it makes (and at
 *           fd 4 that cgroup's directory, a path to the mount for the watch)
 *  fanotify the same, a fanotify inode mark
 *
 * kernel_fs hold CGROUP DIR: holds at fd 3 a directory fd of the cgroup
 * CGROUP (a path), prints READY, and once DIR/go exists checks it is still
 * that cgroup (RESULT kept-running): for a restart refused once the cgroup
 * was removed and made again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "check.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define THP_ENABLED "/sys/kernel/mm/transparent_hugepage/enabled"

static void wait_go(const char *dir)
{
	const struct timespec tick = { 0, 10000000 };
	char go[4096];

	snprintf(go, sizeof(go), "%s/go", dir);
	while (access(go, F_OK))
		nanosleep(&tick, NULL);
}

/* What identifies a file of a kernel file system, and its fd's flags. */
struct ident {
	const char *name;
	int fd;
	struct stat st;
	long f_type;
	int fl, fdfl;
};

static int ident_take(struct ident *id, const char *name, int fd)
{
	struct statfs sfs;

	id->name = name;
	id->fd = fd;
	if (fd < 0 || fstat(fd, &id->st) || fstatfs(fd, &sfs))
		return -1;
	id->f_type = sfs.f_type;
	id->fl = fcntl(fd, F_GETFL);
	id->fdfl = fcntl(fd, F_GETFD);
	return 0;
}

static void ident_check(const struct ident *id)
{
	struct ident now;

	if (ident_take(&now, id->name, id->fd)) {
		check(id->name, 0, "fd %d: %s", id->fd, strerror(errno));
		return;
	}
	check(id->name,
	      now.st.st_dev == id->st.st_dev &&
		      now.st.st_ino == id->st.st_ino &&
		      now.st.st_mode == id->st.st_mode &&
		      now.f_type == id->f_type && now.fl == id->fl &&
		      now.fdfl == id->fdfl,
	      "fd %d: dev %lx ino %lu mode %o f_type %lx flags %#o fd flags %d (was %lx %lu %o %lx %#o %d)",
	      id->fd, (unsigned long)now.st.st_dev,
	      (unsigned long)now.st.st_ino, now.st.st_mode, now.f_type, now.fl,
	      now.fdfl, (unsigned long)id->st.st_dev,
	      (unsigned long)id->st.st_ino, id->st.st_mode, id->f_type, id->fl,
	      id->fdfl);
}

struct dirent64_hdr {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Appends the names getdents64() gives, one buffer of size bytes at most, to names. */
static int read_names(int fd, size_t size, char *names, size_t cap)
{
	char buf[8192];
	long n, off;

	n = syscall(SYS_getdents64, fd, buf,
		    size < sizeof(buf) ? size : sizeof(buf));
	for (off = 0; n > 0 && off < n;) {
		struct dirent64_hdr *d = (struct dirent64_hdr *)(buf + off);

		if (strlen(names) + strlen(d->d_name) + 2 < cap) {
			strcat(names, d->d_name);
			strcat(names, "/");
		}
		off += d->d_reclen;
	}
	return n;
}

/* Whether listing, "a/b/c/", names what the directory holds, each once. */
static int same_names(const char *path, const char *listing, char *why,
		      size_t size)
{
	char padded[8300], key[300];
	size_t count = 0, listed = 0;
	const char *p;
	struct dirent *d;
	DIR *dir = opendir(path);

	if (!dir)
		return 0;
	snprintf(padded, sizeof(padded), "/%s", listing);
	while ((d = readdir(dir))) {
		snprintf(key, sizeof(key), "/%s/", d->d_name);
		count++;
		p = strstr(padded, key);
		if (!p)
			note_to(why, size, "%s missed", d->d_name);
		else if (strstr(p + 1, key))
			note_to(why, size, "%s twice", d->d_name);
	}
	closedir(dir);
	for (p = listing; (p = strchr(p, '/')); p++)
		listed++;
	if (listed != count)
		note_to(why, size, "%zu names listed, %zu there", listed,
			count);
	return !*why;
}

static int kept(const char *dir)
{
	char cg[256], path[4096], before[8192] = "", after[8192] = "",
				  why[1024] = "";
	struct ident ids[5];
	unsigned int i, n = 0;
	long got;
	int fd;

	snprintf(cg, sizeof(cg), CGROUP_ROOT "/cpt-kfs-%d", getpid());
	if (mkdir(cg, 0755)) {
		check("setup", 0, "mkdir %s: %s", cg, strerror(errno));
		return 1;
	}
	fd = open(cg, O_RDONLY | O_DIRECTORY);
	if (ident_take(&ids[n++], "cgroup-dir", fd))
		goto fail;
	/* Half its readdir: a buffer of about three entries. */
	if (read_names(fd, 96, before, sizeof(before)) <= 0)
		goto fail;
	if (ident_take(&ids[n++], "sysfs-dir",
		       open("/sys/kernel/mm",
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC)))
		goto fail;
	if (ident_take(&ids[n++], "sysfs-opath", open(THP_ENABLED, O_PATH)))
		goto fail;
	if (ident_take(&ids[n++], "sysfs-symlink",
		       open("/sys/class/net/lo", O_PATH | O_NOFOLLOW)))
		goto fail;
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	if (ident_take(&ids[n++], "cgroup-opath",
		       open(path, O_PATH | O_CLOEXEC)))
		goto fail;
	printf("READY\n");
	wait_go(dir);

	for (i = 0; i < n; i++)
		ident_check(&ids[i]);
	do
		got = read_names(ids[0].fd, 8192, after, sizeof(after));
	while (got > 0);
	strcat(before, after);
	check("cgroup-readdir",
	      got == 0 && same_names(cg, before, why, sizeof(why)),
	      "listed %s (%s)", before, why);
	fd = openat(ids[0].fd, "cgroup.type", O_RDONLY);
	got = fd < 0 ? -1 : read(fd, path, sizeof(path) - 1);
	path[got > 0 ? got : 0] = 0;
	check("cgroup-dirfd", got > 0 && !strcmp(path, "domain\n"),
	      "openat(cgroup, cgroup.type) read %ld: %s", got, path);
	if (fd >= 0)
		close(fd);
	fd = openat(ids[1].fd, "transparent_hugepage/enabled", O_RDONLY);
	got = fd < 0 ? -1 : read(fd, path, sizeof(path) - 1);
	path[got > 0 ? got : 0] = 0;
	check("sysfs-dirfd", got > 0 && strchr(path, '['),
	      "openat(/sys/kernel/mm, transparent_hugepage/enabled) read %ld: %s",
	      got, path);
	if (fd >= 0)
		close(fd);
	got = readlinkat(ids[3].fd, "", path, sizeof(path) - 1);
	path[got > 0 ? got : 0] = 0;
	check("sysfs-readlink", got > 0 && strstr(path, "virtual/net/lo"),
	      "readlinkat(the symlink's fd, \"\") read %ld: %s", got, path);
	for (i = 0; i < n; i++)
		close(ids[i].fd);
	check("cgroup-removed", !rmdir(cg), "rmdir %s: %s", cg,
	      strerror(errno));
	return check_exit_status();
fail:
	check("setup", 0, "%s: %s", n ? ids[n - 1].name : "?", strerror(errno));
	rmdir(cg);
	return 1;
}

static int refused(const char *kind, const char *dir)
{
	char cg[256] = "", path[4096], buf[64];
	struct stat st, now;
	int fd = -1, ok = 0;
	struct pollfd pfd;
	long got;

	if (!strcmp(kind, "sysfs")) {
		fd = open(THP_ENABLED, O_RDONLY);
		if (fd >= 0 && read(fd, buf, 4) != 4)
			fd = -1;
	} else if (!strcmp(kind, "psi")) {
		snprintf(cg, sizeof(cg), CGROUP_ROOT "/cpt-kfs-psi-%d",
			 getpid());
		snprintf(path, sizeof(path), "%s/cpu.pressure", cg);
		if (!mkdir(cg, 0755))
			fd = open(path, O_RDWR | O_NONBLOCK);
		if (fd >= 0 && write(fd, "some 150000 1000000", 20) != 20)
			fd = -1;
	} else if (!strcmp(kind, "cwd")) {
		snprintf(cg, sizeof(cg), CGROUP_ROOT "/cpt-kfs-cwd-%d",
			 getpid());
		if (!mkdir(cg, 0755) && !chdir(cg))
			fd = open("/dev/null", O_RDONLY);
	} else if (!strncmp(kind, "nsfs", 4)) {
		snprintf(path, sizeof(path), "%s/netns", dir);
		got = open(path, O_WRONLY | O_CREAT, 0644);
		if (got >= 0 && !close(got) &&
		    !mount("/proc/self/ns/net", path, NULL, MS_BIND, NULL))
			fd = open(path,
				  strcmp(kind, "nsfs") ? O_PATH : O_RDONLY);
	} else if (!strcmp(kind, "inotify") || !strcmp(kind, "fanotify")) {
		snprintf(cg, sizeof(cg), CGROUP_ROOT "/cpt-kfs-%s-%d", kind,
			 getpid());
		snprintf(path, sizeof(path), "%s/cgroup.events", cg);
		if (mkdir(cg, 0755))
			fd = -1;
		else if (!strcmp(kind, "inotify"))
			fd = inotify_init1(IN_NONBLOCK);
		else
			fd = fanotify_init(FAN_CLASS_NOTIF | FAN_NONBLOCK,
					   O_RDONLY);
		if (fd >= 0 && !strcmp(kind, "inotify") &&
		    inotify_add_watch(fd, path, IN_MODIFY) < 0)
			fd = -1;
		if (fd >= 0 && !strcmp(kind, "fanotify") &&
		    fanotify_mark(fd, FAN_MARK_ADD, FAN_MODIFY, AT_FDCWD, path))
			fd = -1;
		/* A path the tree uses to the mount: else refused for want of one. */
		if (fd >= 0 && open(cg, O_RDONLY | O_DIRECTORY) != 4)
			fd = -1;
	} else if (!strcmp(kind, "tracefs")) {
		snprintf(path, sizeof(path), "%s/tracing", dir);
		if (!mkdir(path, 0755) &&
		    !mount("tracefs", path, "tracefs", 0, NULL)) {
			snprintf(path, sizeof(path), "%s/tracing/trace_pipe",
				 dir);
			fd = open(path, O_RDONLY | O_NONBLOCK);
		}
	}
	if (fd != 3 || fstat(fd, &st)) {
		check("setup", 0, "%s at fd %d: %s", kind, fd, strerror(errno));
		return 1;
	}
	printf("READY\n");
	wait_go(dir);
	if (fstat(fd, &now) || now.st_ino != st.st_ino ||
	    now.st_dev != st.st_dev) {
		check("kept-running", 0, "its %s fd is no longer that file",
		      kind);
	} else if (!strcmp(kind, "sysfs")) {
		got = read(fd, buf, sizeof(buf));
		ok = got > 0 && lseek(fd, 0, SEEK_CUR) == 4 + got;
		check("kept-running", ok, "its sysfs fd reads on from 4: %ld",
		      got);
	} else if (!strcmp(kind, "psi")) {
		pfd = (struct pollfd){ .fd = fd, .events = POLLPRI };
		got = poll(&pfd, 1, 0);
		/* A file without its trigger polls POLLERR. */
		ok = got >= 0 && !(pfd.revents & (POLLERR | POLLNVAL));
		check("kept-running", ok,
		      "its trigger's fd polls %ld, revents %#x", got,
		      pfd.revents);
	} else if (!strcmp(kind, "cwd")) {
		ok = getcwd(path, sizeof(path)) && !strcmp(path, cg);
		check("kept-running", ok, "its working directory is %s", path);
		if (chdir("/"))
			ok = 0;
	} else if (!strncmp(kind, "nsfs", 4)) {
		ok = !stat("/proc/self/ns/net", &now) &&
		     now.st_ino == st.st_ino;
		check("kept-running", ok, "its %s fd is its namespace's", kind);
	} else if (!strcmp(kind, "fanotify")) {
		/* Its fdinfo still shows the inode mark. */
		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
		got = open(path, O_RDONLY);
		if (got >= 0) {
			char info[1024] = "";

			if (read(got, info, sizeof(info) - 1) < 0)
				info[0] = 0;
			close(got);
			ok = strstr(info, "fanotify ino:") != NULL;
		}
		check("kept-running", ok, "its fanotify fd %s its mark",
		      ok ? "has" : "lost");
	} else if (!strcmp(kind, "inotify")) {
		/* The watch is still there: IN_MASK_CREATE refuses a second. */
		got = inotify_add_watch(fd, path, IN_MODIFY | IN_MASK_CREATE);
		ok = got < 0 && errno == EEXIST;
		check("kept-running", ok, "a second watch on %s: %ld (%s)",
		      path, got, strerror(errno));
	} else {
		got = read(fd, buf, sizeof(buf));
		ok = got < 0 && errno == EAGAIN;
		check("kept-running", ok, "its trace_pipe reads %ld (%s)", got,
		      strerror(errno));
	}
	close(fd);
	if (*cg)
		rmdir(cg);
	if (!strcmp(kind, "tracefs")) {
		snprintf(path, sizeof(path), "%s/tracing", dir);
		umount(path);
	}
	if (!strncmp(kind, "nsfs", 4)) {
		snprintf(path, sizeof(path), "%s/netns", dir);
		umount(path);
		unlink(path);
	}
	return check_exit_status();
}

static int hold(const char *cg, const char *dir)
{
	struct stat st, now;
	int fd = open(cg, O_RDONLY | O_DIRECTORY);

	if (fd != 3 || fstat(fd, &st)) {
		check("setup", 0, "%s at fd %d: %s", cg, fd, strerror(errno));
		return 1;
	}
	printf("READY\n");
	wait_go(dir);
	check("kept-running", !fstat(fd, &now) && now.st_ino == st.st_ino,
	      "fd 3 is still cgroup %s (inode %lu)", cg,
	      (unsigned long)now.st_ino);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "kept"))
		return kept(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "refused"))
		return refused(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3]);
	fprintf(stderr,
		"usage: kernel_fs kept DIR | refused sysfs|psi|tracefs|cwd|nsfs|nsfs-path|inotify|fanotify DIR | hold CGROUP DIR\n");
	return 2;
}
