// SPDX-License-Identifier: GPL-2.0
/* PLACEHOLDER under construction: refuses everything. */
#include "cpt_session.h"

int cpt_mm_save(struct cpt_session *s)
{
	return -EOPNOTSUPP;
}

int cpt_mm_restore(struct cpt_session *s)
{
	return -EOPNOTSUPP;
}
