// SPDX-License-Identifier: GPL-2.0
/* ut_main.c - runs the tests registered with UT_TEST(); see ut.h. */
#include <stdarg.h>
#include <stdlib.h>
#include <time.h>
#include "ut.h"

static struct ut_test *ut_head, **ut_tail = &ut_head;
static jmp_buf ut_jmp;

void ut_register(struct ut_test *t)
{
	*ut_tail = t;
	ut_tail = &t->next;
}

void ut_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stdout, "    %s:%d: assertion failed: ", file, line);
	va_start(ap, fmt);
	vfprintf(stdout, fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	longjmp(ut_jmp, 1);
}

int main(int argc, char **argv)
{
	const char *filter = argc > 1 ? argv[1] : NULL;
	unsigned int passed = 0, failed = 0;
	struct ut_test *t;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (t = ut_head; t; t = t->next) {
		struct timespec a, b;

		if (filter && !strstr(t->name, filter))
			continue;
		clock_gettime(CLOCK_MONOTONIC, &a);
		if (setjmp(ut_jmp) == 0) {
			t->fn();
			clock_gettime(CLOCK_MONOTONIC, &b);
			printf("ok   %s (%.3f s)\n", t->name,
			       (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) / 1e9);
			passed++;
		} else {
			printf("FAIL %s\n", t->name);
			failed++;
		}
	}
	printf("%u passed, %u failed\n", passed, failed);
	return failed ? 1 : 0;
}
