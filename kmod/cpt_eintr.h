/* SPDX-License-Identifier: GPL-2.0 */
#ifndef CPT_EINTR_H
#define CPT_EINTR_H

struct sock;
struct task_struct;

/* What the freeze may do to a task in a syscall that -EINTR ends (cpt_eintr.c). */
enum cpt_eintr {
	CPT_EINTR_NONE,		/* not such a syscall: woken as any other */
	CPT_EINTR_RESTART,	/* woken, its -EINTR made a restart */
	CPT_EINTR_HOLD,		/* never woken: its -EINTR cannot be undone */
};

/*
 * A recvmmsg() the freeze wakes: its socket, held (cpt_eintr_batch_put()
 * drops it), its syscall (orig_ax as judged) and its batch, for
 * cpt_eintr_batch_parked(). sk is NULL when the call is none.
 */
struct cpt_eintr_batch {
	struct sock *sk;
	unsigned long orig_ax;
	unsigned int vlen;
};

enum cpt_eintr cpt_eintr_of(struct task_struct *t, const char **what,
			    struct cpt_eintr_batch *batch);
void cpt_eintr_batch_parked(const struct cpt_eintr_batch *batch);
void cpt_eintr_batch_put(struct cpt_eintr_batch *batch);

#endif /* CPT_EINTR_H */
