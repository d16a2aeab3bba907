// SPDX-License-Identifier: GPL-2.0
/*
 * One process holding every kind of shared object the module makes again
 * at restart, for the mutation test: a SysV segment it has attached, a
 * semaphore set, a message queue with a message, a POSIX message queue
 * with a message, and a pty (master and slave) with output the master has
 * not read. Prints READY, then waits to be killed.
 * Usage: ipc_objects MQ_NAME   (without its /)
 */
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <stdio.h>

int main(int argc, char **argv)
{
	struct mq_attr attr = { .mq_maxmsg = 4, .mq_msgsize = 64 };
	struct {
		long type;
		char text[8];
	} msg = { 1, "message" };
	char name[NAME_MAX + 2], slave[PATH_MAX];
	int shm, sem, msq, m, s;
	mqd_t mq;
	char *p;

	if (argc != 2) {
		fprintf(stderr, "usage: ipc_objects MQ_NAME\n");
		return 2;
	}
	snprintf(name, sizeof(name), "/%s", argv[1]);
	shm = shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600);
	sem = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
	msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
	mq = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	if (shm < 0 || sem < 0 || msq < 0 || mq == (mqd_t)-1 || m < 0 ||
	    grantpt(m) || unlockpt(m) || ptsname_r(m, slave, sizeof(slave))) {
		perror("ipc_objects");
		return 2;
	}
	s = open(slave, O_RDWR | O_NOCTTY);
	p = shmat(shm, NULL, 0);
	if (s < 0 || p == (void *)-1 ||
	    msgsnd(msq, &msg, sizeof(msg.text), 0) ||
	    mq_send(mq, "hello", 5, 3) || write(s, "unread\n", 7) != 7) {
		perror("ipc_objects");
		return 2;
	}
	strcpy(p, "segment");
	printf("READY\n");
	fflush(stdout);
	for (;;)
		pause();
}
