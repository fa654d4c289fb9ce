// SPDX-License-Identifier: GPL-2.0
/*
 * test_bitmap.c - a bitmap block that reads back all zero (lost write,
 * zeroed range, hostile image) is never trusted as "everything free"
 * unless the summary says its whole span is free.
 */
#include "tutil.h"

struct zimg {
	struct csf_memdev *m;
	struct csf_geo g;
	u32 vid, id, gen;
	u64 first, nblk;	/* the object's first run */
};

/*
 * A 4-bitmap-block image with one object of 8 full granules allocated
 * inside bitmap block @bi, checkpointed home; then bitmap block @bi is
 * zeroed on the device.
 */
static void mkzimg(struct zimg *z, u64 bi)
{
	struct csf_fs *fs;
	struct csf_obj_info info;
	u64 pblk, pg;
	u32 n;

	z->m = t_mkdev(1 << 16, false);
	fs = t_open(z->m);
	z->g = fs->geo;
	z->vid = t_vol(fs, "v");
	UT_ASSERT_EQ(csf_obj_create(fs, z->vid, "k", 1, NULL, 0,
				    8ULL * fs->geo.ppg * 4096, 1, &z->id,
				    &z->gen), 0);
	if (bi)
		fs->alloc_cursor = (bi << CSF_BITS_PER_BMAP_SHIFT) + 100;
	for (pg = 0; pg < 8ULL * fs->geo.ppg; pg += fs->geo.ppg) {
		UT_ASSERT_EQ(csf_obj_map(fs, z->id, z->gen, pg, true, &pblk,
					 &n), 0);
		UT_ASSERT_EQ(pblk >> CSF_BITS_PER_BMAP_SHIFT, bi);
		if (!pg)
			z->first = pblk;
		UT_ASSERT_EQ(csf_obj_mark_present(fs, z->id, z->gen, pg, n),
			     0);
	}
	UT_ASSERT_EQ(csf_obj_get(fs, z->id, &info), 0);
	z->nblk = info.nr_blocks;
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	memset(csf_memdev_block(z->m, z->g.bitmap_start + bi), 0, 4096);
}

static void zeroed_bitmap_is_detected(u64 bi)
{
	struct csf_check_report r;
	struct zimg z;
	struct csf_fs *fs;
	u64 a, i;
	u32 got;
	bool set;
	int ret;

	mkzimg(&z, bi);
	fs = t_open(z.m);
	/* the zeroed block is rejected, not read as "all free" */
	UT_ASSERT_EQ(csf_bit_test(fs, z.first, &set), -EUCLEAN);
	/* and the allocator never hands out the object's blocks */
	for (i = 0; i < 64; i++) {
		ret = csf_alloc_run(fs, z.first, 64, 1, false, &a, &got);
		if (ret)
			break;
		UT_ASSERT_MSG(a + got <= z.first || a >= z.first + z.nblk,
			      "allocated %llu+%u inside the object's run",
			      (unsigned long long)a, got);
	}
	UT_ASSERT(ret == 0 || ret == -EUCLEAN || ret == -ENOSPC);
	csf_abort(fs);
	/* the check (fsck -n) reports the block as bad */
	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	UT_ASSERT(r.bad_bitmap >= 1);
	UT_ASSERT(r.errors >= 1);
	/* repair rebuilds it from the objects' maps */
	UT_ASSERT_EQ(csf_check(fs, CSF_CHECK_REPAIR, &r), 0);
	UT_ASSERT(r.repaired);
	t_check_clean(fs);
	UT_ASSERT_EQ(csf_bit_test(fs, z.first, &set), 0);
	UT_ASSERT(set);
	csf_close(fs);
	csf_memdev_free(z.m);
}

UT_TEST(zeroed_bitmap_block_with_data_is_rejected)
{
	zeroed_bitmap_is_detected(1);
}

UT_TEST(zeroed_first_bitmap_block_is_rejected)
{
	/* covers the metadata, so it can never be all zero */
	zeroed_bitmap_is_detected(0);
}

/* An untouched middle bitmap block is still all zero, and valid. */
UT_TEST(pristine_bitmap_block_still_valid)
{
	struct csf_memdev *m = t_mkdev(1 << 16, false);
	struct csf_fs *fs = t_open(m);
	u64 blk = (2ULL << CSF_BITS_PER_BMAP_SHIFT) + 5, a;
	u32 got;
	bool set;

	UT_ASSERT(csf_blk_is_zero(csf_memdev_block(m, fs->geo.bitmap_start +
						   2)));
	UT_ASSERT_EQ(csf_bit_test(fs, blk, &set), 0);
	UT_ASSERT(!set);
	UT_ASSERT_EQ(csf_alloc_run(fs, blk, 8, 8, false, &a, &got), 0);
	UT_ASSERT_EQ(a, blk);
	UT_ASSERT_EQ(csf_free_run(fs, a, got, false), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}
