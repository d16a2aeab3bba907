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
#include <string.h>

static int check_failures;

__attribute__((format(printf, 3, 4))) static void
check(const char *name, int ok, const char *fmt, ...)
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

/*
 * Appends a note to buf (of size bytes), after "; " where it holds some
 * already: what went wrong so far, for a check's detail. Once buf is
 * nearly full, later notes are dropped.
 */
__attribute__((format(printf, 3, 4))) static inline void
note_to(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strlen(buf);
	va_list ap;

	if (len + 8 >= size)
		return;
	if (len) {
		strcpy(buf + len, "; ");
		len += 2;
	}
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static inline int check_exit_status(void)
{
	return check_failures ? 1 : 0;
}

#endif
