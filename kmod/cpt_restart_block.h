/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_RESTART_BLOCK_H
#define CPT_RESTART_BLOCK_H

#include <linux/types.h>

struct cpt_pb_buf;
struct cpt_pb_field;
struct cpt_pb_reader;
struct cpt_timed_wait_seen;
struct pt_regs;
struct task_struct;
struct user_regs_struct;

/*
 * A sleep the checkpoint interrupted, as the image has it: which restart
 * (CPT_PB_RESTART_BLOCK_KIND_*, NONE for none) and its arguments, with
 * the time it had left (or, when absolute, its deadline on clockid).
 */
struct cpt_restart_state {
	u32 kind;
	u32 clockid;
	bool absolute;
	u64 left_ns;
	u64 deadline_ns;
	u64 rmtp;
	u64 uaddr;
	u32 val;
	u32 bitset;
	bool shared;
	u64 ufds;
	u32 nfds;
	bool has_timeout;
	u32 fd;
	u32 maxevents;
	u64 sigset;
	bool has_sigset;
};

int cpt_restart_block_save(u32 pid, struct task_struct *t, const struct pt_regs *regs,
			   struct cpt_pb_buf *msg);
bool cpt_restart_block_decode(struct cpt_pb_reader *r, const struct cpt_pb_field *f,
			      struct cpt_restart_state *rs);
int cpt_restart_block_check(const struct cpt_restart_state *rs,
			    const struct user_regs_struct *regs);
bool cpt_restart_block_load(const struct cpt_restart_state *rs);
void cpt_restart_block_parked(const struct cpt_timed_wait_seen *seen, bool eintr_restart,
			      bool *lost);

#endif /* CPT_RESTART_BLOCK_H */
