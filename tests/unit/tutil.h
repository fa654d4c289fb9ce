/* SPDX-License-Identifier: GPL-2.0 */
/* tutil.h - fixtures shared by the format library unit tests. */
#ifndef TUTIL_H
#define TUTIL_H

#include "ut.h"
#include "csf.h"
#include "csf_memdev.h"

static inline u64 t_rnd(void *ctx)
{
	u64 *s = ctx;

	/* xorshift64* */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static inline void t_params(struct csf_format_params *p, u64 nblocks)
{
	memset(p, 0, sizeof(*p));
	p->nblocks = nblocks;
	p->expected_objects = 2000;
	p->journal_blocks = 1024;
	p->nr_volumes = 8;
	memcpy(p->uuid, "0123456789abcdef", 16);
	strcpy(p->label, "test");
	p->mkfs_time = 1700000000;
}

/*
 * A formatted in-memory device of @nblocks, with t_params()' journal and
 * object count unless @journal or @expected is given.
 */
static inline struct csf_memdev *t_mkdev_geo(u64 nblocks, bool volatile_cache,
					     u64 journal, u64 expected,
					     struct csf_geo *g)
{
	struct csf_format_params p;
	struct csf_memdev *m = csf_memdev_new(nblocks, volatile_cache);
	struct csf_geo local;

	UT_ASSERT(m);
	t_params(&p, nblocks);
	if (journal)
		p.journal_blocks = journal;
	if (expected)
		p.expected_objects = expected;
	UT_ASSERT_EQ(csf_format(&m->dev, &p, g ? g : &local), 0);
	return m;
}

static inline struct csf_memdev *t_mkdev(u64 nblocks, bool volatile_cache)
{
	return t_mkdev_geo(nblocks, volatile_cache, 0, 0, NULL);
}

/*
 * A formatted sparse in-memory device of @nblocks at real geometry, with
 * the largest journal (4 GiB) and a table for @expected objects, so that
 * the object table (and so the high-water mark and the blocks read ahead)
 * lies past 4 GiB.
 */
static inline struct csf_memdev *t_mkdev_big(u64 nblocks, u64 expected)
{
	struct csf_geo g;
	struct csf_memdev *m = t_mkdev_geo(nblocks, false, CSF_MAX_JOURNAL,
					   expected, &g);

	UT_ASSERT_MSG(g.objtab_start * CSF_BLOCK_SIZE > (4ULL << 30),
		      "object table at block %llu",
		      (unsigned long long)g.objtab_start);
	return m;
}

/*
 * Three tests that run @fn on a fresh device: a small one (128 MiB), and at
 * real geometry (t_mkdev_big()) 64 GiB, and 1 TiB with a table for a
 * million objects.
 */
#define UT_TEST_GEOMETRIES(tname, fn)					\
	UT_TEST(tname) { fn(t_mkdev(1 << 15, false)); }			\
	UT_TEST(tname##_64g) { fn(t_mkdev_big(16ULL << 20, 2000)); }	\
	UT_TEST(tname##_1t) { fn(t_mkdev_big(256ULL << 20, 1000000)); }

static inline struct csf_fs *t_open(struct csf_memdev *m)
{
	struct csf_fs *fs = NULL;

	UT_ASSERT_EQ(csf_open(&m->dev, 0, &fs), 0);
	return fs;
}

static inline void t_check_clean(struct csf_fs *fs)
{
	struct csf_check_report r;

	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	UT_ASSERT_MSG(r.errors == 0,
		      "check: %llu errors (csum %llu state %llu sum %llu bm %llu vol %llu obj %llu maps %llu dup %llu oor %llu idx %llu list %llu leak %llu fbu %llu)",
		      (unsigned long long)r.errors,
		      (unsigned long long)r.bad_csum,
		      (unsigned long long)r.bad_state,
		      (unsigned long long)r.bad_summary,
		      (unsigned long long)r.bad_bitmap,
		      (unsigned long long)r.bad_volumes,
		      (unsigned long long)r.bad_objects,
		      (unsigned long long)r.bad_maps,
		      (unsigned long long)r.dup_blocks,
		      (unsigned long long)r.out_of_range,
		      (unsigned long long)r.index_errors,
		      (unsigned long long)r.list_errors,
		      (unsigned long long)r.leaked_blocks,
		      (unsigned long long)r.free_but_used);
}

/* @fs checks clean, is closed, opens again from @m, checks clean again. */
static inline void t_check_reopen(struct csf_fs *fs, struct csf_memdev *m)
{
	t_check_clean(fs);
	csf_close(fs);
	fs = t_open(m);
	t_check_clean(fs);
	csf_close(fs);
}

static inline u32 t_vol(struct csf_fs *fs, const char *key)
{
	u32 vid = 0;
	int ret = csf_vol_lookup(fs, key, (u32)strlen(key), &vid);

	if (ret == -ENOENT)
		ret = csf_vol_create(fs, key, (u32)strlen(key), "c", 1, &vid);
	UT_ASSERT_EQ(ret, 0);
	return vid;
}

#endif
