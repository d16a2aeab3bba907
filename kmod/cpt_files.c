// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER under construction: refuses everything. */
#include "cpt_session.h"

static int cpt_files_save(struct cpt_session *s, struct cpt_pb_buf *msg)
{
	return -EOPNOTSUPP;
}

static int cpt_files_restore(struct cpt_session *s, const void *msg, size_t len)
{
	return -EOPNOTSUPP;
}

int cpt_files_apply(struct cpt_session *s)
{
	return -EOPNOTSUPP;
}

const struct cpt_subsys_ops cpt_files_ops = {
	.name = "files",
	.record = CPT_REC_FILES,
	.save = cpt_files_save,
	.restore = cpt_files_restore,
};
