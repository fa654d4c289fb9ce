// SPDX-License-Identifier: GPL-2.0
/* test_check.c - csf_check finds planted corruption and repairs it. */
#include "tutil.h"

struct img {
	struct csf_memdev *m;
	struct csf_geo g;
	u32 vid, ids[20], gens[20];
};

/* 20 objects with a few pages each, checkpointed home. */
static void mkimg(struct img *im)
{
	struct csf_fs *fs;
	char key[16];
	u64 pblk;
	u32 i, n, p;

	im->m = t_mkdev(1 << 15, false);
	fs = t_open(im->m);
	im->g = fs->geo;
	im->vid = t_vol(fs, "v");
	for (i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, im->vid, key, (u32)strlen(key),
					    NULL, 0, 100 * 4096, i, &im->ids[i],
					    &im->gens[i]), 0);
		for (p = 0; p < 100; p += 7) {
			UT_ASSERT_EQ(csf_obj_map(fs, im->ids[i], im->gens[i], p,
						 true, &pblk, &n), 0);
			UT_ASSERT_EQ(csf_obj_mark_present(fs, im->ids[i],
							  im->gens[i], p, 1), 0);
		}
	}
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
}

static void repair_and_recheck(struct img *im, u64 *errors, u64 *discarded)
{
	struct csf_check_report r;
	struct csf_fs *fs = t_open(im->m);

	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	*errors = r.errors;
	UT_ASSERT_EQ(csf_check(fs, CSF_CHECK_REPAIR, &r), 0);
	UT_ASSERT(r.repaired || !r.errors);
	*discarded = r.objects_discarded;
	csf_close(fs);
	fs = t_open(im->m);
	t_check_clean(fs);
	csf_close(fs);
}

static u64 objblk(struct img *im, u32 id)
{
	return im->g.objtab_start + id / CSF_OBJS_PER_BLOCK;
}

static struct csf_obj_rec *rec_of(struct img *im, u32 id)
{
	return &((struct csf_objtab *)csf_memdev_block(im->m, objblk(im, id)))
		->rec[id % CSF_OBJS_PER_BLOCK];
}

static void reseal(struct img *im, u64 blk, u16 type)
{
	csf_blk_seal(csf_memdev_block(im->m, blk), type, blk, 1);
}

UT_TEST(bad_checksum_object_block_discards_its_objects)
{
	struct img im;
	u64 e, d;

	mkimg(&im);
	csf_memdev_block(im.m, objblk(&im, im.ids[5]))[500] ^= 1;
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT(e > 0);
	UT_ASSERT(d >= 1 && d <= 4);
	csf_memdev_free(im.m);
}

UT_TEST(overlapping_extents_discard_both)
{
	struct img im;
	struct csf_obj_rec *a, *b;
	u64 e, d;

	mkimg(&im);
	a = rec_of(&im, im.ids[3]);
	b = rec_of(&im, im.ids[4]);
	/* b's first granule run now points into a's */
	memcpy(b->root, a->root, 8);
	reseal(&im, objblk(&im, im.ids[4]), CSF_T_OBJTAB);
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT(e > 0);
	UT_ASSERT_EQ(d, 2);
	csf_memdev_free(im.m);
}

UT_TEST(out_of_range_extent)
{
	struct img im;
	struct csf_obj_rec *a;
	struct csf_fs *fs;
	struct csf_check_report r;
	u64 e, d;

	mkimg(&im);
	a = rec_of(&im, im.ids[7]);
	((struct csf_gran_ent *)a->root)->pblk = cpu_to_le64(im.g.nblocks + 5);
	reseal(&im, objblk(&im, im.ids[7]), CSF_T_OBJTAB);
	fs = t_open(im.m);
	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	UT_ASSERT(r.errors > 0);
	csf_close(fs);
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT(d >= 1);
	csf_memdev_free(im.m);
}

UT_TEST(leaked_and_double_used_bitmap_bits)
{
	struct img im;
	struct csf_fs *fs;
	struct csf_check_report r;
	struct csf_bitmap *bm;
	u64 e, d, blk;

	mkimg(&im);
	blk = im.g.bitmap_start;
	bm = (void *)csf_memdev_block(im.m, blk);
	/* leak the last data block of bitmap block 0, free an owned one */
	csf_set_bit8(bm->bits, CSF_BITS_PER_BMAP - 3);
	csf_clear_bit8(bm->bits, (u32)im.g.data_start);
	reseal(&im, blk, CSF_T_BITMAP);
	fs = t_open(im.m);
	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	UT_ASSERT_EQ(r.leaked_blocks, 1);
	UT_ASSERT_EQ(r.free_but_used, 1);
	csf_close(fs);
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT_EQ(d, 0);	/* bitmap rebuilt from the objects */
	csf_memdev_free(im.m);
}

UT_TEST(broken_index_and_lists_rebuilt)
{
	struct img im;
	struct csf_fs *fs;
	u64 e, d, i;
	u32 id, gen, k;
	char key[16];

	mkimg(&im);
	for (i = 0; i < im.g.index_len; i++)
		memset(csf_memdev_block(im.m, im.g.index_start + i), 0, 4096);
	rec_of(&im, im.ids[2])->lru_next = cpu_to_le32(im.ids[2]);
	reseal(&im, objblk(&im, im.ids[2]), CSF_T_OBJTAB);
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT(e >= 20);
	UT_ASSERT_EQ(d, 0);
	fs = t_open(im.m);
	for (k = 0; k < 20; k++) {
		snprintf(key, sizeof(key), "k%u", k);
		UT_ASSERT_EQ(csf_obj_lookup(fs, im.vid, key, (u32)strlen(key),
					    &id, &gen), 0);
	}
	csf_close(fs);
	csf_memdev_free(im.m);
}

/*
 * The two LRU lists: an object whose probation flag disagrees with the
 * list it is on, and a wrong probation count, are found; the repair puts
 * every object on the list its flag names, oldest first.
 */
UT_TEST(probation_list_checked_and_rebuilt)
{
	struct csf_obj_info info;
	struct csf_state *st;
	struct csf_statfs sf;
	struct csf_fs *fs;
	struct img im;
	u32 out[20];
	u64 e, d;
	int n, i;

	mkimg(&im);
	/* objects 0..9 read back (protected), 10..19 on probation */
	fs = t_open(im.m);
	for (i = 0; i < 10; i++)
		UT_ASSERT_EQ(csf_obj_promote(fs, im.ids[i], im.gens[i], 100 + i),
			     1);
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	/* object 15 claims to be protected while on the probation list */
	rec_of(&im, im.ids[15])->oflags &= ~CSF_OF_PROBATION;
	reseal(&im, objblk(&im, im.ids[15]), CSF_T_OBJTAB);
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT(e >= 1);
	UT_ASSERT_EQ(d, 0);
	fs = t_open(im.m);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.live_objects, 20);
	UT_ASSERT_EQ(sf.prob_objects, 9);
	n = csf_cull_pick(fs, 20, NULL, NULL, 0, out, NULL);
	UT_ASSERT_EQ(n, 9);
	for (i = 0; i < n; i++) {
		UT_ASSERT_EQ(csf_obj_get(fs, out[i], &info), 0);
		UT_ASSERT(info.probation);
		UT_ASSERT(i == 0 || info.atime >= 10);
	}
	csf_close(fs);
	/* a wrong count of objects on probation */
	st = (void *)csf_memdev_block(im.m, im.g.state_blk);
	st->nr_prob = cpu_to_le32(3);
	reseal(&im, im.g.state_blk, CSF_T_STATE);
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT(e >= 1);
	fs = t_open(im.m);
	UT_ASSERT_EQ(csf_statfs(fs, &sf), 0);
	UT_ASSERT_EQ(sf.prob_objects, 9);
	csf_close(fs);
	csf_memdev_free(im.m);
}

UT_TEST(bad_state_and_summary_rebuilt)
{
	struct img im;
	u64 e, d;

	mkimg(&im);
	csf_memdev_block(im.m, im.g.state_blk)[40] ^= 0x10;
	csf_memdev_block(im.m, im.g.summary_start)[40] ^= 0x10;
	/* the state block is required to open; fsck opens anyway */
	{
		struct csf_fs *fs;
		struct csf_check_report r;

		UT_ASSERT(csf_open(&im.m->dev, 0, &fs) != 0);
		UT_ASSERT_EQ(csf_open(&im.m->dev, CSF_OPEN_NO_REPLAY |
				      CSF_OPEN_NO_STATE, &fs), 0);
		UT_ASSERT_EQ(csf_check(fs, CSF_CHECK_REPAIR, &r), 0);
		UT_ASSERT(r.bad_state && r.bad_summary && r.repaired);
		csf_close(fs);
	}
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT_EQ(e, 0);
	csf_memdev_free(im.m);
}

UT_TEST(bad_primary_superblock_repaired_from_backup)
{
	struct img im;
	u64 e, d;

	mkimg(&im);
	csf_memdev_block(im.m, 0)[100] ^= 1;
	repair_and_recheck(&im, &e, &d);
	UT_ASSERT_EQ(csf_sb_decode(csf_memdev_block(im.m, 0), 0, 1 << 15,
				   &im.g), 0);
	csf_memdev_free(im.m);
}

UT_TEST(truncated_journal_replays_prefix)
{
	struct img im;
	struct csf_fs *fs;
	u32 id, gen;

	mkimg(&im);
	fs = t_open(im.m);
	UT_ASSERT_EQ(csf_obj_create(fs, im.vid, "late", 4, NULL, 0, 0, 1, &id,
				    &gen), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	UT_ASSERT_EQ(csf_obj_create(fs, im.vid, "later", 5, NULL, 0, 0, 1, &id,
				    &gen), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	im.m->dead = true;
	csf_close(fs);
	csf_memdev_revive(im.m);
	/* cut the newest transaction short: wipe all but its descriptor */
	{
		u64 i, s1 = 0, p1 = 0, s0 = 0, p0 = 0;

		for (i = 0; i < im.g.journal_len - 2; i++) {
			struct csf_blk_hdr *h = (void *)csf_memdev_block(im.m,
						im.g.journal_start + 2 + i);

			if (le16_to_cpu(h->type) != CSF_T_JCOMMIT ||
			    le32_to_cpu(h->magic) != CSF_MAGIC)
				continue;
			if (le64_to_cpu(h->seq) > s1) {
				s0 = s1;
				p0 = p1;
				s1 = le64_to_cpu(h->seq);
				p1 = i;
			} else if (le64_to_cpu(h->seq) > s0) {
				s0 = le64_to_cpu(h->seq);
				p0 = i;
			}
		}
		UT_ASSERT(s1 == s0 + 1 && p1 > p0 + 2);
		for (i = p0 + 2; i <= p1; i++)
			memset(csf_memdev_block(im.m, im.g.journal_start + 2 + i),
			       0, 4096);
	}
	fs = t_open(im.m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, im.vid, "late", 4, &id, &gen), 0);
	UT_ASSERT_EQ(csf_obj_lookup(fs, im.vid, "later", 5, &id, &gen),
		     -ENOENT);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(im.m);
}

/*
 * An object-table block wholly above the high-water mark holds no slot in
 * use and the check does not read it (a repair interrupted after it
 * lowered the mark leaves one damaged): taking its first slot must start
 * it afresh, not fail every create with -EUCLEAN.
 */
UT_TEST(damaged_objtab_block_above_hwm_is_started_afresh)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), id, gen, i, ng;
	u64 blk, pblk;
	char key[16];

	for (i = 1; i < CSF_OBJS_PER_BLOCK; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key),
					    NULL, 0, 4096, i, &id, &gen), 0);
		UT_ASSERT_EQ(id, i);
	}
	blk = fs->geo.objtab_start + 1;	/* slots 4..7: all above the hwm */
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	csf_close(fs);
	memset(csf_memdev_block(m, blk), 0x5a, 4096);
	fs = t_open(m);
	t_check_clean(fs);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, "new", 3, NULL, 0, 65536, 9, &id,
				    &gen), 0);
	UT_ASSERT_EQ(id, CSF_OBJS_PER_BLOCK);
	UT_ASSERT_EQ(csf_obj_map(fs, id, gen, 0, true, &pblk, &i), 0);
	UT_ASSERT_EQ(csf_obj_mark_present(fs, id, gen, 0, 1), 0);
	/* the dying clone takes the next slot of that block */
	UT_ASSERT_EQ(csf_obj_invalidate(fs, id, gen, NULL, 0, 4096, &ng), 0);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "new", 3, &id, &gen), 0);
	UT_ASSERT_EQ(gen, ng);
	UT_ASSERT_EQ(csf_reclaim(fs, 100), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/* The same for block 0, whose slot 0 is never used: the mark at 1. */
UT_TEST(damaged_objtab_block_0_at_hwm_1_is_started_afresh)
{
	struct csf_memdev *m = t_mkdev(1 << 15, false);
	struct csf_fs *fs = t_open(m);
	u32 vid = t_vol(fs, "v"), id, gen;
	u64 blk = fs->geo.objtab_start;

	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	csf_close(fs);
	memset(csf_memdev_block(m, blk), 0x5a, 4096);
	fs = t_open(m);
	t_check_clean(fs);
	UT_ASSERT_EQ(csf_obj_create(fs, vid, "first", 5, NULL, 0, 4096, 1, &id,
				    &gen), 0);
	UT_ASSERT_EQ(id, 1);
	UT_ASSERT_EQ(csf_commit(fs), 0);
	t_check_clean(fs);
	csf_close(fs);
	fs = t_open(m);
	UT_ASSERT_EQ(csf_obj_lookup(fs, vid, "first", 5, &id, &gen), 0);
	t_check_clean(fs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * Checking a cookie index larger than the buffer cache (4,096 buffers)
 * keeps the cache near its limit.  The pass that compares each bucket's
 * overflow count read every bucket within one library call, whose buffers
 * the cache may not evict: it grew to the whole index, and each read
 * walked all of them to find one to evict.  fsck -n of an empty 1 TiB
 * cache with 138,885 buckets took 7 minutes.
 */
UT_TEST(check_of_a_large_index_stays_within_the_buffer_cache)
{
	struct csf_format_params p;
	struct csf_check_report r;
	struct csf_memdev *m;
	struct csf_fs *fs;
	struct csf_geo g;

	t_params(&p, 1 << 19);
	p.expected_objects = 1200000;
	m = csf_memdev_new(p.nblocks, false);
	UT_ASSERT(m);
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	fs = t_open(m);
	/* the cache keeps the whole index now: the check must not need it */
	fs->maxbufs = CSF_BUFS_BASE;
	UT_ASSERT_MSG(fs->geo.index_len > 2ULL * fs->maxbufs,
		      "index of %llu buckets, buffer cache %u",
		      (unsigned long long)fs->geo.index_len, fs->maxbufs);
	fs->nbufs_peak = fs->nbufs;
	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	UT_ASSERT_EQ(r.errors, 0);
	UT_ASSERT_MSG(fs->nbufs_peak <= fs->maxbufs + 64,
		      "%u buffers held at once by the check (soft limit %u)",
		      fs->nbufs_peak, fs->maxbufs);
	csf_close(fs);
	csf_memdev_free(m);
}

/*
 * The list checks walk every object record (the slot count, the LRU, free
 * and dying lists) as one library call: without a new call per record,
 * every object-table block stayed held, the buffer cache grew to the whole
 * table, and each new buffer's shrink walked all of it (a million objects:
 * minutes and a gigabyte).  The table here is over twice the cache.
 */
UT_TEST(check_of_many_objects_stays_within_the_buffer_cache)
{
	struct csf_format_params p;
	struct csf_check_report r;
	struct csf_memdev *m;
	struct csf_fs *fs;
	struct csf_geo g;
	u32 vid, id, gen, i;
	char key[16];

	t_params(&p, 1 << 18);
	p.expected_objects = 50000;
	m = csf_memdev_new(p.nblocks, false);
	UT_ASSERT(m);
	UT_ASSERT_EQ(csf_format(&m->dev, &p, &g), 0);
	fs = t_open(m);
	vid = t_vol(fs, "v");
	for (i = 0; i < 40000; i++) {
		snprintf(key, sizeof(key), "k%u", i);
		UT_ASSERT_EQ(csf_obj_create(fs, vid, key, (u32)strlen(key), NULL,
					    0, 4096, i, &id, &gen), 0);
		if (i % 4 == 0)
			UT_ASSERT_EQ(csf_obj_promote(fs, id, gen, i), 1);
		if (fs->ntxn * 2 > fs->max_txn)
			UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	}
	UT_ASSERT_EQ(csf_checkpoint(fs), 0);
	csf_close(fs);
	fs = t_open(m);
	UT_ASSERT_MSG(40000 / CSF_OBJS_PER_BLOCK > 2 * fs->maxbufs,
		      "buffer cache %u", fs->maxbufs);
	fs->nbufs_peak = fs->nbufs;
	UT_ASSERT_EQ(csf_check(fs, 0, &r), 0);
	UT_ASSERT_EQ(r.errors, 0);
	UT_ASSERT_EQ(r.live_objects, 40000);
	UT_ASSERT_MSG(fs->nbufs_peak <= fs->maxbufs + 64,
		      "%u buffers held at once by the check (soft limit %u)",
		      fs->nbufs_peak, fs->maxbufs);
	csf_close(fs);
	csf_memdev_free(m);
}
