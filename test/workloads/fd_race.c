// SPDX-License-Identifier: GPL-2.0
/*
 * A file made by one of the kernel's syscalls during a restart sits in the
 * restoring task's fd table until the module takes it: another thread of
 * that process, sharing the table, could put another file at its number
 * meanwhile (dup2), and the module would treat that file as the one it
 * made. A restart must refuse such a restoring process.
 *
 *   fd_race hold KIND [DIR] holds one file of KIND (inotify: a watch on /tmp;
 *                           timerfd: armed, periodic, with unread ticks;
 *                           listener: a unix stream socket listening on
 *                           DIR/lll...l, a path of all 108 bytes of
 *                           sun_path; abstract: a unix stream socket
 *                           listening on @DIR; pair: a unix stream socket
 *                           pair), prints READY and sleeps until killed
 *   fd_race race IMAGE PID SECONDS
 *                           restarts IMAGE (of a holder whose pid was PID)
 *                           through the module's ioctls, again and again for
 *                           SECONDS (longer, until MIN_ATTEMPTS are made,
 *                           where restarts are slow), each time up to its
 *                           FILES record, with an extra thread of the
 *                           restoring process looping
 *                           dup2(eventfd, N); close(N) over the numbers the
 *                           module's syscalls take. Every attempt must end in
 *                           a clean errno (the kernel must not warn or oops),
 *                           and the FILES record must be refused, naming the
 *                           thread.
 *   fd_race hold-threaded KIND [DIR]
 *                           as hold, with a second thread asleep (the
 *                           image's process has two threads)
 *   fd_race race-sharer IMAGE PID TID SECONDS
 *                           restarts IMAGE (of a hold-threaded holder, its
 *                           second thread TID) the same way, its thread a
 *                           task of the tree this time: once the main
 *                           thread's FILES restore waits for that thread to
 *                           be held, the thread clones a process sharing the
 *                           fd table (CLONE_FILES) that loops the same
 *                           dup2() and close(), then goes on to its final
 *                           step, where it is held. The FILES record must
 *                           be refused (EOPNOTSUPP: the table is shared):
 *                           the sharer came after the first look at the
 *                           table, while the restore waited.
 *
 * KIND rights (with hold-threaded): a unix stream socket pair with an
 * eventfd in flight in its queue (SCM_RIGHTS), closed by the holder.
 * KIND sockets DIR (with hold-threaded): the sockets a restart makes with
 * socket() and names by fd (setsockopt(), bind(), connect(), listen()): a
 * unix stream pair with a byte queued, a unix listener on DIR/l, two
 * unpaired unix datagram sockets on DIR/a and DIR/b, b connected to a with
 * a datagram queued, and a TCP listener on 127.0.0.1 (a port bind() chose);
 * once DIR/go exists (after a restart), the holder checks that each fd
 * holds the socket it made there (family, type, name, peer, queue, and a
 * new connection or datagram through it), prints RESULT lines and exits.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/cpt.h>

#include "check.h"
#include "restart.h"

#define RACER_STACK (64 << 10)
/* How many numbers from the lowest free one the racer swaps. */
#define RACED_FDS 4
/*
 * Fewer attempts than this test too little of the race: SECONDS are
 * stretched, up to restart_wait_ms(MIN_ATTEMPTS_MS), until they are made
 * (a debug kernel's restarts are many times slower).
 */
#define MIN_ATTEMPTS 20
#define MIN_ATTEMPTS_MS 10000

/* A listener on a path as long as sun_path holds (no NUL in it). */
static int listen_long(const char *dir)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(dir);
	int fd;

	if (len + 2 > sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path, dir, len);
	memset(sun.sun_path + len, 'l', sizeof(sun.sun_path) - len);
	sun.sun_path[len] = '/';
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) ||
	    listen(fd, 8))
		return -1;
	return fd;
}

/* A listener on the abstract name @name. */
static int listen_abstract(const char *name)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = strlen(name);
	int fd;

	if (len + 1 > sizeof(sun.sun_path))
		return -1;
	memcpy(sun.sun_path + 1, name, len);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 ||
	    bind(fd, (struct sockaddr *)&sun,
		 offsetof(struct sockaddr_un, sun_path) + 1 + len) ||
	    listen(fd, 8))
		return -1;
	return fd;
}

/* A unix pair with an eventfd in flight in its queue; the eventfd's fd closed. */
static int hold_rights(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	int pair[2], efd = eventfd(7, 0);

	if (efd < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, pair))
		return -1;
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &efd, sizeof(int));
	if (sendmsg(pair[0], &msg, 0) != 1)
		return -1;
	close(efd);
	return pair[0];
}

/* kind sockets: the holder's sockets, by fd, and what they were made with. */
static struct {
	const char *dir;
	int pair[2], listener, dgram_a, dgram_b, tcp;
	struct sockaddr_in tcp_addr;
} held_socks;

/* sun for DIR/name; its length. */
static socklen_t unix_name(struct sockaddr_un *sun, const char *name)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/%s", held_socks.dir,
		 name);
	return sizeof(*sun);
}

static int unix_bound(int type, const char *name)
{
	struct sockaddr_un sun;
	socklen_t len = unix_name(&sun, name);
	int fd = socket(AF_UNIX, type, 0);

	unlink(sun.sun_path);
	return fd < 0 || bind(fd, (struct sockaddr *)&sun, len) ? -1 : fd;
}

static int hold_sockets(const char *dir)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(held_socks.tcp_addr);

	held_socks.dir = dir;
	if (!dir || socketpair(AF_UNIX, SOCK_STREAM, 0, held_socks.pair) ||
	    send(held_socks.pair[0], "p", 1, 0) != 1)
		return -1;
	held_socks.listener = unix_bound(SOCK_STREAM, "l");
	held_socks.dgram_a = unix_bound(SOCK_DGRAM, "a");
	held_socks.dgram_b = unix_bound(SOCK_DGRAM, "b");
	if (held_socks.listener < 0 || listen(held_socks.listener, 4) ||
	    held_socks.dgram_a < 0 || held_socks.dgram_b < 0 ||
	    connect(held_socks.dgram_b, (struct sockaddr *)&sun,
		    unix_name(&sun, "a")) ||
	    send(held_socks.dgram_b, "d", 1, 0) != 1)
		return -1;
	held_socks.tcp = socket(AF_INET, SOCK_STREAM, 0);
	held_socks.tcp_addr.sin_family = AF_INET;
	held_socks.tcp_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (held_socks.tcp < 0 ||
	    bind(held_socks.tcp, (struct sockaddr *)&held_socks.tcp_addr,
		 len) ||
	    getsockname(held_socks.tcp, (struct sockaddr *)&held_socks.tcp_addr,
			&len) ||
	    listen(held_socks.tcp, 4))
		return -1;
	return held_socks.pair[0];
}

/* Whether fd holds a socket of family and type. */
static int sock_is(int fd, int family, int type, char *why, size_t size)
{
	int dom = -1, typ = -1;
	socklen_t len = sizeof(int);

	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &len);
	len = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &typ, &len);
	if (dom == family && typ == type)
		return 1;
	note_to(why, size, "fd %d: family %d type %d, not %d %d", fd, dom, typ,
		family, type);
	return 0;
}

/* Whether fd's own name (peer: its peer's) is DIR/name. */
static int unix_named(int fd, int peer, const char *name, char *why,
		      size_t size)
{
	struct sockaddr_un want, got = { 0 };
	socklen_t len = sizeof(got);

	unix_name(&want, name);
	if ((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&got,
					       &len) ||
	    strcmp(got.sun_path, want.sun_path)) {
		note_to(why, size, "fd %d: %s %s, not %s", fd,
			peer ? "peer" : "name", got.sun_path, want.sun_path);
		return 0;
	}
	return 1;
}

/* Whether a byte read from fd (from DIR/from, if a name) is c. */
static int reads(int fd, char c, const char *from, char *why, size_t size)
{
	struct sockaddr_un got = { 0 }, want;
	socklen_t len = sizeof(got);
	char b = 0;

	if (recvfrom(fd, &b, 1, MSG_DONTWAIT, (struct sockaddr *)&got, &len) !=
		    1 ||
	    b != c ||
	    (from &&
	     (unix_name(&want, from), strcmp(got.sun_path, want.sun_path)))) {
		note_to(why, size, "fd %d: read '%c' from %s, not '%c'", fd, b,
			got.sun_path, c);
		return 0;
	}
	return 1;
}

/* Whether a new connection to addr is accepted by listener fd. */
static int accepts(int fd, int family, const struct sockaddr *addr,
		   socklen_t len, char *why, size_t size)
{
	int c = socket(family, SOCK_STREAM, 0), a = -1;

	if (c >= 0 && !connect(c, addr, len))
		a = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
	if (c >= 0)
		close(c);
	if (a < 0) {
		note_to(why, size, "fd %d: no connection accepted: %s", fd,
			strerror(errno));
		return 0;
	}
	close(a);
	return 1;
}

/* After the restart: each fd holds the socket made there, as it was. */
static int check_sockets(void)
{
	struct sockaddr_in tcp = { 0 };
	socklen_t len = sizeof(tcp);
	struct sockaddr_un sun;
	char why[512] = "";
	int ok;

	ok = sock_is(held_socks.pair[0], AF_UNIX, SOCK_STREAM, why,
		     sizeof(why)) &&
	     sock_is(held_socks.pair[1], AF_UNIX, SOCK_STREAM, why,
		     sizeof(why)) &&
	     reads(held_socks.pair[1], 'p', NULL, why, sizeof(why)) &&
	     send(held_socks.pair[1], "q", 1, 0) == 1 &&
	     reads(held_socks.pair[0], 'q', NULL, why, sizeof(why));
	check("sockets-pair", ok,
	      "the pair's ends at fds %d and %d, each the other's peer%s%s",
	      held_socks.pair[0], held_socks.pair[1], *why ? ": " : "", why);
	*why = 0;
	ok = sock_is(held_socks.listener, AF_UNIX, SOCK_STREAM, why,
		     sizeof(why)) &&
	     unix_named(held_socks.listener, 0, "l", why, sizeof(why)) &&
	     accepts(held_socks.listener, AF_UNIX, (struct sockaddr *)&sun,
		     unix_name(&sun, "l"), why, sizeof(why));
	check("sockets-listener", ok,
	      "the unix listener at fd %d, on DIR/l%s%s", held_socks.listener,
	      *why ? ": " : "", why);
	*why = 0;
	ok = sock_is(held_socks.dgram_a, AF_UNIX, SOCK_DGRAM, why,
		     sizeof(why)) &&
	     sock_is(held_socks.dgram_b, AF_UNIX, SOCK_DGRAM, why,
		     sizeof(why)) &&
	     unix_named(held_socks.dgram_a, 0, "a", why, sizeof(why)) &&
	     unix_named(held_socks.dgram_b, 0, "b", why, sizeof(why)) &&
	     unix_named(held_socks.dgram_b, 1, "a", why, sizeof(why)) &&
	     reads(held_socks.dgram_a, 'd', "b", why, sizeof(why)) &&
	     send(held_socks.dgram_b, "e", 1, 0) == 1 &&
	     reads(held_socks.dgram_a, 'e', "b", why, sizeof(why));
	check("sockets-unpaired", ok,
	      "the datagram sockets at fds %d (DIR/a) and %d (DIR/b, connected to DIR/a)%s%s",
	      held_socks.dgram_a, held_socks.dgram_b, *why ? ": " : "", why);
	*why = 0;
	ok = sock_is(held_socks.tcp, AF_INET, SOCK_STREAM, why, sizeof(why));
	if (ok &&
	    (getsockname(held_socks.tcp, (struct sockaddr *)&tcp, &len) ||
	     tcp.sin_port != held_socks.tcp_addr.sin_port ||
	     tcp.sin_addr.s_addr != held_socks.tcp_addr.sin_addr.s_addr)) {
		note_to(why, sizeof(why), "name %s:%d", inet_ntoa(tcp.sin_addr),
			ntohs(tcp.sin_port));
		ok = 0;
	}
	ok = ok && accepts(held_socks.tcp, AF_INET,
			   (struct sockaddr *)&held_socks.tcp_addr,
			   sizeof(held_socks.tcp_addr), why, sizeof(why));
	check("sockets-tcp", ok,
	      "the TCP listener at fd %d, on 127.0.0.1:%d%s%s", held_socks.tcp,
	      ntohs(held_socks.tcp_addr.sin_port), *why ? ": " : "", why);
	return check_exit_status();
}

/* kind sockets: waits for DIR/go (written after the restart), then checks. */
static int sockets_checked(void)
{
	char go[300];

	snprintf(go, sizeof(go), "%s/go", held_socks.dir);
	while (access(go, F_OK))
		usleep(10000);
	return check_sockets();
}

static void *sleeper(void *unused)
{
	(void)unused;
	for (;;)
		pause();
	return NULL;
}

static int hold(const char *kind, const char *dir)
{
	struct itimerspec its = { .it_value.tv_nsec = 1000000,
				  .it_interval.tv_nsec = 1000000 };
	int fd = -1;

	if (!strcmp(kind, "inotify")) {
		fd = inotify_init1(0);
		if (fd >= 0 && inotify_add_watch(fd, "/tmp", IN_CREATE) < 0)
			fd = -1;
	} else if (!strcmp(kind, "timerfd")) {
		fd = timerfd_create(CLOCK_MONOTONIC, 0);
		if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL))
			fd = -1;
		usleep(20000); /* some ticks, unread */
	} else if (!strcmp(kind, "listener") && dir) {
		fd = listen_long(dir);
	} else if (!strcmp(kind, "abstract") && dir) {
		fd = listen_abstract(dir);
	} else if (!strcmp(kind, "pair")) {
		int pair[2];

		fd = socketpair(AF_UNIX, SOCK_STREAM, 0, pair) ? -1 : pair[0];
	} else if (!strcmp(kind, "rights")) {
		fd = hold_rights();
	} else if (!strcmp(kind, "sockets")) {
		fd = hold_sockets(dir);
	}
	if (fd < 0) {
		printf("cannot make a %s\n", kind);
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	if (!strcmp(kind, "sockets"))
		return sockets_checked();
	for (;;)
		pause();
}

static int racer_fd, racer_lowest;
static volatile int racer_stop;

/* race-sharer: what the restoring process's tasks and its sharer tell each other. */
static struct {
	volatile int
		main_in_files; /* the main thread is calling RESTORE(FILES) */
	volatile int
		main_seen_waiting; /* the thread saw it asleep in the module */
	volatile int sharer_running;
	volatile int thread_failed; /* the thread's own step that failed */
} sharer;

static int racer(void *unused)
{
	int k;

	(void)unused;
	sharer.sharer_running = 1;
	while (!racer_stop) {
		for (k = 0; k < RACED_FDS; k++)
			syscall(SYS_dup2, racer_fd, racer_lowest + k);
		for (k = 0; k < RACED_FDS; k++)
			syscall(SYS_close, racer_lowest + k);
	}
	return 0;
}

struct report {
	int subsys; /* the record that failed, 0: FILES restored */
	int err;
	int seen_waiting; /* race-sharer: the sharer came while FILES waited */
	char message[256];
};

/*
 * A restoring child's start: every signal blocked, the racer's eventfd and
 * the lowest free fd it swaps from; a stack for its clone(), or NULL.
 */
static char *restorer_start(void)
{
	sigset_t all;
	char *stack;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	racer_fd = eventfd(0, EFD_CLOEXEC);
	racer_lowest = dup(0);
	close(racer_lowest);
	stack = mmap(NULL, RACER_STACK, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return racer_fd < 0 || stack == MAP_FAILED ? NULL : stack;
}

/* The restoring child: the racer thread, then TASK, SIGNALS and FILES. */
static void restore_child(int dev, int report_fd)
{
	struct report rep = { 0 };
	struct cpt_message msg = { .buf = (uintptr_t)rep.message,
				   .size = sizeof(rep.message) };
	char *stack = restorer_start();
	int subsys;

	if (!stack || clone(racer, stack + RACER_STACK,
			    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				    CLONE_THREAD | CLONE_SYSVSEM,
			    NULL) < 0)
		_exit(126);
	for (subsys = CPT_SUBSYS_TASK; subsys <= CPT_SUBSYS_FILES; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_RESTORE, &req)) {
			rep.subsys = subsys;
			rep.err = errno;
			ioctl(dev, CPT_IOC_MESSAGE, &msg);
			break;
		}
	}
	racer_stop = 1;
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(126);
	_exit(0);
}

/*
 * Whether the task tid of this process sleeps in its FILES restore, past
 * its first look at the fd table: its wchan is cpt_files_restore(), where
 * the module waits for the process's threads to be held
 * (cpt_hold_threads(), inlined there, as cpt_check_restorer() is).
 */
static int waits_in_files_restore(pid_t tid)
{
	char path[64], wchan[64] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/wchan", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, wchan, sizeof(wchan) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	wchan[n] = 0;
	return !strcmp(wchan, "cpt_files_restore") ||
	       !strcmp(wchan, "cpt_hold_threads") ||
	       !strcmp(wchan, "cpt_check_restorer");
}

/*
 * race-sharer's thread, a task of the tree: its TASK and SIGNALS, then,
 * once the main thread waits in its FILES restore for it, the sharer
 * (CLONE_FILES, not a thread), then a table of its own (unshare()), then
 * its FILES and MM (none: no record)
 * and its final step, where it is held until the restart fails.
 */
static int sharer_thread(void *devp)
{
	static char stack[RACER_STACK] __attribute__((aligned(16)));
	int dev = *(int *)devp, failed, subsys;
	long waited_ms = 0, limit = restart_wait_ms(5000);

	failed = restart_steps_to(dev, CPT_SUBSYS_SIGNALS);
	if (failed) {
		sharer.thread_failed = failed;
		for (;;)
			pause();
	}
	while (!sharer.main_in_files)
		usleep(1000);
	while (!waits_in_files_restore(getpid()) && waited_ms++ < limit)
		usleep(1000);
	sharer.main_seen_waiting = waited_ms < limit;
	if (clone(racer, stack + sizeof(stack),
		  CLONE_VM | CLONE_FILES | SIGCHLD, NULL) < 0)
		sharer.thread_failed = -1;
	while (!sharer.thread_failed && !sharer.sharer_running)
		usleep(1000);
	/*
	 * The thread leaves the table for one of its own: the table's count
	 * is the process's threads again (the sharer in, the thread out), and
	 * only a look at which task holds the table sees the sharer.
	 */
	if (!sharer.thread_failed && unshare(CLONE_FILES))
		sharer.thread_failed = -1;
	for (failed = 0, subsys = CPT_SUBSYS_FILES;
	     !failed && subsys <= CPT_SUBSYS_MAX; subsys++) {
		struct cpt_subsys req = { .subsys = subsys };

		if (ioctl(dev, CPT_IOC_RESTORE, &req))
			failed = subsys;
	}
	sharer.thread_failed = failed ? failed : -2;
	for (;;)
		pause();
	return 0;
}

/* race-sharer's restoring process: its thread (tid), then TASK, SIGNALS and FILES. */
static void restore_sharer_child(int dev, int report_fd, pid_t tid)
{
	struct report rep = { 0 };
	struct cpt_message msg = { .buf = (uintptr_t)rep.message,
				   .size = sizeof(rep.message) };
	static int thread_dev;
	char *stack = restorer_start();
	int failed;

	thread_dev = dev;
	if (!stack || restart_next_pid(dev, tid) ||
	    clone(sharer_thread, stack + RACER_STACK,
		  CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			  CLONE_THREAD | CLONE_SYSVSEM,
		  &thread_dev) != tid)
		_exit(126);
	failed = restart_steps_to(dev, CPT_SUBSYS_SIGNALS);
	if (!failed) {
		struct cpt_subsys req = { .subsys = CPT_SUBSYS_FILES };

		sharer.main_in_files = 1;
		failed = ioctl(dev, CPT_IOC_RESTORE, &req) ? CPT_SUBSYS_FILES :
							     0;
	}
	if (failed) {
		rep.subsys = failed;
		rep.err = errno;
		ioctl(dev, CPT_IOC_MESSAGE, &msg);
	}
	rep.seen_waiting = sharer.main_seen_waiting;
	racer_stop = 1;
	if (write(report_fd, &rep, sizeof(rep)) != sizeof(rep))
		_exit(126);
	_exit(0);
}

/* One restart up to FILES; 0 and the child's report, or -1 for an oddity. */
static int attempt(int img, pid_t pid, pid_t tid, struct report *rep)
{
	struct cpt_init init = { .mode = CPT_MODE_RESTART, .image_fd = img };
	struct cpt_next_id next = { .kind = CPT_ID_PID, .id = pid };
	int dev, report[2], status, ret = -1;
	pid_t child;

	if (lseek(img, 0, SEEK_SET))
		return -1;
	dev = open("/dev/cpt", O_RDWR | O_CLOEXEC);
	if (dev < 0 || ioctl(dev, CPT_IOC_INIT, &init) ||
	    restart_skip_manifest(img) || pipe2(report, O_CLOEXEC)) {
		printf("cannot start a restart: %s\n", strerror(errno));
		goto out;
	}
	if (ioctl(dev, CPT_IOC_SET_NEXT_ID, &next))
		goto out_pipe;
	child = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (child == 0 && tid)
		restore_sharer_child(dev, report[1], tid);
	if (child == 0)
		restore_child(dev, report[1]);
	if (child < 0)
		goto out_pipe;
	close(report[1]);
	report[1] = -1;
	if (read(report[0], rep, sizeof(*rep)) == sizeof(*rep))
		ret = 0;
	if (!ret && rep->err == ECANCELED) {
		/* Another task failed first: the session says which, and why. */
		struct cpt_message m = { .buf = (uintptr_t)rep->message,
					 .size = sizeof(rep->message) };

		if (ioctl(dev, CPT_IOC_MESSAGE, &m) < 0)
			rep->message[0] = 0;
	}
	close(dev); /* aborts the session */
	dev = -1;
	if (waitpid(child, &status, 0) != child)
		ret = -1;
out_pipe:
	close(report[0]);
	if (report[1] >= 0)
		close(report[1]);
out:
	if (dev >= 0)
		close(dev);
	return ret;
}

/*
 * Restarts of image until seconds are over: each must be refused at FILES
 * with the errno want, its message naming what (tid: race-sharer's).
 */
static int race(const char *image, pid_t pid, pid_t tid, int seconds, int want,
		const char *what)
{
	unsigned int tries = 0, restored = 0, refused = 0, other = 0,
		     oddities = 0, waiting = 0;
	char first_other[300] = "", message[256] = "";
	struct timespec start, now;
	long elapsed_ms;
	struct report rep;
	int img;

	img = open(image, O_RDONLY | O_CLOEXEC);
	if (img < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		tries++;
		if (attempt(img, pid, tid, &rep)) {
			oddities++;
		} else if (waiting += rep.seen_waiting, !rep.subsys) {
			restored++;
		} else if (rep.subsys == CPT_SUBSYS_FILES &&
			   (rep.err == want || rep.err == ECANCELED) &&
			   strstr(rep.message, what)) {
			/*
			 * ECANCELED: the other task of the restore reported
			 * first, the session's message naming the refusal.
			 */
			if (!refused++)
				memcpy(message, rep.message, sizeof(message));
		} else if (!other++) {
			snprintf(first_other, sizeof(first_other),
				 "record %d: %s (%.200s)", rep.subsys,
				 strerror(rep.err), rep.message);
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000;
	} while (elapsed_ms < seconds * 1000L ||
		 (tries < MIN_ATTEMPTS &&
		  elapsed_ms < restart_wait_ms(MIN_ATTEMPTS_MS)));
	printf("%u attempts: %u restored FILES, %u refused, %u other errors, %u oddities\n",
	       tries, restored, refused, other, oddities);
	check("attempts", tries >= MIN_ATTEMPTS && !oddities,
	      "%u attempts, %u without an errno or a report", tries, oddities);
	check("clean", !other, "%u ended in another errno; first: %s", other,
	      first_other);
	check(tid ? "sharer-refused" : "threads-refused", refused == tries,
	      "%u of %u refused; message: %s", refused, tries, message);
	if (tid)
		check("sharer-late", waiting == tries,
		      "in %u of %u the sharer came while FILES waited for the thread",
		      waiting, tries);
	return check_exit_status();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "hold"))
		return hold(argv[2], argv[3]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "hold-threaded")) {
		pthread_t thread;

		if (pthread_create(&thread, NULL, sleeper, NULL))
			return 2;
		return hold(argv[2], argv[3]);
	}
	if (argc == 5 && !strcmp(argv[1], "race"))
		return race(argv[2], atoi(argv[3]), 0, atoi(argv[4]), EBUSY,
			    "thread");
	if (argc == 6 && !strcmp(argv[1], "race-sharer"))
		return race(argv[2], atoi(argv[3]), atoi(argv[4]),
			    atoi(argv[5]), EOPNOTSUPP, "shares its fd table");
	return 2;
}
