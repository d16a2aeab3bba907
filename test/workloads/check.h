/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How a workload reports: one line per check, "RESULT <name> PASS|FAIL
 * <detail>", which the guest tests parse. A workload exits 0 only when every
 * check passed.
 */
#ifndef CPT_TEST_CHECK_H
#define CPT_TEST_CHECK_H

#include <stdarg.h>
#include <stdio.h>

static int check_failures;

__attribute__((format(printf, 3, 4)))
static void check(const char *name, int ok, const char *fmt, ...)
{
	va_list ap;

	printf("RESULT %s %s ", name, ok ? "PASS" : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		check_failures++;
}

static inline int check_exit_status(void)
{
	return check_failures ? 1 : 0;
}

#endif
