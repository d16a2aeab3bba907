/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_TIMED_WAIT_H
#define CPT_TIMED_WAIT_H

#include <linux/ktime.h>
#include <linux/types.h>

struct pt_regs;
struct restart_block;
struct task_struct;

/*
 * What the freeze saw of its target before waking it: blocked in a timed
 * epoll_wait() or sigtimedwait() (or cpt's restart of one) until deadline;
 * or (compat) blocked in one of them as a 32-bit or an x32 syscall,
 * numbered compat_nr, which cpt cannot resume.
 */
struct cpt_timed_wait_seen {
	bool seen;
	bool compat;
	ktime_t deadline;	/* CLOCK_MONOTONIC */
	long compat_nr;
};

/* What cpt_timed_wait_timeout() finds the syscall of some registers to be. */
enum cpt_timed_wait_timeout {
	CPT_TIMED_WAIT_NONE,	/* none of these waits */
	CPT_TIMED_WAIT_UNTIMED,	/* one with no timeout */
	CPT_TIMED_WAIT_TIMED,	/* one with a timeout */
};

/*
 * A timed wait to go on with, as cpt_timed_wait_restart() keeps it in the
 * restart block's union: kind is CPT_PB_RESTART_BLOCK_KIND_EPOLL_WAIT or
 * _SIGTIMEDWAIT, the other fields are the RestartBlock fields of that name.
 */
struct cpt_timed_wait {
	ktime_t deadline;	/* CLOCK_MONOTONIC */
	u64 sigset;
	u64 uaddr;
	s32 fd;
	s32 maxevents;
	u8 kind;
	bool has_sigset;
};

void cpt_timed_wait_probe(struct task_struct *t, struct cpt_timed_wait_seen *seen);
bool cpt_timed_wait_arm(const struct pt_regs *regs, const struct cpt_timed_wait_seen *seen);
enum cpt_timed_wait_timeout cpt_timed_wait_timeout(struct task_struct *t);
const char *cpt_timed_wait_name(long nr, bool compat);
const char *cpt_timed_wait_abi(long nr);
const struct cpt_timed_wait *cpt_timed_wait_of(const struct restart_block *rb);
void cpt_timed_wait_load(const struct cpt_timed_wait *w);
void cpt_timed_wait_exit(void);

#endif /* CPT_TIMED_WAIT_H */
