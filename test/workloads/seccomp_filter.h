/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Seccomp filters of one rule, as the workloads that must keep a sandbox
 * across a restart install them.
 */
#ifndef CPT_TEST_SECCOMP_FILTER_H
#define CPT_TEST_SECCOMP_FILTER_H

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A filter: syscall nr gets action, every other one is allowed. */
static inline long seccomp_filter_one(int nr, unsigned int action,
				      unsigned int flags)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(insns) / sizeof(insns[0]), insns };

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

/* The sandbox a service is given: no_new_privs, and uname() fails with EPERM. */
static inline int deny_uname(void)
{
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	       seccomp_filter_one(SYS_uname, SECCOMP_RET_ERRNO | EPERM, 0);
}

#endif
