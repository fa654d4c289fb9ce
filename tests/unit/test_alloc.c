// SPDX-License-Identifier: GPL-2.0
/* test_alloc.c - allocator, summary, pending-free rule. */
#include "tutil.h"

UT_TEST(alloc_contiguous_and_free_counts)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	struct csf_statfs st0, st1;
	u64 a, b;
	u32 ga, gb;

	UT_ASSERT_EQ(csf_statfs(fs, &st0), 0);
	UT_ASSERT_EQ(csf_alloc_run(fs, 0, 64, 64, false, &a, &ga), 0);
	UT_ASSERT_EQ(ga, 64);
	UT_ASSERT(a >= fs->geo.data_start && a + 64 <= fs->geo.data_end);
	UT_ASSERT_EQ(csf_alloc_run(fs, a + 64, 10, 1, false, &b, &gb), 0);
	UT_ASSERT_EQ(b, a + 64);	/* goal honoured: contiguous */
	UT_ASSERT_EQ(csf_statfs(fs, &st1), 0);
	UT_ASSERT_EQ(st0.free_blocks - st1.free_blocks, 74);
	UT_ASSERT_EQ(csf_alloc_extend(fs, b, 10, 5), 0);
	UT_ASSERT_EQ(csf_free_run(fs, b, 15, false), 0);
	UT_ASSERT_EQ(csf_free_run(fs, a, 64, false), 0);
	/* double free is corruption */
	UT_ASSERT_EQ(csf_free_run(fs, a, 1, false), -EUCLEAN);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_statfs(fs, &st1), 0);
	UT_ASSERT_EQ(st0.free_blocks, st1.free_blocks);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(freed_blocks_not_reused_before_commit)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u64 a, b;
	u32 g;

	UT_ASSERT_EQ(csf_alloc_run(fs, 0, 16, 16, false, &a, &g), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_free_run(fs, a, 16, false), 0);
	/* same goal, same txn: must not get the just-freed blocks */
	UT_ASSERT_EQ(csf_alloc_run(fs, a, 16, 1, false, &b, &g), 0);
	UT_ASSERT(b >= a + 16 || b + g <= a);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	/* durable now: reusable */
	UT_ASSERT_EQ(csf_alloc_run(fs, a, 16, 16, false, &b, &g), 0);
	UT_ASSERT_EQ(b, a);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(freed_map_blocks_wait_for_checkpoint)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u64 a, b;
	u32 g;

	UT_ASSERT_EQ(csf_alloc_run(fs, 0, 1, 1, true, &a, &g), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_free_run(fs, a, 1, true), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_alloc_run(fs, a, 1, 1, false, &b, &g), 0);
	UT_ASSERT(b != a);
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	UT_ASSERT_EQ(csf_alloc_run(fs, a, 1, 1, false, &b, &g), 0);
	UT_ASSERT_EQ(b, a);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(enospc_and_reserve)
{
	struct csf_memdev *m = t_mkdev(1 << 13, false);
	struct csf_fs *fs = t_open(m);
	u64 a, total = 0;
	u32 g;
	int ret;

	for (;;) {
		ret = csf_alloc_run(fs, 0, 64, 1, false, &a, &g);
		if (ret)
			break;
		total += g;
		if (fs->ntxn * 2 > fs->max_txn)
			UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	UT_ASSERT_EQ(ret, -ENOSPC);
	UT_ASSERT(total + fs->meta_reserve + 64 >=
		  fs->geo.data_end - fs->geo.data_start);
	/* map blocks still get the reserve */
	UT_ASSERT_EQ(csf_alloc_run(fs, 0, 1, 1, true, &a, &g), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(multi_bitmap_block_device)
{
	/* 3 bitmap blocks; allocations spread and wrap */
	struct csf_memdev *m = t_mkdev(40000, false);
	struct csf_fs *fs = t_open(m);
	u64 a;
	u32 g, i;

	UT_ASSERT_EQ(fs->geo.bitmap_len, 3);
	for (i = 0; i < 500; i++) {
		UT_ASSERT_EQ(csf_alloc_run(fs, 0, 64, 64, false, &a, &g), 0);
		UT_ASSERT((a >> 14) == ((a + 63) >> 14));	/* no crossing */
		if (fs->ntxn * 2 > fs->max_txn)
			UT_ASSERT_EQ(csf_commit(fs), 0);
	}
	UT_ASSERT_EQ(csf_commit(fs), 0);
	csf_close(fs);
	csf_memdev_free(m);
}

UT_TEST(abort_undoes_frees_without_discard)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u8 *d;
	u64 a;
	u32 g;

	UT_ASSERT_EQ(csf_alloc_run(fs, 0, 4, 4, false, &a, &g), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	memset(csf_memdev_block(m, a), 0x42, 4096);
	UT_ASSERT_EQ(csf_free_run(fs, a, 4, false), 0);
	csf_abort(fs);
	/* an empty commit must not discard the still-allocated blocks */
	UT_ASSERT_EQ(csf_commit(fs), 0);
	d = csf_memdev_block(m, a);
	UT_ASSERT_EQ(d[0], 0x42);
	/* the raw run belongs to no object: give it back before checking */
	UT_ASSERT_EQ(csf_free_run(fs, a, 4, false), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * The kernel discards held frees itself, without its lock: csf_frees_copy()
 * hands it the extents while they stay held (the allocator must not give
 * them out), and only csf_frees_drop() makes them reusable, discarding
 * nothing itself.
 */
UT_TEST(held_frees_copied_then_dropped)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	struct csf_ext *e;
	u64 a, b, c;
	u32 g;
	u8 *d;

	csf_frees_hold(fs);
	UT_ASSERT(!csf_frees_copy(fs, 1));	/* nothing held */
	UT_ASSERT_EQ(csf_alloc_run(fs, 0, 8, 8, false, &a, &g), 0);
	UT_ASSERT_EQ(csf_alloc_run(fs, a + 8, 8, 8, false, &b, &g), 0);
	UT_ASSERT_EQ(b, a + 8);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_free_run(fs, a, 4, false), 0);
	UT_ASSERT_EQ(csf_free_run(fs, b + 4, 4, false), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_frees_held(fs), 2);
	e = csf_frees_copy(fs, 5);		/* more than held: what is */
	UT_ASSERT(e);
	UT_ASSERT_EQ(e[0].start, a);
	UT_ASSERT_EQ(e[0].len, 4);
	UT_ASSERT_EQ(e[1].start, b + 4);
	UT_ASSERT_EQ(e[1].len, 4);
	csf_vfree(e);
	UT_ASSERT_EQ(csf_frees_held(fs), 2);	/* still held */
	/* held: the allocator skips them, even when asked for them */
	UT_ASSERT_EQ(csf_alloc_run(fs, a, 4, 1, false, &c, &g), 0);
	UT_ASSERT(c + g <= a || c >= a + 4);
	UT_ASSERT(c + g <= b + 4 || c >= b + 8);
	UT_ASSERT_EQ(csf_free_run(fs, c, g, false), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	memset(csf_memdev_block(m, a), 0x42, 4096);
	csf_frees_drop(fs, 1);
	UT_ASSERT_EQ(csf_frees_held(fs), 2);	/* c's free joined the list */
	d = csf_memdev_block(m, a);
	UT_ASSERT_EQ(d[0], 0x42);		/* drop does not discard */
	/* the first extent is reusable now, the second is still held */
	UT_ASSERT_EQ(csf_alloc_run(fs, a, 4, 4, false, &c, &g), 0);
	UT_ASSERT_EQ(c, a);
	UT_ASSERT_EQ(csf_alloc_run(fs, b + 4, 4, 1, false, &c, &g), 0);
	UT_ASSERT(c + g <= b + 4 || c >= b + 8);
	csf_frees_release(fs, csf_frees_held(fs));
	UT_ASSERT_EQ(csf_frees_held(fs), 0);
	csf_close(fs);
	csf_memdev_free(m);
}
