/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ut.h - the in-tree userspace unit-test runner for cachestore.
 *
 * One header, no library: a test file defines tests with UT_TEST(name) and
 * checks with UT_ASSERT*(); linking it with ut_main.c gives a program that
 * runs every test (or those whose name contains argv[1]), prints one line per
 * test and ends with "N passed, N failed".  A failed assertion ends only its
 * own test.  Exit status: 0 when nothing failed, 1 otherwise.
 */
#ifndef CACHESTORE_UT_H
#define CACHESTORE_UT_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <inttypes.h>

struct ut_test {
	const char *name;
	const char *file;
	void (*fn)(void);
	struct ut_test *next;
};

void ut_register(struct ut_test *t);
void ut_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#define UT_TEST(tname)							\
	static void ut_fn_##tname(void);				\
	static struct ut_test ut_t_##tname = {				\
		.name = #tname, .file = __FILE__, .fn = ut_fn_##tname,	\
	};								\
	__attribute__((constructor)) static void ut_reg_##tname(void)	\
	{								\
		ut_register(&ut_t_##tname);				\
	}								\
	static void ut_fn_##tname(void)

#define UT_ASSERT(cond)							\
	do {								\
		if (!(cond))						\
			ut_fail(__FILE__, __LINE__, "%s", #cond);	\
	} while (0)

#define UT_ASSERT_MSG(cond, ...)					\
	do {								\
		if (!(cond))						\
			ut_fail(__FILE__, __LINE__, __VA_ARGS__);	\
	} while (0)

#define UT_ASSERT_EQ(a, b)						\
	do {								\
		long long ut_a_ = (long long)(a), ut_b_ = (long long)(b); \
		if (ut_a_ != ut_b_)					\
			ut_fail(__FILE__, __LINE__, "%s == %s (%lld != %lld)", \
				#a, #b, ut_a_, ut_b_);			\
	} while (0)

#define UT_ASSERT_MEMEQ(a, b, n)					\
	do {								\
		if (memcmp((a), (b), (n)) != 0)				\
			ut_fail(__FILE__, __LINE__, "memcmp(%s, %s, %s) != 0", \
				#a, #b, #n);				\
	} while (0)

#endif
