// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER under construction: refuses everything. */
#include "cpt_session.h"

static int cpt_signals_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	return -EOPNOTSUPP;
}

static int cpt_signals_restore(struct cpt_session *s, const void *msg, size_t len)
{
	return -EOPNOTSUPP;
}

int cpt_signals_apply(struct cpt_session *s)
{
	return -EOPNOTSUPP;
}

const struct cpt_subsys_ops cpt_signals_ops = {
	.name = "signals",
	.record = CPT_REC_SIGNALS,
	.save = cpt_signals_save,
	.restore = cpt_signals_restore,
};
