// SPDX-License-Identifier: GPL-2.0
/*
 * SysV IPC objects across checkpoint/restart, removed in between (the test
 * runs ipcrm on them, as another machine would lack them): they must come
 * back with their ids, keys, modes and contents.
 * - shm A (key KEY_A, 64 KiB, mode 0640): a checksummed pattern, attached
 *   read-write by the root and by a forked child (one shared segment), and
 *   a second time by the root from its second page on, read-only;
 * - shm B (IPC_PRIVATE, 8 KiB): removed (IPC_RMID) while the root has it
 *   attached: it must come back attached, with its content, still removed;
 * - sem S (key KEY_S, 3 semaphores): values 1, 5, 42;
 * - msq Q (key KEY_Q): three messages of types 1, 2, 3.
 * - another user's objects (nobody's, made by a child that is gone before
 *   the checkpoint): a queue with a message and a segment, readable by
 *   all, which the tree neither owns nor attaches: not the tree's, they
 *   must not be saved, so not come back once removed (review F13).
 * DIR/ipcrm-args gets what ipcrm needs to remove A, S, Q and nobody's
 * objects. After DIR/go every check runs; the child checks a word the root
 * writes into A after the restart. Only the root prints.
 * Usage: sysv_ipc DIR
 */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sync.h"

#define KEY_A 0x43505401
#define KEY_S 0x43505402
#define KEY_Q 0x43505403
#define SIZE_A (64 * 1024)
#define SIZE_B (8 * 1024)
#define TIMEOUT_MS 30000
#define AFTER_RESTART 0x52455354 /* what the root writes for the child */
#define SHM_DEST_MODE 01000

static const unsigned short sem_values[] = { 1, 5, 42 };
#define NR_SEMS 3

struct message {
	long type;
	char text[64];
};

static const char *const texts[] = { "first", "the second message", "" };
#define NR_MESSAGES 3

static const char *dir;

static void path_of(char *buf, const char *name)
{
	snprintf(buf, PATH_MAX, "%s/%s", dir, name);
}

static int wait_for_go(void)
{
	char path[PATH_MAX];

	path_of(path, "go");
	return wait_for_file(path, WAIT_FOREVER);
}

static uint8_t pattern(size_t i, unsigned int seed)
{
	return (uint8_t)(i * 31 + seed + (i >> 8));
}

static int pattern_ok(const uint8_t *p, size_t from, size_t len,
		      unsigned int seed)
{
	size_t i;

	for (i = from; i < from + len; i++)
		if (p[i - from] != pattern(i, seed))
			return 0;
	return 1;
}

/* The child: waits for the root's word in A after the restart. */
static int child(volatile uint32_t *a)
{
	struct timespec start;

	if (!wait_for_go())
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (a[SIZE_A / 4 - 1] != AFTER_RESTART) {
		if (ms_since(&start) > TIMEOUT_MS)
			return 1;
		nap();
	}
	return 0;
}

/*
 * Another user's queue (with a message) and segment, made by a child as
 * nobody and left behind: their ids in *q and *m, or -1.
 */
static void others_objects(int *q, int *m)
{
	int ids[2] = { -1, -1 }, pipefd[2], status;
	struct message msg = { .type = 7, .text = "nobody's" };
	pid_t pid;

	*q = *m = -1;
	if (pipe(pipefd))
		return;
	pid = fork();
	if (pid == 0) {
		close(pipefd[0]);
		if (setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(1);
		ids[0] = msgget(IPC_PRIVATE, IPC_CREAT | 0644);
		ids[1] = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0644);
		if (ids[0] >= 0 && msgsnd(ids[0], &msg, strlen(msg.text), 0))
			ids[0] = -1;
		_exit(write(pipefd[1], ids, sizeof(ids)) == sizeof(ids) ? 0 :
									  1);
	}
	close(pipefd[1]);
	if (pid > 0 && read(pipefd[0], ids, sizeof(ids)) == sizeof(ids)) {
		*q = ids[0];
		*m = ids[1];
	}
	close(pipefd[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
}

/* Whether the mapping at addr has these permissions in /proc/self/maps. */
static int maps_perms(const void *addr, const char *perms)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/maps", "r");
	int found = 0;

	snprintf(want, sizeof(want), "%lx-", (unsigned long)addr);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, want, strlen(want)))
			found = !strncmp(line + strcspn(line, " ") + 1, perms,
					 4);
	if (f)
		fclose(f);
	return found;
}

int main(int argc, char **argv)
{
	int id_a, id_b, id_s, id_q, id_oq, id_om, i, ok, status;
	uint8_t *a, *a_ro, *b;
	struct shmid_ds ds;
	struct message m;
	char path[PATH_MAX];
	unsigned short values[NR_SEMS];
	FILE *f;
	pid_t pid;

	if (argc != 2) {
		fprintf(stderr, "usage: sysv_ipc DIR\n");
		return 2;
	}
	dir = argv[1];
	/* Used and removed first, so that the ids have a sequence number a new object would not get. */
	shmctl(shmget(IPC_PRIVATE, 4096, 0600), IPC_RMID, NULL);
	semctl(semget(IPC_PRIVATE, 1, 0600), 0, IPC_RMID);
	msgctl(msgget(IPC_PRIVATE, 0600), IPC_RMID, NULL);
	id_a = shmget(KEY_A, SIZE_A, IPC_CREAT | IPC_EXCL | 0640);
	id_b = shmget(IPC_PRIVATE, SIZE_B, IPC_CREAT | 0600);
	id_s = semget(KEY_S, NR_SEMS, IPC_CREAT | IPC_EXCL | 0600);
	id_q = msgget(KEY_Q, IPC_CREAT | IPC_EXCL | 0620);
	if (id_a < 0 || id_b < 0 || id_s < 0 || id_q < 0) {
		perror("sysv_ipc: get (left over from an earlier run? ipcrm them)");
		return 2;
	}
	a = shmat(id_a, NULL, 0);
	b = shmat(id_b, NULL, 0);
	if (a == (void *)-1 || b == (void *)-1) {
		perror("shmat");
		return 2;
	}
	for (i = 0; i < SIZE_A; i++)
		a[i] = pattern(i, 1);
	for (i = 0; i < SIZE_B; i++)
		b[i] = pattern(i, 2);
	/* A again, read-only, from its second page: an attachment cut short. */
	a_ro = shmat(id_a, NULL, SHM_RDONLY);
	if (a_ro == (void *)-1 || munmap(a_ro, 4096)) {
		perror("shmat A read-only");
		return 2;
	}
	a_ro += 4096;
	shmctl(id_b, IPC_RMID, NULL);
	if (semctl(id_s, 0, SETALL, sem_values) < 0) {
		perror("semctl");
		return 2;
	}
	for (i = 0; i < NR_MESSAGES; i++) {
		m.type = i + 1;
		strcpy(m.text, texts[i]);
		if (msgsnd(id_q, &m, strlen(texts[i]), 0) < 0) {
			perror("msgsnd");
			return 2;
		}
	}
	others_objects(&id_oq, &id_om);
	if (id_oq < 0 || id_om < 0) {
		fprintf(stderr,
			"sysv_ipc: nobody's queue or segment: not made\n");
		return 2;
	}
	path_of(path, "ipcrm-args");
	f = fopen(path, "w");
	if (!f)
		return 2;
	fprintf(f, "-m %d -s %d -q %d -q %d -m %d\n", id_a, id_s, id_q, id_oq,
		id_om);
	fclose(f);
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(child((volatile uint32_t *)a));
	printf("READY\n");
	fflush(stdout);
	if (!wait_for_go()) {
		check("go", 0, "no go");
		return check_exit_status();
	}

	check("shm-id", shmget(KEY_A, 0, 0) == id_a,
	      "shm key %#x has id %d, expected %d", KEY_A, shmget(KEY_A, 0, 0),
	      id_a);
	ok = shmctl(id_a, IPC_STAT, &ds) == 0;
	check("shm-perm",
	      ok && (ds.shm_perm.mode & 0777) == 0640 && ds.shm_segsz == SIZE_A,
	      "shm %d: mode %#o, %zu bytes", id_a, ok ? ds.shm_perm.mode : 0,
	      ok ? ds.shm_segsz : 0);
	check("shm-content", pattern_ok(a, 0, SIZE_A, 1),
	      "shm %d's 64 KiB pattern %s", id_a,
	      pattern_ok(a, 0, SIZE_A, 1) ? "is intact" : "differs");
	check("shm-partial-readonly",
	      pattern_ok(a_ro, 4096, SIZE_A - 4096, 1) &&
		      maps_perms(a_ro, "r--s") && maps_perms(a, "rw-s"),
	      "the read-only attachment from A's second page reads the pattern, r--s beside rw-s");
	ok = shmctl(id_b, IPC_STAT, &ds) == 0;
	check("shm-removed",
	      ok && (ds.shm_perm.mode & SHM_DEST_MODE) &&
		      pattern_ok(b, 0, SIZE_B, 2),
	      "the segment removed while attached is back attached, %s, content %s",
	      ok && (ds.shm_perm.mode & SHM_DEST_MODE) ? "still removed" :
							 "not marked removed",
	      pattern_ok(b, 0, SIZE_B, 2) ? "intact" : "differs");
	((volatile uint32_t *)a)[SIZE_A / 4 - 1] = AFTER_RESTART;
	status = -1;
	waitpid(pid, &status, 0);
	check("shm-shared-with-child",
	      WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child saw the root's write through its own attachment (status %#x)",
	      status);

	memset(values, 0xff, sizeof(values));
	ok = semctl(id_s, 0, GETALL, values) == 0;
	check("sem-values",
	      semget(KEY_S, 0, 0) == id_s && ok &&
		      !memcmp(values, sem_values, sizeof(values)),
	      "sem key %#x: id %d (expected %d), values %u %u %u", KEY_S,
	      semget(KEY_S, 0, 0), id_s, values[0], values[1], values[2]);

	ok = msgget(KEY_Q, 0) == id_q;
	for (i = 0; ok && i < NR_MESSAGES; i++) {
		ssize_t n = msgrcv(id_q, &m, sizeof(m.text), 0, IPC_NOWAIT);

		ok = n == (ssize_t)strlen(texts[i]) && m.type == i + 1 &&
		     !memcmp(m.text, texts[i], n);
	}
	ok = ok && msgrcv(id_q, &m, sizeof(m.text), 0, IPC_NOWAIT) < 0 &&
	     errno == ENOMSG;
	check("msq-messages", ok,
	      "msq key %#x, id %d: the three messages, in order, and no more",
	      KEY_Q, id_q);

	{
		struct msqid_ds qds;
		int q_back = msgctl(id_oq, IPC_STAT, &qds) == 0;
		int m_back = shmctl(id_om, IPC_STAT, &ds) == 0;

		check("others-left-out", !q_back && !m_back,
		      "nobody's queue %d %s, its segment %d %s", id_oq,
		      q_back ? "came back" : "stayed removed", id_om,
		      m_back ? "came back" : "stayed removed");
	}

	shmctl(id_a, IPC_RMID, NULL);
	semctl(id_s, 0, IPC_RMID);
	msgctl(id_q, IPC_RMID, NULL);
	msgctl(id_oq, IPC_RMID, NULL);
	shmctl(id_om, IPC_RMID, NULL);
	return check_exit_status();
}
