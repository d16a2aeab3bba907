// SPDX-License-Identifier: GPL-2.0
/*
 * The attributes of an address space and of a process that a restart must
 * give back, and what they do: locked memory (mlock, mlock2 MLOCK_ONFAULT,
 * mlockall MCL_FUTURE | MCL_ONFAULT, under a low RLIMIT_MEMLOCK; and in a
 * child, mlockall MCL_FUTURE alone, which populates what it locks), KSM's
 * MADV_MERGEABLE, MADV_SEQUENTIAL and MADV_RANDOM, MADV_DONTFORK and
 * MADV_WIPEONFORK seen from a child forked after the restart, membarrier
 * registrations, the audit loginuid
 * (as root), and child subreapers whose children predate their becoming
 * one: the process itself and a child of it, which with its own child
 * still die of SIGTERM.
 *
 * Usage: mm_attrs DIR
 *   Prints READY when set up (DIR/family: the pids of the subreaper child
 *   and of its child), waits for DIR/go, then reports RESULT lines.
 */
#include <errno.h>
#include <limits.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "files.h"
#include "sync.h"

#define PAGE 4096UL
#define MEMLOCK_LIMIT (1024 * 1024UL) /* what an unprivileged run locks under */
#define LOGINUID 4242U

static char go[PATH_MAX];

static int membarrier(int cmd, unsigned int flags)
{
	return (int)syscall(__NR_membarrier, cmd, flags, 0);
}

static void *map_pages(unsigned long n)
{
	void *p = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		check("setup", 0, "mmap: %s", strerror(errno));
		exit(1);
	}
	return p;
}

/* VmLck of /proc/self/status in KiB, -1 if missing. */
static long vm_locked_kib(void)
{
	char buf[4096], *p;

	if (slurp("/proc/self/status", buf, sizeof(buf)) ||
	    !(p = strstr(buf, "VmLck:")))
		return -1;
	return strtol(p + 6, NULL, 10);
}

/* Which of n pages at addr are resident, as a bit mask; -1 on error. */
static long resident(void *addr, unsigned long n)
{
	unsigned char vec[16];
	unsigned long i;
	long mask = 0;

	if (n > sizeof(vec) || mincore(addr, n * PAGE, vec))
		return -1;
	for (i = 0; i < n; i++)
		if (vec[i] & 1)
			mask |= 1L << i;
	return mask;
}

static unsigned int loginuid(void)
{
	char buf[32] = "";

	if (slurp("/proc/self/loginuid", buf, sizeof(buf)))
		return 0;
	return (unsigned int)strtoul(buf, NULL, 10);
}

static int set_loginuid(unsigned int uid)
{
	FILE *f = fopen("/proc/self/loginuid", "w");

	if (!f)
		return -1;
	fprintf(f, "%u", uid);
	return fclose(f);
}

/* A child forked after the restart: what MADV_DONTFORK and MADV_WIPEONFORK do to it. */
static void check_fork(unsigned char *dontfork, unsigned char *wipe)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		unsigned char v;
		int gone = mincore(dontfork, PAGE, &v) && errno == ENOMEM;

		_exit(!gone ? 1 : wipe[0] || wipe[PAGE] ? 2 : 0);
	}
	if (pid > 0)
		waitpid(pid, &status, 0);
	check("fork-dontfork-wipeonfork",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
		      wipe[0] == 0x5a && dontfork[0] == 0x6b,
	      "a child forked after the restart: status %#x (1: the DONTFORK mapping is there, "
	      "2: the WIPEONFORK memory is not zero); the parent's %#x %#x",
	      status, wipe[0], dontfork[0]);
}

/*
 * A child under mlockall(MCL_FUTURE) alone (fork_ready_then()): what it
 * maps is locked and populated, before the restart and after. It exits
 * with 0, or 1 when the mapping made before is not locked and resident, 2
 * when one made after is not.
 */
static unsigned char *future_before;

static int future_setup(void)
{
	/* Gone with its parent, when a test kills that one instead. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (mlockall(MCL_FUTURE))
		return -1;
	future_before = map_pages(2);
	return 0;
}

static int future_check(void)
{
	unsigned char *after;
	int bad = 0;

	wait_for(go);
	after = map_pages(2);
	if (!vm_flags_have(future_before, "lo") ||
	    resident(future_before, 2) != 0x3)
		bad |= 1;
	if (!vm_flags_have(after, "lo") || resident(after, 2) != 0x3)
		bad |= 2;
	return bad;
}

static void check_future_locked(pid_t pid)
{
	int status = -1;

	waitpid(pid, &status, 0);
	check("mlockall-future-plain",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a child under MCL_FUTURE alone: status %#x (1: memory mapped before "
	      "is not locked and resident, 2: memory mapped after, 3: both)",
	      status);
}

/* A child subreaper whose own child it had before it became one. */
static pid_t fork_subreaper(pid_t *grandchild)
{
	char buf[32] = "";
	int pipefd[2];
	pid_t s, c;

	if (pipe(pipefd))
		return -1;
	s = fork();
	if (s == 0) {
		c = fork();
		if (c == 0) {
			close(pipefd[0]);
			close(pipefd[1]);
			for (;;)
				pause();
		}
		prctl(PR_SET_CHILD_SUBREAPER, 1);
		dprintf(pipefd[1], "%d\n", (int)c);
		close(pipefd[0]);
		close(pipefd[1]);
		for (;;)
			pause();
	}
	close(pipefd[1]);
	if (read(pipefd[0], buf, sizeof(buf) - 1) <= 0)
		return -1;
	close(pipefd[0]);
	*grandchild = atoi(buf);
	return s;
}

/* Sends SIGTERM to pid and waits, at most 5 s, for it to die of it. */
static int dies_of_sigterm(pid_t pid, int *status)
{
	int i;

	*status = -1;
	if (kill(pid, SIGTERM))
		return 0;
	for (i = 0; i < 500; i++) {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got == pid)
			return WIFSIGNALED(*status) &&
			       WTERMSIG(*status) == SIGTERM;
		if (got < 0)
			return 0;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, status, 0);
	return 0;
}

static void check_subreaper(pid_t sub, pid_t grandchild)
{
	int status, sub_dies, orphan_dies = 0, orphan_status = -1;

	sub_dies = dies_of_sigterm(sub, &status);
	/* Its child comes to us, a subreaper too, once it is gone. */
	if (sub_dies)
		orphan_dies = dies_of_sigterm(grandchild, &orphan_status);
	else
		kill(grandchild, SIGKILL);
	check("subreaper-sigterm", sub_dies && orphan_dies,
	      "the subreaper %d: status %#x; its older child %d: status %#x",
	      (int)sub, status, (int)grandchild, orphan_status);
}

int main(int argc, char **argv)
{
	const struct rlimit memlock = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };
	unsigned char *locked, *onfault, *merge, *dontfork, *wipe, *future,
		*later, *seq, *rnd;
	int as_root, mb_private, mb_sync_core, mb_rseq, mb_global;
	long lck_before, lck_after, onfault_res, locked_res;
	unsigned int uid_set = 0;
	char path[PATH_MAX];
	pid_t sub, grandchild, future_locked;
	FILE *family;
	const char *dir;

	dir = workload_dir(argc, argv, go);
	if (!dir)
		return 2;
	as_root = geteuid() == 0;
	/* A restart must find the memory the image locks under the limit it had. */
	if (!as_root && setrlimit(RLIMIT_MEMLOCK, &memlock)) {
		check("setup", 0, "RLIMIT_MEMLOCK: %s", strerror(errno));
		return 1;
	}
	/* A subreaper, like its child, only after its child was born. */
	sub = fork_subreaper(&grandchild);
	snprintf(path, sizeof(path), "%s/family", dir);
	if (sub < 0 || prctl(PR_SET_CHILD_SUBREAPER, 1) ||
	    !(family = fopen(path, "w")) ||
	    fprintf(family, "%d %d\n", (int)sub, (int)grandchild) < 0 ||
	    fclose(family)) {
		check("setup", 0, "no subreaper child, or no %s", path);
		return 1;
	}

	future_locked = fork_ready_then(future_setup, future_check);
	if (future_locked < 0) {
		check("setup", 0, "no MCL_FUTURE child");
		return 1;
	}

	locked = map_pages(4);
	memset(locked, 0x11, 4 * PAGE);
	seq = map_pages(2);
	rnd = map_pages(2);
	onfault = map_pages(4);
	merge = map_pages(4);
	memset(merge, 0x33, 4 * PAGE);
	dontfork = map_pages(1);
	dontfork[0] = 0x6b;
	wipe = map_pages(2);
	wipe[0] = 0x5a;
	wipe[PAGE] = 0x5a;
	if (mlock(locked, 4 * PAGE) ||
	    mlock2(onfault, 4 * PAGE, MLOCK_ONFAULT) ||
	    madvise(merge, 4 * PAGE, MADV_MERGEABLE) ||
	    madvise(seq, 2 * PAGE, MADV_SEQUENTIAL) ||
	    madvise(rnd, 2 * PAGE, MADV_RANDOM) ||
	    madvise(dontfork, PAGE, MADV_DONTFORK) ||
	    madvise(wipe, 2 * PAGE, MADV_WIPEONFORK)) {
		check("setup", 0, "mlock/madvise: %s", strerror(errno));
		return 1;
	}
	onfault[0] = 0x22; /* one page of four faulted in, and locked */
	mb_private = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0);
	mb_sync_core = membarrier(
		MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE, 0);
	mb_rseq = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_RSEQ, 0);
	mb_global = membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED, 0);
	if (mb_private || mb_sync_core || mb_rseq || mb_global) {
		check("setup", 0, "membarrier registrations: %d %d %d %d (%s)",
		      mb_private, mb_sync_core, mb_rseq, mb_global,
		      strerror(errno));
		return 1;
	}
	if (as_root) {
		uid_set = LOGINUID;
		if (set_loginuid(uid_set)) {
			check("setup", 0, "loginuid: %s", strerror(errno));
			return 1;
		}
	}
	/* Last, so that only what comes later is locked too (on fault). */
	if (mlockall(MCL_FUTURE | MCL_ONFAULT)) {
		check("setup", 0, "mlockall: %s", strerror(errno));
		return 1;
	}
	future = map_pages(2);
	future[0] = 0x44;
	lck_before = vm_locked_kib();
	printf("READY %s\n", as_root ? "root" : "user");
	wait_for(go);

	lck_after = vm_locked_kib();
	locked_res = resident(locked, 4);
	onfault_res = resident(onfault, 4);
	check("mlock",
	      vm_flags_have(locked, "lo") && locked_res == 0xf &&
		      locked[PAGE] == 0x11 && lck_after == lck_before,
	      "mlock()ed: VmFlags lo %d, resident pages %#lx; VmLck %ld KiB, was %ld",
	      vm_flags_have(locked, "lo"), locked_res, lck_after, lck_before);
	check("mlock-onfault",
	      vm_flags_have(onfault, "lo") && onfault_res == 0x1 &&
		      onfault[0] == 0x22,
	      "mlock2(MLOCK_ONFAULT)ed: VmFlags lo %d, resident pages %#lx (only the touched one)",
	      vm_flags_have(onfault, "lo"), onfault_res);
	later = map_pages(2);
	check("mlockall-future",
	      vm_flags_have(future, "lo") && resident(future, 2) == 0x1 &&
		      vm_flags_have(later, "lo") && resident(later, 2) == 0,
	      "MCL_FUTURE | MCL_ONFAULT: locked on fault before (%d, %#lx) and after the restart (%d, %#lx)",
	      vm_flags_have(future, "lo"), resident(future, 2),
	      vm_flags_have(later, "lo"), resident(later, 2));
	check("madvise-mergeable",
	      vm_flags_have(merge, "mg") && merge[PAGE] == 0x33,
	      "MADV_MERGEABLE: VmFlags mg %d", vm_flags_have(merge, "mg"));
	check("madvise-sequential-random",
	      vm_flags_have(seq, "sr") && !vm_flags_have(seq, "rr") &&
		      vm_flags_have(rnd, "rr") && !vm_flags_have(rnd, "sr"),
	      "MADV_SEQUENTIAL: VmFlags sr %d rr %d; MADV_RANDOM: sr %d rr %d",
	      vm_flags_have(seq, "sr"), vm_flags_have(seq, "rr"),
	      vm_flags_have(rnd, "sr"), vm_flags_have(rnd, "rr"));
	check_fork(dontfork, wipe);
	check_future_locked(future_locked);
	/* Unregistered, each fails with EPERM. */
	mb_private = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) ? errno :
								       0;
	mb_sync_core =
		membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE, 0) ?
			errno :
			0;
	mb_rseq = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_RSEQ, 0) ? errno :
									 0;
	check("membarrier", !mb_private && !mb_sync_core && !mb_rseq,
	      "errno of private expedited %d, sync-core %d, rseq %d",
	      mb_private, mb_sync_core, mb_rseq);
	if (as_root)
		check("loginuid", loginuid() == uid_set, "loginuid %u, set %u",
		      loginuid(), uid_set);
	check_subreaper(sub, grandchild);
	return check_exit_status();
}
