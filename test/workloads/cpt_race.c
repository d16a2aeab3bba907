// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoints that race with their targets and with each other, driven
 * through the module's ioctls as cptctl drives them (cptctl's start-up would
 * cost more than the checkpoints themselves). A checkpoint must either fail
 * cleanly, leaving its tree running and not frozen, or give an image that
 * a restart accepts; the guest kernel must never warn.
 *
 * IMAGE is a file (the kernel cannot write to /dev/null).
 *   cpt_race loop PID COUNT IMAGE [verify|uid|shared]
 *	COUNT leave-running checkpoints of PID's tree into IMAGE on one open
 *	/dev/cpt. verify: a restart's INIT reads back
 *	every image (header, tree: where a malformed tree is refused). uid:
 *	while the tree is frozen, no process of it may run as root (the
 *	caller is not). shared: another loop checkpoints the same tree, so
 *	a frozen tree after a checkpoint may be the other one's doing.
 *   cpt_race kill ROLE COUNT IMAGE
 *	COUNT times: a fresh tree (a root with a thread, a child holding many
 *	fds, a child holding a pty master whose slave is the controlling
 *	terminal of a grandchild), checkpointed while ROLE dies at a random
 *	point: root (killed and reaped), root-files (the same, during
 *	SAVE(FILES)), thread (exits), child (killed), tree (all killed).
 *	A failure must be clean, and the tasks not killed must run on: not
 *	parked, not dead. The root killed and reaped (the tree's pid
 *	namespace is then the session's only hold on it: review finding F2)
 *	may fail the checkpoint with ESRCH only, and for root-files it must
 *	have been reaped while SAVE(FILES) ran in 3 runs of 100 at least.
 *   cpt_race dup-close PID IMAGE
 *	A checkpoint whose coordinator dup()s its /dev/cpt fd and closes the
 *	copy mid-session: the session goes on.
 *   cpt_race coordinator-killed IMAGE
 *	A restart of IMAGE (checkpointed --kill, so its pid is free) fed
 *	through a pipe that stops after the manifest: the restoring child
 *	blocks reading its TASK record with the session's lock held. The
 *	coordinator is then SIGKILLed: it must not hang in D state, and
 *	nothing of the restart may be left.
 *   cpt_race rmmod [RELEASE]
 *	Tries to unload the module until it goes (60 s at most), counting
 *	the refusals: it must not go while any session's file is open.
 *	After the first refusal it creates RELEASE, the file the loops'
 *	sessions wait for (CPT_RACE_HOLD_UNTIL): the first try is thus
 *	made while they are all open, however slow this process started.
 * Each prints RESULT lines (check.h) and exits 0 when they all passed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "check.h"
#include "files.h"
#include "image.h"
#include "session.h"
#include "sync.h"

#define MESSAGE_LEN 256

static long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

/* An image file reused by the next checkpoint. */
static void rewind_image(int img)
{
	if (ftruncate(img, 0) || lseek(img, 0, SEEK_SET))
		perror("rewinding the image");
}

/*
 * Called before INIT (step 0), after INIT (-1), before each SAVE (its
 * subsystem) and once the session is over (STEP_DONE).
 */
typedef void (*step_hook)(int step, void *arg);

#define STEP_DONE (-2)

static int checkpoint_steps(int dev, pid_t pid, int img, unsigned int action,
			    step_hook hook, void *arg, char *msg)
{
	struct cpt_init init = { .image_fd = img,
				 .mode = CPT_MODE_CHECKPOINT,
				 .target = pid };
	struct cpt_finalize fin = { .action = action };
	int subsys, err;

	msg[0] = 0;
	if (hook)
		hook(0, arg);
	if (ioctl(dev, CPT_IOC_INIT, &init)) {
		err = errno;
		session_message(dev, msg, MESSAGE_LEN);
		return err;
	}
	if (hook)
		hook(-1, arg);
	if (session_write_manifest(img, pid)) {
		err = errno;
		fin.action = CPT_FINALIZE_RESUME;
		ioctl(dev, CPT_IOC_FINALIZE, &fin);
		snprintf(msg, MESSAGE_LEN, "writing the manifest failed");
		return err;
	}
	for (subsys = CPT_SUBSYS_TASK; subsys <= CPT_SUBSYS_MAX; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (hook)
			hook(subsys, arg);
		if (ioctl(dev, CPT_IOC_SAVE, &req)) {
			err = errno;
			session_message(dev, msg, MESSAGE_LEN);
			fin.action = CPT_FINALIZE_RESUME;
			ioctl(dev, CPT_IOC_FINALIZE, &fin);
			return err;
		}
	}
	if (ioctl(dev, CPT_IOC_FINALIZE, &fin)) {
		err = errno;
		session_message(dev, msg, MESSAGE_LEN);
		return err;
	}
	return 0;
}

/*
 * One checkpoint session on dev: 0, or the failing errno with the module's
 * message in msg. A failed SAVE ends the session with a FINALIZE, which
 * lets the tree go and reports the failure again.
 */
static int checkpoint(int dev, pid_t pid, int img, unsigned int action,
		      step_hook hook, void *arg, char *msg)
{
	int err = checkpoint_steps(dev, pid, img, action, hook, arg, msg);

	if (hook)
		hook(STEP_DONE, arg);
	return err;
}

/* A restart's INIT of the image at path: it reads and checks header and tree. */
static int verify_image(const char *path, char *msg)
{
	struct cpt_init init = { .mode = CPT_MODE_RESTART };
	int dev, img, err = 0;

	msg[0] = 0;
	img = open(path, O_RDONLY | O_CLOEXEC);
	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	if (img < 0 || dev < 0) {
		err = errno;
		goto out;
	}
	init.image_fd = img;
	if (ioctl(dev, CPT_IOC_INIT, &init)) {
		err = errno;
		session_message(dev, msg, MESSAGE_LEN);
	}
out:
	if (dev >= 0)
		close(dev);
	if (img >= 0)
		close(img);
	return err;
}

/*
 * Whether any task of process pid (threads included) is parked: a parked
 * task sleeps TASK_KILLABLE | TASK_NOLOAD, which /proc shows as I.
 */
static int process_frozen(pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int frozen = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.' && proc_state(atoi(d->d_name)) == 'I')
			frozen = 1;
	closedir(dir);
	return frozen;
}

/* The children of process pid (from its main thread's list), up to max. */
static int children_of(pid_t pid, pid_t *out, int max)
{
	char path[64], buf[4096], *p, *end;
	int fd, n = 0;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", pid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return 0;
	buf[len] = 0;
	for (p = buf; n < max; p = end) {
		long v = strtol(p, &end, 10);

		if (end == p)
			break;
		out[n++] = v;
	}
	return n;
}

/* The processes of pid's tree, pid first, up to max. */
static int tree_of(pid_t pid, pid_t *out, int max)
{
	int n = 1, i;

	out[0] = pid;
	for (i = 0; i < n && n < max; i++)
		n += children_of(out[i], out + n, max - n);
	return n;
}

static int tree_frozen(pid_t pid)
{
	pid_t tree[256];
	int n = tree_of(pid, tree, 256), i;

	for (i = 0; i < n; i++)
		if (process_frozen(tree[i]))
			return tree[i];
	return 0;
}

/*
 * The effective uid of process pid, or -1; -1 for a zombie too: a zombie's
 * image is its exit status alone (no TASK record, no memory), which its
 * unprivileged parent gets from wait() anyway, so a child that ran the
 * setuid program and exited is no leak.
 */
static long euid_of(pid_t pid)
{
	char path[64], buf[4096], *p;
	long uid = -1, euid = -1;
	char state = 0;
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "\nState:");
	if (p && sscanf(p, "\nState: %c", &state) == 1 && state == 'Z')
		return -1;
	p = strstr(buf, "\nUid:");
	if (p && sscanf(p, "\nUid: %ld %ld", &uid, &euid) == 2)
		return euid;
	return -1;
}

struct loop_state {
	pid_t root;
	int uid_check;
	unsigned int root_seen;
	char bad[512];
};

/* After INIT the tree is frozen: what would be saved is what /proc shows now. */
static void loop_hook(int step, void *arg)
{
	struct loop_state *ls = arg;
	pid_t tree[256];
	int n, i;

	if (step != -1 || !ls->uid_check)
		return;
	n = tree_of(ls->root, tree, 256);
	for (i = 0; i < n; i++) {
		if (euid_of(tree[i]) == 0) {
			ls->root_seen++;
			note_to(ls->bad, sizeof(ls->bad),
				"pid %d frozen with euid 0", tree[i]);
		}
	}
}

/* errnos a checkpoint may fail with when its tree changes under it. */
static int clean_failure(int err)
{
	return err == EAGAIN || err == ESRCH || err == EPERM || err == EBUSY ||
	       err == EINTR;
}

static int cmd_loop(pid_t pid, int count, const char *image, const char *mode)
{
	struct loop_state ls = { .root = pid,
				 .uid_check = mode && !strcmp(mode, "uid") };
	int verify = mode && !strcmp(mode, "verify");
	int shared = mode && !strcmp(mode, "shared");
	unsigned int ok = 0, failed = 0, bad_images = 0, unclean = 0,
		     left_frozen = 0;
	char msg[MESSAGE_LEN], why[512] = "",
			       last_failure[MESSAGE_LEN + 32] = "none";
	long started = now_us();
	int dev, img, i, err;

	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		check("loop", 0, "cannot open /dev/cpt: %s", strerror(errno));
		return 1;
	}
	printf("open\n");
	for (i = 0; i < count; i++) {
		img = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0600);
		if (img < 0) {
			check("loop", 0, "cannot open %s: %s", image,
			      strerror(errno));
			return 1;
		}
		err = checkpoint(dev, pid, img, CPT_FINALIZE_RESUME, loop_hook,
				 &ls, msg);
		close(img);
		/* Another session's freeze is not this one's to judge. */
		if (kill(pid, 0) || (!shared && tree_frozen(pid))) {
			left_frozen++;
			note_to(why, sizeof(why),
				"checkpoint %d (errno %d) left the tree %s", i,
				err, kill(pid, 0) ? "dead" : "frozen");
		}
		if (err) {
			failed++;
			snprintf(last_failure, sizeof(last_failure), "%s: %s",
				 strerror(err), msg);
			if (!clean_failure(err)) {
				unclean++;
				note_to(why, sizeof(why), "checkpoint %d: %s",
					i, last_failure);
			}
			continue;
		}
		ok++;
		if (verify) {
			err = verify_image(image, msg);
			if (err) {
				bad_images++;
				note_to(why, sizeof(why),
					"image %d refused: %s: %s", i,
					strerror(err), msg);
			}
		}
	}
	/*
	 * CPT_RACE_HOLD_UNTIL: the session stays open until that file exists,
	 * so that a scenario's rmmod finds every loop's session open however
	 * fast the checkpoints went. The scenario creates it in every case;
	 * the 10 minutes are a safety net only: a shorter one let every session
	 * close before rmmod's first try on a loaded CI host.
	 */
	if (getenv("CPT_RACE_HOLD_UNTIL"))
		wait_for_file(getenv("CPT_RACE_HOLD_UNTIL"), 600000);
	printf("closing\n");
	close(dev);
	printf("loop: %d checkpoints in %ld ms: %u saved, %u failed (last: %s)\n",
	       count, (now_us() - started) / 1000, ok, failed, last_failure);
	check("loop-clean", !unclean && !left_frozen,
	      "%u saved, %u failed cleanly, %u otherwise, %u left the tree frozen or dead%s%s",
	      ok, failed - unclean, unclean, left_frozen, *why ? ": " : "",
	      why);
	if (verify)
		check("loop-images", ok > 0 && !bad_images,
		      "%u of %u images read back by a restart's INIT%s%s",
		      ok - bad_images, ok, *why ? ": " : "", why);
	if (ls.uid_check)
		check("loop-no-root", !ls.root_seen,
		      "%u checkpoints saved, %u with a process running as root%s%s",
		      ok, ls.root_seen, *ls.bad ? ": " : "", ls.bad);
	return check_failures ? 1 : 0;
}

/*
 * The tree of the kill command. Its tasks share nothing with us (a pipe to
 * the outside would be refused): the root's thread waits for SIGUSR1, and
 * we see from /proc that the tree is ready.
 */
struct tree {
	pid_t root, fds_child, pty_child, grandchild;
};

static void *waiting_thread(void *arg)
{
	sigset_t usr1;
	int sig;

	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigwait(&usr1, &sig);
	return arg;
}

static void sleep_forever(void)
{
	for (;;)
		pause();
}

/*
 * A child holding many fds: its FILES record takes a while, the window in
 * which the root must be killed and reaped (1,000 of them, as many as the
 * default limit of 1,024 allows: with 400, a faster emulation's SAVE(FILES)
 * left it too short to hit in 3 runs of 100).
 */
static void fds_child(void)
{
	int i, fd = open("/dev/null", O_RDONLY);

	for (i = 0; i < 1000; i++)
		if (dup(fd) < 0)
			_exit(1);
	sleep_forever();
}

/* A child holding a pty master; its child has the slave as its terminal. */
static void pty_child(void)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY);
	pid_t grandchild;

	if (master < 0 || grantpt(master) || unlockpt(master))
		_exit(1);
	grandchild = fork();
	if (grandchild == 0) {
		setsid();
		/* Its controlling terminal. */
		if (open(ptsname(master), O_RDWR) < 0)
			_exit(1);
		close(master);
	}
	sleep_forever();
}

static void tree_root(void)
{
	pthread_t thread;
	sigset_t usr1;

	/* SIGUSR1 is for the thread's sigwait() only. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	pthread_create(&thread, NULL, waiting_thread, NULL);
	if (fork() == 0)
		fds_child();
	if (fork() == 0)
		pty_child();
	sleep_forever();
}

/* Field 7 of /proc/PID/stat: its controlling terminal, 0 for none. */
static int has_tty(pid_t pid)
{
	char buf[512];
	const char *fields = proc_stat_fields(pid, buf, sizeof(buf));
	int tty;

	if (!fields || sscanf(fields, "%*c %*d %*d %*d %d", &tty) != 1)
		return 0;
	return tty;
}

/* Whether the tree has all its tasks, the grandchild with its terminal. */
static int tree_ready(struct tree *t)
{
	char path[64];
	pid_t kids[8];

	snprintf(path, sizeof(path), "/proc/%d/task", t->root);
	if (children_of(t->root, kids, 8) != 2 ||
	    children_of(kids[1], &t->grandchild, 1) != 1 ||
	    !has_tty(t->grandchild) || access(path, F_OK))
		return 0;
	t->fds_child = kids[0];
	t->pty_child = kids[1];
	return 1;
}

static int start_tree(struct tree *t)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->root = fork();
	if (t->root == 0) {
		int null = open("/dev/null", O_RDWR), fd;

		/*
		 * Nothing of ours (the console, /dev/cpt): none of it is a
		 * file a checkpoint takes.
		 */
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		for (fd = 3; fd < 1024; fd++)
			close(fd);
		tree_root();
	}
	for (i = 0; i < 3000 && !tree_ready(t); i++)
		usleep(1000);
	return tree_ready(t) ? 0 : -1;
}

static void end_tree(struct tree *t)
{
	kill(t->grandchild, SIGKILL);
	kill(t->pty_child, SIGKILL);
	kill(t->fds_child, SIGKILL);
	kill(t->root, SIGKILL);
	waitpid(t->root, NULL, 0);
	/* The others are orphans now: init reaps them, or we do as subreaper. */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

enum role { ROLE_ROOT, ROLE_ROOT_FILES, ROLE_THREAD, ROLE_CHILD, ROLE_TREE };

struct killer {
	pthread_t thread;
	struct tree *tree;
	enum role role;
	int armed_at; /* the hook step that starts the countdown */
	long delay_us;
	int fired;
	int pipe[2]; /* the hook's go */
	int step; /* the checkpoint's step now: the last the hook saw */
	int reaped_at; /* the step when the root was reaped, or -3 */
};

static void *killer_thread(void *arg)
{
	struct killer *k = arg;
	struct timespec ts;
	char c;

	if (read(k->pipe[0], &c, 1) != 1)
		return NULL;
	ts.tv_sec = k->delay_us / 1000000;
	ts.tv_nsec = (k->delay_us % 1000000) * 1000;
	nanosleep(&ts, NULL);
	switch (k->role) {
	case ROLE_ROOT:
	case ROLE_ROOT_FILES:
		kill(k->tree->root, SIGKILL);
		waitpid(k->tree->root, NULL, 0); /* reaped: its pid is gone */
		k->reaped_at = __atomic_load_n(&k->step, __ATOMIC_SEQ_CST);
		break;
	case ROLE_THREAD:
		kill(k->tree->root, SIGUSR1); /* its thread returns */
		break;
	case ROLE_CHILD:
		kill(k->tree->pty_child, SIGKILL);
		break;
	case ROLE_TREE:
		kill(k->tree->grandchild, SIGKILL);
		kill(k->tree->pty_child, SIGKILL);
		kill(k->tree->fds_child, SIGKILL);
		kill(k->tree->root, SIGKILL);
		break;
	}
	k->fired = 1;
	return NULL;
}

static void killer_hook(int step, void *arg)
{
	struct killer *k = arg;

	__atomic_store_n(&k->step, step, __ATOMIC_SEQ_CST);
	if (step == k->armed_at && write(k->pipe[1], "g", 1) != 1)
		k->fired = -1;
}

/* When each step of a checkpoint began: [0] INIT, [subsys] its SAVE, then the end. */
struct timing {
	long at[CPT_SUBSYS_MAX + 2];
};

static void timing_hook(int step, void *arg)
{
	struct timing *tm = arg;

	if (step >= 0)
		tm->at[step] = now_us();
}

/* Whether any surviving process of the tree is still parked. */
static pid_t tree_left_frozen(struct tree *t)
{
	pid_t all[] = { t->root, t->fds_child, t->pty_child, t->grandchild };
	unsigned int i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (process_frozen(all[i]))
			return all[i];
	return 0;
}

/*
 * A process of the tree the killer left alone that is gone or a zombie, or
 * 0: a checkpoint, failed or not, kills nothing. Those of the child role
 * are left out (the pty's hangup, when its master's holder dies, kills
 * the grandchild), and so are the tree role's (all killed).
 */
static pid_t tree_left_dead(struct tree *t, enum role role)
{
	pid_t all[] = { t->root, t->fds_child, t->pty_child, t->grandchild };
	unsigned int i, first = role == ROLE_THREAD ? 0 : 1;
	char state;

	if (role == ROLE_CHILD || role == ROLE_TREE)
		return 0;
	for (i = first; i < sizeof(all) / sizeof(all[0]); i++) {
		state = proc_state(all[i]);
		if (state == '?' || state == 'Z' || state == 'X')
			return all[i];
	}
	/* The grandchild keeps the pty as its controlling terminal. */
	return has_tty(t->grandchild) ? 0 : t->grandchild;
}

/*
 * Whether a failure is one the role allows. The root killed and reaped is
 * gone, as ESRCH says (or its thread's exit outlasted the freeze's wait
 * for exits: EAGAIN, saying so); not some other error of a record read
 * from a dead tree. The others may fail as a changing tree makes a
 * checkpoint fail.
 */
static int expected_failure(enum role role, int err, const char *msg,
			    pid_t root)
{
	char named[64];

	switch (role) {
	case ROLE_ROOT:
		/* A root gone mid-freeze is named by the pid INIT was given. */
		snprintf(named, sizeof(named),
			 "pid %d exited during the freeze", root);
		if (err == ESRCH && strstr(msg, "exited during the freeze"))
			return strstr(msg, named) != NULL;
		return err == ESRCH ||
		       (err == EAGAIN && strstr(msg, "kept exiting"));
	case ROLE_ROOT_FILES:
		return err == ESRCH;
	default:
		return clean_failure(err);
	}
}

static int cmd_kill(const char *role_name, int count, const char *image)
{
	static const char *const roles[] = { "root", "root-files", "thread",
					     "child", "tree" };
	unsigned int saved = 0, failed = 0, unclean = 0, frozen = 0, broken = 0,
		     dead = 0, reaped_in_files = 0, freeze_exits = 0,
		     by_errno[256] = {};
	char msg[MESSAGE_LEN], why[512] = "", name[64], reaped[64] = "";
	long span_us, started = now_us();
	int dev, img, i, err, few;
	enum role role;
	pid_t left, gone;

	for (role = ROLE_ROOT; role <= ROLE_TREE; role++)
		if (!strcmp(role_name, roles[role]))
			break;
	if (role > ROLE_TREE)
		return 2;
	/* The tree's orphans come to us, to be reaped. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	img = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (dev < 0 || img < 0)
		return 1;
	span_us = 0;
	for (i = 0; i < count; i++) {
		struct killer k = { .role = role,
				    .armed_at = role == ROLE_ROOT_FILES ?
							CPT_SUBSYS_FILES :
							0,
				    .reaped_at = -3 };
		struct tree t;

		if (start_tree(&t)) {
			broken++;
			note_to(why, sizeof(why), "tree %d did not start", i);
			end_tree(&t);
			continue;
		}
		if (!span_us) {
			struct timing tm = {};

			rewind_image(img);
			err = checkpoint(dev, t.root, img, CPT_FINALIZE_RESUME,
					 timing_hook, &tm, msg);
			tm.at[CPT_SUBSYS_MAX + 1] = now_us();
			/* The kill lands anywhere in the window it is aimed at. */
			span_us = role == ROLE_ROOT_FILES ?
					  tm.at[CPT_SUBSYS_CPU] -
						  tm.at[CPT_SUBSYS_FILES] :
					  tm.at[CPT_SUBSYS_MAX + 1] - tm.at[0];
			if (err)
				note_to(why, sizeof(why),
					"the timing checkpoint failed: %s: %s",
					strerror(err), msg);
		}
		k.tree = &t;
		/*
		 * Aimed at SAVE(FILES) (root-files): its first half, so that the root's
		 * exit and reaping, which take a while, end within it.
		 */
		k.delay_us =
			next_random() %
			((role == ROLE_ROOT_FILES ? span_us / 2 : span_us) + 1);
		if (pipe2(k.pipe, O_CLOEXEC) ||
		    pthread_create(&k.thread, NULL, killer_thread, &k)) {
			broken++;
			end_tree(&t);
			continue;
		}
		rewind_image(img);
		err = checkpoint(dev, t.root, img, CPT_FINALIZE_RESUME,
				 killer_hook, &k, msg);
		/* A killer that was never armed (INIT failed first) gives up. */
		close(k.pipe[1]);
		pthread_join(k.thread, NULL);
		close(k.pipe[0]);
		left = tree_left_frozen(&t);
		if (left) {
			frozen++;
			note_to(why, sizeof(why), "run %d left pid %d frozen",
				i, left);
		}
		gone = tree_left_dead(&t, role);
		if (gone) {
			dead++;
			note_to(why, sizeof(why),
				"run %d: pid %d, not killed, is gone or lost its terminal",
				i, gone);
		}
		if (k.reaped_at == CPT_SUBSYS_FILES)
			reaped_in_files++;
		if (err) {
			failed++;
			by_errno[err & 255]++;
			freeze_exits +=
				!!strstr(msg, "exited during the freeze");
			if (!expected_failure(role, err, msg, t.root)) {
				unclean++;
				note_to(why, sizeof(why), "run %d: %s: %s", i,
					strerror(err), msg);
			} else if (failed == 1) {
				printf("kill %s: first failure: %s: %s\n",
				       role_name, strerror(err), msg);
			}
		} else {
			saved++;
		}
		end_tree(&t);
	}
	close(dev);
	close(img);
	printf("kill %s: %d runs in %ld ms (a checkpoint takes %ld us): %u saved, %u failed",
	       role_name, count, (now_us() - started) / 1000, span_us, saved,
	       failed);
	for (err = 1; err < 256; err++)
		if (by_errno[err])
			printf(", %u %s", by_errno[err], strerrorname_np(err));
	/* Each named by the pid INIT was given (expected_failure()). */
	printf(", %u exited during the freeze\n", freeze_exits);
	/*
	 * The root's death must have met SAVE(FILES) now and then, or the
	 * row no longer tests what it is for (on the stock kernel, about one
	 * run in eight; three in a hundred at least).
	 */
	few = role == ROLE_ROOT_FILES &&
	      reaped_in_files < (unsigned int)count / 33;
	if (role == ROLE_ROOT || role == ROLE_ROOT_FILES)
		snprintf(reaped, sizeof(reaped),
			 ", %u reaped the root during SAVE(FILES)",
			 reaped_in_files);
	snprintf(name, sizeof(name), "kill-%s", role_name);
	check(name,
	      !unclean && !frozen && !dead && !broken && !few &&
		      saved + failed == (unsigned int)count,
	      "%u saved, %u failed as expected, %u otherwise, %u left a task frozen, %u killed one, %u broken runs%s%s%s%s",
	      saved, failed - unclean, unclean, frozen, dead, broken, reaped,
	      few ? " (too few)" : "", *why ? ": " : "", why);
	return check_failures ? 1 : 0;
}

static int cmd_dup_close(pid_t pid, const char *image)
{
	struct cpt_init init = { .mode = CPT_MODE_CHECKPOINT, .target = pid };
	struct cpt_finalize fin = { .action = CPT_FINALIZE_RESUME };
	char msg[MESSAGE_LEN] = "", why[512] = "";
	int dev, img, copy, subsys, frozen_after_close = 0, i;

	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	img = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	init.image_fd = img;
	if (dev < 0 || img < 0 || ioctl(dev, CPT_IOC_INIT, &init)) {
		session_message(dev, msg, MESSAGE_LEN);
		check("dup-close", 0, "the checkpoint did not start: %s: %s",
		      strerror(errno), msg);
		return 1;
	}
	copy = dup(dev);
	close(copy);
	/*
	 * The session must still hold the tree. A parked task woken for a
	 * moment (a signal, under load) shows another state until it parks
	 * again: a session that ended would not park it again.
	 */
	for (i = 0; i < 100 && !(frozen_after_close = process_frozen(pid)); i++)
		usleep(10000);
	for (subsys = CPT_SUBSYS_TASK; subsys <= CPT_SUBSYS_MAX; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_SAVE, &req)) {
			session_message(dev, msg, MESSAGE_LEN);
			note_to(why, sizeof(why),
				"SAVE(%d) after the copy was closed: %s %s",
				subsys, strerror(errno), msg);
			break;
		}
	}
	if (ioctl(dev, CPT_IOC_FINALIZE, &fin))
		note_to(why, sizeof(why), "FINALIZE: %s", strerror(errno));
	close(dev);
	check("dup-close", !*why && frozen_after_close && !process_frozen(pid),
	      "closing a dup of the session's fd %s the tree frozen; %s",
	      frozen_after_close ? "left" : "did not leave",
	      *why ? why : "the checkpoint went on to its end");
	return check_failures ? 1 : 0;
}

/* Copies IMAGE's records up to the manifest (what INIT reads, then cptctl's). */
static int image_head(const char *path, uint8_t *buf, size_t max, size_t *len)
{
	struct cpt_record_header hdr;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t off = 0, rec;

	if (fd < 0)
		return -1;
	for (;;) {
		if (off + sizeof(hdr) > max ||
		    read_all(fd, buf + off, sizeof(hdr)))
			break;
		memcpy(&hdr, buf + off, sizeof(hdr));
		rec = sizeof(hdr) + hdr.length + 4;
		if (off + rec > max ||
		    read_all(fd, buf + off + sizeof(hdr), hdr.length + 4))
			break;
		off += rec;
		if (hdr.type == CPT_REC_MANIFEST) {
			close(fd);
			*len = off;
			return 0;
		}
	}
	close(fd);
	return -1;
}

static pid_t manifest_pid(const uint8_t *head, size_t len)
{
	struct cpt_record_header hdr;
	size_t off = 0;

	while (off + sizeof(hdr) <= len) {
		memcpy(&hdr, head + off, sizeof(hdr));
		if (hdr.type == CPT_REC_MANIFEST) {
			const uint8_t *p = head + off + sizeof(hdr),
				      *end = p + hdr.length;
			uint32_t v = 0;
			int shift = 0;

			/* Fields before root_pid are strings (tool); skip them. */
			while (p < end && *p != (2 << 3)) {
				uint8_t key = *p++;
				uint32_t n = 0;

				shift = 0;
				if ((key & 7) != 2)
					return -1;
				while (p < end && (*p & 0x80))
					n |= (*p++ & 0x7f) << shift, shift += 7;
				n |= (uint32_t)*p++ << shift;
				p += n;
			}
			if (p >= end)
				return -1;
			p++;
			shift = 0;
			while (p < end && (*p & 0x80))
				v |= (uint32_t)(*p++ & 0x7f) << shift,
					shift += 7;
			v |= (uint32_t)*p << shift;
			return v;
		}
		off += sizeof(hdr) + hdr.length + 4;
	}
	return -1;
}

/* The coordinator: INIT from the pipe, then a child restores itself. */
static void coordinator(int img_read, pid_t pid, int child_ready)
{
	struct cpt_init init = { .image_fd = img_read,
				 .mode = CPT_MODE_RESTART };
	struct cpt_next_id next = { .kind = CPT_ID_PID, .id = pid };
	struct cpt_record_header hdr;
	static uint8_t skip[1 << 16];
	int dev = open("/dev/cpt", O_RDWR);
	pid_t child;

	if (dev < 0 || ioctl(dev, CPT_IOC_INIT, &init) ||
	    read_all(img_read, &hdr, sizeof(hdr)) ||
	    hdr.type != CPT_REC_MANIFEST || hdr.length + 4 > sizeof(skip) ||
	    read_all(img_read, skip, hdr.length + 4) ||
	    ioctl(dev, CPT_IOC_SET_NEXT_ID, &next))
		_exit(1);
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0) {
		struct cpt_subsys req = { .subsys = CPT_SUBSYS_TASK };

		/* Blocks reading its record: the pipe has no more, and we hold its write end. */
		ioctl(dev, CPT_IOC_RESTORE, &req);
		_exit(3);
	}
	if (child != pid ||
	    write(child_ready, &child, sizeof(child)) != sizeof(child))
		_exit(2);
	sleep_forever();
}

static const char *wchan_of(pid_t pid, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/wchan", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = 0;
	return buf;
}

static int cmd_coordinator_killed(const char *image)
{
	static uint8_t head[1 << 16];
	char wchan[64] = "", why[256] = "";
	int img[2], ready[2], status, i;
	pid_t pid, coord, child = 0;
	size_t len;
	char state = 0;
	long waited_ms = 0;

	if (image_head(image, head, sizeof(head), &len) ||
	    (pid = manifest_pid(head, len)) <= 0) {
		check("coordinator-killed", 0, "cannot read the head of %s",
		      image);
		return 1;
	}
	if (pipe(img) || pipe(ready) || write_all(img[1], head, len))
		return 1;
	coord = fork();
	if (coord == 0) {
		close(ready[0]);
		coordinator(img[0], pid, ready[1]);
	}
	close(ready[1]);
	if (read_all(ready[0], &child, sizeof(child))) {
		waitpid(coord, &status, 0);
		check("coordinator-killed", 0,
		      "the restart did not start (coordinator status %#x)",
		      status);
		return 1;
	}
	/* The restoring child holds the session's lock in pipe_read once it sleeps there. */
	for (i = 0; i < 500 &&
		    !strstr(wchan_of(child, wchan, sizeof(wchan)), "pipe_read");
	     i++)
		usleep(10000);
	if (!strstr(wchan, "pipe_read"))
		note_to(why, sizeof(why),
			"the child never blocked in pipe_read (wchan %s)",
			wchan);
	kill(coord, SIGKILL);
	/* The killed coordinator must be gone soon, never stuck in D. */
	for (i = 0; i < 200; i++) {
		if (waitpid(coord, &status, WNOHANG) == coord)
			break;
		state = proc_state(coord);
		usleep(10000);
		waited_ms += 10;
	}
	if (i == 200) {
		note_to(why, sizeof(why),
			"the coordinator is still there after 2 s, state %c, wchan %s",
			proc_state(coord),
			wchan_of(coord, wchan, sizeof(wchan)));
		/* Let it go: the child holding the lock is what it waits for. */
		kill(child, SIGKILL);
		waitpid(coord, &status, 0);
	}
	for (i = 0; i < 200 && !kill(child, 0); i++)
		usleep(10000);
	if (!kill(child, 0)) {
		note_to(why, sizeof(why),
			"the restoring child %d is still there", child);
		kill(child, SIGKILL);
	}
	close(img[1]);
	check("coordinator-killed", !*why,
	      "coordinator SIGKILLed with its child blocked holding the session: gone in %ld ms (last state %c)%s%s",
	      waited_ms, state ? state : '-', *why ? "; " : "", why);
	return check_failures ? 1 : 0;
}

static int cmd_rmmod(const char *release)
{
	long started = now_us();
	unsigned long refused = 0;

	while (syscall(SYS_delete_module, "cpt", O_NONBLOCK)) {
		if (errno != EWOULDBLOCK && errno != EBUSY) {
			printf("rmmod: %s after %lu refusals\n",
			       strerror(errno), refused);
			return 1;
		}
		if (now_us() - started > 60 * 1000000L) {
			printf("rmmod: still in use after %lu refusals\n",
			       refused);
			return 1;
		}
		if (!refused++ && release && touch(release)) {
			printf("rmmod: cannot create %s: %s\n", release,
			       strerror(errno));
			return 1;
		}
		usleep(1000);
	}
	printf("rmmod: unloaded after %lu refusals\n", refused);
	return 0;
}

int main(int argc, char **argv)
{
	rng ^= (uint64_t)getpid() << 17 ^ (uint64_t)now_us();
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 5 && !strcmp(argv[1], "loop"))
		return cmd_loop(atoi(argv[2]), atoi(argv[3]), argv[4],
				argc > 5 ? argv[5] : NULL);
	if (argc == 5 && !strcmp(argv[1], "kill"))
		return cmd_kill(argv[2], atoi(argv[3]), argv[4]);
	if (argc == 4 && !strcmp(argv[1], "dup-close"))
		return cmd_dup_close(atoi(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "coordinator-killed"))
		return cmd_coordinator_killed(argv[2]);
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "rmmod"))
		return cmd_rmmod(argc == 3 ? argv[2] : NULL);
	fprintf(stderr, "usage: see the comment at the top of cpt_race.c\n");
	return 2;
}
