/* SPDX-License-Identifier: GPL-2.0 */
/*
 * csf_port.h - userspace side of the cachestore format library's
 * portability layer (twin of fs/cachestore/format/kernel/csf_port.h).
 */
#ifndef __CSF_PORT_H
#define __CSF_PORT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <endian.h>
#include <assert.h>
#include <xxhash.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

/* __le16/__le32/__le64: the uapi typedefs, __bitwise under sparse */
#include <linux/types.h>
#ifdef __CHECKER__
#define __csf_force __attribute__((force))
#else
#define __csf_force
#endif

#define cpu_to_le16(x)	((__csf_force __le16)htole16(x))
#define cpu_to_le32(x)	((__csf_force __le32)htole32(x))
#define cpu_to_le64(x)	((__csf_force __le64)htole64(x))
#define le16_to_cpu(x)	le16toh((__csf_force uint16_t)(x))
#define le32_to_cpu(x)	le32toh((__csf_force uint32_t)(x))
#define le64_to_cpu(x)	le64toh((__csf_force uint64_t)(x))

#ifndef static_assert
#define static_assert(e, ...) _Static_assert(e, #e)
#endif
#define BUILD_BUG_ON(e)	((void)sizeof(char[1 - 2 * !!(e)]))

#ifndef EUCLEAN
#define EUCLEAN 117
#endif
#define ENODATA_CSF ENODATA

#define BIT(n)		(1UL << (n))
#define BIT_ULL(n)	(1ULL << (n))
#define min(a, b)	((a) < (b) ? (a) : (b))
#define max(a, b)	((a) > (b) ? (a) : (b))
#define min_t(t, a, b)	((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b)	((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define U32_MAX		((u32)~0U)
#define DIV_ROUND_UP(n, d)	(((n) + (d) - 1) / (d))
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define unlikely(x)	__builtin_expect(!!(x), 0)
#define likely(x)	__builtin_expect(!!(x), 1)
#define fallthrough	__attribute__((__fallthrough__))

#define swap(a, b)							\
	do {								\
		__typeof__(a) __csf_t = (a);				\
		(a) = (b);						\
		(b) = __csf_t;						\
	} while (0)

/*
 * Test hook: when csf_fail_alloc_in is non-zero, it counts library
 * allocations down and the one that brings it to zero fails.
 */
extern unsigned long csf_fail_alloc_in;

static inline bool csf_alloc_fault(void)
{
	return csf_fail_alloc_in && --csf_fail_alloc_in == 0;
}

#define csf_alloc(size)		(csf_alloc_fault() ? NULL : malloc(size))
#define csf_zalloc(size)	(csf_alloc_fault() ? NULL : calloc(1, size))
#define csf_free(p)		free(p)
#define csf_valloc(size)	(csf_alloc_fault() ? NULL : calloc(1, size))
#define csf_vfree(p)		free(p)
#define csf_xxh64(p, len, seed)	((u64)XXH64(p, len, seed))
#define csf_div_u64(a, b)	((u64)(a) / (u32)(b))
#define csf_hweight64(x)	((unsigned int)__builtin_popcountll(x))
extern int csf_verbose;
#define csf_err(fmt, ...)						\
	do {								\
		if (csf_verbose)					\
			fprintf(stderr, "cachestore: " fmt, ##__VA_ARGS__); \
	} while (0)
#define csf_cond_resched()	do { } while (0)

#endif /* __CSF_PORT_H */
