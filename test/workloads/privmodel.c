// SPDX-License-Identifier: GPL-2.0
/*
 * The privilege model (docs/security.md) as a matrix: who may checkpoint
 * and who may restart what, each cell asserted through the module's ioctls
 * as cptctl makes them (one process drives every cell: cptctl's start-up
 * under emulation would cost more than the whole matrix).
 *
 * Callers (rows): root; root without CAP_SYS_ADMIN (dropped from every
 * set, the bounding set included); user U with CAP_CHECKPOINT_RESTORE
 * only; user U; user U inside its own user namespace (mapped to root
 * there); the same, restarting in a new pid namespace its user namespace
 * owns (CPT_INIT_NEW_PIDNS, as `cptctl restart --pidns` in `unshare
 * --user --map-root-user`). Targets (columns): a process of the caller's own (made with the
 * caller's credentials, in its user namespace), one of another user V, a
 * process of U that exec'd a setuid-root program (dumpable 0), and one of
 * the caller's own sandboxed with no_new_privs and a seccomp filter.
 *
 * Each cell: the caller checkpoints the running target, leaving it running
 * (RESULT pm.ROW.TARGET.checkpoint), then restarts an image of it once it
 * is killed (pm.ROW.TARGET.restart): its own image where it could take
 * one, else root's. An allowed checkpoint must leave the target running
 * and not frozen; an allowed restart gives back the target, which checks
 * its credentials, capability sets, no_new_privs, seccomp mode, dumpable
 * flag and memory itself; a refusal must come with its errno and the
 * module's message, leave the target untouched (checkpoint) or nothing
 * behind (restart). A few cells more: /dev/cpt at its own mode 0600 is
 * root's only; U's process in the caller's user namespace's parent is not
 * the namespace's to checkpoint; a process of U's that the kernel made
 * SUID_DUMP_ROOT (fs.suid_dumpable 2) restarts as such for root only; U
 * in its namespaces has no pid of the initial pid namespace (neither asked
 * for, nor given by the kernel to its fork there), and may not drop its
 * group where setgroups is denied.
 *
 * Usage: privmodel DIR SUID_COPY   (as root; SUID_COPY: where to put a
 *        setuid-root copy of this program, on a file system without nosuid)
 *        privmodel target DIR INDEX SANDBOX   (a target, exec'd setuid)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <grp.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "check.h"
#include "files.h"
#include "image.h"
#include "session.h"
#include "restart.h"
#include "seccomp_filter.h"
#include "sync.h"

#define UID_U 4701 /* the unprivileged caller */
#define UID_V 4702 /* another user */
#define GID_G 4703 /* a group of U's, for USERNS_GROUP */
#define MESSAGE_LEN 256
#define TARGET_MEMORY (256 * 1024)
#define WAIT_MS 20000

enum who {
	ROOT,
	NOADMIN,
	CR,
	USER,
	USERNS,
	USERNS_PIDNS,
	OTHER,
	SUID,
	DUMP_ROOT,
	USERNS_GROUP,
};

/*
 * Where a restart builds its tree: in the caller's pid namespace; in a new
 * one below it (CPT_INIT_NEW_PIDNS, the pid asked for by the namespace's
 * init); claiming a new one (the flag) while asking for the pid in its
 * own; or claiming one and asking for no pid, its child given the image's
 * pid in the initial pid namespace by the kernel (root sets ns_last_pid).
 */
enum pidns_how { PIDNS_OWN, PIDNS_NEW, PIDNS_CLAIMED, PIDNS_UNPLACED };

/* PIDNS_UNPLACED: the caller asks root for its next pid, and waits. */
static int last_pid_ask[2] = { -1, -1 }, last_pid_set[2] = { -1, -1 };

static const char *dir;
static const char *suid_copy;
static int userns_fd = -1;

/* ---- credentials ---- */

static int caps_get(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };

	return syscall(SYS_capget, &hdr, data);
}

static int caps_set(struct __user_cap_data_struct *data)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3,
						0 };

	return syscall(SYS_capset, &hdr, data);
}

/* User uid with no groups; with CAP_CHECKPOINT_RESTORE effective if keep_cr. */
static int become_user(uid_t uid, int keep_cr)
{
	struct __user_cap_data_struct data[2] = {};

	if (setgroups(0, NULL) || setresgid(uid, uid, uid) ||
	    (keep_cr && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0)) ||
	    setresuid(uid, uid, uid))
		return -1;
	if (keep_cr) {
		data[CAP_TO_INDEX(CAP_CHECKPOINT_RESTORE)].permitted =
			CAP_TO_MASK(CAP_CHECKPOINT_RESTORE);
		data[CAP_TO_INDEX(CAP_CHECKPOINT_RESTORE)].effective =
			CAP_TO_MASK(CAP_CHECKPOINT_RESTORE);
		if (caps_set(data) || prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0))
			return -1;
	}
	return 0;
}

/* Root without CAP_SYS_ADMIN in any set, the bounding set included. */
static int drop_sys_admin(void)
{
	struct __user_cap_data_struct data[2];
	int i;

	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) || caps_get(data))
		return -1;
	i = CAP_TO_INDEX(CAP_SYS_ADMIN);
	data[i].effective &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[i].permitted &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	data[i].inheritable &= ~CAP_TO_MASK(CAP_SYS_ADMIN);
	return caps_set(data);
}

/*
 * Takes the credentials of who, in a child of the driver. A changed euid
 * makes the process undumpable (commit_creds(), fs.suid_dumpable 0): a
 * process of one's own is dumpable, as after an exec, except DUMP_ROOT's.
 */
static int become(enum who w)
{
	int ret = 0;

	switch (w) {
	case ROOT:
		return 0;
	case NOADMIN:
		return drop_sys_admin();
	case CR:
		ret = become_user(UID_U, 1);
		break;
	case USER:
	case DUMP_ROOT:
		ret = become_user(UID_U, 0);
		break;
	case USERNS:
	case USERNS_PIDNS:
		/* The namespace's owner gets every capability in it. */
		ret = become_user(UID_U, 0) ?: setns(userns_fd, CLONE_NEWUSER);
		break;
	case USERNS_GROUP:
		/* U with a supplementary group, which its namespace may not drop. */
		ret = setgroups(1, &(gid_t){ GID_G })	     ?:
			      setresgid(UID_U, UID_U, UID_U) ?:
			      setresuid(UID_U, UID_U, UID_U) ?:
			      setns(userns_fd, CLONE_NEWUSER);
		break;
	case OTHER:
		ret = become_user(UID_V, 0);
		break;
	case SUID:
		return -1; /* exec'd: start_target() */
	}
	if (!ret && w != DUMP_ROOT)
		ret = prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
	return ret;
}

/* ---- the target ---- */

static uint8_t memory[TARGET_MEMORY];

static uint32_t memory_sum(void)
{
	return crc32c(~0U, memory, sizeof(memory));
}

/* What the target must find again: ids, capability sets, sandbox, dumpable. */
static void target_state(char *buf, size_t size)
{
	static const char *const keys[] = {
		"Uid:",	   "Gid:",    "Groups:", "CapInh:",	"CapPrm:",
		"CapEff:", "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:"
	};
	char status[4096], *line, *save;
	size_t i;

	buf[0] = 0;
	if (slurp("/proc/self/status", status, sizeof(status)))
		return;
	for (line = strtok_r(status, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (!strncmp(line, keys[i], strlen(keys[i])))
				note_to(buf, size, "%s", line);
	note_to(buf, size, "dumpable %d", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
}

static void target_path(char *buf, int index, const char *what)
{
	snprintf(buf, PATH_MAX, "%s/t%d.%s", dir, index, what);
}

/* Sets itself up, says so, waits for its go after a restart, checks itself. */
static void __attribute__((noreturn)) target_main(int index, int sandboxed)
{
	char path[PATH_MAX], result[PATH_MAX], before[1024], after[1024],
		why[1024] = "";
	struct utsname uts;
	uint32_t sum;
	size_t i;
	int fd;

	fd = open("/dev/null", O_RDWR);
	if (fd < 0 || dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0 ||
	    chdir(dir))
		_exit(120);
	closefrom(3);
	for (i = 0; i < sizeof(memory); i++)
		memory[i] = (uint8_t)(i * 31 + index);
	sum = memory_sum();
	if (sandboxed && deny_uname())
		_exit(121);
	target_state(before, sizeof(before));
	target_path(path, index, "ready");
	if (touch(path))
		_exit(122);
	target_path(path, index, "go");
	wait_for(path);

	target_state(after, sizeof(after));
	if (strcmp(before, after))
		note_to(why, sizeof(why), "now %s; before %s", after, before);
	if (memory_sum() != sum)
		note_to(why, sizeof(why), "memory changed");
	if (sandboxed && (uname(&uts) == 0 || errno != EPERM))
		note_to(why, sizeof(why), "uname() is not filtered");
	/* Whole or not at all: the driver reads it once it exists. */
	target_path(path, index, "result.tmp");
	target_path(result, index, "result");
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 ||
	    dprintf(fd, "%s %s", why[0] ? "FAIL" : "PASS",
		    why[0] ? why : before) < 0 ||
	    close(fd) || rename(path, result))
		_exit(123);
	_exit(0);
}

/* A target of who's (sandboxed or not), ready; -1 if it never got ready. */
static pid_t start_target(int index, enum who w, int sandboxed)
{
	char path[PATH_MAX], arg[16];
	int status;
	pid_t pid;

	target_path(path, index, "ready");
	pid = fork();
	if (pid == 0) {
		if (w == SUID) {
			snprintf(arg, sizeof(arg), "%d", index);
			if (become_user(UID_U, 0) == 0)
				execl(suid_copy, "privmodel", "target", dir,
				      arg, sandboxed ? "1" : "0", (char *)NULL);
			_exit(127);
		}
		if (become(w))
			_exit(126);
		target_main(index, sandboxed);
	}
	if (pid < 0)
		return -1;
	if (!wait_for_file(path, WAIT_MS) || waitpid(pid, &status, WNOHANG)) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -1;
	}
	return pid;
}

static void end_target(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

/* ---- the sessions, as cptctl drives them ---- */

/* What a caller's attempt came to: 0 or the errno, and the module's words. */
struct outcome {
	int err;
	char message[MESSAGE_LEN];
};

static int failed(struct outcome *o, int dev, const char *what)
{
	o->err = errno;
	if (dev >= 0)
		session_message(dev, o->message, MESSAGE_LEN);
	o->message[strcspn(o->message, "\n")] = 0;
	if (!o->message[0])
		snprintf(o->message, sizeof(o->message), "%s", what);
	return o->err;
}

/* A leave-running checkpoint of pid into path, as the caller it runs as. */
static void checkpoint(pid_t pid, const char *path, struct outcome *o)
{
	struct cpt_init init = { .mode = CPT_MODE_CHECKPOINT, .target = pid };
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	int dev, img, subsys;

	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		failed(o, -1, "open /dev/cpt");
		return;
	}
	img = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (img < 0) {
		failed(o, -1, "open the image");
		goto out;
	}
	init.image_fd = img;
	if (ioctl(dev, CPT_IOC_INIT, &init)) {
		failed(o, dev, "INIT");
		goto out;
	}
	if (session_write_manifest(img, pid)) {
		failed(o, -1, "writing the manifest");
		ioctl(dev, CPT_IOC_FINALIZE, &fin);
		goto out;
	}
	for (subsys = CPT_SUBSYS_TASK; subsys <= CPT_SUBSYS_MAX; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_SAVE, &req)) {
			failed(o, dev, "SAVE");
			ioctl(dev, CPT_IOC_FINALIZE, &fin);
			goto out;
		}
	}
	if (ioctl(dev, CPT_IOC_FINALIZE, &fin))
		failed(o, dev, "FINALIZE");
out:
	if (img >= 0)
		close(img);
	close(dev);
}

/* The restoring child: RESTORE of each subsystem; reports a failure, with its words. */
static void __attribute__((noreturn)) restore_child(int dev, int report)
{
	struct outcome o = {};
	sigset_t all;
	int subsys;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	for (subsys = CPT_SUBSYS_TASK; subsys <= CPT_SUBSYS_MAX; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_RESTORE, &req)) {
			failed(&o, dev, "RESTORE");
			if (write(report, &o, sizeof(o)) < 0)
				_exit(126);
			_exit(127);
		}
	}
	_exit(125); /* the final RESTORE returned success: it never should */
}

/*
 * A new pid namespace's init, as cptctl restart --pidns makes it: asks for
 * the tree's pid there, and lives as long as the restored process, with its
 * exit status.
 */
static void __attribute__((noreturn)) pidns_init(int dev, int report, pid_t pid)
{
	struct cpt_next_id next = { .kind = CPT_ID_PID, .id = pid };
	struct outcome o = {};
	int status;
	pid_t child;

	if (ioctl(dev, CPT_IOC_SET_NEXT_ID, &next)) {
		failed(&o, dev, "SET_NEXT_ID");
		if (write(report, &o, sizeof(o)) < 0)
			_exit(126);
		_exit(127);
	}
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0)
		restore_child(dev, report);
	if (child < 0) {
		failed(&o, -1, "clone");
		if (write(report, &o, sizeof(o)) < 0)
			_exit(126);
		_exit(127);
	}
	close(report);
	close(dev);
	if (waitpid(child, &status, 0) != child)
		_exit(126);
	_exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

/*
 * A restart of path's process with its pid, as the caller it runs as: the
 * restored process is its child (or, in a new pid namespace, its child's).
 * Returns that child, or -1 with o's errno.
 */
static pid_t restart(pid_t pid, const char *path, enum pidns_how how,
		     struct outcome *o)
{
	struct cpt_init init = {
		.mode = CPT_MODE_RESTART,
		.flags = how == PIDNS_OWN ? 0 : CPT_INIT_NEW_PIDNS,
	};
	struct cpt_next_id next = { .kind = CPT_ID_PID, .id = pid };
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	int dev, img, report[2], status;
	pid_t child = -1;

	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		failed(o, -1, "open /dev/cpt");
		return -1;
	}
	img = open(path, O_RDONLY | O_CLOEXEC);
	if (img < 0) {
		failed(o, -1, "open the image");
		goto out;
	}
	init.image_fd = img;
	if (ioctl(dev, CPT_IOC_INIT, &init)) {
		failed(o, dev, "INIT");
		goto out;
	}
	if (restart_skip_manifest(img)) {
		o->err = EBADMSG;
		snprintf(o->message, sizeof(o->message), "no manifest");
		goto out;
	}
	if (how == PIDNS_UNPLACED) {
		char c = 'a';

		if (write(last_pid_ask[1], &c, 1) != 1 ||
		    read(last_pid_set[0], &c, 1) != 1) {
			failed(o, -1, "asking root for the pid");
			goto out;
		}
	} else if (how != PIDNS_NEW && ioctl(dev, CPT_IOC_SET_NEXT_ID, &next)) {
		failed(o, dev, "SET_NEXT_ID");
		goto out;
	}
	if (pipe2(report, O_CLOEXEC)) {
		failed(o, -1, "pipe2");
		goto out;
	}
	child = syscall(SYS_clone,
			SIGCHLD | (how == PIDNS_NEW ? CLONE_NEWPID : 0), 0, 0,
			0, 0);
	if (child == 0 && how == PIDNS_NEW)
		pidns_init(dev, report[1], pid);
	if (child == 0)
		restore_child(dev, report[1]);
	close(report[1]);
	if (child < 0) {
		failed(o, -1, "clone");
	} else if (read(report[0], o, sizeof(*o)) == sizeof(*o)) {
		waitpid(child, &status, 0);
		child = -1;
	} else if (ioctl(dev, CPT_IOC_FINALIZE, &fin)) {
		failed(o, dev, "FINALIZE");
		close(dev);
		dev = -1;
		waitpid(child, &status, 0);
		child = -1;
	}
	close(report[0]);
out:
	if (img >= 0)
		close(img);
	if (dev >= 0)
		close(dev);
	return child;
}

/*
 * Root, for PIDNS_UNPLACED: once the caller asks, the initial pid
 * namespace's next pid is pid (a fork elsewhere in between would take it:
 * the cell then fails with ESRCH, not silently).
 */
static void give_next_pid(pid_t pid)
{
	char text[16], c;
	int fd;

	if (read(last_pid_ask[0], &c, 1) != 1)
		return;
	snprintf(text, sizeof(text), "%d", pid - 1);
	fd = open("/proc/sys/kernel/ns_last_pid", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write_all(fd, text, strlen(text)))
			perror("ns_last_pid");
		close(fd);
	}
	if (write(last_pid_set[1], "s", 1) != 1)
		perror("pipe");
}

/*
 * One operation as who, in a child of the driver: the outcome comes back
 * through a pipe. A restart's child then waits for the restored process,
 * its own child, to end: *coordinator is it, to be waited for.
 */
static void as(enum who w, int restarting, enum pidns_how how, pid_t pid,
	       const char *image, struct outcome *o, pid_t *coordinator)
{
	int pipefd[2], status;
	pid_t child;

	memset(o, 0, sizeof(*o));
	*coordinator = -1;
	if (pipe2(pipefd, O_CLOEXEC)) {
		failed(o, -1, "pipe2");
		return;
	}
	child = fork();
	if (child == 0) {
		struct outcome mine = {};
		pid_t restored = -1;

		close(pipefd[0]);
		if (become(w)) {
			failed(&mine, -1, "taking the caller's credentials");
		} else if (restarting) {
			restored = restart(pid, image, how, &mine);
		} else {
			checkpoint(pid, image, &mine);
		}
		if (write(pipefd[1], &mine, sizeof(mine)) < 0)
			_exit(126);
		close(pipefd[1]);
		_exit(restored > 0 ? exit_code(restored) : 0);
	}
	close(pipefd[1]);
	if (child > 0 && how == PIDNS_UNPLACED)
		give_next_pid(pid);
	if (child < 0 || read(pipefd[0], o, sizeof(*o)) != sizeof(*o)) {
		o->err = EPIPE;
		snprintf(o->message, sizeof(o->message),
			 "the caller's process died");
		if (child > 0)
			waitpid(child, &status, 0);
	} else {
		*coordinator = child;
	}
	close(pipefd[0]);
}

/* A checkpoint of pid into image as who, its caller's process reaped. */
static void checkpoint_as(enum who w, pid_t pid, const char *image,
			  struct outcome *o)
{
	pid_t coordinator;

	as(w, 0, PIDNS_OWN, pid, image, o, &coordinator);
	if (coordinator > 0)
		waitpid(coordinator, NULL, 0);
}

/* ---- the matrix ---- */

static const char *const row_names[] = {
	[ROOT] = "root",
	[NOADMIN] = "root-no-sys-admin",
	[CR] = "user-cr",
	[USER] = "user",
	[USERNS] = "userns",
	[USERNS_PIDNS] = "userns-pidns",
	[USERNS_GROUP] = "userns-group",
};

/* A row's restarts: its own pid namespace, or a new one for userns-pidns. */
static enum pidns_how pidns_of(enum who w)
{
	return w == USERNS_PIDNS || w == USERNS_GROUP ? PIDNS_NEW : PIDNS_OWN;
}

enum column { SAME, OTHER_UID, SETUID, SANDBOXED, NR_COLUMNS };

static const char *const column_names[] = {
	[SAME] = "same-uid",
	[OTHER_UID] = "other-uid",
	[SETUID] = "setuid",
	[SANDBOXED] = "sandboxed",
};

/* What a cell expects: 0, or the errno and a part of the module's message. */
struct expect {
	int err;
	const char *words;
};

#define OK              \
	{               \
		0, NULL \
	}
#define NO_PTRACE                       \
	{                               \
		EPERM, "may not ptrace" \
	}
#define NO_CR                                         \
	{                                             \
		EPERM, "needs CAP_CHECKPOINT_RESTORE" \
	}
#define NO_SETUID                          \
	{                                  \
		EPERM, "CAP_SETUID needed" \
	}
#define UNMAPPED                                                    \
	{                                                           \
		EINVAL, "not mapped in the caller's user namespace" \
	}

static const struct expect checkpoint_expect[][NR_COLUMNS] = {
	[ROOT] = { OK, OK, OK, OK },
	/* CAP_SYS_PTRACE is what a checkpoint of another's process takes. */
	[NOADMIN] = { OK, OK, OK, OK },
	[CR] = { OK, NO_PTRACE, NO_PTRACE, OK },
	[USER] = { OK, NO_PTRACE, NO_PTRACE, OK },
	[USERNS] = { OK, NO_PTRACE, NO_PTRACE, OK },
	[USERNS_PIDNS] = { OK, NO_PTRACE, NO_PTRACE, OK },
};

static const struct expect restart_expect[][NR_COLUMNS] = {
	[ROOT] = { OK, OK, OK, OK },
	/* Never a capability the caller lacks: not even in the bounding set. */
	[NOADMIN] = { OK,
		      { EPERM, "image bounding capabilities" },
		      { EPERM, "image permitted capabilities" },
		      OK },
	[CR] = { OK, NO_SETUID, NO_SETUID, OK },
	/* Choosing pids takes CAP_CHECKPOINT_RESTORE over the pid namespace. */
	[USER] = { NO_CR, NO_CR, NO_CR, NO_CR },
	/* The caller's pid namespace belongs to the initial user namespace. */
	[USERNS] = { NO_CR, NO_CR, NO_CR, NO_CR },
	/*
	 * In a pid namespace of its own, which its user namespace owns: its
	 * own, with their pids; another user's ids mean nothing there.
	 */
	[USERNS_PIDNS] = { OK, UNMAPPED, UNMAPPED, OK },
};

/* Whose the target of a column is, for a caller. */
static enum who target_of(enum who row, enum column c)
{
	switch (c) {
	case OTHER_UID:
		return OTHER;
	case SETUID:
		return SUID;
	default:
		return row;
	}
}

static int next_index;

/* Asserts o against e; detail says what happened. */
static int outcome_is(const struct outcome *o, const struct expect *e)
{
	if (o->err != e->err)
		return 0;
	return !e->words || strstr(o->message, e->words);
}

static void describe(char *buf, size_t size, const struct outcome *o)
{
	if (o->err)
		snprintf(buf, size, "refused: %s (%s)", strerror(o->err),
			 o->message);
	else
		snprintf(buf, size, "allowed");
}

/* Whether pid runs on untouched: alive, neither stopped nor frozen (parked: I). */
static int running(pid_t pid)
{
	char state = proc_state(pid);

	return state == 'S' || state == 'R';
}

/*
 * The restart half of a cell: as who, restarts image (of pid, killed), and
 * asserts e. Allowed: the target checks itself. Refused: nothing is left.
 */
static void restart_cell(const char *name, enum who w, enum pidns_how how,
			 pid_t pid, int index, const char *image,
			 const struct expect *e)
{
	char path[PATH_MAX], result[1024] = "", what[512];
	struct outcome o;
	pid_t coordinator;
	int ok;

	/* An earlier restart of the same image had its own. */
	target_path(path, index, "go");
	unlink(path);
	target_path(path, index, "result");
	unlink(path);
	as(w, 1, how, pid, image, &o, &coordinator);
	describe(what, sizeof(what), &o);
	ok = outcome_is(&o, e);
	if (!o.err) {
		target_path(path, index, "go");
		touch(path);
		target_path(path, index, "result");
		if (!wait_for_file(path, WAIT_MS) ||
		    slurp(path, result, sizeof(result)))
			snprintf(result, sizeof(result), "FAIL no result");
		ok = ok && !strncmp(result, "PASS", 4);
	}
	if (coordinator > 0) {
		if (!o.err && exit_code(coordinator) != 0)
			ok = 0;
		else if (o.err)
			waitpid(coordinator, NULL, 0);
	}
	if (o.err && kill(pid, 0) == 0) {
		ok = 0;
		kill(pid, SIGKILL);
		snprintf(result, sizeof(result), "pid %d left behind", pid);
	}
	check(name, ok, "%s restarting pid %d: %s%s%s; expected %s %s",
	      row_names[w], pid, what, result[0] ? "; the target: " : "",
	      result, e->err ? strerror(e->err) : "allowed",
	      e->words ? e->words : "");
}

/* One cell: checkpoint (left running), then restart. */
static void cell(enum who row, enum column c)
{
	int index = next_index++;
	char name[128], image[PATH_MAX], root_image[PATH_MAX], what[512];
	const struct expect *ce = &checkpoint_expect[row][c];
	struct outcome o, by_root;
	pid_t pid;
	int ok;

	snprintf(name, sizeof(name), "pm.%s.%s.checkpoint", row_names[row],
		 column_names[c]);
	pid = start_target(index, target_of(row, c), c == SANDBOXED);
	if (pid < 0) {
		check(name, 0, "the target never got ready");
		return;
	}
	target_path(image, index, "img");
	checkpoint_as(row, pid, image, &o);
	describe(what, sizeof(what), &o);
	ok = outcome_is(&o, ce) && running(pid);
	check(name, ok,
	      "%s checkpointing pid %d (%s's): %s; the target is %c; expected %s %s",
	      row_names[row], pid,
	      c == SAME || c == SANDBOXED ? "its own" : column_names[c], what,
	      proc_state(pid), ce->err ? strerror(ce->err) : "allowed",
	      ce->words ? ce->words : "");
	if (o.err) {
		/* A refused checkpoint's partial image goes, as cptctl's. */
		unlink(image);
		/* The restart half tries root's image. */
		snprintf(root_image, sizeof(root_image), "%s/t%d.root.img", dir,
			 index);
		checkpoint_as(ROOT, pid, root_image, &by_root);
		snprintf(image, sizeof(image), "%s", root_image);
	}
	end_target(pid);
	snprintf(name, sizeof(name), "pm.%s.%s.restart", row_names[row],
		 column_names[c]);
	if (o.err && by_root.err) {
		check(name, 0, "root could not checkpoint pid %d: %s", pid,
		      by_root.message);
		return;
	}
	restart_cell(name, row, pidns_of(row), pid, index, image,
		     &restart_expect[row][c]);
}

/* /dev/cpt as the module makes it, 0600: root's only. */
static void device_mode_cell(void)
{
	struct stat st = {};
	struct outcome o;
	unsigned int mode;

	mode = stat("/dev/cpt", &st) ? 07777 : st.st_mode & 07777;
	checkpoint_as(USER, getpid(), "/dev/null", &o);
	check("pm.device-mode", mode == 0600 && o.err == EACCES,
	      "/dev/cpt mode %o; user %d opening it: %s (%s)", mode, UID_U,
	      strerror(o.err), o.message);
}

/*
 * A checkpoint across a user namespace's border, either way: U in its
 * namespace has no capability over its process outside it (commoncap's
 * ptrace rule), and root, who may ptrace U's process inside it, cannot
 * save capabilities that mean something only there.
 */
static void border_cell(const char *name, enum who caller, enum who target,
			const struct expect *e)
{
	int index = next_index++;
	char image[PATH_MAX], what[512];
	struct outcome o;
	pid_t pid;

	pid = start_target(index, target, 0);
	if (pid < 0) {
		check(name, 0, "the target never got ready");
		return;
	}
	target_path(image, index, "img");
	checkpoint_as(caller, pid, image, &o);
	describe(what, sizeof(what), &o);
	if (o.err)
		unlink(image);
	check(name, outcome_is(&o, e) && running(pid),
	      "%s checkpointing pid %d (%s's): %s; the target is %c",
	      row_names[caller], pid, row_names[target], what, proc_state(pid));
	end_target(pid);
}

/*
 * U in its own user and pid namespace, at their borders: the flag that has
 * its pids reserved in a new pid namespace gives it no pid in the initial
 * one; and a user namespace whose setgroups is "deny" (as an unprivileged
 * user must make it) may not drop U's group: setgroups()'s own rule.
 */
static void userns_border_cells(void)
{
	const struct expect no_pid = {
		EPERM, "choosing the next pid needs CAP_CHECKPOINT_RESTORE"
	};
	const struct expect no_drop = { EPERM, "may not setgroups" };
	const struct expect unplaced = { EPERM, "not in the pid namespace" };
	int index = next_index++;
	char image[PATH_MAX];
	struct outcome o;
	pid_t pid;

	pid = start_target(index, USERNS_PIDNS, 0);
	if (pid < 0) {
		check("pm.userns-pidns.initial-pid.restart", 0,
		      "the target never got ready");
		return;
	}
	target_path(image, index, "img");
	checkpoint_as(USERNS_PIDNS, pid, image, &o);
	end_target(pid);
	if (o.err) {
		check("pm.userns-pidns.initial-pid.restart", 0,
		      "U could not checkpoint its pid %d: %s", pid, o.message);
		return;
	}
	restart_cell("pm.userns-pidns.initial-pid.restart", USERNS_PIDNS,
		     PIDNS_CLAIMED, pid, index, image, &no_pid);
	restart_cell("pm.userns-group.drop-group.restart", USERNS_GROUP,
		     PIDNS_NEW, pid, index, image, &no_drop);
	restart_cell("pm.userns-pidns.unplaced.restart", USERNS_PIDNS,
		     PIDNS_UNPLACED, pid, index, image, &unplaced);
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int ret = fd < 0 ? -1 : write_all(fd, text, strlen(text));

	if (fd >= 0)
		close(fd);
	return ret;
}

/*
 * U's process made SUID_DUMP_ROOT by the kernel (its ids changed under
 * fs.suid_dumpable 2), checkpointed by root: root restarts it as it was;
 * U, with CAP_CHECKPOINT_RESTORE, could never get that dumpable itself (a
 * core dumped as root), and is refused.
 */
static void dump_root_cells(void)
{
	int index = next_index++;
	char image[PATH_MAX], saved[16] = "0", what[512];
	struct expect refused = { EPERM, "SUID_DUMP_ROOT" }, allowed = OK;
	struct outcome o;
	pid_t pid;

	slurp("/proc/sys/fs/suid_dumpable", saved, sizeof(saved));
	if (write_text("/proc/sys/fs/suid_dumpable", "2")) {
		check("pm.dump-root.checkpoint", 0,
		      "cannot set fs.suid_dumpable");
		return;
	}
	pid = start_target(index, DUMP_ROOT, 0);
	write_text("/proc/sys/fs/suid_dumpable", saved);
	if (pid < 0) {
		check("pm.dump-root.checkpoint", 0,
		      "the target never got ready");
		return;
	}
	target_path(image, index, "img");
	checkpoint_as(ROOT, pid, image, &o);
	describe(what, sizeof(what), &o);
	check("pm.dump-root.checkpoint", !o.err && running(pid),
	      "root checkpointing U's SUID_DUMP_ROOT pid %d: %s", pid, what);
	end_target(pid);
	if (o.err)
		return;
	restart_cell("pm.dump-root.user-cr-restart", CR, PIDNS_OWN, pid, index,
		     image, &refused);
	restart_cell("pm.dump-root.root-restart", ROOT, PIDNS_OWN, pid, index,
		     image, &allowed);
}

/* The setup of the holder of U's own user namespace (0 mapped to U). */
static int enter_userns(void)
{
	char map[64];

	snprintf(map, sizeof(map), "0 %d 1", UID_U);
	return become(USER) || unshare(CLONE_NEWUSER) ||
	       write_text("/proc/self/setgroups", "deny") ||
	       write_text("/proc/self/uid_map", map) ||
	       write_text("/proc/self/gid_map", map);
}

/* U's own user namespace, held by a process of U's. */
static pid_t make_userns(void)
{
	char path[64];
	pid_t pid = fork_ready(enter_userns);

	if (pid < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", pid);
	userns_fd = open(path, O_RDONLY | O_CLOEXEC);
	return userns_fd < 0 ? -1 : pid;
}

/* A setuid-root copy of this program, for the setuid target to exec. */
static int make_suid_copy(void)
{
	char buf[65536];
	ssize_t n;
	int in, out, ret = 0;

	in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	unlink(suid_copy);
	out = open(suid_copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700);
	if (in < 0 || out < 0)
		ret = -1;
	while (!ret && (n = read(in, buf, sizeof(buf))) > 0)
		ret = write_all(out, buf, n);
	if (in >= 0)
		close(in);
	if (out >= 0 && (close(out) || chmod(suid_copy, 04755)))
		ret = -1;
	return ret;
}

int main(int argc, char **argv)
{
	static const enum who rows[] = { ROOT, NOADMIN, CR,
					 USER, USERNS,	USERNS_PIDNS };
	pid_t holder;
	size_t r;
	int c;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "target")) {
		dir = argv[2];
		target_main(atoi(argv[3]), atoi(argv[4]));
	}
	if (argc != 3 || getuid() != 0) {
		fprintf(stderr, "usage: privmodel DIR SUID_COPY (as root)\n");
		return 2;
	}
	dir = argv[1];
	suid_copy = argv[2];
	if (chmod(dir, 01777) || make_suid_copy()) {
		perror("setting up");
		return 1;
	}
	device_mode_cell();
	if (chmod("/dev/cpt", 0666)) {
		perror("/dev/cpt");
		return 1;
	}
	if (pipe2(last_pid_ask, O_CLOEXEC) || pipe2(last_pid_set, O_CLOEXEC)) {
		perror("pipe2");
		return 1;
	}
	holder = make_userns();
	if (holder < 0) {
		check("pm.setup", 0, "cannot make U's user namespace: %s",
		      strerror(errno));
		return 1;
	}
	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		for (c = 0; c < NR_COLUMNS; c++)
			cell(rows[r], c);
	border_cell("pm.userns.outside.checkpoint", USERNS, USER,
		    &(struct expect)NO_PTRACE);
	border_cell("pm.root.userns-target.checkpoint", ROOT, USERNS,
		    &(struct expect){ EOPNOTSUPP, "another user namespace" });
	userns_border_cells();
	dump_root_cells();
	end_target(holder);
	chmod("/dev/cpt", 0600);
	unlink(suid_copy);
	return check_exit_status();
}
